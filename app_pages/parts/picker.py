"""The run picker the pages share: a select box over runs, named by mnist_core.analysis.choice."""

from __future__ import annotations

import streamlit as st

from app_pages.parts.runs import default_run, imported_runs, selected, session_runs
from mnist_core.analysis import choice


def pick(label: str, options: list, names: list[str], **widget) -> int:
    """A select box over `options` shown by `names`; the index picked. `widget`: the select box's
    other arguments (index, key, help, on_change)."""
    return st.selectbox(label, range(len(options)), format_func=names.__getitem__, **widget)


def choose_model(page: str):
    """(run, epoch) for a page that reads drawings (Draw, Handwriting): the run chosen on Train or
    Evaluate by default, or any other offered (the shipped default, this session's, uploaded)."""
    runs = choice.trained(session_runs().values(), diverged=False)
    chosen, chosen_epoch = selected()
    options = [default_run()] + runs + imported_runs()
    index = pick("Model", options, choice.titles(options, yours=runs), index=choice.position(options, chosen),
                 help="The run and epoch chosen on Train are used by default.")
    run = options[index]
    epoch = chosen_epoch if run is chosen else run.final_epoch
    if run.epochs_done > 1:
        epoch = st.slider("After epoch", 1, run.epochs_done, epoch, key=f"{page}_epoch_{index}",
                          help="Use the weights the network had after this epoch.")
    mine = any(run is r for r in runs)
    which = f"your run {run.label}" if mine else run.label
    after = f", with its weights after epoch {epoch} of {run.epochs_done}" if run.epochs_done else ""
    st.caption(f"Using {which}{after}; its classes are those of {run.dataset.title}.")
    if run.dataset.name == "fashion_mnist":
        st.info("This model learnt clothes: draw one of its ten classes (" + ", ".join(run.class_names)
                + "), filled in, as large as the canvas.")
    return run, epoch

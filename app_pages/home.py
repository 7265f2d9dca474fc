"""Home: what the app is, one first step for a newcomer and one for someone who has trained a
network before, a line for every page (in the sidebar's sections), your runs and the server's."""

import streamlit as st

from app_pages.parts.form import fold
from app_pages.parts.navigation import SECTIONS
from app_pages.parts.runs import others, remember, session_runs, start_training
from mnist_core.analysis.evaluate import pct
from mnist_core.config import TrainConfig

FIRST_STEP = "Start with a line between two groups"  # the page's one primary button


def first_steps() -> None:
    """One way in for someone who has never trained a network, one for someone who has."""
    new, known = st.columns(2, gap="large")
    with new:
        st.subheader("Never trained a network?")
        st.write("Begin before digits: points of two kinds in a plane, and a tiny network that learns a line "
                 "between them while you watch, in seconds. Then open Lessons, just below it in the "
                 "sidebar: the classic experiments on digits, one at a time.")
        if st.button(FIRST_STEP, type="primary", icon=":material/timeline:"):
            st.switch_page("app_pages/line.py")
    with known:
        st.subheader("Trained one before?")
        st.write("Go straight to digits: one click trains the classic first network (512 units, 5 epochs) and "
                 "opens Train, where its curves grow epoch by epoch. Change any setting there and train again.")
        train_classic()


def every_page() -> None:
    """A line for every page but this one, in the sidebar's sections and order."""
    st.subheader("Every page")
    sections = [(name, [p for p in entries if p.url_path]) for name, entries in SECTIONS.items()]
    sizes = [len(entries) for _, entries in sections]
    half = next(i + 1 for i in range(len(sizes)) if 2 * sum(sizes[:i + 1]) >= sum(sizes))  # two columns of a size
    for column, part in zip(st.columns(2, gap="large"), (sections[:half], sections[half:])):
        with column:
            for name, entries in part:
                st.markdown(f"**{name}**")
                for page in entries:
                    st.page_link(page.file, label=page.title, icon=page.icon)
                    st.caption(page.about)


def train_classic() -> None:
    classic = TrainConfig()  # the defaults are the classic first network, with 20% held back
    if st.button("Train the classic network", icon=":material/show_chart:",
                 help=f"{classic.describe()}, with {classic.validation_fraction:.0%} of the training images held "
                      "back for validation."):
        st.session_state.dataset = classic.dataset
        st.session_state.pending_config = classic.to_dict()
        fold()
        start_training(classic)
        st.switch_page("app_pages/train.py", query_params=classic.to_dict())


def run_rows(runs: list, add: bool = False) -> None:
    """One line per run: a link to it on Train, its epochs and status, and its results."""
    for run in runs:
        config = TrainConfig.from_dict({**run.config.key().to_dict(), "epochs": str(max(run.epochs_done, 1))})
        cols = st.columns([6, 2, 2, 2], vertical_alignment="center")  # the run's whole name fits
        cols[0].page_link("app_pages/train.py", label=config.describe(), query_params=config.to_dict())
        cols[1].write(f"{run.epochs_done} epoch{'s' if run.epochs_done != 1 else ''}, {status_text(run)}")
        cols[2].write(f"test accuracy {pct(run.test_accuracy)}")
        if add:
            if cols[3].button("Add to my runs", key=f"add_{hash(config.key())}"):
                remember(run)
                st.rerun()
        else:
            best = run.best_epoch
            cols[3].write(f"best epoch {best}" if best else "no validation set")


def status_text(run) -> str:
    if getattr(run, "elsewhere", False):
        return "training on another server"
    return run.status.replace("_", " ")


def main() -> None:
    st.title("MNIST Lab")
    st.write(
        "Train a small neural network to read handwritten digits (or pictures of clothes), "
        "watch it learn epoch by epoch, and see where it goes wrong."
    )
    first_steps()
    st.divider()
    every_page()
    st.divider()
    mine = list(session_runs().values())
    st.subheader("Your runs")
    if not mine:
        st.write("None yet. Each run you train is listed here with its results, and stays listed "
                 "when you reload or come back later in this browser.")
    else:
        run_rows(list(reversed(mine)))

    recent = others(10)
    if recent:
        st.subheader("Recent runs on this server")
        st.caption("Trained by others (or by you in another browser). Open one to look at it, or add it to your list.")
        run_rows(recent, add=True)


main()

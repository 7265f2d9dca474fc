"""Teach it your handwriting: the Handwriting page's part that fine-tunes a run on a set of drawings
(a learner's or a class's) and shows it before and after. The engine trains it like any run
(mnist_core.model.taught says what a taught run learns; mnist_core.analysis.taught reads it)."""

from __future__ import annotations

import streamlit as st

from app_pages.parts.links import link_number, link_params
from app_pages.parts.progress import job_button, queue_text
from app_pages.parts.runs import (
    default_run,
    find_run,
    run_store,
    select,
    session_full,
    start_training,
    warn_full,
)
from mnist_core.analysis.taught import compare, forgetting_sentence, held_sentence
from mnist_core.config import HELD_BACK, MIN_PER_CLASS, TEACH_FIELD, ConfigError, TrainConfig
from mnist_core.figures import pictures
from mnist_core.model.taught import TeachError, TeachSet, teach_config, teach_problems
from mnist_core.store import rundir
from mnist_core.store.taught import SHIPPED, TaughtSets

ABOUT = (f"Fine-tune this network on the drawings. It learns from {1 - HELD_BACK:.0%} of each class's "
         f"drawings, shown many times and changed a little each time, mixed with the dataset's own training "
         f"images so that it does not forget them (replay). The other {HELD_BACK:.0%} (at least one of "
         "each class) are held back: it never learns from them, so they score it honestly.")


@st.cache_resource
def taught_sets() -> TaughtSets:
    return TaughtSets(run_store().disk.root)


def base_name(run) -> str | None:
    """How a taught run names the run it starts from: "shipped", a stored run's name, or None (an
    uploaded model, which the workers cannot read)."""
    if run is default_run():
        return SHIPPED
    if getattr(run, "history", None) and run.config is not None:
        return rundir.run_name(run.config)
    return None


def base_label(teach) -> str:
    """The run a taught run started from, in words."""
    if teach.base == SHIPPED:
        return f"the default MNIST model (the classic network), epoch {teach.epoch}"
    base = run_store().disk.open(teach.base)
    return f"{base.config.describe() if base else 'a run no longer on this server'}, epoch {teach.epoch}"


def teach_settings(run, epoch: int, drawings) -> object | None:
    """The taught run's config from the page's settings, or None with the reason shown."""
    problems = teach_problems(drawings.dataset, drawings.labels, run.config.dataset if run.config else "")
    if problems:
        st.info(problems[0][0].upper() + problems[0][1:] + ".")
        return None
    base = base_name(run)
    if base is None:
        st.info("An uploaded model cannot be taught here: choose a run trained in the app, or the default model.")
        return None
    if base != SHIPPED and run_store().job(run.config) is not None:
        st.warning("This run is still training: teach it once it has finished.")
        return None
    left, right = st.columns(2)
    epochs_field, replay_field = TEACH_FIELD["teach_epochs"], TEACH_FIELD["replay"]
    epochs = left.slider(epochs_field.label, int(epochs_field.low), int(epochs_field.high), epochs_field.default,
                         key="teach_epochs", help=epochs_field.full_help)
    replay = right.slider(replay_field.label, replay_field.low, replay_field.high, replay_field.default,
                          step=replay_field.step, key="teach_replay", help=replay_field.full_help)
    if replay == 0:
        right.caption("No replay: it learns the drawings alone. Watch what happens to the test set.")
    try:
        return teach_config(run.config, base, epoch, TeachSet.of(drawings.dataset, drawings.images, drawings.labels),
                            epochs, replay)
    except ConfigError as exc:
        st.error(f"Cannot teach with these settings: {exc}.")
        return None


def start(config, drawings, run, epoch: int) -> None:
    """Keep the drawings where the workers read them, and ask for the taught run. The page stays on
    the run it started from (a new run would otherwise become the chosen one)."""
    if session_full(config):  # said here: a warning before a rerun would be gone at once
        warn_full(". Delete some on the Compare page to teach.")
        return
    try:
        taught_sets().keep(TeachSet.of(drawings.dataset, drawings.images, drawings.labels))
    except OSError as exc:
        st.error(f"The drawings cannot be kept for teaching ({exc.strerror or exc}); nothing was trained.")
        return
    select(run, epoch)
    st.session_state.teach_config = config
    start_training(config)
    st.rerun()


def teach_section(run, epoch: int, drawings, title: str) -> None:
    st.subheader(f"Teach it {title}")
    st.write(ABOUT)
    config = teach_settings(run, epoch, drawings)
    if config is not None:
        done = find_run(config)
        if done is not None and done.epochs_done >= config.epochs:
            st.session_state.teach_config = config
        elif st.button(f"Teach it {title}", type="primary", icon=":material/school:", key="teach_start",
                       help=f"At least {MIN_PER_CLASS} drawings of each class; "
                       "the same drawings and settings are taught once and then read back."):
            start(config, drawings, run, epoch)
    shown = st.session_state.get("teach_config")
    if shown is not None:
        taught_result(shown)


def taught_result(config) -> None:
    """The last taught run of this session: its progress while it trains, then before and after."""
    store = run_store()
    if store.job(config) is not None:
        teaching(config)
        return
    run = find_run(config, keep=True)
    if run is None or not run.epochs_done:
        failure = store.failure(config)
        if failure:
            st.error(failure)
        return
    if run.message:
        st.info(run.message)
    if run.epochs_done < config.epochs and run.can_continue and st.button(
            f"Continue to epoch {config.epochs}", key="teach_continue", icon=":material/play_arrow:"):
        start_training(config)
        st.rerun()
    try:
        drawings = taught_sets().load(config.teaching.drawings)
    except TeachError as exc:
        st.warning(f"Its drawings cannot be read: {exc}.")
        return
    before_after(run, run.epochs_done, drawings)


# A taught run's epochs take under a second: the page looks every second and draws a bar and a line
# (no charts, whose redrawing every poll would take the cores from the worker: bench/teach_browser.py).
@st.fragment(run_every=1.0)
def teaching(config) -> None:
    """The taught run's queue place or epoch, with Stop or Cancel, until it ends (then the page redraws)."""
    store = run_store()
    job = store.job(config)
    if job is None:
        st.rerun()
    job_button(job, key="teach_job")
    if job.queued:
        st.info(queue_text(job, store.engine.slots()))
        return
    run = job.run
    done = run.epochs_done if run is not None else 0
    st.progress(done / job.target, text=f"Teaching: epoch {done} of {job.target}"
                + (" (stopping after this epoch)" if job.stopping else ""))
    if run is not None and run.history:
        last = run.history[-1]
        st.caption(f"After epoch {done}: {last.val_accuracy:.0%} of the held-back drawings read right, "
                   f"{last.test_accuracy:.1%} of the test set.")
    else:
        st.caption("Reading the drawings and preparing the network...")


def before_after(run, epoch: int, drawings: TeachSet) -> None:
    """Held-back drawings and the test set, before and after, side by side; what changed."""
    found = compare(run, epoch, drawings)
    st.markdown(f"**Before and after teaching** ({epoch} epoch{'s' if epoch != 1 else ''})")
    st.caption(f"It started from {base_label(run.config.teaching)}.")
    a, b = st.columns(2)
    a.metric("Held-back drawings, after", f"{found.held_after:.0%}", f"{100 * (found.held_after - found.held_before):+.0f} points",
             help=f"Before: {found.held_before:.0%}. Drawings it never learned from.")
    b.metric("Test set, after", f"{found.test_after:.1%}", f"{-found.forgotten:+.1f} points",
             help=f"Before: {found.test_before:.1%}. The dataset's 10,000 test images.")
    st.write(held_sentence(found) + " " + forgetting_sentence(found))
    names = run.class_names
    for title, which in (("Wrong before, right after", found.fixed), ("Right before, wrong after", found.broken)):
        if len(which):
            index = found.held[which]
            captions = [f"{names[drawings.labels[i]]}: {names[b]}>{names[a]}"[:12]
                        for i, b, a in zip(index, found.before[which], found.after[which])]
            st.markdown(f"**{title}** (drawn: read before > after)")
            st.image(pictures.grid(drawings.images[index], captions, columns=10),
                     alt=pictures.grid_alt(title, captions))
    left, right = st.columns(2)
    if left.button("Use it on Draw and Evaluate", key="teach_use", icon=":material/check:"):
        select(run, epoch)
        st.toast("The taught run is now the one Draw, Evaluate and Inside show.")
    right.page_link("app_pages/train.py", label="Open its curves on Train", icon=":material/show_chart:",
                    query_params=link_params(run, epoch))


def taught_in_link() -> TrainConfig | None:
    """A taught run named by the link (the Handwriting page links to it): shown without the form,
    whose settings cannot describe what it was taught. None for any other link."""
    if "teach" not in st.query_params:
        return None
    params = {k: v for k, v in st.query_params.to_dict().items() if k != "epoch"}
    config, _notes = TrainConfig.from_link(params)
    if not config.teach or config.problems():
        st.warning("The link names a taught run this app cannot read; the form shows its other settings.")
        return None
    st.info(f"A taught run: {config.describe()}. It started from another run's weights and learned a set of "
            "drawings; the Handwriting page teaches and compares. Open Train from the sidebar for the form.")
    if st.session_state.get("taught_link") != config.teach:  # the link's epoch counts once
        st.session_state.taught_link = config.teach
        if link_number(st.query_params.get("epoch")) is not None:
            st.session_state.link_epoch = link_number(st.query_params.get("epoch"))
    return config

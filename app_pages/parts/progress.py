"""Training as it happens, for the Train page: the job's queue place or epoch, its numbers and
curves, polled in fragments; and this learner's other jobs, with Stop and Cancel."""

from __future__ import annotations

import streamlit as st

from app_pages.parts.curves import charts
from app_pages.parts.runs import run_store
from mnist_core.analysis.evaluate import pct
from mnist_core.config import TrainConfig
from mnist_core.engine.runstore import RunStore, queue_sentence


def job_button(job, key: str = "job_control") -> None:
    """Cancel while the job waits in the queue, Stop while it trains. Drawn inside a polling
    fragment, so the label follows the job's state within 2 s."""
    if st.button("Cancel" if job.queued else "Stop", key=key, disabled=job.stopping,
                 help="Leave the queue." if job.queued else "Stop after the current epoch; finished epochs are kept."):
        job.stop()
        st.rerun()


def my_jobs() -> list:
    """This session's jobs that are queued or training."""
    return [j for j in st.session_state.get("jobs", []) if not j.done]


# Poll the worker every 2 s: each poll costs the server ~30 ms and the browser a redraw
# of three charts, which at 1 s slowed training by a measured 30% on two cores
# (bench/app_speed.py); at 2 s the page stays within 10% of the command line.
@st.fragment(run_every=2.0)
def live_progress(config: TrainConfig) -> None:
    progress(config)


# Until the first epoch is in, there are no charts to redraw: a poll is a progress bar, so
# the page looks every 0.5 s and shows epoch 1 without the wait of a 2 s poll.
@st.fragment(run_every=0.5)
def first_epoch_progress(config: TrainConfig) -> None:
    job = run_store().job(config)
    if job is not None and job.run is not None and job.run.epochs_done:
        st.rerun()  # the first epoch is in: the charts, polled every 2 s
    progress(config)


def progress(config: TrainConfig) -> None:
    """The running job's state: its button, queue place or epoch, numbers and curves."""
    store = run_store()
    job = store.job(config)
    if job is None:  # finished: redraw the whole page with the results
        st.rerun()
    job_button(job)
    if job.queued:
        st.info(queue_text(job, store.engine.slots()))
        return
    run = job.run
    done = run.epochs_done if run else 0
    st.progress(done / job.target, text=f"Epoch {done} of {job.target}"
                + (" (stopping after this epoch)" if job.stopping else ""))
    if run is None or not run.history:
        st.write("Preparing the data and compiling the network...")
        return
    last = run.history[-1]
    a, b, c = st.columns(3)
    a.metric("Elapsed", f"{last.elapsed:.1f} s")
    b.metric("Images per second", f"{last.samples_per_second:,.0f}")
    c.metric("Validation accuracy" if last.val_accuracy is not None else "Training accuracy",
             pct(last.val_accuracy if last.val_accuracy is not None else last.accuracy))
    charts(config, run.history[:done], None, job.target, with_table=False)


def queue_text(job, at_once: int) -> str:
    """Where a queued job stands, counting this learner's own runs apart from everyone else's."""
    return queue_sentence(job, [j for j in my_jobs() if j is not job], at_once)


@st.fragment(run_every=2.0)
def my_other_jobs(config: TrainConfig) -> None:
    """Runs this learner started with other settings (other seeds, a sweep), still queued or
    training: shown until they end, with one button to stop them all. When one ends, the whole
    page is drawn again (its bands and numbers may include it)."""
    others = [j for j in my_jobs() if j.key != config.key()]
    if len(others) < st.session_state.get("_other_jobs", 0):
        st.session_state._other_jobs = len(others)
        st.rerun()
    st.session_state._other_jobs = len(others)
    for i, job in enumerate(others):
        run = job.run
        where = "waits in the queue" if job.queued else f"is training: epoch {run.epochs_done if run else 0} of {job.target}"
        a, b, c = st.columns([6, 2, 1], vertical_alignment="center")
        a.info(f"Your run {job.config.describe()}, {where}.")
        b.page_link("app_pages/train.py", label="Open it", icon=":material/show_chart:",
                    query_params={**job.config.to_dict(), "epochs": str(job.target)})
        with c:
            job_button(job, key=f"other_job_{i}")
    if len(others) > 1 and st.button(f"Stop all {len(others)}", key="stop_other_jobs",
                                     help="The waiting ones leave the queue; the training ones stop after their epoch."):
        RunStore.stop_all(others)
        st.rerun()

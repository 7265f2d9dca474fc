"""The server's run store and this learner's runs.

No training happens here: the engine's worker processes train (mnist_core.engine.runstore,
mnist_core.engine.cluster). A learner's list of runs is kept by the store (on disk, so a
reload or a restart finds it again).
"""

from __future__ import annotations

import streamlit as st

from app_pages.parts.learner import learner_id
from app_pages.parts.links import config_from_url
from mnist_core.config import TrainConfig
from mnist_core.engine.runstore import RunStore
from mnist_core.model.runs import DEFAULT_MODEL, load_run_file
from mnist_core.store import rundir

MAX_SESSION_RUNS = 20
TRAIN_NEW = ". Delete some on the Compare page to train new ones."


@st.cache_resource
def run_store() -> RunStore:
    """One store per server: runs shared by configuration, kept on disk unless MNIST_LAB_RUNS=off."""
    return RunStore(disk=rundir.from_environment())


@st.cache_resource(show_spinner=False)
def default_run():
    """The classic network, trained once with the command in the README and shipped (Draw and
    Inside offer it on a fresh server)."""
    return load_run_file(DEFAULT_MODEL, name="the default MNIST model (the classic network)")


def session_runs() -> dict:
    """This learner's runs by config key, oldest first.

    On a session's first call the list is read back from the store (a reload, a
    new tab or a restarted server loses nothing). Runs started here join it as
    soon as their first epoch is done, even if the learner has moved on to
    another configuration. Each run is the store's newest version of it.
    """
    store = run_store()
    if "runs" not in st.session_state:
        found = ((c.key(), store.get(c)) for c in store.learners.runs(learner_id()))
        st.session_state.runs = {key: run for key, run in found if run is not None}
        st.session_state.listed = list(st.session_state.runs)
    runs = st.session_state.runs
    jobs = st.session_state.setdefault("jobs", [])
    for job in list(jobs):
        if job.run is not None and job.run.epochs_done:
            runs[job.key] = job.run
        if job.done:
            jobs.remove(job)
    for key, run in runs.items():
        newer = store.get(key)
        if newer is not None and newer is not run and newer.epochs_done >= run.epochs_done:
            runs[key] = newer
    _keep_list(runs)
    return runs


def _keep_list(runs: dict) -> None:
    """Save the learner's list in the store when it changed."""
    if list(runs) != st.session_state.get("listed"):
        st.session_state.listed = list(runs)
        run_store().learners.set_runs(learner_id(), list(runs))


def room() -> int:
    """How many more runs the learner's list keeps (below zero when it holds too many)."""
    return MAX_SESSION_RUNS - len(session_runs())


def session_full(config: TrainConfig) -> bool:
    """True when the session already keeps MAX_SESSION_RUNS runs and this config is a new one."""
    return room() <= 0 and config.key() not in session_runs()


def warn_full(then: str = TRAIN_NEW) -> None:
    """Say that the learner's list is full, and `then` what to do."""
    st.warning(f"Your list keeps at most {MAX_SESSION_RUNS} runs and is full{then}")


def forget(key: TrainConfig) -> None:
    """Take a run off this learner's list (the server keeps it for others)."""
    runs = session_runs()
    run = runs.pop(key, None)
    _keep_list(runs)
    if run is not None and st.session_state.get("selected", (None,))[0] is run:
        del st.session_state["selected"]


def start_training(config: TrainConfig):
    """Ask the server to train `config` and remember the job for this session."""
    if session_full(config):
        warn_full()
        return None
    job = run_store().request(config, owner=learner_id())
    if job is not None:
        st.session_state.setdefault("jobs", []).append(job)
    return job


def remember(run) -> None:
    """Keep a run in this learner's list (unless the list is full)."""
    if not session_full(run.config):
        runs = session_runs()
        runs[run.config.key()] = run
        _keep_list(runs)


def find_run(config: TrainConfig, keep: bool = False):
    """The run for this config: the store's (memory, then disk), else the session's own copy
    (kept when the store evicted it), whichever has more epochs. With `keep`, a run the learner
    opened (a link, Train's settings) joins their list; a page that only reads the server's
    runs (a sweep's results) adds nothing to it."""
    mine, stored = session_runs().get(config.key()), run_store().get(config)
    run = stored if mine is None or (stored is not None and stored.epochs_done >= mine.epochs_done) else mine
    if keep and run is not None and run.epochs_done:
        remember(run)
    return run


def others(limit: int = 30) -> list:
    """Runs on this server (and any replica sharing its directory) not in this learner's list."""
    mine = session_runs()
    return [r for r in run_store().recent(limit + len(mine)) if r.config.key() not in mine][:limit]


def imported_runs() -> list:
    """Models this session uploaded (mnist_core.engine.transfer.ImportedRun)."""
    return st.session_state.setdefault("imported", [])


def selected():
    """(run, epoch) to look at: the session's choice, else the run named in the URL
    (so a reload or a shared link finds it), else the session's latest run."""
    runs = session_runs()
    choice = st.session_state.get("selected")
    if choice and any(choice[0] is r for r in [*runs.values(), *imported_runs(), default_run()]):
        run = choice[0]
        return run, min(choice[1], run.epochs_done)
    config, epoch = config_from_url()
    if config is not None:
        run = find_run(config, keep=True)  # opened from a link
        if run is not None and run.epochs_done:
            shown = min(config.epochs, run.epochs_done)
            epoch = epoch if epoch and 1 <= epoch <= shown else min(run.final_epoch, shown)
            return run, epoch
    finished = [r for r in runs.values() if r.epochs_done]
    if not finished:
        return None, None
    run = finished[-1]
    return run, run.final_epoch


def select(run, epoch: int) -> None:
    """Make (run, epoch) the one Evaluate and Draw show."""
    st.session_state.selected = (run, epoch)

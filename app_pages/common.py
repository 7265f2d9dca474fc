"""Helpers shared by the pages: the server's run store and this session's runs.

No training happens here: the store's worker threads train (mnist_core.jobs).
"""

from __future__ import annotations

import streamlit as st

from mnist_core.config import TrainConfig
from mnist_core.jobs import RunStore

MAX_SESSION_RUNS = 20


@st.cache_resource
def run_store() -> RunStore:
    """One store per server: finished runs are shared by configuration."""
    return RunStore()


def session_runs() -> dict:
    """This session's runs by config key, oldest first (they survive cache eviction).

    Runs started by this session join the list as soon as their first epoch is
    done, even if the learner has moved on to another configuration.
    """
    runs = st.session_state.setdefault("runs", {})
    jobs = st.session_state.setdefault("jobs", [])
    for job in list(jobs):
        if job.run is not None and job.run.epochs_done:
            runs[job.key] = job.run
        if job.done:
            jobs.remove(job)
    return runs


def session_full(config: TrainConfig) -> bool:
    """True when the session already keeps MAX_SESSION_RUNS runs and this config is a new one."""
    return len(session_runs()) >= MAX_SESSION_RUNS and config.key() not in session_runs()


def forget(key: TrainConfig) -> None:
    """Delete a run from this session (the server's cache may still hold it for others)."""
    run = session_runs().pop(key, None)
    if run is not None and st.session_state.get("selected", (None,))[0] is run:
        del st.session_state["selected"]


def start_training(config: TrainConfig, run=None):
    """Ask the server to train `config` and remember the job for this session."""
    if session_full(config):
        st.warning(f"This session keeps at most {MAX_SESSION_RUNS} runs and has reached that. "
                   "Delete some on the Compare page to train new ones.")
        return None
    job = run_store().request(config, run=run)
    if job is not None:
        st.session_state.setdefault("jobs", []).append(job)
    return job


def remember(run) -> None:
    """Keep a run in this session's list (unless the list is full)."""
    if not session_full(run.config):
        session_runs()[run.config.key()] = run


def find_run(config: TrainConfig):
    """The run for this config: the session's own copy first, then the server's cache."""
    run = session_runs().get(config.key()) or run_store().get(config)
    if run is not None and run.epochs_done:
        remember(run)
    return run


def config_from_url() -> tuple[TrainConfig | None, int | None]:
    """The run configuration and epoch in the page's query string, if it names a valid one."""
    params = st.query_params.to_dict()
    epoch = params.pop("epoch", None)
    if not params:
        return None, None
    config, _ = TrainConfig.from_link(params)
    if config.problems():
        return None, None
    try:
        epoch = int(epoch) if epoch is not None else None
    except ValueError:
        epoch = None
    return config, epoch


def selected():
    """(run, epoch) to look at: the session's choice, else the run named in the URL
    (so a reload or a shared link finds it), else the session's latest run."""
    runs = session_runs()
    choice = st.session_state.get("selected")
    if choice and any(choice[0] is r for r in list(runs.values()) + imported_runs()):
        run = choice[0]
        return run, min(choice[1], run.epochs_done)
    config, epoch = config_from_url()
    if config is not None:
        run = find_run(config)
        if run is not None and run.epochs_done:
            shown = min(config.epochs, run.epochs_done)
            epoch = epoch if epoch and 1 <= epoch <= shown else min(run.final_epoch, shown)
            return run, epoch
    finished = [r for r in runs.values() if r.epochs_done]
    if not finished:
        return None, None
    run = finished[-1]
    return run, run.final_epoch


def imported_runs() -> list:
    """Models this session uploaded (mnist_core.transfer.ImportedRun)."""
    return st.session_state.setdefault("imported", [])


def link_params(run, epoch: int) -> dict:
    """Query parameters that name a run (its config up to `epoch`) and an epoch; {} for a run
    that no link can name (an uploaded model)."""
    if run.config is None:
        return {}
    return {**run.config.key().to_dict(), "epochs": str(max(run.epochs_done, 1)), "epoch": str(epoch)}


def select(run, epoch: int) -> None:
    """Make (run, epoch) the one Evaluate and Draw show."""
    st.session_state.selected = (run, epoch)


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def share_link(params: dict) -> str:
    """The full address of this page with `params` as its query string."""
    from urllib.parse import urlencode, urlsplit, urlunsplit

    url = urlsplit(st.context.url or "http://localhost:8501/")
    return urlunsplit((url.scheme, url.netloc, url.path, urlencode(params), ""))

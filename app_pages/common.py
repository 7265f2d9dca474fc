"""Helpers shared by the pages: the server's run store and this learner's runs.

No training happens here: the engine's worker processes train (mnist_core.engine.runstore, mnist_core.engine.cluster).
A learner is a browser: a random id in a cookie names its list of runs, which
the store keeps (on disk, so a reload or a restart finds it again).
"""

from __future__ import annotations

import re
import secrets

import streamlit as st

from mnist_core.config import FIELD, TrainConfig
from mnist_core.engine.runstore import RunStore
from mnist_core.model.runs import DEFAULT_MODEL, load_run_file
from mnist_core.store import rundir

MAX_SESSION_RUNS = 20
COOKIE = "mnist_lab_learner"
COOKIE_DAYS = 365


@st.cache_resource
def run_store() -> RunStore:
    """One store per server: runs shared by configuration, kept on disk unless MNIST_LAB_RUNS=off."""
    return RunStore(disk=rundir.from_environment())


@st.cache_resource(show_spinner=False)
def default_run():
    """The classic network, trained once with the command in the README and shipped (Draw and
    Inside offer it on a fresh server)."""
    return load_run_file(DEFAULT_MODEL, name="the default MNIST model (the classic network)")


def learner_id() -> str:
    """This browser's id: from its cookie, or a new one that a cookie will keep (no login).

    Called by the entry script on every page run, so the cookie is set on whichever page
    a learner opens first. Only 32 hex digits are accepted from a cookie.
    """
    if "learner" not in st.session_state:
        cookie = st.context.cookies.get(COOKIE)
        if isinstance(cookie, str) and re.fullmatch(r"[0-9a-f]{32}", cookie):
            st.session_state.learner = cookie
        else:
            st.session_state.learner = secrets.token_hex(16)
            st.session_state.set_cookie = True
    if st.session_state.pop("set_cookie", False):
        # In the sidebar: an element of the first run only, in the main area, would move every
        # element after it on the next run, and the drawing canvas would start again blank.
        st.sidebar.html(f"<script>document.cookie = '{COOKIE}={st.session_state.learner}; "
                f"max-age={COOKIE_DAYS * 86400}; path=/; SameSite=Lax';</script>",
                unsafe_allow_javascript=True)
    return st.session_state.learner


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


def session_full(config: TrainConfig) -> bool:
    """True when the session already keeps MAX_SESSION_RUNS runs and this config is a new one."""
    return len(session_runs()) >= MAX_SESSION_RUNS and config.key() not in session_runs()


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
        st.warning(f"Your list keeps at most {MAX_SESSION_RUNS} runs and is full. "
                   "Delete some on the Compare page to train new ones.")
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


def find_run(config: TrainConfig):
    """The run for this config: the store's (memory, then disk), else the session's own copy
    (kept when the store evicted it), whichever has more epochs."""
    mine, stored = session_runs().get(config.key()), run_store().get(config)
    run = stored if mine is None or (stored is not None and stored.epochs_done >= mine.epochs_done) else mine
    if run is not None and run.epochs_done:
        remember(run)
    return run


def others(limit: int = 30) -> list:
    """Runs on this server (and any replica sharing its directory) not in this learner's list."""
    mine = session_runs()
    return [r for r in run_store().recent(limit + len(mine)) if r.config.key() not in mine][:limit]


def link_number(raw) -> int | None:
    """A whole number from a link: up to 6 digits, else None (Python refuses to read a number of
    more than 4,300 digits, and no epoch, image or step here has more than 6)."""
    return int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) <= 6 else None


def config_from_url() -> tuple[TrainConfig | None, int | None]:
    """The run configuration and epoch in the page's query string, if it names a valid one."""
    params = st.query_params.to_dict()
    epoch = params.pop("epoch", None)
    if not any(name in FIELD for name in params):  # e.g. only Inside's image: no run is named
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
    """Models this session uploaded (mnist_core.engine.transfer.ImportedRun)."""
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


def markdown_table(rows: list[dict], align: dict | None = None) -> str:
    """Rows as a Markdown table for st.markdown. A small static table drawn this way needs no
    pandas in the server nor the data grid's code in the browser (st.table and st.dataframe
    need both, a second on a fresh server's first page)."""
    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    heads = list(rows[0]) if rows else []
    marks = {"left": ":--", "right": "--:"}
    lines = ["| " + " | ".join(heads) + " |",
             "| " + " | ".join(marks.get((align or {}).get(h, "left"), ":--") for h in heads) + " |"]
    lines += ["| " + " | ".join(cell(row[h]) for h in heads) + " |" for row in rows]
    return "\n".join(lines)


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def share_link(params: dict) -> str:
    """The full address of this page with `params` as its query string."""
    from urllib.parse import urlencode, urlsplit, urlunsplit

    url = urlsplit(st.context.url or "http://localhost:8501/")
    return urlunsplit((url.scheme, url.netloc, url.path, urlencode(params), ""))


def choose_model(page: str):
    """(run, epoch) for a page that reads drawings (Draw, Handwriting): the run chosen on Train or
    Evaluate by default, or any other offered (the shipped default, this session's, uploaded)."""
    runs = [r for r in session_runs().values() if r.epochs_done and r.status != "diverged"]
    chosen, chosen_epoch = selected()
    options = [default_run()] + runs + imported_runs()
    start = next((i for i, r in enumerate(options) if r is chosen), 0)
    index = st.selectbox("Model", range(len(options)), index=start,
                         format_func=lambda i: f"Your run: {options[i].label}" if options[i] in runs
                         else options[i].label[:1].upper() + options[i].label[1:],
                         help="The run and epoch chosen on Train are used by default.")
    run = options[index]
    epoch = chosen_epoch if run is chosen else run.final_epoch
    if run.epochs_done > 1:
        epoch = st.slider("After epoch", 1, run.epochs_done, epoch, key=f"{page}_epoch_{index}",
                          help="Use the weights the network had after this epoch.")
    which = f"your run {run.label}" if run in runs else run.label
    after = f", with its weights after epoch {epoch} of {run.epochs_done}" if run.epochs_done else ""
    st.caption(f"Using {which}{after}; its classes are those of {run.dataset.title}.")
    if run.dataset.name == "fashion_mnist":
        st.info("This model learnt clothes: draw one of its ten classes (" + ", ".join(run.class_names)
                + "), filled in, as large as the canvas.")
    return run, epoch

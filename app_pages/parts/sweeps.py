"""Compare's sweep section: one setting at several values, each with the same seeds.

Not a page of its own (the navigation does not list it): Compare calls `sweep_section`.
The sweep is described by its widgets, kept in the page's link, so a reload or a shared
link shows the same sweep; its results are read from whatever runs of it exist, so
they fill in as the queue trains them. The rules live in mnist_core.analysis.experiments.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from app_pages.parts import runs as my_runs
from app_pages.parts.form import FORM
from app_pages.parts.runs import default_run, find_run, run_store, session_runs, start_training
from mnist_core.analysis import experiments
from mnist_core.config import FIELD, ConfigError, TrainConfig
from mnist_core.engine.runstore import RunStore
from mnist_core.figures import charts as figures
from mnist_core.model.runs import best_epoch

LINK_KEYS = ("sweep", "values", "seeds")


def _from_link() -> None:
    """On a first visit, a link's sweep fills the widgets (a bad one is noted, not fatal)."""
    if "sweep_setting" in st.session_state or "sweep" not in st.query_params:
        return
    params = st.query_params.to_dict()
    setting, values = params.get("sweep", ""), params.get("values", "")[:200]
    base, notes = TrainConfig.from_link({k: v for k, v in params.items() if k not in LINK_KEYS})
    if setting not in experiments.SWEEPABLE:
        st.info(f"The link's sweep setting {setting[:40]!r} is not one a sweep can vary.")
        return
    seeds = params.get("seeds", "1")
    st.session_state.sweep_link_base = base
    st.session_state.sweep_setting = setting
    st.session_state[f"sweep_values_{setting}"] = values
    st.session_state.sweep_seeds = int(seeds) if seeds in {str(n) for n in range(1, experiments.SEEDS[1] + 1)} else 1
    if notes:
        st.info("Some settings in the link were changed or not used: " + "; ".join(notes))


def _bases() -> list[tuple[str, TrainConfig]]:
    """What a sweep can start from: the link's settings, the Train page's, each run in the list
    (with the epochs it has)."""
    found: dict[TrainConfig, tuple[str, TrainConfig]] = {}
    form = st.session_state.get(FORM)
    named = [("the settings in the link", st.session_state.get("sweep_link_base")),
             ("the settings on Train", TrainConfig.from_dict(form) if form else TrainConfig())]
    named += [(f"run {n}", replace(r.config, epochs=r.epochs_done))
              for n, r in enumerate((r for r in session_runs().values() if r.epochs_done), 1)]
    for who, config in named:
        if config is not None:
            found.setdefault(config.key(), (f"{who}: {config.describe()}", config))
    return list(found.values())


def _choose() -> experiments.Sweep | None:
    """The widgets; the sweep they describe, or None with every problem said."""
    bases = _bases()
    pick = st.selectbox("Start from", range(len(bases)), format_func=lambda i: bases[i][0], key="sweep_base")
    base = bases[min(pick, len(bases) - 1)][1]
    a, b, c = st.columns([2, 3, 2])
    setting = a.selectbox("Setting", experiments.SWEEPABLE, key="sweep_setting",
                          format_func=lambda name: FIELD[name].label + (" (every layer)" if name in ("hidden", "dropout")
                                                                        else ""))
    st.session_state.setdefault(f"sweep_values_{setting}", experiments.SUGGESTED[setting])
    values = b.text_input(f"Values ({experiments.VALUES[0]} to {experiments.VALUES[1]}, comma-separated)",
                          key=f"sweep_values_{setting}", help=FIELD[setting].full_help)
    seeds = c.select_slider("Seeds per value", list(range(1, experiments.SEEDS[1] + 1)), key="sweep_seeds",
                            help="With two or more, each value's spread shows what chance alone does.")
    try:
        sweep = experiments.make_sweep(base, setting, values, seeds)
    except ConfigError as exc:
        for problem in exc.problems:
            st.error(problem)
        return None
    st.query_params.from_dict(sweep.link())  # a reload or a copied link keeps this sweep
    return sweep


def _duration(seconds: float) -> str:
    return f"about {seconds:.0f} s" if seconds < 90 else f"about {seconds / 60:.0f} min"


def _trained(sweep: experiments.Sweep) -> dict:
    """The sweep's runs that have their epochs (or ended early), by config: read once a rerun."""
    found = {c: find_run(c) for c in sweep.configs()}
    return {c: run for c, run in found.items() if run is not None and experiments.finished(run, c.epochs)}


def _plan(sweep: experiments.Sweep, trained: dict) -> None:
    """How many runs, how long, and the button that queues them."""
    configs = sweep.configs()
    store = run_store()
    untrained = [c for c in configs if c not in trained]
    todo = [c for c in untrained if store.job(c) is None]  # what Start would queue
    measured = [r for r in store.recent() if r.config is not None] + [default_run()]
    seconds = experiments.estimate_seconds(untrained, measured)
    once = (" An epochs sweep trains each seed once, to the most epochs, and reads the other values from "
            "its stored epochs.") if sweep.setting == "epochs" else ""
    st.write(f"This sweep has {len(configs)} run{'s' if len(configs) != 1 else ''} in all, "
             f"{len(untrained)} still to train" + (f": {_duration(seconds)} of training on this server, one "
                                                  "after another, plus any wait in the queue."
                                                  if untrained and seconds else ".")
             + once)
    new_to_list = [c for c in configs if c.key() not in session_runs()]
    room = my_runs.room()
    why = ("Every run of this sweep is trained or training." if not todo else
           f"Your list keeps at most {my_runs.MAX_SESSION_RUNS} runs and has room for {max(room, 0)}: this sweep "
           f"adds {len(new_to_list)}. Delete some above, or use fewer values or seeds."
           if len(new_to_list) > room else None)
    if why and todo:
        st.warning(why)
    if st.button(f"Start the sweep ({len(todo)} run{'s' if len(todo) != 1 else ''})", type="primary",
                 disabled=why is not None, help=why or "The runs queue like any training; results fill in below."):
        for config in todo:
            start_training(config)
        for config in configs:  # started by this learner: its runs the server had join the list too
            find_run(config, keep=True)
        st.rerun()


@st.fragment(run_every=2.0)
def _progress(sweep: experiments.Sweep) -> None:
    """While runs of the sweep are queued or training: how many are done, and one button that
    cancels the rest. When one finishes, the page is drawn again with its results."""
    configs = sweep.configs()
    jobs = [job for c in configs if (job := run_store().job(c)) is not None]
    if len(jobs) < st.session_state.get("_sweep_jobs", len(jobs)) or not jobs:
        st.session_state._sweep_jobs = len(jobs)
        st.rerun()
    st.session_state._sweep_jobs = len(jobs)
    training = [j for j in jobs if not j.queued]
    st.progress(1 - len(jobs) / len(configs), text=f"{len(configs) - len(jobs)} of {len(configs)} runs trained; "
                f"{len(training)} training, {len(jobs) - len(training)} waiting in the queue")
    if st.button("Cancel the sweep", help="The waiting runs leave the queue; a training one stops after its "
                                          "epoch (its finished epochs are kept)."):
        RunStore.stop_all(jobs)
        st.session_state._sweep_jobs = 0
        st.rerun()


def _table(rows: list[experiments.Row]) -> list[dict]:
    def shown(values):
        return "-" if values is None else values.text()

    return [{"value": r.text, "best validation accuracy": shown(r.best_val), "test accuracy": shown(r.test),
             "best epoch": "-" if r.best_epoch is None else r.best_epoch.count_text(),
             "runs": f"{len(r.runs)} of {len(r.runs) + r.waiting}", "diverged": r.diverged,
             "seconds": round(r.seconds, 1)} for r in rows]


def _results(sweep: experiments.Sweep, trained: dict) -> None:
    rows = experiments.sweep_rows(sweep, trained.get)
    if sum(1 for r in rows if r.runs) < 2:  # nothing to compare yet (one value may be a run of yours)
        return
    sentence = experiments.sweep_sentence(sweep, rows)
    if sentence:
        st.markdown(f"**{sentence}**")
    st.plotly_chart(figures.sweep_figure(rows, sweep.name), key="sweep_chart")
    st.caption("Each point is the mean of a value's seeds; with two or more seeds, the band spans the lowest "
               "to the highest. "
               "Test accuracy is read at each run's best epoch (lowest validation loss).")
    st.dataframe(_table(rows), hide_index=True,
                 column_config={"seconds": st.column_config.NumberColumn(format="%.1f")})
    metric = "val_accuracy" if sweep.base.validation != "none" else "accuracy"
    curves = [(f"{sweep.name} {r.text}", [e.as_dict() for e in r.runs[0].history[:_upto(sweep, r)]],
               best_epoch(r.runs[0].history, _upto(sweep, r)))
              for r in rows if r.runs and r.runs[0].history]
    if len(curves) > 1:
        title = "Validation accuracy" if metric == "val_accuracy" else "Training accuracy"
        st.plotly_chart(figures.overlay_figure(curves, metric, f"{title}, first seed of each value"),
                        key="sweep_curves")


def _upto(sweep: experiments.Sweep, row: experiments.Row) -> int:
    return row.value if sweep.setting == "epochs" else sweep.config_for(row.value).epochs


def sweep_section() -> None:
    st.subheader("Sweep one setting")
    st.write("Train the same network at several values of one setting, each with the same seeds, "
             "and see which value does best, and whether by more than chance.")
    _from_link()
    sweep = _choose()
    if sweep is None:
        return
    trained = _trained(sweep)
    _plan(sweep, trained)
    if any(run_store().job(c) is not None for c in sweep.configs()):
        _progress(sweep)
    _results(sweep, trained)

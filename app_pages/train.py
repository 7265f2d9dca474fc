"""Train: set up a network, train it on the server, and scrub through its epochs.

The page's shape, top to bottom (see `main` at the end):
settings form -> the network before training -> Train/Continue/Stop -> live progress
while a job runs -> the results of the run: numbers and curves at a chosen epoch,
share and download.
"""


import streamlit as st

from app_pages.parts.code_view import code_view
from app_pages.parts.curves import charts
from app_pages.parts.form import chosen, fold, read_settings
from app_pages.parts.links import link_params, share_link
from app_pages.parts.progress import first_epoch_progress, live_progress, my_jobs, my_other_jobs
from app_pages.parts.runs import (
    find_run,
    remember,
    room,
    run_store,
    select,
    session_full,
    session_runs,
    start_training,
    warn_full,
)
from app_pages.parts.teach import taught_in_link
from mnist_core.analysis import experiments
from mnist_core.analysis.evaluate import pct
from mnist_core.config import FIELD, TrainConfig
from mnist_core.engine.cluster import EngineError
from mnist_core.engine.transfer import history_csv, history_json
from mnist_core.model.runs import best_epoch


@st.cache_data(max_entries=64, show_spinner="Checking the untrained network...")
def untrained_accuracy(config: TrainConfig) -> float:
    """Measured on a worker: building the network needs Keras, which this process never imports."""
    return run_store().keras.untrained_accuracy(config)


def network_preview(config: TrainConfig) -> None:
    """The layers, the parameter count and the untrained network's accuracy. That one is
    measured on a worker (it needs Keras) only while the expander is open."""
    with st.expander("The network before training", key="preview_open", on_change="rerun") as box:
        st.dataframe(config.layer_rows(), hide_index=True,
                     column_config={"parameters": st.column_config.NumberColumn(format="localized")})
        a, b, c = st.columns(3)
        a.metric("Trainable parameters", f"{config.param_count:,}",
                 help="Every weight and bias that training adjusts.")
        b.metric("Gradient updates per epoch", f"{config.updates_per_epoch:,}",
                 help=f"ceil({config.fit_size():,} training images / batch {config.batch_size})")
        if box.open:
            try:
                c.metric("Untrained test accuracy", pct(untrained_accuracy(config.key())),
                         help="Random weights guess: about 1 in 10 is right by chance.")
            except EngineError as exc:
                c.caption(str(exc))


def controls(config: TrainConfig, run, job) -> None:
    """Train, Continue or Trained (while a job runs, live_progress draws Stop or Cancel)."""
    if job is not None:
        return
    done = run.epochs_done if run else 0
    label, disabled, why = "Train", False, None
    if run is not None and run.status == "diverged":
        disabled, why = True, "This run diverged and cannot go on: change a setting (a smaller learning rate) first."
    elif done >= config.epochs:
        label, disabled, why = "Trained", True, "Every epoch asked for is trained: raise Epochs to continue."
    elif done:
        label = f"Continue to {config.epochs} epochs"
    if session_full(config):
        warn_full()
        disabled, why = True, "Your list of runs is full."
    if st.button(label, type="primary", disabled=disabled, help=why):
        start_training(config)
        fold()
        st.rerun()
    if done and config.key() not in session_runs() and st.button(
            "Add to your runs", help="Trained on this server already: keep it in your list (Evaluate, Draw, "
                                     "Compare and Home offer your runs)."):
        remember(run)
        st.rerun()


def seeds_section(config: TrainConfig, family: list, epoch: int) -> None:
    """The spread of the same settings over seeds at `epoch`, and a button to train more seeds."""
    at = [r.history[epoch - 1] for r in family if len(r.history) >= epoch]
    if len(at) > 1:
        m = st.columns(3)
        for column, (title, values) in zip(m, (
                ("Test accuracy", experiments.spread([e.test_accuracy for e in at])),
                ("Validation accuracy", experiments.spread([e.val_accuracy for e in at])),
                ("Training accuracy", experiments.spread([e.accuracy for e in at])))):
            if values is not None:
                column.metric(f"{title}, {len(values.values)} seeds", values.text(),
                              help=f"The mean of {len(values.values)} runs at epoch {epoch} ± half their range: "
                                   f"lowest {values.low:.1%}, highest {values.high:.1%}.")
        st.caption(experiments.seed_sentence(family))
    trained = {r.config.seed for r in family}
    seeds = st.select_slider("Seeds in all", list(range(experiments.SEEDS[0], experiments.SEEDS[1] + 1)),
                             value=min(max(3, len(family)), experiments.SEEDS[1]), key="repeat_seeds",
                             help="This seed and the next ones. A seed fixes the random start and the "
                                  "shuffling and nothing else, so runs that differ only in it show the noise.")
    wanted = experiments.seed_configs(config, seeds)
    store = run_store()
    new = [c for c in wanted if c.seed not in trained and store.job(c) is None]
    left = room()
    why = ("Every one of these seeds is trained or training." if not new else
           f"Your list has room for {max(left, 0)} more runs: delete some on Compare first." if len(new) > left else None)
    if st.button(f"Repeat with other seeds ({len(new)} new run{'s' if len(new) != 1 else ''})",
                 disabled=why is not None, help=why or "They queue like any training; the bands fill in as they finish."):
        for repeat in new:
            found = find_run(repeat, keep=True)  # trained here already (by another learner): listed, not retrained
            if found is None or found.epochs_done < repeat.epochs:
                start_training(repeat)
        st.rerun()


def status_message(config: TrainConfig, run) -> None:
    if run.status == "diverged":
        st.error(run.message)
    elif run.status == "stopped" and run.epochs_done < config.epochs:
        st.warning(run.message + " Press Continue to train the remaining epochs.")
    elif run.status == "early_stopped" and run.epochs_done < config.epochs:
        st.info(run.message)


def pick_epoch(config: TrainConfig, run, shown: int) -> int:
    """The "Look at epoch" slider: at a shared link's epoch, else the best one with keep-best, else
    the last one shown. The learner's choice is kept when Epochs changes the slider's range."""
    chosen = f"chosen_epoch_{hash(config.key())}"
    if "link_epoch" in st.session_state:  # a link's epoch= counts once, on the first visit
        st.session_state[chosen] = st.session_state.pop("link_epoch")
    best = best_epoch(run.history[:shown])
    epoch = max(1, min(st.session_state.get(chosen, best if (config.keep_best and best) else shown), shown))
    if shown == 1:
        return 1
    # Streamlit resets a slider whose range changed, so each range gets a slider of its own,
    # set from the remembered choice.
    key = f"epoch_{hash(config.key())}_{shown}"
    st.session_state[key] = epoch
    return st.slider("Look at epoch", 1, shown, key=key,
                     on_change=lambda: st.session_state.update({chosen: st.session_state[key]}),
                     help="Move back through training: the charts, numbers and the model follow.")


def results(config: TrainConfig, run) -> None:
    """A finished (or stopped) run: numbers and curves at the chosen epoch, links, downloads."""
    status_message(config, run)
    shown = min(config.epochs, run.epochs_done)
    if not shown:
        return
    if chosen(config):
        remember(run)
    history = run.history[:shown]
    epoch = pick_epoch(config, run, shown)
    r = run.result_at(epoch)
    m = st.columns(4)
    m[0].metric("Training accuracy", pct(r.accuracy))
    m[1].metric("Validation accuracy", pct(r.val_accuracy))
    m[2].metric("Test accuracy", pct(r.test_accuracy))
    m[3].metric("Training loss", f"{r.loss:.4f}")
    best = best_epoch(history)
    if best is not None:
        st.caption(f"Lowest validation loss at epoch {best}."
                   + (" With keep-best on, the run hands out that epoch." if config.keep_best else ""))
    if st.button(f"Use epoch {epoch} on the other pages"):
        select(run, epoch)
        st.toast(f"Evaluate now uses epoch {epoch} of this run.")
    family = experiments.repeats(run, list(session_runs().values()))
    charts(config, history, epoch, shown, family=family)
    with st.expander("Is a difference real? Repeat with other seeds", expanded=len(family) > 1):
        seeds_section(config, family, epoch)
    st.caption(experiments.time_sentence(history))
    st.query_params["epoch"] = str(epoch)
    st.page_link("app_pages/evaluate.py", label=f"See what epoch {epoch} gets wrong on Evaluate",
                 icon=":material/search:", query_params=link_params(run, epoch))
    share_and_download(config, run, epoch, history)


def share_and_download(config: TrainConfig, run, epoch: int, history: list) -> None:
    with st.expander("Share and download"):
        st.text_input("Link to this setup and epoch", share_link({**config.to_dict(), "epoch": epoch}),
                      help="Anyone who opens it gets this form filled in; the run shows at once "
                           "while the server still has it, otherwise one click trains it.")
        stem = f"mnist-lab-{config.dataset}-{'-'.join(map(str, config.hidden))}-seed{config.seed}"
        d1, d2, d3 = st.columns(3)
        d1.download_button(f"Model at epoch {epoch} (.keras)", lambda: run_store().keras.export(run, epoch),
                           file_name=f"{stem}-epoch{epoch}.keras", mime="application/zip")
        d2.download_button("History (.csv)", history_csv([r.as_dict() for r in history]), file_name=f"{stem}.csv", mime="text/csv")
        d3.download_button("History and settings (.json)", history_json(run),
                           file_name=f"{stem}.json", mime="application/json")


def main() -> None:
    st.title("Train")
    dataset = FIELD["dataset"].title(st.session_state.get("dataset", FIELD["dataset"].default))
    st.write(f"Set up a network, train it on **{dataset}**, and watch it learn one epoch at a time. "
             "The dataset is chosen in the sidebar.")
    config = taught_in_link()
    if config is None:
        config = read_settings(trained=lambda c: bool(getattr(find_run(c), "epochs_done", 0)))
    problems = config.problems()
    for problem in problems:
        st.error(problem)
    if config.validation == "test":
        st.caption("Validating on the test set means the epochs are picked by looking at the test score, "
                   "so that score ends up a little optimistic. Holding back part of the training images "
                   "keeps the test set for the final check.")
    if config.augment != "off":
        st.caption("Augmented: every batch shows the network changed copies of its images, so the training "
                   "accuracy is measured on copies harder than the images themselves and can sit below the "
                   "validation accuracy. The Handwriting page shows what it is for.")
    if problems:
        st.button("Train", type="primary", disabled=True, help="Fix the settings named in red above first.")
        return
    if any(j.key != config.key() for j in my_jobs()):
        my_other_jobs(config)
    network_preview(config)
    store = run_store()
    run, job = find_run(config, keep=chosen(config)), store.job(config)
    controls(config, run, job)
    if job is None and (store.failure(config) or store.engine.error):
        st.error(f"Training could not run: {store.failure(config) or store.engine.error}")
    for problem in store.engine.warnings:  # a worker that joined later and cannot train
        st.warning(problem)
    if job is not None:
        if job.run is not None and job.run.epochs_done:
            live_progress(config)
        else:
            first_epoch_progress(config)
    elif run is not None:
        results(config, run)
    else:
        st.write("Press **Train** to start. Each epoch's loss and accuracy appear here as it finishes.")
    if not config.teach:  # the script trains from scratch; a taught run starts from another's weights
        code_view(config, "train")


main()

"""Train: set up a network, train it on the server, and scrub through its epochs."""

import streamlit as st

from app_pages.common import (
    MAX_SESSION_RUNS,
    find_run,
    link_params,
    pct,
    remember,
    run_store,
    select,
    session_full,
    share_link,
    start_training,
)
from mnist_core import compare, figures
from mnist_core.config import (
    ACTIVATIONS,
    FIELD_HELP,
    LOSS_TITLES,
    LOSSES,
    MAX_EPOCHS,
    OPTIMIZER_TITLES,
    OPTIMIZERS,
    TRAIN_SIZE,
    TrainConfig,
)
from mnist_core.transfer import export_keras, history_csv, history_json

st.title("Train")
st.write("Set up a network, train it, and watch it learn one epoch at a time.")

# --- the form's starting values: a shared link, the Home button, or defaults --

FORM = "form_config"


def load_form(values: dict) -> list[str]:
    """Put a config (as a dict of strings) into the widgets; return notes on what was ignored."""
    values = {k: v for k, v in values.items() if k != "dataset"}
    config, notes = TrainConfig.from_dict_lenient(values)
    s = st.session_state
    s.f_layers = min(max(len(config.hidden), 1), 4)
    for i, (units, rate) in enumerate(zip(config.hidden[:4], config.dropout[:4])):
        s[f"f_units_{i}"] = min(max(units, 1), 1024)
        s[f"f_dropout_{i}"] = min(max(rate, 0.0), 0.8)
    s.f_activation = config.activation if config.activation in ACTIVATIONS else "relu"
    s.f_optimizer = config.optimizer if config.optimizer in OPTIMIZERS else "rmsprop"
    s.f_lr = min(max(config.learning_rate, 1e-5), 100.0)
    s.f_loss = config.loss if config.loss in LOSSES else LOSSES[0]
    s.f_epochs = min(max(config.epochs, 1), MAX_EPOCHS)
    s.f_batch = min(max(config.batch_size, 1), TRAIN_SIZE)
    kind = config.validation.split(":")[0]
    s.f_val = kind if kind in ("split", "test", "none") else "none"
    s.f_val_frac = min(max(config.validation_fraction or 0.2, 0.05), 0.5)
    s.f_normalize = config.normalize
    s.f_samples = min(max(config.train_samples or TRAIN_SIZE, 100), TRAIN_SIZE)
    s.f_seed = min(max(config.seed, 0), 2**31 - 1)
    s.f_patience = min(max(config.early_stopping, 0), MAX_EPOCHS)
    s.f_keep_best = config.keep_best
    return notes


# Streamlit forgets a widget's value when another page is shown, so the form is
# refilled from the last config this session used (or a link, on a first visit).
pending = st.session_state.pop("pending_config", None)
if pending or "f_layers" not in st.session_state:
    first_visit = FORM not in st.session_state
    source = pending or (st.query_params.to_dict() if first_visit else st.session_state[FORM])
    notes = load_form({k: v for k, v in source.items() if k != "epoch"})
    if notes and first_visit:
        st.info("Some settings in the link were not used: " + "; ".join(notes))

# --- the form ----------------------------------------------------------------

with st.expander("Network and training settings", expanded=True):
    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown("**Network**")
        layers = st.number_input("Hidden layers", 1, 4, key="f_layers",
                                 help="How many Dense layers sit between the 784 inputs and the 10 outputs.")
        hidden, dropout = [], []
        for i in range(layers):
            a, b = st.columns(2)
            st.session_state.setdefault(f"f_units_{i}", 512)
            st.session_state.setdefault(f"f_dropout_{i}", 0.0)
            hidden.append(a.number_input(f"Layer {i + 1} units", 1, 1024, step=32,
                                         key=f"f_units_{i}", help=FIELD_HELP["hidden"]))
            dropout.append(b.slider(f"Layer {i + 1} dropout", 0.0, 0.8, step=0.05,
                                    key=f"f_dropout_{i}", help=FIELD_HELP["dropout"]))
        activation = st.selectbox("Activation", ACTIVATIONS, key="f_activation", help=FIELD_HELP["activation"])
    with c2:
        st.markdown("**Learning**")
        optimizer = st.selectbox("Optimizer", OPTIMIZERS, key="f_optimizer",
                                 format_func=OPTIMIZER_TITLES.get, help=FIELD_HELP["optimizer"])
        lr = st.number_input("Learning rate", 0.00001, 100.0, step=0.0005, format="%.5f",
                             key="f_lr", help=FIELD_HELP["learning_rate"])
        loss = st.selectbox("Loss", LOSSES, key="f_loss", format_func=LOSS_TITLES.get, help=FIELD_HELP["loss"])
        epochs = st.slider("Epochs", 1, MAX_EPOCHS, key="f_epochs", help=FIELD_HELP["epochs"])
        batch = st.number_input("Batch size", 1, TRAIN_SIZE, key="f_batch", help=FIELD_HELP["batch_size"])
    with c3:
        st.markdown("**Data**")
        samples = st.number_input("Training images", 100, TRAIN_SIZE, step=1000, key="f_samples",
                                  help=FIELD_HELP["train_samples"])
        val = st.selectbox("Validation", ["split", "test", "none"], key="f_val",
                           format_func={"split": "hold back part of the training images",
                                        "test": "use the test set", "none": "none"}.get,
                           help=FIELD_HELP["validation"])
        frac = st.slider("Held back", 0.05, 0.5, step=0.05, key="f_val_frac", disabled=val != "split",
                         help="The fraction of the training images kept for validation.")
        normalize = st.toggle("Scale pixels to 0-1", key="f_normalize", help=FIELD_HELP["normalize"])
        seed = st.number_input("Seed", 0, 2**31 - 1, key="f_seed", help=FIELD_HELP["seed"])
        patience = st.number_input("Early stopping patience", 0, MAX_EPOCHS, key="f_patience",
                                   help=FIELD_HELP["early_stopping"])
        keep_best = st.toggle("Keep the best epoch", key="f_keep_best", help=FIELD_HELP["keep_best"])

config = TrainConfig(
    dataset=st.session_state.get("dataset", "mnist"), hidden=tuple(hidden), dropout=tuple(dropout),
    activation=activation, optimizer=optimizer, learning_rate=lr, loss=loss, epochs=epochs,
    batch_size=batch, validation=f"split:{frac:g}" if val == "split" else val, normalize=normalize,
    train_samples=None if samples >= TRAIN_SIZE else samples, seed=seed, early_stopping=patience,
    keep_best=keep_best,
)
st.session_state[FORM] = config.to_dict()
problems = config.problems()
for p in problems:
    st.error(p)
st.query_params.from_dict(config.to_dict())  # a reload or a copied link keeps this setup

if config.validation == "test":
    st.caption("Validating on the test set means the epochs are picked by looking at the test score, "
               "so that score ends up a little optimistic. Holding back part of the training images "
               "keeps the test set for the final check.")


@st.cache_data(max_entries=64, show_spinner="Checking the untrained network...")
def untrained_accuracy(config: TrainConfig) -> float:
    from mnist_core.jobs import start_tensorflow

    # Often the first TensorFlow work of the server: start it at low priority so the thread
    # pools TensorFlow creates leave page requests the CPU (mnist_core.jobs).
    start_tensorflow()
    from mnist_core.training import untrained_accuracy as measure

    return measure(config)


with st.expander("The network before training"):
    if not problems:
        st.dataframe(config.layer_rows(), hide_index=True)
        a, b, c = st.columns(3)
        a.metric("Trainable parameters", f"{config.param_count:,}",
                 help="Every weight and bias that training adjusts.")
        b.metric("Gradient updates per epoch", f"{config.updates_per_epoch:,}",
                 help=f"ceil({config.fit_size():,} training images / batch {config.batch_size})")
        c.metric("Untrained test accuracy", pct(untrained_accuracy(config.key())),
                 help="Random weights guess: about 1 in 10 is right by chance.")

# --- the run ---------------------------------------------------------------------

store = run_store()
run = find_run(config)
job = store.job(config)


def shown_history(run, upto: int) -> list[dict]:
    return [r.as_dict() for r in run.history[:upto]]


def build_charts(rows: list[dict], selected: int | None, max_epochs: int) -> list:
    """The loss, accuracy and (with validation) gap figures.

    While training, the page polls every second but an epoch may take longer:
    the figures are kept in the session and rebuilt only when an epoch was added.
    """
    stamp = (config.key(), len(rows), selected, max_epochs)
    cached = st.session_state.get("_charts")
    if cached and cached[0] == stamp:
        return cached[1]
    best = compare.best_epoch(rows)
    figs = [figures.curve_figure(rows, "loss", best, selected, max_epochs),
            figures.curve_figure(rows, "accuracy", best, selected, max_epochs)]
    if best is not None:
        figs.append(figures.gap_figure(rows, best, selected, max_epochs))
    st.session_state._charts = (stamp, figs)
    return figs


def charts(rows: list[dict], selected: int | None, max_epochs: int, with_table: bool = True) -> None:
    figs = build_charts(rows, selected, max_epochs)
    a, b = st.columns(2)
    a.plotly_chart(figs[0], key="chart_loss")
    b.plotly_chart(figs[1], key="chart_acc")
    if len(figs) > 2:
        st.plotly_chart(figs[2], key="chart_gap")
        st.caption("When validation loss climbs while training loss keeps falling, the network is "
                   "memorising the training images instead of learning digits: that is overfitting.")
    if not with_table:
        return
    table = [{"epoch": r["epoch"], "loss": round(r["loss"], 4), "accuracy": round(r["accuracy"], 4),
              "val loss": None if r["val_loss"] is None else round(r["val_loss"], 4),
              "val accuracy": None if r["val_accuracy"] is None else round(r["val_accuracy"], 4),
              "test accuracy": round(r["test_accuracy"], 4), "seconds": round(r["seconds"], 2)}
             for r in rows]
    with st.expander("Every epoch as a table"):
        st.dataframe(table, hide_index=True)


if job is not None:
    if st.button("Cancel" if job.queued else "Stop",
                   help="Leave the queue." if job.queued else
                   "Stop after the current epoch; finished epochs are kept.", disabled=job.stopping):
        job.stop()
        st.rerun()
elif not problems:
    done = run.epochs_done if run else 0
    if run is not None and run.status == "diverged":
        label, disabled = "Train", True
    elif done >= config.epochs:
        label, disabled = "Trained", True
    elif done:
        label, disabled = f"Continue to {config.epochs} epochs", False
    else:
        label, disabled = "Train", False
    if session_full(config):
        st.warning(f"This session keeps at most {MAX_SESSION_RUNS} runs and has reached that. "
                   "Delete some on the Compare page to train new ones.")
        disabled = True
    if st.button(label, type="primary", disabled=disabled):
        start_training(config, run=run)
        st.rerun()


# Poll the worker every 2 s: each poll costs the server ~30 ms and the browser a redraw
# of three charts, which at 1 s slowed training by a measured 30% on two cores
# (bench/app_speed.py); at 2 s the page stays within 10% of the command line.
@st.fragment(run_every=2.0)
def live_progress() -> None:
    job = store.job(config)
    if job is None:  # finished: redraw the whole page with the results
        st.rerun()
    if job.queued:
        st.info(f"The server trains {store.max_concurrent} network(s) at a time and others are "
                f"ahead of you: you are number {job.position} in the queue. Training starts by "
                "itself; you can leave this page and come back.")
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
    charts(shown_history(run, done), None, job.target, with_table=False)


if job is None and store.failure(config):
    st.error(f"Training could not run: {store.failure(config)}")
if job is not None:
    live_progress()
elif run is not None:
    if job is None and run.epochs_done:
        remember(run)
    if run.status == "diverged":
        st.error(run.message)
    elif run.status == "stopped" and run.epochs_done < config.epochs:
        st.warning(run.message + " Press Continue to train the remaining epochs.")
    elif run.status == "early_stopped" and run.epochs_done < config.epochs:
        st.info(run.message)
    shown = min(config.epochs, run.epochs_done)
    if shown:
        rows = shown_history(run, shown)
        best = compare.best_epoch(rows)
        default = best if (config.keep_best and best) else shown
        key = f"epoch_{hash(config.key())}"
        if key not in st.session_state or st.session_state[key] > shown:
            st.session_state[key] = default
        epoch = st.slider("Look at epoch", 1, shown, key=key,
                          help="Move back through training: the charts, numbers and the model follow.") \
            if shown > 1 else 1
        r = run.result_at(epoch)
        m = st.columns(4)
        m[0].metric("Training accuracy", pct(r.accuracy))
        m[1].metric("Validation accuracy", pct(r.val_accuracy))
        m[2].metric("Test accuracy", pct(r.test_accuracy))
        m[3].metric("Training loss", f"{r.loss:.4f}")
        if best is not None:
            st.caption(f"Lowest validation loss at epoch {best}."
                       + (" With keep-best on, the run hands out that epoch." if config.keep_best else ""))
        if st.button(f"Use epoch {epoch} on the other pages"):
            select(run, epoch)
            st.toast(f"Evaluate now uses epoch {epoch} of this run.")
        charts(rows, epoch, shown)
        seconds = sorted(r["seconds"] for r in rows)
        st.caption(f"Training took {sum(seconds):.1f} s: {seconds[len(seconds) // 2]:.2f} s per epoch "
                   f"(median), {run.history[shown - 1].samples_per_second:,.0f} images per second.")
        st.query_params["epoch"] = str(epoch)
        st.page_link("app_pages/evaluate.py", label=f"See what epoch {epoch} gets wrong on Evaluate",
                     icon=":material/search:", query_params=link_params(run, epoch))
        with st.expander("Share and download"):
            st.text_input("Link to this setup and epoch", share_link({**config.to_dict(), "epoch": epoch}),
                          help="Anyone who opens it gets this form filled in; the run shows at once "
                               "while the server still has it, otherwise one click trains it.")
            stem = f"mnist-lab-{config.dataset}-{'-'.join(map(str, config.hidden))}-seed{config.seed}"
            d1, d2, d3 = st.columns(3)
            d1.download_button(f"Model at epoch {epoch} (.keras)", lambda: export_keras(run, epoch),
                               file_name=f"{stem}-epoch{epoch}.keras", mime="application/zip")
            d2.download_button("History (.csv)", history_csv(rows), file_name=f"{stem}.csv",
                               mime="text/csv")
            d3.download_button("History and settings (.json)", history_json(run),
                               file_name=f"{stem}.json", mime="application/json")
else:
    st.write("Press **Train** to start. Each epoch's loss and accuracy appear here as it finishes.")

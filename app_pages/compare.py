"""Compare: your runs side by side, and what one changed setting did."""

import streamlit as st

from app_pages.code_view import code_body
from app_pages.common import (
    MAX_SESSION_RUNS,
    forget,
    imported_runs,
    others,
    remember,
    run_store,
    session_runs,
)
from app_pages.sweeps import sweep_section
from mnist_core.analysis import compare, experiments, story
from mnist_core.data.datasets import DATASET_TITLES
from mnist_core.engine.cluster import EngineError
from mnist_core.engine.transfer import MAX_MODEL_BYTES, ModelFileError, import_keras
from mnist_core.figures import charts as figures

PERCENT = ("test accuracy at best epoch", "train accuracy", "val accuracy", "test accuracy")

st.title("Compare")
st.write("Put your runs side by side to see what each setting changed.")


def compare_sentences(runs: list) -> list[str]:
    """Runs with the same settings but the seed are repeats: one sentence on their spread, and
    the first of them stands for them against runs that differ in one other setting, with a
    sentence on whether the difference is larger than the seeds' spread."""
    families: dict = {}
    for number, run in enumerate(runs, 1):
        families.setdefault(experiments.family(run.config), []).append((number, run))
    groups = list(families.values())

    def name(group) -> str:
        return f"run {group[0][0]}" if len(group) == 1 else "runs " + ", ".join(str(n) for n, _ in group)

    out = [f"**{name(g).capitalize()}** (seeds {', '.join(str(r.config.seed) for _, r in g)}). "
           + experiments.seed_sentence([r for _, r in g]) for g in groups if len(g) > 1]
    for i, a in enumerate(groups):
        for b in groups[i + 1:]:
            text = compare.one_change(a[0][1], b[0][1], ignore=("seed",))
            if text:
                noise = experiments.noise_sentence(*(experiments.spread([experiments.headline(r.history) for _, r in g])
                                                     for g in (a, b)))
                setting = compare.differing_fields([a[0][1].config, b[0][1].config])
                setting = next(k for k in setting if k != "seed").replace("_", " ")
                forgot = story.forgetting_sentence(a[0][1], b[0][1], setting) if min(
                    a[0][1].epochs_done, b[0][1].epochs_done) > 1 else ""
                out.append(f"**{name(a).capitalize()} vs {name(b)}.** {text} {noise} {forgot}".rstrip())
    return out


def show_runs(runs: list) -> None:
    """The table, the one-change sentences, the overlaid curves, and deleting."""
    if len(session_runs()) >= MAX_SESSION_RUNS:
        st.warning(f"Your list keeps at most {MAX_SESSION_RUNS} runs and is full: "
                   "delete some below to train new ones.")

    keys = compare.differing_fields([r.config for r in runs])
    table = []
    for i, run in enumerate(runs, 1):
        settings = compare.fields(run.config)
        row = {"run": i, "dataset": run.config.dataset}
        row.update({k.replace("_", " "): settings[k] for k in keys if k != "dataset"})
        row.update(compare.summary(run))
        for name in PERCENT:  # in percent, one decimal, as in the sentences and the charts below
            row[name] = None if row[name] is None else 100 * row[name]
        table.append(row)
    st.dataframe(table, hide_index=True, column_config={
        **{name: st.column_config.NumberColumn(format="%.1f%%") for name in PERCENT},
        "best val loss": st.column_config.NumberColumn(format="%.4f"),
        "seconds": st.column_config.NumberColumn(format="%.1f"),
        "status": st.column_config.TextColumn(width="medium"),
    })
    if len(runs) > 1:
        same = [k for k in compare.fields(runs[0].config) if k not in keys]
        st.caption("Settings that all runs share are left out: " + ", ".join(k.replace("_", " ") for k in same)
                   + "." if same else "Every setting differs somewhere.")

    sentences = compare_sentences(runs)
    for sentence in sentences:
        st.markdown(sentence)
    if len(runs) > 1 and not sentences:
        st.caption("Runs that differ in exactly one setting get a sentence here on what that setting did.")

    if len(runs) > 1:
        picked = st.multiselect("Overlay the curves of", list(range(1, len(runs) + 1)),
                                default=list(range(max(1, len(runs) - 1), len(runs) + 1)),
                                format_func=lambda i: f"run {i}", key="compare_pick")
        if len(picked) >= 2:
            chosen = [runs[i - 1] for i in picked]
            differ = compare.differing_fields([r.config for r in chosen])
            curves = [(f"run {i}: {compare.label(r.config, differ)}", compare.rows(r), r.best_epoch)
                      for i, r in zip(picked, chosen)]
            st.caption("A star marks each run's best epoch (lowest validation loss).")
            for metric, title in (("val_loss", "Validation loss"), ("val_accuracy", "Validation accuracy"),
                                  ("loss", "Training loss")):
                st.plotly_chart(figures.overlay_figure(curves, metric, title), key=f"overlay_{metric}")

    with st.expander("Code: a run as a Keras script", icon=":material/code:"):
        which = st.selectbox("Run", range(1, len(runs) + 1), key="compare_code_run",
                             format_func=lambda i: f"run {i}: {runs[i - 1].config.describe()}")
        code_body(runs[which - 1].config, "compare")

    st.subheader("Tidy up")
    c1, c2 = st.columns([3, 1])
    victim = c1.selectbox("Run", list(range(1, len(runs) + 1)), format_func=lambda i: f"run {i}: "
                          + runs[i - 1].config.describe(), key="compare_delete_pick")
    if c1.button("Delete this run"):
        forget(runs[victim - 1].config.key())
        st.rerun()
    if c2.button("Clear all runs", type="tertiary"):
        for run in runs:
            forget(run.config.key())
        st.rerun()


elsewhere = others()
if elsewhere:
    with st.expander(f"Runs on this server that are not in your list ({len(elsewhere)})",
                     expanded=not session_runs()):
        st.caption("Runs trained by others, or by you in another browser, the most recent first.")
        add = st.multiselect("Add", range(len(elsewhere)), format_func=lambda i: elsewhere[i].config.describe(),
                             key="compare_add")
        if st.button("Add to my runs", disabled=not add):
            for i in add:
                remember(elsewhere[i])
            st.rerun()

runs = [r for r in session_runs().values() if r.epochs_done]
if runs:
    show_runs(runs)
else:
    st.info("No runs to compare yet. Train two networks that differ in one setting, "
            "for example with and without dropout.")
    st.page_link("app_pages/train.py", label="Go to Train", icon=":material/show_chart:")

sweep_section()

st.subheader("Use your own model")
dataset = st.session_state.get("dataset", "mnist")
st.write("Upload a Keras model (.keras) that takes 784 pixels (or 28x28) and gives 10 class scores; "
         f"Evaluate and Draw can then use it. Inputs are scaled to 0-1, and its classes are read as "
         f"those of {DATASET_TITLES[dataset]} (the dataset chosen in the sidebar).")
upload = st.file_uploader("A .keras model file", type=["keras"], max_upload_size=MAX_MODEL_BYTES // 2**20,
                          key="compare_model_upload")
if upload is not None:
    imported = imported_runs()
    if not any(m.name == upload.name for m in imported):
        try:
            imported.append(import_keras(upload.getvalue(), upload.name, dataset, call=run_store().engine.call))
        except (ModelFileError, EngineError) as exc:
            st.error(f"{str(exc).rstrip('.')}.")
    if any(m.name == upload.name for m in imported):
        st.success(f"{upload.name} is ready: choose it on Evaluate or Draw.")

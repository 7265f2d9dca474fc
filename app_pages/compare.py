"""Compare: your runs side by side, and what one changed setting did."""

import streamlit as st

from app_pages.parts.code_view import code_body
from app_pages.parts.runs import (
    forget,
    imported_runs,
    others,
    remember,
    room,
    run_store,
    session_runs,
    warn_full,
)
from app_pages.parts.sweeps import sweep_section
from mnist_core.analysis import compare
from mnist_core.data.datasets import DATASET_TITLES
from mnist_core.engine.cluster import EngineError
from mnist_core.engine.transfer import MAX_MODEL_BYTES, ModelFileError
from mnist_core.figures import charts as figures


def show_table(runs: list) -> None:
    """One row a run, the accuracies first, then the settings that differ between them."""
    keys = compare.differing_fields([r.config for r in runs])
    st.dataframe(compare.table(runs, keys), hide_index=True, column_config={
        "run": st.column_config.NumberColumn(width=40),
        **{name: st.column_config.TextColumn(alignment="right") for name in compare.WRITTEN},
        "seconds": st.column_config.NumberColumn(format="%.1f"),
    })
    if len(runs) > 1:
        st.caption(compare.shared(runs, keys))


def overlay(runs: list, default: list[int]) -> None:
    """The curves of the runs picked (at first `default`: those the sentences are about), on one
    chart a metric."""
    picked = st.multiselect("Overlay the curves of", list(range(1, len(runs) + 1)), default=default,
                            format_func=lambda i: f"run {i}", key="compare_pick")
    if len(picked) < 2:
        return
    chosen = [runs[i - 1] for i in picked]
    differ = compare.differing_fields([r.config for r in chosen])
    curves = [(f"run {i}: {compare.label(r.config, differ)}", compare.rows(r), r.best_epoch)
              for i, r in zip(picked, chosen)]
    st.caption("A star marks each run's best epoch (lowest validation loss).")
    for metric, title in (("val_loss", "Validation loss"), ("val_accuracy", "Validation accuracy"),
                          ("loss", "Training loss")):
        st.plotly_chart(figures.overlay_figure(curves, metric, title), key=f"overlay_{metric}")


def tidy_up(runs: list) -> None:
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


def show_runs(runs: list) -> None:
    """The table, the one-change sentences, the overlaid curves, and deleting."""
    if room() <= 0:
        warn_full(": delete some below to train new ones.")
    show_table(runs)
    sentences = compare.said(runs)
    for sentence, _ in sentences:
        st.markdown(sentence)
    if len(runs) > 1 and not sentences:
        st.caption("Runs that differ in exactly one setting get a sentence here on what that setting did.")
    if len(runs) > 1:
        overlay(runs, compare.overlaid(len(runs), sentences))
    with st.expander("Code: a run as a Keras script", icon=":material/code:", key="compare_code_open",
                     on_change="rerun") as box:
        which = st.selectbox("Run", range(1, len(runs) + 1), key="compare_code_run",
                             format_func=lambda i: f"run {i}: {runs[i - 1].config.describe()}")
        if box.open:  # drawn only when open (code_view says why)
            code_body(runs[which - 1].config, "compare")
    tidy_up(runs)


def runs_elsewhere() -> None:
    """Runs on this server that are not in the learner's list, to add to it."""
    elsewhere = others()
    if not elsewhere:
        return
    with st.expander(f"Runs on this server that are not in your list ({len(elsewhere)})",
                     expanded=not session_runs()):
        st.caption("Runs trained by others, or by you in another browser, the most recent first.")
        add = st.multiselect("Add", range(len(elsewhere)), format_func=lambda i: elsewhere[i].config.describe(),
                             key="compare_add")
        if st.button("Add to my runs", disabled=not add):
            for i in add:
                remember(elsewhere[i])
            st.rerun()


def own_model() -> None:
    """Upload a Keras model that Evaluate and Draw can then use."""
    st.subheader("Use your own model")
    dataset = st.session_state.get("dataset", "mnist")
    st.write("Upload a Keras model (.keras) that takes 784 pixels (or 28x28) and gives 10 class scores; "
             f"Evaluate and Draw can then use it. Inputs are scaled to 0-1, and its classes are read as "
             f"those of {DATASET_TITLES[dataset]} (the dataset chosen in the sidebar).")
    upload = st.file_uploader("A .keras model file", type=["keras"], max_upload_size=MAX_MODEL_BYTES // 2**20,
                              key="compare_model_upload")
    if upload is None:
        return
    imported = imported_runs()
    if not any(m.name == upload.name for m in imported):
        try:
            imported.append(run_store().keras.read(upload.getvalue(), upload.name, dataset))
        except (ModelFileError, EngineError) as exc:
            st.error(f"{str(exc).rstrip('.')}.")
    if any(m.name == upload.name for m in imported):
        st.success(f"{upload.name} is ready: choose it on Evaluate or Draw.")


def main() -> None:
    st.title("Compare")
    st.write("Put your runs side by side to see what each setting changed.")
    runs_elsewhere()
    runs = [r for r in session_runs().values() if r.epochs_done]
    if runs:
        show_runs(runs)
    else:
        st.info("No runs to compare yet. Train two networks that differ in one setting, "
                "for example with and without dropout.")
        st.page_link("app_pages/train.py", label="Go to Train", icon=":material/show_chart:")
    sweep_section()
    own_model()


main()

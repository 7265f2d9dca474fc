"""A run's curves: loss, accuracy and the gap, with the seeds' bands; and its epochs as a table."""

from __future__ import annotations

import streamlit as st

from mnist_core.analysis import experiments
from mnist_core.config import TrainConfig
from mnist_core.figures import charts as figures
from mnist_core.model.runs import best_epoch


def epoch_table(rows: list[dict]) -> list[dict]:
    def rounded(value, digits=4):
        return None if value is None else round(value, digits)

    return [{"epoch": r["epoch"], "loss": rounded(r["loss"]), "accuracy": rounded(r["accuracy"]),
             "val loss": rounded(r["val_loss"]), "val accuracy": rounded(r["val_accuracy"]),
             "test accuracy": rounded(r["test_accuracy"]), "seconds": rounded(r["seconds"], 2)}
            for r in rows]


def charts(config: TrainConfig, history: list, selected: int | None, max_epochs: int,
           with_table: bool = True, family: list | None = None) -> None:
    """Loss, accuracy and (with validation) the gap; with repeats (`family`: the same settings
    with other seeds) a band shows their range. While training, the figures are kept in the
    session and rebuilt only when an epoch was added (the page polls every 2 s)."""
    histories = [r.history[:max_epochs] for r in family or []]
    stamp = (config.key(), len(history), selected, max_epochs, tuple(len(h) for h in histories))
    rows = [r.as_dict() for r in history]
    cached = st.session_state.get("_charts")
    if not cached or cached[0] != stamp:
        best = best_epoch(history)
        figs = [figures.curve_figure(rows, metric, best, selected, max_epochs, seeds=len(histories),
                                     bands={"training": experiments.band(histories, metric),
                                            "validation": experiments.band(histories, f"val_{metric}")}
                                     if len(histories) > 1 else None)
                for metric in ("loss", "accuracy")]
        if best is not None:
            figs.append(figures.gap_figure(rows, best, selected, max_epochs))
        st.session_state._charts = cached = (stamp, figs, figures.gap_summary(rows, best))
    _, figs, gap_text = cached
    a, b = st.columns(2)
    a.plotly_chart(figs[0], key="chart_loss")
    b.plotly_chart(figs[1], key="chart_acc")
    if len(histories) > 1:
        st.caption(f"The shaded bands span the {len(histories)} seeds of these settings: how far runs "
                   "differ by chance alone.")
    if len(figs) > 2:
        st.plotly_chart(figs[2], key="chart_gap")
        st.caption(f"{gap_text} When validation loss climbs while training loss keeps falling, the network is "
                   "memorising the training images instead of learning digits: that is overfitting.")
    if with_table:
        with st.expander("Every epoch as a table"):
            st.dataframe(epoch_table(rows), hide_index=True)

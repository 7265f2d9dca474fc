"""The look every figure shares: colours, type sizes, the layout of a chart over epochs."""

from __future__ import annotations

import plotly.graph_objects as go

TRAIN_COLOUR = "#3b5bdb"
VAL_COLOUR = "#e8590c"
GAP_COLOUR = "#7048e8"
GAP_ACC_COLOUR = "#0c8599"
BEST_COLOUR = "#2b8a3e"
MARK_COLOUR = "#495057"
# Ten colours that stay apart on white, one per class (a colour-blind-safe set, with grey and olive).
CLASS_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
# Chart text readable on a projector from the back of a room (Plotly's default is 12 px).
FONT = 15
TITLE_FONT = 18
LABEL_BACKGROUND = "rgba(255, 255, 255, 0.85)"  # a curve passing behind a label leaves it readable
RUN_COLOURS = ["#3b5bdb", "#e8590c", "#2b8a3e", "#ae3ec9", "#0c8599", "#c92a2a", "#5c940d", "#f08c00"]


def layout(fig: go.Figure, title: str, y_title: str, height: int = 320) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, font=dict(size=TITLE_FONT)), height=height, font=dict(size=FONT),
        margin=dict(l=10, r=10, t=70, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1),
        xaxis_title="epoch", yaxis_title=y_title, hovermode="x unified",
    )
    return fig


def epoch_axis(fig: go.Figure, max_epochs: int | None) -> None:
    """Whole epochs only; a fixed range while training so the curves grow into it."""
    if max_epochs:
        fig.update_xaxes(range=[0.5, max_epochs + 0.5])
    fig.update_xaxes(tick0=1, dtick=1 if (max_epochs or 0) <= 20 else None)

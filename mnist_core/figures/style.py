"""The look every figure shares: colours, type sizes, the layout of a chart over epochs."""

from __future__ import annotations

import functools

import plotly.graph_objects as go

TRAIN_COLOUR = "#3b5bdb"
VAL_COLOUR = "#e8590c"
GAP_COLOUR = "#7048e8"
# Colours that also write text (axis titles, labels) are dark enough for 4.5:1 on white (WCAG AA).
GAP_ACC_COLOUR = "#0b7285"
BEST_COLOUR = "#2b7a3e"
MARK_COLOUR = "#495057"
# Ten colours that stay apart on white, one per class (a colour-blind-safe set, with grey and olive).
CLASS_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
# Chart text readable on a projector from the back of a room (Plotly's default is 12 px).
FONT = 15
TITLE_FONT = 18
LABEL_BACKGROUND = "rgba(255, 255, 255, 0.85)"  # a curve passing behind a label leaves it readable
RUN_COLOURS = ["#3b5bdb", "#e8590c", "#2b8a3e", "#ae3ec9", "#0c8599", "#c92a2a", "#5c940d", "#f08c00"]


# Axis, colour-bar and trace text, where a figure sets no colour of its own. Streamlit's chart
# theme draws it #808495, 3.7:1 on white, under the 4.5:1 WCAG AA asks of small text; this grey
# (Streamlit's next darker one) is 7:1.
CHART_TEXT = "#555867"


def _colour_unset(font) -> None:
    if font.color is None:
        font.color = CHART_TEXT


def _colour_bars(fig: go.Figure) -> list:
    """The colour bars a figure shows: its colour axis's, a heatmap's or contour's, a marker's."""
    bars = [fig.layout.coloraxis.colorbar] if fig.layout.coloraxis.colorscale is not None else []
    for trace in fig.data:
        if hasattr(trace, "colorbar") and trace.showscale is not False:
            bars.append(trace.colorbar)
        elif getattr(getattr(trace, "marker", None), "showscale", None):
            bars.append(trace.marker.colorbar)
    return bars


def readable(build):
    """A figure builder whose figures write their axes, colour bars and text in CHART_TEXT,
    wherever the builder chose no colour (tests/test_figures.py checks every builder has it)."""
    @functools.wraps(build)
    def built(*args, **kwargs) -> go.Figure:
        fig = build(*args, **kwargs)
        for font in (fig.layout.font, fig.layout.hoverlabel.font, fig.layout.legend.title.font):
            _colour_unset(font)
        for axis in [*fig.select_xaxes(), *fig.select_yaxes(), *_colour_bars(fig)]:
            _colour_unset(axis.tickfont)
            _colour_unset(axis.title.font)
        return fig
    built.readable = True
    return built


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

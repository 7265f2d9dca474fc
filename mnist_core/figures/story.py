"""Plotly figures of every image's story (mnist_core.analysis.story): the data map, one image's curve
across the epochs, and the forgetting per epoch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from mnist_core.figures.style import (
    FONT,
    MARK_COLOUR,
    TITLE_FONT,
    TRAIN_COLOUR,
    VAL_COLOUR,
    epoch_axis,
    layout,
    readable,
)

RIGHT_WRONG = [[0, "#c92a2a"], [0.5, "#f59f00"], [1, "#2b8a3e"]]  # wrong every epoch .. right every epoch
# The marker of each region's dots on the data map, in the order of its corners (top, bottom, right):
# the regions differ in shape too, not only in place and colour.
REGION_SYMBOLS = ("circle", "x", "diamond")


def _dots(fig: go.Figure, variability: np.ndarray, confidence: np.ndarray, correctness: np.ndarray,
          positions: np.ndarray, regions: Sequence[str] | None, corners: Sequence[str]) -> None:
    """The map's dots, coloured on the figure's colour axis: one trace per region, each with its
    symbol and named in the legend; a single unnamed trace when `regions` is None."""
    groups = [("", np.ones(len(positions), bool), "circle")] if regions is None else [
        (name, np.asarray(regions) == name, symbol) for name, symbol in zip(corners, REGION_SYMBOLS)]
    for name, rows, symbol in groups:
        fig.add_trace(go.Scattergl(
            x=variability[rows], y=confidence[rows], mode="markers", customdata=np.asarray(positions)[rows],
            name=name, showlegend=bool(name), marker=dict(size=6 if name else 5, symbol=symbol, opacity=0.6,
                                                          color=correctness[rows], coloraxis="coloraxis"),
            hovertemplate=f"{name + ': ' if name else ''}confidence %{{y:.2f}}, variability %{{x:.2f}}"
                          "<br>click to see it<extra></extra>"))


@readable
def data_map_figure(variability: np.ndarray, confidence: np.ndarray, correctness: np.ndarray,
                    positions: np.ndarray, marked: Sequence[tuple[int, str]] = (),
                    corners: Sequence[str] = ("easy to learn", "hard, or mislabelled", "ambiguous"),
                    regions: Sequence[str] | None = None) -> go.Figure:
    """Confidence against variability, one dot per image (`positions` name them for a click),
    coloured by the share of epochs it was read right; `marked`: (position, text) drawn as stars;
    `corners`: the regions' names, top, bottom and right (Story.region_titles); `regions`: each
    dot's region by one of those names, to give each region a marker of its own."""
    fig = go.Figure()
    _dots(fig, variability, confidence, correctness, positions, regions, corners)
    fig.update_layout(coloraxis=dict(colorscale=RIGHT_WRONG, cmin=0, cmax=1, colorbar=dict(
        title="right after<br>this share<br>of epochs", tickformat=".0%", thickness=12)))
    if marked:
        at = [p for p, _ in marked]
        where = {int(p): i for i, p in enumerate(positions)}
        rows = [where[p] for p in at if p in where]
        fig.add_scatter(x=variability[rows], y=confidence[rows], mode="markers", name="label judged wrong",
                        marker=dict(symbol="star", size=14, color=MARK_COLOUR, line=dict(color="white", width=1)),
                        customdata=np.asarray(at)[[i for i, p in enumerate(at) if p in where]],
                        text=[t for p, t in marked if p in where], hovertemplate="%{text}<extra></extra>")
    for (x, y, anchor), text in zip(((0.02, 0.97, "left"), (0.02, 0.03, "left"), (0.98, 0.5, "right")), corners):
        fig.add_annotation(x=x, y=y, xref="paper", yref="y", text=text, showarrow=False, xanchor=anchor,
                           font=dict(size=FONT, color=MARK_COLOUR), bgcolor="rgba(255,255,255,0.8)")
    fig.update_xaxes(title="variability: how much its probability<br>moved over the epochs", rangemode="tozero")
    fig.update_yaxes(title="confidence: its true class's mean probability", range=[-0.02, 1.02])
    fig.update_layout(height=520, font=dict(size=FONT), margin=dict(l=10, r=10, t=40, b=10),
                      title=dict(text="Data map", font=dict(size=TITLE_FONT)),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))
    return fig


@readable
def image_history_figure(p_true: np.ndarray, right: np.ndarray, label: str) -> go.Figure:
    """One image's probability of its true class after each epoch, right and wrong epochs marked."""
    epochs = list(range(1, len(p_true) + 1))
    fig = go.Figure(go.Scatter(
        x=epochs, y=p_true.astype(float), mode="lines+markers", line=dict(color=TRAIN_COLOUR),
        marker=dict(size=10, color=[TRAIN_COLOUR if r else VAL_COLOUR for r in right],
                    symbol=["circle" if r else "x" for r in right]),
        hovertemplate="epoch %{x}: %{y:.1%}<extra></extra>", showlegend=False))
    fig.update_yaxes(range=[-0.03, 1.03], tickformat=".0%")
    epoch_axis(fig, len(epochs))
    return layout(fig, f"Probability of '{label}' after each epoch (x: read wrong)", "probability", height=300)


@readable
def forgetting_figure(per_epoch: np.ndarray) -> go.Figure:
    """Images forgotten between each epoch and the next."""
    fig = go.Figure(go.Bar(x=[f"{e}-{e + 1}" for e in range(1, len(per_epoch) + 1)], y=per_epoch,
                           marker_color=VAL_COLOUR, hovertemplate="%{y:,} forgotten<extra></extra>"))
    fig.update_xaxes(title="between epochs", type="category")
    fig.update_yaxes(title="images forgotten")
    fig.update_layout(height=300, font=dict(size=FONT), margin=dict(l=10, r=10, t=50, b=10),
                      title=dict(text="Right after one epoch, wrong after the next", font=dict(size=TITLE_FONT)))
    return fig

"""Plotly figures for the Line page: the plane with its regions, the loss curves and the loss surface.
Plain arrays in, a go.Figure out; no Streamlit. (Each hidden unit's own region is a picture:
units_picture, numpy and Pillow.)"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from mnist_core.figures.pictures import VIRIDIS, colour_grid
from mnist_core.figures.style import FONT, MARK_COLOUR, TITLE_FONT, TRAIN_COLOUR, VAL_COLOUR, readable

CLASS_0, CLASS_1 = "#e8590c", "#1c7ed6"  # orange and blue: apart for colour-blind eyes too
REGION_SCALE = [[0, "#f4a36f"], [0.5, "#ffffff"], [1, "#74b3ec"]]


@readable
def plane_figure(xs, ys, probability: np.ndarray, x: np.ndarray, y: np.ndarray, test: np.ndarray,
                 names: Sequence[str], classes: Sequence[str], line: tuple | None = None,
                 title: str = "") -> go.Figure:
    """The points (training filled, test hollow) over the network's regions (blue: class 1);
    with `line` (a1, a2, c), the boundary a1*x1 + a2*x2 + c = 0 drawn across."""
    # float32: Plotly sends arrays as binary, and half the bytes are enough for a colour.
    fig = go.Figure(go.Heatmap(x=xs, y=ys, z=np.asarray(probability, np.float32), zmin=0, zmax=1, colorscale=REGION_SCALE,
                               colorbar=dict(title=dict(text=f"P({classes[1]})", side="right"), thickness=12),
                               hovertemplate=f"{names[0]} %{{x:.2f}}<br>{names[1]} %{{y:.2f}}<br>"
                                             f"P({classes[1]}) %{{z:.2f}}<extra></extra>"))
    for label, colour, symbol in ((0, CLASS_0, "circle"), (1, CLASS_1, "square")):  # apart by shape too
        for part, filled in ((~test, True), (test, False)):
            mine = part & (y == label)
            fig.add_scatter(x=x[mine, 0], y=x[mine, 1], mode="markers",
                            name=f"{classes[label]} ({'training' if filled else 'test'})",
                            marker=dict(size=8, color=colour if filled else "white", symbol=symbol,
                                        line=dict(color=colour, width=2)))
    if line is not None:
        a1, a2, c = line
        if abs(a2) > 1e-12:
            fig.add_scatter(x=[xs[0], xs[-1]], y=[-(a1 * xs[0] + c) / a2, -(a1 * xs[-1] + c) / a2], mode="lines",
                            name="the line", line=dict(color="#212529", width=3))
        elif abs(a1) > 1e-12:
            fig.add_vline(x=-c / a1, line=dict(color="#212529", width=3))
    fig.update_xaxes(range=[xs[0], xs[-1]], title=names[0])
    fig.update_yaxes(range=[ys[0], ys[-1]], title=names[1])
    fig.update_layout(height=520, font=dict(size=FONT), margin=dict(l=10, r=10, t=50, b=10),
                      title=dict(text=title, font=dict(size=TITLE_FONT)),
                      legend=dict(orientation="h", yanchor="top", y=-0.15, x=0))
    return fig


@readable
def loss_figure(train: Sequence[float], test: Sequence[float], epoch: int, loss_name: str) -> go.Figure:
    """Training and test loss after every epoch (0: before training) up to the epoch shown, on an axis
    of every epoch, so the curves grow as training is replayed and nothing ahead is given away."""
    epochs = list(range(epoch + 1))
    fig = go.Figure()
    fig.add_scatter(x=epochs, y=list(train[:epoch + 1]), name="training", mode="lines+markers" if epoch < 2 else "lines",
                    line=dict(color=TRAIN_COLOUR))
    fig.add_scatter(x=epochs, y=list(test[:epoch + 1]), name="test", mode="lines+markers" if epoch < 2 else "lines",
                    line=dict(color=VAL_COLOUR))
    fig.add_vline(x=epoch, line=dict(color=MARK_COLOUR, width=2))
    fig.update_xaxes(range=[-0.5, max(len(train) - 1, 1) + 0.5])
    fig.update_layout(title=dict(text=f"Loss ({loss_name})", font=dict(size=TITLE_FONT)), height=300,
                      font=dict(size=FONT), margin=dict(l=10, r=10, t=50, b=10), xaxis_title="epoch",
                      yaxis_title="loss", legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
                      hovermode="x unified")
    fig.update_yaxes(rangemode="tozero")
    return fig


@readable
def surface_figure(w1s, w2s, losses: np.ndarray, path: np.ndarray, loss_name: str) -> go.Figure:
    """The loss over the two weights as contours, and the path the weights took, one point per
    step, from the start (circle) to the point shown (diamond)."""
    fig = go.Figure(go.Contour(x=w1s, y=w2s, z=np.asarray(losses, np.float32), colorscale="Viridis", ncontours=24,
                               colorbar=dict(title=dict(text="loss", side="right"), thickness=12),
                               hovertemplate="w1 %{x:.2f}<br>w2 %{y:.2f}<br>loss %{z:.3f}<extra></extra>"))
    fig.add_scatter(x=path[:, 0], y=path[:, 1], mode="lines+markers", name="the weights, step by step",
                    line=dict(color="white", width=1.5), marker=dict(size=4, color="white"))
    fig.add_scatter(x=path[:1, 0], y=path[:1, 1], mode="markers", name="start",
                    marker=dict(size=12, color="white", line=dict(color="black", width=2)))
    fig.add_scatter(x=path[-1:, 0], y=path[-1:, 1], mode="markers", name="now",
                    marker=dict(size=14, symbol="diamond", color="#fa5252", line=dict(color="black", width=1)))
    fig.update_xaxes(range=[w1s[0], w1s[-1]], title="w1 (first input's weight)")
    fig.update_yaxes(range=[w2s[0], w2s[-1]], title="w2 (second input's weight)")
    fig.update_layout(title=dict(text=f"The loss ({loss_name}) over the two weights", font=dict(size=TITLE_FONT)),
                      height=480, font=dict(size=FONT), margin=dict(l=10, r=10, t=50, b=10),
                      legend=dict(orientation="h", yanchor="top", y=-0.15, x=0))
    return fig


def units_picture(maps: list[np.ndarray]) -> Image.Image:
    """Each hidden unit's output over the plane, small, a row per hidden layer, each on its own
    scale from its lowest output (purple) to its highest (yellow): Viridis, not the plane's orange
    and blue, since a unit's output is not a class. One picture, not a chart per unit."""
    cols = max(m.shape[0] for m in maps)
    side = maps[0].shape[1:]
    tiles = np.full((len(maps) * cols, *side), np.nan, np.float32)
    captions = [""] * len(tiles)
    for r, layer in enumerate(maps):
        for c, unit in enumerate(layer):
            low, high = float(np.nanmin(unit)), float(np.nanmax(unit))
            tiles[r * cols + c] = (unit - low) / max(high - low, 1e-9)
            captions[r * cols + c] = f"layer {r + 1}, unit {c + 1}"
    # The plane's y axis points up; a picture's rows go down.
    return colour_grid(tiles[:, ::-1], captions, 0.0, 1.0, columns=cols, stops=VIRIDIS,
                       title="each unit: its lowest output to its highest")

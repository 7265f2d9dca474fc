"""Plotly figures for the Inside page: the units that push towards an answer, the hidden layer's map
and the layers' health. Plain arrays in, a go.Figure out; no Streamlit, no TensorFlow. (Its weight
and activation pictures are images: mnist_core.figures.pictures.)"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from mnist_core.figures.style import CLASS_COLOURS, FONT, RUN_COLOURS, TITLE_FONT, TRAIN_COLOUR, readable


@readable
def contribution_figure(units: Sequence[int], values: Sequence[float], target: str) -> go.Figure:
    """The units that pushed hardest towards `target`: activation times outgoing weight."""
    labels = [f"unit {u}" for u in units]
    fig = go.Figure(go.Bar(x=list(values), y=labels, orientation="h", marker_color=TRAIN_COLOUR,
                           text=[f"{v:+.2f}" for v in values], textposition="auto",
                           hovertemplate="%{y}: %{x:+.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(title=dict(text=f"Pushes towards '{target}'", font=dict(size=TITLE_FONT)),
                      xaxis_title="activation x outgoing weight", height=80 + 30 * len(labels),
                      margin=dict(l=10, r=10, t=50, b=10), font=dict(size=FONT))
    return fig


def _map_ranges(frames: dict[int, np.ndarray]) -> tuple[list[float], list[float]]:
    """Axis ranges holding the bulk of every frame's points (1st to 99th percentile, padded),
    so the axes do not move while the epochs play."""
    every = np.concatenate([p for p in frames.values()])
    every = every[np.isfinite(every).all(axis=1)]
    if not len(every):
        return [-1.0, 1.0], [-1.0, 1.0]
    low, high = np.percentile(every, 1, axis=0), np.percentile(every, 99, axis=0)
    pad = np.maximum((high - low) * 0.12, 1e-3)
    return [float(low[0] - pad[0]), float(high[0] + pad[0])], [float(low[1] - pad[1]), float(high[1] + pad[1])]


def _map_traces(points: np.ndarray, labels: np.ndarray, sample: np.ndarray,
                class_names: Sequence[str]) -> list[go.Scatter]:
    traces = []
    for k, name in enumerate(class_names):
        mine = labels == k
        traces.append(go.Scatter(
            x=np.round(points[mine, 0], 3), y=np.round(points[mine, 1], 3), mode="markers", name=str(name),
            customdata=sample[mine], marker=dict(size=5, color=CLASS_COLOURS[k], opacity=0.75),
            hovertemplate=f"{name}<br>test image %{{customdata}}<extra></extra>"))
    return traces


@readable
def map_figure(frames: dict[int, np.ndarray], epoch: int, labels: np.ndarray, sample: np.ndarray,
               class_names: Sequence[str], animate: bool = False) -> go.Figure:
    """The sample of test images on the last hidden layer's map at `epoch`, a colour per class.
    With `animate`, every epoch in `frames` is a frame, with a play button and a slider."""
    ranges = _map_ranges(frames)
    fig = go.Figure(_map_traces(frames[epoch], labels, sample, class_names))
    fig.update_layout(height=560, font=dict(size=FONT), margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(itemsizing="constant", title="class"),
                      xaxis=dict(range=ranges[0], title="first direction", zeroline=False),
                      yaxis=dict(range=ranges[1], title="second direction", zeroline=False))
    if animate and len(frames) > 1:
        epochs = sorted(frames)
        fig.frames = [go.Frame(data=_map_traces(frames[e], labels, sample, class_names), name=str(e))
                      for e in epochs]
        step = dict(mode="immediate", frame=dict(duration=500, redraw=False), transition=dict(duration=300))
        fig.update_layout(
            updatemenus=[dict(type="buttons", x=0, y=-0.08, xanchor="left", yanchor="top", direction="left",
                              buttons=[dict(label="Play", method="animate", args=[None, {**step, "fromcurrent": True}]),
                                       dict(label="Pause", method="animate",
                                            args=[[None], dict(mode="immediate", frame=dict(duration=0))])])],
            sliders=[dict(active=epochs.index(epoch) if epoch in epochs else 0, x=0.15, len=0.85, y=-0.04,
                          currentvalue=dict(prefix="epoch "),
                          steps=[dict(label=str(e), method="animate", args=[[str(e)], step]) for e in epochs])],
            margin=dict(l=10, r=10, t=40, b=90), height=640)
    return fig


@readable
def health_figure(epochs: Sequence[int], per_layer: Sequence[Sequence[float]], names: Sequence[str], title: str,
                  y_title: str, selected: int | None = None, percent: bool = True) -> go.Figure:
    """One line per layer (named by `names`) over epochs: dead units, or how far the weights moved."""
    fig = go.Figure()
    for i, (values, name) in enumerate(zip(per_layer, names)):
        fig.add_trace(go.Scatter(x=list(epochs), y=list(values), mode="lines+markers", name=name,
                                 line=dict(color=RUN_COLOURS[i % len(RUN_COLOURS)], width=2)))
    if selected is not None:
        fig.add_vline(x=selected, line=dict(color="#495057", width=1.5))
    fig.update_xaxes(tick0=0, dtick=1 if len(epochs) <= 20 else None, tickformat="d")  # whole epochs only
    fig.update_layout(title=dict(text=title, font=dict(size=TITLE_FONT)), height=300, font=dict(size=FONT),
                      margin=dict(l=10, r=10, t=60, b=10), xaxis_title="epoch", yaxis_title=y_title,
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
                      hovermode="x unified")
    if percent:
        top = max((max(v) for v in per_layer if len(v)), default=0)
        # As many decimals as the largest value needs, so that no two ticks read the same (0.1%, 0.1%).
        decimals = 0 if top >= 0.05 else 1 if top >= 0.005 else 2
        fig.update_yaxes(tickformat=f".{decimals}%", rangemode="tozero", nticks=5)
    return fig

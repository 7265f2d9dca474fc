"""Plotly figures for the pages. Plain data in, a go.Figure out; no Streamlit, no TensorFlow."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from mnist_core.figures.style import (
    BEST_COLOUR,
    CLASS_COLOURS,
    FONT,
    GAP_ACC_COLOUR,
    GAP_COLOUR,
    LABEL_BACKGROUND,
    MARK_COLOUR,
    RUN_COLOURS,
    TITLE_FONT,
    TRAIN_COLOUR,
    VAL_COLOUR,
    epoch_axis,
    layout,
    readable,
)


def _mark_epochs(fig: go.Figure, best: int | None, selected: int | None, last: int | None = None,
                 rising: bool = False) -> None:
    """A dotted line at the best epoch and a solid one at the epoch looked at, each labelled
    inside the plot; one label when they are the same epoch. A label near the right edge
    reads leftwards, so it is not cut off; the epoch's label sits where the curves are not
    late in training: at the top for a falling loss, at the bottom for a `rising` accuracy."""
    edge = "bottom" if rising else "top"
    if best is not None and best != selected:
        fig.add_vline(x=best, line=dict(color=BEST_COLOUR, dash="dot", width=2),
                      annotation=dict(text=f"best {best}", font=dict(color=BEST_COLOUR), bgcolor=LABEL_BACKGROUND),
                      annotation_position=f"{edge} left" if best > 1 else f"{edge} right")
    if selected is not None:
        right_half = last is not None and selected > (last + 1) / 2
        fig.add_vline(x=selected, line=dict(color=BEST_COLOUR if selected == best else MARK_COLOUR, width=2),
                      annotation=dict(text=f"epoch {selected}" + (" (best)" if selected == best else ""),
                                      bgcolor=LABEL_BACKGROUND),
                      annotation_position=f"{edge} left" if right_half else f"{edge} right",
                      annotation_yshift=-22 if best is not None and best != selected and edge == "top" else 0)


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _band(fig: go.Figure, band: Sequence[tuple[int, float, float, float]], colour: str, name: str) -> None:
    """A shaded area from the lowest to the highest run at each epoch (mnist_core.analysis.experiments.band)."""
    epochs = [b[0] for b in band]
    fig.add_scatter(x=epochs + epochs[::-1], y=[b[3] for b in band] + [b[1] for b in band][::-1],
                    fill="toself", fillcolor=_rgba(colour, 0.18), line=dict(width=0), mode="lines", name=name,
                    hoverinfo="skip")


def honest_range(fig: go.Figure, accuracies: Sequence[float], span: float = 0.1) -> None:
    """An accuracy axis at least `span` (10 points) tall, ending at 100% at most: an axis from 96% to
    98% makes a small change look large."""
    finite = [a for a in accuracies if a is not None and np.isfinite(a)]
    if not finite:
        return
    low, high = min(finite), max(finite)
    if high - low >= span:
        return
    top = min(1.0, high + 0.01)
    fig.update_yaxes(range=[max(0.0, top - span - 0.01), top + 0.005])


@readable
def curve_figure(history: Sequence[dict], metric: str, best: int | None = None,
                 selected: int | None = None, max_epochs: int | None = None,
                 bands: dict | None = None, seeds: int = 0) -> go.Figure:
    """Training against validation for 'loss' or 'accuracy', one point per epoch. `bands`
    ("training", "validation": experiments.band) shade the range of `seeds` repeats."""
    epochs = [h["epoch"] for h in history]
    fig = go.Figure()
    for series, colour in (("training", TRAIN_COLOUR), ("validation", VAL_COLOUR)):
        if bands and bands.get(series):
            _band(fig, bands[series], colour, f"{series}, range of {seeds} seeds")
    fig.add_scatter(x=epochs, y=[h[metric] for h in history], name="training",
                    mode="lines+markers", line=dict(color=TRAIN_COLOUR))
    val = [h.get(f"val_{metric}") for h in history]
    if any(v is not None for v in val):
        fig.add_scatter(x=epochs, y=val, name="validation", mode="lines+markers",  # dashed, squares:
                        line=dict(color=VAL_COLOUR, dash="dash"), marker=dict(symbol="square"))  # not colour alone
    _mark_epochs(fig, best, selected, max_epochs or len(epochs), rising=metric == "accuracy")
    epoch_axis(fig, max_epochs)
    if metric == "accuracy":
        fig.update_yaxes(tickformat=".0%")
        honest_range(fig, [h[metric] for h in history] + [v for v in val if v is not None])
    return layout(fig, metric.capitalize(), metric)


@readable
def gap_figure(history: Sequence[dict], best: int | None = None, selected: int | None = None,
               max_epochs: int | None = None) -> go.Figure:
    """How far validation trails training: val loss - train loss (left axis), train accuracy -
    val accuracy in percentage points (right axis), the two zeros on one line."""
    rows = [h for h in history if h.get("val_loss") is not None]
    epochs = [h["epoch"] for h in rows]
    loss_gap = [h["val_loss"] - h["loss"] for h in rows]
    acc_gap = [100 * (h["accuracy"] - h["val_accuracy"]) for h in rows]
    fig = go.Figure()
    fig.add_scatter(x=epochs, y=loss_gap, name="loss gap (validation - training)", mode="lines+markers",
                    line=dict(color=GAP_COLOUR))
    fig.add_scatter(x=epochs, y=acc_gap, name="accuracy gap (training - validation)", mode="lines+markers",
                    line=dict(color=GAP_ACC_COLOUR, dash="dash"), marker=dict(symbol="square"), yaxis="y2")
    fig.add_hline(y=0, line=dict(color=MARK_COLOUR, width=1))
    _mark_epochs(fig, best, selected, max_epochs or len(epochs))
    left, right = zero_aligned_ranges(loss_gap, acc_gap)
    fig.update_layout(yaxis=dict(range=left, tickvals=nice_ticks(*left, count=7)),
                      yaxis2=dict(range=right, overlaying="y", side="right", showgrid=False,
                                  tickvals=nice_ticks(*right, count=7), title="accuracy gap (points)",
                                  title_font=dict(color=GAP_ACC_COLOUR)))
    epoch_axis(fig, max_epochs)
    fig = layout(fig, "Generalisation gap", "loss gap")
    fig.update_layout(yaxis_title_font=dict(color=GAP_COLOUR), legend=dict(y=1.1))
    return fig


def _gap_words(row: dict) -> str:
    loss, acc = row["val_loss"] - row["loss"], 100 * (row["accuracy"] - row["val_accuracy"])
    return (f"validation loss {abs(loss):.3f} {'above' if loss >= 0 else 'below'} training loss, training "
            f"accuracy {abs(acc):.1f} points {'above' if acc >= 0 else 'below'} validation accuracy")


def gap_summary(history: Sequence[dict], best: int | None = None) -> str:
    """The gap chart in words, for a reader who cannot see it: the gap at the best epoch (lowest
    validation loss) and after the last, and how the loss gap changed between them."""
    rows = {h["epoch"]: h for h in history if h.get("val_loss") is not None}
    if not rows:
        return ""
    last = rows[max(rows)]
    if best not in rows or best == last["epoch"]:
        return f"After epoch {last['epoch']}: {_gap_words(last)}."
    change = (last["val_loss"] - last["loss"]) - (rows[best]["val_loss"] - rows[best]["loss"])
    moved = f"grew by {change:.3f}" if change >= 0.0005 else (
        f"shrank by {-change:.3f}" if change <= -0.0005 else "did not change")
    return (f"At epoch {best}, the lowest validation loss: {_gap_words(rows[best])}. After epoch "
            f"{last['epoch']}: {_gap_words(last)}. The loss gap {moved}.")


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """At most `count` + 1 round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) from low to high,
    0 among them when it is in range."""
    raw = (high - low) / count
    power = 10 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = np.ceil(low / step) * step
    return [round(float(v), 10) + 0.0 for v in np.arange(first, high + step * 1e-9, step)]  # + 0.0: no "-0"


def zero_aligned_ranges(left: Sequence[float], right: Sequence[float], pad: float = 0.08):
    """Axis ranges for two series, each including 0, with 0 at the same height on both axes."""
    def span(values):
        low, high = min([0.0, *values]), max([0.0, *values])
        extra = (high - low) * pad or 1.0
        return low - (extra if low < 0 else 0), high + extra

    (l0, l1), (r0, r1) = span(left), span(right)
    # The share of each axis below zero; the larger one is used for both.
    below = max(-l0 / (l1 - l0), -r0 / (r1 - r0))
    def stretch(low, high):
        if below == 0:
            return [low, high]
        return [-high * below / (1 - below), high] if -low / (high - low) < below else [low, -low * (1 - below) / below]
    return stretch(l0, l1), stretch(r0, r1)


RIGHT_COLOUR, WRONG_COLOUR = BEST_COLOUR, "#c92a2a"  # both 5.3:1 or more on white, as text


def gallery_captions(class_names: Sequence[str], predicted: np.ndarray, truth: np.ndarray,
                     confidence: np.ndarray) -> tuple[list[str], list[str]]:
    """Each image's caption (the class read and how sure, then ✓ when right or ✗ when wrong) and
    its colour (green or red): the mark says it to those who cannot tell the colours apart."""
    right = np.asarray(predicted) == np.asarray(truth)
    captions = [f"{class_names[p]} {c:.0%} {'✓' if r else '✗'}" for p, c, r in zip(predicted, confidence, right)]
    return captions, [RIGHT_COLOUR if r else WRONG_COLOUR for r in right]


@readable
def image_grid(images: np.ndarray, captions: Sequence[str], columns: int = 8,
               colours: Sequence[str] | None = None, clickable: bool = False) -> go.Figure:
    """Small 28x28 images in a grid, dark ink on white, with a caption under each."""
    n = len(images)
    rows = max(1, -(-n // columns))
    cell_w, cell_h = 30, 40  # 28 pixels plus a margin; the extra height holds the caption
    canvas = np.full((rows * cell_h, columns * cell_w), 255, dtype=np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        canvas[r * cell_h + 1:r * cell_h + 29, c * cell_w + 1:c * cell_w + 29] = 255 - img
    fig = go.Figure(go.Heatmap(z=canvas, colorscale="gray", showscale=False, hoverinfo="skip",
                               zmin=0, zmax=255))
    for i, caption in enumerate(captions):
        r, c = divmod(i, columns)
        fig.add_annotation(x=c * cell_w + 14.5, y=r * cell_h + 34, text=caption, showarrow=False,
                           font=dict(size=12, color=colours[i] if colours else "#212529"))
    if clickable:  # an invisible marker on each image: a click selects it
        spots = [divmod(i, columns) for i in range(n)]
        fig.add_scatter(x=[c * cell_w + 14.5 for _, c in spots], y=[r * cell_h + 14.5 for r, _ in spots],
                        mode="markers", marker=dict(size=26, symbol="square", color="rgba(0,0,0,0.01)"),
                        customdata=list(range(n)), showlegend=False,  # a skipped hover cannot be clicked
                        hovertemplate="click to look closer<extra></extra>")
    fig.update_yaxes(autorange="reversed", visible=False, scaleanchor="x")
    fig.update_xaxes(visible=False)
    fig.update_layout(height=rows * 900 * cell_h // (columns * cell_w) + 20,
                      margin=dict(l=0, r=0, t=0, b=0), plot_bgcolor="white")
    return fig


@readable
def confusion_figure(counts: np.ndarray, class_names: Sequence[str]) -> go.Figure:
    """Rows are true classes, columns predicted; the diagonal is what it got right."""
    names = list(class_names)
    off = counts.astype(float).copy()
    np.fill_diagonal(off, np.nan)  # colour the mistakes; the diagonal would swamp them
    fig = go.Figure(go.Heatmap(z=off, x=names, y=names, colorscale="Reds", text=counts,
                               texttemplate="%{text}", showscale=False, hoverinfo="skip"))
    # A heatmap's cells cannot be selected in Plotly; a nearly invisible marker on each cell can,
    # so a click on a cell selects it (the page shows that cell's images).
    rows, cols = np.indices(counts.shape)
    fig.add_scatter(x=[names[j] for j in cols.ravel()], y=[names[i] for i in rows.ravel()], mode="markers",
                    marker=dict(size=34, symbol="square", color="rgba(0,0,0,0.01)"), showlegend=False,
                    customdata=np.c_[rows.ravel(), cols.ravel(), counts.ravel()],
                    hovertemplate="true %{y}, predicted %{x}: %{customdata[2]}<br>click to see them<extra></extra>")
    fig.update_yaxes(autorange="reversed", title="true class", type="category")
    fig.update_xaxes(title="predicted class", side="top", type="category")
    fig.update_layout(height=480, margin=dict(l=10, r=10, t=60, b=10), font=dict(size=FONT))
    return fig


def confusion_summary(counts: np.ndarray, class_names: Sequence[str], top: int = 3) -> str:
    """The confusion matrix in a sentence, for a reader who cannot see it: its largest mistakes
    (cells off the diagonal), most first, and how many mistakes there are in all."""
    names, off = list(class_names), counts.astype(np.int64).copy()
    np.fill_diagonal(off, 0)
    order = [divmod(int(i), off.shape[1]) for i in np.argsort(-off, axis=None, kind="stable")[:top]]
    cells = [(t, c) for t, c in order if off[t, c] > 0]
    if not cells:
        return "No mistakes: every test image is on the diagonal."
    said = [f"{names[t]} read as {names[c]} ({off[t, c]:,}{'' if i else ' images' if off[t, c] > 1 else ' image'})"
            for i, (t, c) in enumerate(cells)]
    total = int(off.sum())
    return f"Most frequent mistakes: {', '.join(said)}; {total:,} mistake{'s' if total > 1 else ''} in all."


@readable
def per_class_figure(per_class: np.ndarray, class_names: Sequence[str]) -> go.Figure:
    """Accuracy of each class as a dot on its own row, its value beside it (so no two labels can
    meet, however narrow the column); a dot, not a bar: a bar would claim a baseline the axis does
    not start at. The axis starts a little below the weakest class and ends past 100%."""
    low = float(np.nanmin(per_class)) if np.isfinite(per_class).any() else 0.0
    step = 0.02 if low >= 0.9 else 0.05 if low >= 0.7 else 0.1
    floor = max(0.0, np.floor(low / step) * step - step)
    fig = go.Figure(go.Scatter(y=list(class_names), x=per_class, mode="markers+text",
                               marker=dict(color=TRAIN_COLOUR, size=14), cliponaxis=False,
                               text=[f"{v:.1%}" for v in per_class], textposition="middle left",
                               hovertemplate="%{y}: %{x:.2%}<extra></extra>"))
    fig.update_xaxes(tickformat=".0%", range=[floor - step, 1.0 + step / 2],
                     tickvals=[round(float(v), 4) for v in np.arange(floor, 1.0 + 1e-9, step)], title="accuracy")
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_layout(height=480, font=dict(size=FONT), margin=dict(l=10, r=10, t=60, b=10),
                      title=dict(text="Accuracy per class", font=dict(size=TITLE_FONT)))
    return fig


@readable
def probability_figure(probs: np.ndarray, class_names: Sequence[str], true_class: int | None = None) -> go.Figure:
    """The ten probabilities as bars; the predicted class stands out, the true one is outlined."""
    top = int(np.argmax(probs))
    colours = [TRAIN_COLOUR if i == top else "#adb5bd" for i in range(len(probs))]
    lines = [3 if i == true_class else 0 for i in range(len(probs))]
    fig = go.Figure(go.Bar(x=list(class_names), y=probs, marker_color=colours,
                           marker_line=dict(width=lines, color=BEST_COLOUR),
                           text=[f"{p:.0%}" for p in probs], textposition="outside"))
    fig.update_yaxes(range=[0, 1.15], tickvals=[0, 0.25, 0.5, 0.75, 1], tickformat=".0%")
    fig.update_xaxes(type="category")
    fig.update_layout(height=280, margin=dict(l=10, r=10, t=10, b=10), font=dict(size=FONT))
    return fig


@readable
def epoch_probability_figure(probs_by_epoch: np.ndarray, class_names: Sequence[str],
                             epoch: int | None = None) -> go.Figure:
    """Each class's probability after every epoch: the network making up its mind. The classes
    that matter (5% at the end, or 20% at some epoch) are drawn bold, the others thin and dotted."""
    epochs = list(range(1, len(probs_by_epoch) + 1))
    final = probs_by_epoch[-1]
    fig = go.Figure()
    for k, name in enumerate(class_names):
        strong = final[k] >= 0.05 or probs_by_epoch[:, k].max() >= 0.2
        fig.add_scatter(x=epochs, y=probs_by_epoch[:, k], name=name, mode="lines+markers" if strong else "lines",
                        showlegend=bool(strong),  # the faint ones lie on top of each other near 0
                        line=dict(color=CLASS_COLOURS[k % len(CLASS_COLOURS)], width=3 if strong else 1.5,
                                  dash="solid" if strong else "dot"))
    if epoch is not None:
        fig.add_vline(x=epoch, line=dict(color=MARK_COLOUR, width=2),
                      annotation=dict(text=f"epoch {epoch}"),
                      annotation_position="bottom left" if epoch > (len(epochs) + 1) / 2 else "bottom right")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    epoch_axis(fig, len(epochs))
    layout(fig, "Probability of each class after every epoch", "probability", height=380)
    fig.update_layout(legend=dict(orientation="v", y=1, x=1.02, xanchor="left", yanchor="top"),
                      margin=dict(t=50))
    return fig




@readable
def overlay_figure(curves: Sequence[tuple[str, Sequence[dict], int | None]], metric: str,
                   title: str) -> go.Figure:
    """One line per run for `metric` ("val_loss", "val_accuracy", "loss"), best epochs marked."""
    fig = go.Figure()
    for i, (name, rows, best) in enumerate(curves):
        colour = RUN_COLOURS[i % len(RUN_COLOURS)]
        points = [(r["epoch"], r.get(metric)) for r in rows if r.get(metric) is not None]
        if not points:
            continue
        fig.add_scatter(x=[p[0] for p in points], y=[p[1] for p in points], name=name,
                        mode="lines+markers", line=dict(color=colour))
        if best is not None and any(p[0] == best for p in points):
            fig.add_scatter(x=[best], y=[dict(points)[best]], mode="markers", showlegend=False,
                            marker=dict(symbol="star", size=14, color=colour),
                            hovertemplate=f"{name}: best epoch {best}<extra></extra>")
    if "accuracy" in metric:
        fig.update_yaxes(tickformat=".1%")
        honest_range(fig, [r.get(metric) for _, rows, _ in curves for r in rows if r.get(metric) is not None])
    longest = max((len(rows) for _, rows, _ in curves), default=0)
    epoch_axis(fig, longest)
    layout(fig, title, metric.replace("_", " "), height=340)
    fig.update_layout(legend=dict(orientation="v", y=1, x=1.02, xanchor="left", yanchor="top"), margin=dict(t=50))
    return fig


@readable
def handwriting_figure(test: Sequence[float | None], drawn: Sequence[float], title: str,
                       selected: int | None = None) -> go.Figure:
    """Accuracy on the test set and on a set of drawings after each epoch: the gap between the
    benchmark and other people's handwriting."""
    epochs = list(range(1, len(drawn) + 1))
    fig = go.Figure()
    fig.add_scatter(x=epochs, y=list(test), name="test set", mode="lines+markers", line=dict(color=TRAIN_COLOUR))
    fig.add_scatter(x=epochs, y=list(drawn), name=title, mode="lines+markers", line=dict(color=VAL_COLOUR))
    fig.update_yaxes(tickformat=".0%")
    epoch_axis(fig, len(epochs))
    _mark_epochs(fig, None, selected, len(epochs))
    return layout(fig, "Accuracy after each epoch", "accuracy")


@readable
def bars_figure(labels: Sequence[str], values: Sequence[float], title: str) -> go.Figure:
    """A few fractions side by side, each written on its bar."""
    fig = go.Figure(go.Bar(x=list(labels), y=list(values), marker_color=[MARK_COLOUR] + [TRAIN_COLOUR] * (len(values) - 1),
                           text=[f"{v:.1%}" for v in values], textposition="outside"))
    fig.update_yaxes(range=[0, 1.15], tickvals=[0, 0.25, 0.5, 0.75, 1], tickformat=".0%")
    fig.update_layout(title=dict(text=title, font=dict(size=TITLE_FONT)), height=320, font=dict(size=FONT),
                      margin=dict(l=10, r=10, t=60, b=10))
    return fig


@readable
def sweep_figure(rows: Sequence, setting: str) -> go.Figure:
    """Each value of a sweep against best validation accuracy and test accuracy: the mean of its
    seeds, in a band from the lowest to the highest (rows: mnist_core.analysis.experiments.Row). Values
    are evenly spaced in the order tried; one whose runs all diverged is marked so."""
    fig = go.Figure()
    for attr, name, colour in (("best_val", "best validation accuracy", VAL_COLOUR),
                               ("test", "test accuracy", TRAIN_COLOUR)):
        shown = [(r, getattr(r, attr)) for r in rows if getattr(r, attr) is not None]
        if not shown:
            continue
        x = [r.text for r, _ in shown]
        if any(len(s.values) > 1 for _, s in shown):  # the seeds' range as a band
            fig.add_scatter(x=x + x[::-1], y=[s.high for _, s in shown] + [s.low for _, s in shown][::-1],
                            fill="toself", fillcolor=_rgba(colour, 0.18), line=dict(width=0), mode="lines",
                            name=f"{name}, range of the seeds", hoverinfo="skip")
        fig.add_scatter(
            x=x, y=[s.mean for _, s in shown], name=name, mode="lines+markers",
            line=dict(color=colour), marker=dict(size=10),
            customdata=[[len(s.values), 100 * s.low, 100 * s.high] for _, s in shown],
            hovertemplate=f"{name} %{{y:.1%}} (%{{customdata[0]}} runs, %{{customdata[1]:.1f}}"
                          "-%{customdata[2]:.1f}%)<extra></extra>")
    means = [s.mean for r in rows for s in (r.best_val, r.test) if s is not None]
    lost = [r.text for r in rows if r.diverged and r.test is None]
    if lost:  # a value whose runs all diverged has no accuracy to plot: say so in its place
        fig.add_scatter(x=lost, y=[min(means, default=0.1)] * len(lost), mode="text", text=["diverged"] * len(lost),
                        textfont=dict(color=MARK_COLOUR), showlegend=False, hoverinfo="skip")
    fig.update_yaxes(tickformat=".1%")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=[r.text for r in rows])
    layout(fig, f"Accuracy against {setting}", "accuracy", height=360)
    fig.update_layout(xaxis_title=setting, hovermode="closest")
    return fig

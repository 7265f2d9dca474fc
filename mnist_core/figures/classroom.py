"""The class's figure: everyone's guesses for a lesson, sized to be read from the back of a room."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from mnist_core.figures.style import MARK_COLOUR, readable

ROOM_FONT = 22  # projected: about the size of a slide's body text
ROOM_FAMILY = '"Source Sans", "Source Sans Pro", sans-serif'  # the app's own type
SURE_COLOURS = ("#a5d8ff", "#4dabf7", "#1864ab")  # a hunch, fairly sure, certain: light to dark


@readable
def guesses_figure(guesses: Sequence[str], counts: np.ndarray, sure: Sequence[str],
                   answer: int | None = None, height: int = 400, wrap: int = 26) -> go.Figure:
    """Horizontal bars, one per answer (the first on top), each split by how sure its guessers
    were; the count at the end of each bar. With `answer`, the answer that happened is marked
    (a tick, in bold), the others are greyed and the legend goes. Answers wrap at `wrap` characters."""
    labels = ["<br>".join(textwrap.wrap(g, wrap)) for g in guesses]
    if answer is not None:
        labels = [f"<b>✓ {label}</b>" if i == answer else label for i, label in enumerate(labels)]
    fig = go.Figure()
    for level, name in enumerate(sure):
        colours = [SURE_COLOURS[level] if answer in (None, i) else "#dee2e6" for i in range(len(guesses))]
        fig.add_bar(y=labels, x=counts[:, level], orientation="h", name=name, marker_color=colours,
                    hovertemplate=f"%{{x}} {name}<extra></extra>", showlegend=False, legendgroup=name)
        # The legend's swatch takes a trace's first colour, which may be greyed: a swatch of its own.
        fig.add_bar(y=[labels[0]], x=[0], orientation="h", name=name, marker_color=SURE_COLOURS[level],
                    legendgroup=name, hoverinfo="skip")
    totals = counts.sum(axis=1)
    top = max(int(totals.max(initial=0)), 1)
    fig.add_scatter(y=labels, x=totals, mode="text", text=[f"  {t}" for t in totals], textposition="middle right",
                    textfont=dict(size=ROOM_FONT + 6, color=MARK_COLOUR), showlegend=False, hoverinfo="skip")
    fig.update_layout(barmode="stack", height=height, font=dict(size=ROOM_FONT, family=ROOM_FAMILY), bargap=0.3,
                      margin=dict(l=10, r=30, t=10, b=10), plot_bgcolor="white", paper_bgcolor="white",
                      legend=dict(orientation="h", y=-0.08, x=0, traceorder="normal", font=dict(size=ROOM_FONT - 4)),
                      showlegend=answer is None)  # after the reveal the room has read it: room for the labels
    fig.update_xaxes(range=[0, top * 1.25], showgrid=False, showticklabels=False, zeroline=False)
    fig.update_yaxes(autorange="reversed", automargin=True, tickfont=dict(size=ROOM_FONT - 2))
    return fig

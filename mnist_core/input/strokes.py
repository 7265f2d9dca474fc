"""Digits written by a script, pen stroke by pen stroke: handwriting that is not MNIST's.

A network that reads MNIST's test set well can read other people's digits much worse. To
measure that (bench/handwriting.py) and to drive the canvas in the browser tests, this module
writes each digit from a few pen strokes (two or three styles per digit), then varies it the
ways people do: slant, tilt, width, size, place on the canvas, a shaky hand and the pen's
width. `canvas_picture` paints the strokes as the drawing canvas returns them (RGBA, black
ink whose alpha is the stroke, on a transparent background), so they go through the very
same recipe as a learner's drawing (mnist_core.input.canvas).

GLYPHS holds common styles, much like MNIST's. UNLIKE_MNIST holds styles MNIST's writers
seldom used: ones with a long flag, sevens with a bar, nines with an open loop, fours
with a closed top. The shipped network reads those much worse, yet a person reads them at
once: a hand to teach a network (`unlike_mnist_digits`).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

CANVAS = 280  # the Draw page's canvas, in pixels


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24) -> list:
    """Points along an ellipse from `start` to `end` degrees (0 is right, 90 is down)."""
    angles = np.radians(np.linspace(start, end, n))
    return list(zip(cx + rx * np.cos(angles), cy + ry * np.sin(angles)))


# Each digit: its styles; each style: its strokes; each stroke: points in a unit box
# (x to the right, y down), written in the order a pen would.
GLYPHS: dict[int, list[list[list[tuple[float, float]]]]] = {
    0: [[_arc(0.5, 0.5, 0.3, 0.45, -90, 270, 40)],
        [_arc(0.5, 0.5, 0.3, 0.45, -100, 300, 40)],  # overshoots where it began
        [_arc(0.5, 0.5, 0.25, 0.45, -60, 250, 36)]],  # left open at the top
    1: [[[(0.5, 0.05), (0.5, 0.95)]],
        [[(0.3, 0.25), (0.55, 0.05), (0.55, 0.95)]],
        [[(0.3, 0.25), (0.55, 0.05), (0.55, 0.95)], [(0.3, 0.95), (0.8, 0.95)]]],  # with a foot
    2: [[_arc(0.5, 0.3, 0.28, 0.25, -160, 20) + [(0.2, 0.95), (0.85, 0.95)]],
        [_arc(0.5, 0.3, 0.28, 0.25, -160, 20) + [(0.3, 0.85)]
         + _arc(0.3, 0.85, 0.1, 0.1, 180, 360, 8)[::-1] + [(0.85, 0.92)]]],  # a loop at the foot
    3: [[_arc(0.48, 0.28, 0.27, 0.23, -150, 90) + _arc(0.48, 0.72, 0.31, 0.23, -90, 150)],
        [[(0.2, 0.05), (0.8, 0.05), (0.45, 0.42)] + _arc(0.48, 0.7, 0.32, 0.25, -110, 150)]],  # flat top
    4: [[[(0.6, 0.05), (0.15, 0.65), (0.85, 0.65)], [(0.62, 0.3), (0.62, 0.95)]],
        [[(0.22, 0.05), (0.17, 0.6), (0.85, 0.6)], [(0.66, 0.05), (0.66, 0.95)]]],
    5: [[[(0.8, 0.05), (0.32, 0.05), (0.27, 0.45)] + _arc(0.5, 0.68, 0.3, 0.27, -125, 150)],
        [[(0.3, 0.05), (0.25, 0.45)] + _arc(0.5, 0.68, 0.3, 0.27, -125, 150), [(0.3, 0.05), (0.8, 0.05)]]],
    6: [[[(0.72, 0.05), (0.45, 0.25)] + _arc(0.5, 0.7, 0.27, 0.25, 200, 560, 32)],
        [_arc(0.75, 0.6, 0.5, 0.55, 240, 180, 10) + _arc(0.5, 0.72, 0.25, 0.23, 180, 520, 28)]],
    7: [[[(0.15, 0.05), (0.85, 0.05), (0.4, 0.95)]],
        [[(0.15, 0.05), (0.85, 0.05), (0.4, 0.95)], [(0.35, 0.5), (0.78, 0.5)]],  # crossed
        [[(0.15, 0.15), (0.2, 0.05), (0.85, 0.05), (0.55, 0.5), (0.5, 0.95)]]],
    8: [[_arc(0.5, 0.27, 0.22, 0.22, 90, 450, 32), _arc(0.5, 0.72, 0.28, 0.23, -90, 270, 32)],
        [_arc(0.5, 0.25, 0.25, 0.2, 30, -200, 20) + [(0.72, 0.72)]
         + _arc(0.5, 0.72, 0.23, 0.23, 0, 180, 14) + [(0.72, 0.25)]]],  # one stroke, an S and back
    9: [[_arc(0.5, 0.3, 0.27, 0.25, 0, 360, 32), [(0.77, 0.3), (0.72, 0.95)]],
        [_arc(0.5, 0.3, 0.27, 0.25, 0, 360, 32) + _arc(0.35, 0.3, 0.42, 0.65, 0, 80, 10)]],
}


# A second hand: continental and script styles that MNIST's writers rarely used. A person
# reads them at once; a network that learned only MNIST's hand often does not.
UNLIKE_MNIST: dict[int, list[list[list[tuple[float, float]]]]] = {
    0: [[_arc(0.5, 0.5, 0.34, 0.45, -90, 270, 40)]],  # plain (narrower ones read as 8s)
    1: [[[(0.12, 0.45), (0.6, 0.05), (0.6, 0.95)], [(0.3, 0.95), (0.88, 0.95)]],  # a long flag and a foot
        [[(0.18, 0.3), (0.6, 0.05), (0.6, 0.95)]]],  # a long flag alone
    2: [[_arc(0.5, 0.28, 0.3, 0.23, -170, 30) + [(0.3, 0.78)]
         + _arc(0.3, 0.83, 0.13, 0.12, -90, -450, 20) + [(0.9, 0.95)]]],  # a loop at the foot
    3: [[[(0.15, 0.05), (0.85, 0.05), (0.4, 0.4)] + _arc(0.5, 0.68, 0.34, 0.28, -120, 160)]],  # flat top
    4: [[[(0.9, 0.76), (0.1, 0.76), (0.6, 0.05), (0.6, 0.95)]],  # a closed top, in one stroke
        [[(0.6, 0.95), (0.6, 0.05), (0.1, 0.74), (0.9, 0.74)]]],  # the same, the other way round
    5: [[[(0.3, 0.05), (0.26, 0.38)] + _arc(0.52, 0.56, 0.3, 0.25, -135, 130),
         [(0.3, 0.05), (0.85, 0.05)]]],  # a high belly, the bar last
    6: [[[(0.62, 0.05), (0.28, 0.68)] + _arc(0.5, 0.75, 0.25, 0.2, 160, -200, 24)]],  # straight stem, small loop
    7: [[[(0.1, 0.32), (0.15, 0.05), (0.88, 0.05), (0.62, 0.5), (0.58, 0.95)], [(0.28, 0.5), (0.9, 0.5)]],
        [[(0.12, 0.32), (0.17, 0.05), (0.88, 0.05), (0.55, 0.95)], [(0.28, 0.52), (0.85, 0.52)]]],  # flag, bar
    8: [[_arc(0.5, 0.27, 0.22, 0.22, 90, 450, 32), _arc(0.5, 0.73, 0.22, 0.22, -90, 270, 32)],  # two circles
        [_arc(0.5, 0.3, 0.27, 0.25, 90, 450, 32), _arc(0.5, 0.78, 0.18, 0.17, -90, 270, 28)]],
    9: [[_arc(0.5, 0.25, 0.27, 0.17, 0, -240, 24), [(0.77, 0.12), (0.77, 0.95)]],  # open, flat loop
        [_arc(0.5, 0.25, 0.27, 0.17, 125, 360, 24) + [(0.77, 0.95)]]],  # the same in one stroke
}


def pen_strokes(digit: int, rng: np.random.Generator, canvas: int = CANVAS,
                glyphs: dict | None = None) -> list[np.ndarray]:
    """One way of writing `digit` (a style of `glyphs`, GLYPHS if none): its strokes as (n, 2)
    arrays of canvas pixels (x, y)."""
    styles = (GLYPHS if glyphs is None else glyphs)[digit]
    strokes = styles[int(rng.integers(len(styles)))]
    slant = rng.uniform(-0.6, 0.35)  # negative leans to the right, as most people write
    tilt = np.radians(rng.uniform(-20, 20))
    aspect = rng.uniform(0.55, 1.4)
    height = rng.uniform(0.3, 0.9) * canvas
    width = height * aspect * 0.7
    rotate = np.array([[np.cos(tilt), -np.sin(tilt)], [np.sin(tilt), np.cos(tilt)]])
    shaped = []
    for stroke in strokes:
        points = np.asarray(stroke, float) - 0.5
        points[:, 0] -= slant * points[:, 1]
        points = points * [width, height] @ rotate.T
        points += rng.normal(0, 0.008 * height, points.shape)  # a shaky hand
        shaped.append(points)
    every = np.concatenate(shaped)
    low, high = every.min(axis=0), every.max(axis=0)
    room = np.maximum(canvas - 8 - (high - low), 0)
    offset = 4 - low + rng.uniform(0, 1, 2) * room  # anywhere it fits on the canvas
    return [np.clip(points + offset, 0, canvas - 1) for points in shaped]


def canvas_picture(strokes: list[np.ndarray], pen: float, canvas: int = CANVAS) -> np.ndarray:
    """The strokes as the canvas returns them: RGBA, black ink whose alpha is the stroke
    (painted at twice the size and shrunk, for the canvas's smooth edges)."""
    big = Image.new("L", (canvas * 2, canvas * 2), 0)
    draw = ImageDraw.Draw(big)
    radius = pen  # the pen's width at twice the size, halved: its radius there
    for points in strokes:
        xy = [tuple(p) for p in (points * 2)]
        draw.line(xy, fill=255, width=int(round(pen * 2)), joint="curve")
        for x, y in (xy[0], xy[-1]):  # round ends, as a pen makes
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    alpha = np.asarray(big.resize((canvas, canvas), Image.Resampling.BOX))
    rgba = np.zeros((canvas, canvas, 4), np.uint8)
    rgba[..., 3] = alpha
    return rgba


def written_digits(count: int, seed: int = 0, pens: tuple[float, float] = (6, 40),
                   glyphs: dict | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """`count` canvas pictures of digits written by the script (the classes in turn) and their
    labels: pen widths drawn from `pens` (pixels on the 280-pixel canvas; the Draw page's pen
    is 20, and a small digit drawn with it has thick strokes once scaled to MNIST's box).
    The styles come from `glyphs`: GLYPHS if none."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 10
    pictures = []
    for digit in labels:
        strokes = pen_strokes(int(digit), rng, glyphs=glyphs)
        every = np.concatenate(strokes)
        tall = every[:, 1].max() - every[:, 1].min()
        pen = min(rng.uniform(*pens), 0.2 * tall)  # no one writes blots they cannot read
        pictures.append(canvas_picture(strokes, pen))
    return pictures, labels


def unlike_mnist_digits(count: int, seed: int = 0, pens: tuple[float, float] = (6, 40)) -> tuple[list[np.ndarray], np.ndarray]:
    """Like `written_digits`, in the styles of UNLIKE_MNIST: a hand MNIST's writers rarely had."""
    return written_digits(count, seed=seed, pens=pens, glyphs=UNLIKE_MNIST)

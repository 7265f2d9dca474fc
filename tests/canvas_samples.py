"""MNIST test digits redrawn as canvas pictures: the robustness check of the canvas recipe.

Each digit is scaled to a random height (100-250 px on a 280x280 canvas), placed at a random
spot, its stroke made a little thicker or thinner, and returned as the canvas returns a
drawing: RGBA, black ink whose opacity is the stroke, on a transparent background.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

CANVAS = 280


def as_canvas(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    ys, xs = np.nonzero(digit > 30)
    crop = digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    height = int(rng.integers(100, 251))
    width = max(1, round(crop.shape[1] * height / crop.shape[0]))
    if width > CANVAS - 10:  # a very wide digit: fit the width instead
        width = CANVAS - 10
        height = max(1, round(crop.shape[0] * width / crop.shape[1]))
    img = Image.fromarray(crop).resize((width, height), Image.Resampling.BILINEAR)
    change = rng.choice(["thinner", "same", "thicker"])
    if change == "thicker":
        img = img.filter(ImageFilter.MaxFilter(5))
    elif change == "thinner":
        img = img.filter(ImageFilter.MinFilter(3))
    alpha = np.zeros((CANVAS, CANVAS), np.uint8)
    top = int(rng.integers(0, CANVAS - height + 1))
    left = int(rng.integers(0, CANVAS - width + 1))
    alpha[top:top + height, left:left + width] = np.asarray(img)
    rgba = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    rgba[..., 3] = alpha
    return rgba

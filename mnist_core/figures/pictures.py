"""Images as pictures for st.image: numpy and Pillow only.

The Data page draws with these rather than with Plotly, so that a learner's first page on a
fresh server does not wait for the browser to load Plotly's JavaScript (bench/load.py).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def ink(image: np.ndarray, scale: int = 2) -> np.ndarray:
    """A 28x28 image as dark ink on white, each pixel drawn as a `scale` x `scale` square."""
    return np.kron(255 - np.asarray(image, dtype=np.uint8), np.ones((scale, scale), dtype=np.uint8))


def grid(images: np.ndarray, captions: list[str], columns: int = 8, scale: int = 2) -> Image.Image:
    """Images as dark ink on white in one picture, a caption under each: one picture for the
    browser to fetch, not one per image."""
    size = 28 * scale
    cell_w, cell_h = size + 8, size + 22
    rows = max(1, -(-len(images) // columns))
    picture = Image.new("L", (columns * cell_w, rows * cell_h), 255)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=13)
    for i, (image, caption) in enumerate(zip(images, captions)):
        r, c = divmod(i, columns)
        x, y = c * cell_w + 4, r * cell_h + 2
        picture.paste(Image.fromarray(ink(image, scale)), (x, y))
        draw.text((x + size / 2, y + size + 3), caption, anchor="ma", font=font, fill=70)
    return picture


def grid_alt(what: str, captions: list[str]) -> str:
    """Alternative text for a grid (a screen reader reads it instead of the picture): what it
    shows, then the caption under each image, in reading order."""
    return f"{what}, left to right and top to bottom: {', '.join(captions)}" if captions else what


def mean_images(images: np.ndarray, labels: np.ndarray, classes: int = 10) -> list[np.ndarray]:
    """The mean image of each class, rounded to pixel values."""
    return [images[labels == k].mean(axis=0).round().astype(np.uint8) for k in range(classes)]


def pixel_numbers(image: np.ndarray, cell: int = 22) -> Image.Image:
    """One image as its grid of pixel values: each cell shaded by its value, the number written
    in it (light on dark cells, dark on light ones)."""
    values = np.asarray(image, dtype=np.uint8)
    rows, cols = values.shape
    picture = Image.new("L", (cols * cell + 1, rows * cell + 1), 255)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=max(8, cell // 2 - 1))
    for r in range(rows):
        for c in range(cols):
            value = int(values[r, c])
            box = (c * cell, r * cell, (c + 1) * cell, (r + 1) * cell)
            draw.rectangle(box, fill=255 - value, outline=225)
            draw.text(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), str(value), anchor="mm",
                      font=font, fill=255 if value > 110 else (190 if value == 0 else 40))
    return picture

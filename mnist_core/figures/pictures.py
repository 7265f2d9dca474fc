"""Images as pictures for st.image: numpy and Pillow only.

The Data page draws with these rather than with Plotly, so that a learner's first page on a
fresh server does not wait for the browser to load Plotly's JavaScript (bench/load.py).
"""

from __future__ import annotations

import io

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


# Colour pictures of signed and of positive values (Inside's weights and activations). As pictures,
# not Plotly heatmaps: a browser draws a PNG at once, while a heatmap per view cost it about a
# tenth of a second each, redrawn on every move of the epoch slider (bench/pages.py).
# ColorBrewer's RdBu, reversed: blue below zero, near-white at zero, red above.
DIVERGING = ("#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
             "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f")
VIRIDIS = ("#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725")
BLUES = ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b")
BAR_WIDTH, BAR_HEIGHT = 180, 10  # the colour bar under a picture, in pixels


def colours(values: np.ndarray, low: float, high: float, stops: tuple[str, ...] = DIVERGING) -> np.ndarray:
    """Values as RGB (uint8, one more axis of 3), linearly between the stops from `low` to `high`;
    values outside are clipped, and NaN (nothing to show) is white."""
    palette = np.array([[int(s[i:i + 2], 16) for i in (1, 3, 5)] for s in stops], np.float32)
    values = np.asarray(values, np.float32)
    t = np.clip((np.nan_to_num(values, nan=low) - low) / max(high - low, 1e-12), 0, 1) * (len(stops) - 1)
    below = np.minimum(t.astype(int), len(stops) - 2)
    mixed = palette[below] + (palette[below + 1] - palette[below]) * (t - below)[..., None]
    mixed[np.isnan(values)] = 255
    return mixed.round().astype(np.uint8)


def _colour_bar(picture: Image.Image, draw: ImageDraw.ImageDraw, low: float, high: float,
                stops: tuple[str, ...], title: str, top: int) -> None:
    """A horizontal colour bar at `top`, its ends (and zero, when it lies between) written under it."""
    bar = colours(np.tile(np.linspace(low, high, BAR_WIDTH), (BAR_HEIGHT, 1)), low, high, stops)
    picture.paste(Image.fromarray(bar), (4, top))
    draw.rectangle((4, top, 4 + BAR_WIDTH - 1, top + BAR_HEIGHT - 1), outline=(150, 150, 150))
    font = ImageFont.load_default(size=12)
    marks = [(low, "la"), (high, "ra")] + ([(0.0, "ma")] if low < 0 < high else [])
    for value, anchor in marks:
        x = 4 + (value - low) / max(high - low, 1e-12) * (BAR_WIDTH - 1)
        draw.text((x, top + BAR_HEIGHT + 2), f"{value:.3g}", anchor=anchor, font=font, fill=(60, 60, 60))
    draw.text((BAR_WIDTH + 14, top - 1), title, anchor="la", font=font, fill=(60, 60, 60))


def colour_grid(images: np.ndarray, captions: list[str], low: float, high: float, columns: int = 8,
                scale: int = 2, stops: tuple[str, ...] = DIVERGING, title: str = "weight") -> Image.Image:
    """Pictures (e.g. 28x28 weights) in colour on one scale from `low` to `high`, a caption under
    each, and a colour bar named `title` under the grid."""
    columns = max(1, min(columns, len(images)))
    h, w = images.shape[1] * scale, images.shape[2] * scale
    cell_w, cell_h = w + 6, h + (20 if captions else 6)
    rows = max(1, -(-len(images) // columns))
    picture = Image.new("RGB", (max(columns * cell_w, BAR_WIDTH + 120), rows * cell_h + BAR_HEIGHT + 26), "white")
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=12)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        x, y = c * cell_w + 3, r * cell_h + 2
        tile = colours(np.kron(image, np.ones((scale, scale), np.float32)), low, high, stops)
        picture.paste(Image.fromarray(tile), (x, y))
        if captions:
            draw.text((x + w / 2, y + h + 2), captions[i], anchor="ma", font=font, fill=(60, 60, 60))
    _colour_bar(picture, draw, low, high, stops, title, rows * cell_h + 4)
    return picture


def cell_strip(values: np.ndarray, columns: int = 64, cell: int = 11) -> Image.Image:
    """One layer's values (e.g. its units' activations for one image) as a row of cells, wrapped
    after `columns`: white at zero (or the lowest value, when one is below zero), darker blue when
    larger, with a colour bar."""
    n = len(values)
    columns = max(1, min(columns, n))
    rows = max(1, -(-n // columns))
    finite = values[np.isfinite(values)]
    low = float(min(0.0, finite.min())) if finite.size else 0.0
    high = max(float(finite.max()) if finite.size else 1.0, low + 1e-6)
    grid = np.full(rows * columns, np.nan, np.float32)
    grid[:n] = values
    cells = colours(grid.reshape(rows, columns), low, high, BLUES)
    picture = Image.new("RGB", (max(columns * cell + 1, BAR_WIDTH + 120), rows * cell + 1 + BAR_HEIGHT + 26), "white")
    big = np.kron(cells, np.ones((cell, cell, 1), np.uint8))
    big[::cell, :] = 230  # a thin line between cells
    big[:, ::cell] = 230
    big[(np.arange(rows * cell) // cell)[:, None].repeat(columns * cell, 1) * columns
        + (np.arange(columns * cell) // cell)[None, :] >= n] = 255  # no cells after the last unit
    picture.paste(Image.fromarray(big), (0, 0))
    _colour_bar(picture, ImageDraw.Draw(picture), low, high, BLUES, "activation", rows * cell + 5)
    return picture


def png(picture: Image.Image) -> bytes:
    """A picture as PNG bytes, quickly compressed (level 1: a tenth of a second less per picture
    than Pillow's default, for a few percent more bytes). Give st.image these, not the picture:
    given an RGB picture it sends a JPEG, which blurs crisp pixels and small text."""
    out = io.BytesIO()
    picture.save(out, format="PNG", compress_level=1)
    return out.getvalue()

"""Turn a drawing (or an uploaded picture) into the 28x28 input an MNIST network expects.

MNIST digits were scaled to fit a 20x20 box, keeping their aspect ratio, with
anti-aliased grey levels, then placed in a 28x28 field so that their centre of
mass sits in the middle. A dense network has no idea that a digit moved three
pixels to the left, so a drawing has to go through the same steps:

1. ink: how much each pixel differs from the background (the alpha channel when
   the background is transparent, else the distance from the border's colour);
2. crop to the ink's bounding box;
3. scale the longer side to 20 pixels (area averaging: anti-aliased);
4. paste into 28x28 with the centre of mass where MNIST has it (pixel 14, 14);
5. scale exactly as the training data was (0-1, or raw 0-255).

Fashion-MNIST was made another way: each product photo was trimmed to the object,
its longest side resized to 28 pixels, sharpened, and the short side padded to 28
with the object centred by its box (not its centre of mass). A drawing for a
clothing model follows that recipe instead (`CLOTHING`).
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from mnist_core.model.preprocess import prepare_images

BOX = 20  # MNIST's digit box
FIELD = 28
COM_TARGET = 14.0
MIN_INK_FRACTION = 0.0015  # of the canvas area: less ink than this is not a digit
MIN_EXTENT_FRACTION = 0.05  # the ink must span at least 5% of the canvas's longer side
MAX_PICTURE_BYTES = 5 * 1024 * 1024
# Checked in the header, before decoding: a 300 KB PNG can hold 9000 x 9000 pixels, 324 MB decoded.
# 16 million pixels (4000 x 4000; a 12-megapixel phone photo fits) decode to 64 MB (4 bytes a pixel);
# reading one peaks at about 135 MB (an RGBA picture is copied once to be resized).
MAX_PICTURE_SIDE = 4096
MAX_PICTURE_PIXELS = 16_000_000
# Pillow reads a PNG's chunks one by one in Python: 400,000 empty ones (5 MB) take a second.
# A 5 MB PNG cut into libpng's 8 KB chunks has 640.
MAX_PNG_CHUNKS = 10_000


@dataclass(frozen=True)
class Recipe:
    """How a dataset's images were made, so a drawing can be made the same way."""

    thing: str  # what to draw, as in "draw a digit"
    box: int  # the longer side of the object, in pixels
    by_mass: bool  # centred by centre of mass (MNIST) or by the box (Fashion-MNIST)
    sharpen: bool
    trim: float  # the crop keeps pixels with at least this fraction of the strongest ink
    steps: str  # the recipe in one sentence, for the page


DIGITS = Recipe("a digit", 20, True, False, 0.2,
                "The drawing is cropped to its ink, scaled to fit 20x20 pixels and centred by its centre "
                "of mass in a 28x28 square, as the MNIST digits were.")
# Clothes have faint edges (a sleeve, a sole) that belong to the object's box: a lower trim.
CLOTHING = Recipe("a piece of clothing", 28, False, True, 0.05,
                  "The drawing is cropped to its ink, its longer side scaled to 28 pixels, sharpened and "
                  "centred in a 28x28 square, as the Fashion-MNIST photos were.")


def recipe_for(dataset: str) -> Recipe:
    """The recipe for a dataset's name ("mnist", "fashion_mnist")."""
    return CLOTHING if dataset == "fashion_mnist" else DIGITS


class DrawingError(ValueError):
    """The picture cannot be used (wrong type or shape). The message says why."""


@dataclass(frozen=True)
class Drawing:
    """The 28x28 image (uint8, MNIST-like) and the network input, or a hint why there is none."""

    image: np.ndarray | None  # (28, 28) uint8, ink 255 on 0
    hint: str = ""

    @property
    def ok(self) -> bool:
        return self.image is not None

    def as_input(self, normalize: bool = True) -> np.ndarray:
        """The (1, 784) row for the network, scaled as its training data was."""
        return prepare_images(self.image[None], normalize)


def ink_map(pixels: np.ndarray) -> np.ndarray:
    """Ink strength 0-1 per pixel from a grey (H, W), RGB (H, W, 3) or RGBA (H, W, 4) array.

    A transparent background (the canvas's default) makes alpha the ink. Otherwise
    the background colour is the median of the border pixels, and ink is how far
    each pixel is from it: dark strokes on white and white strokes on black both work.
    """
    a = np.asarray(pixels)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or min(a.shape[:2]) < 8:
        raise DrawingError(
            f"expected a picture of shape (height, width), (h, w, 3) or (h, w, 4), at least 8x8; "
            f"got {a.shape}"
        )
    if a.dtype == np.bool_ or not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise DrawingError(f"expected pixel numbers, got {a.dtype}")
    a = a.astype(np.float32)
    if a.max() > 1.0:  # 0-255 values
        a /= 255.0
    if a.ndim == 3 and a.shape[2] == 4:
        alpha = a[..., 3]
        if alpha.min() < 0.99:  # a transparent background: the strokes are what is opaque
            return np.clip(alpha, 0, 1)
        a = a[..., :3]
    grey = a if a.ndim == 2 else a @ np.array([0.299, 0.587, 0.114], np.float32)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return np.clip(np.abs(grey - np.median(border)), 0, 1)


def prepare_drawing(pixels: np.ndarray, recipe: Recipe = DIGITS) -> Drawing:
    """The dataset's recipe applied to a drawing; a hint instead when there is too little ink."""
    ink = ink_map(pixels)
    h, w = ink.shape
    strong = ink > 0.2 * ink.max() if ink.max() > 0 else np.zeros_like(ink, bool)
    if not strong.any() or ink.max() < 0.1:
        return Drawing(None, f"The canvas is empty: draw {recipe.thing}, large, in the middle.")
    top, bottom, left, right = _box(strong)
    extent = max(bottom - top, right - left)
    if strong.sum() < MIN_INK_FRACTION * h * w or extent < MIN_EXTENT_FRACTION * max(h, w):
        return Drawing(None, f"That is too little ink for {recipe.thing}: draw it bigger.")
    top, bottom, left, right = _box(ink > recipe.trim * ink.max())

    crop = ink[top:bottom, left:right]
    crop = crop / crop.max()  # full-strength strokes, as in both datasets
    ch, cw = crop.shape
    scale = recipe.box / max(ch, cw)
    size = (max(1, round(cw * scale)), max(1, round(ch * scale)))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    small = np.asarray(Image.fromarray(crop.astype(np.float32), mode="F").resize(size, resample))
    window = _centre_by_mass(small) if recipe.by_mass else _centre_by_box(small)
    image = np.clip(np.rint(window * 255), 0, 255).astype(np.uint8)
    if recipe.sharpen:
        image = np.asarray(Image.fromarray(image).filter(ImageFilter.UnsharpMask(radius=1, percent=60, threshold=0)))
    return Drawing(image)


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the True pixels, bottom and right exclusive."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def _centre_by_mass(small: np.ndarray) -> np.ndarray:
    """Paste into a roomy field, then cut the 28x28 window centred on the centre of mass."""
    field = np.zeros((FIELD * 2, FIELD * 2), np.float32)
    y0, x0 = (FIELD * 2 - small.shape[0]) // 2, (FIELD * 2 - small.shape[1]) // 2
    field[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    total = field.sum()
    yy, xx = np.indices(field.shape)
    cy, cx = (yy * field).sum() / total, (xx * field).sum() / total
    # MNIST's centres of mass sit at (14.0, 14.0) in pixel indices (measured on the training
    # set: mean 13.99, 14.00, spread 0.29), half a pixel off the geometric 13.5. Match it.
    top = int(round(cy - COM_TARGET))
    left = int(round(cx - COM_TARGET))
    return field[top:top + FIELD, left:left + FIELD]


def _centre_by_box(small: np.ndarray) -> np.ndarray:
    """Pad the short side to 28 with the object in the middle."""
    field = np.zeros((FIELD, FIELD), np.float32)
    # An odd margin puts the extra pixel above and to the left, as in Fashion-MNIST (measured).
    y0, x0 = (FIELD - small.shape[0] + 1) // 2, (FIELD - small.shape[1] + 1) // 2
    field[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    return field


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the ink's centre of mass."""
    img = image.astype(np.float64)
    yy, xx = np.indices(img.shape)
    return float((yy * img).sum() / img.sum()), float((xx * img).sum() / img.sum())


def read_picture(data: bytes, name: str = "the file") -> np.ndarray:
    """An uploaded PNG or JPEG as an RGBA array (at most 560 px a side), or a DrawingError.

    Its size is read from the header, and checked, before any pixel is decoded.
    """
    if len(data) > MAX_PICTURE_BYTES:
        raise DrawingError(f"{name} is {len(data) / 2**20:.1f} MB; pictures up to "
                           f"{MAX_PICTURE_BYTES // 2**20} MB are accepted")
    if data.startswith(_PNG_SIGNATURE):
        _check_png_chunks(data, name)
    picture = _open_picture(data, name)
    try:
        picture.thumbnail((560, 560))  # JPEGs are decoded at a reduced scale: cheap
        return np.asarray(picture.convert("RGBA"))
    except Exception as exc:  # Pillow raises many kinds (OSError, SyntaxError, ...) for a damaged file
        raise DrawingError(_damaged(name, picture.format)) from exc


_PNG_SIGNATURE, _JPEG_SIGNATURE = b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"


def _damaged(name: str, kind: str) -> str:
    return f"{name} is a damaged {kind} file (cut short or altered) and cannot be read"


def _open_picture(data: bytes, name: str) -> Image.Image:
    """The picture, opened (header only: no pixels decoded), once its format, size and frames are fine."""
    too_big = (f"pictures up to {MAX_PICTURE_SIDE:,} px a side and {MAX_PICTURE_PIXELS / 1e6:g} million "
               "pixels are accepted")
    try:
        picture = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # Pillow's own limit, far above ours
        raise DrawingError(f"{name} has more than {Image.MAX_IMAGE_PIXELS * 2:,} pixels; {too_big}") from exc
    except Exception as exc:  # UnidentifiedImageError, or what a damaged header raises
        if data.startswith(_JPEG_SIGNATURE):
            raise DrawingError(_damaged(name, "JPEG")) from exc
        raise DrawingError(f"{name} is not a PNG or JPEG picture that can be read") from exc
    if picture.format not in ("PNG", "JPEG"):
        raise DrawingError(f"{name} is a {picture.format} file; upload a PNG or JPEG picture")
    width, height = picture.size
    if max(width, height) > MAX_PICTURE_SIDE or width * height > MAX_PICTURE_PIXELS:
        raise DrawingError(f"{name} is {width:,} x {height:,} pixels; {too_big}")
    frames = getattr(picture, "n_frames", 1)  # an animated PNG declares its frames in the header
    if frames > 1:
        raise DrawingError(f"{name} is an animation ({frames} frames); upload a still PNG or JPEG picture")
    return picture


def _check_png_chunks(data: bytes, name: str) -> None:
    """At most MAX_PNG_CHUNKS chunks, each with its CRC right, up to the closing IEND chunk; checked
    before Pillow reads them (it checks the CRCs of the chunks before the pixels only)."""
    view, pos = memoryview(data), len(_PNG_SIGNATURE)
    for _ in range(MAX_PNG_CHUNKS):
        if pos + 12 > len(data):
            break
        (length,) = struct.unpack_from(">I", data, pos)
        end = pos + 8 + length
        if end + 4 > len(data) or zlib.crc32(view[pos + 4:end]) != struct.unpack_from(">I", data, end)[0]:
            break
        if view[pos + 4:pos + 8] == b"IEND":
            return
        pos = end + 4
    else:
        raise DrawingError(f"{name} is cut into more than {MAX_PNG_CHUNKS:,} PNG chunks; up to "
                           f"{MAX_PNG_CHUNKS:,} are accepted")
    raise DrawingError(_damaged(name, "PNG"))

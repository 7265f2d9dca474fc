"""Data augmentation inside the compiled training loop: every batch, new changed copies.

A dense network has no idea that a digit moved two pixels is the same digit, and MNIST's
strokes are all about as thick. So a network trained on MNIST alone reads other people's
handwriting worse than its test score says (bench/handwriting.py measures by how much).
Augmenting shows it each training image changed at random, a new change every batch:

- move: turned by up to 20 degrees, slanted, resized by up to 20% along each side and
  shifted by up to 2 pixels, all in one affine map with bilinear resampling;
- stroke: strokes made thinner (up to most of a pixel on each side) or thicker (up to two
  pixels on each side): grey-level erosions and dilations of 3x3 pixels, mixed in by a
  random amount.

The copies are made batch by batch inside the XLA loop from the uint8 images it already
holds, so no second copy of the training set exists, and they are drawn from the run's
seed, the epoch and the batch (stateless random numbers): the same seed gives the same
curves. TensorFlow only; imported by mnist_core.training.trainer.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

KINDS = {"off": (), "move": ("move",), "stroke": ("stroke",), "all": ("move", "stroke")}
MAX_TURN = math.radians(20)
MAX_SLANT = 0.4  # horizontal shift per pixel of height
MAX_RESIZE = 0.2
MAX_SHIFT = 2.0  # pixels
THINNEST, THICKEST = -0.7, 2.0  # the most of one erosion, and of dilations, mixed in

_SIDE = 28
_ROWS, _COLS = np.divmod(np.arange(_SIDE * _SIDE), _SIDE)
_CENTRE = (_SIDE - 1) / 2


def noise_seed(seed: int, epoch: int) -> int:
    """The augmentation's random stream of one epoch of a run (below 2**31)."""
    return int(np.random.SeedSequence([seed, epoch, 2]).generate_state(1)[0] >> 1)


def augment_batch(x, seed, kind: str):
    """x: a batch of flattened images, float (b, 784); seed: int32 (2,). The batch changed."""
    parts = KINDS[kind]
    if not parts:
        return x
    b = tf.shape(x)[0]
    r = tf.random.stateless_uniform((b, 7), seed, -1.0, 1.0)  # each image's own changes
    if "stroke" in parts:
        x = _restroke(x, r[:, 0])
    if "move" in parts:
        x = _move(x, r[:, 1:])
    return x


def _spread(images, op):
    """A 3x3 grey-level dilation (op=tf.maximum) or erosion (tf.minimum), by shifted copies."""
    pad = tf.pad(images, [[0, 0], [1, 1], [1, 1]])
    rows = op(op(pad[:, :-2], pad[:, 1:-1]), pad[:, 2:])
    return op(op(rows[:, :, :-2], rows[:, :, 1:-1]), rows[:, :, 2:])


def _restroke(x, r):
    """r in [-1, 1] per image: below 0 thinner (up to THINNEST of an erosion mixed in), above 0
    thicker (up to THICKEST dilations: 2 is two pixels more on each side)."""
    images = tf.reshape(x, (-1, _SIDE, _SIDE))
    thin, thick = _spread(images, tf.minimum), _spread(images, tf.maximum)
    thicker = _spread(thick, tf.maximum)
    r = r[:, None, None]
    grow = tf.maximum(r, 0) * THICKEST  # 0..2 dilations
    shrink = tf.maximum(-r, 0) * -THINNEST
    out = images + shrink * (thin - images)
    out = tf.where(grow <= 1, out + grow * (thick - images), thick + (grow - 1) * (thicker - thick))
    return tf.reshape(out, (-1, _SIDE * _SIDE))


def _move(x, r):
    """Each output pixel reads the input at an affine map of its place (bilinear, zero outside)."""
    turn, slant = r[:, 0:1] * MAX_TURN, r[:, 1:2] * MAX_SLANT
    sx, sy = 1 + r[:, 2:3] * MAX_RESIZE, 1 + r[:, 3:4] * MAX_RESIZE
    dx, dy = r[:, 4:5] * MAX_SHIFT, r[:, 5:6] * MAX_SHIFT
    u = tf.constant(_COLS - _CENTRE, tf.float32)[None]
    v = tf.constant(_ROWS - _CENTRE, tf.float32)[None]
    cos, sin = tf.cos(turn), tf.sin(turn)
    # source = rotate(turn) @ slant @ resize @ (place) + centre - shift
    a, b = sx, slant * sy
    c, d = tf.zeros_like(sy), sy
    col = cos * (a * u + b * v) - sin * (c * u + d * v) + _CENTRE - dx
    row = sin * (a * u + b * v) + cos * (c * u + d * v) + _CENTRE - dy
    col0, row0 = tf.floor(col), tf.floor(row)
    wc, wr = col - col0, row - row0
    total = 0.0
    for dr, dc, weight in ((0, 0, (1 - wr) * (1 - wc)), (0, 1, (1 - wr) * wc),
                           (1, 0, wr * (1 - wc)), (1, 1, wr * wc)):
        rr, cc = row0 + dr, col0 + dc
        inside = (rr >= 0) & (rr < _SIDE) & (cc >= 0) & (cc < _SIDE)
        index = tf.cast(tf.clip_by_value(rr, 0, _SIDE - 1) * _SIDE + tf.clip_by_value(cc, 0, _SIDE - 1), tf.int32)
        total += tf.gather(x, index, batch_dims=1) * weight * tf.cast(inside, x.dtype)
    return total

"""A set of drawings: 28x28 images a learner drew, with the labels they drew them as.

A drawing is kept as the image the network reads (mnist_core.input.canvas made it with its
dataset's recipe). Sets move between browsers as a file (`export_set` / `import_set`): JSON
with the pixels in base64, at most MAX_FILE_BYTES, checked field by field before anything is
kept. `written_set` makes a set without a person: digits a script writes stroke by stroke.
`unlike_set` does the same in a hand unlike MNIST's, to teach a network with.
Where sets are kept: mnist_core.store.handwriting; how a run reads them:
mnist_core.analysis.handwriting.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from mnist_core.data.datasets import DATASETS
from mnist_core.input.canvas import prepare_drawing
from mnist_core.input.strokes import unlike_mnist_digits, written_digits

MAX_MINE = 200  # drawings in one learner's set, per dataset
MAX_CLASS = 2000  # drawings in one class set, per dataset
MAX_FILE_BYTES = 400_000  # an exported set of MAX_MINE drawings is about 230 KB
FORMAT = "mnist-lab-drawings"


class SetError(ValueError):
    """A set or a file of drawings that cannot be used; the message says why, in plain words."""


@dataclass
class DrawingSet:
    """Drawings (uint8 (n, 28, 28)) and their labels (uint8 (n,)) of one dataset, oldest first."""

    dataset: str
    images: np.ndarray
    labels: np.ndarray

    @classmethod
    def empty(cls, dataset: str) -> DrawingSet:
        return cls(dataset, np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8))

    def __len__(self) -> int:
        return len(self.labels)

    def counts(self) -> np.ndarray:
        """Drawings of each class (10,)."""
        return np.bincount(self.labels, minlength=10)[:10]

    def next_label(self) -> int:
        """The class with the fewest drawings (the lowest first): what to ask for next."""
        return int(np.argmin(self.counts()))

    def with_drawing(self, image: np.ndarray, label: int, limit: int) -> DrawingSet:
        if len(self) >= limit:
            raise SetError(f"this set is full ({limit} drawings): delete some first")
        if not 0 <= int(label) <= 9:
            raise SetError(f"label {label}: use a class from 0 to 9")
        image = np.asarray(image, np.uint8).reshape(1, 28, 28)
        return DrawingSet(self.dataset, np.concatenate([self.images, image]),
                          np.concatenate([self.labels, np.uint8([label])]))

    def without(self, index: int) -> DrawingSet:
        keep = np.arange(len(self)) != index
        return DrawingSet(self.dataset, self.images[keep], self.labels[keep])


@lru_cache(maxsize=2)
def written_set(count: int = 500, seed: int = 0, pens: tuple[float, float] = (6, 40)) -> DrawingSet:
    """Digits written stroke by stroke by a script (mnist_core.input.strokes), through the canvas recipe:
    a test set made by another process than MNIST (the lesson on handwriting, bench/handwriting.py)."""
    return _through_recipe(*written_digits(count, seed=seed, pens=pens))


@lru_cache(maxsize=2)
def unlike_set(count: int = 500, seed: int = 0, pens: tuple[float, float] = (6, 40)) -> DrawingSet:
    """Like `written_set`, in a hand unlike MNIST's (flagged ones, crossed sevens, open nines, closed
    fours: mnist_core.input.strokes.UNLIKE_MNIST): digits to teach a network a new hand with."""
    return _through_recipe(*unlike_mnist_digits(count, seed=seed, pens=pens))


def _through_recipe(pictures: list[np.ndarray], labels: np.ndarray) -> DrawingSet:
    """Canvas pictures through the Draw page's recipe, as a set of MNIST drawings."""
    return DrawingSet("mnist", np.stack([prepare_drawing(p).image for p in pictures]), labels.astype(np.uint8))


def export_set(drawings: DrawingSet) -> bytes:
    rows = [{"label": int(label), "pixels": base64.b64encode(image.tobytes()).decode()}
            for image, label in zip(drawings.images, drawings.labels)]
    return json.dumps({"format": FORMAT, "version": 1, "dataset": drawings.dataset,
                       "drawings": rows}, separators=(",", ":")).encode()


def import_set(data: bytes, limit: int = MAX_MINE) -> DrawingSet:
    """A set from an exported file; SetError saying what is wrong with anything else. The size
    is checked before the file is read, and every field before anything is kept."""
    if len(data) > MAX_FILE_BYTES:
        raise SetError(f"the file is {len(data):,} bytes; a file of drawings is at most {MAX_FILE_BYTES:,}")
    try:
        found = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SetError("this is not a file of drawings (it is not JSON)") from None
    if not isinstance(found, dict) or found.get("format") != FORMAT or found.get("version") != 1:
        raise SetError("this is not a file of drawings saved by MNIST Lab")
    dataset, rows = found.get("dataset"), found.get("drawings")
    if dataset not in DATASETS or not isinstance(rows, list):
        raise SetError("the file does not say which dataset its drawings are of")
    if len(rows) > limit:
        raise SetError(f"the file holds {len(rows)} drawings; a set holds at most {limit}")
    images, labels = np.zeros((len(rows), 28, 28), np.uint8), np.zeros(len(rows), np.uint8)
    for i, row in enumerate(rows):
        label, pixels = (row.get("label"), row.get("pixels")) if isinstance(row, dict) else (None, None)
        if type(label) is not int or not 0 <= label <= 9 or not isinstance(pixels, str) or len(pixels) != 1048:
            raise SetError(f"drawing {i + 1} of the file is damaged")
        try:
            images[i] = np.frombuffer(base64.b64decode(pixels, validate=True), np.uint8).reshape(28, 28)
        except (ValueError, TypeError):
            raise SetError(f"drawing {i + 1} of the file is damaged") from None
        labels[i] = label
    return DrawingSet(dataset, images, labels)

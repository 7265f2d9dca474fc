"""Your own handwriting as a test set: drawings kept per browser and per class, and their scores.

A drawing is kept as the 28x28 image the network reads (mnist_core.input.canvas made it with
its dataset's recipe) and the label the learner drew it as. A set belongs to a browser
(the learner's id from its cookie) or to a class (a short code anyone with the link can add
to), and to one dataset: digits and clothes are never mixed. Sets live in the run
directory, `<root>/handwriting/`, one small .npz each, written atomically, so a reload, a
restart or another replica finds them.

Bounds: a learner's set holds MAX_MINE drawings (784 bytes each, about 160 KB), a class set
MAX_CLASS (about 1.6 MB); at most MAX_SETS sets are kept (the least recently changed go
first), so the folder stays under about 1 GB.

`score` and `score_over_epochs` read a set with a run's numpy forward pass (no
TensorFlow): accuracy, confusion matrix, the mistakes, and the accuracy after every epoch.

Sets move between browsers as a file (`export_set` / `import_set`): JSON with the pixels in
base64, at most MAX_FILE_BYTES, checked field by field before anything is kept.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from mnist_core.analysis.evaluate import confusion_matrix
from mnist_core.store.rundir import _write_atomic

log = logging.getLogger("mnist_lab")

MAX_MINE = 200  # drawings in one learner's set, per dataset
MAX_CLASS = 2000  # drawings in one class set, per dataset
MAX_SETS = 1000  # set files kept in all; the least recently changed go first
MAX_FILE_BYTES = 400_000  # an exported set of MAX_MINE drawings is about 230 KB
FORMAT = "mnist-lab-drawings"
CODE_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L to misread on a board
CODE_LENGTH = 6
_CODE = re.compile(rf"^[{CODE_LETTERS}]{{{CODE_LENGTH}}}$")
_LEARNER = re.compile(r"^[0-9a-f]{32}$")
_DATASETS = ("mnist", "fashion_mnist")


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


def new_class_code() -> str:
    return "".join(secrets.choice(CODE_LETTERS) for _ in range(CODE_LENGTH))


def class_code(text) -> str | None:
    """A class code as typed or linked (case and spaces forgiven), or None if it is not one."""
    code = str(text or "")[:20].strip().upper().replace(" ", "").replace("-", "")
    return code if _CODE.match(code) else None


class Handwriting:
    """The drawing sets under `root`/handwriting. A full or read-only disk is logged, not raised
    (the drawing is then kept for this page only, and the page says so)."""

    def __init__(self, root: str | Path):
        self.folder = Path(root) / "handwriting"
        self.folder.mkdir(parents=True, exist_ok=True)

    # --- whose set -------------------------------------------------------------

    def _path(self, owner: str, dataset: str) -> Path:
        if dataset not in _DATASETS:
            raise SetError(f"dataset {dataset!r}: not one of {', '.join(_DATASETS)}")
        if _LEARNER.match(owner or ""):
            return self.folder / f"mine-{owner}-{dataset}.npz"
        if owner.startswith("class-") and _CODE.match(owner[6:]):
            return self.folder / f"{owner}-{dataset}.npz"
        raise SetError("that is not a learner's id or a class code")

    @staticmethod
    def limit(owner: str) -> int:
        return MAX_CLASS if owner.startswith("class-") else MAX_MINE

    def start_class(self, code: str | None = None) -> str:
        """A class set: its (empty) sets kept so that learners can add to them. A new code, or the
        code of a class a teacher made (mnist_core.teaching.classroom)."""
        code = code or new_class_code()
        for dataset in _DATASETS:
            self.save(f"class-{code}", DrawingSet.empty(dataset))
        return code

    def forget_class(self, code: str) -> None:
        """Delete a class's sets (its class was deleted to keep the classes' bound)."""
        if _CODE.match(code or ""):
            for dataset in _DATASETS:
                self._path(f"class-{code}", dataset).unlink(missing_ok=True)

    def class_exists(self, code: str) -> bool:
        return any(self._path(f"class-{code}", d).exists() for d in _DATASETS)

    # --- reading and writing ---------------------------------------------------

    def load(self, owner: str, dataset: str) -> DrawingSet:
        """The set as saved (an empty one when there is none or it is damaged: logged)."""
        path = self._path(owner, dataset)
        try:
            with np.load(path, allow_pickle=False) as data:
                images, labels = data["images"], data["labels"]
            if (images.dtype != np.uint8 or labels.dtype != np.uint8 or images.shape[1:] != (28, 28)
                    or len(images) != len(labels) or len(labels) > self.limit(owner) or labels.max(initial=0) > 9):
                raise ValueError("unexpected arrays")
            return DrawingSet(dataset, images, labels)
        except FileNotFoundError:
            return DrawingSet.empty(dataset)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            log.warning("handwriting: skipped a damaged set %s (%s)", path.name, exc)
            return DrawingSet.empty(dataset)

    def save(self, owner: str, drawings: DrawingSet) -> bool:
        """Keep the set; False (logged) when the disk refused it."""
        path = self._path(owner, drawings.dataset)
        try:
            if not path.exists():
                self._prune()
            _write_atomic(path, lambda f: np.savez(f, images=drawings.images, labels=drawings.labels))
            return True
        except OSError as exc:
            log.warning("handwriting: cannot save %s (%s)", path.name, exc)
            return False

    def add(self, owner: str, dataset: str, image: np.ndarray, label: int) -> DrawingSet:
        """Add one drawing to a set and keep it (SetError when the set is full)."""
        if owner.startswith("class-") and not self.class_exists(owner[6:]):
            raise SetError(f"there is no class set {owner[6:]}: check the code")
        if owner.startswith("class-") and self._closed(owner[6:]):
            raise SetError(f"class {owner[6:]} is closed: its set takes no more drawings")
        drawings = self.load(owner, dataset).with_drawing(image, label, self.limit(owner))
        self.save(owner, drawings)
        return drawings

    def _closed(self, code: str) -> bool:
        from mnist_core.teaching.classroom import Classroom  # a class a teacher made and closed

        state = Classroom(self.folder.parent).state(code)
        return state is not None and state.closed

    def _prune(self) -> None:
        try:
            files = sorted(self.folder.glob("*.npz"), key=lambda p: p.stat().st_mtime)
        except OSError:
            return
        for path in files[: max(0, len(files) - MAX_SETS + 1)]:
            path.unlink(missing_ok=True)


# --- scores -----------------------------------------------------------------------


@dataclass
class Score:
    """How a run reads a set after one epoch."""

    accuracy: float
    confusion: np.ndarray  # (10, 10): rows the labels, columns what the network read
    predicted: np.ndarray  # (n,)
    sureness: np.ndarray  # (n,): the probability of what it read
    wrong: np.ndarray  # indices of the drawings it read wrong, the surest mistakes first


def score(run, epoch: int, drawings: DrawingSet) -> Score:
    probs = run.predict(drawings.images, epoch)
    predicted = probs.argmax(axis=1)
    sureness = probs.max(axis=1)
    wrong = np.flatnonzero(predicted != drawings.labels)
    wrong = wrong[np.argsort(-sureness[wrong], kind="stable")]
    return Score(accuracy=float((predicted == drawings.labels).mean()) if len(drawings) else float("nan"),
                 confusion=confusion_matrix(drawings.labels, predicted), predicted=predicted,
                 sureness=sureness, wrong=wrong)


def score_over_epochs(run, drawings: DrawingSet) -> np.ndarray:
    """Accuracy on the set after each epoch 1..epochs_done."""
    probs = run.predict_over_epochs(drawings.images)
    return (probs.argmax(axis=2) == drawings.labels[None]).mean(axis=1)


@lru_cache(maxsize=2)
def written_set(count: int = 500, seed: int = 0, pens: tuple[float, float] = (6, 40)) -> DrawingSet:
    """Digits written stroke by stroke by a script (mnist_core.input.strokes), through the canvas recipe:
    a test set made by another process than MNIST (the lesson on handwriting, bench/handwriting.py)."""
    from mnist_core.input.canvas import prepare_drawing
    from mnist_core.input.strokes import written_digits

    pictures, labels = written_digits(count, seed=seed, pens=pens)
    return DrawingSet("mnist", np.stack([prepare_drawing(p).image for p in pictures]), labels.astype(np.uint8))


# --- files ------------------------------------------------------------------------


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
    if dataset not in _DATASETS or not isinstance(rows, list):
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

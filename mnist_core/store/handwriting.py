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

What a set is: mnist_core.input.drawings; how a run reads one: mnist_core.analysis.handwriting.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import numpy as np

from mnist_core.data.datasets import DATASETS
from mnist_core.input.drawings import MAX_CLASS, MAX_MINE, DrawingSet, SetError
from mnist_core.store import classes
from mnist_core.store.files import is_learner_id, prune, write_atomic

log = logging.getLogger("mnist_lab")

MAX_SETS = 1000  # set files kept in all; the least recently changed go first


class Handwriting:
    """The drawing sets under `root`/handwriting. A full or read-only disk is logged, not raised
    (the drawing is then kept for this page only, and the page says so)."""

    def __init__(self, root: str | Path):
        self.folder = Path(root) / "handwriting"
        self.folder.mkdir(parents=True, exist_ok=True)

    # --- whose set -------------------------------------------------------------

    def _path(self, owner: str, dataset: str) -> Path:
        if dataset not in DATASETS:
            raise SetError(f"dataset {dataset!r}: not one of {', '.join(DATASETS)}")
        if is_learner_id(owner):
            return self.folder / f"mine-{owner}-{dataset}.npz"
        if owner.startswith("class-") and classes.class_code(owner[6:]) == owner[6:]:
            return self.folder / f"{owner}-{dataset}.npz"
        raise SetError("that is not a learner's id or a class code")

    @staticmethod
    def limit(owner: str) -> int:
        return MAX_CLASS if owner.startswith("class-") else MAX_MINE

    def start_class(self, code: str | None = None) -> str:
        """A class set: its (empty) sets kept so that learners can add to them. A new code, or the
        code of a class a teacher made (mnist_core.teaching.classroom)."""
        code = code or classes.new_class_code()
        for dataset in DATASETS:
            self.save(f"class-{code}", DrawingSet.empty(dataset))
        return code

    def forget_class(self, code: str) -> None:
        """Delete a class's sets (its class was deleted to keep the classes' bound)."""
        if classes.class_code(code) == code:
            for dataset in DATASETS:
                self._path(f"class-{code}", dataset).unlink(missing_ok=True)

    def class_exists(self, code: str) -> bool:
        return any(self._path(f"class-{code}", d).exists() for d in DATASETS)

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
            write_atomic(path, lambda f: np.savez(f, images=drawings.images, labels=drawings.labels))
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
        """A teacher made this class and closed it."""
        return classes.ClassFiles(self.folder.parent).is_closed(code)

    def _prune(self) -> None:
        prune(self.folder, "*.npz", MAX_SETS - 1)

"""What a taught run needs to train: its drawings and the weights it starts from.

A page keeps the drawings it asks a network to learn in the run directory, one file per set,
named by the set's digest: `<root>/taught/<digest>.npz`. A worker (which may be on another
machine sharing the directory) reads them back by the name in the run's config, and takes
the starting weights from the base run's folder, or from the shipped classic network. At most
MAX_SETS files are kept (about 1.6 MB for a full class set); the least recently used go first,
and a taught run whose drawings are gone cannot be continued (it says so) but stays readable.
"""

from __future__ import annotations

import functools
import logging
import zipfile
from pathlib import Path

import numpy as np

from mnist_core.config import Teach
from mnist_core.data.datasets import DATASETS
from mnist_core.input.drawings import MAX_CLASS, unlike_set
from mnist_core.model.runs import DEFAULT_MODEL, SavedRun, load_run_file
from mnist_core.model.taught import TeachError, TeachSet
from mnist_core.store.files import prune, write_atomic

log = logging.getLogger("mnist_lab")

MAX_SETS = 500
SHIPPED = "shipped"  # a Teach's base when it starts from the shipped classic network
# Sets the app writes itself (digits in a style unlike MNIST's, mnist_core.input.strokes), found by
# their digest where no page kept them: the teaching lesson's, so its runs train on any server.
# (drawings of each class, seed)
SCRIPT_SETS = ((3, 101), (7, 102), (27, 103))


@functools.lru_cache(maxsize=len(SCRIPT_SETS))
def script_set(per_class: int, seed: int) -> TeachSet:
    """`per_class` script-written drawings of each class (about 0.2 s for 27 of each)."""
    found = unlike_set(10 * per_class, seed=seed)
    return TeachSet.of(found.dataset, found.images, found.labels)


class TaughtSets:
    """The drawing sets of taught runs under `root`/taught."""

    def __init__(self, root: str | Path):
        self.folder = Path(root) / "taught"
        self.folder.mkdir(parents=True, exist_ok=True)

    def keep(self, drawings: TeachSet) -> None:
        """Keep the set (once: the same drawings have the same digest). OSError if the disk refuses."""
        path = self.folder / f"{drawings.digest}.npz"
        if path.exists():
            path.touch()
            return
        prune(self.folder, "*.npz", MAX_SETS - 1)
        write_atomic(path, lambda f: np.savez(f, images=drawings.images, labels=drawings.labels,
                                              dataset=np.array(drawings.dataset)))

    def load(self, digest: str) -> TeachSet:
        """The set of that digest; TeachError if it is not here or not what it should be."""
        path = self.folder / f"{digest}.npz"
        try:
            with np.load(path, allow_pickle=False) as data:
                images, labels, dataset = data["images"], data["labels"], str(data["dataset"])
            if (images.dtype != np.uint8 or labels.dtype != np.uint8 or images.shape[1:] != (28, 28)
                    or len(images) != len(labels) or len(labels) > MAX_CLASS or dataset not in DATASETS):
                raise ValueError("unexpected arrays")
        except FileNotFoundError:
            for per_class, seed in SCRIPT_SETS:
                if script_set(per_class, seed).digest == digest:
                    return script_set(per_class, seed)
            raise TeachError("the drawings this run is taught are not in this run directory "
                             "(deleted to keep its bound, or taught on another server)") from None
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            log.warning("taught: a damaged set of drawings %s (%s)", path.name, exc)
            raise TeachError("the file of the drawings this run is taught is damaged") from None
        found = TeachSet.of(dataset, images, labels)
        if found.digest != digest:
            raise TeachError("the file of the drawings this run is taught is damaged")
        path.touch()
        return found


def base_run(base: str, disk) -> SavedRun:
    """The run a teaching starts from: the shipped classic network, or a finished run of `disk`
    (a mnist_core.store.rundir.RunDirectory). TeachError saying why it cannot be."""
    if base == SHIPPED:
        return load_run_file(DEFAULT_MODEL, name="the shipped classic network")
    run = disk.open(base) if disk is not None else None
    if run is None:
        raise TeachError("the run it starts from is not in this run directory")
    if run.live or run.status == "running":
        raise TeachError("the run it starts from is still training: teach it once it has finished")
    return run


def start_weights(teach: Teach, disk) -> list[np.ndarray]:
    """The weights a taught run starts from: its base's after `teach.epoch`."""
    run = base_run(teach.base, disk)
    if not 1 <= teach.epoch <= run.epochs_done:
        raise TeachError(f"the run it starts from has no epoch {teach.epoch}")
    try:
        return run.weights_at(teach.epoch)
    except ValueError as exc:
        raise TeachError(f"the run it starts from cannot be read ({exc})") from None

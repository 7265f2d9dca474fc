"""A run: the one thing the pages show, whatever made it.

Every run answers the same small protocol, `Run`. There are three kinds, named by where the
run is:
- `TrainingRun` (mnist_core.training.trainer): being trained, in a worker process, with Keras;
- `SavedRun` (here): read back from disk, from a run folder of the run directory
  (mnist_core.store.rundir) or from a run file (`load_run_file`, the shipped default model);
- `ImportedRun` (mnist_core.engine.transfer): an uploaded .keras file, with no history.
A page asks any of them for a label, its class names, its history (empty for an imported
model), its best and final epoch, and `predict(images, epoch)`; it never asks which kind it holds.
`RunReader` is the reading side that TrainingRun and SavedRun share.

Predictions use the numpy forward pass (mnist_core.model.inference) on the weights of the epoch
asked for, so reading a run never builds a Keras model. This module does not import TensorFlow.
"""

from __future__ import annotations

import io
import json
import math
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from mnist_core.config import FIELD, TrainConfig
from mnist_core.data.datasets import CLASS_NAMES, Dataset, load_dataset
from mnist_core.model.inference import forward
from mnist_core.model.preprocess import prepare_images

DEFAULT_MODEL = Path(__file__).parent / "shipped" / "default_mnist.npz"


@dataclass(frozen=True)
class EpochResult:
    """What one epoch did. val_* are None without a validation set."""

    epoch: int
    loss: float
    accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    test_loss: float
    test_accuracy: float
    seconds: float  # the training pass of this epoch
    elapsed: float  # since the training call that made it started
    samples_per_second: float

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict) -> EpochResult:
        return cls(**{f.name: row.get(f.name) for f in fields(cls)})


def best_epoch(history: Sequence[EpochResult], upto: int | None = None) -> int | None:
    """The epoch with the lowest validation loss among the first `upto` (None: all); None without
    validation. A loss that is not a number (a diverged epoch) is never the best."""
    scored = [(r.val_loss, r.epoch) for r in history[:upto] if r.val_loss is not None and math.isfinite(r.val_loss)]
    return min(scored)[1] if scored else None


def best_val_accuracy(history: Sequence[EpochResult], upto: int | None = None) -> float | None:
    """The highest validation accuracy among the first `upto` epochs (None: all, or no validation)."""
    found = [r.val_accuracy for r in history[:upto] if r.val_accuracy is not None and math.isfinite(r.val_accuracy)]
    return max(found) if found else None


class Run(Protocol):
    """What every run offers the pages."""

    label: str  # a one-line name for lists and captions
    status: str  # "finished", "running", "stopped", "early_stopped", "diverged", "imported"...
    config: TrainConfig | None  # None for an imported model
    history: list[EpochResult]  # one row per finished epoch; empty for an imported model
    epochs_done: int  # 0 for an imported model: it has only its final weights
    best_epoch: int | None  # lowest validation loss; None without validation
    final_epoch: int  # the epoch the run hands out by default
    dataset: Dataset  # the data it was trained for: its test set and class names
    class_names: tuple[str, ...]
    params: int  # trainable weights and biases

    def predict(self, images: np.ndarray, epoch: int | None = None) -> np.ndarray:
        """Probabilities (N, 10) for uint8 images (N, 28, 28) after `epoch` (None: final_epoch)."""

    def test_predictions(self, epoch: int | None = None) -> np.ndarray:
        """Probabilities (10000, 10) for the test set after `epoch`."""

    def weights_at(self, epoch: int) -> list[np.ndarray] | None:
        """Dense kernels and biases after `epoch` (0: untrained), or None where there are none."""


class RunReader:
    """The reading side shared by runs that have a config, a history and weights per epoch.

    Subclasses call `__init__` and provide `config`, `history`, `status`, `weights_at` and
    `iter_weights`; those that measured the untrained network set `baseline_loss` and
    `baseline_accuracy`.
    """

    message = ""  # why the run stopped where it did, in a sentence ("" when it simply finished)
    diverged_epoch: int | None = None
    baseline_loss = baseline_accuracy = math.nan  # the untrained network's test loss and accuracy

    _cache_size = 3  # test-set predictions kept per run (one per epoch looked at)

    def __init__(self):
        self._probs: dict[int, np.ndarray] = {}
        self._probs_lock = threading.Lock()

    @property
    def label(self) -> str:
        """Its settings with the epochs it has (a continued run's, not the number first asked for)."""
        return replace(self.config, epochs=max(self.epochs_done, 1)).describe()

    @property
    def dataset(self) -> Dataset:
        return load_dataset(self.config.dataset)

    @property
    def params(self) -> int:
        return self.config.param_count

    @property
    def class_names(self) -> tuple[str, ...]:
        return CLASS_NAMES[self.config.dataset]

    @property
    def best_epoch(self) -> int | None:
        return best_epoch(self.history)

    @property
    def final_epoch(self) -> int:
        """The epoch the run hands out: the best one with keep_best, else the last."""
        if self.config.keep_best and self.best_epoch is not None:
            return self.best_epoch
        return self.epochs_done

    def result_at(self, epoch: int) -> EpochResult:
        if not 1 <= epoch <= self.epochs_done:
            raise IndexError(f"epoch {epoch}: this run has epochs 1 to {self.epochs_done}")
        return self.history[epoch - 1]

    @property
    def epochs_done(self) -> int:
        return len(self.history)

    @property
    def can_continue(self) -> bool:
        return self.status != "diverged" and self.epochs_done < FIELD["epochs"].high

    @property
    def test_loss(self) -> float:
        return self.result_at(self.final_epoch).test_loss if self.history else self.baseline_loss

    @property
    def test_accuracy(self) -> float:
        return self.result_at(self.final_epoch).test_accuracy if self.history else self.baseline_accuracy

    def predict(self, images: np.ndarray, epoch: int | None = None) -> np.ndarray:
        """Probabilities (N, 10) for uint8 images (N, 28, 28), prepared as the training data was."""
        epoch = self.final_epoch if epoch is None else epoch
        x = prepare_images(np.asarray(images).reshape(-1, 28, 28), self.config.normalize)
        return forward(self.weights_at(epoch), self.config.activation, x)

    def test_predictions(self, epoch: int | None = None) -> np.ndarray:
        """Probabilities (10000, 10) for the test set after `epoch`; the last few are kept."""
        epoch = self.final_epoch if epoch is None else epoch
        with self._probs_lock:
            if epoch in self._probs:
                return self._probs[epoch]
        probs = self.predict(self.dataset.x_test, epoch)
        with self._probs_lock:
            self._probs[epoch] = probs
            while len(self._probs) > self._cache_size:
                self._probs.pop(next(iter(self._probs)))
        return probs

    def predict_over_epochs(self, images: np.ndarray) -> np.ndarray:
        """Probabilities (epochs, N, 10) of the images after each epoch 1..epochs_done."""
        x = prepare_images(np.asarray(images).reshape(-1, 28, 28), self.config.normalize)
        return np.stack([forward(w, self.config.activation, x) for w in self.iter_weights()])


class SavedRun(RunReader):
    """A run read back from disk: its metadata at once, its weights when first asked for.

    `load()` returns (the weights of every epoch: an object with `at(epoch)`, iteration over
    epochs 1.. and `nbytes`, and the arrays of the run's exact state); it may raise ValueError.
    `folder` is its run folder when it came from the run directory; `live` says whether a task
    trains it right now.
    """

    def __init__(self, config: TrainConfig, history: list[EpochResult], status: str, load, *,
                 message: str = "", baseline: tuple[float, float] = (math.nan, math.nan),
                 diverged_epoch: int | None = None, saved_at: float = 0.0, name: str = "",
                 folder: Path | None = None, live: bool = False):
        super().__init__()
        self.config, self.history, self.status, self.message = config, history, status, message
        self.baseline_loss, self.baseline_accuracy = baseline
        self.diverged_epoch, self.saved_at, self.name = diverged_epoch, saved_at, name
        self.folder, self.live = folder, live
        self._load = load
        self._loaded: tuple | None = None
        self._load_lock = threading.Lock()

    @property
    def label(self) -> str:
        return self.name or super().label

    def state(self) -> tuple:
        """(the stored epochs, the arrays of the run's exact state); read once. ValueError if damaged."""
        with self._load_lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def weights_at(self, epoch: int) -> list[np.ndarray]:
        if not 0 <= epoch <= self.epochs_done:
            raise IndexError(f"epoch {epoch}: this run has epochs 0 to {self.epochs_done}")
        return self.state()[0].at(epoch)

    def iter_weights(self):
        """The weights after epoch 1 .. epochs_done (a run read while it trains may hold more)."""
        for _epoch, weights in zip(range(self.epochs_done), self.state()[0]):
            yield weights

    @property
    def memory_bytes(self) -> int:
        return self.state()[0].nbytes + 16 * self.params if self._loaded else 0


class EveryEpoch:
    """The weights of every epoch held in full (a run file's): what SavedRun reads them through."""

    def __init__(self, weights: list[list[np.ndarray]]):
        self._weights = weights  # index k: after epoch k (0 is untrained)

    def at(self, epoch: int) -> list[np.ndarray]:
        return self._weights[epoch]

    def __iter__(self):
        yield from self._weights[1:]

    @property
    def nbytes(self) -> int:
        return sum(w.nbytes for ws in self._weights for w in ws)


# --- run files -------------------------------------------------------------------


def save_run_file(path: str | Path, run) -> None:
    """Write a run (any kind with weights per epoch) to a run file: JSON metadata plus float16
    weights of every epoch, the last in float32."""
    config, history, status = run.config, run.history, run.status
    weights = [run.weights_at(epoch) for epoch in range(run.epochs_done + 1)]
    arrays = {}
    for epoch, ws in enumerate(weights):
        dtype = np.float32 if epoch == len(weights) - 1 else np.float16
        for i, w in enumerate(ws):
            arrays[f"e{epoch}_w{i}"] = np.asarray(w, dtype)
    meta = {"config": config.to_dict(), "history": [r.as_dict() for r in history], "status": status,
            "epochs": len(weights) - 1, "tensors": len(weights[0])}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez_compressed(path, **arrays)


def load_run_file(path: str | Path, name: str = "") -> SavedRun:
    """Read a run file written by save_run_file; ValueError with a plain message if it is not one."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            weights = [[data[f"e{e}_w{i}"].astype(np.float32) for i in range(meta["tensors"])]
                       for e in range(meta["epochs"] + 1)]
        history = [EpochResult.from_dict(row) for row in meta["history"]]
        config = TrainConfig.from_dict(meta["config"])
    except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile, io.UnsupportedOperation) as exc:
        raise ValueError(f"{path}: not a MNIST Lab run file ({exc})") from exc
    return SavedRun(config, history, meta.get("status", "finished"), lambda: (EveryEpoch(weights), {}), name=name)

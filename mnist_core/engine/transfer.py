"""Export a run (Keras model at an epoch, history as CSV/JSON) and import a .keras model.

An uploaded model is first checked within a budget, without Keras
(mnist_core.model.modelfile.check_keras_file); only then does Keras load it, in safe
mode (no code from the file is run), and the loaded model's shapes are checked
again. It becomes an `ImportedRun`, which answers the same questions as any run.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from mnist_core.data.datasets import CLASS_NAMES, load_dataset
from mnist_core.engine import worker
from mnist_core.model.inference import ACTIVATIONS, forward
from mnist_core.model.modelfile import MAX_MODEL_BYTES, ModelFileError, check_keras_file
from mnist_core.model.preprocess import prepare_images
from mnist_core.training import keras_files

__all__ = ["MAX_MODEL_BYTES", "ImportedRun", "ModelFileError", "export_keras", "history_csv",
           "history_json", "import_keras"]

def history_csv(history: list[dict]) -> str:
    if not history:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(history[0]))
    writer.writeheader()
    writer.writerows(history)
    return out.getvalue()


def history_json(run) -> str:
    return json.dumps({"config": run.config.to_dict(), "status": run.status,
                       "history": [r.as_dict() for r in run.history]}, indent=2)


def _local(fn, *args):
    """Run a worker job in this process (the command line, tests); pages pass the engine's `call`."""
    return fn(*args)


def export_keras(run, epoch: int, call=_local) -> bytes:
    """The run's network with its weights after `epoch`, as the bytes of a .keras file. Keras
    builds it, so `call` runs it where Keras is (the app: a worker, mnist_core.engine.cluster)."""
    return call(keras_files.keras_file, run.config.to_dict(), [np.asarray(w) for w in run.weights_at(epoch)])


class ImportedRun:
    """An uploaded Keras model that maps 784 pixels to 10 class probabilities, as a `Run`.

    It has no config and no history: one set of weights, called epoch 0. Its inputs are
    scaled to 0-1, and its classes are those of `dataset_name` (the dataset chosen when it
    was uploaded). A plain stack of Dense layers (one hidden activation, softmax out)
    predicts with the numpy forward pass, like every run; any other accepted model is
    run by Keras through `call` (in the app, on a worker).
    """

    config = None
    status = "imported"
    epochs_done = 0
    best_epoch = None
    final_epoch = 0

    def __init__(self, info: dict, data: bytes, name: str, dataset_name: str = "mnist", call=_local):
        self.name = name
        self.dataset_name = dataset_name
        self.history: list = []
        self.params = int(info["params"])
        self._weights = info["weights"]  # None unless a plain Dense stack
        self._activations = info["activations"]
        self._data, self._call = data, call
        self._probs: np.ndarray | None = None

    @property
    def label(self) -> str:
        return f"imported model {self.name}"

    @property
    def dataset(self):
        return load_dataset(self.dataset_name)

    @property
    def class_names(self) -> tuple[str, ...]:
        return CLASS_NAMES[self.dataset_name]

    @property
    def numpy_forward(self) -> bool:
        """True when the numpy forward pass computes exactly what the model does."""
        acts = self._activations or []
        return (self._weights is not None and len(self._weights) == 2 * len(acts) and acts[-1] == "softmax"
                and len(set(acts[:-1])) <= 1 and all(a in ACTIVATIONS for a in acts[:-1]))

    def predict(self, images: np.ndarray, epoch: int | None = None) -> np.ndarray:
        """Probabilities (N, 10) for uint8 images (N, 28, 28), scaled to 0-1."""
        x = prepare_images(np.asarray(images).reshape(-1, 28, 28))
        if self.numpy_forward:
            return forward(self._weights, (self._activations[:-1] or ["relu"])[0], x)
        return np.asarray(self._call(keras_files.predict_with_keras, self._data, x))

    def test_predictions(self, epoch: int | None = None) -> np.ndarray:
        if self._probs is None:
            self._probs = self.predict(self.dataset.x_test)
        return self._probs

    def weights_at(self, epoch: int = 0) -> list[np.ndarray] | None:
        """The Dense kernels and biases when the model is a plain stack of Dense layers, else None."""
        return None if self._weights is None else list(self._weights)

    def activations(self) -> list[str]:
        """Each Dense layer's activation by name ("relu", "softmax"...), the output layer last."""
        return list(self._activations or [])


def import_keras(data: bytes, name: str = "the file", dataset_name: str = "mnist", call=_local) -> ImportedRun:
    """Load an uploaded .keras file safely, or raise ModelFileError saying what is wrong. Every
    limit is checked here, before Keras sees it; `call` runs Keras (in the app, on a worker)."""
    check_keras_file(data, name)
    return ImportedRun(call(keras_files.describe_keras, data, name), data, name, dataset_name, call)


class KerasJobs:
    """The Keras work a page needs, done on a worker of `engine` so that the web process never
    imports Keras: a run's .keras file, an upload read back, an untrained network's accuracy."""

    def __init__(self, engine):
        self._call = engine.call

    def export(self, run, epoch: int) -> bytes:
        return export_keras(run, epoch, self._call)

    def read(self, data: bytes, name: str, dataset_name: str = "mnist") -> ImportedRun:
        return import_keras(data, name, dataset_name, self._call)

    def untrained_accuracy(self, config) -> float:
        return self._call(worker.untrained_accuracy, config.to_dict())

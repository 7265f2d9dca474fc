"""Export a run (Keras model at an epoch, history as CSV/JSON) and import a .keras model.

An imported model is checked before anything uses it: Keras' safe mode (no code
from the file is run), a size limit, only built-in layers, 784 inputs (or 28x28)
and 10 outputs. Every refusal says why in plain words.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile

import numpy as np

MAX_MODEL_BYTES = 20 * 1024 * 1024  # the largest allowed network is 16 MB in float32


class ModelFileError(ValueError):
    """An uploaded model that cannot be used; the message says why."""


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


def export_keras(run, epoch: int) -> bytes:
    """The run's network with its weights after `epoch`, as the bytes of a .keras file."""
    from mnist_core.training import build_seeded

    model = build_seeded(run.config)  # under the build lock: other threads' seeds stay intact
    model.set_weights(run.weights_at(epoch))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        with open(path, "rb") as fh:
            return fh.read()


_DENSE_STACK = {"InputLayer", "Flatten", "Dense", "Dropout"}


class ImportedRun:
    """An uploaded Keras model that maps 784 pixels to 10 class probabilities, as a `Run`.

    It has no config and no history: one set of weights, called epoch 0. Its
    inputs are scaled to 0-1, and its classes are those of `dataset_name` (the
    dataset chosen when it was uploaded).
    """

    config = None
    status = "imported"
    epochs_done = 0
    best_epoch = None
    final_epoch = 0

    def __init__(self, model, name: str, dataset_name: str = "mnist"):
        self.model = model
        self.name = name
        self.dataset_name = dataset_name
        self.history: list = []
        self.params = int(sum(np.prod(w.shape) for w in model.trainable_weights))
        self._probs: np.ndarray | None = None

    @property
    def label(self) -> str:
        return f"imported model {self.name}"

    @property
    def dataset(self):
        from mnist_core.data import load_dataset

        return load_dataset(self.dataset_name)

    @property
    def class_names(self) -> tuple[str, ...]:
        from mnist_core.data import CLASS_NAMES

        return CLASS_NAMES[self.dataset_name]

    def predict(self, images: np.ndarray, epoch: int | None = None) -> np.ndarray:
        """Probabilities (N, 10) for uint8 images (N, 28, 28), scaled to 0-1 in batches."""
        from mnist_core.preprocess import prepare_images

        x = prepare_images(np.asarray(images).reshape(-1, 28, 28))
        shape = self.model.input_shape[1:]
        return np.concatenate([np.asarray(self.model(x[i:i + 4096].reshape(-1, *shape), training=False))
                               for i in range(0, len(x), 4096)])

    def test_predictions(self, epoch: int | None = None) -> np.ndarray:
        if self._probs is None:
            self._probs = self.predict(self.dataset.x_test)
        return self._probs

    def weights_at(self, epoch: int = 0) -> list[np.ndarray] | None:
        """The Dense kernels and biases when the model is a plain stack of Dense layers, else None."""
        if any(type(layer).__name__ not in _DENSE_STACK for layer in self.model.layers):
            return None
        return [np.asarray(w) for layer in self.model.layers for w in layer.get_weights()]


def import_keras(data: bytes, name: str = "the file", dataset_name: str = "mnist") -> ImportedRun:
    """Load an uploaded .keras file safely, or raise ModelFileError saying what is wrong."""
    if len(data) > MAX_MODEL_BYTES:
        raise ModelFileError(f"{name} is {len(data) / 2**20:.1f} MB; models up to "
                             f"{MAX_MODEL_BYTES // 2**20} MB are accepted")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ModelFileError(f"{name} is not a Keras model file (.keras files are zip archives "
                             "saved by model.save)")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if "config.json" not in archive.namelist():
            raise ModelFileError(f"{name} is a zip file but not a Keras model (no config.json)")
        try:
            config = json.loads(archive.read("config.json"))
        except ValueError as exc:
            raise ModelFileError(f"{name}: its model description cannot be read") from exc
    custom = sorted({layer.get("class_name", "?") for layer in _layers(config)
                     if not str(layer.get("module")).startswith("keras")})
    if custom:
        raise ModelFileError(f"{name} uses layers that are not built into Keras ({', '.join(custom)}); "
                             "only standard layers are accepted")
    from mnist_core.priority import start_tensorflow

    start_tensorflow()
    import keras

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "upload.keras")
        with open(path, "wb") as fh:
            fh.write(data)
        try:
            model = keras.saving.load_model(path, compile=False, safe_mode=True)
        except Exception as exc:  # Keras raises many kinds; all mean "cannot load"
            raise ModelFileError(f"{name} could not be loaded as a Keras model "
                                 f"({type(exc).__name__}: {str(exc)[:200]})") from exc
    inputs = tuple(model.input_shape[1:]) if hasattr(model, "input_shape") else None
    outputs = tuple(model.output_shape[1:]) if hasattr(model, "output_shape") else None
    if inputs not in ((784,), (28, 28)) or outputs != (10,):
        raise ModelFileError(f"{name} maps inputs of shape {inputs} to {outputs}; a model here must "
                             "take 784 pixels (or 28x28) and give 10 class scores")
    return ImportedRun(model, name, dataset_name)


def _layers(config: dict) -> list[dict]:
    """Every layer entry in a saved model's config, nested models included."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "class_name" in node and "config" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config.get("config", {}))
    return found

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
    from mnist_core.compare import rows

    return json.dumps({"config": run.config.to_dict(), "status": run.status, "history": rows(run)},
                      indent=2)


def export_keras(run, epoch: int) -> bytes:
    """The run's network with its weights after `epoch`, as the bytes of a .keras file."""
    from mnist_core.training import build_model

    model = build_model(run.config)
    model.set_weights(run.weights_at(epoch))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        with open(path, "rb") as fh:
            return fh.read()


class ImportedModel:
    """An uploaded Keras model that maps 784 pixels to 10 class probabilities."""

    def __init__(self, model, name: str, normalize: bool = True):
        self.model = model
        self.name = name
        self.normalize = normalize
        self.params = int(sum(np.prod(w.shape) for w in model.trainable_weights))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probabilities (N, 10) for prepared inputs (N, 784)."""
        from mnist_core.training import predict_proba

        x = np.asarray(x, np.float32).reshape(len(x), *self.model.input_shape[1:])
        probs = predict_proba(self.model, x) if self.model.input_shape[1:] == (784,) else \
            np.asarray(self.model(x, training=False))
        return probs


def import_keras(data: bytes, name: str = "the file") -> ImportedModel:
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
    return ImportedModel(model, name)


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

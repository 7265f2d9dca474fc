"""Export a run (Keras model at an epoch, history as CSV/JSON) and import a .keras model.

An uploaded model is first checked within a budget, without Keras
(mnist_core.modelfile.check_keras_file); only then does Keras load it, in safe
mode (no code from the file is run), and the loaded model's shapes are checked
again. It becomes an `ImportedRun`, which answers the same questions as any run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile

import numpy as np

from mnist_core.modelfile import MAX_MODEL_BYTES, ModelFileError, check_keras_file, check_shapes

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

    def activations(self) -> list[str]:
        """Each Dense layer's activation by name ("relu", "softmax"...), the output layer last."""
        return [getattr(layer.activation, "__name__", str(layer.activation))
                for layer in self.model.layers if type(layer).__name__ == "Dense"]


def import_keras(data: bytes, name: str = "the file", dataset_name: str = "mnist") -> ImportedRun:
    """Load an uploaded .keras file safely, or raise ModelFileError saying what is wrong."""
    check_keras_file(data, name)  # every limit, before Keras is imported
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
    check_shapes(name, inputs, outputs)
    return ImportedRun(model, name, dataset_name)

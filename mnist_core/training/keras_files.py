"""Keras model files: a run's network as a .keras file, and an upload read back safely.

These run where Keras is (a worker of the engine, the command line, a test): the web process
sends them there by reference (mnist_core.engine.transfer) and never imports Keras itself.
An upload reaches `load_keras` only after mnist_core.model.modelfile.check_keras_file passed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile

import numpy as np

from mnist_core.config import TrainConfig
from mnist_core.model.modelfile import ModelFileError, check_shapes
from mnist_core.training.priority import start_tensorflow

DENSE_STACK = {"InputLayer", "Flatten", "Dense", "Dropout"}  # layers the numpy forward pass can stand in for


def keras_bytes(model) -> bytes:
    """A Keras model as the bytes of a .keras file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        with open(path, "rb") as fh:
            return fh.read()


def keras_file(config: dict, weights: list) -> bytes:
    """The .keras file of the network of `config` with `weights` (kernels and biases)."""
    from mnist_core.training.trainer import build_model  # TensorFlow loads here, not on import

    model = build_model(TrainConfig.from_dict(config))
    model.set_weights(weights)
    return keras_bytes(model)


def load_keras(data: bytes, name: str):
    """Keras loads a checked upload, in safe mode; its shapes are checked again."""
    start_tensorflow()
    import keras  # after start_tensorflow, which sets TensorFlow up first

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
    return model


def describe_keras(data: bytes, name: str) -> dict:
    """(Where Keras is.) What the web process keeps of an upload: its parameter count, and for a
    plain Dense stack with biases its weights and activations."""
    model = load_keras(data, name)
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    plain = all(type(layer).__name__ in DENSE_STACK for layer in model.layers) and \
        all(layer.use_bias for layer in dense)
    return {"params": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
            "weights": [np.asarray(w) for layer in dense for w in layer.get_weights()] if plain else None,
            "activations": [getattr(layer.activation, "__name__", str(layer.activation)) for layer in dense]}


_LOADED: dict[str, object] = {}  # uploads loaded in this process, by hash (the last few)


def predict_with_keras(data: bytes, x: np.ndarray) -> np.ndarray:
    """(Where Keras is.) Probabilities of an upload for prepared images x (N, 784)."""
    digest = hashlib.sha256(data).hexdigest()
    if digest not in _LOADED:
        _LOADED[digest] = load_keras(data, "the model")
        while len(_LOADED) > 3:
            _LOADED.pop(next(iter(_LOADED)))
    model = _LOADED[digest]
    shape = model.input_shape[1:]
    return np.concatenate([np.asarray(model(x[i:i + 4096].reshape(-1, *shape), training=False))
                           for i in range(0, len(x), 4096)])

"""Predictions without TensorFlow: a dense network's forward pass in numpy.

The Draw page predicts on every stroke. A forward pass of a dense network is a
few matrix products, so numpy does it in well under a millisecond from the
weights of any epoch, and the page never imports TensorFlow. Dropout does
nothing at prediction time, so only the Dense weights matter.

It also reads run files: a run's config, history and per-epoch weights saved by
`python -m mnist_core train --save PATH` (the default Draw model is one).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from mnist_core.compare import RunReading
from mnist_core.config import TrainConfig

DEFAULT_MODEL = Path(__file__).parent / "models" / "default_mnist.npz"

_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
}


def forward(weights: list[np.ndarray], activation: str, x: np.ndarray) -> np.ndarray:
    """Probabilities (N, 10) for inputs (N, 784): hidden Dense layers, then softmax."""
    h = np.asarray(x, np.float32).reshape(len(x), -1)
    act = _ACTIVATIONS[activation]
    pairs = list(zip(weights[0::2], weights[1::2]))
    for kernel, bias in pairs[:-1]:
        h = act(h @ kernel + bias)
    kernel, bias = pairs[-1]
    z = h @ kernel + bias
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class StoredRun(RunReading):
    """A finished run read from a file: config, history, and the weights of every epoch."""

    def __init__(self, config: TrainConfig, history: list[dict], weights: list[list[np.ndarray]],
                 status: str = "finished", name: str = ""):
        self.config = config
        self.history = history
        self._weights = weights  # index k: after epoch k (0 is untrained)
        self.status = status
        self.name = name

    @property
    def epochs_done(self) -> int:
        return len(self._weights) - 1

    @property
    def test_accuracy(self) -> float:
        return self.history[self.final_epoch - 1]["test_accuracy"]

    def weights_at(self, epoch: int) -> list[np.ndarray]:
        return self._weights[epoch]

    def iter_weights(self):
        yield from self._weights[1:]


def predict_over_epochs(run, x: np.ndarray) -> np.ndarray:
    """Probabilities (epochs, N, 10) of inputs x after each epoch of a run (stored or live)."""
    return np.stack([forward(w, run.config.activation, x) for w in run.iter_weights()])


def save_run_file(path: str | Path, config: TrainConfig, history: list[dict],
                  weights: list[list[np.ndarray]], status: str) -> None:
    """Write a run file: JSON metadata plus float16 weights of every epoch, the last in float32."""
    arrays = {}
    for epoch, ws in enumerate(weights):
        dtype = np.float32 if epoch == len(weights) - 1 else np.float16
        for i, w in enumerate(ws):
            arrays[f"e{epoch}_w{i}"] = np.asarray(w, dtype)
    meta = {"config": config.to_dict(), "history": history, "status": status,
            "epochs": len(weights) - 1, "tensors": len(weights[0])}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez_compressed(path, **arrays)


def load_run_file(path: str | Path, name: str = "") -> StoredRun:
    """Read a run file written by save_run_file; ValueError with a plain message if it is not one."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            weights = [[data[f"e{e}_w{i}"].astype(np.float32) for i in range(meta["tensors"])]
                       for e in range(meta["epochs"] + 1)]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, io.UnsupportedOperation) as exc:
        raise ValueError(f"{path}: not a MNIST Lab run file ({exc})") from exc
    return StoredRun(TrainConfig.from_dict(meta["config"]), meta["history"], weights,
                     meta.get("status", "finished"), name)

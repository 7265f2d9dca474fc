"""Predictions without TensorFlow: a dense network's forward pass in numpy.

Every run predicts with this (mnist_core.model.runs): a forward pass of a dense
network is a few matrix products, so numpy does it in well under a millisecond
for one drawing and in a fraction of a second for the 10,000 test images, from
the weights of any epoch, and reading a run never builds a Keras model. Dropout
does nothing at prediction time, so only the Dense weights matter.
"""

from __future__ import annotations

import numpy as np

ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
}


def forward(weights: list[np.ndarray], activation: str, x: np.ndarray) -> np.ndarray:
    """Probabilities (N, 10) for inputs (N, 784): hidden Dense layers, then softmax."""
    h = np.asarray(x, np.float32).reshape(len(x), -1)
    act = ACTIVATIONS[activation]
    pairs = list(zip(weights[0::2], weights[1::2]))
    for kernel, bias in pairs[:-1]:
        h = act(h @ kernel + bias)
    kernel, bias = pairs[-1]
    z = h @ kernel + bias
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)

"""Predictions of a run: the numpy forward pass every run now uses, against a Keras model.

Evaluate asks a run for its 10,000 test-set probabilities at an epoch; Draw asks for
one drawing's. Before, a trained run built a Keras model per epoch looked at and
called it; now every run does the forward pass in numpy on that epoch's weights. Both are timed side by side here, in one process, for the
classic network and the largest allowed one (4 x 1024 units).

    python -m bench.predict [--repeats 5]

Printed: median milliseconds per call for 10,000 images and for one image, the ratio,
and the largest difference between the two sets of probabilities.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from mnist_core.config import TrainConfig  # noqa: E402
from mnist_core.data.datasets import load_dataset  # noqa: E402
from mnist_core.model.inference import forward  # noqa: E402
from mnist_core.model.preprocess import prepare_images  # noqa: E402


def median_ms(fn, repeats: int) -> float:
    fn()  # warm up (Keras traces its call once per input shape)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def compare(config: TrainConfig, x: np.ndarray, repeats: int) -> None:
    from mnist_core.training.trainer import build_model

    model = build_model(config)
    weights = model.get_weights()
    keras_probs = np.asarray(model(x, training=False))
    numpy_probs = forward(weights, config.activation, x)
    diff = float(np.abs(keras_probs - numpy_probs).max())
    for name, rows in (("10,000 test images", x), ("one drawing", x[:1])):
        k = median_ms(lambda rows=rows: np.asarray(model(rows, training=False)), repeats)
        n = median_ms(lambda rows=rows: forward(weights, config.activation, rows), repeats)
        print(f"{config.describe().split(',')[0]:28s} {name:20s} Keras {k:8.2f} ms   numpy {n:8.2f} ms"
              f"   Keras/numpy {k / n:5.2f}x", flush=True)
    print(f"{'':28s} largest difference in a probability: {diff:.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    x = prepare_images(load_dataset("mnist").x_test)
    compare(TrainConfig(), x, args.repeats)
    compare(TrainConfig(hidden=(1024,) * 4), x, args.repeats)


if __name__ == "__main__":
    main()

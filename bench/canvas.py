"""The Draw page's path: robustness of the canvas recipe, and its speed.

    python -m bench.canvas [--samples 10000]

1. Robustness: every MNIST test digit redrawn on a 280x280 canvas at a random place
   and size (100-250 px tall), stroke a little thinner or thicker
   (tests/canvas_samples.py), run through mnist_core.input.canvas and classified by the
   classic network (the shipped default model). Target: within 2 points of the
   accuracy on the original test images.
2. Speed of one prediction, preprocessing included (target: median under 20 ms),
   measured side by side for the page's numpy forward pass, a direct call of the
   Keras model, and `model.predict` in a loop.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from mnist_core.data.datasets import load_dataset  # noqa: E402
from mnist_core.input.canvas import prepare_drawing  # noqa: E402
from mnist_core.model.inference import forward
from mnist_core.model.preprocess import prepare_images  # noqa: E402
from mnist_core.model.runs import DEFAULT_MODEL, load_run_file  # noqa: E402
from tests.canvas_samples import as_canvas  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    args = parser.parse_args()
    run = load_run_file(DEFAULT_MODEL)
    weights = run.weights_at(run.final_epoch)
    ds = load_dataset("mnist")
    rng = np.random.default_rng(0)
    idx = np.arange(args.samples) if args.samples >= len(ds.x_test) else rng.choice(
        len(ds.x_test), args.samples, replace=False)

    direct = forward(weights, "relu", prepare_images(ds.x_test[idx])).argmax(1)
    canvases = []
    drawn = []
    for i in idx:
        canvas = as_canvas(ds.x_test[i], rng)
        if len(canvases) < 200:
            canvases.append(canvas)
        d = prepare_drawing(canvas)
        drawn.append(forward(weights, "relu", d.as_input())[0].argmax() if d.ok else -1)
    acc_direct = float((direct == ds.y_test[idx]).mean())
    acc_drawn = float((np.array(drawn) == ds.y_test[idx]).mean())
    print(f"robustness on {len(idx):,} test digits: original images {acc_direct:.2%}, "
          f"redrawn on the canvas {acc_drawn:.2%}, difference {(acc_drawn - acc_direct) * 100:+.2f} pt "
          f"(target: within 2 pt)")

    # Speed, side by side on the same 200 canvases.
    import keras

    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.set_weights(weights)
    ways = {
        "numpy forward (the page)": lambda x: forward(weights, "relu", x),
        "Keras model(x) call": lambda x: np.asarray(model(x, training=False)),
        "Keras model.predict(x)": lambda x: model.predict(x, verbose=0),
    }
    for f in ways.values():  # warm up
        f(prepare_drawing(canvases[0]).as_input())
    timings = {name: [] for name in ways}
    for canvas in canvases:
        for name, f in ways.items():
            t = time.perf_counter()
            f(prepare_drawing(canvas).as_input())
            timings[name].append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    for canvas in canvases:
        prepare_drawing(canvas)
    prep = (time.perf_counter() - t) / len(canvases) * 1000
    print(f"preprocessing alone: {prep:.2f} ms per drawing")
    base = statistics.median(timings["numpy forward (the page)"])
    for name, values in timings.items():
        med = statistics.median(values)
        print(f"preprocess + predict, {name:26s} median {med:6.2f} ms, p95 "
              f"{np.percentile(values, 95):6.2f} ms ({med / base:4.1f}x the page's)")


if __name__ == "__main__":
    main()

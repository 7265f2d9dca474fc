"""Training speed: MNIST Lab's training path against a plain Keras tutorial script.

Both train the classic first network (Dense 512 relu, Dense 10 softmax, rmsprop,
batch 128, 5 epochs, full MNIST scaled to [0, 1]). Each trial runs in a fresh
process (so "including compilation" means what it says), and the two kinds of
trial alternate: plain, lab, plain, lab, ...

    python -m bench.train_speed            # 3 rounds
    python -m bench.train_speed --rounds 5

Printed: per-trial epoch times, the median epoch after the first, whole-run
time, test accuracy, achieved GFLOP/s and a matrix-multiply peak measured here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Training FLOPs per image: forward 2*784*512 + 2*512*10, backward the weight
# gradients of both layers (2*784*512 + 2*512*10) and the hidden-layer gradient
# (2*512*10). The input gradient is never needed.
FLOP_PER_IMAGE = 4 * 784 * 512 + 6 * 512 * 10


def trial_plain() -> dict:
    """The way the tutorials write it."""
    import keras
    import numpy as np

    from mnist_core.data.datasets import load_dataset

    ds = load_dataset("mnist")
    times = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)

    start = time.perf_counter()
    keras.utils.set_random_seed(0)
    x_train = ds.x_train.reshape((60000, 28 * 28)).astype("float32") / 255
    x_test = ds.x_test.reshape((10000, 28 * 28)).astype("float32") / 255
    y_train = keras.utils.to_categorical(ds.y_train)
    y_test = keras.utils.to_categorical(ds.y_test)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=5, batch_size=128, verbose=0, callbacks=[EpochTimer()])
    total = time.perf_counter() - start
    _, test_acc = model.evaluate(x_test, y_test, verbose=0)
    return {"epochs": times, "total": total, "test_accuracy": float(test_acc), "images": 60000,
            "np": np.__version__}


def trial_lab() -> dict:
    """MNIST Lab's path: the same code the app and the command line run."""
    from mnist_core.config import TrainConfig
    from mnist_core.data.datasets import load_dataset
    from mnist_core.training.trainer import TrainingRun

    load_dataset("mnist")  # the plain trial loads it before its clock starts too
    start = time.perf_counter()
    run = TrainingRun(TrainConfig())
    run.train_to(5)
    total = time.perf_counter() - start
    return {"epochs": [r.seconds for r in run.history], "total": total,
            "test_accuracy": run.test_accuracy, "images": 60000}


def trial_peak() -> dict:
    """Float32 matrix-multiply throughput on this machine (XLA-compiled, 2048x2048)."""
    import tensorflow as tf

    n = 2048
    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    mm = tf.function(lambda a, b: tf.matmul(a, b), jit_compile=True)
    mm(a, b).numpy()
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(5):
            c = mm(a, b)
        c.numpy()
        best = min(best, (time.perf_counter() - t) / 5)
    return {"gflops": 2 * n**3 / best / 1e9}


def run_trial(kind: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bench.train_speed", "--trial", kind], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trial", choices=["plain", "lab", "peak"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trial:
        result = {"plain": trial_plain, "lab": trial_lab, "peak": trial_peak}[args.trial]()
        print(json.dumps(result))
        return

    results = {"plain": [], "lab": []}
    for r in range(args.rounds):
        for kind in ("plain", "lab"):
            res = run_trial(kind)
            results[kind].append(res)
            print(f"round {r + 1} {kind:5s}: epochs " + " ".join(f"{t:.2f}" for t in res["epochs"])
                  + f" s, whole run {res['total']:.2f} s, test accuracy {res['test_accuracy']:.4f}",
                  flush=True)
    peak = run_trial("peak")["gflops"]

    def summary(kind):
        later = [t for res in results[kind] for t in res["epochs"][1:]]
        median_epoch = statistics.median(later)
        total = statistics.median(res["total"] for res in results[kind])
        acc = statistics.mean(res["test_accuracy"] for res in results[kind])
        gflops = FLOP_PER_IMAGE * 60000 / median_epoch / 1e9
        return median_epoch, total, acc, gflops

    p, lab = summary("plain"), summary("lab")
    print()
    print(f"{'':24s}{'plain Keras':>14s}{'MNIST Lab':>14s}{'ratio':>10s}")
    print(f"{'median epoch (2-5), s':24s}{p[0]:14.3f}{lab[0]:14.3f}{p[0] / lab[0]:9.2f}x")
    print(f"{'whole run, s':24s}{p[1]:14.2f}{lab[1]:14.2f}{p[1] / lab[1]:9.2f}x")
    print(f"{'test accuracy':24s}{p[2]:14.4f}{lab[2]:14.4f}{(lab[2] - p[2]) * 100:+9.2f} pt")
    print(f"{'achieved GFLOP/s':24s}{p[3]:14.1f}{lab[3]:14.1f}")
    print(f"matrix-multiply peak here: {peak:.1f} GFLOP/s (float32 2048x2048, XLA); "
          f"MNIST Lab reaches {lab[3] / peak:.0%} of it, plain Keras {p[3] / peak:.0%}")
    print(f"targets: median epoch >= 1.5x faster: {'met' if p[0] / lab[0] >= 1.5 else 'NOT met'}; "
          f"whole run no slower: {'met' if lab[1] <= p[1] else 'NOT met'}; "
          f"accuracy within 0.5 pt: {'met' if abs(lab[2] - p[2]) <= 0.005 else 'NOT met'}")


if __name__ == "__main__":
    main()

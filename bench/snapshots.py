"""How faithful and how big the stored epochs are (mnist_core/model/snapshots.py).

    python -m bench.snapshots

Trains (1) the classic network for 20 epochs on full MNIST and (2) the largest
network the config allows (4 x 1024 units) for 50 epochs on 5,000 images (the
storage does not depend on the number of images), then compares, for every
epoch, the test accuracy recorded during training with the one the stored
weights give now.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from mnist_core.analysis.evaluate import accuracy  # noqa: E402
from mnist_core.config import TrainConfig  # noqa: E402
from mnist_core.model.snapshots import BUDGET_BYTES  # noqa: E402
from mnist_core.training.trainer import train  # noqa: E402


def report(name: str, config: TrainConfig) -> None:
    t = time.perf_counter()
    run = train(config)
    seconds = time.perf_counter() - t
    ds = run.dataset
    diffs = []
    for epoch in range(1, run.epochs_done + 1):
        probs = run.predict(ds.x_test, epoch=epoch)
        diffs.append(abs(accuracy(probs, ds.y_test) - run.result_at(epoch).test_accuracy) * 100)
    bits = run.bits
    print(f"{name}: {run.params:,} weights, {run.epochs_done} epochs in {seconds:.0f} s; "
          f"stored per-epoch state {run.snapshot_bytes / 2**20:.2f} MB of {BUDGET_BYTES / 2**20:.0f} MB "
          f"(float32 copies would take {run.params * 4 * (run.epochs_done + 1) / 2**20:.0f} MB); "
          f"codes {min(bits):g}-{max(bits):g} bits per weight (median {float(np.median(bits)):g}); "
          f"test accuracy from stored weights vs recorded: mean difference {np.mean(diffs):.2f} pt, "
          f"max {np.max(diffs):.2f} pt", flush=True)


def main() -> None:
    report("classic 512, 20 epochs", TrainConfig(epochs=20, validation="split:0.2"))
    report("largest 4 x 1024, 50 epochs", TrainConfig(hidden=(1024,) * 4, epochs=50, train_samples=5000,
                                                      validation="split:0.2"))


if __name__ == "__main__":
    main()

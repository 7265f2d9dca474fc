"""Reproduce the lessons of the design guide (section 2) at full size and print the numbers.

    python -m bench.lessons

Each lesson trains the configuration a learner would set in the app, through the
same code path (mnist_core.training), and prints what the learner should see.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_core.config import TrainConfig  # noqa: E402
from mnist_core.training import TrainingRun, train  # noqa: E402


def line(name: str, run: TrainingRun, extra: str = "") -> None:
    last = run.history[-1]
    seconds = sum(r.seconds for r in run.history)
    print(f"{name:38s} train acc {last.accuracy:.4f}  test acc {run.test_accuracy:.4f}  "
          f"epochs {run.epochs_done:2d}  params {run.params:,}  {seconds:5.1f} s train  {extra}", flush=True)


def main() -> None:
    t0 = time.perf_counter()
    classic = TrainConfig()
    run = TrainingRun(classic)
    print(f"{'untrained baseline':38s} test acc {run.baseline_accuracy:.4f} (chance is 0.1)")
    line("classic 512 relu, rmsprop, 5 epochs", run.train_to(5))

    raw = TrainConfig(hidden=(32,), normalize=False)
    scaled = TrainConfig(hidden=(32,))
    line("32 relu, raw 0-255 inputs", train(raw))
    line("32 relu, scaled inputs", train(scaled))

    print(f"{'updates per epoch':38s} batch 10: {TrainConfig(batch_size=10).updates_per_epoch:,}, "
          f"batch 128: {TrainConfig(batch_size=128).updates_per_epoch:,}")
    line("batch 10, 2 epochs", train(TrainConfig(batch_size=10, epochs=2)))

    deep = TrainConfig(hidden=(512, 512), dropout=(0.2, 0.2), epochs=20, validation="split:0.2",
                       keep_best=True)
    run = train(deep)
    best = run.best_epoch
    vl = " ".join(f"{r.val_loss:.3f}" for r in run.history)
    line("deeper 512-512 dropout, 20 epochs", run,
         f"best epoch {best}, last-epoch test acc {run.history[-1].test_accuracy:.4f}")
    print(f"{'':38s} val loss by epoch: {vl}")
    print(f"{'':38s} train loss first/last: {run.history[0].loss:.4f} / {run.history[-1].loss:.4f}; "
          f"stored per-epoch state {run.snapshot_bytes / 2**20:.1f} MB")

    fashion = TrainConfig(dataset="fashion_mnist", hidden=(128,), optimizer="adam",
                          loss="sparse_categorical_crossentropy", epochs=10)
    line("fashion 128 relu, adam, 10 epochs", train(fashion))

    run = train(TrainConfig(validation="test"))
    line("test set as validation set", run,
         f"last val acc {run.history[-1].val_accuracy:.4f} = test acc {run.test_accuracy:.4f}")

    mse = train(TrainConfig(loss="mean_squared_error", hidden=(512,), epochs=5))
    ce = train(TrainConfig(hidden=(512,), epochs=5))
    line("mean squared error, 5 epochs", mse,
         "test acc by epoch " + " ".join(f"{r.test_accuracy:.3f}" for r in mse.history))
    line("cross-entropy, 5 epochs", ce,
         "test acc by epoch " + " ".join(f"{r.test_accuracy:.3f}" for r in ce.history))
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()

"""Steady epoch speed in an engine worker against the same training in this process.

    python -m bench.engine_speed [--epochs 6] [--rounds 2] [--images 60000]

The classic network (512 relu, RMSprop, batch 128, 20% held back) is trained `--epochs` epochs
in this process (mnist_core.training.trainer.TrainingRun, as before issue 23) and through the app's
engine (a RunStore on a fresh run directory: a Dask LocalCluster with one worker process, every
epoch saved to disk and read back), alternately, `--rounds` times each, other seeds each time.
Printed: each run's median epoch time from epoch 2 on (epoch 1 compiles), from the runs' own
records, the engine's wall time per epoch as the page sees it (request to the last epoch read
back, over the epochs), and the ratios. Target (issue 23): the worker's steady epoch within
10% of the in-process one. A benchmark: it prints figures and asserts nothing about them.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_core.config import TrainConfig  # noqa: E402


def steady(history) -> float:
    """Median seconds of an epoch's training pass, epoch 2 on."""
    return statistics.median(r.seconds for r in history[1:])


def in_process(config: TrainConfig) -> float:
    from mnist_core.training.trainer import TrainingRun

    return steady(TrainingRun(config).train_to(config.epochs).history)


def in_worker(store, config: TrainConfig) -> tuple[float, float]:
    """(steady epoch seconds in the worker, wall seconds per epoch from request to read back)."""
    started = time.perf_counter()
    job = store.request(config)
    job.wait(3600)
    run = store.get(config)
    wall = (time.perf_counter() - started) / config.epochs
    if job.error or run is None:
        raise SystemExit(f"the engine's run failed: {job.error or 'nothing on disk'}")
    return steady(run.history), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--images", type=int, default=60_000)
    args = parser.parse_args()

    from mnist_core.engine import worker
    from mnist_core.engine.runstore import RunStore
    from mnist_core.store.rundir import RunDirectory

    base = TrainConfig(epochs=args.epochs, train_samples=args.images)
    store = RunStore(disk=RunDirectory(tempfile.mkdtemp(prefix="mnist-lab-bench-")))
    store.engine.call(worker.describe, 600.0, timeout=900)  # the worker is up (and warm)
    local, remote, walls = [], [], []
    for i in range(args.rounds):
        local.append(in_process(dataclasses.replace(base, seed=100 + i)))
        seconds, wall = in_worker(store, dataclasses.replace(base, seed=200 + i))
        remote.append(seconds)
        walls.append(wall)
        print(f"round {i + 1}: in this process {local[-1]:.3f} s an epoch; in the worker {remote[-1]:.3f} s "
              f"(wall {wall:.3f} s an epoch, request to read back)")
    a, b = statistics.median(local), statistics.median(remote)
    print(f"{base.describe()} on {args.images:,} images, median steady epoch over {args.rounds} round(s):")
    print(f"  in this process {a:.3f} s, in an engine worker {b:.3f} s: worker/in-process {b / a:.2f} "
          f"(target: at most 1.10)")
    print(f"  the page's view, request to last epoch read back: {statistics.median(walls):.3f} s an epoch "
          f"({statistics.median(walls) / a:.2f} x the in-process pass; includes epoch 1's compile, "
          "the evaluations and the saves)")
    store.engine.close()


if __name__ == "__main__":
    main()

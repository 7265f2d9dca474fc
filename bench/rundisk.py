"""What keeping runs on disk costs (mnist_core/store/rundir.py).

    python -m bench.rundisk [--quick]

For (1) the classic network, 20 epochs on full MNIST, and (2) the largest network
the config allows (4 x 1024 units), 50 epochs on 5,000 images (what is stored does
not depend on the number of images), it trains the run once and writes it after
every epoch as the app does, then prints:
- the time each write took next to the epoch it followed (median, and the share);
- the run's size on disk;
- the time to open it from disk in a fresh directory object: the metadata (what
  Home and the Train page's curves need), then every epoch's weights, then the
  test-set predictions of its final epoch (what Evaluate shows first).
Finally the classic network is trained again side by side, with and without
writing, for the whole-run difference.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_core.config import TrainConfig  # noqa: E402
from mnist_core.store.rundir import RunDirectory  # noqa: E402
from mnist_core.training.trainer import TrainingRun  # noqa: E402


def train_writing(config: TrainConfig, disk: RunDirectory | None) -> tuple[TrainingRun, list, list]:
    """Train `config`, writing after every epoch; (run, seconds per write, seconds per epoch)."""
    writes, epochs = [], []
    last = [time.perf_counter()]

    def after_epoch(result) -> None:
        now = time.perf_counter()
        epochs.append(now - last[0])  # training pass plus validation and test evaluation
        if disk is not None:
            disk.save(run)
            writes.append(time.perf_counter() - now)
        last[0] = time.perf_counter()

    run = TrainingRun(config)
    last[0] = time.perf_counter()
    run.train_to(config.epochs, on_epoch=after_epoch)
    return run, writes, epochs


def folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.iterdir()) / 2**20


def report(name: str, config: TrainConfig, root: Path) -> None:
    disk = RunDirectory(root)
    run, writes, epochs = train_writing(config, disk)
    ratio = statistics.median(writes) / statistics.median(epochs)
    print(f"{name}: {run.params:,} weights, {run.epochs_done} epochs", flush=True)
    print(f"  write after each epoch: median {statistics.median(writes) * 1000:.1f} ms, max "
          f"{max(writes) * 1000:.1f} ms; median epoch {statistics.median(epochs):.3f} s -> "
          f"{ratio:.1%} of the epoch", flush=True)
    print(f"  on disk: {folder_mb(disk.folder(config)):.1f} MB "
          f"({run.epochs_done + 1} epoch files and run.npz)", flush=True)
    fresh = RunDirectory(root)  # nothing cached: as after a restart
    t0 = time.perf_counter()
    saved = fresh.load(config)
    t1 = time.perf_counter()
    saved.weights_at(saved.final_epoch)
    t2 = time.perf_counter()
    saved.test_predictions()
    t3 = time.perf_counter()
    print(f"  open from disk: metadata {(t1 - t0) * 1000:.1f} ms, every epoch's weights "
          f"{(t2 - t1) * 1000:.0f} ms, final epoch's test predictions {(t3 - t2) * 1000:.0f} ms", flush=True)
    same = [r.as_dict() for r in saved.history] == [r.as_dict() for r in run.history]
    print(f"  history read back identical: {same}", flush=True)


def side_by_side(config: TrainConfig, root: Path, rounds: int) -> None:
    """Whole runs with and without writing, alternated so machine noise falls on both."""
    totals = {"without": [], "with": []}
    for i in range(rounds):
        for mode in ("without", "with") if i % 2 == 0 else ("with", "without"):
            disk = RunDirectory(root / f"{mode}{i}") if mode == "with" else None
            t = time.perf_counter()
            train_writing(config, disk)
            totals[mode].append(time.perf_counter() - t)
    a, b = statistics.median(totals["without"]), statistics.median(totals["with"])
    print(f"classic, {config.epochs} epochs, whole run (median of {rounds}): without writing {a:.2f} s, "
          f"with {b:.2f} s -> {b / a - 1:+.1%}", flush=True)


def main() -> None:
    quick = "--quick" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        classic = TrainConfig(epochs=5 if quick else 20, validation="split:0.2")
        report(f"classic 512, {classic.epochs} epochs", classic, root / "a")
        largest = TrainConfig(hidden=(1024,) * 4, epochs=5 if quick else 50, train_samples=5000,
                              validation="split:0.2")
        report(f"largest 4 x 1024, {largest.epochs} epochs", largest, root / "b")
        side_by_side(TrainConfig(epochs=5, validation="split:0.2"), root / "c", 1 if quick else 3)


if __name__ == "__main__":
    main()

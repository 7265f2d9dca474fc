"""Does 98% on MNIST's test set mean it reads handwriting? With and without augmentation.

The drawn-digit set is made by a different process than MNIST: digits written stroke by
stroke by a script (mnist_core.input.strokes: two or three styles per digit, slant, tilt, size,
place and pen width varied), painted as the canvas returns a drawing and put through the
Draw page's recipe (mnist_core.input.canvas). The classic network (Dense 512 relu, rmsprop,
batch 128, 5 epochs, full MNIST, seed 0) is trained once per augmentation setting, side by
side in this one process, and read on MNIST's test set and on the drawn digits.

Then the server time to score a learner's 100 drawings at an epoch not read before
(mnist_core.analysis.handwriting.score on a run read back from its file: decoding that epoch's
weights and the numpy forward pass).

    python -m bench.handwriting                  # every setting, full size (about 5 minutes)
    python -m bench.handwriting --quick          # 10,000 images, 2 epochs, off and all
    python -m bench.handwriting --augment off all
    python -m bench.handwriting --augment off all --pens 25 40   # only thick pens
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def train_and_read(augment: str, samples: int | None, epochs: int, drawn) -> dict:
    from mnist_core.analysis.handwriting import score, score_over_epochs
    from mnist_core.config import TrainConfig
    from mnist_core.training.trainer import TrainingRun

    config = TrainConfig(epochs=epochs, train_samples=samples, validation="none", augment=augment, seed=0)
    started = time.perf_counter()
    run = TrainingRun(config).train_to(epochs)
    seconds = time.perf_counter() - started
    return {"augment": augment, "test": run.history[-1].test_accuracy, "drawn": score(run, epochs, drawn).accuracy,
            "drawn_by_epoch": score_over_epochs(run, drawn).tolist(), "seconds": seconds,
            "epoch_s": statistics.median(r.seconds for r in run.history), "run": run}


def scoring_time(run, drawn, rounds: int = 3) -> list[float]:
    """Milliseconds to score 100 drawings at each epoch of a run read back from its file, every
    epoch for the first time in that copy (its weights are decoded on the way)."""
    from mnist_core.analysis.handwriting import score
    from mnist_core.input.drawings import DrawingSet
    from mnist_core.model.runs import load_run_file

    hundred = DrawingSet(drawn.dataset, drawn.images[:100], drawn.labels[:100])
    times = []
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "run.npz")
        run.save(path)
        for _ in range(rounds):
            stored = load_run_file(path)
            for epoch in range(1, stored.epochs_done + 1):
                t0 = time.perf_counter()
                score(stored, epoch, hundred)
                times.append((time.perf_counter() - t0) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10,000 training images, 2 epochs")
    parser.add_argument("--augment", nargs="+", default=None, help="settings to compare (default: all four)")
    parser.add_argument("--drawn", type=int, default=1000, help="drawn digits in the set (default 1000)")
    parser.add_argument("--pens", type=float, nargs=2, default=(6, 40), metavar=("LOW", "HIGH"),
                        help="pen widths of the script's digits, px on the 280 px canvas (default 6 40)")
    args = parser.parse_args()
    samples, epochs = (10_000, 2) if args.quick else (None, 5)
    settings = args.augment or (["off", "all"] if args.quick else ["off", "move", "stroke", "all"])
    from mnist_core.input.drawings import written_set

    drawn = written_set(args.drawn, pens=tuple(args.pens))
    print(f"drawn-digit set: {len(drawn)} digits written by mnist_core.input.strokes (seed 0, pens "
          f"{args.pens[0]:g}-{args.pens[1]:g} px), "
          f"{drawn.counts().min()}-{drawn.counts().max()} per class")
    print(f"classic network, {samples or 60_000:,} training images, {epochs} epochs, seed 0\n")
    print(f"{'augment':8} {'MNIST test':>10} {'drawn':>7} {'epoch s':>8}  drawn digits after each epoch")
    rows = []
    for augment in settings:
        row = train_and_read(augment, samples, epochs, drawn)
        rows.append(row)
        print(f"{augment:8} {row['test']:10.2%} {row['drawn']:7.1%} {row['epoch_s']:8.2f}  "
              + " ".join(f"{a:.1%}" for a in row["drawn_by_epoch"]), flush=True)
    base = next((r for r in rows if r["augment"] == "off"), None)
    if base is not None:
        print()
        for row in rows:
            if row is not base:
                print(f"{row['augment']:8} against off: drawn {100 * (row['drawn'] - base['drawn']):+.1f} points, "
                      f"MNIST test {100 * (row['test'] - base['test']):+.2f} points, "
                      f"epoch time x{row['epoch_s'] / base['epoch_s']:.2f}")
    times = scoring_time(rows[-1]["run"], drawn)
    print(f"\nscoring 100 drawings at an epoch read for the first time: median {statistics.median(times):.1f} ms, "
          f"max {max(times):.1f} ms ({len(times)} scorings)")


if __name__ == "__main__":
    main()

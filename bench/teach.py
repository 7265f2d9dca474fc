"""Teaching a trained network your handwriting (issue 35): what it learns, what it forgets, how long.

The drawings are digits a script writes in a hand unlike MNIST's (mnist_core.input.drawings.unlike_set:
flagged ones, crossed sevens, open nines, closed fours; pen widths drawn between --pens), put
through the Draw page's recipe. Each set has the same number of drawings of every class; a quarter
of each class (HELD_BACK) is held back and never taught. The network is the shipped classic one
(mnist_core.model.runs.DEFAULT_MODEL) and each set is taught to it with the app's own config
(mnist_core.model.taught.teach_config: replay 0.8, 5 epochs, a fifth of the base's learning rate,
augmentation "all" on the drawings only), unless a table says otherwise.

Printed, as Markdown tables to paste into docs/benchmarks.md:
1. 20 drawings of each class taught (27 a class, 7 held back), --seeds sets: accuracy before and
   after on the held-back drawings, on MNIST's test set, and on a fresh set of --fresh digits in the
   same hand (another seed, none of them taught): 70 held-back drawings are a coarse score.
2. The same without replay (replay 0): what the test set loses.
3. Replay shares, drawings taught per class ("how many drawings does it need?") and epochs, the mean
   of the sets; "in-process s" is the wall time of one teaching here, compiling included when the
   number of images an epoch is new (the replay and the set size change it, the epochs do not).
4. Time to teach 200 drawings (5 epochs) through the app's engine: a RunStore on a fresh run
   directory with the default local Dask cluster, the worker warm (its warm-up done), the drawings
   kept as a page keeps them, the config requested, the wall time from the request to the job's
   end, and the run's own seconds per epoch. Two sets in a row: the first compiles the taught
   network's shape (epoch 1 includes XLA compiling), the second finds it compiled; then a third set
   with --long-epochs, for comparison. Then the same teachings in this process (TrainingRun directly),
   from the runs of tables 1 and 3c.
5. A one-line verdict per target.

A benchmark: it prints figures and asserts nothing about them. The engine's workers import the
installed mnist_core: reinstall it first (pip install . && rm -rf build) after changing it.

    python -m bench.teach                  # 3 sets, replay and size tables, engine timing (about 3 minutes)
    python -m bench.teach --no-engine      # without the engine timing
    python -m bench.teach --full           # 5 sets, more replay shares, sizes and epochs (about 10 minutes)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TAUGHT = 20  # drawings of each class taught in the main table (200 in all)
HELD_TARGET = 0.95  # held-back drawings read right after teaching: at least this
TEST_POINTS = 0.5  # MNIST test accuracy after teaching: within this many points of the base's
TIME_TARGET = 15.0  # seconds to teach 200 drawings, default epochs, the worker warm
FRESH_SEED = 1000  # the fresh set's seed; the taught sets use 1, 2, 3, ...


def drawings(per_class: int, seed: int, pens: tuple[float, float]):
    """A TeachSet of unlike-MNIST digits with exactly `per_class` taught drawings of each class."""
    from mnist_core.config import HELD_BACK
    from mnist_core.input.drawings import unlike_set
    from mnist_core.model.taught import TeachSet

    # The largest set that teaches `per_class` (27 a class for 20: 7 held back), for the finest score.
    count = max(k for k in range(per_class + 1, 4 * per_class + 4) if k - max(1, round(k * HELD_BACK)) == per_class)
    found = unlike_set.__wrapped__(10 * count, seed=seed, pens=pens)
    taught = TeachSet.of(found.dataset, found.images, found.labels)
    counts = np.bincount(taught.labels[taught.taught], minlength=10)
    if not (counts == per_class).all():
        raise SystemExit(f"set of seed {seed}: taught per class {counts.tolist()}, not {per_class} each")
    return taught


def fresh_set(count: int, pens: tuple[float, float], sets: list):
    """The fresh set in the same hand, checked to share no image with the taught sets."""
    from mnist_core.input.drawings import unlike_set

    fresh = unlike_set.__wrapped__(count, seed=FRESH_SEED, pens=pens)
    seen = {image.tobytes() for s in sets for image in s.images}
    if any(image.tobytes() in seen for image in fresh.images):
        raise SystemExit("the fresh set shares an image with a taught set: choose another FRESH_SEED")
    return fresh


def confusion(run, epoch: int, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Counts (10, 10): row the true class, column what the network read."""
    read = run.predict(images, epoch).argmax(axis=1)
    return np.bincount(10 * labels.astype(np.int64) + read, minlength=100).reshape(10, 10)


def right(table: np.ndarray) -> float:
    return float(np.trace(table) / table.sum())


def teach(base, taught, fresh, written, replay: float | None = None, epochs: int | None = None) -> dict:
    """Teach `taught` to the shipped network in this process; before and after, and the time."""
    from mnist_core.analysis.taught import compare
    from mnist_core.model.taught import teach_config
    from mnist_core.store.taught import SHIPPED
    from mnist_core.training.trainer import TrainingRun

    config = teach_config(base.config, SHIPPED, base.epochs_done, taught, epochs=epochs, replay=replay)
    started = time.perf_counter()
    run = TrainingRun(config, drawings=taught, start=base.weights_at(base.epochs_done)).train_to(config.epochs)
    wall = time.perf_counter() - started
    if run.status != "finished":
        raise SystemExit(f"teaching {config.teach} ended {run.status}: {run.message}")
    found = compare(run, run.epochs_done, taught)
    before, after = (confusion(run, e, fresh.images, fresh.labels) for e in (0, run.epochs_done))
    written_before, written_after = (confusion(run, e, written.images, written.labels) for e in (0, run.epochs_done))
    return {"held_before": found.held_before, "held_after": found.held_after,
            "test_before": found.test_before, "test_after": found.test_after,
            "fresh_before": right(before), "fresh_after": right(after),
            "written_before": right(written_before), "written_after": right(written_after),
            "confusion_before": before, "confusion_after": after,
            "wall": wall, "epochs": [r.seconds for r in run.history]}


def mistakes(table: np.ndarray, top: int = 4) -> str:
    """The most common mistakes in a (mean) confusion table, e.g. '9 read as 4: 61'."""
    off = table * (1 - np.eye(10))
    worst = np.argsort(off, axis=None)[::-1][:top]
    return ", ".join(f"{i // 10} read as {i % 10}: {off.flat[i]:.0f}" for i in worst)


class Teacher:
    """Teaches the sets of each (per class, seed), once per setting (the tables share runs)."""

    def __init__(self, base, pens: tuple[float, float]):
        self.base, self.pens = base, pens
        self.fresh = self.written = None  # the sets every run is read on
        self._sets: dict = {}
        self._rows: dict = {}

    def set(self, per_class: int, seed: int):
        if (per_class, seed) not in self._sets:
            self._sets[per_class, seed] = drawings(per_class, seed, self.pens)
        return self._sets[per_class, seed]

    def row(self, per_class: int, seed: int, replay: float | None = None, epochs: int | None = None) -> dict:
        from mnist_core.config import TEACH_FIELD

        replay = TEACH_FIELD["replay"].default if replay is None else replay
        epochs = TEACH_FIELD["teach_epochs"].default if epochs is None else epochs
        key = (per_class, seed, replay, epochs)
        if key not in self._rows:
            self._rows[key] = teach(self.base, self.set(per_class, seed), self.fresh, self.written, replay, epochs)
        return self._rows[key]


def mean_row(rows: list[dict]) -> dict:
    return {k: np.mean([r[k] for r in rows], axis=0) for k in rows[0] if k != "epochs"}


def pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def change(before: float, after: float) -> str:
    return f"{100 * (after - before):+.2f}"


def sets_table(rows: list[dict], seeds: list[int]) -> None:
    """Table 1 and 2: each set, then the mean."""
    print("| set | held back: before | after | MNIST test: before | after | points | "
          "fresh set: before | after | in-process s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, r in [(f"seed {s}", r) for s, r in zip(seeds, rows)] + [("**mean**", mean_row(rows))]:
        print(f"| {label} | {pct(r['held_before'])} | {pct(r['held_after'])} | {pct(r['test_before'])} | "
              f"{pct(r['test_after'])} | {change(r['test_before'], r['test_after'])} | {pct(r['fresh_before'])} | "
              f"{pct(r['fresh_after'])} | {r['wall']:.1f} |")
    print()


def grid_table(title: str, values: list, rows_of) -> dict:
    """One row a setting, each the mean over the sets (and the lowest set's held-back score)."""
    print(f"| {title} | held back after (lowest set) | MNIST test, points | fresh set after | in-process s |")
    print("|---|---|---|---|---|")
    means = {}
    for value in values:
        rows = rows_of(value)
        means[value] = m = mean_row(rows)
        low = min(r["held_after"] for r in rows)
        print(f"| {value:g} | {pct(m['held_after'])} ({pct(low)}) | {change(m['test_before'], m['test_after'])} | "
              f"{pct(m['fresh_after'])} | {m['wall']:.1f} |", flush=True)
    print()
    return means


def fresh_details(m: dict, written: int) -> None:
    """Below table 1: the fresh set by class, its commonest mistakes, and the MNIST-like hand."""
    before, after = m["confusion_before"], m["confusion_after"]
    classes = zip(np.diag(before) / before.sum(axis=1), np.diag(after) / after.sum(axis=1))
    print("- Fresh set by class, mean of the sets, before -> after: "
          + ", ".join(f"{c}: {100 * b:.0f} -> {100 * a:.0f}%" for c, (b, a) in enumerate(classes)))
    print(f"- Commonest mistakes on the fresh set (drawings a set), before: {mistakes(before)}; "
          f"after: {mistakes(after)}")
    print(f"- The other hand, {written:,} MNIST-like script digits (written_set, seed {FRESH_SEED}): "
          f"{pct(m['written_before'])} -> {pct(m['written_after'])}\n")


def accuracy_tables(teacher: Teacher, seeds: list[int], full: bool) -> dict:
    """Tables 1 to 3, and what the verdicts need."""
    from mnist_core.config import TEACH_FIELD

    replay = TEACH_FIELD["replay"].default
    fresh = len(teacher.fresh)
    print(f"### 1. {TAUGHT} drawings of each class taught, default settings (replay {replay:g})\n")
    first = teacher.set(TAUGHT, seeds[0])
    print(f"Each set: {len(first.labels) // 10} drawings of each class, {TAUGHT} taught and "
          f"{len(first.held) // 10} held back (checked for every set). Fresh set: {fresh:,} digits in the same "
          f"hand (seed {FRESH_SEED}), none taught.\n")
    default = [teacher.row(TAUGHT, s) for s in seeds]
    sets_table(default, seeds)
    fresh_details(mean_row(default), len(teacher.written))
    print("### 2. The same without replay (replay 0)\n")
    alone = [teacher.row(TAUGHT, s, replay=0.0) for s in seeds]
    sets_table(alone, seeds)
    shares = [0.0, 0.25, 0.5, 0.8, 0.9, 0.95] if full else [0.0, 0.5, 0.8, 0.9]
    print(f"### 3a. Replay share ({TAUGHT} taught a class, mean of {len(seeds)} sets)\n")
    by_replay = grid_table("replay", shares, lambda v: [teacher.row(TAUGHT, s, replay=v) for s in seeds])
    sizes = [1, 2, 3, 5, 10, 20, 40] if full else [2, 5, 10, 20]
    print(f"### 3b. Drawings taught of each class (replay {replay:g}, mean of {len(seeds)} sets)\n")
    by_size = grid_table("taught a class", sizes, lambda v: [teacher.row(v, s) for s in seeds])
    held = ", ".join(f"{len(teacher.set(n, seeds[0]).held) // 10} ({n} taught)" for n in sizes)
    print(f"Held back of each class: {held}. With few held back the score is coarse; the fresh set's is not.\n")
    print(f"### 3c. Epochs ({TAUGHT} taught a class, replay {replay:g}, mean of {len(seeds)} sets)\n")
    epochs = [1, 2, 5, 10, 20, 30] if full else [5, 10, 20]
    by_epochs = grid_table("epochs", epochs, lambda v: [teacher.row(TAUGHT, s, epochs=v) for s in seeds])
    return {"default": default, "alone": alone, "by_replay": by_replay, "by_size": by_size, "by_epochs": by_epochs}


def warm_worker(store) -> str:
    """Wait for the worker's warm-up; if it is off, train a small run first. What was done, in words."""
    from mnist_core.config import TrainConfig
    from mnist_core.engine import worker

    started = time.perf_counter()
    info = store.engine.call(worker.describe, 600.0, timeout=900)
    if info["tensorflow"] and info["warm_up_seconds"] is not None:
        return (f"worker pid {info['pid']} up and warm after {time.perf_counter() - started:.1f} s "
                f"(its warm-up took {info['warm_up_seconds']:.1f} s)")
    small = TrainConfig(epochs=1, train_samples=1000, validation="none")
    job = store.request(small)
    if job is None or not job.wait(900) or job.error:
        raise SystemExit(f"the engine could not train a small run: {job.error if job else store.failure(small)}")
    return f"worker pid {info['pid']} warmed by a small run, {time.perf_counter() - started:.1f} s"


def through_engine(store, base, taught, epochs: int | None) -> dict:
    """Keep the drawings, request the taught config, wait: the times, and the run as read back."""
    from mnist_core.engine import worker
    from mnist_core.model.taught import teach_config
    from mnist_core.store.taught import SHIPPED, TaughtSets

    config = teach_config(base.config, SHIPPED, base.epochs_done, taught, epochs=epochs)
    t0 = time.perf_counter()
    TaughtSets(store.disk.root).keep(taught)
    started = time.perf_counter()
    job = store.request(config)
    if job is None:
        raise SystemExit(f"the engine did not take the run: {store.failure(config) or 'nothing to do'}")
    if not job.wait(900) or job.error:
        raise SystemExit(f"the taught run did not finish: {job.error or 'timed out after 900 s'}")
    done = time.perf_counter() - started
    run = store.get(config)
    read = time.perf_counter() - started
    if run is None or run.epochs_done != config.epochs:
        raise SystemExit("the taught run is not on disk with all its epochs")
    traces = store.engine.call(worker.describe)["traces"]
    return {"keep_ms": 1000 * (started - t0), "done": done, "read": read,
            "epochs": [r.seconds for r in run.history], "test_after": run.history[-1].test_accuracy,
            "held_after": run.history[-1].val_accuracy, "traces": traces}


def engine_plan(teacher: Teacher, seeds: list[int], long_epochs: int) -> list[dict]:
    """What the engine teaches, in turn: two sets at the default epochs, then (with a third set) one
    with `long_epochs`; each with the same teaching done in this process, to compare."""
    plan = [("new shape", seeds[0], None), ("shape compiled", seeds[1], None)]
    if long_epochs and len(seeds) > 2:
        plan.append((f"{long_epochs} epochs, shape compiled", seeds[2], long_epochs))
    return [{"label": label, "seed": seed, "epochs": epochs, "set": teacher.set(TAUGHT, seed),
             "local": teacher.row(TAUGHT, seed, epochs=epochs)} for label, seed, epochs in plan]


def engine_times(base, plan: list[dict]) -> list[dict]:
    """Teach each set in turn through a RunStore on a fresh run directory (the default engine)."""
    from mnist_core.engine.runstore import RunStore
    from mnist_core.store.rundir import RunDirectory

    root = tempfile.mkdtemp(prefix="mnist-lab-bench-teach-")
    store = RunStore(disk=RunDirectory(root))
    try:
        print(f"- {warm_worker(store)}", flush=True)
        return [through_engine(store, base, step["set"], step["epochs"]) for step in plan]
    finally:
        store.engine.close()
        shutil.rmtree(root, ignore_errors=True)


def steady(epochs: list[float]) -> float:
    """Median seconds of an epoch's training pass from epoch 2 on (epoch 1 compiles when the shape is new)."""
    return statistics.median(epochs[1:])


def time_table(plan: list[dict], engine: list[dict]) -> None:
    """Table 4: the engine's runs, then the same teachings in this process."""
    print("\n| where | set | request to done, s | to read back, s | epoch 1, s | later epochs, s each |")
    print("|---|---|---|---|---|---|")
    for step, r in zip(plan, engine):
        print(f"| engine worker | seed {step['seed']} ({step['label']}) | {r['done']:.2f} | {r['read']:.2f} | "
              f"{r['epochs'][0]:.2f} | {steady(r['epochs']):.2f} |")
    for step in plan:
        r = step["local"]
        print(f"| this process | seed {step['seed']} ({step['label']}) | {r['wall']:.2f} | - | "
              f"{r['epochs'][0]:.2f} | {steady(r['epochs']):.2f} |")
    print()
    for i, (step, r) in enumerate(zip(plan, engine), 1):
        same = all(abs(r[k] - step["local"][k]) < 1e-6 for k in ("test_after", "held_after"))
        print(f"- engine run {i}: keeping the drawings {r['keep_ms']:.0f} ms; tracings of the epoch loop in the "
              f"worker's pooled networks after it: {r['traces']}; test {pct(r['test_after'])}, held back "
              f"{pct(r['held_after'])} ({'the same as' if same else 'NOT the same as'} in this process)")
    print("- Epoch 1 of a new shape includes tracing and XLA compiling the taught network. Request to done "
          "also counts the worker reading the drawings and the shipped network, the evaluations after every "
          "epoch (held back and the 10,000 test images) and the saves. This process's first teaching is "
          "table 1's first run.\n")


def verdict(met: bool, text: str) -> str:
    return f"- {'met' if met else 'NOT MET'}: {text}"


def meets(m: dict) -> bool:
    """A setting's mean meets both accuracy targets."""
    return m["held_after"] >= HELD_TARGET and abs(100 * (m["test_after"] - m["test_before"])) <= TEST_POINTS


def accuracy_verdicts(found: dict, seeds: list[int]) -> list[str]:
    """Targets 1 to 3, one line each."""
    rows, mean = found["default"], mean_row(found["default"])
    low = min(range(len(rows)), key=lambda i: rows[i]["held_after"])
    points = [100 * (r["test_after"] - r["test_before"]) for r in rows]
    worst = max(range(len(rows)), key=lambda i: abs(points[i]))
    alone = mean_row(found["alone"])
    lines = [verdict(mean["held_after"] >= HELD_TARGET,
                     f"held-back drawings after teaching at least {pct(HELD_TARGET)}: {pct(mean['held_after'])} on "
                     f"the mean (lowest set, seed {seeds[low]}: {pct(rows[low]['held_after'])}; before "
                     f"{pct(mean['held_before'])}); fresh set {pct(mean['fresh_before'])} -> "
                     f"{pct(mean['fresh_after'])}"),
             verdict(abs(statistics.mean(points)) <= TEST_POINTS,
                     f"MNIST test within {TEST_POINTS} points of the base's: {statistics.mean(points):+.2f} points "
                     f"on the mean (furthest set, seed {seeds[worst]}: {points[worst]:+.2f})"),
             f"- shown: without replay the test set moves {change(alone['test_before'], alone['test_after'])} points "
             f"(held back {pct(alone['held_after'])}, fresh set {pct(alone['fresh_after'])})"]
    enough = [n for n, m in found["by_size"].items() if m["held_after"] >= HELD_TARGET]
    lines.append(f"- how many drawings: held back at {pct(HELD_TARGET)} or more on the mean from "
                 + (f"{min(enough)} taught a class" if enough else "none of the sizes tried")
                 + "; fresh set after: " + ", ".join(f"{n} a class {pct(m['fresh_after'])}"
                                                     for n, m in found["by_size"].items()))
    if not meets(mean):
        good = [f"replay {v:g}" for v, m in found["by_replay"].items() if meets(m)]
        good += [f"{n} taught a class" for n, m in found["by_size"].items() if meets(m)]
        good += [f"{n} epochs ({m['wall']:.1f} s in this process)" for n, m in found["by_epochs"].items() if meets(m)]
        lines.append("- settings in the tables whose mean meets both accuracy targets: " + (", ".join(good) or "none"))
    return lines


def time_verdicts(plan: list[dict], engine: list[dict]) -> list[str]:
    lines = []
    for step, r in zip(plan, engine):
        epochs = len(r["epochs"])
        text = (f"teaching {10 * TAUGHT} drawings, {epochs} epochs, warm worker, within {TIME_TARGET:g} s: "
                f"{r['done']:.1f} s request to done ({step['label']}); {steady(r['epochs']):.2f} s an epoch "
                f"after the first; in this process {step['local']['wall']:.1f} s")
        lines.append(verdict(r["done"] <= TIME_TARGET, text) if step["epochs"] is None else f"- for comparison: {text}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=None, help="sets of drawings (default 3, 5 with --full)")
    parser.add_argument("--fresh", type=int, default=1000, help="digits in the fresh set (default 1000)")
    parser.add_argument("--pens", type=float, nargs=2, default=(6, 40), metavar=("LOW", "HIGH"),
                        help="pen widths, px on the 280 px canvas (default 6 40)")
    parser.add_argument("--full", action="store_true", help="5 sets; more replay shares and sizes; epochs")
    parser.add_argument("--no-engine", action="store_true", help="skip the timing through the engine")
    parser.add_argument("--long-epochs", type=int, default=20,
                        help="epochs of a third teaching timed through the engine (default 20; 0: none)")
    args = parser.parse_args()
    seeds = list(range(1, 1 + (args.seeds or (5 if args.full else 3))))
    if len(seeds) < 2:
        parser.error("--seeds: at least 2 (the timing needs two sets)")
    started = time.perf_counter()
    import mnist_core.training.trainer  # noqa: F401  (TensorFlow starts before any clock)
    from mnist_core.data.datasets import load_dataset
    from mnist_core.input.drawings import written_set
    from mnist_core.model.runs import DEFAULT_MODEL, load_run_file

    load_dataset("mnist")
    base = load_run_file(DEFAULT_MODEL)
    pens = tuple(args.pens)
    teacher = Teacher(base, pens)
    teacher.fresh = fresh_set(args.fresh, pens, [teacher.set(TAUGHT, s) for s in seeds])
    teacher.written = written_set(args.fresh, seed=FRESH_SEED, pens=pens)
    print(f"## Teaching (issue 35)\n\nThe shipped classic network ({base.config.describe()}; test "
          f"{pct(base.history[-1].test_accuracy)}), taught unlike-MNIST digits (pens {pens[0]:g}-{pens[1]:g} px); "
          f"`python -m bench.teach{' --full' if args.full else ''}`.\n", flush=True)
    found = accuracy_tables(teacher, seeds, args.full)
    lines = accuracy_verdicts(found, seeds)
    if not args.no_engine:
        plan = engine_plan(teacher, seeds, args.long_epochs)
        print(f"### 4. Time to teach {10 * TAUGHT} drawings ({TAUGHT} a class)\n", flush=True)
        print(f"- load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (other work on the "
              "machine slows every time below)")
        engine = engine_times(base, plan)
        time_table(plan, engine)
        lines += time_verdicts(plan, engine)
    print("### Verdicts\n")
    print("\n".join(lines))
    print(f"\n(whole benchmark: {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()

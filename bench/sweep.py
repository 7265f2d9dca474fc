"""How long a sweep takes, against the page's estimate, through the server's own queue.

    python -m bench.sweep [--values 0.0001,0.0003,0.001,0.003,0.01] [--images 10000] [--seeds 1]

The sweep is the classic network (512 relu, RMSprop, batch 128, 5 epochs, 20% held back) at
each learning rate, on the first `--images` training images. Printed: the estimate the Compare
page shows before Start (mnist_core.analysis.experiments.estimate_seconds, from the shipped model's
measured epochs, as on a fresh server), then the sweep trained through a RunStore (the app's
queue: the engine's worker process, one run at a time on two cores, at low priority), the wall time from Start to the
last result, each value's row and the sentence the page prints. Then a second learner's single
run asked for during the sweep: how many of the sweep's runs it waited for (owners take turns).
A benchmark: it prints figures and asserts nothing about them.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_core.analysis import experiments  # noqa: E402
from mnist_core.config import TrainConfig  # noqa: E402
from mnist_core.engine.runstore import RunStore  # noqa: E402
from mnist_core.model.runs import DEFAULT_MODEL, load_run_file  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--values", default="0.0001,0.0003,0.001,0.003,0.01")
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args()

    base = TrainConfig(train_samples=args.images)
    sweep = experiments.make_sweep(base, "learning_rate", args.values, args.seeds)
    configs = sweep.configs()
    estimate = experiments.estimate_seconds(configs, [load_run_file(DEFAULT_MODEL)])
    print(f"sweep: learning rate {', '.join(sweep.text(v) for v in sweep.values)}, {args.seeds} seed(s), "
          f"{len(configs)} runs of {base.describe()} on {args.images:,} images")
    print(f"estimate shown before Start: {estimate:.1f} s (from the shipped model's measured epochs)")

    started = time.perf_counter()
    store = RunStore(max_runs=64)  # the app reads evicted runs back from disk
    from mnist_core.engine import worker

    store.engine.call(worker.describe, 600.0, timeout=900)  # the worker's warm-up, as on a server
    print(f"the engine's worker was up and warm in {time.perf_counter() - started:.1f} s (not part of the "
          "sweep below: a server's workers warm up as it starts)")
    started = time.perf_counter()
    jobs = [store.request(c, owner="learner-a") for c in configs]
    first = jobs[0]
    first.wait_started(600)
    other = store.request(TrainConfig(hidden=(128,), train_samples=args.images, seed=99), owner="learner-b")
    time.sleep(1.5)  # the scheduler hears of it and of the running one within a heartbeat
    waited_for = max(0, other.position - 1)  # runs ahead of it
    for job in jobs + [other]:
        job.wait(3600)
    total = time.perf_counter() - started
    trained = sum(sum(e.seconds for e in j.run.history) for j in jobs)
    print(f"wall time from Start to the last result: {total:.1f} s (training passes alone {trained:.1f} s; "
          f"estimate/actual {estimate / total:.2f})")
    print(f"a second learner's run asked for during the sweep waited for {waited_for} run(s) "
          f"of {len(configs) - 1} still queued")

    rows = experiments.sweep_rows(sweep, store.get)
    print(f"{'learning rate':14s}{'best val accuracy':22s}{'test accuracy':18s}{'best epoch':12s}seconds")
    for row in rows:
        print(f"{row.text:14s}{row.best_val.text() if row.best_val else '-':22s}"
              f"{row.test.text() if row.test else '-':18s}"
              f"{row.best_epoch.count_text() if row.best_epoch else '-':12s}{row.seconds:.1f}")
    print(experiments.sweep_sentence(sweep, rows))


if __name__ == "__main__":
    main()

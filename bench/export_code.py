"""The exported Keras script against the app's own run of the same settings: test accuracy and time.

    python -m bench.export_code                 # the classic network, full size, seeds 0 and 1
    python -m bench.export_code --small         # the tests' small settings, 5 seeds: the spread
    python -m bench.export_code --seeds 0 1 2   # other seeds

For each seed, side by side in one run: the app's training (mnist_core.training.trainer, in this
process, its compiled loop) and the exported script (`mnist_core.teaching.code_export.script`, run as
`python mnist_lab_run.py` in a fresh process, model.fit), each reporting its test accuracy
after the last epoch. Times: the app's is the sum of its epochs' training passes; the script's
is the whole process (importing TensorFlow and reading the data included), and apart from it
the fit alone as Keras reports it (the per-epoch times that verbose=2 prints).
`--small` also prints each side's spread between seeds, from which tests/test_export.py takes
its tolerance. A benchmark: it prints figures and asserts nothing about them.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from mnist_core.config import TrainConfig
from mnist_core.data.datasets import data_dir
from mnist_core.teaching.code_export import script
from mnist_core.teaching.lessons import CLASSIC

# The small settings the tests run exported scripts with (tests/test_export.py).
SMALL = TrainConfig(hidden=(64,), epochs=2, train_samples=3000, validation="split:0.2", seed=0)


def run_script(config: TrainConfig, folder: Path) -> tuple[float, float, float]:
    """(test accuracy, seconds of the whole process, seconds of fit) of the exported script."""
    path = folder / f"run_{config.seed}.py"
    path.write_text(script(config))
    env = {**os.environ, "MNIST_LAB_DATA": str(data_dir()), "TF_CPP_MIN_LOG_LEVEL": "2"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, cwd=folder,
                          timeout=3600)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"the exported script failed:\n{done.stderr[-2000:]}")
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", done.stdout).group(1))
    fit = sum(float(s) for s in re.findall(r"^\d+/\d+ - (\d+)s", done.stdout, re.M))
    return accuracy, seconds, fit


def run_app(config: TrainConfig) -> tuple[float, float]:
    """(test accuracy, seconds of training passes) of the app's own training."""
    from mnist_core.training.trainer import TrainingRun

    run = TrainingRun(config)
    run.train_to(config.epochs)
    return run.test_accuracy, sum(r.seconds for r in run.history)


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.2%}"
    return (f"mean {statistics.mean(values):.2%}, range {min(values):.2%} to {max(values):.2%} "
            f"({(max(values) - min(values)) * 100:.2f} points), sd {statistics.stdev(values) * 100:.2f} points")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="the tests' small settings, seeds 0-4")
    parser.add_argument("--seeds", type=int, nargs="+", help="seeds to run (default: 0 1, or 0-4 with --small)")
    args = parser.parse_args()
    base = SMALL if args.small else CLASSIC
    seeds = args.seeds or ([0, 1, 2, 3, 4] if args.small else [0, 1])
    print(f"{base.describe()}, {base.train_samples or 60_000:,} training images, validation {base.validation}")
    print("seed  app test acc  script test acc  difference  app training s  script process s  script fit s")
    apps, scripts = [], []
    with tempfile.TemporaryDirectory(prefix="mnist-lab-export-") as tmp:
        for seed in seeds:
            config = replace(base, seed=seed)
            app_acc, app_s = run_app(config)
            script_acc, script_s, fit_s = run_script(config, Path(tmp))
            apps.append(app_acc)
            scripts.append(script_acc)
            print(f"{seed:4d}  {app_acc:12.2%}  {script_acc:15.2%}  {(script_acc - app_acc) * 100:+8.2f} pt"
                  f"  {app_s:14.1f}  {script_s:16.1f}  {fit_s:12.0f}", flush=True)
    print(f"app:    {spread(apps)}")
    print(f"script: {spread(scripts)}")
    diffs = [s - a for s, a in zip(scripts, apps)]
    print(f"script - app, seed by seed: mean {statistics.mean(diffs) * 100:+.2f} points, "
          f"largest {max(diffs, key=abs) * 100:+.2f} points")


if __name__ == "__main__":
    main()

"""The Line page's speed: training a 2-D setup in numpy, and the page's redraws.

    python -m bench.line [--repeats 5]

1. mnist_core.line.network.train, timed side by side on: the default setup (200 points, 2 hidden layers
   of 4 units, 100 epochs, batch 10), the same without a hidden layer, and the dearest setup the
   limits allow (400 points, 3 layers of 8 units, batch 1, 300 epochs): median and maximum.
2. The whole page script in AppTest (in this process, no browser): opening /line, Train, Step,
   and moving the Epoch slider, on the default setup and with no hidden layer (the loss surface).
Targets (issue 16): the default setup trains in under 1 s; the limits keep any setup under a
few seconds. A benchmark: it prints figures and asserts nothing about them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mnist_core.line import network as L  # noqa: E402

SETUPS = {
    "default (2 x 4 tanh, 200 points, 100 epochs, batch 10)": L.Setup(),
    "no hidden layer (the line), same data and training": L.Setup(layers=0),
    "dearest (3 x 8, 400 points, 300 epochs, batch 1)": L.Setup(points=400, layers=3, units=8, batch=1, epochs=300),
}


def train_times(repeats: int) -> None:
    print("1. Training, whole runs (seconds)")
    for name, setup in SETUPS.items():
        times = []
        for _ in range(repeats if setup.batch > 1 else max(1, repeats // 2)):
            started = time.perf_counter()
            trace = L.train(setup)
            times.append(time.perf_counter() - started)
        steps = trace.steps_per_epoch * trace.epochs_done
        print(f"   {name:<58} median {statistics.median(times):5.2f}, max {max(times):5.2f} ({steps:,} steps)")


def page_times(repeats: int) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    print("2. The page script in AppTest (seconds)")
    for name, params in (("default setup", {}), ("no hidden layer", {"layers": "0"})):
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
        at.run()
        at.query_params.update(params)
        at.switch_page("app_pages/line.py")
        rows = {"open (trains the setup)": [], "Train": [], "Step": [], "Epoch slider": []}
        for i in range(repeats):
            rows["open (trains the setup)"].append(timed(at, lambda: None))
            rows["Train"].append(timed(at, lambda at=at: button(at, "Train").click()))
            rows["Step"].append(timed(at, lambda at=at: button(at, "Step").click()))
            rows["Epoch slider"].append(timed(at, lambda at=at, i=i: at.slider(key="line_scrub").set_value(10 + 7 * i)))
            st.cache_resource.clear()  # the next open trains again
        for label, values in rows.items():
            print(f"   {name}: {label:<26} median {statistics.median(values):5.2f}, max {max(values):5.2f}")


def button(at, label):
    return next(b for b in at.button if b.label == label)


def timed(at, change) -> float:
    change()
    started = time.perf_counter()
    at.run()
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(MNIST_LAB_RUNS="off", MNIST_LAB_WARMUP="off")
    print(f"{os.cpu_count()} cores")
    train_times(args.repeats)
    page_times(args.repeats)


if __name__ == "__main__":
    main()

"""The Inside page's speed: the server's time for one redraw as the learner moves its controls.

    python -m bench.inside [--classic-epochs 20] [--largest-epochs 50] [--largest-images 5000]

Trains two runs in this process (mnist_core.training.trainer.train, the app's own training): the
classic network (512 relu units) on all 60,000 MNIST images, and the largest network the app
allows (4 x 1024) on fewer images (the Inside page's work does not depend on how many images
a run trained on, only on its shape and number of epochs). Then, through Streamlit's AppTest in
this process (the whole page script, no browser or network), for each run:

- opening Inside on it (nothing cached yet: the map's basis and the first views are computed);
- "After epoch" slider moves to epochs not looked at yet, and back to ones already seen;
- the unit order, the map's animation (every frame computed once), a new image.

Target (issue 13): any slider move redraws in under 1 s for the classic network and under 2 s
for the largest. Printed: median and maximum seconds per kind of move, and the memory the
run's cached views hold. A benchmark: it prints figures and asserts nothing about them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mnist_core.config import TrainConfig  # noqa: E402


def timed(at, change) -> float:
    change()
    started = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    return seconds


def cached_bytes(run) -> int:
    from mnist_core.analysis import inside

    ins = inside.inspector(run)
    views = list(ins._views.values())
    return sum(v.points.nbytes + v.mean_first.nbytes for v in views) + sum(k.nbytes for k in ins._follow.values()) + \
        (ins._basis.nbytes if ins._basis is not None else 0) + (ins._changes.nbytes if ins._changes is not None else 0)


def measure(run, name: str) -> None:
    """Open Inside on `run` in a fresh AppTest session and time its redraws."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from app_pages.parts.links import link_params
    from app_pages.parts.runs import run_store

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.run()
    run_store().add(run)
    last = run.epochs_done
    at.query_params.update(link_params(run, last))
    at.switch_page("app_pages/inside.py")
    opened = timed(at, lambda: None)
    slider = lambda: at.slider(key="inside_epoch")  # noqa: E731
    fresh_epochs = [e for e in (0, last // 2, last // 4, 3 * last // 4, 1, last - 1) if 0 <= e < last]
    fresh = [timed(at, lambda e=e: slider().set_value(e)) for e in fresh_epochs]
    seen = [timed(at, lambda e=e: slider().set_value(e)) for e in fresh_epochs + [last]]
    orders = [timed(at, lambda o=o: at.radio(key="inside_sort").set_value(o)) for o in ("strongest", "active", "changed")]
    animate = timed(at, lambda: at.toggle(key="inside_animate").set_value(True))
    animated_moves = [timed(at, lambda e=e: slider().set_value(e)) for e in fresh_epochs[:3]]
    pills = at.pills(key="inside_image")
    image = timed(at, lambda: pills.set_value(pills.options[5]))

    def row(label, values):
        values = values if isinstance(values, list) else [values]
        print(f"   {label:<46} median {statistics.median(values):5.2f} s, max {max(values):5.2f} s ({len(values)})")

    print(f"\n{name}: {run.label} ({run.params:,} weights)")
    row("open Inside on it (nothing cached)", opened)
    row("'After epoch' to an epoch not seen yet", fresh)
    row("'After epoch' to an epoch seen before", seen)
    row("unit order", orders)
    row("map animation on (every frame computed)", animate)
    row("'After epoch' with the animation on", animated_moves)
    row("another image", image)
    print(f"   kept for this run: {cached_bytes(run) / 1e6:.2f} MB (map points, followed units, weight changes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classic-epochs", type=int, default=20)
    parser.add_argument("--largest-epochs", type=int, default=50)
    parser.add_argument("--largest-images", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mnist-lab-inside-") as tmp:
        os.environ.update(MNIST_LAB_RUNS=tmp, MNIST_LAB_WARMUP="off")
        from mnist_core.training.trainer import train

        started = time.perf_counter()
        classic = train(TrainConfig(epochs=args.classic_epochs))
        largest = train(TrainConfig(hidden=(1024,) * 4, epochs=args.largest_epochs,
                                    train_samples=args.largest_images))
        print(f"(trained both runs in {time.perf_counter() - started:.0f} s; "
              f"{os.cpu_count()} cores; times are the server's, for the whole page script)")
        measure(classic, "The classic network")
        measure(largest, "The largest network")


if __name__ == "__main__":
    main()

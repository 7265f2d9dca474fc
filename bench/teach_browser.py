"""What a learner waits for when teaching, in Chromium: from the click on **Teach it your
handwriting** until the before and after are on screen and the page is at rest (bench.pages'
meaning: the run that ended is drawn, nothing loading, two frames painted).

A fresh app server on a fresh run directory, left to finish its start-up work (the worker warm),
then one browser: a file of 200 drawings in a hand unlike MNIST's (20 of each class: 15 taught, 5
held back) is added on the Handwriting page and taught to the default model with the default
settings (5 epochs, replay 0.8). Then a second learner (another browser context) with 200 other
drawings: the worker has the taught network compiled by then. Each time also gives the worker's own share
(the run's seconds per epoch, read from the run directory), so the rest is the page's polling and
drawing. A benchmark: it prints figures and asserts nothing.

    python -m bench.teach_browser            # about 2 minutes
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.pages import VIEWPORT, at_rest, settle
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    AppServer,
    require_browser,
    run_marker,
    track_runs,
    wait_idle,
)


def add_file(page, path: Path, count: int) -> None:
    """Add the drawings of a file on the Handwriting page, as a learner does."""
    before = run_marker(page)
    page.locator("input[type='file']").set_input_files(str(path))
    wait_idle(page, after=before)
    before = run_marker(page)
    page.get_by_role("button", name=f"Add its {count} drawings").click()
    wait_idle(page, after=before)


def teach_once(page) -> float:
    """Seconds from the click on Teach until the before and after are drawn and the page is at rest."""
    button = page.get_by_role("button", name="Teach it your handwriting")
    button.scroll_into_view_if_needed()
    results = page.get_by_text("Before and after teaching")
    start = time.perf_counter()
    button.click()
    results.wait_for(timeout=300_000)
    end, _server = at_rest(page)
    return end - start


def worker_share(runs: Path) -> list[float]:
    """The taught runs' seconds of training (the epochs' passes), newest last."""
    from mnist_core.store.rundir import RunDirectory

    taught = sorted((r for r in RunDirectory(runs).runs() if r.config.teach), key=lambda r: r.saved_at)
    return [sum(e.seconds for e in r.history) for r in taught]


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    from mnist_core.input.drawings import DrawingSet, export_set, unlike_set

    sync_playwright = require_browser()
    with tempfile.TemporaryDirectory(prefix="bench-teach-") as tmp:
        tmp = Path(tmp)
        files = []
        for seed in (31, 32):
            found = unlike_set(200, seed=seed)
            path = tmp / f"drawings-{seed}.json"
            path.write_bytes(export_set(DrawingSet(found.dataset, found.images, found.labels)))
            files.append(path)
        server = AppServer(env={"MNIST_LAB_RUNS": tmp / "runs"})
        print(f"server start-up work: {settle(server):.1f} s", flush=True)
        waits = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for path in files:  # two learners (two browser contexts: two cookies), a set each
                    context = browser.new_context(viewport=VIEWPORT)
                    track_runs(context)
                    page = context.new_page()
                    page.goto(f"{server.url}/handwriting")
                    wait_idle(page, timeout=120_000)
                    add_file(page, path, 200)
                    waits.append(teach_once(page))
                    context.close()
                browser.close()
        finally:
            server.stop()
        shares = worker_share(tmp / "runs")
    for what, wait, share in zip(("first teaching (the worker compiles the taught network)",
                                  "second teaching (compiled)"), waits, shares):
        print(f"{what}: {wait:.2f} s from the click to the page at rest; the worker's training passes "
              f"{share:.2f} s")


if __name__ == "__main__":
    main()

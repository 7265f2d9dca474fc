"""The Handwriting page in Chromium: draw ten labelled digits with the mouse, read the score back."""

import numpy as np
import pytest

from tests.browser import ARTIFACTS, app_and_page, no_exception, run_marker, screenshot_whole_page, wait_idle
from tests.test_browser_draw import ready_canvas

pytestmark = pytest.mark.browser


def draw_digit(page, strokes) -> None:
    """Draw the strokes (canvas pixels) with the mouse, each ended by the run it starts."""
    box = ready_canvas(page).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the pen comes in
    for points in strokes:
        points = [(x, 40 + y * (box["height"] - 44) / box["height"]) for x, y in points]  # below the
        # canvas's toolbar, which shows over its top once the pointer has been on it
        before = run_marker(page)
        page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
        page.mouse.down()
        for x, y in [*points[1:-1:2], points[-1]]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=2)
        page.mouse.up()
        wait_idle(page, after=before)


def test_ten_digits_drawn_with_the_mouse_are_kept_and_scored(tmp_path):
    from mnist_core.analysis.handwriting import score
    from mnist_core.input.strokes import pen_strokes
    from mnist_core.model.runs import DEFAULT_MODEL, load_run_file
    from mnist_core.store.handwriting import Handwriting

    runs = tmp_path / "runs"
    rng = np.random.default_rng(8)
    with app_and_page(env={"MNIST_LAB_RUNS": runs}) as (server, page):
        page.goto(f"{server.url}/handwriting")
        wait_idle(page, timeout=120_000)
        for digit in range(10):
            assert page.get_by_role("button", name=f"Add as {digit}").is_visible()  # the label asked for
            draw_digit(page, pen_strokes(digit, rng))
            drawn_on = ready_canvas(page).element_handle()
            before = run_marker(page)
            page.get_by_role("button", name=f"Add as {digit}").click()
            wait_idle(page, after=before)
            no_exception(page)
            # Added: the page gives a new, blank canvas in place of the one drawn on.
            page.wait_for_function("old => !old.isConnected", arg=drawn_on)
        shown = page.locator("[data-testid='stMetric']", has_text="Your drawings")
        value = shown.locator("[data-testid='stMetricValue']").inner_text().strip()
        screenshot_whole_page(page, ARTIFACTS / "handwriting.png")
    sets = list((runs / "handwriting").glob("mine-*-mnist.npz"))
    assert len(sets) == 1
    learner = sets[0].name.split("-")[1]
    kept = Handwriting(runs).load(learner, "mnist")
    assert list(kept.labels) == list(range(10))
    run = load_run_file(DEFAULT_MODEL)
    assert value == f"{score(run, run.final_epoch, kept).accuracy:.1%}"  # what the page shows is computed

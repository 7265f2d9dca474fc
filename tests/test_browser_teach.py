"""Teaching on the Handwriting page in Chromium: a file of drawings added, Teach pressed, the run
trained by the app's engine, and the before and after read on the page."""

import json

import pytest

from tests.browser import ARTIFACTS, app_and_page, no_exception, run_marker, screenshot_whole_page, wait_idle

pytestmark = pytest.mark.browser


def test_a_learner_adds_a_file_of_drawings_teaches_it_and_reads_before_and_after(tmp_path):
    from mnist_core.input.drawings import export_set, unlike_set

    mine = tmp_path / "drawings-mnist.json"
    mine.write_bytes(export_set(unlike_set(30, seed=21)))
    with app_and_page(env={"MNIST_LAB_RUNS": tmp_path / "runs"}) as (server, page):
        page.goto(f"{server.url}/handwriting")
        wait_idle(page, timeout=120_000)
        before = run_marker(page)
        page.locator("input[type='file']").set_input_files(str(mine))
        wait_idle(page, after=before)
        before = run_marker(page)
        page.get_by_role("button", name="Add its 30 drawings").click()
        wait_idle(page, after=before)
        teach = page.get_by_role("button", name="Teach it your handwriting")
        teach.scroll_into_view_if_needed()
        teach.click()
        page.get_by_text("Before and after teaching").wait_for(timeout=300_000)  # trained by a worker
        wait_idle(page)
        no_exception(page)
        held = page.locator("[data-testid='stMetric']", has_text="Held-back drawings, after")
        assert held.locator("[data-testid='stMetricValue']").inner_text().strip().endswith("%")
        assert page.get_by_text("On the 10 held-back drawings, which it never learned from").is_visible()
        screenshot_whole_page(page, ARTIFACTS / "teach.png")
    meta = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*/wanted.json")]
    assert meta and all(m["target"] == 5 for m in meta)  # one taught run, the default 5 epochs

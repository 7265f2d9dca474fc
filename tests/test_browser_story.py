"""Story in Chromium: the test set's data map, a click on a starred image (a label judged wrong)
shows that image's story and a link to follow it inside."""

import pytest

from tests.browser import ARTIFACTS, app_and_page, no_exception, run_marker, screenshot_whole_page, wait_idle
from tests.test_browser_evaluate_cells import click_point

pytestmark = pytest.mark.browser


def test_a_click_on_the_map_tells_that_images_story(tmp_path):
    with app_and_page(env={"MNIST_LAB_RUNS": tmp_path / "runs"}) as (server, page):
        page.goto(f"{server.url}/story")
        wait_idle(page, timeout=180_000)
        no_exception(page)
        before = run_marker(page)
        page.get_by_text("the test set", exact=True).click()
        wait_idle(page, after=before, timeout=120_000)
        assert "Click a dot on the map" in page.inner_text("body")
        star = page.locator(".js-plotly-plot").first.locator(".scatterlayer path.point").first
        star.wait_for()
        click_point(page, star)  # the first starred image: test image 947, labelled 8
        page.get_by_text("Label 8; after the last epoch read as").wait_for()
        link = page.get_by_role("link", name="Follow it inside")
        assert "image=947" in link.get_attribute("href")
        no_exception(page)
        screenshot_whole_page(page, ARTIFACTS / "story.png")

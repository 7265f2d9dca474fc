"""The Draw page in Chromium: draw with the mouse on a fresh server, read the Prediction."""

import math

import pytest

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, AppServer, require_browser, wait_idle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def draw_page():
    sync_playwright = require_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    server = AppServer()  # a fresh server: no run exists, the default model must answer
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(60_000)
        page.goto(f"{server.url}/draw")
        wait_idle(page)
        yield page
        browser.close()
    server.stop()


def stroke(page, points):
    box = page.locator("canvas.upper-canvas").first.bounding_box()
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + points[0][0], y0 + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x0 + x, y0 + y, steps=2)
    page.mouse.up()


def prediction(page) -> str:
    page.wait_for_timeout(500)
    wait_idle(page)
    metric = page.locator("[data-testid='stMetric']", has_text="Prediction")
    metric.wait_for()
    return metric.locator("[data-testid='stMetricValue']").inner_text().strip()


def clear(page):
    page.get_by_role("button", name="Clear").click()
    wait_idle(page)
    page.locator("canvas.upper-canvas").first.wait_for()


def test_a_vertical_stroke_reads_as_1(draw_page):
    page = draw_page
    assert "default MNIST model" in page.inner_text("body")
    stroke(page, [(140, 40 + 10 * i) for i in range(21)])
    assert prediction(page) == "1"
    page.screenshot(path=ARTIFACTS / "draw-1.png")


def test_a_closed_loop_reads_as_0(draw_page):
    page = draw_page
    clear(page)
    loop = [(140 + 60 * math.sin(t / 20 * 2 * math.pi), 140 - 95 * math.cos(t / 20 * 2 * math.pi))
            for t in range(22)]
    stroke(page, loop)
    assert prediction(page) == "0"
    page.screenshot(path=ARTIFACTS / "draw-0.png")


def test_clearing_brings_the_hint_back(draw_page):
    page = draw_page
    clear(page)
    wait_idle(page)
    assert page.locator("[data-testid='stMetric']", has_text="Prediction").count() == 0
    assert "Draw a digit on the canvas" in page.inner_text("body") or "empty" in page.inner_text("body")
    page.screenshot(path=ARTIFACTS / "draw-cleared.png")

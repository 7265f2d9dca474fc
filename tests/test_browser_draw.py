"""The Draw page in Chromium: draw with the mouse on a fresh server, read the Prediction."""

import math

import pytest

from tests.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    AppServer,
    require_browser,
    run_marker,
    track_runs,
    wait_idle,
)

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
        track_runs(page)
        page.goto(f"{server.url}/draw")
        wait_idle(page)
        yield page
        browser.close()
    server.stop()


def ready_canvas(page):
    """The drawing canvas, in its place. The component adds it a moment after the run that drew the
    page, then its stylesheet; until the stylesheet is in, the toolbar pushes the canvas down."""
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for()
    page.wait_for_function("canvas => [...canvas.getRootNode().querySelectorAll('link[rel=stylesheet]')]"
                           ".every(link => link.sheet !== null)", arg=canvas.element_handle())
    return canvas


def stroke(page, points):
    """Draw one stroke and wait for the run it starts (the canvas sends it a moment after pen-up)."""
    box = ready_canvas(page).bounding_box()
    x0, y0 = box["x"], box["y"]
    before = run_marker(page)
    page.mouse.move(x0 + points[0][0], y0 + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x0 + x, y0 + y, steps=2)
    page.mouse.up()
    wait_idle(page, after=before)


def prediction(page) -> str:
    metric = page.locator("[data-testid='stMetric']", has_text="Prediction")
    metric.wait_for()
    return metric.locator("[data-testid='stMetricValue']").inner_text().strip()


def clear(page):
    before = run_marker(page)
    page.get_by_role("button", name="Clear").click()
    wait_idle(page, after=before)  # the click's run ends in st.rerun(): this waits for the rerun too
    ready_canvas(page)


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
    assert page.locator("[data-testid='stMetric']", has_text="Prediction").count() == 0
    assert "Draw a digit on the canvas" in page.inner_text("body") or "empty" in page.inner_text("body")
    page.screenshot(path=ARTIFACTS / "draw-cleared.png")

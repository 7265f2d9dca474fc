"""The app in a real browser: every URL path opens, and a small run trains from the Train button."""

import re

import pytest

from tests.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    AppServer,
    require_browser,
    run_marker,
    track_runs,
    train_from,
    wait_idle,
)

pytestmark = pytest.mark.browser

# ms: a bound for a stuck training, not a speed target. With both cores busy elsewhere, training
# gets a tenth of a core (mnist_core.training.priority) and a big network's first epoch can take minutes.
TRAINING = 300_000


def metric_text(page, label: str) -> str:
    """The text of the st.metric whose label is exactly `label`."""
    texts = [m.inner_text() for m in page.locator("[data-testid='stMetric']").all()]
    matches = [t for t in texts if (t.splitlines() or [""])[0].strip() == label]
    assert matches, f"no metric labelled {label!r} among {texts}"
    return matches[0]


@pytest.fixture(scope="module")
def browser_page():
    sync_playwright = require_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    server = AppServer(env={"MNIST_LAB_WARMUP": "on"})  # as a real server runs
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        page.set_default_timeout(60_000)
        track_runs(page)
        yield server, page
        browser.close()
    server.stop()


@pytest.mark.parametrize("path, heading", [
    ("", "MNIST Lab"), ("data", "Data: MNIST digits"), ("train", "Train"), ("evaluate", "Evaluate"),
])
def test_each_url_path_opens(browser_page, path, heading):
    server, page = browser_page
    page.goto(f"{server.url}/{path}")
    wait_idle(page)
    assert page.locator("h1").first.inner_text().strip() == heading
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=ARTIFACTS / f"page-{path or 'home'}.png")
    # The tab icon comes from the app itself (a Material icon is fetched from Google: offline, none).
    page.wait_for_function("() => document.querySelector(\"link[rel*='icon']\")?.href.includes('/media/')")
    icon = page.evaluate("() => document.querySelector(\"link[rel*='icon']\").href")
    assert icon.startswith(server.url)
    assert page.request.get(icon).headers["content-type"] == "image/png"


def test_train_button_trains_and_shows_charts_and_test_accuracy(browser_page):
    server, page = browser_page
    train_from(page, f"{server.url}/train?hidden=64&epochs=2&train_samples=3000&validation=split:0.2&seed=3",
               TRAINING)
    charts = page.locator(".js-plotly-plot")
    charts.nth(2).wait_for()  # Plotly draws a chart once its element is on the page
    assert charts.count() >= 3  # loss, accuracy, gap
    assert re.search(r"\d+\.\d\d%", metric_text(page, "Test accuracy"))
    page.screenshot(path=ARTIFACTS / "train-done.png")

    # Follow the link to Evaluate in the same session...
    before = run_marker(page)
    page.get_by_text("gets wrong on Evaluate").click()
    wait_idle(page, after=before)
    assert page.locator("h1").first.inner_text().strip() == "Evaluate"
    assert re.search(r"\d+\.\d\d%", metric_text(page, "Test accuracy"))
    # ...and a reload (a new session) still finds the run through the URL.
    page.reload()
    wait_idle(page)
    assert re.search(r"\d+\.\d\d%", metric_text(page, "Test accuracy"))
    assert "No trained run" not in page.inner_text("body")
    page.screenshot(path=ARTIFACTS / "evaluate.png")


@pytest.mark.timeout(1200)
def test_a_reload_during_training_loses_nothing(browser_page):
    server, page = browser_page
    # Big enough (about 1 s an epoch here, 10 s with both cores busy elsewhere) that the reload
    # lands mid-run, small enough to finish on a loaded machine.
    url = f"{server.url}/train?hidden=1024,1024&epochs=8&train_samples=30000&validation=split:0.2&seed=4"
    page.goto(url)
    wait_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Elapsed").wait_for(timeout=TRAINING)  # the first epoch
    assert page.get_by_test_id("stProgress").count() == 1
    page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)  # the curves grow while it trains
    page.screenshot(path=ARTIFACTS / "train-running.png")
    page.reload()  # a new session: the worker goes on, the URL leads back to the run
    page.get_by_role("button", name="Stop", exact=True).wait_for(timeout=30_000)
    page.get_by_role("button", name="Trained").wait_for(timeout=2 * TRAINING)
    wait_idle(page)
    assert re.search(r"\d+\.\d\d%", metric_text(page, "Test accuracy"))
    slider = page.get_by_test_id("stSlider")
    assert slider.count() >= 1
    page.screenshot(path=ARTIFACTS / "train-after-reload.png")


def test_a_shared_link_opens_the_same_setup_in_a_fresh_browser(browser_page):
    server, page = browser_page
    link = (f"{server.url}/train?dataset=fashion_mnist&hidden=128,64&dropout=0.2,0.1&activation=tanh"
            f"&optimizer=adam&epochs=7&batch_size=64&validation=split:0.2&seed=42")
    context = page.context.browser.new_context(viewport={"width": 1400, "height": 2000})
    track_runs(context)
    fresh = context.new_page()  # no cookies, no session: what a student clicking the link gets
    fresh.goto(link)
    wait_idle(fresh)
    body = fresh.inner_text("body")
    sidebar = fresh.get_by_test_id("stSidebar")
    shown = sidebar.inner_text() + " ".join(i.input_value() for i in sidebar.locator("input").all())
    assert "Fashion-MNIST" in shown
    values = [i.input_value() for i in fresh.locator("[data-testid='stNumberInput'] input").all()]
    assert values[:3] == ["2", "128", "64"]  # layers, units of each layer
    assert "42" in values and "64" in values  # seed, batch size
    selects = " ".join(i.input_value() for i in fresh.locator("[data-testid='stSelectbox'] input").all())
    assert "tanh" in body + selects and "Adam" in body + selects
    fresh.screenshot(path=ARTIFACTS / "shared-link.png")
    context.close()

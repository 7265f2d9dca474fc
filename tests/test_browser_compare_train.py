"""Compare and Train on an ordinary screen: Compare's accuracies without scrolling sideways
(1400x900), Train's button and a run's results in the first screen of 1280x800 when the page
is opened from a link, and the settings open for a learner who opens Train plainly."""

import pytest

from tests.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    AppServer,
    require_browser,
    track_runs,
    train_from,
    wait_idle,
)

pytestmark = pytest.mark.browser

TRAINING = 300_000  # ms: a bound for a stuck training, not a speed target
SMALL = "hidden=32&epochs=2&train_samples=1000"
# Runs 1 and 2 differ in dropout; run 3 has no validation set and another learning rate.
RUNS = [f"{SMALL}&validation=split:0.2", f"{SMALL}&validation=split:0.2&dropout=0.5",
        f"{SMALL}&validation=none&learning_rate=0.01"]


@pytest.fixture(scope="module")
def browser():
    sync_playwright = require_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    server = AppServer()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield server, chromium
        chromium.close()
    server.stop()


def fresh_page(chromium, width: int, height: int):
    """A page in a context of its own (no cookies: a learner who has not been here)."""
    context = chromium.new_context(viewport={"width": width, "height": height})
    track_runs(context)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


def bottom(locator) -> float:
    box = locator.bounding_box()
    assert box is not None, "not drawn"
    return box["y"] + box["height"]


def test_compare_shows_every_column_without_scrolling_sideways(browser):
    server, chromium = browser
    page = fresh_page(chromium, 1400, 900)
    for query in RUNS:
        train_from(page, f"{server.url}/train?{query}", TRAINING)
    page.goto(f"{server.url}/compare")
    wait_idle(page)
    table = page.get_by_test_id("stDataFrame").first
    table.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "compare-1400.png")
    # The grid scrolls inside itself: its scroller is no wider than what it shows.
    widths = table.evaluate("""t => { const s = t.querySelector('.dvn-scroller');
                                      return [s.scrollWidth, s.clientWidth]; }""")
    assert widths[0] <= widths[1] + 1, f"the table scrolls sideways: {widths[0]} px in {widths[1]} px"
    # The grid draws on a canvas and fills its accessible table of cells a moment later: wait for it.
    page.wait_for_function("t => t.querySelectorAll('td').length > 0", arg=table.element_handle(), timeout=60_000)
    cells = table.evaluate("t => [...t.querySelectorAll('td, th')].map(c => c.innerText.trim())")
    assert cells and "None" not in cells, cells
    assert "mnist" not in cells  # the dataset is shared: left out, as the caption says
    assert "dataset" not in table.evaluate("t => [...t.querySelectorAll('th')].map(c => c.innerText.trim())")
    page.context.close()


def test_train_from_a_link_shows_the_button_and_the_results_in_the_first_screen(browser):
    server, chromium = browser
    link = f"{server.url}/train?hidden=48&epochs=2&train_samples=1000&validation=split:0.2"
    page = fresh_page(chromium, 1280, 800)
    page.goto(link)
    wait_idle(page)
    page.screenshot(path=ARTIFACTS / "train-link-1280.png")
    train = page.get_by_role("button", name="Train", exact=True)
    assert bottom(train) <= 800, f"the Train button ends {bottom(train):.0f} px down"
    train.click()
    page.get_by_role("button", name="Trained").wait_for(timeout=TRAINING)
    wait_idle(page)
    page.context.close()

    page = fresh_page(chromium, 1280, 800)  # someone else opens the link: the run shows at once
    page.goto(link)
    wait_idle(page)
    page.screenshot(path=ARTIFACTS / "train-link-trained-1280.png")
    trained = page.get_by_role("button", name="Trained")
    accuracy = page.locator("[data-testid='stMetric']").filter(has_text="Test accuracy").first
    assert bottom(trained) <= 800 and bottom(accuracy) <= 800, (bottom(trained), bottom(accuracy))
    page.context.close()


def test_train_opened_plainly_shows_the_settings(browser):
    server, chromium = browser
    page = fresh_page(chromium, 1280, 800)
    page.goto(f"{server.url}/train")
    wait_idle(page)
    page.screenshot(path=ARTIFACTS / "train-plain-1280.png")
    assert page.get_by_label("Hidden layers").first.is_visible() or \
        page.locator("[data-testid='stNumberInput']").first.is_visible()
    page.context.close()

"""Seeds and a sweep in Chromium: repeats draw a band and the mean ± range; a sweep link on
Compare starts its runs, and its chart, table and sentence appear as they finish."""

import tempfile

import pytest

from tests.browser import (
    ARTIFACTS,
    app_and_page,
    charts_drawn,
    no_exception,
    query,
    screenshot_whole_page,
    train_from,
    wait_idle,
)

pytestmark = pytest.mark.browser

TRAINING = 300_000  # ms: a bound for small runs on a busy two-core machine, not a target
SMALL = "hidden=32&epochs=2&train_samples=2000&validation=split:0.2&seed=0"


@pytest.fixture(scope="module")
def browser_page():
    with app_and_page(env={"MNIST_LAB_RUNS": tempfile.mkdtemp(prefix="mnist-lab-seeds-")}) as served:
        yield served


def test_repeats_with_other_seeds_draw_a_band_and_the_spread(browser_page):
    server, page = browser_page
    train_from(page, f"{server.url}/train?{SMALL}")
    page.get_by_text("Is a difference real? Repeat with other seeds").click()
    repeat = page.get_by_role("button", name="Repeat with other seeds (2 new runs)")
    repeat.click()
    # The page is drawn again when the repeats end: the spread of three seeds appears.
    page.get_by_text("Test accuracy, 3 seeds").wait_for(timeout=TRAINING)
    wait_idle(page)
    no_exception(page)
    charts_drawn(page, 3)
    assert page.get_by_text("training, range of 3 seeds").count() >= 1  # the band's legend entry
    value = page.get_by_test_id("stMetric").filter(has_text="Test accuracy, 3 seeds") \
        .get_by_test_id("stMetricValue").inner_text()
    assert "% ± " in value, value
    screenshot_whole_page(page, ARTIFACTS / "train-seeds.png")


def test_a_sweep_link_starts_its_runs_and_shows_the_results(browser_page):
    server, page = browser_page
    page.goto(f"{server.url}/compare?{SMALL}&sweep=learning_rate&values=0.001,0.01,5&seeds=1")
    wait_idle(page)
    # Seed 0 at 0.001 is the run the first test trained: two runs are left.
    page.get_by_role("button", name="Start the sweep (2 runs)").click()
    sentence = page.get_by_text("Best validation accuracy")
    sentence.first.wait_for(timeout=TRAINING)
    page.get_by_text("at 5 the run diverges").wait_for(timeout=TRAINING)
    wait_idle(page)
    no_exception(page)
    assert query(page)["sweep"] == ["learning_rate"]
    heading = page.get_by_text("Accuracy against learning rate")
    assert heading.count() == 1
    screenshot_whole_page(page, ARTIFACTS / "compare-sweep.png")

"""The Line page in Chromium: a network without a hidden layer draws its line (the equation under
the plane), Step and Train move it, the epoch slider scrubs back to the start and forward again,
the page's link reopens the same picture in a new session, and a network with hidden layers bends
the boundary (no equation, each hidden unit drawn, a circle learnt)."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import (
    ARTIFACTS,
    app_and_page,
    base_url,
    charts_drawn,
    new_page,
    no_exception,
    query,
    run_marker,
    screenshot_whole_page,
    wait_idle,
)

pytestmark = pytest.mark.browser

NO_HIDDEN = "/line?layers=0&data=credit&seed=3"
HIDDEN = "/line?layers=2&units=4&data=circle&seed=1"
EPOCHS = 100  # the Epochs control's default
MIN_CHARTS = 3  # the plane, the loss curves, and the loss surface (no hidden layer)
HIDDEN_CHARTS = 2  # the plane and the loss curves; the hidden units are one picture
# "The network's line, <moment>: <equation> = 0. Where the left side ..."
LINE = re.compile(r"The network's line, (?P<moment>[^:]+): (?P<equation>.+? = 0)\.")
EPOCH_SLIDER = re.compile(r"^Epoch( Epoch)?$")
NOTED = {}  # what test_train saw, for the tests after it: the equation and the link


@pytest.fixture(scope="module")
def line_page():
    """The page of a network without a hidden layer (credit data, seed 3)."""
    with app_and_page() as (server, page):
        page.goto(f"{server.url}{NO_HIDDEN}")
        wait_idle(page)
        NOTED.clear()
        yield page


def line_markdown(page):
    """The sentence under the plane that gives the network's line (no hidden layer only)."""
    return page.locator("[data-testid='stMarkdown']", has_text="The network's line")


def line_sentence(page) -> re.Match:
    text = line_markdown(page).inner_text().strip()
    found = LINE.search(text)
    assert found, text
    return found


def epoch_slider(page):
    """The "Epoch" slider, an <input type=range> whose value is the epoch shown. Its accessible
    name in this Streamlit is its label twice ("Epoch Epoch": aria-labelledby names the input
    itself, then the label); the pattern takes it once or twice and never the "Epochs" control."""
    return page.get_by_role("slider", name=EPOCH_SLIDER)


def click(page, name: str) -> None:
    """Click a button and wait for the app's rerun to be on screen."""
    before = run_marker(page)
    page.get_by_role("button", name=name, exact=True).click()
    wait_idle(page, after=before)


def press(page, locator, key: str) -> None:
    """Press a key on a focused element and wait for the app's rerun to be on screen."""
    before = run_marker(page)
    locator.focus()
    page.keyboard.press(key)
    wait_idle(page, after=before)


def url_has(page, name: str, value: str) -> None:
    page.wait_for_function("([n, v]) => new URLSearchParams(location.search).get(n) === v", arg=[name, value])


def test_the_untrained_line(line_page):
    page = line_page
    no_exception(page)
    title = page.get_by_role("heading", name="A line between two groups", exact=True, level=1)
    title.wait_for()
    assert title.count() == 1
    charts_drawn(page, MIN_CHARTS)
    untrained = line_markdown(page).inner_text()
    assert "The network's line, before training: none yet" in untrained
    assert "says 50/50 for every point" in untrained  # an untrained network is at chance
    assert epoch_slider(page).count() == 0  # no slider before Train or Step
    no_exception(page)


def test_two_steps(line_page):
    page = line_page
    click(page, "Step")
    line_markdown(page).filter(has_text="after 1 step of epoch 1").wait_for()
    click(page, "Step")
    line_markdown(page).filter(has_text="after 2 steps of epoch 1").wait_for()
    assert line_sentence(page)["moment"] == "after 2 steps of epoch 1"
    slider = epoch_slider(page)
    slider.wait_for()
    assert slider.input_value() == "0"
    charts_drawn(page, MIN_CHARTS)
    no_exception(page)


def test_train(line_page):
    page = line_page
    click(page, "Train")
    line_markdown(page).filter(has_text=f"after epoch {EPOCHS}").wait_for()
    found = line_sentence(page)
    assert found["moment"] == f"after epoch {EPOCHS}"
    assert epoch_slider(page).input_value() == str(EPOCHS)
    url_has(page, "epoch", str(EPOCHS))
    assert query(page)["epoch"] == [str(EPOCHS)]
    assert query(page)["layers"] == ["0"]
    assert query(page)["seed"] == ["3"]
    heading = page.locator("[data-testid='stHeading']", has_text="Gradient descent you can see")
    heading.wait_for()
    sentence = heading.locator("xpath=following::*[@data-testid='stMarkdown']"
                               "[starts-with(normalize-space(.), 'At learning rate')][1]")
    sentence.wait_for()
    assert sentence.inner_text().strip().startswith("At learning rate")
    charts_drawn(page, MIN_CHARTS)
    no_exception(page)
    NOTED.update(equation=found["equation"], url=page.url)
    screenshot_whole_page(page, ARTIFACTS / "line.png")


def test_scrub_to_the_start_and_back(line_page):
    page = line_page
    slider = epoch_slider(page)
    press(page, slider, "Home")
    line_markdown(page).filter(has_text="before training").wait_for()
    assert "none yet" in line_markdown(page).inner_text()
    assert slider.input_value() == "0"
    page.wait_for_function("() => !new URLSearchParams(location.search).has('epoch')")  # epoch 0: not in the link
    no_exception(page)

    press(page, slider, "End")
    line_markdown(page).filter(has_text=f"after epoch {EPOCHS}").wait_for()
    assert line_sentence(page)["moment"] == f"after epoch {EPOCHS}"
    assert slider.input_value() == str(EPOCHS)
    url_has(page, "epoch", str(EPOCHS))
    assert line_sentence(page)["equation"] == NOTED["equation"]
    charts_drawn(page, MIN_CHARTS)
    no_exception(page)


def test_the_link_reopens_the_same_picture(line_page):
    first = line_page
    assert "equation" in NOTED, "test_train did not run"
    url_has(first, "epoch", str(EPOCHS))
    link = first.url
    assert query(first) == parse_qs(urlsplit(NOTED["url"]).query)  # the link Train left
    page = new_page(first.context.browser)  # a new context: a new session
    try:
        page.goto(link)
        wait_idle(page)
        no_exception(page)
        line_markdown(page).wait_for()
        found = line_sentence(page)
        assert found["moment"] == f"after epoch {EPOCHS}"
        assert found["equation"] == NOTED["equation"]
        assert epoch_slider(page).input_value() == epoch_slider(first).input_value() == str(EPOCHS)
        assert query(page) == query(first)
        charts_drawn(page, MIN_CHARTS)
        no_exception(page)
    finally:
        page.context.close()


def test_hidden_layers_bend_the_boundary(line_page):
    page = new_page(line_page.context.browser)
    try:
        page.goto(f"{base_url(line_page)}{HIDDEN}")
        wait_idle(page)
        no_exception(page)
        click(page, "Train")
        url_has(page, "epoch", str(EPOCHS))
        heading = page.locator("[data-testid='stHeading']", has_text="What each hidden unit computes")
        heading.wait_for()
        assert heading.count() == 1
        assert page.get_by_text("The network's line").count() == 0
        assert epoch_slider(page).input_value() == str(EPOCHS)
        metric = page.locator("[data-testid='stMetric']", has_text="Test accuracy")
        value = metric.locator("[data-testid='stMetricValue']").inner_text().strip()
        found = re.fullmatch(r"(\d+)%", value)
        assert found, value
        assert int(found.group(1)) >= 90, value
        charts_drawn(page, HIDDEN_CHARTS)
        units = page.get_by_role("img", name="The output of each hidden unit over the plane: layer 1, 4 units, "
                                              "layer 2, 4 units.")
        assert units.count() == 1 and units.evaluate("img => img.complete && img.naturalWidth > 600")
        no_exception(page)
        screenshot_whole_page(page, ARTIFACTS / "line-hidden.png")
    finally:
        page.context.close()



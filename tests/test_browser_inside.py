"""The Inside page in Chromium on a fresh server (the shipped default model): the four views are
drawn, the epoch slider goes back to 0, a click on the map sends a test image through the network,
and the page's link reopens the same picture."""

import re
from urllib.parse import urlsplit

import pytest

from tests.browser import (
    ARTIFACTS,
    NEXT_CHART,
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

SUBHEADERS = ["What each first-layer unit looks for", "One image through the network",
              "The last hidden layer's map", "Health of each layer"]
MIN_CHARTS = 5  # probabilities, pushes, the map, dead units, weights moved (the pictures are images)
# The Plotly chart (its div) that follows an element in the document.


@pytest.fixture(scope="module")
def inside_page():
    with app_and_page() as (server, page):  # a fresh server: no run exists, Inside shows the shipped model
        page.goto(f"{server.url}/inside")
        wait_idle(page)
        yield page


def epoch_slider(page):
    """The "After epoch" slider's thumb. In this Streamlit it is an <input type=range> (implicitly
    role=slider, no role attribute and no aria-valuenow): its value is the epoch."""
    return page.get_by_role("slider", name="After epoch")


def image_pills(page):
    """The Image pills under "One image through the network": a radiogroup of role=radio buttons."""
    return page.locator("[data-testid='stButtonGroup']").get_by_role("radiogroup", name="Image")


def selected_pill(page):
    return image_pills(page).locator("[role='radio'][aria-checked='true']")


def test_the_four_views_are_drawn(inside_page):
    page = inside_page
    no_exception(page)
    for text in SUBHEADERS:
        heading = page.locator("[data-testid='stHeading']", has_text=text)
        heading.wait_for()
        assert heading.count() == 1, text
    charts_drawn(page, MIN_CHARTS)
    # The pictures are images, each with a text alternative that says what it shows.
    grid = page.get_by_role("img", name=re.compile(r"^Weight pictures of 64 first-layer units at epoch \d+, left"))
    assert grid.count() == 1 and grid.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.get_by_role("img", name=re.compile(r"^Hidden layer 1: 512 units")).count() == 1
    assert page.get_by_role("img", name=re.compile(r"^Unit \d+'s weight picture after each epoch")).count() == 1
    assert "default MNIST model" in page.get_by_role("combobox", name="Model").input_value()
    no_exception(page)


def test_epoch_0_is_the_network_before_training(inside_page):
    page = inside_page
    slider = epoch_slider(page)
    assert int(slider.input_value()) >= 1  # the shipped model shows its last epoch first
    before = run_marker(page)
    slider.focus()
    page.keyboard.press("Home")
    wait_idle(page, after=before)
    page.get_by_text("Epoch 0: the network before training").wait_for()
    assert slider.input_value() == "0"
    page.wait_for_function("() => new URLSearchParams(location.search).get('epoch') === '0'")
    assert query(page)["epoch"] == ["0"]
    charts_drawn(page, MIN_CHARTS)
    no_exception(page)


def test_a_point_on_the_map_goes_through_the_network(inside_page):
    page = inside_page
    heading = page.locator("[data-testid='stHeading']", has_text="The last hidden layer's map")
    chart = heading.locator(NEXT_CHART)
    points = chart.locator(".scatterlayer path.point")
    points.first.wait_for(state="attached")
    # A point well inside the plot area (points outside the axis ranges are drawn clipped).
    index = chart.evaluate("""chart => {
        const area = chart.querySelector('.nsewdrag').getBoundingClientRect();
        return [...chart.querySelectorAll('.scatterlayer path.point')].findIndex(point => {
            const b = point.getBoundingClientRect(), x = b.x + b.width / 2, y = b.y + b.height / 2;
            return x > area.left + 20 && x < area.right - 20 && y > area.top + 20 && y < area.bottom - 20;
        });
    }""")
    assert index >= 0, "no point of the map lies inside its plot area"
    point = points.nth(index)
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    before = run_marker(page)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_idle(page, after=before)

    send = page.get_by_role("button", name="Send it through the network")
    send.wait_for()
    caption = heading.locator("xpath=following::*[@data-testid='stImageCaption'][1]")
    text = caption.inner_text().strip()
    found = re.fullmatch(r"test image (\d+): (\S+)", text)
    assert found, text
    image = found.group(1)
    assert caption.locator("xpath=preceding-sibling::img").count() == 1  # the small image above it

    before = run_marker(page)
    send.click()
    wait_idle(page, after=before)  # the click's run ends in st.rerun(): this waits for the rerun too
    page.wait_for_function("n => new URLSearchParams(location.search).get('image') === n", arg=image)
    assert query(page)["image"] == [image]
    assert query(page)["epoch"] == ["0"]  # the epoch chosen before stays
    assert selected_pill(page).count() == 1
    assert selected_pill(page).inner_text().strip().startswith(f"test image {image}")
    charts_drawn(page, MIN_CHARTS)
    no_exception(page)
    the_link_reopens_the_same_picture(page, urlsplit(page.url).query, image)


def the_link_reopens_the_same_picture(first, link_query: str, image: str) -> None:
    """The page's link, opened in a session of its own, shows the same epoch and image."""
    base = base_url(first)
    page = new_page(first.context.browser)
    try:
        page.goto(f"{base}/inside?{link_query}")
        wait_idle(page)
        no_exception(page)
        slider = epoch_slider(page)
        assert slider.input_value() == epoch_slider(first).input_value() == "0"
        assert slider.get_attribute("aria-valuetext") == "0"
        page.get_by_text("Epoch 0: the network before training").wait_for()
        assert selected_pill(page).count() == 1
        assert selected_pill(page).inner_text().strip() == selected_pill(first).inner_text().strip()
        assert selected_pill(page).inner_text().strip().startswith(f"test image {image}")
        assert query(page)["image"] == [image]
        charts_drawn(page, MIN_CHARTS)
    finally:
        page.close()
    screenshot_whole_page(first, ARTIFACTS / "inside.png")



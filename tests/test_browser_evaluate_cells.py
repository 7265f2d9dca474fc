"""Evaluate in Chromium: a click on a confusion-matrix cell filters the gallery to that cell, a
click on an image opens its closer look, and one click shows all classes again."""

import re
import tempfile

import pytest

from tests.browser import (
    NEXT_CHART,
    app_and_page,
    run_marker,
    train_from,
    wait_idle,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def evaluated():
    """A fresh server, a small run trained from the Train page, and Evaluate open on it."""
    with app_and_page(env={"MNIST_LAB_RUNS": tempfile.mkdtemp(prefix="mnist-lab-cells-")}) as (server, page):
        train_from(page, f"{server.url}/train?hidden=32&epochs=1&train_samples=2000&validation=none&seed=5")
        page.get_by_role("link", name="Evaluate").first.click()
        page.get_by_role("heading", name="Confusion matrix").wait_for()
        wait_idle(page)
        yield page


def gallery_caption(page) -> str:
    return page.locator("[data-testid='stCaptionContainer']", has_text="click one to look closer").inner_text()


def click_point(page, point) -> None:
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    before = run_marker(page)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_idle(page, after=before)


def test_a_cell_click_filters_the_gallery_and_one_click_clears_it(evaluated):
    page = evaluated
    assert gallery_caption(page).startswith("10,000 images match")
    chart = page.get_by_role("heading", name="Confusion matrix").locator(NEXT_CHART)
    cells = chart.locator(".scatterlayer path.point")
    cells.first.wait_for(state="attached")
    assert cells.count() == 100
    # The off-diagonal cell with the most mistakes (its count is the text drawn on the heatmap).
    counts = [int(t) for t in chart.locator(".heatmaplayer text").all_text_contents() if t.strip().isdigit()]
    assert len(counts) == 100, counts
    index = max((i for i in range(100) if i // 10 != i % 10), key=lambda i: counts[i])
    true, called = divmod(index, 10)
    told = chart.locator("xpath=following::*[@data-testid='stCaptionContainer'][1]").inner_text()
    assert told.startswith(f"Most frequent mistakes: {true} read as {called} ({counts[index]:,} image"), told
    click_point(page, cells.nth(index))
    caption = gallery_caption(page)
    found = re.match(rf"True {true}, read as {called}: ([\d,]+) images, most confident first", caption)
    assert found, caption
    shown = int(found.group(1).replace(",", ""))
    grid = page.get_by_role("heading", name="Test images and predictions").locator(NEXT_CHART)
    assert grid.locator(".scatterlayer path.point").count() == min(shown, 40)
    if shown:
        # Every image shown is captioned with the predicted class: all are the cell's.
        labels = grid.locator(".annotation text").all_text_contents()
        assert labels and all(text.split()[0] == str(called) for text in labels)
        assert all(text.split()[-1] == "✗" for text in labels)  # a mistake, said by a mark, not colour alone
        click_point(page, grid.locator(".scatterlayer path.point").nth(min(shown, 40) - 1))
        look = page.get_by_role("combobox", name="Look closer at").input_value()
        assert look.startswith("test image ") and f"predicted {called}" in look
    before = run_marker(page)
    page.get_by_role("button", name="Show all classes again").click()
    wait_idle(page, after=before)
    assert gallery_caption(page).startswith("10,000 images match")

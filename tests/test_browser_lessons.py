"""The Lessons page in Chromium, start to finish, on a server that trains lessons on 2,000 images:
a one-run lesson (chance) and a two-run comparison (scaling) from the guess to the results, the
learner's progress kept across a reload, and the Next button."""

import re

import pytest

from tests.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    AppServer,
    base_url,
    charts_drawn,
    new_page,
    no_exception,
    query,
    require_browser,
    run_marker,
    screenshot_whole_page,
    wait_idle,
)

pytestmark = pytest.mark.browser

TRAINED = 300_000  # ms: a lesson's runs train on a busy 2-core machine (seconds alone, minutes when shared)
IMAGES_CAPTION = "This server trains lessons on at most 2,000 images"


@pytest.fixture(scope="module")
def lessons_page(tmp_path_factory):
    sync_playwright = require_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    # Lessons train on 2,000 images; a run directory of its own, so no lesson's runs exist yet.
    server = AppServer(env={"MNIST_LAB_LESSON_IMAGES": "2000",
                            "MNIST_LAB_RUNS": str(tmp_path_factory.mktemp("lesson-runs"))})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = new_page(browser)
        page.goto(f"{server.url}/lessons?lesson=chance")
        wait_idle(page)
        yield page
        browser.close()
    server.stop()


def open_lesson(page, slug: str) -> None:
    """Open a lesson's link: a new document, so a new session of the same learner (the cookie)."""
    page.goto(f"{base_url(page)}/lessons?lesson={slug}")
    wait_idle(page)
    no_exception(page)


def header(page, text: str):
    return page.locator("[data-testid='stHeading'] h2", has_text=text)


def subheader(page, text: str):
    return page.locator("[data-testid='stHeading'] h3", has_text=text)


def guess_radio(page, text: str):
    return page.locator("[data-testid='stRadio']").get_by_role("radio", name=text)


def choose_guess(page, text: str) -> None:
    """Click the guess's label (the radio input itself is hidden behind it) and wait for the run."""
    before = run_marker(page)
    page.locator("[data-testid='stRadio'] label", has_text=text).click()
    wait_idle(page, after=before)
    assert guess_radio(page, text).is_checked()


def progress_caption(page) -> str:
    caption = page.locator("[data-testid='stCaptionContainer']", has_text="Your progress: seen")
    caption.wait_for()
    return caption.inner_text().strip()


def run_and_see(page, guess: str, button: str) -> None:
    """Guess, press the primary button, wait for the runs to train and the results to be shown."""
    run = page.get_by_role("button", name=button)
    assert run.is_disabled()
    assert "Choose your guess above to unlock the experiment." in page.inner_text("body")
    choose_guess(page, guess)
    assert run.is_enabled()
    before = run_marker(page)
    run.click()
    wait_idle(page, after=before)  # the click's run ends in st.rerun(): the progress of the runs shows
    subheader(page, "What happened").wait_for(timeout=TRAINED)  # a run of the whole page, once all are done
    wait_idle(page)
    results_shown(page, guess)


def results_shown(page, guess: str) -> None:
    no_exception(page)
    assert subheader(page, "What happened").count() == 1
    verdict = page.locator("[data-testid='stAlertContentSuccess'], [data-testid='stAlertContentWarning']")
    verdict.first.wait_for()
    assert verdict.count() == 1
    assert verdict.inner_text().strip().startswith(f"You guessed: {guess}.")
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    charts_drawn(page, 1)
    assert page.locator("[data-testid='stMarkdownContainer'] p", has_text=re.compile(r"^Why\.")).count() == 1
    assert page.get_by_role("button", name=re.compile("Run the|Show what happened")).count() == 0


def table_rows(page) -> list[str]:
    """The rows of the results table (header first), as its grid offers them to assistive
    technology: a table inside the canvas it draws on, never shown, so hidden to the eye."""
    grid = page.locator("[data-testid='stDataFrame']").first
    rows = grid.get_by_role("row", include_hidden=True)
    rows.nth(1).wait_for(state="attached")  # the header and a first row of data
    return [row.text_content() for row in rows.all()]


def test_chance_a_one_run_lesson_start_to_finish(lessons_page):
    page = lessons_page
    open_lesson(page, "chance")
    header(page, "Chance: a network before training").wait_for()
    assert IMAGES_CAPTION in page.inner_text("body")
    assert subheader(page, "What happened").count() == 0
    run_and_see(page, "About 10% of the time: it guesses", "Run the experiment")
    rows = table_rows(page)
    assert any("test accuracy before training" in row for row in rows), rows
    assert page.get_by_role("link", name="'the classic network' on Train").count() == 1


def test_scaling_a_two_run_comparison_start_to_finish(lessons_page):
    page = lessons_page
    open_lesson(page, "scaling")
    header(page, "Forgetting to scale the pixels").wait_for()
    assert IMAGES_CAPTION in page.inner_text("body")
    run_and_see(page, "Raw pixels do clearly worse", "Run the 2 runs")
    rows = table_rows(page)
    assert any("raw / scaled" in row for row in rows), rows
    for name in ["'raw 0-255' on Train", "'scaled 0-1' on Train", "Compare them"]:
        assert page.get_by_role("link", name=name).count() == 1, name
    screenshot_whole_page(page, ARTIFACTS / "lessons.png")


def test_progress_is_kept_across_a_reload(lessons_page):
    page = lessons_page
    open_lesson(page, "chance")
    for _ in range(2):  # a new session on the lesson's link, then a reload of it
        header(page, "Chance: a network before training").wait_for()
        assert guess_radio(page, "About 10% of the time: it guesses").is_checked()
        assert subheader(page, "What happened").count() == 1  # at once: nothing pressed
        results_shown(page, "About 10% of the time: it guesses")
        assert progress_caption(page).startswith("Your progress: seen 1, 3"), progress_caption(page)
        page.reload()
        wait_idle(page)
        no_exception(page)


def test_next_opens_the_next_lesson(lessons_page):
    page = lessons_page
    open_lesson(page, "chance")
    before = run_marker(page)
    page.locator("[data-testid='stButton'] button", has_text="Next:").click()
    wait_idle(page, after=before)
    page.wait_for_function("() => new URLSearchParams(location.search).get('lesson') === 'classic'")
    assert query(page)["lesson"] == ["classic"]
    header(page, "The classic first network").wait_for()
    assert header(page, "Chance: a network before training").count() == 0
    no_exception(page)



"""A class in Chromium: a teacher and three learners, each in a browser context of its own (its own
cookie), through one lesson: make the class, pick the lesson, join (by the link, by the short link,
by typing the code), guess, watch the count, reveal; the learners' pages follow by themselves. The
teacher's page is checked at 1280x720, the projector's size: the lesson picker and Reveal below the
page's header, the guesses' chart above the fold, the question in large type, and after the reveal
every run (one that diverged too) and the lesson's why on screen."""

import pytest

from mnist_core.teaching import lessons as L
from tests.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    AppServer,
    charts_drawn,
    no_exception,
    query,
    require_browser,
    run_marker,
    track_runs,
    wait_idle,
)

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1280, "height": 720}
TRAINED = 600_000  # ms: the lesson's run trains on a busy 2-core machine; a bound, not a target
GUESSES = ((1, "certain"), (1, "a hunch"), (0, "fairly sure"))  # (answer, how sure) of each learner
LESSON = "learning-rate"  # four runs, one of which blows up in its first epoch
PUBLIC = "http://192.0.2.10:8501"  # the address learners reach the server at (a documentation address)


@pytest.fixture(scope="module")
def class_server(tmp_path_factory):
    sync_playwright = require_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    server = AppServer(env={"MNIST_LAB_LESSON_IMAGES": "1000",
                            "MNIST_LAB_RUNS": str(tmp_path_factory.mktemp("class-runs")),
                            "MNIST_LAB_PUBLIC_URL": PUBLIC})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield server, browser
        browser.close()
    server.stop()


def person(browser, viewport=None):
    """A browser context of its own: another person's computer."""
    context = browser.new_context(viewport=viewport or {"width": 1200, "height": 1600})
    track_runs(context)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


def click(page, name: str) -> None:
    before = run_marker(page)
    page.get_by_role("button", name=name).click()
    wait_idle(page, after=before)
    no_exception(page)


def test_a_teacher_and_three_learners_through_one_lesson(class_server):
    from playwright.sync_api import expect

    server, browser = class_server
    teacher = person(browser, PROJECTOR)
    teacher.goto(f"{server.url}/class")
    wait_idle(teacher)
    click(teacher, "Make a class")
    code = query(teacher)["class"][0]
    teacher.get_by_text(f"Join: 192.0.2.10:8501/class · code {code}").wait_for()
    teacher.get_by_role("combobox", name="Lesson the class sees").click()
    before = run_marker(teacher)
    lesson = L.BY_SLUG[LESSON]
    number = L.LESSONS.index(lesson) + 1
    teacher.get_by_role("option", name=f"{number}. {lesson.title}").click()
    wait_idle(teacher, after=before)
    teacher.get_by_text(lesson.question).wait_for()

    learners = []
    for i, (answer, sure) in enumerate(GUESSES):
        page = person(browser)
        if i == 0:  # typed from the board: the Class page, then the code
            page.goto(f"{server.url}/class")
            wait_idle(page)
            page.get_by_label("Class code").fill(code.lower())
            click(page, "Join")
        else:  # the short link, or the learners' full link
            page.goto(f"{server.url}/class?{'code' if i == 1 else 'class'}={code}")
            wait_idle(page)
        page.get_by_label("Your name").fill(f"Learner{i}")
        click(page, "Join the class")
        page.get_by_text(lesson.question).wait_for()
        page.locator("[data-testid='stRadio'] [role='radiogroup'] label").nth(answer).click()
        page.locator("[data-testid='stButtonGroup']").get_by_text(sure, exact=True).click()
        click(page, "Send my guess")
        page.get_by_text("Sent:").wait_for()
        learners.append(page)

    teacher.get_by_text("3 of 3 guessed").wait_for()  # the projected page counted every guess by itself
    # Enabled once the lesson's runs are trained: the projected part redraws the button by itself.
    expect(teacher.get_by_role("button", name="Reveal the result")).to_be_enabled(timeout=TRAINED)
    projector_fits(teacher, lesson)
    click(teacher, "Reveal the result")
    teacher.get_by_text("The best test accuracy came from").wait_for()
    charts_drawn(teacher, 2)
    teacher.mouse.move(0, 719)  # no tooltip over the screenshot
    teacher.screenshot(path=str(ARTIFACTS / "class-teacher.png"))
    revealed_fits(teacher, lesson)
    for page, (answer, _) in zip(learners, GUESSES):  # each learner's page follows on its own
        page.get_by_text("What happened").first.wait_for(timeout=30_000)
        said = "That is what happened" if answer == 1 else "What happened: One in the middle"
        page.get_by_text(said).first.wait_for()
        assert page.locator("[data-testid='stRadio']").count() == 0  # guesses closed
        assert page.get_by_text("Learner0").count() == (1 if page is learners[0] else 0)  # others' names unseen


def below_header(teacher, button: str) -> None:
    """The page's header covers nothing of the lesson picker and the Reveal button."""
    header = teacher.locator("[data-testid='stHeader']").bounding_box()
    for control in (teacher.locator("[data-testid='stMain'] [data-testid='stSelectbox']").first,
                    teacher.get_by_role("button", name=button)):
        box = control.bounding_box()
        assert box["y"] >= header["y"] + header["height"], (box, header)


def projector_fits(teacher, lesson) -> None:
    """At 1280x720 the controls clear the header, the question is large and the guesses' chart
    ends above the fold."""
    below_header(teacher, "Reveal the result")
    charts_drawn(teacher, 1)
    chart = teacher.locator(".js-plotly-plot").first.bounding_box()
    assert chart["y"] + chart["height"] <= PROJECTOR["height"], chart
    size = teacher.get_by_text(lesson.question).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 22, size


def revealed_fits(teacher, lesson) -> None:
    """After the reveal, every run (the one that diverged in its first epoch too) and the lesson's
    why are on the projected screen, above the fold, in large type."""
    below_header(teacher, "Shown")
    for text in ("1 (far too large) diverged in epoch 1", "0.001 (the default)", "Why."):
        seen = teacher.get_by_text(text).first
        box = seen.bounding_box()
        assert box and box["y"] + box["height"] <= PROJECTOR["height"], (text, box)
    why = teacher.get_by_text(lesson.why[:40]).first
    box = why.bounding_box()
    assert box["y"] + box["height"] <= PROJECTOR["height"], box
    assert why.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 20

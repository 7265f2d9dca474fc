"""Retake the README's screenshots from the real app in Chromium.

    python -m docs.make_screenshots

Starts the app (tests.browser.AppServer) on a fresh, empty run directory, trains two runs that
differ only in dropout from the Train button, and writes docs/train.png, docs/evaluate.png,
docs/compare.png, docs/sweep.png (a learning-rate sweep on Compare), docs/inside.png (the drawn 7 on Inside), docs/lessons.png (the first lesson,
guessed and run), docs/line.png (a line learnt on credit score and income) and
docs/handwriting.png (a class set of 60 digits written by mnist_core.input.strokes, read by the
shipped network) and docs/story.png (the shipped network's test set on the Story page, a
starred image clicked) and docs/class.png (a teacher's projected page at 1280x720, lesson 3
revealed beside 24 guesses the script sends as 24 learners) and docs/home.png (Home as a newcomer
first sees it, with the sidebar's sections, in a 1400x1000 window), plus test-artifacts/shot-home.png
and test-artifacts/shot-draw.png to look at.
`python -m docs.make_screenshots class home` takes only the pictures named (here docs/class.png and
docs/home.png, which need no training); `python -m docs.make_screenshots compare` trains the two
runs and takes docs/compare.png alone.
Each picture but Home's is the page's main column (no sidebar), from just above the title to the
end of the page. Training two 512-512 networks takes minutes, many more on a busy machine.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from urllib.parse import urlencode, urljoin

import pytest

from tests.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    AppServer,
    require_browser,
    run_marker,
    track_runs,
    train_from,
    wait_idle,
)

DOCS = ROOT / "docs"
WIDTH, HEIGHT = 1400, 2200  # the page is made taller when it needs more (see `shoot`)
TRAINING = 30 * 60_000  # ms: a bound for one training on a busy two-core machine, not a target
MARGIN = 24  # px of page kept above the title and below the last element
# Two runs that differ in one setting, so Compare has a sentence on what dropout did. 15 epochs
# on 16,000 images let the network without dropout overfit visibly.
RUN = {"hidden": "512,512", "dropout": "0", "epochs": "15", "train_samples": "20000",
       "validation": "split:0.2", "seed": "0"}
SECOND_RUN = {**RUN, "dropout": "0.3"}

# Where the page's content sits, in page pixels: the main column, and the top and bottom of
# the vertical block holding the page's elements (Streamlit scrolls inside stMain).
MEASURE = """() => {
  const main = document.querySelector("[data-testid='stMain']");
  const content = main.querySelector("[data-testid='stMainBlockContainer'] > [data-testid='stVerticalBlock']");
  const m = main.getBoundingClientRect(), c = content.getBoundingClientRect();
  return {x: m.left, width: m.width, top: c.top + main.scrollTop, bottom: c.bottom + main.scrollTop};
}"""


def log(started: float, text: str) -> None:
    print(f"[{time.perf_counter() - started:7.1f} s] {text}", flush=True)


def settle(page) -> None:
    """Fonts loaded, Plotly's charts drawn, two animation frames for the last layout."""
    page.evaluate("() => document.fonts.ready.then(() => true)")
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')]"
                           ".every(p => p.querySelector('.main-svg') !== null)")
    # Plotly's toolbar fades out (0.3 s) once the mouse has left its chart.
    page.wait_for_function("() => [...document.querySelectorAll('.modebar-group')]"
                           ".every(m => getComputedStyle(m).opacity === '0')")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")


def check_page(page, path) -> None:
    """No exception or error box on the page: a screenshot of one is no use."""
    bad = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
    if bad.count():
        raise RuntimeError(f"{path.name}: the page shows an error: {bad.first.inner_text()[:300]}")


# Where the heading with this text starts in the window, the frame a screenshot's clip is in
# (for a picture of one section of a page).
HEADING_TOP = """text => [...document.querySelectorAll("[data-testid='stMain'] :is(h1, h2, h3)")]
  .find(e => e.textContent.trim() === text).getBoundingClientRect().top"""


def shoot(page, path, section: tuple[str, str] | None = None) -> None:
    """Save the main column from just above the title to the end of the page, or, for a
    `section` (two headings), from the first heading to just above the second. A page taller
    than the window is shown whole by making the window taller first."""
    page.mouse.move(1, 1)  # off the charts and buttons: no hover label, toolbar or colour
    settle(page)
    check_page(page, path)
    box = page.evaluate(MEASURE)
    needed = int(box["bottom"]) + MARGIN
    if needed > page.viewport_size["height"]:
        page.set_viewport_size({"width": WIDTH, "height": needed})
        settle(page)
        box = page.evaluate(MEASURE)
    top = max(0, int(box["top"]) - MARGIN)
    bottom = min(int(box["bottom"]) + MARGIN, page.viewport_size["height"])
    if section:
        top = int(page.evaluate(HEADING_TOP, section[0])) - MARGIN
        bottom = int(page.evaluate(HEADING_TOP, section[1])) - MARGIN
    path.parent.mkdir(exist_ok=True)
    # One pixel in from the left: that column is the sidebar's border.
    clip = {"x": box["x"] + 1, "y": top, "width": box["width"] - 1, "height": bottom - top}
    page.screenshot(path=path, clip=clip)
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_idle(page)


def train(page, server, params: dict) -> None:
    """Open Train with `params`, press Train, and wait for the run to finish."""
    train_from(page, f"{server.url}/train?{urlencode(params)}", TRAINING)


def show_mistakes(page) -> None:
    """Evaluate's gallery: the mistakes, the ones the network was surest about first."""
    for label in ("Mistakes only", "Most confident mistakes first"):
        before = run_marker(page)
        page.get_by_test_id("stCheckbox").filter(has_text=label).locator("label").click()
        wait_idle(page, after=before)


def draw_digit(page) -> None:
    """Draw a 7 on the canvas: a bar, then the stem, in one stroke; wait for the prediction."""
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for()
    # The component's stylesheet moves the canvas into place once it is in.
    page.wait_for_function("canvas => [...canvas.getRootNode().querySelectorAll('link[rel=stylesheet]')]"
                           ".every(link => link.sheet !== null)", arg=canvas.element_handle())
    box = canvas.bounding_box()
    points = [(70 + 14 * i, 60) for i in range(11)] + [(210 - 8 * i, 60 + 16 * i) for i in range(1, 12)]
    before = run_marker(page)
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=2)
    page.mouse.up()
    wait_idle(page, after=before)
    page.locator("[data-testid='stMetric']", has_text="Prediction").wait_for()


def take_all(page, server, started: float, runs: str) -> list:
    """Train both runs and take every picture; return the files written."""
    written = []

    def save(path):
        shoot(page, path)
        written.append(path)
        log(started, f"wrote {path.relative_to(ROOT)}")

    train(page, server, RUN)
    log(started, "first run trained")
    save(DOCS / "train.png")
    link = page.get_by_role("link", name=re.compile("gets wrong on Evaluate"))
    evaluate_url = urljoin(f"{server.url}/", link.get_attribute("href"))
    train(page, server, SECOND_RUN)
    log(started, "second run trained")
    open_page(page, evaluate_url)  # the first run, at its last epoch
    show_mistakes(page)
    save(DOCS / "evaluate.png")
    open_page(page, f"{server.url}/compare")
    save(DOCS / "compare.png")
    sweep(page, server)
    shoot(page, DOCS / "sweep.png", section=("Sweep one setting", "Use your own model"))
    written.append(DOCS / "sweep.png")
    log(started, "wrote docs/sweep.png")
    open_page(page, server.url)
    save(ARTIFACTS / "shot-home.png")
    open_page(page, f"{server.url}/draw")
    draw_digit(page)
    save(ARTIFACTS / "shot-draw.png")
    before = run_marker(page)
    page.get_by_role("button", name="See it inside the network").click()  # the drawing, inside
    wait_idle(page, after=before)
    page.get_by_role("heading", name="Health of each layer").wait_for()
    wait_idle(page)
    save(DOCS / "inside.png")
    open_page(page, f"{server.url}/lessons?lesson=chance")
    click(page, page.get_by_text("About 10% of the time: it guesses"))
    click(page, page.get_by_role("button", name="Run the experiment"))
    page.get_by_role("heading", name="What happened").wait_for(timeout=TRAINING)
    wait_idle(page)
    save(DOCS / "lessons.png")
    open_page(page, f"{server.url}/line?data=credit&layers=0&seed=3")
    click(page, page.get_by_role("button", name="Train", exact=True))
    save(DOCS / "line.png")
    handwriting(page, server, runs)
    save(DOCS / "handwriting.png")
    story(page, server)
    save(DOCS / "story.png")
    return written


# Lesson 3's three answers, as 24 learners guess them: (answer, how sure) and how many.
CLASS_GUESSES = (((1, 2), 7), ((1, 1), 5), ((1, 0), 2), ((0, 1), 4), ((0, 0), 3), ((2, 0), 2), ((2, 1), 1))


def class_picture(browser, server, runs: str) -> None:
    """A class on lesson 3 (scaling): 24 learners seated and guessing through mnist_core.teaching.classroom,
    then the teacher's page, at a projector's 1280x720, reveals the result."""
    from mnist_core.teaching.classroom import Classroom

    room = Classroom(runs)
    code, key = room.create()
    room.choose_lesson(code, key, "scaling")
    seat = 0
    for (guess, sure), count in CLASS_GUESSES:
        for _ in range(count):
            learner = f"{seat:032x}"
            room.join(code, learner, f"Learner {seat + 1}")
            room.answer(code, learner, guess, sure)
            seat += 1
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.set_default_timeout(120_000)
    track_runs(page)
    open_page(page, f"{server.url}/class?class={code}&key={key}")
    reveal = page.get_by_role("button", name="Reveal the result")
    page.wait_for_function("() => [...document.querySelectorAll('button')].some(b => "
                           "b.innerText.includes('Reveal the result') && !b.disabled)", timeout=TRAINING)
    click(page, reveal)
    page.get_by_text("Scaling the pixels changed test accuracy").wait_for()
    page.mouse.move(1, 700)  # no tooltip over the picture
    settle(page)
    page.screenshot(path=str(DOCS / "class.png"))
    page.close()


def home_picture(browser, server, runs: str) -> None:  # runs: unused (called as class_picture is)
    """Home in a fresh browser (no runs of its own yet), the window whole: the sidebar's sections
    beside the two first steps."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000})
    page = context.new_page()
    track_runs(page)
    open_page(page, server.url)
    page.mouse.move(WIDTH - 1, 999)  # no hover on a link or a button
    settle(page)
    check_page(page, DOCS / "home.png")
    page.screenshot(path=str(DOCS / "home.png"))
    context.close()


ALONE = {"class": class_picture, "home": home_picture}  # pictures that need no training


def compare_picture(browser, server, runs: str) -> None:  # runs: unused (called as class_picture is)
    """Compare alone: the two runs that differ in dropout, trained first, side by side."""
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    page.set_default_timeout(120_000)
    track_runs(page)
    train(page, server, RUN)
    train(page, server, SECOND_RUN)
    open_page(page, f"{server.url}/compare")
    shoot(page, DOCS / "compare.png")
    page.close()


NAMED = {**ALONE, "compare": compare_picture}  # what can be asked for by name (take_all takes compare too)


def story(page, server) -> None:
    """The Story page on the test set, the first starred image (a label judged wrong) clicked."""
    open_page(page, f"{server.url}/story")
    click(page, page.get_by_text("the test set", exact=True))
    star = page.locator(".js-plotly-plot").first.locator(".scatterlayer path.point").first
    star.wait_for()
    box = star.bounding_box()
    before = run_marker(page)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_idle(page, after=before)
    page.get_by_role("link", name="Follow it inside").wait_for()


def handwriting(page, server, runs: str) -> None:
    """Handwriting on a class set of 60 digits written by the script (as if a class drew them)."""
    from mnist_core.input.drawings import written_set
    from mnist_core.store.handwriting import Handwriting

    store = Handwriting(runs)
    code = store.start_class()
    store.save(f"class-{code}", written_set(60, seed=7))
    open_page(page, f"{server.url}/handwriting?class={code}")
    click(page, page.get_by_text(f"Class {code}", exact=True))


def sweep(page, server) -> None:
    """Compare's sweep of the classic network's learning rate on 10,000 images, 2 seeds a value,
    started from its link; waits until every run is in."""
    base = {"train_samples": "10000", "seed": "0"}
    open_page(page, f"{server.url}/compare?" + urlencode({**base, "sweep": "learning_rate",
                                                         "values": "0.0001,0.001,0.01,0.1,1", "seeds": "2"}))
    click(page, page.get_by_role("button", name=re.compile("Start the sweep")))
    page.get_by_text("10 runs in all, 0 still to train").wait_for(timeout=TRAINING)
    wait_idle(page)


def click(page, target) -> None:
    """Click and wait for the run it starts."""
    before = run_marker(page)
    target.click()
    wait_idle(page, after=before)


def main() -> int:
    started = time.perf_counter()
    wanted = set(sys.argv[1:])
    if wanted - set(NAMED) or "--help" in wanted:
        print(__doc__.strip())
        return 0 if wanted == {"--help"} else 2
    try:
        sync_playwright = require_browser()
    except (pytest.skip.Exception, pytest.fail.Exception) as exc:
        print(f"make_screenshots: {exc.msg}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="mnist-lab-shots-") as runs:
        server = AppServer(env={"MNIST_LAB_RUNS": runs})
        log(started, f"app at {server.url}, runs in {runs}")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    written = []
                    if not wanted:
                        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
                        page.set_default_timeout(120_000)
                        track_runs(page)
                        written = take_all(page, server, started, runs)
                    for name in sorted(wanted or ALONE):
                        NAMED[name](browser, server, runs)
                        written.append(DOCS / f"{name}.png")
                finally:
                    browser.close()
        finally:
            server.stop()
    log(started, "done: " + ", ".join(str(p.relative_to(ROOT)) for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())

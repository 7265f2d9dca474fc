"""What a learner waits for in the browser: every page, and each page's main interaction, timed in
Chromium until the page is at rest, with the server's share beside it.

    python -m bench.pages [--rounds 3] [--before DIR] [--skip-interactions]

"At rest": the script run that the navigation or input started has ended and is on screen, no
element is still loading its code, every Plotly chart has drawn its SVG, every image has loaded,
every component's frame has loaded, and two animation frames have passed. The server's share is
the time from the run's first message to its last (tests/browser.py RUN_TRACKER), as the browser
sees it; the rest is the browser's (receiving, React, Plotly) and the connection's.

1. Pages: each round starts a fresh server (a run directory of its own) and a fresh browser (an
   empty cache), opens every page in turn by its URL (first render on a fresh server), then every
   page again (a page opened again).
2. Interactions, on a warm server, after training the classic network (the default settings) and
   the largest one (4 x 1024 units, 2,000 images, 2 epochs: the drawing depends on the units, not
   the images): Train's and Inside's epoch sliders (one arrow key), Evaluate's confusion cell,
   Draw's stroke to prediction, Story's dot, Compare's sweep chart (its values edited), Class's
   reveal.

With --before DIR (a checkout of another commit, e.g. `git worktree add /tmp/before <commit>`) the
same measurements run on both trees, round by round alternating, and print side by side.
Budgets (issue 34, this 2-core machine): first render 3 s, opened again 1.5 s, an interaction's
redraw 0.5 s on the classic network and 1 s on the largest. Needs Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from mnist_core.teaching import lessons as L  # noqa: E402
from tests.browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    AppServer,
    run_marker,
    track_runs,
    wait_idle,
)

FIRST, AGAIN, CLASSIC, LARGEST = 3.0, 1.5, 0.5, 1.0  # budgets, s
PATHS = ["", "line", "lessons", "data", "train", "evaluate", "compare", "inside", "story", "draw",
         "handwriting", "class"]
VIEWPORT = {"width": 1400, "height": 1000}  # a laptop's window
LARGE = "hidden=1024,1024,1024,1024&epochs=2&train_samples=2000&seed=1"
SWEEP = "sweep=epochs&values=1,2,3&seeds=1&epochs=3&train_samples=2000&hidden=128"
AT_REST = """() => [...document.querySelectorAll('.js-plotly-plot')].every(c => c.querySelector('.main-svg'))
    && [...document.images].every(i => i.complete)
    && [...document.querySelectorAll('iframe')].every(f => {
         try { return f.contentDocument?.readyState === 'complete'; } catch { return true; } })"""
FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def at_rest(page, after=None, timeout: float = 120_000) -> tuple[float, float | None]:
    """Wait until the page is at rest (see the top); return (now, the server's share in s)."""
    wait_idle(page, after=after, timeout=timeout)
    page.wait_for_function(AT_REST, timeout=timeout)
    page.evaluate(FRAMES)
    script = page.evaluate("() => window.__mnistLabRuns.scriptMs")
    return time.perf_counter(), (script / 1000 if script is not None else None)


def timed(page, action, after=None) -> tuple[float, float | None]:
    """Seconds from `action()` until the page is at rest, and the server's share."""
    marker = run_marker(page) if after else None
    start = time.perf_counter()
    action()
    end, script = at_rest(page, after=marker)
    return end - start, script


def open_page(page, url: str) -> tuple[float, float | None]:
    return timed(page, lambda: page.goto(url))


def pages_round(browser, tree: Path) -> dict[str, list]:
    """One fresh server and one fresh browser context: every page first, then every page again."""
    found = {}
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as runs:
        server = AppServer(env={"MNIST_LAB_RUNS": runs}, cwd=tree)
        context = browser.new_context(viewport=VIEWPORT)
        track_runs(context)
        page = context.new_page()
        page.set_default_timeout(120_000)
        try:
            for when in ("first", "again"):
                for path in PATHS:
                    found[(path or "home", when)] = open_page(page, f"{server.url}/{path}")
        finally:
            context.close()
            server.stop()
    return found


def keyboard(page, locator, key: str):
    locator.focus()
    return lambda: locator.press(key)


def click_centre(page, locator):
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    return lambda: page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def stroke(page):
    """A vertical stroke on the Draw page's canvas (the canvas sends it a moment after pen-up)."""
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for()
    box = canvas.bounding_box()

    def draw():
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.2
        page.mouse.move(x, y)
        page.mouse.down()
        for i in range(1, 11):
            page.mouse.move(x, y + box["height"] * 0.06 * i, steps=2)
        page.mouse.up()
    return draw


def train(page, url: str) -> None:
    page.goto(url)
    wait_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_role("button", name="Trained").wait_for(timeout=1_800_000)
    at_rest(page)


def interactions(browser, tree: Path) -> dict[str, tuple]:
    """The main interaction of each page, on one warm server, timed once each."""
    found = {}
    with tempfile.TemporaryDirectory(prefix="bench-act-") as runs:
        server = AppServer(env={"MNIST_LAB_RUNS": runs, "MNIST_LAB_LESSON_IMAGES": "1000"}, cwd=tree)
        context = browser.new_context(viewport=VIEWPORT)
        track_runs(context)
        page = context.new_page()
        page.set_default_timeout(120_000)
        u = server.url
        try:
            for name, link in (("classic", "train"), ("largest", f"train?{LARGE}")):
                train(page, f"{u}/{link}")
                if name == "classic":
                    found["train slider, classic"] = timed(
                        page, keyboard(page, page.get_by_role("slider", name="Look at epoch"), "ArrowLeft"), True)
                open_page(page, f"{u}/inside")
                found[f"inside slider, {name}"] = timed(
                    page, keyboard(page, page.get_by_role("slider", name="After epoch"), "ArrowLeft"), True)
                open_page(page, f"{u}/evaluate")
                cells = page.get_by_role("heading", name="Confusion matrix").locator(
                    "xpath=following::div[contains(@class, 'js-plotly-plot')][1]").locator(".scatterlayer path.point")
                found[f"evaluate cell, {name}"] = timed(page, click_centre(page, cells.nth(38)), True)
                open_page(page, f"{u}/draw")
                found[f"draw stroke, {name}"] = timed(page, stroke(page), True)
            found.update(story_and_compare(page, u))
            found["class reveal"] = class_reveal(browser, u)
        finally:
            context.close()
            server.stop()
    return found


def story_and_compare(page, u: str) -> dict[str, tuple]:
    found = {}
    open_page(page, f"{u}/story")
    dot = page.locator(".js-plotly-plot").first.locator(".scatterlayer path.point").nth(5)
    found["story dot"] = timed(page, click_centre(page, dot), True)
    open_page(page, f"{u}/compare?{SWEEP}")
    page.get_by_role("button", name="Start the sweep (1 run)").click()
    page.get_by_text("Best validation accuracy").first.wait_for(timeout=600_000)
    at_rest(page)
    values = page.get_by_role("textbox", name="Values")

    def edit():
        values.fill("1,3")
        values.press("Enter")
    found["compare sweep"] = timed(page, edit, True)
    return found


def class_reveal(browser, u: str) -> tuple:
    """A teacher opens a class on the lesson of the fewest runs and, once they are trained, reveals it."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    track_runs(context)
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        open_page(page, f"{u}/class")
        timed(page, lambda: page.get_by_role("button", name="Make a class").click(), True)
        lesson = min(L.LESSONS, key=lambda lesson: len(lesson.configs))
        page.get_by_role("combobox", name="Lesson the class sees").click()
        timed(page, lambda: page.get_by_role("option", name=f"{L.LESSONS.index(lesson) + 1}. {lesson.title}").click(),
              True)
        reveal = page.get_by_role("button", name="Reveal the result")
        page.wait_for_function("b => !b.disabled", arg=reveal.element_handle(), timeout=1_800_000)
        at_rest(page)
        return timed(page, lambda: reveal.click(), True)
    finally:
        context.close()


def fmt(times: list[tuple], budget: float | None) -> str:
    total = [t for t, _ in times]
    server = [s for _, s in times if s is not None]
    worst = max(total)
    mark = "" if budget is None else ("  ok" if worst <= budget else "  OVER")
    share = f"{statistics.median(server):5.2f}" if server else "    -"
    return f"{statistics.median(total):6.2f} {worst:6.2f} {share}{mark}"


def report(results: dict[str, dict], kind: str) -> None:
    trees = list(results)
    names = list(next(iter(results.values())))
    head = "".join(f" | {t[-24:]:>24}" for t in trees)
    print(f"\n{kind:<26}{head}\n{'':<26}" + " | median  worst server" * len(trees))
    for name in names:
        budget = budget_of(name)
        row = "".join(f" | {fmt(results[t][name], budget):>24}" for t in trees)
        print(f"{str(name):<26}{row}   budget {budget if budget else '-'} s")


def budget_of(name) -> float | None:
    if isinstance(name, tuple):
        return FIRST if name[1] == "first" else AGAIN
    return LARGEST if "largest" in name else CLASSIC


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another checkout, measured alternately beside this one")
    parser.add_argument("--skip-interactions", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    trees = ([args.before.resolve()] if args.before else []) + [ROOT]
    pages = {str(t): {} for t in trees}
    acts = {str(t): {} for t in trees}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for r in range(args.rounds):
            for tree in trees:
                for name, value in pages_round(browser, tree).items():
                    pages[str(tree)].setdefault(name, []).append(value)
                print(f"round {r + 1}, {tree}: pages done", flush=True)
        if not args.skip_interactions:
            for tree in trees:
                for name, value in interactions(browser, tree).items():
                    acts[str(tree)].setdefault(name, []).append(value)
                print(f"{tree}: interactions done", flush=True)
        browser.close()
    report(pages, "page, visit (s)")
    if not args.skip_interactions:
        report(acts, "interaction (s)")


if __name__ == "__main__":
    main()

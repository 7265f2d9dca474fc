"""What a learner waits for in the browser: every page, and each page's main interaction, timed in
Chromium until the page is at rest, with the server's share beside it.

    python -m bench.pages [--rounds 3] [--before DIR] [--skip-interactions]
    python -m bench.pages --profile story inside     # where the browser's time goes on those pages

"At rest": the script run that the navigation or input started has ended and is on screen, no
element is still loading its code, every Plotly chart has drawn its SVG, every image has loaded,
every component's frame has loaded, and two animation frames have passed. The server's share is
the time from the run's first message to its last (tests/browser.py RUN_TRACKER), as the browser
sees it; the rest is the browser's (receiving, React, Plotly) and the connection's.

1. Pages: each round starts a fresh server (a run directory of its own), waits until it has done
   its start-up work (the engine's workers warm, the shipped network's views prepared: a teacher
   starts the server before sharing its link) and opens a fresh browser (an empty cache). Then
   every page in turn by its URL (first render on a fresh server: "first"), every page again by
   its URL (a reload: "again"), and every page again by a click in the sidebar, as a learner
   moves about ("sidebar").
2. Interactions, on a warm server, after training the classic network (the default settings) and
   the largest one (4 x 1024 units, 2,000 images, 2 epochs: the drawing depends on the units, not
   the images): Train's and Inside's epoch sliders (one arrow key), Evaluate's confusion cell,
   Draw's stroke to prediction, Story's dot, Compare's sweep chart (its values edited), Class's
   reveal.

With --before DIR (a checkout of another commit, e.g. `git worktree add /tmp/before <commit>`) the
same measurements run on both trees, round by round alternating, and print side by side.
Budgets (issue 34, this 2-core machine): first render 3 s, opened again 1.5 s, an interaction's
redraw 0.5 s on the classic network and 1 s on the largest; judged on the median, a * marking a
worst time over. Needs Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from app_pages.parts.navigation import PAGES  # noqa: E402
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
PATHS = [entry.url_path for entry in PAGES]
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


def settle(server: AppServer, quiet: float = 0.15, most: float = 180.0) -> float:
    """Wait until the server and its engine are done with their start-up work (TensorFlow loaded
    in the workers, the shipped network's views prepared): until the server's processes use less
    than `quiet` of a core over a second. Returns the seconds that took. A teacher starts the
    server before sharing its link; a learner's first page meets a server at rest."""
    import psutil

    start = time.perf_counter()
    root = psutil.Process(server.proc.pid)
    while time.perf_counter() - start < most:
        procs = [root, *root.children(recursive=True)]
        before = sum(sum(p.cpu_times()[:2]) for p in procs if p.is_running())
        time.sleep(1.0)  # a measuring interval, not a wait for an event
        after = sum(sum(p.cpu_times()[:2]) for p in procs if p.is_running())
        if after - before < quiet:
            break
    return time.perf_counter() - start


def sidebar(page, title: str):
    link = page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True)
    return lambda: link.click()


def open_page(page, url: str) -> tuple[float, float | None]:
    return timed(page, lambda: page.goto(url))


def pages_round(browser, tree: Path) -> dict[str, list]:
    """One fresh server and one fresh browser context: every page first, then every page again."""
    found = {}
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as runs:
        server = AppServer(env={"MNIST_LAB_RUNS": runs}, cwd=tree)
        found[("server start-up", "settle")] = (settle(server), None)
        context = browser.new_context(viewport=VIEWPORT)
        track_runs(context)
        page = context.new_page()
        page.set_default_timeout(120_000)
        try:
            for when in ("first", "again"):
                for path in PATHS:
                    found[(path or "home", when)] = open_page(page, f"{server.url}/{path}")
            for entry in PAGES:  # as a learner moves: a click in the sidebar, no reload
                found[(entry.url_path or "home", "sidebar")] = timed(page, sidebar(page, entry.title), True)
        finally:
            context.close()
            server.stop()
    return found


REPEATS = 5  # each interaction, timed this many times (its median and worst are printed)


def slider_moves(page, name: str) -> list[tuple]:
    """Left and right in turn on a slider, by keyboard: each move's time to rest."""
    slider = page.get_by_role("slider", name=name)
    slider.focus()
    return [timed(page, lambda key=key: slider.press(key), True)
            for key in ("ArrowLeft", "ArrowRight") * (REPEATS // 2) + ("ArrowLeft",) * (REPEATS % 2)]


def click_centre(page, locator):
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    return lambda: page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def strokes(page) -> list[tuple]:
    """Vertical strokes on the Draw page's canvas, timed from pen-up (the canvas sends the drawing
    then) until the prediction is drawn; Clear between them."""
    found = []
    for _ in range(REPEATS):
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for()
        box = canvas.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.2
        page.mouse.move(x, y)
        page.mouse.down()
        for i in range(1, 11):
            page.mouse.move(x, y + box["height"] * 0.06 * i, steps=2)
        found.append(timed(page, lambda: page.mouse.up(), True))
        timed(page, lambda: page.get_by_role("button", name="Clear").click(), True)
    return found


def train(page, url: str) -> None:
    page.goto(url)
    wait_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_role("button", name="Trained").wait_for(timeout=1_800_000)
    at_rest(page)


def attempt(found: dict, name: str, measure) -> None:
    """Run one measurement; a failure is printed and leaves a gap, not the end of the bench."""
    try:
        found[name] = measure()
    except Exception as exc:  # noqa: BLE001 - a bench reports what broke and goes on
        print(f"{name}: not measured ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})", flush=True)


def interactions(browser, tree: Path) -> dict[str, list[tuple]]:
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
                one_network(page, u, name, found)
            attempt(found, "story dot", lambda: story_dot(page, u))
            attempt(found, "compare sweep", lambda: compare_sweep(page, u))
            attempt(found, "class reveal", lambda: class_reveal(browser, u))
        finally:
            context.close()
            server.stop()
    return found


def one_network(page, u: str, name: str, found: dict) -> None:
    """Train's and Inside's epoch sliders, Evaluate's cell and Draw's stroke, on the run just trained."""
    if name == "classic":
        attempt(found, "train slider, classic", lambda: slider_moves(page, "Look at epoch"))

    def inside():
        open_page(page, f"{u}/inside")
        return slider_moves(page, "After epoch")

    def evaluate():  # a cell, then the same cell again (which clears the filter)
        open_page(page, f"{u}/evaluate")
        cells = page.get_by_role("heading", name="Confusion matrix").locator(
            "xpath=following::div[contains(@class, 'js-plotly-plot')][1]").locator(".scatterlayer path.point")
        return [timed(page, click_centre(page, cells.nth(38)), True) for _ in range(REPEATS)]

    def draw():
        open_page(page, f"{u}/draw")
        return strokes(page)
    attempt(found, f"inside slider, {name}", inside)
    attempt(found, f"evaluate cell, {name}", evaluate)
    attempt(found, f"draw stroke, {name}", draw)


def story_dot(page, u: str) -> list[tuple]:
    """Clicks on the starred dots of the test set's map (labels people judged wrong), one after another."""
    open_page(page, f"{u}/story")
    timed(page, lambda: page.get_by_text("the test set", exact=True).click(), True)
    stars = page.locator(".js-plotly-plot").first.locator(".scatterlayer path.point")
    stars.first.wait_for()
    return [timed(page, click_centre(page, stars.nth(i)), True) for i in range(REPEATS)]


def compare_sweep(page, u: str) -> list[tuple]:
    """A sweep's values edited once its runs exist: the chart and table drawn again."""
    open_page(page, f"{u}/compare?{SWEEP}")
    page.get_by_role("button", name="Start the sweep (1 run)").click()
    page.get_by_text("Best validation accuracy").first.wait_for(timeout=600_000)
    at_rest(page)
    values = page.get_by_role("textbox", name="Values")

    def edit(text):
        values.fill(text)
        values.press("Enter")
    return [timed(page, lambda i=i: edit("1,3" if i % 2 == 0 else "1,2,3"), True) for i in range(REPEATS)]


def class_reveal(browser, u: str) -> tuple:
    """A teacher opens a class on the lesson of the fewest runs and, once they are trained, reveals it."""
    from playwright.sync_api import expect

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
        expect(reveal).to_be_enabled(timeout=1_800_000)  # once the lesson's runs are trained
        at_rest(page)
        return [timed(page, lambda: reveal.click(), True)]  # once: the result stays shown
    finally:
        context.close()


def profile(browser, paths: list[str]) -> None:
    """Where the browser's time goes when a page is opened again (by its URL, on a settled server):
    Chromium's sampling profiler, its time summed by script (Streamlit's chunks are named after
    what they draw: PlotlyChart, StreamlitSyntaxHighlighter, DataFrame...) and native work
    ("(program)": layout, painting, WebGL in software here, as there is no GPU)."""
    from collections import Counter

    with tempfile.TemporaryDirectory(prefix="bench-profile-") as runs:
        server = AppServer(env={"MNIST_LAB_RUNS": runs})
        settle(server)
        context = browser.new_context(viewport=VIEWPORT)
        track_runs(context)
        page = context.new_page()
        page.set_default_timeout(120_000)
        cdp = context.new_cdp_session(page)
        try:
            for path in paths:
                open_page(page, f"{server.url}/{path}")
                cdp.send("Profiler.enable")
                cdp.send("Profiler.setSamplingInterval", {"interval": 200})
                cdp.send("Profiler.start")
                seconds, script = open_page(page, f"{server.url}/{path}")
                found = cdp.send("Profiler.stop")["profile"]
                frames = {node["id"]: node["callFrame"] for node in found["nodes"]}
                spent = Counter()
                for sample, delta in zip(found["samples"], found["timeDeltas"]):
                    frame = frames[sample]
                    spent[frame["url"].rsplit("/", 1)[-1] or frame["functionName"]] += delta / 1000
                print(f"\n/{path}: {seconds:.2f} s to rest, the server's share {script or 0:.2f} s; browser time by script:")
                for name, ms in spent.most_common(8):
                    print(f"  {ms:6.0f} ms  {name}")
        finally:
            context.close()
            server.stop()


def fmt(times: list[tuple], budget: float | None) -> str:
    total = [t for t, _ in times]
    server = [s for _, s in times if s is not None]
    worst = max(total)
    # Judged on the median (a single slow one may be the machine); a * marks a worst one over.
    middle = statistics.median(total)
    mark = "" if budget is None else ("  ok" if middle <= budget else "  OVER") + ("*" if worst > budget else " ")
    share = f"{statistics.median(server):5.2f}" if server else "    -"
    return f"{middle:6.2f} {worst:6.2f} {share}{mark}"


def report(results: dict[str, dict], kind: str) -> None:
    trees = list(results)
    names = list(next(iter(results.values())))
    head = "".join(f" | {t[-24:]:>24}" for t in trees)
    print(f"\n{kind:<30}{head}\n{'':<30}" + " | median  worst server" * len(trees))
    for name in names:
        budget = budget_of(name)
        row = "".join(f" | {fmt(results[t][name], budget):>24}" for t in trees)
        print(f"{' '.join(name) if isinstance(name, tuple) else name:<30}{row}   budget {budget if budget else '-'} s")


def budget_of(name) -> float | None:
    if isinstance(name, tuple):
        return {"first": FIRST, "again": AGAIN, "sidebar": AGAIN}.get(name[1])
    return LARGEST if "largest" in name else CLASSIC


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another checkout, measured alternately beside this one")
    parser.add_argument("--skip-interactions", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--profile", nargs="+", metavar="PATH", help="only profile these pages (url paths)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if args.profile:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            profile(browser, ["" if path == "home" else path for path in args.profile])
            browser.close()
        return

    trees = ([args.before.resolve()] if args.before else []) + [ROOT]
    pages = {str(t): {} for t in trees}
    acts = {str(t): {} for t in trees}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for r in range(0 if args.skip_pages else args.rounds):
            for tree in trees:
                for name, value in pages_round(browser, tree).items():
                    pages[str(tree)].setdefault(name, []).append(value)
                print(f"round {r + 1}, {tree}: pages done", flush=True)
        if not args.skip_interactions:
            for tree in trees:
                for name, value in interactions(browser, tree).items():
                    acts[str(tree)].setdefault(name, []).extend(value)
                print(f"{tree}: interactions done", flush=True)
        browser.close()
    if not args.skip_pages:
        report(pages, "page, visit (s)")
    if not args.skip_interactions:
        report(acts, "interaction (s)")


if __name__ == "__main__":
    main()

"""Every page in Chromium, checked by axe-core against WCAG 2.0 and 2.1, levels A and AA: no
violation axe rates serious or critical. Twice: on a fresh server (no run yet) and after a small
run was trained, when the pages that show a run have more to draw.

axe finds only what a program can find (contrast, names, alternative text, roles); the keyboard
and phone tests, and docs/accessibility.md, say the rest.
"""

from __future__ import annotations

import os
import tempfile

import pytest

from app_pages.parts.navigation import PAGES
from tests.browser import app_and_page, no_exception, train_from, wait_idle

pytestmark = pytest.mark.browser

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
PATHS = [page.url_path for page in PAGES]
# Two epochs and a validation split: Train then draws the gap chart too, and Story has a run to tell.
TRAIN_LINK = "/train?hidden=32&epochs=2&train_samples=2000&validation=split:0.2&seed=5"
NODES_SHOWN = 3  # the first few elements of each violation, in the failure message
# Streamlit's markup, not ours: its sidebar navigation puts each section (a <header>, then the
# section's <li>s) in a <div> straight inside the <ul>, which axe's list and listitem rules flag.
# Streamlit 1.67 has no other markup for sections; docs/accessibility.md lists it as known, and
# test_the_one_known_exception_is_still_streamlits says when an upgrade has fixed it.
STREAMLIT_NAV = "[data-testid='stSidebarNavItems']"
NAV_RULES = {"list", "listitem"}


def require_axe():
    """axe-playwright-python's Axe, or fail (CI) / skip (a laptop without it)."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        message = "the accessibility test needs axe-playwright-python (pip install -r requirements-dev.txt)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return Axe


class Lab:
    """One app server and one tracked page for the whole module; `trained` once a run exists."""

    def __init__(self, server, page, axe):
        self.server, self.page, self.axe, self.trained = server, page, axe, False


@pytest.fixture(scope="module")
def lab():
    Axe = require_axe()
    with app_and_page(env={"MNIST_LAB_RUNS": tempfile.mkdtemp(prefix="mnist-lab-axe-")}) as (server, page):
        yield Lab(server, page, Axe())


@pytest.fixture(scope="module")
def lab_with_a_run(lab):
    train_from(lab.page, f"{lab.server.url}{TRAIN_LINK}")
    lab.trained = True
    return lab


def at_rest(page) -> None:
    """Wait until the page's script is idle, every Plotly chart is drawn and every image loaded."""
    wait_idle(page, timeout=300_000)
    page.wait_for_function("""() =>
        [...document.querySelectorAll('.js-plotly-plot')].every(chart => chart.querySelector('.main-svg'))
        && [...document.querySelectorAll('img')].every(img => img.complete)""", timeout=120_000)


# The text of the charts' own parts (axes, titles, legends, colour bars), with its colour. Plotly
# draws it in SVG, where axe cannot tell the background and leaves it "to review": the charts'
# background is white, so the test measures it itself.
CHART_TEXT = """() => [...document.querySelectorAll('.js-plotly-plot .main-svg text')]
    .filter(t => t.textContent.trim() && (/tick$/.test(t.parentElement.getAttribute('class') || '')
                 || /title|legendtext/.test(t.getAttribute('class') || '')))
    .map(t => [getComputedStyle(t).fill, t.textContent.trim().slice(0, 30)])"""


def contrast_on_white(colour: str) -> float:
    """WCAG's contrast ratio of an "rgb(r, g, b)" colour against white."""
    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (float(v) for v in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3])
    return 1.05 / (0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b) + 0.05)


def faint_chart_text(page) -> dict[str, list[str]]:
    """The chart text under 4.5:1 on white (WCAG AA for text under 18 pt), by colour."""
    faint: dict[str, list[str]] = {}
    for colour, text in page.evaluate(CHART_TEXT):
        if contrast_on_white(colour) < 4.5:
            faint.setdefault(f"{colour} ({contrast_on_white(colour):.2f}:1)", []).append(text)
    return faint


def in_streamlit_nav(page, node: dict) -> bool:
    return page.evaluate("([target, nav]) => !!document.querySelector(target)?.closest(nav)",
                         [node["target"][0], STREAMLIT_NAV])


def check(lab, path: str) -> tuple[list[dict], list[dict]]:
    """Open the page at `path`, run axe there, and return its serious and critical violations:
    (ours, those of Streamlit's sidebar navigation)."""
    page = lab.page
    page.goto(f"{lab.server.url}/{path}")
    at_rest(page)
    no_exception(page)
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    found = [v for v in lab.axe.run(page, options=options).response["violations"] if v["impact"] in BLOCKING]
    ours, nav = [], []
    for v in found:
        known = [n for n in v["nodes"] if v["id"] in NAV_RULES and in_streamlit_nav(page, n)]
        if known:
            nav.append({**v, "nodes": known})
        if len(known) < len(v["nodes"]):
            ours.append({**v, "nodes": [n for n in v["nodes"] if n not in known]})
    return ours, nav


def serious_violations(lab, path: str) -> list[dict]:
    """axe's serious and critical violations on the page at `path`, but for Streamlit's own; and
    chart text too faint to read, as one more violation."""
    found = check(lab, path)[0]
    faint = faint_chart_text(lab.page)
    if faint:
        found.append({"id": "chart-text-contrast", "impact": "serious", "help": "Chart text must reach 4.5:1",
                      "nodes": [{"target": [colour], "html": ", ".join(texts[:6])} for colour, texts in faint.items()]})
    return found


def describe(violations: list[dict]) -> str:
    """Each violation: its rule, impact and help, and where (the first few elements, with axe's
    summary of what is wrong with the first)."""
    lines = []
    for v in violations:
        nodes = v["nodes"]
        lines.append(f"{v['id']} ({v['impact']}, {len(nodes)} element(s)): {v['help']}")
        for node in nodes[:NODES_SHOWN]:
            where = str(node["target"][-1]).split(" > ")[-1]  # the element itself, not its ancestors
            lines.append(f"    at {where}: {' '.join(node['html'].split())[:160]}")
        if nodes:
            lines.append("    " + nodes[0].get("failureSummary", "").replace("\n", "\n    "))
    return "\n".join(lines)


@pytest.mark.parametrize("path", PATHS, ids=[path or "home" for path in PATHS])
def test_no_serious_violation_before_any_run(lab, path):
    assert not lab.trained, "run this test before the ones after a run (a fresh server has no run)"
    found = serious_violations(lab, path)
    assert not found, f"/{path} on a fresh server:\n{describe(found)}"


def test_the_one_known_exception_is_still_streamlits(lab):
    _, nav = check(lab, "")
    assert {v["id"] for v in nav} == NAV_RULES, (
        "Streamlit's sidebar navigation no longer breaks the list rules: drop STREAMLIT_NAV from "
        "this test and its line from docs/accessibility.md")


@pytest.mark.parametrize("path", PATHS, ids=[path or "home" for path in PATHS])
def test_no_serious_violation_after_a_run(lab_with_a_run, path):
    # Train opened plainly shows its form; its link shows the run: its numbers and curves.
    found = serious_violations(lab_with_a_run, TRAIN_LINK[1:] if path == "train" else path)
    assert not found, f"/{path} with a run:\n{describe(found)}"
    if path == "train":  # the run's loss, accuracy and gap charts were there to check
        assert lab_with_a_run.page.locator(".js-plotly-plot").count() >= 3

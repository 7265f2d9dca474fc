"""Every page on a phone (390x844, touch), in Chromium: on a fresh server and once a run exists.

Nothing spills sideways. What counts as a spill:
- the page, its body or Streamlit's main area is wider than the window (it would slide sideways);
- an element ends past the window's right edge, unless
  - a box around it that ends within the window clips it (overflow hidden or a clip-path: a slider's
    or a radio button's visually hidden input, a select box's long value cut short), or
  - it is inside a box that scrolls sideways on its own by design: a code block (stCode) or a data
    grid (stDataFrame), where sliding a wide line or table is the ordinary way to read it.
  Any other box that scrolls sideways (a row of choices, a table) hides part of what it holds past the
  edge with no sign of it: that is a spill.
Nor are a link's or a button's words cut short by a box too narrow for them.

On Draw and on Handwriting the canvas fits the screen; on Draw a stroke of a finger (touch events,
not a mouse) gives a Prediction that is on the screen together with the whole canvas. Pictures of
every page go to test-artifacts/phone-*.png."""

import pytest

from app_pages.parts.navigation import PAGES
from tests.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    TALL,
    AppServer,
    no_exception,
    require_browser,
    run_marker,
    track_runs,
    train_from,
    wait_idle,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 3}
RUN = "/train?hidden=32&epochs=1&train_samples=2000&validation=none&seed=5"
PATHS = [page.url_path for page in PAGES]
SCROLLS_BY_DESIGN = "[data-testid='stCode'], [data-testid='stDataFrame']"

# What slides sideways (see the module's docstring): [name, scrollWidth, clientWidth] of the page's
# boxes that are wider than the window, and for each widget (its data-testid) with an element past the
# window's right edge, the farthest such element (shadow roots included: the canvas is a component's).
SPILLS = r"""(byDesign) => {
  const width = document.documentElement.clientWidth;
  const main = document.querySelector("[data-testid='stMain']");
  const wide = [["page", document.documentElement], ["body", document.body], ["main", main]]
    .filter(([, box]) => box && box.scrollWidth > box.clientWidth)
    .map(([name, box]) => [name, box.scrollWidth, box.clientWidth]);
  const parent = (e) => e.parentElement || (e.getRootNode() instanceof ShadowRoot ? e.getRootNode().host : null);
  const all = [];
  const collect = (root) => { for (const e of root.querySelectorAll("*")) { all.push(e); if (e.shadowRoot) collect(e.shadowRoot); } };
  collect(document);
  const past = new Map();
  for (const e of all) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= width + 0.5 || getComputedStyle(e).visibility === "hidden") continue;
    let excused = false;
    for (let p = parent(e); p && p !== document.documentElement && p !== document.body; p = parent(p)) {
      const s = getComputedStyle(p);
      if (["auto", "scroll"].includes(s.overflowX)) {  // a sideways scroller: fine in a code block or a grid
        excused = p.closest(byDesign) !== null;
        break;
      }
      if (s.clipPath !== "none" || ["hidden", "clip"].includes(s.overflowX)) {
        excused = p.getBoundingClientRect().right <= width + 0.5;
        break;
      }
    }
    if (excused) continue;
    let widget = e;
    while (widget && !(widget.getAttribute && widget.getAttribute("data-testid"))) widget = parent(widget);
    const name = widget ? widget.getAttribute("data-testid") : "?";
    const px = Math.round(r.right - width);
    if (!past.has(name) || past.get(name)[0] < px) past.set(name, [px, e.tagName.toLowerCase()]);
  }
  // A link's or a button's words cut short by a box that hides the rest.
  const cut = [];
  for (const control of document.querySelectorAll("[data-testid='stMain'] :is(a, button)")) {
    const hides = [control, ...control.querySelectorAll("*")].find(e => {
      const s = getComputedStyle(e);
      return ["hidden", "clip"].includes(s.overflowX) && e.scrollWidth > e.clientWidth + 1;
    });
    if (hides) cut.push(control.innerText.replace(/\s+/g, " ").trim());
  }
  return {wide, past: [...past].map(([name, [px, tag]]) => `${name} (${tag}): ${px} px past the edge`), cut};
}"""


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    """(server, phone page, browser): a fresh server and a phone's page, its runs tracked."""
    sync_playwright = require_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    server = AppServer(env={"MNIST_LAB_RUNS": str(tmp_path_factory.mktemp("phone-runs"))})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(**PHONE)
        track_runs(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        yield server, page, browser
        browser.close()
    server.stop()


@pytest.fixture(scope="module")
def with_run(phone):
    """The phone's learner has a run: trained on a desktop's page, whose cookie (the learner) the
    phone then shares."""
    server, page, browser = phone
    desktop = browser.new_context(viewport=TALL)
    track_runs(desktop)
    trainer = desktop.new_page()
    trainer.set_default_timeout(60_000)
    train_from(trainer, server.url + RUN)
    page.context.add_cookies(desktop.cookies())
    desktop.close()
    return phone


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_idle(page, timeout=180_000)
    no_exception(page)
    page.wait_for_function("() => document.fonts.status === 'loaded'")


def screenshot(page, name: str) -> None:
    """The whole page at the phone's width: Streamlit scrolls inside its main area, so the window is
    made as tall as the content for the picture (its width, so the layout, stays)."""
    height = page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    page.set_viewport_size({"width": PHONE["viewport"]["width"], "height": max(PHONE["viewport"]["height"], height)})
    page.screenshot(path=ARTIFACTS / f"phone-{name}.png")
    page.set_viewport_size(PHONE["viewport"])


def assert_no_spill(page, name: str) -> None:
    found = page.evaluate(SPILLS, SCROLLS_BY_DESIGN)
    screenshot(page, name)
    assert not found["wide"] and not found["past"], f"{name} spills sideways on a phone: {found}"
    assert not found["cut"], f"{name}: on a phone these links' and buttons' words are cut short: {found['cut']}"


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path or "home")
def test_no_page_spills_sideways_on_a_fresh_server(phone, path):
    server, page, _ = phone
    open_page(page, f"{server.url}/{path}")
    assert_no_spill(page, path or "home")


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path or "home")
def test_no_page_spills_sideways_once_a_run_exists(with_run, path):
    server, page, _ = with_run
    open_page(page, f"{server.url}/{path}")
    if path in ("evaluate", "compare"):  # pages that need a run show the learner's
        assert "No trained run" not in page.inner_text("[data-testid='stMain']")
    assert_no_spill(page, f"{path or 'home'}-run")


def canvas_box(page) -> dict:
    """The drawing canvas, once the component has drawn it with its stylesheet (see test_browser_draw)."""
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for()
    page.wait_for_function("canvas => [...canvas.getRootNode().querySelectorAll('link[rel=stylesheet]')]"
                           ".every(link => link.sheet !== null)", arg=canvas.element_handle())
    return canvas.bounding_box()


def assert_canvas_fits(page) -> dict:
    box = canvas_box(page)
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["viewport"]["width"], box
    return box


def touch_stroke(page, points) -> None:
    """A finger's stroke on the canvas (touchstart, touchmove..., touchend through Chrome's DevTools
    protocol: a real drag, which page.touchscreen's taps are not); waits for the run it starts."""
    box = canvas_box(page)
    cdp = page.context.new_cdp_session(page)
    before = run_marker(page)
    at = [{"x": box["x"] + x, "y": box["y"] + y} for x, y in points]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [at[0]]})
    for point in at[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()
    wait_idle(page, after=before)


def test_a_finger_draws_a_digit_and_the_prediction_shows_by_the_canvas(phone):
    server, _, browser = phone
    context = browser.new_context(**PHONE)  # a learner of their own: no run, the default model reads
    track_runs(context)
    page = context.new_page()
    page.set_default_timeout(60_000)
    open_page(page, f"{server.url}/draw")
    assert_canvas_fits(page)
    # The canvas brought into view the least way (from the top of the page it is in view already).
    page.locator("canvas.upper-canvas").first.evaluate("canvas => canvas.scrollIntoView({block: 'nearest'})")
    touch_stroke(page, [(140, 40 + 10 * i) for i in range(21)])
    metric = page.locator("[data-testid='stMetric']", has_text="Prediction")
    metric.wait_for()
    assert metric.locator("[data-testid='stMetricValue']").inner_text().strip() == "1"
    page.screenshot(path=ARTIFACTS / "phone-draw-stroke.png")
    canvas, shown = canvas_box(page), metric.bounding_box()
    height = PHONE["viewport"]["height"]
    assert canvas["y"] >= 0 and canvas["y"] + canvas["height"] <= height, f"the canvas is not in view: {canvas}"
    assert 0 <= shown["y"] < height, f"with the canvas in view ({canvas}), the Prediction is not ({shown})"
    canvas_end = canvas["y"] + canvas["height"]
    beside = shown["y"] < canvas_end and shown["x"] >= canvas["x"] + canvas["width"]
    right_below = 0 <= shown["y"] - canvas_end <= 32  # the next thing after the canvas: nothing between
    assert beside or right_below, f"the Prediction ({shown}) is neither beside nor right below the canvas ({canvas})"
    context.close()


def test_the_handwriting_canvas_fits_a_phone(phone):
    server, page, _ = phone
    open_page(page, f"{server.url}/handwriting")
    assert_canvas_fits(page)
    options = page.locator("[data-testid='stButtonGroup']").get_by_role("radio")
    assert options.count() == 10
    for i in range(10):  # every label to draw is on the screen, none past the edge
        box = options.nth(i).bounding_box()
        assert box["x"] + box["width"] <= PHONE["viewport"]["width"], (i, box)

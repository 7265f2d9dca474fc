"""The keyboard alone, in Chromium: a learner opens Home on a fresh server, trains the classic network,
moves through its epochs, opens Evaluate and sends a guess to a class, with Tab, Shift+Tab, Enter,
Space and the arrow keys only (no mouse, no clicks, no fill). Locators only read the page.

At every stop of every Tab on the way, the focused element shows that it has the focus (see
`focus_problem` for what counts). The teacher who opens the class is another person, on another
computer; their page may use the mouse."""

import pytest

from mnist_core.teaching import lessons as L
from tests.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    AppServer,
    no_exception,
    query,
    require_browser,
    run_marker,
    track_runs,
    wait_idle,
)

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}
TRAINED = 600_000  # ms: the classic network on a busy two-core machine; a bound, not a target
LESSON = "chance"  # one run, an untrained network: cheap for the teacher's page to have trained
MOST_TABS = 120  # more stops than any page has: a wanted element not reached by then is not reachable

# What the keyboard focus is on (inside a component's shadow root too), and whether it shows.
# A focus indicator counts when the focused element, or a wrapper of it within its widget, draws
#  - a ring: an outline or a box-shadow, at least 1 px, not transparent; or
#  - a border in a colour that stands out from its own background by at least 3:1 (Streamlit's
#    text and select boxes turn their faint border into the primary colour when focused).
# The part that draws it must be seen: not clipped away (a visually hidden input's own outline
# does not count), not transparent (opacity), and inside the window.
FOCUSED = r"""async () => {
  // Read once the focus's transitions (a heading's link fading in, say) have ended.
  await Promise.all(document.getAnimations().filter(a => a instanceof CSSTransition).map(a => a.finished.catch(() => null)));
  let e = document.activeElement;
  while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  const parent = (p) => p.parentElement || (p.getRootNode() instanceof ShadowRoot ? p.getRootNode().host : null);
  const rgba = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const v = m[1].split(/[ ,/]+/).filter(Boolean).map(parseFloat);
    return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
  };
  const over = (top, bottom) => top.slice(0, 3).map((v, i) => v * top[3] + bottom[i] * (1 - top[3]));
  const luminance = (c) => {
    const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const background = (p) => {  // the colour behind p: its own, or its nearest painted ancestor's
    for (let q = p; q; q = parent(q)) {
      const c = rgba(getComputedStyle(q).backgroundColor);
      if (c[3] > 0) return over(c, [255, 255, 255]);
    }
    return [255, 255, 255];
  };
  const stop = e.closest("[data-testid='stElementContainer'], [data-testid='stSidebarNavLinkContainer'], "
                         + "[data-testid='stMain'], [data-testid='stSkipToContent']") || e;
  const chain = [];
  for (let p = e; p; p = parent(p)) { chain.push(p); if (p === stop || chain.length > 10) break; }
  const seen = (p) => {  // p is drawn: nothing between it and the widget clips it away or hides it
    let opacity = 1;
    for (let q = p; q; q = parent(q)) {
      const s = getComputedStyle(q);
      opacity *= parseFloat(s.opacity);
      if (s.visibility === "hidden" || s.display === "none") return false;
      const r = q.getBoundingClientRect();
      if (q !== p && (s.clipPath !== "none" || (s.overflow !== "visible" && (r.width < 2 || r.height < 2)))) return false;
    }
    const r = p.getBoundingClientRect();
    return opacity > 0.5 && r.width >= 4 && r.height >= 4
      && r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight;
  };
  const marks = [];
  for (const p of chain) {
    const s = getComputedStyle(p);
    const how = [];
    if (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 1 && rgba(s.outlineColor)[3] > 0) how.push(`outline ${s.outlineWidth} ${s.outlineColor}`);
    if (s.boxShadow !== "none" && rgba(s.boxShadow)[3] > 0) how.push(`shadow ${s.boxShadow}`);
    if (s.borderTopStyle !== "none" && parseFloat(s.borderTopWidth) >= 1) {
      const border = over(rgba(s.borderTopColor), background(p));
      const ratio = contrast(border, background(p));
      if (ratio >= 3) how.push(`border ${s.borderTopColor} ${ratio.toFixed(1)}:1`);
    }
    if (how.length && seen(p)) marks.push(`${p.tagName.toLowerCase()} ${how.join(", ")}`);
  }
  const label = e.getAttribute("aria-label") || (e.labels && e.labels[0] && e.labels[0].innerText)
    || e.innerText || e.value || "";
  return {tag: e.tagName.toLowerCase(), role: e.getAttribute("role") || e.type || "",
          name: label.replace(/\s+/g, " ").trim().slice(0, 80),
          widget: e.closest("[data-testid]")?.getAttribute("data-testid") || "",
          keyboard: e.matches(":focus-visible"), marks};
}"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def focus_problem(f: dict | None) -> str | None:
    """Why the focus cannot be seen, or None when it can."""
    if f is None:
        return "nothing has the focus"
    if not f["marks"]:
        return f"{f['tag']} {f['name']!r} ({f['widget']}) has the focus and shows nothing"
    return None


def assert_focus_visible(page) -> dict:
    f = focused(page)
    assert focus_problem(f) is None, focus_problem(f)
    return f


def tab_to(page, name: str = "", *, role: str | None = None, widget: str | None = None, back: bool = False,
           exact: bool = False) -> dict:
    """Press Tab (Shift+Tab with `back`) until the focus is on an element whose name holds `name`
    (is `name`, with `exact`) and, if given, whose role is `role` and whose nearest data-testid is
    `widget`. Every element the focus passes on the way must show it. Fails after MOST_TABS presses:
    the element cannot be reached."""
    unseen, passed = [], []
    for _ in range(MOST_TABS):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        f = focused(page)
        passed.append(f and f"{f['role'] or f['tag']} {f['name'][:30]!r}")
        problem = focus_problem(f)
        if problem and problem not in unseen:
            unseen.append(problem)
        if (f and (f["name"] == name if exact else name in f["name"]) and role in (None, f["role"])
                and widget in (None, f["widget"])):
            assert not unseen, f"on the way to {name!r}, focus that cannot be seen: {unseen}"
            return f
    stops = list(dict.fromkeys(passed))
    raise AssertionError(f"{MOST_TABS} presses of {'Shift+' if back else ''}Tab never reached {name!r}; "
                         f"the focus went to {stops}")


def arrow_to(page, name: str) -> dict:
    """Press the right arrow until the focus is on the option named `name` (within a group that
    takes one Tab stop); each option on the way shows the focus."""
    for _ in range(MOST_TABS):
        f = assert_focus_visible(page)
        if f["name"] == name:
            return f
        page.keyboard.press("ArrowRight")
    raise AssertionError(f"the arrow keys never reached {name!r}")


def press(page, key: str) -> None:
    """Press a key that makes the app rerun and wait for that run to be on screen."""
    before = run_marker(page)
    page.keyboard.press(key)
    wait_idle(page, after=before)
    no_exception(page)


def slider_value(page) -> int:
    return int(page.get_by_role("slider", name="Look at epoch").get_attribute("aria-valuetext"))


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    sync_playwright = require_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    server = AppServer(env={"MNIST_LAB_RUNS": str(tmp_path_factory.mktemp("keyboard-runs")),
                            "MNIST_LAB_LESSON_IMAGES": "1000"})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield server, browser
        browser.close()
    server.stop()


def person(browser):
    """A browser context of its own: another person's computer."""
    context = browser.new_context(viewport=LAPTOP)
    track_runs(context)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


def open_class(browser, url: str) -> str:
    """The teacher (mouse allowed): make a class and show it a lesson; the class's code."""
    teacher = person(browser)
    teacher.goto(f"{url}/class")
    wait_idle(teacher)
    before = run_marker(teacher)
    teacher.get_by_role("button", name="Make a class").click()
    wait_idle(teacher, after=before)
    code = query(teacher)["class"][0]
    lesson = L.BY_SLUG[LESSON]
    teacher.get_by_role("combobox", name="Lesson the class sees").click()
    before = run_marker(teacher)
    teacher.get_by_role("option", name=f"{L.LESSONS.index(lesson) + 1}. {lesson.title}").click()
    wait_idle(teacher, after=before)
    teacher.get_by_text(lesson.question).wait_for()
    teacher.context.close()
    return code


def test_home_to_a_guess_in_a_class_by_keyboard(app):
    server, browser = app
    page = person(browser)
    page.goto(server.url)
    wait_idle(page)

    # Home: the button that trains the classic network and opens Train.
    tab_to(page, "Train the classic network", role="submit")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Trained").wait_for(timeout=TRAINED)
    wait_idle(page)
    assert page.url.startswith(f"{server.url}/train?") and query(page)["hidden"] == ["512"]

    # Train: the epoch slider, moved with the arrow keys, Home and End; it keeps the focus.
    tab_to(page, "Look at epoch", role="range")
    assert slider_value(page) == 5
    for key, epoch in (("ArrowLeft", 4), ("Home", 1), ("End", 5), ("ArrowLeft", 4)):
        press(page, key)
        assert slider_value(page) == epoch and query(page)["epoch"] == [str(epoch)], key
        assert assert_focus_visible(page)["name"] == "Look at epoch", f"{key}: the slider lost the focus"
    page.screenshot(path=ARTIFACTS / "keyboard-train.png")

    # Evaluate, by the page's link to that epoch.
    tab_to(page, "See what epoch 4 gets wrong on Evaluate")
    press(page, "Enter")
    assert page.url.startswith(f"{server.url}/evaluate")
    page.get_by_text("epoch 4 of 5").first.wait_for()

    # A class: the teacher opens it; the learner reaches it by the sidebar and joins by its code.
    code = open_class(browser, server.url)
    tab_to(page, "Teach or join a class", back=True)
    page.screenshot(path=ARTIFACTS / "keyboard-sidebar-link.png")
    press(page, "Enter")
    assert page.url.startswith(f"{server.url}/class")
    tab_to(page, "Class code")
    page.keyboard.type(code)
    press(page, "Enter")  # the code's form is sent by Enter
    page.get_by_role("heading", name=f"Class {code}").wait_for()
    tab_to(page, "Your name")
    page.keyboard.type("Kim")
    press(page, "Enter")
    tab_to(page, "Join the class")
    press(page, "Space")

    # The guess: a radio group (Space picks, the arrow keys move), how sure, and Send.
    lesson = L.BY_SLUG[LESSON]
    tab_to(page, lesson.guesses[0], role="radio")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.screenshot(path=ARTIFACTS / "keyboard-radio.png")
    radios = page.get_by_role("radio")
    assert [radios.nth(i).is_checked() for i in range(len(lesson.guesses))] == [False, True, False][:len(lesson.guesses)]
    assert_focus_visible(page)
    tab_to(page, widget="stButtonGroup")  # how sure: one stop for the group, the arrow keys within it
    arrow_to(page, "certain")
    page.keyboard.press("Space")
    tab_to(page, "Send my guess")
    press(page, "Enter")
    page.get_by_text(f"Sent: {lesson.guesses[1]} (certain)").wait_for()
    page.screenshot(path=ARTIFACTS / "keyboard-class.png")

"""Start the real app and drive it in Debian's Chromium with Playwright.

Under CI=true a missing browser or Playwright is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
LOADING = "[data-testid='stSkeleton']"  # an element whose code (a lazy chunk) is still on its way


def require_browser():
    """Return playwright's sync_playwright, or fail (CI) / skip (a laptop without Chromium)."""
    missing = []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing.append("the playwright package (pip install -r requirements-dev.txt)")
        sync_playwright = None
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return sync_playwright


def stop_process(proc: subprocess.Popen) -> None:
    """End a child process the ordinary way (SIGTERM), or kill it after 10 s. Idempotent."""
    if proc.poll() is None:
        proc.terminate()  # streamlit ends its own children (the engine's cluster) as it shuts down
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


class AppServer:
    """`streamlit run streamlit_app.py` on a free loopback port.

    `env`: extra environment variables for the server process, over this process's own
    (e.g. {"MNIST_LAB_RUNS": "/some/dir"} to give it a run directory of its own). `cwd`: the
    checkout whose app runs (bench.pages compares two).
    """

    def __init__(self, env: dict | None = None, command: str | None = None, cwd: Path = ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ARTIFACTS.mkdir(exist_ok=True)
        self.log = open(ARTIFACTS / f"server-{self.port}.log", "w")
        where = ["--server.port", str(self.port), "--server.address", "127.0.0.1", "--server.headless", "true"]
        if command:  # a shell command that ends in `streamlit run streamlit_app.py` (tests/deployment.py)
            from tests import deployment

            self.proc = deployment.start(f"{command} {' '.join(where)}", cwd=ROOT, log=self.log, **(env or {}))
        else:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", *where],
                cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT,
                env={**os.environ, **{k: str(v) for k, v in (env or {}).items()}},
            )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break  # it exited: its log says why
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        self.ready_at = time.perf_counter()
                        return
            except OSError:
                time.sleep(0.2)
        exited = self.proc.poll()
        self.stop()
        why = f"exited with code {exited}" if exited is not None else "did not come up within 60 s"
        raise RuntimeError(f"the app server {why} (log: {self.log.name})")

    def stop(self):
        """Shut the server down the ordinary way (SIGTERM), or kill it after 10 s. Idempotent."""
        stop_process(self.proc)
        self.log.close()

    def kill(self):
        """SIGKILL the server and wait for it to be gone: no clean-up of any kind runs (a crash,
        an out-of-memory kill, a pulled plug)."""
        self.proc.kill()
        self.proc.wait()
        self.log.close()


# Installed in every document of a tracked page (track_runs), before the app's own scripts.
# It keeps window.__mnistLabRuns = {doc, finished, shown, began, scriptMs}:
#  - finished counts the script runs that ended, read off Streamlit's websocket: every message
#    is one ForwardMsg (protobuf) and its field 6 is script_finished. A run cut short by
#    st.rerun() (status 2, FINISHED_EARLY_FOR_RERUN) is not counted: another run follows at once.
#  - shown is the value finished had at React's latest commit of the app, i.e. how many ended
#    runs are on screen. React reports every commit to the DevTools hook, so this holds even
#    when a short run never showed data-test-script-state='running' (React batched it away).
#  - scriptMs: how long the latest ended run took, from its first message to its end (the server's
#    share as the browser sees it; a run cut short by st.rerun() counts with the run that follows).
# Our websocket listener is added before Streamlit's, and Streamlit hands a message to React
# within the same task, so a commit never counts a run whose end React has not been given.
RUN_TRACKER = r"""
(() => {
  if (window !== window.top || window.__mnistLabRuns) return;
  const runs = window.__mnistLabRuns = {doc: `${Date.now()}-${Math.random()}`, finished: 0, shown: 0,
                                        began: null, scriptMs: null};
  const varint = (b, i) => {
    let v = 0, scale = 1, x;
    do { x = b[i++]; v += (x & 127) * scale; scale *= 128; } while (x & 128);
    return [v, i];
  };
  const kind = (b) => {  // "start" for a run's new_session (field 4), a script_finished's status, else null
    for (let i = 0, tag, n; i < b.length;) {
      [tag, i] = varint(b, i);
      const wire = tag % 8, field = Math.floor(tag / 8);
      if (field === 4) return "start";
      if (wire === 0) { [n, i] = varint(b, i); if (field === 6) return n; }
      else if (wire === 2) { [n, i] = varint(b, i); i += n; }
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else return null;
    }
    return null;
  };
  window.WebSocket = class extends window.WebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => {
        if (!(e.data instanceof ArrayBuffer)) return;
        const status = kind(new Uint8Array(e.data));
        if (status === "start") runs.began ??= performance.now();
        else if (status !== null && status !== 2) {
          runs.finished += 1;
          runs.scriptMs = runs.began === null ? null : performance.now() - runs.began;
          runs.began = null;
        }
      });
    }
  };
  const hook = window.__REACT_DEVTOOLS_GLOBAL_HOOK__ ??= {supportsFiber: true, inject: () => 1};
  const onCommit = hook.onCommitFiberRoot;
  hook.onCommitFiberRoot = function (id, root, ...rest) {
    if (root?.containerInfo?.querySelector?.("[data-testid='stApp']")) runs.shown = runs.finished;
    return onCommit?.call(this, id, root, ...rest);
  };
})();
"""


def track_runs(target) -> None:
    """Count the app's script runs in every document that `target` (a Page or a BrowserContext)
    opens from now on. Call it before the first goto: wait_idle needs it."""
    target.add_init_script(RUN_TRACKER)


def run_marker(page) -> list:
    """Where the page's run count stands. Read it before an action that makes the app rerun (a
    click, a stroke, a page link) and pass it to wait_idle(page, after=...)."""
    return page.evaluate("() => { const r = window.__mnistLabRuns; return r ? [r.doc, r.shown] : [null, 0]; }")


def wait_idle(page, after: list | None = None, timeout: float = 60_000) -> None:
    """Wait until a script run that ended after `after` (a run_marker) is on screen, the app is
    idle and no element is still loading its code. Without `after`: any run of the current
    document, which is what a goto or reload needs (each document counts from 0), or a wait that
    follows an element only the new run draws. If the page left the marker's document meanwhile,
    the new document's first run counts. What an element does after it is drawn (Plotly drawing
    a chart, a component loading its script) is for the caller to wait for."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    doc, shown = after if after is not None else (None, 0)
    try:
        done = page.wait_for_function(
            """([doc, shown, idle, loading]) => {
                const r = window.__mnistLabRuns;
                if (!r) return "untracked";
                return (r.doc === doc ? r.shown > shown : r.shown > 0)
                    && document.querySelector(idle) !== null && document.querySelector(loading) === null;
            }""", arg=[doc, shown, IDLE, LOADING], timeout=timeout)
    except PlaywrightTimeoutError as exc:
        state = page.evaluate("""(loading) => [window.__mnistLabRuns,
            document.querySelector("[data-testid='stApp']")?.getAttribute("data-test-script-state"),
            document.querySelectorAll(loading).length]""", LOADING)
        raise AssertionError(f"no app run ended after {after} and left the app idle within {timeout / 1000:.0f} s "
                             f"(runs, script state, elements loading: {state})") from exc
    if done.json_value() == "untracked":
        raise RuntimeError("wait_idle needs track_runs(page) (or its context) before the page's goto")


# --- helpers the page tests share ------------------------------------------------------

# The first Plotly chart after an element (a heading, say), as a Playwright selector.
NEXT_CHART = "xpath=following::div[contains(concat(' ', normalize-space(@class), ' '), ' js-plotly-plot ')][1]"
TALL = {"width": 1400, "height": 2400}  # Streamlit scrolls inside its main container: a tall page shows more


def new_page(browser):
    """A tall page in a context of its own (a session of its own), its runs tracked."""
    page = browser.new_page(viewport=TALL)
    page.set_default_timeout(60_000)
    track_runs(page)
    return page


@contextmanager
def app_and_page(env: dict | None = None):
    """A fresh app server (`env` as for AppServer) and a tall tracked page in Chromium:
    yields (server, page); the browser and the server end afterwards."""
    sync_playwright = require_browser()
    server = AppServer(env=env)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield server, new_page(browser)
            finally:
                browser.close()
    finally:
        server.stop()


def train_from(page, url: str, timeout: float = 300_000) -> None:
    """Open a Train page link, press Train and wait until the trained run is drawn (only the
    run after training draws "Trained"). `timeout` (ms) bounds a stuck training, generous for a
    busy two-core machine; it is not a target."""
    page.goto(url)
    wait_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_role("button", name="Trained").wait_for(timeout=timeout)
    wait_idle(page)


def charts_drawn(page, at_least: int) -> None:
    """Wait until Plotly has drawn at least `at_least` charts (an SVG in each)."""
    page.wait_for_function("n => [...document.querySelectorAll('.js-plotly-plot')]"
                           ".filter(chart => chart.querySelector('.main-svg')).length >= n", arg=at_least)


def no_exception(page) -> None:
    shown = page.locator("[data-testid='stException']")
    assert shown.count() == 0, shown.first.inner_text()


def base_url(page) -> str:
    parts = urlsplit(page.url)
    return f"{parts.scheme}://{parts.netloc}"


def query(page) -> dict:
    """The page's query string, as lists of values by name."""
    return parse_qs(urlsplit(page.url).query)


def screenshot_whole_page(page, path) -> None:
    """Streamlit scrolls inside its main container, so a full-page screenshot stops at the
    viewport: make the viewport as tall as the content first (the width, so the layout, stays).
    The mouse goes to the corner and the focus leaves the last button clicked first: no tooltip
    of it over the picture. The viewport goes back to its size after."""
    page.mouse.move(0, 0)
    page.evaluate("() => document.activeElement?.blur()")
    page.locator("[data-testid='stTooltipContent']").first.wait_for(state="detached")
    height = page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    page.set_viewport_size({"width": TALL["width"], "height": max(TALL["height"], height)})
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(TALL)

"""Runs on disk, seen from a real browser on real servers: a reload, a restart, a SIGKILL
mid-epoch and a second server sharing the run directory lose nothing and train nothing twice.

Every server gets a run directory of its own under pytest's tmp_path (AppServer(env=...)),
shared only where a test shares it on purpose. Waits are on the app's state (the page, the
run directory), each with a generous bound: on a busy machine training gets a tenth of a core.
"""

from __future__ import annotations

import dataclasses
import re
import time
from urllib.parse import urlencode

import pytest

from mnist_core.config import TrainConfig
from mnist_core.store.rundir import RunDirectory
from tests.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    AppServer,
    require_browser,
    track_runs,
    wait_idle,
)

pytestmark = pytest.mark.browser

TRAINING = 300_000  # ms: a bound on a small training (the first one compiles) on a busy machine
YOUR_RUNS, RECENT = "Your runs", "Recent runs on this server"

# Installed in every document of a context: window.__sawStop turns true if a Stop button is
# ever drawn, however briefly (a run that trains, even for an instant, draws one).
STOP_WATCH = r"""
(() => {
  if (window !== window.top) return;
  window.__sawStop = false;
  const look = () => {
    for (const b of document.querySelectorAll("button")) if (b.innerText.trim() === "Stop") window.__sawStop = true;
  };
  new MutationObserver(look).observe(document, {subtree: true, childList: true, characterData: true});
})();
"""


# --- fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    sync_playwright = require_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def start_server():
    """start_server(run_dir, **env) -> a running AppServer whose MNIST_LAB_RUNS is run_dir; every
    server started is stopped at the end of the test (a killed one is left as it is)."""
    started = []

    def start(run_dir, **env) -> AppServer:
        server = AppServer(env={"MNIST_LAB_RUNS": str(run_dir), **env})
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def new_context(browser):
    """new_context() -> a browser context of its own (own cookies: a different learner), with
    script runs tracked in its pages; all are closed at the end of the test."""
    contexts = []

    def make(width: int = 1280, height: int = 2000):
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(60_000)
        track_runs(context)
        context.add_init_script(STOP_WATCH)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def disk():
    """disk(root) -> a RunDirectory of the test process on `root`, to read what the servers wrote."""
    return RunDirectory


# --- helpers ----------------------------------------------------------------------


def config_of(hidden: tuple, epochs: int, train_samples: int, seed: int) -> TrainConfig:
    return TrainConfig(hidden=hidden, epochs=epochs, train_samples=train_samples,
                       validation="split:0.2", seed=seed)


def train_url(server: AppServer, config: TrainConfig) -> str:
    return f"{server.url}/train?{urlencode(config.to_dict())}"


def home_label(config: TrainConfig, epochs: int) -> str:
    """The label of a run's link on Home: its config with the epochs it has."""
    return dataclasses.replace(config, epochs=epochs).describe()


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_idle(page, timeout=120_000)  # a server's first Train page starts TensorFlow


def train(page, url: str) -> None:
    """Open a Train link, press Train and wait until the run is trained and drawn."""
    open_page(page, url)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_role("button", name="Trained").wait_for(timeout=TRAINING)  # only the finished run draws it
    wait_idle(page)


def home_sections(page) -> dict[str, list[str]]:
    """Home's subheaders, each with the labels of the page links below it (in page order)."""
    rows = page.evaluate("""() => [...document.querySelectorAll("h3, [data-testid='stPageLink']")]
        .map((e) => [e.tagName === "H3", e.innerText.trim()])""")
    sections, heading = {}, ""
    for is_heading, text in rows:
        if is_heading:
            heading = text
            sections.setdefault(heading, [])
        else:
            sections.setdefault(heading, []).append(text)
    return sections


def open_home(page, server: AppServer) -> dict[str, list[str]]:
    open_page(page, f"{server.url}/")
    assert page.locator("h1").first.inner_text().strip() == "MNIST Lab"
    return home_sections(page)


def metric_text(page, label: str) -> str:
    """The value of the st.metric whose label is exactly `label`."""
    texts = [m.inner_text() for m in page.locator("[data-testid='stMetric']").all()]
    matches = [t for t in texts if (t.splitlines() or [""])[0].strip() == label]
    assert matches, f"no metric labelled {label!r} among {texts}"
    return matches[0].splitlines()[-1].strip()


def wait_for(condition, timeout: float, what: str):
    """Poll `condition` (the state of a run directory) until it returns something true."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}")
        time.sleep(0.05)


def curves(history) -> list[tuple]:
    """What must match exactly between two runs of one config: every epoch's numbers."""
    return [(r.epoch, r.loss, r.accuracy, r.val_loss, r.val_accuracy, r.test_accuracy) for r in history]


def saw_stop(page) -> bool:
    return page.evaluate("() => window.__sawStop")


# --- the tests ----------------------------------------------------------------------


def test_a_reload_finds_the_runs_on_home(tmp_path, start_server, new_context):
    """A browser's runs are kept under its cookie: after a reload, or in a new tab of the same
    browser, Home lists them under "Your runs"; another browser (other cookies) does not, but
    sees them among the server's recent runs."""
    server = start_server(tmp_path / "runs")
    config = config_of((32,), epochs=2, train_samples=2000, seed=3)
    mine = new_context()
    page = mine.new_page()
    train(page, train_url(server, config))
    assert re.fullmatch(r"\d+\.\d\d%", metric_text(page, "Test accuracy"))
    cookies = {c["name"]: c["value"] for c in mine.cookies()}
    assert re.fullmatch(r"[0-9a-f]{32}", cookies.get("mnist_lab_learner", "")), cookies
    label = home_label(config, 2)

    assert label in open_home(page, server).get(YOUR_RUNS, [])  # a new session in this tab
    page.reload()  # and again: nothing of the session is left but the cookie
    wait_idle(page)
    sections = home_sections(page)
    assert label in sections.get(YOUR_RUNS, []), sections
    assert label not in sections.get(RECENT, [])  # listed once, as this browser's own
    page.screenshot(path=ARTIFACTS / "runs-home-after-reload.png")

    tab = mine.new_page()  # shares the cookies
    assert label in open_home(tab, server).get(YOUR_RUNS, [])

    other = new_context().new_page()  # another browser: fresh cookies, another learner
    sections = open_home(other, server)
    assert YOUR_RUNS in sections and label not in sections[YOUR_RUNS], sections
    assert "None yet" in other.inner_text("body")
    assert label in sections.get(RECENT, []), sections
    assert other.get_by_role("button", name="Add to my runs").count() == 1


def test_a_restart_keeps_the_runs_and_trains_nothing_again(tmp_path, start_server, new_context, disk):
    """A second server process on the same run directory shows a run the first one trained at
    once, from disk: the results, no Stop button at any moment, run.npz untouched; and Home still
    lists it for the browser that trained it."""
    root = tmp_path / "runs"
    runs = disk(root)
    config = config_of((32,), epochs=2, train_samples=2000, seed=5)
    context = new_context()
    page = context.new_page()

    first = start_server(root)
    train(page, train_url(first, config))
    first.stop()
    page.close()
    saved = runs.load(config)
    assert saved is not None and saved.epochs_done == 2 and saved.status == "finished"
    stamp = runs.stamp(config)

    second = start_server(root)
    page = context.new_page()  # a fresh document: its Stop watch starts clean
    open_page(page, train_url(second, config))
    trained = page.get_by_role("button", name="Trained")
    assert trained.count() == 1 and trained.is_disabled()
    assert metric_text(page, "Test accuracy") == f"{saved.result_at(2).test_accuracy:.2%}"  # that very run
    page.locator(".js-plotly-plot").nth(1).wait_for()  # its loss and accuracy curves
    assert not saw_stop(page), "a Stop button showed: the run was trained again"
    assert page.get_by_role("button", name="Train", exact=True).count() == 0
    assert runs.stamp(config) == stamp  # run.npz was not written again
    page.screenshot(path=ARTIFACTS / "runs-after-restart.png")

    sections = open_home(page, second)
    assert home_label(config, 2) in sections.get(YOUR_RUNS, []), sections
    assert runs.stamp(config) == stamp


@pytest.mark.timeout(1200)
def test_sigkill_mid_epoch_keeps_the_finished_epochs_and_continues_exactly(
        tmp_path, start_server, new_context, disk):
    """A server killed (SIGKILL) while training leaves every finished epoch on disk; a new server
    says the run stopped during an epoch and offers Continue, and continuing gives the very
    numbers of a run that was never interrupted."""
    root = tmp_path / "runs"
    config = config_of((256,), epochs=40, train_samples=20000, seed=7)
    runs = disk(root)
    page = new_context().new_page()

    doomed = start_server(root)
    open_page(page, train_url(doomed, config))
    page.get_by_role("button", name="Train", exact=True).click()

    def epochs_on_disk() -> int:
        saved = runs.load(config)
        return saved.epochs_done if saved is not None and saved.epochs_done >= 2 else 0

    seen = wait_for(epochs_on_disk, TRAINING / 1000, "two finished epochs in run.npz")
    doomed.kill()
    after = runs.load(config)
    assert seen <= after.epochs_done < 40, "the server was not killed mid-run"
    done = after.epochs_done
    assert after.status == "stopped" and f"stopped during epoch {done + 1}" in after.message
    assert [r.epoch for r in after.history] == list(range(1, done + 1))
    assert after.weights_at(done) is not None  # the epoch files and the state read back

    page.close()
    page = new_context().new_page()  # someone opening the link once the server is back
    revived = start_server(root)
    open_page(page, train_url(revived, config))
    warning = page.get_by_test_id("stAlert").filter(has_text="stopped during epoch")
    assert warning.count() == 1, page.inner_text("body")
    assert f"the {done} finished epochs are kept" in warning.inner_text()
    assert page.get_by_role("button", name="Continue to 40 epochs").is_enabled()
    page.screenshot(path=ARTIFACTS / "runs-after-sigkill.png")

    # One epoch more than the killed server finished: continue it here, from disk.
    target = dataclasses.replace(config, epochs=done + 1)
    open_page(page, train_url(revived, target))
    page.get_by_role("button", name=f"Continue to {done + 1} epochs").click()
    page.get_by_role("button", name="Trained").wait_for(timeout=TRAINING)
    wait_idle(page)
    continued = runs.load(config)
    assert continued.epochs_done == done + 1 and continued.status == "finished"

    from mnist_core.training.trainer import TrainingRun  # TensorFlow in this process only from here on

    reference = TrainingRun(config).train_to(done + 1)
    assert curves(continued.history) == curves(reference.history)


def times_started(address: str, config: TrainConfig, root) -> int:
    """How often the scheduler at `address` gave the training task of `config` to a worker."""
    from distributed import Client

    from mnist_core.engine.cluster import task_key
    from mnist_core.store.rundir import run_name

    key = task_key(run_name(config), root)

    def count(dask_scheduler=None) -> int:
        return sum(1 for entry in dask_scheduler.transition_log if entry[0] == key and entry[2] == "processing")

    with Client(address, timeout="30s", set_as_default=False) as client:
        return client.run_on_scheduler(count)


@pytest.mark.timeout(1200)
def test_two_servers_on_one_scheduler_and_one_store_train_a_run_once(
        tmp_path, start_server, new_context, disk, dask_cluster):
    """Two app servers on a real `dask scheduler` (two `dask worker` processes) and one run
    directory: a run finished on A is among B's recent runs; a run A trains shows on B as the
    same training, epoch after epoch; stopped on A, B shows its results; the scheduler started
    that training once."""
    root = tmp_path / "runs"
    runs = disk(root)
    a, b = (start_server(root, MNIST_LAB_SCHEDULER=dask_cluster.address) for _ in range(2))
    on_a, on_b = new_context().new_page(), new_context().new_page()  # two browsers

    small = config_of((32,), epochs=2, train_samples=2000, seed=11)
    train(on_a, train_url(a, small))
    sections = open_home(on_b, b)
    assert home_label(small, 2) in sections.get(RECENT, []), sections
    assert home_label(small, 2) not in sections.get(YOUR_RUNS, [])
    assert on_b.get_by_text("2 epochs, finished").count() == 1

    # As many epochs as the form allows: A is still at it whatever the machine's speed, until Stop.
    big = config_of((512, 512), epochs=100, train_samples=20000, seed=12)
    open_page(on_a, train_url(a, big))
    on_a.get_by_role("button", name="Train", exact=True).click()
    wait_for(lambda: (saved := runs.load(big)) is not None and saved.epochs_done >= 1, TRAINING / 1000, "A's first epoch of the big run on disk")
    open_page(on_b, train_url(b, big))
    assert on_b.get_by_role("button", name="Train", exact=True).count() == 0
    progress = on_b.get_by_text(re.compile(r"^Epoch \d+ of 100$"))
    progress.wait_for()
    first = int(re.search(r"Epoch (\d+)", progress.inner_text()).group(1))
    # B follows the epochs as they land (it polls every 2 s), without a reload.
    on_b.wait_for_function(
        """(first) => [...document.querySelectorAll("[data-testid='stProgress']")].some((e) => {
            const m = e.innerText.match(/Epoch (\\d+) of 100/);
            return m && Number(m[1]) > first; })""", arg=first, timeout=120_000)
    wait_idle(on_b)
    on_b.screenshot(path=ARTIFACTS / "runs-another-server.png")

    on_a.get_by_role("button", name="Stop", exact=True).click()
    done_on_a = on_a.get_by_role("button", name=re.compile(r"^(Continue to 100 epochs|Trained)$"))
    done_on_a.wait_for(timeout=TRAINING)
    on_b.get_by_test_id("stMetricLabel").filter(has_text=re.compile(r"^Test accuracy$")).wait_for(timeout=120_000)
    wait_idle(on_b)
    saved = runs.load(big)
    assert saved.status in ("stopped", "finished")
    assert metric_text(on_b, "Test accuracy") == f"{saved.result_at(saved.epochs_done).test_accuracy:.2%}"
    if saved.epochs_done < 100:
        assert on_b.get_by_role("button", name="Continue to 100 epochs").is_enabled()
    assert times_started(dask_cluster.address, big, root) == 1  # one training, seen from two servers
    on_b.screenshot(path=ARTIFACTS / "runs-another-server-done.png")

"""A learner's first run, in a real browser: how long until something happens, and until epoch 1.

    python -m bench.first_run [--rounds 2] [--cli-nice 10] [--browser-nice 0] [--server-env NAME=VALUE ...]
    python -m bench.first_run --quick      # a short trial: one round, runs stopped early

The server trains nothing itself: as it starts, it starts the training engine, a Dask
LocalCluster whose worker processes (its children; one on two cores) import TensorFlow,
read the data and compile the classic network as they start (the workers' warm-up).
Each round runs part 1 twice, side by side: with the workers' warm-up (as served) and
without (MNIST_LAB_WARMUP=off in the server's environment, which its workers inherit), so
the first page's time and epoch 1's are compared in one run.

1. Fresh server against the command line, both started at the same moment: a fresh
   `streamlit run` (its own empty run directory) and `python -m mnist_core train` with the
   settings of Home's "Train the classic network" (TrainConfig()). As soon as the server
   answers, Chromium opens Home and clicks the button. Printed: click -> first visible
   change and click -> the Train page's title (target: visible feedback within 0.5 s),
   (b) when "Epoch 1 of N" (or the results) is on screen and (c) when the command line
   prints its epoch 1 line, both from the common start, and (b) - (c) (target: the app no
   later than the command line). The command line keeps training (and sharing the cores)
   until (b). Then the memory of the server process itself and of its workers, apart.
2. Warm server, a new run with the same layer shapes: once the classic run is done, a link
   that changes only the learning rate; click Train. Printed: click -> first visible change,
   click -> progress bar, click -> epoch 1 on screen, and epoch 1's seconds against the
   median of the later epochs (read from the run directory the worker writes).
3. Scrubbing: the server's time for one redraw when the "Look at epoch" slider moves on a
   50-epoch run (3,000 images, 64 units), through Streamlit's AppTest in this process (its
   run trained by an engine this process starts, on a worker of its own).

Browser-side times are taken in the page itself (Date.now() at the click event, a check of
the DOM every 20 ms until the first change, then every 100 ms), so Playwright's own round
trips are not counted. A visible change is the first of: Streamlit's running indicator
(Streamlit 1.67 does not show it under the app's toolbarMode = "minimal"), old elements
fading (a stale element's opacity below 0.9), or any new text in the app. The Train page
polls a queued job every 0.5 s until epoch 1 is in, then every 2 s: (b) lags the worker's
write of epoch 1 by up to 0.5 s, which is what a learner sees. The worker trains in a
thread that lowers its own priority (mnist_core.training.priority, nice 10 by default), and
TensorFlow's thread pools inherit a priority from the thread that started them; the
command line runs at --cli-nice (the same nice 10 by default). The nice values of both
sides' threads are printed. Chromium shares the cores with both (on a deployment it runs
on the learner's computer); --browser-nice lowers it.
A benchmark: it prints figures and asserts nothing about them.
Needs Chromium at /usr/bin/chromium and Playwright (requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from bench.memory import MB, Sampler
from mnist_core.config import FIELDS, TrainConfig
from mnist_core.training.priority import background_nice
from tests.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, AppServer, stop_process, track_runs, wait_idle

CLASSIC = TrainConfig()  # what Home's "Train the classic network" trains
WARM_LEARNING_RATE = 0.002
TRAINING_MS = 3_600_000  # a bound for a stuck run on a loaded machine, not a target
EPOCH_LINE = re.compile(r"^\s*1\s+\d+\.\d+\s.*?([\d.]+)\s*$")  # the command line's epoch 1 row

# Installed after the page is idle; starts checking at the click (window, capture phase).
# seen[name] is the Date.now() of the first check that found `name` true.
WATCH = r"""
(names) => {
  const w = window.__firstRun = {click: null, seen: {}, text: ""};
  const app = () => document.querySelector("[data-testid='stApp']");
  const baseline = app()?.innerText ?? "";
  const progressText = () => document.querySelector("[data-testid='stMain'] [data-testid='stProgress']")?.innerText ?? "";
  const buttons = () => [...document.querySelectorAll("[data-testid='stMain'] button")].map(b => b.innerText.trim());
  const checks = {
    running: () => document.querySelector("[data-testid='stStatusWidgetRunningIcon']") !== null,
    stale: () => [...document.querySelectorAll("[data-testid='stElementContainer'][data-stale='true']")]
                 .some(e => parseFloat(getComputedStyle(e).opacity) < 0.9),
    text: () => {
      const now = app()?.innerText ?? "";
      if (now === baseline) return false;
      let i = 0;
      while (i < now.length && now[i] === baseline[i]) i++;
      w.text = now.slice(Math.max(0, i - 10), i + 50).replace(/\s+/g, " ");  // what changed first
      return true;
    },
    title: () => [...document.querySelectorAll("h1")].some(h => h.innerText.trim() === "Train"),
    progress: () => progressText() !== "" || buttons().includes("Stop"),
    epoch: () => /Epoch [1-9]\d* of \d+/.test(progressText())
                 || buttons().some(t => t === "Trained" || t.startsWith("Continue to")),
  };
  const tick = () => {
    const now = Date.now();
    for (const name of names) if (!(name in w.seen) && checks[name]()) w.seen[name] = now;
    if (names.every(n => n in w.seen)) return;
    setTimeout(tick, names.some(n => n !== "epoch" && !(n in w.seen)) ? 20 : 100);
  };
  window.addEventListener("click", () => { if (w.click === null) { w.click = Date.now(); tick(); } },
                          {capture: true});
}
"""


def cli_args(config: TrainConfig) -> list[str]:
    """The command line's flags for every setting of `config` (names and values from FIELDS)."""
    values, args = config.to_dict(), []
    for field in FIELDS:
        if field.kind == "bool":
            args.append(field.flag if getattr(config, field.name) else "--no-" + field.flag[2:])
        else:
            args += [field.flag, values[field.name]]
    return args


class CommandLine:
    """`python -m mnist_core train ...`, each output line stamped (time.time()) as it arrives."""

    def __init__(self, config: TrainConfig, nice: int = 0):
        self.lines: list[tuple[float, str]] = []
        self.first_epoch: tuple[float, float] | None = None  # (when printed, its seconds column)
        self.printed = threading.Event()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mnist_core", "train", *cli_args(config)], cwd=ROOT, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=(lambda: os.nice(nice)) if nice else None)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            now = time.time()
            self.lines.append((now, line.rstrip()))
            match = EPOCH_LINE.match(line)
            if match and self.first_epoch is None:
                self.first_epoch = (now, float(match.group(1)))
                self.printed.set()
        self.printed.set()  # it ended: wait_epoch_1 stops waiting

    def wait_epoch_1(self, timeout: float) -> tuple[float, float]:
        self.printed.wait(timeout)
        if self.first_epoch is None:
            tail = "\n".join(text for _, text in self.lines[-15:])
            raise RuntimeError(f"the command line printed no epoch 1 line (exit {self.proc.poll()}):\n{tail}")
        return self.first_epoch

    def stop(self) -> None:
        stop_process(self.proc)


def watch(page, names: list[str]) -> None:
    page.evaluate(WATCH, names)


def watched(page, timeout: float = TRAINING_MS) -> dict:
    """Wait until the watcher has seen epoch 1 on screen; its record {click, seen: {name: ms}}."""
    page.wait_for_function("() => window.__firstRun === undefined || 'epoch' in window.__firstRun.seen",
                           timeout=timeout, polling=250)
    record = page.evaluate("() => window.__firstRun ?? null")
    if record is None:
        raise RuntimeError("the page loaded a new document after the click: the watcher was lost")
    return record


def first_change(record: dict) -> tuple[float, str]:
    """Milliseconds from the click to the first visible change, and what it was."""
    seen = {name: record["seen"][name] for name in ("running", "stale", "text") if name in record["seen"]}
    if not seen:
        return float("nan"), "nothing seen before epoch 1"
    name = min(seen, key=seen.get)
    what = {"running": "Streamlit's running indicator", "stale": "the old page fading",
            "text": f"new text on the page: ...{record['text']}..."}[name]
    return seen[name] - record["click"], what


def after_click(record: dict) -> str:
    """Every change the watcher saw, in ms after the click, in order."""
    return ", ".join(f"{name} {ms - record['click']:.0f}" for name, ms in sorted(record["seen"].items(),
                                                                                key=lambda item: item[1]))


def main_button(page, name):
    """A button of the page itself (the header's own Stop button is not one)."""
    return page.locator("[data-testid='stMain']").get_by_role("button", name=name, exact=isinstance(name, str))


def renice_browser(nice: int) -> None:
    """Lower the CPU priority of this process's own Chromium processes (no one else's)."""
    if not nice:
        return
    import psutil

    for proc in psutil.Process().children(recursive=True):
        try:
            if "chrom" in proc.name():
                proc.nice(nice)
        except psutil.Error:
            pass


def thread_nices(pids: list[int]) -> str:
    """How many threads of these processes run at each nice value, e.g. "0: 14, 10: 2, 19: 6"."""
    import psutil

    counts = Counter()
    for pid in pids:
        try:
            tids = [t.id for t in psutil.Process(pid).threads()]
        except psutil.Error:
            continue
        for tid in tids:
            try:
                counts[os.getpriority(os.PRIO_PROCESS, tid)] += 1
            except OSError:
                pass  # the thread ended meanwhile
    return ", ".join(f"{nice}: {n}" for nice, n in sorted(counts.items())) or "none seen"


def descendants(pid: int) -> list[int]:
    """The pids of a process's children, grandchildren... (the server's workers)."""
    import psutil

    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def epoch_written(runs_dir: Path, config: TrainConfig, epoch: int = 1) -> float:
    """When the worker wrote the epoch's file (written once, right after the epoch): time.time()."""
    from mnist_core.store.rundir import run_name

    try:
        return (runs_dir / run_name(config) / f"epoch-{epoch:04d}.npz").stat().st_mtime
    except OSError:
        return float("nan")


def disk_seconds(runs_dir: Path, config: TrainConfig) -> list[float]:
    """Each epoch's training seconds, as the worker wrote them to the server's run directory."""
    from mnist_core.store.rundir import RunDirectory

    run = RunDirectory(runs_dir).load(config)
    return [r.seconds for r in run.history] if run is not None else []


def fresh_start(page, server: AppServer, cli: CommandLine, t0: float, runs_dir: Path, args) -> dict:
    """Part 1: open Home as soon as the server answers, click, wait for epoch 1 on screen and printed."""
    up = time.time() - t0
    page.goto(server.url)
    wait_idle(page)
    renice_browser(args.browser_nice)
    home = time.time() - t0
    load = home - up
    watch(page, ["running", "stale", "text", "title", "epoch"])
    time.sleep(max(0.0, t0 + args.click_after - time.time()))  # a learner reading Home first
    main_button(page, "Train the classic network").click()
    record = watched(page)
    worker_nices = thread_nices(descendants(server.proc.pid))  # while the worker trains
    cli_at, cli_seconds = cli.wait_epoch_1(TRAINING_MS / 1000)
    cli_nices = thread_nices([cli.proc.pid])
    cli.stop()  # its later epochs are not measured
    change, what = first_change(record)
    seen = record["seen"]
    figures = {"up": up, "home": home, "load": load, "click": record["click"] / 1000 - t0, "change": change, "what": what,
               "title": seen.get("title", float("nan")) - record["click"], "app": seen["epoch"] / 1000 - t0,
               "cli": cli_at - t0, "cli_seconds": cli_seconds, "seen": after_click(record),
               "worker_nices": worker_nices, "cli_nices": cli_nices}
    finish(page, args.quick)
    server_bytes, worker_bytes = Sampler(server.proc.pid).sample()
    figures.update(server_mb=server_bytes / MB, workers_mb=worker_bytes / MB)
    figures["app_seconds"] = disk_seconds(runs_dir, CLASSIC)
    figures["written"] = epoch_written(runs_dir, CLASSIC) - t0
    return figures


def finish(page, quick: bool) -> None:
    """Wait for the run on the page to end; --quick stops it after the current epoch."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    if quick:
        try:
            main_button(page, "Stop").click(timeout=10_000)
        except PlaywrightTimeoutError:
            pass  # it ended on its own meanwhile
    main_button(page, re.compile(r"^(Trained|Continue to)")).wait_for(timeout=TRAINING_MS)
    wait_idle(page, timeout=TRAINING_MS)


def warm_start(page, server: AppServer, runs_dir: Path, quick: bool) -> dict:
    """Part 2: a link that changes only the learning rate, Train, epoch 1, and the epochs' seconds."""
    config = TrainConfig(learning_rate=WARM_LEARNING_RATE, epochs=3 if quick else CLASSIC.epochs)
    page.goto(f"{server.url}/train?{urlencode(config.to_dict())}")
    wait_idle(page)
    button = main_button(page, "Train")
    button.wait_for()
    watch(page, ["running", "stale", "text", "progress", "epoch"])
    button.click()
    record = watched(page)
    change, what = first_change(record)
    main_button(page, "Trained").wait_for(timeout=TRAINING_MS)
    seconds = disk_seconds(runs_dir, config)
    return {"change": change, "what": what, "progress": record["seen"]["progress"] - record["click"],
            "epoch": (record["seen"]["epoch"] - record["click"]) / 1000, "seconds": seconds,
            "written": epoch_written(runs_dir, config) - record["click"] / 1000,
            "seen": after_click(record)}


def one_round(browser, args, warm_up: bool) -> tuple[dict, dict | None]:
    """Parts 1 and 2 on one fresh server with an empty run directory, in a fresh browser context
    (part 2 only with the workers' warm-up on)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    cli = None
    try:
        page = context.new_page()
        page.set_default_timeout(120_000)
        track_runs(page)
        with tempfile.TemporaryDirectory(prefix="mnist-lab-first-run-") as tmp:
            runs_dir = Path(tmp) / "runs"
            t0 = time.time()  # the common start: the command line, then at once the server
            cli = CommandLine(CLASSIC, args.cli_nice)
            server = AppServer(env={**dict(item.split("=", 1) for item in args.server_env),
                                    "MNIST_LAB_RUNS": runs_dir, "MNIST_LAB_WARMUP": "on" if warm_up else "off"})
            try:
                fresh = fresh_start(page, server, cli, t0, runs_dir, args)
                warm = warm_start(page, server, runs_dir, args.quick) if warm_up else None
            finally:
                server.stop()
        return fresh, warm
    finally:
        if cli is not None:
            cli.stop()
        context.close()


@contextlib.contextmanager
def environ(**values: str):
    """Set environment variables of this process for a while, then put them back."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def scrub_times(epochs: int, values: list[int], repeats: int) -> tuple[list[float], list[float]]:
    """Part 3: seconds of each AppTest script run after the "Look at epoch" slider moved, and after
    the Epochs setting moved (the run is read, not trained)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    # A store of its own (nothing trained before). The run trains on a worker of the engine this
    # process starts (the first page asks for it); that worker skips its warm-up (MNIST_LAB_WARMUP).
    with tempfile.TemporaryDirectory(prefix="mnist-lab-scrub-") as tmp, \
            environ(MNIST_LAB_RUNS=tmp, MNIST_LAB_WARMUP="off"):
        st.cache_resource.clear()
        try:
            at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
            at.run()
            at.switch_page("app_pages/train.py")
            at.run()
            for key, value in {"f_epochs": epochs, "f_train_samples": 3000, "f_hidden_0": 64}.items():
                next(w for w in at.main if getattr(w, "key", None) == key).set_value(value)
            at.run()
            next(b for b in at.button if b.label == "Train").click()
            at.run()
            for job in list(at.session_state["jobs"]) if "jobs" in at.session_state else []:
                job.wait(TRAINING_MS / 1000)
            at.run()
            look, epochs_slider = [], []
            for _ in range(repeats):
                for value in values:
                    look.append(timed_run(at, lambda s: s.key.startswith("epoch_"), value))
                for value in values:  # the Epochs setting: fewer epochs read the stored run
                    epochs_slider.append(timed_run(at, lambda s: s.key == "f_epochs", max(value, 1)))
                timed_run(at, lambda s: s.key == "f_epochs", epochs)
            return look, epochs_slider
        finally:
            st.cache_resource.clear()


def timed_run(at, which, value) -> float:
    """Move the slider `which` picks to `value`; the seconds of the script run that follows."""
    next(s for s in at.slider if which(s)).set_value(value)
    start = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(f"the Train page failed: {at.exception}")
    return seconds


def med(rows: list[dict], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def spread(rows: list[dict], key: str, fmt: str, unit: str = "") -> str:
    """The median with its unit, and each round's value when there were several."""
    text = format(med(rows, key), fmt) + unit
    return text if len(rows) < 2 else f"{text} (rounds: {', '.join(format(r[key], fmt) for r in rows)})"


def print_fresh(rows: list[dict], title: str) -> None:
    for row in rows:
        row["gap"] = row["app"] - row["cli"]
        row["app_epoch_1"] = row["app_seconds"][0] if row["app_seconds"] else float("nan")
    whats = sorted({row["what"] for row in rows})
    print(f"\n1. {title}: a fresh server and the command line, started at the same moment (times from it)")
    print(f"   server answers its health check: {spread(rows, 'up', '.2f', ' s')}")
    print(f"   Home: opened and drawn in {spread(rows, 'load', '.2f', ' s')} (the first page)")
    print(f"   click on 'Train the classic network': {spread(rows, 'click', '.2f', ' s')}")
    print(f"   (a) click -> first visible change: {spread(rows, 'change', '.0f', ' ms')} (target: within 500 ms; "
          f"{' / '.join(whats)})")
    print(f"   (a) click -> Train page title drawn: {spread(rows, 'title', '.0f', ' ms')}")
    print(f"   app: the worker wrote epoch 1 to the run directory: {spread(rows, 'written', '.2f', ' s')}")
    print(f"   (b) app: 'Epoch 1 of' on screen: {spread(rows, 'app', '.2f', ' s')}")
    print(f"   (c) command line prints epoch 1: {spread(rows, 'cli', '.2f', ' s')}")
    print(f"   (b) - (c): {spread(rows, 'gap', '+.2f', ' s')} (target: 0 or less; negative: the app showed "
          "epoch 1 first)")
    print(f"   epoch 1's training pass, as each reports it: app {spread(rows, 'app_epoch_1', '.2f', ' s')}, "
          f"command line {spread(rows, 'cli_seconds', '.2f', ' s')}")
    print(f"   threads by nice value at epoch 1 (nice: threads): the server's workers "
          f"{' / '.join(row['worker_nices'] for row in rows)}; "
          f"the command line {' / '.join(row['cli_nices'] for row in rows)}")
    print(f"   memory at the end (RSS): the server process {spread(rows, 'server_mb', '.0f', ' MB')}, "
          f"its workers {spread(rows, 'workers_mb', '.0f', ' MB')}")


def print_warm(rows: list[dict], quick: bool) -> None:
    for row in rows:
        later = row["seconds"][1:]
        row["first"] = row["seconds"][0] if row["seconds"] else float("nan")
        row["steady"] = statistics.median(later) if later else float("nan")
        row["ratio"] = row["first"] / row["steady"]
    epochs = len(rows[0]["seconds"])
    print(f"\n2. Warm server: a link changing only the learning rate to {WARM_LEARNING_RATE:g} "
          f"({epochs} epochs{', shortened by --quick' if quick else ''})")
    print(f"   click -> first visible change: {spread(rows, 'change', '.0f', ' ms')} "
          f"({' / '.join(sorted({r['what'] for r in rows}))})")
    print(f"   click -> progress bar (or Stop) drawn: {spread(rows, 'progress', '.0f', ' ms')} "
          "(the page's own answer: training has started)")
    print(f"   click -> epoch 1 written by the worker: {spread(rows, 'written', '.2f', ' s')}; "
          f"-> 'Epoch 1 of' on screen: {spread(rows, 'epoch', '.2f', ' s')} (the page's 0.5 s polling included)")
    print(f"   epoch 1's training pass {spread(rows, 'first', '.2f', ' s')} against the median later epoch "
          f"{spread(rows, 'steady', '.2f', ' s')}: x{spread(rows, 'ratio', '.2f')} "
          "(above 1: epoch 1 still pays for building or compiling although the shapes are known)")


def print_scrub(times: tuple[list[float], list[float]], epochs: int) -> None:
    print(f"\n3. Scrubbing a {epochs}-epoch run (3,000 images, 64 units): the server's time for one redraw "
          "(the whole script run in AppTest, in-process: no browser or network)")
    for name, seconds in zip(("'Look at epoch' slider", "Epochs setting slider"), times):
        ms = [t * 1000 for t in seconds]
        print(f"   {name}: median {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms over {len(ms)} moves")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="fresh servers for parts 1 and 2 (default 2)")
    parser.add_argument("--browser-nice", type=int, default=0,
                        help="lower this bench's Chromium processes by this much (0-19; default 0)")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the app server (repeatable)")
    parser.add_argument("--cli-nice", type=int, default=background_nice(),
                        help="the command line's CPU priority (default: the priority the app's workers "
                             "train at, so neither starves the other; 0: normal)")
    parser.add_argument("--click-after", type=float, default=0.0,
                        help="click no sooner than this many seconds after the start (default: at once)")
    parser.add_argument("--quick", action="store_true",
                        help="a short trial: one round, the classic run stopped after the epoch on screen, "
                             "3 epochs warm, 12 epochs to scrub")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    from playwright.sync_api import sync_playwright

    results = {True: ([], []), False: ([], [])}  # warm-up on / off: fresh rounds, warm rounds
    modes = [True] if args.quick else [True, False]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for r in range(rounds):
                for mode in modes:  # side by side: the warm-up on and off in each round
                    a, b = one_round(browser, args, mode)
                    results[mode][0].append(a)
                    if b is not None:
                        results[mode][1].append(b)
                    print(f"round {r + 1} of {rounds}, warm-up {'on' if mode else 'off'}: epoch 1 on screen "
                          f"{a['app']:.2f} s, command line {a['cli']:.2f} s; seen after the click (ms): {a['seen']}",
                          flush=True)
        finally:
            browser.close()
    print(f"(the command line runs at nice {args.cli_nice}; the app's worker lowers its training thread "
          f"by {background_nice()})")
    for mode in modes:
        print_fresh(results[mode][0], "Workers' warm-up on (as served)" if mode
                    else "Workers' warm-up off (MNIST_LAB_WARMUP=off)")
    print_warm(results[True][1], args.quick)
    epochs = 12 if args.quick else 50
    values = [1, 6, 12] if args.quick else [1, 25, 50, 10, 40, 5]
    print_scrub(scrub_times(epochs, values, 2 if args.quick else 3), epochs)


if __name__ == "__main__":
    main()

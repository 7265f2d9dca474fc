"""A class on one server: cold start, memory and responsiveness while workers train, in real browsers.

    python -m bench.load [--sessions 8] [--training 4] [--class-size 30] [--parts cold,training,class]
    python -m bench.load --quick       # a short trial: 2 trainings of 2 epochs, a class of 6

The server trains nothing itself: its training engine's worker processes (children of the
`streamlit run` process; one on two cores) do. Memory is the resident set size (RSS) of the
server process alone, and apart from it the summed RSS of its descendants (the workers),
sampled every 0.2 s (bench.memory.Sampler). Every server has an empty run directory of its own.

1. Cold start: a fresh server; seconds from its health check answering to Home drawn in a new
   browser, then the same session opens Data: the server's RSS after Home and Data. Another
   fresh server: the same seconds for Data.
2. Trainings: a fresh server; S browser sessions open, K of them (different seeds) on the Train
   page of the classic network. A new session's Home is timed over Streamlit's websocket
   protocol (the server's share of opening it, no browser work) a few times before anything
   trains, then, once a run has epoch 1 on disk, a few times while the K runs train
   or wait in the queue; once each in a browser tab too. Then every run must finish.
3. A class: a fresh server; C learners, each in a browser context of its own (its own cookie,
   so its own list of runs and its own turn in the queue), open a Train link for a small run
   of their own (32 hidden units, 2,000 images, 2 epochs, seeds 0..C-1) at the same moment
   and press Train, and keep their page open while they wait, as a class would: every page
   polls the server (0.5 s while queued, 2 s once epochs come in). The runs are then read
   from the run directory until all have finished.
   Driving 30 learners over the websocket protocol instead would mean replaying Streamlit's
   widget protocol by hand; 30 browser contexts in one Chromium are realistic for the
   server's side, but their rendering shares this machine's two cores with the server and
   its worker (a class's browsers run on its own computers), so the class's total time here
   is an upper bound.
Targets (issue 23): the server process under 400 MB after Home and Data on a fresh server,
under 600 MB during the K trainings; Home and Data drawn within 3 s of a fresh server
answering; a new session's Home while the runs train no slower than 1.5 times its idle time;
every run of the class finished. The workers' memory is printed beside, with no target.
A benchmark: it prints figures and asserts nothing about them. Loopback only.
The default run takes about 5 to 10 minutes on two cores; a part waits at most --timeout
(480 s) for its runs, which bounds the whole run to about 20 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.memory import MB, Sampler  # noqa: E402
from mnist_core.config import TrainConfig  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, AppServer, track_runs, wait_idle  # noqa: E402

FINAL = ("finished", "early_stopped", "diverged")  # a run that ended on its own
PAGE_MS = 300_000  # a bound for a page on a loaded machine, not a target


def websocket_home(url: str) -> float:
    """Seconds for a new session to get Home rendered, over Streamlit's own websocket protocol.

    This is the server's side of opening the page: connect, ask for a script run,
    wait until the run has finished and its elements, the "MNIST Lab" title among
    them, have arrived. No browser work is counted.
    """
    import asyncio

    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    async def run() -> float:
        start = time.perf_counter()
        async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream",
                                      subprotocols=["streamlit"], max_size=None) as ws:
            request = BackMsg()
            request.rerun_script.query_string = ""
            await ws.send(request.SerializeToString())
            seen_title = False
            while True:
                raw = await asyncio.wait_for(ws.recv(), 60)
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                seen_title |= msg.WhichOneof("type") == "delta" and b"MNIST Lab" in raw
                if msg.WhichOneof("type") == "script_finished":
                    assert seen_title, "Home did not render"
                    return time.perf_counter() - start

    # Playwright's sync API owns this thread's event loop: run the client in another thread.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def home_times(url: str, count: int, gap: float = 0.5) -> list[float]:
    """`count` new sessions' Home over the websocket protocol, one after the other, `gap` s apart."""
    times = []
    for _ in range(count):
        times.append(websocket_home(url))
        time.sleep(gap)
    return times


def browser_home(browser, url: str) -> float:
    """Seconds for a new browser session to show Home, idle and titled."""
    page = browser.new_context().new_page()
    try:
        track_runs(page)
        start = time.perf_counter()
        page.goto(url)
        wait_idle(page, timeout=PAGE_MS)
        page.locator("h1", has_text="MNIST Lab").wait_for(timeout=PAGE_MS)
        return time.perf_counter() - start
    finally:
        page.context.close()


def fresh_server(runs: Path) -> AppServer:
    return AppServer(env={"MNIST_LAB_RUNS": runs})


@contextlib.contextmanager
def serving(runs: Path):
    """A fresh server and a list for the pages opened on it; both closed at the end."""
    server, pages = fresh_server(runs), []
    try:
        yield server, pages
    finally:
        for page in pages:
            page.context.close()
        server.stop()


def cold_start(browser, runs: Path, path: str, heading: str, then: str | None = None) -> tuple[float, str]:
    """A fresh server: seconds from its health check to `path` drawn in a new session; then, if
    `then` is given, the same session opens that path too. Returns the seconds and the memory
    afterwards."""
    server = fresh_server(runs)
    try:
        page = browser.new_context().new_page()
        track_runs(page)
        page.goto(f"{server.url}/{path}")
        wait_idle(page)
        page.locator("h1", has_text=heading).wait_for()
        seconds = time.perf_counter() - server.ready_at
        if then is not None:
            page.goto(f"{server.url}/{then}")
            wait_idle(page)
        memory = Sampler(server.proc.pid).text()
        page.context.close()
        return seconds, memory
    finally:
        server.stop()


def cold_part(browser, runs: Path) -> None:
    home, memory = cold_start(browser, runs / "home", "", "MNIST Lab", then="data")
    data, _ = cold_start(browser, runs / "data", "data", "Data:")
    print("\n1. Cold start (a fresh server each; seconds from its health check to the page drawn)")
    print(f"   Home {home:.2f} s, Data {data:.2f} s (target: each within 3 s)")
    print(f"   memory after Home and Data in one session: {memory} (target: server under 400 MB)", flush=True)


def open_sessions(browser, urls: list[str]) -> list:
    """A browser context (a session, a learner) per URL, all loading at once; their pages, idle."""
    pages = []
    for url in urls:
        page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        page.set_default_timeout(PAGE_MS)
        track_runs(page)
        page.goto(url, wait_until="commit")
        pages.append(page)
    for page in pages:
        wait_idle(page, timeout=PAGE_MS)
    return pages


def press_train(pages: list) -> float:
    """Press Train on every page, one after the other; time.perf_counter() of the first press."""
    first = None
    for page in pages:
        button = page.get_by_role("button", name="Train", exact=True)
        button.wait_for()
        first = first or time.perf_counter()
        button.click()
    return first


def train_link(url: str, config: TrainConfig) -> str:
    return f"{url}/train?{urlencode(config.to_dict())}"


def run_states(disk, configs: list[TrainConfig]) -> list[tuple[str, int, float]]:
    """Each config's run as the run directory has it: (status, epochs done, seconds its epochs
    took to train); ("none", 0, 0.0) if absent. A run still training reads as "stopped" from
    here (no engine in this process says it is live)."""
    states = []
    for config in configs:
        run = disk.load(config)
        states.append(("none", 0, 0.0) if run is None
                      else (run.status, run.epochs_done, sum(r.seconds for r in run.history)))
    return states


def wait_runs(disk, configs: list[TrainConfig], timeout: float, epochs: int | None = None) -> list[tuple]:
    """Poll the run directory until every run has ended on its own (or, with `epochs`, until
    any run has that many epochs), at most `timeout` seconds; the states last read."""
    deadline = time.monotonic() + timeout
    while True:
        states = run_states(disk, configs)
        if epochs is not None and any(state[1] >= epochs for state in states):
            return states
        if epochs is None and ended(states) == len(states):
            return states
        if time.monotonic() > deadline:
            return states
        time.sleep(0.5)


def ended(states: list[tuple]) -> int:
    return sum(1 for state in states if state[0] in FINAL)


def busy_home_times(url: str, count: int, disk, configs: list[TrainConfig]) -> tuple[list[float], int]:
    """Like home_times, while runs train: the times, and how many were taken with a run still
    not ended when they finished (a short run may end before the last one)."""
    times, during = [], 0
    for _ in range(count):
        times.append(websocket_home(url))
        during += ended(run_states(disk, configs)) < len(configs)
        time.sleep(0.5)
    return times, during


def training_part(browser, runs: Path, args) -> dict:
    """Part 2: S sessions open, K press Train on the classic network; Home idle and busy; memory."""
    from mnist_core.store.rundir import RunDirectory

    with serving(runs) as (server, pages):
        configs = [TrainConfig(seed=100 + i, epochs=args.epochs) for i in range(args.training)]
        urls = [train_link(server.url, c) for c in configs] + [server.url] * max(0, args.sessions - args.training)
        pages += open_sessions(browser, urls)
        sampler, disk = Sampler(server.proc.pid), RunDirectory(runs)
        found = {"open": sampler.text(), "idle": home_times(server.url, args.home_samples),
                 "idle_tab": browser_home(browser, server.url)}
        with sampler:
            start = press_train(pages[:args.training])
            wait_runs(disk, configs, args.timeout, epochs=1)  # training is under way
            found["busy"], found["during"] = busy_home_times(server.url, args.home_samples, disk, configs)
            found["busy_tab"] = browser_home(browser, server.url)
            found["states"] = wait_runs(disk, configs, args.timeout)
            found["total"] = time.perf_counter() - start
        found["peak_server"], found["peak_workers"] = sampler.peak_server, sampler.peak_workers
        return found


def print_training(found: dict, args) -> None:
    idle, busy = statistics.median(found["idle"]), statistics.median(found["busy"])
    k, n = args.training, len(found["busy"])
    print(f"\n2. {args.sessions} sessions open, {k} of them training the classic network "
          f"({args.epochs} epochs, seeds 100..{99 + k})")
    print(f"   with the sessions open, before training: {found['open']}")
    print(f"   a new session's Home over the websocket protocol, median of {n}: idle {idle:.2f} s, "
          f"while training {busy:.2f} s: x{busy / idle:.2f} (target: at most x1.5); "
          f"worst {max(found['idle']):.2f} s / {max(found['busy']):.2f} s")
    print(f"   of the {n} while training, taken with a run still training: {found['during']}")
    print(f"   the same in a browser tab (browser work on these same cores included): idle "
          f"{found['idle_tab']:.2f} s, while training {found['busy_tab']:.2f} s")
    print(f"   runs finished: {ended(found['states'])} of {k} in {found['total']:.1f} s from the first "
          f"Train press (states: {', '.join(state[0] for state in found['states'])})")
    print(f"   peak memory: server {found['peak_server'] / MB:.0f} MB (target: under 600 MB), "
          f"workers {found['peak_workers'] / MB:.0f} MB", flush=True)


def class_part(browser, runs: Path, args) -> dict:
    """Part 3: C learners open a Train link of their own at once, press Train and wait."""
    from mnist_core.store.rundir import RunDirectory

    configs = [TrainConfig(hidden=(32,), train_samples=2000, epochs=args.class_epochs, seed=seed)
               for seed in range(args.class_size)]
    with serving(runs) as (server, pages):
        disk = RunDirectory(runs)
        with Sampler(server.proc.pid) as sampler:
            start = time.perf_counter()
            pages += open_sessions(browser, [train_link(server.url, c) for c in configs])
            found = {"opened": time.perf_counter() - start}
            first = press_train(pages)
            found["pressed"] = time.perf_counter() - first
            found["states"] = wait_runs(disk, configs, args.timeout)
            found["total"] = time.perf_counter() - first
        found["peak_server"], found["peak_workers"] = sampler.peak_server, sampler.peak_workers
        return found


def print_class(found: dict, args) -> None:
    c, done = args.class_size, ended(found["states"])
    unfinished = [f"seed {i}: {s}, {e} epochs" for i, (s, e, _) in enumerate(found["states"]) if s not in FINAL]
    training = sum(state[2] for state in found["states"])
    print(f"\n3. A class of {c}: each learner a browser context, a run of its own (32 hidden units, "
          f"2,000 images, {args.class_epochs} epochs, seeds 0..{c - 1})")
    print(f"   pages opened at once and drawn in {found['opened']:.1f} s; every Train pressed within "
          f"{found['pressed']:.1f} s of the first")
    print(f"   all finished: {'yes' if done == c else 'no'} ({done} of {c}) in {found['total']:.1f} s from the "
          f"first Train press" + (f"; not finished: {'; '.join(unfinished[:5])}" if unfinished else ""))
    print(f"   of which the runs' epochs themselves: {training:.1f} s in all, {training / c:.2f} s a run "
          "(the rest: starting each run on the worker, building its network, the queue)")
    print(f"   peak memory: server {found['peak_server'] / MB:.0f} MB, workers {found['peak_workers'] / MB:.0f} MB",
          flush=True)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="cold,training,class",
                        help="which parts to run, comma-separated (default: cold,training,class)")
    parser.add_argument("--sessions", type=int, default=8, help="sessions open in part 2 (default 8)")
    parser.add_argument("--training", type=int, default=4, help="of them, how many train (default 4)")
    parser.add_argument("--epochs", type=int, default=TrainConfig().epochs,
                        help="epochs of each classic run in part 2 (default: the classic network's)")
    parser.add_argument("--home-samples", type=int, default=5,
                        help="new sessions' Home timed idle, and again while training (default 5)")
    parser.add_argument("--class-size", type=int, default=30, help="learners in part 3 (default 30)")
    parser.add_argument("--class-epochs", type=int, default=2, help="epochs of each class run (default 2)")
    parser.add_argument("--timeout", type=float, default=480,
                        help="seconds a part waits for its runs at most (default 480)")
    parser.add_argument("--quick", action="store_true",
                        help="a short trial: 4 sessions with 2 training 2 epochs, 3 Home samples, a class of 6")
    args = parser.parse_args()
    if args.quick:
        args.sessions, args.training, args.epochs = 4, 2, 2
        args.home_samples, args.class_size = 3, 6
    return args


def main() -> None:
    args = arguments()
    parts = {part.strip() for part in args.parts.split(",")}
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="mnist-lab-load-") as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            if "cold" in parts:
                cold_part(browser, Path(tmp) / "cold")
            if "training" in parts:
                print_training(training_part(browser, Path(tmp) / "training", args), args)
            if "class" in parts:
                print_class(class_part(browser, Path(tmp) / "class", args), args)
        finally:
            browser.close()


if __name__ == "__main__":
    main()

"""A class opening the app at once: cold start, memory and responsiveness, in real browsers.

    python -m bench.load [--sessions 8] [--training 4]

1. Cold start: a fresh `streamlit run`; seconds from its health check answering to Home
   rendered in a new browser; another fresh server, the same for Data.
2. Load: N browser contexts (separate sessions) open the app; K of them press Train
   on the classic network (different seeds) at the same moment. The server's resident
   memory is sampled throughout; every run must finish. While they train, a new
   session opens Home and the time it takes to render is measured.
Targets (issue 6): Home within 3 s, Data within 5 s; peak memory under 2 GB with 8
sessions and 4 trainings, all 4 finishing; Home under 2 s during training. A new session's
Home is timed both over Streamlit's websocket protocol (the server's share) and in a real
browser tab (which adds the browser's own work, here on the same two cores).
Loopback only; bounded in sessions and time. The browsers share the server's two cores
here (on a real deployment they are the students' own computers).
"""

from __future__ import annotations

import argparse
import time

from bench.memory import MB, Sampler  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, AppServer, track_runs, wait_idle  # noqa: E402


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


def cold_start(browser, path: str, heading: str) -> float:
    server = AppServer()
    try:
        page = browser.new_context().new_page()
        track_runs(page)
        page.goto(f"{server.url}/{path}")
        wait_idle(page)
        page.locator("h1", has_text=heading).wait_for()
        seconds = time.perf_counter() - server.ready_at
        page.context.close()
        return seconds
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--training", type=int, default=4)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        home = cold_start(browser, "", "MNIST Lab")
        data = cold_start(browser, "data", "Data:")
        print(f"cold start: Home {home:.2f} s after the server was up (target 3 s); "
              f"Data {data:.2f} s (target 5 s)", flush=True)

        server = AppServer()
        try:
            sampler = Sampler(server.proc.pid)
            pages = []
            for i in range(args.sessions):
                page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
                page.set_default_timeout(600_000)
                track_runs(page)
                page.goto(f"{server.url}/train?validation=none&seed={100 + i}" if i < args.training
                          else server.url)
                pages.append(page)
            for page in pages:
                wait_idle(page)
            print(f"{args.sessions} sessions open: {sampler.rss() / MB:.0f} MB", flush=True)
            idle = browser.new_context().new_page()
            track_runs(idle)
            t = time.perf_counter()
            idle.goto(server.url)
            wait_idle(idle)
            idle.locator("h1", has_text="MNIST Lab").wait_for()
            print(f"with no training, a new session's Home: {websocket_home(server.url):.2f} s over the "
                  f"websocket protocol, {time.perf_counter() - t:.2f} s in a browser tab", flush=True)
            idle.context.close()
            with sampler:
                start = time.perf_counter()
                for page in pages[:args.training]:
                    page.get_by_role("button", name="Train", exact=True).click()
                time.sleep(4)
                home_ws = [websocket_home(server.url) for _ in range(3)]
                newcomer = browser.new_context().new_page()
                track_runs(newcomer)
                t = time.perf_counter()
                newcomer.goto(server.url)
                wait_idle(newcomer)
                newcomer.locator("h1", has_text="MNIST Lab").wait_for()
                home_busy = time.perf_counter() - t
                queue_seen = any("in the queue" in page.inner_text("body") for page in pages[:args.training])
                finished = 0
                for page in pages[:args.training]:
                    page.get_by_role("button", name="Trained").wait_for()
                    finished += 1
                total = time.perf_counter() - start
            print(f"while {args.training} sessions trained (queue shown: {queue_seen}): a new session's "
                  f"Home rendered in {max(home_ws):.2f} s at worst of 3 over the websocket protocol "
                  f"(target 2 s), {home_busy:.2f} s in a browser tab on this same 2-core machine")
            print(f"all {finished} of {args.training} runs finished in {total:.1f} s; peak server memory "
                  f"{sampler.peak / MB:.0f} MB with {args.sessions + 1} sessions (target 2,048 MB)")
        finally:
            server.stop()
        browser.close()


if __name__ == "__main__":
    main()

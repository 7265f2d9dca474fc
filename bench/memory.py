"""Memory of the app server (resident set size), in a real browser.

    python -m bench.memory

1. A fresh `streamlit run`; one session opens Home, then Data: RSS after each.
2. The same session trains the classic network (5 epochs, full MNIST) from the Train
   page: peak RSS while it trains, sampled every 0.2 s.
Targets (issue 6): under 600 MB after Home and Data, under 1.2 GB while training.
"""

from __future__ import annotations

import threading
import time

import psutil  # noqa: E402

from tests.browser import CHROMIUM, CHROMIUM_ARGS, AppServer, track_runs, wait_idle  # noqa: E402

MB = 2**20


class Sampler:
    """Peak RSS of a process (and its children) while running."""

    def __init__(self, pid: int):
        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        procs = [self.proc] + self.proc.children(recursive=True)
        return sum(p.memory_info().rss for p in procs if p.is_running())

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.2)

    def __enter__(self):
        self.peak = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def main() -> None:
    from playwright.sync_api import sync_playwright

    server = AppServer()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.set_default_timeout(300_000)
            track_runs(page)
            sampler = Sampler(server.proc.pid)
            print(f"server up: {sampler.rss() / MB:.0f} MB")
            page.goto(server.url)
            wait_idle(page)
            print(f"after Home: {sampler.rss() / MB:.0f} MB")
            page.goto(f"{server.url}/data")
            wait_idle(page)
            after_data = sampler.rss()
            print(f"after Home and Data: {after_data / MB:.0f} MB (target under 600 MB)")
            page.goto(f"{server.url}/train?validation=none")
            wait_idle(page)
            with sampler:
                page.get_by_role("button", name="Train", exact=True).click()
                page.get_by_role("button", name="Trained").wait_for()
            print(f"while training the classic network: peak {sampler.peak / MB:.0f} MB "
                  f"(target under 1,200 MB); after: {sampler.rss() / MB:.0f} MB")
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()

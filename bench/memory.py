"""Memory of the app: the web process and its training workers apart, in a real browser.

    python -m bench.memory

The web process is the `streamlit run` process itself; the training workers are its child
processes (the Dask worker processes of the engine's embedded cluster, with whatever helper
processes multiprocessing starts beside them). Each is reported as its resident set size
(RSS); the workers' figure is the sum over every descendant process.

1. A fresh `streamlit run` (a run directory of its own); one session opens Home, then Data:
   RSS after each.
2. The same session trains the classic network (5 epochs, full MNIST) from the Train page:
   peak RSS of each while it trains, sampled every 0.2 s.
Targets (issue 23): the web process under 400 MB after Home and Data and under 600 MB while
training; the workers have no target and are printed beside it.
A benchmark: it prints figures and asserts nothing about them.
"""

from __future__ import annotations

import tempfile
import threading

import psutil  # noqa: E402

from tests.browser import CHROMIUM, CHROMIUM_ARGS, AppServer, track_runs, wait_idle  # noqa: E402

MB = 2**20


def _rss(proc: psutil.Process) -> int:
    """A process's RSS in bytes, 0 if it is gone (a worker may end between listing and reading)."""
    try:
        return proc.memory_info().rss
    except psutil.Error:
        return 0


class Sampler:
    """RSS of a server process and, apart, of all its descendants (the workers), with the peak
    of each while the sampler runs (`with sampler: ...`, a sample every `every` seconds)."""

    def __init__(self, pid: int, every: float = 0.2):
        self.proc = psutil.Process(pid)
        self.every = every
        self.peak_server = self.peak_workers = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> tuple[int, int]:
        """(the server's own RSS, the summed RSS of its descendant processes), in bytes."""
        try:
            children = self.proc.children(recursive=True)
        except psutil.Error:
            children = []
        return _rss(self.proc), sum(_rss(child) for child in children)

    def text(self) -> str:
        """The current figures in MB, for a line of output."""
        server, workers = self.sample()
        return f"server {server / MB:.0f} MB, workers {workers / MB:.0f} MB"

    def _note(self) -> None:
        server, workers = self.sample()
        self.peak_server = max(self.peak_server, server)
        self.peak_workers = max(self.peak_workers, workers)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._note()

    def __enter__(self):
        self.peak_server = self.peak_workers = 0
        self._note()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._note()


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="mnist-lab-memory-") as runs:
        server = AppServer(env={"MNIST_LAB_RUNS": runs})
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.set_default_timeout(300_000)
                track_runs(page)
                sampler = Sampler(server.proc.pid)
                print(f"server up: {sampler.text()}")
                page.goto(server.url)
                wait_idle(page)
                print(f"after Home: {sampler.text()}")
                page.goto(f"{server.url}/data")
                wait_idle(page)
                print(f"after Home and Data: {sampler.text()} (target: server under 400 MB)")
                page.goto(f"{server.url}/train")
                wait_idle(page)
                with sampler:
                    page.get_by_role("button", name="Train", exact=True).click()
                    page.get_by_role("button", name="Trained").wait_for()
                print(f"while training the classic network: peak server {sampler.peak_server / MB:.0f} MB "
                      f"(target under 600 MB), peak workers {sampler.peak_workers / MB:.0f} MB; "
                      f"after: {sampler.text()}")
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()

"""Shared fixtures. Training tests use small subsets: a few thousand images, 1-3 epochs."""

import os
import shutil
import tempfile
import time

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Runs the tests train (in this process and in the app servers they start) go to a fresh
# directory, never to the user's own cache. Tests of the run directory make their own.
os.environ["MNIST_LAB_RUNS"] = tempfile.mkdtemp(prefix="mnist-lab-test-runs-")
# No worker warm-up (compiling the classic network) in every engine and app server: the tests
# that check it, and the browser tests of test_browser_app.py, turn it on.
os.environ["MNIST_LAB_WARMUP"] = "off"
# The engines the tests start (this process's own, each app server's) have one worker each.
os.environ["MNIST_LAB_WORKERS"] = "1"

from mnist_core.config import TrainConfig  # noqa: E402
from mnist_core.data import datasets as data  # noqa: E402
from tests.helpers import engine_state, free_port  # noqa: E402


@pytest.fixture(autouse=True)
def no_training_left_behind():
    """After each test, the trainings it asked of this process's engine are cancelled (their
    worker stops after the epoch), so a test that failed half-way does not hold the next ones."""
    yield
    from mnist_core.engine import cluster as engine

    if engine._SHARED is not None:
        engine._SHARED.cancel_all()


@pytest.fixture(scope="session")
def small_config() -> TrainConfig:
    """A network that trains in about a second on 3,000 images."""
    return TrainConfig(hidden=(64,), epochs=2, train_samples=3000, validation="split:0.2", seed=1)


@pytest.fixture
def broken_data(tmp_path, monkeypatch):
    """A data folder whose MNIST copy lost a file, in use for the length of the test."""
    shutil.copytree(data.data_dir() / "mnist", tmp_path / "mnist")
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv("MNIST_LAB_DATA", str(tmp_path))
    data.load_dataset.cache_clear()
    yield tmp_path
    data.load_dataset.cache_clear()  # the next test reads the real files again


def _wait_until(condition, timeout: float = 300, what: str = "the condition") -> None:
    """Poll `condition` (state, not time) until it holds; fail after `timeout` seconds, saying
    what the engine sees."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}\n{engine_state()}")
        time.sleep(0.05)


@pytest.fixture
def wait_until():
    """`wait_until(condition, timeout, what)`: wait on the state of a job, a store or a page."""
    return _wait_until


@pytest.fixture
def app(tmp_path, monkeypatch):
    """The app in AppTest, on Home, with a fresh run store on a fresh run directory: no runs left
    over from other tests."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("MNIST_LAB_RUNS", str(tmp_path / "runs"))
    st.cache_resource.clear()
    at = AppTest.from_file(os.path.join(os.path.dirname(__file__), "..", "streamlit_app.py"), default_timeout=90)
    at.run()
    assert not at.exception
    return at


@pytest.fixture
def engine_factory():
    """engine_factory() -> an engine of its own (one worker) whose worker starts with this test's
    environment (a broken data folder, say); closed after the test."""
    from mnist_core.engine.cluster import Engine

    started = []

    def make():
        engine = Engine(workers=1).start()
        started.append(engine)
        return engine

    yield make
    for engine in started:
        engine.close()


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class DaskCluster:
    """The scheduler and workers of docs/deployment.md, started with its commands as written
    (tests/deployment.py) on loopback, each in an empty folder of its own; stopped by PID."""

    def __init__(self, workers: int = 2, runs: str = "runs"):
        from tests import deployment

        problem = deployment.installed_here()
        if problem:  # the docs' first command, `pip install .`, has not run here (.ci/run runs it)
            pytest.fail(f"{problem}: run `{deployment.read().install}` in the project's folder first")
        commands, port = deployment.read(), free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        self.procs = [deployment.start(deployment.on_loopback(commands.scheduler, port, runs))]
        self.procs += [deployment.start(deployment.on_loopback(commands.worker, port, runs)) for _ in range(workers)]
        from distributed import Client

        with Client(self.address, timeout="120s", set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=300)

    def stop(self) -> None:
        from tests import deployment

        for proc in self.procs:
            deployment.stop(proc)


@pytest.fixture(scope="session")
def dask_cluster():
    """`dask scheduler` + two `dask worker` processes (one training slot each), for the session."""
    cluster = DaskCluster(workers=2)
    yield cluster
    cluster.stop()

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
# No server warm-up (compiling the classic network) in every AppTest and app server: the tests
# that check it, and the browser tests of test_browser_app.py, turn it on.
os.environ["MNIST_LAB_WARMUP"] = "off"

from mnist_core import data  # noqa: E402
from mnist_core.config import TrainConfig  # noqa: E402


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
    """Poll `condition` (state, not time) until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}")
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

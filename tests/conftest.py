"""Shared fixtures. Training tests use small subsets: a few thousand images, 1-3 epochs."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_core.config import TrainConfig  # noqa: E402


@pytest.fixture(scope="session")
def small_config() -> TrainConfig:
    """A network that trains in about a second on 3,000 images."""
    return TrainConfig(hidden=(64,), epochs=2, train_samples=3000, validation="split:0.2", seed=1)

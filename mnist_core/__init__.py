"""MNIST Lab's engine: data, preprocessing, config, training, evaluation.

It never imports Streamlit, and importing the package does not import
TensorFlow: only `mnist_core.training.trainer` does, so light pages stay light.
"""

from mnist_core.config import ConfigError, TrainConfig
from mnist_core.data.datasets import DataFileError, load_dataset

__all__ = ["ConfigError", "DataFileError", "TrainConfig", "load_dataset"]

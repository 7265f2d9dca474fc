"""MNIST Lab's core: what a script or notebook outside the app needs, by one name each.

    from mnist_core import TrainConfig, train, save_run_file, load_run_file

    run = train(TrainConfig(hidden=(512,), epochs=5))
    save_run_file("classic.npz", run)
    print(load_run_file("classic.npz").test_accuracy)

These names stay put wherever their modules move (docs/architecture.md has the layers).
The package never imports Streamlit, and importing it does not import TensorFlow: `train`
loads it on its first call.
"""

__version__ = "0.2.0"  # the layered package; a Dask cluster's machines must all run the same one

from mnist_core.config import ConfigError, TrainConfig
from mnist_core.data.datasets import DataFileError, Dataset, load_dataset
from mnist_core.input.canvas import Drawing, DrawingError, prepare_drawing
from mnist_core.model.runs import Run, load_run_file, save_run_file

__all__ = ["ConfigError", "DataFileError", "Dataset", "Drawing", "DrawingError", "Run", "TrainConfig",
           "load_dataset", "load_run_file", "prepare_drawing", "save_run_file", "train"]


def train(config: TrainConfig, on_epoch=None, dataset: Dataset | None = None):
    """Train `config` for config.epochs epochs in this process and return the run (a TrainingRun).
    `on_epoch(result)`, if given, is called with each epoch's EpochResult; returning True stops
    the run after that epoch."""
    # Imported here, not above: TensorFlow loads with it, and most users of the package never train.
    from mnist_core.training.trainer import train as train_here

    return train_here(config, on_epoch, dataset)

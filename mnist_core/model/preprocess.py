"""Turn the uint8 images into what a dense network eats, step by step.

These are the steps a learner writes by hand: flatten each 28x28 image into a
784-long vector, scale the pixels to [0, 1] (optional: training on raw 0-255
values is one of the lessons), encode the labels to match the loss, and hold
out a validation set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_core.config import TrainConfig
from mnist_core.data.datasets import Dataset

N_CLASSES = 10


def flatten(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) -> (N, 784), same dtype; a view when possible."""
    return images.reshape(len(images), -1)


def scale(images: np.ndarray, normalize: bool = True) -> np.ndarray:
    """uint8 pixels as float32, divided by 255 when normalize is on."""
    x = images.astype(np.float32)
    if normalize:
        x /= 255.0
    return x


def one_hot(labels: np.ndarray, n_classes: int = N_CLASSES) -> np.ndarray:
    """(N,) integer labels -> (N, n_classes) float32 rows with a single 1."""
    out = np.zeros((len(labels), n_classes), dtype=np.float32)
    out[np.arange(len(labels)), labels.astype(np.int64)] = 1.0
    return out


def encode_labels(labels: np.ndarray, sparse: bool) -> np.ndarray:
    """Integers for sparse categorical cross-entropy, one-hot rows otherwise."""
    return labels.astype(np.int32) if sparse else one_hot(labels)


def prepare_images(images: np.ndarray, normalize: bool = True) -> np.ndarray:
    """Flatten and scale: the exact input the network sees."""
    return scale(flatten(images), normalize)


@dataclass(frozen=True, eq=False)
class Prepared:
    """A config's data, ready for training. x_val is None when there is no validation set.

    x_fit stays flat uint8 (47 MB for all of MNIST): training converts each batch to
    float32 (and divides by 255 when normalize is on) inside its compiled loop, the
    same conversion as `prepare_images` (XLA may round the division a hair
    differently in its fused kernels), without a 188 MB float copy of the set.
    `fit_images()` gives that float copy for whoever wants it (tests, small sets).
    """

    x_fit: np.ndarray
    y_fit: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray
    validation_is_test: bool
    normalize: bool

    def fit_images(self) -> np.ndarray:
        return scale(self.x_fit, self.normalize)


def prepare(config: TrainConfig, dataset: Dataset) -> Prepared:
    """Apply the config's preprocessing to the dataset: the one way training data is made.

    train_samples takes the first N training images; split:f then holds back the
    last fraction f of those, as Keras' validation_split does.
    """
    n = config.train_samples or len(dataset.x_train)
    x = flatten(dataset.x_train[:n])
    y = encode_labels(dataset.y_train[:n], config.sparse_labels)
    x_test = prepare_images(dataset.x_test, config.normalize)
    y_test = encode_labels(dataset.y_test, config.sparse_labels)
    x_val = y_val = None
    if config.validation == "test":
        x_val, y_val = x_test, y_test
    elif config.validation_fraction:
        cut = config.fit_size()
        x, x_val = x[:cut], prepare_images(x[cut:], config.normalize)
        y, y_val = y[:cut], y[cut:]
    return Prepared(x_fit=x, y_fit=y, x_val=x_val, y_val=y_val, x_test=x_test, y_test=y_test,
                    validation_is_test=config.validation == "test", normalize=config.normalize)


@dataclass(frozen=True)
class Step:
    """One stage of the data, described for a table."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    low: float
    high: float
    why: str

    @property
    def value_range(self) -> str:
        return f"{self.low:g} to {self.high:g}"


def _step(name: str, array: np.ndarray, why: str) -> Step:
    return Step(name, tuple(array.shape), str(array.dtype), float(array.min()), float(array.max()), why)


def describe_steps(config: TrainConfig, dataset: Dataset, sample: int = 2000) -> list[Step]:
    """Each preprocessing step with its shape, dtype and value range.

    Ranges are measured on the first `sample` images (cheap on every rerun);
    shapes are those of the full arrays.
    """
    n = config.train_samples or len(dataset.x_train)
    raw = dataset.x_train[: min(n, sample)]
    flat = flatten(raw)
    scaled = scale(flat, config.normalize)
    labels = dataset.y_train[: min(n, sample)]
    encoded = encode_labels(labels, config.sparse_labels)

    def full(step: Step, rows: int) -> Step:
        return Step(step.name, (rows,) + step.shape[1:], step.dtype, step.low, step.high, step.why)

    steps = [
        full(_step("raw images", raw, "28x28 grey levels, 0 is background, 255 is ink."), n),
        full(_step("flattened", flat, "A Dense layer takes vectors, so each image becomes 784 numbers."), n),
        full(
            _step(
                "scaled" if config.normalize else "as float, not scaled",
                scaled,
                "Small inputs near 0 to 1 keep the first steps of the optimiser well behaved."
                if config.normalize
                else "Left at 0-255: large inputs make the first updates huge and training erratic.",
            ),
            n,
        ),
        full(_step("labels", labels, "One integer 0-9 per image."), n),
    ]
    if config.sparse_labels:
        steps.append(full(_step("labels as integers", encoded,
                                "Sparse cross-entropy takes the class index directly."), n))
    else:
        steps.append(full(_step("labels one-hot", encoded,
                                "A row of ten with a 1 at the true class, compared with the ten outputs."), n))
    if config.validation_fraction:
        cut = config.fit_size()
        steps.append(Step("training part", (cut, 784), steps[2].dtype, steps[2].low, steps[2].high,
                          f"The network learns from these {cut:,} images."))
        steps.append(Step("validation part", (n - cut, 784), steps[2].dtype, steps[2].low, steps[2].high,
                          "Held back to check the network on images it never trained on."))
    return steps

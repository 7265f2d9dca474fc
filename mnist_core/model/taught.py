"""Teaching a trained network a learner's drawings: what it learns from, what scores it, and what
each epoch shows it. Numpy only (mnist_core.training.trainer does the training).

A taught run is a run like any other whose config names what it is taught (`config.teach`, a
mnist_core.config.Teach): the run and epoch it starts from, so that its epoch 0 is that
network, a set of drawings (by digest) and the replay share. Then:
- the honest score: a quarter of each class's drawings (at least one; HELD_BACK) is held back,
  picked by the set's digest, never taught, and read after every epoch as the run's validation
  set. A drawing it learned from never scores it;
- each epoch shows every taught drawing `copies` times (about DRAWING_EXAMPLES in all), each
  time changed a little by the app's augmentation ("all"), mixed with `replayed` training images
  of the dataset, drawn afresh every epoch, so that the test set is not forgotten (replay).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

import numpy as np

from mnist_core.config import (
    FIELD,
    HELD_BACK,
    MIN_PER_CLASS,
    TEACH_FIELD,
    TEACH_RATE,
    ConfigError,
    Teach,
    TrainConfig,
    check,
)
from mnist_core.data.datasets import CLASS_NAMES, DATASET_TITLES, Dataset
from mnist_core.model.preprocess import Prepared, encode_labels, flatten, prepare_images

TEACH_BATCH = 128  # images per update while teaching, whatever the base run used


class TeachError(ValueError):
    """Drawings or a base that cannot be taught from; the message says why, in plain words."""


@dataclass(frozen=True, eq=False)
class TeachSet:
    """A set of drawings split for teaching: `taught` and `held` index `images` and `labels`."""

    dataset: str
    images: np.ndarray  # uint8 (n, 28, 28)
    labels: np.ndarray  # uint8 (n,)
    digest: str
    taught: np.ndarray
    held: np.ndarray

    @classmethod
    def of(cls, dataset: str, images: np.ndarray, labels: np.ndarray) -> TeachSet:
        images, labels = np.asarray(images, np.uint8), np.asarray(labels, np.uint8)
        found = digest(dataset, images, labels)
        taught, held = split(labels, found)
        return cls(dataset, images, labels, found, taught, held)


def digest(dataset: str, images: np.ndarray, labels: np.ndarray) -> str:
    """The set's name: a hash of its dataset, pixels and labels (the same drawings, the same name)."""
    h = hashlib.sha256(dataset.encode())
    h.update(np.ascontiguousarray(images, np.uint8).tobytes())
    h.update(np.ascontiguousarray(labels, np.uint8).tobytes())
    return h.hexdigest()[:24]


def split(labels: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(taught, held back) indices: HELD_BACK of each class's drawings, at least one, held back,
    picked at random by the set's name, so the same set always splits the same way."""
    rng = np.random.default_rng(int(name[:12], 16))
    taught, held = [], []
    for c in range(10):
        mine = rng.permutation(np.flatnonzero(labels == c))
        keep = max(1, round(len(mine) * HELD_BACK)) if len(mine) else 0
        held.append(mine[:keep])
        taught.append(mine[keep:])
    return np.sort(np.concatenate(taught)).astype(np.int64), np.sort(np.concatenate(held)).astype(np.int64)


def teach_problems(dataset: str, labels: np.ndarray, network_dataset: str) -> list[str]:
    """Why these drawings cannot be taught to a network of `network_dataset` (empty if they can)."""
    if dataset != network_dataset:
        return [f"these drawings are of {DATASET_TITLES[dataset]} and the network reads "
                f"{DATASET_TITLES[network_dataset]}: choose a run of {DATASET_TITLES[dataset]}"]
    counts = np.bincount(np.asarray(labels, np.int64), minlength=10)[:10]
    short = [(c, int(n)) for c, n in enumerate(counts) if n < MIN_PER_CLASS]
    if not short:
        return []
    names = CLASS_NAMES[dataset]
    needs: dict[int, list[str]] = {}
    for c, n in short:
        needs.setdefault(MIN_PER_CLASS - n, []).append(names[c])
    asks = " and ".join(f"{need} more of {', '.join(which)}" for need, which in sorted(needs.items()))
    empty = [names[c] for c, n in short if n == 0]
    none = f" (none of {', '.join(empty)} yet)" if empty else ""
    return [f"teaching needs at least {MIN_PER_CLASS} drawings of each class, one to learn from and one "
            f"held back to score it: draw {asks}{none}"]


def teach_config(base: TrainConfig, base_name: str, epoch: int, drawings: TeachSet,
                 epochs: int | None = None, replay: float | None = None) -> TrainConfig:
    """The config of teaching `drawings` to the run `base_name` ("shipped", or a run's name) from its
    `epoch`: the base's network and optimizer at TEACH_RATE of its learning rate (a taught run's
    own rate when it is one), TEACH_BATCH images per update, the app's augmentation of the
    drawings, no validation split (the held-back drawings are its validation set).
    ConfigError if the epochs or the replay are out of their limits."""
    epochs = TEACH_FIELD["teach_epochs"].default if epochs is None else epochs
    replay = TEACH_FIELD["replay"].default if replay is None else replay
    problems = [p for name, value in (("teach_epochs", epochs), ("replay", replay))
                for p in check(TEACH_FIELD[name], value)]
    if problems:
        raise ConfigError(problems)
    teach = Teach(base_name, int(epoch), drawings.digest, len(drawings.taught), round(float(replay), 3))
    rate = base.learning_rate if base.teach else max(base.learning_rate * TEACH_RATE, FIELD["learning_rate"].low)
    return dataclasses.replace(base, epochs=int(epochs), learning_rate=rate, batch_size=TEACH_BATCH, validation="none",
                               train_samples=None, early_stopping=0, keep_best=False, augment="all",
                               teach=teach.text).validate()


def teach_data(config: TrainConfig, dataset: Dataset, drawings: TeachSet) -> Prepared:
    """A taught run's data: the drawings it learns from (x_fit), the held-back ones as its
    validation set, and the dataset's test set."""
    sparse = config.sparse_labels
    held = drawings.held
    return Prepared(x_fit=flatten(drawings.images[drawings.taught]),
                    y_fit=encode_labels(drawings.labels[drawings.taught], sparse),
                    x_val=prepare_images(drawings.images[held], config.normalize),
                    y_val=encode_labels(drawings.labels[held], sparse),
                    x_test=prepare_images(dataset.x_test, config.normalize),
                    y_test=encode_labels(dataset.y_test, sparse),
                    validation_is_test=False, normalize=config.normalize)


def training_images(config: TrainConfig, dataset: Dataset, drawings: TeachSet) -> tuple[np.ndarray, np.ndarray]:
    """What a taught run's epochs index into: every training image, then the taught drawings."""
    x = np.concatenate([flatten(dataset.x_train), flatten(drawings.images[drawings.taught])])
    y = np.concatenate([dataset.y_train, drawings.labels[drawings.taught]])
    return x, encode_labels(y, config.sparse_labels)


def epoch_order(teach: Teach, seed: int, epoch: int, n_train: int) -> np.ndarray:
    """One epoch of teaching as indices into `training_images`: `replayed` training images drawn
    afresh (from the seed and the epoch) and each taught drawing `copies` times, shuffled."""
    rng = np.random.default_rng([seed, epoch, 3])
    replayed = rng.permutation(n_train)[:teach.replayed]
    drawings = n_train + np.tile(np.arange(teach.taught), teach.copies)
    return rng.permutation(np.concatenate([replayed, drawings])).astype(np.int32)

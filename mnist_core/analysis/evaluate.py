"""What a trained model gets right and wrong, from its predicted probabilities.

Everything here is plain numpy on (N, 10) probabilities and (N,) labels, so it
works the same for any epoch of any run. The untrained (chance) baseline is
`TrainingRun.baseline_accuracy`.
"""

from __future__ import annotations

import numpy as np

from mnist_core.model.preprocess import N_CLASSES


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(probs, axis=1) == labels))


def cross_entropy(probs: np.ndarray, labels: np.ndarray) -> float:
    """The mean of -log(probability of the true class), each probability clipped to 1e-7 first
    (a model sure of a wrong class would otherwise give an infinite loss)."""
    truth = probs[np.arange(len(probs)), labels]
    return float(-np.log(np.clip(truth, 1e-7, 1)).mean())


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, n_classes: int = N_CLASSES) -> np.ndarray:
    """counts[true, predicted]: how often each true class was called each class."""
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (labels.astype(np.int64), predicted.astype(np.int64)), 1)
    return counts


def per_class_accuracy(labels: np.ndarray, predicted: np.ndarray, n_classes: int = N_CLASSES) -> np.ndarray:
    """For each true class, the fraction predicted correctly (NaN for an absent class)."""
    counts = confusion_matrix(labels, predicted, n_classes)
    totals = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(counts) / totals, np.nan)


def most_confident_mistakes(probs: np.ndarray, labels: np.ndarray, k: int = 20) -> np.ndarray:
    """Indices of the k wrong predictions made with the highest confidence, highest first."""
    predicted = np.argmax(probs, axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probs[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")[:k]]


def cell_images(probs: np.ndarray, labels: np.ndarray, true: int, predicted: int) -> np.ndarray:
    """Indices of the test images in one confusion-matrix cell (true class `true`, called
    `predicted`): a mistake cell most confident first, the diagonal least confident first (the
    right answers it nearly got wrong)."""
    called = np.argmax(probs, axis=1)
    found = np.flatnonzero((labels == true) & (called == predicted))
    confidence = probs[found, predicted]
    order = np.argsort(confidence if true == predicted else -confidence, kind="stable")
    return found[order]


def pct(value: float | None) -> str:
    """An accuracy as a percentage with two decimals: the test set's 10,000 images resolve 0.01%."""
    return "-" if value is None else f"{value:.2%}"


def gallery_order(probs: np.ndarray, labels: np.ndarray, *, mistakes_only: bool = False,
                  confident_first: bool = False, classes=(), called=()) -> np.ndarray:
    """Indices of the images a gallery shows, in order: all, the mistakes only, or the mistakes
    most confident first; then only those of the true `classes` and the `called` classes (when
    given)."""
    predicted = np.argmax(probs, axis=1)
    if confident_first:
        order = most_confident_mistakes(probs, labels, k=len(labels))
    else:
        order = np.flatnonzero(predicted != labels) if mistakes_only else np.arange(len(labels))
    if len(classes):
        order = order[np.isin(labels[order], classes)]
    if len(called):
        order = order[np.isin(predicted[order], called)]
    return order

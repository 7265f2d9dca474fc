"""How a run reads a set of drawings: accuracy, confusion, the surest mistakes, and the accuracy
after every epoch. The numpy forward pass does it (no TensorFlow). A set of drawings is anything
with `images` (uint8 (n, 28, 28)) and `labels` (n,): mnist_core.input.drawings.DrawingSet."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_core.analysis.evaluate import confusion_matrix


@dataclass
class Score:
    """How a run reads a set after one epoch."""

    accuracy: float
    confusion: np.ndarray  # (10, 10): rows the labels, columns what the network read
    predicted: np.ndarray  # (n,)
    sureness: np.ndarray  # (n,): the probability of what it read
    wrong: np.ndarray  # indices of the drawings it read wrong, the surest mistakes first


def score(run, epoch: int, drawings) -> Score:
    probs = run.predict(drawings.images, epoch)
    predicted = probs.argmax(axis=1)
    sureness = probs.max(axis=1)
    wrong = np.flatnonzero(predicted != drawings.labels)
    wrong = wrong[np.argsort(-sureness[wrong], kind="stable")]
    return Score(accuracy=float((predicted == drawings.labels).mean()) if len(drawings) else float("nan"),
                 confusion=confusion_matrix(drawings.labels, predicted), predicted=predicted,
                 sureness=sureness, wrong=wrong)


def score_over_epochs(run, drawings) -> np.ndarray:
    """Accuracy on the set after each epoch 1..epochs_done."""
    probs = run.predict_over_epochs(drawings.images)
    return (probs.argmax(axis=2) == drawings.labels[None]).mean(axis=1)

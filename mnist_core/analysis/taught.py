"""A taught run before and after: the honest score on the drawings it never learned from, the
test set it may have forgotten, and the drawings whose reading changed. Numpy only.

A taught run's epoch 0 is the network it started from, so "before" and "after" are two epochs
of one run (mnist_core.model.taught).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mnist_core.model.taught import TeachSet


@dataclass
class Taught:
    """How teaching changed a run, read after one epoch."""

    held_before: float  # accuracy on the held-back drawings, before and after
    held_after: float
    test_before: float  # accuracy on the dataset's test set, before and after
    test_after: float
    held: np.ndarray  # the held-back drawings' indices in the set
    before: np.ndarray  # what the network read them as, before and after
    after: np.ndarray
    fixed: np.ndarray  # positions in `held` read wrong before and right after
    broken: np.ndarray  # read right before and wrong after

    @property
    def forgotten(self) -> float:
        """Points of test accuracy lost (negative: gained)."""
        return 100 * (self.test_before - self.test_after)


def not_taught(images: np.ndarray, drawings: TeachSet) -> np.ndarray:
    """Which of `images` (uint8 (n, 28, 28)) a run taught `drawings` did not learn from (bool (n,)):
    a drawing it learned from never scores it."""
    learned = {image.tobytes() for image in drawings.images[drawings.taught]}
    return np.array([np.ascontiguousarray(image, np.uint8).tobytes() not in learned for image in images], bool)


def test_before(run) -> float:
    """The test accuracy of the network a taught run started from: saved with it, or measured."""
    if math.isfinite(getattr(run, "baseline_accuracy", math.nan)):
        return float(run.baseline_accuracy)
    predicted = run.test_predictions(0).argmax(axis=1)
    return float((predicted == run.dataset.y_test).mean())


def compare(run, epoch: int, drawings: TeachSet) -> Taught:
    """Read the held-back drawings before teaching (epoch 0) and after `epoch`."""
    held = drawings.held
    truth = drawings.labels[held]
    before = run.predict(drawings.images[held], 0).argmax(axis=1)
    after = run.predict(drawings.images[held], epoch).argmax(axis=1)
    right_before, right_after = before == truth, after == truth
    return Taught(held_before=float(right_before.mean()), held_after=float(right_after.mean()),
                  test_before=test_before(run), test_after=float(run.history[epoch - 1].test_accuracy),
                  held=held, before=before, after=after,
                  fixed=np.flatnonzero(~right_before & right_after), broken=np.flatnonzero(right_before & ~right_after))


def forgetting_sentence(found: Taught) -> str:
    """The test set's change in words."""
    points = found.forgotten
    if abs(points) < 0.2:
        return (f"It kept what it knew: the test set is read as well as before ({found.test_after:.1%}; "
                "a change under 0.2 points is noise).")
    if points < 0:
        return f"The test set is read a little better than before: {found.test_before:.1%} to {found.test_after:.1%}."
    return (f"It forgot some of the test set: {found.test_before:.1%} to {found.test_after:.1%}, "
            f"{points:.1f} points lost. More replay keeps more of it.")


def held_sentence(found: Taught) -> str:
    """The honest score's change in words."""
    n = len(found.held)
    return (f"On the {n} held-back drawings, which it never learned from: {found.held_before:.0%} read right "
            f"before, {found.held_after:.0%} after ({len(found.fixed)} now right, {len(found.broken)} now wrong).")

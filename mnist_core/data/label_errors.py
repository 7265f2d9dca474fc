"""MNIST test images whose label people judged wrong, from published work.

Northcutt, Athalye and Mueller, "Pervasive Label Errors in Test Sets Destabilize Machine Learning
Benchmarks" (NeurIPS 2021 Datasets and Benchmarks; labelerrors.com), flagged 100 of MNIST's test
images with confident learning and showed each to five reviewers on Mechanical Turk, who chose
the given label, the guessed one, or neither. The votes are in their repository cleanlab/label-errors,
file mturk/mnist_mturk.json (commit 5457895, unchanged since). An image counts as a label error
when fewer than three of the five kept the given label, as the authors count them (15 for MNIST);
"correctable" when three or more chose the guessed label, "neither" when three or more chose
neither, "no agreement" otherwise. Indices are 0-based, in the test set's usual order.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = ("Northcutt, Athalye & Mueller, Pervasive Label Errors in Test Sets Destabilize Machine Learning "
          "Benchmarks, NeurIPS 2021 Datasets and Benchmarks (labelerrors.com)")


@dataclass(frozen=True)
class LabelError:
    index: int  # in MNIST's test set, 0-based
    given: int  # the label MNIST gives it
    guessed: int  # the label the authors' model suggested
    votes: tuple[int, int, int]  # reviewers for: given, guessed, neither (of 5)

    @property
    def verdict(self) -> str:
        given, guessed, neither = self.votes
        return "correctable" if guessed >= 3 else "neither" if neither >= 3 else "no agreement"

    @property
    def judged(self) -> str:
        """What the reviewers said it is, in words."""
        return {"correctable": f"a {self.guessed}", "neither": f"neither {self.given} nor {self.guessed}",
                "no agreement": f"{self.given} or {self.guessed}: no agreement"}[self.verdict]


MNIST_TEST = (
    LabelError(947, 8, 9, (0, 5, 0)),
    LabelError(1621, 0, 6, (2, 3, 0)),
    LabelError(1901, 9, 4, (2, 3, 0)),
    LabelError(2130, 4, 9, (2, 2, 1)),
    LabelError(2462, 2, 0, (0, 4, 1)),
    LabelError(2597, 5, 3, (0, 4, 1)),
    LabelError(2654, 6, 1, (0, 2, 3)),
    LabelError(3520, 6, 4, (2, 0, 3)),
    LabelError(3558, 5, 0, (1, 4, 0)),
    LabelError(5937, 5, 3, (1, 3, 1)),
    LabelError(6651, 0, 6, (0, 5, 0)),
    LabelError(6783, 1, 6, (2, 3, 0)),
    LabelError(8527, 4, 9, (2, 2, 1)),
    LabelError(9679, 6, 3, (2, 0, 3)),
    LabelError(9729, 5, 6, (2, 3, 0)),
)

"""A run picker's choices: which runs a page offers, which one comes first, and their names.

Pure functions on runs (anything with `label`, `epochs_done` and `status`); the pages' picker
(app_pages/parts/picker.py) draws what these decide. Runs are told apart by identity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mnist_core.data.datasets import DATASETS


def trained(runs: Iterable, least: int = 1, diverged: bool = True) -> list:
    """The runs with at least `least` epochs; without the diverged ones unless `diverged`."""
    return [r for r in runs if r.epochs_done >= least and (diverged or r.status != "diverged")]


def position(options: Sequence, chosen, default: int = 0) -> int:
    """Where `chosen` stands in `options`, else `default`."""
    return next((i for i, r in enumerate(options) if r is chosen), default)


def capitalised(text: str) -> str:
    """A capital letter first, unless the text starts with a dataset's name ("mnist 512 relu...")."""
    if text.split(" ", 1)[0] in DATASETS:
        return text
    return text[:1].upper() + text[1:]


def titles(options: Sequence, yours: Sequence = (), capital: bool = True) -> list[str]:
    """Each option's name: "Your run: <label>" for one of `yours`, else its label (with a
    capital letter first unless `capital` is False)."""
    def title(run) -> str:
        if any(run is mine for mine in yours):
            return f"Your run: {run.label}"
        return capitalised(run.label) if capital else run.label

    return [title(r) for r in options]

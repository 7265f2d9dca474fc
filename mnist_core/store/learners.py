"""What one browser keeps between visits: its list of runs, its lessons, the classes it teaches.

A learner is a browser: a random id in a cookie (32 hex digits, no login) names a small
JSON file in the run directory, `<root>/learners/<id>.json`, so a reload, a new tab, a
restarted server or another replica finds it again. At most MAX_LEARNERS files are kept,
the least recently written going first.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mnist_core.config import ConfigError, TrainConfig
from mnist_core.store.files import is_learner_id, prune, read_json, write_json

log = logging.getLogger("mnist_lab")

MAX_LEARNERS = 10_000  # learner files kept; the oldest go first
MAX_TEACHING = 10  # classes a browser keeps the teacher's secret of
MAX_FILE_BYTES = 4 * 1024 * 1024  # a learner's file (30 runs and 12 lessons take about 20 kB)


class Learners:
    """The learners' files under `root`/learners. A full or read-only disk is logged, not raised."""

    def __init__(self, root: str | Path):
        self.folder = Path(root) / "learners"
        self.folder.mkdir(parents=True, exist_ok=True)

    def runs(self, learner: str) -> list[TrainConfig]:
        """The run configs this browser listed (oldest first); [] for an unknown or odd id."""
        try:
            return [TrainConfig.from_dict(row) for row in self._read(learner).get("runs", [])]
        except (ValueError, KeyError, TypeError, ConfigError) as exc:
            log.warning("learners: skipped a damaged learner file: %s", exc)
            return []

    def set_runs(self, learner: str, configs: list[TrainConfig]) -> None:
        self._update(learner, runs=[c.to_dict() for c in configs])

    def lessons(self, learner: str) -> dict:
        """This browser's progress through the lessons, as saved (mnist_core.teaching.lessons checks it)."""
        lessons = self._read(learner).get("lessons", {})
        return lessons if isinstance(lessons, dict) else {}

    def set_lessons(self, learner: str, progress: dict) -> None:
        self._update(learner, lessons=progress)

    def teaching(self, learner: str) -> dict[str, str]:
        """The classes this browser teaches: {code: the teacher's secret} (mnist_core.teaching.classroom)."""
        found = self._read(learner).get("teaching", {})
        if not isinstance(found, dict):
            return {}
        return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str) and len(v) < 64}

    def set_teaching(self, learner: str, classes: dict[str, str]) -> None:
        """Keep the MAX_TEACHING classes made or opened last."""
        self._update(learner, teaching=dict(list(classes.items())[-MAX_TEACHING:]))

    def _read(self, learner: str) -> dict:
        """A learner's file as saved ({} when there is none, the id is odd or the file is damaged)."""
        if not is_learner_id(learner):
            return {}
        return read_json(self.folder / f"{learner}.json", MAX_FILE_BYTES, "learners") or {}

    def _update(self, learner: str, **parts) -> None:
        """Replace some parts of a learner's file ("runs", "lessons", "teaching"), keeping the others."""
        if not is_learner_id(learner):
            return
        path = self.folder / f"{learner}.json"
        try:
            if not path.exists():
                prune(self.folder, "*.json", MAX_LEARNERS - 1)
            write_json(path, {**self._read(learner), **parts})
        except OSError as exc:
            log.warning("learners: cannot save a learner's %s (%s)", "/".join(parts), exc)

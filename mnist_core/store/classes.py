"""The classes' files: `<root>/classes/<CODE>/` in the run directory, so that a restart or
another replica finds a class.

- `class.json`: the teacher's part (the secret's hash, the lesson, the lessons revealed, closed);
- `seats/NN`: one file per learner, made with an exclusive create, so that two learners joining
  at once on two replicas can never both take the last seat;
- `learners/<learner id>.json`: one learner's name and guesses, written only by that learner's
  requests, so no answer can overwrite another.

Bounds: MAX_LEARNERS learners a class, MAX_FILE_BYTES a file, at most MAX_CLASSES classes (the
least recently changed go first): under about 20 MB in all. What the files mean (lessons,
guesses, the teacher's secret) is mnist_core.teaching.classroom's business.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from pathlib import Path

from mnist_core.store.files import is_learner_id, oldest_beyond, read_json, write_json

MAX_LEARNERS = 60  # seats in one class
MAX_CLASSES = 300  # classes kept; the least recently changed go first
MAX_FILE_BYTES = 8_000  # a class's or a learner's file; larger ones are damaged, not read
FORMAT = "mnist-lab-class"
CODE_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L to misread on a board
CODE_LENGTH = 6
_CODE = re.compile(rf"[{CODE_LETTERS}]{{{CODE_LENGTH}}}")


class ClassError(ValueError):
    """Something a class cannot do; the message says why, in plain words."""


def is_class_code(text) -> bool:
    return isinstance(text, str) and _CODE.fullmatch(text) is not None


def new_class_code() -> str:
    return "".join(secrets.choice(CODE_LETTERS) for _ in range(CODE_LENGTH))


def class_code(text) -> str | None:
    """A class code as typed or linked (case and spaces forgiven), or None if it is not one."""
    code = str(text or "")[:20].strip().upper().replace(" ", "").replace("-", "")
    return code if is_class_code(code) else None


class ClassFiles:
    """The class folders under `root`/classes: plain dicts in, plain dicts out."""

    def __init__(self, root: str | Path):
        self.folder = Path(root) / "classes"
        self.folder.mkdir(parents=True, exist_ok=True)

    def create(self, teacher: dict) -> str:
        """A new class folder with `teacher` as its class.json; its code."""
        for _ in range(20):
            code = new_class_code()
            try:
                (self.folder / code).mkdir()
                break
            except FileExistsError:
                continue
        else:  # pragma: no cover - 31**6 codes
            raise ClassError("no free class code: try again")
        (self.folder / code / "seats").mkdir()
        (self.folder / code / "learners").mkdir()
        self.write_teacher(code, {"format": FORMAT, **teacher})
        return code

    def teacher(self, code: str) -> dict | None:
        """class.json of this class (None when there is none, the code is odd or the file damaged)."""
        code = class_code(code)
        if code is None:
            return None
        data = read_json(self.folder / code / "class.json", MAX_FILE_BYTES, "classroom")
        return data if data and data.get("format") == FORMAT else None

    def write_teacher(self, code: str, data: dict) -> None:
        write_json(self.folder / class_code(code) / "class.json", data)

    def is_closed(self, code: str) -> bool:
        data = self.teacher(code)
        return data is not None and data.get("closed") is True

    def _member_path(self, code: str, learner: str) -> Path:
        if not is_learner_id(learner):
            raise ClassError("this browser has no learner id: reload the page")
        return self.folder / class_code(code) / "learners" / f"{learner}.json"

    def member(self, code: str, learner: str) -> dict | None:
        return read_json(self._member_path(code, learner), MAX_FILE_BYTES, "classroom")

    def write_member(self, code: str, learner: str, data: dict) -> None:
        write_json(self._member_path(code, learner), data)

    def members(self, code: str) -> dict[str, dict]:
        """{learner id: their file} for everyone in the class (at most MAX_LEARNERS)."""
        found = {}
        for path in sorted((self.folder / class_code(code) / "learners").glob("*.json"))[:MAX_LEARNERS]:
            data = read_json(path, MAX_FILE_BYTES, "classroom")
            if data is not None and is_learner_id(path.stem):
                found[path.stem] = data
        return found

    def take_seat(self, code: str, learner: str) -> int:
        """The first free seat, claimed with an exclusive create (safe across threads and replicas)."""
        seats = self.folder / class_code(code) / "seats"
        for seat in range(MAX_LEARNERS):
            try:
                fd = os.open(seats / f"{seat:02d}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                continue
            os.write(fd, learner.encode())
            os.close(fd)
            return seat
        raise ClassError(f"this class is full ({MAX_LEARNERS} learners)")

    def prune(self) -> list[str]:
        """Keep at most MAX_CLASSES - 1 classes before a new one is made: the least recently changed
        go. The codes of the classes deleted."""
        try:
            files = [p / "class.json" for p in self.folder.iterdir() if (p / "class.json").exists()]
        except OSError:
            return []
        gone = [path.parent for path in oldest_beyond(files, MAX_CLASSES - 1)]
        for folder in gone:
            shutil.rmtree(folder, ignore_errors=True)
        return [folder.name for folder in gone]

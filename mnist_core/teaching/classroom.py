"""A class in the room: a teacher's class, its learners' guesses, and what the class trained.

A teacher makes a class: a short code (the same letters as a class set of drawings, and the
same code names that set) and a secret only the teacher's browser keeps. Learners join by the
class's link, with a name if they like. The teacher picks the lesson the class sees; each
learner guesses (and says how sure), the teacher's page counts the guesses live, and once the
teacher reveals the lesson everyone sees what its runs did. The files and their bounds:
mnist_core.store.classes. No Streamlit here.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import numpy as np

from mnist_core.analysis.evaluate import pct
from mnist_core.config import FIELDS, to_text
from mnist_core.model.runs import best_val_accuracy
from mnist_core.store.classes import ClassError, ClassFiles, class_code
from mnist_core.store.handwriting import Handwriting
from mnist_core.teaching.lessons import BY_SLUG, Lesson

log = logging.getLogger("mnist_lab")

MAX_NAME = 30  # characters of a learner's name
SURE = ("a hunch", "fairly sure", "certain")  # how sure a learner is of a guess: 0, 1, 2
_NAME_MARKS = " .'-"


@dataclass(frozen=True)
class ClassState:
    """The teacher's part of a class, as kept in class.json."""

    code: str
    lesson: str | None  # the slug of the lesson the class sees, or None before the teacher picks one
    revealed: tuple[str, ...]  # lessons whose result the class has been shown
    closed: bool
    created: float

    @property
    def showing(self) -> bool:
        """The current lesson's result is out: guesses for it are closed."""
        return self.lesson is not None and self.lesson in self.revealed


@dataclass(frozen=True)
class Member:
    """One learner of a class as the teacher's page sees it."""

    seat: int
    name: str  # as the learner gave it, or "Learner <seat + 1>"
    learner: str
    answers: dict  # {slug: {"guess": int, "sure": int}}


def clean_name(text) -> str:
    """A learner's name as typed, tidied (spaces collapsed); "" for none. ClassError if odd."""
    name = " ".join(str(text or "").split())
    if len(name) > MAX_NAME:
        raise ClassError(f"a name has at most {MAX_NAME} characters")
    if any(not (ch.isalnum() or ch in _NAME_MARKS) for ch in name):
        raise ClassError("use letters, digits, spaces and . ' - in a name")
    return name


def _digest(secret: str) -> str:
    return hashlib.sha256(str(secret).encode()).hexdigest()


class Classroom:
    """The classes under `root`/classes. Raises ClassError for what a page should say in words."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.files = ClassFiles(root)

    # --- the teacher's part --------------------------------------------------------

    def create(self) -> tuple[str, str]:
        """A new class: (code, the teacher's secret). Its class set of drawings is started too."""
        for gone in self.files.prune():
            Handwriting(self.root).forget_class(gone)
        secret = secrets.token_urlsafe(12)
        code = self.files.create({"key": _digest(secret), "created": time.time(), "lesson": None,
                                  "revealed": [], "closed": False})
        Handwriting(self.root).start_class(code)
        return code, secret

    def _teacher(self, code: str) -> dict | None:
        return self.files.teacher(code)

    def state(self, code: str) -> ClassState | None:
        """The class of this code, or None when there is none (or the code is odd)."""
        data = self._teacher(code)
        if data is None:
            return None
        lesson = data.get("lesson")
        revealed = data.get("revealed")
        return ClassState(code=class_code(code), lesson=lesson if lesson in BY_SLUG else None,
                          revealed=tuple(s for s in revealed if s in BY_SLUG) if isinstance(revealed, list) else (),
                          closed=data.get("closed") is True, created=float(data.get("created") or 0))

    def is_teacher(self, code: str, secret) -> bool:
        data = self._teacher(code)
        return bool(data and secret and hmac.compare_digest(str(data.get("key", "")), _digest(secret)))

    def _change(self, code: str, secret, **changes) -> ClassState:
        if not self.is_teacher(code, secret):
            raise ClassError("only the teacher's page can change the class")
        data = self._teacher(code)
        if data.get("closed"):
            raise ClassError("this class is closed")
        data.update(changes)
        self.files.write_teacher(code, data)
        return self.state(code)

    def choose_lesson(self, code: str, secret, slug: str) -> ClassState:
        if slug not in BY_SLUG:
            raise ClassError(f"there is no lesson {str(slug)[:30]!r}")
        return self._change(code, secret, lesson=slug)

    def reveal(self, code: str, secret) -> ClassState:
        """Show the current lesson's result to the class; its guesses are then closed."""
        if not self.is_teacher(code, secret):
            raise ClassError("only the teacher's page can change the class")
        state = self.state(code)
        if state.lesson is None:
            raise ClassError("pick a lesson first")
        return self._change(code, secret, revealed=sorted({*state.revealed, state.lesson}))

    def close(self, code: str, secret) -> ClassState:
        """Close the class for good: it then takes no learners, guesses or drawings."""
        return self._change(code, secret, closed=True)

    # --- the learners' part ----------------------------------------------------------

    def _open_class(self, code: str) -> ClassState:
        state = self.state(code)
        if state is None:
            raise ClassError("there is no class with that code: check it with your teacher")
        if state.closed:
            raise ClassError(f"class {state.code} is closed: it takes nothing more")
        return state

    def join(self, code: str, learner: str, name: str = "") -> Member:
        """Take a seat in the class (or change one's name when already in it)."""
        state = self._open_class(code)
        name = clean_name(name)
        data = self.files.member(state.code, learner)
        if data is None:
            data = {"seat": self.files.take_seat(state.code, learner), "answers": {}}
        data["name"] = name
        self.files.write_member(state.code, learner, data)
        return self._as_member(learner, data)

    def member(self, code: str, learner: str) -> Member | None:
        """This learner in this class, or None if they have not joined."""
        if class_code(code) is None:
            return None
        data = self.files.member(code, learner)
        return None if data is None else self._as_member(learner, data)

    def answer(self, code: str, learner: str, guess: int, sure: int) -> Member:
        """Keep this learner's guess for the lesson the class sees now (until it is revealed)."""
        state = self._open_class(code)
        if state.lesson is None:
            raise ClassError("your teacher has not picked a lesson yet")
        if state.showing:
            raise ClassError("the result is out: guesses for this lesson are closed")
        lesson = BY_SLUG[state.lesson]
        if not (type(guess) is int and 0 <= guess < len(lesson.guesses)):
            raise ClassError(f"choose one of the {len(lesson.guesses)} answers")
        if not (type(sure) is int and 0 <= sure < len(SURE)):
            raise ClassError("say how sure you are: " + ", ".join(SURE))
        data = self.files.member(state.code, learner)
        if data is None:
            raise ClassError("join the class first")
        answers = data.get("answers") if isinstance(data.get("answers"), dict) else {}
        answers[state.lesson] = {"guess": guess, "sure": sure}
        data["answers"] = answers
        self.files.write_member(state.code, learner, data)
        return self._as_member(learner, data)

    @staticmethod
    def _as_member(learner: str, data: dict) -> Member:
        seat = data["seat"] if type(data.get("seat")) is int else -1
        name = data.get("name") if isinstance(data.get("name"), str) else ""
        answers = {}
        for slug, entry in (data.get("answers") or {}).items():
            lesson = BY_SLUG.get(slug)
            if lesson and isinstance(entry, dict) and type(entry.get("guess")) is int \
                    and type(entry.get("sure")) is int and entry["guess"] in range(len(lesson.guesses)) \
                    and entry["sure"] in range(len(SURE)):
                answers[slug] = {"guess": entry["guess"], "sure": entry["sure"]}
        return Member(seat, name[:MAX_NAME] or f"Learner {seat + 1}", learner, answers)

    # --- what the teacher's page reads ----------------------------------------------------

    def members(self, code: str, secret) -> list[Member]:
        """Everyone in the class, by seat: for the teacher's page only."""
        if not self.is_teacher(code, secret):
            raise ClassError("only the teacher's page can see the class")
        members = [self._as_member(learner, data) for learner, data in self.files.members(code).items()]
        return sorted(members, key=lambda m: m.seat)


def tally(members: list[Member], slug: str) -> np.ndarray:
    """Guesses for one lesson: counts (answers, len(SURE)), one row per answer, one column per sureness."""
    counts = np.zeros((len(BY_SLUG[slug].guesses), len(SURE)), int)
    for member in members:
        entry = member.answers.get(slug)
        if entry is not None:
            counts[entry["guess"], entry["sure"]] += 1
    return counts


# --- the class's experiments -------------------------------------------------------------


def experiment_rows(named_runs: list[tuple[str, object]]) -> list[dict]:
    """One row per run the class trained: who, its settings, its epochs and best validation accuracy;
    the best first (runs without validation last)."""
    rows = [{"who": name, "settings": run.config.describe(), "epochs": run.epochs_done,
             "best validation accuracy": best_val_accuracy(run.history)} for name, run in named_runs]
    return sorted(rows, key=lambda r: -(r["best validation accuracy"] or -1))


def _order(text: str):
    """Numbers by size, then words in order."""
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


def best_by_setting(named_runs: list[tuple[str, object]]) -> list[dict]:
    """For each setting the class's runs tried more than one value of: each value's best validation
    accuracy and who reached it ("who found the best learning rate?")."""
    scored = [(name, run, best_val_accuracy(run.history)) for name, run in named_runs]
    scored = [s for s in scored if s[2] is not None]
    rows = []
    for field in FIELDS:
        values = {to_text(field, getattr(run.config, field.name)) for _, run, _ in scored}
        if len(values) < 2:
            continue
        for value in sorted(values, key=_order):
            name, _, best = max((s for s in scored if to_text(field, getattr(s[1].config, field.name)) == value),
                                key=lambda s: s[2])
            rows.append({"setting": field.label, "value": value, "best validation accuracy": best, "who": name})
    return rows


# --- what the room sees: the join line and every run's result ---------------------------

PAGE = "class"  # the Class page's path


def public_url() -> str | None:
    """MNIST_LAB_PUBLIC_URL: the address learners reach the app at (a hosted server, a proxy, or
    this computer's network address), e.g. https://lab.example.org. None when unset; a value that
    is not an http(s) address is logged and ignored."""
    raw = os.environ.get("MNIST_LAB_PUBLIC_URL", "").strip()
    if not raw:
        return None
    url = urlsplit(raw)
    if url.scheme in ("http", "https") and url.hostname and not url.query:
        return raw.rstrip("/")
    log.warning("MNIST_LAB_PUBLIC_URL=%r: use an address such as https://lab.example.org; ignored", raw)
    return None


def app_address(page_url: str | None, public: str | None = None) -> str:
    """The app's address for learners: `public` when set, else the address this page was opened at,
    without the page and its query ("http://10.0.0.5:8501" from ".../class?class=K7PQ2M")."""
    if public:
        return public.rstrip("/")
    url = urlsplit(page_url or "http://localhost:8501/")
    path = url.path.rstrip("/")
    if path.endswith("/" + PAGE):
        path = path[: -len(PAGE) - 1]
    return f"{url.scheme}://{url.netloc}{path}"


def is_loopback(address: str) -> bool:
    """The address names this computer only (localhost, 127.x.x.x, ::1, 0.0.0.0): no other device
    can open it."""
    host = (urlsplit(address).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def typed_address(address: str) -> str:
    """The Class page's address as a room types it, without "http://": "10.0.0.5:8501/class"
    (the page then asks for the code)."""
    return f"{address.split('://', 1)[-1]}/{PAGE}"


def join_link(address: str, code: str, **more) -> str:
    """The full link that opens the class (the learners' link; with key=..., the teacher's)."""
    return f"{address}/{PAGE}?{urlencode({'class': code, **more})}"


def run_results(lesson: Lesson, runs: list) -> str:
    """Every run of the lesson in a line, a run that diverged too (a chart cannot draw a run that
    blew up before its first epoch ended): "Test accuracy: 0.001 (the default) **97.80%** · 1 (far
    too large) **diverged in epoch 1**"."""
    said = []
    for (name, _), run in zip(lesson.runs, runs):
        if run is None or (not run.history and run.status != "diverged"):
            result = "not trained yet"
        elif run.status == "diverged":
            result = f"diverged in epoch {run.diverged_epoch or len(run.history) + 1}"
        else:
            result = pct(run.test_accuracy)
        value, _, note = name.partition(": ")  # "0.1: too large" reads "0.1 (too large)"
        said.append(f"{value} ({note}) **{result}**" if note else f"{name} **{result}**")
    return "Test accuracy: " + " · ".join(said)

"""A class in the room: codes, the teacher's secret, seats, guesses, closing, and the class's runs."""

import json
import os
import threading
from dataclasses import replace

import numpy as np
import pytest

from mnist_core.config import TrainConfig
from mnist_core.input.drawings import SetError
from mnist_core.model.runs import EpochResult
from mnist_core.store import classes
from mnist_core.store.handwriting import Handwriting
from mnist_core.teaching import classroom as C
from mnist_core.teaching.classroom import (
    ClassError,
    Classroom,
    best_by_setting,
    clean_name,
    experiment_rows,
    tally,
)
from mnist_core.teaching.lessons import BY_SLUG

ANA, BEN, CAL = "a" * 32, "b" * 32, "c" * 32


@pytest.fixture
def room(tmp_path):
    return Classroom(tmp_path)


@pytest.fixture
def made(room):
    code, secret = room.create()
    return room, code, secret


def test_a_new_class_has_a_code_a_secret_and_a_class_set_of_drawings(made, tmp_path):
    room, code, secret = made
    state = room.state(code)
    assert state.code == code and state.lesson is None and not state.closed and state.revealed == ()
    assert room.is_teacher(code, secret) and not room.is_teacher(code, "guess") and not room.is_teacher(code, "")
    assert secret not in (tmp_path / "classes" / code / "class.json").read_text()  # only its hash is kept
    assert Handwriting(tmp_path).class_exists(code)
    assert room.state(code.lower()) == state  # typed in lower case: the same class
    assert room.state("ABC") is None and room.state("../../x") is None and room.state("ZZZZZZ") is None


def test_only_the_secret_changes_the_class(made):
    room, code, secret = made
    for act in (lambda s: room.choose_lesson(code, s, "classic"), lambda s: room.reveal(code, s),
                lambda s: room.close(code, s), lambda s: room.members(code, s)):
        with pytest.raises(ClassError, match="teacher"):
            act("not-the-secret")
    assert room.state(code).lesson is None and not room.state(code).closed


def test_a_lesson_is_picked_guessed_and_revealed(made):
    room, code, secret = made
    room.join(code, ANA, "Ana")
    with pytest.raises(ClassError, match="not picked"):
        room.answer(code, ANA, 0, 1)
    room.choose_lesson(code, secret, "classic")
    room.answer(code, ANA, 0, 2)
    room.answer(code, ANA, 1, 1)  # changed before the result is out
    assert room.member(code, ANA).answers == {"classic": {"guess": 1, "sure": 1}}
    state = room.reveal(code, secret)
    assert state.showing and state.revealed == ("classic",)
    with pytest.raises(ClassError, match="closed"):
        room.answer(code, ANA, 2, 1)
    room.choose_lesson(code, secret, "scaling")  # the next lesson takes guesses again
    room.answer(code, ANA, 2, 0)
    assert room.member(code, ANA).answers["classic"] == {"guess": 1, "sure": 1}
    with pytest.raises(ClassError, match="no lesson"):
        room.choose_lesson(code, secret, "../etc")


def test_guesses_are_checked_and_a_learner_changes_only_their_own(made):
    room, code, secret = made
    room.choose_lesson(code, secret, "classic")
    with pytest.raises(ClassError, match="join"):
        room.answer(code, ANA, 0, 0)
    room.join(code, ANA, "Ana")
    room.join(code, BEN, "")
    for guess, sure in ((3, 0), (-1, 0), (0, 3), (True, 0), ("1", 0)):
        with pytest.raises(ClassError):
            room.answer(code, ANA, guess, sure)
    room.answer(code, ANA, 0, 0)
    room.answer(code, BEN, 2, 2)
    assert room.member(code, ANA).answers["classic"] == {"guess": 0, "sure": 0}
    assert room.member(code, BEN).answers["classic"] == {"guess": 2, "sure": 2}
    assert room.member(code, CAL) is None
    members = room.members(code, secret)
    assert [(m.seat, m.name) for m in members] == [(0, "Ana"), (1, "Learner 2")]
    counts = tally(members, "classic")
    assert counts.shape == (3, 3) and counts[0, 0] == 1 and counts[2, 2] == 1 and counts.sum() == 2
    with pytest.raises(ClassError, match="learner id"):
        room.answer(code, "../" + "a" * 29, 0, 0)


@pytest.mark.parametrize("name, message", [("x" * 31, "at most"), ("<b>Ana</b>", "letters"), ("Ana\nBen", None),
                                           ("a;b", "letters"), ("Zoë O'Neil-Smith Jr.", None), ("  ", None)])
def test_names_are_bounded_and_plain(name, message):
    if message is None:
        assert clean_name(name) == " ".join(name.split())
    else:
        with pytest.raises(ClassError, match=message):
            clean_name(name)


def test_a_class_is_full_at_its_bound_even_when_learners_join_at_once(made, monkeypatch):
    room, code, _ = made
    monkeypatch.setattr(classes, "MAX_LEARNERS", 5)
    ids = [f"{i:032x}" for i in range(8)]
    refused = []

    def join(learner):
        try:
            room.join(code, learner)
        except ClassError as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=join, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    joined = [i for i in ids if room.member(code, i)]
    assert len(joined) == 5 and len(refused) == 3 and all("full" in r for r in refused)
    assert sorted(room.member(code, i).seat for i in joined) == [0, 1, 2, 3, 4]
    room.join(code, joined[0], "Renamed")  # one already in keeps the seat
    assert room.member(code, joined[0]).name == "Renamed"


def test_a_closed_class_takes_nothing(made, tmp_path):
    room, code, secret = made
    room.join(code, ANA)
    room.choose_lesson(code, secret, "classic")
    room.close(code, secret)
    for act in (lambda: room.join(code, BEN), lambda: room.answer(code, ANA, 0, 0),
                lambda: room.choose_lesson(code, secret, "scaling"), lambda: room.reveal(code, secret)):
        with pytest.raises(ClassError, match="closed"):
            act()
    assert room.members(code, secret)[0].learner == ANA  # the teacher still sees it
    with pytest.raises(SetError, match="closed"):
        Handwriting(tmp_path).add(f"class-{code}", "mnist", np.zeros((28, 28), np.uint8), 3)


def test_damaged_and_oversized_files_are_skipped_not_raised(made, tmp_path):
    room, code, secret = made
    room.join(code, ANA, "Ana")
    room.join(code, BEN, "Ben")
    learners = tmp_path / "classes" / code / "learners"
    (learners / f"{ANA}.json").write_text("{not json")
    (learners / f"{BEN}.json").write_text(json.dumps({"seat": 1, "name": "x" * classes.MAX_FILE_BYTES}))
    (learners / "odd-name.json").write_text(json.dumps({"seat": 3}))
    assert room.members(code, secret) == []
    (tmp_path / "classes" / code / "class.json").write_text("[]")
    assert room.state(code) is None


def test_the_oldest_classes_go_first_at_the_bound(room, monkeypatch, tmp_path):
    monkeypatch.setattr(classes, "MAX_CLASSES", 3)
    codes = []
    for i in range(4):
        code, _ = room.create()
        (tmp_path / "classes" / code / "class.json").touch()
        codes.append(code)
        os.utime(tmp_path / "classes" / code / "class.json", (1000 + i, 1000 + i))
    kept = [c for c in codes if room.state(c) is not None]
    assert kept == codes[1:] and not Handwriting(tmp_path).class_exists(codes[0])


class FakeRun:
    """A run as the class's experiments read it: a config and its history."""

    def __init__(self, config, vals):
        self.config = config
        self.history = [EpochResult(epoch=i + 1, loss=1.0, accuracy=0.9, val_loss=1.0, val_accuracy=v,
                                    test_loss=1.0, test_accuracy=0.9, seconds=1.0, elapsed=1.0,
                                    samples_per_second=1.0) for i, v in enumerate(vals)]
        self.epochs_done = len(vals)


def test_the_class_runs_by_setting_and_who_found_the_best():
    base = TrainConfig(validation="split:0.2")
    runs = [("Ana", FakeRun(replace(base, learning_rate=0.01), [0.90, 0.95])),
            ("Ben", FakeRun(replace(base, learning_rate=0.001), [0.93, 0.97, 0.96])),
            ("Cal", FakeRun(replace(base, learning_rate=0.001, batch_size=32), [0.92])),
            ("Dee", FakeRun(replace(base, validation="none"), [None]))]
    rows = experiment_rows(runs)
    assert [r["who"] for r in rows] == ["Ben", "Ana", "Cal", "Dee"]
    assert rows[0]["best validation accuracy"] == 0.97 and rows[-1]["best validation accuracy"] is None
    best = best_by_setting(runs)
    rates = [r for r in best if r["setting"] == "Learning rate"]
    assert [(r["value"], r["who"], r["best validation accuracy"]) for r in rates] == \
        [("0.001", "Ben", 0.97), ("0.01", "Ana", 0.95)]
    batches = [r for r in best if r["setting"] == "Batch size"]
    assert [r["value"] for r in batches] == ["32", "128"]  # by size, not as text
    assert not [r for r in best if r["setting"] == "Validation"]  # Dee's run has no validation accuracy


def test_every_lesson_can_be_tallied():
    for slug, lesson in BY_SLUG.items():
        assert tally([], slug).shape == (len(lesson.guesses), len(C.SURE))


def test_the_guesses_figure_counts_each_answer_and_ticks_the_one_that_happened():
    from mnist_core.figures.classroom import guesses_figure

    lesson = BY_SLUG["scaling"]
    counts = np.array([[1, 2, 0], [0, 0, 4], [0, 0, 0]])
    fig = guesses_figure(lesson.guesses, counts, C.SURE, answer=1)
    totals = next(t for t in fig.data if t.type == "scatter")
    assert [int(x) for x in totals.x] == [3, 4, 0]
    labels = list(totals.y)
    assert labels[1].startswith("<b>✓") and not any(label.startswith("<b>") for label in labels[::2])
    bars = [t for t in fig.data if t.type == "bar" and t.showlegend is False]
    assert [list(b.x) for b in bars] == counts.T.tolist()
    assert [t.name for t in fig.data if t.type == "bar" and t.showlegend is not False] == list(C.SURE)


def _join_from_another_process(root: str, code: str, learners: list) -> list:
    room = Classroom(root)
    seats = []
    for learner in learners:
        try:
            seats.append(room.join(code, learner).seat)
        except ClassError:
            seats.append(None)
    return seats


def test_two_replicas_share_a_class_and_never_give_one_seat_twice(made, tmp_path):
    """Two processes (as two app replicas on one run directory) seat learners at once."""
    from concurrent.futures import ProcessPoolExecutor

    room, code, secret = made
    ids = [f"{i:032x}" for i in range(2 * classes.MAX_LEARNERS)]
    with ProcessPoolExecutor(2) as pool:
        halves = list(pool.map(_join_from_another_process, [str(tmp_path)] * 2, [code] * 2,
                               [ids[0::2], ids[1::2]]))
    seats = [s for half in halves for s in half if s is not None]
    assert sorted(seats) == list(range(classes.MAX_LEARNERS))  # every seat taken once, the rest refused
    assert len(room.members(code, secret)) == classes.MAX_LEARNERS


# --- what the room sees -------------------------------------------------------------------


def _run(test_accuracy=0.978, epochs=5, status="finished", diverged_epoch=None):
    from types import SimpleNamespace

    return SimpleNamespace(history=[object()] * epochs, status=status, diverged_epoch=diverged_epoch,
                           test_accuracy=test_accuracy)


def test_every_run_of_a_lesson_is_named_one_that_diverged_too():
    lesson = BY_SLUG["learning-rate"]
    runs = [_run(0.15), _run(0.978), _run(0.5, 1, "diverged", 2), _run(None, 0, "diverged", 1)]
    line = C.run_results(lesson, runs)
    assert line == ("Test accuracy: 0.00001 (too small) **15.00%** · 0.001 (the default) **97.80%** · "
                    "0.1 (too large) **diverged in epoch 2** · 1 (far too large) **diverged in epoch 1**")
    assert C.run_results(lesson, [_run(), _run(), _run(), _run(None, 0, "diverged")]).endswith("diverged in epoch 1**")
    assert C.run_results(BY_SLUG["scaling"], [_run(0.9), None]) == \
        "Test accuracy: raw 0-255 **90.00%** · scaled 0-1 **not trained yet**"


def test_the_join_line_is_the_address_learners_reach_and_a_short_path(monkeypatch):
    assert C.app_address("http://10.0.0.5:8501/class?class=K7PQ2M") == "http://10.0.0.5:8501"
    assert C.app_address("https://lab.example.org/mnist/class") == "https://lab.example.org/mnist"
    assert C.app_address("http://127.0.0.1:8501/class", "https://lab.example.org/") == "https://lab.example.org"
    assert C.typed_address("http://10.0.0.5:8501") == "10.0.0.5:8501/class"
    assert C.join_link("https://lab.example.org", "K7PQ2M") == "https://lab.example.org/class?class=K7PQ2M"
    for address in ("http://localhost:8501", "http://127.0.0.1:8501", "http://127.1.2.3", "http://[::1]:8501",
                    "http://0.0.0.0:8501", "http://app.localhost"):
        assert C.is_loopback(address), address
    for address in ("http://10.0.0.5:8501", "https://lab.example.org", "http://192.168.1.20:8501"):
        assert not C.is_loopback(address), address
    monkeypatch.delenv("MNIST_LAB_PUBLIC_URL", raising=False)
    assert C.public_url() is None
    monkeypatch.setenv("MNIST_LAB_PUBLIC_URL", " https://lab.example.org/ ")
    assert C.public_url() == "https://lab.example.org"
    for odd in ("lab.example.org", "ftp://lab.example.org", "https://lab.example.org/?x=1"):
        monkeypatch.setenv("MNIST_LAB_PUBLIC_URL", odd)
        assert C.public_url() is None, odd


def test_after_the_reveal_the_guesses_figure_leaves_its_legend_for_the_labels():
    from mnist_core.figures.classroom import guesses_figure

    lesson = BY_SLUG["learning-rate"]
    counts = np.zeros((3, 3), int)
    assert guesses_figure(lesson.guesses, counts, C.SURE).layout.showlegend is not False
    assert guesses_figure(lesson.guesses, counts, C.SURE, answer=1).layout.showlegend is False

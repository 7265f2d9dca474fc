"""mnist_core.teaching.lessons: every lesson is complete and valid, reads its runs, and says which guess the
numbers support; a learner's progress is checked and kept."""

import re
from dataclasses import replace
from types import SimpleNamespace

import pytest

from mnist_core.config import TrainConfig
from mnist_core.engine.runstore import RunStore
from mnist_core.model.runs import EpochResult
from mnist_core.teaching import lessons as L

NAMED = {"teach", "chance", "classic", "scaling", "batches", "overfitting", "clothing", "test-as-validation", "mse",
         "dropout", "learning-rate", "handwriting"}


def sentences(text: str) -> int:
    return len(re.findall(r"[.!?](\s|$)", text))


@pytest.mark.parametrize("lesson", L.LESSONS, ids=lambda x: x.slug)
def test_every_lesson_is_complete_and_valid(lesson):
    assert re.fullmatch(r"[a-z][a-z-]*", lesson.slug)
    assert lesson.title and lesson.title[0].isupper()
    assert lesson.question.endswith("?") and 1 <= sentences(lesson.question) <= 3
    assert 2 <= len(lesson.guesses) <= 4 and len(set(lesson.guesses)) == len(lesson.guesses)
    assert 2 <= sentences(lesson.why) <= 4
    assert lesson.source
    assert 1 <= len(lesson.runs) <= 4 and len({name for name, _ in lesson.runs}) == len(lesson.runs)
    for config in lesson.configs:
        assert config.problems() == [], config
    assert lesson.chart in ("baseline", "loss", "accuracy", "test_accuracy", "val_accuracy", "val_loss")


def test_the_twelve_lessons_are_there_once_each():
    assert {x.slug for x in L.LESSONS} == NAMED
    assert len(L.LESSONS) == len(L.BY_SLUG) == 12


def test_the_lessons_use_the_classic_settings():
    classic = L.BY_SLUG["classic"].runs[0][1]
    assert (classic.hidden, classic.optimizer, classic.epochs, classic.batch_size, classic.normalize) == \
        ((512,), "rmsprop", 5, 128, True)
    assert classic.param_count == 407_050
    deeper = L.BY_SLUG["overfitting"].runs[0][1]
    assert deeper.param_count == 669_706 and deeper.keep_best and deeper.validation == "split:0.2"
    tiny, usual = (c for _, c in L.BY_SLUG["batches"].runs)
    assert (tiny.updates_per_epoch, usual.updates_per_epoch) == (6000, 469)
    # The first lesson's run is the classic run's first epoch: the class shares it.
    assert L.BY_SLUG["chance"].runs[0][1].key() == classic.key()


def test_a_small_server_trains_lessons_on_fewer_images(monkeypatch):
    monkeypatch.setenv("MNIST_LAB_LESSON_IMAGES", "2000")
    assert {c.train_samples for x in L.LESSONS for c in x.configs if not c.teach} == {2000}
    assert {c.train_samples for c in L.BY_SLUG["teach"].configs} == {None}  # it learns drawings, with replay
    for value in ("all", "", "10", "lots", "70000"):
        monkeypatch.setenv("MNIST_LAB_LESSON_IMAGES", value)
        assert L.lesson_images() is None
        assert L.BY_SLUG["classic"].configs[0].train_samples is None


def test_every_lesson_reads_its_own_runs(monkeypatch):
    # Every lesson's runs, trained small (1,000 images, at most 3 epochs), read without error.
    from mnist_core.training.trainer import train

    monkeypatch.setenv("MNIST_LAB_LESSON_IMAGES", "1000")
    for lesson in L.LESSONS:
        runs = [taught(replace(c, epochs=1)) if c.teach else train(replace(c, epochs=min(c.epochs, 3)))
                for c in lesson.configs]
        outcome = lesson.read(runs)
        assert 0 <= outcome.answer < len(lesson.guesses), lesson.slug
        assert outcome.said and outcome.rows, lesson.slug
        assert all(len(row) == 3 and all(isinstance(cell, str) for cell in row) for row in outcome.rows)


def taught(config):
    """A taught run of a lesson, trained here: its drawings are the script's, its base the shipped network."""
    import tempfile

    from mnist_core.store.taught import TaughtSets, start_weights
    from mnist_core.training.trainer import TrainingRun

    drawings = TaughtSets(tempfile.mkdtemp()).load(config.teaching.drawings)  # found without a file: written again
    return TrainingRun(config, drawings=drawings, start=start_weights(config.teaching, None)).train_to(config.epochs)


def fake(test_accuracy, status="finished", history=None, config=None, best=None, **more):
    rows = history if history is not None else [row(1, test_accuracy=test_accuracy)]
    return SimpleNamespace(test_accuracy=test_accuracy, status=status, history=rows, best_epoch=best,
                           config=config or TrainConfig(), params=1, baseline_accuracy=0.1, **more)


def row(epoch, loss=0.5, accuracy=0.9, val_loss=0.5, val_accuracy=0.9, test_accuracy=0.9):
    return EpochResult(epoch, loss, accuracy, val_loss, val_accuracy, 0.5, test_accuracy, 1.0, 1.0, 1.0)


def test_the_verdict_follows_the_numbers():
    read = L.BY_SLUG["scaling"].read
    assert read([fake(0.90), fake(0.96)]).answer == 1  # raw clearly worse
    assert read([fake(0.955), fake(0.96)]).answer == 0  # no real difference
    assert read([fake(0.97), fake(0.90)]).answer == 2
    same = [row(1, val_accuracy=0.97, test_accuracy=0.97)]
    assert L.BY_SLUG["test-as-validation"].read([fake(0.97, history=same)]).answer == 0
    falls = [row(e, loss=1 / e, val_loss=1 / e) for e in range(1, 21)]
    turns = [row(e, loss=1 / e, val_loss=abs(e - 4) / 10 + 0.1) for e in range(1, 21)]
    read = L.BY_SLUG["overfitting"].read
    assert read([fake(0.98, history=falls, best=20)]).answer == 0
    assert read([fake(0.98, history=turns, best=4)]).answer == 1


def test_the_handwriting_lesson_reads_the_script_written_digits():
    from mnist_core.analysis.handwriting import score
    from mnist_core.input.drawings import written_set
    from mnist_core.model.runs import DEFAULT_MODEL, load_run_file

    run = load_run_file(DEFAULT_MODEL)  # the classic network, as shipped
    outcome = L.BY_SLUG["handwriting"].read([run, run])
    read = score(run, run.final_epoch, written_set()).accuracy
    assert outcome.answer == 1 and read < run.test_accuracy - 0.02  # worse than on MNIST's test set
    assert outcome.rows[1][1] == f"{read:.2%} / {read:.2%}" and L.BY_SLUG["handwriting"].next_step


def test_the_learning_rate_lesson_reads_a_run_that_diverged_in_epoch_1():
    runs = [fake(0.89), fake(0.976), fake(0.86), fake(0.1, status="diverged", history=[])]
    outcome = L.BY_SLUG["learning-rate"].read(runs)
    assert outcome.answer == 1  # a sweet spot in the middle
    assert outcome.rows[-1][1] == "diverged in epoch 1"
    assert "0.001" in outcome.said
    rising = [fake(0.5), fake(0.6), fake(0.7), fake(0.8)]
    assert L.BY_SLUG["learning-rate"].read(rising).answer == 0


def test_progress_keeps_only_what_makes_sense():
    raw = {"classic": {"guess": 1, "ran": True, "seen": True}, "scaling": {"guess": 9, "ran": "yes"},
           "mse": {"guess": True}, "nope": {"guess": 0}, "chance": "odd"}
    assert L.clean_progress(raw) == {"classic": {"guess": 1, "ran": True, "seen": True},
                                     "scaling": {"guess": None, "ran": False, "seen": False},
                                     "mse": {"guess": None, "ran": False, "seen": False}}
    assert L.clean_progress(["not", "a", "dict"]) == {}


def test_a_learners_lessons_and_runs_share_one_file_without_losing_each_other(tmp_path):
    from mnist_core.store.learners import Learners

    learner = "0123456789abcdef0123456789abcdef"
    files = Learners(tmp_path)
    files.set_lessons(learner, {"classic": {"guess": 1, "ran": True, "seen": False}})
    files.set_runs(learner, [TrainConfig(epochs=2)])
    assert files.lessons(learner) == {"classic": {"guess": 1, "ran": True, "seen": False}}
    files.set_lessons(learner, {})
    assert files.runs(learner) == [TrainConfig(epochs=2)]
    files.set_lessons("../../etc", {"x": 1})  # an odd id names no file
    assert files.lessons("../../etc") == {}
    (tmp_path / "learners" / f"{learner}.json").write_text("{not json")
    assert files.lessons(learner) == {} and files.runs(learner) == []
    memory = RunStore(disk=None)  # no run directory: a temporary one, for this server's life
    memory.learners.set_lessons(learner, {"mse": {"guess": 0, "ran": False, "seen": False}})
    assert memory.learners.lessons(learner)["mse"]["guess"] == 0


def test_every_word_of_a_lessons_settings_is_explained_beside_them():
    for lesson in L.LESSONS:
        said = " ".join(L.words(lesson.configs))
        for config in lesson.configs:
            assert f"{config.activation}:" in said and f"{config.optimizer}:" in said, lesson.slug
    assert any(s.startswith("relu:") for s in L.words(L.BY_SLUG["classic"].configs))
    assert not any("notebook" in lesson.source for lesson in L.LESSONS)  # "which notebook?"

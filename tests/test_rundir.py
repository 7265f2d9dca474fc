"""Runs on disk (mnist_core.store.rundir): exact round trips, damaged files, the bound, what is wanted."""

import dataclasses
import logging
import os
import time

import numpy as np
import pytest

from mnist_core.config import TrainConfig
from mnist_core.engine.runstore import RunStore
from mnist_core.store.rundir import RunDirectory, SavedRun, from_environment, run_name

# Dropout and Adam: a continued run must get back the dropout masks' random state and both
# optimizer slots, or its curves drift from a run that never left memory.
CONFIG = TrainConfig(hidden=(48,), dropout=(0.3,), optimizer="adam", epochs=2, train_samples=2000,
                     validation="split:0.2", seed=5)


@pytest.fixture
def disk(tmp_path):
    return RunDirectory(tmp_path / "runs")


def curves(run) -> list:
    return [(r.loss, r.accuracy, r.val_loss, r.val_accuracy, r.test_loss, r.test_accuracy) for r in run.history]


def test_a_run_continued_from_disk_matches_one_that_never_left_memory(disk):
    from mnist_core.training.trainer import TrainingRun

    memory = TrainingRun(CONFIG).train_to(2)
    disk.save(memory)
    saved = disk.load(CONFIG)
    assert isinstance(saved, SavedRun) and saved.epochs_done == 2 and saved.status == "finished"
    assert curves(saved) == curves(memory)
    for epoch in range(3):  # the stored epochs come back as they are in memory (last and best exact)
        for a, b in zip(saved.weights_at(epoch), memory.weights_at(epoch)):
            assert np.array_equal(a, b)

    memory.train_to(4)
    resumed = TrainingRun(CONFIG, saved=saved).train_to(4)
    assert curves(resumed) == curves(memory)  # every number, bit for bit
    for a, b in zip(resumed.weights_at(4), memory.weights_at(4)):
        assert np.array_equal(a, b)
    assert resumed.bits == memory.bits


def test_the_store_reads_a_run_back_after_a_restart_without_training(disk, tmp_path):
    store = RunStore(disk=disk)
    job = store.request(CONFIG)
    assert job.wait(300) and not job.error
    restarted = RunStore(disk=RunDirectory(disk.root))
    run = restarted.get(CONFIG)
    assert isinstance(run, SavedRun) and curves(run) == curves(job.run)
    assert restarted.request(CONFIG) is None  # it has the epochs: nothing is trained again
    more = restarted.request(dataclasses.replace(CONFIG, epochs=3))
    assert more.wait(300) and not more.error and more.run.epochs_done == 3
    from mnist_core.training.trainer import TrainingRun

    assert curves(more.run) == curves(TrainingRun(dataclasses.replace(CONFIG, epochs=3)).train_to(3))


def test_every_epoch_is_on_disk_as_soon_as_it_finishes(disk, monkeypatch):
    """The worker's task, run here: each save holds every finished epoch, readable at once."""
    from mnist_core.engine import worker

    seen = []
    original = RunDirectory.save

    def spy(self, run):
        original(self, run)
        saved = RunDirectory(self.root).load(run.config)
        seen.append((run.epochs_done, saved.epochs_done, len(saved.weights_at(saved.epochs_done))))

    monkeypatch.setattr(RunDirectory, "save", spy)
    monkeypatch.setattr(worker, "_DIRECTORIES", {})
    disk.set_wanted(CONFIG, 3)  # as the store does: the task's argument is the run's key alone
    result = worker.train_run(CONFIG.key().to_dict(), str(disk.root), disk.max_bytes)
    assert result["epochs"] == 3 and result["status"] == "finished"
    assert [s[:2] for s in seen[:3]] == [(1, 1), (2, 2), (3, 3)] and seen[0][2] == 4


def test_damaged_and_foreign_files_are_skipped_with_a_warning(disk, caplog):
    from mnist_core.training.trainer import TrainingRun

    for seed in (1, 2, 3):
        disk.save(TrainingRun(dataclasses.replace(CONFIG, seed=seed, epochs=1)).train_to(1))
    names = [run_name(dataclasses.replace(CONFIG, seed=s)) for s in (1, 2, 3)]
    (disk.root / names[0] / "run.npz").write_bytes(b"PK\x03\x04 not really a zip")
    (disk.root / names[1] / "run.npz").write_bytes((disk.root / names[1] / "run.npz").read_bytes()[:500])
    (disk.root / "notes.txt").write_text("somebody's file")
    (disk.root / "0123456789abcdef01234567").mkdir()  # a run folder with nothing in it
    with caplog.at_level(logging.WARNING, logger="mnist_lab"):
        runs = disk.runs()
    assert [r.config.seed for r in runs] == [3]
    assert disk.load(dataclasses.replace(CONFIG, seed=1)) is None
    assert "damaged or foreign" in caplog.text and "notes.txt" in caplog.text
    assert (disk.root / "notes.txt").exists()  # never deleted: not ours


def test_damaged_weights_are_trained_again_from_the_start(disk):
    store = RunStore(disk=disk)
    job = store.request(CONFIG)
    assert job.wait(300) and not job.error
    (disk.folder(CONFIG) / "epoch-0001.npz").write_bytes(b"garbage")
    restarted = RunStore(disk=RunDirectory(disk.root))
    saved = restarted.get(CONFIG)
    with pytest.raises(ValueError, match="cannot be read"):
        saved.weights_at(1)
    more = restarted.request(dataclasses.replace(CONFIG, epochs=3))
    assert more.wait(300) and not more.error and more.run.epochs_done == 3
    from mnist_core.training.trainer import TrainingRun

    assert curves(more.run) == curves(TrainingRun(CONFIG).train_to(3))  # same seed, same run


def test_the_disk_is_bounded_least_recently_used_first(disk, caplog):
    from mnist_core.training.trainer import TrainingRun

    configs = [dataclasses.replace(CONFIG, seed=s, epochs=1) for s in (1, 2, 3, 4)]
    for config in configs:
        disk.save(TrainingRun(config).train_to(1))
    stamp = time.time() - 1000
    for age, config in enumerate(configs):  # seed 1 the least recently used, then 2, 3, 4
        os.utime(disk.folder(config) / "used", (stamp + age, stamp + age))
        os.utime(disk.folder(config) / "run.npz", (stamp + age, stamp + age))
    disk.load(configs[0])  # using a run makes it the most recent
    size = sum(f.stat().st_size for f in disk.folder(configs[0]).iterdir())
    disk.max_bytes = int(2.5 * size)
    disk.is_live = lambda name: name == run_name(configs[1])  # a run being trained is never deleted
    with caplog.at_level(logging.WARNING, logger="mnist_lab"):
        deleted = disk.enforce_bound()
    assert deleted == [run_name(configs[2]), run_name(configs[3])]
    assert "deleted run" in caplog.text
    assert {r.config.seed for r in disk.runs()} == {1, 2}


def test_learner_lists_round_trip_and_refuse_odd_ids(disk):
    store = RunStore(disk=disk)
    learner = "0123456789abcdef0123456789abcdef"
    store.learners.set_runs(learner, [CONFIG, dataclasses.replace(CONFIG, seed=9)])
    assert [c.seed for c in RunStore(disk=disk).learners.runs(learner)] == [5, 9]
    for odd in ("../../etc/passwd", "", "A" * 32, learner + "0"):
        store.learners.set_runs(odd, [CONFIG])
        assert store.learners.runs(odd) == []
    assert [p.name for p in (disk.root / "learners").iterdir()] == [f"{learner}.json"]


def test_the_environment_names_the_directory_or_turns_it_off(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_RUNS", "off")
    assert from_environment() is None
    monkeypatch.setenv("MNIST_LAB_RUNS", str(tmp_path / "here"))
    monkeypatch.setenv("MNIST_LAB_RUNS_MAX_MB", "7")
    directory = from_environment()
    assert directory.root == tmp_path / "here" and directory.max_bytes == 7 * 2**20
    monkeypatch.delenv("MNIST_LAB_RUNS")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    directory = from_environment()
    assert directory.root == tmp_path / "cache" / "mnist-lab" / "runs"
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("MNIST_LAB_RUNS", str(tmp_path / "file" / "runs"))
    assert from_environment() is None  # cannot be made: memory only, with a warning


def test_what_is_wanted_of_a_run_round_trips_and_defaults_to_its_epochs(disk):
    assert disk.wanted(CONFIG) == {"target": 2, "stop": False}
    disk.set_wanted(CONFIG, 7)
    assert disk.wanted(CONFIG) == {"target": 7, "stop": False}
    disk.set_wanted(CONFIG, 7, stop=True)
    assert disk.wanted(dataclasses.replace(CONFIG, epochs=3)) == {"target": 7, "stop": True}
    (disk.folder(CONFIG) / "wanted.json").write_text("{not json")
    assert disk.wanted(CONFIG) == {"target": 2, "stop": False}  # damaged: what the caller asks


def test_a_disk_that_cannot_be_written_stops_the_training_with_a_message(disk, monkeypatch):
    """The workers hand every epoch to the pages through the run directory: when it cannot be
    written, the training stops with a message, and the epochs saved before it stay readable."""
    from mnist_core.engine import worker

    original = RunDirectory.save

    def full_after_one_epoch(self, run):
        if run.epochs_done >= 2:
            raise OSError(28, "No space left on device")
        original(self, run)

    monkeypatch.setattr(RunDirectory, "save", full_after_one_epoch)
    monkeypatch.setattr(worker, "_DIRECTORIES", {})
    disk.set_wanted(CONFIG, 3)
    with pytest.raises(worker.TrainingFailed, match=r"cannot be written \(No space left on device\)"):
        worker.train_run(CONFIG.key().to_dict(), str(disk.root), disk.max_bytes)
    assert RunDirectory(disk.root).load(CONFIG).epochs_done == 1

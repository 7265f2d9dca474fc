"""Runs on disk (mnist_core.rundir): exact round trips, damaged files, the bound, the locks."""

import dataclasses
import json
import logging
import os
import time

import numpy as np
import pytest

from mnist_core.config import TrainConfig
from mnist_core.jobs import RunStore
from mnist_core.rundir import RunDirectory, SavedRun, from_environment, run_name

# Dropout and Adam: a continued run must get back the dropout masks' random state and both
# optimizer slots, or its curves drift from a run that never left memory.
CONFIG = TrainConfig(hidden=(48,), dropout=(0.3,), optimizer="adam", epochs=2, train_samples=2000,
                     validation="split:0.2", seed=5)


@pytest.fixture
def disk(tmp_path):
    directory = RunDirectory(tmp_path / "runs")
    yield directory
    directory.close()


def curves(run) -> list:
    return [(r.loss, r.accuracy, r.val_loss, r.val_accuracy, r.test_loss, r.test_accuracy) for r in run.history]


def test_a_run_continued_from_disk_matches_one_that_never_left_memory(disk):
    from mnist_core.training import TrainingRun

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
    store = RunStore(max_concurrent=1, disk=disk)
    job = store.request(CONFIG)
    assert job.wait(300) and not job.error
    restarted = RunStore(max_concurrent=1, disk=RunDirectory(disk.root))
    run = restarted.get(CONFIG)
    assert isinstance(run, SavedRun) and curves(run) == curves(job.run)
    assert restarted.request(CONFIG) is None  # it has the epochs: nothing is trained again
    more = restarted.request(dataclasses.replace(CONFIG, epochs=3))
    assert more.wait(300) and not more.error and more.run.epochs_done == 3
    job.run.train_to(3)
    assert curves(more.run) == curves(job.run)


def test_every_epoch_is_on_disk_as_soon_as_it_finishes(disk):
    seen = []
    store = RunStore(max_concurrent=1, disk=disk)
    job = store.request(dataclasses.replace(CONFIG, epochs=3))
    assert job.wait(300)
    original = store._after_epoch

    def spy(job):
        stop = original(job)
        seen.append(disk.load(job.config).epochs_done)
        return stop

    store._after_epoch = spy
    more = store.request(dataclasses.replace(CONFIG, epochs=5))
    assert more.wait(300) and not more.error
    assert seen == [4, 5]


def test_damaged_and_foreign_files_are_skipped_with_a_warning(disk, caplog):
    from mnist_core.training import TrainingRun

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
    store = RunStore(max_concurrent=1, disk=disk)
    job = store.request(CONFIG)
    assert job.wait(300) and not job.error
    (disk.folder(CONFIG) / "epoch-0001.npz").write_bytes(b"garbage")
    restarted = RunStore(max_concurrent=1, disk=RunDirectory(disk.root))
    saved = restarted.get(CONFIG)
    with pytest.raises(ValueError, match="cannot be read"):
        saved.weights_at(1)
    more = restarted.request(dataclasses.replace(CONFIG, epochs=3))
    assert more.wait(300) and not more.error and more.run.epochs_done == 3
    job.run.train_to(3)
    assert curves(more.run) == curves(job.run)  # same seed, same run


def test_the_disk_is_bounded_least_recently_used_first(disk, caplog):
    from mnist_core.training import TrainingRun

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
    assert disk.acquire(configs[1])  # a run being trained is never deleted
    with caplog.at_level(logging.WARNING, logger="mnist_lab"):
        deleted = disk.enforce_bound()
    assert deleted == [run_name(configs[2]), run_name(configs[3])]
    assert "deleted run" in caplog.text
    assert {r.config.seed for r in disk.runs()} == {1, 2}


def test_one_trainer_per_run_across_two_stores_on_one_directory(disk, tmp_path):
    other = RunDirectory(disk.root)
    try:
        assert other.acquire(CONFIG)  # "another server" is training it
        store = RunStore(max_concurrent=1, disk=disk)
        assert store.elsewhere(CONFIG)
        assert store.request(CONFIG) is None  # never trained twice at once
        other.release(CONFIG)
        assert not store.elsewhere(CONFIG)
        job = store.request(CONFIG)
        assert job.wait(300) and not job.error
        assert other.acquire(CONFIG)  # released when the job ended
        other.release(CONFIG)
    finally:
        other.close()


def test_a_dead_owners_lock_is_taken_over(disk):
    folder = disk.folder(CONFIG)
    folder.mkdir()
    # A process on this host that has ended: taken over at once.
    (folder / "lock").write_text(json.dumps({"owner": "gone", "host": os.uname().nodename, "pid": 2**22 + 7}))
    assert not disk.locked_elsewhere(CONFIG) and disk.acquire(CONFIG)
    disk.release(CONFIG)
    assert not folder.exists()  # nothing was saved in it: released and removed
    # Another host whose heartbeat stopped long ago: taken over too.
    folder.mkdir()
    (folder / "lock").write_text(json.dumps({"owner": "far", "host": "elsewhere", "pid": 1}))
    assert disk.locked_elsewhere(CONFIG)  # fresh heartbeat: alive
    old = time.time() - 600
    os.utime(folder / "lock", (old, old))
    assert not disk.locked_elsewhere(CONFIG) and disk.acquire(CONFIG) and disk.holds(CONFIG)


def test_a_store_that_lost_its_lock_stops_and_says_so(disk):
    store = RunStore(max_concurrent=1, disk=disk)
    job = store.request(dataclasses.replace(CONFIG, epochs=50))
    assert job.wait_started(300)
    rival = RunDirectory(disk.root)
    try:
        while job.run is None or not job.run.epochs_done:
            job.wait(0.05)
        (disk.folder(CONFIG) / "lock").write_text(json.dumps({"owner": rival.owner, "host": "x", "pid": 1}))
        assert job.wait(300)
        assert job.run.epochs_done < 50
    finally:
        rival.close()


def test_learner_lists_round_trip_and_refuse_odd_ids(disk):
    store = RunStore(disk=disk)
    learner = "0123456789abcdef0123456789abcdef"
    store.set_learner_runs(learner, [CONFIG, dataclasses.replace(CONFIG, seed=9)])
    assert [c.seed for c in RunStore(disk=disk).learner_runs(learner)] == [5, 9]
    for odd in ("../../etc/passwd", "", "A" * 32, learner + "0"):
        store.set_learner_runs(odd, [CONFIG])
        assert store.learner_runs(odd) == []
    assert [p.name for p in (disk.root / "learners").iterdir()] == [f"{learner}.json"]
    memory = RunStore()
    memory.set_learner_runs(learner, [CONFIG])
    assert memory.learner_runs(learner) == [CONFIG]


def test_the_environment_names_the_directory_or_turns_it_off(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_RUNS", "off")
    assert from_environment() is None
    monkeypatch.setenv("MNIST_LAB_RUNS", str(tmp_path / "here"))
    monkeypatch.setenv("MNIST_LAB_RUNS_MAX_MB", "7")
    directory = from_environment()
    assert directory.root == tmp_path / "here" and directory.max_bytes == 7 * 2**20
    directory.close()
    monkeypatch.delenv("MNIST_LAB_RUNS")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    directory = from_environment()
    assert directory.root == tmp_path / "cache" / "mnist-lab" / "runs"
    directory.close()
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("MNIST_LAB_RUNS", str(tmp_path / "file" / "runs"))
    assert from_environment() is None  # cannot be made: memory only, with a warning


def test_a_disk_that_cannot_be_written_is_logged_and_training_goes_on(disk, monkeypatch, caplog):
    def full(run):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(disk, "save", full)
    store = RunStore(max_concurrent=1, disk=disk)
    with caplog.at_level(logging.WARNING, logger="mnist_lab"):
        job = store.request(CONFIG)
        assert job.wait(300)
    assert not job.error and job.run.epochs_done == 2 and store.get(CONFIG) is job.run
    assert "could not be saved (" in caplog.text and "No space left" in caplog.text

"""The training engine for real (mnist_core.engine.cluster): worker processes on Dask distributed.

Each test that kills or breaks something gets an engine of its own (engine_factory), so the
shared one the other tests use never sees it. The real cluster is `dask scheduler` and two
`dask worker` processes on loopback (the dask_cluster fixture), stopped by PID.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal

from mnist_core.config import TrainConfig
from mnist_core.engine import cluster as engines
from mnist_core.engine.runstore import KILLED, RunStore
from mnist_core.store.rundir import RunDirectory
from tests.helpers import free_port

# Big enough that an epoch takes a while (it is stopped by hand), small enough to redo here.
LONG = TrainConfig(hidden=(128,), epochs=100, train_samples=20000, validation="split:0.2", seed=9)
SMALL = TrainConfig(hidden=(32,), epochs=2, train_samples=2000, validation="split:0.2", seed=3)


def curves(run) -> list:
    return [(r.loss, r.accuracy, r.val_loss, r.val_accuracy, r.test_accuracy) for r in run.history]


def reference(config: TrainConfig, epochs: int):
    """The same run trained here, in one go, never interrupted."""
    from mnist_core.training.trainer import TrainingRun

    return TrainingRun(dataclasses.replace(config, epochs=epochs)).train_to(epochs)


def epochs_on_disk(store: RunStore, config: TrainConfig) -> int:
    saved = store.disk.load(config)
    return saved.epochs_done if saved is not None else 0


def the_worker(engine) -> dict:
    (info,) = engine.worker_info().values()
    return info


def test_a_worker_warms_up_as_it_starts_and_the_first_run_uses_it(engine_factory, monkeypatch, tmp_path):
    """The worker imports TensorFlow and compiles the classic network as it starts; Home's first
    run (that network, here for one epoch) traces nothing new."""
    monkeypatch.setenv("MNIST_LAB_WARMUP", "on")  # before the worker starts: it inherits it
    engine = engine_factory()
    from mnist_core.engine import worker

    warm = engine.call(worker.describe, 600.0, timeout=900)
    assert warm["tensorflow"] and warm["warm_up_seconds"] is not None and warm["networks"] == 1
    store = RunStore(disk=RunDirectory(tmp_path / "runs"), engine=engine)
    job = store.request(dataclasses.replace(TrainConfig(), epochs=1))
    assert job.wait(300) and not job.error and job.run.epochs_done == 1
    after = engine.call(worker.describe)
    assert after["traces"] == warm["traces"] and after["pid"] == warm["pid"]


def test_a_worker_killed_mid_epoch_loses_no_finished_epoch_and_the_run_goes_on_exactly(
        engine_factory, tmp_path, wait_until):
    """SIGKILL the worker process: its nanny starts a new one, the scheduler hands it the task, and
    it carries on from the last saved epoch with the same numbers as a run never interrupted."""
    engine = engine_factory()
    store = RunStore(disk=RunDirectory(tmp_path / "runs"), engine=engine)
    job = store.request(LONG)
    wait_until(lambda: epochs_on_disk(store, LONG) >= 1, what="the first epoch on disk")
    doomed = the_worker(engine)["pid"]
    os.kill(doomed, signal.SIGKILL)
    kept = epochs_on_disk(store, LONG)
    assert 1 <= kept < LONG.epochs, "the worker was not killed mid-run"
    wait_until(lambda: epochs_on_disk(store, LONG) > kept, what="an epoch after the kill")
    job.stop()
    assert job.wait(300) and not job.error
    run = store.get(LONG)
    assert run.status == "stopped" and kept < run.epochs_done < LONG.epochs
    assert the_worker(engine)["pid"] != doomed  # a new worker process took the run over
    assert curves(run) == curves(reference(LONG, run.epochs_done))


def test_a_worker_killed_too_often_leaves_a_message_and_continue_works(engine_factory, tmp_path, wait_until):
    """When the scheduler gives up on a task (here at once: no retries allowed), the job fails
    with a plain message, the finished epochs read as a stopped run, and Continue trains on."""
    import dask
    import distributed  # noqa: F401  (its settings' defaults, before one is changed)

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        engine = engine_factory()
        engine.client()  # its scheduler reads the setting as it starts
    store = RunStore(disk=RunDirectory(tmp_path / "runs"), engine=engine)
    job = store.request(LONG)
    wait_until(lambda: epochs_on_disk(store, LONG) >= 1, what="the first epoch on disk")
    os.kill(the_worker(engine)["pid"], signal.SIGKILL)
    assert job.wait(300)
    assert job.error == KILLED and store.failure(LONG) == KILLED and store.job(LONG) is None
    saved = store.get(LONG)
    done = saved.epochs_done
    assert 1 <= done < LONG.epochs and saved.status == "stopped"
    assert f"stopped during epoch {done + 1}" in saved.message and f"the {done} finished epochs are kept" in saved.message
    more = store.request(dataclasses.replace(LONG, epochs=done + 1))  # Continue, one epoch more
    assert more.wait(300) and not more.error and store.failure(LONG) == ""
    run = store.get(LONG)
    assert run.epochs_done == done + 1 and run.status == "finished"
    assert curves(run) == curves(reference(LONG, done + 1))


def test_a_worker_stopped_for_good_is_replaced_and_runs_train_again(engine_factory, tmp_path, wait_until):
    """A nanny that failed to start its worker process (seen once on a machine too busy to start
    it in time), or gave up restarting it, is closed for good: the engine starts another."""
    from mnist_core.engine.worker import describe

    engine = engine_factory()
    first = engine.call(describe)["pid"]
    wait_until(lambda: len(engine.cluster.workers) == 1, what="the cluster to list its worker's nanny")
    (nanny,) = engine.cluster.workers.values()
    engine.cluster.sync(nanny.close)  # as a nanny leaves itself after such a failure
    wait_until(lambda: [w["pid"] for w in engine.worker_info().values()] not in ([], [first]),
               what="a new worker")
    store = RunStore(disk=RunDirectory(tmp_path / "runs"), engine=engine)
    job = store.request(SMALL)
    assert job.wait(300) and not job.error and job.run.epochs_done == SMALL.epochs


def test_an_unreachable_scheduler_is_a_clear_message_and_a_log_line(tmp_path, caplog, monkeypatch):
    monkeypatch.setenv(engines.SCHEDULER_ENV, f"tcp://127.0.0.1:{free_port()}")  # nobody listens
    engine = engines.Engine.from_environment()
    try:
        with caplog.at_level(logging.ERROR, logger="mnist_lab"):
            store = RunStore(disk=RunDirectory(tmp_path / "runs"), engine=engine)
            assert store.request(SMALL) is None
        message = store.failure(SMALL)
        assert "could not be reached" in message and engines.SCHEDULER_ENV in message
        assert "could not be reached" in caplog.text
        assert store.get(SMALL) is None and store.recent() == []  # the rest works without it
    finally:
        engine.close()


def test_two_servers_on_one_scheduler_and_one_store_train_a_run_once(dask_cluster, tmp_path):
    """Two app servers (two Dask clients) on a real `dask scheduler` with two `dask worker`
    processes, one run directory: the same run asked on both at once is one task, trained once."""
    root = tmp_path / "runs"
    a, b = (engines.Engine(address=dask_cluster.address).start() for _ in range(2))
    try:
        on_a, on_b = RunStore(disk=RunDirectory(root), engine=a), RunStore(disk=RunDirectory(root), engine=b)
        config = dataclasses.replace(SMALL, seed=41)
        first, second = on_a.request(config), on_b.request(config)
        assert first.future.key == second.future.key
        assert first.wait(300) and second.wait(300) and not first.error and not second.error
        assert on_a.get(config).epochs_done == 2 and curves(on_b.get(config)) == curves(on_a.get(config))
        key = first.future.key

        def times_started(dask_scheduler=None) -> int:
            return sum(1 for entry in dask_scheduler.transition_log if entry[0] == key and entry[2] == "processing")

        assert a.client().run_on_scheduler(times_started) == 1
        assert a.slots() == 2  # two workers, one training slot each
        others = [on_a.request(dataclasses.replace(SMALL, seed=s)) for s in (42, 43)]
        assert all(j.wait(300) and not j.error for j in others)
        seed43 = dataclasses.replace(SMALL, seed=43)
        assert curves(on_b.get(seed43)) == curves(reference(seed43, 2))  # as on this machine
    finally:
        a.close()
        b.close()


def test_a_run_saved_where_this_server_cannot_read_it_is_said(dask_cluster, tmp_path, monkeypatch):
    """Workers on other machines without the shared run directory (here: a relative path, which
    the `dask worker` processes read from their own folder) train, but the page cannot see the
    run: the job says what to fix instead of showing nothing."""
    from mnist_core.engine.runstore import UNSHARED

    monkeypatch.chdir(tmp_path)
    engine = engines.Engine(address=dask_cluster.address).start()
    try:
        store = RunStore(disk=RunDirectory("runs"), engine=engine)
        job = store.request(dataclasses.replace(SMALL, seed=44))
        assert job.wait(300)
        assert job.error == UNSHARED.format(root="runs") and "shared run directory" in store.failure(job.config)
        assert store.get(job.config) is None
    finally:
        engine.close()


def test_a_training_nobody_wants_any_more_stops_after_its_epoch(engine_factory, tmp_path, wait_until):
    """Every client that asked for a run cancelled it (or went away): the worker stops it after
    the epoch in progress, keeps its epochs, and is free for the next run."""
    from mnist_core.store.rundir import _read_meta

    engine = engine_factory()
    store = RunStore(disk=RunDirectory(tmp_path / "runs"), engine=engine)
    job = store.request(LONG)
    wait_until(lambda: epochs_on_disk(store, LONG) >= 1, what="the first epoch on disk")
    engine.cancel_all()  # as when the server that asked for it is gone
    folder = store.disk.folder(LONG)
    wait_until(lambda: _read_meta(folder)["status"] == "stopped", what="the worker to stop the run")
    assert 1 <= _read_meta(folder)["epochs"] < LONG.epochs and job.done
    after = store.request(SMALL)
    assert after.wait(300) and not after.error and after.run.epochs_done == 2


def test_a_place_in_the_queue_is_read_from_the_schedulers_tasks():
    T = engines.TaskInfo
    tasks = {"train-a": T("processing", True, (0,)), "train-b": T("processing", False, (-5,)),
             "train-c": T("processing", False, (-9,)), "train-d": T("memory", False, (0,))}
    place = engines.queue_place
    assert place(tasks, "train-a", slots=1) == 0  # training
    assert [place(tasks, k, slots=1) for k in ("train-c", "train-b")] == [1, 2]  # lower order goes first
    assert place(tasks, "train-d", slots=1) == 0 and place(tasks, "train-b", 1, done=True) == 0  # ended
    assert place(tasks, "train-new", slots=1) == 3  # asked, not on the scheduler yet: last
    assert place(tasks, "train-c", slots=2) == 0  # a free slot takes it at once: starting
    assert place(tasks, "train-b", slots=2) == 1 and place(tasks, "train-c", slots=0) == 1


def test_a_machine_that_cannot_run_the_project_is_named_with_what_it_lacks_and_the_fix():
    from mnist_core.engine import remote

    mine = remote.probe()
    assert mine["mnist_core"] and mine["versions"]["dask"]
    gone = {"host": "s1", "versions": {}, "mnist_core": None, "error": "ModuleNotFoundError: No module named 'mnist_core'"}
    older = dict(mine, host="w2", mnist_core="0.0.1", versions=dict(mine["versions"], keras="3.0.0"))
    no_keras = dict(mine, host="w3", versions=dict(mine["versions"], keras=None))
    said = engines.cluster_problems(mine, gone, {"tcp://w2:1": older, "tcp://w3:1": no_keras, "tcp://w4:1": mine})
    assert len(said) == 3  # one sentence a machine; w4 agrees in everything
    assert said[0].startswith("the Dask scheduler (host s1) cannot import mnist_core (ModuleNotFoundError")
    assert "mnist_core 0.0.1 (this app: " in said[1] and "keras 3.0.0 (this app: " in said[1]
    assert "keras None (this app: " in said[2]
    assert all("`pip install .`" in s and "restart the" in s for s in said)
    # The scheduler needs no Keras: it only reads the tasks.
    assert engines.cluster_problems(mine, dict(mine, versions=dict(mine["versions"], keras=None)), {}) == []

"""The run store: background jobs, the training queue, and the bounded cache."""

import dataclasses
import shutil
from pathlib import Path

from mnist_core.config import TrainConfig
from mnist_core.data import datasets as data
from mnist_core.engine.runstore import RunStore

SMALL = TrainConfig(hidden=(32,), epochs=2, train_samples=1000, seed=21)


def wait(job, timeout=300):  # a bound for a stuck job, generous for a busy machine
    assert job.wait(timeout), "the job did not finish"


def test_a_request_trains_in_the_background_and_is_cached():
    store = RunStore()
    job = store.request(SMALL)
    wait(job)
    assert not job.error and job.run.epochs_done == 2
    assert store.get(SMALL) is job.run
    assert store.request(SMALL) is None  # already has the epochs: nothing to do
    first_two = [r.as_dict() for r in job.run.history]
    more = store.request(dataclasses.replace(SMALL, epochs=3))  # continues the same run
    wait(more)
    assert more.run.epochs_done == 3 and [r.as_dict() for r in more.run.history[:2]] == first_two


class Looks(list):
    """The places in the queue each look found (the four jobs', then the first's place and whether it
    is done): the failure message says what was seen, not only that the order never showed."""

    def __str__(self) -> str:
        return f"the queue's order; {len(self)} looks, the first {self[:2]}, the last {self[-2:]}"


def test_one_trainer_at_a_time_the_rest_queue_in_order_and_can_cancel(wait_until):
    store = RunStore()
    # Long enough to still be training while the others queue, however slow the machine (it is
    # stopped below): 100 epochs of all 60,000 images.
    first = store.request(dataclasses.replace(SMALL, seed=1, epochs=100, train_samples=None))
    assert first.wait_started(300)
    jobs = [store.request(dataclasses.replace(SMALL, seed=seed)) for seed in (2, 3, 4, 5)]
    seen = Looks()

    def in_order() -> bool:
        seen.append([j.position for j in jobs] + [first.position, first.done])
        return seen[-1][:4] == [1, 2, 3, 4]

    # The scheduler hears of each task, and that the first one runs, within a heartbeat or so.
    wait_until(in_order, what=seen)
    assert all(j.queued for j in jobs)
    jobs[0].stop()  # cancelled while waiting: it leaves the queue at once and never trains
    assert jobs[0].done and jobs[0].run is None and store.job(jobs[0].config) is None
    assert [j.position for j in jobs[1:]] == [1, 2, 3]
    wait_until(lambda: first.run is not None and first.run.epochs_done >= 1, what="the first epoch")
    first.stop()
    wait(first)
    assert first.run.status == "stopped" and 1 <= first.run.epochs_done < 100
    for job in jobs[1:]:
        wait(job)
    assert all(j.position == 0 and j.run.epochs_done == 2 for j in jobs[1:])
    finished = [j.run.saved_at for j in jobs[1:]]
    assert finished == sorted(finished)  # one training slot: trained in the order asked for


def test_the_cache_is_bounded_and_never_drops_a_run_in_training():
    store = RunStore(max_runs=2)
    runs = []
    for seed in (4, 5, 6):
        job = store.request(dataclasses.replace(SMALL, seed=seed))
        wait(job)
        runs.append(job.run)
    kept = store.runs()
    assert len(kept) == 2 and runs[0] not in kept  # the oldest went
    assert runs[0].epochs_done == 2  # whoever holds it keeps it whole
    store.add(runs[0])  # a session can put its copy back
    assert store.get(runs[0].config) is runs[0]


def test_two_tabs_asking_for_the_same_configuration_share_one_job():
    store = RunStore()
    config = dataclasses.replace(SMALL, seed=31)
    first = store.request(config)
    second = store.request(config)  # the second tab: joins the running job
    assert second is first
    wait(first)
    assert first.run.epochs_done == 2 and store.runs() == [first.run]


def test_eviction_is_logged(caplog):
    store = RunStore(max_runs=1)
    for seed in (41, 42):
        job = store.request(dataclasses.replace(SMALL, seed=seed))
        wait(job)
        assert job.run.epochs_done == 2  # read back from the run directory, into the cache
    assert any("run cache: evicted mnist 32 relu" in r.getMessage() for r in caplog.records)


def test_concurrent_predictions_on_one_run_are_safe():
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from mnist_core.data.datasets import load_dataset

    job = RunStore().request(dataclasses.replace(SMALL, seed=43, epochs=3))
    wait(job)
    run, x = job.run, load_dataset("mnist").x_test[:300]
    expected = {epoch: run.predict(x, epoch=epoch) for epoch in (1, 2, 3)}
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda e: (e, run.predict(x, epoch=e)), [1, 2, 3] * 6))
    for epoch, probs in results:
        assert np.allclose(probs, expected[epoch], atol=1e-6)


def test_a_failed_training_is_kept_for_the_page_and_the_queue_goes_on(broken_data, engine_factory):
    """A worker whose MNIST copy lost a file: that run fails with a message that says which file;
    a Fashion-MNIST run asked for after it trains on the same worker."""
    shutil.copytree(Path(data.__file__).parent / "idx" / "fashion-mnist", broken_data / "fashion-mnist")  # whole
    store = RunStore(engine=engine_factory())
    bad = store.request(dataclasses.replace(SMALL, seed=51))
    good = store.request(dataclasses.replace(SMALL, seed=51, dataset="fashion_mnist"))
    wait(bad)
    wait(good)
    assert bad.run is None and store.job(bad.config) is None
    assert "some files are missing" in store.failure(bad.config) and "t10k-labels" in bad.error
    assert store.failure(dataclasses.replace(bad.config, seed=52)) == ""
    assert good.run.epochs_done == 2 and not good.error


def test_the_warm_up_compiles_the_classic_network_once(small_config, monkeypatch):
    from mnist_core.engine import worker
    from mnist_core.training import trainer as training

    monkeypatch.setenv("MNIST_LAB_WARMUP", "on")
    monkeypatch.setattr(training, "POOL", training.NetworkPool())
    warm = worker.WarmUp(small_config)
    assert warm.start()  # as a worker starts
    assert warm.done.wait(300) and warm.seconds is not None
    assert len(training.POOL) == 1 and not warm.start()  # compiled, and only once


def test_a_queued_runs_sentence_counts_the_learners_own_runs_apart_from_others():
    from types import SimpleNamespace as Job

    from mnist_core.engine.runstore import queue_sentence

    job = Job(position=4, queued=True)
    mine = [Job(position=0, queued=False), Job(position=2, queued=True), Job(position=6, queued=True)]
    said = queue_sentence(job, mine, at_once=1)
    assert "waits for 2 of your own runs and 2 run(s) of other learners" in said
    assert "waits for the run(s) training now" in queue_sentence(Job(position=1, queued=True), [], 1)
    assert "No training worker is ready yet" in queue_sentence(job, mine, at_once=0)

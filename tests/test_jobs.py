"""The run store: background jobs, the training queue, and the bounded cache."""

import dataclasses

from mnist_core.config import TrainConfig
from mnist_core.jobs import RunStore

SMALL = TrainConfig(hidden=(32,), epochs=2, train_samples=1000, seed=21)


def wait(job, timeout=300):  # a bound for a stuck job, generous for a busy machine
    assert job.wait(timeout), "the job did not finish"


def test_a_request_trains_in_the_background_and_is_cached():
    store = RunStore(max_concurrent=1)
    job = store.request(SMALL)
    wait(job)
    assert not job.error and job.run.epochs_done == 2
    assert store.get(SMALL) is job.run
    assert store.request(SMALL) is None  # already has the epochs: nothing to do
    more = store.request(dataclasses.replace(SMALL, epochs=3))  # continues the same run
    wait(more)
    assert more.run is job.run and job.run.epochs_done == 3


def test_one_trainer_at_a_time_the_rest_queue_in_order_and_can_cancel(wait_until):
    store = RunStore(max_concurrent=1)
    # Long enough to still be training while the others queue (it is stopped below).
    first = store.request(dataclasses.replace(SMALL, seed=1, epochs=100, train_samples=20000))
    assert first.wait_started(300)
    jobs = [store.request(dataclasses.replace(SMALL, seed=seed)) for seed in (2, 3, 4, 5)]
    assert [j.position for j in jobs] == [1, 2, 3, 4] and all(j.queued for j in jobs)
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
    began = [j.began for j in jobs[1:]]
    assert began == sorted(began)  # trained in the order they were asked for


def test_the_cache_is_bounded_and_never_drops_a_run_in_training():
    store = RunStore(max_runs=2, max_concurrent=1)
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
    store = RunStore(max_concurrent=1)
    config = dataclasses.replace(SMALL, seed=31)
    first = store.request(config)
    second = store.request(config)  # the second tab: joins the running job
    assert second is first
    wait(first)
    assert first.run.epochs_done == 2 and store.runs() == [first.run]


def test_eviction_is_logged(caplog):
    store = RunStore(max_runs=1, max_concurrent=1)
    for seed in (41, 42):
        wait(store.request(dataclasses.replace(SMALL, seed=seed)))
    assert any("run cache: evicted mnist 32 relu" in r.getMessage() for r in caplog.records)


def test_concurrent_predictions_on_one_run_are_safe():
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from mnist_core.data import load_dataset

    job = RunStore(max_concurrent=1).request(dataclasses.replace(SMALL, seed=43, epochs=3))
    wait(job)
    run, x = job.run, load_dataset("mnist").x_test[:300]
    expected = {epoch: run.predict(x, epoch=epoch) for epoch in (1, 2, 3)}
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda e: (e, run.predict(x, epoch=e)), [1, 2, 3] * 6))
    for epoch, probs in results:
        assert np.allclose(probs, expected[epoch], atol=1e-6)


def test_a_failed_training_is_kept_for_the_page(broken_data):
    store = RunStore(max_concurrent=1)
    config = dataclasses.replace(SMALL, seed=51)
    job = store.request(config)
    wait(job)
    assert job.run is None
    assert "some files are missing" in store.failure(config)
    assert store.failure(dataclasses.replace(config, seed=52)) == ""


def test_a_failing_job_does_not_stop_the_queue(monkeypatch):
    """One learner's training that raises (anything at all) leaves the workers serving the rest."""
    import mnist_core.training

    store = RunStore(max_concurrent=1)
    real = mnist_core.training.TrainingRun

    class Exploding(real):
        def train_to(self, epochs, on_epoch=None):
            if self.config.seed == 61:
                raise SystemExit("not even an Exception")  # the worker thread must survive this too
            return super().train_to(epochs, on_epoch)

    monkeypatch.setattr(mnist_core.training, "TrainingRun", Exploding)
    bad = store.request(dataclasses.replace(SMALL, seed=61))
    good = store.request(dataclasses.replace(SMALL, seed=62))
    wait(bad)
    wait(good)
    assert bad.run.epochs_done == 0 and store.job(bad.config) is None
    assert "SystemExit: not even an Exception" in store.failure(bad.config)
    assert good.run.epochs_done == 2 and not good.error


def test_the_warm_up_starts_by_itself_when_no_page_starts_it(small_config, monkeypatch):
    from mnist_core import jobs, training

    monkeypatch.setenv("MNIST_LAB_WARMUP", "on")
    monkeypatch.setattr(training, "POOL", training.NetworkPool())
    warm = jobs.WarmUp(small_config)
    warm.start_soon(0.01)  # as the server starts, and no visitor comes
    assert warm.done.wait(300) and warm.seconds is not None
    assert len(training.POOL) == 1 and not warm.start()  # compiled, and only once

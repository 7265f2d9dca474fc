"""Runs for the pages: ask for one, watch its epochs land, stop it; a bounded cache of runs.

The pages never train: they ask the `RunStore` for a configuration, the engine's
worker processes train it (mnist_core.engine.cluster, mnist_core.engine.worker) and save every
finished epoch to the run directory, and the store reads it back from there (memory
is a cache in front of the disk). A run belongs to its config's key (every field but
the epochs), so asking for more epochs extends it and fewer reads it.

Each job has an owner (a learner). The scheduler runs waiting trainings by priority:
a learner's n-th waiting job waits behind everyone's (n-1)-th, then in the order asked
(`engine.queue_priority`). So a sweep of ten runs delays a classmate's single run by at
most the run already training. A waiting job can be cancelled (it leaves the queue at
once); a running one stops after its current epoch.

Importing this module imports neither TensorFlow nor Dask; asking for a run starts the engine.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from mnist_core.config import TrainConfig
from mnist_core.engine import cluster as engines
from mnist_core.engine.transfer import KerasJobs
from mnist_core.engine.worker import train_run
from mnist_core.store.learners import Learners
from mnist_core.store.rundir import RunDirectory, RunKey

log = logging.getLogger("mnist_lab")

KILLED = ("The worker process training this run stopped (it was killed, or ran out of memory) "
          "more than once; its finished epochs are kept, and Continue trains on from the last one.")


UNSHARED = ("A worker trained this run but saved it where this server cannot read it: the app servers and "
            "the workers need one shared run directory ({root}, MNIST_LAB_RUNS on every machine).")


@dataclass(eq=False)
class Job:
    """One request to train a run up to `target` epochs: a handle on its task in the engine."""

    run_key: RunKey  # which run: made once when the request came in
    target: int
    future: object  # the task's distributed.Future
    owner: str = ""  # who asked (a learner's id); owners take turns in the queue
    error: str = ""
    _stopping: bool = False
    _ended: threading.Event = field(default_factory=threading.Event, repr=False)
    _store: RunStore | None = field(default=None, repr=False)

    @property
    def config(self) -> TrainConfig:
        return self.run_key.config

    @property
    def key(self) -> TrainConfig:
        return self.run_key.key()

    @property
    def run(self):
        """The run as its worker last saved it (None before its first epoch, unless continued)."""
        return self._store.get(self.run_key)

    @property
    def done(self) -> bool:
        return self.future.done()

    @property
    def queued(self) -> bool:
        return self.position > 0

    @property
    def position(self) -> int:
        """Place in the queue (1 = next); 0 once training or done."""
        return 0 if self.done else self._store.position(self)

    def stop(self) -> None:
        """Leave the queue, or stop after the epoch in progress (finished epochs are kept)."""
        self._stopping = True
        # Written first, for every server: nobody joins the task again while the scheduler
        # forgets it (job() reads the flag), and a worker that took it meanwhile ends at once.
        self._store.disk.set_wanted(self.run_key, self.target, stop=True)
        if self.queued:
            self._store.engine.cancel(self.future)

    @property
    def stopping(self) -> bool:
        return self._stopping and not self.done

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the job is done (True), or `timeout` seconds passed (False)."""
        return self._ended.wait(timeout)

    def wait_started(self, timeout: float = 300) -> bool:
        """Wait until a worker trains it (True), or `timeout` seconds passed, or it ended (False)."""
        deadline = time.monotonic() + timeout
        while not self.done and time.monotonic() < deadline:
            if self._store.position(self, fresh=True) == 0:
                return True
            time.sleep(0.1)  # the queue's state is read on the scheduler: poll it
        return False


class RunStore:
    """Runs by config key (memory before the disk, bounded), with at most one job per key.

    Without a run directory, a temporary one holds the runs while the server lives: the
    workers hand every epoch over through it.
    """

    def __init__(self, disk: RunDirectory | None = None, engine: engines.Engine | None = None,
                 max_runs: int = 12, max_bytes: int = 1024 * 1024 * 1024):
        if disk is None:
            root = tempfile.mkdtemp(prefix="mnist-lab-runs-")
            atexit.register(shutil.rmtree, root, True)
            disk = RunDirectory(root)
        self.disk, self.engine = disk, engine or engines.shared()
        self.disk.is_live = self._live
        self.learners = Learners(disk.root)
        self.keras = KerasJobs(self.engine)  # what a page needs of Keras, done on a worker
        self.max_runs, self.max_bytes = max_runs, max_bytes
        self._runs: OrderedDict[TrainConfig, object] = OrderedDict()
        self._stamps: dict[TrainConfig, tuple] = {}  # (run.npz version, live) each cached run matches
        self._jobs: dict[TrainConfig, Job] = {}  # the live job of each key
        self._failures: dict[TrainConfig, str] = {}  # why the last job of a key failed
        self._lock = threading.Lock()

    def _task_key(self, name: str) -> str:
        return engines.task_key(name, self.disk.root)

    def _live(self, name: str, fresh: bool = False) -> bool:
        info = self.engine.tasks(fresh=fresh).get(self._task_key(name))
        return info is not None and info.live

    def get(self, config: TrainConfig | RunKey):
        """The run of this config's key: the cached one while the disk has nothing newer, else
        read back (after a restart, an eviction, or epochs a worker trained)."""
        run_key = RunKey.of(config)
        key = run_key.key()
        with self._lock:
            run = self._runs.get(key)
            if run is not None:
                self._runs.move_to_end(key)
        version = (self.disk.stamp(run_key), self._live(run_key.name))
        if version[0] is None or version == self._stamps.get(key):
            return run
        saved = self.disk.load(run_key)
        with self._lock:
            self._stamps[key] = version
            if saved is None:
                return self._runs.get(key, run)
            self._runs[key] = saved
            self._evict()
        return saved

    def recent(self, limit: int = 30) -> list:
        """Runs with at least one epoch, on disk or in memory, the most recently saved first."""
        found = {saved.config.key(): saved for saved in self.disk.runs()}
        with self._lock:
            for key, run in reversed(self._runs.items()):
                if key not in found or run.epochs_done > found[key].epochs_done:
                    found[key] = run
        return [r for r in found.values() if r.epochs_done][:limit]

    def job(self, config: TrainConfig | RunKey) -> Job | None:
        """The job working on this config's key, if one is queued or running: this server's,
        or one another server asked for (joined, so that its progress shows here too)."""
        run_key = RunKey.of(config)
        with self._lock:
            job = self._jobs.get(run_key.key())
        if job is not None and not job.done:
            return job
        wanted = self.disk.wanted(run_key)
        if wanted["stop"] or not (self._live(run_key.name) or self._unfinished(run_key, wanted)):
            return None  # someone stopped it (its task is on its way out), or nothing to join
        if not self._live(run_key.name, fresh=True):
            return None
        return self._submit(run_key, self.disk.wanted(run_key)["target"], owner="")

    def _unfinished(self, run_key: RunKey, wanted: dict) -> bool:
        """Someone asked for more epochs of this run than it has: worth a fresh look at the queue
        even when the last view of it (up to SNAPSHOT_AGE old) did not have its task yet."""
        if not self.disk.folder(run_key).joinpath("wanted.json").exists():
            return False
        run = self.get(run_key)
        return run is None or run.epochs_done < wanted["target"]

    def failure(self, config: TrainConfig) -> str:
        """Why the last training of this config's key failed ("" if it did not)."""
        with self._lock:
            return self._failures.get(config.key(), "")

    def add(self, run) -> None:
        """Put a run in the shared cache (a stored or imported one a page made); it is served
        until the disk holds a newer save of it."""
        run_key = RunKey.of(run.config)
        key = run_key.key()
        version = (self.disk.stamp(run_key), self._live(run_key.name))
        with self._lock:
            self._runs[key] = run
            self._stamps[key] = version
            self._evict()

    def runs(self) -> list:
        with self._lock:
            return list(self._runs.values())

    @property
    def waiting(self) -> int:
        with self._lock:
            jobs = list(self._jobs.values())
        return sum(1 for job in jobs if job.queued)

    def request(self, config: TrainConfig, owner: str = "") -> Job | None:
        """Make sure `config` gets trained to config.epochs epochs.

        Returns the job doing it (a new one, or the one already queued or running for this
        key, with its target raised), or None when the run already has the epochs, cannot go
        on, or the engine is not available (`failure` says why).
        """
        run_key = RunKey.of(config.validate())  # the one place a request's settings become its key
        epochs = run_key.config.epochs
        job = self.job(run_key)
        if job is not None:
            if epochs > job.target:
                job.target = epochs
                self.disk.set_wanted(run_key, job.target)
            return job
        run = self.get(run_key)
        if run is not None and (run.epochs_done >= epochs or not run.can_continue):
            return None
        self.disk.set_wanted(run_key, epochs)
        with self._lock:
            mine = sum(1 for j in self._jobs.values() if owner and j.owner == owner and not j.done)
        return self._submit(run_key, epochs, owner, priority=engines.queue_priority(mine))

    def _submit(self, run_key: RunKey, target: int, owner: str, priority: int = 0) -> Job | None:
        key = run_key.key()
        try:
            future = self.engine.submit_training(train_run, key.to_dict(), str(self.disk.root),
                                                 self.disk.max_bytes, key=self._task_key(run_key.name),
                                                 priority=priority)
        except engines.EngineError as exc:
            with self._lock:
                self._failures[key] = str(exc)
            return None
        job = Job(run_key=run_key, target=target, future=future, owner=owner, _store=self)
        with self._lock:
            if key in self._jobs and not self._jobs[key].done:  # another page asked at the same moment
                return self._jobs[key]
            self._jobs[key] = job
            self._failures.pop(key, None)
        future.add_done_callback(lambda _f: self._finished(job))
        return job

    def position(self, job: Job, fresh: bool = False) -> int:
        """The job's place among the trainings waiting on the scheduler (0: training, or done)."""
        mine = self._task_key(job.run_key.name)
        tasks = self.engine.tasks(fresh=fresh)
        if mine not in tasks and not job.done:
            tasks = self.engine.tasks(fresh=True)  # asked since the last look
        return engines.queue_place(tasks, mine, self.engine.slots(), job.done)

    @staticmethod
    def stop_all(jobs) -> None:
        """Cancel a group of jobs as a whole (a sweep, repeats): the queued ones leave the queue
        first, so no worker starts one of them while the running ones end their epoch."""
        for job in sorted(jobs, key=lambda j: not j.queued):
            job.stop()

    def _finished(self, job: Job) -> None:
        """The task ended (in the engine's thread): keep why it failed, free the key and its task."""
        future = job.future
        if not future.cancelled() and future.status == "error":
            exc = future.exception()
            job.error = KILLED if type(exc).__name__ == "KilledWorker" else str(exc) or type(exc).__name__
        elif future.status == "finished" and future.result().get("epochs") and self.disk.stamp(job.run_key) is None:
            job.error = UNSHARED.format(root=self.disk.root)
        if job.error:
            log.warning("training %s failed: %s", job.config.describe(), job.error)
        with self._lock:
            if self._jobs.get(job.key) is job:
                del self._jobs[job.key]
            if job.error:
                self._failures[job.key] = job.error
        future.release()  # the scheduler forgets it: a later request trains again
        try:
            self.disk.enforce_bound(keep=job.run_key)
        except OSError as exc:
            log.warning("run directory: cannot keep its bound (%s)", exc)
        finally:
            job._ended.set()  # the store's books are done before anyone waiting wakes up

    def _evict(self) -> None:
        """Drop the least recently used runs (never one with a live job) until within bounds."""
        for victim in _over_bounds(self._runs, self._jobs, self.max_runs, self.max_bytes):
            run = self._runs.pop(victim)
            self._stamps.pop(victim, None)
            # A warning, so it shows in the server log with default logging settings.
            log.warning("run cache: evicted %s (%d epochs, %.1f MB); %d runs left",
                        victim.describe(), run.epochs_done, getattr(run, "memory_bytes", 0) / 2**20,
                        len(self._runs))


def _over_bounds(runs: OrderedDict, jobs: dict, max_runs: int, max_bytes: int) -> list:
    """The keys to drop, least recently used first, to bring `runs` within `max_runs` and
    `max_bytes`; a run with a job in `jobs` stays."""
    sizes = {key: getattr(run, "memory_bytes", 0) for key, run in runs.items()}
    count, total, victims = len(runs), sum(sizes.values()), []
    for key in (k for k in runs if k not in jobs):
        if not (count > max_runs or (total > max_bytes and count > 1)):
            break
        victims.append(key)
        count, total = count - 1, total - sizes[key]
    return victims


def queue_sentence(job: Job, mine: list[Job], at_once: int) -> str:
    """Where a queued job stands, in a sentence: this learner's own runs ahead of it (`mine`, their
    other jobs) apart from everyone else's, and what `at_once` workers mean for it."""
    mine_queued = sum(1 for j in mine if j.queued and j.position < job.position)
    mine_training = [j for j in mine if not j.queued]
    others = job.position - 1 - mine_queued
    ahead = []
    if mine_training or mine_queued:
        ahead.append(f"{len(mine_training) + mine_queued} of your own runs")
    if others:
        ahead.append(f"{others} run(s) of other learners")
    before = " and ".join(ahead) if ahead else "the run(s) training now"
    if not at_once:
        return ("No training worker is ready yet (one is starting, or none offers the resource "
                "train=1): this run starts as soon as one is. You can leave this page and come back.")
    return (f"The training workers train {at_once} network(s) at a time; this one waits for {before}. "
            "It starts by itself: you can leave this page and come back.")

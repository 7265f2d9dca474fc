"""Training in the background, a queue for it, and a server-wide cache of runs.

The app's pages never train in their own script run: they ask the `RunStore`
for a configuration, and a worker thread trains it while the page polls. The
workers make no Streamlit calls. A run belongs to its config's key (every field
but the epochs), so asking for more epochs extends it and fewer reads it.

Jobs wait in one queue; `max_concurrent` worker threads, at a lower CPU priority
(mnist_core.priority), take them from its front. Each job has an owner (a learner):
owners take turns, each owner's jobs in the order asked, so a learner's sweep of ten
runs delays another learner's single run by at most one run, not ten. A queued
job can be cancelled (it leaves the queue at once), a running one stopped after
its current epoch. concurrent.futures would do the queueing, but its worker
threads are not daemons: a server shutting down would first wait for every
queued training to finish. These workers are daemons and end with the server.

With a run directory (mnist_core.rundir) the store writes every run after each
finished epoch and reads runs back on demand: memory is a cache in front of the
disk, and a run another server is training shows its epochs as they land.

Importing this module does not import TensorFlow; asking for a run does.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from mnist_core.config import ConfigError, TrainConfig
from mnist_core.data import DataFileError
from mnist_core.priority import lower_thread_priority
from mnist_core.rundir import RunDirectory, SavedRun

log = logging.getLogger("mnist_lab")

ELSEWHERE = ("Another server of this app is training this network right now; "
             "its epochs show here as they finish.")
MAX_LEARNERS_IN_MEMORY = 1000


def default_concurrency() -> int:
    """Trainings allowed at once: MNIST_LAB_MAX_TRAINING, else 1 on two cores or fewer, else 2.

    Each training already uses every core, so more at once only shares them out and
    multiplies memory; waiting in line finishes everyone's run about as soon.
    """
    value = os.environ.get("MNIST_LAB_MAX_TRAINING")
    if value and value.isdigit() and int(value) > 0:
        return int(value)
    return 1 if (os.cpu_count() or 1) <= 2 else 2


class WarmUp:
    """TensorFlow, the data and the classic network's compiled code made ready in the background.

    A fresh server otherwise spends the first Train click importing TensorFlow (about 4 s on
    two cores) and compiling the network (about 2 s). `start` runs once per process in a
    low-priority thread; the entry script calls it after the first page is drawn, so that page
    is not slowed. MNIST_LAB_WARMUP=off turns it off.
    """

    def __init__(self, config: TrainConfig | None = None):
        self.config = config or TrainConfig()  # the classic network, Home's first button
        self.done = threading.Event()
        self.wanted = threading.Event()  # a job is waiting for the warm-up to end
        self.seconds: float | None = None
        self._started = False
        self._lock = threading.Lock()

    def start(self) -> bool:
        """Start the warm-up unless it ran already or is turned off; True if it started now."""
        if os.environ.get("MNIST_LAB_WARMUP", "on").lower() == "off":
            return False
        with self._lock:
            if self._started:
                return False
            self._started = True
        threading.Thread(target=self._run, daemon=True, name="warm-up").start()
        return True

    def start_soon(self, delay: float = 5.0) -> None:
        """Start after `delay` seconds unless a page starts it first. As the server starts, the
        first visitor's page is drawn before the warm-up competes with it for the interpreter
        (measured: Home took 3.1 s instead of 1.5 s beside TensorFlow's import)."""
        timer = threading.Timer(delay, self.start)
        timer.daemon = True
        timer.start()

    def wait_for(self, config: TrainConfig, timeout: float = 120) -> None:
        """A job of the warm-up's shape waits for it: compiling the same network twice at once
        would take longer than waiting for the one already under way."""
        if self._started and not self.done.is_set():
            from mnist_core.training import Network

            if Network.shape_of(config) == Network.shape_of(self.config):
                self.wanted.set()
                self.done.wait(timeout)

    def _run(self) -> None:
        lower_thread_priority()
        started = time.perf_counter()
        try:
            from mnist_core.training import warm_up

            warm_up(self.config, hurry=self.wanted.is_set)
            self.seconds = time.perf_counter() - started
            log.info("warm-up: TensorFlow, the data and the classic network ready in %.1f s", self.seconds)
        except Exception:  # a damaged data file, say: the pages report it when they need the data
            log.exception("warm-up failed")
        finally:
            self.done.set()


WARM_UP = WarmUp()


@dataclass(eq=False)
class Job:
    """One request to train a run up to `target` epochs, done by a worker thread."""

    config: TrainConfig
    target: int
    run: object | None = None  # the TrainingRun, once built
    error: str = ""
    position: int = 0  # place in the queue (1 = next); 0 once training or done
    began: float | None = None  # when a worker took it from the queue (time.monotonic)
    owner: str = ""  # who asked (a learner's id); owners take turns in the queue
    _began: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _done: threading.Event = field(default_factory=threading.Event)
    _store: RunStore | None = None

    @property
    def key(self) -> TrainConfig:
        return self.config.key()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def queued(self) -> bool:
        return self.position > 0 and not self.done

    def stop(self) -> None:
        """Leave the queue, or stop after the epoch in progress (finished epochs are kept)."""
        self._stop.set()
        if self._store is not None:
            self._store._cancel(self)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set() and not self.done

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the job is done (True), or `timeout` seconds passed (False)."""
        return self._done.wait(timeout)

    def wait_started(self, timeout: float | None = None) -> bool:
        """Wait until a worker has taken the job from the queue."""
        return self._began.wait(timeout)


class RunStore:
    """Runs by config key, bounded in count and in memory, with at most one job per key.

    Runs with a live job are never evicted. Eviction only drops the store's
    reference: a session that holds a run keeps it.
    """

    def __init__(self, max_runs: int = 12, max_bytes: int = 1024 * 1024 * 1024,
                 max_concurrent: int | None = None, disk: RunDirectory | None = None):
        self.disk = disk
        self._stamps: dict[TrainConfig, int | None] = {}  # run.npz version each cached run matches
        self._learners: OrderedDict[str, list[TrainConfig]] = OrderedDict()  # without a disk
        self._lessons: OrderedDict[str, dict] = OrderedDict()  # learners' lesson progress, without a disk
        self.max_runs = max_runs
        self.max_bytes = max_bytes
        self.max_concurrent = max_concurrent or default_concurrency()
        self._runs: OrderedDict[TrainConfig, object] = OrderedDict()
        self._jobs: dict[TrainConfig, Job] = {}  # the live job of each key
        self._waiting: deque[Job] = deque()  # in the order asked (`_order` gives the turns)
        self._turns = 0  # counts jobs taken from the queue
        self._served: dict[str, int] = {}  # owner -> the turn its last job was taken at
        self._lock = threading.Lock()
        self._work_ready = threading.Condition(self._lock)
        self._workers = 0
        self._failures: dict[TrainConfig, str] = {}  # why the last job of a key failed

    def get(self, config: TrainConfig):
        """The run of this config's key: from memory, or from disk when the disk has a newer
        version (after a restart, an eviction, or epochs another server trained); else None."""
        key = config.key()
        with self._lock:
            run = self._runs.get(key)
            if run is not None:
                self._runs.move_to_end(key)
            if self.disk is None or key in self._jobs:
                return run
        stamp = self.disk.stamp(key)
        stale_remote = isinstance(run, SavedRun) and run.elsewhere and not self.disk.locked_elsewhere(key)
        if stamp is None or (stamp == self._stamps.get(key) and not stale_remote):
            return run
        saved = self.disk.load(key)
        with self._lock:
            self._stamps[key] = stamp
            if saved is None or key in self._jobs or (run is not None and saved.epochs_done < run.epochs_done):
                return self._runs.get(key, run)
            self._runs[key] = saved
            self._evict()
        return saved

    def elsewhere(self, config: TrainConfig) -> bool:
        """True while another server trains this config's run (it cannot be trained here meanwhile)."""
        with self._lock:
            if self.disk is None or config.key() in self._jobs:
                return False
        return self.disk.locked_elsewhere(config.key())

    def recent(self, limit: int = 30) -> list:
        """Runs with at least one epoch, on disk or in memory, the most recently saved first."""
        found: dict[TrainConfig, object] = {}
        for saved in self.disk.runs() if self.disk is not None else []:
            found[saved.config.key()] = saved
        with self._lock:
            for key, run in reversed(self._runs.items()):
                if key not in found or run.epochs_done >= found[key].epochs_done:
                    found[key] = run
        return [r for r in found.values() if r.epochs_done][:limit]

    def learner_runs(self, learner: str) -> list[TrainConfig]:
        """The run configs a browser listed, by its id (kept on disk, or in memory without one)."""
        if self.disk is not None:
            return self.disk.learner_runs(learner)
        with self._lock:
            return list(self._learners.get(learner, []))

    def set_learner_runs(self, learner: str, configs: list[TrainConfig]) -> None:
        self._keep_learner("list", learner, list(configs), self._learners,
                           lambda: self.disk.set_learner_runs(learner, configs))

    def learner_lessons(self, learner: str) -> dict:
        """A browser's progress through the lessons (kept on disk, or in memory without one)."""
        if self.disk is not None:
            return self.disk.learner_lessons(learner)
        with self._lock:
            return dict(self._lessons.get(learner, {}))

    def set_learner_lessons(self, learner: str, progress: dict) -> None:
        self._keep_learner("lessons", learner, dict(progress), self._lessons,
                           lambda: self.disk.set_learner_lessons(learner, progress))

    def _keep_learner(self, what: str, learner: str, value, table: OrderedDict, save) -> None:
        """Keep a learner's `what` (their list of runs, their lessons): on disk with `save()` (a
        full or read-only disk is logged), or without a run directory in `table`, in memory, for
        the MAX_LEARNERS_IN_MEMORY most recent learners."""
        if self.disk is not None:
            try:
                save()
            except OSError as exc:
                log.warning("run directory: cannot save a learner's %s (%s)", what, exc)
            return
        with self._lock:
            table[learner] = value
            table.move_to_end(learner)
            while len(table) > MAX_LEARNERS_IN_MEMORY:
                table.popitem(last=False)

    def job(self, config: TrainConfig) -> Job | None:
        """The job working on this config's key, if one is queued or running."""
        with self._lock:
            return self._jobs.get(config.key())

    def failure(self, config: TrainConfig) -> str:
        """Why the last training of this config's key failed ("" if it did not)."""
        with self._lock:
            return self._failures.get(config.key(), "")

    def add(self, run) -> None:
        """Put a run (say a session's own, after eviction) back in the shared cache."""
        with self._lock:
            self._runs[run.config.key()] = run
            self._evict()

    def runs(self) -> list:
        with self._lock:
            return list(self._runs.values())

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def request(self, config: TrainConfig, run=None, owner: str = "") -> Job | None:
        """Make sure `config` gets trained to config.epochs epochs.

        Returns the job doing it (a new one, joining the end of the queue, or the
        one already queued or running for this key), or None when the cached run
        already has the epochs. `run` is the caller's own copy, used if the store
        has evicted its own. `owner` (a learner) decides its turn in the queue; without one
        the job is its own owner.
        """
        config = config.validate()
        key = config.key()
        if self.elsewhere(config):
            return None  # the page says so (`elsewhere`) and shows the other server's epochs
        stored = self.get(config)
        if run is None or (stored is not None and stored.epochs_done >= run.epochs_done):
            run = stored
        with self._lock:
            existing = self._jobs.get(key)
            if existing is not None:
                existing.target = max(existing.target, config.epochs)
                return existing
            cached = self._runs.get(key) if run is None else run
            if cached is not None and (cached.epochs_done >= config.epochs or not cached.can_continue):
                return None
            job = Job(config=config, target=config.epochs, run=cached, owner=owner, _store=self)
            self._jobs[key] = job
            self._failures.pop(key, None)
            self._waiting.append(job)
            self._renumber()
            if self._workers < self.max_concurrent:
                self._workers += 1
                threading.Thread(target=self._worker, daemon=True, name="trainer").start()
            self._work_ready.notify()
        return job

    def _order(self) -> list[Job]:
        """The waiting jobs in the order the workers will take them (call with the lock held).

        Owners take turns: the owner served longest ago (or never) goes next, each owner's
        own jobs in the order asked; between owners never served, the one who asked first.
        """
        lines: OrderedDict[str, deque[Job]] = OrderedDict()
        for job in self._waiting:
            lines.setdefault(job.owner or f"job {id(job)}", deque()).append(job)
        served = {owner: self._served.get(owner, 0) for owner in lines}
        order, turn = [], self._turns
        while lines:
            owner = min(lines, key=lambda o: served[o])  # min() keeps the first of equals
            order.append(lines[owner].popleft())
            turn += 1
            served[owner] = turn
            if not lines[owner]:
                del lines[owner]
        return order

    @staticmethod
    def stop_all(jobs) -> None:
        """Cancel a group of jobs as a whole (a sweep, repeats): the queued ones leave the queue
        first, so no worker starts one of them while the running ones end their epoch."""
        for job in sorted(jobs, key=lambda j: not j.queued):
            job.stop()

    def _renumber(self) -> None:
        for i, queued in enumerate(self._order(), 1):
            queued.position = i

    def _cancel(self, job: Job) -> None:
        """Take a job that has not started out of the queue (a running one sees its stop flag)."""
        with self._lock:
            if job not in self._waiting:
                return
            self._waiting.remove(job)
            job.position = 0
            self._renumber()
            self._jobs.pop(job.key, None)
        job._done.set()

    def _worker(self) -> None:
        lower_thread_priority()
        while True:
            with self._lock:
                while not self._waiting:
                    self._work_ready.wait()
                job = self._order()[0]
                self._waiting.remove(job)
                self._turns += 1
                if job.owner:
                    self._served[job.owner] = self._turns
                    if len(self._served) > MAX_LEARNERS_IN_MEMORY:  # forget the longest-served
                        del self._served[min(self._served, key=self._served.get)]
                job.position, job.began = 0, time.monotonic()
                self._renumber()
            job._began.set()
            self._train(job)

    def _train(self, job: Job) -> None:
        locked = False
        try:
            if self.disk is not None:
                locked = self.disk.acquire(job.key)
                if not locked:
                    job.error = ELSEWHERE
                    return
            job.run = self._training_run(job)
            with self._lock:
                self._runs[job.key] = job.run
                self._runs.move_to_end(job.key)
            # Train one call at a time so a raised target (more epochs asked for
            # while running) is honoured without a second job.
            while not job._stop.is_set() and job.run.can_continue and job.run.epochs_done < job.target:
                job.run.train_to(job.target, on_epoch=lambda r: self._after_epoch(job))
                if job.run.status in ("stopped", "early_stopped", "diverged"):
                    break
        except BaseException as exc:  # anything at all: kept for the page, and the worker lives on
            log.exception("training %s failed", job.config.describe())
            job.error = str(exc) if isinstance(exc, (DataFileError, ConfigError)) \
                else f"{type(exc).__name__}: {exc}"
            with self._lock:
                self._failures[job.key] = job.error
        finally:
            if locked:
                self._save(job)  # the final status
                self.disk.release(job.key)
                self.disk.enforce_bound(keep=job.key)
            # The store's books are done before anyone waiting on the job wakes up.
            with self._lock:
                self._jobs.pop(job.key, None)
                self._evict()
            job._done.set()

    def _training_run(self, job: Job):
        """The TrainingRun the job extends: its own, the newer one on disk read back, or a new one."""
        WARM_UP.wait_for(job.config)
        from mnist_core.training import TrainingRun  # the first job starts TensorFlow, in this thread

        run = job.run
        if self.disk is not None:
            saved = self.disk.load(job.key)
            if saved is not None and saved.epochs_done > (run.epochs_done if run is not None else 0):
                run = saved  # another server, or this one before a restart, trained further
        if run is None or isinstance(run, TrainingRun):
            return run or TrainingRun(job.config)
        try:
            return TrainingRun(job.config, saved=run)
        except ValueError as exc:  # its files are damaged; the same seed trains the same run again
            log.warning("run %s cannot be continued from disk (%s): training it from the start",
                        job.config.describe(), exc)
            return TrainingRun(job.config)

    def _after_epoch(self, job: Job) -> bool:
        """Save the epoch just finished; True (stop) if asked to, or if the run's lock was lost."""
        if self.disk is not None:
            if not self.disk.holds(job.key):
                log.warning("run %s: another server took its lock; stopping here", job.config.describe())
                job._stop.set()
                return True
            self._save(job)
        return job._stop.is_set()

    def _save(self, job: Job) -> None:
        """Write the job's run to disk; a full or read-only disk is logged, and training goes on."""
        if job.run is None or not job.run.epochs_done or not hasattr(job.run, "state_arrays"):
            return
        try:
            self.disk.save(job.run)
            stamp = self.disk.stamp(job.key)
        except OSError as exc:
            log.warning("run %s could not be saved (%s); it is kept in memory", job.config.describe(), exc)
            return
        with self._lock:
            self._stamps[job.key] = stamp

    def _evict(self) -> None:
        """Drop the least recently used runs (never one with a live job) until within bounds."""
        def total() -> int:
            return sum(getattr(r, "memory_bytes", 0) for r in self._runs.values())

        while len(self._runs) > self.max_runs or (total() > self.max_bytes and len(self._runs) > 1):
            victim = next((k for k in self._runs if k not in self._jobs), None)
            if victim is None:
                break
            run = self._runs.pop(victim)
            # A warning, so it shows in the server log with default logging settings.
            log.warning("run cache: evicted %s (%d epochs, %.1f MB); %d runs left",
                        victim.describe(), run.epochs_done, getattr(run, "memory_bytes", 0) / 2**20,
                        len(self._runs))

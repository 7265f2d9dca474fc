"""Training in the background, a queue for it, and a server-wide cache of runs.

The app's pages never train in their own script run: they ask the `RunStore`
for a configuration, and a worker thread trains it while the page polls. The
worker makes no Streamlit calls. A run belongs to its config's key (every field
but the epochs), so asking for more epochs extends it and fewer reads it.
Only `max_concurrent` runs train at once; the other jobs wait in line, first
come first served, and training threads run at the lowest CPU priority.

Importing this module does not import TensorFlow; starting a job does.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from mnist_core.config import ConfigError, TrainConfig
from mnist_core.data import DataFileError

log = logging.getLogger("mnist_lab")


BACKGROUND_NICE = 19  # training runs at the lowest priority: pages first


def lower_thread_priority(by: int = BACKGROUND_NICE) -> None:
    """Lower the CPU priority of the calling thread (Linux; elsewhere nothing happens).

    Threads that TensorFlow starts from this thread inherit it, so training yields
    the CPU to page requests: a new visitor's page renders quickly while a run
    trains, and the run still gets every cycle nobody else needs.
    """
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + by)
    except (AttributeError, OSError):
        pass


def in_background(fn, *args):
    """Run fn(*args) in a fresh low-priority thread and return its result (or raise its error).

    Used for the first TensorFlow work of the process, so the thread pools TensorFlow
    creates then are low-priority too.
    """
    box = {}

    def target():
        lower_thread_priority()
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # handed back to the caller
            box["error"] = exc

    thread = threading.Thread(target=target, name="background", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


_tf_started = threading.Event()


def start_tensorflow() -> None:
    """Import TensorFlow and run a first operation in a low-priority thread (once).

    TensorFlow creates its worker-thread pools at its first operation, and those
    threads keep the priority of the thread that created them. Starting it here
    makes all later training and prediction run below the threads that serve pages.
    """
    if _tf_started.is_set():
        return

    def start():
        import tensorflow as tf

        import mnist_core.training  # noqa: F401  (imports TensorFlow)

        (tf.constant([1.0]) + 1.0).numpy()

    in_background(start)
    _tf_started.set()


def default_concurrency() -> int:
    """Trainings allowed at once: MNIST_LAB_MAX_TRAINING, else 1 on two cores or fewer, else 2.

    Each training already uses every core, so more at once only shares them out and
    multiplies memory; waiting in line finishes everyone's run about as soon.
    """
    value = os.environ.get("MNIST_LAB_MAX_TRAINING")
    if value and value.isdigit() and int(value) > 0:
        return int(value)
    return 1 if (os.cpu_count() or 1) <= 2 else 2


@dataclass
class Job:
    """One request to train a run up to `target` epochs, done by a worker thread."""

    key: TrainConfig
    target: int
    run: object | None = None  # the TrainingRun, once built
    error: str = ""
    started: float = field(default_factory=time.time)
    _stop: threading.Event = field(default_factory=threading.Event)
    _done: threading.Event = field(default_factory=threading.Event)

    position: int = 0  # place in the queue (1 = next); 0 once training or done

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def queued(self) -> bool:
        return self.position > 0 and not self.done

    def stop(self) -> None:
        """Stop after the epoch in progress (finished epochs are kept), or leave the queue."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set() and not self.done

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)


class RunStore:
    """Runs by config key, bounded in count and in memory, with at most one job per key.

    Runs with a live job are never evicted. Eviction only drops the store's
    reference: a session that holds a run keeps it.
    """

    def __init__(self, max_runs: int = 12, max_bytes: int = 1024 * 1024 * 1024,
                 max_concurrent: int | None = None):
        self.max_runs = max_runs
        self.max_bytes = max_bytes
        self.max_concurrent = max_concurrent or default_concurrency()
        self._runs: OrderedDict[TrainConfig, object] = OrderedDict()
        self._jobs: dict[TrainConfig, Job] = {}
        self._lock = threading.Lock()
        self._turns = threading.Condition(self._lock)  # a trainer slot came free
        self._queue: list[Job] = []  # waiting jobs, first come first served
        self._training = 0
        self._failures: dict[TrainConfig, str] = {}  # why the last job of a key failed

    def get(self, config: TrainConfig):
        """The cached run for this config's key, or None."""
        with self._lock:
            run = self._runs.get(config.key())
            if run is not None:
                self._runs.move_to_end(config.key())
            return run

    def job(self, config: TrainConfig) -> Job | None:
        """The job working on this config's key, if one is running."""
        with self._lock:
            job = self._jobs.get(config.key())
            return job if job and not job.done else None

    def failure(self, config: TrainConfig) -> str:
        """Why the last training of this config's key failed ("" if it did not)."""
        with self._lock:
            return self._failures.get(config.key(), "")

    def add(self, run) -> None:
        """Put a run (say a session's own, after eviction) back in the shared cache."""
        with self._lock:
            self._runs[run.config.key()] = run
            self._evict()

    def request(self, config: TrainConfig, run=None) -> Job | None:
        """Make sure `config` gets trained to config.epochs epochs.

        Returns the job doing it (a new one, or the one already running for this
        key), or None when the cached run already has the epochs.
        `run` is the caller's own copy, used if the store has evicted its own.
        """
        config = config.validate()
        key = config.key()
        with self._lock:
            existing = self._jobs.get(key)
            if existing and not existing.done:
                existing.target = max(existing.target, config.epochs)
                return existing
            cached = self._runs.get(key) or run
            if cached is not None and (cached.epochs_done >= config.epochs or not cached.can_continue):
                return None
            job = Job(key=key, target=config.epochs, run=cached)
            self._jobs[key] = job
            self._failures.pop(key, None)
        threading.Thread(target=self._work, args=(job, config), daemon=True,
                         name=f"train-{config.describe()}").start()
        return job

    def _wait_for_turn(self, job: Job) -> bool:
        """Queue until a trainer slot is free; False if the job was cancelled while waiting."""
        with self._lock:
            self._queue.append(job)
            self._renumber()
            while not job._stop.is_set() and (self._queue[0] is not job
                                              or self._training >= self.max_concurrent):
                self._turns.wait(timeout=0.5)  # also wakes now and then to notice a cancel
            self._queue.remove(job)
            job.position = 0
            self._renumber()
            if job._stop.is_set():
                self._turns.notify_all()
                return False
            self._training += 1
            return True

    def _renumber(self) -> None:
        for i, queued in enumerate(self._queue, 1):
            queued.position = i

    def _work(self, job: Job, config: TrainConfig) -> None:
        lower_thread_priority()
        if not self._wait_for_turn(job):
            job._done.set()
            with self._lock:
                self._evict()
            return
        try:
            from mnist_core.training import TrainingRun

            if job.run is None:
                job.run = TrainingRun(config)
            with self._lock:
                self._runs[job.key] = job.run
                self._runs.move_to_end(job.key)
            # Train one call at a time so a raised target (more epochs asked for
            # while running) is honoured without a second job.
            while not job._stop.is_set() and job.run.can_continue and job.run.epochs_done < job.target:
                job.run.train_to(job.target, on_epoch=lambda r: job._stop.is_set())
                if job.run.status in ("stopped", "early_stopped", "diverged"):
                    break
        except Exception as exc:  # kept for the page to show (see `failure`), never lost silently
            log.exception("training %s failed", config.describe())
            job.error = str(exc) if isinstance(exc, (DataFileError, ConfigError)) \
                else f"{type(exc).__name__}: {exc}"
            with self._lock:
                self._failures[job.key] = job.error
        finally:
            job._done.set()
            with self._lock:
                self._training -= 1
                self._turns.notify_all()
                self._evict()

    def _evict(self) -> None:
        busy = {k for k, j in self._jobs.items() if not j.done}
        for k in [k for k, j in self._jobs.items() if j.done]:
            del self._jobs[k]

        def total() -> int:
            return sum(getattr(r, "memory_bytes", 0) for r in self._runs.values())

        while len(self._runs) > self.max_runs or (total() > self.max_bytes and len(self._runs) > 1):
            victim = next((k for k in self._runs if k not in busy), None)
            if victim is None:
                break
            run = self._runs.pop(victim)
            # A warning, so it shows in the server log with default logging settings.
            log.warning("run cache: evicted %s (%d epochs, %.1f MB); %d runs left",
                     victim.describe(), run.epochs_done, getattr(run, "memory_bytes", 0) / 2**20,
                     len(self._runs))

    def runs(self) -> list:
        with self._lock:
            return list(self._runs.values())

"""Where training happens: worker processes scheduled by Dask distributed.

By default the app starts a `LocalCluster` as the server starts: one worker process
per training slot (one on two cores or fewer), each importing TensorFlow, reading the
data and compiling the classic network at once (mnist_core.engine.worker), so the web
process never imports TensorFlow. `MNIST_LAB_SCHEDULER=tcp://host:8786` connects to
an existing Dask cluster instead (`dask scheduler` on one machine, `dask worker` on
any number), shared by any number of app servers.

A training is one task whose key is its run's name (`task_key`): the scheduler
merges identical keys from every client, so two servers asking for the same run get
one training. Workers say they can train one run at a time (the resource "train");
small jobs (the untrained network's accuracy, a .keras export or upload) run beside
it on a second thread, ahead of any waiting training.

Importing this module imports neither Dask nor TensorFlow; starting an engine imports Dask.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass

from mnist_core.engine import remote, worker

log = logging.getLogger("mnist_lab")

SCHEDULER_ENV = "MNIST_LAB_SCHEDULER"
TRAIN = {"train": 1}  # what a training task needs of a worker: its one training slot
PREFIX = "train-"
START_TIMEOUT = 120.0  # seconds a page waits for the engine to come up, at most
SNAPSHOT_AGE = 0.5  # seconds a view of the scheduler's queue is reused
WATCH_EVERY = 5.0  # seconds between two checks that the embedded cluster has all its workers


class EngineError(RuntimeError):
    """The engine cannot train: its scheduler is unreachable, or the cluster failed to start."""


@dataclass(frozen=True)
class TaskInfo:
    """A training task as the scheduler sees it."""

    state: str  # "queued", "processing", "memory", "erred"...
    executing: bool  # a worker is running it now (reported by the workers' heartbeats)
    order: tuple  # the scheduler's priority: lower goes first

    @property
    def live(self) -> bool:
        return self.state in ("waiting", "no-worker", "queued", "processing")


def task_key(run_name: str, root: str) -> str:
    """A training task's key: its run's name and its run directory's. Every app server on one
    store asks for a run under the same key (one training); two stores on one scheduler never
    share a task."""
    return f"{PREFIX}{run_name}-{hashlib.sha256(str(root).encode()).hexdigest()[:8]}"


_asked_lock = threading.Lock()
_last_asked = [0]


def queue_priority(turn: int) -> int:
    """Dask's priority for a learner's `turn`-th waiting training (higher goes first): turns
    first (everyone's first run before anyone's second), then the order asked, on any server.
    Two trainings asked within one millisecond on this server still get distinct, ordered values:
    with equal priorities Dask orders them as it likes (seen: the 4th asked before the 3rd)."""
    with _asked_lock:
        asked_ms = max(int((time.time() - 1.7e9) * 1000), _last_asked[0] + 1)  # below 2**40 until the 2030s
        _last_asked[0] = asked_ms
    return -(turn * 2**40 + asked_ms)


def default_workers() -> int:
    """Worker processes of the embedded cluster: MNIST_LAB_WORKERS, else 1 on two cores or fewer,
    else 2. Each training uses every core already: more at once only shares them and adds memory."""
    value = os.environ.get("MNIST_LAB_WORKERS", "")
    if value.isdigit() and 0 < int(value) <= 64:
        return int(value)
    return 1 if (os.cpu_count() or 1) <= 2 else 2


def queue_place(tasks: dict[str, TaskInfo], key: str, slots: int, done: bool = False) -> int:
    """A training's place among those waiting on the scheduler (1: next), 0 once training, about
    to start, or done. One not on the scheduler yet (just asked for) is last."""
    info = tasks.get(key)
    if done or (info is not None and (not info.live or info.executing)):
        return 0
    waiting = [k for _, k in sorted((t.order, k) for k, t in tasks.items() if t.live and not t.executing)]
    ahead = waiting.index(key) if key in waiting else len(waiting)
    # A free training slot takes the first waiting runs at once (the workers tell the scheduler
    # that one started within a heartbeat): those are starting, not queued.
    free = max(0, slots - sum(1 for t in tasks.values() if t.executing))
    return max(0, ahead + 1 - free)


INSTALL = ("install the project there with `pip install .` from the same checkout as this app "
           "(docs/deployment.md), then restart")
SCHEDULER_NEEDS = ("mnist_core", "dask", "distributed", "numpy")  # it unpickles the tasks' arguments
WORKER_NEEDS = SCHEDULER_NEEDS + ("keras", "tensorflow")


def versions(found: dict) -> dict:
    """A machine's versions as remote.probe found them, TensorFlow's CPU build counted as TensorFlow."""
    seen = dict(found["versions"], mnist_core=found.get("mnist_core"))
    seen["tensorflow"] = seen.get("tensorflow") or seen.pop("tensorflow-cpu", None)
    return seen


def cluster_problems(mine: dict, scheduler: dict | None, workers: dict[str, dict]) -> list[str]:
    """What keeps a cluster from running this app's trainings, one sentence per machine: which
    machine, what is missing or different, and the command that fixes it. [] when all agree."""
    machines = ([("the Dask scheduler", scheduler, SCHEDULER_NEEDS, "the scheduler")] if scheduler else []) + \
        [(f"the Dask worker {address}", found, WORKER_NEEDS, "the worker") for address, found in sorted(workers.items())]
    problems, here = [], versions(mine)
    for name, found, needs, command in machines:
        there = versions(found)
        where = f"{name} (host {found['host']})"
        if there["mnist_core"] is None:
            problems.append(f"{where} cannot import mnist_core ({found.get('error', 'not installed')}): "
                            f"{INSTALL} {command}.")
            continue
        differ = [f"{pkg} {there[pkg]} (this app: {here[pkg]})" for pkg in needs if there.get(pkg) != here.get(pkg)]
        if differ:
            problems.append(f"{where} has {', '.join(differ)}: {INSTALL} {command}.")
    return problems


def ask_cluster(client, workers: list[str] | None = None) -> tuple[list[str], dict]:
    """(cluster_problems of the scheduler, when `workers` is None, and of these workers, or all;
    what each worker said, by address)."""
    import cloudpickle  # Dask's own dependency: it sends `remote` by value, see there

    cloudpickle.register_pickle_by_value(remote)
    scheduler = None if workers else client.run_on_scheduler(remote.probe)
    found = client.run(remote.probe, workers=workers, on_error="return")
    found = {a: f if isinstance(f, dict) else {"host": a, "versions": {}, "mnist_core": None,
                                               "error": f"{type(f).__name__}: {f}"} for a, f in found.items()}
    return cluster_problems(remote.probe(), scheduler, found), found


def local_cluster():
    """The app's own cluster on this machine: no workers yet (`scale` adds them)."""
    import dask  # Dask loads on first use: importing the engine stays light
    from distributed import LocalCluster

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # the workers inherit the environment
    # Dask's nanny gives its workers MALLOC_TRIM_THRESHOLD_ and one thread for OpenMP, MKL and
    # OpenBLAS, against many small tasks oversubscribing the cores. A worker here runs one
    # training that should have every core, and the trim threshold cost a measured 13% of
    # its epoch speed (bench/engine_speed.py): none of those here.
    # (Set for this process: the nannies read it as they start, some after this returns.)
    dask.config.set({"distributed.nanny.pre-spawn-environ": {}})
    # A worker process starting on a machine busy with other work can take longer than Dask's
    # 30 s to reach its scheduler (seen once in the tests under heavy load): allow more.
    dask.config.set({"distributed.comm.timeouts.connect": "120s"})
    # Two threads a worker: one for its training slot, one for small jobs beside it. The
    # workers start in the background (`scale` after the client is up): the engine takes
    # requests as soon as its scheduler listens, and they wait there for the first worker.
    return LocalCluster(n_workers=0, threads_per_worker=2, processes=True, resources=dict(TRAIN),
                        dashboard_address=":0", host="127.0.0.1", silence_logs=logging.WARNING)



def replace_lost_workers(cluster, workers: int) -> None:
    """Forget a running cluster's closed or failed nannies, so that `scale` starts new ones in
    their place."""
    from distributed.core import Status  # Dask loads on first use: importing the engine stays light

    if cluster.status != Status.running:
        return
    lost = [name for name, nanny in cluster.workers.items() if nanny.status in (Status.failed, Status.closed)]
    if lost:
        log.warning("training engine: %d worker(s) stopped for good; starting new ones", len(lost))
        for name in lost:
            del cluster.workers[name]
        cluster.scale(workers)


def _warm_up_plugin():
    """A worker plugin: every worker (a restarted one too) warms up as it starts
    (mnist_core.engine.worker.WarmUp). Made here, it is sent by value, and the web process imports
    Dask's plugin class only once it starts an engine."""
    from distributed import WorkerPlugin  # Dask loads on first use: importing the engine stays light

    class WarmUpPlugin(WorkerPlugin):
        def setup(self, worker=None) -> None:
            from mnist_core.engine.worker import WARM_UP  # on the worker: the plugin travels by value

            WARM_UP.start()

    return WarmUpPlugin()


class Engine:
    """A Dask client, to an embedded LocalCluster or to the scheduler at `address`.

    `start()` returns at once; the cluster comes up in a thread. Everything else waits for
    it (at most START_TIMEOUT) and raises EngineError with a plain message if it failed.
    """

    def __init__(self, address: str | None = None, workers: int | None = None):
        self.address = address.strip() if address else None
        self.workers = workers or default_workers()
        self.error = ""
        self.cluster = None
        self._client = None
        self._ready = threading.Event()
        self._started = False
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._snapshot: tuple[float, dict[str, TaskInfo]] = (0.0, {})
        self.warnings: list[str] = []  # workers that joined later and cannot run this app's trainings
        self._known_workers: set[str] = set()
        self._queue_error = ""  # the last reason the queue could not be read, logged once
        self._slots = 0
        self._cancelled: dict[str, float] = {}  # training keys this client cancelled, and when
        self._cancel_lock = threading.Lock()

    @classmethod
    def from_environment(cls) -> Engine:
        return cls(address=os.environ.get(SCHEDULER_ENV) or None)

    @property
    def where(self) -> str:
        return f"the Dask scheduler at {self.address}" if self.address else "the app's own Dask cluster"

    def start(self) -> Engine:
        with self._lock:
            if not self._started:
                self._started = True
                threading.Thread(target=self._start, daemon=True, name="engine-start").start()
        return self

    def _start(self) -> None:
        started = time.perf_counter()
        try:
            from distributed import Client  # Dask loads on first use: importing the engine stays light

            if self.address:
                self._client = Client(self.address, timeout="10s", set_as_default=False)
            else:
                self.cluster = local_cluster()
                self._client = Client(self.cluster, set_as_default=False)
            if self.address:
                self._check_cluster()
            self._client.register_plugin(_warm_up_plugin(), name="mnist-lab-warm-up")
            if self.cluster is not None:
                self.cluster.scale(self.workers)
                threading.Thread(target=self._watch, daemon=True, name="engine-watch").start()
            log.info("training engine: %s, ready in %.1f s", self.where, time.perf_counter() - started)
        except Exception as exc:  # any failure to come up: every page that trains says it
            if isinstance(exc, EngineError):  # it came up, but cannot run this app's trainings
                self.error = str(exc)
            else:
                self.error = (f"Training is not available: {self.where} could not "
                              f"{'be reached' if self.address else 'start'} "
                              f"({type(exc).__name__}: {str(exc)[:200]}).")
                if self.address:
                    self.error += f" Check {SCHEDULER_ENV}, or unset it to train on this machine."
            log.error("training engine: %s", self.error)
            if self._client is not None:
                self._client.close()
                self._client = None
        finally:
            self._ready.set()

    def _check_cluster(self, workers: list[str] | None = None) -> None:
        """Ask the scheduler (at start) and the workers (these, or all) what they run; EngineError at
        start, saying which machine lacks what, if one cannot run this app's trainings. A worker
        that joins later and cannot is logged once and shown on Train (`warnings`)."""
        problems, found = ask_cluster(self._client, workers)
        self._known_workers |= set(found)
        if problems and workers is None:
            raise EngineError("Training is not available: " + " ".join(problems))
        for problem in problems:
            if problem not in self.warnings:
                self.warnings.append(problem)
                log.error("training engine: %s", problem)

    def _watch(self) -> None:
        """Keep the embedded cluster at its number of workers. A worker process that dies is
        restarted by its nanny; but a nanny that failed to start one (seen on a machine too busy
        to start it in time), or gave up, stays closed and nothing would train again."""
        while not self._closed.wait(WATCH_EVERY):
            try:
                self.cluster.loop.add_callback(self._replace_lost_workers)
            except Exception:  # the cluster's loop is gone: the engine is closing
                return

    def _replace_lost_workers(self) -> None:
        """In the cluster's event loop: start new workers in place of the ones stopped for good."""
        if not self._closed.is_set() and self.cluster is not None:
            replace_lost_workers(self.cluster, self.workers)

    def client(self, timeout: float = START_TIMEOUT):
        """The Dask client, once the engine is up; EngineError if it cannot be."""
        self.start()
        if not self._ready.wait(timeout):
            raise EngineError(f"Training is not available yet: {self.where} is still starting.")
        if self._client is None:
            raise EngineError(self.error)
        return self._client

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self._client is not None

    def submit_training(self, fn, *args, key: str, priority: int = 0):
        """A training task under `key`: the same key from any client is one task."""
        future = self.client().submit(fn, *args, key=key, priority=priority, resources=dict(TRAIN), pure=False)
        with self._cancel_lock:
            self._cancelled.pop(key, None)  # asked for again: in the queue as the scheduler says
        return future

    def cancel(self, future) -> None:
        """Take a waiting training out of the queue. The queue as read from here leaves it out at
        once: the cancel reaches the scheduler on Dask's batched stream, and a read of the queue
        (another connection) can overtake it."""
        with self._cancel_lock:
            self._cancelled[future.key] = time.monotonic()
            at, found = self._snapshot
            self._snapshot = (at, {k: t for k, t in found.items() if k != future.key})
        future.cancel()

    def call(self, fn, *args, timeout: float = 300):
        """Run a small job on a worker and return its result (its error is raised here)."""
        future = self.client().submit(fn, *args, priority=100, pure=False)
        try:
            return future.result(timeout=timeout)
        finally:
            future.release()

    def tasks(self, fresh: bool = False) -> dict[str, TaskInfo]:
        """The scheduler's training tasks by key, read at most every SNAPSHOT_AGE seconds
        ({} while the engine is not up)."""
        at, found = self._snapshot
        if not fresh and time.monotonic() - at < SNAPSHOT_AGE:
            return found
        if not self.ready:
            return {}
        asked = time.monotonic()  # the view's age counts from the question, not the answer
        try:
            raw, self._slots, workers = self._client.run_on_scheduler(remote.training_tasks)
            self._queue_error = ""
            if self.address and set(workers) - self._known_workers:
                self._check_cluster(sorted(set(workers) - self._known_workers))
        except Exception as exc:  # the scheduler went away: nothing is known to be training
            if str(exc) != self._queue_error:  # once, not on every poll
                self._queue_error = str(exc)
                log.warning("training engine: cannot read the queue (%s)", exc)
            raw = {}
        with self._cancel_lock:
            # A key cancelled here stays out until the scheduler has forgotten it (a minute at most).
            for key in [k for k, t in self._cancelled.items() if k not in raw or asked - t > 60]:
                del self._cancelled[key]
            found = {key: TaskInfo(*row) for key, row in raw.items() if key not in self._cancelled}
            if asked >= self._snapshot[0]:  # a slow answer never replaces a newer one
                self._snapshot = (asked, found)
        return found

    def slots(self) -> int:
        """Trainings the cluster runs at once (its workers' training slots), as last seen."""
        self.tasks()
        return self._slots

    def worker_info(self) -> dict[str, dict]:
        """Each worker process as mnist_core.engine.worker.describe() sees it (pid, memory, TensorFlow
        loaded, warm-up), by address: for benchmarks, tests and the log."""
        return self.client().run(worker.describe)

    def cancel_all(self) -> None:
        """Cancel every training this client asked for (their workers stop after the epoch)."""
        if not self.ready:
            return
        from distributed import Future  # Dask loads on first use: importing the engine stays light

        keys = [k for k in list(self._client.futures) if isinstance(k, str) and k.startswith(PREFIX)]
        if keys:
            self._client.cancel([Future(k, self._client) for k in keys], force=True)

    def close(self) -> None:
        self._closed.set()
        if self._client is not None:
            self._client.close()
        if self.cluster is not None:
            self.cluster.close()


_SHARED: Engine | None = None
_SHARED_LOCK = threading.Lock()


def shared() -> Engine:
    """This process's engine (started on first use), as MNIST_LAB_SCHEDULER says."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = Engine.from_environment()
        return _SHARED.start()

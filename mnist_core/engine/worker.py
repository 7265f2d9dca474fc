"""What the engine's worker processes run (mnist_core.engine.cluster): trainings and small jobs.

A training task trains one run, saving every finished epoch to the run directory
(mnist_core.store.rundir), which is how the pages see it. What the learners want of the
run while it trains (more epochs, a stop) is read from the run's folder after each
epoch (`RunDirectory.wanted`), so a task's arguments are only the run's key and
its directory: two servers asking for the same run submit the same task.

A worker killed mid-epoch loses that epoch only: the scheduler gives the task to
another worker (or the restarted one), which carries on from the last saved epoch
with its optimizer and random state, as if nothing had happened.

Importing this module does not import TensorFlow; the tasks do.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import threading
import time
from pathlib import Path

from mnist_core.config import ConfigError, TrainConfig
from mnist_core.data.datasets import DataFileError
from mnist_core.model.taught import TeachError
from mnist_core.store.rundir import RunDirectory, RunKey
from mnist_core.store.taught import TaughtSets, start_weights
from mnist_core.training.priority import lower_thread_priority

log = logging.getLogger("mnist_lab")


class TrainingFailed(RuntimeError):
    """A training task's error, as a plain message (it travels back to the web process)."""


class WarmUp:
    """TensorFlow, the data and the classic network's compiled code made ready in the background.

    A fresh worker otherwise spends its first training importing TensorFlow (about 4 s on two
    cores) and compiling the network (about 2 s). It runs once per worker process, in a
    low-priority thread, as the worker starts (`WarmUpPlugin`). MNIST_LAB_WARMUP=off turns it off.
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

    def wait_for(self, config: TrainConfig, timeout: float = 120) -> None:
        """A job of the warm-up's shape waits for it: compiling the same network twice at once
        would take longer than waiting for the one already under way."""
        if self._started and not self.done.is_set():
            if config.compiled_shape() == self.config.compiled_shape():
                self.wanted.set()
                self.done.wait(timeout)

    def _run(self) -> None:
        lower_thread_priority()
        started = time.perf_counter()
        try:
            from mnist_core.training.trainer import warm_up  # TensorFlow loads here, in the background

            warm_up(self.config, hurry=self.wanted.is_set)
            self.seconds = time.perf_counter() - started
            log.info("warm-up: TensorFlow, the data and the classic network ready in %.1f s", self.seconds)
        except Exception:  # a damaged data file, say: the training that needs the data reports it
            log.exception("warm-up failed")
        finally:
            self.done.set()


WARM_UP = WarmUp()


_DIRECTORIES: dict[tuple[str, int], object] = {}


def _directory(root: str, max_bytes: int):
    """This worker's RunDirectory for `root` (one per process and root)."""
    key = (root, max_bytes)
    if key not in _DIRECTORIES:
        _DIRECTORIES[key] = RunDirectory(Path(root), max_bytes=max_bytes)
    return _DIRECTORIES[key]


def train_run(key: dict, root: str, max_bytes: int) -> dict:
    """Train the run of config `key` in the directory `root` to the epochs wanted of it.

    Returns its status, epochs and message. Errors come back as TrainingFailed with a
    message for the page (a damaged data file says which file and how to fix it).
    """
    lower_thread_priority()
    try:
        run_key = RunKey.of(TrainConfig.from_dict(key))  # its name is made here, once, for this task
        disk = _directory(root, max_bytes)
        wanted = disk.wanted(run_key)
        run_key = RunKey(dataclasses.replace(run_key.config, epochs=max(1, wanted["target"])).validate(), run_key.name)
        WARM_UP.wait_for(run_key.config)
        run = _training_run(run_key, disk)
        _train(run, run_key, disk)
        disk.save(run)  # the final status (the web process keeps the directory's bound)
    except (DataFileError, ConfigError) as exc:
        raise TrainingFailed(str(exc)) from None
    except TeachError as exc:
        raise TrainingFailed(f"Cannot teach: {exc}.") from None
    except OSError as exc:  # a full or read-only disk: the pages read epochs from it, so stop
        raise TrainingFailed(f"The run directory {root} cannot be written ({exc.strerror or exc}), so "
                             "training stopped; the epochs saved before it are kept.") from None
    return {"status": run.status, "epochs": run.epochs_done, "message": run.message}


def _train(run, run_key: RunKey, disk) -> None:
    """Train one call at a time, so that more epochs asked for meanwhile are honoured."""
    def after_epoch(_result) -> bool:
        disk.save(run)
        return disk.wanted(run_key)["stop"] or _abandoned()

    while True:
        wanted = disk.wanted(run_key)
        if wanted["stop"] or _abandoned() or not run.can_continue or run.epochs_done >= wanted["target"]:
            if wanted["stop"] and run.epochs_done < wanted["target"] and run.status == "running":
                run.status, run.message = "stopped", f"Stopped after epoch {run.epochs_done}."
            return
        run.train_to(wanted["target"], on_epoch=after_epoch)
        if run.status in ("stopped", "early_stopped", "diverged"):
            return


def _abandoned() -> bool:
    """True when no client wants this task any more (every server that asked for it cancelled it
    or went away): the worker then stops after the epoch, instead of training for nobody. The
    finished epochs are kept, and Continue trains on. False outside a Dask worker."""
    try:
        from distributed import get_worker  # Dask is there on a worker; a direct call goes without
        from distributed.worker import thread_state

        task = get_worker().state.tasks.get(thread_state.key)
    except (ImportError, ValueError, AttributeError):  # called directly, not as a Dask task
        return False
    return task is None or task.state in ("cancelled", "released", "forgotten")


def _training_run(run_key: RunKey, disk):
    """The run as saved (continued exactly), or a new one; a damaged save trains from the start."""
    from mnist_core.training.trainer import TrainingRun  # TensorFlow starts here, if the warm-up has not

    config = run_key.config
    saved = disk.load(run_key)
    taught = TaughtSets(disk.root).load(config.teaching.drawings) if config.teach else None

    def new_run():
        start = start_weights(config.teaching, disk) if config.teach else None
        return TrainingRun(config, drawings=taught, start=start)

    if saved is None or not saved.epochs_done:
        return new_run()
    try:
        run = TrainingRun(config, saved=saved, drawings=taught)
        disk.saved_up_to(run_key, saved.epochs_done)
        return run
    except ValueError as exc:  # its files are damaged; the same seed trains the same run again
        log.warning("run %s cannot be continued from disk (%s): training it from the start",
                    config.describe(), exc)
        return new_run()


# --- small jobs: what a page needs of Keras, done here so the web process never imports it ---


def untrained_accuracy(config: dict) -> float:
    """Test accuracy of a config's network before training (mnist_core.training.trainer)."""
    from mnist_core.training.trainer import untrained_accuracy as measure  # TensorFlow loads here

    return measure(TrainConfig.from_dict(config))


def describe(wait_for_warm_up: float = 0.0) -> dict:
    """This worker process as plain data (tests, benchmarks, the log): its pid and memory, whether
    TensorFlow is loaded, the warm-up's time, and how often its pooled networks were traced."""
    import psutil  # Dask distributed's own dependency

    if wait_for_warm_up and WARM_UP._started:
        WARM_UP.done.wait(wait_for_warm_up)
    pool = getattr(sys.modules.get("mnist_core.training.trainer"), "POOL", None)  # None while it imports
    traces = 0 if pool is None else sum(net._batches.experimental_get_tracing_count() for net in pool._free)
    return {"pid": os.getpid(), "rss": psutil.Process().memory_info().rss,
            "tensorflow": "tensorflow" in sys.modules, "warm_up_seconds": WARM_UP.seconds,
            "networks": 0 if pool is None else len(pool), "traces": traces}


# --- a worker of a real cluster ---------------------------------------------------------------

WORKER_DEFAULTS = ["--nthreads", "2", "--resources", "train=1"]


def main(argv: list[str] | None = None) -> None:
    """`python -m mnist_core.engine.worker tcp://scheduler:8786 [dask worker options]`: `dask worker`
    with this app's defaults (one training slot, a second thread for small jobs) and without
    Dask's pre-spawn environment (see Engine._local_cluster), for a machine of a real cluster."""
    import dask  # a worker's own process: Dask is why it exists
    import distributed  # noqa: F401  (its settings' defaults, before one is changed)
    from distributed.cli.dask_worker import main as dask_worker

    args = list(sys.argv[1:] if argv is None else argv)
    for flag, value in zip(WORKER_DEFAULTS[::2], WORKER_DEFAULTS[1::2]):
        if flag not in args:
            args += [flag, value]
    with dask.config.set({"distributed.nanny.pre-spawn-environ": {}}):
        dask_worker.main(args=args, prog_name="python -m mnist_core.engine.worker")


if __name__ == "__main__":
    main()

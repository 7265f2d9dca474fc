"""Background work at low CPU priority, and TensorFlow started that way (once per process).

Training must not slow the threads that serve pages. Linux lets a thread lower
its own priority, and the threads it starts inherit it; TensorFlow creates its
worker pools at its first operation and keeps them. So TensorFlow's first
operation runs in a low-priority thread, and training threads lower their own.
"""

from __future__ import annotations

import os
import threading


def background_nice() -> int:
    """How far background threads lower their priority: MNIST_LAB_TRAINING_NICE (0-19), default 10.

    Linux shares a contended core by weight: 1024 at nice 0, 110 at nice 10, 15 at
    nice 19. At 10 a page thread gets about 90% of a core that training also wants,
    and training still gets about a tenth of a core against another program running
    at normal priority; at 19 it got 1.4%, so a busy neighbour could stall it for minutes.
    """
    value = os.environ.get("MNIST_LAB_TRAINING_NICE", "")
    return int(value) if value.isdigit() and int(value) <= 19 else 10


def lower_thread_priority(by: int | None = None) -> None:
    """Lower the CPU priority of the calling thread to `by` below the process's (Linux; elsewhere
    nothing happens).

    Threads started from this thread inherit it, so training yields the CPU to page
    requests: a new visitor's page renders quickly while a run trains, and the run
    still gets every cycle nobody else needs.
    """
    by = background_nice() if by is None else by
    try:
        tid = threading.get_native_id()
        # `by` below the process's main thread, whatever this thread was at: a worker thread
        # that trains one run after another (a Dask executor's) is lowered once, not each time.
        target = min(19, os.getpriority(os.PRIO_PROCESS, os.getpid()) + by)
        if os.getpriority(os.PRIO_PROCESS, tid) < target:
            os.setpriority(os.PRIO_PROCESS, tid, target)
    except (AttributeError, OSError):
        pass


def in_background(fn, *args):
    """Run fn(*args) in a fresh low-priority thread and return its result (or raise its error)."""
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


_started = threading.Event()
_start_lock = threading.Lock()


def _first_operation() -> None:
    import tensorflow as tf  # this module is imported where TensorFlow must not load yet

    (tf.constant([1.0]) + 1.0).numpy()


def start_tensorflow() -> None:
    """Import TensorFlow and Keras, then run a first operation in a low-priority thread (once).

    The import (seconds of work) runs in the calling thread, at its own priority: a
    page waiting for it is not slowed to the background's pace. TensorFlow creates
    its worker pools at the first operation (measured: none exist after the import,
    five threads after the first operation), so that one runs in a low-priority
    thread. `mnist_core.training.trainer` calls this before its own imports, so whoever
    imports it (a page, the job queue, a test) starts TensorFlow the same way.
    """
    with _start_lock:
        if not _started.is_set():
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep oneDNN and CPU notes out of the log
            import keras  # noqa: F401
            import tensorflow  # noqa: F401

            in_background(_first_operation)
            _started.set()

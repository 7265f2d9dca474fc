"""Background work at low CPU priority, and TensorFlow started that way (once per process).

Training must never slow the threads that serve pages. Linux lets a thread lower
its own priority, and the threads it starts inherit it; TensorFlow creates its
worker pools at its first operation and keeps them. So TensorFlow is imported and
first used in a low-priority thread, and training threads lower their own.
"""

from __future__ import annotations

import os
import threading

BACKGROUND_NICE = 19  # the lowest priority: pages first


def lower_thread_priority(by: int = BACKGROUND_NICE) -> None:
    """Lower the CPU priority of the calling thread (Linux; elsewhere nothing happens).

    Threads started from this thread inherit it, so training yields the CPU to page
    requests: a new visitor's page renders quickly while a run trains, and the run
    still gets every cycle nobody else needs.
    """
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + by)
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
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep oneDNN and CPU notes out of the log
    import keras  # noqa: F401
    import tensorflow as tf

    (tf.constant([1.0]) + 1.0).numpy()


def start_tensorflow() -> None:
    """Import TensorFlow and Keras and run a first operation in a low-priority thread (once).

    `mnist_core.training` calls this before its own imports, so whoever imports it
    (a page, the job queue, a test) starts TensorFlow the same way; the caller waits.
    """
    with _start_lock:
        if not _started.is_set():
            in_background(_first_operation)
            _started.set()

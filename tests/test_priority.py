"""Background threads at low CPU priority (mnist_core.training.priority)."""

import os
import sys
import threading

import pytest

from mnist_core.training.priority import lower_thread_priority


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread priorities are Linux's")
def test_a_thread_lowered_twice_is_lowered_once(monkeypatch):
    """A Dask executor thread trains one run after another: each run lowers it, and it must stay
    at the training priority, not sink to the lowest (where a busy neighbour stalls it)."""
    monkeypatch.setenv("MNIST_LAB_TRAINING_NICE", "10")
    seen = []

    def work():
        for _ in range(3):
            lower_thread_priority()
            seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    base = os.getpriority(os.PRIO_PROCESS, os.getpid())
    assert seen == [min(19, base + 10)] * 3


def test_trainings_asked_in_the_same_millisecond_keep_the_order_they_were_asked_in():
    from mnist_core.engine.cluster import queue_priority

    asked = [queue_priority(0) for _ in range(50)]  # far quicker than a millisecond apiece
    assert asked == sorted(asked, reverse=True) and len(set(asked)) == 50  # higher goes first
    assert queue_priority(1) < queue_priority(0)  # a second turn still waits for everyone's first

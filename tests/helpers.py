"""Helpers the tests import (conftest.py is pytest's own: imported again under another name, it
would run its settings a second time)."""


def engine_state() -> str:
    """What this process's engine sees now (its training tasks, slots, workers): for the message
    of a test that failed waiting on it."""
    from mnist_core.engine import cluster as engine

    shared = engine._SHARED
    if shared is None or not shared.ready:
        return "engine: not started"
    from concurrent.futures import ThreadPoolExecutor

    try:
        tasks = shared.tasks(fresh=True)
        pool = ThreadPoolExecutor(1)  # a worker that does not answer must not hang the report
        try:
            described = pool.submit(shared.worker_info).result(timeout=30)
        finally:
            pool.shutdown(wait=False)
        workers = {a: (w["pid"], w["rss"] >> 20) for a, w in described.items()}
    except Exception as exc:  # a report on a failure must not hide it
        return f"engine: cannot be read ({exc!r})"
    lines = [f"engine: {shared.slots()} training slots, workers (pid, MB) {workers}"]
    lines += [f"  {key}: {info}" for key, info in sorted(tasks.items(), key=lambda kv: kv[1].order)]
    return "\n".join(lines)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

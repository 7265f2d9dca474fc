"""What the app asks the Dask scheduler and workers directly, sent by value.

The engine registers this module with cloudpickle to be pickled by value, so these functions
run on a machine that cannot import mnist_core at all: that is how the app finds out, and says
so, instead of failing on every run. Keep it free of mnist_core imports (and of anything not
in the standard library or Dask itself).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import socket
import sys

# The packages whose versions must agree between the app and its cluster: a pickled task made
# by one version of them is read by another.
CHECKED = ("dask", "distributed", "numpy", "keras", "tensorflow", "tensorflow-cpu")


def training_tasks(dask_scheduler=None) -> tuple[dict, int, list]:
    """Every training task's state, whether it executes and its priority; the training slots;
    and the workers' addresses."""
    workers = dask_scheduler.workers
    running = {ts.key for ws in workers.values() for ts in ws.executing}
    slots = sum(ws.resources.get("train", 0) for ws in workers.values())
    return ({key: (ts.state, key in running, tuple(ts.priority or ()))
             for key, ts in dask_scheduler.tasks.items() if isinstance(key, str) and key.startswith("train-")},
            int(slots), sorted(workers))


def probe(dask_scheduler=None, dask_worker=None) -> dict:
    """This machine as the app needs it: its name, its Python, whether it can import mnist_core
    (and which version), and the versions of the packages in CHECKED (None: not installed)."""
    found = {"host": socket.gethostname(), "python": sys.version.split()[0], "versions": {}}
    for name in CHECKED:
        try:
            found["versions"][name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found["versions"][name] = None
    try:
        found["mnist_core"] = importlib.import_module("mnist_core").__version__
    except Exception as exc:  # any failure to import it is what the app must report
        found["mnist_core"] = None
        found["error"] = f"{type(exc).__name__}: {exc}"
    return found

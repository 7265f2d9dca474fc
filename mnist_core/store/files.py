"""The one file layer under every store: atomic writes, capped reads, and pruning the oldest.

Every store keeps its files in the run directory (MNIST_LAB_RUNS), which servers and workers
may share. So a file is always written to a temporary name beside it and renamed over the old
one (atomic on one filesystem: a reader never sees half a file); a read takes at most a stated
number of bytes (a damaged or planted file cannot make the server read gigabytes); and each
store keeps at most a stated number of files, the least recently changed going first.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger("mnist_lab")

LEARNER_ID = re.compile(r"[0-9a-f]{32}")  # a browser's id: 32 hex digits from its cookie


def is_learner_id(text) -> bool:
    return isinstance(text, str) and LEARNER_ID.fullmatch(text) is not None


def write_atomic(path: Path, write) -> None:
    """Call write(file) on a temporary file beside `path`, then rename it over `path`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes) -> None:
    write_atomic(path, lambda f: f.write(data))


def write_json(path: Path, data) -> None:
    write_bytes(path, json.dumps(data).encode())


def save_npz(path: Path, arrays: dict) -> None:
    write_atomic(path, lambda f: np.savez(f, **arrays))


def read_json(path: Path, limit: int, what: str) -> dict | None:
    """A JSON object from a file of at most `limit` bytes; None when the file is missing, and
    None with a warning naming `what` when it is larger, not JSON, or not an object."""
    try:
        with open(path, "rb") as f:
            raw = f.read(limit + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("%s: cannot read %s (%s)", what, path, exc)
        return None
    try:
        if len(raw) > limit:
            raise ValueError(f"over {limit} bytes")
        found = json.loads(raw)
        if not isinstance(found, dict):
            raise ValueError("not an object")
        return found
    except ValueError as exc:
        log.warning("%s: skipped a damaged file %s (%s)", what, path.name, exc)
        return None


def oldest_beyond(paths, keep: int) -> list[Path]:
    """Of these paths, the least recently changed ones beyond the newest `keep`."""
    dated = []
    for path in paths:
        try:
            dated.append((path.stat().st_mtime, path))
        except OSError:
            continue  # removed meanwhile by another process
    dated.sort()
    return [path for _, path in dated[: max(0, len(dated) - keep)]]


def prune(folder: Path, pattern: str, keep: int) -> list[Path]:
    """Delete the files of `folder` matching `pattern` beyond the newest `keep`; the deleted ones."""
    try:
        found = list(folder.glob(pattern))
    except OSError:
        return []
    gone = oldest_beyond(found, keep)
    for path in gone:
        path.unlink(missing_ok=True)
    return gone

"""Runs on disk: a directory that outlives the server and is shared by replicas and workers.

Layout (one folder per run, named by a hash of its config key, never by anything
a visitor typed)::

    <root>/<hash>/epoch-0000.npz   the untrained start, quantised (snapshots.py)
                  epoch-0001.npz   what epoch 1 changed; written once, never again
                  ...
                  best.npz         the exact weights of the best epoch, once it is not the last
                  run.npz          metadata (config, history, status) and the exact state:
                                   last weights, optimizer slots, random state
                  wanted.json      what the learners want of it: epochs, and a stop
                  used             its modification time is when the run was last used
    <root>/learners/<id>.json      the runs and lessons of one browser (mnist_core.store.learners)
    <root>/handwriting/*.npz       drawing sets, a browser's or a class's (mnist_core.store.handwriting)
    <root>/taught/<digest>.npz     the drawings taught runs learn (mnist_core.store.taught)

Every file is written to a temporary name and renamed over the old one (atomic on
one filesystem), epoch files before run.npz, so a reader, or a worker taking over
from one killed mid-epoch, sees every finished epoch and nothing half written.
An epoch costs one small file plus run.npz, whatever the number of epochs before it.

Who trains a run is the engine's business (mnist_core.engine.cluster: one task per run);
this directory only holds runs. Several machines share it as one shared volume
(NFS, say) mounted at the same path: renames there are atomic as here.

Nothing here imports TensorFlow: a run is read back as a `SavedRun` (mnist_core.model.runs)
that loads its weights only when asked for them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_core.config import FIELD, LATER_FIELDS, ConfigError, TrainConfig, to_text
from mnist_core.model.runs import EpochResult, SavedRun
from mnist_core.model.snapshots import EpochWeights
from mnist_core.store.files import read_json, save_npz, write_json

log = logging.getLogger("mnist_lab")

FORMAT = 1
DEFAULT_MAX_MB = 2048
MAX_META_BYTES = 4 * 1024 * 1024  # a run's metadata (100 epochs of history is about 30 kB)
_RUN_NAME = re.compile(r"^[0-9a-f]{24}$")


def default_root() -> Path:
    """The user's cache directory (XDG on Linux, ~/Library/Caches, %LOCALAPPDATA%) / mnist-lab / runs."""
    if sys.platform == "darwin":
        cache = Path.home() / "Library" / "Caches"
    elif os.name == "nt":
        cache = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "mnist-lab" / "runs"


def from_environment() -> RunDirectory | None:
    """The run directory MNIST_LAB_RUNS names (default: `default_root()`; "off": None, memory only),
    bounded by MNIST_LAB_RUNS_MAX_MB. None, with a warning in the log, if it cannot be used."""
    where = os.environ.get("MNIST_LAB_RUNS", "").strip()
    if where.lower() == "off":
        return None
    limit = os.environ.get("MNIST_LAB_RUNS_MAX_MB", "")
    max_mb = int(limit) if limit.isdigit() and int(limit) > 0 else DEFAULT_MAX_MB
    try:
        return RunDirectory(Path(where) if where else default_root(), max_bytes=max_mb * 2**20)
    except OSError as exc:
        log.warning("run directory %s cannot be used (%s): runs are kept in memory only", where, exc)
        return None


def run_name(config: TrainConfig) -> str:
    """A run's folder name: a hash of its config key (every setting but the epochs)."""
    return config.name if isinstance(config, RunKey) else _name_of(config.key())


@functools.lru_cache(maxsize=1024)
def _name_of(key: TrainConfig) -> str:
    fields = key.to_dict()
    for name in LATER_FIELDS:
        if fields[name] == to_text(FIELD[name], FIELD[name].default):
            del fields[name]
    text = json.dumps(fields, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class RunKey:
    """Which run a request is about, made once from its settings and handed down from there: the
    settings as asked (with the epochs wanted) and the run's name (a hash of every setting but the
    epochs: its folder here, its task in the engine). Everything that takes a config here takes a
    RunKey too."""

    config: TrainConfig
    name: str

    @classmethod
    def of(cls, config: TrainConfig) -> RunKey:
        return config if isinstance(config, RunKey) else cls(config, run_name(config))

    def key(self) -> TrainConfig:
        return self.config.key()

    @property
    def epochs(self) -> int:
        return self.config.epochs


def _saved_run(folder: Path, meta: dict, live: bool) -> SavedRun:
    """The run of a folder, from its metadata; its weights are read when first asked for.

    status "running" on disk while no task trains it (`live` False) means its worker or
    server stopped mid-epoch: it reads as "stopped", and Continue resumes it from the last
    finished epoch.
    """
    history = [EpochResult.from_dict(row) for row in meta["history"]]
    status, message = meta["status"], meta.get("message", "")
    if status in ("running", "ready") and not live:
        status = "stopped"
        message = (f"Training stopped during epoch {len(history) + 1} (its worker or server "
                   f"stopped); the {len(history)} finished epochs are kept.")
    return SavedRun(TrainConfig.from_dict(meta["config"]), history, status,
                    lambda: _read_state(folder, len(history)), message=message,
                    baseline=tuple(meta["baseline"]), diverged_epoch=meta.get("diverged_epoch"),
                    saved_at=float(meta.get("saved_at", 0)), folder=folder, live=live)


def _read_meta(folder: Path) -> dict:
    """run.npz's metadata; ValueError if it is missing, damaged or not ours."""
    try:
        with np.load(folder / "run.npz", allow_pickle=False) as data:
            raw = data["meta"]
            if raw.dtype != np.uint8 or raw.size > MAX_META_BYTES:
                raise ValueError("metadata of the wrong kind")
            meta = json.loads(bytes(raw).decode())
        if meta.get("format") != FORMAT or len(meta["history"]) != meta["epochs"]:
            raise ValueError(f"format {meta.get('format')!r}, not {FORMAT}")
        meta["baseline"] = [float(v) for v in meta["baseline"]]
        return meta
    except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{folder.name}: not a readable run ({exc})") from exc


def _read_state(folder: Path, epochs: int) -> tuple[EpochWeights, dict]:
    """The weights of every epoch. While a worker trains the run, run.npz may be newer than the
    metadata read before (`epochs`): its state then goes with its own epochs, all on disk before it."""
    try:
        with np.load(folder / "run.npz", allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files if k != "meta"}
            epochs = max(epochs, int(json.loads(bytes(data["meta"]).decode())["epochs"]))
        parts = []
        for epoch in range(epochs + 1):
            with np.load(folder / f"epoch-{epoch:04d}.npz", allow_pickle=False) as data:
                parts.append({k: data[k] for k in data.files})
        best = None
        if (folder / "best.npz").exists():
            with np.load(folder / "best.npz", allow_pickle=False) as data:
                if int(data["epoch"]) == int(arrays["best_epoch"]):
                    best = {k: data[k] for k in data.files}
        return EpochWeights.restore(arrays, parts, best), arrays
    except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{folder.name}: its weights cannot be read ({exc})") from exc


class RunDirectory:
    """The run folders under `root`, at most `max_bytes` of them.

    `is_live(name)`, when given, says whether a task trains the run of that folder name
    right now (the web process asks the engine); such runs read as running and are never
    deleted to keep the bound.
    """

    def __init__(self, root: str | Path, max_bytes: int = DEFAULT_MAX_MB * 2**20, is_live=None):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.is_live = is_live or (lambda name: False)
        self.root.mkdir(parents=True, exist_ok=True)
        self._written: dict[str, int] = {}  # run name -> epoch files this process has written
        self._best_written: dict[str, int] = {}  # run name -> the epoch its best.npz holds
        self._warned: set[tuple[str, float]] = set()  # damaged files already logged
        self._meta_cache: dict[str, tuple[int, dict]] = {}  # name -> (run.npz mtime_ns, meta)

    def folder(self, config: TrainConfig) -> Path:
        return self.root / run_name(config)

    # --- writing ----------------------------------------------------------------

    def save(self, run) -> None:
        """Write a TrainingRun's new epochs, then its metadata and state (call after every epoch).
        A run with no epoch yet is written only once it diverged: the page must say why."""
        if not run.epochs_done and run.status != "diverged":
            return
        name = run_name(run.config)
        folder = self.root / name
        folder.mkdir(exist_ok=True)
        start = self._written.get(name, 0) if (folder / "epoch-0000.npz").exists() else 0
        for epoch in range(start, run.epochs_done + 1):
            save_npz(folder / f"epoch-{epoch:04d}.npz", run.epoch_arrays(epoch))
        self._written[name] = run.epochs_done + 1
        best = run.best_arrays()
        if best is not None and self._best_written.get(name) != best[0]:
            save_npz(folder / "best.npz", {**best[1], "epoch": np.array(best[0], np.int64)})
            self._best_written[name] = best[0]
        meta = {"format": FORMAT, "config": run.config.to_dict(), "epochs": run.epochs_done,
                "history": [r.as_dict() for r in run.history], "status": run.status, "message": run.message,
                "diverged_epoch": run.diverged_epoch, "baseline": [run.baseline_loss, run.baseline_accuracy],
                "saved_at": time.time()}
        arrays = run.state_arrays()
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        save_npz(folder / "run.npz", arrays)
        (folder / "used").touch()

    def saved_up_to(self, config: TrainConfig, epochs: int) -> None:
        """A run continued from its folder has epochs 0..`epochs` there already: `save` writes
        only the ones after them (a worker taking over a run writes no epoch twice)."""
        self._written[run_name(config)] = epochs + 1

    # --- what the learners want of a run while it trains -----------------------------

    def wanted(self, config: TrainConfig) -> dict:
        """{"target": epochs wanted, "stop": True once someone asked it to stop}."""
        found = read_json(self.folder(config) / "wanted.json", 1000, "run directory") or {}
        try:
            return {"target": int(found["target"]), "stop": bool(found["stop"])}
        except (ValueError, KeyError, TypeError):
            return {"target": config.epochs, "stop": False}

    def set_wanted(self, config: TrainConfig, target: int, stop: bool = False) -> None:
        folder = self.folder(config)
        folder.mkdir(exist_ok=True)
        write_json(folder / "wanted.json", {"target": int(target), "stop": bool(stop)})

    # --- reading ----------------------------------------------------------------

    def stamp(self, config: TrainConfig) -> int | None:
        """When run.npz of this config last changed (ns), or None if there is none."""
        try:
            return (self.folder(config) / "run.npz").stat().st_mtime_ns
        except OSError:
            return None

    def load(self, config: TrainConfig) -> SavedRun | None:
        """The saved run of this config's key, or None (missing, or damaged: logged)."""
        run = self._open(run_name(config))
        if run is not None:
            try:
                (run.folder / "used").touch()
            except OSError:
                pass
        return run

    def open(self, name: str) -> SavedRun | None:
        """The saved run of that name (a taught run's base), or None: not a name, missing, damaged."""
        return self._open(name) if _RUN_NAME.match(str(name)) else None

    def _open(self, name: str) -> SavedRun | None:
        folder = self.root / name
        try:
            stamp = (folder / "run.npz").stat().st_mtime_ns
        except OSError:
            return None
        cached = self._meta_cache.get(name)
        try:
            meta = cached[1] if cached and cached[0] == stamp else _read_meta(folder)
            self._meta_cache[name] = (stamp, meta)
            return _saved_run(folder, meta, self.is_live(name))
        except (ValueError, KeyError, TypeError, ConfigError) as exc:
            self._warn(name, stamp, f"skipped a damaged or foreign run folder: {exc}")
            return None

    def _warn(self, name: str, stamp: float, message: str) -> None:
        if (name, stamp) not in self._warned:  # once per file version, not on every page poll
            self._warned.add((name, stamp))
            log.warning("run directory %s: %s", self.root, message)

    def runs(self) -> list[SavedRun]:
        """Every readable saved run, the most recently saved first (damaged ones skipped)."""
        found = []
        for entry in self._entries():
            if entry.is_dir() and _RUN_NAME.match(entry.name):
                run = self._open(entry.name)
                if run is not None:
                    found.append(run)
            elif entry.name not in ("learners", "classes", "handwriting", "taught") and not entry.name.startswith("."):
                self._warn(entry.name, 0, f"left alone a file that is not a run: {entry.name}")
        return sorted(found, key=lambda r: r.saved_at, reverse=True)

    def _entries(self) -> list:
        try:
            return list(os.scandir(self.root))
        except OSError as exc:
            self._warn("", 0, f"cannot be listed: {exc}")
            return []

    # --- the bound on disk ----------------------------------------------------------

    def enforce_bound(self, keep: TrainConfig | None = None) -> list[str]:
        """Delete the least recently used runs until the directory is within max_bytes.

        Never a run that a task trains (`is_live`), nor `keep`. Returns the names deleted.
        """
        sizes, used = {}, {}
        for entry in self._entries():
            if entry.is_dir() and _RUN_NAME.match(entry.name):
                sizes[entry.name], used[entry.name] = _folder_size(Path(entry.path))
        total = sum(sizes.values())
        spare = run_name(keep) if keep is not None else None
        deleted = []
        for name in sorted(sizes, key=used.get):
            if total <= self.max_bytes:
                break
            if name == spare or self.is_live(name):
                continue
            shutil.rmtree(self.root / name, ignore_errors=True)
            self._written.pop(name, None)
            self._best_written.pop(name, None)
            total -= sizes[name]
            deleted.append(name)
            log.warning("run directory: deleted run %s (%.1f MB, unused for %.0f s) to stay within %d MB",
                        name, sizes[name] / 2**20, time.time() - used[name], self.max_bytes // 2**20)
        return deleted


def _folder_size(folder: Path) -> tuple[int, float]:
    """(bytes in a run folder, when it was last used); stray temporary files are removed."""
    size, used = 0, 0.0
    for entry in os.scandir(folder):
        try:
            info = entry.stat()
        except OSError:
            continue
        if entry.name.endswith(".tmp") and time.time() - info.st_mtime > 600:
            Path(entry.path).unlink(missing_ok=True)  # left by a server killed while writing
            continue
        size += info.st_size
        if entry.name in ("used", "run.npz"):
            used = max(used, info.st_mtime)
    return size, used

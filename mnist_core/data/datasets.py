"""Load MNIST and Fashion-MNIST from the IDX files bundled with the project.

The files are the original gzip-compressed IDX releases. Each one is checked
against the SHA-256 of its uncompressed bytes before use, so a damaged file is
reported instead of training on garbage. When the bundled files are absent
(a trimmed-down install), the loader falls back to `keras.datasets`, which
downloads them.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATASETS = ("mnist", "fashion_mnist")

DATASET_TITLES = {"mnist": "MNIST digits", "fashion_mnist": "Fashion-MNIST"}

CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion_mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}

# Folder names under mnist_core/data/idx/ (they follow the original distributions).
FOLDERS = {"mnist": "mnist", "fashion_mnist": "fashion-mnist"}

_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}

# SHA-256 of the uncompressed bytes, from the datasets' README.
SHA256 = {
    "mnist/train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "mnist/train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "mnist/t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "mnist/t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    "fashion-mnist/train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "fashion-mnist/train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "fashion-mnist/t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "fashion-mnist/t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

_IDX_MAGIC = {0x00000803: 3, 0x00000801: 1}  # images: 3 dimensions, labels: 1


def data_dir() -> Path:
    """Where the bundled IDX files live; MNIST_LAB_DATA overrides it."""
    return Path(os.environ.get("MNIST_LAB_DATA", Path(__file__).parent / "idx"))


class DataFileError(RuntimeError):
    """A data file exists but cannot be used. The message names the file and the fix."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """One dataset as uint8 images (N, 28, 28) and uint8 labels (N,)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # "bundled": read from the IDX files that ship with the project

    @property
    def class_names(self) -> tuple[str, ...]:
        return CLASS_NAMES[self.name]

    @property
    def title(self) -> str:
        return DATASET_TITLES[self.name]


def parse_idx(raw: bytes, path: str = "<bytes>") -> np.ndarray:
    """Parse uncompressed IDX bytes: a big-endian header, then uint8 values."""
    if len(raw) < 8:
        raise DataFileError(f"{path}: too short to be an IDX file ({len(raw)} bytes).")
    magic = int.from_bytes(raw[:4], "big")
    if magic not in _IDX_MAGIC:
        raise DataFileError(
            f"{path}: not an IDX file of uint8 values (magic number 0x{magic:08x}, "
            "expected 0x00000803 for images or 0x00000801 for labels)."
        )
    ndim = _IDX_MAGIC[magic]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataFileError(f"{path}: the IDX header is cut short.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise DataFileError(
            f"{path}: the header promises {expected} values of shape {shape} "
            f"but the file holds {len(raw) - header}."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def read_idx_gz(path: Path, sha256: str | None = None) -> np.ndarray:
    """Read one gzip-compressed IDX file, checking its SHA-256 when one is given."""
    fix = (
        "Restore it from a fresh copy of the project (git checkout -- "
        f"{path.name}) or delete it to download the dataset instead."
    )
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFileError(f"{path}: cannot be decompressed ({exc}). {fix}") from exc
    if sha256 is not None:
        digest = hashlib.sha256(raw).hexdigest()
        if digest != sha256:
            raise DataFileError(
                f"{path}: checksum mismatch (sha256 {digest[:12]}..., expected "
                f"{sha256[:12]}...): the file is damaged or not the original. {fix}"
            )
    try:
        return parse_idx(raw, str(path))
    except DataFileError as exc:
        raise DataFileError(f"{exc} {fix}") from exc


_LOADING = threading.Lock()


def load_dataset(name: str) -> Dataset:
    """Return the whole dataset; the second call in a process is free (cached). One thread reads
    at a time: a page that asks while the server preloads it waits for that read, not a second.
    """
    with _LOADING:
        return _load_dataset(name)


@functools.cache
def _load_dataset(name: str) -> Dataset:
    """load_dataset, once per name.

    The four bundled files must all be there and intact: a missing or damaged file is an error
    that names it (the data ships with the project; nothing is downloaded).
    """
    if name not in DATASETS:
        raise ValueError(f"dataset {name!r}: choose one of {', '.join(DATASETS)}")
    folder = data_dir() / FOLDERS[name]
    paths = {key: folder / fname for key, fname in _FILES.items()}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        raise DataFileError(
            f"{folder}: some files are missing ({', '.join(missing)}). Restore the folder from the "
            "project (git checkout mnist_core/data/idx), or set MNIST_LAB_DATA to a folder that has them."
        )
    arrays = {
        key: read_idx_gz(p, SHA256.get(f"{FOLDERS[name]}/{p.name}"))
        for key, p in paths.items()
    }
    for split in ("train", "test"):
        if len(arrays[f"x_{split}"]) != len(arrays[f"y_{split}"]):
            raise DataFileError(f"{folder}: {split} images and labels differ in count.")
    return Dataset(name=name, source="bundled", **arrays)


load_dataset.cache_clear = _load_dataset.cache_clear  # tests read a changed data folder again

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from mnist_core.data import datasets as data
from mnist_core.data.datasets import DataFileError, load_dataset, parse_idx, read_idx_gz


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_bundled_datasets_load_with_the_right_shapes(name):
    ds = load_dataset(name)
    assert ds.source == "bundled"
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_train.dtype == np.uint8
    assert ds.x_test.shape == (10000, 28, 28) and ds.x_test.dtype == np.uint8
    assert ds.y_train.shape == (60000,) and ds.y_test.shape == (10000,)
    assert set(np.unique(ds.y_train)) == set(range(10))
    assert len(ds.class_names) == 10
    assert ds.x_train.max() == 255


def test_second_load_is_cached():
    assert load_dataset("mnist") is load_dataset("mnist")


def test_known_labels_and_class_names():
    # The first MNIST training image is a 5; the first Fashion-MNIST one an ankle boot.
    assert load_dataset("mnist").y_train[0] == 5
    fashion = load_dataset("fashion_mnist")
    assert fashion.class_names[fashion.y_train[0]] == "Ankle boot"


def test_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="choose one of"):
        load_dataset("cifar10")


def test_parse_idx_reads_images_and_labels():
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    assert np.array_equal(parse_idx(idx_bytes(images, 0x803)), images)
    labels = np.array([3, 1, 4])
    assert np.array_equal(parse_idx(idx_bytes(labels, 0x801)), labels)


def test_parse_idx_rejects_wrong_magic_and_truncation():
    images = np.zeros((2, 3, 4))
    with pytest.raises(DataFileError, match="magic number 0x00000999"):
        parse_idx(idx_bytes(images, 0x999))
    with pytest.raises(DataFileError, match="promises 24 values"):
        parse_idx(idx_bytes(images, 0x803)[:-5])
    with pytest.raises(DataFileError, match="too short"):
        parse_idx(b"\x00\x00")


def copy_bundle(tmp_path: Path) -> Path:
    shutil.copytree(data.data_dir() / "mnist", tmp_path / "mnist")
    return tmp_path


@pytest.fixture
def bundle(tmp_path, monkeypatch):
    root = copy_bundle(tmp_path)
    monkeypatch.setenv("MNIST_LAB_DATA", str(root))
    load_dataset.cache_clear()
    yield root
    load_dataset.cache_clear()


def test_truncated_gzip_names_the_file_and_the_fix(bundle):
    path = bundle / "mnist" / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DataFileError) as err:
        load_dataset("mnist")
    assert "t10k-labels-idx1-ubyte.gz" in str(err.value)
    assert "cannot be decompressed" in str(err.value)
    assert "git checkout" in str(err.value)


def test_changed_bytes_fail_the_checksum(bundle):
    path = bundle / "mnist" / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[100] = (raw[100] + 1) % 10
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DataFileError, match="checksum mismatch"):
        load_dataset("mnist")


def test_wrong_magic_is_reported_with_the_file(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(5), 0x1234)))
    with pytest.raises(DataFileError, match=r"x\.gz.*magic number"):
        read_idx_gz(path)


def test_a_missing_file_is_an_error_that_says_how_to_restore_it(bundle):
    (bundle / "mnist" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataFileError, match="some files are missing.*train-labels.*git checkout"):
        load_dataset("mnist")


def test_a_missing_folder_is_an_error_not_a_download(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_DATA", str(tmp_path))
    load_dataset.cache_clear()
    try:
        with pytest.raises(DataFileError, match="some files are missing"):
            load_dataset("mnist")
    finally:
        load_dataset.cache_clear()

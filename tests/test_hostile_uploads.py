"""Hostile uploads: every one is refused with the module's own error, naming the file, within budget.

The files are made here, in a few seconds: zip bombs, lying sizes, huge layers,
deep JSON, broken zips, bad names, wrong weights, huge or broken pictures. Each
goes through the app's reader in a fresh process, which reports its peak memory
growth over the call; the test holds it under MEMORY_BUDGET_MB. Time to refusal
is reported by `python -m bench.uploads`, not asserted here (no timing asserts in
unit tests).
"""

from __future__ import annotations

import copy
import functools
import io
import json
import os
import re
import struct
import subprocess
import sys
import warnings
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mnist_core.input.canvas import DrawingError, read_picture
from mnist_core.model.modelfile import (
    MAX_CONFIG_BYTES,
    MAX_MODEL_BYTES,
    Declared,
    ModelFileError,
    _read_capped,
    check_keras_file,
)

REPO = Path(__file__).resolve().parents[1]
MEMORY_BUDGET_MB = 200
MB = 2**20


# --- Keras-like files, written by hand (no Keras needed) -------------------------------------------

def layer(cls: str, **config) -> dict:
    return {"module": "keras.layers", "class_name": cls, "config": config, "registered_name": None}


def sequential(*layers: dict) -> dict:
    for i, entry in enumerate(layers):
        entry["config"].setdefault("name", f"layer_{i}")
    return {"module": "keras", "class_name": "Sequential",
            "config": {"name": "sequential", "layers": list(layers)}, "registered_name": None}


def dense_model(*units: int, inputs: int = 784, middle: tuple = ()) -> dict:
    """Input(inputs) -> middle layers -> Dense(u) for each u."""
    return sequential(layer("InputLayer", batch_shape=[None, inputs]), *middle,
                      *(layer("Dense", units=u, use_bias=True) for u in units))


def weights_file(floats: int = 7850, bomb: int = 0) -> bytes:
    """An HDF5 weights file holding `floats` float32 zeros, and, if `bomb`, a gzip dataset that
    declares `bomb` floats but stores only its fill value (a few KB)."""
    import h5py

    buf = io.BytesIO()
    with h5py.File(buf, "w") as h5:
        h5.create_dataset("layers/dense/vars/0", data=np.zeros(floats, np.float32))
        if bomb:
            h5.create_dataset("layers/dense/vars/1", shape=(bomb,), dtype=np.float32, chunks=(2**20,),
                              compression="gzip")
    return buf.getvalue()


def keras_file(config, weights: bytes | None = None, members=(), compression=zipfile.ZIP_STORED) -> bytes:
    """A .keras zip: metadata.json, config.json (a dict, str or bytes), model.weights.h5, `members`."""
    text = json.dumps(config) if isinstance(config, dict) else config
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of a duplicate name; that is the point
        archive.writestr("metadata.json", '{"keras_version": "3.15.1"}')
        archive.writestr("config.json", text)
        archive.writestr("model.weights.h5", weights_file() if weights is None else weights)
        for name, body in members:
            archive.writestr(zipfile.ZipInfo(name), body)
    return buf.getvalue()


@functools.cache
def valid_model() -> bytes:
    """784 -> Dense(10): 7,850 parameters, and 7,850 floats of weights. Passes every check."""
    return keras_file(dense_model(10))


@functools.cache
def spaces_bomb(megabytes: int = 300) -> bytes:
    """A .keras zip whose config.json is `megabytes` MB of spaces, deflated to about 0.3 MB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("model.weights.h5", weights_file())
        with archive.open("config.json", "w") as fh:
            chunk = b" " * MB
            for _ in range(megabytes):
                fh.write(chunk)
    return buf.getvalue()


def declare_size(data: bytes, member: str, size: int) -> bytes:
    """The zip with `member`'s size in the central directory (what zipfile trusts) set to `size`."""
    out, i = bytearray(data), -1
    while (i := data.find(b"PK\x01\x02", i + 1)) >= 0:
        (length,) = struct.unpack_from("<H", data, i + 28)
        if data[i + 46:i + 46 + length] == member.encode():
            struct.pack_into("<I", out, i + 24, size)
    return bytes(out)


def declare_members(data: bytes, count: int) -> bytes:
    """The zip with the member count in its end record set to `count` (a lie)."""
    out = bytearray(data)
    struct.pack_into("<HH", out, data.rfind(b"PK\x05\x06") + 8, count, count)
    return bytes(out)


def crowded(count: int = 5000) -> bytes:
    return keras_file(dense_model(10), members=[(f"assets/{i}", b"") for i in range(count)])


def with_zip64_locator(data: bytes) -> bytes:
    end = data.rfind(b"PK\x05\x06")
    return data[:end] + b"PK\x06\x07" + struct.pack("<IQI", 0, 0, 1) + data[end:]


def altered(data: bytes) -> bytes:
    """The zip with config.json's bytes changed: its CRC no longer matches."""
    start = data.find(b'"class_name"')
    return data[:start] + b"X" * 12 + data[start + 12:]


def nested_list(depth: int) -> list:
    node: list = []
    for _ in range(depth):
        node = [node]
    return node


def without_weights() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", json.dumps(dense_model(10)))
    return buf.getvalue()


# name: (how to make it, what the message must say after the file's name)
HOSTILE_MODELS = {
    "huge-dense.keras": (lambda: keras_file(dense_model(2_000_000)),
                         r"declares 1,570,000,000 parameters; models up to 5,000,000 are accepted"),
    "many-dense.keras": (lambda: keras_file(dense_model(*[1024] * 5, 10)),
                         r"declares 5,\d{3},\d{3} parameters; models up to 5,000,000"),
    "bomb.keras": (spaces_bomb, r"config.json\) unpacks to 300 MB; up to 256 KB is accepted"),
    "lying-bomb.keras": (lambda: declare_size(spaces_bomb(), "config.json", 200_000),
                         r"is a damaged zip file"),
    "lying-big.keras": (lambda: declare_size(valid_model(), "model.weights.h5", 2**31),
                        r"unpacks to 2,048 MB; models up to 40 MB unpacked"),
    "lying-weights.keras": (lambda: declare_size(valid_model(), "model.weights.h5", 20_000),
                            r"is a damaged zip file"),
    "deep.keras": (lambda: keras_file("[" * 100_000 + "]" * 100_000),
                   r"nested more than 32 levels deep"),
    "deep-layer.keras": (lambda: keras_file(dense_model(10, middle=(layer("Dropout", rate=nested_list(500)),))),
                         r"nested more than 32 levels deep"),
    "cut.keras": (lambda: valid_model()[:len(valid_model()) // 2], r"is a damaged zip file"),
    "altered.keras": (lambda: altered(valid_model()), r"is a damaged zip file"),
    "text.keras": (lambda: b"plain text " * 100, r"is not a Keras model file"),
    "traversal.keras": (lambda: keras_file(dense_model(10), members=[("../../etc/cron.d/x", b"")]),
                        r"holds a file named '../../etc/cron.d/x', a path outside the archive"),
    "absolute.keras": (lambda: keras_file(dense_model(10), members=[("/etc/passwd", b"")]),
                       r"a path outside the archive"),
    "drive.keras": (lambda: keras_file(dense_model(10), members=[("C:\\Windows\\x.dll", b"")]),
                    r"a path outside the archive"),
    "crowded.keras": (crowded, r"holds 5,003 files; a Keras model file holds 3, and up to 8 are accepted"),
    "crowded-lying.keras": (lambda: declare_members(crowded(), 3),
                            r"its zip directory is \d+ KB; up to 64 KB is accepted"),
    "zip64.keras": (lambda: with_zip64_locator(valid_model()), r"uses the ZIP64 format"),
    "twins.keras": (lambda: keras_file(dense_model(10), members=[("config.json", b"{}")]),
                    r"holds two files with the same name"),
    "bzip2.keras": (lambda: keras_file(dense_model(10), compression=zipfile.ZIP_BZIP2),
                    r"compressed in a way Keras does not write"),
    "no-weights.keras": (without_weights, r"not a Keras model \(no model.weights.h5\)"),
    "thin-weights.keras": (lambda: keras_file(dense_model(10), weights=weights_file(10)),
                           r"weights file \(model.weights.h5\) is \d+ KB; for the 7,850 parameters its "
                           r"description declares, 15 KB to 1.2 MB is accepted"),
    "fat-weights.keras": (lambda: keras_file(dense_model(10), weights=weights_file(1_000_000)),
                          r"is 3.8 MB; for the 7,850 parameters"),
    "h5-bomb.keras": (lambda: keras_file(dense_model(10), weights=weights_file(bomb=300_000_000)),
                      r"declares more than 1.2 MB of data; for the 7,850 parameters"),
    "not-h5.keras": (lambda: keras_file(dense_model(10), weights=b"\x00" * 40_000),
                     r"is not an HDF5 file that can be read"),
    "utf16.keras": (lambda: keras_file(json.dumps(dense_model(10)).encode("utf-16")), r"is not UTF-8 text"),
    "latin1.keras": (lambda: keras_file(json.dumps(dense_model(10), ensure_ascii=False).replace("layer_1", "caf\xe9")
                                        .encode("latin-1")), r"is not UTF-8 text"),
    "conv.keras": (lambda: keras_file(dense_model(10, middle=(layer("Conv2D", filters=8, kernel_size=3),))),
                   r"uses layers this app does not accept \(Conv2D\); only InputLayer, Flatten, Dense"),
    "lambda.keras": (lambda: keras_file(dense_model(10, middle=(layer("Lambda", function="x"),))),
                     r"does not accept \(Lambda\)"),
    "nested.keras": (lambda: keras_file(dense_model(10, middle=(dense_model(10),))),
                     r"does not accept \(Sequential\)"),
    "custom.keras": (lambda: keras_file(dense_model(10, middle=({"module": None, "class_name": "Doubler",
                                                                  "config": {}, "registered_name": "x>Doubler"},))),
                     r"uses classes that are not built into Keras \(Doubler\)"),
    "tall.keras": (lambda: keras_file(dense_model(10, middle=tuple(layer("Dropout", rate=0.1)
                                                                   for _ in range(1000)))),
                   r"has 1,002 layers; models up to 50 are accepted"),
    "shapeless.keras": (lambda: keras_file(dense_model(10, inputs=0)),
                        r"the sizes of layer 'layer_0' \(InputLayer\) cannot be worked out"),
    "wrong-shape.keras": (lambda: keras_file(dense_model(10, inputs=100), weights=weights_file(1010)),
                          r"maps inputs of shape \(100,\) to \(10,\)"),
}


# --- Pictures ---------------------------------------------------------------------------------------

def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@functools.cache
def huge_png(width: int = 9000, height: int = 9000) -> bytes:
    """A real, complete PNG of width x height transparent RGBA pixels: 0.3 MB that decode to 324 MB."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8 bits, RGBA
    packer, rows = zlib.compressobj(9), bytes(1 + 4 * width) * 100
    idat = b"".join(packer.compress(rows) for _ in range(height // 100))
    idat += packer.compress(bytes(1 + 4 * width) * (height % 100)) + packer.flush()
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def picture(fmt: str = "PNG", size=(200, 200), **options) -> bytes:
    noise = np.random.default_rng(0).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, format=fmt, **options)
    return buf.getvalue()


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) declares width x height."""
    data = bytearray(picture("JPEG", (16, 16)))
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def bad_crc_png(chunk: bytes = b"IHDR") -> bytes:
    """A small PNG with one byte of `chunk`'s CRC changed."""
    data = bytearray(picture("PNG", (16, 16)))
    start = data.find(chunk) - 4
    (length,) = struct.unpack_from(">I", data, start)
    data[start + 8 + length] ^= 0xFF
    return bytes(data)


def animated_png() -> bytes:
    frames = [Image.new("L", (32, 32), shade) for shade in (0, 128, 255)]
    buf = io.BytesIO()
    frames[0].save(buf, format="PNG", save_all=True, append_images=frames[1:])
    return buf.getvalue()


def largest_picture() -> bytes:
    """The dearest picture that is accepted: 4000 x 4000 RGBA (16 million pixels), decoded in full."""
    buf = io.BytesIO()
    Image.new("RGBA", (4000, 4000), (255, 255, 255, 255)).save(buf, format="PNG")
    return buf.getvalue()


HOSTILE_PICTURES = {
    "huge.png": (huge_png, r"is 9,000 x 9,000 pixels; pictures up to 4,096 px a side and 16 million pixels"),
    "wide.png": (lambda: huge_png(5000, 10), r"is 5,000 x 10 pixels; pictures up to 4,096 px a side"),
    "huge.jpg": (lambda: jpeg_declaring(5000, 5000), r"is 5,000 x 5,000 pixels; pictures up to 4,096 px"),
    "enormous.jpg": (lambda: jpeg_declaring(60000, 60000), r"has more than [\d,]+ pixels; pictures up to"),
    "bad-crc.png": (bad_crc_png, r"is a damaged PNG file \(cut short or altered\)"),
    "bad-crc-pixels.png": (lambda: bad_crc_png(b"IDAT"), r"is a damaged PNG file"),
    "no-end.png": (lambda: picture("PNG")[:-12], r"is a damaged PNG file"),
    "cut.png": (lambda: picture("PNG")[:60_000], r"is a damaged PNG file"),
    "cut.jpg": (lambda: picture("JPEG")[:5_000], r"is a damaged JPEG file"),
    "flood.png": (lambda: picture("PNG", (16, 16))[:33] + png_chunk(b"zzZz", b"") * 10_000
                  + picture("PNG", (16, 16))[33:], r"is cut into more than 10,000 PNG chunks; up to 10,000"),
    "animated.png": (animated_png, r"is an animation \(3 frames\); upload a still PNG or JPEG"),
    "noise.png": (lambda: np.random.default_rng(3).bytes(4096), r"is not a PNG or JPEG picture"),
}


# --- The budget, measured in a fresh process --------------------------------------------------------

# Peak memory: VmHWM, the process's own high-water mark, reset just before the call (writing 5 to
# /proc/self/clear_refs; if the kernel refuses, it counts from start-up: an over-estimate). Not
# ru_maxrss: on Linux it carries the parent's peak across fork and exec, so a child of a pytest
# process that has loaded TensorFlow would start at 1 GB.
PROBE = r"""
import json, sys, time
from pathlib import Path

kind, path = sys.argv[1], Path(sys.argv[2])
if kind == "picture":
    from mnist_core.input.canvas import DrawingError as Refusal, read_picture as read
else:
    from mnist_core.engine import transfer
    Refusal, read = transfer.ModelFileError, getattr(transfer, {"model": "import_keras"}.get(kind, kind))


def status_kb(key):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(key + ":"))


data = path.read_bytes()
try:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
except OSError:
    pass
before_kb = status_kb("VmRSS")
start = time.perf_counter()
try:
    read(data, path.name)
    error = None
except Refusal as exc:
    error = {"type": type(exc).__name__, "message": str(exc)}
seconds = time.perf_counter() - start
extra_mb = (status_kb("VmHWM") - before_kb) / 1024
print(json.dumps({"error": error, "seconds": seconds, "extra_mb": extra_mb, "keras_imported": "keras" in sys.modules}))
"""


def probe(kind: str, path: Path) -> dict:
    """Read the file at `path` as an upload in a fresh process ("picture": read_picture, "model":
    import_keras, or a function of mnist_core.engine.transfer by name): what it raised (the app's own error
    only), seconds around the call, and peak memory growth in MB over the RSS just before it."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run([sys.executable, "-c", PROBE, kind, str(path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{path.name}: {done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def hostile_files(folder: Path) -> list[tuple[str, Path, str]]:
    """Every hostile file, written to `folder`: (kind, path, the pattern its message must match)."""
    files = []
    for kind, cases in (("model", HOSTILE_MODELS), ("picture", HOSTILE_PICTURES)):
        for name, (make, pattern) in cases.items():
            (folder / name).write_bytes(make())
            files.append((kind, folder / name, pattern))
    return files


# --- Tests ------------------------------------------------------------------------------------------

def test_the_hand_made_model_passes_every_check():
    """So each hostile file below is refused for what was changed in it, not by accident."""
    assert check_keras_file(valid_model(), "fine.keras") == Declared(7850, (784,), (10,))


@pytest.mark.parametrize("name", HOSTILE_MODELS)
def test_hostile_models_are_refused_naming_the_file_and_the_reason(name):
    make, pattern = HOSTILE_MODELS[name]
    data = make()
    assert len(data) <= MAX_MODEL_BYTES  # each passes the size check, to be caught by a later one
    with pytest.raises(ModelFileError) as caught:
        check_keras_file(data, name)
    message = str(caught.value)
    assert message.startswith(name) and re.search(pattern, message), message


@pytest.mark.parametrize("name", HOSTILE_PICTURES)
def test_hostile_pictures_are_refused_naming_the_file_and_the_reason(name):
    make, pattern = HOSTILE_PICTURES[name]
    with pytest.raises(DrawingError) as caught:
        read_picture(make(), name)
    message = str(caught.value)
    assert message.startswith(name) and re.search(pattern, message), message


ODD_VALUES = [None, -1, 0, 2**70, 1.5, True, "x", "Dense", [], {}, [None], [None, 0], [None, 10**9], [[]],
              {"class_name": "Dense"}, {"config": None}]


def nodes(tree, path=()):
    """Every (path) in a JSON tree, the root excluded."""
    if isinstance(tree, (dict, list)):
        for key, value in (tree.items() if isinstance(tree, dict) else enumerate(tree)):
            yield path + (key,)
            yield from nodes(value, path + (key,))


def test_random_damage_is_refused_or_read_and_never_crashes():
    """Seeded fuzzing: odd values anywhere in a model's description, and random bytes changed, cut
    or added in model files and pictures, give the module's own error (or a reading), nothing else."""
    rng = np.random.default_rng(5)
    for _ in range(400):
        config = dense_model(32, 10, middle=(layer("Flatten"), layer("Dropout", rate=0.1)))
        for _ in range(rng.integers(1, 4)):
            paths = list(nodes(config))
            *parents, last = paths[rng.integers(len(paths))]
            parent = functools.reduce(lambda node, key: node[key], parents, config)
            parent[last] = copy.deepcopy(ODD_VALUES[rng.integers(len(ODD_VALUES))])
        try:
            check_keras_file(keras_file(config, weights_file(25_450)), "odd.keras")
        except ModelFileError:
            pass
    for original, read, error in ((valid_model(), check_keras_file, ModelFileError),
                                  (picture("PNG", (40, 40)), read_picture, DrawingError),
                                  (picture("JPEG", (40, 40)), read_picture, DrawingError)):
        for _ in range(300):
            data = bytearray(original)
            for _ in range(rng.integers(1, 6)):
                at = int(rng.integers(len(data)))
                data[at:at + int(rng.integers(0, 3))] = rng.bytes(int(rng.integers(0, 3)))
            try:
                read(bytes(data), "odd")
            except error:
                pass


def test_reading_stops_past_the_cap_whatever_a_member_declares():
    """zipfile stops at a member's declared size; the reader does not count on it."""
    with zipfile.ZipFile(io.BytesIO(spaces_bomb())) as archive:
        with pytest.raises(ModelFileError, match=r"bomb.keras: config.json unpacks to more than 256 KB"):
            _read_capped(archive, "config.json", MAX_CONFIG_BYTES, "bomb.keras")


def test_pictures_at_the_limits_are_read():
    assert read_picture(huge_png(4096, 8), "long.png").shape == (1, 560, 4)
    buf = io.BytesIO()
    Image.new("RGB", (4000, 4000), "white").save(buf, format="JPEG")
    assert read_picture(buf.getvalue(), "photo.jpg").shape == (560, 560, 4)


def test_every_hostile_upload_is_refused_within_the_memory_budget(tmp_path):
    """One fresh process per file, so no file's peak can hide another's. The import never reaches
    Keras (which alone takes hundreds of MB) and grows memory by under 200 MB; so does reading the
    largest picture that is accepted."""
    (tmp_path / "largest.png").write_bytes(largest_picture())
    files = hostile_files(tmp_path) + [("picture", tmp_path / "largest.png", None)]
    with ThreadPoolExecutor(max_workers=2) as pool:  # each process measures only itself
        reports = list(pool.map(lambda file: probe(file[0], file[1]), files))
    over = []
    for (kind, path, pattern), report in zip(files, reports):
        error = report["error"]
        expected = "ModelFileError" if kind == "model" else "DrawingError"
        if pattern is None:
            assert error is None, f"{path.name} was refused: {error}"
        else:
            assert error and error["type"] == expected, f"{path.name} was not refused: {report}"
            assert error["message"].startswith(path.name) and re.search(pattern, error["message"]), error
        assert not report["keras_imported"], f"{path.name} reached Keras"
        if report["extra_mb"] >= MEMORY_BUDGET_MB:
            over.append(f"{path.name}: {report['extra_mb']:.0f} MB")
    assert not over, f"over the {MEMORY_BUDGET_MB} MB budget: {over}"

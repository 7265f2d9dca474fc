"""Checking an uploaded .keras file within a budget, before Keras is imported or reads it.

`check_keras_file` looks at the file's size; the zip's directory (how many
members, their names, their declared sizes); config.json, read with a cap,
parsed and walked without recursion; only the layers a dense MNIST network
needs; its parameter count, computed from the description; 784 inputs (or
28x28) and 10 outputs; a weights file whose size fits those parameters and
whose HDF5 datasets declare no more. Every refusal is one plain sentence naming
the file and the limit (`ModelFileError`). mnist_core.engine.transfer loads a file
with Keras only after this.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
import zipfile
import zlib
from typing import NamedTuple

MAX_MODEL_BYTES = 20 * 1024 * 1024  # the largest allowed network is 16 MB in float32

# What an upload may declare; everything is checked before it is read, decompressed or built.
MAX_MEMBERS = 8  # a Keras file holds 3 (config.json, metadata.json, model.weights.h5)
MAX_DIRECTORY_BYTES = 64 * 1024  # the zip's directory of those members; 8 entries take under 1 KB
MAX_UNPACKED_BYTES = 2 * MAX_MODEL_BYTES  # Keras stores members uncompressed; weights barely compress
MAX_CONFIG_BYTES = 256 * 1024  # config.json: Keras describes 50 layers in 50 KB
MAX_JSON_DEPTH = 32  # Keras writes 7 (Sequential) to 10 (Functional) levels
MAX_LAYERS = 50  # the app's largest network has 10
MAX_PARAMS = 5_000_000  # the largest network the app trains (4 x 1024 units) has 3.96 million
# model.weights.h5 against the parameter count: at least 2 bytes each (float16); at most 32 bytes each
# (float64 with an optimizer's two slots, e.g. Adam's) plus 1 MB of HDF5 bookkeeping (3 KB a layer).
MIN_WEIGHT_BYTES, MAX_WEIGHT_BYTES, WEIGHT_FILE_OVERHEAD = 2, 32, 2**20
MAX_H5_OBJECTS = 1000  # groups and datasets in the weights file; 50 layers with Adam's slots use 400

CONFIG, WEIGHTS = "config.json", "model.weights.h5"

# The layers a dense MNIST network needs; anything else (convolutions, Lambda, nested models) is refused.
ALLOWED_LAYERS = {
    "InputLayer": "declares the input shape",
    "Flatten": "turns 28x28 pictures into 784 inputs",
    "Dense": "the network itself, and the only layer here with weights",
    "Dropout": "regularises training; does nothing at prediction",
    "Activation": "an activation (relu, softmax) written as its own layer",
    "Reshape": "784 inputs as 28x28, or back",
    "Rescaling": "scales 0-255 pixels to 0-1 inside the model",
}


class ModelFileError(ValueError):
    """An uploaded model that cannot be used; the message says why."""


class Declared(NamedTuple):
    """What an upload's description declares: its parameter count and its input and output shapes
    (without the batch axis; None when the description has several, or Keras must work them out)."""

    params: int
    inputs: tuple[int, ...] | None
    outputs: tuple[int, ...] | None


def check_shapes(name: str, inputs, outputs) -> None:
    if inputs not in ((784,), (28, 28)) or outputs != (10,):
        raise ModelFileError(f"{name} maps inputs of shape {inputs} to {outputs}; a model here must "
                             "take 784 pixels (or 28x28) and give 10 class scores")


def check_keras_file(data: bytes, name: str = "the file") -> Declared:
    """Every check that needs no Keras, each within its limit; what the file declares, or ModelFileError.

    Nothing larger than the limits allow is read, decompressed or allocated.
    """
    if len(data) > MAX_MODEL_BYTES:
        raise ModelFileError(f"{name} is {len(data) / 2**20:.1f} MB; models up to "
                             f"{MAX_MODEL_BYTES // 2**20} MB are accepted")
    _check_end_record(data, name)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_members(archive, name)
            declared = _declared(_read_config(archive, name), name)
            if declared.inputs is not None and declared.outputs is not None:
                check_shapes(name, declared.inputs, declared.outputs)
            _check_weights(archive, name, declared.params)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, struct.error, ValueError,
            NotImplementedError) as exc:  # what zipfile raises for a damaged archive (a bad CRC, ...)
        raise ModelFileError(f"{name} is a damaged zip file (cut short or altered)") from exc
    return declared


def _size(n: int) -> str:
    if n < 2**10:
        return f"{n:,} bytes"
    if n < 2**20:
        return f"{n / 2**10:.0f} KB"
    return f"{n / 2**20:,.1f}".removesuffix(".0") + " MB"


_END_RECORD = struct.Struct("<4s4H2LH")  # a zip's end-of-central-directory record


def _check_end_record(data: bytes, name: str) -> None:
    """The zip's summary at its end: member count and directory size, checked before zipfile reads
    the directory (whose size it bounds). Found the way zipfile finds it."""
    end = len(data) - _END_RECORD.size
    if not (end >= 0 and data[end:end + 4] == b"PK\x05\x06" and data[-2:] == b"\0\0"):
        end = data.rfind(b"PK\x05\x06", max(0, len(data) - _END_RECORD.size - 65535))
    if end < 0 or len(data) - end < _END_RECORD.size:
        if data.startswith(b"PK\x03\x04"):
            raise ModelFileError(f"{name} is a damaged zip file (cut short or altered)")
        raise ModelFileError(f"{name} is not a Keras model file (.keras files are zip archives "
                             "saved by model.save)")
    _, _, _, on_disk, count, directory, _, _ = _END_RECORD.unpack_from(data, end)
    if max(on_disk, count) > MAX_MEMBERS:
        raise ModelFileError(f"{name} holds {max(on_disk, count):,} files; a Keras model file holds 3, "
                             f"and up to {MAX_MEMBERS} are accepted")
    if directory > MAX_DIRECTORY_BYTES:
        raise ModelFileError(f"{name}: its zip directory is {_size(directory)}; up to "
                             f"{_size(MAX_DIRECTORY_BYTES)} is accepted")
    if end >= 20 and data[end - 20:end - 16] == b"PK\x06\x07":  # ZIP64 would override the figures above
        raise ModelFileError(f"{name} uses the ZIP64 format, which is for archives over 4 GB; "
                             f"models up to {MAX_MODEL_BYTES // 2**20} MB are accepted")


# An absolute name (/x, \x, C:x) or a '..' part: a member meant to land outside where it is unpacked.
_UNSAFE_NAME = re.compile(r"^[/\\]|^[A-Za-z]:|(^|[/\\])\.\.([/\\]|$)")


def _check_members(archive: zipfile.ZipFile, name: str) -> None:
    """Member count, names, compression and declared sizes, all from the zip's directory."""
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if len(infos) > MAX_MEMBERS:
        raise ModelFileError(f"{name} holds {len(infos):,} files; a Keras model file holds 3, "
                             f"and up to {MAX_MEMBERS} are accepted")
    for info in infos:
        if _UNSAFE_NAME.search(info.filename):
            raise ModelFileError(f"{name} holds a file named {info.filename!r}, a path outside the "
                                 "archive; only plain names are accepted")
        if info.flag_bits & 1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ModelFileError(f"{name} holds {info.filename!r} encrypted or compressed in a way Keras "
                                 "does not write; only stored or deflated files are accepted")
    if len(set(names)) < len(names):
        raise ModelFileError(f"{name} holds two files with the same name; a Keras model file does not")
    for needed in (CONFIG, WEIGHTS):
        if needed not in names:
            raise ModelFileError(f"{name} is a zip file but not a Keras model (no {needed})")
    config_size = archive.getinfo(CONFIG).file_size
    if config_size > MAX_CONFIG_BYTES:
        raise ModelFileError(f"{name}: its model description ({CONFIG}) unpacks to {_size(config_size)}; "
                             f"up to {_size(MAX_CONFIG_BYTES)} is accepted")
    total = sum(info.file_size for info in infos)
    if total > MAX_UNPACKED_BYTES:
        raise ModelFileError(f"{name} unpacks to {_size(total)}; models up to {_size(MAX_UNPACKED_BYTES)} "
                             "unpacked are accepted")


def _read_capped(archive: zipfile.ZipFile, member: str, limit: int, name: str) -> bytes:
    """A member's bytes, read in chunks and refused past `limit`, whatever size it declared."""
    chunks, size = [], 0
    with archive.open(member) as fh:
        while chunk := fh.read(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise ModelFileError(f"{name}: {member} unpacks to more than {_size(limit)}, "
                                     "the most accepted")
            chunks.append(chunk)
    return b"".join(chunks)


def _read_config(archive: zipfile.ZipFile, name: str) -> dict:
    """config.json, read with a cap, as UTF-8 JSON no deeper than MAX_JSON_DEPTH."""
    raw = _read_capped(archive, CONFIG, MAX_CONFIG_BYTES, name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{name}: its model description ({CONFIG}) is not UTF-8 text") from exc
    too_deep = (f"{name}: its model description ({CONFIG}) is nested more than {MAX_JSON_DEPTH} "
                "levels deep, the most accepted")
    try:
        config = json.loads(text)
    except RecursionError as exc:  # the parser gives up near 1,000 levels; the walk below, at 32
        raise ModelFileError(too_deep) from exc
    except ValueError as exc:
        raise ModelFileError(f"{name}: its model description cannot be read") from exc
    if _depth(config) > MAX_JSON_DEPTH:
        raise ModelFileError(too_deep)
    if not isinstance(config, dict):
        raise ModelFileError(f"{name}: its model description does not describe a Keras model")
    return config


def _depth(node) -> int:
    """How deeply lists and dicts nest in parsed JSON, without recursion; stops past MAX_JSON_DEPTH."""
    deepest, stack = 0, [(node, 1)]
    while stack and deepest <= MAX_JSON_DEPTH:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((value, depth + 1) for value in (item.values() if isinstance(item, dict) else item))
    return deepest


def _custom_classes(config: dict) -> list[str]:
    """Names of the classes in the description that Keras would look for outside its own modules."""
    found, stack = set(), [config]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            module = str(node.get("module"))
            if "class_name" in node and "module" in node and not (module == "keras"
                                                                   or module.startswith("keras.")):
                found.add(str(node["class_name"]))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(found)


def _declared(config: dict, name: str) -> Declared:
    """Refuse what is not a dense network of allowed layers; else what it declares."""
    custom = _custom_classes(config)
    if custom:
        raise ModelFileError(f"{name} uses classes that are not built into Keras ({', '.join(custom)}); "
                             "only standard layers are accepted")
    kind, body = config.get("class_name"), config.get("config")
    layers = body.get("layers") if isinstance(body, dict) else None
    if (kind not in ("Sequential", "Functional") or not isinstance(layers, list)
            or not all(isinstance(layer, dict) for layer in layers)):
        raise ModelFileError(f"{name} does not describe a Sequential or Functional Keras model")
    if len(layers) > MAX_LAYERS:
        raise ModelFileError(f"{name} has {len(layers):,} layers; models up to {MAX_LAYERS} are accepted")
    other = sorted({str(layer.get("class_name")) for layer in layers} - set(ALLOWED_LAYERS))
    if other:
        raise ModelFileError(f"{name} uses layers this app does not accept ({', '.join(other)}); "
                             f"only {', '.join(ALLOWED_LAYERS)} are accepted")
    return _trace(kind, body, layers, name)


def _trace(kind: str, body: dict, layers: list[dict], name: str) -> Declared:
    """Follow the shape from the input through every layer, adding up the weights of Dense layers.

    A Sequential model's layers run in order; a Functional model's layers must each be called
    once, on one other layer (the description names it), as in a plain stack.
    """
    first = layers[0].get("config") if layers else None
    first = first if isinstance(first, dict) else {}
    shape = _dims(body.get("build_input_shape") or first.get("batch_input_shape"))
    inputs, shapes, params = shape, {}, 0
    for i, layer in enumerate(layers):
        cls, cfg = layer["class_name"], layer.get("config")
        cfg = cfg if isinstance(cfg, dict) else {}
        label = str(layer.get("name", cfg.get("name", i)))
        if kind == "Functional" and cls != "InputLayer":
            shape = shapes.get(_source(layer))
        shape, weights = _layer_output(cls, cfg, shape)
        if shape is None or label in shapes:
            raise ModelFileError(f"{name}: the sizes of layer {label!r} ({cls}) cannot be worked out "
                                 "from its description")
        if cls == "InputLayer" and inputs is None:
            inputs = shape
        params += weights
        shapes[label] = shape
    if params > MAX_PARAMS:
        raise ModelFileError(f"{name} declares {params:,} parameters; models up to {MAX_PARAMS:,} "
                             "are accepted")
    if kind == "Sequential":
        return Declared(params, inputs, shape)
    if sum(layer["class_name"] == "InputLayer" for layer in layers) != 1:
        inputs = None
    out = body.get("output_layers")
    if isinstance(out, list) and len(out) == 1 and isinstance(out[0], list):
        out = out[0]  # one output, written as a list of one
    outputs = shapes.get(out[0]) if isinstance(out, list) and out and isinstance(out[0], str) else None
    return Declared(params, inputs, outputs)


def _source(layer: dict) -> str | None:
    """The layer a Functional model's layer is called on, if it is called once, on one input."""
    try:
        (node,) = layer["inbound_nodes"]
        (tensor,) = node["args"]
        return str(tensor["config"]["keras_history"][0])
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _dims(batch_shape) -> tuple[int, ...] | None:
    """A declared shape without its batch axis, if it has at least one axis and all are known."""
    if not isinstance(batch_shape, list) or len(batch_shape) < 2 or not all(map(_whole, batch_shape[1:])):
        return None
    return tuple(batch_shape[1:])


def _layer_output(cls: str, cfg: dict, shape: tuple | None) -> tuple[tuple | None, int]:
    """A layer's output shape (None if it cannot be worked out) and how many weights it holds."""
    if cls == "InputLayer":
        return _dims(cfg.get("batch_shape", cfg.get("batch_input_shape"))), 0
    if shape is None:
        return None, 0
    if cls == "Flatten":
        return (math.prod(shape),), 0
    if cls == "Reshape":
        return _reshaped(shape, cfg.get("target_shape")), 0
    if cls == "Dense":  # a kernel (inputs x units), a bias, and LoRA's two factors if it has them
        units, rank = cfg.get("units"), cfg.get("lora_rank") or 0
        if not _whole(units) or not (rank == 0 or _whole(rank)):
            return None, 0
        bias = units if cfg.get("use_bias", True) else 0
        return shape[:-1] + (units,), shape[-1] * units + bias + rank * (shape[-1] + units)
    return shape, 0  # Dropout, Activation, Rescaling: the same shape, no weights


def _reshaped(shape: tuple, target) -> tuple | None:
    """Reshape's output: `target`, with one -1 standing for what is left, if the sizes fit."""
    if (not isinstance(target, list) or not target or target.count(-1) > 1
            or not all(_whole(d) or d == -1 for d in target)):
        return None
    total, known = math.prod(shape), math.prod(d for d in target if d != -1)
    if -1 in target:
        return tuple(total // known if d == -1 else d for d in target) if total % known == 0 else None
    return tuple(target) if known == total else None


def _check_weights(archive: zipfile.ZipFile, name: str, params: int) -> None:
    """model.weights.h5: a size that fits the parameter count, and HDF5 datasets that declare no more."""
    size = archive.getinfo(WEIGHTS).file_size
    low = MIN_WEIGHT_BYTES * params
    high = min(MAX_WEIGHT_BYTES * params + WEIGHT_FILE_OVERHEAD, MAX_UNPACKED_BYTES)
    if not low <= size <= high:
        raise ModelFileError(f"{name}: its weights file ({WEIGHTS}) is {_size(size)}; for the {params:,} "
                             f"parameters its description declares, {_size(low)} to {_size(high)} "
                             "is accepted")
    raw = _read_capped(archive, WEIGHTS, high, name)
    _check_h5(raw, name, high, params)


def _check_h5(raw: bytes, name: str, limit: int, params: int) -> None:
    """The weights file's HDF5 directory: at most MAX_H5_OBJECTS entries, and datasets that declare
    at most `limit` bytes in all. (A dataset can declare gigabytes while storing next to nothing,
    and Keras reads a dataset whole before it compares its shape with the layer's.)"""
    import h5py  # only when an upload is checked: HDF5's library is large

    seen = {"objects": 0, "bytes": 0}

    def visit(_, obj):
        seen["objects"] += 1
        if isinstance(obj, h5py.Dataset):
            seen["bytes"] += math.prod(obj.shape or ()) * obj.dtype.itemsize
        return True if seen["objects"] > MAX_H5_OBJECTS or seen["bytes"] > limit else None  # True: stop

    try:
        with h5py.File(io.BytesIO(raw), "r") as h5:
            h5.visititems(visit)
    except Exception as exc:  # h5py raises OSError, KeyError, ValueError, ... for a damaged file
        raise ModelFileError(f"{name}: its weights file ({WEIGHTS}) is not an HDF5 file that can "
                             "be read") from exc
    if seen["objects"] > MAX_H5_OBJECTS:
        raise ModelFileError(f"{name}: its weights file ({WEIGHTS}) has more than {MAX_H5_OBJECTS:,} "
                             "entries, the most accepted")
    if seen["bytes"] > limit:
        raise ModelFileError(f"{name}: its weights file ({WEIGHTS}) declares more than {_size(limit)} of "
                             f"data; for the {params:,} parameters its description declares, up to "
                             f"{_size(limit)} is accepted")

"""The training configuration: one frozen, hashable dataclass, validated in one place.

A `TrainConfig` is what the learner chooses on the Train page, what a shared
link carries in its query string, and what the command line takes as flags.
`to_dict` / `from_dict` convert it to and from a flat dict of strings.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from mnist_core.data import DATASETS

ACTIVATIONS = ("relu", "sigmoid", "tanh")
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy", "mean_squared_error")

OPTIMIZER_TITLES = {
    "sgd": "SGD",
    "momentum": "SGD with momentum 0.9",
    "rmsprop": "RMSprop",
    "adam": "Adam",
}
LOSS_TITLES = {
    "categorical_crossentropy": "categorical cross-entropy",
    "sparse_categorical_crossentropy": "sparse categorical cross-entropy",
    "mean_squared_error": "mean squared error",
}

TRAIN_SIZE = 60_000  # both datasets have 60,000 training and 10,000 test images
TEST_SIZE = 10_000
MAX_LAYERS = 4
MAX_UNITS = 1024
MAX_DROPOUT = 0.8
MAX_EPOCHS = 100
MAX_SEED = 2**31 - 1


# One line of help per field: the Train page's widget help and the CLI's --help.
FIELD_HELP = {
    "dataset": "MNIST handwritten digits, or Fashion-MNIST photos of clothing (same shapes).",
    "hidden": "Units in each hidden Dense layer, e.g. 512 or 512,512 (1 to 4 layers, 1 to 1024 units).",
    "activation": "The function each hidden unit applies to its weighted sum; relu is the usual choice.",
    "dropout": "Fraction of a layer's outputs zeroed at random during training, against overfitting (0 to 0.8).",
    "optimizer": "How the weights move along the gradient; rmsprop and adam adapt the step per weight.",
    "learning_rate": "The size of each step. Too large and the loss diverges; too small and it crawls.",
    "loss": "What training minimises. Cross-entropy suits classification; mean squared error is for comparison.",
    "epochs": "Passes over the training set (1 to 100).",
    "batch_size": "Images per gradient update; updates per epoch = ceil(training samples / batch size).",
    "validation": "Data held out to watch overfitting: split:0.2 keeps back the last 20% of the training images, test uses the test set, none skips it.",
    "normalize": "Scale pixels from 0-255 to 0-1 before training. Off shows why scaling matters.",
    "train_samples": "Use only the first N training images (faster, and overfits sooner); all uses 60,000.",
    "seed": "Fixes the random start and the shuffling: the same seed and settings give the same curves.",
    "early_stopping": "Stop when the validation loss has not improved for this many epochs; 0 is off.",
    "keep_best": "At the end, keep the weights of the epoch with the lowest validation loss.",
}


class ConfigError(ValueError):
    """A configuration that cannot be trained. The message says which field and why."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))



@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run. Defaults: the classic first network."""

    dataset: str = "mnist"
    hidden: tuple[int, ...] = (512,)
    activation: str = "relu"
    dropout: tuple[float, ...] = (0.0,)
    optimizer: str = "rmsprop"
    learning_rate: float = 0.001
    loss: str = "categorical_crossentropy"
    epochs: int = 5
    batch_size: int = 128
    validation: str = "none"  # "split:<fraction>", "test" or "none"
    normalize: bool = True
    train_samples: int | None = None  # None: the whole training set
    seed: int = 0
    early_stopping: int = 0  # patience in epochs; 0 is off
    keep_best: bool = False

    def __post_init__(self):
        # Normalise containers so equal configs hash equally (lists from JSON, one
        # dropout value for all layers, ints given as floats).
        hidden = self.hidden
        if isinstance(hidden, (int, float)):
            hidden = (hidden,)
        object.__setattr__(self, "hidden", tuple(int(h) for h in hidden))
        dropout = self.dropout
        if isinstance(dropout, (int, float)):
            dropout = (dropout,)
        dropout = tuple(float(d) for d in dropout)
        if len(dropout) == 1 and len(self.hidden) > 1:
            dropout = dropout * len(self.hidden)
        object.__setattr__(self, "dropout", dropout)
        object.__setattr__(self, "learning_rate", float(self.learning_rate))

    # --- validation ---------------------------------------------------------

    def problems(self) -> list[str]:
        """Every reason this configuration cannot be trained, in plain words."""
        p: list[str] = []
        if self.dataset not in DATASETS:
            p.append(f"dataset {self.dataset!r}: choose one of {', '.join(DATASETS)}")
        if not 1 <= len(self.hidden) <= MAX_LAYERS:
            p.append(f"hidden layers {len(self.hidden)}: use 1 to {MAX_LAYERS} hidden layers")
        for i, units in enumerate(self.hidden, 1):
            if not 1 <= units <= MAX_UNITS:
                p.append(f"layer {i} units {units}: must be between 1 and {MAX_UNITS}")
        if len(self.dropout) != len(self.hidden):
            p.append(
                f"dropout: give one rate, or one per hidden layer ({len(self.hidden)}), "
                f"not {len(self.dropout)}"
            )
        for i, rate in enumerate(self.dropout, 1):
            if not 0.0 <= rate <= MAX_DROPOUT:
                p.append(f"layer {i} dropout {rate:g}: must be between 0 and {MAX_DROPOUT}")
        if self.activation not in ACTIVATIONS:
            p.append(f"activation {self.activation!r}: choose one of {', '.join(ACTIVATIONS)}")
        if self.optimizer not in OPTIMIZERS:
            p.append(f"optimizer {self.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
        if not (math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 100):
            p.append(
                f"learning rate {self.learning_rate:g}: must be above 0 and at most 100 "
                "(0.001 is a good start)"
            )
        if self.loss not in LOSSES:
            p.append(f"loss {self.loss!r}: choose one of {', '.join(LOSSES)}")
        if not 1 <= self.epochs <= MAX_EPOCHS:
            p.append(f"epochs {self.epochs}: must be between 1 and {MAX_EPOCHS}")
        if self.batch_size < 1:
            p.append(f"batch size {self.batch_size}: must be at least 1")
        fraction = None
        if self.validation.startswith("split:"):
            try:
                fraction = float(self.validation[6:])
            except ValueError:
                fraction = math.nan
            if not 0.01 <= fraction <= 0.5:
                p.append(
                    f"validation {self.validation!r}: the split fraction must be between "
                    "0.01 and 0.5, e.g. split:0.2"
                )
                fraction = None
        elif self.validation not in ("test", "none"):
            p.append(f"validation {self.validation!r}: use split:<fraction>, test or none")
        if self.train_samples is not None and not 100 <= self.train_samples <= TRAIN_SIZE:
            p.append(
                f"training samples {self.train_samples}: must be between 100 and {TRAIN_SIZE:,}"
            )
        if not 0 <= self.seed <= MAX_SEED:
            p.append(f"seed {self.seed}: must be between 0 and {MAX_SEED}")
        if not 0 <= self.early_stopping <= MAX_EPOCHS:
            p.append(
                f"early stopping {self.early_stopping}: patience must be 0 (off) to {MAX_EPOCHS}"
            )
        if (self.early_stopping > 0 or self.keep_best) and self.validation == "none":
            p.append("early stopping and keep-best watch the validation loss: choose a validation set")
        if self.batch_size >= 1 and not p:
            n_fit = self.fit_size(fraction)
            if self.batch_size > n_fit:
                p.append(
                    f"batch size {self.batch_size}: larger than the {n_fit:,} training samples; "
                    f"use at most {n_fit:,}"
                )
        return p

    def validate(self) -> TrainConfig:
        """Raise ConfigError listing every problem; return self when there are none."""
        problems = self.problems()
        if problems:
            raise ConfigError(problems)
        return self

    # --- derived numbers ----------------------------------------------------

    @property
    def validation_fraction(self) -> float:
        return float(self.validation[6:]) if self.validation.startswith("split:") else 0.0

    def fit_size(self, fraction: float | None = None) -> int:
        """How many images the network is trained on (after carving out validation)."""
        n = self.train_samples or TRAIN_SIZE
        fraction = self.validation_fraction if fraction is None else fraction
        return n - int(n * fraction)

    @property
    def updates_per_epoch(self) -> int:
        """Gradient updates per epoch: ceil(training samples / batch size)."""
        return math.ceil(self.fit_size() / self.batch_size)

    @property
    def sparse_labels(self) -> bool:
        return self.loss == "sparse_categorical_crossentropy"

    def key(self) -> TrainConfig:
        """The run this config belongs to: every field except the number of epochs.

        Configs that differ only in epochs share one run, which is read or extended.
        """
        return dataclasses.replace(self, epochs=0)

    def layer_rows(self) -> list[dict]:
        """The network as a table (layer, output shape, parameters), without building it.

        A Dense layer of u units fed n inputs has n*u weights and u biases.
        """
        rows, inputs = [], 784
        for i, (units, rate) in enumerate(zip(self.hidden, self.dropout), 1):
            rows.append({"layer": f"hidden_{i}", "type": f"Dense ({self.activation})",
                         "output shape": f"(batch, {units})", "parameters": inputs * units + units})
            if rate > 0:
                rows.append({"layer": f"dropout_{i}", "type": f"Dropout ({rate:g})",
                             "output shape": f"(batch, {units})", "parameters": 0})
            inputs = units
        rows.append({"layer": "output", "type": "Dense (softmax)", "output shape": "(batch, 10)",
                     "parameters": inputs * 10 + 10})
        return rows

    @property
    def param_count(self) -> int:
        return sum(r["parameters"] for r in self.layer_rows())

    def describe(self) -> str:
        """A one-line summary such as 'mnist 512 relu, rmsprop 0.001, 5 epochs'."""
        layers = "-".join(str(h) for h in self.hidden)
        drop = ""
        if any(self.dropout):
            drop = " dropout " + "/".join(f"{d:g}" for d in self.dropout)
        return (
            f"{self.dataset} {layers} {self.activation}{drop}, {self.optimizer} "
            f"{self.learning_rate:g}, batch {self.batch_size}, {self.epochs} epochs"
        )

    # --- flat dict of strings ----------------------------------------------

    def to_dict(self) -> dict[str, str]:
        """Every field as a string: URL query parameters, JSON, CLI flags."""
        out = {}
        for f in dataclasses.fields(self):
            if not f.init:
                continue
            value = getattr(self, f.name)
            if f.name == "hidden":
                out[f.name] = ",".join(str(h) for h in value)
            elif f.name == "dropout":
                out[f.name] = ",".join(f"{d:g}" for d in value)
            elif f.name == "train_samples":
                out[f.name] = "all" if value is None else str(value)
            elif isinstance(value, bool):
                out[f.name] = "true" if value else "false"
            elif isinstance(value, float):
                out[f.name] = repr(value)
            else:
                out[f.name] = str(value)
        return out

    @classmethod
    def from_dict(cls, data: dict, *, strict: bool = True) -> TrainConfig:
        """Build a config from strings (or values). Missing fields take defaults.

        Unknown keys and unparsable values raise ConfigError when strict; with
        strict=False they are skipped, and `from_dict_lenient` reports them.
        """
        config, notes = cls.from_dict_lenient(data)
        if strict and notes:
            raise ConfigError(notes)
        return config

    @classmethod
    def from_dict_lenient(cls, data: dict) -> tuple[TrainConfig, list[str]]:
        """Parse what can be parsed; return the config and a note per ignored entry.

        Values that parse but are out of range are kept and left to `problems()`.
        """
        kwargs = {}
        notes = []
        names = {f.name: f for f in dataclasses.fields(cls) if f.init}
        for key, raw in data.items():
            if key not in names:
                notes.append(f"unknown setting {key!r} ignored")
                continue
            try:
                kwargs[key] = _parse(key, raw)
            except (TypeError, ValueError, OverflowError):
                notes.append(f"{key} {str(raw)[:40]!r}: not a valid value, ignored")
        config = cls(**kwargs)
        if len(config.dropout) != len(config.hidden) and "dropout" in kwargs:
            notes.append("dropout: did not match the number of hidden layers, ignored")
            kwargs.pop("dropout")
            config = cls(**kwargs, dropout=(0.0,) * len(config.hidden))
        elif len(config.dropout) != len(config.hidden):
            config = dataclasses.replace(config, dropout=(0.0,) * len(config.hidden))
        return config, notes


def _parse_bool(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _parse_int(raw) -> int:
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, int):
        return raw
    value = float(str(raw).strip())
    if not value.is_integer() or abs(value) > 10**12:
        raise ValueError(raw)
    return int(value)


def _parse_list(raw, item) -> tuple:
    if isinstance(raw, (list, tuple)):
        return tuple(item(v) for v in raw)
    parts = [s for s in str(raw).replace(" ", "").split(",") if s]
    if not parts:
        raise ValueError(raw)
    return tuple(item(s) for s in parts)


def _parse_float(raw) -> float:
    if isinstance(raw, bool):
        raise ValueError(raw)
    value = float(str(raw).strip()) if not isinstance(raw, (int, float)) else float(raw)
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def _parse(key: str, raw):
    if key == "hidden":
        return _parse_list(raw, _parse_int)
    if key == "dropout":
        return _parse_list(raw, _parse_float)
    if key == "learning_rate":
        return _parse_float(raw)
    if key in ("epochs", "batch_size", "seed", "early_stopping"):
        return _parse_int(raw)
    if key == "train_samples":
        if raw is None or str(raw).strip().lower() in ("", "all", "none"):
            return None
        return _parse_int(raw)
    if key in ("normalize", "keep_best"):
        return _parse_bool(raw)
    return str(raw).strip()

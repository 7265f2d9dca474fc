"""The training configuration: one table of settings, one frozen dataclass.

`FIELDS` lists every setting once: its kind, default, limits or choices with
their titles, the form's step, one line of help and its command-line flag.
Everything else reads it: `TrainConfig` (defaults and `problems`), a shared
link (`from_link` clamps what is out of range and says so), the command line
(`mnist_core.cli` builds its flags and --help from it) and the Train page's
widgets. Change a limit here and all of them follow; nothing repeats it.

A `TrainConfig` is hashable (it keys the run cache) and converts to and from a
flat dict of strings (`to_dict` / `from_dict`) for links, JSON and run files.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Any

from mnist_core.data.datasets import DATASET_TITLES

TRAIN_SIZE = 60_000  # both datasets have 60,000 training and 10,000 test images
MAX_EPOCHS = 100

# Widget styles the form may use for a field; the kind decides the rest.
SLIDER, NUMBER = "slider", "number"


@dataclass(frozen=True)
class Field:
    """One setting. `kind` is one of: choice, int, float, bool, units, rates, validation, samples.

    units: the hidden layers' sizes (`layers` bounds how many); rates: one dropout
    rate per hidden layer; validation: "split:<fraction>" (the fraction within
    low..high), "test" or "none"; samples: a count, or None for all (= high).
    """

    name: str
    kind: str
    default: Any
    label: str  # the form's label; lower-cased, it names the setting in messages
    help: str  # one plain line; the limits are added by `full_help`
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, title)
    layers: tuple[int, int] = (1, 1)  # units only: fewest and most hidden layers
    suggested: float | None = None  # validation: the fraction offered first
    # The field's second widget: for units, how many layers; for validation, the fraction.
    sub_label: str = ""
    sub_help: str = ""
    widget: str = NUMBER
    number_format: str | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def noun(self) -> str:
        return self.label.lower()

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(v for v, _ in self.choices)

    def title(self, value: str) -> str:
        return dict(self.choices).get(value, str(value))

    @property
    def limits(self) -> str:
        """The allowed values in words, e.g. '1 to 100' (empty for a yes/no setting)."""
        if self.kind == "choice":
            return ", ".join(self.values)
        if self.kind == "units":
            return f"{self.layers[0]} to {self.layers[1]} layers of {_num(self.low)} to {_num(self.high)} units"
        if self.kind == "validation":
            return f"split:<{_num(self.low)} to {_num(self.high)}>, test or none"
        if self.low is None:
            return ""
        extra = " or all" if self.kind == "samples" else ""
        return f"{_num(self.low)} to {_num(self.high)}{extra}"

    @property
    def full_help(self) -> str:
        return f"{self.help} Allowed: {self.limits}." if self.limits else self.help


def _num(value: float) -> str:
    """A limit as people write it: 60,000, 0.8, 0.00001."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.12f}".rstrip("0") if abs(value) < 1e-3 else f"{value:g}"


FIELDS: tuple[Field, ...] = (
    Field("dataset", "choice", "mnist", "Dataset",
          "MNIST handwritten digits, or Fashion-MNIST photos of clothing (same shapes).",
          choices=tuple(DATASET_TITLES.items())),
    Field("hidden", "units", (512,), "Units",
          "Units in each hidden Dense layer, e.g. 512 or 512,512.",
          low=1, high=1024, step=32, layers=(1, 4), sub_label="Hidden layers",
          sub_help="How many Dense layers sit between the 784 inputs and the 10 outputs."),
    Field("activation", "choice", "relu", "Activation",
          "The function each hidden unit applies to its weighted sum; relu is the usual choice.",
          choices=(("relu", "relu"), ("sigmoid", "sigmoid"), ("tanh", "tanh"))),
    Field("dropout", "rates", (0.0,), "Dropout",
          "Fraction of a layer's outputs zeroed at random during training, against overfitting.",
          low=0.0, high=0.8, step=0.05, widget=SLIDER),
    Field("optimizer", "choice", "rmsprop", "Optimizer",
          "How the weights move along the gradient; rmsprop and adam adapt the step per weight.",
          choices=(("sgd", "SGD"), ("momentum", "SGD with momentum 0.9"), ("rmsprop", "RMSprop"),
                   ("adam", "Adam"))),
    # Below 1e-5 no optimizer gets anywhere in 100 epochs. At 10 every optimizer
    # diverges in epoch 1, except plain SGD on scaled inputs, which stalls at chance
    # (measured on 2,000 images): larger rates would show nothing new.
    Field("learning_rate", "float", 0.001, "Learning rate",
          "The size of each step. Too large and the loss diverges; too small and it crawls.",
          low=1e-5, high=10.0, step=0.0005, number_format="%.5f"),
    Field("loss", "choice", "categorical_crossentropy", "Loss",
          "What training minimises. Cross-entropy suits classification; mean squared error is for comparison.",
          choices=(("categorical_crossentropy", "categorical cross-entropy"),
                   ("sparse_categorical_crossentropy", "sparse categorical cross-entropy"),
                   ("mean_squared_error", "mean squared error"))),
    Field("epochs", "int", 5, "Epochs", "Passes over the training set.",
          low=1, high=MAX_EPOCHS, step=1, widget=SLIDER),
    Field("batch_size", "int", 128, "Batch size",
          "Images per gradient update; updates per epoch = ceil(training images / batch size).",
          low=1, high=TRAIN_SIZE, step=1),
    # A split below 5% of a small training set leaves too few images to judge by.
    Field("validation", "validation", "split:0.2", "Validation",
          "Images held out to watch overfitting: a held-back part of the training images "
          "(split:0.2 keeps back the last 20%), the test set, or none.",
          low=0.05, high=0.5, step=0.05, suggested=0.2, widget=SLIDER, sub_label="Held back",
          sub_help="The fraction of the training images kept for validation.",
          choices=(("split", "hold back part of the training images"), ("test", "use the test set"),
                   ("none", "none"))),
    Field("normalize", "bool", True, "Scale pixels to 0-1",
          "Divide the 0-255 pixel values by 255 before training. Off shows why scaling matters."),
    Field("train_samples", "samples", None, "Training images",
          "Use only the first N training images (faster, and overfits sooner); all uses every one.",
          low=100, high=TRAIN_SIZE, step=1000),
    Field("seed", "int", 0, "Seed",
          "Fixes the random start and the shuffling: the same seed and settings give the same curves.",
          low=0, high=2**31 - 1, step=1),
    Field("early_stopping", "int", 0, "Early stopping patience",
          "Stop when the validation loss has not improved for this many epochs; 0 is off.",
          low=0, high=MAX_EPOCHS, step=1),
    Field("keep_best", "bool", False, "Keep the best epoch",
          "At the end, keep the weights of the epoch with the lowest validation loss."),
    # Measured on digits written stroke by stroke (bench/handwriting.py): see the README.
    Field("augment", "choice", "off", "Augment",
          "Train on changed copies of the images, new ones every batch: moved (shifted, turned, "
          "slanted, resized), with thicker or thinner strokes, or both. Helps the network read "
          "handwriting unlike the training set's.",
          choices=(("off", "off"), ("move", "move: shift, turn, slant, resize"),
                   ("stroke", "stroke: thicker or thinner"), ("all", "all: move and stroke"))),
)
# Teaching (mnist_core.model.taught): a run that starts from another run's weights and learns a
# learner's drawings. Its two settings; the rest of a taught run's config is its base's.
TEACH_FIELDS: tuple[Field, ...] = (
    Field("teach_epochs", "int", 5, "Epochs",
          "Passes of teaching. Each shows the network about 4,000 drawings (each one it learns from, "
          "many times over, changed a little every time) with the replayed images.", low=1, high=30, step=1, widget=SLIDER),
    Field("replay", "float", 0.8, "Replay",
          "The share of each epoch's images that are the dataset's own training images, mixed in so "
          "that the network does not forget them. 0 teaches on the drawings alone.",
          low=0.0, high=0.95, step=0.05, widget=SLIDER),
)
TEACH_FIELD: dict[str, Field] = {f.name: f for f in TEACH_FIELDS}
MIN_PER_CLASS = 2  # drawings of each class before teaching: one to learn from, one held back to score
HELD_BACK = 0.25  # of each class's drawings (at least one), never taught: the honest score
# Drawings shown per epoch of teaching (each taught drawing as often), and a taught run's learning
# rate as a share of its base's. Measured by bench/teach.py on a hand unlike MNIST's, 20 drawings of
# each class taught for 5 epochs: 1,024 and 0.1 read 91% of the held-back drawings, 4,096 and 0.2
# read 96%, keeping the test score within 0.1 points either way.
DRAWING_EXAMPLES = 4096
TEACH_RATE = 0.2
MAX_TAUGHT = 2000  # a class set's bound (mnist_core.input.drawings.MAX_CLASS)
_TEACH_TEXT = re.compile(r"^(shipped|[0-9a-f]{24})@(\d{1,3})/([0-9a-f]{24})/(\d{1,4})/(0|0\.\d{1,3})$")


@dataclass(frozen=True)
class Teach:
    """What makes a run a taught one: the run and epoch it starts from ("shipped" is the shipped
    classic network), the digest of its drawings (their file in the run directory), how many of
    them it learns from (the rest are held back) and the replay share. Written in a config as
    'base@epoch/drawings/taught/replay'."""

    base: str
    epoch: int
    drawings: str
    taught: int
    replay: float

    @classmethod
    def parse(cls, text: str) -> Teach:
        found = _TEACH_TEXT.match(str(text))
        if not found:
            raise ValueError(f"teach {str(text)[:40]!r}: not a teaching of this app")
        base, epoch, drawings, taught, replay = found.groups()
        return cls(base, int(epoch), drawings, int(taught), float(replay))

    @property
    def text(self) -> str:
        return f"{self.base}@{self.epoch}/{self.drawings}/{self.taught}/{self.replay:g}"

    def problems(self) -> list[str]:
        found = check(TEACH_FIELD["replay"], self.replay)
        if not 10 * (MIN_PER_CLASS - 1) <= self.taught <= MAX_TAUGHT:
            found.append(f"taught drawings {self.taught}: must be between {10 * (MIN_PER_CLASS - 1)} and {MAX_TAUGHT:,}")
        return found

    @property
    def copies(self) -> int:
        """How often each taught drawing is shown per epoch (changed every time)."""
        return max(1, math.ceil(DRAWING_EXAMPLES / max(self.taught, 1)))

    @property
    def replayed(self) -> int:
        """The dataset's training images mixed into each epoch."""
        shown = self.taught * self.copies
        return min(round(shown * self.replay / (1 - self.replay)), TRAIN_SIZE) if self.replay < 1 else TRAIN_SIZE

    @property
    def examples(self) -> int:
        """Images per epoch: the taught drawings' copies and the replayed training images."""
        return self.taught * self.copies + self.replayed


# Settings added after runs were first stored: left out of a run's name while at their
# default (mnist_core.store.rundir.run_name), so the runs stored before keep their names.
LATER_FIELDS = ("augment",)
FIELD: dict[str, Field] = {f.name: f for f in FIELDS}


class ConfigError(ValueError):
    """A configuration that cannot be trained. The message says which field and why."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def _default(name: str):
    return dataclasses.field(default=FIELD[name].default)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run. Defaults (from FIELDS): the classic first network."""

    dataset: str = _default("dataset")
    hidden: tuple[int, ...] = _default("hidden")
    activation: str = _default("activation")
    dropout: tuple[float, ...] = _default("dropout")
    optimizer: str = _default("optimizer")
    learning_rate: float = _default("learning_rate")
    loss: str = _default("loss")
    epochs: int = _default("epochs")
    batch_size: int = _default("batch_size")
    validation: str = _default("validation")
    normalize: bool = _default("normalize")
    train_samples: int | None = _default("train_samples")
    seed: int = _default("seed")
    early_stopping: int = _default("early_stopping")
    keep_best: bool = _default("keep_best")
    augment: str = _default("augment")
    teach: str = ""  # a taught run's `Teach.text`; not a form setting (mnist_core.model.taught makes it)

    def __post_init__(self):
        # Normalise containers so equal configs hash equally (lists from JSON, one
        # dropout value for all layers, ints given as floats).
        hidden = self.hidden if isinstance(self.hidden, (list, tuple)) else (self.hidden,)
        object.__setattr__(self, "hidden", tuple(int(h) for h in hidden))
        dropout = self.dropout if isinstance(self.dropout, (list, tuple)) else (self.dropout,)
        dropout = tuple(float(d) for d in dropout)
        if len(dropout) == 1 and len(self.hidden) > 1:
            dropout = dropout * len(self.hidden)
        object.__setattr__(self, "dropout", dropout)
        object.__setattr__(self, "learning_rate", float(self.learning_rate))

    # --- validation ---------------------------------------------------------

    def problems(self) -> list[str]:
        """Every reason this configuration cannot be trained, in plain words."""
        found = [p for f in FIELDS for p in check(f, getattr(self, f.name))]
        if self.teach:
            try:
                found += Teach.parse(self.teach).problems()
            except ValueError as exc:
                return found + [str(exc)]
        if len(self.dropout) != len(self.hidden):
            found.append(f"dropout: give one rate, or one per hidden layer ({len(self.hidden)}), "
                         f"not {len(self.dropout)}")
        if (self.early_stopping > 0 or self.keep_best) and self.validation == "none":
            found.append("early stopping and keep-best watch the validation loss: choose a validation set")
        if not found and self.batch_size > self.fit_size():
            found.append(f"batch size {self.batch_size}: larger than the {self.fit_size():,} training "
                         f"images; use at most {self.fit_size():,}")
        return found

    def validate(self) -> TrainConfig:
        """Raise ConfigError listing every problem; return self when there are none."""
        problems = self.problems()
        if problems:
            raise ConfigError(problems)
        return self

    # --- derived numbers ----------------------------------------------------

    @property
    def validation_fraction(self) -> float:
        return _split_fraction(self.validation) if self.validation.startswith("split:") else 0.0

    @property
    def teaching(self) -> Teach | None:
        """What this run is taught, for a taught run (None for any other)."""
        return Teach.parse(self.teach) if self.teach else None

    def fit_size(self) -> int:
        """How many images the network is trained on per epoch (after carving out validation)."""
        if self.teach:
            return Teach.parse(self.teach).examples
        n = self.train_samples or TRAIN_SIZE
        return n - int(n * self.validation_fraction)

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

    def compiled_shape(self) -> tuple:
        """What a run's compiled code depends on (mnist_core.training.trainer.Network.shape_of): runs of
        the same shape share it; everything else is a variable's value (the learning rate, the
        starting weights from the seed) or an input's shape (images, batch size)."""
        return (self.hidden, self.activation, self.dropout, self.optimizer, self.loss, self.normalize,
                self.augment)

    @property
    def param_count(self) -> int:
        return sum(r["parameters"] for r in self.layer_rows())

    def describe(self) -> str:
        """A run's name wherever runs are listed: 'mnist 512 relu, rmsprop 0.001, batch 128, 5 epochs',
        then every other setting that is not its default ('..., no validation, raw 0-255 pixels'), so
        that two different runs never share a name."""
        layers = "-".join(str(h) for h in self.hidden)
        drop = " dropout " + "/".join(f"{d:g}" for d in self.dropout) if any(self.dropout) else ""
        rate = f"{self.learning_rate:.12f}".rstrip("0") if self.learning_rate < 1e-3 else f"{self.learning_rate:g}"
        head = (f"{self.dataset} {layers} {self.activation}{drop}, {self.optimizer} "
                f"{rate}, batch {self.batch_size}, {self.epochs} epoch{'s' if self.epochs != 1 else ''}")
        taught = []
        if self.teach:
            teach = Teach.parse(self.teach)
            source = "the shipped network" if teach.base == "shipped" else f"run {teach.base[:6]}"
            taught = [f"taught {teach.taught} drawings from {source} epoch {teach.epoch}, replay {teach.replay:.0%}"]
        return ", ".join([head, *self._unusual(), *taught])

    def _unusual(self) -> list[str]:
        """The settings describe() adds, each only where it is not its default."""
        said = {"loss": {"sparse_categorical_crossentropy": "sparse cross-entropy",
                         "mean_squared_error": "mean squared error"}.get(self.loss, self.loss),
                "validation": {"none": "no validation", "test": "test set as validation"}.get(
                    self.validation, f"{_split_fraction(self.validation):.0%} held back"),
                "normalize": "raw 0-255 pixels", "train_samples": f"{self.train_samples or TRAIN_SIZE:,} images",
                "seed": f"seed {self.seed}", "early_stopping": f"early stopping {self.early_stopping}",
                "keep_best": "keep the best epoch", "augment": f"augment {self.augment}"}
        implied = ("validation", "augment") if self.teach else ()  # a taught run's, said by "taught ..."
        return [text for name, text in said.items() if getattr(self, name) != FIELD[name].default and name not in implied]

    # --- flat dict of strings ----------------------------------------------

    def to_dict(self) -> dict[str, str]:
        """Every field as a string: URL query parameters, JSON, CLI flags."""
        found = {f.name: to_text(f, getattr(self, f.name)) for f in FIELDS}
        if self.teach:
            found["teach"] = self.teach
        return found

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """Build a config from strings (or values); missing fields take defaults.

        Unknown keys and unparsable values raise ConfigError; values out of range
        are kept, for `problems()` to report (the command line and run files).
        """
        kwargs, notes = _parse_all(data)
        if notes:
            raise ConfigError(notes)
        return cls(**kwargs)

    @classmethod
    def from_link(cls, data: dict) -> tuple[TrainConfig, list[str]]:
        """Make the best config out of a link's parameters, and a note for everything changed.

        Unknown and unparsable entries are dropped (the default stays), values out
        of range are clamped to the nearest limit: never silently, each gets a note.
        """
        kwargs, notes = _parse_all(data)
        for name, value in list(kwargs.items()):
            if name == "teach":
                try:
                    problems = Teach.parse(value).problems()
                except ValueError as exc:
                    problems = [str(exc)]
                if problems:
                    notes.append(f"{problems[0]}, ignored")
                    del kwargs[name]
                continue
            kwargs[name], note = clamp(FIELD[name], value)
            if note:
                notes.append(note)
        hidden = kwargs.get("hidden", FIELD["hidden"].default)
        dropout = kwargs.get("dropout", (0.0,))
        if len(dropout) not in (1, len(hidden)):
            notes.append(f"dropout: {len(dropout)} rates for {len(hidden)} hidden layers, ignored")
            kwargs["dropout"] = (0.0,)
        return cls(**kwargs), notes


# --- one field: parse, write, check, clamp -----------------------------------


_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def _parse_bool(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE + _FALSE:
        return text in _TRUE
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


def _parse_float(raw) -> float:
    if isinstance(raw, bool):
        raise ValueError(raw)
    value = float(raw) if isinstance(raw, (int, float)) else float(str(raw).strip())
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def _parse_list(raw, item) -> tuple:
    parts = raw if isinstance(raw, (list, tuple)) else [s for s in str(raw).replace(" ", "").split(",") if s]
    if not parts:
        raise ValueError(raw)
    return tuple(item(v) for v in parts)


def _split_fraction(text: str) -> float:
    try:
        return float(text[len("split:"):])
    except ValueError:
        return math.nan


def _parse_validation(raw) -> str:
    text = str(raw).strip().lower()
    if text.startswith("split:"):
        return f"split:{_parse_float(text[len('split:'):]):g}"
    if text in ("test", "none"):
        return text
    raise ValueError(raw)


def _parse_samples(raw) -> int | None:
    if raw is None or str(raw).strip().lower() in ("", "all", "none"):
        return None
    return _parse_int(raw)


_PARSERS = {
    "choice": lambda raw: str(raw).strip(),
    "int": _parse_int,
    "float": _parse_float,
    "bool": _parse_bool,
    "units": lambda raw: _parse_list(raw, _parse_int),
    "rates": lambda raw: _parse_list(raw, _parse_float),
    "validation": _parse_validation,
    "samples": _parse_samples,
}


def parse(field: Field, raw):
    """A value of `field` from a string (or a value); ValueError/TypeError when it is not one."""
    return _PARSERS[field.kind](raw)


def to_text(field: Field, value) -> str:
    """The inverse of `parse`: how the value is written in links, JSON and flags."""
    if field.kind == "units":
        return ",".join(str(v) for v in value)
    if field.kind == "rates":
        return ",".join(f"{v:g}" for v in value)
    if field.kind == "bool":
        return "true" if value else "false"
    if field.kind == "samples" and value is None:
        return "all"
    return repr(value) if field.kind == "float" else str(value)


def _parse_all(data: dict) -> tuple[dict, list[str]]:
    kwargs, notes = {}, []
    for key, raw in data.items():
        if key == "teach":
            kwargs[key] = str(raw)[:120]
            continue
        if key not in FIELD:
            notes.append(f"unknown setting {key!r} ignored")
            continue
        try:
            kwargs[key] = parse(FIELD[key], raw)
        except (TypeError, ValueError, OverflowError):
            notes.append(f"{key} {str(raw)[:40]!r}: not a valid value, ignored")
    return kwargs, notes


def _outside(field: Field, value) -> bool:
    return not (isinstance(value, (int, float)) and math.isfinite(value)
                and field.low <= value <= field.high)


def _range_problem(noun: str, value, field: Field) -> str:
    shown = f"{value:g}" if isinstance(value, float) else f"{value}"
    return f"{noun} {shown}: must be between {_num(field.low)} and {_num(field.high)}"


def _check_number(field: Field, value) -> list[str]:
    if field.kind == "samples" and value is None:
        return []
    return [_range_problem(field.noun, value, field)] if _outside(field, value) else []


def _check_units(field: Field, value) -> list[str]:
    fewest, most = field.layers
    found = [] if fewest <= len(value) <= most else \
        [f"hidden layers {len(value)}: use {fewest} to {most} hidden layers"]
    return found + [_range_problem(f"layer {i} units", u, field)
                    for i, u in enumerate(value, 1) if _outside(field, u)]


def _check_validation(field: Field, value) -> list[str]:
    if value in ("test", "none") or value.startswith("split:") and not _outside(field, _split_fraction(value)):
        return []
    return [f"{field.noun} {value!r}: use {field.limits}, e.g. split:{field.suggested:g}"]


_CHECKS = {
    "choice": lambda f, v: [] if v in f.values else [f"{f.noun} {v!r}: choose one of {', '.join(f.values)}"],
    "int": _check_number,
    "float": _check_number,
    "samples": _check_number,
    "bool": lambda f, v: [],
    "units": _check_units,
    "rates": lambda f, v: [_range_problem(f"layer {i} dropout", r, f) for i, r in enumerate(v, 1)
                           if _outside(f, r)],
    "validation": _check_validation,
}


def check(field: Field, value) -> list[str]:
    """What is wrong with `value` for `field` on its own (empty when nothing is)."""
    return _CHECKS[field.kind](field, value)


def _nearest(field: Field, value):
    return type(value)(min(max(value, field.low), field.high))


def clamp(field: Field, value) -> tuple[Any, str]:
    """`value` moved inside the field's limits, and a note saying so ("" if it already was)."""
    kind, noun = field.kind, field.noun
    if not check(field, value):
        return value, ""
    if kind == "choice":
        return field.default, f"{noun} {value!r}: not one of {', '.join(field.values)}, {field.default} used"
    if kind in ("units", "rates"):
        near = tuple(_nearest(field, v) for v in value)[:field.layers[1] if kind == "units" else None]
        return near, f"{field.name} {to_text(field, value)}: outside {field.limits}, set to {to_text(field, near)}"
    if kind == "validation" and value.startswith("split:") and math.isfinite(_split_fraction(value)):
        near = _nearest(field, _split_fraction(value))
        return f"split:{near:g}", f"{noun} {value}: the fraction must be {_num(field.low)} to " \
                                  f"{_num(field.high)}, set to {near:g}"
    if kind in ("int", "float", "samples"):
        near = _nearest(field, value)
        return near, f"{noun} {value:g}: outside {field.limits}, set to {_num(near)}"
    return field.default, f"{noun} {value!r}: not allowed, {to_text(field, field.default)} used"

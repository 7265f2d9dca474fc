"""Is a difference real? Repeats with other seeds, and sweeps of one setting.

A seed fixes a run's random start and shuffling, so two runs that differ only in
their seed differ by chance alone: their spread is the noise against which any
other difference is judged. A sweep trains one setting at several values (each
value with the same seeds) and reads which value did best, and whether by more
than the noise.

Everything here reads runs (any object with `config`, `history` and `status`,
see mnist_core.model.runs) or makes configs; the pages and the command line train them.
numpy-free, TensorFlow-free, Streamlit-free.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from mnist_core.config import FIELD, ConfigError, TrainConfig, parse, to_text
from mnist_core.model.runs import best_epoch, best_val_accuracy

SEEDS = (2, 5)  # seeds in all for a repeat: fewest, most
VALUES = (2, 6)  # values in a sweep: fewest, most
SWEEPABLE = ("learning_rate", "hidden", "dropout", "train_samples", "batch_size", "epochs")
# What a sweep offers first: a few values a learner would try, spread so the effect shows.
SUGGESTED = {
    "learning_rate": "0.0001,0.001,0.01,0.1",
    "hidden": "32,128,512",
    "dropout": "0,0.2,0.5",
    "train_samples": "1000,5000,20000",
    "batch_size": "32,128,512",
    "epochs": "5,10,20",
}
COMPILE_SECONDS = 2.0  # compiling a new network's code, when no run measured it (bench/train_speed.py)
# Each run's own start and end outside its epochs: the untrained network's check, preparing the
# data, saving. Measured with `python -m bench.sweep` (2 cores): 0.5-0.7 s a run.
RUN_SECONDS = 0.6


# --- seeds -----------------------------------------------------------------------


def family(config: TrainConfig) -> TrainConfig:
    """What repeats share: every setting but the seed and the epochs."""
    return replace(config.key(), seed=0)


def seed_configs(config: TrainConfig, count: int) -> list[TrainConfig]:
    """`count` configs in all: this one, then the next seeds (config.seed + 1, + 2, ...)."""
    if not 1 <= count <= SEEDS[1]:
        raise ConfigError([f"seeds {count}: use 1 to {SEEDS[1]} seeds in all"])
    top = int(FIELD["seed"].high)
    return [replace(config, seed=(config.seed + i) % (top + 1)) for i in range(count)]


def repeats(run, runs: Sequence) -> list:
    """The runs (this one first) that differ from `run` only in their seed, by seed."""
    same = [r for r in runs if r is not run and r.config is not None and r.history
            and family(r.config) == family(run.config) and r.config.seed != run.config.seed]
    return [run] + sorted(same, key=lambda r: r.config.seed)


@dataclass(frozen=True)
class Spread:
    """Several runs' values of one number: their mean and range."""

    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    @property
    def width(self) -> float:
        return self.high - self.low

    def count_text(self) -> str:
        """For whole numbers (best epochs): '4', or '4.3 (3-6)' when the runs differ."""
        return f"{self.low:g}" if self.low == self.high else f"{self.mean:.1f} ({self.low:g}-{self.high:g})"

    def text(self) -> str:
        """'97.7% ± 0.2' (mean ± half the range, in points), or one value alone."""
        shown = f"{100 * self.mean:.1f}%"
        return shown if len(self.values) < 2 else f"{shown} ± {100 * self.width / 2:.1f}"


def spread(values: Sequence[float | None]) -> Spread | None:
    kept = tuple(v for v in values if v is not None and math.isfinite(v))
    return Spread(kept) if kept else None


def headline(history: Sequence, upto: int | None = None) -> float | None:
    """The number runs are judged by: test accuracy at the best epoch (lowest validation loss,
    what keep-best hands out), or at the last epoch without validation."""
    rows = history[:upto]
    if not rows:
        return None
    best = best_epoch(rows)
    return rows[(best or len(rows)) - 1].test_accuracy


def band(histories: Sequence[Sequence], metric: str) -> list[tuple[int, float, float, float]]:
    """(epoch, lowest, mean, highest) of `metric` across runs' histories, at each epoch two or
    more of them have."""
    out = []
    for epoch in range(1, max((len(h) for h in histories), default=0) + 1):
        values = [getattr(h[epoch - 1], metric) for h in histories if len(h) >= epoch]
        values = [v for v in values if v is not None and math.isfinite(v)]
        if len(values) >= 2:
            out.append((epoch, min(values), statistics.fmean(values), max(values)))
    return out


def noise_sentence(spread_a: Spread | None, spread_b: Spread | None) -> str:
    """Whether a difference in the headline number is larger than the seeds' own spread."""
    if spread_a is None or spread_b is None:
        return ""
    repeated = [s for s in (spread_a, spread_b) if len(s.values) >= 2]
    if not repeated:
        return ("Each side has one seed, so nothing yet says how much of this difference is chance: "
                "“Repeat with other seeds” on Train shows how much the same settings vary.")
    diff = 100 * abs(spread_b.mean - spread_a.mean)
    noise = 100 * max(s.width for s in repeated)
    verdict = ("larger than the spread between seeds (up to {:.1f} points), so it is unlikely to be chance."
               if diff > noise else
               "no larger than the spread between seeds (up to {:.1f} points): it could be chance.").format(noise)
    if len(repeated) == 2:
        return (f"With {len(spread_a.values)} and {len(spread_b.values)} seeds, {spread_a.text()} → "
                f"{spread_b.text()}: the difference of the means, {diff:.1f} points, is {verdict}"
                + ("" if diff > noise else " More seeds, or a bigger change, would tell."))
    return (f"{spread_a.text()} → {spread_b.text()} (one side has {len(repeated[0].values)} seeds, the other one): "
            f"the difference, {diff:.1f} points, is {verdict} Repeating the other side with other seeds "
            "would make this surer.")


def seed_sentence(runs: Sequence) -> str:
    """What a set of repeats says about the noise."""
    values = spread([headline(r.history) for r in runs])
    if values is None or len(values.values) < 2:
        return ""
    return (f"The same settings with {len(values.values)} seeds: test accuracy {values.text()} "
            f"({100 * values.low:.1f}% to {100 * values.high:.1f}%). Seeds change only the random start "
            f"and the shuffling, so differences up to {100 * values.width:.1f} points between such runs "
            "are chance.")


# --- sweeps ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    """One setting of `base` at several values, each value trained with `seeds` seeds.

    Hidden units and dropout apply to every hidden layer. An epochs sweep trains each seed
    once, to the largest value, and reads the smaller values from its stored epochs.
    """

    base: TrainConfig
    setting: str
    values: tuple
    seeds: int = 1

    @property
    def name(self) -> str:
        return FIELD[self.setting].noun

    def config_for(self, value) -> TrainConfig:
        """The config trained for `value` (with the base's seed)."""
        if self.setting == "epochs":
            return replace(self.base, epochs=max(self.values))
        if self.setting in ("hidden", "dropout"):
            return replace(self.base, **{self.setting: (value,) * len(self.base.hidden)})
        return replace(self.base, **{self.setting: value})

    def configs(self) -> list[TrainConfig]:
        """Every config to train, each once, in the order to queue them: value by value."""
        found: dict[TrainConfig, None] = {}
        for value in self.values:
            for config in seed_configs(self.config_for(value), self.seeds):
                found.setdefault(config)
        return list(found)

    def text(self, value) -> str:
        if value is None:
            return "all"
        return f"{value:g}" if isinstance(value, float) else f"{value:,}" if value >= 10_000 else str(value)

    def link(self) -> dict[str, str]:
        """The sweep as query parameters: the base's settings, then sweep, values and seeds."""
        values = ",".join(to_text(FIELD["train_samples"], v) if v is None else repr(v) if isinstance(v, float)
                          else str(v) for v in self.values)
        return {**self.base.to_dict(), "sweep": self.setting, "values": values, "seeds": str(self.seeds)}


def _parse_value(setting: str, raw: str):
    kind = {"hidden": "int", "dropout": "float"}.get(setting, FIELD[setting].kind)
    return parse(replace(FIELD[setting], kind=kind), raw)


def _value_problems(sweep: Sweep) -> list[str]:
    """Every value's problems once (a units value too large is named once per layer)."""
    return list(dict.fromkeys(p for v in sweep.values for p in sweep.config_for(v).problems()))


def make_sweep(base: TrainConfig, setting: str, values: str | Sequence, seeds: int = 1) -> Sweep:
    """A sweep from a setting's name and its values ("0.001,0.01" or a list); ConfigError
    naming every problem (unknown setting, too few or too many values, a value the setting
    does not allow, repeated values, a base that cannot be trained, seeds out of range)."""
    if setting not in SWEEPABLE:
        raise ConfigError([f"setting {setting!r}: a sweep can vary {', '.join(SWEEPABLE)}"])
    raw = [s for s in values.replace(" ", "").split(",") if s] if isinstance(values, str) else list(values)
    problems, parsed = [], []
    for item in raw[:VALUES[1] + 1]:
        try:
            parsed.append(_parse_value(setting, item) if isinstance(item, str) else item)
        except (TypeError, ValueError, OverflowError):
            problems.append(f"{FIELD[setting].noun} {str(item)[:20]!r}: not a value of this setting")
    if not VALUES[0] <= len(raw) <= VALUES[1]:
        problems.append(f"values: give {VALUES[0]} to {VALUES[1]} values, not {len(raw)}")
    if len(set(parsed)) < len(parsed):
        problems.append("values: each value once")
    if not 1 <= seeds <= SEEDS[1]:
        problems.append(f"seeds {seeds}: use 1 to {SEEDS[1]} seeds per value")
    if problems:
        raise ConfigError(problems)
    order = sorted(parsed, key=lambda v: math.inf if v is None else v)  # "all" images is the most
    sweep = Sweep(base, setting, tuple(order), seeds)
    problems = _value_problems(sweep)
    if problems:
        raise ConfigError(problems)
    return sweep


@dataclass(frozen=True)
class Row:
    """What one value of a sweep did, across its seeds."""

    value: object
    text: str
    runs: tuple  # the value's finished runs
    best_val: Spread | None  # best validation accuracy
    test: Spread | None  # test accuracy at the best epoch (the last without validation)
    best_epoch: Spread | None
    seconds: float
    diverged: int  # runs that diverged
    waiting: int  # runs not trained (or not finished) yet


def finished(run, epochs: int) -> bool:
    """True when `run` has `epochs` epochs, or ended early (early stopping, divergence)."""
    return run is not None and (run.epochs_done >= epochs or run.status in ("early_stopped", "diverged"))


def sweep_rows(sweep: Sweep, find: Callable[[TrainConfig], object]) -> list[Row]:
    """One row per value, from the runs `find(config)` returns (None: not trained yet)."""
    rows = []
    for value in sweep.values:
        configs = seed_configs(sweep.config_for(value), sweep.seeds)
        upto = value if sweep.setting == "epochs" else configs[0].epochs  # a run extended later: as asked
        found = [find(c) for c in configs]
        done = [r for r in found if finished(r, upto)]
        diverged = sum(1 for r in done if r.status == "diverged")
        kept = [r for r in done if r.history]
        rows.append(Row(
            value, sweep.text(value), tuple(done),
            spread([best_val_accuracy(r.history, upto) for r in kept]),
            spread([headline(r.history, upto) for r in kept]),
            spread([best_epoch(r.history, upto) for r in kept]),
            sum(e.seconds for r in kept for e in r.history[:upto]),
            diverged, len(configs) - len(done)))
    return rows


def sweep_sentence(sweep: Sweep, rows: Sequence[Row]) -> str:
    """Which value did best, the trend, the values that diverged, and whether the best is
    ahead of the next by more than the seeds' spread."""
    by_val = any(r.best_val for r in rows)
    what = "best validation accuracy" if by_val else "test accuracy"
    scored = [(r, r.best_val if by_val else r.test) for r in rows]
    scored = [(r, s) for r, s in scored if s is not None]
    parts = []
    if len(scored) >= 2:
        best_row, best = max(scored, key=lambda rs: rs[1].mean)
        where = list(rows).index(best_row)  # among all values: one past it may have diverged
        place = ("peaks at" if 0 < where < len(rows) - 1 else
                 "is highest at the smallest value tried," if where == 0 else "is highest at the largest value tried,")
        parts.append(f"{what.capitalize()} {place} {sweep.name} {best_row.text} ({best.text()})")
        runner_row, runner = max((rs for rs in scored if rs[0] is not best_row), key=lambda rs: rs[1].mean)
        if len(best.values) >= 2 and len(runner.values) >= 2:
            close = best.mean - runner.mean <= max(best.width, runner.width)
            parts.append(f"{sweep.name} {runner_row.text} is {'within' if close else 'beyond'} the seeds' spread of it"
                         f" ({runner.text()})")
        elif sweep.seeds == 1:
            parts.append("one seed per value: with two or more, each value's spread would show how much "
                         "of a difference chance alone can make")
    for row in rows:
        if row.diverged:
            tried = len(row.runs) + row.waiting
            who = ("the run diverges" if tried == 1 else "the runs diverge") if row.diverged == tried \
                else f"{row.diverged} of {tried} runs diverge"
            parts.append(f"at {row.text} {who}")
    return ("; ".join(parts) + ".") if parts else ""


def _checked(config: TrainConfig) -> int:
    """Images a run predicts after each epoch: its validation images (held back) and the test set."""
    return (config.train_samples or 60_000) - config.fit_size() + 10_000


def _rates(runs: Sequence) -> tuple[list[float], list[float], list[float]]:
    """From measured epochs: weights x images trained per second, weights x images checked per
    second (an epoch's time outside its training pass), and a new run's extra first-epoch time."""
    train, check, first = [], [], []
    for run in runs:
        h, params = run.history, run.config.param_count
        train += [e.samples_per_second * params for e in h[1:]
                  if e.samples_per_second and math.isfinite(e.samples_per_second)]
        for before, e in zip(h[1:], h[2:]):  # `elapsed` restarts with each training call: skip odd ones
            outside = e.elapsed - before.elapsed - e.seconds
            if 0 < outside < e.elapsed:
                check.append(_checked(run.config) * params / outside)
        if len(h) > 1:
            first.append(max(0.0, h[0].seconds - statistics.median(e.seconds for e in h[1:])))
    return train, check, first


def work_rate(measured: Sequence, batch_size: int | None = None) -> float | None:
    """Weights times images trained per second, the median over measured epochs (after the
    first, which also compiles), preferring runs with the same batch size; None if none."""
    runs = [r for r in measured if r.config is not None]
    same = _rates([r for r in runs if r.config.batch_size == batch_size])[0]
    found = same or _rates(runs)[0]
    return statistics.median(found) if found else None


def estimate_seconds(configs: Sequence[TrainConfig], measured: Sequence) -> float | None:
    """How long training `configs` one after another takes, from measured runs: each epoch's
    training images times weights at the measured training rate (same batch size first), the
    validation and test images checked after it at the measured checking rate, the measured
    extra time of a first epoch once per compiled shape and batch size (runs of one shape share
    compiled code), and RUN_SECONDS a run. None when nothing has been measured."""
    runs = [r for r in measured if r.config is not None]
    _, check, first = _rates(runs)
    check_rate = statistics.median(check) if check else None
    compile_once = statistics.median(first) if first else COMPILE_SECONDS
    total, shapes = 0.0, set()
    for config in configs:
        rate = work_rate(runs, config.batch_size)
        if rate is None:
            return None
        per_epoch = config.fit_size() * config.param_count / rate
        if check_rate:
            per_epoch += _checked(config) * config.param_count / check_rate
        total += config.epochs * per_epoch + RUN_SECONDS
        shape = (config.compiled_shape(), config.batch_size)
        if shape not in shapes:
            shapes.add(shape)
            total += compile_once
    return total


def time_sentence(history: Sequence) -> str:
    """How long a run's training took, with the first epoch apart: it includes compiling the
    network's code, so a total beside a per-epoch median reads as a contradiction otherwise."""
    seconds = [r.seconds for r in history]
    speed = statistics.median(r.samples_per_second for r in history)
    if len(seconds) == 1:
        return f"Training took {seconds[0]:.1f} s, compiling the network's code included ({speed:,.0f} images per second)."
    return (f"Training took {sum(seconds):.1f} s in all: the first epoch {seconds[0]:.1f} s (it includes compiling "
            f"the network's code), each later one about {statistics.median(seconds[1:]):.2f} s "
            f"({speed:,.0f} images per second; medians).")

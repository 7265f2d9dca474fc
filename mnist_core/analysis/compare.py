"""Comparing runs: what differs between their configs, and what one change did.

Works on any `mnist_core.model.runs.Run` with a config and a history.
"""

from __future__ import annotations

from mnist_core.analysis import experiments, story
from mnist_core.config import TrainConfig
from mnist_core.model.runs import best_epoch

# A rise smaller than this (relative to the best validation loss) is noise, not overfitting.
RISE = 0.05


def rows(run) -> list[dict]:
    """The run's history as plain dicts (for tables, figures and exports)."""
    return [r.as_dict() for r in run.history]


def fields(config: TrainConfig) -> dict[str, str]:
    """Config fields except epochs (runs own their epochs), written as in the run's label:
    layers 512-256, dropout 0.2/0.1, one rate when every layer has it."""
    shown = {k: v for k, v in config.to_dict().items() if k != "epochs"}
    shown["hidden"] = "-".join(str(h) for h in config.hidden)
    rates = [f"{d:g}" for d in config.dropout]
    shown["dropout"] = rates[0] if len(set(rates)) == 1 else "/".join(rates)
    shown["validation"] = {"none": "none", "test": "the test set"}.get(
        config.validation, f"{config.validation_fraction:.0%} held back")
    shown["normalize"] = "0-1" if config.normalize else "raw 0-255"
    return shown


def differing_fields(configs: list[TrainConfig]) -> list[str]:
    """The settings that are not the same in all configs, in field order."""
    if len(configs) < 2:
        return []
    dicts = [fields(c) for c in configs]
    return [k for k in dicts[0] if len({d[k] for d in dicts}) > 1]


def label(config: TrainConfig, keys: list[str]) -> str:
    """A legend entry naming what differs, e.g. 'hidden 512, dropout 0.2'."""
    d = fields(config)
    return ", ".join(f"{k.replace('_', ' ')} {d[k]}" for k in keys) or config.describe()


MISSING = "-"  # a number a run does not have (no validation set: no best epoch)
# The columns of `summary` that hold numbers written as text (so that a missing one reads MISSING).
WRITTEN = ("test accuracy", "val accuracy", "train accuracy", "best epoch", "test at best epoch")


def _percent(value) -> str:
    return MISSING if value is None else f"{value:.1%}"


def summary(run) -> dict:
    """A run's headline numbers as the table writes them, the accuracies first: at its last
    epoch, and the test accuracy at its best epoch (which keep-best would hand out). What a run
    without validation does not have reads MISSING, never None."""
    h = rows(run)
    best = best_epoch(run.history)
    last = h[-1] if h else {}
    return {
        "test accuracy": _percent(last.get("test_accuracy")),
        "val accuracy": _percent(last.get("val_accuracy")),
        "train accuracy": _percent(last.get("accuracy")),
        "best epoch": MISSING if best is None else str(best),
        "test at best epoch": MISSING if best is None else _percent(h[best - 1]["test_accuracy"]),
        "epochs": len(h),
        "seconds": round(sum(r["seconds"] for r in h), 1),
    }


def overfitting(run) -> tuple[int, float] | None:
    """(best epoch, rise) when validation loss rose after its best epoch while training loss fell."""
    h = rows(run)
    val = [(r["val_loss"], r["epoch"]) for r in h if r.get("val_loss") is not None]
    if len(val) < 3:
        return None
    best_loss, best = min(val)
    last = h[-1]
    rise = (last["val_loss"] - best_loss) / best_loss
    train_fell = last["loss"] < h[best - 1]["loss"]
    if best < len(h) and rise > RISE and train_fell:
        return best, rise
    return None


def _gap(row: dict) -> float:
    """Training accuracy minus validation accuracy, in percentage points."""
    return 100 * (row["accuracy"] - row["val_accuracy"])


def _at_best(run) -> tuple[dict, dict, int] | None:
    """(row at the best epoch, last row, best epoch), or None without validation."""
    best = best_epoch(run.history)
    return None if best is None else (rows(run)[best - 1], rows(run)[-1], best)


def one_change(a, b, ignore: tuple[str, ...] = ()) -> str | None:
    """What changing one setting did, from the data; None unless exactly one setting differs
    (settings in `ignore`, say the seed of runs that stand for their repeats, do not count).

    With validation in both runs, each is judged at its best epoch (lowest validation loss),
    the epoch keep-best hands out: at the last epoch a run that overfits late (no dropout)
    would look worse than it is, and a regularised one that learns slowly better.
    """
    keys = [k for k in differing_fields([a.config, b.config]) if k not in ignore]
    if a.epochs_done != b.epochs_done and "epochs" not in ignore:
        keys.append("epochs")  # trained for longer is a second change: the sentence would credit the first
    if len(keys) != 1 or not a.history or not b.history:
        return None
    key = keys[0]
    va, vb = (a.epochs_done, b.epochs_done) if key == "epochs" else (fields(a.config)[key], fields(b.config)[key])
    name = key.replace("_", " ")
    best_a, best_b = _at_best(a), _at_best(b)
    if best_a and best_b:
        (ra, la, ea), (rb, lb, eb) = best_a, best_b
        parts = [f"test accuracy at each run's best epoch {ra['test_accuracy']:.1%} → {rb['test_accuracy']:.1%}",
                 f"the best epoch {'stayed at ' + str(ea) if ea == eb else f'moved from {ea} to {eb}'}",
                 f"best validation loss {ra['val_loss']:.3f} → {rb['val_loss']:.3f}",
                 f"the gap between training and validation accuracy at the last epoch "
                 f"{_gap(la):.1f} → {_gap(lb):.1f} points"]
    else:
        ra, rb = rows(a)[-1], rows(b)[-1]
        parts = [f"test accuracy at the last epoch {ra['test_accuracy']:.1%} → {rb['test_accuracy']:.1%}"
                 + ("" if best_a or best_b else " (no validation set, so no best epoch to compare)")]
    rose = [f"after epoch {over[0]} with {name} {value}"
            for run, value in ((a, va), (b, vb)) if (over := overfitting(run))]
    if rose:
        parts.append("validation loss rose " + " and ".join(rose) + " while training loss kept falling")
    elif best_a and best_b:
        parts.append("neither run shows validation loss rising while training loss falls")
    return f"{name} {va} → {vb}: " + "; ".join(parts) + "."


# --- a list of runs, as Compare shows it ----------------------------------------------

def table(runs: list, keys: list[str]) -> list[dict]:
    """One row a run, numbered from 1: its `summary` (the accuracies first, so they show on a
    narrow screen), then the settings in `keys` (those that differ: shared ones, the dataset
    too, are left out), and the status only when some run did not simply finish."""
    unusual = any(run.status != "finished" for run in runs)
    out = []
    for i, run in enumerate(runs, 1):
        settings = fields(run.config)
        row = {"run": i, **summary(run)}
        row.update({k.replace("_", " "): settings[k] for k in keys})
        if unusual:
            row["status"] = run.status.replace("_", " ")
        out.append(row)
    return out


def shared(runs: list, keys: list[str]) -> str:
    """The caption under the table: the settings it leaves out because every run has them."""
    same = [k.replace("_", " ") for k in fields(runs[0].config) if k not in keys]
    return ("Settings that all runs share are left out: " + ", ".join(same) + "." if same
            else "Every setting differs somewhere.")


def seed_families(runs: list) -> list[list[tuple[int, object]]]:
    """The runs, numbered from 1, grouped by everything but the seed, in order of first run."""
    families: dict = {}
    for number, run in enumerate(runs, 1):
        families.setdefault(experiments.family(run.config), []).append((number, run))
    return list(families.values())


def _name(group) -> str:
    return f"run {group[0][0]}" if len(group) == 1 else "runs " + ", ".join(str(n) for n, _ in group)


def _pair_sentence(a: list, b: list) -> str | None:
    """Two families whose first runs differ in one setting besides the seed: what it did, whether
    that is more than the seeds' spread, and what it did to forgetting."""
    first_a, first_b = a[0][1], b[0][1]
    text = one_change(first_a, first_b, ignore=("seed",))
    if not text:
        return None
    noise = experiments.noise_sentence(*(experiments.spread([experiments.headline(r.history) for _, r in g])
                                         for g in (a, b)))
    setting = next(k for k in differing_fields([first_a.config, first_b.config]) if k != "seed").replace("_", " ")
    forgot = story.forgetting_sentence(first_a, first_b, setting) if min(
        first_a.epochs_done, first_b.epochs_done) > 1 else ""
    return f"**{_name(a).capitalize()} vs {_name(b)}.** {text} {noise} {forgot}".rstrip()


def said(runs: list) -> list[tuple[str, list[int]]]:
    """Runs with the same settings but the seed are repeats: one sentence on their spread, and
    the first of them stands for them against runs that differ in one other setting, with a
    sentence on whether the difference is larger than the seeds' spread. Each sentence comes
    with the numbers of the runs it is about."""
    groups = seed_families(runs)
    out = [(f"**{_name(g).capitalize()}** (seeds {', '.join(str(r.config.seed) for _, r in g)}). "
            + experiments.seed_sentence([r for _, r in g]), [n for n, _ in g]) for g in groups if len(g) > 1]
    for i, a in enumerate(groups):
        out += [(text, sorted(n for n, _ in a + b)) for b in groups[i + 1:] if (text := _pair_sentence(a, b))]
    return out


def compare_sentences(runs: list) -> list[str]:
    """The sentences of `said`, without their run numbers."""
    return [text for text, _ in said(runs)]


def overlaid(count: int, sentences: list[tuple[str, list[int]]]) -> list[int]:
    """The runs (numbered from 1 to `count`) the chart overlays at first: those the sentences
    (as `said` gives them) are about, so that the words and the curves tell of the same runs;
    with no sentence, the last two."""
    numbers = sorted({n for _, about in sentences for n in about})
    return numbers or list(range(max(1, count - 1), count + 1))

"""The command line: `python -m mnist_core train --hidden 512 --epochs 5 ...`.

`train` runs the same code path as the app and prints one line per epoch; with
`--seeds 3` it trains the same settings with three seeds and prints the mean and
range. `sweep --setting learning_rate --values 0.0001,0.001,0.01` trains one
setting at several values and prints one row per value. `export-code` prints the run as a
plain Keras script (`--notebook PATH` writes the notebook too). The flags, defaults and
--help come from the settings table (`mnist_core.config.FIELDS`).
"""

from __future__ import annotations

import argparse
import json
import sys

from mnist_core.analysis import experiments
from mnist_core.analysis.handwriting import score_over_epochs
from mnist_core.analysis.taught import compare, forgetting_sentence, held_sentence
from mnist_core.config import FIELDS, TEACH_FIELD, ConfigError, TrainConfig, check, to_text
from mnist_core.config import parse as parse_value
from mnist_core.data.datasets import DataFileError
from mnist_core.input.drawings import MAX_FILE_BYTES as MAX_DRAWINGS_FILE
from mnist_core.input.drawings import SetError, import_set, written_set
from mnist_core.model.runs import DEFAULT_MODEL, best_val_accuracy, load_run_file
from mnist_core.model.taught import TeachSet, teach_config, teach_problems
from mnist_core.store.rundir import run_name
from mnist_core.store.taught import SHIPPED
from mnist_core.teaching import code_export as export


def _add_setting(parser: argparse.ArgumentParser, field) -> None:
    """One flag per setting: yes/no settings get --name and --no-name."""
    default = to_text(field, field.default)
    text = f"{field.full_help} Default: {default}.".replace("%", "%%")  # argparse formats help with %
    if field.kind == "bool":
        parser.add_argument(field.flag, dest=field.name, action=argparse.BooleanOptionalAction,
                            default=field.default, help=text)
        return
    parser.add_argument(field.flag, dest=field.name, default=default, metavar=field.name.upper(),
                        choices=field.values if field.kind == "choice" else None, help=text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mnist_core", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a dense network and print each epoch")
    s = sub.add_parser("sweep", help="train one setting at several values and print one row per value")
    s.add_argument("--setting", required=True, choices=experiments.SWEEPABLE, help="the setting to vary")
    s.add_argument("--values", required=True, help=f"{experiments.VALUES[0]} to {experiments.VALUES[1]} values, "
                   "comma-separated, e.g. 0.0001,0.001,0.01 (hidden units and dropout apply to every layer)")
    e = sub.add_parser("export-code", help="print the run's settings as a plain Keras script (model.fit)")
    e.add_argument("--notebook", metavar="PATH", help="also write the same as a Jupyter notebook (.ipynb)")
    for field in FIELDS:
        _add_setting(e, field)
    for p in (t, s):
        for field in FIELDS:
            _add_setting(p, field)
        p.add_argument("--seeds", type=int, default=1, metavar="N",
                       help=f"train each configuration with N seeds ({experiments.SEEDS[0]} to "
                            f"{experiments.SEEDS[1]}; the seed flag is the first), and print mean and range. "
                            "Default: 1.")
        p.add_argument("--json", metavar="PATH", help="write the results (config, history, figures) as JSON")
    t.add_argument("--drawings", metavar="PATH",
                   help="after training, read a file of drawings (downloaded from the Handwriting page), or "
                        "'script' for 500 digits written stroke by stroke by a script, and print the accuracy "
                        "on them after each epoch")
    t.add_argument("--save", metavar="PATH",
                   help="write a run file (.npz): config, history and the weights of every epoch "
                        "(with --seeds, of the first seed)")
    _teach_parser(sub)
    return parser


def _teach_parser(sub) -> None:
    h = sub.add_parser("teach", help="teach a trained network a file of drawings; print it before and after")
    h.add_argument("--drawings", required=True, metavar="FILE",
                   help="a file of drawings, as the Handwriting page downloads it")
    h.add_argument("--base", metavar="RUN_FILE", help="the run file to start from, at its last epoch "
                   "(train --save writes one). Default: the shipped classic network")
    for flag, field in (("--epochs", TEACH_FIELD["teach_epochs"]), ("--replay", TEACH_FIELD["replay"])):
        h.add_argument(flag, dest=field.name, default=to_text(field, field.default), metavar=flag[2:].upper(),
                       help=f"{field.full_help} Default: {to_text(field, field.default)}.".replace("%", "%%"))
    h.add_argument("--save", metavar="PATH", help="write the taught run as a run file (.npz), every epoch's weights")
    h.add_argument("--json", metavar="PATH", help="write the taught run and its before and after as JSON")


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def _report(r) -> None:
    print(f"{r.epoch:5d}  {r.loss:.4f}  {r.accuracy:.4f}    {_fmt(r.val_loss):8s}  "
          f"{_fmt(r.val_accuracy):12s}  {r.seconds:.2f}", flush=True)


def parse(argv: list[str] | None = None) -> tuple[TrainConfig, argparse.Namespace]:
    """The config the flags ask for (and the sweep, for `sweep`, as args.sweep); anything
    impossible exits with status 2 and every problem."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "teach":
        try:
            return _teach_plan(args), args
        except (ConfigError, SetError, ValueError, OSError) as exc:
            parser.error(str(exc))  # exits with status 2, saying what the page would say
    try:
        config = TrainConfig.from_dict({f.name: getattr(args, f.name) for f in FIELDS})
        if args.command == "sweep":
            args.sweep = experiments.make_sweep(config, args.setting, args.values, args.seeds)
            return config, args
        if args.command == "export-code":
            return config.validate(), args
        experiments.seed_configs(config, args.seeds)  # checks the count
        return config.validate(), args
    except ConfigError as exc:
        parser.error("; ".join(exc.problems))  # exits with status 2


def _teach_plan(args: argparse.Namespace) -> TrainConfig:
    """The taught run's config, with its drawings and base on `args`; ValueError (a ConfigError, a
    SetError) saying what is wrong, before TensorFlow loads."""
    values = {}
    for field in (TEACH_FIELD["teach_epochs"], TEACH_FIELD["replay"]):
        try:
            values[field.name] = parse_value(field, getattr(args, field.name))
        except (TypeError, ValueError):
            raise ConfigError([f"{field.noun} {getattr(args, field.name)!r}: not a number"]) from None
        problems = check(field, values[field.name])
        if problems:
            raise ConfigError(problems)
    with open(args.drawings, "rb") as fh:
        found = import_set(fh.read(MAX_DRAWINGS_FILE + 1))
    base = load_run_file(args.base or DEFAULT_MODEL, name=args.base or "the shipped classic network")
    if not base.epochs_done:
        raise ValueError(f"{args.base}: this run has no trained epoch to start from")
    problems = teach_problems(found.dataset, found.labels, base.config.dataset)
    if problems:
        raise SetError(problems[0])
    args.taught = TeachSet.of(found.dataset, found.images, found.labels)
    args.base_run = base
    name = SHIPPED if not args.base else run_name(base.config)
    return teach_config(base.config, name, base.epochs_done, args.taught, values["teach_epochs"], values["replay"])


def teach_command(config: TrainConfig, args: argparse.Namespace) -> int:
    """Teach, one line per epoch, then the held-back drawings and the test set before and after."""
    from mnist_core.training.trainer import TrainingRun  # TensorFlow loads here, after the checks

    taught, base = args.taught, args.base_run
    run = TrainingRun(config, drawings=taught, start=base.weights_at(base.epochs_done))
    print(f"{config.describe()}: {len(taught.taught)} drawings to learn from, {len(taught.held)} held back, "
          f"{config.fit_size():,} images per epoch")
    print("epoch  loss    accuracy  val_loss  val_accuracy  seconds   (validation: the held-back drawings)")
    interrupted = False
    try:
        run.train_to(config.epochs, on_epoch=_report)
    except KeyboardInterrupt:
        print(f"interrupted: keeping the {run.epochs_done} finished epochs", file=sys.stderr)
        interrupted = True
    if not run.epochs_done:
        print(run.message or "no epoch finished", file=sys.stderr)
        return 1
    found = compare(run, run.epochs_done, taught)
    print(f"held-back drawings: before {found.held_before:.4f}  after {found.held_after:.4f}")
    print(f"test set:           before {found.test_before:.4f}  after {found.test_after:.4f}")
    print(held_sentence(found), forgetting_sentence(found))
    if args.save:
        run.save(args.save)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({**run.summary(), "held_back": {"before": found.held_before, "after": found.held_after,
                                                      "count": len(found.held)},
                       "test": {"before": found.test_before, "after": found.test_after},
                       "fixed": found.held[found.fixed].tolist(), "broken": found.held[found.broken].tolist()},
                      fh, indent=2)
    return 1 if interrupted or run.status == "diverged" else 0


def _train(config: TrainConfig, quiet: bool = False):
    """Train one run, one line per epoch unless `quiet`. Returns (run, interrupted): Ctrl+C
    keeps the finished epochs."""
    from mnist_core.training.trainer import TrainingRun  # TensorFlow loads here, after the checks

    run = TrainingRun(config)
    if not quiet:
        print(f"{config.describe()}: {run.params:,} trainable parameters, "
              f"{config.updates_per_epoch:,} updates per epoch, untrained test accuracy {run.baseline_accuracy:.4f}")
        print("epoch  loss    accuracy  val_loss  val_accuracy  seconds")
    interrupted = False
    try:
        run.train_to(config.epochs, on_epoch=None if quiet else _report)
    except KeyboardInterrupt:
        print(f"interrupted: keeping the {run.epochs_done} finished epochs", file=sys.stderr)
        interrupted = True
    if run.message and not quiet:
        print(run.message)
    return run, interrupted


def _range(values: experiments.Spread | None, percent: bool = True) -> str:
    """'97.70% (97.55-97.85)': mean and range; one value alone; '-' for none."""
    if values is None:
        return "-"
    if not percent:  # best epochs: whole numbers
        return values.count_text()
    one = f"{100 * values.mean:.2f}%"
    return one if len(values.values) < 2 else f"{one} ({100 * values.low:.2f}-{100 * values.high:.2f})"


def _spread_json(values: experiments.Spread | None) -> dict | None:
    return None if values is None else {"mean": values.mean, "low": values.low, "high": values.high,
                                        "values": list(values.values)}


def train_command(config: TrainConfig, args: argparse.Namespace) -> int:
    runs = []
    for seeded in experiments.seed_configs(config, args.seeds):
        run, interrupted = _train(seeded)
        runs.append(run)
        which = f"epoch {run.final_epoch}" + (" (best)" if run.final_epoch != run.epochs_done else "")
        print(f"test accuracy {run.test_accuracy:.4f}, test loss {run.test_loss:.4f} ({which}, {run.status})")
        if args.drawings and run.epochs_done:
            _read_drawings(run, args.drawings)
        if interrupted:
            break
    if len(runs) > 1:
        tests = experiments.spread([r.test_accuracy for r in runs if r.epochs_done])
        best_val = experiments.spread([best_val_accuracy(r.history) for r in runs])
        print(f"over {len(runs)} seeds: test accuracy {_range(tests)}, best validation accuracy {_range(best_val)}")
    if args.json and runs:
        with open(args.json, "w") as fh:
            json.dump(runs[0].summary() if len(runs) == 1 else {"runs": [r.summary() for r in runs]}, fh, indent=2)
    if args.save and runs and runs[0].epochs_done:
        runs[0].save(args.save)
    return 1 if any(r.status == "diverged" for r in runs) else 0


def _read_drawings(run, path: str) -> None:
    """The run's accuracy on a file of drawings (or the script's digits) after every epoch."""

    if path == "script":
        drawings, what = written_set(), "digits written by a script"
    else:
        with open(path, "rb") as fh:
            drawings, what = import_set(fh.read(MAX_DRAWINGS_FILE + 1)), f"drawings in {path}"
    if drawings.dataset != run.config.dataset:
        raise SetError(f"{path} holds drawings of {drawings.dataset}, and this run learnt {run.config.dataset}")
    by_epoch = score_over_epochs(run, drawings)
    print(f"accuracy on the {len(drawings)} {what}, epoch by epoch: " + " ".join(f"{a:.4f}" for a in by_epoch))


def sweep_command(sweep: experiments.Sweep, args: argparse.Namespace) -> int:
    configs = sweep.configs()
    print(f"sweep of {sweep.name} over {', '.join(sweep.text(v) for v in sweep.values)}: {len(configs)} runs "
          f"of {sweep.base.describe()}", flush=True)
    trained = {}
    for i, config in enumerate(configs, 1):
        run, interrupted = _train(config, quiet=True)
        trained[config.key()] = run
        print(f"  run {i} of {len(configs)}: {config.describe()}: {run.status}, "
              f"test accuracy {run.test_accuracy:.4f}, {sum(e.seconds for e in run.history):.1f} s", flush=True)
        if interrupted:
            print("the rows below count the finished runs", file=sys.stderr)
            break
    rows = experiments.sweep_rows(sweep, lambda c: trained.get(c.key()))
    width = max(len(sweep.name), 8)
    print(f"{sweep.name:{width}s}  {'best val accuracy':26s}  {'test accuracy':26s}  {'best epoch':12s}  seconds")
    for row in rows:
        print(f"{row.text:{width}s}  {_range(row.best_val):26s}  {_range(row.test):26s}  "
              f"{_range(row.best_epoch, percent=False):12s}  {row.seconds:.1f}"
              + (f"  ({row.diverged} diverged)" if row.diverged else ""))
    sentence = experiments.sweep_sentence(sweep, rows)
    if sentence:
        print(sentence)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"setting": sweep.setting, "values": [sweep.text(v) for v in sweep.values], "seeds": sweep.seeds,
                       "base": sweep.base.to_dict(), "sentence": sentence, "rows": [
                           {"value": row.text, "best_val_accuracy": _spread_json(row.best_val),
                            "test_accuracy": _spread_json(row.test), "best_epoch": _spread_json(row.best_epoch),
                            "seconds": row.seconds, "diverged": row.diverged, "not_trained": row.waiting,
                            "runs": [r.summary() for r in row.runs]} for row in rows]}, fh, indent=2)
    return 0


def export_command(config: TrainConfig, args: argparse.Namespace) -> int:
    """The run as a Keras script on standard output; with --notebook, the notebook too."""

    print(export.script(config), end="")
    if args.notebook:
        with open(args.notebook, "w") as fh:
            fh.write(export.notebook_text(config))
        print(f"# notebook written to {args.notebook}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    config, args = parse(argv)
    try:
        if args.command == "export-code":
            return export_command(config, args)
        if args.command == "sweep":
            return sweep_command(args.sweep, args)
        if args.command == "teach":
            return teach_command(config, args)
        return train_command(config, args)
    except (DataFileError, SetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

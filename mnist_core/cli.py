"""The command line: `python -m mnist_core train --hidden 512 --epochs 5 ...`.

It runs the same code path as the app and prints one line per epoch. Its flags,
defaults and --help come from the settings table (`mnist_core.config.FIELDS`).
"""

from __future__ import annotations

import argparse
import json
import sys

from mnist_core.config import FIELDS, ConfigError, TrainConfig, to_text
from mnist_core.data import DataFileError


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
    parser = argparse.ArgumentParser(prog="python -m mnist_core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a dense network and print each epoch")
    for field in FIELDS:
        _add_setting(t, field)
    t.add_argument("--json", metavar="PATH", help="write the whole run (config, history, results) as JSON")
    t.add_argument("--save", metavar="PATH",
                   help="write a run file (.npz): config, history and the weights of every epoch")
    return parser


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def _report(r) -> None:
    print(f"{r.epoch:5d}  {r.loss:.4f}  {r.accuracy:.4f}    {_fmt(r.val_loss):8s}  "
          f"{_fmt(r.val_accuracy):12s}  {r.seconds:.2f}", flush=True)


def parse(argv: list[str] | None = None) -> tuple[TrainConfig, argparse.Namespace]:
    """The config the flags ask for; an impossible one exits with status 2 and every problem."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return TrainConfig.from_dict({f.name: getattr(args, f.name) for f in FIELDS}).validate(), args
    except ConfigError as exc:
        parser.error("; ".join(exc.problems))  # exits with status 2


def main(argv: list[str] | None = None) -> int:
    config, args = parse(argv)

    from mnist_core.training import TrainingRun  # TensorFlow loads here, after the checks

    try:
        run = TrainingRun(config)
    except DataFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{config.describe()}: {run.params:,} trainable parameters, "
          f"{config.updates_per_epoch:,} updates per epoch, "
          f"untrained test accuracy {run.baseline_accuracy:.4f}")
    print("epoch  loss    accuracy  val_loss  val_accuracy  seconds")
    try:
        run.train_to(config.epochs, on_epoch=_report)
    except KeyboardInterrupt:
        print(f"interrupted: keeping the {run.epochs_done} finished epochs", file=sys.stderr)
    if run.message:
        print(run.message)
    which = f"epoch {run.final_epoch}" + (" (best)" if run.final_epoch != run.epochs_done else "")
    print(f"test accuracy {run.test_accuracy:.4f}, test loss {run.test_loss:.4f} ({which}, {run.status})")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(run.summary(), fh, indent=2)
    if args.save and run.epochs_done:
        run.save(args.save)
    return 1 if run.status == "diverged" else 0

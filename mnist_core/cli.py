"""The command line: `python -m mnist_core train --hidden 512 --epochs 5 ...`.

It runs the same code path as the app and prints one line per epoch.
"""

from __future__ import annotations

import argparse
import json
import sys

from mnist_core.config import (
    ACTIVATIONS,
    FIELD_HELP,
    LOSSES,
    OPTIMIZERS,
    ConfigError,
    TrainConfig,
)
from mnist_core.data import DATASETS, DataFileError

_DEFAULTS = TrainConfig()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mnist_core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a dense network and print each epoch")
    t.add_argument("--dataset", choices=DATASETS, default=_DEFAULTS.dataset, help=FIELD_HELP["dataset"])
    t.add_argument("--hidden", default="512", help=FIELD_HELP["hidden"])
    t.add_argument("--dropout", default="0", help=FIELD_HELP["dropout"])
    t.add_argument("--activation", choices=ACTIVATIONS, default=_DEFAULTS.activation,
                   help=FIELD_HELP["activation"])
    t.add_argument("--optimizer", choices=OPTIMIZERS, default=_DEFAULTS.optimizer,
                   help=FIELD_HELP["optimizer"])
    t.add_argument("--learning-rate", default=str(_DEFAULTS.learning_rate), help=FIELD_HELP["learning_rate"])
    t.add_argument("--loss", choices=LOSSES, default=_DEFAULTS.loss, help=FIELD_HELP["loss"])
    t.add_argument("--epochs", default=str(_DEFAULTS.epochs), help=FIELD_HELP["epochs"])
    t.add_argument("--batch-size", default=str(_DEFAULTS.batch_size), help=FIELD_HELP["batch_size"])
    t.add_argument("--validation", default=_DEFAULTS.validation, help=FIELD_HELP["validation"])
    t.add_argument("--no-normalize", dest="normalize", action="store_false", help=FIELD_HELP["normalize"])
    t.add_argument("--train-samples", default="all", help=FIELD_HELP["train_samples"])
    t.add_argument("--seed", default=str(_DEFAULTS.seed), help=FIELD_HELP["seed"])
    t.add_argument("--early-stopping", default="0", help=FIELD_HELP["early_stopping"])
    t.add_argument("--keep-best", action="store_true", help=FIELD_HELP["keep_best"])
    t.add_argument("--json", metavar="PATH", help="write the whole run (config, history, results) as JSON")
    t.add_argument("--save", metavar="PATH",
                   help="write a run file (.npz): config, history and the weights of every epoch")
    return parser


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    fields = {k: v for k, v in vars(args).items() if k not in ("command", "json", "save")}
    try:
        config = TrainConfig.from_dict(fields).validate()
    except ConfigError as exc:
        parser.error("; ".join(exc.problems))  # exits with status 2

    from mnist_core.training import TrainingRun  # TensorFlow loads here, after the checks

    try:
        run = TrainingRun(config)
    except DataFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{config.describe()}: {run.params:,} trainable parameters, "
          f"{run.updates_per_epoch:,} updates per epoch, "
          f"untrained test accuracy {run.baseline_accuracy:.4f}")
    print("epoch  loss    accuracy  val_loss  val_accuracy  seconds")

    def report(r) -> None:
        print(f"{r.epoch:5d}  {r.loss:.4f}  {r.accuracy:.4f}    {_fmt(r.val_loss):8s}  "
              f"{_fmt(r.val_accuracy):12s}  {r.seconds:.2f}", flush=True)

    try:
        run.train_to(config.epochs, on_epoch=report)
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

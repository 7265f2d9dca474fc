import dataclasses
import math

import pytest

from mnist_core import cli
from mnist_core.config import FIELD, FIELDS, ConfigError, TrainConfig, to_text


def only_problem(**changes) -> str:
    problems = TrainConfig(**changes).problems()
    assert len(problems) == 1, problems
    return problems[0]


def test_defaults_are_the_classic_network_and_valid():
    c = TrainConfig()
    assert c.hidden == (512,) and c.optimizer == "rmsprop" and c.epochs == 5 and c.batch_size == 128
    assert c.problems() == []
    assert c.validate() is c
    assert all(getattr(c, f.name) == f.default for f in FIELDS)  # the table holds the defaults


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"dataset": "cifar"}, "dataset 'cifar': choose one of mnist, fashion_mnist"),
        ({"hidden": (), "dropout": ()}, "hidden layers 0: use 1 to 4 hidden layers"),
        ({"hidden": (8,) * 5, "dropout": (0.0,)}, "hidden layers 5: use 1 to 4 hidden layers"),
        ({"hidden": (2000,)}, "layer 1 units 2000: must be between 1 and 1,024"),
        ({"hidden": (64, 0), "dropout": (0.0, 0.0)}, "layer 2 units 0: must be between 1 and 1,024"),
        ({"dropout": (0.9,)}, "layer 1 dropout 0.9: must be between 0 and 0.8"),
        ({"hidden": (8, 8), "dropout": (0.1, 0.1, 0.1)}, "dropout: give one rate, or one per hidden layer (2), not 3"),
        ({"activation": "gelu"}, "activation 'gelu': choose one of relu, sigmoid, tanh"),
        ({"optimizer": "lbfgs"}, "optimizer 'lbfgs': choose one of sgd, momentum, rmsprop, adam"),
        ({"learning_rate": 0.0}, "learning rate 0: must be between 0.00001 and 10"),
        ({"learning_rate": math.inf}, "learning rate inf: must be between 0.00001 and 10"),
        ({"loss": "hinge"}, "loss 'hinge': choose one of"),
        ({"epochs": 0}, "epochs 0: must be between 1 and 100"),
        ({"epochs": 101}, "epochs 101: must be between 1 and 100"),
        ({"batch_size": 0}, "batch size 0: must be between 1 and 60,000"),
        ({"validation": "split:0.9"}, "validation 'split:0.9': use split:<0.05 to 0.5>, test or none"),
        ({"validation": "split:0.01"}, "validation 'split:0.01': use split:<0.05 to 0.5>"),
        ({"validation": "split:abc"}, "validation 'split:abc': use split:<0.05 to 0.5>"),
        ({"validation": "half"}, "validation 'half': use split:<0.05 to 0.5>, test or none"),
        ({"train_samples": 10}, "training images 10: must be between 100 and 60,000"),
        ({"seed": -1}, "seed -1: must be between 0 and 2,147,483,647"),
        ({"early_stopping": -2}, "early stopping patience -2: must be between 0 and 100"),
        ({"keep_best": True, "validation": "none"}, "early stopping and keep-best watch the validation loss: choose a validation set"),
        ({"batch_size": 900, "train_samples": 1000, "validation": "split:0.2"},
         "batch size 900: larger than the 800 training images"),
    ],
)
def test_each_problem_has_a_plain_message(changes, message):
    assert only_problem(**changes).startswith(message)


def test_validate_lists_every_problem():
    with pytest.raises(ConfigError) as err:
        TrainConfig(epochs=0, batch_size=0).validate()
    assert err.value.problems == ["epochs 0: must be between 1 and 100",
                                  "batch size 0: must be between 1 and 60,000"]


# --- the table's limits hold at the config, in a link and on the command line ---------

def edges(field):
    """(values at the limits, [(value outside, the limit it is moved to)]) for a limited field."""
    lo, hi = field.low, field.high
    if field.kind == "units":
        return [(int(lo),), (int(hi),), (8,) * field.layers[1]], \
            [((int(lo) - 1,), (int(lo),)), ((int(hi) + 1,), (int(hi),)),
             ((8,) * (field.layers[1] + 1), (8,) * field.layers[1])]
    if field.kind == "rates":
        return [(lo,), (hi,)], [((hi + 0.1,), (hi,))]
    if field.kind == "validation":
        return [f"split:{lo:g}", f"split:{hi:g}"], [(f"split:{lo / 2:g}", f"split:{lo:g}"),
                                                     (f"split:{hi + 0.1:g}", f"split:{hi:g}")]
    step = 1 if field.kind in ("int", "samples") else lo / 2
    cast = float if field.kind == "float" else int
    return [cast(lo), cast(hi)], [(cast(lo - step), cast(lo)), (cast(hi * 2), cast(hi))]


LIMITED = [f for f in FIELDS if f.low is not None]


def others(field) -> dict:
    # Keep the cross-field checks quiet: a batch of 1 fits any training set, and validating on
    # the test set leaves every training image for training (and allows early stopping).
    return {k: v for k, v in {"batch_size": 1, "validation": "test"}.items() if k != field.name}


def test_every_setting_is_in_the_table_once():
    names = [f.name for f in FIELDS]
    # ... and `teach`, which no form or flag sets: teaching makes it (mnist_core.model.taught).
    assert names + ["teach"] == [f.name for f in dataclasses.fields(TrainConfig)] and len(set(names)) == len(names)
    assert len({f.flag for f in FIELDS}) == len(FIELDS)
    assert all(f.help and f.label for f in FIELDS)


@pytest.mark.parametrize("field", LIMITED, ids=lambda f: f.name)
def test_limits_are_the_same_for_config_link_and_cli(field, capsys):
    inside, outside = edges(field)
    for value in inside:
        config = TrainConfig(**others(field), **{field.name: value})
        assert config.problems() == [], (field.name, value)
        linked, notes = TrainConfig.from_link({**config.to_dict()})
        assert linked == config and notes == []
        flags = [field.flag, to_text(field, value)] + [a for k, v in others(field).items()
                                                       for a in (FIELD[k].flag, to_text(FIELD[k], v))]
        assert cli.parse(["train", *flags])[0] == config
    for value, limit in outside:
        config = TrainConfig(**others(field), **{field.name: value})
        assert config.problems(), (field.name, value)
        linked, notes = TrainConfig.from_link({field.name: to_text(field, value)})
        assert getattr(linked, field.name) == limit, (field.name, value)
        assert len(notes) == 1 and notes[0].startswith((field.name, field.noun)), notes
        with pytest.raises(SystemExit) as exit_:
            cli.parse(["train", field.flag, to_text(field, value)])
        assert exit_.value.code == 2
        assert config.problems()[0] in capsys.readouterr().err


def test_a_link_never_changes_a_value_silently():
    config, notes = TrainConfig.from_link({"hidden": "99999", "learning_rate": "-5", "seed": "abc",
                                           "optimizer": "lbfgs", "colour": "red", "epochs": "12"})
    assert config.hidden == (1024,) and config.learning_rate == FIELD["learning_rate"].low
    assert config.seed == 0 and config.optimizer == "rmsprop" and config.epochs == 12
    assert len(notes) == 5
    assert "unknown setting 'colour' ignored" in notes and "seed 'abc': not a valid value, ignored" in notes
    assert any(n.startswith("optimizer 'lbfgs': not one of") for n in notes)


def test_round_trip_through_a_dict_of_strings():
    c = TrainConfig(dataset="fashion_mnist", hidden=(512, 256), dropout=(0.2, 0.1), activation="tanh",
                    optimizer="adam", learning_rate=3e-4, loss="sparse_categorical_crossentropy",
                    epochs=20, batch_size=64, validation="split:0.2", normalize=False,
                    train_samples=5000, seed=7, early_stopping=3, keep_best=True)
    d = c.to_dict()
    assert all(isinstance(v, str) for v in d.values())
    assert d["hidden"] == "512,256" and d["dropout"] == "0.2,0.1" and d["normalize"] == "false"
    assert TrainConfig.from_dict(d) == c
    assert hash(TrainConfig.from_dict(d)) == hash(c)
    assert TrainConfig.from_dict(TrainConfig().to_dict()) == TrainConfig()
    assert TrainConfig.from_link(d) == (c, [])


def test_one_dropout_value_applies_to_every_layer():
    c = TrainConfig.from_dict({"hidden": "512,512", "dropout": "0.2"})
    assert c.dropout == (0.2, 0.2)
    linked, notes = TrainConfig.from_link({"hidden": "512,512", "dropout": "0.2,0.1,0.3"})
    assert linked.dropout == (0.0, 0.0) and notes == ["dropout: 3 rates for 2 hidden layers, ignored"]


def test_from_dict_is_strict():
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        TrainConfig.from_dict({"colour": "red"})
    with pytest.raises(ConfigError, match="epochs 'ten': not a valid value"):
        TrainConfig.from_dict({"epochs": "ten", "seed": "3"})
    assert TrainConfig.from_dict({"epochs": "500"}).epochs == 500  # kept for problems() to report


def test_configs_that_differ_only_in_epochs_share_a_key():
    a, b = TrainConfig(epochs=3), TrainConfig(epochs=20)
    assert a != b and a.key() == b.key()
    assert TrainConfig(seed=1).key() != a.key()


def test_gradient_updates_per_epoch_match_the_lesson():
    assert TrainConfig(batch_size=10, validation="none").updates_per_epoch == 6000
    assert TrainConfig(batch_size=128, validation="none").updates_per_epoch == 469
    assert TrainConfig().updates_per_epoch == math.ceil(48000 / 128)  # 20% held back by default


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TrainConfig().epochs = 3


def test_cli_help_comes_from_the_table(capsys):
    with pytest.raises(SystemExit):
        cli.parse(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for field in FIELDS:
        assert field.flag in text
        assert " ".join(field.full_help.split()) in text.replace("%%", "%")


def test_two_different_runs_never_share_a_name():
    """A run's name (describe) says every setting that sets it apart: runs that differ in any one
    setting, or are the lessons' runs, have names of their own."""
    from dataclasses import replace

    from mnist_core.teaching.lessons import LESSONS

    base = TrainConfig()
    other = {"dataset": "fashion_mnist", "hidden": (128,), "activation": "tanh", "dropout": (0.2,),
             "optimizer": "adam", "learning_rate": 0.01, "loss": "mean_squared_error", "epochs": 6,
             "batch_size": 64, "validation": "test", "normalize": False, "train_samples": 2000, "seed": 1,
             "early_stopping": 2, "keep_best": True, "augment": "move"}
    assert set(other) == {f.name for f in FIELDS}  # a new setting must be named too
    configs = [base] + [replace(base, **{name: value}) for name, value in other.items()]
    configs += [replace(base, loss="sparse_categorical_crossentropy"), replace(base, validation="none"),
                replace(base, validation="split:0.3")]
    configs += [config for lesson in LESSONS for _, config in lesson.runs]
    distinct = {config.key(): config for config in configs}
    names = [config.describe() for config in distinct.values()]
    assert len(set(names)) == len(names), sorted(names)
    assert TrainConfig().describe() == "mnist 512 relu, rmsprop 0.001, batch 128, 5 epochs"
    assert "rmsprop 0.00001," in TrainConfig(learning_rate=1e-5).describe()  # as the lessons write it, not 1e-05

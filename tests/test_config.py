import dataclasses
import math

import pytest

from mnist_core.config import ConfigError, TrainConfig


def only_problem(**changes) -> str:
    problems = TrainConfig(**changes).problems()
    assert len(problems) == 1, problems
    return problems[0]


def test_defaults_are_the_classic_network_and_valid():
    c = TrainConfig()
    assert c.hidden == (512,) and c.optimizer == "rmsprop" and c.epochs == 5 and c.batch_size == 128
    assert c.problems() == []
    assert c.validate() is c


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"dataset": "cifar"}, "dataset 'cifar': choose one of mnist, fashion_mnist"),
        ({"hidden": (), "dropout": ()}, "hidden layers 0: use 1 to 4 hidden layers"),
        ({"hidden": (8,) * 5, "dropout": (0.0,)}, "hidden layers 5: use 1 to 4 hidden layers"),
        ({"hidden": (2000,)}, "layer 1 units 2000: must be between 1 and 1024"),
        ({"hidden": (64, 0), "dropout": (0.0, 0.0)}, "layer 2 units 0: must be between 1 and 1024"),
        ({"dropout": (0.9,)}, "layer 1 dropout 0.9: must be between 0 and 0.8"),
        ({"hidden": (8, 8), "dropout": (0.1, 0.1, 0.1)}, "dropout: give one rate, or one per hidden layer (2), not 3"),
        ({"activation": "gelu"}, "activation 'gelu': choose one of relu, sigmoid, tanh"),
        ({"optimizer": "lbfgs"}, "optimizer 'lbfgs': choose one of sgd, momentum, rmsprop, adam"),
        ({"learning_rate": 0.0}, "learning rate 0: must be above 0 and at most 100 (0.001 is a good start)"),
        ({"learning_rate": math.inf}, "learning rate inf: must be above 0 and at most 100 (0.001 is a good start)"),
        ({"loss": "hinge"}, "loss 'hinge': choose one of"),
        ({"epochs": 0}, "epochs 0: must be between 1 and 100"),
        ({"epochs": 101}, "epochs 101: must be between 1 and 100"),
        ({"batch_size": 0}, "batch size 0: must be at least 1"),
        ({"validation": "split:0.9"}, "validation 'split:0.9': the split fraction must be between 0.01 and 0.5"),
        ({"validation": "split:abc"}, "validation 'split:abc': the split fraction must be between"),
        ({"validation": "half"}, "validation 'half': use split:<fraction>, test or none"),
        ({"train_samples": 10}, "training samples 10: must be between 100 and 60,000"),
        ({"seed": -1}, "seed -1: must be between 0 and 2147483647"),
        ({"early_stopping": -2}, "early stopping -2: patience must be 0 (off) to 100"),
        ({"keep_best": True}, "early stopping and keep-best watch the validation loss: choose a validation set"),
        ({"batch_size": 60001}, "batch size 60001: larger than the 60,000 training samples; use at most 60,000"),
        ({"batch_size": 900, "train_samples": 1000, "validation": "split:0.2"},
         "batch size 900: larger than the 800 training samples"),
    ],
)
def test_each_problem_has_a_plain_message(changes, message):
    assert only_problem(**changes).startswith(message)


def test_validate_lists_every_problem():
    with pytest.raises(ConfigError) as err:
        TrainConfig(epochs=0, batch_size=0).validate()
    assert err.value.problems == ["epochs 0: must be between 1 and 100", "batch size 0: must be at least 1"]


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


def test_one_dropout_value_applies_to_every_layer():
    c = TrainConfig.from_dict({"hidden": "512,512", "dropout": "0.2"})
    assert c.dropout == (0.2, 0.2)


def test_from_dict_strict_and_lenient():
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        TrainConfig.from_dict({"colour": "red"})
    config, notes = TrainConfig.from_dict_lenient(
        {"epochs": "ten", "batch_size": "1e99", "colour": "red", "seed": "3"})
    assert config.epochs == TrainConfig().epochs and config.seed == 3
    assert len(notes) == 3
    assert any("epochs 'ten'" in n for n in notes)


def test_configs_that_differ_only_in_epochs_share_a_key():
    a, b = TrainConfig(epochs=3), TrainConfig(epochs=20)
    assert a != b and a.key() == b.key()
    assert TrainConfig(seed=1).key() != a.key()


def test_gradient_updates_per_epoch_match_the_lesson():
    assert TrainConfig(batch_size=10).updates_per_epoch == 6000
    assert TrainConfig(batch_size=128).updates_per_epoch == 469
    assert TrainConfig(validation="split:0.2").updates_per_epoch == math.ceil(48000 / 128)


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TrainConfig().epochs = 3

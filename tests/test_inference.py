"""Numpy predictions and run files: the Draw page's model without TensorFlow."""

import numpy as np
import pytest

from mnist_core.config import TrainConfig
from mnist_core.data.datasets import load_dataset
from mnist_core.model.inference import forward
from mnist_core.model.preprocess import prepare_images
from mnist_core.model.runs import DEFAULT_MODEL, load_run_file


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_numpy_forward_matches_keras(activation):
    from mnist_core.training.trainer import build_model, train

    run = train(TrainConfig(hidden=(32, 16), dropout=(0.2, 0.0), activation=activation, epochs=1,
                            train_samples=1000))
    x = prepare_images(load_dataset("mnist").x_test[:200])
    model = build_model(run.config)
    model.set_weights(run.weights_at(1))
    keras_probs = np.asarray(model(x, training=False))
    numpy_probs = forward(run.weights_at(1), activation, x)
    assert np.allclose(keras_probs, numpy_probs, atol=1e-5)


def test_run_file_round_trip(tmp_path):
    from mnist_core.training.trainer import train

    run = train(TrainConfig(hidden=(32,), epochs=2, train_samples=1000, validation="split:0.2"))
    path = tmp_path / "run.npz"
    run.save(path)
    stored = load_run_file(path)
    assert stored.config == run.config and stored.epochs_done == 2
    assert stored.history == run.history
    for epoch in (0, 1, 2):
        assert np.allclose(stored.weights_at(epoch)[0], run.weights_at(epoch)[0], atol=2e-3)


def test_not_a_run_file_is_a_plain_error(tmp_path):
    bad = tmp_path / "x.npz"
    bad.write_text("hello")
    with pytest.raises(ValueError, match="not a MNIST Lab run file"):
        load_run_file(bad)


def test_the_shipped_default_model_is_the_classic_network_and_reads_digits():
    """mnist_core/model/shipped/default_mnist.npz, made by the command in the README."""
    run = load_run_file(DEFAULT_MODEL)
    assert run.config.hidden == (512,) and run.config.optimizer == "rmsprop"
    assert run.config.epochs == 5 and run.config.seed == 0 and run.epochs_done == 5
    ds = load_dataset("mnist")
    probs = forward(run.weights_at(5), "relu", prepare_images(ds.x_test))
    accuracy = (probs.argmax(1) == ds.y_test).mean()
    assert accuracy > 0.97
    assert accuracy == pytest.approx(run.test_accuracy, abs=1e-4)

import dataclasses

import numpy as np
import pytest

from mnist_core.analysis.evaluate import (
    accuracy,
    confusion_matrix,
    most_confident_mistakes,
    per_class_accuracy,
)
from mnist_core.config import ConfigError, TrainConfig
from mnist_core.training import trainer as training
from mnist_core.training.trainer import TrainingRun, build_model, layer_table, train, trainable_params


@pytest.fixture(scope="module")
def run(small_config):
    calls = []
    run = train(small_config, on_epoch=calls.append)
    run.calls = calls
    return run


def test_short_training_reaches_well_above_chance(run):
    assert run.status == "finished" and run.epochs_done == 2
    assert 0.02 < run.baseline_accuracy < 0.25  # untrained: about one in ten
    assert run.test_accuracy > 0.8
    assert run.history[-1].loss < run.history[0].loss


def test_callback_is_called_after_every_epoch_with_metrics_and_speed(run):
    assert [r.epoch for r in run.calls] == [1, 2]
    for r in run.calls:
        assert 0 < r.accuracy <= 1 and 0 < r.val_accuracy <= 1 and r.val_loss > 0
        assert 0 < r.test_accuracy <= 1
        assert r.seconds > 0 and r.samples_per_second == pytest.approx(2400 / r.seconds)
    assert run.calls[1].elapsed > run.calls[0].elapsed


def test_run_facts(run, small_config):
    assert run.params == 784 * 64 + 64 + 64 * 10 + 10
    assert run.updates_per_epoch == 19  # ceil(2400 / 128)
    val_losses = [r.val_loss for r in run.history]
    assert run.best_epoch == 1 + val_losses.index(min(val_losses))
    summary = run.summary()
    assert summary["status"] == "finished" and len(summary["history"]) == 2
    assert summary["config"] == small_config.to_dict()


def test_every_epoch_can_be_looked_at_again(run):
    ds = run.dataset
    for epoch in (1, 2):
        probs = run.predict(ds.x_test[:2000], epoch=epoch)
        assert probs.shape == (2000, 10)
        assert np.allclose(probs.sum(axis=1), 1, atol=1e-4)
    # The recorded test accuracy of each epoch is what its stored weights give.
    for epoch in (1, 2):
        probs = run.predict(ds.x_test, epoch=epoch)
        assert accuracy(probs, ds.y_test) == pytest.approx(run.result_at(epoch).test_accuracy, abs=0.002)
    untrained = run.predict(ds.x_test, epoch=0)
    assert accuracy(untrained, ds.y_test) == pytest.approx(run.baseline_accuracy, abs=0.01)


def test_same_seed_same_history_and_extending_matches_a_longer_run(small_config):
    a = train(dataclasses.replace(small_config, epochs=3))
    b = TrainingRun(small_config).train_to(1).train_to(3)  # asked for 1 epoch, then 3
    assert [r.loss for r in a.history] == [r.loss for r in b.history]
    assert [r.val_accuracy for r in a.history] == [r.val_accuracy for r in b.history]
    other_seed = train(dataclasses.replace(small_config, epochs=1, seed=2))
    assert other_seed.history[0].loss != a.history[0].loss


def test_fewer_epochs_reads_the_stored_epoch_without_training(run):
    before = list(run.history)
    assert run.train_to(1) is run
    assert run.history == before
    assert run.result_at(1) is before[0]


def test_cancel_keeps_the_finished_epochs(small_config):
    seen = []
    run = TrainingRun(dataclasses.replace(small_config, epochs=5))
    run.train_to(5, on_epoch=lambda r: seen.append(r.epoch) or r.epoch == 2)
    assert seen == [1, 2]
    assert run.status == "stopped" and run.epochs_done == 2
    assert "Stopped after epoch 2" in run.message
    run.train_to(3)  # a stopped run continues
    assert run.epochs_done == 3 and run.status == "finished"


def test_a_diverging_run_is_reported_not_raised():
    # The largest learning rate on raw pixels: the loss explodes in the first epoch.
    config = TrainConfig(hidden=(32,), optimizer="sgd", learning_rate=10, normalize=False,
                         epochs=3, train_samples=2000)
    run = train(config)
    assert run.status == "diverged"
    assert run.diverged_epoch == 1 and run.epochs_done == 0
    assert "diverged in epoch 1" in run.message and "smaller learning rate" in run.message
    assert "no epoch finished" in run.message
    assert run.train_to(5).epochs_done == 0  # nothing to continue


def test_early_stopping_and_keep_best():
    config = TrainConfig(hidden=(256,), epochs=30, train_samples=1000, validation="split:0.3",
                         early_stopping=2, keep_best=True, seed=0)
    run = train(config)
    assert run.status == "early_stopped"
    assert run.epochs_done < 30 and run.epochs_done - run.best_epoch == 2
    assert run.final_epoch == run.best_epoch
    assert run.test_accuracy == run.result_at(run.best_epoch).test_accuracy
    best = run.predict(run.dataset.x_test[:500], epoch=run.best_epoch)
    assert np.array_equal(best, run.predict(run.dataset.x_test[:500]))


def test_test_set_as_validation_equals_test_evaluation():
    run = train(TrainConfig(hidden=(32,), epochs=1, train_samples=2000, validation="test"))
    last = run.history[-1]
    assert last.val_accuracy == last.test_accuracy == run.test_accuracy


def test_invalid_config_is_refused_before_building():
    with pytest.raises(ConfigError, match="batch size 0"):
        TrainingRun(TrainConfig(batch_size=0))


def test_the_deeper_lesson_network_has_669706_parameters():
    config = TrainConfig(hidden=(512, 512), dropout=(0.2, 0.2))
    model = build_model(config)
    assert trainable_params(model) == 669_706
    rows = layer_table(model)
    assert [r["type"] for r in rows] == ["Dense", "Dropout", "Dense", "Dropout", "Dense"]
    assert rows[0]["output shape"] == "(batch, 512)" and rows[-1]["parameters"] == 5130


def test_evaluation_helpers():
    labels = np.array([0, 1, 1, 2])
    probs = np.array([
        [0.9, 0.05, 0.05] + [0] * 7,
        [0.1, 0.8, 0.1] + [0] * 7,
        [0.7, 0.2, 0.1] + [0] * 7,   # wrong, 0.7 sure
        [0.05, 0.9, 0.05] + [0] * 7,  # wrong, 0.9 sure
    ])
    predicted = probs.argmax(1)
    cm = confusion_matrix(labels, predicted)
    assert cm[1, 0] == 1 and cm[2, 1] == 1 and cm.sum() == 4
    per_class = per_class_accuracy(labels, predicted)
    assert per_class[0] == 1.0 and per_class[1] == 0.5 and per_class[2] == 0.0 and np.isnan(per_class[5])
    assert most_confident_mistakes(probs, labels).tolist() == [3, 2]
    assert accuracy(probs, labels) == 0.5


def test_layer_rows_match_the_keras_model():
    config = TrainConfig(hidden=(128, 64), dropout=(0.0, 0.3), activation="tanh")
    keras_rows = layer_table(build_model(config))
    rows = config.layer_rows()
    assert [r["parameters"] for r in rows] == [r["parameters"] for r in keras_rows]
    assert [r["output shape"] for r in rows] == [r["output shape"] for r in keras_rows]
    assert config.param_count == trainable_params(build_model(config))


def test_untrained_accuracy_is_the_runs_starting_point(small_config):
    from mnist_core.training.trainer import untrained_accuracy

    assert untrained_accuracy(small_config) == pytest.approx(TrainingRun(small_config).baseline_accuracy, abs=1e-4)


def test_the_per_epoch_state_stays_within_the_budget():
    config = TrainConfig(hidden=(64,), epochs=6, train_samples=1000, validation="split:0.2")
    params = config.param_count  # 50,890 weights: 204 kB as float32
    # One exact float32 copy, the 8-bit start, and 60 epochs of the three-level code.
    budget = 4 * params + params + 60 * (params // 5 + 4 * (64 + 64 + 10 + 10)) + 2000
    run = TrainingRun(config, budget=budget).train_to(6)
    assert run.snapshot_bytes <= budget
    assert set(run.bits) == {1.6}  # the small budget forced the three-level code
    # Even so, each stored epoch predicts close to what the network did then.
    for epoch in range(1, 6):
        acc = accuracy(run.predict(run.dataset.x_test, epoch=epoch), run.dataset.y_test)
        assert acc == pytest.approx(run.result_at(epoch).test_accuracy, abs=0.05)


def test_predictions_do_not_wait_for_a_run_being_extended(small_config):
    import threading

    run = train(small_config)
    started = threading.Event()
    worker = threading.Thread(target=lambda: run.train_to(100, on_epoch=lambda r: started.set()))
    worker.start()
    started.wait(60)
    probs = run.predict(run.dataset.x_test[:10], epoch=1)  # while epochs 3-100 train
    assert probs.shape == (10, 10)
    assert worker.is_alive()  # the prediction did not wait for the training to end
    worker.join(300)
    assert run.epochs_done == 100


def test_best_epoch_is_the_lowest_validation_loss():
    from mnist_core.model.runs import EpochResult, best_epoch

    def row(epoch, val_loss):
        return EpochResult(epoch, 0.5, 0.9, val_loss, 0.9, 0.3, 0.9, 1.0, 1.0, 1e4)

    assert best_epoch([row(1, 0.4), row(2, 0.2), row(3, 0.3)]) == 2
    assert best_epoch([row(1, 0.2), row(2, 0.2)]) == 1  # a tie goes to the earlier epoch
    assert best_epoch([row(1, None), row(2, None)]) is None


def test_every_choice_in_the_settings_table_is_implemented():
    from mnist_core.config import FIELD
    from mnist_core.model.inference import forward
    from mnist_core.training.trainer import make_loss, make_optimizer

    for optimizer in FIELD["optimizer"].values:
        assert make_optimizer(TrainConfig(optimizer=optimizer)).learning_rate is not None
    for loss in FIELD["loss"].values:
        assert make_loss(TrainConfig(loss=loss)) is not None
    x = np.ones((2, 784), np.float32)
    weights = [np.full((784, 3), 0.01, np.float32), np.zeros(3, np.float32),
               np.ones((3, 10), np.float32), np.zeros(10, np.float32)]
    for activation in FIELD["activation"].values:
        assert forward(weights, activation, x).shape == (2, 10)
    for dataset in FIELD["dataset"].values:
        from mnist_core.data.datasets import CLASS_NAMES

        assert len(CLASS_NAMES[dataset]) == 10


def test_same_seed_same_start_and_curves_while_other_threads_use_keras(small_config):
    """A run's seeds are its own: Keras' global random state, moved by other threads, is not used."""
    import threading

    import keras

    config = dataclasses.replace(small_config, dropout=(0.3,), train_samples=1000)
    reference = TrainingRun(config)
    start = reference.weights_at(0)
    reference.train_to(2)
    curves = [(r.loss, r.accuracy, r.val_loss, r.test_accuracy) for r in reference.history]
    stop = threading.Event()

    def build_and_predict_elsewhere(seed: int) -> None:
        while not stop.is_set():
            keras.utils.set_random_seed(seed)
            seed += 1
            model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(16), keras.layers.Dropout(0.5)])
            model(np.ones((4, 784), np.float32), training=True)

    others = [threading.Thread(target=build_and_predict_elsewhere, args=(s,)) for s in (1, 1000)]
    for thread in others:
        thread.start()
    try:
        for _ in range(3):
            run = TrainingRun(config)
            assert all(np.array_equal(a, b) for a, b in zip(run.weights_at(0), start))
            run.train_to(2)
            assert [(r.loss, r.accuracy, r.val_loss, r.test_accuracy) for r in run.history] == curves
    finally:
        stop.set()
        for thread in others:
            thread.join()


def test_a_runs_label_counts_the_epochs_it_has_not_the_first_request():
    from mnist_core.model.runs import RunReader

    class Continued(RunReader):  # asked for 25 epochs, then continued to 30
        config = TrainConfig(hidden=(64,), epochs=25)
        history = [None] * 30
        epochs_done = 30

    assert Continued().label == TrainConfig(hidden=(64,), epochs=30).describe()


def test_a_new_run_of_the_same_shape_reuses_the_compiled_network_and_trains_the_same(small_config, monkeypatch):
    """The learning rate and the seed are values in the network's variables, not constants in its
    compiled code: a run that changes only them borrows the last run's network, traces nothing
    new, and trains exactly as it would on a network of its own."""
    pool = training.NetworkPool()
    monkeypatch.setattr(training, "POOL", pool)
    train(small_config)
    (net,) = pool._free
    traced = net._batches.experimental_get_tracing_count()
    other = dataclasses.replace(small_config, learning_rate=0.003, seed=5)
    reused = train(other)
    assert pool._free == [net] and net._batches.experimental_get_tracing_count() == traced
    monkeypatch.setattr(training, "POOL", training.NetworkPool())
    fresh = train(other)
    assert [r.as_dict() | {"seconds": 0, "elapsed": 0, "samples_per_second": 0} for r in reused.history] == \
        [r.as_dict() | {"seconds": 0, "elapsed": 0, "samples_per_second": 0} for r in fresh.history]
    assert all(np.array_equal(a, b) for a, b in zip(reused.weights_at(2), fresh.weights_at(2)))


def test_a_run_continues_exactly_after_another_run_used_its_network(small_config, monkeypatch):
    monkeypatch.setattr(training, "POOL", training.NetworkPool(idle=1))
    first = train(small_config)
    train(dataclasses.replace(small_config, seed=9))  # takes the one pooled network over
    first.train_to(small_config.epochs + 1)
    longer = train(dataclasses.replace(small_config, epochs=small_config.epochs + 1))
    assert [r.loss for r in first.history] == [r.loss for r in longer.history]


def test_the_warm_up_leaves_a_compiled_network_for_the_first_run(small_config, monkeypatch):
    pool = training.NetworkPool()
    monkeypatch.setattr(training, "POOL", pool)
    training.warm_up(small_config)
    (net,) = pool._free
    assert net.holds == ("start", small_config.key())  # set back to the start after compiling
    traced = net._batches.experimental_get_tracing_count()
    run = train(small_config)
    assert net._batches.experimental_get_tracing_count() == traced
    monkeypatch.setattr(training, "POOL", training.NetworkPool())
    assert [r.loss for r in run.history] == [r.loss for r in train(small_config).history]


def test_a_warm_up_in_a_hurry_leaves_the_compiling_to_the_waiting_run(small_config, monkeypatch):
    pool = training.NetworkPool()
    monkeypatch.setattr(training, "POOL", pool)
    training.warm_up(small_config, hurry=lambda: True)
    (net,) = pool._free
    assert net._batches.experimental_get_tracing_count() == 0  # TensorFlow, data and network only
    run = train(small_config)
    assert pool._free == [net] and run.history[-1].accuracy > 0.5


def test_augmentation_is_seeded_changes_the_images_and_keeps_their_range(small_config):
    import tensorflow as tf

    from mnist_core.config import FIELD
    from mnist_core.data.datasets import load_dataset
    from mnist_core.training.augment import KINDS, augment_batch

    assert set(FIELD["augment"].values) == set(KINDS)
    x = tf.constant(load_dataset("mnist").x_train[:64].reshape(64, 784) / 255.0, tf.float32)
    seed = tf.constant([3, 0], tf.int32)
    assert augment_batch(x, seed, "off") is x
    for kind in ("move", "stroke", "all"):
        once, again = augment_batch(x, seed, kind).numpy(), augment_batch(x, seed, kind).numpy()
        other = augment_batch(x, tf.constant([3, 1], tf.int32), kind).numpy()
        assert np.array_equal(once, again) and not np.array_equal(once, other)
        assert once.shape == (64, 784) and once.min() >= 0 and once.max() <= 1 + 1e-6
        changed = np.abs(once - x.numpy()).mean(axis=1)
        assert (changed > 0.005).mean() > 0.8  # nearly every image is changed
        assert abs(once.sum() / x.numpy().sum() - 1) < 0.5  # changed, not wiped out or flooded
    thick = augment_batch(x, seed, "stroke").numpy()
    assert ((thick > 0.5).sum(axis=1) > (x.numpy() > 0.5).sum(axis=1)).mean() > 0.3  # some thicker


def test_an_augmented_run_trains_the_same_for_the_same_seed(small_config):
    config = dataclasses.replace(small_config, augment="all")
    a, b = train(config), train(config)
    assert [r.as_dict()["loss"] for r in a.history] == [r.as_dict()["loss"] for r in b.history]
    plain = train(small_config)
    assert a.history[0].loss != plain.history[0].loss  # it saw other images than the plain run
    assert a.test_accuracy > 0.5  # it learns (slower than on the plain images: 74% here against 87%)

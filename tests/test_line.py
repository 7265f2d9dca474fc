"""mnist_core.line.network: the 2-D network's maths against Keras and against finite differences, its data,
the line's equation in the data's own units, and the link's settings."""

import numpy as np
import pytest

from mnist_core.line import network as L


def training_points(setup):
    data = L.make_data(setup)
    return data, data.inputs()[~data.test], data.y[~data.test]


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("layers, activation", [(0, "tanh"), (2, "tanh"), (1, "relu"), (3, "sigmoid")])
def test_the_numpy_network_trains_as_keras_does(loss, layers, activation):
    import keras

    setup = L.Setup(layers=layers, units=4, activation=activation, loss=loss, learning_rate=0.3, seed=4)
    _, x, y = training_points(setup)
    params = L.init(setup.sizes, setup.seed)
    model = keras.Sequential([keras.Input((2,))] + [keras.layers.Dense(setup.units, activation=activation)
                                                    for _ in range(layers)] + [keras.layers.Dense(1, activation="sigmoid")])
    model.set_weights([a for w, b in params for a in (w, b)])
    keras_loss = keras.losses.BinaryCrossentropy() if loss == "cross_entropy" else keras.losses.MeanSquaredError()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=setup.learning_rate), loss=keras_loss)
    for _ in range(5):  # five full-batch steps on the same points from the same weights
        ours = L.loss_of(L.forward(params, x, activation)[-1], y, loss)
        theirs = float(model.train_on_batch(x.astype(np.float32), y.astype(np.float32)))
        assert ours == pytest.approx(theirs, rel=1e-4, abs=1e-6)
        params = L.gradient_step(params, x, y, activation, loss, setup.learning_rate)
    final = [a for w, b in params for a in (w, b)]
    for mine, keras_weights in zip(final, model.get_weights()):
        np.testing.assert_allclose(mine, keras_weights, rtol=1e-3, atol=1e-5)


def test_a_step_moves_each_weight_against_its_slope():
    setup = L.Setup(layers=2, units=3, activation="tanh", learning_rate=1.0, seed=2)
    _, x, y = training_points(setup)
    params = L.init(setup.sizes, setup.seed)
    params[-1] = (np.random.default_rng(0).normal(size=params[-1][0].shape), params[-1][1])  # a hidden slope
    stepped = L.gradient_step(params, x, y, "tanh", "cross_entropy", 1.0)
    w, b = params[1]
    h = 1e-6
    for i, j in [(0, 0), (2, 1)]:
        up = [(pw.copy(), pb.copy()) for pw, pb in params]
        up[1][0][i, j] += h
        down = [(pw.copy(), pb.copy()) for pw, pb in params]
        down[1][0][i, j] -= h
        slope = (L.loss_of(L.forward(up, x, "tanh")[-1], y, "cross_entropy")
                 - L.loss_of(L.forward(down, x, "tanh")[-1], y, "cross_entropy")) / (2 * h)
        assert w[i, j] - stepped[1][0][i, j] == pytest.approx(slope, rel=1e-4, abs=1e-8)


def test_the_same_seed_gives_the_same_picture():
    a, b = L.train(L.Setup(seed=5)), L.train(L.Setup(seed=5))
    np.testing.assert_array_equal(a.data.x, b.data.x)
    assert a.train_loss == b.train_loss
    assert not np.array_equal(L.make_data(L.Setup(seed=6)).x, a.data.x)
    data = a.data
    assert data.test.sum() == round(len(data.x) * L.TEST_SHARE) and set(np.unique(data.y)) == {0.0, 1.0}


def test_the_equation_is_the_boundary_in_the_datas_own_units():
    trace = L.train(L.Setup(layers=0, epochs=30, seed=3))
    params = trace.weights[-1]
    a1, a2, c = L.equation(trace, params)
    p = L.forward(params, trace.data.inputs(), "tanh")[-1][:, 0]
    side = a1 * trace.data.x[:, 0] + a2 * trace.data.x[:, 1] + c
    np.testing.assert_array_equal(side > 0, p > 0.5)
    text = L.equation_text(trace, params)
    assert "credit score" in text and "income" in text and text.endswith("= 0")
    assert trace.test_accuracy[-1] > 0.85  # a line separates these two groups well


def test_a_line_cannot_separate_a_circle_and_a_hidden_layer_can():
    flat = L.train(L.Setup(data="circle", layers=0, seed=1))
    bent = L.train(L.Setup(data="circle", layers=2, units=4, activation="tanh", seed=1))
    assert flat.test_accuracy[-1] < 0.75
    assert bent.test_accuracy[-1] > 0.9


def test_stepping_replays_the_recorded_run():
    trace = L.train(L.Setup(layers=1, epochs=3, seed=8))
    # All the steps of epoch 1, replayed from the start, end at the weights recorded after it.
    replayed = L.params_at(trace, 0, trace.steps_per_epoch)
    for (w1, b1), (w2, b2) in zip(replayed, trace.weights[1]):
        np.testing.assert_allclose(w1, w2)
        np.testing.assert_allclose(b1, b2)
    assert L.params_at(trace, 3, 5) is trace.weights[3]  # nothing after the last epoch


def test_the_loss_surface_is_the_loss_and_holds_the_path():
    trace = L.train(L.Setup(layers=0, epochs=5, seed=2))
    (w, b), = trace.weights[-1]
    w1s, w2s, losses = L.loss_surface(trace, float(b[0]))
    assert w1s[0] <= trace.path[:, 0].min() and w1s[-1] >= trace.path[:, 0].max()
    i, j = 17, 31
    here = [(np.array([[w1s[j]], [w2s[i]]]), b)]
    _, x, y = training_points(trace.setup)
    assert losses[i, j] == pytest.approx(L.loss_of(L.forward(here, x, "tanh")[-1], y, "cross_entropy"), rel=1e-6)
    assert len(trace.path) == 1 + 5 * trace.steps_per_epoch


def test_a_diverging_run_is_caught_and_keeps_the_weights_that_were_numbers():
    trace = L.train(L.Setup(layers=3, units=8, activation="linear", learning_rate=10.0, batch=1, seed=1))
    assert trace.diverged == 1 and trace.epochs_done == 0
    assert all(np.isfinite(v) for v in trace.train_loss) and len(trace.train_loss) == 1
    assert "flew off" in L.path_sentence(trace)
    zig = L.train(L.Setup(layers=0, learning_rate=10.0, seed=1))
    assert "zig-zags" in L.path_sentence(zig)
    slow = L.train(L.Setup(layers=0, learning_rate=0.001, seed=1, epochs=20))
    assert "still heading downhill" in L.path_sentence(slow)


def test_a_link_is_read_with_a_note_for_each_bad_value():
    setup, notes = L.Setup.from_link({"data": "moon", "points": "100000", "noise": "abc", "learning_rate": "0.02",
                                      "layers": "2", "epochs": "-5", "seed": "7", "junk": "x"})
    assert (setup.data, setup.points, setup.noise, setup.layers, setup.epochs, setup.seed) == \
        ("credit", 400, 0.3, 2, 1, 7)
    assert setup.learning_rate == 0.03  # the nearest rate offered
    assert len(notes) == 5 and any("points 100000: outside 20 to 400" in n for n in notes)
    again, none = L.Setup.from_link(setup.to_dict())
    assert again == setup and none == []


@pytest.mark.parametrize("layers", [0, 2])
def test_an_untrained_network_is_at_chance_on_every_seed(layers):
    """Before any step it says 50/50 everywhere: the loss is log 2, and it is right only as often
    as the larger group is common (never 96%, as a random starting line could be)."""
    import math

    for seed in range(8):
        trace = L.train(L.Setup(layers=layers, seed=seed, epochs=1))
        before = L.measure_params(trace, L.params_at(trace, 0, 0))
        assert trace.train_loss[0] == pytest.approx(math.log(2))
        share = float(np.mean(trace.data.y[~trace.data.test] == 0))
        assert before["train_accuracy"] == pytest.approx(share)  # every point called the first group
        assert before["train_accuracy"] <= 0.7


def test_the_replays_moment_reads_plainly():
    assert L.moment(0, 0) == "before training"
    assert L.moment(0, 1) == "after 1 step of epoch 1"  # not "after epoch 0 and 1 step of the next"
    assert L.moment(3, 0) == "after epoch 3"
    assert L.moment(3, 2) == "after epoch 3 and 2 steps of epoch 4"

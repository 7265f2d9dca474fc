"""mnist_core.analysis.inside: the numpy views of a network, checked against what they claim to be."""

import gc

import numpy as np
import pytest

from mnist_core.analysis import inside
from mnist_core.config import TrainConfig
from mnist_core.figures import inside as figures_inside
from mnist_core.model.inference import forward
from mnist_core.model.runs import EpochResult, EveryEpoch, SavedRun


def random_weights(sizes, seed=0, scale=0.05):
    rng = np.random.default_rng(seed)
    dims = [784, *sizes, 10]
    out = []
    for a, b in zip(dims[:-1], dims[1:]):
        out += [rng.normal(0, scale, (a, b)).astype(np.float32), rng.normal(0, scale, b).astype(np.float32)]
    return out


def stored_run(epochs=3, sizes=(16,), activation="relu", dataset="mnist", seed=0, weights=None):
    config = TrainConfig(hidden=sizes, activation=activation, dataset=dataset, epochs=max(epochs, 1))
    weights = weights or [random_weights(sizes, seed + e, 0.05 * (1 + e)) for e in range(epochs + 1)]
    history = [EpochResult(e, 1.0, 0.5, 1.0, 0.5, 1.0, 0.5, 1.0, 1.0, 1.0) for e in range(1, epochs + 1)]
    return SavedRun(config, history, "finished", lambda: (EveryEpoch(weights), {}))


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_the_layer_by_layer_pass_gives_the_apps_predictions(activation):
    net = inside.Network(random_weights((20, 12)), (activation, activation), True)
    x = np.random.default_rng(1).random((5, 784), dtype=np.float32)
    pre, post, probs = inside.forward_layers(net, x)
    assert [p.shape for p in post] == [(5, 20), (5, 12)]
    np.testing.assert_allclose(probs, forward(net.weights, activation, x), rtol=1e-5, atol=1e-7)


def test_contributions_add_up_to_the_output_score():
    net = inside.Network(random_weights((20, 12)), ("relu", "relu"), True)
    x = np.random.default_rng(2).random((1, 784), dtype=np.float32)
    _, post, _ = inside.forward_layers(net, x)
    score = post[-1] @ net.kernels[-1] + net.biases[-1]
    for target in (0, 7):
        push = inside.contributions(net, post, target)
        assert push.sum() + net.biases[-1][target] == pytest.approx(score[0, target], rel=1e-5)


def test_a_first_layer_units_picture_is_its_weights():
    net = inside.Network(random_weights((20,)), ("relu",), True)
    x = np.random.default_rng(3).random((1, 784), dtype=np.float32)
    pre, post, _ = inside.forward_layers(net, x)
    pictures = inside.input_pictures(net, pre, post, np.array([3, 11]))
    np.testing.assert_array_equal(pictures[1], net.kernels[0][:, 11].reshape(28, 28))


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_a_deeper_units_picture_is_the_gradient_of_its_sum(activation):
    net = inside.Network(random_weights((20, 12), scale=0.3), (activation, activation), True)
    x = np.random.default_rng(4).random((1, 784), dtype=np.float32)
    pre, post, _ = inside.forward_layers(net, x)
    picture = inside.input_pictures(net, pre, post, np.array([5]))[0].ravel()

    def unit_sum(pixel, change):
        bumped = x.copy()
        bumped[0, pixel] += change
        return float(inside.forward_layers(net, bumped)[0][-1][0, 5])

    # Central differences of unit 5's weighted sum in the last hidden layer, pixel by pixel.
    step = 1e-2
    for p in [0, 300, 406, 783]:
        slope = (unit_sum(p, step) - unit_sum(p, -step)) / (2 * step)
        assert picture[p] == pytest.approx(slope, rel=2e-2, abs=1e-4)


def test_units_are_ordered_by_strength_activity_and_change():
    kernel = np.zeros((784, 4), np.float32)
    kernel[:, 2] = 1.0
    kernel[:, 0] = 0.5
    start = kernel.copy()
    start[:, 1] = -3.0  # unit 1 moved furthest from its start
    assert inside.unit_order("strongest", kernel)[:2].tolist() == [2, 0]
    assert inside.unit_order("changed", kernel, start=start)[0] == 1
    assert inside.unit_order("active", kernel, mean_activation=np.array([0.1, 0.0, 0.2, 0.9]))[0] == 3
    assert inside.unit_order("unit", kernel).tolist() == [0, 1, 2, 3]


def test_one_symmetric_scale():
    weights = np.random.default_rng(5).normal(0, 0.1, 10_000)
    weights[0] = 50.0  # one extreme weight does not set the scale
    assert 0.2 < inside.symmetric_limit(weights) < 0.4


def test_frame_epochs_run_from_the_start_to_the_last():
    assert inside.frame_epochs(5) == [0, 1, 2, 3, 4, 5]
    many = inside.frame_epochs(50, most=11)
    assert many[0] == 0 and many[-1] == 50 and len(many) == 11


def test_the_map_keeps_one_basis_and_is_the_same_on_every_server():
    run = stored_run(epochs=4)
    ins = inside.inspector(run)
    last = ins.view(4).points
    assert last.shape == (inside.MAP_SAMPLE, 2)
    # The last epoch's own principal directions: the first holds the most variance; each epoch at one size.
    assert last[:, 0].var() >= last[:, 1].var()
    assert np.sqrt((last ** 2).sum(axis=1).mean()) == pytest.approx(1.0, rel=1e-4)
    again = inside.Inspector(run)  # a second server (or a cache miss) draws the same map
    np.testing.assert_allclose(again.view(1).points, ins.view(1).points, rtol=1e-5, atol=1e-6)
    assert inside.inspector(run) is ins  # cached per run
    assert set(ins.frames()) == {0, 1, 2, 3, 4}


def test_dead_units_and_how_far_the_weights_moved():
    weights = random_weights((8,))
    weights[0][:, :3] = 0.0
    weights[1][:3] = -1.0  # units 0-2 output zero for every image: dead
    later = [w * 1.1 for w in weights]  # every kernel moves by 10% of its size
    run = stored_run(epochs=1, sizes=(8,), weights=[weights, later])
    ins = inside.inspector(run)
    assert ins.view(0).dead == (3,)
    np.testing.assert_allclose(ins.weight_changes(), [[0.1, 0.1]], rtol=1e-4)
    assert inside.inspector(stored_run(epochs=1, activation="tanh")).view(1).dead == (None,)
    rows = inside.health_rows(ins.network(1), ins.view(1).dead, ins.weight_changes(), 1)
    assert [r["layer"] for r in rows] == ["hidden 1", "output"]
    assert rows[0]["dead units"].endswith("(38%)") and rows[1]["dead units"] == "-"
    assert rows[0]["moved in this epoch"] == "10.0%"
    assert inside.health_rows(ins.network(0), ins.view(0).dead, ins.weight_changes(), 0)[0]["moved in this epoch"] == "-"


def test_an_overflowing_network_is_reported_not_drawn():
    weights = random_weights((8, 8), scale=1e25)  # a run near divergence: float32 overflows
    run = stored_run(epochs=1, sizes=(8, 8), weights=[random_weights((8, 8)), weights])
    view = inside.inspector(run).view(1)
    assert view.overflowed
    assert np.isnan(view.points).any()
    figures_inside.map_figure({1: view.points}, 1, inside.inspector(run).labels, inside.inspector(run).sample,
                              run.class_names)  # draws what is finite, without raising


class FakeImported:
    """What Inside asks of an uploaded model (mnist_core.engine.transfer.ImportedRun)."""

    config = None
    epochs_done = 0

    def __init__(self, names, weights=None):
        self.names = names
        self.weights = weights

    def weights_at(self, epoch=0):
        return self.weights if self.weights is not None else random_weights((8,) * (len(self.names) - 1))

    def activations(self):
        return self.names


def test_an_uploaded_model_is_shown_only_when_every_layer_is_understood():
    net = inside.network_of(FakeImported(["relu", "tanh", "softmax"]), 0)
    assert net.activations == ("relu", "tanh") and net.sizes == (8, 8) and net.normalize
    for names, words in [(["relu", "linear"], "not softmax"), (["gelu", "softmax"], "gelu"),
                         (["softmax"], "no hidden layer")]:
        with pytest.raises(inside.NotInspectable, match=words):
            inside.network_of(FakeImported(names), 0)
    other = FakeImported(["relu", "softmax"])
    other.weights_at = lambda epoch=0: None  # a model with layers other than Dense
    with pytest.raises(inside.NotInspectable, match="other than Dense"):
        inside.network_of(other, 0)


def test_the_cache_is_bounded_and_does_not_keep_runs_alive():
    runs = [stored_run(epochs=1, seed=s) for s in range(inside.CACHED_RUNS + 3)]
    for run in runs:
        inside.inspector(run)
    assert len(inside._CACHE) <= inside.CACHED_RUNS
    kept = inside.inspector(runs[-1])
    del runs, run
    gc.collect()
    with pytest.raises(RuntimeError, match="dropped"):
        kept.view(0)


def test_one_pass_over_the_epochs_gives_what_each_epoch_gives_alone():
    run = stored_run(epochs=12, sizes=(16, 8))
    swept = inside.Inspector(run)
    frames = swept.frames()  # one pass over every epoch's weights
    assert list(frames) == inside.frame_epochs(12) and len(frames) <= inside.MAX_FRAMES
    alone = inside.Inspector(run)
    for epoch, view in frames.items():
        np.testing.assert_allclose(view.points, alone.view(epoch).points, rtol=1e-5, atol=1e-6)
        assert view.dead == alone.view(epoch).dead
    epochs, pictures = swept.follow(5)
    assert epochs == inside.frame_epochs(12, inside.FOLLOW_EPOCHS)
    for epoch, picture in zip(epochs, pictures):
        np.testing.assert_allclose(picture, run.weights_at(epoch)[0][:, 5].reshape(28, 28), rtol=1e-3, atol=1e-4)
    assert swept.weight_changes().shape == (12, 3)  # every epoch, every layer with weights


def test_first_layer_pictures_of_a_short_run_come_with_a_word_that_noise_is_expected():
    from mnist_core.analysis import inside as I

    said = I.noise_note(2, 512)
    assert said.startswith("After 2 epochs these pictures still look much like noise, and that is expected")
    assert "fewer units" in said and "fewer units" not in I.noise_note(1, 32)
    assert I.noise_note(1, 32).endswith("from its random start. A run of 10 epochs or more shows clearer shapes.")
    assert I.noise_note(0, 512) == "" and I.noise_note(10, 512) == ""  # epoch 0 has its own caption

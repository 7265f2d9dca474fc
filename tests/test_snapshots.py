import numpy as np
import pytest

from mnist_core.model.snapshots import BUDGET_BYTES, WeightHistory, _pack, _unpack


@pytest.mark.parametrize("code, levels", [(1, 2), (3, 3), (4, 16), (8, 256)])
def test_pack_unpack_round_trip(code, levels):
    values = np.random.default_rng(0).integers(0, levels, size=1001)
    packed = _pack(values, code)
    assert np.array_equal(_unpack(packed, code, len(values)), values)
    assert len(packed) == {1: 126, 3: 201, 4: 501, 8: 1001}[code]


def largest_model_shapes():
    # 4 hidden layers of 1024 units: the largest network the config allows.
    dims = [784, 1024, 1024, 1024, 1024, 10]
    shapes = []
    for a, b in zip(dims, dims[1:]):
        shapes += [(a, b), (b,)]
    return shapes


def test_largest_model_at_50_epochs_stays_under_64_mb():
    rng = np.random.default_rng(0)
    weights = [rng.normal(0, 0.05, s).astype(np.float32) for s in largest_model_shapes()]
    assert sum(w.size for w in weights) == 3_962_890
    history = WeightHistory(weights, budget=BUDGET_BYTES - 4 * 3_962_890)
    for _ in range(50):
        weights = [w + rng.normal(0, 0.002, w.shape).astype(np.float32) for w in weights]
        history.append(weights)
    assert history.nbytes < BUDGET_BYTES
    # Fifty 16 MB float32 copies would be 790 MB: the budget chose the three-level code,
    # leaving room for one exact float32 copy (the best epoch) beside it.
    assert history.bits()[0] == 1.6 and max(history.bits()) <= 4  # leftovers widen the last ones
    assert history.nbytes + 4 * 3_962_890 < BUDGET_BYTES


def test_error_feedback_keeps_the_error_from_piling_up():
    rng = np.random.default_rng(1)
    w = [rng.normal(0, 0.05, (300, 100)).astype(np.float32)]
    history = WeightHistory(w, budget=10**9)
    truth = [w]
    for _ in range(30):
        w = [w[0] + rng.normal(0, 0.001, w[0].shape).astype(np.float32) + 0.0005]
        history.append(w)
        truth.append(w)
    assert set(history.bits()) == {8}
    for epoch in (1, 15, 30):
        err = np.abs(history.weights_at(epoch)[0] - truth[epoch][0]).max()
        step = np.abs(truth[epoch][0] - truth[epoch - 1][0]).max()
        assert err < step / 50  # an 8-bit code of the latest change, not a sum of 30 errors


def test_weights_at_checks_the_epoch():
    history = WeightHistory([np.zeros((2, 2), np.float32)])
    with pytest.raises(IndexError, match="stored epochs are 0 to 0"):
        history.weights_at(1)


def test_epoch_weights_come_back_exactly_from_their_arrays():
    from mnist_core.model.snapshots import EpochWeights

    rng = np.random.default_rng(3)
    weights = [rng.normal(0, 0.1, s).astype(np.float32) for s in [(20, 8), (8,), (8, 10), (10,)]]
    kept = EpochWeights(weights, budget=200_000, planned_epochs=4)
    for is_best in (True, True, False, False):  # the best epoch (2) ends up older than the last
        weights = [w + rng.normal(0, 0.01, w.shape).astype(np.float32) for w in weights]
        kept.record(weights, is_best)
    assert kept.best_arrays() is not None
    back = EpochWeights.restore(kept.state_arrays(), [kept.epoch_arrays(k) for k in range(5)], kept.best_arrays())
    for epoch in range(5):
        assert all(np.array_equal(a, b) for a, b in zip(back.at(epoch), kept.at(epoch)))
    assert back.bits == kept.bits and back.nbytes == kept.nbytes
    nxt = [w + 0.01 for w in weights]
    kept.record(nxt, False)
    back.record(nxt, False)  # the next epoch is stored exactly as it would have been
    assert all(np.array_equal(a, b) for a, b in zip(back.at(3), kept.at(3)))
    with pytest.raises(ValueError):
        EpochWeights.restore(kept.state_arrays(), [kept.epoch_arrays(k) for k in range(5)], None)

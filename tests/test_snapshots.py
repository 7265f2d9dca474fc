import numpy as np
import pytest

from mnist_core.snapshots import BUDGET_BYTES, WeightHistory, _pack, _unpack


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_pack_unpack_round_trip(bits):
    values = np.random.default_rng(0).integers(0, 2**bits, size=1001)
    assert np.array_equal(_unpack(_pack(values, bits), bits, len(values)), values)


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
    history = WeightHistory(weights)
    for _ in range(50):
        weights = [w + rng.normal(0, 0.002, w.shape).astype(np.float32) for w in weights]
        history.append(weights)
    assert history.nbytes < BUDGET_BYTES
    # Fifty 16 MB float32 copies would be 790 MB: the budget forced narrow codes.
    assert max(history.bits()) <= 4


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

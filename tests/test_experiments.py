"""Seeds and sweeps (mnist_core.analysis.experiments) on runs made by hand, and the queue's turns."""

import dataclasses

import pytest

from mnist_core.analysis import experiments as ex
from mnist_core.config import ConfigError, TrainConfig
from mnist_core.engine.runstore import RunStore
from mnist_core.model.runs import EpochResult, best_epoch

BASE = TrainConfig(hidden=(64,), epochs=3, train_samples=2000, seed=7)


class Made:
    """A run with a given history: what the pages and the command line read."""

    def __init__(self, config, test, val_loss=None, val_acc=None, status="finished", seconds=1.0, sps=1000.0,
                 checking=0.0, first=0.0):
        """`seconds` each epoch's training pass (plus `first` in epoch 1), `checking` the time after it."""
        self.config, self.status = config, status
        passes = [seconds + (first if e == 1 else 0) for e in range(1, len(test) + 1)]
        elapsed = [sum(passes[:e]) + e * checking for e in range(1, len(test) + 1)]
        self.history = [EpochResult(e, 1.0 / e, 0.9, None if val_loss is None else val_loss[e - 1],
                                    None if val_acc is None else val_acc[e - 1], 0.3, t, passes[e - 1],
                                    elapsed[e - 1], sps) for e, t in enumerate(test, 1)]

    @property
    def epochs_done(self):
        return len(self.history)


def test_seed_configs_are_this_seed_then_the_next_ones():
    assert [c.seed for c in ex.seed_configs(BASE, 3)] == [7, 8, 9]
    assert all(dataclasses.replace(c, seed=7) == BASE for c in ex.seed_configs(BASE, 5))
    top = dataclasses.replace(BASE, seed=2**31 - 1)
    assert [c.seed for c in ex.seed_configs(top, 2)] == [2**31 - 1, 0]
    for bad in (0, 6):
        with pytest.raises(ConfigError, match="seeds"):
            ex.seed_configs(BASE, bad)


def test_repeats_are_the_same_settings_with_other_seeds():
    a = Made(BASE, [0.9])
    b = Made(dataclasses.replace(BASE, seed=3, epochs=5), [0.91])
    other = Made(dataclasses.replace(BASE, seed=4, learning_rate=0.01), [0.5])
    empty = Made(dataclasses.replace(BASE, seed=5), [])
    assert ex.repeats(a, [other, b, a, empty]) == [a, b]


def test_the_spread_is_the_mean_and_range_of_the_runs():
    runs = [Made(dataclasses.replace(BASE, seed=s), [0.5, t]) for s, t in ((1, 0.975), (2, 0.979), (3, 0.977))]
    values = ex.spread([ex.headline(r.history) for r in runs])
    assert values.mean == pytest.approx(0.977) and values.width == pytest.approx(0.004)
    assert values.text() == "97.7% ± 0.2"
    assert ex.spread([0.5]).text() == "50.0%" and ex.spread([None, float("nan")]) is None
    assert "97.5% to 97.9%" in ex.seed_sentence(runs) and "0.4 points" in ex.seed_sentence(runs)


def test_headline_is_test_accuracy_at_the_best_epoch_or_the_last():
    with_val = Made(BASE, [0.90, 0.95, 0.93], val_loss=[0.3, 0.1, 0.2], val_acc=[0.9, 0.96, 0.94])
    assert ex.headline(with_val.history) == 0.95 and best_epoch(with_val.history) == 2
    assert ex.headline(with_val.history, upto=1) == 0.90 and ex.best_val_accuracy(with_val.history, 1) == 0.9
    without = Made(dataclasses.replace(BASE, validation="none"), [0.90, 0.95, 0.93])
    assert ex.headline(without.history) == 0.93 and ex.best_val_accuracy(without.history) is None


def test_bands_span_the_runs_at_each_epoch_two_or_more_have():
    runs = [Made(BASE, [0.80, 0.90, 0.95]), Made(BASE, [0.70, 0.92]), Made(BASE, [0.75])]
    band = ex.band([r.history for r in runs], "test_accuracy")
    assert [b[0] for b in band] == [1, 2]  # epoch 3: one run only
    assert band[0][1:] == pytest.approx((0.70, 0.75, 0.80)) and band[1][1:] == pytest.approx((0.90, 0.91, 0.92))


def test_the_noise_sentence_changes_when_the_difference_is_within_the_seed_spread():
    a, b_far, b_near = ex.spread([0.970, 0.972, 0.974]), ex.spread([0.980, 0.981]), ex.spread([0.973, 0.976])
    far = ex.noise_sentence(a, b_far)
    assert "larger than the spread between seeds (up to 0.4 points)" in far and "unlikely to be chance" in far
    near = ex.noise_sentence(a, b_near)
    assert "no larger than the spread" in near and "could be chance" in near
    assert "0.2 points" in near  # |97.45 - 97.2|
    one = ex.noise_sentence(ex.spread([0.97]), ex.spread([0.98]))
    assert "one seed" in one and "Repeat with other seeds" in one
    half = ex.noise_sentence(ex.spread([0.9755]), b_near)  # one side repeated: its spread is the noise
    assert "one side has 2 seeds" in half and "up to 0.3 points" in half and "could be chance" in half
    half = ex.noise_sentence(ex.spread([0.960]), b_far)
    assert "unlikely to be chance" in half and "Repeating the other side" in half
    assert ex.noise_sentence(None, a) == ""


def test_a_sweep_checks_every_value_and_names_each_problem():
    sweep = ex.make_sweep(BASE, "learning_rate", "0.1, 0.0001,0.01", seeds=2)
    assert sweep.values == (0.0001, 0.01, 0.1) and len(sweep.configs()) == 6
    assert [c.seed for c in sweep.configs()[:2]] == [7, 8]
    assert ex.make_sweep(BASE, "learning_rate", sweep.link()["values"]).values == sweep.values
    deep = ex.make_sweep(dataclasses.replace(BASE, hidden=(64, 64)), "hidden", "32,128")
    assert deep.config_for(32).hidden == (32, 32) and deep.config_for(32).dropout == (0.0, 0.0)
    assert ex.make_sweep(BASE, "train_samples", "all,1000").values == (1000, None)
    cases = {("units", "1,2", 1): "a sweep can vary", ("learning_rate", "0.1", 1): "give 2 to 6 values, not 1",
             ("learning_rate", "1,2,3,4,5,6,7", 1): "not 7", ("batch_size", "32,32", 1): "each value once",
             ("batch_size", "32,x", 1): "'x': not a value", ("learning_rate", "0.1,50", 1): "learning rate 50:",
             ("hidden", "32,4000", 1): "layer 1 units 4000", ("dropout", "0,0.2", 6): "seeds 6",
             ("batch_size", "64,5000", 1): "larger than the 1,600 training images"}
    for (setting, values, seeds), said in cases.items():
        with pytest.raises(ConfigError) as err:
            ex.make_sweep(BASE, setting, values, seeds)
        assert said in str(err.value), (setting, values, str(err.value))


def test_an_epochs_sweep_trains_once_per_seed_and_reads_the_stored_epochs():
    sweep = ex.make_sweep(dataclasses.replace(BASE, validation="none"), "epochs", "1,3,2", seeds=2)
    assert [(c.epochs, c.seed) for c in sweep.configs()] == [(3, 7), (3, 8)]
    runs = {7: Made(sweep.configs()[0], [0.80, 0.85, 0.90], seconds=2.0),
            8: Made(sweep.configs()[1], [0.82, 0.86, 0.88], seconds=2.0)}
    rows = ex.sweep_rows(sweep, lambda c: runs[c.seed])
    assert [r.text for r in rows] == ["1", "2", "3"]
    assert [r.test.mean for r in rows] == pytest.approx([0.81, 0.855, 0.89])
    assert [r.seconds for r in rows] == [4.0, 8.0, 12.0]  # the stored epochs' own times
    assert ex.sweep_sentence(sweep, rows).startswith("Test accuracy is highest at the largest value tried, epochs 3")


def _sweep_results(tests_by_value, statuses=None):
    sweep = ex.make_sweep(BASE, "learning_rate", ",".join(map(str, tests_by_value)), seeds=2)
    statuses = statuses or {}

    def find(config):
        value = config.learning_rate
        if value not in tests_by_value or tests_by_value[value] is None:
            return None
        status = statuses.get(value, "finished")
        finals = tests_by_value[value][config.seed - 7]
        history = [] if status == "diverged" else [finals] * 3
        return Made(config, history, val_loss=[0.3, 0.2, 0.1], val_acc=history, status=status)

    return sweep, ex.sweep_rows(sweep, find)


def test_the_sweep_sentence_names_the_peak_the_noise_and_divergence():
    sweep, rows = _sweep_results({0.0001: (0.90, 0.91), 0.001: (0.97, 0.974), 0.01: (0.95, 0.96), 1.0: (0, 0)},
                                 statuses={1.0: "diverged"})
    assert rows[1].best_val.text() == "97.2% ± 0.2" and rows[3].diverged == 2 and rows[3].test is None
    sentence = ex.sweep_sentence(sweep, rows)
    assert sentence.startswith("Best validation accuracy peaks at learning rate 0.001 (97.2% ± 0.2)")
    assert "learning rate 0.01 is beyond the seeds' spread of it" in sentence
    assert sentence.endswith("at 1 the runs diverge.")
    sweep, rows = _sweep_results({0.001: (0.97, 0.975), 0.01: (0.965, 0.974)})
    assert "learning rate 0.01 is within the seeds' spread of it" in ex.sweep_sentence(sweep, rows)


def test_sweep_rows_count_the_runs_not_trained_yet():
    sweep, rows = _sweep_results({0.001: (0.97, 0.975), 0.01: None})
    assert rows[1].waiting == 2 and rows[1].test is None and rows[0].waiting == 0
    assert ex.sweep_sentence(sweep, rows) == ""  # one value has results: nothing to compare yet


def test_the_time_estimate_comes_from_measured_epochs():
    assert ex.estimate_seconds([BASE], []) is None
    # Measured: 20,000 images a second in training, checking took 0.5 s an epoch, compiling 1.5 s.
    measured = [Made(dataclasses.replace(BASE, seed=1), [0.9] * 4, sps=20_000.0, checking=0.5, first=1.5)]
    params = BASE.param_count
    rate = 20_000.0 * params
    assert ex.work_rate(measured, BASE.batch_size) == pytest.approx(rate)
    check_rate = (400 + 10_000) * params / 0.5  # 400 held back and the test set, in 0.5 s
    per_epoch = 1600 * params / rate + (400 + 10_000) * params / check_rate
    one = ex.estimate_seconds([BASE], measured)
    assert one == pytest.approx(3 * per_epoch + ex.RUN_SECONDS + 1.5)
    # Another seed and another learning rate reuse the compiled code; another width compiles again.
    same_shape = [dataclasses.replace(BASE, seed=2), dataclasses.replace(BASE, learning_rate=0.01)]
    assert ex.estimate_seconds([BASE] + same_shape, measured) == pytest.approx(3 * (3 * per_epoch + ex.RUN_SECONDS) + 1.5)
    wider = dataclasses.replace(BASE, hidden=(128,), epochs=6)
    wide_epoch = per_epoch * wider.param_count / params
    assert ex.estimate_seconds([BASE, wider], measured) == pytest.approx(
        one + 6 * wide_epoch + ex.RUN_SECONDS + 1.5)
    other_batch = [Made(dataclasses.replace(BASE, batch_size=32), [0.9] * 3, sps=5_000.0)] + measured
    assert ex.work_rate(other_batch, 32) == pytest.approx(5_000.0 * params)  # same batch size first


def test_owners_take_turns_so_one_sweep_does_not_hold_back_another_learner(wait_until):
    store = RunStore()
    # The tests' engine has one worker: a long run keeps it busy while the others queue.
    blocker = store.request(dataclasses.replace(BASE, seed=99, epochs=100, train_samples=20000), owner="x")
    assert blocker.wait_started(300)
    sweep = [store.request(dataclasses.replace(BASE, seed=s), owner="a") for s in (1, 2, 3)]
    single = store.request(dataclasses.replace(BASE, seed=9), owner="b")
    late = store.request(dataclasses.replace(BASE, seed=10), owner="c")
    # Everyone's first run before anyone's second, then in the order asked.
    wait_until(lambda: [j.position for j in sweep] == [1, 4, 5] and (single.position, late.position) == (2, 3),
               what="the queue's order")
    store.stop_all(sweep)  # cancelled as a whole: all leave the queue at once
    assert all(j.done and not j.queued for j in sweep)
    wait_until(lambda: store.waiting == 2 and (single.position, late.position) == (1, 2), what="the queue after")
    store.stop_all([blocker, single, late])
    assert all(j.wait(300) for j in (blocker, single, late))


def test_one_best_epoch_everywhere_and_a_loss_that_is_not_a_number_is_never_best():
    """Two copies once disagreed on a diverged epoch's NaN loss; there is one now, used by the
    run, the experiments and the comparison alike."""
    from mnist_core.analysis import compare
    from mnist_core.model import runs

    rows = Made(BASE, [0.9] * 4, val_loss=[0.5, float("nan"), 0.4, 0.6], val_acc=[0.8, float("nan"), 0.9, 0.85]).history
    assert best_epoch(rows) == 3 and best_epoch(rows, upto=2) == 1
    assert ex.best_epoch is runs.best_epoch and compare.best_epoch is runs.best_epoch
    assert runs.best_val_accuracy(rows) == 0.9 and runs.best_val_accuracy(rows, upto=2) == 0.8


def test_the_time_sentence_keeps_the_compiling_first_epoch_apart():
    run = Made(BASE, [0.9, 0.91, 0.92], seconds=0.04, first=8.0)
    said = ex.time_sentence(run.history)
    assert said.startswith("Training took 8.1 s in all: the first epoch 8.0 s (it includes compiling")
    assert "each later one about 0.04 s" in said
    assert ex.time_sentence(run.history[:1]).startswith("Training took 8.0 s, compiling the network's code included")

"""Comparing runs, and moving models and histories in and out."""

import dataclasses
import io
import json
import zipfile

import numpy as np
import pytest

from mnist_core.analysis import compare
from mnist_core.config import TrainConfig
from mnist_core.engine.transfer import ModelFileError, export_keras, history_csv, history_json, import_keras
from mnist_core.model.modelfile import MAX_PARAMS, Declared, check_keras_file
from mnist_core.model.runs import EpochResult, EveryEpoch, SavedRun


def stored(config, val_losses, train_losses, test_acc=0.9, train_acc=0.9, val_acc=0.9):
    def per_epoch(value, i):
        return value[i] if isinstance(value, list) else value

    history = [{"epoch": i + 1, "loss": t, "accuracy": per_epoch(train_acc, i), "val_loss": v,
                "val_accuracy": per_epoch(val_acc, i), "test_loss": v, "test_accuracy": per_epoch(test_acc, i),
                "seconds": 1.0, "elapsed": i + 1.0, "samples_per_second": 1e4}
               for i, (v, t) in enumerate(zip(val_losses, train_losses))]
    return SavedRun(config, [EpochResult.from_dict(r) for r in history], "finished",
                    lambda: (EveryEpoch([[]] * (len(history) + 1)), {}))


def test_differing_fields_fold_away_what_is_shared():
    a, b, c = TrainConfig(), TrainConfig(dropout=(0.2,)), TrainConfig(dropout=(0.2,), seed=3)
    assert compare.differing_fields([a, b]) == ["dropout"]
    assert compare.differing_fields([a, b, c]) == ["dropout", "seed"]
    assert compare.differing_fields([a]) == []
    assert compare.label(c, ["dropout", "seed"]) == "dropout 0.2, seed 3"
    deep = TrainConfig(hidden=(512, 256), dropout=(0.3, 0.3))
    assert compare.label(deep, ["hidden", "dropout"]) == "hidden 512-256, dropout 0.3"  # no "0.3,0.3"
    assert compare.fields(TrainConfig(hidden=(64, 32), dropout=(0.2, 0.1)))["dropout"] == "0.2/0.1"


def test_one_change_sentence_names_the_setting_and_the_overfitting():
    base = TrainConfig(validation="split:0.2", epochs=6)
    wide = TrainConfig(validation="split:0.2", epochs=6, hidden=(1024,))
    calm = stored(base, [0.30, 0.25, 0.22, 0.21, 0.20, 0.20], [0.5, 0.3, 0.25, 0.2, 0.18, 0.17], 0.95)
    over = stored(wide, [0.30, 0.20, 0.15, 0.18, 0.22, 0.26], [0.4, 0.2, 0.1, 0.05, 0.03, 0.02], 0.96)
    sentence = compare.one_change(calm, over)
    assert sentence.startswith("hidden 512 → 1024: test accuracy at each run's best epoch 95.0% → 96.0%")
    assert "the best epoch moved from 5 to 3" in sentence
    assert "validation loss rose after epoch 3 with hidden 1024 while training loss kept falling" in sentence
    both = stored(TrainConfig(validation="split:0.2", epochs=6, hidden=(256,)),
                  [0.30, 0.20, 0.18, 0.17, 0.20, 0.24], [0.4, 0.2, 0.1, 0.05, 0.03, 0.02])
    assert "validation loss rose after epoch 4 with hidden 256 and after epoch 3 with hidden 1024" \
        in compare.one_change(both, over)
    other = stored(TrainConfig(validation="split:0.2", seed=5), [0.3, 0.2, 0.1], [0.3, 0.2, 0.1])
    assert compare.one_change(over, other) is None  # two settings differ


def test_one_change_compares_each_run_at_its_best_epoch_and_says_how_the_gap_moved():
    # Without dropout the network overfits: its test accuracy peaks at epoch 2 and falls after.
    # With dropout it peaks later and higher. At the last epoch dropout would win by more.
    plain = stored(TrainConfig(epochs=4), [0.10, 0.08, 0.09, 0.11], [0.2, 0.1, 0.05, 0.02],
                   test_acc=[0.970, 0.976, 0.972, 0.968], train_acc=[0.95, 0.98, 0.99, 0.995],
                   val_acc=[0.96, 0.975, 0.972, 0.969])
    dropout = stored(TrainConfig(epochs=4, dropout=(0.2,)), [0.12, 0.09, 0.08, 0.075], [0.3, 0.2, 0.15, 0.12],
                     test_acc=[0.960, 0.971, 0.977, 0.979], train_acc=[0.94, 0.97, 0.975, 0.98],
                     val_acc=[0.955, 0.97, 0.976, 0.978])
    sentence = compare.one_change(plain, dropout)
    assert sentence.startswith("dropout 0 → 0.2: test accuracy at each run's best epoch 97.6% → 97.9%")
    assert "the best epoch moved from 2 to 4" in sentence
    assert "best validation loss 0.080 → 0.075" in sentence
    assert "the gap between training and validation accuracy at the last epoch 2.6 → 0.2 points" in sentence
    assert "validation loss rose after epoch 2 with dropout 0 while training loss kept falling" in sentence
    no_val = [stored(dataclasses.replace(r.config, validation="none"), [None] * 4, [0.2, 0.1, 0.05, 0.02],
                     test_acc=[0.9, 0.91, 0.92, 0.93], val_acc=None) for r in (plain, dropout)]
    assert compare.one_change(*no_val).startswith("dropout 0 → 0.2: test accuracy at the last epoch 93.0% → 93.0% "
                                                  "(no validation set, so no best epoch to compare).")


def test_summary_row():
    run = stored(TrainConfig(validation="split:0.2"), [0.3, 0.2, 0.25], [0.3, 0.2, 0.1])
    row = compare.summary(run)
    assert row["epochs"] == 3 and row["best epoch"] == "2" and row["test at best epoch"] == "90.0%"
    assert row["seconds"] == 3.0
    assert list(row)[:3] == ["test accuracy", "val accuracy", "train accuracy"]  # the result first


@pytest.fixture(scope="module")
def small_run():
    from mnist_core.training.trainer import train

    return train(TrainConfig(hidden=(32,), epochs=2, train_samples=1000, validation="split:0.2"))


def test_history_exports(small_run):
    text = history_csv(compare.rows(small_run))
    assert text.splitlines()[0].startswith("epoch,loss,accuracy,val_loss")
    assert len(text.splitlines()) == 3
    data = json.loads(history_json(small_run))
    assert data["config"]["hidden"] == "32" and len(data["history"]) == 2


def test_export_then_import_gives_the_same_predictions(small_run):
    data = export_keras(small_run, 1)
    imported = import_keras(data, "mine.keras", "mnist")
    x = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    assert np.allclose(imported.predict(x), small_run.predict(x, epoch=1), atol=1e-5)
    assert imported.params == small_run.params
    # It answers the same questions as a trained run, without a history.
    assert imported.label == "imported model mine.keras" and imported.class_names[3] == "3"
    assert imported.history == [] and imported.best_epoch is None and imported.final_epoch == 0
    for got, expected in zip(imported.weights_at(0), small_run.weights_at(1)):
        assert np.array_equal(got, expected)
    probs = imported.test_predictions()
    assert probs.shape == (10000, 10) and imported.test_predictions() is probs


def keras_bytes(model) -> bytes:
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.keras")
        model.save(path)
        return open(path, "rb").read()


def test_bad_model_files_get_clear_messages():
    import keras

    with pytest.raises(ModelFileError, match="notes.keras is not a Keras model file"):
        import_keras(b"plain text", "notes.keras")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError, match="not a Keras model \\(no config.json\\)"):
        import_keras(buf.getvalue(), "other.keras")
    with pytest.raises(ModelFileError, match="big.keras is 25.0 MB; models up to 20 MB"):
        import_keras(bytes(25 * 2**20), "big.keras")
    wrong = keras.Sequential([keras.Input((100,)), keras.layers.Dense(10, activation="softmax")])
    with pytest.raises(ModelFileError, match=r"inputs of shape \(100,\) to \(10,\)"):
        import_keras(keras_bytes(wrong), "wrong.keras")

    @keras.saving.register_keras_serializable(package="Sneaky")
    class Doubler(keras.layers.Layer):
        def call(self, x):
            return x * 2

    custom = keras.Sequential([keras.Input((784,)), Doubler(), keras.layers.Dense(10, activation="softmax")])
    with pytest.raises(ModelFileError, match="not built into Keras \\(Doubler\\)"):
        import_keras(keras_bytes(custom), "custom.keras")
    conv = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3), keras.layers.Flatten(),
                             keras.layers.Dense(10, activation="softmax")])
    with pytest.raises(ModelFileError, match=r"conv.keras uses layers this app does not accept \(Conv2D\); "
                                             r"only InputLayer, Flatten, Dense, Dropout, Activation"):
        import_keras(keras_bytes(conv), "conv.keras")
    wide = keras.Sequential([keras.Input((784,)), keras.layers.Dense(6400), keras.layers.Dense(10)])
    with pytest.raises(ModelFileError, match="wide.keras declares 5,088,010 parameters; models up to 5,000,000"):
        import_keras(keras_bytes(wide), "wide.keras")


def test_what_keras_writes_is_read_the_same_before_keras_loads_it():
    """The checks count parameters and shapes from the description as Keras does: the app's largest
    network fits the limit, and a Functional model of the other allowed layers imports."""
    import keras

    from mnist_core.config import TrainConfig
    from mnist_core.training.trainer import build_model

    largest = build_model(TrainConfig(hidden=(1024,) * 4, dropout=(0.2,) * 4))
    assert check_keras_file(keras_bytes(largest), "largest.keras") == Declared(3_962_890, (784,), (10,))
    assert largest.count_params() == 3_962_890 < MAX_PARAMS

    pixels = keras.Input((28, 28))
    x = keras.layers.Rescaling(1 / 255)(keras.layers.Flatten()(pixels))
    x = keras.layers.Dropout(0.1)(keras.layers.Dense(32, use_bias=False)(x))
    x = keras.layers.Reshape((4, 8))(x)
    x = keras.layers.Activation("softmax")(keras.layers.Dense(10)(keras.layers.Flatten()(x)))
    functional = keras.Model(pixels, x)
    data = keras_bytes(functional)
    assert check_keras_file(data, "f.keras") == Declared(functional.count_params(), (28, 28), (10,))
    imported = import_keras(data, "f.keras")
    assert imported.predict(np.zeros((2, 28, 28), np.uint8)).shape == (2, 10)


def test_a_table_row_a_run_with_what_differs_and_accuracies_in_percent():
    a = stored(TrainConfig(validation="split:0.2"), [0.3, 0.2], [0.4, 0.3], test_acc=0.9)
    b = stored(TrainConfig(validation="split:0.2", dropout=(0.2,)), [0.3, 0.25], [0.4, 0.35], test_acc=0.95)
    keys = compare.differing_fields([a.config, b.config])
    rows = compare.table([a, b], keys)
    assert [(r["run"], r["dropout"]) for r in rows] == [(1, "0"), (2, "0.2")]
    assert rows[1]["test accuracy"] == "95.0%" and rows[0]["best epoch"] == "2"
    # The accuracies come before the settings, so a narrow screen shows them first.
    assert list(rows[0])[:4] == ["run", "test accuracy", "val accuracy", "train accuracy"]


def test_the_table_leaves_out_what_the_caption_says_is_shared_and_writes_no_none():
    with_val = stored(TrainConfig(validation="split:0.2"), [0.3, 0.2], [0.4, 0.3])
    without = stored(TrainConfig(validation="none", learning_rate=0.01), [None, None], [0.4, 0.3], val_acc=None)
    keys = compare.differing_fields([with_val.config, without.config])
    rows = compare.table([with_val, without], keys)
    caption = compare.shared([with_val, without], keys)
    assert caption.startswith("Settings that all runs share are left out: dataset, hidden")
    for row in rows:
        assert "dataset" not in row and "hidden" not in row  # shared: in the caption, not the table
        assert "status" not in row  # every run finished: nothing to say
        assert None not in row.values() and "None" not in map(str, row.values())
    assert [rows[1][k] for k in ("val accuracy", "best epoch", "test at best epoch")] == ["-", "-", "-"]
    assert rows[1]["validation"] == "none" and rows[1]["learning rate"] == "0.01"
    stopped = SavedRun(without.config, without.history, "stopped", None)
    assert [r["status"] for r in compare.table([with_val, stopped], keys)] == ["finished", "stopped"]
    fashion = stored(TrainConfig(validation="split:0.2", dataset="fashion_mnist"), [0.3, 0.2], [0.4, 0.3])
    differ = compare.differing_fields([with_val.config, fashion.config])
    assert [r["dataset"] for r in compare.table([with_val, fashion], differ)] == ["mnist", "fashion_mnist"]
    assert "dataset" not in compare.shared([with_val, fashion], differ)


def test_the_chart_overlays_the_runs_the_sentences_are_about():
    # Runs 1 and 2 differ in dropout; run 3 in two settings: the sentence is on 1 and 2, so is the chart.
    # One epoch each: the forgetting sentence, which reads weights, needs two.
    runs = [stored(TrainConfig(validation="split:0.2"), [0.3], [0.4]),
            stored(TrainConfig(validation="split:0.2", dropout=(0.5,)), [0.25], [0.35]),
            stored(TrainConfig(validation="none", learning_rate=0.01), [None], [0.4], val_acc=None)]
    said = compare.said(runs)
    assert [about for _, about in said] == [[1, 2]] and said[0][0].startswith("**Run 1 vs run 2.**")
    assert compare.overlaid(3, said) == [1, 2]
    assert compare.overlaid(3, compare.said([runs[0], runs[2], runs[1]])) == [1, 3]
    assert compare.overlaid(3, []) == [2, 3]  # no sentence: the last two
    assert compare.overlaid(1, []) == [1]


def test_repeats_are_one_family_and_stand_together_against_one_change():
    def run(seed, dropout, acc):
        config = TrainConfig(validation="split:0.2", seed=seed, dropout=(dropout,))
        return stored(config, [0.3], [0.4], test_acc=acc)

    runs = [run(0, 0.0, 0.90), run(1, 0.0, 0.91), run(0, 0.2, 0.95)]
    assert [[n for n, _ in g] for g in compare.seed_families(runs)] == [[1, 2], [3]]
    sentences = compare.compare_sentences(runs)
    assert sentences[0].startswith("**Runs 1, 2** (seeds 0, 1). The same settings with 2 seeds")
    assert sentences[1].startswith("**Runs 1, 2 vs run 3.** dropout 0 → 0.2: ")
    assert "one side has 2 seeds, the other one" in sentences[1]
    assert len(sentences) == 2


def test_a_run_trained_longer_is_a_second_change_and_settings_read_plainly():
    """Lesson 1's run (1 epoch, no validation) beside the classic one (5 epochs, 20% held back)
    once credited the validation setting with what the four extra epochs did."""
    short = stored(TrainConfig(validation="none"), [None], [0.3], test_acc=0.9)
    long = stored(TrainConfig(validation="split:0.2"), [0.3, 0.2, 0.15, 0.12, 0.1], [0.3, 0.2, 0.15, 0.12, 0.1],
                  test_acc=0.97)
    assert compare.one_change(short, long) is None
    same = stored(TrainConfig(validation="split:0.2"), [0.3], [0.3], test_acc=0.9)
    said = compare.one_change(same, long)
    assert said.startswith("epochs 1 → 5: ")
    assert compare.fields(TrainConfig(validation="none"))["validation"] == "none"
    assert compare.fields(TrainConfig())["validation"] == "20% held back"
    assert compare.fields(TrainConfig(normalize=False))["normalize"] == "raw 0-255"

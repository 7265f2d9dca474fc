"""Teaching a run a set of drawings: the split, the config, the drawings' store, training in
process and the `teach` command. The page: tests/test_teach_page.py."""

import dataclasses
import json

import numpy as np
import pytest

from mnist_core.analysis.taught import compare, forgetting_sentence
from mnist_core.config import MIN_PER_CLASS, ConfigError, Teach, TrainConfig
from mnist_core.input.drawings import DrawingSet, export_set, unlike_set
from mnist_core.model.runs import load_run_file
from mnist_core.model.taught import TeachError, TeachSet, epoch_order, teach_config, teach_problems
from mnist_core.store.rundir import RunDirectory, run_name
from mnist_core.store.taught import TaughtSets, base_run, start_weights
from tests.test_cli import run_cli


def drawings(per_class: int = 4, seed: int = 3) -> TeachSet:
    found = unlike_set(10 * per_class, seed=seed)
    return TeachSet.of(found.dataset, found.images, found.labels)


def test_a_quarter_of_each_class_is_held_back_at_least_one_and_never_taught():
    ts = drawings(per_class=9)
    assert not set(ts.taught) & set(ts.held)
    assert sorted([*ts.taught, *ts.held]) == list(range(90))
    held_counts = np.bincount(ts.labels[ts.held], minlength=10)
    assert list(held_counts) == [2] * 10  # round(9 / 4)
    small = drawings(per_class=MIN_PER_CLASS)
    assert list(np.bincount(small.labels[small.held], minlength=10)) == [1] * 10
    again = drawings(per_class=9)
    assert list(again.held) == list(ts.held) and again.digest == ts.digest  # the same set splits the same way


def test_too_few_drawings_or_a_class_with_none_names_what_is_missing():
    labels = np.array([0, 0, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8])  # one 1, no 9
    (problem,) = teach_problems("mnist", labels, "mnist")
    assert "at least 2 drawings of each class" in problem
    assert "draw 1 more of 1 and 2 more of 9 (none of 9 yet)" in problem
    assert teach_problems("mnist", np.repeat(np.arange(10), 2), "mnist") == []


def test_drawings_of_the_other_dataset_are_refused():
    (problem,) = teach_problems("fashion_mnist", np.repeat(np.arange(10), 3), "mnist")
    assert "drawings are of Fashion-MNIST and the network reads MNIST digits" in problem


def test_a_taught_config_names_its_base_and_drawings_and_is_a_run_of_its_own():
    base = TrainConfig(hidden=(64,), learning_rate=0.002)
    ts = drawings()
    config = teach_config(base, "shipped", 5, ts, epochs=3, replay=0.5)
    teach = config.teaching
    assert (teach.base, teach.epoch, teach.drawings, teach.taught, teach.replay) == ("shipped", 5, ts.digest, 30, 0.5)
    assert config.learning_rate == pytest.approx(0.0004) and config.augment == "all" and config.epochs == 3
    assert "taught 30 drawings from the shipped network epoch 5, replay 50%" in config.describe()
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert run_name(config) != run_name(base) != run_name(teach_config(base, "shipped", 5, ts, replay=0))
    assert run_name(config) == run_name(teach_config(base, "shipped", 5, ts, epochs=9, replay=0.5))  # more epochs: the same run
    with pytest.raises(ConfigError, match="replay 1.5: must be between 0 and 0.95"):
        teach_config(base, "shipped", 5, ts, replay=1.5)


def test_a_strange_teach_in_a_link_is_dropped_with_a_note():
    config, notes = TrainConfig.from_link({"hidden": "64", "teach": "../../etc@1/x/5/2"})
    assert config.teach == "" and any("not a teaching of this app" in n for n in notes)
    bad = Teach("shipped", 5, "a" * 24, 1, 0.5).text
    assert "taught drawings 1: must be between 10 and 2,000" in TrainConfig(teach=bad).problems()[0]


def test_an_epoch_shows_every_taught_drawing_as_often_and_fresh_training_images():
    teach = Teach("shipped", 5, "a" * 24, 30, 0.8)
    first, second = (epoch_order(teach, seed=0, epoch=e, n_train=60_000) for e in (1, 2))
    assert len(first) == teach.examples == 30 * teach.copies + teach.replayed
    counts = np.bincount(first[first >= 60_000] - 60_000, minlength=30)
    assert set(counts) == {teach.copies}
    assert teach.replayed == 4 * 30 * teach.copies  # 80% of the images are the dataset's own
    assert set(first[first < 60_000]) != set(second[second < 60_000])  # replayed afresh each epoch


def test_the_drawings_are_kept_by_digest_and_a_damaged_file_is_refused(tmp_path):
    sets = TaughtSets(tmp_path)
    ts = drawings()
    sets.keep(ts)
    found = sets.load(ts.digest)
    assert found.digest == ts.digest and list(found.held) == list(ts.held)
    (tmp_path / "taught" / f"{ts.digest}.npz").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(TeachError, match="damaged"):
        sets.load(ts.digest)
    with pytest.raises(TeachError, match="not in this run directory"):
        sets.load("b" * 24)


def test_a_base_still_training_is_refused(tmp_path, small_config):
    from mnist_core.training.trainer import TrainingRun

    run = TrainingRun(dataclasses.replace(small_config, epochs=1))
    run.train_to(1)
    RunDirectory(tmp_path).save(run)
    name = run_name(run.config)
    assert len(start_weights(Teach(name, 1, "a" * 24, 30, 0.5), RunDirectory(tmp_path))) == 4  # 2 layers: kernels and biases
    with pytest.raises(TeachError, match="has no epoch 2"):
        start_weights(Teach(name, 2, "a" * 24, 30, 0.5), RunDirectory(tmp_path))
    training = RunDirectory(tmp_path, is_live=lambda _name: True)  # a worker trains it right now
    with pytest.raises(TeachError, match="still training: teach it once it has finished"):
        base_run(name, training)
    with pytest.raises(TeachError, match="not in this run directory"):
        base_run("c" * 24, RunDirectory(tmp_path))


@pytest.fixture(scope="module")
def base_file(tmp_path_factory):
    """A small trained run as a run file (64 units, 3,000 images, 1 epoch)."""
    from mnist_core.training.trainer import train

    path = tmp_path_factory.mktemp("base") / "base.npz"
    train(TrainConfig(hidden=(64,), epochs=1, train_samples=3000, validation="none", seed=2)).save(path)
    return path


def test_a_taught_run_starts_from_its_base_and_reads_its_held_back_drawings_every_epoch(base_file):
    from mnist_core.training.trainer import TrainingRun

    base = load_run_file(base_file)
    ts = drawings(per_class=4)
    config = teach_config(base.config, run_name(base.config), 1, ts, epochs=2, replay=0.5)
    with pytest.raises(ValueError, match="needs its own drawings"):
        TrainingRun(config)
    run = TrainingRun(config, drawings=ts, start=base.weights_at(1))
    for mine, theirs in zip(run.weights_at(0), base.weights_at(1)):
        np.testing.assert_allclose(mine, theirs, atol=1e-2)  # epoch 0 is the base (stored quantised)
    assert run.baseline_accuracy == pytest.approx(base.history[0].test_accuracy, abs=1e-3)
    run.train_to(2)
    assert run.epochs_done == 2 and run.status == "finished"
    held = (run.predict(ts.images[ts.held], 2).argmax(1) == ts.labels[ts.held]).mean()
    assert run.history[-1].val_accuracy == pytest.approx(held, abs=1e-6)  # validation = the held-back drawings
    found = compare(run, 2, ts)
    assert found.test_before == run.baseline_accuracy and found.test_after == run.history[-1].test_accuracy
    assert len(found.held) == 10 and set(found.fixed).isdisjoint(found.broken)
    assert "test set" in forgetting_sentence(found)


def test_teach_command_prints_before_and_after_and_saves_a_run_file(tmp_path, base_file):
    path = tmp_path / "mine.json"
    path.write_bytes(export_set(unlike_set(30, seed=4)))
    result = run_cli("teach", "--drawings", str(path), "--base", str(base_file), "--epochs", "2", "--replay", "0.5",
                     "--save", str(tmp_path / "taught.npz"), "--json", str(tmp_path / "taught.json"))
    assert result.returncode == 0, result.stderr
    assert "held-back drawings: before" in result.stdout and "test set:           before" in result.stdout
    summary = json.loads((tmp_path / "taught.json").read_text())
    assert summary["held_back"]["count"] == 10 and summary["epochs"] == 2
    saved = load_run_file(tmp_path / "taught.npz")
    assert saved.epochs_done == 2 and saved.config.teaching.base == run_name(load_run_file(base_file).config)
    again = run_cli("train", "--hidden", "64", "--epochs", "1", "--train-samples", "1000", "--validation", "none",
                    "--drawings", str(path))  # the same file of drawings reads in train too
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("content, message", [
    (b"\x00" * 500_000, "the file is 400,001 bytes; a file of drawings is at most 400,000"),
    (b'{"format": "mnist-lab-drawings", "version": 1, "dataset": "mnist", "drawings": [{"label": 3}]}',
     "drawing 1 of the file is damaged"),
    (export_set(DrawingSet("fashion_mnist", np.zeros((20, 28, 28), np.uint8), np.repeat(np.arange(10), 2).astype(np.uint8))),
     "drawings are of Fashion-MNIST and the network reads MNIST digits"),
    (export_set(unlike_set(15, seed=1)), "draw 1 more of 5, 6, 7, 8, 9"),
], ids=["oversized", "damaged", "other dataset", "too few"])
def test_teach_command_refuses_a_bad_file_with_status_2(tmp_path, content, message):
    path = tmp_path / "drawings.json"
    path.write_bytes(content)
    result = run_cli("teach", "--drawings", str(path))
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_teach_command_refuses_impossible_settings_with_status_2(tmp_path):
    path = tmp_path / "drawings.json"
    path.write_bytes(export_set(unlike_set(20, seed=1)))
    result = run_cli("teach", "--drawings", str(path), "--replay", "2")
    assert result.returncode == 2 and "replay 2: must be between 0 and 0.95" in result.stderr
    result = run_cli("teach", "--drawings", str(path), "--base", str(path))
    assert result.returncode == 2 and "not a MNIST Lab run file" in result.stderr


def test_an_uploaded_model_cannot_be_taught_and_the_default_is_the_shipped_network():
    from types import SimpleNamespace

    from app_pages.parts.teach import base_name

    uploaded = SimpleNamespace(history=[], config=None)  # an ImportedRun has no history and no config
    assert base_name(uploaded) is None
    trained = SimpleNamespace(history=[object()], config=TrainConfig(hidden=(64,)))
    assert base_name(trained) == run_name(TrainConfig(hidden=(64,)))

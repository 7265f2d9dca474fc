"""Your own handwriting: the script-written digits, the drawing sets, their files and scores."""

import base64
import json

import numpy as np
import pytest

from mnist_core.analysis.handwriting import score, score_over_epochs
from mnist_core.config import TrainConfig
from mnist_core.input.canvas import prepare_drawing
from mnist_core.input.drawings import (
    MAX_CLASS,
    MAX_FILE_BYTES,
    MAX_MINE,
    DrawingSet,
    SetError,
    export_set,
    import_set,
    written_set,
)
from mnist_core.input.strokes import GLYPHS, canvas_picture, pen_strokes, written_digits
from mnist_core.model.runs import DEFAULT_MODEL, load_run_file
from mnist_core.store.classes import class_code
from mnist_core.store.handwriting import Handwriting
from mnist_core.store.rundir import run_name

LEARNER = "a" * 32


def drawn(count=20, seed=0) -> DrawingSet:
    return written_set(count, seed)


def test_every_written_digit_is_a_drawing_the_canvas_recipe_accepts():
    rng = np.random.default_rng(3)
    for digit, styles in GLYPHS.items():
        for _ in range(2 * len(styles)):
            picture = canvas_picture(pen_strokes(digit, rng), pen=20)
            assert picture.shape == (280, 280, 4) and picture[..., 3].max() == 255
            assert prepare_drawing(picture).ok
    a, b = written_digits(10, seed=5), written_digits(10, seed=5)
    assert all(np.array_equal(x, y) for x, y in zip(a[0], b[0])) and list(a[1]) == list(range(10))


def test_the_shipped_network_reads_most_written_digits_but_not_all():
    run, digits = load_run_file(DEFAULT_MODEL), drawn(200)
    found = score(run, run.final_epoch, digits)
    assert 0.6 < found.accuracy < 1.0  # a different hand than MNIST's: not every digit is read


def test_a_set_asks_for_the_class_it_has_fewest_of_and_refuses_past_its_limit():
    s = DrawingSet.empty("mnist")
    assert s.next_label() == 0
    s = s.with_drawing(np.zeros((28, 28)), 0, limit=3).with_drawing(np.zeros((28, 28)), 1, limit=3)
    assert s.next_label() == 2 and list(s.counts()[:3]) == [1, 1, 0]
    s = s.with_drawing(np.full((28, 28), 7), 2, limit=3)
    with pytest.raises(SetError, match="full"):
        s.with_drawing(np.zeros((28, 28)), 3, limit=3)
    with pytest.raises(SetError, match="label"):
        DrawingSet.empty("mnist").with_drawing(np.zeros((28, 28)), 10, limit=3)
    left = s.without(0)
    assert list(left.labels) == [1, 2] and left.images[1].max() == 7


def test_sets_are_kept_per_learner_and_dataset_and_a_damaged_one_reads_as_empty(tmp_path):
    store = Handwriting(tmp_path)
    store.add(LEARNER, "mnist", np.full((28, 28), 9), 4)
    again = Handwriting(tmp_path).load(LEARNER, "mnist")
    assert list(again.labels) == [4] and again.images[0].max() == 9
    assert len(store.load(LEARNER, "fashion_mnist")) == 0 and len(store.load("b" * 32, "mnist")) == 0
    (tmp_path / "handwriting" / f"mine-{LEARNER}-mnist.npz").write_bytes(b"PK\x03\x04 not a zip")
    assert len(store.load(LEARNER, "mnist")) == 0
    with pytest.raises(SetError):
        store.load("../../etc", "mnist")
    with pytest.raises(SetError):
        store.load(LEARNER, "cifar")


def test_a_class_set_needs_a_code_that_was_started(tmp_path):
    store = Handwriting(tmp_path)
    code = store.start_class()
    assert class_code(f" {code.lower()[:3]}-{code.lower()[3:]} ") == code
    assert class_code("ABC") is None and class_code("ABCDE0") is None and class_code(None) is None
    store.add(f"class-{code}", "mnist", np.zeros((28, 28)), 1)
    assert len(store.load(f"class-{code}", "mnist")) == 1 and Handwriting.limit(f"class-{code}") == MAX_CLASS
    other = "ABCDEF" if code != "ABCDEF" else "ABCDEG"
    with pytest.raises(SetError, match="no class set"):
        store.add(f"class-{other}", "mnist", np.zeros((28, 28)), 1)


def test_a_set_file_round_trips_and_stays_under_its_limit(tmp_path):
    digits = drawn(MAX_MINE)
    data = export_set(digits)
    assert len(data) < MAX_FILE_BYTES
    back = import_set(data)
    assert back.dataset == "mnist" and np.array_equal(back.images, digits.images)
    assert np.array_equal(back.labels, digits.labels)


def _file(**change) -> bytes:
    row = {"label": 3, "pixels": base64.b64encode(bytes(784)).decode()}
    doc = {"format": "mnist-lab-drawings", "version": 1, "dataset": "mnist", "drawings": [row]}
    for key, value in change.items():
        if key.startswith("row_"):
            row[key[4:]] = value
        else:
            doc[key] = value
    return json.dumps(doc).encode()


@pytest.mark.parametrize("data, says", [
    (b"x" * (MAX_FILE_BYTES + 1), "at most"),
    (b"\xff\xfe not text", "not JSON"),
    (b"[" * 100_000, "not JSON"),
    (b"{}", "saved by MNIST Lab"),
    (_file(version=2), "saved by MNIST Lab"),
    (_file(dataset="cifar"), "which dataset"),
    (_file(drawings=[{"label": 1}] * (MAX_MINE + 1)), "at most"),
    (_file(row_label=10), "damaged"),
    (_file(row_label=True), "damaged"),
    (_file(row_pixels="A" * 10), "damaged"),
    (_file(row_pixels="!" * 1048), "damaged"),
    (_file(drawings=["not a drawing"]), "damaged"),
])
def test_a_strange_file_of_drawings_is_refused_with_a_reason(data, says):
    with pytest.raises(SetError, match=says):
        import_set(data)


def test_scores_match_a_direct_computation_from_the_runs_predictions():
    run, digits = load_run_file(DEFAULT_MODEL), drawn(60, seed=2)
    for epoch in range(1, run.epochs_done + 1):
        probs = run.predict(digits.images, epoch)
        found = score(run, epoch, digits)
        assert found.accuracy == pytest.approx((probs.argmax(1) == digits.labels).mean())
        assert found.confusion.sum() == 60 and np.trace(found.confusion) == round(found.accuracy * 60)
        assert set(found.wrong) == set(np.flatnonzero(probs.argmax(1) != digits.labels))
        assert list(found.sureness[found.wrong]) == sorted(found.sureness[found.wrong], reverse=True)
    over = score_over_epochs(run, digits)
    assert len(over) == run.epochs_done
    assert over == pytest.approx([score(run, e, digits).accuracy for e in range(1, run.epochs_done + 1)])


def test_augment_off_keeps_the_names_of_runs_stored_before_it_existed():
    import hashlib

    config = TrainConfig(hidden=(64,), seed=4)
    fields = {k: v for k, v in config.key().to_dict().items() if k != "augment"}
    before = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:24]
    assert run_name(config) == before
    assert run_name(TrainConfig(hidden=(64,), seed=4, augment="all")) != before


def test_the_run_directory_leaves_the_drawings_alone_without_a_warning(tmp_path, caplog):
    from mnist_core.store.rundir import RunDirectory

    Handwriting(tmp_path).add(LEARNER, "mnist", np.zeros((28, 28)), 1)
    with caplog.at_level("WARNING"):
        assert RunDirectory(tmp_path).runs() == []
    assert "not a run" not in caplog.text and (tmp_path / "handwriting").is_dir()


def test_ids_and_codes_are_whole_matches_not_prefixes():
    from mnist_core.store.classes import is_class_code
    from mnist_core.store.files import is_learner_id

    assert is_learner_id("a" * 32) and not is_learner_id("a" * 32 + "\n") and not is_learner_id("a" * 33)
    assert is_class_code("ABCDEF") and not is_class_code("ABCDEF\n") and not is_learner_id(None)

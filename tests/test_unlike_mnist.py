"""Digits in a hand unlike MNIST's (mnist_core.input.strokes.UNLIKE_MNIST): a set to teach with."""

import hashlib

import numpy as np

from mnist_core.input.canvas import prepare_drawing
from mnist_core.input.drawings import unlike_set, written_set
from mnist_core.input.strokes import GLYPHS, UNLIKE_MNIST, canvas_picture, pen_strokes
from mnist_core.model.runs import DEFAULT_MODEL, load_run_file

# sha256 of written_set(50, seed=0).images.tobytes(), taken before UNLIKE_MNIST was added
WRITTEN_50 = "4416db4360fcc0b696c69a8a9ff88089533a50b994dd86632ab91e2f09587746"
STYLED = [1, 4, 7, 9]  # the classes whose styles MNIST's writers seldom used


def test_the_set_has_the_count_asked_balanced_labels_and_inked_images():
    found = unlike_set(120, seed=0)
    assert found.dataset == "mnist" and len(found) == 120
    assert found.images.dtype == np.uint8 and found.images.shape == (120, 28, 28)
    assert found.labels.dtype == np.uint8 and list(found.counts()) == [12] * 10
    assert (found.images.reshape(120, -1).max(axis=1) > 100).all()  # ink in every image


def test_every_style_is_a_drawing_the_canvas_recipe_accepts():
    assert sorted(UNLIKE_MNIST) == list(range(10))
    rng = np.random.default_rng(4)
    for digit, styles in UNLIKE_MNIST.items():
        for _ in range(3 * len(styles)):
            picture = canvas_picture(pen_strokes(digit, rng, glyphs=UNLIKE_MNIST), pen=20)
            assert prepare_drawing(picture).ok


def test_the_same_seed_gives_the_same_set_and_another_seed_another():
    a, b = unlike_set(40, seed=3), unlike_set.__wrapped__(40, seed=3)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.images, unlike_set.__wrapped__(40, seed=4).images)


def test_the_script_written_set_is_what_it_was():
    found = written_set.__wrapped__(50, seed=0)
    assert hashlib.sha256(found.images.tobytes()).hexdigest() == WRITTEN_50
    assert list(found.labels) == [i % 10 for i in range(50)]
    rng_a, rng_b = np.random.default_rng(9), np.random.default_rng(9)
    for digit in range(10):  # GLYPHS is the default, with the same random draws
        a, b = pen_strokes(digit, rng_a), pen_strokes(digit, rng_b, glyphs=GLYPHS)
        assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_the_shipped_network_reads_the_new_hand_clearly_worse_than_the_old():
    run = load_run_file(DEFAULT_MODEL)
    old, new = written_set(300, seed=0), unlike_set(300, seed=0)
    right_old = run.predict(old.images).argmax(axis=1) == old.labels
    right_new = run.predict(new.images).argmax(axis=1) == new.labels
    assert right_old.mean() > 0.85 and right_new.mean() < right_old.mean() - 0.05
    per_class = np.array([right_new[new.labels == k].mean() for k in range(10)])
    others = [k for k in range(10) if k not in STYLED]
    assert per_class[STYLED].mean() < per_class[others].mean() - 0.2  # the styled classes most of all

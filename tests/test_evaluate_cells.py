"""Evaluate: from a confusion-matrix cell to exactly its images, and back to all of them."""

import numpy as np

from app_pages.parts.links import link_params
from app_pages.parts.runs import run_store
from mnist_core.analysis.evaluate import cell_images, confusion_matrix
from mnist_core.config import TrainConfig
from tests.test_app_pages import button, open_page


def test_a_cell_is_its_images_in_the_order_that_teaches():
    labels = np.array([4, 4, 4, 9, 4])
    probs = np.full((5, 10), 0.01)
    probs[0, 9], probs[1, 9], probs[2, 4], probs[3, 9], probs[4, 4] = 0.6, 0.9, 0.5, 0.99, 0.95
    assert cell_images(probs, labels, 4, 9).tolist() == [1, 0]  # mistakes: surest first
    assert cell_images(probs, labels, 4, 4).tolist() == [2, 4]  # right answers: least sure first
    assert cell_images(probs, labels, 9, 4).tolist() == []
    counts = confusion_matrix(labels, probs.argmax(axis=1))
    assert all(len(cell_images(probs, labels, i, j)) == counts[i, j] for i in range(10) for j in range(10))


def caption(at) -> str:
    return next(c.value for c in at.caption if "shown; click one" in c.value)


def test_a_chosen_cell_filters_the_gallery_and_one_click_clears_it(app):
    from mnist_core.training.trainer import train

    run = train(TrainConfig(hidden=(32,), epochs=1, train_samples=2000, seed=11))
    run_store().add(run)
    open_page(app, "app_pages/evaluate.py", **link_params(run, 1))
    probs = run.test_predictions(1)
    counts = confusion_matrix(run.dataset.y_test, probs.argmax(axis=1))
    true, called = np.unravel_index(np.argmax(counts - np.diag(np.diag(counts))), counts.shape)  # the worst cell
    # What the cell's click callback does (a browser test clicks the real chart).
    app.session_state["eval_cell"] = (int(true), int(called))
    app.session_state["eval_classes"], app.session_state["eval_called"] = [int(true)], [int(called)]
    app.run()
    assert caption(app).startswith(f"True {true}, read as {called}: {counts[true, called]:,} images, most confident first")
    first = cell_images(probs, run.dataset.y_test, true, called)[0]
    assert app.selectbox(key="eval_look").value == first
    app.multiselect(key="eval_called").set_value([]).run()  # the filters stay the learner's to change
    assert caption(app).startswith(f"{(run.dataset.y_test == true).sum():,} images match")
    button(app, "Show all classes again").click().run()
    assert caption(app).startswith("10,000 images match")
    assert app.multiselect(key="eval_classes").value == []


def test_accuracy_and_cross_entropy_from_probabilities():
    from mnist_core.analysis.evaluate import accuracy, cross_entropy

    labels = np.array([0, 1, 2])
    probs = np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1], [1.0, 0.0, 0.0]])
    assert accuracy(probs, labels) == 2 / 3
    # The third image's true class has probability 0: clipped to 1e-7, not an infinite loss.
    assert np.isclose(cross_entropy(probs, labels), -(np.log(0.5) + np.log(0.8) + np.log(1e-7)) / 3)


def test_the_gallery_order_follows_the_filters():
    from mnist_core.analysis.evaluate import gallery_order

    labels = np.array([1, 1, 2, 2, 3])
    probs = np.full((5, 10), 0.01)
    probs[0, 1], probs[1, 2], probs[2, 2], probs[3, 1], probs[4, 2] = 0.9, 0.6, 0.8, 0.95, 0.7
    assert gallery_order(probs, labels).tolist() == [0, 1, 2, 3, 4]
    assert gallery_order(probs, labels, mistakes_only=True).tolist() == [1, 3, 4]
    assert gallery_order(probs, labels, confident_first=True).tolist() == [3, 4, 1]
    assert gallery_order(probs, labels, classes=[1, 3]).tolist() == [0, 1, 4]
    assert gallery_order(probs, labels, mistakes_only=True, called=[2]).tolist() == [1, 4]

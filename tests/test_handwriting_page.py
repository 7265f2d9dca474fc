"""The Handwriting page in AppTest: drawings are handed in as the canvas would return them."""

import numpy as np
from streamlit.testing.v1 import AppTest

from mnist_core.input.strokes import written_digits
from mnist_core.store.handwriting import Handwriting
from tests.test_app_pages import open_page

PAGE = "app_pages/handwriting.py"


def open_handwriting(at, **query):
    return open_page(at, PAGE, **query)


def add(at, picture) -> str:
    """Hand in a drawing and press Add; the label it was added under."""
    at.session_state["hw_pixels"] = picture
    at.run()
    button = next(b for b in at.button if b.label.startswith("Add as"))
    label = button.label.removeprefix("Add as ")
    button.click()
    at.run()
    assert not at.exception, at.exception
    return label


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_ten_drawings_under_the_labels_asked_for_are_kept_and_read(app):
    open_handwriting(app)
    assert any("No drawings yet" in i.value for i in app.info)
    pictures, labels = written_digits(10, seed=4)
    asked = [add(app, p) for p in pictures]
    assert asked == [str(d) for d in labels]  # it asks for the class the set has fewest of, 0 to 9
    assert metric(app, "Test set") == "97.7%"  # the shipped network, at its last epoch
    yours = float(metric(app, "Your drawings").rstrip("%"))
    assert 0 <= yours <= 100 and yours == round(yours / 10) * 10  # n of 10
    learner = app.session_state["learner"]
    kept = Handwriting(_root()).load(learner, "mnist")
    assert list(kept.labels) == list(range(10))
    again = AppTest.from_file("../streamlit_app.py", default_timeout=90)
    again.session_state["learner"] = learner  # the same browser, later: a new session
    again.run()
    open_handwriting(again)
    assert metric(again, "Your drawings") == metric(app, "Your drawings")


def _root():
    import os

    return os.environ["MNIST_LAB_RUNS"]


def test_an_empty_canvas_adds_nothing_and_says_why(app):
    open_handwriting(app)
    add(app, np.zeros((280, 280, 4), np.uint8))
    assert app.warning and "No drawings yet" in " ".join(i.value for i in app.info)
    assert len(Handwriting(_root()).load(app.session_state["learner"], "mnist")) == 0


def test_a_drawing_can_be_deleted(app):
    open_handwriting(app)
    pictures, _ = written_digits(3, seed=5)
    for p in pictures:
        add(app, p)
    app.number_input(key="hw_delete_number").set_value(2)
    next(b for b in app.button if b.label == "Delete it").click()
    app.run()
    assert list(Handwriting(_root()).load(app.session_state["learner"], "mnist").labels) == [0, 2]


def test_a_class_set_pools_the_drawings_of_everyone_with_its_link(app):
    open_handwriting(app)
    next(b for b in app.button if b.label == "Start a class set").click()
    app.run()
    code = app.session_state["hw_class"]
    assert any(code in m.value for m in app.markdown)
    learner = AppTest.from_file("../streamlit_app.py", default_timeout=90)
    learner.run()
    open_handwriting(learner, **{"class": code.lower()})
    assert learner.radio(key="hw_which").value == "class"  # who opens a class link adds to the class
    pictures, _ = written_digits(2, seed=6)
    for p in pictures:
        add(learner, p)
    assert len(Handwriting(_root()).load(f"class-{code}", "mnist")) == 2
    assert len(Handwriting(_root()).load(learner.session_state["learner"], "mnist")) == 0
    app.run()  # the teacher's page, on the class's set since it started it
    assert metric(app, "Class " + code + "'s drawings")


def test_a_link_to_a_class_that_does_not_exist_says_so(app):
    open_handwriting(app, **{"class": "ZZZZZZ"})
    assert any("does not exist" in w.value for w in app.warning)
    open_handwriting(app, **{"class": "<script>" * 50})
    assert not app.exception


def test_a_file_of_drawings_is_added_and_a_strange_one_refused(app):
    from mnist_core.input.drawings import export_set, written_set

    open_handwriting(app)
    app.file_uploader[0].set_value(("mine.json", export_set(written_set(12, seed=10)), "application/json"))
    app.run()
    next(b for b in app.button if b.label == "Add its 12 drawings").click()
    app.run()
    assert not app.exception
    kept = Handwriting(_root()).load(app.session_state["learner"], "mnist")
    assert len(kept) == 12 and list(kept.labels) == [d % 10 for d in range(12)]
    assert not any(b.label.startswith("Add its") for b in app.button)  # added once, not on every press
    app.file_uploader[0].set_value(("odd.json", b'{"format": "mnist-lab-drawings", "version": 7}', "application/json"))
    app.run()
    assert any("That file cannot be used: this is not a file of drawings saved by MNIST Lab" in e.value
               for e in app.error)
    assert len(Handwriting(_root()).load(app.session_state["learner"], "mnist")) == 12


def test_the_train_form_has_the_augment_setting_and_says_what_it_does_to_the_curves(app):
    app.query_params.update({"augment": "all", "hidden": "64"})
    app.switch_page("app_pages/train.py")
    app.run()
    assert not app.exception
    assert app.selectbox(key="f_augment").value == "all"
    assert any("Augmented: every batch" in c.value for c in app.caption)
    app.selectbox(key="f_augment").set_value("off")
    app.run()
    assert not any("Augmented: every batch" in c.value for c in app.caption)

"""Teaching on the Handwriting page, in AppTest, trained by the real engine: before and after,
the same teaching asked twice, a teaching stopped half-way and continued, and what is refused."""

import os

import numpy as np
from streamlit.testing.v1 import AppTest

from mnist_core.analysis.evaluate import pct
from mnist_core.input.drawings import DrawingSet, unlike_set
from mnist_core.store.handwriting import Handwriting
from tests.conftest import _wait_until
from tests.test_app_pages import JOB_TIMEOUT, button, open_page, session_jobs, wait_for_jobs

PAGE = "app_pages/handwriting.py"
LEARNER = "ab" * 16


def with_drawings(at, drawings: DrawingSet, learner: str = LEARNER):
    """The learner's set holds `drawings`; the page open on it."""
    Handwriting(os.environ["MNIST_LAB_RUNS"]).save(learner, drawings)
    at.session_state["learner"] = learner
    return open_page(at, PAGE)


def teach(at, epochs: int, replay: float = 0.8):
    at.slider(key="teach_epochs").set_value(epochs)
    at.slider(key="teach_replay").set_value(replay)
    at.run()
    button(at, "Teach it your handwriting").click()
    at.run()
    assert not at.exception, at.exception


def metric(at, label: str):
    return next(m for m in at.metric if m.label == label)


def test_too_few_drawings_say_which_are_missing_and_offer_no_teaching(app):
    found = unlike_set(19, seed=2)  # two of 0..8, one 9
    with_drawings(app, found)
    assert any("draw 1 more of 9" in i.value for i in app.info)
    assert not [b for b in app.button if b.label.startswith("Teach it")]


def test_teaching_shows_before_and_after_and_the_same_teaching_is_trained_once(app):
    with_drawings(app, unlike_set(30, seed=5))
    teach(app, epochs=2)
    wait_for_jobs(app)
    held, test = metric(app, "Held-back drawings, after"), metric(app, "Test set, after")
    assert held.value.endswith("%") and test.value.endswith("%") and "points" in test.delta
    assert any("On the 10 held-back drawings, which it never learned from" in m.value for m in app.markdown)
    assert any(c.value == "It started from the default MNIST model (the classic network), epoch 5." for c in app.caption)
    taught = [r for r in app.session_state["runs"].values() if r.config.teach]
    assert len(taught) == 1 and taught[0].epochs_done == 2  # a run of its own, in the learner's list
    model = app.selectbox[0]
    assert model.options[model.value].startswith("The default MNIST model")  # the page stays on its base
    assert not [b for b in app.button if b.label.startswith("Teach it")]  # taught: read back, not offered again
    other = AppTest.from_file("../streamlit_app.py", default_timeout=90)  # a second browser, same drawings
    other.run()
    with_drawings(other, unlike_set(30, seed=5), learner="cd" * 16)
    other.slider(key="teach_epochs").set_value(2)
    other.run()
    assert not [b for b in other.button if b.label.startswith("Teach it")]  # already taught: read back
    assert metric(other, "Held-back drawings, after").value == held.value and not session_jobs(other)


def test_a_taught_run_is_used_on_every_page_and_shared_by_link(app):
    with_drawings(app, unlike_set(20, seed=9))
    teach(app, epochs=2)  # Story tells a run of two epochs or more
    wait_for_jobs(app)
    button(app, "Use it on Draw and Evaluate").click()
    app.run()
    (taught,) = [r for r in app.session_state["runs"].values() if r.config.teach]
    assert app.session_state["selected"][0] is taught
    model = app.selectbox[0]
    model.set_value(next(i for i, name in enumerate(model.options) if "taught 10 drawings" in name))
    app.run()
    assert any("This run learned 10 of these drawings; they are left out of its score here, and the other 10"
               in c.value for c in app.caption)  # on Handwriting, a taught run is scored honestly
    for page in ("evaluate", "draw", "inside", "story", "compare"):
        open_page(app, f"app_pages/{page}.py")
        shown = " ".join(str(e.value) for e in [*app.caption, *app.markdown] if e.value is not None)
        offered = " ".join(o for box in app.selectbox for o in box.options)
        assert "taught 10 drawings" in shown + offered, page  # the run is offered, and named as taught
    link = {**taught.config.key().to_dict(), "epochs": "2", "epoch": "2"}
    assert "teach" in link
    visitor = AppTest.from_file("../streamlit_app.py", default_timeout=90)  # someone who opens the link
    visitor.run()
    open_page(visitor, "app_pages/train.py", **link)
    assert any("A taught run" in i.value for i in visitor.info)
    assert next(m.value for m in visitor.metric if m.label == "Test accuracy") == pct(taught.history[1].test_accuracy)
    assert not session_jobs(visitor)  # read back, not trained again


def test_a_class_set_is_taught_the_same_way(app):
    store = Handwriting(os.environ["MNIST_LAB_RUNS"])
    code = store.start_class()
    store.save(f"class-{code}", unlike_set(30, seed=10))
    open_page(app, PAGE, **{"class": code})
    app.slider(key="teach_epochs").set_value(1)
    app.run()
    button(app, f"Teach it class {code}'s handwriting").click()
    app.run()
    wait_for_jobs(app)
    assert metric(app, "Held-back drawings, after").value.endswith("%")
    (taught,) = [r for r in app.session_state["runs"].values() if r.config.teach]
    assert taught.config.teaching.taught == 20  # 30 drawings: one of each class held back


def test_a_teaching_stopped_half_way_keeps_its_epochs_and_continues(app):
    with_drawings(app, unlike_set(20, seed=6))
    teach(app, epochs=30, replay=0.0)
    (job,) = session_jobs(app)
    _wait_until(lambda: job.run is not None and job.run.epochs_done >= 1, JOB_TIMEOUT, "a first epoch")
    job.stop()
    assert job.wait(JOB_TIMEOUT)
    app.run()
    stopped = next(r for r in app.session_state["runs"].values() if r.config.teach)
    assert 1 <= stopped.epochs_done < 30 and stopped.status == "stopped"
    assert metric(app, "Held-back drawings, after")  # its finished epochs are read
    button(app, "Continue to epoch 30").click()
    app.run()
    wait_for_jobs(app)
    done = next(r for r in app.session_state["runs"].values() if r.config.teach)
    assert done.epochs_done == 30 and done.history[0] == stopped.history[0]


def test_a_run_still_training_cannot_be_taught(app, small_config):
    import dataclasses

    app.query_params.update({**dataclasses.replace(small_config, epochs=60).to_dict()})
    app.switch_page("app_pages/train.py")
    app.run()
    button(app, "Train").click()
    app.run()
    (job,) = session_jobs(app)
    _wait_until(lambda: job.run is not None and job.run.epochs_done >= 1, JOB_TIMEOUT, "a first epoch")
    app.query_params.clear()
    with_drawings(app, unlike_set(20, seed=7))
    model = app.selectbox[0]
    assert "mnist 64 relu" in model.options[model.value]  # the run training now is the one chosen
    assert any("still training: teach it once it has finished" in w.value for w in app.warning)
    job.stop()
    assert job.wait(JOB_TIMEOUT)


def test_an_uploaded_file_of_the_other_dataset_is_refused_and_the_set_kept(app):
    from mnist_core.input.drawings import export_set

    with_drawings(app, unlike_set(20, seed=8))
    other = DrawingSet("fashion_mnist", np.zeros((3, 28, 28), np.uint8), np.arange(3, dtype=np.uint8))
    app.file_uploader[0].set_value(("clothes.json", export_set(other), "application/json"))
    app.run()
    assert any("other dataset" in e.value for e in app.error)
    assert len(Handwriting(os.environ["MNIST_LAB_RUNS"]).load(LEARNER, "mnist")) == 20


def test_a_full_list_of_runs_says_so_and_teaches_nothing(app, monkeypatch):
    import app_pages.parts.runs

    monkeypatch.setattr(app_pages.parts.runs, "MAX_SESSION_RUNS", 0)
    with_drawings(app, unlike_set(20, seed=11))
    button(app, "Teach it your handwriting").click()
    app.run()
    assert any("Your list keeps at most 0 runs and is full. Delete some on the Compare page to teach." in w.value
               for w in app.warning)
    assert not session_jobs(app)

"""The Lessons page through AppTest, with lessons trained on 1,000 images: guess first, run a
one-run and a two-run lesson, results against the classic material, progress kept, a lesson
the server already has opens at once, deep links, next and previous."""

import pytest
from streamlit.testing.v1 import AppTest

from mnist_core.teaching import lessons as L
from tests.test_app_pages import JOB_TIMEOUT, button, open_page, session_jobs


@pytest.fixture(autouse=True)
def small_lessons(monkeypatch):
    monkeypatch.setenv("MNIST_LAB_LESSON_IMAGES", "1000")


def run_button(at):
    return next(b for b in at.button if b.label.startswith(("Run ", "Show what happened")))


def guess_and_run(at, slug: str, choice: int) -> None:
    open_page(at, "app_pages/lessons.py", lesson=slug)
    assert run_button(at).disabled  # guess first
    at.radio(key=f"guess_{slug}").set_value(choice).run()
    assert not run_button(at).disabled
    run_button(at).click().run()
    for job in session_jobs(at):
        assert job.wait(JOB_TIMEOUT), "training did not finish in time"
    at.run()
    assert not at.exception, at.exception


def results_shown(at) -> bool:
    return "What happened" in [s.value for s in at.subheader]


def test_a_deep_link_opens_one_lesson_and_an_odd_one_the_first(app):
    open_page(app, "app_pages/lessons.py", lesson="scaling")
    assert app.header[0].value == "Forgetting to scale the pixels"
    assert app.query_params["lesson"] == "scaling"
    assert "at most 1,000 images" in app.caption[0].value or any("1,000 images" in c.value for c in app.caption)
    open_page(app, "app_pages/lessons.py", lesson="../../etc")
    assert app.header[0].value == L.LESSONS[0].title
    button(app, "Next:").click().run()
    assert app.header[0].value == L.LESSONS[1].title and app.query_params["lesson"] == L.LESSONS[1].slug
    button(app, "Previous:").click().run()
    assert app.header[0].value == L.LESSONS[0].title
    app.selectbox(key="lesson_choice").set_value(4).run()
    assert app.header[0].value == L.LESSONS[4].title


def test_a_one_run_lesson_start_to_finish(app):
    guess_and_run(app, "chance", 0)
    assert results_shown(app)
    assert app.success[0].value.startswith("You guessed: About 10%")
    table = app.dataframe[0].value
    assert table["the classic material"].iloc[0].startswith("about 10%")
    assert table["here"].iloc[0].endswith("%")
    assert any(m.value.startswith("**Why.**") for m in app.markdown)
    labels = [p.label for p in app.get("page_link")]
    assert "'the classic network' on Train" in labels and "Look inside" in labels
    assert next(c.value for c in app.caption if c.value.startswith("Your progress")) == "Your progress: seen 1."


def test_a_two_run_lesson_then_another_learner_opens_it_at_once(app):
    guess_and_run(app, "scaling", 0)  # "no difference": the numbers will say otherwise
    assert results_shown(app)
    assert app.warning[0].value.startswith("You guessed: No difference") and "What happened:" in app.warning[0].value
    assert any("raw / scaled" in what for what in app.dataframe[0].value.iloc[:, 0])
    assert "Compare them" in [p.label for p in app.get("page_link")]
    other = AppTest.from_file("../streamlit_app.py", default_timeout=90)  # a second learner, same server
    other.run()
    open_page(other, "app_pages/lessons.py", lesson="scaling")
    other.radio(key="guess_scaling").set_value(1).run()
    assert run_button(other).label == "Show what happened"  # the server has both runs
    run_button(other).click().run()
    assert not session_jobs(other) and results_shown(other)
    assert other.success[0].value.startswith("You guessed: Raw pixels do clearly worse")


def test_the_guess_and_progress_are_kept_for_the_browser(app):
    open_page(app, "app_pages/lessons.py", lesson="mse")
    app.radio(key="guess_mse").set_value(1).run()
    learner = app.session_state["learner"]
    again = AppTest.from_file("../streamlit_app.py", default_timeout=90)  # a reload: same cookie
    again.session_state["learner"] = learner
    again.run()
    open_page(again, "app_pages/lessons.py", lesson="mse")
    assert again.radio(key="guess_mse").value == 1
    assert "guessed, not run yet: 8" in next(c.value for c in again.caption if c.value.startswith("Your progress"))


def test_a_full_list_is_said_and_nothing_is_queued(app, monkeypatch):
    import app_pages.parts.runs

    monkeypatch.setattr(app_pages.parts.runs, "MAX_SESSION_RUNS", 0)
    open_page(app, "app_pages/lessons.py", lesson="scaling")
    app.radio(key="guess_scaling").set_value(1).run()
    run_button(app).click().run()
    assert any("is full" in w.value for w in app.warning)
    assert not session_jobs(app)


def test_the_teaching_lesson_trains_its_four_taught_runs_on_drawings_the_workers_write_again(app):
    # No page kept these drawings: the worker finds them by digest among the sets the app writes itself.
    guess_and_run(app, "teach", 1)
    assert results_shown(app)
    table = app.dataframe[0].value
    assert list(table[""])[0].startswith("taught 2 of each class: 500 new drawings of the hand")
    assert " to " in table["here"].iloc[0]
    assert any("Without replay it read the test set" in m.value for m in app.markdown)
    taught = [r for r in app.session_state["runs"].values() if r.config.teach]
    assert len(taught) == 4 and all(r.epochs_done == 5 for r in taught)

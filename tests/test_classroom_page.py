"""The Class page through AppTest: a teacher and learners in sessions of their own (each its own
learner id, as each browser has its own cookie), on one server's run store."""

import pytest
from streamlit.testing.v1 import AppTest

from mnist_core.teaching import lessons as L
from mnist_core.teaching.classroom import Classroom
from tests.test_app_pages import JOB_TIMEOUT, button, open_page

PAGE = "app_pages/classroom.py"


@pytest.fixture(autouse=True)
def small_lessons(monkeypatch):
    monkeypatch.setenv("MNIST_LAB_LESSON_IMAGES", "1000")


def session(learner: str) -> AppTest:
    """Another browser on the same server."""
    at = AppTest.from_file("../streamlit_app.py", default_timeout=90)
    at.session_state["learner"] = learner
    at.run()
    assert not at.exception, at.exception
    return at


def store():
    from app_pages.parts.runs import run_store

    return run_store()


def make_class(at) -> str:
    open_page(at, PAGE)
    button(at, "Make a class").click().run()
    assert not at.exception, at.exception
    code = at.query_params["class"]
    assert any(f"**{code}**" in m.value for m in at.markdown)
    return code


def join(at, code: str, name: str = "") -> None:
    open_page(at, PAGE, **{"class": code})
    at.text_input(key="class_name").input(name)
    button(at, "Join the class").click().run()
    assert not at.exception, at.exception


def send_guess(at, guess: int, sure: int = 1) -> None:
    at.radio[0].set_value(guess)
    at.segmented_control[0].set_value(sure)
    button(at, "Send my guess").click().run()
    assert not at.exception, at.exception


def pick_lesson(at, slug: str) -> None:
    at.selectbox(key="class_lesson").set_value(L.LESSONS.index(L.BY_SLUG[slug])).run()
    assert not at.exception, at.exception


def wait_for_lesson_runs(slug: str) -> None:
    for config in L.BY_SLUG[slug].configs:
        job = store().job(config)
        assert job is None or job.wait(JOB_TIMEOUT), "the lesson's runs did not finish in time"


def test_a_teacher_and_two_learners_through_one_lesson(app):
    code = make_class(app)
    pick_lesson(app, "chance")  # the teacher's page asks the server for the lesson's run
    ana, ben = session("a" * 32), session("b" * 32)
    join(ana, code, "Ana")
    join(ben, code)
    assert any("as Ana" in c.value for c in ana.caption) and any("as Learner 2" in c.value for c in ben.caption)
    assert ana.header[0].value == L.BY_SLUG["chance"].title  # the learners' pages follow the lesson
    send_guess(ana, 0, 2)
    send_guess(ben, 1, 0)
    assert ana.success[0].value.startswith("Sent: About 10%")
    app.run()
    assert any("**2 of 2** guessed" in m.value for m in app.markdown)
    names = app.dataframe[0].value  # who has guessed: the teacher's page only
    assert list(names["learner"]) == ["Ana", "Learner 2"]
    assert not any("Ana" in str(x.value) for x in ben.main if hasattr(x, "value"))  # Ben never sees Ana
    wait_for_lesson_runs("chance")
    app.run()
    reveal = button(app, "Reveal the result")
    assert not reveal.disabled
    reveal.click().run()
    assert any("Before training the network was right on" in m.value for m in app.markdown)
    assert button(app, "Shown").disabled
    ana.run()
    ben.run()
    assert ana.success[0].value.startswith("You guessed: About 10%") and "What happened" in ana.subheader[0].value
    assert ben.warning[0].value.startswith("You guessed: About half")
    assert not ana.radio  # guesses are closed once the result is out


def test_odd_codes_and_keys_are_refused_with_a_message(app):
    open_page(app, PAGE, **{"class": "<script>"})
    assert "No class here has the code" in app.error[0].value
    open_page(app, PAGE, **{"class": "ZZZZZZ"})
    assert "No class here has the code 'ZZZZZZ'" in app.error[0].value
    code, key = Classroom(store().disk.root).create()
    open_page(app, PAGE, **{"class": code, "key": "wrong"})
    assert "does not open this class" in app.warning[0].value and "key" not in app.query_params
    assert button(app, "Join the class")  # a learner's page, not the teacher's
    join(app, code, "<b>x</b>")
    assert "Cannot join" in app.error[0].value and "letters" in app.error[0].value


def test_the_teachers_link_opens_the_class_on_another_computer_and_hides_the_key(app):
    code, key = Classroom(store().disk.root).create()
    open_page(app, PAGE, **{"class": code, "key": key})
    assert "key" not in app.query_params  # not left in the projected address bar
    assert any(f"code **{code}**" in m.value for m in app.markdown)
    open_page(app, PAGE, **{"class": code})  # the browser keeps it
    assert any(f"code **{code}**" in m.value for m in app.markdown)
    again = session(app.session_state["learner"])  # the same browser after a restart
    open_page(again, PAGE, **{"class": code})
    assert any(f"code **{code}**" in m.value for m in again.markdown)


def test_a_closed_class_takes_no_one_and_the_teacher_still_sees_it(app):
    code = make_class(app)
    pick_lesson(app, "classic")
    cal = session("c" * 32)
    join(cal, code, "Cal")
    button(app, "Close the class for good").click().run()
    assert any("is closed" in i.value for i in app.info)
    dee = session("d" * 32)
    open_page(dee, PAGE, **{"class": code})
    assert any("takes no new learners" in i.value for i in dee.info) and not dee.text_input
    cal.run()
    assert any("takes no more guesses" in i.value for i in cal.info) and not cal.radio


def test_the_class_experiments_name_who_found_the_best_value(app, small_config, wait_until):
    from dataclasses import replace

    from mnist_core.store.learners import Learners

    code = make_class(app)
    ana = session("a" * 32)
    join(ana, code, "Ana")
    configs = [small_config, replace(small_config, learning_rate=0.01)]
    for config in configs:
        store().request(config, owner="a" * 32).wait(JOB_TIMEOUT)
    Learners(store().disk.root).set_runs("a" * 32, configs)  # as Train keeps a learner's list
    app.run()
    assert "The class's experiments" in [s.value for s in app.subheader]
    best = app.dataframe[-2].value
    assert list(best["setting"].unique()) == ["Learning rate"] and set(best["who"]) == {"Ana"}
    assert len(app.dataframe[-1].value) == 2


def test_the_join_line_is_short_and_a_loopback_address_is_warned_of(app, monkeypatch):
    monkeypatch.delenv("MNIST_LAB_PUBLIC_URL", raising=False)
    code = make_class(app)
    assert any(f"Join: **localhost:8501/class** · code **{code}**" in m.value for m in app.markdown)
    assert any("Learners cannot open http://localhost:8501" in w.value for w in app.warning)
    monkeypatch.setenv("MNIST_LAB_PUBLIC_URL", "https://lab.example.org")  # a hosted server
    app.run()
    assert any(f"Join: **lab.example.org/class** · code **{code}**" in m.value for m in app.markdown)
    assert not app.warning
    assert any(f"`https://lab.example.org/class?class={code}`" in m.value for m in app.markdown)


def test_a_learner_joins_by_typing_the_code_or_by_the_short_link(app):
    code, _ = Classroom(store().disk.root).create()
    open_page(app, PAGE)
    app.text_input(key="class_typed").input(f" {code.lower()} ")  # as typed from a board
    button(app, "Join").click().run()
    assert not app.exception, app.exception
    assert app.query_params["class"] == code and button(app, "Join the class")
    other = session("e" * 32)
    open_page(other, PAGE, code=code)  # /class?code=K7PQ2M
    assert other.query_params["class"] == code and "code" not in other.query_params
    assert button(other, "Join the class")


def test_the_projected_reveal_shows_every_run_one_that_diverged_too_and_why(app):
    code = make_class(app)
    pick_lesson(app, "learning-rate")
    wait_for_lesson_runs("learning-rate")
    app.run()
    button(app, "Reveal the result").click().run()
    assert not app.exception, app.exception
    projected = " ".join(m.value for m in app.markdown)
    assert "1 (far too large) **diverged in epoch 1**" in projected  # at 1000 images it blows up at once
    assert "0.00001 (too small) **" in projected and "0.001 (the default) **" in projected
    assert f"**Why.** {L.BY_SLUG['learning-rate'].why}" in projected
    assert code in projected

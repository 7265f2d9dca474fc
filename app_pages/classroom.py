"""Class: a teacher's class in the room, and each learner's side of it.

The teacher makes a class (mnist_core.teaching.classroom: a code, and a key this browser keeps),
projects this page and shares its link. Learners open the link, guess before each lesson's
result and say how sure they are; the projected page counts the guesses live (a fragment
that reads the class's files each second), and when the teacher reveals the lesson, the
runs' result appears beside the guesses on every page. Runs are the lessons' fixed-seed
runs, trained once for everyone through the server's queue. No TensorFlow here.
"""

import streamlit as st

from app_pages.parts.class_room import keep_key, lesson_runs, room, teaching, trained
from app_pages.parts.class_teacher import teacher
from app_pages.parts.learner import learner_id
from app_pages.parts.lesson_view import chart, outcome_table, your_guess
from mnist_core.store.classes import class_code
from mnist_core.teaching import classroom as C
from mnist_core.teaching import lessons as L

# --- no class yet ---------------------------------------------------------------------


def start() -> None:
    st.write("Teach a room: make a class, project this page and share its link. Before each lesson's "
             "result, everyone guesses on their own screen; the projected page counts the guesses as "
             "they come in, then shows what happened beside them.")
    left, right = st.columns(2)
    with left:
        st.subheader("Join a class")
        with st.form("class_join", border=False):  # a form: Enter, or one tap on Join, sends the code as typed
            typed = st.text_input("Class code", max_chars=12, placeholder="e.g. K7PQ2M", key="class_typed")
            sent = st.form_submit_button("Join")
        if sent and typed:
            code = class_code(typed)
            if code is None or room().state(code) is None:
                st.error("No class has that code: check it with your teacher.")
            else:
                st.query_params["class"] = code
                st.rerun()
    with right:
        st.subheader("Teach a class")
        st.write("No accounts: this browser keeps the class's teacher key.")
        if st.button("Make a class", type="primary"):
            code, key = room().create()
            keep_key(code, key)
            st.query_params["class"] = code
            st.rerun()
        mine = [c for c in teaching() if room().state(c) is not None]
        if mine:
            st.caption("Your classes: " + ", ".join(f"[{c}](?class={c})" for c in reversed(mine)))


def main() -> None:
    if "code" in st.query_params:  # the short link a room types: /class?code=K7PQ2M
        st.query_params["class"] = st.query_params.pop("code")
    raw = st.query_params.get("class")
    code = class_code(raw)
    state = room().state(code) if code else None
    if state is None:
        st.title("Class")
        if raw is not None:
            st.error(f"No class here has the code {str(raw)[:12]!r}: check the link or the code with your teacher.")
        start()
        return
    key = st.query_params.get("key")
    if key is not None:  # a teacher's link, opened on another computer: keep the key, hide it
        if room().is_teacher(code, key):
            keep_key(code, key)
        else:
            st.warning("That teacher's key does not open this class: you are here as a learner.")
        del st.query_params["key"]
    if room().is_teacher(code, teaching().get(code)):
        teacher(state, teaching()[code])
    else:
        learner(state)


# --- a learner's page ---------------------------------------------------------------------


def learner(state: C.ClassState) -> None:
    st.title(f"Class {state.code}")
    me = room().member(state.code, learner_id())
    if me is None:
        join(state)
        return
    following(state)
    st.caption(f"You are in class {state.code} as {me.name}. This page follows the lesson your teacher "
               "shows; only your teacher sees your name and your guesses.")
    if state.lesson is None:
        st.info("Your teacher has not picked a lesson yet: it will appear here by itself.")
        return
    lesson = L.BY_SLUG[state.lesson]
    st.header(lesson.title)
    st.write(lesson.question)
    mine = me.answers.get(lesson.slug)
    if state.showing:
        result(lesson, mine)
    elif state.closed:
        st.info("This class is closed: it takes no more guesses.")
    else:
        guess(state, lesson, mine)


def join(state: C.ClassState) -> None:
    if state.closed:
        st.info("This class is closed: it takes no new learners.")
        return
    st.write("Your teacher will show lessons one at a time; you guess what happens before the class sees it.")
    name = st.text_input("Your name (optional: only your teacher sees it)", max_chars=C.MAX_NAME, key="class_name")
    if st.button("Join the class", type="primary"):
        try:
            room().join(state.code, learner_id(), name)
        except C.ClassError as exc:
            st.error(f"Cannot join: {exc}.")
            return
        st.rerun()


@st.fragment(run_every=2.0)
def following(state: C.ClassState) -> None:
    """Redraw the page when the teacher picks another lesson, reveals it or closes the class."""
    if room().state(state.code) != state:
        st.rerun()


def guess(state: C.ClassState, lesson: L.Lesson, mine: dict | None) -> None:
    with st.form(f"class_guess_{lesson.slug}"):
        picked = st.radio("Your guess", range(len(lesson.guesses)), format_func=lambda i: lesson.guesses[i],
                          index=mine["guess"] if mine else None)
        sure = st.segmented_control("How sure are you?", range(len(C.SURE)), format_func=lambda i: C.SURE[i],
                                    default=mine["sure"] if mine else 1, required=True)
        sent = st.form_submit_button("Send my guess", type="primary")
    if sent:
        if picked is None or sure is None:
            st.error("Choose an answer and how sure you are, then send.")
            return
        try:
            mine = room().answer(state.code, learner_id(), picked, sure).answers[lesson.slug]
        except C.ClassError as exc:
            st.error(f"Not sent: {exc}.")
            return
    if mine:
        st.success(f"Sent: {lesson.guesses[mine['guess']]} ({C.SURE[mine['sure']]}). You can change it until "
                   "your teacher shows the result.")


def result(lesson: L.Lesson, mine: dict | None) -> None:
    if not trained(lesson):
        st.info("The result is out, but this server is still reading the runs: a moment.")
        return
    _, runs = lesson_runs(lesson)
    outcome = lesson.read(runs)
    st.subheader("What happened")
    if mine:
        your_guess(lesson, mine["guess"], outcome)
    else:
        st.info(f"You did not guess this one. What happened: {lesson.guesses[outcome.answer]}.")
    st.write(outcome.said)
    outcome_table(outcome)
    chart(lesson, runs)
    st.markdown(f"**Why.** {lesson.why}")


main()

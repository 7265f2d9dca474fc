"""The Class page for its teacher: the lesson the room sees, the guesses counted live, the reveal,
and the tools below the projected part (links, who guessed, the class's runs, closing)."""

from __future__ import annotations

import streamlit as st

from app_pages.parts.class_room import lesson_runs, room, trained
from app_pages.parts.learner import learner_id
from app_pages.parts.lesson_view import CHART, chart
from app_pages.parts.runs import run_store
from mnist_core.figures.classroom import guesses_figure
from mnist_core.teaching import classroom as C
from mnist_core.teaching import lessons as L

# The teacher's page is projected: large type, less padding, so that the question and the
# guesses fit a 1280x720 screen and read from the back of a room. The top padding clears the
# page's header (3.75rem), which would cover the top of the lesson picker and the Reveal button.
ROOM_CSS = """<style>
[data-testid="stMainBlockContainer"] {padding-top: 4.5rem; padding-bottom: 1rem;}
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li {font-size: 1.5rem; line-height: 1.35;}
[data-testid="stMainBlockContainer"] h2 {font-size: 2.4rem; padding: 0.2rem 0;}
[data-testid="stMainBlockContainer"] h3 {font-size: 1.7rem; padding: 0;}
.st-key-class_result p, .st-key-class_result li {font-size: 1.3rem; line-height: 1.3;}
</style>"""


def _pick(code: str, key: str) -> None:
    index = st.session_state.class_lesson
    try:
        room().choose_lesson(code, key, L.LESSONS[index].slug)
    except C.ClassError as exc:
        st.session_state.class_problem = str(exc)


def address() -> str:
    """The app's address as learners reach it (MNIST_LAB_PUBLIC_URL, else this page's own)."""
    return C.app_address(st.context.url, C.public_url())


def teacher(state: C.ClassState, key: str) -> None:
    st.set_page_config(initial_sidebar_state="collapsed")
    st.html(ROOM_CSS)
    if C.is_loopback(address()):
        st.warning(f"Learners cannot open {address()}: it is this computer's own address. Open this page at "
                   "the computer's network address (the Network URL `streamlit run` prints), or set "
                   "MNIST_LAB_PUBLIC_URL to the address learners reach the app at.", icon=":material/wifi_off:")
    if state.closed:
        st.info(f"Class {state.code} is closed: it takes no more learners or guesses.")
        drawn_with(state)
    else:
        controls(state, key)
    projected(state.code, key)
    st.divider()
    teacher_tools(state, key)


def controls(state: C.ClassState, key: str) -> None:
    """One thin row: the lesson the class sees, and the button that reveals its result."""
    problem = st.session_state.pop("class_problem", None)
    if problem:
        st.error(problem)
    pick, act = st.columns([3, 1], vertical_alignment="bottom")
    st.session_state.class_lesson = L.LESSONS.index(L.BY_SLUG[state.lesson]) if state.lesson else None
    pick.selectbox("Lesson the class sees", range(len(L.LESSONS)), key="class_lesson",
                   format_func=lambda i: f"{i + 1}. {L.LESSONS[i].title}", placeholder="Pick a lesson",
                   on_change=_pick, args=(state.code, key), label_visibility="collapsed")
    ready = drawn_with(state)
    if state.lesson is None:
        return
    if act.button("Shown" if state.showing else "Reveal the result", type="primary", width="stretch",
                  disabled=state.showing or not ready,
                  help="Shows the runs' result here and on every learner's page; guesses then close."
                  if ready else "The lesson's runs are still training."):
        try:
            room().reveal(state.code, key)
        except C.ClassError as exc:
            st.session_state.class_problem = str(exc)
        st.rerun()


def lesson_ready(state: C.ClassState) -> bool:
    return state.lesson is not None and trained(L.BY_SLUG[state.lesson])


def drawn_with(state: C.ClassState) -> bool:
    """Note what the controls are drawn for (the projected part redraws them when it changes)."""
    ready = lesson_ready(state)
    st.session_state.class_drawn = (state, ready)
    return ready


def train_lesson(lesson: L.Lesson, configs: list, runs: list) -> str:
    """Ask the server for the lesson's runs that it does not have (once for the whole class),
    and say where they are."""
    store = run_store()
    said = []
    for (name, _), config, run in zip(lesson.runs, configs, runs):
        job = store.job(config)
        if L.is_trained(run, config):
            continue
        if store.failure(config):
            said.append(f"{name}: could not be trained ({store.failure(config)})")
            continue
        if job is None:
            job = store.request(config, owner=learner_id())
        if job is None or job.queued:
            said.append(f"{name}: waiting to train")
        else:
            said.append(f"{name}: epoch {job.run.epochs_done if job.run else 0} of {job.target}")
    return "; ".join(said)


@st.fragment(run_every=1.0)
def projected(code: str, key: str) -> None:
    """What the room sees, redrawn each second: the join line, the question, everyone's
    guesses and, once revealed, the runs' result."""
    state = room().state(code)
    members = room().members(code, key)
    if st.session_state.get("class_drawn") not in (None, (state, lesson_ready(state))):
        st.rerun()  # the runs are ready, or another tab changed the class: redraw the controls too
    counts = C.tally(members, state.lesson) if state.lesson else None
    guessed = f" · **{int(counts.sum())} of {len(members)}** guessed" if state.lesson else ""
    st.markdown(f"### Join: **{C.typed_address(address())}** · code **{code}** · {len(members)} joined{guessed}")
    if state.lesson is None:
        st.info("Pick the lesson the class sees: the learners' pages follow it.")
        return
    lesson = L.BY_SLUG[state.lesson]
    configs, runs = lesson_runs(lesson)
    waiting = train_lesson(lesson, configs, runs)
    outcome = lesson.read(runs) if state.showing and not waiting else None
    st.markdown(f"## {lesson.title}\n{lesson.question}")
    left, right = st.columns([3, 2] if outcome is None else [1, 1])
    with left:
        st.plotly_chart(guesses_figure(lesson.guesses, counts, C.SURE, outcome.answer if outcome else None,
                                       height=330 if outcome is None else 240, wrap=26 if outcome is None else 34),
                        config=CHART, key="class_guesses", theme=None)
    with right:
        if outcome is not None:
            chart(lesson, runs, projected=True, height=240)
        elif waiting:
            st.caption(f"The lesson's runs: {waiting}.")
        else:
            st.caption("The lesson's runs are ready: reveal the result when the guesses are in.")
    if outcome is not None:  # what happened, every run's result (one that diverged too), and why
        st.container(key="class_result").markdown(
            f"{outcome.said}  \n{C.run_results(lesson, runs)}\n\n**Why.** {lesson.why}")


def teacher_tools(state: C.ClassState, key: str) -> None:
    """Below the projected part: links, who has guessed, the class's runs, closing."""
    members = room().members(state.code, key)
    with st.expander("Links"):
        st.write(f"The learners' link: `{C.join_link(address(), state.code)}`; or open "
                 f"`{C.typed_address(address())}` and type the code {state.code}.")
        st.write(f"Your teacher's link, to teach from another computer (keep it to yourself): "
                 f"`{C.join_link(address(), state.code, key=key)}`")
        st.page_link("app_pages/handwriting.py", label="The class's handwriting: everyone draws digits into one "
                     "set, and the network is taught the class's hand", icon=":material/edit_note:",
                     query_params={"class": state.code})
    with st.expander("Who has guessed (names are shown on this page only)"):
        slug = state.lesson
        st.dataframe([{"learner": m.name, "guess": L.BY_SLUG[slug].guesses[m.answers[slug]["guess"]]
                       if slug in m.answers else "-",
                       "how sure": C.SURE[m.answers[slug]["sure"]] if slug in m.answers else "-"}
                      for m in members] if slug else [{"learner": m.name} for m in members], hide_index=True)
    experiments(members)
    if not state.closed:
        with st.expander("Close the class"):
            st.write("A closed class takes no more learners, guesses or drawings; this page still shows it.")
            if st.button("Close the class for good"):
                room().close(state.code, key)
                st.rerun()


def experiments(members: list) -> None:
    """The runs the class's learners trained, and each setting's best validation accuracy."""
    st.subheader("The class's experiments")
    store = run_store()
    named = []
    for member in members:
        for config in store.learners.runs(member.learner):
            run = store.get(config)
            if run is not None and run.epochs_done:
                named.append((member.name, run))
    if not named:
        st.caption("Runs the learners train (on Train, Lessons or Compare) are listed here.")
        return
    best = C.best_by_setting(named)
    if best:
        st.write("The best validation accuracy for each value the class tried:")
        st.dataframe(best, hide_index=True, column_config={
            "best validation accuracy": st.column_config.NumberColumn(format="percent")})
    st.dataframe(C.experiment_rows(named), hide_index=True, column_config={
        "best validation accuracy": st.column_config.NumberColumn(format="percent")})

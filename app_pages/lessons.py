"""Lessons: the classic experiments, one at a time: guess first, then run it and see.

The lessons themselves (questions, runs, reference numbers, how to read the runs) live in
mnist_core.teaching.lessons. Runs go through the server's normal queue; a lesson whose runs the server
already has opens at once, so after the first learner the class shares the results.
"""

import streamlit as st

from app_pages.parts.code_view import code_view
from app_pages.parts.learner import learner_id
from app_pages.parts.lesson_view import chart, outcome_table, your_guess
from app_pages.parts.links import link_params
from app_pages.parts.runs import remember, run_store, session_full, start_training, warn_full
from mnist_core.teaching import lessons as L


def progress() -> dict:
    """This learner's progress ({slug: {"guess", "ran", "seen"}}), read once per session."""
    if "lesson_progress" not in st.session_state:
        st.session_state.lesson_progress = L.clean_progress(run_store().learners.lessons(learner_id()))
    return st.session_state.lesson_progress


def note(slug: str, **changes) -> None:
    """Record progress on a lesson and save it for this learner (a reload or a restart keeps it)."""
    entry = progress().setdefault(slug, {"guess": None, "ran": False, "seen": False})
    if any(entry.get(k) != v for k, v in changes.items()):
        entry.update(changes)
        run_store().learners.set_lessons(learner_id(), progress())


def _go(slug: str) -> None:
    st.query_params.clear()
    st.query_params["lesson"] = slug


def _chosen() -> None:
    _go(L.LESSONS[st.session_state.lesson_choice].slug)


def current() -> L.Lesson:
    """The lesson the link names, else the first one not seen yet."""
    asked = L.BY_SLUG.get(st.query_params.get("lesson", ""))
    if asked is None:
        asked = next((x for x in L.LESSONS if not progress().get(x.slug, {}).get("seen")), L.LESSONS[0])
    st.query_params["lesson"] = asked.slug  # the link to hand out for this lesson
    st.session_state.lesson_choice = L.LESSONS.index(asked)
    st.selectbox("Lesson", range(len(L.LESSONS)), key="lesson_choice", on_change=_chosen,
                 format_func=lambda i: f"{i + 1}. {L.LESSONS[i].title}",
                 help="Each lesson has a link of its own to hand out: this page's address.")
    return asked


def progress_line() -> str:
    """Where this learner stands: "Your progress: seen 1, 3; guessed, not run yet: 8." (a part
    with nothing in it is left out)."""
    def numbers(test) -> str:
        return ", ".join(str(i) for i, x in enumerate(L.LESSONS, 1) if test(progress().get(x.slug, {})))

    seen = numbers(lambda e: e.get("seen"))
    waiting = numbers(lambda e: e.get("guess") is not None and not e.get("seen"))
    parts = ([f"seen {seen}"] if seen else ["no lesson seen yet"]) + \
        ([f"guessed, not run yet: {waiting}"] if waiting else [])
    return "Your progress: " + "; ".join(parts) + "."


def _guessed(slug: str) -> None:
    note(slug, guess=st.session_state[f"guess_{slug}"])


def guess(lesson: L.Lesson) -> int | None:
    saved = progress().get(lesson.slug, {}).get("guess")
    st.session_state[f"guess_{lesson.slug}"] = saved
    return st.radio("Your guess first", range(len(lesson.guesses)), key=f"guess_{lesson.slug}",
                    format_func=lambda i: lesson.guesses[i], on_change=_guessed, args=(lesson.slug,),
                    help="Choose before you run it: it is kept, and shown next to what happened.")


@st.fragment(run_every=1.0)
def running(lesson: L.Lesson, configs: list) -> None:
    """Each run's place in the queue or epoch, until all are done (then the page redraws)."""
    store = run_store()
    if all(store.job(c) is None for c in configs):
        st.rerun()
    for (name, _), config in zip(lesson.runs, configs):
        job, run = store.job(config), store.get(config)
        if job is None:
            st.progress(1.0, text=f"{name}: done" if L.is_trained(run, config) else f"{name}: not running")
        elif job.queued:
            st.progress(0.0, text=f"{name}: waiting, number {job.position} in the queue")
        else:
            done = job.run.epochs_done if job.run is not None else 0
            st.progress(done / job.target, text=f"{name}: epoch {done} of {job.target}")


def start(lesson: L.Lesson, configs: list) -> None:
    for config in configs:
        start_training(config)
    note(lesson.slug, ran=True)


def experiment(lesson: L.Lesson, configs: list, runs: list, guessed: int | None) -> bool:
    """The button, or the progress of the runs; True once the results can be shown."""
    store = run_store()
    failed = [store.failure(c) for c in configs if store.failure(c)]
    if failed:
        st.error(f"A run of this lesson could not be trained: {failed[0]}")
    trained = all(L.is_trained(r, c) for r, c in zip(runs, configs))
    if any(store.job(c) is not None for c in configs):
        running(lesson, configs)
        return False
    if trained and progress().get(lesson.slug, {}).get("ran"):
        return True
    label = "Show what happened" if trained else "Run the experiment" if len(configs) == 1 else \
        f"Run the {len(configs)} runs"
    if st.button(label, type="primary", disabled=guessed is None,
                 help="Make your guess first." if guessed is None else
                 "The server has these runs already: they open at once." if trained else
                 "The runs join the server's training queue; each takes from seconds to a few minutes."):
        if any(session_full(c) for c in configs):  # said here, not lost in a rerun
            warn_full(". Delete some on the Compare page to run this lesson.")
            return False
        if trained:
            note(lesson.slug, ran=True)
        else:
            start(lesson, configs)
        st.rerun()
    if guessed is None:
        st.caption("Choose your guess above to unlock the experiment.")
    return False


def results(lesson: L.Lesson, runs: list, guessed: int) -> None:
    outcome = lesson.read(runs)
    note(lesson.slug, seen=True)
    st.subheader("What happened")
    your_guess(lesson, guessed, outcome)
    st.write(outcome.said)
    outcome_table(outcome)
    st.caption(lesson.source)
    chart(lesson, runs)
    st.markdown(f"**Why.** {lesson.why}")
    links(lesson, runs)


def links(lesson: L.Lesson, runs: list) -> None:
    for run in runs:
        if run.epochs_done:
            remember(run)  # in the learner's list: Compare shows it
    cols = st.columns(len(runs) + 2 + (lesson.next_step is not None))
    for col, (name, _), run in zip(cols, lesson.runs, runs):
        col.page_link("app_pages/train.py", label=f"'{name}' on Train", icon=":material/show_chart:",
                      query_params=link_params(run, max(run.epochs_done, 1)))
    cols[len(runs)].page_link("app_pages/compare.py", label="Compare them" if len(runs) > 1 else "Compare",
                       icon=":material/compare_arrows:")
    inside = next((r for r in runs if r.epochs_done), None)
    if inside is not None:
        cols[len(runs) + 1].page_link("app_pages/inside.py", label="Look inside", icon=":material/neurology:",
                                      query_params=link_params(inside, inside.final_epoch))
    if lesson.next_step is not None:
        page, label = lesson.next_step
        cols[-1].page_link(page, label=label, icon=":material/arrow_forward:")
    for i, ((name, _), run) in enumerate(zip(lesson.runs, runs)):
        code_view(run.config, f"lesson_{lesson.slug}_{i}", label=f"Code: '{name}' as a Keras script")


def neighbours(lesson: L.Lesson) -> None:
    i = L.LESSONS.index(lesson)
    a, b = st.columns(2)
    if i > 0:
        a.button(f"Previous: {L.LESSONS[i - 1].title}", on_click=_go, args=(L.LESSONS[i - 1].slug,),
                 icon=":material/arrow_back:")
    if i + 1 < len(L.LESSONS):
        b.button(f"Next: {L.LESSONS[i + 1].title}", on_click=_go, args=(L.LESSONS[i + 1].slug,),
                 icon=":material/arrow_forward:")


def main() -> None:
    st.title("Lessons")
    st.write("The classic experiments with a dense network, one at a time: read the question, guess what "
             "will happen, run it, and see why.")
    st.page_link("app_pages/classroom.py", label="Teaching a room? Show a lesson to everyone and count their guesses",
                 icon=":material/groups:")
    lesson = current()
    where = st.empty()  # the learner's progress, written once this lesson's has been noted
    images = L.lesson_images()
    if images is not None:
        st.caption(f"This server trains lessons on at most {images:,} images, so the numbers differ from the "
                   "classic material's.")
    st.header(lesson.title)
    st.write(lesson.question)
    configs = lesson.configs
    st.caption("  \n".join(f"**{name}**: {L.settings(config)}" for (name, _), config in zip(lesson.runs, configs)))
    with st.expander("What the words in these settings mean"):
        st.markdown("\n".join(f"- {sentence}" for sentence in L.words(configs)))
    guessed = guess(lesson)
    runs = [run_store().get(c) for c in configs]
    if experiment(lesson, configs, runs, guessed) and guessed is not None:
        results(lesson, runs, guessed)
    where.caption(progress_line())
    st.divider()
    neighbours(lesson)


main()

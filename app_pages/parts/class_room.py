"""A class in the room (mnist_core.teaching.classroom), as the Class page's parts see it: the classes
this browser teaches, and a lesson's runs."""

from __future__ import annotations

import streamlit as st

from app_pages.parts.learner import learner_id
from app_pages.parts.runs import run_store
from mnist_core.teaching import classroom as C
from mnist_core.teaching import lessons as L


@st.cache_resource
def room() -> C.Classroom:
    return C.Classroom(run_store().disk.root)


def teaching() -> dict:
    """{code: key} of the classes this browser teaches (kept with its learner file)."""
    if "teaching" not in st.session_state:
        st.session_state.teaching = run_store().learners.teaching(learner_id())
    return st.session_state.teaching


def keep_key(code: str, key: str) -> None:
    teaching()[code] = key
    run_store().learners.set_teaching(learner_id(), teaching())


def lesson_runs(lesson: L.Lesson) -> tuple[list, list]:
    configs = lesson.configs
    return configs, [run_store().get(c) for c in configs]


def trained(lesson: L.Lesson) -> bool:
    """The lesson's runs are all trained (or ended on their own)."""
    configs, runs = lesson_runs(lesson)
    return all(L.is_trained(r, c) for r, c in zip(runs, configs))

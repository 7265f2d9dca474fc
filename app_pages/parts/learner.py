"""The learner: a browser, named by a random id in a cookie (no login)."""

from __future__ import annotations

import secrets

import streamlit as st

from mnist_core.store.files import is_learner_id

COOKIE = "mnist_lab_learner"
COOKIE_DAYS = 365


def learner_id() -> str:
    """This browser's id: from its cookie, or a new one that a cookie will keep (no login).

    Called by the entry script on every page run, so the cookie is set on whichever page
    a learner opens first. Only 32 hex digits are accepted from a cookie.
    """
    if "learner" not in st.session_state:
        cookie = st.context.cookies.get(COOKIE)
        if is_learner_id(cookie):
            st.session_state.learner = cookie
        else:
            st.session_state.learner = secrets.token_hex(16)
            st.session_state.set_cookie = True
    if st.session_state.pop("set_cookie", False):
        # In the sidebar: an element of the first run only, in the main area, would move every
        # element after it on the next run, and the drawing canvas would start again blank.
        st.sidebar.html(f"<script>document.cookie = '{COOKIE}={st.session_state.learner}; "
                f"max-age={COOKIE_DAYS * 86400}; path=/; SameSite=Lax';</script>",
                unsafe_allow_javascript=True)
    return st.session_state.learner

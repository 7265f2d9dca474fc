"""CSS added to Streamlit's own where its defaults fail someone on a keyboard or a phone. Each rule
names what it fixes by Streamlit's data-testid or by a widget's key (the st-key-... class).
tests/test_browser_keyboard.py and tests/test_browser_phone.py check what the rules are for."""

from __future__ import annotations

import streamlit as st

# Streamlit stacks columns at this width and below (st.columns' `wrap`): a phone.
PHONE = "(max-width: 640px)"


def every_page() -> None:
    """Rules for every page (the entry point calls this):
    - keyboard focus: a ring in the theme's primary colour where Streamlit marks it by a grey tint of
      about 1.1:1 (the sidebar's links, page links, radio buttons, checkboxes and toggles) or not at
      all (the main area, which takes the focus so that the arrow keys scroll it);
    - a page link's words wrap where the line is too short for them (a phone), instead of being cut;
    - every other focused element gets the same ring too: Streamlit's own (the primary colour at half
      strength, on buttons, sliders, tabs) is about 2.2:1 on white, under the 3:1 WCAG asks of it."""
    colour = st.get_option("theme.primaryColor") or "currentColor"
    st.html(f"""<style>
[data-testid="stSidebarNavLink"]:focus-visible, [data-testid="stPageLink-NavLink"]:focus-visible,
[data-testid="stMain"]:focus-visible {{outline: 2px solid {colour}; outline-offset: -2px;}}
[data-testid="stRadioOption"]:has(input:focus-visible), [data-testid="stCheckbox"] label:has(input:focus-visible)
{{outline: 2px solid {colour}; outline-offset: 2px; border-radius: 0.25rem;}}
[data-testid="stPageLink-NavLink"] span:has(> [data-testid="stMarkdownContainer"]) {{white-space: normal;}}
:focus-visible {{outline: 2px solid {colour} !important;}}
</style>""")


def last_on_a_phone(key: str) -> None:
    """On a phone, where a row's columns stack, move the container keyed `key` (in the row's first
    column) below the row's other columns, so that the rest of the first column is followed at once by
    what the next column shows. A wider screen keeps the columns as they are."""
    row = f'[data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] .st-key-{key})'
    first = f'{row} > [data-testid="stColumn"]:first-child'
    st.html(f"""<style>@media {PHONE} {{
{row} {{flex-direction: column;}}
{first}, {first} > [data-testid="stVerticalBlock"] {{display: contents;}}
{row} > [data-testid="stColumn"] {{width: 100%; flex: none;}}
{first} > [data-testid="stVerticalBlock"] > :is(.st-key-{key}, :has(.st-key-{key})) {{order: 1;}}
}}</style>""")

"""The pages, in the sidebar's sections and in the order a newcomer meets them: one table, read by
streamlit_app.py (the sidebar) and by Home (a line for each page).

First what a newcomer starts with, then the everyday loop on digits (look, train, test, compare),
then a closer look at one run, then your own drawings, and last the class, used only in a room.
A page's url_path is in shared links and tests: never change it.
"""

from __future__ import annotations

from typing import NamedTuple


class PageEntry(NamedTuple):
    file: str  # the page's module, as st.Page and st.page_link name it
    title: str  # its name in the sidebar and on Home
    url_path: str
    icon: str
    about: str  # one line on Home


SECTIONS: dict[str, list[PageEntry]] = {
    "Start here": [
        PageEntry("app_pages/home.py", "Home", "", ":material/home:",
                  "Where to start, and your runs"),
        PageEntry("app_pages/line.py", "A line between two groups", "line", ":material/timeline:",
                  "Before digits: a tiny network learns to split two kinds of points, step by step"),
        PageEntry("app_pages/lessons.py", "Lessons", "lessons", ":material/school:",
                  "The classic experiments on digits, one at a time: guess first, then run it and see why"),
    ],
    "Train and test": [
        PageEntry("app_pages/data.py", "Look at the data", "data", ":material/image:",
                  "The images, their labels, and how they become the numbers a network reads"),
        PageEntry("app_pages/train.py", "Train a network", "train", ":material/show_chart:",
                  "Choose layers and settings, press Train, watch loss and accuracy after every epoch"),
        PageEntry("app_pages/evaluate.py", "Evaluate on the test set", "evaluate", ":material/search:",
                  "10,000 images the network never saw: what it gets right and what it gets wrong"),
        PageEntry("app_pages/compare.py", "Compare runs", "compare", ":material/compare_arrows:",
                  "Runs side by side: what one setting changed, and sweeps of one setting"),
    ],
    "Look closer": [
        PageEntry("app_pages/inside.py", "Inside the network", "inside", ":material/neurology:",
                  "What each unit looks for, and one image on its way through the layers"),
        PageEntry("app_pages/story.py", "Every image's story", "story", ":material/history:",
                  "Each image across the epochs: learnt at once, late, forgotten, or never"),
    ],
    "Your own digits": [
        PageEntry("app_pages/draw.py", "Draw a digit", "draw", ":material/draw:",
                  "Draw a digit (or a piece of clothing) and watch the network's guess change as you draw"),
        PageEntry("app_pages/handwriting.py", "Your handwriting", "handwriting", ":material/edit_note:",
                  "Draw a set of your own digits, or a class's, and use it as a test set"),
    ],
    "In a class": [
        PageEntry("app_pages/classroom.py", "Teach or join a class", "class", ":material/groups:",
                  "A teacher shows a lesson to the room; everyone guesses on their own screen first"),
    ],
}

PAGES: list[PageEntry] = [page for pages in SECTIONS.values() for page in pages]

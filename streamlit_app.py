"""MNIST Lab: the entry point. `streamlit run streamlit_app.py`.

Declares the pages and their URL paths (shared in links: keep them stable) and
the sidebar's dataset choice, which holds across pages and reruns.

The page modules live in app_pages/, not pages/: Streamlit treats a folder named
pages/ as the old multipage layout until a session has called st.navigation, so
on a fresh server a link to /train would run the page without this file.

`streamlit run` imports this file once as the server starts, looking for an ASGI `app`:
there it finds one whose lifespan starts the training engine (mnist_core.engine.cluster: a local
Dask cluster whose workers import TensorFlow and compile the classic network, or the
cluster MNIST_LAB_SCHEDULER names) before the first visitor arrives. Each page view then
runs it as the app's script (`__name__ == "__main__"`), which draws the page. This process
never imports TensorFlow.
"""

import threading
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st

from app_pages.parts import css
from app_pages.parts.learner import learner_id
from app_pages.parts.navigation import SECTIONS
from app_pages.parts.runs import default_run
from mnist_core.analysis import inside
from mnist_core.analysis.story import story_of
from mnist_core.config import FIELD
from mnist_core.data.datasets import DataFileError, load_dataset
from mnist_core.engine import cluster as engine

# The tab icon is a file of the app: a Material icon would be fetched from fonts.gstatic.com,
# which fails offline.
ICON = str(Path(__file__).parent / "app_pages" / "icon.png")
# The dataset choice: choices, titles, default and help come from the settings table.
DATASET = FIELD["dataset"]


def pages() -> dict[str, list]:
    """The sidebar: the pages in their sections (app_pages/parts/navigation.py), Home the default."""
    return {section: [st.Page(p.file, title=p.title, icon=p.icon, url_path=p.url_path, default=not p.url_path)
                      for p in entries] for section, entries in SECTIONS.items()}


def _choose_dataset():
    st.session_state.dataset = st.session_state.dataset_choice


def dataset_choice() -> None:
    """The sidebar's dataset, kept in session state under "dataset", which every page reads.
    The widget has a key of its own, re-seeded on each run, because Streamlit drops a widget's
    value when a run does not draw it. A shared link may name the dataset."""
    if "dataset" not in st.session_state:
        wanted = st.query_params.get("dataset")
        st.session_state.dataset = wanted if wanted in DATASET.values else DATASET.default
    st.session_state.dataset_choice = st.session_state.dataset
    st.sidebar.selectbox(DATASET.label, DATASET.values, key="dataset_choice", format_func=DATASET.title,
                         on_change=_choose_dataset, help=f"{DATASET.help} Used by every page.")


def main() -> None:
    st.set_page_config(page_title="MNIST Lab", page_icon=ICON, layout="wide")
    page = st.navigation(pages(), expanded=True)  # every page shown, none behind 'View more'
    dataset_choice()
    css.every_page()
    learner_id()  # a new browser gets its cookie on whichever page it opens first
    try:
        page.run()
    except DataFileError as exc:  # a damaged bundled file: say which and how to fix it, on any page
        st.error(f"The {st.session_state.dataset} data cannot be read. {exc}")


def _warm_up() -> None:
    """Before the first visitor: read the default dataset (0.3 s of decompressing), and work out
    what Inside and Story show of the shipped network on a fresh server (its activations at every
    epoch and its training images' story: 3 to 7 s on two cores, once), so that those pages open
    quickly. A page that asks meanwhile waits for this work instead of doing it again."""
    try:
        load_dataset(DATASET.default)
        run = default_run()
        ins = inside.inspector(run)
        ins.view(run.final_epoch), ins.frames(), ins.weight_changes(), ins.follow(0)
        story_of(run, "train")
    except DataFileError:
        pass  # the page that needs it says what is wrong


@asynccontextmanager
async def server_lifespan(_app):
    """As the server starts: start the training engine (its workers warm up in their own
    processes, beside the server's start), so that the first Train click trains at once; and
    prepare the default dataset and the shipped network's views (_warm_up)."""
    engine.shared()
    threading.Thread(target=_warm_up, daemon=True, name="warm-up").start()
    yield


if __name__ == "__main__":
    main()
else:
    app = st.App(__file__, lifespan=server_lifespan)

"""MNIST Lab: the entry point. `streamlit run streamlit_app.py`.

Declares the pages and their URL paths (shared in links: keep them stable) and
the sidebar's dataset choice, which holds across pages and reruns.
"""

import streamlit as st

from mnist_core.data import DATASET_TITLES, DATASETS

st.set_page_config(page_title="MNIST Lab", page_icon=":material/neurology:", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", url_path="", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/image:", url_path="data"),
    st.Page("pages/train.py", title="Train", icon=":material/show_chart:", url_path="train"),
    st.Page("pages/evaluate.py", title="Evaluate", icon=":material/search:", url_path="evaluate"),
]
page = st.navigation(PAGES)

# The dataset choice lives in session state under "dataset", which every page reads.
# The widget has a key of its own, re-seeded on each run, because Streamlit drops a
# widget's value when a run does not draw it. A shared link may name the dataset.
if "dataset" not in st.session_state:
    wanted = st.query_params.get("dataset")
    st.session_state.dataset = wanted if wanted in DATASETS else "mnist"
st.session_state.dataset_choice = st.session_state.dataset


def _choose_dataset():
    st.session_state.dataset = st.session_state.dataset_choice


st.sidebar.selectbox("Dataset", DATASETS, key="dataset_choice", format_func=DATASET_TITLES.get,
                     on_change=_choose_dataset,
                     help="Used by every page. Both have 60,000 training and 10,000 test images, 28x28.")
page.run()

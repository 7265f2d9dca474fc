"""Data: the images, their labels, and how they become a network's input."""

import numpy as np
import streamlit as st

from mnist_core import figures
from mnist_core.config import TrainConfig
from mnist_core.data import load_dataset
from mnist_core.preprocess import describe_steps


@st.cache_data(show_spinner=False)
def mean_image_figure(name: str):
    ds = load_dataset(name)
    return figures.mean_images(ds.x_train, ds.y_train, ds.class_names)


ds = load_dataset(st.session_state.get("dataset", "mnist"))
names = ds.class_names

st.title(f"Data: {ds.title}")
st.write("Look at what the network will learn from: 28x28 grey images, each with a label.")

# --- sample grid -------------------------------------------------------------
st.subheader("Samples")
c1, c2 = st.columns([3, 1])
chosen = c1.multiselect("Show classes", list(range(10)), format_func=lambda k: names[k],
                        placeholder="All classes", key="data_classes")
if c2.button("Shuffle", help="Draw another set of images."):
    st.session_state.data_seed = st.session_state.get("data_seed", 0) + 1
rng = np.random.default_rng(st.session_state.get("data_seed", 0))
pool = np.flatnonzero(np.isin(ds.y_train, chosen)) if chosen else np.arange(len(ds.y_train))
picks = rng.choice(pool, size=min(32, len(pool)), replace=False)
st.plotly_chart(figures.image_grid(ds.x_train[picks], [names[ds.y_train[i]] for i in picks]),
                config={"displayModeBar": False})

# --- one image as numbers ----------------------------------------------------
st.subheader("One image, as the numbers it is made of")
st.write("Each pixel is a number from 0 (background) to 255 (full ink). This grid is all the network gets.")
index = st.number_input("Training image number", 0, len(ds.x_train) - 1, int(picks[0]), key="data_index")
st.plotly_chart(figures.pixel_heatmap(ds.x_train[index], f"Image {index}: {names[ds.y_train[index]]}"),
                config={"displayModeBar": False})

# --- classes -----------------------------------------------------------------
st.subheader("Classes")
st.write("The classes are close to balanced, so accuracy is a fair summary. "
         "The mean image of a class shows where its ink usually falls.")
st.plotly_chart(figures.class_counts_figure(ds.y_train, ds.y_test, names), config={"displayModeBar": False})
st.plotly_chart(mean_image_figure(ds.name), config={"displayModeBar": False})

# --- preprocessing -----------------------------------------------------------
st.subheader("From images to network input")
st.write("A dense network takes a vector of numbers, so each image is flattened and scaled; "
         "the labels are encoded to match the loss.")
c1, c2 = st.columns(2)
normalize = c1.toggle("Scale pixels to 0-1", value=True, key="data_normalize")
sparse = c2.toggle("Integer labels (sparse cross-entropy)", value=False, key="data_sparse")
config = TrainConfig(dataset=ds.name, normalize=normalize,
                     loss="sparse_categorical_crossentropy" if sparse else "categorical_crossentropy")
rows = [{"step": s.name, "shape": str(s.shape), "dtype": s.dtype, "values": s.value_range, "why": s.why}
        for s in describe_steps(config, ds)]
st.dataframe(rows, hide_index=True)

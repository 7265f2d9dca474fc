"""Data: the images, their labels, and how they become a network's input."""

import numpy as np
import streamlit as st

from app_pages.parts.formatting import markdown_table
from mnist_core.config import TrainConfig
from mnist_core.data.datasets import load_dataset
from mnist_core.figures import pictures
from mnist_core.model.preprocess import describe_steps

# Pictures, not Plotly figures: the first page a learner opens on a fresh server is then drawn
# without the browser loading Plotly's JavaScript first (bench/load.py measures it).


@st.cache_data(show_spinner=False)
def mean_images(name: str):
    ds = load_dataset(name)
    return pictures.grid(pictures.mean_images(ds.x_train, ds.y_train), list(ds.class_names), columns=10)


def samples(ds, names) -> int:
    """A grid of training images, of the classes chosen; the first one's index."""
    st.subheader("Samples")
    c1, c2 = st.columns([3, 1])
    chosen = c1.multiselect("Show classes", list(range(10)), format_func=lambda k: names[k],
                            placeholder="All classes", key="data_classes")
    if c2.button("Shuffle", help="Draw another set of images."):
        st.session_state.data_seed = st.session_state.get("data_seed", 0) + 1
    rng = np.random.default_rng(st.session_state.get("data_seed", 0))
    pool = np.flatnonzero(np.isin(ds.y_train, chosen)) if chosen else np.arange(len(ds.y_train))
    picks = rng.choice(pool, size=min(32, len(pool)), replace=False)
    which = f" of {', '.join(names[k] for k in sorted(chosen))}" if chosen else ""
    labels = [names[ds.y_train[i]] for i in picks]
    st.image(pictures.grid(ds.x_train[picks], labels), output_format="PNG",
             caption=f"{len(picks)} of the {len(pool):,} training images{which}, picked at random",
             alt=pictures.grid_alt(f"{len(picks)} training images with their labels", labels))
    return int(picks[0])


def one_image(ds, names, first: int) -> None:
    st.subheader("One image, as the numbers it is made of")
    st.write("Each pixel is a number from 0 (background) to 255 (full ink). This grid is all the network gets.")
    index = st.number_input("Training image number", 0, len(ds.x_train) - 1, first, key="data_index")
    st.image(pictures.pixel_numbers(ds.x_train[index]), caption=f"Image {index}: {names[ds.y_train[index]]}",
             output_format="PNG", alt=f"Training image {index}, labelled {names[ds.y_train[index]]}, as a 28 by 28 "
                                      "grid of its pixel values, each written in its cell")


def classes(ds, names) -> None:
    st.subheader("Classes")
    st.write("The classes are close to balanced, so accuracy is a fair summary. "
             "The mean image of a class shows where its ink usually falls.")
    train_counts, test_counts = np.bincount(ds.y_train, minlength=10), np.bincount(ds.y_test, minlength=10)
    share = train_counts / train_counts.sum()
    st.markdown(markdown_table([{"class": names[k], "training images": f"{train_counts[k]:,}",
                                 "share": f"{share[k]:.1%}", "test images": f"{test_counts[k]:,}"}
                                for k in range(10)],
                               align={"training images": "right", "share": "right", "test images": "right"}))
    st.image(mean_images(ds.name), output_format="PNG",
             alt=pictures.grid_alt("The mean image of each class", list(names)))


def preprocessing(ds) -> None:
    st.subheader("From images to network input")
    st.write("A dense network takes a vector of numbers, so each image is flattened and scaled; "
             "the labels are encoded to match the loss.")
    c1, c2 = st.columns(2)
    normalize = c1.toggle("Scale pixels to 0-1", value=True, key="data_normalize")
    sparse = c2.toggle("Integer labels (sparse cross-entropy)", value=False, key="data_sparse")
    config = TrainConfig(dataset=ds.name, normalize=normalize,
                         loss="sparse_categorical_crossentropy" if sparse else "categorical_crossentropy")
    # Three columns, not five: the table fits a phone's width (390 px) without sliding sideways.
    rows = [{"step": s.name, "shape, type, values": f"`{s.shape}` {s.dtype}, {s.value_range}", "why": s.why}
            for s in describe_steps(config, ds)]
    st.markdown(markdown_table(rows))


def main() -> None:
    ds = load_dataset(st.session_state.get("dataset", "mnist"))
    names = ds.class_names

    st.title(f"Data: {ds.title}")
    st.write("Look at what the network will learn from: 28x28 grey images, each with a label.")
    first = samples(ds, names)
    one_image(ds, names, first)
    classes(ds, names)
    preprocessing(ds)


main()

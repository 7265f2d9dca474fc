"""Inside's view of one image going through the network: the image (a test image, or a drawing
from Draw), each hidden layer's activations, and the units that pushed hardest towards the answer."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages.parts.links import link_number
from mnist_core.analysis import inside
from mnist_core.figures import charts as figures
from mnist_core.figures import inside as fi
from mnist_core.figures import pictures as pics

TOP_UNITS = 8  # units shown as pushing hardest towards the prediction
CHART = {"displayModeBar": False}


def _url_image(count: int) -> int | None:
    raw = st.query_params.get("image")
    number = link_number(raw)
    return number if number is not None and number < count else None


def _image_changed() -> None:
    pick = st.session_state.inside_image
    if pick == "drawing":
        st.query_params.pop("image", None)
    elif pick is not None:
        st.query_params["image"] = str(pick)


def image_choice(run) -> tuple:
    """(28x28 image, its caption, its true class or None): a drawing handed over by Draw, a test
    image named by the link (Evaluate's closer look sends one), or one of a small gallery. The
    choice is left in session state as `inside_shown`."""
    ds = run.dataset
    gallery = [int(np.flatnonzero(ds.y_test == k)[0]) for k in range(len(run.class_names))]
    asked = _url_image(len(ds.y_test))
    picks = (["drawing"] if "inside_drawing" in st.session_state else []) + \
        ([asked] if asked is not None and asked not in gallery else []) + gallery
    st.session_state.inside_image = asked if asked is not None else picks[0]
    pick = st.pills("Image", picks, key="inside_image", on_change=_image_changed,
                    format_func=lambda p: "your drawing" if p == "drawing" else
                    f"test image {p} ({run.class_names[ds.y_test[p]]})" if p == asked else
                    str(run.class_names[ds.y_test[p]]),
                    help="A test image of each class; an image sent from Evaluate or your drawing from Draw.")
    pick = picks[0] if pick is None else pick
    st.session_state.inside_shown = pick  # the page's link names it (a drawing cannot be named)
    if pick == "drawing":
        return st.session_state.inside_drawing, "your drawing", None
    return ds.x_test[pick], f"test image {pick}: {run.class_names[ds.y_test[pick]]}", int(ds.y_test[pick])


def one_image(run, net: inside.Network) -> None:
    st.subheader("One image through the network")
    st.write("Follow one image: each hidden layer turns the one before it into new numbers (darker: "
             "stronger), and the output layer adds up the last hidden layer's votes into ten probabilities.")
    image, caption, truth = image_choice(run)
    pre, post, probs = inside.forward_layers(net, inside.inputs(net, image[None]))
    if not np.isfinite(probs).all():
        st.warning("At this epoch the weights are so large that the numbers overflow: the run was diverging. "
                   "Pick an earlier epoch.")
        return
    left, right = st.columns([1, 3])
    left.image(255 - image, width=140, caption=caption, alt=f"The image followed through the network: {caption}")
    right.plotly_chart(figures.probability_figure(probs[0], run.class_names, truth), config=CHART)
    for i, h in enumerate(post):
        active = int((h[0] > 0).sum()) if net.activations[i] == "relu" else None
        note = f", {active} of them above zero" if active is not None else ""
        title = f"Hidden layer {i + 1}: {len(h[0])} units{note}"
        st.markdown(f"**{title}**")
        st.image(pics.png(pics.cell_strip(h[0])), alt=f"{title}, one cell a unit, darker when its output is larger: "
                 f"the largest is unit {int(np.nanargmax(h[0]))}, at {float(np.nanmax(h[0])):.2f}.")
    target = int(probs[0].argmax())
    push = inside.contributions(net, post, target)
    top = np.argsort(-push)[:TOP_UNITS]
    a, b = st.columns([2, 3])
    a.plotly_chart(fi.contribution_figure(top, push[top], run.class_names[target]), config=CHART)
    pictures = inside.input_pictures(net, pre, post, top)
    limit = inside.symmetric_limit(pictures)
    names = [f"unit {u}" for u in top]
    b.image(pics.png(pics.colour_grid(pictures, names, -limit, limit, columns=4, scale=3)),
            alt=pics.grid_alt("What each of those units looks for in this image", names))
    deeper = "" if len(post) == 1 else (
        " In a deeper layer a unit has no pictures of its own: each one here shows which pixels of this "
        "image would change that unit the most (through the units below it that are active).")
    st.caption(f"The {len(top)} units of the last hidden layer that pushed hardest towards "
               f"'{run.class_names[target]}': activation times the weight to that output. Beside them, what "
               "each unit looks for." + deeper)

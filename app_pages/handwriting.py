"""Handwriting: your own drawings as a test set, and a class's, and a network taught them.

The learner draws under the label the page asks for; each drawing is kept (as the 28x28
image the network reads) in the run directory for this browser, or in a class set that
everyone with the class's link adds to (mnist_core.store.handwriting). Then any run, at any
epoch, is read on them beside its score on the test set (a taught run only on the drawings it did
not learn from), and taught them (app_pages/parts/teach.py). Numpy only: no TensorFlow here.
"""

import math

import numpy as np
import streamlit as st

from app_pages.parts.learner import learner_id
from app_pages.parts.links import share_link
from app_pages.parts.picker import choose_model
from app_pages.parts.runs import run_store
from app_pages.parts.teach import taught_sets, teach_section
from mnist_core.analysis.handwriting import score, score_over_epochs
from mnist_core.analysis.taught import not_taught
from mnist_core.figures import charts as figures
from mnist_core.figures import pictures
from mnist_core.input.canvas import DrawingError, prepare_drawing, recipe_for
from mnist_core.input.drawings import MAX_FILE_BYTES, DrawingSet, SetError, export_set, import_set
from mnist_core.model.taught import TeachError
from mnist_core.store.classes import class_code
from mnist_core.store.handwriting import Handwriting

CANVAS_SIZE = 280
STROKE = 20  # the Draw page's pen


@st.cache_resource
def handwriting() -> Handwriting:
    return Handwriting(run_store().disk.root)


def whose_set() -> tuple[str, str]:
    """(owner, title) of the set this page reads and adds to: this browser's, or a class's."""
    linked = st.query_params.get("class")
    if linked is not None and "hw_class" not in st.session_state:
        code = class_code(linked)
        if code and handwriting().class_exists(code):
            st.session_state.hw_class, st.session_state.hw_which = code, "class"  # came for the class
        else:
            st.warning(f"The link names a class set ({str(linked)[:12]!r}) that does not exist here; "
                       "your own drawings are shown instead.")
    code = st.session_state.get("hw_class")
    if code is None:
        return learner_id(), "your drawings"
    choice = st.radio("Set", ["mine", "class"], horizontal=True, key="hw_which",
                      format_func=lambda v: "Mine" if v == "mine" else f"Class {code}",
                      help="A class set pools the drawings of everyone who opened the class's link.")
    return (learner_id(), "your drawings") if choice == "mine" else (f"class-{code}", f"class {code}'s drawings")


def class_controls() -> None:
    """Join or start a class set (a short code and a link; no login)."""
    with st.expander("Class set: pool a room's handwriting"):
        st.write("A teacher starts a class set and shares its link; everyone who opens it can add "
                 "drawings, and the projected page reads the whole class's handwriting.")
        left, right = st.columns(2)
        typed = left.text_input("Class code", max_chars=12, placeholder="e.g. K7PQ2M", key="hw_code")
        if left.button("Join", disabled=not typed):
            code = class_code(typed)
            if code is None or not handwriting().class_exists(code):
                left.error("No class set has that code: check it with your teacher.")
            else:
                st.session_state.hw_class, st.session_state.hw_which = code, "class"
                st.rerun()
        if right.button("Start a class set", help="Makes a new code and its link."):
            st.session_state.hw_class, st.session_state.hw_which = handwriting().start_class(), "class"
            st.rerun()
        code = st.session_state.get("hw_class")
        if code:
            link = share_link({"class": code}, "http://localhost:8501/handwriting")
            st.write(f"Class code **{code}**; its link: `{link}`")


def canvas_pixels():
    """The canvas's pixels (None before anything is drawn), or a drawing handed in (tests)."""
    if "hw_pixels" in st.session_state:
        return st.session_state.hw_pixels
    st.session_state.setdefault("hw_round", 0)
    st.write("")  # room for the canvas's own toolbar, which floats above it
    try:
        from streamlit_drawable_canvas import st_canvas

        result = st_canvas(stroke_width=STROKE, stroke_color="#000000", height=CANVAS_SIZE, width=CANVAS_SIZE,
                           drawing_mode="freedraw", return_image_data=True, update_streamlit=True,
                           key=f"hw_canvas_{st.session_state.hw_round}")  # a new, blank one after each Add
        return result.image_data
    except Exception as exc:  # the component cannot run (AppTest, an old browser)
        st.warning(f"The drawing canvas is not available here ({type(exc).__name__}).")
        return None


def add_drawing(owner: str, dataset: str, drawings: DrawingSet, names) -> None:
    """Ask for a label, take a drawing, keep it under that label."""
    recipe = recipe_for(dataset)
    asked = drawings.next_label()
    if st.session_state.get("hw_asked_for") != (len(drawings), asked):  # a drawing came or went
        st.session_state.hw_asked_for = (len(drawings), asked)
        st.session_state.hw_label = asked
    # wrap: on a phone the ten choices take two rows, rather than one that hides the last ones past the edge
    label = st.segmented_control("Draw", range(10), format_func=lambda i: names[i], key="hw_label", wrap=True,
                                 help="The class you will draw; the page asks for the one your set "
                                 "has fewest of. Any order is fine.")
    label = asked if label is None else label
    st.write(f"Draw **{names[label]}**, then press Add.")
    pixels = canvas_pixels()
    if st.button(f"Add as {names[label]}", type="primary", icon=":material/add:"):
        try:
            drawing = prepare_drawing(pixels, recipe) if pixels is not None else None
        except DrawingError as exc:
            st.error(f"That drawing cannot be used: {exc}.")
            return
        if drawing is None or not drawing.ok:
            st.warning(drawing.hint if drawing is not None else f"Draw {recipe.thing} on the canvas first.")
            return
        try:
            handwriting().add(owner, dataset, drawing.image, label)
        except SetError as exc:
            st.error(f"Not added: {exc}.")
            return
        st.session_state.hw_round = st.session_state.get("hw_round", 0) + 1
        st.session_state.pop("hw_pixels", None)
        st.rerun()


def show_set(owner: str, drawings: DrawingSet, names) -> None:
    """The set as one picture, and a way to delete a drawing."""
    captions = [f"{i + 1}. {names[label]}"[:10] for i, label in enumerate(drawings.labels)]
    st.image(pictures.grid(drawings.images, captions, columns=10),
             alt=pictures.grid_alt("The drawings, number and label", captions))
    counts = drawings.counts()
    st.caption(f"{len(drawings)} drawing{'s' if len(drawings) != 1 else ''}, each with its number and label. "
               "Per class: " + " · ".join(f"{names[i]}: {counts[i]}" for i in range(10)))
    left, right = st.columns([1, 1])
    number = left.number_input("Drawing number", 1, len(drawings), len(drawings), key="hw_delete_number")
    if right.button("Delete it", icon=":material/delete:"):
        handwriting().save(owner, drawings.without(int(number) - 1))
        st.rerun()


def show_scores(run, epoch: int, drawings: DrawingSet, title: str) -> None:
    names = run.class_names
    found = score(run, epoch, drawings)
    right = len(drawings) - len(found.wrong)
    test = run.history[epoch - 1].test_accuracy if run.history else None
    a, b = st.columns(2)
    a.metric("Test set", f"{test:.1%}" if test is not None else "not measured",
             help="The dataset's 10,000 test images, after this epoch.")
    b.metric(title[:1].upper() + title[1:], f"{found.accuracy:.1%}", help=f"{right} of {len(drawings)} read right.")
    if found.wrong.size:
        st.write("**Read wrong**, the surest mistakes first:")
        captions = [f"{names[drawings.labels[i]]}>{names[found.predicted[i]]}"[:12] for i in found.wrong[:30]]
        st.image(pictures.grid(drawings.images[found.wrong[:30]], captions, columns=10),
                 alt=pictures.grid_alt("Drawings read wrong", [
                     f"{names[drawings.labels[i]]} read as {names[found.predicted[i]]}" for i in found.wrong[:30]]))
        st.caption("Each is labelled drawn > read.")
    else:
        st.success("Every drawing is read right at this epoch.")
    if run.epochs_done > 1:
        yours = score_over_epochs(run, drawings)
        tests = [r.test_accuracy for r in run.history]
        st.plotly_chart(figures.handwriting_figure(tests, yours, title, epoch), config={"displayModeBar": False})
    with st.expander(f"Confusion matrix of {title}"):
        st.plotly_chart(figures.confusion_figure(found.confusion, names), config={"displayModeBar": False})


def honest(run, drawings: DrawingSet) -> DrawingSet:
    """The drawings that may score `run`: for a taught run, those it did not learn from."""
    if run.config is None or not run.config.teach:
        return drawings
    try:
        keep = not_taught(drawings.images, taught_sets().load(run.config.teaching.drawings))
    except TeachError:
        st.caption("This taught run's drawings are not on this server: it may have learned some of these.")
        return drawings
    if not keep.all():
        st.caption(f"This run learned {int((~keep).sum())} of these drawings; they are left out of its score "
                   f"here, and the other {int(keep.sum())} score it.")
    if not keep.any():
        st.info("This run learned every one of these drawings, so they cannot score it: add new ones.")
    return DrawingSet(drawings.dataset, drawings.images[keep], drawings.labels[keep])


def files(owner: str, drawings: DrawingSet) -> None:
    """Download the set; add the drawings of a file to it."""
    st.download_button("Download these drawings", export_set(drawings), icon=":material/download:",
                       file_name=f"drawings-{drawings.dataset}.json", mime="application/json",
                       disabled=not len(drawings))
    upload = st.file_uploader("Add drawings from a file", type=["json"], max_upload_size=math.ceil(MAX_FILE_BYTES / 2**20),
                              help=f"A file downloaded here (at most {MAX_FILE_BYTES // 1000} KB).",
                              key=f"hw_file_{st.session_state.get('hw_files', 0)}")
    if upload is None:
        return
    try:
        found = import_set(upload.getvalue(), handwriting().limit(owner))
    except SetError as exc:
        st.error(f"That file cannot be used: {exc}.")
        return
    if found.dataset != drawings.dataset:
        st.error("That file's drawings are of the other dataset: choose a model of that dataset first.")
        return
    room = handwriting().limit(owner) - len(drawings)
    if len(found) > room:
        st.error(f"The file holds {len(found)} drawings and this set has room for {room}: delete some first.")
    elif st.button(f"Add its {len(found)} drawings"):
        merged = DrawingSet(drawings.dataset, np.concatenate([drawings.images, found.images]),
                            np.concatenate([drawings.labels, found.labels]))
        handwriting().save(owner, merged)
        st.session_state.hw_files = st.session_state.get("hw_files", 0) + 1  # an empty uploader: added once
        st.rerun()


def main() -> None:
    st.title("Your handwriting")
    st.write("A network that scores 98% on the test set can still misread your digits: the test set "
             "was written by the same kind of people, with the same pens, as the training set. "
             "Draw your own, label them, and see how it reads them.")
    run, epoch = choose_model("handwriting")
    owner, title = whose_set()
    names = run.class_names
    dataset = run.config.dataset
    drawings = handwriting().load(owner, dataset)
    left, right = st.columns([1, 1])
    with left:
        add_drawing(owner, dataset, drawings, names)
    with right:
        if len(drawings):
            show_set(owner, drawings, names)
        else:
            st.info("No drawings yet. Ten or more, a few of each class, give a fair score.")
    if len(drawings):
        st.subheader(f"How it reads {title}")
        scored = honest(run, drawings)
        if len(scored):
            show_scores(run, epoch, scored, title)
        teach_section(run, epoch, drawings, title.replace("drawings", "handwriting"))
    class_controls()
    files(owner, drawings)


main()

"""Evaluate: how the selected run does on the test set, and which images it gets wrong.

Any run will do (a trained run, or an uploaded model): the page asks it for its
test-set predictions at the chosen epoch, and for its history where it has one.
"""

import numpy as np
import streamlit as st

from app_pages.parts.links import link_params
from app_pages.parts.picker import pick
from app_pages.parts.runs import imported_runs, others, remember, select, selected, session_runs
from mnist_core.analysis import choice
from mnist_core.analysis.evaluate import (
    accuracy,
    cell_images,
    confusion_matrix,
    cross_entropy,
    gallery_order,
    pct,
    per_class_accuracy,
)
from mnist_core.figures import charts as figures


def no_run_yet() -> None:
    st.info("No trained run in your list yet.")
    st.page_link("app_pages/train.py", label="Train a network first", icon=":material/show_chart:")
    recent = others(10)
    if recent:
        st.write("Or open a run trained on this server:")
        for r in recent:
            st.page_link("app_pages/evaluate.py", label=r.label, query_params=link_params(r, r.final_epoch))


def choose_run():
    """(run, epoch): the selected one, or another picked from this session's runs and uploads."""
    run, epoch = selected()
    options = choice.trained(session_runs().values()) + imported_runs()
    if run is None and not options:
        no_run_yet()
        st.stop()
    if run is not None and not any(run is r for r in options):  # a run from a link
        options.insert(0, run)
    if run is None:  # only uploads
        run, epoch = options[0], None
    if len(options) > 1:
        index = pick("Run", options, choice.titles(options, capital=False), index=choice.position(options, run))
        if options[index] is not run:
            run, epoch = options[index], None
    epoch = run.final_epoch if epoch is None else epoch
    select(run, epoch)
    return run, epoch


def headline(run, epoch: int, probs: np.ndarray) -> None:
    """Test accuracy and loss; with a history, the training accuracy and the gap between them."""
    ds = run.dataset
    if not run.history:
        st.caption(f"{run.label[0].upper() + run.label[1:]} ({run.params:,} parameters), on the {ds.title} test set, "
                   "with inputs scaled to 0-1.")
        a, b = st.columns(2)
        a.metric("Test accuracy", pct(accuracy(probs, ds.y_test)))
        b.metric("Test loss", f"{cross_entropy(probs, ds.y_test):.4f}")
        st.write("This model brings no training history, so its training accuracy and the gap are unknown.")
        return
    result = run.result_at(epoch)
    st.caption(f"{run.label}: epoch {epoch} of {run.epochs_done}.")
    gap = result.accuracy - result.test_accuracy
    a, b, c = st.columns(3)
    a.metric("Test accuracy", pct(result.test_accuracy))
    b.metric("Training accuracy", pct(result.accuracy))
    c.metric("Test loss", f"{result.test_loss:.4f}")
    st.write(
        f"The network is right on {pct(result.accuracy)} of the training images and "
        f"{pct(result.test_accuracy)} of the test images: a gap of {abs(gap) * 100:.1f} points"
        + (". A large gap means it learnt the training images more than the task." if gap > 0.02
           else ", so it does about as well on new images as on the ones it learnt from.")
    )


def _round() -> int:
    """Charts' keys carry a round number: a new round clears their selection."""
    return st.session_state.setdefault("eval_round", 0)


def _cell_clicked(key: str) -> None:
    """A confusion-matrix cell was clicked: the gallery shows exactly that cell."""
    points = st.session_state[key].selection.points
    if points:
        true, called = divmod(int(points[0]["point_index"]), 10)
        st.session_state.eval_cell = (true, called)
        st.session_state.eval_classes, st.session_state.eval_called = [true], [called]


def _clear_cell() -> None:
    st.session_state.eval_cell = None
    st.session_state.eval_classes, st.session_state.eval_called = [], []
    st.session_state.eval_round = _round() + 1


def _image_clicked(key: str, shown: list) -> None:
    points = st.session_state[key].selection.points
    if points and int(points[0]["point_index"]) < len(shown):
        st.session_state.eval_look = shown[int(points[0]["point_index"])]


def confusion(ds, names, predicted: np.ndarray) -> None:
    c1, c2 = st.columns([3, 2])
    with c1:
        st.subheader("Confusion matrix")
        st.caption("Row: the true class. Column: what the network said. Off the diagonal are the mistakes. "
                   "Click a cell to see its images below.")
        key = f"eval_confusion_{_round()}"
        counts = confusion_matrix(ds.y_test, predicted)
        st.plotly_chart(figures.confusion_figure(counts, names),
                        config={"displayModeBar": False}, on_select=lambda: _cell_clicked(key),
                        selection_mode="points", key=key)
        st.caption(figures.confusion_summary(counts, names))
    with c2:
        st.subheader("Per class")
        st.plotly_chart(figures.per_class_figure(per_class_accuracy(ds.y_test, predicted), names),
                        config={"displayModeBar": False})


def gallery_filters(ds, names, probs: np.ndarray) -> tuple[np.ndarray, str]:
    """The filters above the gallery, and the test images they pick, in order, with a sentence."""
    f1, f2, f3, f4 = st.columns([2, 3, 3, 3])
    mistakes_only = f1.toggle("Mistakes only", key="eval_mistakes")
    confident_first = f2.toggle("Most confident mistakes first", key="eval_confident",
                                help="The mistakes the network was surest about.")
    classes = f3.multiselect("True class", list(range(10)), format_func=lambda k: names[k],
                             placeholder="All classes", key="eval_classes")
    called = f4.multiselect("Predicted class", list(range(10)), format_func=lambda k: names[k],
                            placeholder="All classes", key="eval_called")
    cell = st.session_state.get("eval_cell")
    if cell and classes == [cell[0]] and called == [cell[1]]:
        order = cell_images(probs, ds.y_test, *cell)
        how = "least confident first" if cell[0] == cell[1] else "most confident first"
        return order, f"True {names[cell[0]]}, read as {names[cell[1]]}: {len(order):,} images, {how}."
    order = gallery_order(probs, ds.y_test, mistakes_only=mistakes_only, confident_first=confident_first,
                          classes=classes, called=called)
    return order, f"{len(order):,} images match."


def gallery(run, epoch: int, probs: np.ndarray) -> None:
    """Test images with their predictions, filtered (a confusion cell sets the filters); then a
    closer look at one (a click on an image picks it)."""
    ds, names = run.dataset, run.class_names
    st.subheader("Test images and predictions")
    predicted = probs.argmax(axis=1)
    order, sentence = gallery_filters(ds, names, probs)
    if st.session_state.get("eval_cell") or st.session_state.get("eval_classes") or st.session_state.get("eval_called"):
        st.button("Show all classes again", on_click=_clear_cell, icon=":material/filter_alt_off:")
    shown = order[:40]
    if len(shown) == 0:
        st.write("No test images match these filters.")
        return
    captions, colours = figures.gallery_captions(names, predicted[shown], ds.y_test[shown],
                                                 probs[shown, predicted[shown]])
    st.caption(f"{sentence} The first {len(shown)} are shown; click one to look closer. "
               "Caption: predicted class and confidence, ✓ (green) when right, ✗ (red) when wrong.")
    key = f"eval_gallery_{_round()}"
    st.plotly_chart(figures.image_grid(ds.x_test[shown], captions, columns=10, colours=colours, clickable=True),
                    config={"displayModeBar": False}, on_select=lambda: _image_clicked(key, shown.tolist()),
                    selection_mode="points", key=key)
    if st.session_state.get("eval_look") not in shown.tolist():
        st.session_state.pop("eval_look", None)
    pick = st.selectbox("Look closer at", shown.tolist(), key="eval_look",
                        format_func=lambda i: f"test image {i}: true {names[ds.y_test[i]]}, "
                                              f"predicted {names[predicted[i]]} ({probs[i, predicted[i]]:.0%})")
    p1, p2 = st.columns([1, 3])
    p1.image(255 - ds.x_test[pick], width=140, caption=f"true class: {names[ds.y_test[pick]]}",
             alt=f"Test image {pick}, true class {names[ds.y_test[pick]]}")
    p2.plotly_chart(figures.probability_figure(probs[pick], names, int(ds.y_test[pick])),
                    config={"displayModeBar": False})
    p1.page_link("app_pages/inside.py", label="See it inside the network", icon=":material/neurology:",
                 query_params={**link_params(run, epoch), "image": str(pick)},
                 help="The Inside page follows this image through each layer of the network.")


def main() -> None:
    st.title("Evaluate")
    st.write("Check the trained network on the 10,000 test images it never saw during training.")
    run, epoch = choose_run()
    if run.history:
        remember(run)
    st.query_params.from_dict(link_params(run, epoch))  # a reload comes back to this run and epoch
    try:
        with st.spinner("Running the model on the test set..."):
            probs = run.test_predictions(epoch)
    except Exception as exc:  # an uploaded model can fail in ways of its own: say so, here only
        st.error(f"The {run.label} could not be run on the test set ({type(exc).__name__}: {str(exc)[:200]}).")
        st.stop()
    headline(run, epoch, probs)
    confusion(run.dataset, run.class_names, probs.argmax(axis=1))
    gallery(run, epoch, probs)


main()

"""Evaluate: how the selected run does on the test set, and which images it gets wrong."""

import numpy as np
import streamlit as st

from app_pages.common import link_params, pct, remember, run_store, selected, session_runs
from mnist_core import figures
from mnist_core.data import load_dataset
from mnist_core.evaluate import confusion_matrix, most_confident_mistakes, per_class_accuracy
from mnist_core.preprocess import prepare_images
from mnist_core.transfer import ImportedModel


@st.cache_data(max_entries=4, show_spinner="Running the imported model on the test set...",
               hash_funcs={ImportedModel: id})
def cached_import_predictions(model: ImportedModel, dataset: str) -> np.ndarray:
    return model.predict(prepare_images(load_dataset(dataset).x_test))


st.title("Evaluate")
st.write("Check the trained network on the 10,000 test images it never saw during training.")

run, epoch = selected()
imported = st.session_state.get("imported", [])
if run is None and not imported:
    st.info("No trained run yet in this session.")
    st.page_link("app_pages/train.py", label="Train a network first", icon=":material/show_chart:")
    recent = [r for r in run_store().runs() if r.epochs_done]
    if recent:
        st.write("Or open a run trained on this server:")
        for r in recent[-10:]:
            st.page_link("app_pages/evaluate.py", label=r.config.describe().rsplit(",", 1)[0]
                         + f", {r.epochs_done} epochs", query_params=link_params(r, r.final_epoch))
    st.stop()

runs = [r for r in session_runs().values() if r.epochs_done]
options = runs + imported
if run not in options:  # only imported models, or a run from a link
    options = [run] + options if run is not None else options
    run = options[0]
    epoch = getattr(run, "final_epoch", None) if epoch is None else epoch
if len(options) > 1:
    index = st.selectbox("Run", range(len(options)), index=options.index(run) if run in options else 0,
                         format_func=lambda i: f"imported model {options[i].name}"
                         if isinstance(options[i], ImportedModel) else options[i].config.describe())
    if options[index] is not run:
        run = options[index]
        epoch = getattr(run, "final_epoch", None)
        if not isinstance(run, ImportedModel):
            st.session_state.selected = (run.config.key(), epoch)

if isinstance(run, ImportedModel):
    # An uploaded model: no training history, so only the test set can be measured.
    ds = load_dataset(st.session_state.get("dataset", "mnist"))
    names = ds.class_names
    st.caption(f"Imported model {run.name} ({run.params:,} parameters), on the {ds.title} test set "
               "(the dataset chosen in the sidebar), with inputs scaled to 0-1.")
    probs = cached_import_predictions(run, ds.name)
    predicted = probs.argmax(axis=1)
    a, b = st.columns(2)
    a.metric("Test accuracy", pct(float((predicted == ds.y_test).mean())))
    b.metric("Test loss", f"{float(-np.log(np.clip(probs[np.arange(len(probs)), ds.y_test], 1e-7, 1)).mean()):.4f}")
    st.write("Training accuracy is unknown for an imported model, so the gap cannot be shown.")
else:
    remember(run)
    st.query_params.from_dict(link_params(run, epoch))  # a reload comes back to this run and epoch
    ds = run.dataset
    names = ds.class_names
    result = run.result_at(epoch)
    st.caption(f"{run.config.describe()}: epoch {epoch} of {run.epochs_done}.")
    probs = run.test_predictions(epoch)
    predicted = probs.argmax(axis=1)
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

# --- confusion matrix and per-class accuracy -------------------------------------
c1, c2 = st.columns([3, 2])
with c1:
    st.subheader("Confusion matrix")
    st.caption("Row: the true class. Column: what the network said. Off the diagonal are the mistakes.")
    st.plotly_chart(figures.confusion_figure(confusion_matrix(ds.y_test, predicted), names),
                    config={"displayModeBar": False})
with c2:
    st.subheader("Per class")
    st.plotly_chart(figures.per_class_figure(per_class_accuracy(ds.y_test, predicted), names),
                    config={"displayModeBar": False})

# --- gallery ---------------------------------------------------------------------
st.subheader("Test images and predictions")
f1, f2, f3 = st.columns(3)
mistakes_only = f1.toggle("Mistakes only", key="eval_mistakes")
confident_first = f2.toggle("Most confident mistakes first", key="eval_confident",
                            help="The mistakes the network was surest about.")
classes = f3.multiselect("True class", list(range(10)), format_func=lambda k: names[k],
                         placeholder="All classes", key="eval_classes")
if confident_first:
    order = most_confident_mistakes(probs, ds.y_test, k=len(ds.y_test))
else:
    order = np.flatnonzero(predicted != ds.y_test) if mistakes_only else np.arange(len(ds.y_test))
if classes:
    order = order[np.isin(ds.y_test[order], classes)]
shown = order[:40]
if len(shown) == 0:
    st.write("No test images match these filters.")
    st.stop()
captions = [f"{names[predicted[i]]} {probs[i, predicted[i]]:.0%}" for i in shown]
colours = ["#2b8a3e" if predicted[i] == ds.y_test[i] else "#c92a2a" for i in shown]
st.caption(f"{len(order):,} images match; the first {len(shown)} are shown. "
           "Caption: predicted class and confidence, green when right, red when wrong.")
st.plotly_chart(figures.image_grid(ds.x_test[shown], captions, columns=10, colours=colours),
                config={"displayModeBar": False})
pick = st.selectbox("Look closer at", shown.tolist(),
                    format_func=lambda i: f"test image {i}: true {names[ds.y_test[i]]}, "
                                          f"predicted {names[predicted[i]]} ({probs[i, predicted[i]]:.0%})")
p1, p2 = st.columns([1, 3])
p1.image(255 - ds.x_test[pick], width=140, caption=f"true class: {names[ds.y_test[pick]]}")
p2.plotly_chart(figures.probability_figure(probs[pick], names, int(ds.y_test[pick])),
                config={"displayModeBar": False})

"""Story: every image across the epochs (mnist_core.analysis.story): the data map, forgetting, never learnt,
and where the test images whose labels people judged wrong land. Numpy only."""

import numpy as np
import streamlit as st

from app_pages.parts.formatting import markdown_table
from app_pages.parts.links import link_params
from app_pages.parts.picker import pick
from app_pages.parts.runs import default_run, selected, session_runs
from mnist_core.analysis import choice
from mnist_core.analysis.story import AMBIGUOUS, EASY, HARD, map_sample, story_of
from mnist_core.data.label_errors import MNIST_TEST, SOURCE
from mnist_core.figures import pictures
from mnist_core.figures import story as figures_story

CHART = {"displayModeBar": False}


def choose_run():
    """A run with at least two epochs: the one chosen on Train or Evaluate by default, this
    session's others, or the shipped classic network."""
    options = choice.trained(session_runs().values(), least=2) + [default_run()]
    index = pick("Run", options, choice.titles(options), index=choice.position(options, selected()[0]),
                 key="story_run", help="Runs of this session with two epochs or more, and the shipped classic network.")
    return options[index]


def _picked(key: str) -> None:
    points = st.session_state[key].selection.points
    if points and points[0].get("customdata") is not None:
        data = points[0]["customdata"]
        st.session_state.story_image = int(data[0] if isinstance(data, list) else data)


def regions(story) -> None:
    if story.map_warning():
        st.warning(story.map_warning())
    titles = story.region_titles()
    counts = {titles[name]: int((story.regions() == name).sum()) for name in (EASY, AMBIGUOUS, HARD)}
    n = len(story.labels)
    cols = st.columns(4)
    for col, (name, count) in zip(cols, counts.items()):
        col.metric(name[:1].upper() + name[1:], f"{count:,}", f"{count / n:.1%}", delta_color="off", delta_arrow="off")
    cols[3].metric("Never read right", f"{len(story.never_learnt()):,}", f"{len(story.never_learnt()) / n:.1%}",
                   delta_color="off", delta_arrow="off")
    st.caption("Easy to learn: the network was sure of the right class all along (confidence at least 0.75, "
               f"variability under 0.2). {titles[HARD][:1].upper() + titles[HARD][1:]}: it was sure of another "
               "class all along (confidence under 0.25). Ambiguous: the rest, whose probability swung over the epochs.")


def data_map(story, marked: list[tuple[int, str]]) -> None:
    shown = map_sample(len(story.labels), [p for p, _ in marked])
    key = f"story_map_{story.split}"
    titles = story.region_titles()
    st.plotly_chart(figures_story.data_map_figure(story.variability[shown], story.confidence[shown],
                                                  story.correctness[shown], shown, marked,
                                                  corners=[titles[EASY], titles[HARD], titles[AMBIGUOUS]],
                                                  regions=[titles[r] for r in story.regions()[shown]]),
                    config=CHART, on_select=lambda: _picked(key), selection_mode="points", key=key)
    if len(shown) < len(story.labels):
        st.caption(f"{len(shown):,} of the {len(story.labels):,} images are drawn (a fixed sample); the counts "
                   "above and below are of all of them.")


def one_image(run, story, images: np.ndarray) -> None:
    """The image picked on the map: its picture, its curve, and a link to Inside for a test image."""
    pos = st.session_state.get("story_image")
    if pos is None or pos >= len(story.labels):
        st.info("Click a dot on the map to see that image and its story.")
        return
    names = run.class_names
    label, final = int(story.labels[pos]), int(story.predicted[-1, pos])
    left, right = st.columns([1, 3])
    left.image(pictures.ink(images[story.indices[pos]], 4), caption=f"{story.split} image {story.indices[pos]}",
               alt=f"{story.split} image {story.indices[pos]}, labelled {names[label]}")
    learnt = int(story.learnt_at()[pos])
    left.write(f"Label **{names[label]}**; after the last epoch read as **{names[final]}**. "
               + (f"Right from epoch {learnt} on." if learnt else "Not right at the end.")
               + f" Forgotten {int(story.forgetting_events()[pos])} time(s).")
    right.plotly_chart(figures_story.image_history_figure(story.p_true[:, pos], story.correct[:, pos], names[label]),
                       config=CHART)
    if story.split == "test" and run.config is not None:
        left.page_link("app_pages/inside.py", label="Follow it inside", icon=":material/neurology:",
                       query_params={**link_params(run, run.epochs_done), "image": str(int(story.indices[pos]))})


def forgetting(run, story, images: np.ndarray) -> None:
    st.subheader("Forgetting")
    events = story.forgetting_events()
    st.write(f"An image is forgotten when the network reads it right after one epoch and wrong after the next. "
             f"Here {int(events.sum()):,} times, by {int((events > 0).sum()):,} images "
             f"({(events > 0).mean():.1%}).")
    if story.epochs > 1:
        st.plotly_chart(figures_story.forgetting_figure(story.forgotten_per_epoch()), config=CHART)
    names, per_class = run.class_names, story.forgotten_per_class()
    counts = np.bincount(story.labels, minlength=10)[:10]
    st.markdown(markdown_table([{"class": names[c], "images": f"{counts[c]:,}", "forgetting events": f"{per_class[c]:,}",
                                 "per 1,000 images": f"{1000 * per_class[c] / max(counts[c], 1):.1f}"}
                                for c in range(10)], align={"images": "right", "forgetting events": "right",
                                                            "per 1,000 images": "right"}))
    worst = story.most_forgotten(20)
    if len(worst):
        st.write("**Forgotten most often**")
        st.image(pictures.grid(images[story.indices[worst]],
                               [f"{names[story.labels[p]]} x{events[p]}" for p in worst], columns=10),
                 alt=pictures.grid_alt("Images forgotten most often", [
                     f"{names[story.labels[p]]} forgotten {events[p]} time(s)" for p in worst]))
    never = story.never_learnt()[:20]
    if len(never):
        st.write("**Never read right**, with what it read at the end")
        st.image(pictures.grid(images[story.indices[never]],
                               [f"{names[story.labels[p]]}>{names[story.predicted[-1, p]]}" for p in never], columns=10),
                 alt=pictures.grid_alt("Images never read right", [
                     f"{names[story.labels[p]]} read as {names[story.predicted[-1, p]]}" for p in never]))


def label_errors(run, story) -> None:
    st.subheader("Labels people judged wrong")
    st.write(f"Reviewers judged the labels of {len(MNIST_TEST)} of MNIST's test images wrong ({SOURCE}). "
             "Where they land, and what this network reads:")
    names, where, titles = run.class_names, story.regions(), story.region_titles()
    rows = []
    for e in MNIST_TEST:
        rows.append({"test image": e.index, "label": names[e.given], "reviewers": e.judged,
                     "network reads": names[story.predicted[-1, e.index]],
                     "p(label)": f"{float(story.p_true[-1, e.index]):.0%}", "on the map": titles[where[e.index]]})
    st.markdown(markdown_table(rows, align={"test image": "right", "p(label)": "right"}))
    st.image(pictures.grid(run.dataset.x_test[[e.index for e in MNIST_TEST]],
                           [f"{e.index}: {e.given}" for e in MNIST_TEST], columns=15),
             alt=pictures.grid_alt(f"The {len(MNIST_TEST)} test images, number and label",
                                   [f"{e.index} labelled {e.given}" for e in MNIST_TEST]))


def main() -> None:
    st.title("Every image's story")
    st.write("Evaluate shows one epoch. Here every image is followed across all of them: which the "
             "network learns at once, which late, which it learns and forgets again, and which it never "
             "gets right, often because the image is odd or its label doubtful.")
    run = choose_run()
    split = st.segmented_control("Images", ["train", "test"], default="train", key="story_split",
                                 format_func=lambda s: "the ones it trained on" if s == "train" else "the test set")
    split = split or "train"
    ds = run.dataset
    images = ds.x_train if split == "train" else ds.x_test
    count = run.config.fit_size() if split == "train" else len(ds.x_test)
    with st.spinner(f"Reading {count:,} images after each of the {run.epochs_done} epochs..."):
        story = story_of(run, split)
    if st.session_state.get("story_of") != (id(run), split):  # another run or set: no image picked
        st.session_state.story_of, st.session_state.story_image = (id(run), split), None
    regions(story)
    mnist_test = split == "test" and run.config.dataset == "mnist"
    marked = [(e.index, f"test image {e.index}: labelled {e.given}, reviewers: {e.judged}")
              for e in MNIST_TEST] if mnist_test else []
    data_map(story, marked)
    one_image(run, story, images)
    forgetting(run, story, images)
    if mnist_test:
        label_errors(run, story)


main()

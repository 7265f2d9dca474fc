"""The Story page in AppTest, on the shipped classic network (5 epochs)."""

from mnist_core.data.label_errors import MNIST_TEST

# A first visit reads 54,000 training images after each of 5 epochs (7 s on an idle machine): on a
# machine busy with other work that can take longer than AppTest's 90 s for a script run.
STORY_TIMEOUT = 600


def open_story(app):
    app.switch_page("app_pages/story.py")
    app.run(timeout=STORY_TIMEOUT)
    assert not app.exception, app.exception
    return app


def metrics(app) -> dict:
    return {m.label: m.value for m in app.metric}


def test_the_training_images_and_the_test_set_each_get_their_map_and_counts(app):
    open_story(app)
    counts = metrics(app)
    total = sum(int(counts[k].replace(",", "")) for k in ("Easy to learn", "Ambiguous", "Hard, or mislabelled"))
    assert total == 54_000  # the images the shipped run trained on (10% held back to validate)
    assert any("Click a dot" in i.value for i in app.info)
    app.segmented_control(key="story_split").set_value("test")
    app.run(timeout=STORY_TIMEOUT)
    counts = metrics(app)
    assert sum(int(counts[k].replace(",", "")) for k in ("Easy to learn", "Ambiguous", "Hard, or mislabelled")) == 10_000
    table = next(m.value for m in app.markdown if "| test image |" in m.value)
    assert all(f"| {e.index} |" in table for e in MNIST_TEST)  # every label judged wrong, with where it lands


def test_an_image_picked_on_the_map_shows_its_story_and_a_link_inside(app):
    open_story(app)
    app.segmented_control(key="story_split").set_value("test")
    app.run(timeout=STORY_TIMEOUT)
    app.session_state["story_image"] = 947  # what a click on its dot sets
    app.run(timeout=STORY_TIMEOUT)
    assert not app.exception
    said = " ".join(m.value for m in app.markdown)
    assert "Label **8**" in said and "Forgotten" in said

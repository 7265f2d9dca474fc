"""The Inside page through AppTest: a fresh server, trained runs of every shape, epoch 0, a run
near divergence, Fashion-MNIST, an uploaded model, and the links from Evaluate and Draw."""

import numpy as np
import pytest

from app_pages.parts.links import link_params
from app_pages.parts.runs import run_store
from mnist_core.config import TrainConfig
from mnist_core.model.runs import DEFAULT_MODEL, load_run_file
from tests.test_app_pages import button, open_page
from tests.test_inside import stored_run

SECTIONS = ["What each first-layer unit looks for", "One image through the network",
            "The last hidden layer's map", "Health of each layer"]


def subheaders(at) -> list[str]:
    return [s.value for s in at.subheader]


def health_table(at) -> dict[str, list[str]]:
    """The health table (a Markdown table after the health section's heading), by column."""
    table = next(m.value for m in at.markdown if m.value.startswith("| layer |"))
    head, _, *rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()]
    return {name: [row[i] for row in rows] for i, name in enumerate(head)}


def health_rows(at) -> list[str]:
    return health_table(at)["layer"]


def text(at) -> str:
    return " ".join(e.value for e in list(at.markdown) + list(at.caption) + list(at.warning) + list(at.info))


def trained(config: TrainConfig):
    """A run trained in this process and put in the server's store, as another learner's would be."""
    from mnist_core.training.trainer import train

    run = train(config)
    run_store().add(run)
    return run


def test_a_fresh_server_shows_the_shipped_model_at_every_epoch(app):
    open_page(app, "app_pages/inside.py")
    assert app.title[0].value == "Inside"
    assert subheaders(app) == SECTIONS
    assert app.selectbox(key="inside_model").value == 0  # the shipped model, first in the list
    shipped = load_run_file(DEFAULT_MODEL)
    assert app.slider(key="inside_epoch").value == shipped.epochs_done
    assert app.query_params["epoch"] == str(shipped.epochs_done)  # a reload comes back here
    assert health_rows(app) == ["hidden 1", "output"]
    app.slider(key="inside_epoch").set_value(0).run()
    assert not app.exception
    assert "before training" in text(app)
    assert health_table(app)["moved in this epoch"] == ["-", "-"]
    for order in ("strongest", "active", "changed"):
        app.radio(key="inside_sort").set_value(order).run()
        assert not app.exception
    app.slider(key="inside_epoch").set_value(2).run()
    app.toggle(key="inside_animate").set_value(True).run()
    assert not app.exception
    app.selectbox(key="inside_page").set_value(7).run()  # units 449 to 512
    assert not app.exception


def test_a_link_reopens_the_same_run_epoch_and_image(app):
    shipped = load_run_file(DEFAULT_MODEL)
    open_page(app, "app_pages/inside.py", **{**link_params(shipped, 2), "image": "1234"})
    assert app.slider(key="inside_epoch").value == 2
    assert app.pills(key="inside_image").value == 1234
    assert app.pills(key="inside_image").format_func(1234).startswith("test image 1234")
    app.pills(key="inside_image").set_value(app.pills(key="inside_image").options[3]).run()
    assert not app.exception
    assert app.query_params["image"] != "1234"


def test_a_four_layer_network_shows_every_layer(app):
    run = trained(TrainConfig(hidden=(32, 32, 32, 32), epochs=2, train_samples=2000, seed=3))
    open_page(app, "app_pages/inside.py", **link_params(run, 2))
    assert not app.exception
    assert "Your run" not in app.selectbox(key="inside_model").format_func(0)  # the shipped one is first
    assert app.selectbox(key="inside_model").value == 1  # the run the link names
    assert health_rows(app) == ["hidden 1", "hidden 2", "hidden 3", "hidden 4", "output"]
    assert "deeper layer" in text(app)  # the pictures beside the pushes are gradients, and say so
    app.slider(key="inside_epoch").set_value(0).run()
    assert not app.exception


def test_fashion_and_a_sigmoid_network(app):
    run = trained(TrainConfig(dataset="fashion_mnist", hidden=(24,), activation="sigmoid", epochs=1,
                              train_samples=2000, seed=4))
    open_page(app, "app_pages/inside.py", **link_params(run, 1))
    assert not app.exception
    assert "Trouser" in app.pills(key="inside_image").options
    assert "relu layers only" in text(app)
    assert health_table(app)["dead units"] == ["-", "-"]


def test_a_run_near_divergence_says_its_numbers_overflow(app):
    run = stored_run(epochs=2, sizes=(8, 8))
    overflowing = run.weights_at(2)
    overflowing[:] = [w * 1e25 for w in overflowing]  # in place: the run's epoch 2 itself
    app.session_state["runs"] = {run.config.key(): run}
    app.session_state["selected"] = (run, 2)
    open_page(app, "app_pages/inside.py")
    assert not app.exception
    assert any("overflow" in w.value for w in app.warning)
    app.slider(key="inside_epoch").set_value(1).run()
    assert not any("overflow" in w.value for w in app.warning)


def test_a_just_trained_run_is_shown_and_an_uploaded_model_too(app):
    from mnist_core.engine.transfer import export_keras, import_keras
    from mnist_core.training.trainer import train

    run = train(TrainConfig(hidden=(48,), epochs=2, train_samples=2000, seed=5))
    app.session_state["imported"] = [import_keras(export_keras(run, 2), "mine.keras")]
    app.session_state["runs"] = {run.config.key(): run}
    open_page(app, "app_pages/inside.py")
    assert app.selectbox(key="inside_model").value == 1  # the latest run, as on Evaluate
    assert app.selectbox(key="inside_model").format_func(1) == f"Your run: {run.label}"
    app.selectbox(key="inside_model").set_value(2).run()  # the uploaded model
    assert not app.exception
    assert "uploaded model" in text(app)
    assert not app.slider  # one set of weights: no epochs to choose
    assert subheaders(app) == SECTIONS


def test_evaluate_and_draw_send_their_image_here(app):
    from tests.test_app_pages import stroke_canvas

    run = trained(TrainConfig(hidden=(32,), epochs=1, train_samples=2000, seed=6))
    open_page(app, "app_pages/evaluate.py", **link_params(run, 1))
    link = next(p for p in app.get("page_link") if "inside" in p.proto.page)
    assert "image=" in link.proto.query_string
    open_page(app, "app_pages/draw.py")
    app.session_state["draw_pixels"] = stroke_canvas("one")
    app.run()
    button(app, "See it inside the network").click().run()
    assert not app.exception
    assert app.title[0].value == "Inside"
    assert app.pills(key="inside_image").value == "drawing"
    model = app.selectbox(key="inside_model")
    assert run.label in model.format_func(model.value)  # the model the drawing was read by


@pytest.mark.parametrize("shape", [(512,), (1024, 1024, 1024, 1024)])
def test_no_tensorflow_is_needed_for_any_shape(shape):
    # The numpy pictures work on the largest network the app trains, without Keras.
    run = stored_run(epochs=1, sizes=shape)
    from mnist_core.analysis import inside

    net = inside.network_of(run, 1)
    pre, post, probs = inside.forward_layers(net, inside.inputs(net, run.dataset.x_test[:1]))
    assert probs.shape == (1, 10) and np.isclose(probs.sum(), 1)


def test_odd_inside_links_fall_back_quietly(app):
    shipped = load_run_file(DEFAULT_MODEL)
    for image in ("abc", "-1", "99999"):
        open_page(app, "app_pages/inside.py", **{**link_params(shipped, 99), "image": image})
        first = int(np.flatnonzero(shipped.dataset.y_test == 0)[0])
        assert app.pills(key="inside_image").value == first
        assert app.slider(key="inside_epoch").value == shipped.epochs_done
        assert app.query_params["image"] == str(first)  # the link names what is shown


def test_links_with_numbers_too_long_to_read_fall_back_quietly(app):
    # Python refuses to read a number of more than 4,300 digits; a link is not allowed to crash a page.
    huge = "9" * 5000
    shipped = load_run_file(DEFAULT_MODEL)
    open_page(app, "app_pages/inside.py", **{**link_params(shipped, 2), "image": huge})
    assert app.pills(key="inside_image").value == int(np.flatnonzero(shipped.dataset.y_test == 0)[0])
    open_page(app, "app_pages/line.py", layers="0", epoch=huge, step=huge)
    assert not app.exception and "before training" in " ".join(m.value for m in app.markdown)
    open_page(app, "app_pages/train.py", hidden="64", epoch=huge)
    assert not app.exception

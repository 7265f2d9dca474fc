"""Every page through Streamlit's AppTest: renders, keeps state, trains, reports bad input."""

import json
import re

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app_pages.parts.runs import run_store
from mnist_core.config import TrainConfig
from mnist_core.store.rundir import RunDirectory
from tests.helpers import engine_state, free_port

SMALL = {"f_hidden_0": 32, "f_train_samples": 2000, "f_epochs": 2}


def open_page(at, page: str, **query):
    at.query_params.clear()
    at.query_params.update(query)
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def fill(at, **values):
    for key, value in values.items():
        widget = next(w for w in at.main if getattr(w, "key", None) == key)
        widget.set_value(value)
    at.run()
    assert not at.exception, at.exception


def button(at, label_start: str):
    return next(b for b in at.button if b.label.startswith(label_start))


def labels(at) -> list[str]:
    return [b.label for b in at.button]


def session_jobs(at) -> list:
    return list(at.session_state["jobs"]) if "jobs" in at.session_state else []


# Generous: a bound for a stuck job, not a speed target. With both cores busy elsewhere, training
# gets a tenth of a core (mnist_core.training.priority) and one epoch of the classic network takes a minute.
JOB_TIMEOUT = 300


def wait_for_jobs(at, timeout: float = JOB_TIMEOUT) -> None:
    """Wait until this session's training jobs are done (on the jobs, not the clock), then rerun."""
    for job in session_jobs(at):
        assert job.wait(timeout), "training did not finish in time"
    at.run()
    assert not at.exception, at.exception


def train_and_wait(at, label="Train", timeout=JOB_TIMEOUT):
    button(at, label).click()
    at.run()
    wait_for_jobs(at, timeout)
    assert "Stop" not in labels(at)


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.mark.parametrize("page, title", [
    ("app_pages/home.py", "MNIST Lab"), ("app_pages/data.py", "Data: MNIST digits"),
    ("app_pages/train.py", "Train"), ("app_pages/evaluate.py", "Evaluate"), ("app_pages/inside.py", "Inside"),
    ("app_pages/lessons.py", "Lessons"), ("app_pages/line.py", "A line between two groups"),
])
def test_every_page_renders_and_says_what_it_is_for(app, page, title):
    open_page(app, page)
    assert app.title[0].value == title
    assert app.markdown[0].value  # the one-sentence purpose right under the title


def test_dataset_choice_holds_across_pages(app):
    app.selectbox(key="dataset_choice").set_value("fashion_mnist")
    app.run()
    open_page(app, "app_pages/data.py")
    assert app.title[0].value == "Data: Fashion-MNIST"
    open_page(app, "app_pages/train.py")
    assert app.query_params["dataset"] == "fashion_mnist"  # the Train page's config uses it
    open_page(app, "app_pages/home.py")
    open_page(app, "app_pages/data.py")
    assert app.title[0].value == "Data: Fashion-MNIST"


def grid_of(at) -> tuple[str, str]:
    """The caption and the picture (its media address, named by its content) of the page's first
    image."""
    (image, *_) = next(e for e in at.main if type(e).__name__ == "Image").proto.imgs
    return image.caption, image.url


def test_data_page_filters_and_reshuffles(app):
    open_page(app, "app_pages/data.py")
    caption, picture = grid_of(app)
    assert caption == "32 of the 60,000 training images, picked at random"
    app.multiselect(key="data_classes").set_value([3])
    app.run()
    caption, threes = grid_of(app)
    assert caption == "32 of the 6,131 training images of 3, picked at random" and threes != picture
    button(app, "Shuffle").click()
    app.run()
    assert not app.exception
    caption, others = grid_of(app)
    assert caption.endswith("images of 3, picked at random") and others != threes
    text = "\n".join(m.value for m in app.markdown)
    assert "| 1 | 6,742 | 11.2% | 1,135 |" in text  # images per class, training and test
    assert "| flattened | `(60000, 784)` uint8, 0 to 255 |" in text


def test_before_training_the_page_shows_the_network(app):
    open_page(app, "app_pages/train.py")
    assert metric(app, "Trainable parameters") == "407,050"
    assert metric(app, "Gradient updates per epoch") == "375"  # 48,000 images: 20% are held back
    assert "Untrained test accuracy" not in [m.label for m in app.metric]  # it needs TensorFlow: on opening
    app.session_state["preview_open"] = True
    app.run()
    untrained = float(metric(app, "Untrained test accuracy").rstrip("%"))
    assert 2 < untrained < 25


def test_train_a_small_network_then_scrub_epochs_and_evaluate(app):
    open_page(app, "app_pages/train.py")
    fill(app, **SMALL, f_validation="split")
    train_and_wait(app)
    assert "Trained" in labels(app)
    gap = [c.value for c in app.caption if "overfitting" in c.value]  # the gap chart, told in words
    assert len(gap) == 1 and re.search(r"epoch \d.*: validation loss [\d.]+ (above|below) training loss", gap[0])
    last = metric(app, "Training accuracy")
    slider = next(s for s in app.slider if s.key.startswith("epoch_"))
    slider.set_value(1)
    app.run()
    assert metric(app, "Training accuracy") != last  # epoch 1's numbers, not epoch 2's
    button(app, "Use epoch 1").click()
    app.run()
    open_page(app, "app_pages/evaluate.py")
    assert "epoch 1 of 2" in app.caption[0].value
    assert float(metric(app, "Test accuracy").rstrip("%")) > 50
    app.toggle(key="eval_mistakes").set_value(True)
    app.run()
    assert not app.exception
    open_page(app, "app_pages/home.py")
    assert any("2 epochs, finished" in m.value for m in app.markdown)


def test_changing_only_epochs_reads_or_continues_the_run(app):
    open_page(app, "app_pages/train.py")
    fill(app, **SMALL)
    train_and_wait(app)
    fill(app, f_epochs=1)
    assert "Trained" in labels(app)  # fewer epochs: read at once
    assert metric(app, "Training loss")
    fill(app, f_epochs=3)
    assert "Continue to 3 epochs" in labels(app)
    train_and_wait(app, "Continue")
    table = [e for e in app.main if getattr(e, "key", None) is None and type(e).__name__ == "Dataframe"]
    assert "Trained" in labels(app) and table


def test_the_train_form_takes_limits_and_help_from_the_settings_table(app):
    from mnist_core.config import FIELD, FIELDS

    open_page(app, "app_pages/train.py", validation="split:0.2")
    widgets = {getattr(w, "key", None): w for w in app.main}
    keys = {"hidden": "f_hidden_0", "dropout": "f_dropout_0", "validation": "f_validation_fraction"}
    checked = 0
    for field in FIELDS:
        widget = widgets.get(keys.get(field.name, f"f_{field.name}"))
        if field.name == "dataset":
            widget = app.selectbox(key="dataset_choice")
            assert list(widget.options) == [field.title(v) for v in field.values]
            continue
        if field.kind == "choice":
            assert list(widget.options) == [field.title(v) for v in field.values]
        elif field.low is not None:
            assert (widget.min, widget.max) == (field.low, field.high), field.name
        assert widget.help == field.full_help, field.name
        checked += 1
    assert checked == len(FIELDS) - 1
    layers = app.number_input(key="f_layers")
    assert (layers.min, layers.max) == FIELD["hidden"].layers


def test_impossible_values_show_messages_and_disable_training(app):
    open_page(app, "app_pages/train.py")
    fill(app, f_train_samples=1000, f_batch_size=5000, f_validation="split")
    assert any("batch size 5000: larger than the 800 training images" in e.value for e in app.error)
    train = button(app, "Train")  # stays in its place, greyed out, with the reason
    assert train.disabled and "settings named in red" in train.help
    assert not [m for m in app.markdown if "Press **Train**" in m.value]


def test_a_diverging_run_shows_a_clear_message(app):
    open_page(app, "app_pages/train.py")
    fill(app, **SMALL, f_learning_rate=10.0, f_optimizer="momentum", f_validation="none")
    train_and_wait(app)
    message = " ".join(e.value for e in app.error)
    assert "diverged in epoch 1" in message and "smaller learning rate" in message
    assert "no epoch finished" in message and "epochs before it are kept" not in message
    train = button(app, "Train")
    assert train.disabled and "diverged" in train.help  # greyed out, and the reason is on it


def start_long_training(at, wait_until, **changes):
    """Start a run long enough to be stopped by hand; return its job once an epoch is done."""
    fill(at, f_hidden_0=256, f_train_samples=20000, f_epochs=40, **changes)
    button(at, "Train").click()
    at.run()
    job = session_jobs(at)[-1]
    wait_until(lambda: job.run is not None and job.run.epochs_done >= 1, what="the first epoch")
    return job


def test_stop_keeps_the_finished_epochs(app, wait_until):
    open_page(app, "app_pages/train.py")
    start_long_training(app, wait_until)
    app.run()
    assert any(m.label == "Elapsed" for m in app.metric)  # live progress
    button(app, "Stop").click()
    app.run()
    wait_for_jobs(app)
    assert any("Stopped after epoch" in w.value for w in app.warning)
    assert any(label.startswith("Continue to 40 epochs") for label in labels(app))


def test_a_link_fills_the_form_and_bad_values_are_noted(app):
    open_page(app, "app_pages/train.py", hidden="128,64", dropout="0.2", epochs="7", batch_size="lots",
              colour="red")
    assert app.number_input(key="f_layers").value == 2
    assert app.number_input(key="f_hidden_1").value == 64
    assert app.slider(key="f_dropout_1").value == 0.2
    assert app.slider(key="f_epochs").value == 7
    assert app.number_input(key="f_batch_size").value == 128
    notes = " ".join(i.value for i in app.info)
    assert "batch_size 'lots'" in notes and "unknown setting 'colour'" in notes


def test_evaluate_without_a_run_links_to_train(app):
    open_page(app, "app_pages/evaluate.py")
    assert "No trained run in your list yet" in app.info[0].value


def test_the_form_holds_back_a_split_names_the_dataset_and_folds_after_train(app):
    open_page(app, "app_pages/train.py")
    assert app.selectbox(key="f_validation").value == "split" and app.slider(key="f_validation_fraction").value == 0.2
    assert "on **MNIST digits**" in app.markdown[0].value
    assert app.expander[0].label == "Network and training settings"
    fill(app, **SMALL)
    train_and_wait(app)
    folded = app.expander[0].label
    assert folded.startswith("Settings: mnist 32 relu") and "2 epochs" in folded
    assert app.session_state["settings_open"] is False
    app.sidebar.selectbox(key="dataset_choice").set_value("fashion_mnist")
    app.run()
    assert "on **Fashion-MNIST**" in app.markdown[0].value


def test_home_button_starts_the_classic_network(app):
    open_page(app, "app_pages/home.py")
    button(app, "Train the classic network").click()
    app.run()
    assert app.title[0].value == "Train"
    assert app.number_input(key="f_hidden_0").value == 512 and app.slider(key="f_epochs").value == 5
    assert app.selectbox(key="f_validation").value == "split"
    assert "Stop" in labels(app)  # already training in the background
    assert app.expander[0].label.startswith("Settings: mnist 512 relu")  # folded: the progress shows
    button(app, "Stop").click()
    app.run()
    wait_for_jobs(app)
    assert "Stop" not in labels(app)


def test_the_app_keeps_clear_of_streamlits_legacy_pages_folder():
    # A folder named pages/ makes a fresh server run /train without streamlit_app.py.
    from pathlib import Path

    assert not (Path(__file__).resolve().parents[1] / "pages").exists()


def test_a_fresh_session_opened_on_train_runs_the_entry_point():
    st.cache_resource.clear()
    at = AppTest.from_file("../streamlit_app.py", default_timeout=90)
    at.switch_page("app_pages/train.py")
    at.run()
    assert not at.exception
    assert at.selectbox(key="dataset_choice").value == "mnist"  # the sidebar of the entry point


def test_the_web_process_never_imports_tensorflow():
    # In a fresh interpreter: every page opens, Draw predicts with numpy, and Train trains in
    # the engine's worker process, and Handwriting teaches that run there: the pages' process never
    # imports TensorFlow or Keras.
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import os, sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('streamlit_app.py', default_timeout=60)\n"
        "at.run()\n"
        "at.switch_page('app_pages/data.py')\n"
        "at.run()\n"
        "assert not at.exception, at.exception\n"
        "assert at.title[0].value.startswith('Data'), at.title\n"
        "import numpy as np\n"
        "at.switch_page('app_pages/draw.py')\n"
        "pixels = np.zeros((280, 280, 4), np.uint8)\n"
        "pixels[50:230, 130:150, 3] = 255\n"
        "at.session_state['draw_pixels'] = pixels\n"
        "at.run()\n"
        "assert not at.exception, at.exception\n"
        "assert [m.value for m in at.metric if m.label == 'Prediction'] == ['1']\n"
        "at.switch_page('app_pages/inside.py')\n"
        "at.run()\n"
        "assert not at.exception, at.exception\n"
        "assert at.title[0].value == 'Inside', at.title\n"
        "at.switch_page('app_pages/line.py')\n"
        "at.run()\n"
        "assert not at.exception, at.exception\n"
        "assert at.title[0].value == 'A line between two groups', at.title\n"
        "at.switch_page('app_pages/lessons.py')\n"
        "at.run()\n"
        "assert not at.exception, at.exception\n"
        "assert at.title[0].value == 'Lessons', at.title\n"
        "at.switch_page('app_pages/compare.py')\n"
        "at.run()\n"
        "assert not at.exception, at.exception\n"
        "assert any(s.value == 'Sweep one setting' for s in at.subheader), at.subheader\n"
        # Train too: the engine's worker process trains; this process reads the run back.
        "at.switch_page('app_pages/train.py')\n"
        "at.run()\n"
        "for key, value in (('f_hidden_0', 32), ('f_train_samples', 2000), ('f_epochs', 1)):\n"
        "    next(w for w in at.main if getattr(w, 'key', None) == key).set_value(value)\n"
        "at.run()\n"
        "next(b for b in at.button if b.label == 'Train').click()\n"
        "at.run()\n"
        "job = at.session_state['jobs'][-1]\n"
        "assert job.wait(300) and not job.error, job.error\n"
        "at.run()\n"
        "assert not at.exception, at.exception\n"
        "assert any(m.label == 'Test accuracy' for m in at.metric), at.metric\n"
        # And teaching: that run taught a learner's drawings, by a worker too.
        "from mnist_core.input.drawings import unlike_set\n"
        "from mnist_core.store.handwriting import Handwriting\n"
        "Handwriting(os.environ['MNIST_LAB_RUNS']).save(at.session_state['learner'], unlike_set(20, seed=3))\n"
        "at.switch_page('app_pages/handwriting.py')\n"
        "at.run()\n"
        "at.slider(key='teach_epochs').set_value(1)\n"
        "at.run()\n"
        "next(b for b in at.button if b.label.startswith('Teach it')).click()\n"
        "at.run()\n"
        "job = at.session_state['jobs'][-1]\n"
        "assert job.config.teach and job.wait(300) and not job.error, job.error\n"
        "at.run()\n"
        "assert any(m.label == 'Held-back drawings, after' for m in at.metric), at.metric\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "MNIST_LAB_WARMUP": "off"}  # (the workers' warm-up: test_engine.py)
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                          timeout=500)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "False False"


def test_streamlit_run_finds_the_app_whose_server_start_starts_the_engine(monkeypatch):
    """`streamlit run streamlit_app.py` imports the file to look for an ASGI app; its lifespan
    starts the training engine as the server starts, before any visitor (its workers warm up)."""
    import asyncio
    import importlib
    from pathlib import Path

    from streamlit.web.server.app_discovery import discover_asgi_app

    from mnist_core.engine import cluster as engine

    root = Path(__file__).resolve().parents[1]
    assert discover_asgi_app(root / "streamlit_app.py").is_asgi_app
    started = []
    monkeypatch.setattr(engine, "shared", lambda: started.append("engine"))
    module = importlib.import_module("streamlit_app")  # as the server imports it: draws nothing

    async def serve():
        async with module.server_lifespan(module.app):
            return list(started)

    assert isinstance(module.app, st.App) and asyncio.run(serve()) == ["engine"]


def draw_a_one_with_the_last_model(at) -> None:
    """On Draw, choose the last model offered (the newest upload) and hand in a drawn "1"."""
    open_page(at, "app_pages/draw.py")
    model_box = at.selectbox[0]
    model_box.set_value(len(model_box.options) - 1)
    at.run()
    at.session_state["draw_pixels"] = stroke_canvas("one")
    at.run()


def stroke_canvas(kind: str) -> np.ndarray:
    rgba = np.zeros((280, 280, 4), np.uint8)
    if kind == "one":
        rgba[50:230, 130:150, 3] = 255
    elif kind == "dot":
        rgba[100:103, 100:103, 3] = 255
    return rgba


def test_draw_page_uses_the_default_model_without_a_run(app):
    open_page(app, "app_pages/draw.py")
    assert "default MNIST model" in app.caption[0].value
    assert "Draw a digit and see" in app.markdown[0].value
    assert "Draw a digit on the canvas" in app.info[0].value  # nothing drawn yet
    app.session_state["draw_pixels"] = stroke_canvas("one")
    app.run()
    assert not app.exception
    assert metric(app, "Prediction") == "1"
    app.session_state["draw_pixels"] = stroke_canvas("dot")
    app.run()
    assert "too little ink" in app.info[0].value
    assert not [m for m in app.metric if m.label == "Prediction"]
    app.session_state["draw_pixels"] = stroke_canvas("blank")
    app.run()
    assert "empty" in app.info[0].value


def test_draw_page_uses_the_selected_run_and_notes_fashion(app):
    open_page(app, "app_pages/train.py")
    app.selectbox(key="dataset_choice").set_value("fashion_mnist")
    app.run()
    fill(app, **SMALL)
    train_and_wait(app)
    open_page(app, "app_pages/draw.py")
    assert "your run fashion_mnist 32 relu" in app.caption[0].value
    assert "Draw a piece of clothing and see" in app.markdown[0].value
    assert any("learnt clothes" in i.value and "Ankle boot" in i.value for i in app.info)
    assert any("Draw a piece of clothing on the canvas" in i.value for i in app.info)
    app.session_state["draw_pixels"] = stroke_canvas("one")
    app.run()
    assert any("longer side scaled to 28 pixels" in c.value for c in app.caption)  # the clothing recipe
    assert metric(app, "Prediction") in ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
    assert len(app.get("plotly_chart")) == 2  # the ten probabilities, and over the epochs


def test_compare_page_with_zero_one_and_several_runs(app):
    open_page(app, "app_pages/compare.py")
    assert "No runs to compare yet" in app.info[0].value
    open_page(app, "app_pages/train.py")
    fill(app, **SMALL, f_validation="split")
    train_and_wait(app)
    open_page(app, "app_pages/compare.py")
    assert len(app.dataframe[0].value) == 1
    assert not [m for m in app.markdown if "vs run" in m.value]
    open_page(app, "app_pages/train.py")
    fill(app, f_dropout_0=0.5)
    train_and_wait(app)
    open_page(app, "app_pages/compare.py")
    table = app.dataframe[0].value
    assert len(table) == 2 and list(table["dropout"]) == ["0", "0.5"]
    assert "seed" not in table.columns  # shared settings are folded away
    sentence = next(m.value for m in app.markdown if "vs run" in m.value)
    assert "dropout 0 → 0.5: test accuracy" in sentence
    assert "Changing dropout, the test images were forgotten" in sentence  # mnist_core.analysis.story
    assert len(app.get("plotly_chart")) == 3  # validation loss, validation accuracy, training loss
    app.selectbox(key="compare_delete_pick").set_value(1)
    button(app, "Delete this run").click()
    app.run()
    assert len(app.dataframe[0].value) == 1
    button(app, "Clear all runs").click()
    app.run()
    assert "No runs to compare yet" in app.info[0].value


def test_the_session_limit_is_announced_not_silent(app, monkeypatch):
    import app_pages.parts.runs as runs

    monkeypatch.setattr(runs, "MAX_SESSION_RUNS", 1)
    open_page(app, "app_pages/train.py")
    fill(app, **SMALL)
    train_and_wait(app)
    fill(app, f_seed=9)
    assert any("keeps at most 1 runs" in w.value for w in app.warning)
    assert button(app, "Train").disabled


def test_same_seed_same_curves_through_the_app(app, tmp_path, monkeypatch):
    open_page(app, "app_pages/train.py")
    fill(app, **SMALL, f_validation="split", f_seed=11)
    train_and_wait(app)
    first = [r.as_dict() for r in next(iter(app.session_state["runs"].values())).history]
    # Forget the server's copy (memory and disk) and the session's: train again.
    monkeypatch.setenv("MNIST_LAB_RUNS", str(tmp_path / "other-runs"))
    st.cache_resource.clear()
    app.session_state["runs"] = {}
    app.run()
    train_and_wait(app)
    second = [r.as_dict() for r in next(iter(app.session_state["runs"].values())).history]
    strip = [{k: v for k, v in r.items() if k not in ("seconds", "elapsed", "samples_per_second")}
             for r in first]
    assert strip == [{k: v for k, v in r.items() if k not in ("seconds", "elapsed", "samples_per_second")}
                     for r in second]


def test_partial_and_invalid_links(app):
    open_page(app, "app_pages/train.py", epochs="12", seed="abc", learning_rate="-5", hidden="99999")
    assert app.slider(key="f_epochs").value == 12
    assert app.number_input(key="f_seed").value == 0  # unparsable: default, with a note
    assert "seed 'abc'" in " ".join(i.value for i in app.info)
    assert app.number_input(key="f_hidden_0").value == 1024  # out of range: clamped to the widget
    assert app.number_input(key="f_learning_rate").value == pytest.approx(1e-5)
    assert not app.exception


def test_a_links_notes_stay_until_a_setting_changes(app):
    open_page(app, "app_pages/train.py", epochs="-5")
    def notes():
        return [i.value for i in app.info if "changed or not used" in i.value]

    assert app.slider(key="f_epochs").value == 1 and "epochs -5: outside 1 to 100, set to 1" in notes()[0]
    app.run()  # any rerun (a click elsewhere, a poll) keeps the note
    assert notes()
    fill(app, f_seed=3)
    assert not notes()


def test_an_imported_model_works_on_evaluate_and_draw(app):
    from mnist_core.engine.transfer import export_keras, import_keras
    from mnist_core.training.trainer import train

    run = train(TrainConfig(hidden=(64,), epochs=2, train_samples=3000))
    app.session_state["imported"] = [import_keras(export_keras(run, 2), "mine.keras")]
    open_page(app, "app_pages/evaluate.py")
    assert "Imported model mine.keras" in app.caption[0].value
    assert float(metric(app, "Test accuracy").rstrip("%")) == pytest.approx(run.test_accuracy * 100, abs=0.01)
    draw_a_one_with_the_last_model(app)
    assert "imported model mine.keras" in app.caption[0].value
    assert metric(app, "Prediction") in [str(d) for d in range(10)]


def test_a_second_training_waits_in_the_queue_and_can_cancel(app, wait_until):
    # The tests' engine has one worker: one training at a time (conftest.py).
    open_page(app, "app_pages/train.py")
    first = start_long_training(app, wait_until)
    fill(app, f_seed=5)  # another configuration while the first trains: the first stays in view
    assert any(i.value.startswith("Your run") and "is training: epoch" in i.value for i in app.info)
    assert "Stop" in labels(app) and "Train" in labels(app)
    button(app, "Train").click()
    app.run()
    # The learner's own run is not counted as someone else's.
    assert any("waits for 1 of your own runs." in i.value for i in app.info)
    second = session_jobs(app)[-1]
    button(app, "Cancel").click()
    app.run()
    assert second.done and second.run is None  # left the queue without training
    assert "Train" in labels(app)
    fill(app, f_seed=0)
    button(app, "Stop").click()
    app.run()
    assert first.wait(JOB_TIMEOUT)
    app.run()
    assert any("Stopped after epoch" in w.value for w in app.warning)


def test_a_damaged_data_file_is_a_message_on_the_page(app, broken_data):
    open_page(app, "app_pages/data.py")
    message = " ".join(e.value for e in app.error)
    assert "The mnist data cannot be read" in message and "some files are missing" in message


def test_a_model_that_fails_to_predict_is_a_message_on_that_page_only(app):
    from mnist_core.engine.transfer import export_keras, import_keras
    from mnist_core.training.trainer import train

    run = train(TrainConfig(hidden=(16,), epochs=1, train_samples=1000))
    broken = import_keras(export_keras(run, 1), "odd.keras")

    def fail(images, epoch=None):
        raise ValueError("a shape it did not expect")

    broken.predict = fail
    app.session_state["imported"] = [broken]
    open_page(app, "app_pages/evaluate.py")
    assert "imported model odd.keras could not be run on the test set" in app.error[0].value
    draw_a_one_with_the_last_model(app)
    assert not app.exception
    assert "could not read the drawing (ValueError: a shape it did not expect)" in app.error[0].value


# --- runs that outlive the session and the server (mnist_core.store.rundir) -------------------------


def same_browser(learner: str) -> AppTest:
    """A new session of the app for the browser whose cookie holds `learner` (a reload)."""
    at = AppTest.from_file("../streamlit_app.py", default_timeout=90)
    at.session_state["learner"] = learner
    at.run()
    assert not at.exception
    return at


def home_runs(at) -> tuple[list[str], list[str]]:
    """Home's two lists: (your runs, recent runs on this server with an Add button)."""
    open_page(at, "app_pages/home.py")
    links = [link.label for link in at.get("page_link") if " epochs" in link.label]
    recent = len([b for b in at.button if b.label == "Add to my runs"])
    return links[:len(links) - recent], links[len(links) - recent:]


def test_a_reload_and_a_restart_keep_the_learners_runs(app):
    open_page(app, "app_pages/train.py")
    fill(app, **SMALL, f_validation="split")
    train_and_wait(app)
    mine, recent = home_runs(app)
    assert len(mine) == 1 and recent == []
    learner = app.session_state["learner"]
    assert home_runs(same_browser(learner)) == (mine, [])  # a reload: a new session, same cookie
    assert home_runs(same_browser("f" * 32)) == ([], mine)  # another browser: among the server's runs
    st.cache_resource.clear()  # a restarted server finds everything on disk
    again = same_browser(learner)
    assert home_runs(again) == (mine, [])
    config = next(iter(app.session_state["runs"]))
    open_page(again, "app_pages/train.py", **{**config.to_dict(), "epochs": str(SMALL["f_epochs"])})
    assert button(again, "Trained").disabled  # read back, not trained again
    assert not session_jobs(again)
    before, after = next(iter(app.session_state["runs"].values())), next(iter(again.session_state["runs"].values()))
    assert after is not before and [r.as_dict() for r in after.history] == [r.as_dict() for r in before.history]


def test_a_run_another_server_trains_is_followed_not_trained_twice(app, wait_until):
    """Another app server (a second Dask client on the same scheduler and run directory) trains
    a run: this page shows that very training, epoch by epoch, and can stop it; nothing trains
    it a second time."""
    from mnist_core.engine import cluster as engines
    from mnist_core.engine.runstore import RunStore

    open_page(app, "app_pages/train.py")
    fill(app, f_hidden_0=256, f_train_samples=20000, f_epochs=40, f_seed=77)
    config = TrainConfig.from_dict({k: v[0] if isinstance(v, list) else v for k, v in app.query_params.items()})
    here = run_store()
    other = engines.Engine(address=here.engine.client().scheduler.address).start()
    try:
        theirs = RunStore(disk=RunDirectory(here.disk.root), engine=other).request(config)
        wait_until(lambda: theirs.run is not None and theirs.run.epochs_done >= 1, what="their first epoch")
        app.run()
        seen = theirs.run
        assert "Train" not in labels(app) and "Stop" in labels(app), (  # following it, not a new one
            f"{labels(app)}; their run: {seen.status} {seen.epochs_done} {seen.message!r}; "
            f"their job done {theirs.done}; wanted {here.disk.wanted(config)}; this server's last view of the "
            f"queue {here.engine._snapshot}, its job {here._jobs.get(config.key())}\n{engine_state()}")
        mine = here.job(config)
        assert mine.future.key == theirs.future.key and not session_jobs(app)
        button(app, "Stop").click()
        app.run()
        assert theirs.wait(JOB_TIMEOUT) and mine.wait(JOB_TIMEOUT)
        app.run()
        assert any("Stopped after epoch" in w.value for w in app.warning)
        assert any(label.startswith("Continue to 40 epochs") for label in labels(app))
    finally:
        other.close()


def test_a_run_whose_server_died_mid_epoch_can_be_continued(app):
    open_page(app, "app_pages/train.py")
    fill(app, **SMALL, f_seed=78)
    train_and_wait(app)
    config = next(iter(app.session_state["runs"]))
    folder = run_store().disk.folder(config)
    with np.load(folder / "run.npz") as data:  # as a server killed during epoch 3 leaves it
        arrays = dict(data)
    meta = json.loads(bytes(arrays["meta"]).decode())
    meta["status"] = "running"
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(folder / "run.npz", **arrays)
    st.cache_resource.clear()  # the restart
    again = same_browser(app.session_state["learner"])
    open_page(again, "app_pages/train.py", **{**config.to_dict(), "epochs": "3"})
    assert any("stopped during epoch 3" in w.value for w in again.warning)
    train_and_wait(again, "Continue")
    assert next(iter(again.session_state["runs"].values())).epochs_done == 3


def test_the_chosen_epoch_holds_when_epochs_change_and_a_link_names_one(app):
    def look(at):
        return next(s for s in at.slider if s.key.startswith("epoch_"))

    open_page(app, "app_pages/train.py")
    fill(app, **{**SMALL, "f_epochs": 4})
    train_and_wait(app)
    look(app).set_value(2)
    app.run()
    fill(app, f_epochs=3)  # fewer epochs: the stored ones are shown, the chosen epoch stays
    assert look(app).value == 2 and look(app).max == 3
    fill(app, f_epochs=4)
    assert look(app).value == 2
    config = next(iter(app.session_state["runs"]))
    fresh = same_browser(app.session_state["learner"])
    open_page(fresh, "app_pages/train.py", **{**config.to_dict(), "epochs": "4", "epoch": "3"})
    assert look(fresh).value == 3  # a shared link's epoch is the one shown
    assert fresh.query_params["epoch"] in ("3", ["3"])


def test_an_unreachable_scheduler_is_said_on_train_and_the_rest_works(app, monkeypatch):
    from mnist_core.engine import cluster as engines
    bad = engines.Engine(address=f"tcp://127.0.0.1:{free_port()}")  # nobody listens there
    monkeypatch.setattr(engines, "_SHARED", bad)
    st.cache_resource.clear()  # a server started with this MNIST_LAB_SCHEDULER
    try:
        open_page(app, "app_pages/train.py")
        fill(app, **SMALL)
        button(app, "Train").click()
        app.run()
        message = " ".join(e.value for e in app.error)
        assert "Training is not available" in message and "could not be reached" in message
        assert engines.SCHEDULER_ENV in message
        open_page(app, "app_pages/data.py")
        assert app.title[0].value.startswith("Data") and not app.error
        open_page(app, "app_pages/draw.py")
        assert "default MNIST model" in app.caption[0].value
    finally:
        bad.close()
        st.cache_resource.clear()

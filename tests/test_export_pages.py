"""The Code view on Train, Compare and a lesson (AppTest): the script shown is the run's export,
with the script and the notebook to download."""

import pytest

from mnist_core.config import TrainConfig
from mnist_core.teaching import code_export as export
from mnist_core.teaching import lessons as L
from tests.test_app_pages import SMALL, fill, open_page, train_and_wait
from tests.test_lessons_page import guess_and_run


def downloads(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def shown_code(at) -> list[str]:
    return [c.value + "\n" for c in at.code]  # st.code drops the file's last newline


def open_code(at, *keys: str) -> None:
    """Open the code expanders (the code is drawn only while one is open, for the browser's sake)."""
    assert not shown_code(at), "the code is drawn while its expander is closed"
    for key in keys:
        at.session_state[key] = True
    at.run()


def test_train_shows_the_settings_as_a_script_before_and_after_training(app):
    config = TrainConfig(hidden=(64,), optimizer="adam", epochs=2, train_samples=2000, seed=3)
    open_page(app, "app_pages/train.py", **config.to_dict())
    open_code(app, "train_code_open")
    assert export.script(config) in shown_code(app)  # before training: the code of these settings
    assert {"Download the script (.py)", "Download the notebook (.ipynb)"} <= set(downloads(app))
    fill(app, **SMALL)
    train_and_wait(app)
    trained = export.script(TrainConfig(hidden=(32,), optimizer="adam", epochs=2, train_samples=2000, seed=3))
    assert trained in shown_code(app)  # the trained run's settings, below its results


def test_compare_offers_each_runs_code(app):
    open_page(app, "app_pages/train.py")
    fill(app, **SMALL)
    train_and_wait(app)
    fill(app, f_seed=5)
    train_and_wait(app)
    open_page(app, "app_pages/compare.py")
    open_code(app, "compare_code_open")
    app.selectbox(key="compare_code_run").set_value(2).run()
    code = shown_code(app)[-1]
    assert "keras.utils.set_random_seed(5)" in code and code.startswith('"""MNIST Lab run: mnist 32 relu')


@pytest.fixture
def small_lessons(monkeypatch):
    monkeypatch.setenv("MNIST_LAB_LESSON_IMAGES", "1000")


def test_a_lessons_runs_each_have_their_code(app, small_lessons):
    guess_and_run(app, "scaling", 1)
    configs = L.BY_SLUG["scaling"].configs
    open_code(app, *(f"lesson_scaling_{i}_code_open" for i in range(len(configs))))
    assert [export.script(c) for c in configs] == [c for c in shown_code(app) if c.startswith('"""MNIST Lab')]
    assert "x_train = x_train.reshape((-1, 784)).astype(\"float32\")\n" in shown_code(app)[0]  # raw pixels

"""Every run as a Keras script and a notebook: every setting exported, the files valid, and the
exported code run for real, reaching the app's test accuracy for the same settings.

The tolerance comes from `python -m bench.export_code --small` (the SMALL settings, seeds 0-4,
2 cores): between seeds the app's test accuracy moved by 0.84 points (sd 0.31), the script's by
1.93 (sd 0.73); the script minus the app, seed by seed, from -1.07 to +0.81 points. TOLERANCE is
about three standard deviations of that difference (sqrt(0.31² + 0.73²) = 0.79 points).
"""

import difflib
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from bench.export_code import SMALL
from mnist_core.cli import main as cli_main
from mnist_core.config import FIELD, TrainConfig
from mnist_core.data.datasets import data_dir
from mnist_core.teaching import code_export as export

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 0.025  # test accuracy, script or notebook against the app, same settings and seed
BASE = TrainConfig(hidden=(32,), epochs=1, train_samples=1000, validation="split:0.2", seed=0)

# One configuration for every value of every choice, every validation mode, raw pixels, a subset,
# early stopping and keep-best, and the clothes.
# (SGD takes larger steps to learn anything in one short epoch.)
EVERY = ([replace(BASE, optimizer=o, learning_rate=0.05 if o in ("sgd", "momentum") else 0.001)
          for o in FIELD["optimizer"].values]
         + [replace(BASE, loss=v) for v in FIELD["loss"].values]
         + [replace(BASE, activation=v) for v in FIELD["activation"].values]
         + [replace(BASE, augment=v) for v in FIELD["augment"].values]
         + [replace(BASE, validation=v) for v in ("none", "test", "split:0.3")]
         + [replace(BASE, normalize=False), replace(BASE, train_samples=None),
            replace(BASE, hidden=(32, 16), dropout=(0.5, 0.0), epochs=3, early_stopping=1),
            replace(BASE, epochs=2, keep_best=True), replace(BASE, early_stopping=2, keep_best=True),
            replace(BASE, dataset="fashion_mnist")])


def python_env() -> dict:
    return {**os.environ, "MNIST_LAB_DATA": str(data_dir()), "TF_CPP_MIN_LOG_LEVEL": "2"}


def accuracies(output: str) -> list[float]:
    return [float(v) for v in re.findall(r"^test accuracy: ([0-9.]+)$", output, re.M)]


@pytest.mark.parametrize("config", EVERY, ids=lambda c: c.describe() + f" {c.validation} {c.augment} {c.loss}")
def test_every_setting_exports_a_script_that_says_it(config):
    code = export.script(config)
    compile(code, export.SCRIPT_NAME, "exec")  # valid Python
    assert f"keras.utils.set_random_seed({config.seed})" in code
    assert f"epochs={config.epochs}, batch_size={config.batch_size}" in code
    assert f'loss="{config.loss}"' in code and f'activation="{config.activation}"' in code
    optimizer = {"sgd": "SGD(learning_rate", "momentum": "momentum=0.9", "rmsprop": "RMSprop(", "adam": "Adam("}
    assert optimizer[config.optimizer] in code
    assert ("validation_data=(x_test, y_test)" in code) == (config.validation == "test")
    assert ("validation_split=" in code) == config.validation.startswith("split")
    assert ("/ 255" in code) == config.normalize
    assert ("to_categorical" in code) == (config.loss != "sparse_categorical_crossentropy")
    assert (f"x_train[:{config.train_samples}]" in code) == bool(config.train_samples)
    assert ("RandomRotation" in code) == (config.augment in ("move", "all"))
    assert ("RandomStroke()" in code) == (config.augment in ("stroke", "all"))
    assert ("restore_best_weights=True" in code) == config.keep_best
    if config.early_stopping:
        assert f"patience={config.early_stopping}" in code
    assert ('"fashion-mnist"' in code) == (config.dataset == "fashion_mnist")
    for units, rate in zip(config.hidden, config.dropout):
        assert f'layers.Dense({units}, activation="{config.activation}")' in code
        assert (f"layers.Dropout({rate:g})" in code) == (rate > 0)


def test_two_exports_differ_only_where_their_settings_do():
    a, b = export.script(TrainConfig()), export.script(TrainConfig(learning_rate=0.01))
    changed = [line for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed and all("0.001" in line or "0.01" in line for line in changed), changed


def test_the_notebook_is_valid_nbformat_4_and_each_step_is_a_sentence_then_code():
    config = replace(BASE, augment="all", keep_best=True)
    raw = export.notebook_text(config)
    notebook = nbformat.reads(raw, as_version=4)
    nbformat.validate(notebook)  # the official schema
    cells = notebook.cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# MNIST Lab run")
    kinds = [c.cell_type for c in cells[1:]]
    assert kinds == ["markdown", "code"] * (len(cells) // 2)
    sentences = [c.source for c in cells[1:] if c.cell_type == "markdown"]
    assert all(s.endswith(".") and "\n" not in s for s in sentences)
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    assert code.replace("\n", "") == "".join(s.code.replace("\n", "") for s in export.steps(config))


def run_python(code: str, cwd: Path, env: dict | None = None) -> str:
    path = cwd / "exported.py"
    path.write_text(code)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, cwd=cwd,
                          env=env or python_env(), timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_every_kind_of_setting_runs_as_exported(tmp_path):
    """All of EVERY's scripts, one after the other in one fresh Python (one TensorFlow start)."""
    driver = "import runpy, sys\n" + "".join(
        f"runpy.run_path({str(tmp_path / f'run{i}.py')!r}, run_name='__main__')\n" for i in range(len(EVERY)))
    for i, config in enumerate(EVERY):
        (tmp_path / f"run{i}.py").write_text(export.script(config))
    found = accuracies(run_python(driver, tmp_path))
    assert len(found) == len(EVERY)
    for config, accuracy in zip(EVERY, found):
        assert 0.15 < accuracy <= 1.0, (config, accuracy)  # each learnt something in its one epoch or three


def test_run_from_the_apps_folder_the_script_finds_the_shipped_files(tmp_path):
    env = {k: v for k, v in python_env().items() if k != "MNIST_LAB_DATA"}
    code = export.script(replace(BASE, train_samples=500))
    path = tmp_path / "from_the_checkout.py"
    path.write_text(code)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "training images: (500, 28, 28)" in done.stdout and accuracies(done.stdout)


def test_the_exported_script_and_notebook_reach_the_apps_test_accuracy(tmp_path):
    from mnist_core.training.trainer import TrainingRun

    app = TrainingRun(SMALL)
    app.train_to(SMALL.epochs)
    (script_accuracy,) = accuracies(run_python(export.script(SMALL), tmp_path))
    cells = [c["source"] for c in export.notebook(SMALL)["cells"] if c["cell_type"] == "code"]
    (notebook_accuracy,) = accuracies(run_python("\n\n".join("".join(c) for c in cells), tmp_path))
    assert abs(script_accuracy - app.test_accuracy) <= TOLERANCE, (script_accuracy, app.test_accuracy)
    assert abs(notebook_accuracy - app.test_accuracy) <= TOLERANCE, (notebook_accuracy, app.test_accuracy)


def test_export_code_on_the_command_line(tmp_path, capsys):
    assert cli_main(["export-code", "--hidden", "128", "--optimizer", "adam", "--notebook",
                     str(tmp_path / "run.ipynb")]) == 0
    out = capsys.readouterr().out
    assert out == export.script(TrainConfig(hidden=(128,), optimizer="adam"))
    nbformat.validate(nbformat.read(tmp_path / "run.ipynb", as_version=4))
    assert json.loads((tmp_path / "run.ipynb").read_text())["nbformat"] == 4
    with pytest.raises(SystemExit) as exit_:
        cli_main(["export-code", "--keep-best", "--validation", "none"])
    assert exit_.value.code == 2
    assert "choose a validation set" in capsys.readouterr().err

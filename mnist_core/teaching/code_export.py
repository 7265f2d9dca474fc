"""Every run as a short Keras script and a Jupyter notebook that reproduce it with model.fit.

Both are made from one list of steps, each a plain sentence and its code, so a script and a
notebook of the same run say the same thing, and two runs' exports differ only where their
settings do. The code is written the way the classic introductory material writes it: load
the data, scale it, a Sequential of Dense and Dropout layers, compile, fit, evaluate.

The app trains with its own compiled loop (mnist_core.training.trainer); the export uses model.fit,
with Keras' own random starting weights, shuffling and dropout masks for the seed. Its numbers
therefore land near the app's, within what another seed would give, not on them: the README
gives the measured difference. No TensorFlow here: this only writes text.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass

from mnist_core.config import DATASET_TITLES, TrainConfig
from mnist_core.data.datasets import FOLDERS

SCRIPT_NAME = "mnist_lab_run.py"
# Measured with `python -m bench.export_code` (README, "From the app to code").
DIFFERENCE = ("MNIST Lab trains with its own compiled loop; this uses Keras' model.fit, so the numbers differ a "
              "little, as another seed's would: on the classic network, the script's test accuracy was 0.14 and "
              "0.17 points above the app's for seeds 0 and 1 (the two seeds themselves were 0.2 points apart).")
_OPTIMIZERS = {"sgd": "SGD({lr})", "momentum": "SGD({lr}, momentum=0.9)", "rmsprop": "RMSprop({lr})",
               "adam": "Adam({lr})"}


@dataclass(frozen=True)
class Step:
    said: str  # one plain sentence: a comment in the script, a markdown cell in the notebook
    code: str


def _number(value: float) -> str:
    """0.001, not 1e-03; 1.0 as 1.0."""
    text = f"{value:.10f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def title(config: TrainConfig) -> str:
    return f"MNIST Lab run: {config.describe()}"


def _load_step(config: TrainConfig) -> Step:
    folder = FOLDERS[config.dataset]
    code = f'''def read_idx(path):
    """An IDX file as a numpy array: a small header, then the bytes of the array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


folder = Path(os.environ.get("MNIST_LAB_DATA", "mnist_core/data/idx")) / "{folder}"
if (folder / "train-images-idx3-ubyte.gz").exists():
    x_train, y_train, x_test, y_test = (read_idx(folder / f"{{name}}-ubyte.gz") for name in (
        "train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1"))
else:
    (x_train, y_train), (x_test, y_test) = keras.datasets.{config.dataset}.load_data()'''
    if config.train_samples:
        code += f"\nx_train, y_train = x_train[:{config.train_samples}], y_train[:{config.train_samples}]"
    code += '\nprint("training images:", x_train.shape, "test images:", x_test.shape)'
    said = (f"Load {DATASET_TITLES[config.dataset]}: the files MNIST Lab ships (run this from the app's folder, "
            "or set MNIST_LAB_DATA to the folder that holds them), else Keras downloads them.")
    if config.train_samples:
        said += f" This run trains on the first {config.train_samples:,} training images only."
    return Step(said, code)


def _scale_step(config: TrainConfig) -> Step:
    shape = "(-1, 28, 28, 1)" if config.augment != "off" else "(-1, 784)"
    scale = " / 255" if config.normalize else ""
    code = (f'x_train = x_train.reshape({shape}).astype("float32"){scale}\n'
            f'x_test = x_test.reshape({shape}).astype("float32"){scale}')
    if not config.sparse_labels:
        code += "\ny_train = keras.utils.to_categorical(y_train, 10)\ny_test = keras.utils.to_categorical(y_test, 10)"
    flat = "keep each image as a 28x28 grid for the augmentation layers" if config.augment != "off" else \
        "flatten each 28x28 image into a row of 784 numbers"
    said = (f"Prepare the data: {flat}, " + ("and scale the pixels from 0-255 to 0-1" if config.normalize else
                                              "and leave the pixels as 0-255 (this run does not scale them)"))
    said += "." if config.sparse_labels else "; turn each label into a row of ten 0s and one 1 (one-hot)."
    return Step(said, code)


def _augment_code(config: TrainConfig) -> tuple[list[str], str]:
    """(the layers that change each training image, the class they need, or "")."""
    layers = []
    if config.augment in ("move", "all"):
        blank = 'fill_mode="constant"'  # what moves in from outside is background (0), not a mirror image
        layers += [f"layers.RandomRotation(20 / 360, {blank})", f"layers.RandomShear(0.2, 0.2, {blank})",
                   f"layers.RandomZoom(0.2, 0.2, {blank})", f"layers.RandomTranslation(2 / 28, 2 / 28, {blank})"]
    helper = ""
    if config.augment in ("stroke", "all"):
        layers.append("RandomStroke()")
        helper = '''class RandomStroke(layers.Layer):
    """While training, makes each image's strokes thinner (a 3x3 erosion) or thicker (one or two 3x3
    dilations), or leaves them, at random."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed = keras.random.SeedGenerator()

    def call(self, x, training=False):
        if not training:
            return x

        def grow(v):
            return keras.ops.max_pool(v, 3, strides=1, padding="same")

        versions = keras.ops.stack([-grow(-x), x, grow(x), grow(grow(x))])  # (4, batch, 28, 28, 1)
        pick = keras.random.randint((keras.ops.shape(x)[0],), 0, 4, seed=self.seed)
        return keras.ops.take_along_axis(versions, pick[None, :, None, None, None], axis=0)[0]


'''
    return layers, helper


def _model_step(config: TrainConfig) -> Step:
    augment, helper = _augment_code(config)
    lines = ["keras.Input(shape=(28, 28, 1))," if augment else "keras.Input(shape=(784,)),"]
    lines += [f"{layer}," for layer in augment] + (["layers.Flatten(),"] if augment else [])
    for units, rate in zip(config.hidden, config.dropout):
        lines.append(f'layers.Dense({units}, activation="{config.activation}"),')
        if rate > 0:
            lines.append(f"layers.Dropout({_number(rate)}),")
    lines.append('layers.Dense(10, activation="softmax"),')
    code = helper + "model = keras.Sequential([\n" + "".join(f"    {line}\n" for line in lines) + "])\nmodel.summary()"
    layers_said = " and ".join(f"{u} {config.activation} units" for u in config.hidden)
    said = (f"Build the network: {len(config.hidden)} hidden Dense layer{'s' if len(config.hidden) > 1 else ''} "
            f"of {layers_said}" + (" with dropout" if any(config.dropout) else "") +
            ", then 10 softmax outputs, one per class.")
    if augment:
        said += (" The first layers change every training image at random (" +
                 ("turned, slanted, resized and shifted" if config.augment == "move" else
                  "thinner or thicker strokes" if config.augment == "stroke" else
                  "turned, slanted, resized, shifted, thinner or thicker strokes") + "); they do nothing at test time.")
    return Step(said, code)


def _compile_step(config: TrainConfig) -> Step:
    optimizer = _OPTIMIZERS[config.optimizer].format(lr=f"learning_rate={_number(config.learning_rate)}")
    code = (f"model.compile(optimizer=keras.optimizers.{optimizer},\n"
            f'              loss="{config.loss}",\n              metrics=["accuracy"])')
    said = (f"Choose how it learns: the {config.optimizer if config.optimizer != 'momentum' else 'SGD with momentum'} "
            f"optimizer with learning rate {_number(config.learning_rate)}, and {config.loss.replace('_', ' ')} "
            "as the loss to minimise.")
    return Step(said, code)


def _fit_step(config: TrainConfig) -> Step:
    args = [f"epochs={config.epochs}", f"batch_size={config.batch_size}"]
    if config.validation == "test":
        args.append("validation_data=(x_test, y_test)")
    elif config.validation_fraction:
        args.append(f"validation_split={_number(config.validation_fraction)}")
    callbacks = ""
    if config.early_stopping or config.keep_best:
        # Keras' EarlyStopping is also how Keras keeps the best epoch: with patience as long as
        # the run, it never stops, and at the end it puts back the best epoch's weights.
        patience = config.early_stopping or config.epochs
        best = ", restore_best_weights=True" if config.keep_best else ""
        callbacks = f'stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience={patience}{best})\n'
        args.append("callbacks=[stop]")
    code = callbacks + "history = model.fit(x_train, y_train, " + ", ".join(args + ["verbose=2"]) + ")"
    said = f"Train: {config.epochs} passes over the training images in batches of {config.batch_size}"
    said += {"test": ", checked on the test set after each (which spends the test set: the app explains why)",
             "none": ""}.get(config.validation, f", with the last {config.validation_fraction:.0%} of them held "
                                                 "back to check each epoch against")
    if config.early_stopping:
        said += (f"; stop when the validation loss has not improved for {config.early_stopping} "
                 f"epoch{'s' if config.early_stopping > 1 else ''}")
    if config.keep_best:
        said += "; at the end, keep the weights of the epoch with the lowest validation loss"
    return Step(said + ".", code)


def steps(config: TrainConfig) -> list[Step]:
    """The run as steps, in order: imports, seed, data, model, compile, fit, evaluate."""
    return [
        Step("Import numpy and Keras (Keras 3, on TensorFlow).",
             "import gzip\nimport os\nfrom pathlib import Path\n\nimport keras\nimport numpy as np\n"
             "from keras import layers"),
        Step(f"Fix the random seed ({config.seed}), so that every run of this code starts from the same weights.",
             f"keras.utils.set_random_seed({config.seed})"),
        _load_step(config), _scale_step(config), _model_step(config), _compile_step(config), _fit_step(config),
        Step("Measure it on the test images, which training never used.",
             'test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)\n'
             'print(f"test accuracy: {test_accuracy:.4f}")'),
    ]


def script(config: TrainConfig) -> str:
    """The run as a Python script: run it with `python mnist_lab_run.py`."""
    config = config.validate()
    head = f'"""{title(config)}.\n\n' + textwrap.fill(f"Exported from MNIST Lab. {DIFFERENCE}", 96) + \
        f'\n\nRun it with: python {SCRIPT_NAME}\n"""\n'
    parts = [head]
    for step in steps(config):
        comment = "\n".join("# " + line for line in textwrap.wrap(step.said, 96))
        parts.append(f"{comment}\n{step.code}\n")
    return "\n".join(parts)


def _cell(kind: str, text: str) -> dict:
    cell = {"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def notebook(config: TrainConfig) -> dict:
    """The run as a Jupyter notebook (nbformat 4): each step a sentence, then its code."""
    config = config.validate()
    cells = [_cell("markdown", f"# {title(config)}\n\nExported from MNIST Lab. {DIFFERENCE}")]
    for step in steps(config):
        cells += [_cell("markdown", step.said), _cell("code", step.code)]
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}}, "cells": [dict(c, id=f"cell-{i}") for i, c in enumerate(cells)]}


def notebook_text(config: TrainConfig) -> str:
    return json.dumps(notebook(config), indent=1) + "\n"


def file_stem(config: TrainConfig) -> str:
    """A file name for a run's export: mnist_512_rmsprop_seed0."""
    return f"{config.dataset}_{'-'.join(map(str, config.hidden))}_{config.optimizer}_seed{config.seed}"

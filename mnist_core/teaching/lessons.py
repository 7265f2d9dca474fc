"""The lessons: the classic experiments on dense networks, one source of truth.

Each lesson asks a question, offers a few outcomes to guess from, names the run(s) that answer
it (fixed seeds and settings, so a whole class shares the same runs), and knows how to read
those runs: the key numbers next to the reference numbers of the classic material, which guess
the numbers support, the chart to draw and why it happened. The Lessons page shows them;
bench/lessons.py runs them at full size; tests check each is complete and valid.

The classic material is the introductory MNIST notebooks (Keras' first examples); where its
numbers came from an older Keras and today's differ, the lesson says so instead of being tuned.
No Streamlit, no TensorFlow here.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from mnist_core.analysis.evaluate import pct
from mnist_core.analysis.handwriting import score
from mnist_core.config import FIELD, TrainConfig
from mnist_core.input.drawings import unlike_set, written_set
from mnist_core.model.runs import DEFAULT_MODEL, load_run_file
from mnist_core.model.taught import teach_config
from mnist_core.store.taught import SCRIPT_SETS, SHIPPED, script_set

log = logging.getLogger("mnist_lab")

# The classic first network: Dense 512 relu, Dense 10 softmax, rmsprop, categorical cross-entropy,
# batch 128, inputs scaled to 0-1, trained on all 60,000 images and checked on the test set.
CLASSIC = TrainConfig(hidden=(512,), epochs=5, batch_size=128, validation="none", seed=0)
DEEPER = TrainConfig(hidden=(512, 512), dropout=(0.2, 0.2), epochs=20, validation="split:0.2", keep_best=True,
                     seed=0)
SMALL_SET = 5000  # images for the dropout lesson: few enough that a big network overfits quickly


@dataclass(frozen=True)
class Lesson:
    """One experiment. `read(runs)` gets the lesson's runs (in the order of `runs`) once all are
    trained and returns what happened: rows of (what, this run, reference), the index of the
    guess the numbers support, and a sentence saying what happened."""

    slug: str  # the deep link: /lessons?lesson=<slug>
    title: str
    question: str
    runs: tuple[tuple[str, TrainConfig], ...]  # (name shown on charts, configuration)
    guesses: tuple[str, ...]
    read: Callable[[list], Outcome]
    chart: str  # a metric of the history rows ("val_loss", "test_accuracy"...), or "baseline"
    why: str  # two or three sentences
    source: str  # the reference numbers and where they differ today
    next_step: tuple[str, str] | None = None  # (page, label): where the lesson goes on in the app

    @property
    def configs(self) -> list[TrainConfig]:
        """The lesson's configurations as this server runs them (see `lesson_images`)."""
        images = lesson_images()
        if images is None:
            return [config for _, config in self.runs]
        return [config if config.teach else replace(config, train_samples=min(config.train_samples or images, images))
                for _, config in self.runs]  # a taught run's images are its drawings and its replay


@dataclass(frozen=True)
class Outcome:
    rows: list  # (what, measured here, reference)
    answer: int  # the guess the numbers support
    said: str  # what happened, in a sentence


def lesson_images() -> int | None:
    """MNIST_LAB_LESSON_IMAGES: train every lesson on at most this many images (a small server,
    or the tests); unset or "all": the classic sizes. A bad value is logged and ignored."""
    raw = os.environ.get("MNIST_LAB_LESSON_IMAGES", "all").strip().lower()
    if raw in ("", "all"):
        return None
    if raw.isdigit() and 500 <= int(raw) <= 60_000:
        return int(raw)
    log.warning("MNIST_LAB_LESSON_IMAGES=%r: use a number of images from 500 to 60000, or all; ignored", raw)
    return None


# --- reading runs ------------------------------------------------------------------


def last(run):
    return run.history[-1] if run.history else None


def final_test(run) -> str:
    """The run's test accuracy, or why it has none."""
    if run.status == "diverged" and not run.history:
        return "diverged in epoch 1"
    return pct(run.test_accuracy) + (" (then diverged)" if run.status == "diverged" else "")


def seconds_per_epoch(run) -> float:
    return sum(r.seconds for r in run.history) / max(len(run.history), 1)


def _read_baseline(runs: list) -> Outcome:
    run = runs[0]
    before, after = run.baseline_accuracy, run.history[0].test_accuracy
    answer = 0 if before < 0.2 else 1 if before < 0.6 else 2
    return Outcome([("test accuracy before training", pct(before), "about 10%: one class in ten"),
                    ("after one epoch", pct(after), "")], answer,
                   f"Before training the network was right on {pct(before)} of the test images; "
                   f"one epoch later on {pct(after)}.")


def _read_classic(runs: list) -> Outcome:
    run = runs[0]
    test = run.test_accuracy
    answer = 0 if test < 0.94 else 1 if test < 0.99 else 2
    return Outcome([("training accuracy", pct(last(run).accuracy), "98.9%"),
                    ("test accuracy", pct(test), "97.9%"),
                    ("weights", f"{run.params:,}", "407,050")], answer,
                   f"Five epochs took {sum(r.seconds for r in run.history):.0f} s of training and reached "
                   f"{pct(test)} on images the network had never seen.")


def _read_scaling(runs: list) -> Outcome:
    raw, scaled = runs
    gap = scaled.test_accuracy - raw.test_accuracy
    answer = 1 if gap > 0.01 else 2 if gap < -0.01 else 0
    return Outcome([("training accuracy, raw 0-255", pct(last(raw).accuracy), "about 83%"),
                    ("training accuracy, scaled 0-1", pct(last(scaled).accuracy), "about 95%"),
                    ("test accuracy, raw / scaled", f"{pct(raw.test_accuracy)} / {pct(scaled.test_accuracy)}", "")],
                   answer, f"Scaling the pixels changed test accuracy by {gap * 100:+.1f} points.")


def _read_batches(runs: list) -> Outcome:
    tiny, usual = runs
    slower = seconds_per_epoch(tiny) > seconds_per_epoch(usual)
    answer = 0 if tiny.config.updates_per_epoch > usual.config.updates_per_epoch and slower else 2 if not slower else 1
    return Outcome([("updates per epoch, batch 10", f"{tiny.config.updates_per_epoch:,}", "6,000"),
                    ("updates per epoch, batch 128", f"{usual.config.updates_per_epoch:,}", "469"),
                    ("seconds per epoch, 10 / 128", f"{seconds_per_epoch(tiny):.1f} / {seconds_per_epoch(usual):.1f}", ""),
                    ("test accuracy, 10 (2 epochs) / 128 (5 epochs)",
                     f"{pct(tiny.test_accuracy)} / {pct(usual.test_accuracy)}", "")], answer,
                   f"Batch 10 made {tiny.config.updates_per_epoch / usual.config.updates_per_epoch:.0f} times as many updates "
                   f"per epoch and each epoch took {seconds_per_epoch(tiny) / seconds_per_epoch(usual):.1f} times as long.")


def _read_overfitting(runs: list) -> Outcome:
    run = runs[0]
    best = run.best_epoch
    rows = run.history
    rose = rows[-1].val_loss > rows[best - 1].val_loss
    train_fell = rows[-1].loss < rows[best - 1].loss
    answer = 1 if best < len(rows) - 1 and rose and train_fell else 0 if best >= len(rows) - 1 else 2
    return Outcome([("best epoch (lowest validation loss)", str(best), "a few epochs in"),
                    ("validation loss at best / last epoch", f"{rows[best - 1].val_loss:.3f} / {rows[-1].val_loss:.3f}", "rises"),
                    ("training loss at best / last epoch", f"{rows[best - 1].loss:.3f} / {rows[-1].loss:.3f}", "keeps falling"),
                    ("test accuracy with the best epoch's weights", pct(run.test_accuracy), "about 98%"),
                    ("weights", f"{run.params:,}", "669,706")], answer,
                   f"Validation loss was lowest at epoch {best} of {len(rows)}; keeping that epoch's weights "
                   f"gives {pct(run.test_accuracy)} on the test set.")


def _read_clothing(runs: list) -> Outcome:
    run = runs[0]
    test = run.test_accuracy
    answer = 0 if test > 0.95 else 1 if test > 0.8 else 2
    return Outcome([("training accuracy", pct(last(run).accuracy), "about 91%"),
                    ("test accuracy", pct(test), "about 88%")], answer,
                   f"The same kind of network reaches {pct(test)} on clothes, against about 98% on digits.")


def _read_test_as_validation(runs: list) -> Outcome:
    run = runs[0]
    val, test = last(run).val_accuracy, last(run).test_accuracy
    answer = 0 if abs(val - test) < 1e-6 else 1 if val > test else 2
    return Outcome([("validation accuracy, last epoch", pct(val), "equal to the test accuracy"),
                    ("test accuracy, last epoch", pct(test), "")], answer,
                   "Validation and test accuracy are the same number: the validation images are the test images.")


def both(a: float, b: float, show=pct) -> str:
    """Two figures side by side, as the lessons' tables compare them: "97.80% / 98.10%"."""
    return f"{show(a)} / {show(b)}"


def _read_mse(runs: list) -> Outcome:
    mse, ce = runs
    first_gap = ce.history[0].test_accuracy - mse.history[0].test_accuracy
    answer = 2 if mse.test_accuracy < 0.5 else 1 if first_gap > 0.005 else 0
    return Outcome([("test accuracy after epoch 1, MSE / cross-entropy",
                     both(mse.history[0].test_accuracy, ce.history[0].test_accuracy), "MSE behind"),
                    ("test accuracy after the last epoch, MSE / cross-entropy",
                     both(mse.test_accuracy, ce.test_accuracy), "both train")], answer,
                   f"After one epoch mean squared error was {first_gap * 100:.1f} points behind cross-entropy; "
                   f"after {len(mse.history)} epochs {(ce.test_accuracy - mse.test_accuracy) * 100:.1f} points.")


def _read_dropout(runs: list) -> Outcome:
    plain, dropped = runs

    def gap(run):
        return last(run).accuracy - last(run).val_accuracy

    answer = 0 if gap(dropped) < gap(plain) - 0.005 else 2 if gap(dropped) > gap(plain) + 0.005 else 1
    return Outcome([("training - validation accuracy, last epoch, without / with dropout",
                     f"{gap(plain) * 100:.1f} / {gap(dropped) * 100:.1f} points", "smaller with dropout"),
                    ("best validation loss, without / with", both(min(r.val_loss for r in plain.history),
                                                                  min(r.val_loss for r in dropped.history), "{:.3f}".format), ""),
                    ("test accuracy at the best epoch, without / with", both(plain.test_accuracy, dropped.test_accuracy), "")],
                   answer,
                   f"Without dropout the network ended {gap(plain) * 100:.1f} points better on its training images "
                   f"than on the validation images; with dropout {gap(dropped) * 100:.1f} points.")


def _read_learning_rate(runs: list) -> Outcome:
    scores = [r.test_accuracy if r.history and r.status != "diverged" else 0.0 for r in runs]
    middle_best = scores.index(max(scores)) not in (0, len(scores) - 1)
    rising = scores == sorted(scores)
    answer = 1 if middle_best else 0 if rising else 2
    rates = [name.split(":")[0] for name, _ in LEARNING_RATES]  # as written for people: 0.00001, not 1e-05
    rows = [(f"learning rate {rate}: test accuracy", final_test(run), "") for rate, run in zip(rates, runs)]
    return Outcome(rows, answer, f"The best test accuracy came from learning rate {rates[scores.index(max(scores))]}.")


def _read_handwriting(runs: list) -> Outcome:
    plain, augmented = runs
    drawn = written_set()
    read = [score(run, run.final_epoch, drawn).accuracy for run in runs]
    drop = plain.test_accuracy - read[0]
    answer = 0 if drop < 0.01 else 2 if read[0] < 0.3 else 1
    return Outcome([("MNIST's test set, plain / augmented", f"{pct(plain.test_accuracy)} / "
                     f"{pct(augmented.test_accuracy)}", "about 98%"),
                    (f"{len(drawn)} digits written by a script, plain / augmented", f"{pct(read[0])} / {pct(read[1])}",
                     "")], answer,
                   f"The network that reads {pct(plain.test_accuracy)} of MNIST's test digits reads {pct(read[0])} "
                   f"of digits written stroke by stroke in other styles; trained on moved and re-stroked copies, "
                   f"{pct(read[1])}.")


class Later(Sequence):
    """A lesson's runs, made when first asked for: the teaching lesson's name drawings that a script
    writes (half a second), which no page that imports the lessons should wait for."""

    def __init__(self, make: Callable[[], tuple]):
        self._make = make

    @functools.cached_property
    def _items(self) -> tuple:
        return self._make()

    def __getitem__(self, index):
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)


def _teach_runs() -> tuple:
    """The shipped network taught 2, 5 and 20 drawings of each class of the script's other hand (with
    replay), and the 20 without replay."""
    shipped = load_run_file(DEFAULT_MODEL)
    sets = [script_set(*spec) for spec in SCRIPT_SETS]

    def taught(drawings, replay=None):
        return teach_config(shipped.config, SHIPPED, shipped.epochs_done, drawings, replay=replay)

    return (("2 of each class", taught(sets[0])), ("5 of each class", taught(sets[1])),
            ("20 of each class", taught(sets[2])), ("20 of each, no replay", taught(sets[2], replay=0.0)))


TEACH_STYLE = (500, 104)  # the same hand, other drawings: what the teaching lesson scores on


def _read_teach(runs: list) -> Outcome:
    style = unlike_set(*TEACH_STYLE)
    base = runs[0]
    before = float((base.predict(style.images, 0).argmax(1) == style.labels).mean())
    after = [float((r.predict(style.images, r.epochs_done).argmax(1) == style.labels).mean()) for r in runs]
    enough = [i for i, a in enumerate(after[:3]) if a >= 0.9]
    answer = enough[0] if enough else 3
    names = ("2 of each class", "5 of each class", "20 of each class")
    rows = [(f"taught {name}: {len(style)} new drawings of the hand", f"{pct(before)} to {pct(a)}", "")
            for name, a in zip(names, after)]
    rows += [("test set, before / after 20 of each", both(base.baseline_accuracy, runs[2].test_accuracy), ""),
             ("test set, 20 of each without replay", pct(runs[3].test_accuracy), "")]
    lost = 100 * (runs[2].test_accuracy - runs[3].test_accuracy)
    return Outcome(rows, answer,
                   f"It read {pct(before)} of the new hand before; taught 20 drawings of each class, {pct(after[2])}. "
                   f"Without replay it read the test set {lost:.1f} points worse than with it.")


LEARNING_RATES = (
    ("0.00001: too small", replace(CLASSIC, learning_rate=0.00001, validation="split:0.2")),
    ("0.001: the default", replace(CLASSIC, validation="split:0.2")),
    ("0.1: too large", replace(CLASSIC, learning_rate=0.1, validation="split:0.2")),
    ("1: far too large", replace(CLASSIC, learning_rate=1.0, validation="split:0.2")),
)

LESSONS = (
    Lesson(
        "chance", "Chance: a network before training",
        "A network starts with random weights. Before it has seen a single training image, how often "
        "does it name the right digit?",
        (("the classic network", replace(CLASSIC, epochs=1)),),
        ("About 10% of the time: it guesses", "About half the time", "Almost always: the layers are made for digits"),
        _read_baseline, "baseline",
        "With random weights the outputs say nothing about the image, so the network is right about as often as a "
        "guess: one time in ten, since there are ten classes. Any accuracy a run reaches is measured against "
        "that floor, not against zero.",
        "The classic material: an untrained model scores near chance, about 10%."),
    Lesson(
        "classic", "The classic first network",
        "One hidden layer of 512 relu units, trained for 5 epochs on the 60,000 training images. How well does "
        "it read digits it has never seen?",
        (("the classic network", CLASSIC),),
        ("About 90%", "About 98%", "More than 99.5%"),
        _read_classic, "test_accuracy",
        "Five passes over 60,000 images, in batches of 128, adjust 407,050 weights 2,345 times. The test images "
        "were never used for that, so their accuracy is a fair estimate of how the network does on new digits; "
        "training accuracy is a little higher because the network has seen those images.",
        "The classic material saw about 98.9% training and 97.9% test accuracy."),
    Lesson(
        "scaling", "Forgetting to scale the pixels",
        "Pixels go from 0 to 255. What happens if we feed them to the network as they are, instead of dividing "
        "by 255 first?",
        (("raw 0-255", replace(CLASSIC, hidden=(32,), normalize=False)),
         ("scaled 0-1", replace(CLASSIC, hidden=(32,)))),
        ("No difference: the network adapts to the scale", "Raw pixels do clearly worse",
         "Raw pixels do better: bigger numbers, stronger signal"),
        _read_scaling, "test_accuracy",
        "The starting weights and the learning rate are chosen for inputs of about one. Inputs of up to 255 make "
        "the first weighted sums hundreds of times too large, so early steps overshoot and many relu units end up "
        "stuck. Scaling costs one division and makes training steady.",
        "The classic material saw about 83% training accuracy with raw pixels against about 95% scaled; with "
        "today's Keras the raw network does better than that (about 90%), and still clearly worse."),
    Lesson(
        "batches", "Tiny batches and the number of updates",
        "The weights change once per batch. With batches of 10 images instead of 128, what happens to an epoch?",
        (("batch 10, 2 epochs", replace(CLASSIC, batch_size=10, epochs=2)),
         ("batch 128, 5 epochs", CLASSIC)),
        ("Many more updates per epoch, and each epoch takes longer", "The same number of updates, each smaller",
         "Each epoch is quicker, since the batches are small"),
        _read_batches, "test_accuracy",
        "An epoch is one pass over the training images, so it holds ceil(60,000 / batch size) updates: 6,000 with "
        "batches of 10 and 469 with 128. Each small update is cheap, but a computer works far faster on big "
        "batches, so the epoch takes longer; the noisier steps still learn well.",
        "The classic material: 6,000 updates per epoch with batch 10 against 469 with batch 128."),
    Lesson(
        "overfitting", "A deeper network overfits: keep the best epoch",
        "Two hidden layers of 512 units, 20 epochs, with 20% of the training images held back to validate. "
        "What do the validation loss and the training loss do?",
        (("512-512, dropout 0.2", DEEPER),),
        ("Both keep falling for all 20 epochs",
         "Validation loss is lowest after a few epochs, then rises while training loss keeps falling",
         "Both rise after a few epochs"),
        _read_overfitting, "loss",
        "After a few epochs the network starts to learn details of its own training images that do not hold for "
        "new ones: training loss keeps falling, validation loss turns up. That turn is the best epoch, and "
        "'keep the best' hands out the weights from there instead of the last ones.",
        "The classic material: the best validation loss comes after a few epochs and the best weights give about "
        "98% test accuracy; the network has 669,706 weights."),
    Lesson(
        "clothing", "Clothes instead of digits",
        "Fashion-MNIST has the same shape as MNIST: 28x28 grey images of ten kinds of clothing. How well does a "
        "dense network of 128 units do on it?",
        (("Fashion-MNIST 128", TrainConfig(dataset="fashion_mnist", hidden=(128,), optimizer="adam",
                                           loss="sparse_categorical_crossentropy", epochs=10, validation="none",
                                           seed=0)),),
        ("As well as on digits, about 98%", "Clearly worse, about 88%", "Much worse, about 60%"),
        _read_clothing, "test_accuracy",
        "Shirts, T-shirts, pullovers and coats share their outline and differ in details that a dense network, "
        "which sees pixels and not shapes, picks up badly. The same network that reads digits almost perfectly "
        "leaves one garment in eight wrong.",
        "The classic material saw about 91% training and 88% test accuracy."),
    Lesson(
        "test-as-validation", "The test set as the validation set",
        "What if we check each epoch against the test images instead of holding back part of the training set?",
        (("validated on the test set", replace(CLASSIC, validation="test")),),
        ("Validation accuracy becomes the test accuracy: the test set is no longer unseen",
         "Validation accuracy is always higher", "They differ at random"),
        _read_test_as_validation, "val_accuracy",
        "The numbers match because they are the same images. The harm comes later: choosing the epoch or the "
        "settings by those numbers fits them to the test set, so its accuracy stops being an honest estimate. "
        "Hold back validation images from the training set and use the test set once, at the end.",
        "The classic material: the last epoch's validation accuracy equals the test evaluation."),
    Lesson(
        "mse", "Mean squared error instead of cross-entropy",
        "Mean squared error is the loss of a line fit. Does a digit classifier learn with it as well as with "
        "cross-entropy?",
        (("mean squared error", replace(CLASSIC, loss="mean_squared_error")), ("cross-entropy", CLASSIC)),
        ("Just as fast", "It learns, but more slowly", "It does not learn at all"),
        _read_mse, "test_accuracy",
        "After a softmax, the squared error of a confident wrong answer is at most 2, and its gradient fades as "
        "the probabilities saturate. Cross-entropy punishes the same answer without bound, so its steps stay "
        "large exactly where the network is most wrong.",
        "The classic material: with mean squared error it trains, more slowly than with cross-entropy."),
    Lesson(
        "dropout", "Dropout against overfitting",
        f"The deeper network on only {SMALL_SET:,} training images, 30 epochs, with and without dropout (half of "
        "each hidden layer's outputs set to zero at random in each step). What does dropout change?",
        (("no dropout", replace(DEEPER, dropout=(0.0, 0.0), epochs=30, train_samples=SMALL_SET)),
         ("dropout 0.5", replace(DEEPER, dropout=(0.5, 0.5), epochs=30, train_samples=SMALL_SET))),
        ("A smaller gap between training and validation", "No difference", "A larger gap"),
        _read_dropout, "val_loss",
        "With few images a big network can learn each one by heart. Dropout makes every unit work with a random "
        "half of the others, so no unit can rely on a particular partner to memorise an image; what it learns "
        "has to hold more generally, and the gap shrinks.",
        "The classic material uses dropout 0.2 against overfitting; here the effect is made larger on purpose."),
    Lesson(
        "learning-rate", "The learning rate",
        "The learning rate sets the size of each step. The classic network with four learning rates: which "
        "learns best?",
        LEARNING_RATES,
        ("The larger the better: bigger steps, faster learning",
         "One in the middle: too small crawls, too large jumps past the minimum or blows up",
         "It hardly matters"),
        _read_learning_rate, "val_accuracy",
        "Each step moves the weights down the slope of the loss by the learning rate times the slope. Tiny steps "
        "barely move in five epochs; huge ones overshoot the valley, bounce around it or climb out of it, and the "
        "loss can explode (the app stops such a run and says it diverged).",
        "The classic material uses rmsprop's default, 0.001."),
    Lesson(
        "handwriting", "Does 98% on the test set mean it reads your handwriting?",
        "The classic network reads about 98% of MNIST's test digits. Those were written by the same kind of "
        "people, with the same pens, as its training digits. How well does it read digits written some other way?",
        (("plain", CLASSIC), ("augmented", replace(CLASSIC, augment="all"))),
        ("As well: 98% is 98% on any digits", "Worse: styles, slants and strokes unlike MNIST's trip it up",
         "Hardly at all: it only knows MNIST's images"),
        _read_handwriting, "test_accuracy",
        "A test set only measures what it samples. MNIST's digits share their writers' habits and their "
        "scanning, so a high score says little about thick felt-pen strokes, a slanted 1 with a foot or a "
        "crossed 7. Training on copies that are moved, turned, slanted and drawn thicker or thinner (data "
        "augmentation) shows the network more of the ways people write, and it reads them better.",
        "The classic material only measures MNIST's own test set. The script's digits are made by "
        "mnist_core.input.strokes, a different process than MNIST's scans.",
        next_step=("app_pages/handwriting.py", "Now your own handwriting")),
    Lesson(
        "teach", "Teach it your handwriting",
        "The classic network misreads a hand unlike MNIST's: ones with a flag, crossed sevens, open nines, "
        "closed fours. Fine-tuned on a few drawings of that hand, how many of each class does it need to read "
        "nine in ten of its other drawings?",
        Later(_teach_runs),
        ("2 of each class", "About 5 of each class", "20 or more of each class",
         "More than a person would draw: a few drawings cannot teach a new hand"),
        _read_teach, "test_accuracy",
        "The network keeps everything it learned and only moves its weights a little, with a fifth of its "
        "learning rate, towards the new drawings (each shown many times, changed a little each time): a "
        "handful is enough, because the features of digits are already there. Taught on the drawings alone it "
        "also forgets part of MNIST, since nothing asks it to keep reading those; mixing MNIST's own training "
        "images back in (replay) keeps the test score where it was.",
        "The classic material stops at MNIST's test set. Fine-tuning a trained network on a few new examples, "
        "with old examples replayed against forgetting, is how such networks are adapted in practice.",
        next_step=("app_pages/handwriting.py", "Teach it your own handwriting")),
)

BY_SLUG = {lesson.slug: lesson for lesson in LESSONS}


def settings(config: TrainConfig) -> str:
    """A run's settings in a line: its name (which says every setting away from its default), and
    the two defaults a lesson's reader should not have to guess: how many training images, and how
    it is validated."""
    extra = ["all training images" if config.train_samples is None else "",
             f"{config.validation_fraction:.0%} held back to validate"
             if config.validation == FIELD["validation"].default else ""]
    return ", ".join([config.describe()] + [e for e in extra if e])


# The words of a run's settings line, each explained in a sentence where it first appears.
WORDS = {
    "relu": "relu: a unit passes its weighted sum on when it is positive, and 0 when it is not.",
    "tanh": "tanh: a unit squashes its weighted sum into -1 to 1.",
    "sigmoid": "sigmoid: a unit squashes its weighted sum into 0 to 1.",
    "rmsprop": "rmsprop: gradient descent that scales each weight's step by the size of its recent gradients.",
    "adam": "adam: rmsprop with momentum, the most used optimizer today.",
    "sgd": "sgd: plain gradient descent, every weight stepped against its gradient times the learning rate.",
    "momentum": "momentum: gradient descent whose steps keep part of the previous step's direction.",
    "dropout": "dropout: while training, each unit is switched off at random in that share of the steps.",
    "batch": "batch: the images one weight update is computed from.",
    "epoch": "epoch: one pass over all the training images.",
    "held back": "held back: training images kept out of training to watch for overfitting (validation).",
}


def words(configs) -> list[str]:
    """The WORDS the settings lines of `configs` use, in WORDS' order."""
    text = " ".join(settings(config) for config in configs)
    return [sentence for word, sentence in WORDS.items() if re.search(rf"\b{word}", text)]


def clean_progress(raw) -> dict[str, dict]:
    """A learner's saved progress, keeping only what makes sense: known lessons, a guess that is
    one of the lesson's choices, and the flags "ran" (the learner started or opened the runs)
    and "seen" (the results were shown)."""
    out = {}
    for slug, entry in (raw.items() if isinstance(raw, dict) else []):
        lesson = BY_SLUG.get(slug)
        if lesson is None or not isinstance(entry, dict):
            continue
        guess = entry.get("guess")
        valid = isinstance(guess, int) and not isinstance(guess, bool) and 0 <= guess < len(lesson.guesses)
        out[slug] = {"guess": guess if valid else None, "ran": entry.get("ran") is True,
                     "seen": entry.get("seen") is True}
    return out


def is_trained(run, config: TrainConfig) -> bool:
    """The run answers the lesson: all its epochs, or it ended early (diverged, stopped improving)."""
    return run is not None and (run.epochs_done >= config.epochs or run.status in ("diverged", "early_stopped"))

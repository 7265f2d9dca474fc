"""Every image's story across the epochs: when it is learnt, forgotten, or never learnt.

For a run and a set of images (the images it trained on, or the test set), `compute` reads
each image after every epoch with the run's numpy forward pass: the probability the network
gave its true class, and the class it named. Everything else is derived from those two
arrays, kept as float16 and uint8 (3 bytes an image an epoch: 3.6 MB for 60,000 images and 20
epochs):

- the data map (Swayamdipta et al., "Dataset Cartography", 2020): confidence, the mean
  probability of the true class over the epochs, against variability, its standard deviation;
- forgetting events (Toneva et al., "An Empirical Study of Example Forgetting", 2019): an
  image right after one epoch and wrong after the next; per epoch, per class, per image;
- never learnt: wrong after every epoch.

No TensorFlow, no Streamlit. The epochs are read one at a time (their weights decoded once
each), the images in chunks, so memory stays near one chunk's activations.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from mnist_core.model.inference import forward
from mnist_core.model.preprocess import prepare_images

CHUNK = 10_000  # images per forward pass: 10,000 x 512 float32 activations are 20 MB
MAP_POINTS = 8000  # dots the data map draws (a fixed sample when there are more): the browser stays quick
# Where an image sits on the data map, in plain words (thresholds as in Dataset Cartography's
# figures: the corners of confidence against variability).
EASY, HARD, AMBIGUOUS = "easy to learn", "hard, or mislabelled", "ambiguous"
UNSURE = "not learnt yet"  # what HARD is called while the map cannot be read (see map_warning)
# A data map is worth reading once the network has learnt most images, over a few epochs; before
# that, low confidence means "early", not "hard" (a 3-epoch run at 80% put a quarter of MNIST there).
MAP_EPOCHS = 5
MAP_ACCURACY = 0.9


@dataclass
class Story:
    """What a run made of some images after each of its epochs."""

    split: str  # "train" (the images it trained on) or "test"
    indices: np.ndarray  # (n,) int32: each image's index in the dataset's split
    labels: np.ndarray  # (n,) uint8
    p_true: np.ndarray  # (epochs, n) float16: the probability of the true class after each epoch
    predicted: np.ndarray  # (epochs, n) uint8: the class it named after each epoch

    @property
    def epochs(self) -> int:
        return len(self.p_true)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.indices, self.labels, self.p_true, self.predicted))

    @property
    def correct(self) -> np.ndarray:
        """(epochs, n) bool."""
        return self.predicted == self.labels[None]

    @property
    def confidence(self) -> np.ndarray:
        return self.p_true.astype(np.float32).mean(axis=0)

    @property
    def variability(self) -> np.ndarray:
        return self.p_true.astype(np.float32).std(axis=0)

    @property
    def correctness(self) -> np.ndarray:
        """The fraction of epochs after which it was read right."""
        return self.correct.mean(axis=0)

    def forgotten(self) -> np.ndarray:
        """(epochs - 1, n) bool: right after epoch e, wrong after epoch e + 1."""
        c = self.correct
        return c[:-1] & ~c[1:]

    def forgetting_events(self) -> np.ndarray:
        """(n,) how many times each image was forgotten."""
        return self.forgotten().sum(axis=0)

    def forgotten_per_epoch(self) -> np.ndarray:
        """(epochs - 1,) images forgotten between epoch e and e + 1, e = 1 .. epochs - 1."""
        return self.forgotten().sum(axis=1)

    def forgotten_per_class(self) -> np.ndarray:
        """(10,) forgetting events of the images of each class."""
        return np.bincount(self.labels, weights=self.forgetting_events(), minlength=10)[:10].astype(int)

    def never_learnt(self) -> np.ndarray:
        """Positions of the images wrong after every epoch."""
        return np.flatnonzero(~self.correct.any(axis=0))

    def learnt_at(self) -> np.ndarray:
        """(n,) the first epoch after which it stayed right to the end (0: never)."""
        c = self.correct
        wrong_after = np.where(~c, np.arange(1, self.epochs + 1)[:, None], 0).max(axis=0)  # last wrong epoch
        return np.where(c[-1], wrong_after + 1, 0)

    def regions(self) -> np.ndarray:
        """(n,) each image's region of the data map, in words."""
        conf, var = self.confidence, self.variability
        out = np.full(len(conf), AMBIGUOUS, dtype=object)
        out[(conf >= 0.75) & (var < 0.2)] = EASY
        out[(conf < 0.25) & (var < 0.2)] = HARD
        return out

    def map_warning(self) -> str:
        """"" when the data map's regions can be read; else why not, in two sentences."""
        right = float(self.correct[-1].mean())
        if self.epochs >= MAP_EPOCHS and right >= MAP_ACCURACY:
            return ""
        return (f"This run has {self.epochs} epochs and reads {right:.0%} of these images right at the end: it "
                "has not learnt most of them yet, so a low confidence here means early, not hard or mislabelled. "
                f"The regions tell more for a run of {MAP_EPOCHS} epochs or more that reads "
                f"{MAP_ACCURACY:.0%} or more right.")

    def region_titles(self) -> dict[str, str]:
        """What each region is called: "hard, or mislabelled" only once the map can be read."""
        return {EASY: EASY, AMBIGUOUS: AMBIGUOUS, HARD: UNSURE if self.map_warning() else HARD}

    def most_forgotten(self, k: int = 20) -> np.ndarray:
        """Positions of the k images forgotten most often (ties: the lower confidence first)."""
        events = self.forgetting_events()
        order = np.lexsort((self.confidence, -events))
        return order[:k][events[order[:k]] > 0]


def compute(run, split: str, images: np.ndarray, labels: np.ndarray, indices: np.ndarray | None = None) -> Story:
    """`run` read on uint8 `images` (n, 28, 28) after each of its epochs."""
    labels = np.asarray(labels, np.uint8)
    n = len(labels)
    p_true = np.empty((run.epochs_done, n), np.float16)
    predicted = np.empty((run.epochs_done, n), np.uint8)
    rows = np.arange(n)
    flat = np.asarray(images).reshape(n, -1)
    for e, weights in enumerate(run.iter_weights()):
        for start in range(0, n, CHUNK):
            part = slice(start, start + CHUNK)
            probs = forward(weights, run.config.activation, prepare_images(flat[part], run.config.normalize))
            p_true[e, part] = probs[rows[part] - start, labels[part]]
            predicted[e, part] = probs.argmax(axis=1)
    index = np.arange(n, dtype=np.int32) if indices is None else np.asarray(indices, np.int32)
    return Story(split, index, labels, p_true, predicted)


def training_story(run) -> Story:
    """The images the run trained on (its first train_samples, less the validation split)."""
    dataset, n = run.dataset, run.config.fit_size()
    return compute(run, "train", dataset.x_train[:n], dataset.y_train[:n])


def test_story(run) -> Story:
    dataset = run.dataset
    return compute(run, "test", dataset.x_test, dataset.y_test)


# --- one story per run and split, computed once, bounded -----------------------------------

BUDGET_BYTES = 100 * 2**20  # the stories kept, all runs together
_CACHE: OrderedDict[tuple, tuple] = OrderedDict()  # (id(run), split) -> (weakref to run, epochs, Story)
_LOCK = threading.Lock()
_BUSY: dict[tuple, threading.Lock] = {}  # one computation per run and split at a time


def story_of(run, split: str) -> Story:
    """The run's story of its training images ("train") or test images ("test"): computed once per
    run and number of epochs (two pages asking at once compute it once), at most BUDGET_BYTES
    kept, the least recently used going first; a cached story does not keep its run alive."""
    key = (id(run), split)
    with _LOCK:
        busy = _BUSY.setdefault(key, threading.Lock())
    with busy:
        with _LOCK:
            found = _CACHE.get(key)
            if found is not None and found[0]() is run and found[1] == run.epochs_done:
                _CACHE.move_to_end(key)
                return found[2]
        made = training_story(run) if split == "train" else test_story(run)
        with _LOCK:
            _CACHE[key] = (weakref.ref(run), run.epochs_done, made)
            while sum(entry[2].nbytes for entry in _CACHE.values()) > BUDGET_BYTES and len(_CACHE) > 1:
                _CACHE.popitem(last=False)
            _BUSY.pop(key, None)
        return made


def map_sample(n: int, keep: list[int]) -> np.ndarray:
    """The positions a data map draws: all `n` of them, or a fixed sample of MAP_POINTS plus those
    to `keep`."""
    if n <= MAP_POINTS:
        return np.arange(n)
    sample = np.random.default_rng(0).choice(n, MAP_POINTS, replace=False)
    return np.unique(np.concatenate([sample, np.asarray(keep, int)]))


def forgetting_sentence(a, b, setting: str) -> str:
    """What changing `setting` did to forgetting, on the test set: for Compare's two runs that
    differ in that one setting."""
    sa, sb = story_of(a, "test"), story_of(b, "test")

    def counts(s: Story) -> tuple[int, int, int]:
        events = s.forgetting_events()
        return int(events.sum()), int((events > 0).sum()), len(s.never_learnt())

    (ea, ia, na), (eb, ib, nb) = counts(sa), counts(sb)
    epochs = f"over {sa.epochs} epochs" if sa.epochs == sb.epochs else f"over {sa.epochs} and {sb.epochs} epochs"
    return (f"Changing {setting}, the test images were forgotten {ea:,} → {eb:,} times {epochs} "
            f"({ia:,} → {ib:,} images forgotten at least once), and {na:,} → {nb:,} were never read right "
            f"(the Story page shows which).")

"""Build a dense network from a TrainConfig, train it epoch by epoch, keep every epoch.

The unit is a `TrainingRun`: its config, its per-epoch history, its model, and
the weights after every epoch (see snapshots.py), so any epoch can be looked at
again. `train(config)` makes a run and trains it; `run.train_to(n)` extends it.

The training loop is Keras' own arithmetic (the model, optimizer and loss are
Keras objects, the epoch loss is the batch losses averaged by batch size, as
`model.fit` reports it), run as one XLA-compiled loop per epoch over data that
stays in memory, with the shuffle order drawn from (seed, epoch). That makes a
run twice as fast as `model.fit` on this kind of network (bench/train_speed.py)
and makes extending a run identical to having asked for more epochs at first.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from mnist_core.compare import RunReading
from mnist_core.config import TrainConfig
from mnist_core.data import Dataset, load_dataset
from mnist_core.preprocess import N_CLASSES, encode_labels, prepare_images, split_rows
from mnist_core.snapshots import BUDGET_BYTES, WeightHistory

# Keep TensorFlow's start-up chatter (oneDNN, CPU feature notes) out of the output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402  (TensorFlow is the heavy import)
import tensorflow as tf  # noqa: E402

# The same seed and config must give the same curves: ask TensorFlow for
# deterministic kernels (on the CPU this costs nothing measurable).
tf.config.experimental.enable_op_determinism()
tf.get_logger().setLevel("ERROR")  # a new run traces new functions; that is expected

# The loops below are written with tf.while_loop, so AutoGraph (which parses Python
# source with `ast`) is off: in CPython 3.11.7 `ast` used from two threads at once can
# fail ("AST constructor recursion depth mismatch"), and the app traces in worker threads
# while Streamlit compiles page scripts.

# Seeding is global in Keras: building two models at once must not interleave.
_BUILD_LOCK = threading.Lock()
_PREDICT_BATCH = 4096


def build_model(config: TrainConfig) -> keras.Sequential:
    """Input(784) -> [Dense(units, activation) -> Dropout(rate)] x layers -> Dense(10, softmax)."""
    layers = [keras.Input(shape=(784,), name="pixels")]
    for i, (units, rate) in enumerate(zip(config.hidden, config.dropout), 1):
        layers.append(keras.layers.Dense(units, activation=config.activation, name=f"hidden_{i}"))
        if rate > 0:
            layers.append(keras.layers.Dropout(rate, name=f"dropout_{i}"))
    layers.append(keras.layers.Dense(N_CLASSES, activation="softmax", name="output"))
    return keras.Sequential(layers, name="dense_net")


def make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    lr = config.learning_rate
    return {
        "sgd": lambda: keras.optimizers.SGD(lr),
        "momentum": lambda: keras.optimizers.SGD(lr, momentum=0.9),
        "rmsprop": lambda: keras.optimizers.RMSprop(lr),
        "adam": lambda: keras.optimizers.Adam(lr),
    }[config.optimizer]()


def make_loss(config: TrainConfig) -> keras.losses.Loss:
    return {
        "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
        "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
        "mean_squared_error": keras.losses.MeanSquaredError,
    }[config.loss]()


def layer_table(model: keras.Model) -> list[dict]:
    """The model summary as rows: layer, output shape, parameters."""
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape) if hasattr(layer, "output") else ()
        rows.append({
            "layer": layer.name,
            "type": type(layer).__name__,
            "output shape": "(batch, " + ", ".join(str(s) for s in shape[1:]) + ")",
            "parameters": int(layer.count_params()),
        })
    return rows


def trainable_params(model: keras.Model) -> int:
    return int(sum(np.prod(v.shape) for v in model.trainable_weights))


def predict_proba(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """Class probabilities for preprocessed inputs (N, 784), calling the model directly.

    `model.predict` sets up a data pipeline per call, which is slow for one
    drawing; a direct call is a single forward pass.
    """
    x = np.asarray(x, np.float32).reshape(-1, 784)
    if len(x) <= _PREDICT_BATCH:
        return np.asarray(model(x, training=False))
    return np.concatenate([
        np.asarray(model(x[i:i + _PREDICT_BATCH], training=False))
        for i in range(0, len(x), _PREDICT_BATCH)
    ])


def untrained_accuracy(config: TrainConfig) -> float:
    """Test accuracy of the network before any training (the chance baseline, about 10%).

    It is the same network a run of this config starts from (same seed).
    """
    with _BUILD_LOCK:
        keras.utils.set_random_seed(config.seed)
        model = build_model(config)
    ds = load_dataset(config.dataset)
    probs = predict_proba(model, prepare_images(ds.x_test, config.normalize))
    return float(np.mean(np.argmax(probs, axis=1) == ds.y_test))


@dataclass(frozen=True)
class EpochResult:
    """What one epoch did. val_* are None without a validation set."""

    epoch: int
    loss: float
    accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    test_loss: float
    test_accuracy: float
    seconds: float  # the training pass of this epoch
    elapsed: float  # since this call to train started
    samples_per_second: float

    def as_dict(self) -> dict:
        return asdict(self)


EpochCallback = Callable[[EpochResult], "bool | None"]
"""Called after every epoch; return True to stop training after it."""


class TrainingRun(RunReading):
    """A configuration, its per-epoch history, its model and the weights of every epoch.

    status: "ready" (no epoch yet), "running", "finished", "stopped" (asked to stop),
    "early_stopped" (validation loss stopped improving) or "diverged".
    """

    def __init__(self, config: TrainConfig, dataset: Dataset | None = None,
                 budget: int = BUDGET_BYTES):
        self.config = config.validate()
        self._dataset = dataset
        with _BUILD_LOCK:
            keras.utils.set_random_seed(config.seed)
            self.model = build_model(config)
            self.optimizer = make_optimizer(config)
            self.optimizer.build(self.model.trainable_variables)
        self._loss_fn = make_loss(config)
        self.params = trainable_params(self.model)
        self.updates_per_epoch = config.updates_per_epoch
        self.history: list[EpochResult] = []
        self.status = "ready"
        self.message = ""
        self.diverged_epoch: int | None = None
        self.bits: list[int] = []
        weights = self.model.get_weights()
        # The budget covers the changes plus one exact copy of the best epoch's weights.
        self._snapshots = WeightHistory(weights, budget=budget - 4 * self.params,
                                        planned_epochs=max(50, config.epochs))
        self._best_weights: list[np.ndarray] | None = None
        self._train_lock = threading.Lock()  # one training call at a time
        self._lock = threading.RLock()  # the caches of views and predictions
        self._views: OrderedDict[int, keras.Model] = OrderedDict()
        self._test_probs: dict[int, np.ndarray] = {}
        self._epoch_fn = self._compile_epoch()
        self._eval_fn = self._compile_eval()
        x_test, y_test = self._test_set()
        self.baseline_loss, self.baseline_accuracy = self._evaluate(x_test, y_test)

    # --- data ----------------------------------------------------------------

    @property
    def dataset(self) -> Dataset:
        return self._dataset or load_dataset(self.config.dataset)

    def _test_set(self):
        ds, c = self.dataset, self.config
        return prepare_images(ds.x_test, c.normalize), encode_labels(ds.y_test, c.sparse_labels)

    # --- compiled pieces -----------------------------------------------------

    def _compile_epoch(self):
        model, optimizer, loss_fn = self.model, self.optimizer, self._loss_fn
        sparse, normalize = self.config.sparse_labels, self.config.normalize

        @tf.function(jit_compile=True, reduce_retracing=True, autograph=False)
        def run_batches(x, y, order):
            """Train on the batches order[0], order[1], ...; stop at a non-finite loss."""
            steps = tf.shape(order)[0]
            batch = tf.cast(tf.shape(order)[1], tf.float32)

            def body(i, loss_sum, correct, finite):
                idx = order[i]
                # x holds uint8 rows: convert the batch as preprocess.prepare_images does
                # (keeping a float copy of the whole training set would cost 188 MB).
                xb, yb = tf.cast(tf.gather(x, idx), tf.float32), tf.gather(y, idx)
                if normalize:
                    xb = xb / 255.0
                with tf.GradientTape() as tape:
                    pred = model(xb, training=True)
                    loss = loss_fn(yb, pred)
                grads = tape.gradient(loss, model.trainable_variables)
                optimizer.apply(grads, model.trainable_variables)
                truth = tf.cast(yb, tf.int64) if sparse else tf.argmax(yb, axis=-1)
                hits = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(pred, axis=-1), truth), tf.float32))
                return i + 1, loss_sum + loss * batch, correct + hits, tf.math.is_finite(loss)

            i, loss_sum, correct, finite = tf.while_loop(
                lambda i, s, c, ok: tf.logical_and(i < steps, ok),
                body,
                (tf.constant(0), tf.constant(0.0), tf.constant(0.0), tf.constant(True)),
            )
            return i, loss_sum, correct, finite

        return run_batches

    def _compile_eval(self):
        model, loss_fn = self.model, self._loss_fn
        sparse = self.config.sparse_labels

        @tf.function(jit_compile=True, reduce_retracing=True, autograph=False)
        def evaluate(x, y):
            pred = model(x, training=False)
            truth = tf.cast(y, tf.int64) if sparse else tf.argmax(y, axis=-1)
            hits = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(pred, axis=-1), truth), tf.float32))
            return loss_fn(y, pred), hits

        return evaluate

    def _evaluate(self, x, y) -> tuple[float, float]:
        """Loss and accuracy on (x, y), in chunks averaged by size like model.evaluate."""
        loss_sum = hits = 0.0
        for i in range(0, len(x), 10_000):
            xb, yb = x[i:i + 10_000], y[i:i + 10_000]
            loss, h = self._eval_fn(xb, yb)
            loss_sum += float(loss) * len(xb)
            hits += float(h)
        return loss_sum / len(x), hits / len(x)

    # --- training ------------------------------------------------------------

    @property
    def epochs_done(self) -> int:
        return len(self.history)

    @property
    def can_continue(self) -> bool:
        return self.status != "diverged" and self.epochs_done < 100

    def train_to(self, epochs: int, on_epoch: EpochCallback | None = None) -> TrainingRun:
        """Train until `epochs` epochs are done (nothing to do if they already are).

        Stops early when on_epoch returns True ("stopped"), when the validation
        loss has not improved for `early_stopping` epochs ("early_stopped"), or when
        the loss becomes NaN, infinite or explodes ("diverged"). Finished epochs are kept.
        """
        with self._train_lock:
            if self.status == "diverged" or epochs <= self.epochs_done:
                return self
            self.status = "running"
            self.message = ""
            try:
                self._train(epochs, on_epoch)
            except BaseException:
                # Interrupted mid-epoch: go back to the last finished epoch.
                if self.epochs_done:
                    self.model.set_weights(self._last_weights)
                self.status = "stopped"
                self.message = "Training was interrupted; the finished epochs are kept."
                raise
            return self

    def _train(self, epochs: int, on_epoch: EpochCallback | None) -> None:
        config = self.config
        x_rows, y_rows, x_val_rows, y_val = split_rows(config, self.dataset)
        x_fit = tf.convert_to_tensor(x_rows)  # uint8: 47 MB for all of MNIST, not 188 MB
        y_fit = tf.convert_to_tensor(y_rows)
        x_val = None if x_val_rows is None else prepare_images(x_val_rows, config.normalize)
        x_test, y_test = self._test_set()
        if config.validation == "test":
            x_val, y_val = x_test, y_test
        n = len(x_rows)
        batch = config.batch_size
        full = n // batch
        started = time.perf_counter()
        self._snapshots.planned_epochs = max(self._snapshots.planned_epochs, epochs)
        for epoch in range(self.epochs_done + 1, epochs + 1):
            t0 = time.perf_counter()
            order = np.random.default_rng([config.seed, epoch]).permutation(n).astype(np.int32)
            steps, loss_sum, correct, finite = self._epoch_fn(
                x_fit, y_fit, order[: full * batch].reshape(full, batch)) if full else (0, 0.0, 0.0, True)
            if bool(finite) and n % batch:
                _, rest_loss, rest_correct, finite = self._epoch_fn(
                    x_fit, y_fit, order[full * batch:].reshape(1, -1))
                loss_sum, correct = float(loss_sum) + float(rest_loss), float(correct) + float(rest_correct)
            seconds = time.perf_counter() - t0
            loss = float(loss_sum) / n
            if not bool(finite) or not math.isfinite(loss) or loss > self.explosion_loss:
                self._diverged(epoch, loss if bool(finite) else math.nan)
                return
            val_loss = val_acc = None
            if x_val is not None:
                val_loss, val_acc = self._evaluate(x_val, y_val)
            if config.validation == "test":
                test_loss, test_acc = val_loss, val_acc
            else:
                test_loss, test_acc = self._evaluate(x_test, y_test)
            if val_loss is not None and not math.isfinite(val_loss):
                self._diverged(epoch, val_loss)
                return
            result = EpochResult(
                epoch=epoch, loss=loss, accuracy=float(correct) / n,
                val_loss=val_loss, val_accuracy=val_acc,
                test_loss=test_loss, test_accuracy=test_acc,
                seconds=seconds, elapsed=time.perf_counter() - started,
                samples_per_second=n / seconds if seconds > 0 else float("inf"),
            )
            weights = self.model.get_weights()
            self.bits.append(self._snapshots.append(weights))
            self.history.append(result)
            if self.best_epoch == epoch:
                self._best_weights = weights
            self._last_weights = weights
            stop = bool(on_epoch(result)) if on_epoch else False
            if stop and epoch < epochs:
                self.status = "stopped"
                self.message = f"Stopped after epoch {epoch} of {epochs}."
                return
            if self._patience_ran_out():
                self.status = "early_stopped"
                self.message = (
                    f"Early stopping after epoch {epoch}: the validation loss has not improved "
                    f"for {config.early_stopping} epochs (best at epoch {self.best_epoch})."
                )
                return
        self.status = "finished"

    @property
    def explosion_loss(self) -> float:
        """An epoch loss above this counts as diverged: 100 times the untrained loss.

        Keras computes cross-entropy from the logits, so a blown-up network can
        report a huge but finite loss (1e5 at learning rate 100) rather than NaN.
        """
        return 100 * max(self.baseline_loss, 1.0)

    def _diverged(self, epoch: int, loss: float) -> None:
        self.status = "diverged"
        self.diverged_epoch = epoch
        what = "became infinite or not a number" if not math.isfinite(loss) else f"exploded to {loss:.3g}"
        self.message = (
            f"Training diverged in epoch {epoch}: the loss {what}. "
            f"Try a smaller learning rate (now {self.config.learning_rate:g})"
            + ("" if self.config.normalize else " or scale the inputs")
            + ". The epochs before it are kept."
        )
        # Put back the last good weights so the finished epochs stay usable.
        self.model.set_weights(self._snapshots.weights_at(self.epochs_done)
                               if self.epochs_done == 0 else self._last_weights)

    def _patience_ran_out(self) -> bool:
        patience = self.config.early_stopping
        best = self.best_epoch
        return bool(patience) and best is not None and self.epochs_done - best >= patience

    # --- reading the run -----------------------------------------------------

    def result_at(self, epoch: int) -> EpochResult:
        if not 1 <= epoch <= self.epochs_done:
            raise IndexError(f"epoch {epoch}: this run has epochs 1 to {self.epochs_done}")
        return self.history[epoch - 1]

    @property
    def test_loss(self) -> float:
        return self.result_at(self.final_epoch).test_loss if self.history else self.baseline_loss

    @property
    def test_accuracy(self) -> float:
        return self.result_at(self.final_epoch).test_accuracy if self.history else self.baseline_accuracy

    @property
    def snapshot_bytes(self) -> int:
        """Memory held for looking at past epochs (changes plus the best epoch's copy)."""
        best = sum(w.nbytes for w in self._best_weights) if self._best_weights else 0
        return self._snapshots.nbytes + best

    @property
    def memory_bytes(self) -> int:
        """A run's footprint: stored epochs, live weights, their last copy and optimizer state."""
        slots = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adam": 2}[self.config.optimizer]
        return self.snapshot_bytes + 4 * self.params * (2 + slots + len(self._views))

    def test_predictions(self, epoch: int | None = None) -> np.ndarray:
        """Probabilities (10000, 10) for the test set after `epoch`; the last few are cached."""
        epoch = self.final_epoch if epoch is None else epoch
        with self._lock:
            if epoch in self._test_probs:
                return self._test_probs[epoch]
        probs = self.predict(self.dataset.x_test, epoch=epoch)
        with self._lock:
            self._test_probs[epoch] = probs
            while len(self._test_probs) > 3:
                self._test_probs.pop(next(iter(self._test_probs)))
        return probs

    def weights_at(self, epoch: int) -> list[np.ndarray]:
        """Weights after `epoch` (0: untrained). The last and the best epochs are exact."""
        if epoch == self.epochs_done and epoch > 0:
            return self._last_weights
        if epoch == self.best_epoch and self._best_weights is not None:
            return self._best_weights
        return self._snapshots.weights_at(epoch)

    def iter_weights(self):
        """The weights after epoch 1, 2, ..., last in turn (cheaper than weights_at for each)."""
        for epoch, weights in enumerate(self._snapshots.iter_weights(), 1):
            if epoch > self.epochs_done:
                return
            yield self.weights_at(epoch) if epoch in (self.epochs_done, self.best_epoch) else weights

    def model_at(self, epoch: int | None = None) -> keras.Model:
        """A model with the weights after `epoch` (default: final_epoch), for predictions.

        It is a separate copy: training never touches it. A few are cached.
        """
        epoch = self.final_epoch if epoch is None else epoch
        with self._lock:
            if epoch in self._views:
                self._views.move_to_end(epoch)
                return self._views[epoch]
            view = build_model(self.config)
            view.set_weights(self.weights_at(epoch))
            self._views[epoch] = view
            while len(self._views) > 4:
                self._views.popitem(last=False)
            return view

    def predict(self, images: np.ndarray, epoch: int | None = None) -> np.ndarray:
        """Probabilities (N, 10) for uint8 images (N, 28, 28) or prepared rows (N, 784).

        uint8 images are prepared as the training data was (scaled or not).
        """
        images = np.asarray(images)
        x = prepare_images(images.reshape(-1, 28, 28), self.config.normalize) \
            if images.dtype == np.uint8 else images
        return predict_proba(self.model_at(epoch), x)

    def save(self, path) -> None:
        """Write a run file (see mnist_core.inference): config, history, every epoch's weights."""
        from mnist_core.inference import save_run_file

        save_run_file(path, self.config, [r.as_dict() for r in self.history],
                      [self.weights_at(k) for k in range(self.epochs_done + 1)], self.status)

    def summary(self) -> dict:
        """The run as plain data (the command line's --json)."""
        return {
            "config": self.config.to_dict(),
            "status": self.status,
            "message": self.message,
            "epochs": self.epochs_done,
            "history": [r.as_dict() for r in self.history],
            "best_epoch": self.best_epoch,
            "final_epoch": self.final_epoch,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "untrained_test_accuracy": self.baseline_accuracy,
            "params": self.params,
            "updates_per_epoch": self.updates_per_epoch,
            "diverged_epoch": self.diverged_epoch,
            "snapshot_bytes": self.snapshot_bytes,
        }


def train(config: TrainConfig, on_epoch: EpochCallback | None = None,
          dataset: Dataset | None = None) -> TrainingRun:
    """Build, compile and train a run of `config` for config.epochs epochs."""
    return TrainingRun(config, dataset=dataset).train_to(config.epochs, on_epoch)

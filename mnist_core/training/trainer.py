"""Build a dense network from a TrainConfig, train it epoch by epoch, keep every epoch.

The unit is a `TrainingRun` (a `mnist_core.model.runs.Run`): its config, its per-epoch
history and the weights after every epoch (`snapshots.EpochWeights`), so any
epoch can be looked at again. `train(config)` makes a run and trains it;
`run.train_to(n)` extends it.

The arithmetic is Keras' own (the model, optimizer and loss are Keras objects;
the epoch loss is the batch losses averaged by batch size, as `model.fit`
reports it), run by `Network` as one XLA-compiled loop per epoch over data that
stays in memory, with the shuffle order drawn from (seed, epoch). That makes a
run twice as fast as `model.fit` on this kind of network (bench/train_speed.py)
and makes extending a run identical to having asked for more epochs at first.

Importing this module starts TensorFlow at low priority first (mnist_core.training.priority).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import numpy as np

from mnist_core.config import TrainConfig
from mnist_core.data.datasets import Dataset, load_dataset
from mnist_core.model.inference import forward
from mnist_core.model.preprocess import N_CLASSES, Prepared, encode_labels, flatten, prepare, prepare_images
from mnist_core.model.runs import EpochResult, RunReader, save_run_file
from mnist_core.model.snapshots import BUDGET_BYTES, EpochWeights
from mnist_core.model.taught import TeachSet, epoch_order, teach_data, training_images
from mnist_core.training.priority import start_tensorflow

start_tensorflow()

import keras  # noqa: E402  (after start_tensorflow: see above)
import tensorflow as tf  # noqa: E402

from mnist_core.training.augment import augment_batch, noise_seed  # noqa: E402

# The same seed and config must give the same curves: ask TensorFlow for
# deterministic kernels (on the CPU this costs nothing measurable).
tf.config.experimental.enable_op_determinism()
tf.get_logger().setLevel("ERROR")  # a new run traces new functions; that is expected

# The loops below are written with tf.while_loop, so AutoGraph (which parses Python
# source with `ast`) is off: in CPython 3.11.7 `ast` used from two threads at once can
# fail ("AST constructor recursion depth mismatch"), and the app traces in worker threads
# while Streamlit compiles page scripts.

EpochCallback = Callable[[EpochResult], "bool | None"]
"""Called after every epoch; return True to stop training after it."""


def layer_seed(config: TrainConfig, layer: int, use: str) -> int:
    """A seed of the run's own for one layer's starting weights or dropout mask.

    Derived from the config's seed, so no run depends on Keras' global random
    state: a model built while other threads build theirs starts the same.
    """
    return int(np.random.SeedSequence([config.seed, layer, {"init": 0, "dropout": 1}[use]])
               .generate_state(1)[0] >> 1)  # below 2**31, as Keras wants


def build_model(config: TrainConfig) -> keras.Sequential:
    """Input(784) -> [Dense(units, activation) -> Dropout(rate)] x layers -> Dense(10, softmax).

    Every layer draws its starting weights (Glorot uniform, Keras' default) and its
    dropout masks from seeds of its own (`layer_seed`).
    """
    def dense(units: int, activation: str, i: int, name: str):
        init = keras.initializers.GlorotUniform(seed=layer_seed(config, i, "init"))
        return keras.layers.Dense(units, activation=activation, kernel_initializer=init, name=name)

    layers = [keras.Input(shape=(784,), name="pixels")]
    for i, (units, rate) in enumerate(zip(config.hidden, config.dropout), 1):
        layers.append(dense(units, config.activation, i, f"hidden_{i}"))
        if rate > 0:
            layers.append(keras.layers.Dropout(rate, seed=layer_seed(config, i, "dropout"), name=f"dropout_{i}"))
    layers.append(dense(N_CLASSES, "softmax", len(config.hidden) + 1, "output"))
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


def untrained_accuracy(config: TrainConfig) -> float:
    """Test accuracy of the network before any training (the chance baseline, about 10%).

    It is the same network a run of this config starts from (same seed).
    """
    model = build_model(config)
    ds = load_dataset(config.dataset)
    probs = forward(model.get_weights(), config.activation, prepare_images(ds.x_test, config.normalize))
    return float(np.mean(np.argmax(probs, axis=1) == ds.y_test))


def _random_state(model: keras.Model) -> list:
    """The model's variables that are not weights: the dropout layers' random generators."""
    weights = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weights]


def _state_arrays(model: keras.Model, optimizer: keras.optimizers.Optimizer) -> dict[str, np.ndarray]:
    arrays = {f"opt{i}": v.numpy() for i, v in enumerate(optimizer.variables)}
    arrays.update({f"rng{i}": v.numpy() for i, v in enumerate(_random_state(model))})
    return arrays


class Network:
    """A config's Keras model, optimizer and loss, with its two compiled functions.

    `train_batches` runs a whole epoch's batches in one XLA call; `evaluate` gives
    loss and accuracy on a set, in chunks averaged by size like model.evaluate.
    """

    def __init__(self, config: TrainConfig):
        self.shape = self.shape_of(config)
        self.model = build_model(config)
        self.optimizer = make_optimizer(config)
        self.optimizer.build(self.model.trainable_variables)
        self.loss_fn = make_loss(config)
        self.params = trainable_params(self.model)
        self._batches = self._compile_batches(config.sparse_labels, config.normalize, config.augment)
        self._eval = self._compile_eval(config.sparse_labels)
        # Whose state the variables hold: ("start", config key) when new, (run token, epochs)
        # once a run trained on it, None when unknown (a warm-up, an interrupted call).
        self.holds: tuple | None = ("start", config.key())

    @staticmethod
    def shape_of(config: TrainConfig) -> tuple:
        """What the compiled code depends on: everything else is a variable's value (the learning
        rate, the starting weights from the seed) or an input's shape (images, batch size)."""
        return config.compiled_shape()

    @staticmethod
    def start_of(config: TrainConfig) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
        """The weights and state a new run of `config` starts from: those a new Network of it has."""
        model = build_model(config)
        optimizer = make_optimizer(config)
        optimizer.build(model.trainable_variables)
        return model.get_weights(), _state_arrays(model, optimizer)

    def state_arrays(self) -> dict[str, np.ndarray]:
        """What continuing needs besides the weights: the optimizer's slots and the random state."""
        return _state_arrays(self.model, self.optimizer)

    def restore(self, weights: list[np.ndarray], arrays) -> None:
        """Set the weights and the `state_arrays()` saved with them; ValueError if they do not fit."""
        self.holds = None
        self.model.set_weights(weights)
        for prefix, variables in (("opt", self.optimizer.variables), ("rng", _random_state(self.model))):
            for i, variable in enumerate(variables):
                value = np.asarray(arrays[f"{prefix}{i}"])
                if tuple(value.shape) != tuple(variable.shape):
                    raise ValueError(f"saved {prefix}{i} has shape {value.shape}, not {tuple(variable.shape)}")
                variable.assign(value)

    def _hits(self, y, pred, sparse: bool):
        truth = tf.cast(y, tf.int64) if sparse else tf.argmax(y, axis=-1)
        return tf.reduce_sum(tf.cast(tf.equal(tf.argmax(pred, axis=-1), truth), tf.float32))

    def _compile_batches(self, sparse: bool, normalize: bool, augment: str):
        model, optimizer, loss_fn = self.model, self.optimizer, self.loss_fn

        @tf.function(jit_compile=True, reduce_retracing=True, autograph=False)
        def run_batches(x, y, order, limit, noise, changed_from):
            """Train on the batches order[0], order[1], ... (at most `limit` of them); stop at a
            non-finite loss. A limit of 0 runs nothing: XLA still compiles for these shapes.
            `noise` (int32 (2,)) seeds the augmentation: batch i draws from noise + (0, i); it
            changes the images from x[changed_from] on (0: all; a taught run: its drawings)."""
            steps = tf.minimum(tf.shape(order)[0], limit)
            batch = tf.cast(tf.shape(order)[1], tf.float32)

            def body(i, loss_sum, correct, finite):
                idx = order[i]
                # x holds uint8 rows: convert the batch as preprocess.prepare_images does
                # (keeping a float copy of the whole training set would cost 188 MB).
                xb, yb = tf.cast(tf.gather(x, idx), tf.float32), tf.gather(y, idx)
                if normalize:
                    xb = xb / 255.0
                if augment != "off":
                    changed = augment_batch(xb, noise + tf.stack([0, i]), augment)
                    xb = tf.where((idx >= changed_from)[:, None], changed, xb)
                with tf.GradientTape() as tape:
                    pred = model(xb, training=True)
                    loss = loss_fn(yb, pred)
                grads = tape.gradient(loss, model.trainable_variables)
                optimizer.apply(grads, model.trainable_variables)
                hits = self._hits(yb, pred, sparse)
                return i + 1, loss_sum + loss * batch, correct + hits, tf.math.is_finite(loss)

            return tf.while_loop(lambda i, s, c, ok: tf.logical_and(i < steps, ok), body,
                                 (tf.constant(0), tf.constant(0.0), tf.constant(0.0), tf.constant(True)))

        return run_batches

    def _compile_eval(self, sparse: bool):
        model, loss_fn = self.model, self.loss_fn

        @tf.function(jit_compile=True, reduce_retracing=True, autograph=False)
        def evaluate(x, y):
            pred = model(x, training=False)
            return loss_fn(y, pred), self._hits(y, pred, sparse)

        return evaluate

    @staticmethod
    def _parts(order: np.ndarray, batch: int) -> list[np.ndarray]:
        """An epoch's order as the loop's inputs: the full batches, then the short last one."""
        full = len(order) // batch
        parts = [order[: full * batch].reshape(full, batch)] if full else []
        if len(order) % batch:
            parts.append(order[full * batch:].reshape(1, -1))
        return parts

    def train_epoch(self, x, y, order: np.ndarray, batch: int, noise: int = 0,
                    changed_from: int = 0) -> tuple[float, float, bool]:
        """Train on x[order] in batches; (sum of batch loss x size, correct, all finite).
        `noise` seeds the epoch's augmentation (augment.noise_seed) of x[changed_from:]."""
        loss_sum, correct, finite = 0.0, 0.0, True
        start = tf.constant(changed_from, tf.int32)
        for p, part in enumerate(self._parts(order, batch)):
            seed = tf.constant([noise, p * 2**20], tf.int32)  # below 2**20 batches in a part
            _, part_loss, part_correct, finite = self._batches(x, y, part, tf.constant(len(part), tf.int32), seed,
                                                               start)
            loss_sum, correct = loss_sum + float(part_loss), correct + float(part_correct)
            if not bool(finite):
                return loss_sum, correct, False
        return loss_sum, correct, True

    def compile_epoch(self, x, y, samples: int, batch: int) -> None:
        """Have XLA compile the loop for an epoch of `samples` images, running no batch of it."""
        for part in self._parts(np.arange(samples, dtype=np.int32), batch):
            self._batches(x, y, part, tf.constant(0, tf.int32), tf.constant([0, 0], tf.int32), tf.constant(0, tf.int32))

    def evaluate(self, x, y) -> tuple[float, float]:
        loss_sum = hits = 0.0
        for i in range(0, len(x), 10_000):
            xb, yb = x[i:i + 10_000], y[i:i + 10_000]
            loss, h = self._eval(xb, yb)
            loss_sum += float(loss) * len(xb)
            hits += float(h)
        return loss_sum / len(x), hits / len(x)


class NetworkPool:
    """Compiled networks kept between training calls, so that a new run of the same shape
    (`Network.shape_of`) skips tracing and XLA compiling: about 2 s on two cores.

    A run borrows a network for one call (its start, or a stretch of epochs), puts its own
    state into it unless it still holds it, and gives it back. At most `idle` networks wait.
    """

    def __init__(self, idle: int = 4):
        self.idle = idle
        self._free: list[Network] = []  # oldest first
        self._lock = threading.Lock()

    def borrow(self, config: TrainConfig) -> Network:
        """A free network of this config's shape (the most recent), else a new one."""
        shape = Network.shape_of(config)
        with self._lock:
            for i in range(len(self._free) - 1, -1, -1):
                if self._free[i].shape == shape:
                    return self._free.pop(i)
        return Network(config)

    def give_back(self, net: Network) -> None:
        with self._lock:
            self._free.append(net)
            del self._free[:-self.idle]

    def __len__(self) -> int:
        return len(self._free)


POOL = NetworkPool()


def warm_up(config: TrainConfig, hurry: Callable[[], bool] = lambda: False) -> None:
    """Compile `config`'s network for its shapes and leave it in the pool (a server calls this
    in the background as it starts, so the first Train click skips the compiling).

    XLA compiles on a function's first call, so it calls the epoch's loop with the shapes of a
    run of `config` and a limit of no batches (compiled, not run), unless `hurry()` says a run is
    already waiting: that run's own first epoch compiles."""
    run = TrainingRun(config)
    if hurry():
        return
    net = POOL.borrow(config)
    try:
        data, (x, y) = run._data(), _training_arrays(config, run.dataset)
        net.compile_epoch(x, y, len(data.x_fit), config.batch_size)
        if data.x_val is not None:
            net.evaluate(data.x_val, data.y_val)
        # Back to the start a run of `config` has, so that run begins without building a model
        # (which would compete with the page that asked for it).
        net.restore(*Network.start_of(config))
        net.holds = ("start", config.key())
    except BaseException:
        net.holds = None
        raise
    finally:
        POOL.give_back(net)


def _training_arrays(config: TrainConfig, dataset: Dataset):
    """Every training image and label as tensors. Runs index into them (their images are the
    first ones), so the compiled loop's inputs have one shape whatever train_samples is."""
    return (tf.convert_to_tensor(flatten(dataset.x_train)),
            tf.convert_to_tensor(encode_labels(dataset.y_train, config.sparse_labels)))


def _taught_inputs(config: TrainConfig, drawings: TeachSet | None, saved_or_start) -> TeachSet | None:
    """A taught run's drawings, checked: its own, and a saved run or starting weights with them."""
    if config.teach and (drawings is None or drawings.digest != config.teaching.drawings or saved_or_start is None):
        raise ValueError("a taught run needs its own drawings and the weights it starts from")
    return drawings


def _epoch_arrays(config: TrainConfig, dataset: Dataset, drawings: TeachSet | None):
    """What a run's epochs index into, as tensors: every training image (then, for a taught run,
    the drawings it learns from), and their labels."""
    if config.teach:
        x, y = training_images(config, dataset, drawings)
        return tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    return _training_arrays(config, dataset)


def _epoch_images(config: TrainConfig, dataset: Dataset, epoch: int, data: Prepared) -> np.ndarray:
    """The images of `epoch`, in the order it sees them (drawn from the seed and the epoch)."""
    if config.teach:
        return epoch_order(config.teaching, config.seed, epoch, len(dataset.x_train))
    return np.random.default_rng([config.seed, epoch]).permutation(len(data.x_fit)).astype(np.int32)


def explosion_loss(baseline_loss: float) -> float:
    """An epoch loss above this counts as diverged: 100 times the untrained loss.

    Keras computes cross-entropy from the logits, so a blown-up network can
    report a huge but finite loss (1e5 at learning rate 10 on raw pixels) rather than NaN.
    """
    return 100 * max(baseline_loss, 1.0)


def diverged_message(config: TrainConfig, epoch: int, loss: float) -> str:
    """What a learner reads when the loss of `epoch` blew up, and what to try."""
    what = "became infinite or not a number" if not math.isfinite(loss) else f"exploded to {loss:.3g}"
    return (f"Training diverged in epoch {epoch}: the loss {what}. "
            f"Try a smaller learning rate (now {config.learning_rate:g})"
            + ("" if config.normalize else " or scale the inputs")
            + (". The epochs before it are kept." if epoch > 1 else ": no epoch finished, so there is nothing to show."))


class TrainingRun(RunReader):
    """A configuration, its per-epoch history, its network and the weights of every epoch.

    status: "ready" (no epoch yet), "running", "finished", "stopped" (asked to stop),
    "early_stopped" (validation loss stopped improving) or "diverged".
    """

    def __init__(self, config: TrainConfig, dataset: Dataset | None = None,
                 budget: int = BUDGET_BYTES, saved=None, drawings: TeachSet | None = None,
                 start: list[np.ndarray] | None = None):
        """A new run of `config`, or with `saved` (a rundir.SavedRun) one read back from disk,
        which then continues exactly as if it had never left memory. A taught run (config.teach)
        needs its `drawings` and, when new, the weights it `start`s from (its base's)."""
        super().__init__()
        self.config = config.validate()
        self._dataset, self._drawings = dataset, _taught_inputs(config, drawings, saved or start)
        self.updates_per_epoch = config.updates_per_epoch
        self._train_lock = threading.Lock()  # one training call at a time
        self._token = object()  # names this run's state in a pooled network (Network.holds)
        if saved is not None:
            self._adopt(saved)
            return
        self.history: list[EpochResult] = []
        self.status, self.message, self.diverged_epoch = "ready", "", None
        net = POOL.borrow(config)
        try:
            if start is None and net.holds == ("start", config.key()):
                weights, self._state = net.model.get_weights(), net.state_arrays()
            else:
                weights, self._state = Network.start_of(config)
                if start is not None:  # a taught run: its base's weights, a fresh optimizer
                    weights = [np.asarray(w, np.float32) for w in start]
                net.restore(weights, self._state)
            self._weights = EpochWeights(weights, budget=budget, planned_epochs=max(50, config.epochs))
            data = self._data()
            self.baseline_loss, self.baseline_accuracy = net.evaluate(data.x_test, data.y_test)
            net.holds = (self._token, 0)
        finally:
            POOL.give_back(net)

    def _adopt(self, saved) -> None:
        """Take over a saved run's history, stored epochs, weights, optimizer and random state
        (ValueError if they do not fit this config's network)."""
        weights, arrays = saved.state()
        self.history = list(saved.history)
        self.status, self.message, self.diverged_epoch = saved.status, saved.message, saved.diverged_epoch
        self._weights = weights
        self._state = {k: v for k, v in arrays.items() if k.startswith(("opt", "rng"))}
        net = POOL.borrow(self.config)
        try:
            net.restore(weights.last, self._state)
            net.holds = (self._token, self.epochs_done)
        finally:
            POOL.give_back(net)
        self.baseline_loss, self.baseline_accuracy = saved.baseline_loss, saved.baseline_accuracy

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The run's exact state for a run file: last weights, optimizer, random state."""
        return {**self._weights.state_arrays(), **self._state}

    def epoch_arrays(self, epoch: int) -> dict[str, np.ndarray]:
        """The stored change of `epoch` (0: the start), written once (mnist_core.store.rundir)."""
        return self._weights.epoch_arrays(epoch)

    def best_arrays(self) -> tuple[int, dict[str, np.ndarray]] | None:
        """(best epoch, its exact weights) when the best epoch is not the last one, else None."""
        arrays = self._weights.best_arrays()
        return None if arrays is None else (self._weights.best_epoch, arrays)

    @property
    def dataset(self) -> Dataset:
        return self._dataset or load_dataset(self.config.dataset)

    def _data(self) -> Prepared:
        if self.config.teach:
            return teach_data(self.config, self.dataset, self._drawings)
        return prepare(self.config, self.dataset)


    # --- training ------------------------------------------------------------

    def train_to(self, epochs: int, on_epoch: EpochCallback | None = None) -> TrainingRun:
        """Train until `epochs` epochs are done (nothing to do if they already are).

        Stops early when on_epoch returns True ("stopped"), when the validation
        loss has not improved for `early_stopping` epochs ("early_stopped"), or when
        the loss becomes NaN, infinite or explodes ("diverged"). Finished epochs are kept.
        """
        with self._train_lock:
            if self.status == "diverged" or epochs <= self.epochs_done:
                return self
            self.status, self.message = "running", ""
            net = POOL.borrow(self.config)
            try:
                if net.holds != (self._token, self.epochs_done):
                    net.restore(self._weights.last, self._state)
                self._train(net, epochs, on_epoch)
                net.holds = None if self.status == "diverged" else (self._token, self.epochs_done)
            except BaseException:
                # Interrupted mid-epoch: the run stays at its last finished epoch.
                net.holds = None
                self.status = "stopped"
                self.message = "Training was interrupted; the finished epochs are kept."
                raise
            finally:
                POOL.give_back(net)
            return self

    def _train(self, net: Network, epochs: int, on_epoch: EpochCallback | None) -> None:
        data = self._data()
        x, y = _epoch_arrays(self.config, self.dataset, self._drawings)
        started = time.perf_counter()
        self._weights.plan(epochs)
        for epoch in range(self.epochs_done + 1, epochs + 1):
            result = self._one_epoch(net, epoch, data, x, y, started)
            if result is None:
                return  # diverged: _one_epoch said why
            self.history.append(result)
            self._weights.record(net.model.get_weights(), is_best=self.best_epoch == epoch)
            self._state = net.state_arrays()
            if on_epoch is not None and on_epoch(result) and epoch < epochs:
                self.status, self.message = "stopped", f"Stopped after epoch {epoch} of {epochs}."
                return
            if self._patience_ran_out():
                self.status = "early_stopped"
                self.message = (f"Early stopping after epoch {epoch}: the validation loss has not improved "
                                f"for {self.config.early_stopping} epochs (best at epoch {self.best_epoch}).")
                return
        self.status = "finished"

    def _one_epoch(self, net: Network, epoch: int, data: Prepared, x, y, started: float) -> EpochResult | None:
        """Train one epoch and measure it; None (and status "diverged") if the loss blew up."""
        order = _epoch_images(self.config, self.dataset, epoch, data)
        n = len(order)
        t0 = time.perf_counter()
        changed_from = len(self.dataset.x_train) if self.config.teach else 0  # a taught run changes its drawings only
        loss_sum, correct, finite = net.train_epoch(x, y, order, self.config.batch_size,
                                                    noise_seed(self.config.seed, epoch), changed_from)
        seconds = time.perf_counter() - t0
        loss = loss_sum / n if finite else math.nan
        if not math.isfinite(loss) or loss > explosion_loss(self.baseline_loss):
            return self._diverged(epoch, loss)
        val_loss = val_acc = None
        if data.x_val is not None:
            val_loss, val_acc = net.evaluate(data.x_val, data.y_val)
            if not math.isfinite(val_loss):
                return self._diverged(epoch, val_loss)
        test_loss, test_acc = (val_loss, val_acc) if data.validation_is_test else \
            net.evaluate(data.x_test, data.y_test)
        return EpochResult(epoch=epoch, loss=loss, accuracy=correct / n, val_loss=val_loss,
                           val_accuracy=val_acc, test_loss=test_loss, test_accuracy=test_acc,
                           seconds=seconds, elapsed=time.perf_counter() - started,
                           samples_per_second=n / seconds if seconds > 0 else float("inf"))

    def _diverged(self, epoch: int, loss: float) -> None:
        self.status, self.diverged_epoch = "diverged", epoch
        self.message = diverged_message(self.config, epoch, loss)
        return None  # the finished epochs stay as they were

    def _patience_ran_out(self) -> bool:
        patience, best = self.config.early_stopping, self.best_epoch
        return bool(patience) and best is not None and self.epochs_done - best >= patience

    # --- reading the run -----------------------------------------------------

    @property
    def bits(self) -> list[float]:
        """Bits per weight used to store each epoch (see snapshots.py)."""
        return self._weights.bits

    @property
    def snapshot_bytes(self) -> int:
        """Memory held for looking at past epochs (changes plus the best epoch's copy)."""
        return self._weights.nbytes

    @property
    def memory_bytes(self) -> int:
        """A run's footprint: stored epochs, live weights, their last copy and optimizer state."""
        slots = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adam": 2}[self.config.optimizer]
        return self.snapshot_bytes + 4 * self.params * (2 + slots)

    def weights_at(self, epoch: int) -> list[np.ndarray]:
        """Weights after `epoch` (0: untrained). The last and the best epochs are exact."""
        if not 0 <= epoch <= self.epochs_done:
            raise IndexError(f"epoch {epoch}: this run has epochs 0 to {self.epochs_done}")
        return self._weights.at(epoch)

    def iter_weights(self):
        """The weights after epoch 1, 2, ..., last in turn."""
        yield from self._weights

    def save(self, path) -> None:
        """Write a run file (see mnist_core.model.runs): config, history, every epoch's weights."""
        save_run_file(path, self)

    def summary(self) -> dict:
        """The run as plain data (the command line's --json)."""
        return run_summary(self)


def run_summary(run: TrainingRun) -> dict:
    """A trained run as plain data: settings, status, every epoch and the headline numbers."""
    return {
        "config": run.config.to_dict(), "status": run.status, "message": run.message,
        "epochs": run.epochs_done, "history": [r.as_dict() for r in run.history],
        "best_epoch": run.best_epoch, "final_epoch": run.final_epoch,
        "test_loss": run.test_loss, "test_accuracy": run.test_accuracy,
        "untrained_test_accuracy": run.baseline_accuracy, "params": run.params,
        "updates_per_epoch": run.updates_per_epoch, "diverged_epoch": run.diverged_epoch,
        "snapshot_bytes": run.snapshot_bytes,
    }


def train(config: TrainConfig, on_epoch: EpochCallback | None = None,
          dataset: Dataset | None = None) -> TrainingRun:
    """Build, compile and train a run of `config` for config.epochs epochs."""
    return TrainingRun(config, dataset=dataset).train_to(config.epochs, on_epoch)

"""Inside a dense network: what its units look for, what one image does to them, the hidden
layer's map of the test set and the layers' health, epoch by epoch, from stored weights.

All numpy (like mnist_core.model.inference): a page showing this never imports TensorFlow. The
costly part, the activations of a fixed sample of test images at many epochs, is computed
once per run and epoch and kept in a small, bounded cache (`inspector`).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from mnist_core.model.preprocess import prepare_images

MAP_SAMPLE = 2000  # test images on the hidden layer's map and in the health numbers
MAP_SEED = 7  # the same sample for every run and every server
MAX_FRAMES = 11  # epochs computed for the map's animation and the health chart over epochs
FOLLOW_EPOCHS = 8  # epochs at which one first-layer unit can be followed
CACHED_RUNS = 8  # inspectors kept: each holds FOLLOW_EPOCHS first layers in float16 (at most 12.8 MB)
KEPT_NETWORKS = 2  # full networks kept (the epoch in view and the one before: 16 MB each at most)

HIDDEN = {
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(np.float32)),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a)),
    "tanh": (np.tanh, lambda z, a: 1 - a * a),
    "linear": (lambda z: z, lambda z, a: np.ones_like(z)),
}


class NotInspectable(ValueError):
    """A model this page cannot look into; the message says why, in a sentence."""


@dataclass(frozen=True)
class Network:
    """What the numpy passes need: Dense kernels and biases, and each hidden layer's activation."""

    weights: list  # [kernel, bias] per layer, the output layer last
    activations: tuple[str, ...]  # one per hidden layer
    normalize: bool  # inputs scaled to 0-1 (else raw 0-255)

    @property
    def kernels(self) -> list[np.ndarray]:
        return self.weights[0::2]

    @property
    def biases(self) -> list[np.ndarray]:
        return self.weights[1::2]

    @property
    def sizes(self) -> tuple[int, ...]:
        """Units in each hidden layer."""
        return tuple(k.shape[1] for k in self.kernels[:-1])


def network_of(run, epoch: int) -> Network:
    """The run's network after `epoch`, or NotInspectable saying why it cannot be shown."""
    weights = run.weights_at(epoch)
    if weights is None:
        raise NotInspectable("This model has layers other than Dense ones, so its units cannot be shown.")
    weights = [np.asarray(w, np.float32) for w in weights]
    if run.config is not None:
        activations = (run.config.activation,) * (len(weights) // 2 - 1)
        return Network(weights, activations, run.config.normalize)
    names = run.activations()
    if names[-1] != "softmax":
        raise NotInspectable(f"Its output layer uses {names[-1]}, not softmax, so its outputs are not "
                             "probabilities.")
    if len(names) < 2:
        raise NotInspectable("It has no hidden layer: its inputs go straight to the outputs.")
    strange = sorted(set(names[:-1]) - set(HIDDEN))
    if strange:
        raise NotInspectable(f"Its hidden layers use {', '.join(strange)}; this page knows "
                             f"{', '.join(HIDDEN)}.")
    return Network(weights, tuple(names[:-1]), True)


def inputs(net: Network, images: np.ndarray) -> np.ndarray:
    """Images (N, 28, 28) uint8 as the network's inputs (N, 784)."""
    return prepare_images(np.asarray(images).reshape(-1, 28, 28), net.normalize)


def forward_layers(net: Network, x: np.ndarray) -> tuple[list, list, np.ndarray]:
    """(pre-activations, activations) of every hidden layer, and the output probabilities."""
    pre, post = [], []
    h = np.asarray(x, np.float32)
    with np.errstate(over="ignore", invalid="ignore"):  # a network near divergence can overflow
        for kernel, bias, name in zip(net.kernels, net.biases, net.activations):
            z = h @ kernel + bias
            h = HIDDEN[name][0](z).astype(np.float32)
            pre.append(z)
            post.append(h)
        z = h @ net.kernels[-1] + net.biases[-1]
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        probs = e / e.sum(axis=1, keepdims=True)
    return pre, post, probs


# --- what each first-layer unit looks for --------------------------------------------

SORTS = {
    "unit": "unit number",
    "strongest": "strongest",
    "active": "most active",
    "changed": "most changed",
}
SORT_HELP = {
    "unit": "in the layer's own order",
    "strongest": "with the largest weights first",
    "active": "with the largest mean output on the sample test images first",
    "changed": "that moved furthest from their random start first",
}


def unit_order(by: str, kernel: np.ndarray, start: np.ndarray | None = None,
               mean_activation: np.ndarray | None = None) -> np.ndarray:
    """First-layer units in the order `by` (a key of SORTS), as indices."""
    if by == "strongest":
        score = np.linalg.norm(kernel, axis=0)
    elif by == "changed" and start is not None:
        score = np.linalg.norm(kernel - start, axis=0)
    elif by == "active" and mean_activation is not None:
        score = mean_activation
    else:
        return np.arange(kernel.shape[1])
    return np.argsort(-np.nan_to_num(score, nan=-np.inf), kind="stable")


def symmetric_limit(values: np.ndarray) -> float:
    """One scale for a grid of weights, centred on zero: the 99.5th percentile of |w|, so one
    extreme weight does not wash out the rest."""
    finite = np.abs(values[np.isfinite(values)])
    return float(np.percentile(finite, 99.5)) if finite.size and finite.max() > 0 else 1.0


# --- one image through the network ---------------------------------------------------


def contributions(net: Network, post: list, target: int) -> np.ndarray:
    """How much each unit of the last hidden layer pushed the output `target`: its activation
    times its outgoing weight (these plus the bias add up to the output's score)."""
    return post[-1][0] * net.kernels[-1][:, target]


def input_pictures(net: Network, pre: list, post: list, units: np.ndarray) -> np.ndarray:
    """For units of the last hidden layer, the 28x28 picture of what each responds to.

    For the first hidden layer this is exactly the unit's incoming weights. For a deeper
    layer it is the same idea for this one image: how much each pixel changes the unit's
    weighted sum, through the units of the layers before it that are active here (the
    gradient of the sum with respect to the input)."""
    picture = net.kernels[len(pre) - 1][:, units]
    for layer in range(len(pre) - 2, -1, -1):
        slope = HIDDEN[net.activations[layer]][1](pre[layer][0], post[layer][0])
        picture = net.kernels[layer] @ (slope[:, None] * picture)
    return picture.T.reshape(-1, 28, 28)


# --- the hidden layer's map and the layers' health, per epoch -------------------------


def layer_names(net: Network) -> list[str]:
    """"hidden 1", "hidden 2", ... and "output"."""
    return [f"hidden {i + 1}" for i in range(len(net.sizes))] + ["output"]


def health_rows(net: Network, dead: list[int], changes: np.ndarray, epoch: int) -> list[dict]:
    """One row a layer: its units, its dead units (hidden layers; `dead` counts them) and how far
    its weights moved in epoch `epoch` (`changes[epoch - 1]`, relative to their size)."""
    units = list(net.sizes) + [net.kernels[-1].shape[1]]
    return [{"layer": name, "units": n,
             "dead units": "-" if d is None else f"{d:,} ({d / n:.0%})",
             "moved in this epoch": f"{changes[epoch - 1, i]:.1%}" if epoch >= 1 and len(changes) else "-"}
            for i, (name, n, d) in enumerate(zip(layer_names(net), units, list(dead) + [None]))]


def map_sample(test_size: int) -> np.ndarray:
    """The fixed test images on the map: MAP_SAMPLE of them, the same for every run."""
    rng = np.random.default_rng(MAP_SEED)
    return np.sort(rng.choice(test_size, size=min(MAP_SAMPLE, test_size), replace=False))


def frame_epochs(last: int, most: int = MAX_FRAMES) -> list[int]:
    """Epochs for the map's animation and the charts over epochs: all of them, or `most`
    spread evenly from 0 (untrained) to the last."""
    return sorted({int(round(e)) for e in np.linspace(0, last, min(last + 1, most))})


@dataclass(frozen=True)
class EpochView:
    """The sample of test images at one epoch."""

    points: np.ndarray  # (MAP_SAMPLE, 2): the last hidden layer projected on the run's map; NaN if it overflowed
    dead: tuple  # per hidden layer: relu units at zero for every sample image (None for other activations)
    mean_first: np.ndarray  # each first-layer unit's mean activation
    overflowed: bool  # some activation was not a finite number


class Inspector:
    """One run's map, health and followed units, computed once and kept (bounded, see below).

    The map projects the last hidden layer's activations on one basis for every epoch: the
    two main directions (principal components) of the last epoch's activations. So the axes
    stay put as the epoch changes and the classes are seen pulling apart along them.

    Reading the weights of epoch k decodes k stored changes (mnist_core.model.snapshots: 0.36 s at
    epoch 49 of the largest network), so everything needed over the epochs is gathered in one
    pass (`_sweep`): the views of the frame epochs, every epoch's weight change and the first
    layer at FOLLOW_EPOCHS epochs (float16: 12.8 MB for 1,024 units, the most a run holds here).
    """

    def __init__(self, run):
        self._run = weakref.ref(run)
        self.epochs_done = run.epochs_done
        self.last = max(run.epochs_done, 0)  # an imported model has one set of weights: "epoch 0"
        self.sample = map_sample(len(run.dataset.y_test))
        self.labels = run.dataset.y_test[self.sample]
        self._views: dict[int, EpochView] = {}
        self._basis: np.ndarray | None = None
        self._changes: np.ndarray | None = None
        self._follow: dict[int, np.ndarray] = {}  # epoch -> first-layer kernel (float16)
        self._swept = False
        self._lock = threading.RLock()

    @property
    def run(self):
        run = self._run()
        if run is None:
            raise RuntimeError("the run was dropped")
        return run

    def network(self, epoch: int) -> Network:
        """The run's network after `epoch`; the last two asked for (of any run) are kept."""
        key = (id(self), epoch)
        with _NETWORKS_LOCK:
            if key in _NETWORKS:
                _NETWORKS.move_to_end(key)
                return _NETWORKS[key]
        net = network_of(self.run, epoch)
        with _NETWORKS_LOCK:
            _NETWORKS[key] = net
            while len(_NETWORKS) > KEPT_NETWORKS:
                _NETWORKS.popitem(last=False)
        return net

    def view(self, epoch: int) -> EpochView:
        with self._lock:
            if epoch not in self._views:
                self._views[epoch] = self._view_of(self.network(epoch))
            return self._views[epoch]

    def frames(self) -> dict[int, EpochView]:
        self._sweep()
        return {e: self._views[e] for e in frame_epochs(self.last)}

    def weight_changes(self) -> np.ndarray:
        """(epochs, layers): how far each layer's kernel moved in each epoch, relative to its
        size before the epoch (0.01: by 1%)."""
        self._sweep()
        return self._changes

    def follow(self, unit: int) -> tuple[list[int], np.ndarray]:
        """(epochs, pictures (n, 28, 28)): one first-layer unit from epoch 0 to the last."""
        self._sweep()
        epochs = sorted(self._follow)
        return epochs, np.stack([self._follow[e][:, unit].astype(np.float32).reshape(28, 28) for e in epochs])

    def follow_start(self) -> np.ndarray:
        """The first layer's kernel before training (float16 precision: for sorting by change)."""
        self._sweep()
        return self._follow[0].astype(np.float32)

    def _sweep(self) -> None:
        """One pass over every epoch's weights (see the class's note)."""
        with self._lock:
            if self._swept:
                return
            frames, follow = set(frame_epochs(self.last)), set(frame_epochs(self.last, FOLLOW_EPOCHS))
            self._basis_from(self.network(self.last))
            run, changes, before = self.run, [], None
            every = [run.weights_at(0)] if self.epochs_done < 1 else \
                (w for ws in ([run.weights_at(0)], run.iter_weights()) for w in ws)
            for epoch, weights in enumerate(every):
                net = network_of(run, epoch) if run.config is None else \
                    Network([np.asarray(w, np.float32) for w in weights], (run.config.activation,) *
                            (len(weights) // 2 - 1), run.config.normalize)
                if epoch in frames and epoch not in self._views:
                    self._views[epoch] = self._view_of(net)
                if epoch in follow:
                    self._follow[epoch] = np.clip(net.kernels[0], -6e4, 6e4).astype(np.float16)  # float16's range
                if before is not None:
                    with np.errstate(over="ignore", invalid="ignore"):
                        changes.append([np.linalg.norm(k - b) / max(np.linalg.norm(b), 1e-12)
                                        for k, b in zip(net.kernels, before)])
                before = net.kernels
            self._changes = np.array(changes, np.float64) if changes else np.zeros((0, len(before)))
            self._swept = True

    def _activations(self, net: Network) -> list:
        return forward_layers(net, inputs(net, self.run.dataset.x_test[self.sample]))[1]

    def _view_of(self, net: Network) -> EpochView:
        if self._basis is None:
            self._basis_from(self.network(self.last))
        post = self._activations(net)
        last = post[-1]
        finite = np.isfinite(last).all(axis=1)
        points = np.full((len(last), 2), np.nan)
        if finite.any():
            rows = last[finite].astype(np.float64)  # float64: a network near divergence has huge activations
            points[finite] = (rows - rows.mean(axis=0)) @ self._basis
            # Each epoch at one size (root-mean-square distance 1 from the centre): activations grow as
            # a network trains, and the map is about how the classes are arranged, not how large.
            size = np.sqrt((points[finite] ** 2).sum(axis=1).mean())
            if np.isfinite(size) and size > 0:
                points /= size
        points = points.astype(np.float32)
        dead = tuple(int((~(h > 0).any(axis=0)).sum()) if name == "relu" else None
                     for h, name in zip(post, net.activations))
        mean_first = np.where(np.isfinite(post[0]), post[0], 0).mean(axis=0)  # overflowed ones count as 0
        return EpochView(points, dead, mean_first, bool((~np.isfinite(points)).any()))

    def _basis_from(self, last_net: Network) -> None:
        """The two main directions of the last epoch's activations (units, 2)."""
        if self._basis is not None:
            return
        last = self._activations(last_net)[-1]
        rows = last[np.isfinite(last).all(axis=1)].astype(np.float64)
        basis = np.zeros((last.shape[1], 2))
        if len(rows) > 2:
            _, _, vt = np.linalg.svd(rows - rows.mean(axis=0), full_matrices=False)
            top = vt[:2].T
            # A direction's sign is arbitrary: make its largest loading positive, so that every
            # server draws the same map.
            top *= np.sign(top[np.abs(top).argmax(axis=0), range(top.shape[1])])
            basis[:, :top.shape[1]] = top
        self._basis = basis


_NETWORKS: OrderedDict[tuple, Network] = OrderedDict()  # (inspector, epoch) -> weights, see Inspector.network
_NETWORKS_LOCK = threading.Lock()


_CACHE: OrderedDict[int, Inspector] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def inspector(run) -> Inspector:
    """The run's Inspector, made once per run and number of epochs (a run still training gets a
    new one per epoch, since its map's basis is its last epoch). At most CACHED_RUNS are kept,
    and a cached one does not keep its run alive."""
    with _CACHE_LOCK:
        found = _CACHE.get(id(run))
        if found is not None and found._run() is run and found.epochs_done == run.epochs_done:
            _CACHE.move_to_end(id(run))
            return found
        made = Inspector(run)
        _CACHE[id(run)] = made
        while len(_CACHE) > CACHED_RUNS:
            _CACHE.popitem(last=False)
        return made


def noise_note(epoch: int, units: int) -> str:
    """A sentence for first-layer pictures that still look like noise ("" when they need none):
    after a few epochs each weight has moved only a little from its random start."""
    if not 1 <= epoch <= 3:
        return ""
    many = units >= 128
    return (f"After {epoch} epoch{'s' if epoch > 1 else ''} these pictures still look much like noise, and that "
            "is expected: training moves each weight only a little from its random start"
            + (f", and with {units} units each one needs only a faint pattern" if many else "")
            + ". A run of 10 epochs or more" + (", or fewer units (say 32)," if many else "") + " shows clearer shapes.")

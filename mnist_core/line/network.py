"""The line that separates: a small dense network on two inputs, in numpy, readable.

The Line page shows what a network does before it sees digits: points of two classes in a
plane, a network that draws a boundary between them, and gradient descent moving its weights
down the loss. Everything is small (at most 400 points, 3 hidden layers of 8 units), so a whole
training run is computed in well under a second and kept: "Step" and the epoch slider only
choose which of its recorded steps to show. No TensorFlow, no Streamlit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

DATASETS = {
    "credit": "credit score and income",
    "circle": "circle",
    "xor": "XOR",
    "spiral": "spiral",
}
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
LOSSES = {"cross_entropy": "cross-entropy", "mse": "mean squared error"}
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
TEST_SHARE = 0.3  # of the points, hollow on the plot; the network never trains on them


@dataclass(frozen=True)
class Limits:
    """Bounds that keep any setup under a few seconds (the page and link reading use them)."""

    points: tuple[int, int] = (20, 400)
    noise: tuple[float, float] = (0.0, 1.0)
    layers: tuple[int, int] = (0, 3)
    units: tuple[int, int] = (1, 8)
    batch: tuple[int, int] = (1, 400)
    epochs: tuple[int, int] = (1, 300)
    seed: tuple[int, int] = (0, 9999)


LIMITS = Limits()


@dataclass(frozen=True)
class Setup:
    """Everything that makes a picture: the data, the network and its training. Hashable."""

    data: str = "credit"
    points: int = 200
    noise: float = 0.3
    layers: int = 2
    units: int = 4
    activation: str = "tanh"
    loss: str = "cross_entropy"
    learning_rate: float = 0.03
    batch: int = 10
    epochs: int = 100
    seed: int = 1

    @property
    def sizes(self) -> list[int]:
        """Units per layer from the 2 inputs to the 1 output."""
        return [2] + [self.units] * self.layers + [1]

    def to_dict(self) -> dict[str, str]:
        return {f.name: f"{getattr(self, f.name):g}" if isinstance(getattr(self, f.name), float)
                else str(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_link(cls, params: dict) -> tuple[Setup, list[str]]:
        """A setup from query parameters: unknown keys are ignored, bad or out-of-range values
        replaced by the default or the nearest limit, each with a note."""
        notes, values = [], {}
        for f in fields(cls):
            raw = params.get(f.name)
            if raw is None:
                continue
            value, note = _read(f.name, str(raw)[:32], f.default)
            values[f.name] = value
            if note:
                notes.append(note)
        return cls(**values), notes


def _read(name: str, raw: str, default):
    """One query parameter, checked against the choices or the limits."""
    choices = {"data": DATASETS, "activation": ACTIVATIONS, "loss": LOSSES}.get(name)
    if choices is not None:
        return (raw, "") if raw in choices else (default, f"{name} {raw!r}: not one of {', '.join(choices)}; "
                                                          f"{default} used")
    if name == "learning_rate":
        try:
            wanted = float(raw)
        except ValueError:
            return default, f"learning_rate {raw!r}: not a number; {default:g} used"
        if not math.isfinite(wanted) or wanted <= 0:
            return default, f"learning_rate {raw!r}: not a positive number; {default:g} used"
        near = min(LEARNING_RATES, key=lambda lr: abs(math.log(lr / wanted)))
        return near, "" if near == wanted else f"learning_rate {raw}: the nearest offered is {near:g}"
    low, high = getattr(LIMITS, name)
    try:
        value = type(default)(float(raw)) if isinstance(default, float) else int(raw)
    except ValueError:
        return default, f"{name} {raw!r}: not a number; {default} used"
    clamped = min(max(value, low), high)
    return clamped, "" if clamped == value else f"{name} {raw}: outside {low} to {high}, set to {clamped}"


# --- the data ------------------------------------------------------------------------


@dataclass(frozen=True)
class Data:
    x: np.ndarray  # (n, 2) in the data's own units
    y: np.ndarray  # (n,) 0 or 1
    test: np.ndarray  # (n,) True for a test point
    names: tuple[str, str]  # the two inputs
    classes: tuple[str, str]  # class 0, class 1

    @property
    def centre(self) -> np.ndarray:
        return self.x[~self.test].mean(axis=0)

    @property
    def scale(self) -> np.ndarray:
        return self.x[~self.test].std(axis=0) + 1e-9

    def inputs(self, x: np.ndarray | None = None) -> np.ndarray:
        """Points as the network sees them: each input shifted and scaled by the training points'
        mean and spread (so one learning rate suits every dataset)."""
        return ((self.x if x is None else x) - self.centre) / self.scale


def make_data(setup: Setup) -> Data:
    """The setup's points: the same seed gives the same points."""
    rng = np.random.default_rng(setup.seed)
    n, noise = setup.points, setup.noise
    half = n // 2
    if setup.data == "credit":
        # Borrowers who repaid sit higher on both; the groups overlap more as the noise grows.
        spread = 0.8 + 1.6 * noise
        repaid = rng.normal([6.5, 6.0], spread, (n - half, 2))
        not_repaid = rng.normal([3.5, 3.5], spread, (half, 2))
        x, y = np.vstack([not_repaid, repaid]), np.r_[np.zeros(half), np.ones(n - half)]
        names, classes = ("credit score", "income"), ("did not repay", "repaid")
    elif setup.data == "circle":
        radius = np.r_[rng.uniform(0, 2, half), rng.uniform(3, 5, n - half)]
        angle = rng.uniform(0, 2 * np.pi, n)
        x = np.c_[radius * np.cos(angle), radius * np.sin(angle)] + rng.normal(0, noise, (n, 2))
        y, names, classes = np.r_[np.ones(half), np.zeros(n - half)], ("x1", "x2"), ("outside", "inside")
    elif setup.data == "xor":
        x = rng.uniform(-5, 5, (n, 2))
        x += np.sign(x) * 0.3  # a small gap along the axes
        y = ((x[:, 0] > 0) == (x[:, 1] > 0)).astype(float)
        x, names, classes = x + rng.normal(0, noise, (n, 2)), ("x1", "x2"), ("opposite signs", "same sign")
    else:  # two interleaved spirals
        t = np.sqrt(rng.uniform(0, 1, n)) * 3 * np.pi
        arm = np.r_[np.zeros(half), np.ones(n - half)]
        angle = t + arm * np.pi
        x = np.c_[t * np.cos(angle), t * np.sin(angle)] * 0.5 + rng.normal(0, noise, (n, 2))
        y, names, classes = arm, ("x1", "x2"), ("arm A", "arm B")
    test = np.zeros(n, bool)
    test[rng.permutation(n)[:int(round(n * TEST_SHARE))]] = True
    return Data(x.astype(np.float64), y.astype(np.float64), test, names, classes)


# --- the network: a forward pass, backpropagation, a step ------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(z, -60, 60)))


# Each activation and its slope, written in terms of the activation's own output a.
ACT = {
    "tanh": (np.tanh, lambda a: 1 - a ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda a: (a > 0).astype(float)),
    "sigmoid": (sigmoid, lambda a: a * (1 - a)),
    "linear": (lambda z: z, lambda a: np.ones_like(a)),
}


def init(sizes: list[int], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Starting weights: the hidden layers uniform in +-sqrt(6 / (fan_in + fan_out)) (Keras' default),
    which lets their units learn different things; the output layer at zero, so that before any
    step the network says 50/50 everywhere, as an untrained network should (a random line could
    happen to split two groups well and score 96% untrained). Biases 0."""
    rng = np.random.default_rng([seed, 1])
    layers = [(rng.uniform(-1, 1, (m, n)) * math.sqrt(6 / (m + n)), np.zeros(n)) for m, n in zip(sizes, sizes[1:])]
    return layers[:-1] + [(np.zeros_like(layers[-1][0]), layers[-1][1])]


def forward(params, x: np.ndarray, activation: str) -> list[np.ndarray]:
    """Every layer's output, from the inputs x to the probability of class 1 (a sigmoid)."""
    outputs = [x]
    for i, (w, b) in enumerate(params):
        z = outputs[-1] @ w + b
        outputs.append(sigmoid(z) if i == len(params) - 1 else ACT[activation][0](z))
    return outputs


def loss_of(p: np.ndarray, y: np.ndarray, loss: str) -> float:
    """Cross-entropy, or the mean of (y - p) squared, of probabilities p for labels y (0 or 1)."""
    p = np.clip(p.ravel(), 1e-7, 1 - 1e-7)
    if loss == "mse":
        return float(np.mean((y - p) ** 2))
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def gradient_step(params, x, y, activation, loss, learning_rate):
    """One step of gradient descent on the points x with labels y.

    Forward, then backpropagation: the slope of the loss with respect to the output's weighted
    sum, passed back layer by layer with the chain rule; each weight then moves against its
    slope, by the learning rate times the slope."""
    out = forward(params, x, activation)
    p = out[-1][:, 0]
    if loss == "mse":
        slope = 2 * (p - y) * p * (1 - p) / len(y)  # d loss / d z through the sigmoid
    else:
        slope = (p - y) / len(y)  # cross-entropy and sigmoid: the slope is simply p - y
    slope = slope[:, None]
    new = []
    for i in range(len(params) - 1, -1, -1):
        w, b = params[i]
        w_slope, b_slope = out[i].T @ slope, slope.sum(axis=0)
        if i > 0:
            slope = (slope @ w.T) * ACT[activation][1](out[i])  # the chain rule, one layer back
        new.append((w - learning_rate * w_slope, b - learning_rate * b_slope))
    return new[::-1]


# --- training, recorded --------------------------------------------------------------


@dataclass
class Trace:
    """A whole training run: the weights after every epoch (0: the start), the losses and
    accuracies, and for a network without a hidden layer the path of its weights, step by step."""

    setup: Setup
    data: Data
    weights: list  # per epoch
    train_loss: list
    test_loss: list
    train_accuracy: list
    test_accuracy: list
    path: np.ndarray | None  # (steps + 1, 3): w1, w2, b after each step (no hidden layer only)
    steps_per_epoch: int
    diverged: int | None = None  # the epoch in which the loss stopped being a number

    @property
    def epochs_done(self) -> int:
        return len(self.weights) - 1


def epoch_order(setup: Setup, epoch: int, count: int) -> np.ndarray:
    """The shuffled order of the training points in an epoch (from the seed and the epoch)."""
    return np.random.default_rng([setup.seed, 2, epoch]).permutation(count)


def steps(setup: Setup, data: Data, params, epoch: int, count: int | None = None):
    """The weights after each of the first `count` steps of `epoch` (all of them by default),
    starting from `params`."""
    x, y = data.inputs()[~data.test], data.y[~data.test]
    order = epoch_order(setup, epoch, len(x))
    batches = [order[i:i + setup.batch] for i in range(0, len(x), setup.batch)]
    for batch in batches[:count]:
        params = gradient_step(params, x[batch], y[batch], setup.activation, setup.loss, setup.learning_rate)
        yield params


def measure(trace: Trace, params) -> bool:
    """Record the losses and accuracies of `params`; False once they are not numbers."""
    data, setup = trace.data, trace.setup
    for part, losses, accuracies in ((~data.test, trace.train_loss, trace.train_accuracy),
                                     (data.test, trace.test_loss, trace.test_accuracy)):
        p = forward(params, data.inputs()[part], setup.activation)[-1][:, 0]
        losses.append(loss_of(p, data.y[part], setup.loss))
        accuracies.append(float(np.mean((p > 0.5) == (data.y[part] > 0.5))))
    return all(np.isfinite(w).all() and np.isfinite(b).all() for w, b in params) and \
        np.isfinite(trace.train_loss[-1])


def measure_params(trace: Trace, params) -> dict:
    """Loss and accuracy of any weights on the training and the test points."""
    out = {}
    for name, part in (("train", ~trace.data.test), ("test", trace.data.test)):
        with np.errstate(over="ignore", invalid="ignore"):
            p = forward(params, trace.data.inputs()[part], trace.setup.activation)[-1][:, 0]
        out[f"{name}_loss"] = loss_of(p, trace.data.y[part], trace.setup.loss)
        out[f"{name}_accuracy"] = float(np.mean((p > 0.5) == (trace.data.y[part] > 0.5)))
    return out


def train(setup: Setup) -> Trace:
    """Train the setup's network for all its epochs (a loss that stops being a number ends it)."""
    data = make_data(setup)
    params = init(setup.sizes, setup.seed)
    count = int((~data.test).sum())
    trace = Trace(setup, data, [params], [], [], [], [], None, math.ceil(count / setup.batch))
    path = [_flat(params)] if setup.layers == 0 else None
    measure(trace, params)
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, setup.epochs + 1):
            for stepped in steps(setup, data, params, epoch):
                if path is not None:
                    path.append(_flat(stepped))
            if not measure(trace, stepped):  # the epoch's weights are not numbers: keep the ones before
                for numbers in (trace.train_loss, trace.test_loss, trace.train_accuracy, trace.test_accuracy):
                    numbers.pop()
                trace.diverged = epoch
                break
            params = stepped
            trace.weights.append(params)
    trace.path = np.array(path) if path is not None else None
    return trace


def _flat(params) -> np.ndarray:
    (w, b), = params
    return np.array([w[0, 0], w[1, 0], b[0]])


# --- what the page draws ------------------------------------------------------------


def params_at(trace: Trace, epoch: int, step: int = 0):
    """The weights after `step` steps into the epoch after `epoch` (step 0: at the end of `epoch`)."""
    params = trace.weights[epoch]
    if step and epoch < trace.epochs_done:
        with np.errstate(over="ignore", invalid="ignore"):
            *_, params = steps(trace.setup, trace.data, trace.weights[epoch], epoch + 1, step)
    return params


def plane(data: Data, size: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """The x and y coordinates of a size x size grid over the points, a tenth wider each way."""
    low, high = data.x.min(axis=0), data.x.max(axis=0)
    pad = (high - low) * 0.1 + 1e-9
    return np.linspace(low[0] - pad[0], high[0] + pad[0], size), np.linspace(low[1] - pad[1], high[1] + pad[1], size)


def regions(trace: Trace, params, size: int = 80) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(xs, ys, maps): over the plane, the probability of class 1 (maps[-1]) and before it every
    hidden unit's output (maps[i] is (units, size, size) for hidden layer i)."""
    xs, ys = plane(trace.data, size)
    gx, gy = np.meshgrid(xs, ys)
    with np.errstate(over="ignore", invalid="ignore"):
        outputs = forward(params, trace.data.inputs(np.c_[gx.ravel(), gy.ravel()]), trace.setup.activation)
    maps = [o.T.reshape(-1, size, size) for o in outputs[1:]]
    return xs, ys, maps


def equation(trace: Trace, params) -> tuple[float, float, float]:
    """A network without a hidden layer predicts class 1 where a1*x1 + a2*x2 + c > 0: its line,
    in the data's own units (the network's inputs were shifted and scaled)."""
    (w, b), = params
    a = w[:, 0] / trace.data.scale
    return float(a[0]), float(a[1]), float(b[0] - a @ trace.data.centre)


def equation_text(trace: Trace, params) -> str:
    a1, a2, c = equation(trace, params)
    x1, x2 = trace.data.names
    first = f"−{abs(a1):.2f}" if a1 < 0 else f"{a1:.2f}"  # one minus sign throughout, the typographic one
    return f"{first} · {x1} {'−' if a2 < 0 else '+'} {abs(a2):.2f} · {x2} {'−' if c < 0 else '+'} {abs(c):.2f} = 0"


def loss_surface(trace: Trace, bias: float, size: int = 50):
    """For a network without a hidden layer: the training loss over a grid of its two weights,
    the bias held at `bias`; the grid covers the weights' path. (w1s, w2s, losses (size, size))."""
    path = trace.path[np.isfinite(trace.path).all(axis=1)]
    low = np.minimum(path[:, :2].min(axis=0), -1.0)
    high = np.maximum(path[:, :2].max(axis=0), 1.0)
    pad = (high - low) * 0.25
    w1s = np.linspace(low[0] - pad[0], high[0] + pad[0], size)
    w2s = np.linspace(low[1] - pad[1], high[1] + pad[1], size)
    g1, g2 = np.meshgrid(w1s, w2s)
    x, y = trace.data.inputs()[~trace.data.test], trace.data.y[~trace.data.test]
    p = sigmoid(np.outer(g1.ravel(), x[:, 0]) + np.outer(g2.ravel(), x[:, 1]) + bias)
    p = np.clip(p, 1e-7, 1 - 1e-7)
    if trace.setup.loss == "mse":
        losses = ((y - p) ** 2).mean(axis=1)
    else:
        losses = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(axis=1)
    return w1s, w2s, losses.reshape(size, size)


def path_sentence(trace: Trace) -> str:
    """What the learning rate did to the path of the weights, read from the path itself."""
    lr = trace.setup.learning_rate
    if trace.diverged:
        return (f"At learning rate {lr:g} each step overshot further than the last: the weights flew off and the "
                f"loss stopped being a number in epoch {trace.diverged}. Try a smaller learning rate.")
    moves = np.diff(trace.path[:, :2], axis=0)
    moves = moves[np.linalg.norm(moves, axis=1) > 1e-12]
    turns = (moves[1:] * moves[:-1]).sum(axis=1) < 0 if len(moves) > 1 else np.zeros(0, bool)
    losses = trace.train_loss
    still_falling = len(losses) > 2 and losses[-2] - losses[-1] > 0.002 * max(losses[0], 1e-9)
    if len(turns) and turns.mean() > 0.3:
        return (f"At learning rate {lr:g} the path zig-zags: a step often goes past the bottom of the valley "
                "and the next comes back. A smaller learning rate walks down more smoothly.")
    if still_falling:
        return (f"At learning rate {lr:g} the path is still heading downhill when training ends: larger steps, "
                "or more epochs, would get further.")
    return f"At learning rate {lr:g} the steps head downhill and settle near the bottom of the valley."


def moment(epoch: int, step: int) -> str:
    """Where a replay stands, in words: 'before training', 'after epoch 3', 'after 2 steps of
    epoch 1', 'after epoch 3 and 1 step of epoch 4'."""
    steps = f"{step} step{'s' if step > 1 else ''} of epoch {epoch + 1}"
    if epoch == 0:
        return f"after {steps}" if step else "before training"
    return f"after epoch {epoch}" + (f" and {steps}" if step else "")

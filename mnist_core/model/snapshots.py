"""The weights after every epoch, kept within a fixed memory budget.

A float32 copy of every epoch is too big: the largest allowed network (4 x 1024
units, 3.96 million weights) would need 16 MB an epoch, 790 MB for 50 epochs.
So each epoch stores only how the weights *changed* since the previous one,
quantised with one scale per output unit to 8 or 4 bits per weight, to three
levels (-1, 0, +1: five to a byte, 1.6 bits) or to the sign alone (1 bit). The
code is the widest that keeps the planned epochs inside the budget. The
untrained start is stored as an 8-bit code of its own.

Quantisation errors do not pile up: each change is measured against the
*reconstructed* previous weights, so the error carried into epoch k is what
epoch k's own rounding left over (error feedback), never a sum over epochs.
"""

from __future__ import annotations

import numpy as np

BUDGET_BYTES = 64 * 1024 * 1024
PLANNED_EPOCHS = 50
# Code widths, widest first: 8 and 4 bits, three levels (5 per byte), the sign.
BIT_WIDTHS = (8, 4, 3, 1)
_BYTES_PER_WEIGHT = {8: 1.0, 4: 0.5, 3: 0.2, 1: 0.125}
BITS_PER_WEIGHT = {k: v * 8 for k, v in _BYTES_PER_WEIGHT.items()}


def _as_2d(array: np.ndarray) -> np.ndarray:
    return array.reshape(-1, array.shape[-1]) if array.ndim > 1 else array.reshape(1, -1)


def _pack(values: np.ndarray, code: int) -> np.ndarray:
    """Pack small unsigned integers into bytes: 8/code of them per byte, or five base-3 digits."""
    flat = values.astype(np.uint8).ravel()
    if code == 8:
        return flat
    per_byte = 5 if code == 3 else 8 // code
    pad = (-len(flat)) % per_byte
    flat = np.concatenate([flat, np.zeros(pad, np.uint8)]).reshape(-1, per_byte)
    out = np.zeros(len(flat), np.uint8)
    for i in range(per_byte):
        if code == 3:
            out += flat[:, i] * np.uint8(3**i)  # at most 2 * (1 + 3 + 9 + 27 + 81) = 242
        else:
            out |= flat[:, i] << np.uint8(i * code)
    return out


def _unpack(packed: np.ndarray, code: int, count: int) -> np.ndarray:
    if code == 8:
        return packed[:count]
    if code == 3:
        parts = [(packed // np.uint8(3**i)) % np.uint8(3) for i in range(5)]
    else:
        mask = np.uint8((1 << code) - 1)
        parts = [(packed >> np.uint8(i * code)) & mask for i in range(8 // code)]
    return np.stack(parts, axis=1).ravel()[:count]


class _Delta:
    """One tensor's change, quantised: packed codes and a scale per column.

    `bits` names the code: 8 or 4 bits, 3 for the three levels -1/0/+1, 1 for the sign.
    """

    __slots__ = ("bits", "shape", "codes", "scale")

    def __init__(self, change: np.ndarray, bits: int):
        d = _as_2d(change)
        self.bits = bits
        self.shape = change.shape
        if bits == 1:
            # Sign and the mean magnitude: the best one-bit code in squared error.
            self.scale = np.abs(d).mean(axis=0).astype(np.float32)
            self.codes = _pack(d >= 0, 1)
        else:
            qmax = 1 if bits == 3 else 2 ** (bits - 1) - 1
            scale = np.abs(d).max(axis=0) / qmax
            scale[scale == 0] = 1.0
            self.scale = scale.astype(np.float32)
            q = np.clip(np.rint(d / self.scale), -qmax, qmax) + qmax
            self.codes = _pack(q, bits)

    def decode(self) -> np.ndarray:
        rows = int(np.prod(self.shape[:-1])) if len(self.shape) > 1 else 1
        cols = self.shape[-1]
        q = _unpack(self.codes, self.bits, rows * cols).reshape(rows, cols).astype(np.float32)
        if self.bits == 1:
            q = q * 2 - 1
        else:
            q -= 1 if self.bits == 3 else 2 ** (self.bits - 1) - 1
        return (q * self.scale).reshape(self.shape)

    @property
    def nbytes(self) -> int:
        return self.codes.nbytes + self.scale.nbytes

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The stored form, as named arrays (for a run file)."""
        return {f"{prefix}codes": self.codes, f"{prefix}scale": self.scale,
                f"{prefix}shape": np.array(self.shape, np.int64), f"{prefix}bits": np.array(self.bits, np.int64)}

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> _Delta:
        """The inverse of `arrays`; ValueError if they do not fit together."""
        delta = cls.__new__(cls)
        delta.bits = int(arrays[f"{prefix}bits"])
        delta.shape = tuple(int(n) for n in arrays[f"{prefix}shape"])
        delta.codes = np.asarray(arrays[f"{prefix}codes"], np.uint8)
        delta.scale = np.asarray(arrays[f"{prefix}scale"], np.float32)
        count = int(np.prod(delta.shape))
        per_byte = {8: 1, 4: 2, 3: 5, 1: 8}.get(delta.bits)
        if (per_byte is None or len(delta.shape) not in (1, 2) or len(delta.codes) != -(-count // per_byte)
                or delta.scale.shape != (delta.shape[-1],)):
            raise ValueError(f"a stored change of shape {delta.shape} does not fit its codes")
        return delta


class WeightHistory:
    """Weights after epoch 0 (untrained), 1, 2, ... within `budget` bytes."""

    def __init__(self, initial: list[np.ndarray], budget: int = BUDGET_BYTES,
                 planned_epochs: int = PLANNED_EPOCHS):
        self.budget = budget
        self.planned_epochs = planned_epochs
        self._start = [_Delta(np.asarray(w, np.float32), 8) for w in initial]
        self._deltas: list[list[_Delta]] = []
        # The reconstruction of the latest epoch: the base for the next change.
        self._latest = [d.decode() for d in self._start]
        self.params = sum(w.size for w in initial)
        self._scale_bytes = sum(4 * w.shape[-1] for w in initial)

    def __len__(self) -> int:
        """Stored epochs after the start: epoch k for k in 1..len."""
        return len(self._deltas)

    @property
    def nbytes(self) -> int:
        """Bytes of stored per-epoch state (start point plus every change)."""
        return sum(d.nbytes for d in self._start) + sum(
            d.nbytes for epoch in self._deltas for d in epoch
        )

    def bits_for_next(self) -> int:
        """The widest code that keeps the remaining planned epochs within budget."""
        remaining = max(self.planned_epochs - len(self), 1)
        allowance = (self.budget - self.nbytes) / remaining
        for bits in BIT_WIDTHS:
            cost = self.params * _BYTES_PER_WEIGHT[bits] + self._scale_bytes
            if cost <= allowance:
                return bits
        return 1

    def append(self, weights: list[np.ndarray]) -> float:
        """Store the weights after the next epoch; returns the bits per weight used."""
        bits = self.bits_for_next()
        epoch = []
        for i, w in enumerate(weights):
            delta = _Delta(np.asarray(w, np.float32) - self._latest[i], bits)
            self._latest[i] = self._latest[i] + delta.decode()
            epoch.append(delta)
        self._deltas.append(epoch)
        return BITS_PER_WEIGHT[bits]

    def weights_at(self, epoch: int) -> list[np.ndarray]:
        """The reconstructed float32 weights after `epoch` (0 is the untrained start)."""
        if not 0 <= epoch <= len(self):
            raise IndexError(f"epoch {epoch}: stored epochs are 0 to {len(self)}")
        if epoch == len(self):
            return [w.copy() for w in self._latest]
        weights = [d.decode() for d in self._start]
        for deltas in self._deltas[:epoch]:
            for i, d in enumerate(deltas):
                weights[i] += d.decode()
        return weights

    def iter_weights(self):
        """The weights after epoch 1, 2, ... in turn, decoding each change once."""
        weights = [d.decode() for d in self._start]
        for deltas in self._deltas:
            weights = [w + d.decode() for w, d in zip(weights, deltas)]
            yield weights

    def bits(self) -> list[float]:
        """Bits per weight of each stored epoch (1.6 for the three-level code)."""
        return [BITS_PER_WEIGHT[epoch[0].bits] for epoch in self._deltas]

    def epoch_arrays(self, epoch: int) -> dict[str, np.ndarray]:
        """What is stored for `epoch` (0: the untrained start), as named arrays for a file."""
        deltas = self._start if epoch == 0 else self._deltas[epoch - 1]
        arrays = {}
        for i, delta in enumerate(deltas):
            arrays.update(delta.arrays(f"t{i}_"))
        return arrays

    @classmethod
    def restore(cls, epochs: list, budget: int, planned_epochs: int) -> WeightHistory:
        """Rebuild a history from its `epoch_arrays(0..n)`; ValueError if they do not fit together.

        The latest reconstruction is summed again in the order `append` summed it, so it
        comes out bit for bit the same and the next epoch is stored exactly as it would have been.
        """
        history = cls.__new__(cls)
        history.budget, history.planned_epochs = int(budget), int(planned_epochs)
        tensors = sum(1 for k in epochs[0] if k.endswith("_codes")) if epochs else 0
        parts = [[_Delta.from_arrays(arrays, f"t{i}_") for i in range(tensors)] for arrays in epochs]
        if not tensors or any([d.shape for d in deltas] != [d.shape for d in parts[0]] for deltas in parts):
            raise ValueError("the stored epochs do not fit together")
        history._start, history._deltas = parts[0], parts[1:]
        history._latest = [d.decode() for d in history._start]
        for deltas in history._deltas:
            history._latest = [w + d.decode() for w, d in zip(history._latest, deltas)]
        history.params = sum(w.size for w in history._latest)
        history._scale_bytes = sum(4 * w.shape[-1] for w in history._latest)
        return history


class EpochWeights:
    """A run's weights after every epoch: the last and the best exact, the rest from a WeightHistory.

    The budget covers the stored changes plus the exact copy of the best epoch.
    Before the first epoch, the last weights are the exact untrained start.
    """

    def __init__(self, initial: list[np.ndarray], budget: int = BUDGET_BYTES,
                 planned_epochs: int = PLANNED_EPOCHS):
        self.params = sum(w.size for w in initial)
        self._history = WeightHistory(initial, budget=budget - 4 * self.params,
                                      planned_epochs=planned_epochs)
        self.last = [np.array(w, np.float32) for w in initial]
        self._best: list[np.ndarray] | None = None
        self._best_epoch: int | None = None
        self.bits: list[float] = []  # bits per weight of each stored epoch

    @property
    def epochs(self) -> int:
        return len(self._history)

    def plan(self, epochs: int) -> None:
        """Spread the budget over at least `epochs` epochs."""
        self._history.planned_epochs = max(self._history.planned_epochs, epochs)

    def record(self, weights: list[np.ndarray], is_best: bool) -> None:
        """Keep the weights after the next epoch; `is_best`: it has the lowest validation loss so far."""
        self.bits.append(self._history.append(weights))
        self.last = weights
        if is_best:
            self._best, self._best_epoch = weights, self.epochs

    def at(self, epoch: int) -> list[np.ndarray]:
        """Weights after `epoch` (0: untrained). The last and the best epochs are exact."""
        if epoch == self.epochs:
            return self.last
        if epoch == self._best_epoch:
            return self._best
        return self._history.weights_at(epoch)

    def epoch_arrays(self, epoch: int) -> dict[str, np.ndarray]:
        """The stored change of `epoch` (0: the start), as named arrays; written once per epoch."""
        return self._history.epoch_arrays(epoch)

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The exact last weights and the bookkeeping: rewritten after every epoch."""
        arrays = {"budget": np.array(self._history.budget + 4 * self.params, np.int64),
                  "planned": np.array(self._history.planned_epochs, np.int64),
                  "best_epoch": np.array(-1 if self._best_epoch is None else self._best_epoch, np.int64)}
        arrays.update({f"last{i}": np.asarray(w, np.float32) for i, w in enumerate(self.last)})
        return arrays

    @property
    def best_epoch(self) -> int | None:
        return self._best_epoch

    def best_arrays(self) -> dict[str, np.ndarray] | None:
        """The exact weights of the best epoch when it is not the last (else they are `last`)."""
        if self._best is None or self._best_epoch == self.epochs:
            return None
        return {f"best{i}": np.asarray(w, np.float32) for i, w in enumerate(self._best)}

    @classmethod
    def restore(cls, state, epochs: list, best=None) -> EpochWeights:
        """Rebuild from `state_arrays()`, `epoch_arrays(0..n)` and, when the best epoch is not the
        last, `best_arrays()`; ValueError if they do not fit together."""
        def tensors(arrays, name: str) -> list[np.ndarray]:
            count = sum(1 for k in arrays if k.startswith(name) and k[len(name):].isdigit())
            return [np.asarray(arrays[f"{name}{i}"], np.float32) for i in range(count)]

        weights = cls.__new__(cls)
        weights.last = tensors(state, "last")
        weights.params = sum(w.size for w in weights.last)
        weights._history = WeightHistory.restore(epochs, int(state["budget"]) - 4 * weights.params,
                                                 int(state["planned"]))
        shapes = [w.shape for w in weights.last]
        best_epoch, epochs_done = int(state["best_epoch"]), len(weights._history)
        exact_best = tensors(best, "best") if best_epoch not in (-1, epochs_done) and best is not None else []
        if (shapes != [w.shape for w in weights._history._latest] or not -1 <= best_epoch <= epochs_done
                or best_epoch == 0 or (best_epoch not in (-1, epochs_done) and
                                       [w.shape for w in exact_best] != shapes)):
            raise ValueError("the stored weights do not fit together")
        weights._best_epoch = None if best_epoch == -1 else best_epoch
        weights._best = None if best_epoch == -1 else (weights.last if best_epoch == epochs_done else exact_best)
        weights.bits = weights._history.bits()
        return weights

    def __iter__(self):
        """The weights after epoch 1, 2, ..., last in turn (cheaper than `at` for each)."""
        for epoch, weights in enumerate(self._history.iter_weights(), 1):
            yield self.at(epoch) if epoch in (self.epochs, self._best_epoch) else weights

    @property
    def nbytes(self) -> int:
        """Memory for looking at past epochs: the stored changes plus the best epoch's copy."""
        best = sum(w.nbytes for w in self._best) if self._best is not None else 0
        return self._history.nbytes + best

"""Minibatches: one shuffled epoch of indices, or an endless, resumable stream of them.

:func:`iterate_minibatches` serves the hand-written training loops of the lessons;
:class:`BatchStream` serves :meth:`minigan.gan.GAN.fit`, whose checkpoints store the stream's
exact position (:meth:`BatchStream.state_dict`) so that a resumed run sees the batches an
uninterrupted one would. ``minigan.data`` re-exports both.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from .checkpoint import jsonable
from .checks import check_bool, check_positive_int, check_seed, is_int
from .init import get_rng

__all__ = ["iterate_minibatches", "BatchStream"]


def iterate_minibatches(X, batch_size: int, rng=None, shuffle: bool = True,
                        drop_last: bool = True) -> Iterator[np.ndarray]:
    """One epoch of minibatch index arrays over ``X`` (an array or a length).

    Yields int64 index arrays; index your arrays with them (``X[idx]``, ``y[idx]``).
    With ``drop_last`` the final incomplete batch is skipped (every batch has ``batch_size``).
    """
    if is_int(X):
        n = check_positive_int("iterate_minibatches", "X (a length)", X, minimum=0)
    elif hasattr(X, "__len__") and not isinstance(X, (str, bytes, dict)):
        n = len(X)
    else:
        raise TypeError(f"iterate_minibatches: X must be an array or a length (an int >= 0), got {type(X).__name__}")
    batch_size = check_positive_int("iterate_minibatches", "batch_size", batch_size)
    check_bool("iterate_minibatches", "shuffle", shuffle)
    check_bool("iterate_minibatches", "drop_last", drop_last)
    order = get_rng(rng, "iterate_minibatches").permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield order[start:start + batch_size]


class BatchStream:
    """An endless stream of minibatch indices over ``n`` samples, reshuffled every epoch, whose
    exact position can be saved and restored (for :mod:`minigan.checkpoint`).

    Parameters
    ----------
    n : int
        Number of samples.
    batch_size : int
        Samples per batch (``<= n``); the incomplete tail of an epoch is dropped.
    seed : int
        Seed of the shuffling generator.

    Notes
    -----
    The state is ``{"epoch", "pos", "rng"}``: the NumPy generator's state *before* the current
    epoch's permutation was drawn, so :meth:`load_state_dict` redraws the same permutation and
    continues at ``pos`` — a resumed run sees exactly the batches an uninterrupted run would.
    """

    #: The largest ``n`` accepted (a checkpoint cannot ask for more).
    MAX_N = 2 ** 31 - 1

    def __init__(self, n: int, batch_size: int, seed: int = 0):
        self.n = check_positive_int("BatchStream", "n", n)
        if self.n > self.MAX_N:
            raise ValueError(f"BatchStream: n must be at most {self.MAX_N}, got {n}")
        self.batch_size = check_positive_int("BatchStream", "batch_size", batch_size)
        if self.batch_size > self.n:
            raise ValueError(f"BatchStream: batch_size {batch_size} is larger than the data set ({n} samples)")
        self.rng = np.random.default_rng(check_seed("BatchStream", "seed", seed, allow_none=False))
        self.epoch = -1  # _new_epoch makes it 0: the index of the current epoch
        self._new_epoch()

    def _new_epoch(self):
        self._rng_state = self.rng.bit_generator.state
        self._order = None  # drawn at the first batch (_ensure_order): a stream costs nothing until used
        self.pos = 0
        self.epoch += 1

    def _ensure_order(self):
        """The epoch's permutation, drawn from the generator state saved at the epoch's start."""
        if self._order is None:
            self.rng.bit_generator.state = self._rng_state
            self._order = self.rng.permutation(self.n)
        return self._order

    @property
    def batches_per_epoch(self) -> int:
        return self.n // self.batch_size

    def next(self) -> np.ndarray:
        """The next batch's int64 indices (a new shuffled epoch starts when one is used up)."""
        if self.pos + self.batch_size > self.n:
            self._ensure_order()  # the generator moves past this epoch's permutation first
            self._new_epoch()
        idx = self._ensure_order()[self.pos:self.pos + self.batch_size]
        self.pos += self.batch_size
        return idx

    __next__ = next

    def __iter__(self):
        return self

    def state_dict(self) -> dict:
        """JSON-able state: epoch, position in the epoch, generator state before the epoch."""
        return {"epoch": self.epoch, "pos": self.pos, "rng": jsonable(self._rng_state),
                "n": self.n, "batch_size": self.batch_size}

    def load_state_dict(self, state: dict) -> "BatchStream":
        """Continue from a :meth:`state_dict` (same ``n`` and ``batch_size``). Validated in full
        before anything changes (ValueError naming the field); the permutation is redrawn
        lazily, at the next batch."""
        who = "BatchStream.load_state_dict"
        if not isinstance(state, dict):
            raise ValueError(f"{who}: expected a dict, got {type(state).__name__}")
        if state.get("n") != self.n or state.get("batch_size") != self.batch_size:
            raise ValueError(f"{who}: saved for n={state.get('n')!r}, batch_size="
                             f"{state.get('batch_size')!r}; this stream has n={self.n}, "
                             f"batch_size={self.batch_size}")
        pos, epoch = state.get("pos"), state.get("epoch")
        if not is_int(pos) or not 0 <= pos <= self.n:
            raise ValueError(f"{who}: pos must be an int in [0, {self.n}], got {pos!r}")
        if not is_int(epoch) or epoch < 0:
            raise ValueError(f"{who}: epoch must be an int >= 0, got {epoch!r}")
        g = np.random.default_rng()
        try:
            g.bit_generator.state = state.get("rng")
        except (TypeError, ValueError, KeyError, OverflowError, AttributeError) as exc:
            raise ValueError(f"{who}: rng is not a valid generator state ({exc})") from None
        self.rng = g
        self._rng_state = g.bit_generator.state
        self._order = None
        self.pos = int(pos)
        self.epoch = int(epoch)
        return self

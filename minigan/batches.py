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
from .checks import check_positive_int
from .init import get_rng

__all__ = ["iterate_minibatches", "BatchStream"]


def iterate_minibatches(X, batch_size: int, rng=None, shuffle: bool = True,
                        drop_last: bool = True) -> Iterator[np.ndarray]:
    """One epoch of minibatch index arrays over ``X`` (an array or a length).

    Yields int64 index arrays; index your arrays with them (``X[idx]``, ``y[idx]``).
    With ``drop_last`` the final incomplete batch is skipped (every batch has ``batch_size``).
    """
    n = int(X) if isinstance(X, (int, np.integer)) else len(X)
    batch_size = check_positive_int("iterate_minibatches", "batch_size", batch_size)
    order = get_rng(rng).permutation(n) if shuffle else np.arange(n)
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

    def __init__(self, n: int, batch_size: int, seed: int = 0):
        self.n = check_positive_int("BatchStream", "n", n)
        self.batch_size = check_positive_int("BatchStream", "batch_size", batch_size)
        if self.batch_size > self.n:
            raise ValueError(f"BatchStream: batch_size {batch_size} is larger than the data set ({n} samples)")
        self.rng = np.random.default_rng(seed)
        self.epoch = -1  # _new_epoch makes it 0: the index of the current epoch
        self._new_epoch()

    def _new_epoch(self):
        self._rng_state = self.rng.bit_generator.state
        self._order = self.rng.permutation(self.n)
        self.pos = 0
        self.epoch += 1

    @property
    def batches_per_epoch(self) -> int:
        return self.n // self.batch_size

    def next(self) -> np.ndarray:
        """The next batch's int64 indices (a new shuffled epoch starts when one is used up)."""
        if self.pos + self.batch_size > self.n:
            self._new_epoch()
        idx = self._order[self.pos:self.pos + self.batch_size]
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
        if state.get("n") != self.n or state.get("batch_size") != self.batch_size:
            raise ValueError(f"BatchStream.load_state_dict: saved for n={state.get('n')}, batch_size="
                             f"{state.get('batch_size')}; this stream has n={self.n}, "
                             f"batch_size={self.batch_size}")
        self.rng.bit_generator.state = state["rng"]
        self._rng_state = self.rng.bit_generator.state
        self._order = self.rng.permutation(self.n)
        self.pos = int(state["pos"])
        self.epoch = int(state["epoch"])
        return self

"""Minibatches: one shuffled epoch of indices, or an endless, resumable stream of them.

:func:`iterate_minibatches` serves the hand-written training loops of the lessons;
:class:`BatchStream` serves :meth:`minigan.gan.GAN.fit`, whose checkpoints store the stream's
exact position (:meth:`BatchStream.state_dict`) so that a resumed run sees the batches an
uninterrupted one would. ``minigan.data`` re-exports both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..checks import check_bool, check_int_range, check_positive_int, check_seed, is_int
from ..files.jsonable import jsonable
from ..nn.init import get_rng

__all__ = ["iterate_minibatches", "ShuffledEpochs", "BatchStream"]


def iterate_minibatches(
    X, batch_size: int, rng=None, shuffle: bool = True, drop_last: bool = True
) -> Iterator[np.ndarray]:
    """One epoch of minibatch index arrays over ``X`` (an array or a length).

    Yields int64 index arrays; index your arrays with them (``X[idx]``, ``y[idx]``).
    With ``drop_last`` the final incomplete batch is skipped (every batch has ``batch_size``).
    """
    if is_int(X):
        n = check_int_range("iterate_minibatches", "X (a length)", X, 0)
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
        yield order[start : start + batch_size]


class ShuffledEpochs:
    """Epochs of a shuffled order over ``n`` samples, one index at a time or in slices, whose
    exact position can be saved and restored (for :mod:`minigan.checkpoint`).

    Parameters
    ----------
    n : int
        Number of samples.
    seed : int
        Seed of the shuffling generator.
    shuffle : bool
        A new permutation every epoch (default); False keeps the order ``0 .. n-1``.
    owner : str
        The name errors start with (the class that uses the stream).

    Notes
    -----
    The state is ``{"epoch", "pos", "rng", "n"}``: the NumPy generator's state *before* the
    current epoch's permutation was drawn, so :meth:`load_state_dict` redraws the same
    permutation and continues at ``pos``: a resumed run sees exactly the samples an
    uninterrupted run would. :class:`BatchStream` (the training loop's minibatches) and
    :class:`minigan.data.ImageFolder` (a folder's images) both walk one.
    """

    #: The largest ``n`` accepted (a checkpoint cannot ask for more).
    MAX_N = 2**31 - 1

    def __init__(self, n: int, seed: int = 0, *, shuffle: bool = True, owner: str = "ShuffledEpochs"):
        self.owner = owner
        self.n = check_positive_int(owner, "n", n, maximum=self.MAX_N)
        self.shuffle = check_bool(owner, "shuffle", shuffle)
        self.rng = np.random.default_rng(check_seed(owner, "seed", seed, allow_none=False))
        self.epoch = -1  # new_epoch makes it 0: the index of the current epoch
        self.new_epoch()

    def new_epoch(self) -> None:
        """Start the next epoch (its permutation is drawn when it is first used)."""
        self._rng_state = self.rng.bit_generator.state
        self._order: np.ndarray | None = None  # drawn at first use (order): a stream costs nothing until used
        self.pos = 0
        self.epoch += 1

    @property
    def order(self) -> np.ndarray:
        """The epoch's order (int64), drawn from the generator state saved at the epoch's start."""
        if self._order is None:
            if self.shuffle:
                self.rng.bit_generator.state = self._rng_state
                self._order = self.rng.permutation(self.n)
            else:
                self._order = np.arange(self.n)
        return self._order

    def next_index(self) -> int:
        """The next sample's index; a new epoch starts when this one is used up."""
        if self.pos >= self.n:
            _ = self.order  # the generator moves past this epoch's permutation first
            self.new_epoch()
        i = int(self.order[self.pos])
        self.pos += 1
        return i

    def state_dict(self) -> dict:
        """JSON-able state: epoch, position in the epoch, generator state before the epoch, n."""
        return {"epoch": self.epoch, "pos": self.pos, "rng": jsonable(self._rng_state), "n": self.n}

    def load_state_dict(self, state: dict, **expected) -> None:
        """Continue from a :meth:`state_dict`. Validated in full before anything changes
        (ValueError naming the field); ``expected`` are further fields that must match (the
        batch size, say). The permutation is redrawn lazily, at the next use."""
        who = f"{self.owner}.load_state_dict"
        if not isinstance(state, dict):
            raise ValueError(f"{who}: expected a dict, got {type(state).__name__}")
        want = {"n": self.n, **expected}
        if any(state.get(k) != v for k, v in want.items()):
            saved = ", ".join(f"{k}={state.get(k)!r}" for k in want)
            this = ", ".join(f"{k}={v}" for k, v in want.items())
            raise ValueError(f"{who}: saved for {saved}; this stream has {this}")
        pos, epoch = state.get("pos"), state.get("epoch")
        if not is_int(pos) or not 0 <= pos <= self.n:
            raise ValueError(f"{who}: pos must be an int in [0, {self.n}], got {pos!r}")
        if not is_int(epoch) or epoch < 0:
            raise ValueError(f"{who}: epoch must be an int >= 0, got {epoch!r}")
        g = np.random.default_rng()
        rng_state: Any = state.get("rng")  # any value: the generator checks it
        try:
            g.bit_generator.state = rng_state
        except (TypeError, ValueError, KeyError, OverflowError, AttributeError) as exc:
            raise ValueError(f"{who}: rng is not a valid generator state ({exc})") from None
        self.rng = g
        self._rng_state = g.bit_generator.state
        self._order = None
        self.pos = int(pos)
        self.epoch = int(epoch)


class BatchStream(ShuffledEpochs):
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
    The state is :class:`ShuffledEpochs`' plus ``batch_size``: a resumed run sees exactly the
    batches an uninterrupted run would.
    """

    def __init__(self, n: int, batch_size: int, seed: int = 0):
        super().__init__(n, seed, owner="BatchStream")
        self.batch_size = check_positive_int("BatchStream", "batch_size", batch_size)
        if self.batch_size > self.n:
            raise ValueError(f"BatchStream: batch_size {batch_size} is larger than the data set ({n} samples)")

    @property
    def batches_per_epoch(self) -> int:
        return self.n // self.batch_size

    def next(self) -> np.ndarray:
        """The next batch's int64 indices (a new shuffled epoch starts when one is used up)."""
        if self.pos + self.batch_size > self.n:
            _ = self.order  # the generator moves past this epoch's permutation first
            self.new_epoch()
        idx = self.order[self.pos : self.pos + self.batch_size]
        self.pos += self.batch_size
        return idx

    __next__ = next

    def __iter__(self):
        return self

    def state_dict(self) -> dict:
        """JSON-able state: epoch, position in the epoch, generator state before the epoch."""
        return {**super().state_dict(), "batch_size": self.batch_size}

    def load_state_dict(self, state: dict) -> BatchStream:  # type: ignore[override]  # no **expected; returns self
        """Continue from a :meth:`state_dict` (same ``n`` and ``batch_size``); validated in full
        before anything changes (ValueError naming the field)."""
        super().load_state_dict(state, batch_size=self.batch_size)
        return self

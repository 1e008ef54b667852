"""The loss log of a training loop: scalars stay on the device until one copy brings them all
to the host, where they are checked for NaN and infinity.

On a GPU, ``float(loss)`` after every step would stop the device once per value. A
:class:`LossHistory` queues each step's 0-d device scalars instead, and :meth:`LossHistory.flush`
stacks every queued value into one array and copies it in a single transfer, every N steps.
The same flush is where a diverged run stops: the first NaN or infinite value raises
:class:`NonFiniteLossError`, naming the step. :class:`minigan.gan.GAN` keeps its history in one.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .. import backend
from ..errors import NonFiniteLossError, NonFiniteStateError

__all__ = ["LossHistory", "NonFiniteLossError", "NonFiniteStateError", "first_nonfinite", "finite_flags"]


def finite_flags(named_arrays) -> tuple[list[str], object]:
    """``(names, flags)``: the floating arrays' names and a 1-D device array of their
    ``isfinite(a).all()`` (None when there is none); no host copy (all arrays on one device)."""
    names: list[str] = []
    flags: list = []
    xp: Any = None  # numpy or cupy, set with the first flag
    for name, a in named_arrays:
        if a is None or not hasattr(a, "dtype") or a.dtype.kind not in "fc":
            continue
        xp = backend.get_array_module(a)
        names.append(name)
        flags.append(xp.isfinite(a).all())
    return names, (xp.stack(flags) if flags else None)


def first_nonfinite(named_arrays) -> str | None:
    """The name of the first floating array of ``named_arrays`` (pairs ``(name, array)``)
    holding NaN or infinity, else None. One ``isfinite(a).all()`` per array, kept on the
    device and copied to the host in a single transfer per array module."""
    groups: dict = {}
    for name, a in named_arrays:
        if a is None or not hasattr(a, "dtype") or a.dtype.kind not in "fc":
            continue
        xp = backend.get_array_module(a)
        groups.setdefault(id(xp), (xp, []))[1].append((name, a))
    for xp, items in groups.values():
        flags = backend.as_numpy(xp.stack([xp.isfinite(a).all() for _, a in items]))
        if not flags.all():
            return items[int(np.argmin(flags))][0]
    return None


class LossHistory:
    """One list of floats per key, one value per step, filled from queued device scalars.

    Parameters
    ----------
    keys : iterable of str
        The quantities recorded at every step (the order of :attr:`values`).

    Attributes
    ----------
    values : OrderedDict[str, list[float]]
        The flushed history (host floats).
    """

    def __init__(self, keys: Iterable[str]):
        self.keys = tuple(keys)
        self.pending: list[dict] = []
        self.also: np.ndarray | None = None
        self.values: OrderedDict[str, list[float]] = OrderedDict((k, []) for k in self.keys)

    def append(self, step_values: dict) -> None:
        """Queue one step's values (0-d device arrays or numbers, one per key); no host copy."""
        self.pending.append(step_values)

    def flush(self, last_step: int, also=None) -> dict:
        """Copy the queued values to the host in one go, append them to :attr:`values`, check them.

        ``last_step`` is the number of the last queued step (the steps are numbered so that
        the queued ones end there). ``also``, a 1-D device array, travels to the host in the same
        single copy and lands in :attr:`also` (a bool array; :class:`minigan.gan.GAN` sends
        its state's finite flags this way). Returns that step's values as floats (:attr:`latest` if
        nothing was queued).

        Raises
        ------
        NonFiniteLossError
            A value is NaN or infinite; the message names the first such step. The steps
            before it are kept in :attr:`values`, the queue is emptied.
        """
        pending, self.pending = self.pending, []
        self.also = None
        if not pending:
            if also is not None:
                self.also = backend.as_numpy(also)
            return self.latest
        xp = backend.get_array_module(*pending[0].values())
        stacked = xp.stack(
            [xp.stack([xp.asarray(p[k], dtype=xp.float64) for k in self.keys]) for p in pending]
        )  # (steps, keys): one host copy for all of them
        if also is not None:  # e.g. the state's finite flags: in the same single copy
            flat = backend.as_numpy(xp.concatenate([stacked.ravel(), also.astype(xp.float64).ravel()]))
            host = flat[: stacked.size].reshape(stacked.shape)
            self.also = flat[stacked.size :] != 0
        else:
            host = backend.as_numpy(stacked)
        first_step = last_step - len(pending) + 1
        for row_i, row in enumerate(host):
            if not np.all(np.isfinite(row)):
                vals = dict(zip(self.keys, (float(v) for v in row)))
                bad = next(k for k in self.keys if not math.isfinite(vals[k]))
                for j, k in enumerate(self.keys):  # keep what came before the bad step
                    self.values[k].extend(float(v) for v in host[:row_i, j])
                raise NonFiniteLossError(first_step + row_i, bad, vals[bad], vals)
        for j, k in enumerate(self.keys):
            self.values[k].extend(float(v) for v in host[:, j])
        return {k: float(v) for k, v in zip(self.keys, host[-1])}

    @property
    def latest(self) -> dict:
        """The last *flushed* step's values as floats (no host synchronisation)."""
        return {k: v[-1] for k, v in self.values.items() if v}

    def replace(self, history: Mapping) -> None:
        """Drop the queue and set :attr:`values` to ``history`` (key -> sequence of numbers; a
        missing key gets an empty list, an unknown key is ignored)."""
        self.pending = []
        self.values = OrderedDict((k, list(map(float, history.get(k, [])))) for k in self.keys)

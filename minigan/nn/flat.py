"""One flat buffer for many parameters: the fast path of ``zero_grad``, the optimizers and the EMA.

A model's parameters are many arrays (20 for the dense MNIST GAN): an optimizer's equations,
applied tensor by tensor, cost one NumPy call per equation per tensor, and the small tensors
(biases, BatchNorm's γ and β) cost as much Python time as the big ones. A
:class:`FlatParameters` lays the values of a list of parameters end to end in one array and
their gradients in another, and makes every ``p.data`` and ``p.grad`` a view into them::

    flat = FlatParameters([W1, b1, W2, b2])
    flat.data    # [ W1.data.ravel() | b1.data.ravel() | W2.data.ravel() | b2.data.ravel() ]
    W1.data      # a (out, in) view of flat.data: writing either changes both

so that one equation over ``flat.data`` and ``flat.grad`` updates every parameter at once
(PyTorch's "foreach" and "fused" optimizers batch tensors the same way). The layers never know:
``W.grad += δᵀ A`` adds into the view, and a view reads and writes like any array. Each
parameter starts at a multiple of 16 elements (64 bytes); the gaps hold zeros, which every
update leaves at zero.

The views hold only while nobody rebinds a parameter's array: ``load_state_dict``,
``dense.W = array``, loading a checkpoint, ``to("gpu")``, ``astype`` and
``interop.from_torch`` assign a new array to ``p.data``. :func:`flat_parameters` therefore
checks, at every use, that each ``p.data`` and ``p.grad`` is still its view (identity, a few
microseconds) and otherwise copies the parameters' current arrays into a new buffer
(:meth:`FlatParameters.rebuild`), so that the fast path always sees what the plain one would.
Parameters of different dtypes or devices cannot share a buffer: then there is none, and the
callers take their plain per-tensor path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .module import Parameter

__all__ = ["FlatParameters", "flat_parameters", "ALIGN"]

#: Each parameter's offset in the flat buffer is a multiple of this many elements (64 bytes of
#: float32): SIMD loads stay aligned in every view.
ALIGN = 16


class FlatParameters:
    """The values and the gradients of ``params`` in two flat arrays, every ``p.data`` and
    ``p.grad`` a view into them.

    Attributes
    ----------
    params : list of Parameter
    data, grad : 1-D arrays
        The flat values and gradients (NumPy or CuPy, the parameters' dtype).
    layout : list of (offset, size, shape)
        Where each parameter lives in the flat arrays.
    version : int
        Incremented by every :meth:`rebuild` (new arrays: views into the old ones are stale).
    """

    def __init__(self, params):
        self.params: list[Parameter] = list(params)
        if not self.params:
            raise ValueError("FlatParameters: no parameters")
        self.version = 0
        self.data: Any = None
        self.grad: Any = None
        self._views: list[tuple[Any, Any]] = []
        self.rebuild()

    # ---------------------------------------------------------------- building
    def _check_alike(self) -> tuple[Any, np.dtype, str]:
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError("FlatParameters: a parameter appears twice")
        first = self.params[0].data
        xp, dtype, device = backend.get_array_module(first), first.dtype, backend.device_of(first)
        for p in self.params:
            for a in (p.data, p.grad):
                if a.dtype != dtype or backend.device_of(a) != device or tuple(a.shape) != p.shape:
                    raise ValueError(
                        f"FlatParameters: every value and gradient must be a {dtype} array on {device!r} "
                        f"(got {a.dtype} on {backend.device_of(a)!r}, shape {tuple(a.shape)})"
                    )
        return xp, dtype, device

    def rebuild(self) -> None:
        """Copy every parameter's current value and gradient into two new flat arrays and make
        ``p.data``, ``p.grad`` views into them. ValueError when the parameters do not share one
        dtype and device."""
        xp, dtype, _ = self._check_alike()
        layout, offset = [], 0
        for p in self.params:
            layout.append((offset, p.size, p.shape))
            offset += -(-p.size // ALIGN) * ALIGN  # rounded up to a multiple of ALIGN
        data, grad = xp.zeros(offset, dtype=dtype), xp.zeros(offset, dtype=dtype)
        views = []
        for p, (o, n, shape) in zip(self.params, layout):
            d, g = data[o : o + n].reshape(shape), grad[o : o + n].reshape(shape)
            d[...] = p.data
            g[...] = p.grad
            p.data, p.grad = d, g
            p.flat = self
            views.append((d, g))
        self.data, self.grad, self.layout, self._views = data, grad, layout, views
        self.version += 1

    # ---------------------------------------------------------------- use
    def intact(self) -> bool:
        """Whether every ``p.data`` and ``p.grad`` is still its view into :attr:`data` / :attr:`grad`."""
        return all(p.data is d and p.grad is g for p, (d, g) in zip(self.params, self._views))

    def holds(self, params) -> bool:
        """Whether ``params`` are exactly this buffer's parameters, in its order."""
        return len(params) == len(self.params) and all(a is b for a, b in zip(params, self.params))

    def zeros(self) -> Any:
        """A new flat array of zeros with this layout (the optimizers' moments, the EMA's average)."""
        return backend.get_array_module(self.data).zeros_like(self.data)

    def views(self, flat) -> list:
        """Per-parameter views of ``flat`` (an array of this layout), in parameter order."""
        return [flat[o : o + n].reshape(shape) for o, n, shape in self.layout]

    def gather(self, arrays) -> Any:
        """A new flat array holding ``arrays`` (one per parameter, its shape; None gives
        zeros), moved and cast to the buffer's device and dtype."""
        flat = self.zeros()
        device = backend.device_of(self.data)
        for a, (o, n, _) in zip(arrays, self.layout):
            if a is not None:
                flat[o : o + n] = backend.asarray(a, device, dtype=self.data.dtype).reshape(n)
        return flat


def flat_parameters(params, create: bool = True) -> FlatParameters | None:
    """The :class:`FlatParameters` of exactly ``params`` (in this order), intact; None where
    there can be none.

    A buffer that an assignment to some ``p.data`` / ``p.grad`` broke is rebuilt from the
    current arrays. Without one, ``create=True`` makes one (rebinding ``p.data`` and ``p.grad``
    to views), unless a parameter already belongs to another intact buffer (say a second
    optimizer over part of the same model: the two would take the parameters from each other at
    every step) or the parameters differ in dtype or device; those get None, the plain path.
    """
    params = list(params)
    if not params:
        return None
    flat = params[0].flat
    if flat is not None and flat.holds(params):
        if flat.intact():
            return flat
        if any(p.flat is not flat and p.flat is not None and p.flat.intact() for p in params):
            return None  # another buffer took some of them since
        try:
            flat.rebuild()
        except ValueError:
            return None
        return flat
    if not create or any(p.flat is not None and p.flat.intact() for p in params):
        return None
    try:
        return FlatParameters(params)
    except ValueError:
        return None

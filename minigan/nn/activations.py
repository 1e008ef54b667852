"""Activation functions ``A = g(Z)`` (document 001 §2.5) as layers.

Each backward multiplies the upstream gradient by ``g'(Z)`` elementwise: the ``⊙ g'(Z^[l])``
factor of document 001 §2.9, ``δ^l = ((W^[l+1])ᵀ δ^{l+1}) ⊙ g'(Z^[l])``.
"""

from __future__ import annotations

import math

from .. import backend
from ..checks import check_float, check_input, is_int
from .module import Module

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "ELU", "Softmax", "sigmoid"]


def sigmoid(z):
    """Numerically stable logistic function ``σ(z) = 1 / (1 + e^{-z})``.

    Never evaluates ``exp`` of a large positive number: for ``z < 0`` it uses the equal form
    ``e^{z} / (1 + e^{z})``.
    """
    xp = backend.get_array_module(z)
    e = xp.exp(-xp.abs(z))  # in (0, 1]: no overflow
    return xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


class _Elementwise(Module):
    def _check(self, x):
        check_input(repr(self), x, ndim=tuple(range(1, 33)), expected="(N, ...)")


class ReLU(_Elementwise):
    """``ReLU(z) = max(0, z)`` (document 001 §2.5.3).

    Shape
    -----
    any; the output has the input's shape (elementwise).

    Notes
    -----
    ``g'(z) = 1`` for ``z > 0`` and 0 otherwise (we take 0 at ``z = 0``, as PyTorch does; the
    document notes the derivative is undefined there and that this does not matter in practice).
    """

    def forward(self, x):
        self._check(x)
        self._mask = x > 0
        return backend.get_array_module(x).maximum(x, 0)  # Eq. 001 §2.5.3: max(0, z) (x·mask is NaN at -inf)

    def backward(self, dout):
        self._check_dout(dout)
        return dout * self._mask  # g'(z) = 1[z > 0]


class LeakyReLU(_Elementwise):
    """``LeakyReLU(z) = max(αz, z)`` for ``0 <= α < 1`` (document 001 §2.5.4).

    Parameters
    ----------
    alpha : float
        Slope for ``z < 0``. Default 0.2, the GAN documents' value (document 003 ch. 3's Keras
        GAN; document 001 §6.2.1: "LeakyReLU de parâmetro 0.2"; §4.3 names LeakyReLU without a
        value). (PyTorch's ``negative_slope`` default is 0.01.)

    Shape
    -----
    any; the output has the input's shape (elementwise).

    Notes
    -----
    ``g'(z) = 1`` for ``z > 0``, ``α`` otherwise.
    """

    def __init__(self, alpha: float = 0.2):
        super().__init__()
        self.alpha = check_float("LeakyReLU", "alpha", alpha, 0.0, 1.0)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"

    def forward(self, x):
        self._check(x)
        self._slope = _leaky_slope(x > 0, self.alpha, x.dtype)  # g'(z): 1 or α, kept for backward
        return x * self._slope  # Eq. 001 §2.5.4: max(αz, z) = z·g'(z)

    def backward(self, dout):
        self._check_dout(dout)
        return dout * self._slope


def _leaky_slope(pos, alpha, dtype):
    """``1`` where ``pos`` else ``alpha``, as ``dtype``: the LeakyReLU slope mask.

    Computed as ``pos·(1 − α) + α`` in place rather than ``where(pos, 1, α)``: on a random
    mask NumPy's ``where`` is branchy and about 30x slower (measured with
    ``benchmarks/bench_layers.py``). The product casts the mask as it multiplies (one pass).
    """
    slope = backend.get_array_module(pos).multiply(pos, 1.0 - alpha, dtype=dtype)
    slope += alpha
    return slope


class Sigmoid(_Elementwise):
    """``σ(z) = 1 / (1 + e^{-z})`` (document 001 §2.5.1), computed stably.

    Shape
    -----
    any; the output has the input's shape (elementwise).

    Notes
    -----
    ``σ'(z) = σ(z)(1 - σ(z))``, computed from the cached output.
    """

    def forward(self, x):
        self._check(x)
        self._y = sigmoid(x)
        return self._y

    def backward(self, dout):
        self._check_dout(dout)
        y = self._y
        return dout * y * (1.0 - y)  # σ' = σ(1 - σ)


class Tanh(_Elementwise):
    """``tanh(z) = (e^z - e^{-z}) / (e^z + e^{-z})`` (document 001 §2.5.2).

    Shape
    -----
    any; the output has the input's shape (elementwise).

    Notes
    -----
    ``tanh'(z) = 1 - tanh²(z)``.
    """

    def forward(self, x):
        self._check(x)
        xp = backend.get_array_module(x)
        self._y = xp.tanh(x)
        return self._y

    def backward(self, dout):
        self._check_dout(dout)
        return dout * (1.0 - self._y * self._y)  # tanh' = 1 - tanh²


class ELU(_Elementwise):
    """``ELU(z) = z`` for ``z > 0``, ``α(e^z - 1)`` otherwise (Clevert et al. 2015).

    Used by document 003 ch. 1's CIFAR-10 network.

    Shape
    -----
    any; the output has the input's shape (elementwise).

    Notes
    -----
    ``g'(z) = 1`` for ``z > 0``, ``α e^z = ELU(z) + α`` otherwise.
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = check_float("ELU", "alpha", alpha, 0.0, low_inclusive=False)
        if not math.isfinite(self.alpha):  # alpha = inf would give -inf for every negative input
            raise ValueError(f"ELU: alpha must be a float > 0 and finite, got {alpha!r}")

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"

    def forward(self, x):
        self._check(x)
        xp = backend.get_array_module(x)
        self._pos = x > 0
        neg = self.alpha * xp.expm1(xp.minimum(x, 0))  # minimum(): no overflow in the unused branch
        self._y = xp.where(self._pos, x, neg)
        return self._y

    def backward(self, dout):
        self._check_dout(dout)
        xp = backend.get_array_module(dout)
        return dout * xp.where(self._pos, 1.0, self._y + self.alpha).astype(dout.dtype, copy=False)


class Softmax(_Elementwise):
    """``softmax(z)_i = e^{z_i} / Σ_j e^{z_j}`` along ``axis`` (default the last).

    Computed as ``e^{z - max z}`` for stability. For classification prefer
    :class:`minigan.nn.losses.CrossEntropyLoss` on the logits, which fuses the two stably.

    Shape
    -----
    any; the output has the input's shape, and sums to 1 along ``axis``.

    Notes
    -----
    Jacobian-vector product: ``dx = y ⊙ (dout - Σ_j dout_j y_j)``.
    """

    def __init__(self, axis: int = -1):
        super().__init__()
        if not is_int(axis):
            raise TypeError(f"Softmax: axis must be an int, got {type(axis).__name__} {axis!r}"[:200])
        self.axis = int(axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"

    def forward(self, x):
        self._check(x)
        if not (-x.ndim <= self.axis < x.ndim):
            raise ValueError(f"Softmax(axis={self.axis}): input has only {x.ndim} dimensions (shape {tuple(x.shape)})")
        if x.shape[self.axis] == 0:
            raise ValueError(
                f"Softmax(axis={self.axis}): input axis {self.axis} is empty (shape {tuple(x.shape)}); "
                f"a softmax needs at least one value"
            )
        xp = backend.get_array_module(x)
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self._y = e / e.sum(axis=self.axis, keepdims=True)
        return self._y

    def backward(self, dout):
        self._check_dout(dout)
        y = self._y
        return y * (dout - (dout * y).sum(axis=self.axis, keepdims=True))

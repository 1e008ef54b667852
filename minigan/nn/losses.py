"""Loss functions: BCELoss, BCEWithLogitsLoss, MSELoss, CrossEntropyLoss.

A loss is the last link of the explicit forward/backward chain (docs/architecture.md §3)::

    value = loss(pred, target)   # mean over all elements (a 0-d scalar of pred's array module)
    dpred = loss.backward()      # dC/d(pred) for that mean, the same shape as pred
    model.backward(dpred)

``value`` stays on the device that holds ``pred``: for NumPy it is a NumPy scalar (use
``float(value)`` to print it); for CuPy it is a 0-d CuPy array, and ``float(value)`` is the
one host synchronisation a training loop pays when it *reports* the loss. The losses never
call ``float()`` themselves, so a GPU training step has no hidden host round-trip.

Semantics are PyTorch's for the same names (``torch.nn.BCELoss`` etc., with ``reduction``
``"mean"`` (default) or ``"sum"``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..checks import check_input, is_real, shape_str
from .activations import sigmoid

__all__ = ["Loss", "BCELoss", "BCEWithLogitsLoss", "MSELoss", "CrossEntropyLoss"]

_REDUCTIONS = ("mean", "sum")

#: PyTorch's BCELoss clamps each log term at -100 (so log 0 costs 100, not ∞).
LOG_CLAMP = -100.0
#: PyTorch's BCELoss backward divides by max(p(1 - p), 1e-12).
BCE_GRAD_EPS = 1e-12


class Loss:
    """Base class of the losses: ``value = loss(pred, target)``, ``dpred = loss.backward()``.

    Parameters
    ----------
    reduction : {"mean", "sum"}
        ``"mean"`` (default, the documents' ``1/m Σ``) averages over every element;
        ``"sum"`` adds them.

    Notes
    -----
    Subclasses implement ``_forward(pred, target) -> (elementwise loss, cache)`` and
    ``_grad(cache) -> elementwise dloss/dpred``; the base class applies the reduction to both
    (the gradient of the mean is the elementwise derivative divided by the element count
    ``n``). The rule of the module protocol holds: every call is followed by its own
    ``backward()`` before the next call.
    """

    def __init__(self, reduction: str = "mean"):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction
        self._cache: Any = None  # whatever _forward returned (None before the first call)
        self._n: int | None = None
        self._dtype = None

    # ------------------------------------------------------------------ protocol
    def __call__(self, pred, target):
        return self.forward(pred, target)

    def forward(self, pred, target):
        """Return the reduced loss (a 0-d scalar on ``pred``'s device; no host sync)."""
        self._validate(pred, target)
        if pred.size == 0 or self._count(pred) == 0:
            raise ValueError(
                f"{type(self).__name__}: pred is empty (shape {shape_str(pred.shape)}); a loss "
                f"needs at least one element (a mean over nothing is undefined)"
            )
        elementwise, self._cache = self._forward(pred, target)
        self._dtype = pred.dtype
        self._n = self._count(pred)
        if self.reduction == "sum":
            return elementwise.sum()
        return elementwise.mean()

    def backward(self, grad=None):
        """``dC/d(pred)`` of the latest call, the shape and dtype of ``pred``.

        Parameters
        ----------
        grad : float or 0-d array, optional
            Upstream ``dL/dC`` to scale by (default 1), e.g. ``0.5`` for the ``½`` of
            document 002's ``L_D = -½ E log D(x) - ½ E log(1 - D(G(z)))``.
        """
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before the loss was computed")
        if grad is not None and not (
            is_real(grad)
            or (hasattr(grad, "shape") and hasattr(grad, "dtype") and grad.shape == () and grad.dtype.kind in "iuf")
        ):
            raise TypeError(
                f"{type(self).__name__}.backward: grad must be a real number or a 0-d real array, "
                f"got {type(grad).__name__}"
            )
        assert self._n is not None  # forward sets it with _cache
        scale = 1.0 / self._n if self.reduction == "mean" else 1.0
        d = self._grad(self._cache) * scale
        if grad is not None:
            d = d * grad
        return backend.get_array_module(d).asarray(d).astype(self._dtype, copy=False)  # 0-d pred: an array too

    # ------------------------------------------------------------------ hooks
    def _count(self, pred) -> int:
        return int(pred.size)

    def _forward(self, pred, target):  # pragma: no cover - abstract
        raise NotImplementedError

    def _grad(self, cache):  # pragma: no cover - abstract
        raise NotImplementedError

    def _validate(self, pred, target) -> None:
        name = type(self).__name__
        check_input(name, pred, name="pred")
        _check_array(name, target)
        if tuple(target.shape) != tuple(pred.shape):
            raise ValueError(
                f"{name}: target must have the shape of pred {shape_str(pred.shape)}, got {shape_str(target.shape)}"
            )
        if not (
            np.issubdtype(target.dtype, np.floating)
            or np.issubdtype(target.dtype, np.integer)
            or target.dtype == np.bool_
        ):
            raise TypeError(f"{name}: target must have a real numeric dtype, got {target.dtype}")
        _check_same_device(name, pred, target)

    # ------------------------------------------------------------------ description
    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def _check_array(name: str, target) -> None:
    if not hasattr(target, "shape") or not hasattr(target, "dtype") or isinstance(target, np.generic):
        raise TypeError(f"{name}: target must be an array (numpy.ndarray or cupy.ndarray), got {type(target).__name__}")


def _check_same_device(name: str, pred, target) -> None:
    dp, dt = backend.device_of(pred), backend.device_of(target)
    if dp != dt:
        raise ValueError(
            f"{name}: pred is on {dp!r} but target is on {dt!r}; move both to one device "
            f"with minigan.asarray(target, {dp!r})"
        )


def _on_host(x) -> bool:
    """Value checks (which read array values) run only for NumPy arrays: on the GPU they would
    cost a device synchronisation every training step."""
    return backend.device_of(x) == "cpu"


def _clamped_log(x):
    """``max(log x, -100)`` without evaluating ``log 0`` (no warning, no ``-inf``)."""
    xp = backend.get_array_module(x)
    pos = x > 0
    safe = xp.where(pos, x, 1.0).astype(x.dtype, copy=False)
    return xp.where(pos, xp.maximum(xp.log(safe), LOG_CLAMP), LOG_CLAMP).astype(x.dtype, copy=False)


class BCELoss(Loss):
    """Binary cross-entropy on probabilities (document 001 §2.7.1).

    Parameters
    ----------
    reduction : {"mean", "sum"}
        Default ``"mean"``: the document's cost ``C = 1/m Σ L``.

    Shape
    -----
    - pred: any shape, probabilities ``ŷ ∈ [0, 1]`` (e.g. the output of a Sigmoid layer)
    - target: the shape of ``pred``, values in ``[0, 1]``; soft targets such as the one-sided
      label smoothing 0.9 of document 000 §3.2 are allowed
    - value: scalar; ``backward()``: the shape of ``pred``

    Notes
    -----
    Document 001 §2.7.1:
    ``L(ŷ, y) = -[y log ŷ + (1 - y) log(1 - ŷ)]`` and ``C = -1/m Σᵢ [yᵢ log ŷᵢ + (1 - yᵢ) log(1 - ŷᵢ)]``.

    Finite at ``ŷ = 0`` and ``ŷ = 1`` exactly like PyTorch: each log term is clamped,
    ``log ŷ → max(log ŷ, -100)`` and ``log(1 - ŷ) → max(log(1 - ŷ), -100)``, so a confidently
    wrong probability costs at most 100 per element instead of ∞.

    Gradient: the exact derivative is ``∂L/∂ŷ = (ŷ - y) / (ŷ(1 - ŷ))``. We mirror PyTorch's
    backward and divide by ``max(ŷ(1 - ŷ), 1e-12)``, so at ``ŷ ∈ {0, 1}`` the gradient is
    large (at most ``1e12/n`` in magnitude) but finite, and it points the right way.
    Wherever ``ŷ(1 - ŷ) > 1e-12`` this *is* the exact derivative (the gradient check runs
    there). (It is not the derivative of the clamped forward, which is 0 inside the clamp:
    a dead gradient would stop learning exactly where the model is most wrong.) PyTorch's
    ``1e-12`` is a C float (9.9999996e-13), so at the clamp the two agree to ~4e-9 relative.

    Value checks: ``pred`` and ``target`` must lie in ``[0, 1]`` (``ValueError``). These
    checks read array values, so they run only for NumPy arrays; on the GPU they are skipped
    to avoid a device synchronisation every step.

    Prefer :class:`BCEWithLogitsLoss` on the logits where you can: it is stabler.
    """

    def _validate(self, pred, target):
        super()._validate(pred, target)
        if _on_host(pred) and pred.size and not ((pred >= 0) & (pred <= 1)).all():
            raise ValueError(
                f"BCELoss: pred must be probabilities in [0, 1] (apply a Sigmoid, or use "
                f"BCEWithLogitsLoss on logits), got min {pred.min()}, max {pred.max()}"
            )
        _check_unit_interval("BCELoss", target)

    def _forward(self, pred, target):
        y = target.astype(pred.dtype, copy=False)
        log_p = _clamped_log(pred)  # max(log ŷ, -100)
        log_1mp = _clamped_log(1.0 - pred)  # max(log(1 - ŷ), -100)
        elementwise = -(y * log_p + (1.0 - y) * log_1mp)  # Eq. 001 §2.7.1: L = -[y log ŷ + (1-y) log(1-ŷ)]
        return elementwise, (pred, y)

    def _grad(self, cache):
        p, y = cache
        xp = backend.get_array_module(p)
        return (p - y) / xp.maximum(p * (1.0 - p), BCE_GRAD_EPS)  # ∂L/∂ŷ = (ŷ - y)/(ŷ(1-ŷ)), PyTorch's eps


def _check_unit_interval(name, target):
    if _on_host(target) and target.size and not ((target >= 0) & (target <= 1)).all():
        raise ValueError(f"{name}: target values must lie in [0, 1], got min {target.min()}, max {target.max()}")


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits ``z`` (a Sigmoid fused with :class:`BCELoss`).

    Parameters
    ----------
    reduction : {"mean", "sum"}

    Shape
    -----
    - pred: any shape, logits ``z ∈ ℝ``
    - target: the shape of ``pred``, values in ``[0, 1]`` (soft targets allowed)
    - value: scalar; ``backward()``: the shape of ``pred``

    Notes
    -----
    With ``ŷ = σ(z)`` in document 001 §2.7.1's ``L = -[y log ŷ + (1 - y) log(1 - ŷ)]``,
    ``log σ(z) = -log(1 + e^{-z})`` and ``log(1 - σ(z)) = -z - log(1 + e^{-z})`` give
    ``L = z - z·y + log(1 + e^{-z})``, which overflows for ``z ≪ 0``. The stable form used
    here (and by PyTorch and TensorFlow's ``sigmoid_cross_entropy_with_logits``, document
    000 §3.2) is

        ``L = max(z, 0) - z·y + log(1 + e^{-|z|})``,

    finite for any ``z`` (``e^{-|z|} ≤ 1``). Gradient: ``∂L/∂z = σ(z) - y``, divided by the
    element count ``n`` for the mean, finite at ``z = ±100``.

    The target range check reads array values, so it runs only for NumPy arrays; on the GPU
    it is skipped to avoid a device synchronisation every step.
    """

    def _validate(self, pred, target):
        super()._validate(pred, target)
        _check_unit_interval("BCEWithLogitsLoss", target)

    def _forward(self, pred, target):
        xp = backend.get_array_module(pred)
        y = target.astype(pred.dtype, copy=False)
        # stable: max(z, 0) - z·y + log(1 + e^{-|z|})
        elementwise = xp.maximum(pred, 0) - pred * y + xp.log1p(xp.exp(-xp.abs(pred)))
        return elementwise, (pred, y)

    def _grad(self, cache):
        z, y = cache
        return sigmoid(z) - y  # ∂L/∂z = σ(z) - y


class MSELoss(Loss):
    """Mean squared error ``C = 1/n Σ (ŷ - y)²`` (the squared error of document 001 §2.3: C(w, b) = 1/N Σ (z_i − y_i)²).

    Parameters
    ----------
    reduction : {"mean", "sum"}

    Shape
    -----
    - pred: any shape; target: the shape of ``pred`` (PyTorch broadcasts with a warning; we
      raise, because a broadcast here is almost always a bug such as ``(N, 1)`` vs ``(N,)``)
    - value: scalar; ``backward()``: the shape of ``pred``

    Notes
    -----
    ``∂C/∂ŷ = 2(ŷ - y)/n``.
    """

    def _forward(self, pred, target):
        diff = pred - target.astype(pred.dtype, copy=False)
        return diff * diff, diff  # (ŷ - y)²

    def _grad(self, diff):
        return 2.0 * diff  # ∂/∂ŷ (ŷ - y)² = 2(ŷ - y)


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy of logits against integer class labels.

    Parameters
    ----------
    reduction : {"mean", "sum"}
        ``"mean"`` averages over the ``N`` samples (PyTorch's meaning).

    Shape
    -----
    - pred: ``(N, C)`` logits (unnormalised scores)
    - target: ``(N,)`` integer class indices in ``[0, C)``
    - value: scalar; ``backward()``: ``(N, C)``

    Notes
    -----
    ``L = -log softmax(z)_y = -(z_y - max z) + log Σ_j e^{z_j - max z}`` (subtracting the
    maximum keeps ``exp`` from overflowing). Gradient ``∂L/∂z = softmax(z) - onehot(y)``,
    divided by ``N`` for the mean. This is the multi-class case of document 001 §2.7.1's
    binary cross-entropy, and the loss of document 003 ch. 1's MNIST CNN and ch. 2's
    ``sparse_softmax_cross_entropy_with_logits``.

    The range check ``0 ≤ y < C`` reads array values, so it runs only for NumPy arrays; on the
    GPU it is skipped to avoid a device synchronisation every step.
    """

    def _count(self, pred) -> int:
        return int(pred.shape[0])

    def _validate(self, pred, target):
        check_input("CrossEntropyLoss", pred, ndim=2, name="pred", expected="(N, C) logits")
        _check_array("CrossEntropyLoss", target)
        if not np.issubdtype(target.dtype, np.integer):
            raise TypeError(
                f"CrossEntropyLoss: target must hold integer class indices (N,), got dtype "
                f"{target.dtype}; convert with y.astype('int64')"
            )
        if tuple(target.shape) != (pred.shape[0],):
            raise ValueError(
                f"CrossEntropyLoss: target must have shape (N,) = ({pred.shape[0]},) for pred "
                f"{shape_str(pred.shape)}, got {shape_str(target.shape)}"
            )
        _check_same_device("CrossEntropyLoss", pred, target)
        C = pred.shape[1]
        if _on_host(target) and target.size and (target.min() < 0 or target.max() >= C):
            raise ValueError(
                f"CrossEntropyLoss: target class indices must lie in [0, {C}) for {C} classes, "
                f"got min {target.min()}, max {target.max()}"
            )

    def _forward(self, pred, target):
        xp = backend.get_array_module(pred)
        shifted = pred - pred.max(axis=1, keepdims=True)  # z - max z
        e = xp.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        rows = xp.arange(pred.shape[0])
        elementwise = xp.log(s[:, 0]) - shifted[rows, target]  # -log softmax(z)_y
        return elementwise, (e / s, rows, target)

    def _grad(self, cache):
        soft, rows, target = cache
        g = soft.copy()
        g[rows, target] -= 1.0  # softmax(z) - onehot(y)
        return g

"""What the graders of every lesson share: random inputs, central differences, run-hook checks."""

from __future__ import annotations

import numpy as np

from ...gradcheck import numerical_gradient
from ..compare import describe
from ..model import WrongOutput

__all__ = ["H", "normal", "nonzero", "numeric_grads", "set_params", "unpack", "array_like"]

#: The central-difference step (float64: the error is O(h²) + O(ε·|C|/h), about 1e-10 here).
H = 1e-6


def normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    """float64 N(0, scale²) of ``shape``."""
    return rng.standard_normal(shape) * scale


def nonzero(rng: np.random.Generator, *shape: int, low: float = 0.05, high: float = 2.0) -> np.ndarray:
    """float64 values of random sign with ``low ≤ |v| ≤ high``: no kink of ReLU, |·| or max
    pooling within a central-difference step."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def numeric_grads(scalar, args: list, wrt) -> list:
    """Central differences of the float ``scalar(*args)`` with respect to ``args[i]`` for each
    ``i`` in ``wrt`` (each a float64 array, perturbed in place one entry at a time)."""
    args = [
        np.array(a, dtype=np.float64, order="C") if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
        for a in args
    ]
    grads = []
    for i in wrt:
        grads.append(numerical_gradient(lambda: float(scalar(*args)), args[i], h=H))
    return grads


def set_params(module, **arrays) -> None:
    """Copy arrays into a minigan module's parameters (``W=..., b=...``)."""
    for name, value in arrays.items():
        module.params[name].data[...] = value


def unpack(result, n: int, what: str) -> tuple:
    """``result`` as a tuple of ``n`` (a run hook reads a student's return value), else WrongOutput."""
    if not isinstance(result, (tuple, list)) or len(result) != n:
        raise WrongOutput(f"must return a tuple ({what}), got {describe(result)}")
    return tuple(result)


def array_like(x, like: np.ndarray, name: str) -> np.ndarray:
    """``x`` if it is a float array of ``like``'s shape, else WrongOutput."""
    if not isinstance(x, np.ndarray) or x.shape != like.shape or x.dtype.kind != "f":
        raise WrongOutput(f"{name} must be a float64 array of shape {like.shape}, got {describe(x)}")
    return x

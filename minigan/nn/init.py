"""Weight initialisation (document 001 §2.10) and minigan's random-number source.

Weights are always drawn on the host with a NumPy ``Generator`` and moved afterwards, so a
model built with the same seed starts from identical weights on the CPU and on the GPU
(docs/architecture.md §6).

``fan_in`` / ``fan_out`` of a weight follow PyTorch: for a Dense weight (out, in) they are
``in`` and ``out``; for a convolution weight (C_out, C_in, kH, kW) they are ``C_in·kH·kW`` and
``C_out·kH·kW``.
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import is_int

__all__ = [
    "manual_seed",
    "get_rng",
    "fans",
    "xavier",
    "xavier_normal",
    "glorot_uniform",
    "he",
    "he_normal",
    "normal",
    "uniform_fan_in",
    "zeros",
    "ones",
    "get_initializer",
    "INITIALIZERS",
    "make_weight",
]

_RNG = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Seed minigan's global generator (used when a layer is given no ``rng``). Returns it."""
    global _RNG
    _RNG = np.random.default_rng(seed)
    return _RNG


def get_rng(rng: np.random.Generator | int | None = None, owner: str = "rng") -> np.random.Generator:
    """``rng`` itself, a new Generator seeded with the int ``rng`` (>= 0), or the global one.
    ``owner`` names the layer in the error (``"Dense: rng must be ..."``)."""
    if rng is None:
        return _RNG
    if isinstance(rng, np.random.Generator):
        return rng
    if is_int(rng):
        if rng < 0:
            raise ValueError(f"{owner}: rng must be None, an int seed >= 0 or a numpy.random.Generator, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{owner}: rng must be None, an int seed >= 0 or a numpy.random.Generator, got {type(rng).__name__}"
    )


def make_weight(fn, shape: tuple, rng, dtype, owner: str, **kwargs) -> np.ndarray:
    """``fn(shape, rng=rng, dtype=dtype)`` (an initialiser, built-in or the user's ``init=``),
    checked: a NumPy array of exactly ``shape``, a real numeric dtype (cast to ``dtype``) and
    finite values, else a ValueError/TypeError naming the layer."""
    try:
        w = fn(shape, rng=rng, dtype=dtype, **kwargs)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{owner}: init failed for a weight of shape {tuple(shape)}: {exc}") from exc
    if not isinstance(w, np.ndarray):
        raise TypeError(f"{owner}: init must return a numpy array of shape {tuple(shape)}, got {type(w).__name__}")
    if tuple(w.shape) != tuple(shape):
        raise ValueError(f"{owner}: init returned shape {tuple(w.shape)}, the weight needs {tuple(shape)}")
    if w.dtype.kind not in "iuf":
        raise TypeError(f"{owner}: init returned dtype {w.dtype}; expected real numbers ({np.dtype(dtype)})")
    w = np.array(w, dtype=dtype, copy=True)
    if not np.isfinite(w).all():
        raise ValueError(f"{owner}: init returned NaN or infinite values for a weight of shape {tuple(shape)}")
    return w


def fans(shape: tuple) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape`` (PyTorch's convention)."""
    if len(shape) < 2:
        raise ValueError(f"fans: a weight needs at least 2 dimensions, got shape {tuple(shape)}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return int(shape[1]) * receptive, int(shape[0]) * receptive


def xavier_normal(shape, rng=None, dtype=np.float32, fan_in: int | None = None) -> np.ndarray:
    """The documents' Xavier initialisation: ``W ~ N(0, 1/n)``, ``n`` the fan-in.

    Document 001 §2.10: ``W^[l] ~ N(0, 1/n^[l-1])``. (Glorot & Bengio's own rule uses
    ``2/(n_in + n_out)``; that one is :func:`glorot_uniform`.) ``fan_in`` overrides the
    fan-in computed from ``shape``.
    """
    n = fan_in if fan_in is not None else fans(shape)[0]
    return get_rng(rng).normal(0.0, math.sqrt(1.0 / n), size=shape).astype(dtype)


xavier = xavier_normal


def glorot_uniform(shape, rng=None, dtype=np.float32, fan_in=None, fan_out=None) -> np.ndarray:
    """Glorot & Bengio (2010): ``U(-a, a)``, ``a = sqrt(6 / (fan_in + fan_out))`` (Keras' default)."""
    fi, fo = fans(shape)
    fi = fan_in if fan_in is not None else fi
    fo = fan_out if fan_out is not None else fo
    a = math.sqrt(6.0 / (fi + fo))
    return get_rng(rng).uniform(-a, a, size=shape).astype(dtype)


def he_normal(shape, rng=None, dtype=np.float32, fan_in: int | None = None) -> np.ndarray:
    """He et al. (2015) for ReLU layers: ``N(0, 2/n)``, ``n`` the fan-in."""
    n = fan_in if fan_in is not None else fans(shape)[0]
    return get_rng(rng).normal(0.0, math.sqrt(2.0 / n), size=shape).astype(dtype)


he = he_normal


def normal(shape, rng=None, dtype=np.float32, std: float = 0.02, **_ignored) -> np.ndarray:
    """``N(0, std²)``; ``std=0.02`` is the DCGAN rule of Radford et al. (2016), §4 ("All weights
    were initialized from a zero-centered Normal distribution with standard deviation 0.02").
    Document 001 §4.3 lists the DCGAN's other rules but gives no initialization (its only
    initialization is Xavier's, §2.10); the 0.02 is not in any of the source documents."""
    return get_rng(rng).normal(0.0, std, size=shape).astype(dtype)


def uniform_fan_in(shape, rng=None, dtype=np.float32, fan_in: int | None = None) -> np.ndarray:
    """PyTorch's default for Linear/Conv weights and biases: ``U(-1/√n, 1/√n)``, ``n`` the fan-in."""
    n = fan_in if fan_in is not None else fans(shape)[0]
    a = 1.0 / math.sqrt(n)
    return get_rng(rng).uniform(-a, a, size=shape).astype(dtype)


def zeros(shape, rng=None, dtype=np.float32, **_ignored) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


def ones(shape, rng=None, dtype=np.float32, **_ignored) -> np.ndarray:
    return np.ones(shape, dtype=dtype)


INITIALIZERS = {
    "xavier": xavier_normal,
    "xavier_normal": xavier_normal,
    "glorot_uniform": glorot_uniform,
    "he": he_normal,
    "he_normal": he_normal,
    "normal": normal,
    "pytorch": uniform_fan_in,
    "uniform_fan_in": uniform_fan_in,
}


def get_initializer(name_or_fn, layer: str = "layer"):
    """Look up an initialiser by name (``"xavier"``, ``"glorot_uniform"``, ``"he"``,
    ``"normal"``, ``"pytorch"``) or pass a callable ``fn(shape, rng=, dtype=)`` through."""
    if callable(name_or_fn):
        return name_or_fn
    if isinstance(name_or_fn, str) and name_or_fn in INITIALIZERS:
        return INITIALIZERS[name_or_fn]
    raise ValueError(f"{layer}: init must be one of {sorted(INITIALIZERS)} or a callable, got {name_or_fn!r}")

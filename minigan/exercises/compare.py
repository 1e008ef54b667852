"""Compare what a student's function returned with what it should return.

:func:`pair_outputs` walks the expected structure (a tuple of outputs, lists, arrays, floats,
ints) beside the student's and pairs their leaves, raising :class:`Mismatch` with a one-line
message where the kind, length, shape or dtype differs (a list where an array belongs, a
``(in, out)`` gradient where ``(out, in)`` belongs, float32 where float64 belongs).
:func:`rel_error` measures a pair of leaves; it treats NaN and infinity as values, so that a
mistake that overflows is still recognised as that mistake.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import gradcheck

__all__ = ["Mismatch", "describe", "rel_error", "pair_outputs", "scalar_leaf"]


class Mismatch(Exception):
    """The student's output has the wrong kind, length, shape or dtype (the message says which)."""


def describe(x: Any) -> str:
    """A few words for a value: ``an array of shape (3, 4) and dtype float32``, ``a list of 2``."""
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of {len(x)}"
    if x is None:
        return "None"
    if isinstance(x, (bool, np.bool_)):
        return f"the bool {x}"
    if isinstance(x, (int, float, np.integer, np.floating)):
        return f"the {type(x).__name__} {x!r}"[:60]
    return f"a {type(x).__name__}"


def rel_error(a, b) -> float:
    """``‖a − b‖ / (‖a‖ + ‖b‖)`` over the finite entries (minigan.gradcheck.rel_error); 0 if both
    hold the same NaN and infinities at the same places, infinity if they differ there."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return math.inf
    fa, fb = np.isfinite(a), np.isfinite(b)
    if not np.array_equal(fa, fb):
        return math.inf
    if not fa.all():
        if not np.array_equal(np.isnan(a), np.isnan(b)) or not np.array_equal(a[np.isinf(a)], b[np.isinf(b)]):
            return math.inf
        a, b = a[fa], b[fb]
    return gradcheck.rel_error(a, b)


def scalar_leaf(x, name: str) -> float:
    """``x`` as a Python float if it is a real number (a 0-d array counts), else Mismatch."""
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x[()]
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise Mismatch(f"{name} must be a number (a float), got {describe(x)}")
    return float(x)


def _pair(got, want, name: str, out: list) -> None:
    if isinstance(want, (tuple, list)):
        kind = "tuple" if isinstance(want, tuple) else "list"
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            raise Mismatch(f"{name} must be a {kind} of {len(want)}, got {describe(got)}")
        for i, (g, w) in enumerate(zip(got, want)):
            _pair(g, w, f"{name}[{i}]", out)
    elif isinstance(want, np.ndarray):
        if not isinstance(got, np.ndarray):
            raise Mismatch(f"{name} must be a NumPy array of shape {want.shape}, got {describe(got)}")
        if got.shape != want.shape:
            raise Mismatch(f"{name} has shape {got.shape}, expected {want.shape}")
        if got.dtype.kind != "f" or got.dtype.itemsize < 8:
            raise Mismatch(f"{name} has dtype {got.dtype}, expected float64 (compute in float64)")
        out.append((name, got, want))
    elif isinstance(want, (int, np.integer)) and not isinstance(want, (bool, np.bool_)):
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
            raise Mismatch(f"{name} must be an int, got {describe(got)}")
        out.append((name, int(got), int(want)))
    else:  # a float
        out.append((name, scalar_leaf(got, name), float(want)))


def pair_outputs(got, want, names: tuple) -> list[tuple[str, Any, Any]]:
    """Pair the leaves of ``got`` with those of ``want``: ``[(name, got_leaf, want_leaf), ...]``.

    A tuple ``want`` is the function's outputs, named by ``names``; anything else is its one
    output, named ``names[0]``. Raises :class:`Mismatch` on a difference of structure.
    """
    out: list = []
    if isinstance(want, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            what = ", ".join(names) if len(names) == len(want) else f"{len(want)} values"
            raise Mismatch(f"must return a tuple ({what}), got {describe(got)}")
        for i, (g, w) in enumerate(zip(got, want)):
            _pair(g, w, names[i] if i < len(names) else f"output {i}", out)
    else:
        _pair(got, want, names[0], out)
    return out

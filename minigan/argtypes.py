"""Command-line values checked as they are parsed: ``type=`` functions for :mod:`argparse`.

Each function turns the text of one option into its value, or raises
:class:`argparse.ArgumentTypeError`, which argparse reports in one line with exit status 2::

    minigan-train: error: argument --lr: must be a finite number > 0, got 'inf'

So a bad value never reaches the code that would fail on it with a traceback (``--seed -1``,
``--epochs nan``) or, worse, run on it in silence (docs/architecture.md §7). Every training
script (:mod:`minigan.runner`, :mod:`minigan.train`, ``examples/``) and every other command
line of the package (``python -m minigan.data.drawings``, ``python -m minigan.metrics.drawings``)
uses them, so the same value is refused with the same words everywhere.

The integers are whole numbers written as such (``"3"``, not ``"3.0"`` or ``"1e3"``); the floats
are finite (``inf`` and ``nan``, which :func:`float` accepts, are refused).
"""

from __future__ import annotations

import argparse
import math
from typing import Callable

__all__ = [
    "MAX_INT",
    "MAX_SEED",
    "positive_int",
    "nonnegative_int",
    "seed",
    "finite_float",
    "positive_float",
    "float_in",
    "int_in",
]

#: The largest count any option accepts (a step count, a batch size, a number of images):
#: larger values are typing mistakes, and would overflow what they size.
MAX_INT = 10**12
#: Seeds are ``0 <= seed <= MAX_SEED`` (NumPy refuses negative seeds; JSON stores them exactly).
MAX_SEED = 2**63 - 1


def _int(text: str) -> int:
    t = str(text).strip()
    try:
        return int(t, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def int_in(low: int, high: int | None = None) -> Callable[[str], int]:
    """A ``type=`` for a whole number in ``[low, high]`` (``high`` None: ``>= low``, and at most
    :data:`MAX_INT`)."""

    def parse(text: str) -> int:
        v = _int(text)
        if high is not None and not low <= v <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number in [{low}, {high}], got {text!r}")
        if v < low:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {low}, got {text!r}")
        if v > MAX_INT:
            raise argparse.ArgumentTypeError(f"must be at most {MAX_INT:,}, got {text!r}")
        return v

    parse.__name__ = f"int_in_{low}_{high}"
    return parse


#: ``--batch-size``, ``--steps``, ``--threads``, ...: a whole number >= 1.
positive_int = int_in(1)
positive_int.__name__ = "positive_int"
#: ``--corrupt`` and other counts that may be 0.
nonnegative_int = int_in(0)
nonnegative_int.__name__ = "nonnegative_int"


def seed(text: str) -> int:
    """A random seed: a whole number in ``[0, 2**63 - 1]`` (NumPy refuses negative seeds)."""
    v = _int(text)
    if not 0 <= v <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be a whole number in [0, 2**63 - 1], got {text!r}")
    return v


def finite_float(text: str) -> float:
    """A finite real number (``inf``, ``-inf`` and ``nan`` refused)."""
    try:
        v = float(str(text).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return v


def float_in(
    low: float | None, high: float | None, *, low_inclusive: bool = True, high_inclusive: bool = False
) -> Callable[[str], float]:
    """A ``type=`` for a finite float in an interval, e.g. ``float_in(0, 1)`` for ``[0, 1)``,
    ``float_in(0, None, low_inclusive=False)`` for ``> 0``."""
    if low is not None and high is not None:
        interval = f"in {'[' if low_inclusive else '('}{low:g}, {high:g}{']' if high_inclusive else ')'}"
    elif low is not None:
        interval = f"{'>=' if low_inclusive else '>'} {low:g}"
    else:
        assert high is not None
        interval = f"{'<=' if high_inclusive else '<'} {high:g}"

    def parse(text: str) -> float:
        try:
            v = float(str(text).strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        ok = math.isfinite(v)
        if ok and low is not None:
            ok = v >= low if low_inclusive else v > low
        if ok and high is not None:
            ok = v <= high if high_inclusive else v < high
        if not ok:
            raise argparse.ArgumentTypeError(f"must be a finite number {interval}, got {text!r}")
        return v

    parse.__name__ = "float_in"
    return parse


#: ``--lr``, ``--epochs``: a finite number > 0.
positive_float = float_in(0, None, low_inclusive=False)
positive_float.__name__ = "positive_float"

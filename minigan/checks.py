"""Argument and input validation shared by every minigan file.

One home for the checks, so that every error reads the same way: it names the layer (or
function) and the argument, then says what was expected and what came, e.g.
``Dense(784, 128): input must be 2-D (N, 784), got shape (32, 28, 28)``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import backend

__all__ = ["shape_str", "check_positive_int", "check_input"]


def shape_str(shape) -> str:
    """``(2, 3)``, ``(4,)``, ``()``: like Python's tuple repr, with ``N`` allowed."""
    inner = ", ".join(str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def check_positive_int(layer: str, name: str, value: Any, minimum: int = 1) -> int:
    """Validate a size argument: an int ``>= minimum``. Returns it as int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{layer}: {name} must be an int >= {minimum}, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{layer}: {name} must be an int >= {minimum}, got {value}")
    return int(value)


def check_input(layer: str, x: Any, ndim: int | tuple | None = None, sizes: dict | None = None,
                name: str = "input", expected: str | None = None) -> None:
    """Validate a layer's input array and raise a message that names the layer.

    Parameters
    ----------
    layer : str
        Layer name for the message (e.g. ``"Dense(784, 128)"``).
    x : array
        The input.
    ndim : int or tuple of int, optional
        Accepted numbers of dimensions.
    sizes : dict, optional
        ``{axis: size}`` that must match.
    expected : str, optional
        Human-readable expected shape, e.g. ``"(N, 784)"``.
    """
    xp = backend.get_array_module(x)
    if not hasattr(x, "shape") or not hasattr(x, "dtype") or isinstance(x, (np.generic,)):
        raise TypeError(f"{layer}: {name} must be an array (numpy.ndarray or cupy.ndarray), "
                        f"got {type(x).__name__}")
    if not xp.issubdtype(x.dtype, xp.floating):
        raise TypeError(f"{layer}: {name} must have a floating dtype (float32 or float64), got {x.dtype}"
                        + ("; convert with x.astype('float32')" if xp.issubdtype(x.dtype, xp.number) else ""))
    exp = f" {expected}" if expected else ""
    if ndim is not None:
        ndims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in ndims:
            want = " or ".join(f"{d}-D" for d in ndims)
            raise ValueError(f"{layer}: {name} must be {want}{exp}, got shape {shape_str(x.shape)}")
    if sizes:
        for axis, size in sizes.items():
            if x.shape[axis] != size:
                raise ValueError(f"{layer}: {name} axis {axis} must have size {size}{exp}, "
                                 f"got shape {shape_str(x.shape)}")


# --- used by gan/data/viz/metrics
__all__ += ["is_int", "is_real", "check_int", "check_int_at_least", "check_real"]


# Validation of plain numbers. A bool is refused wherever a number is expected (True is an int
# to Python, but ``seed=True`` or ``limit=False`` is always a mistake).
def is_int(value: Any) -> bool:
    """True for a Python or NumPy integer, False for a bool."""
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def is_real(value: Any) -> bool:
    """True for a Python or NumPy integer or float, False for a bool."""
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def check_int(where: str, name: str, value: Any) -> int:
    """Validate any int (a seed, say): ``TypeError`` ``"<where>: <name> must be an int, got str"``."""
    if not is_int(value):
        raise TypeError(f"{where}: {name} must be an int, got {type(value).__name__}")
    return int(value)


def check_int_at_least(where: str, name: str, value: Any, minimum: int, expected: str | None = None,
                       error: type = ValueError) -> int:
    """Validate an int ``>= minimum``; one ``error`` (ValueError unless given) for a wrong type or
    a wrong value: ``"<where>: <name> must be <expected>, got <value!r>"``, ``expected``
    defaulting to ``"an int >= <minimum>"``."""
    if not is_int(value) or value < minimum:
        raise error(f"{where}: {name} must be {expected or f'an int >= {minimum}'}, got {value!r}")
    return int(value)


def check_real(where: str, name: str, value: Any, low: float, high: float | None = None, *,
               low_open: bool = False, high_open: bool = False, hint: str = "") -> float:
    """Validate a real number in an interval: ``[low, high]`` by default, ``low_open`` /
    ``high_open`` exclude an end, ``high=None`` means no upper bound. ``ValueError`` for a wrong
    type or value, e.g. ``"GAN: real_label must be a float in (0.5, 1] (0.9 = one-sided label
    smoothing), got 2"`` (``hint`` is the parenthesis). NaN is refused."""
    ok = is_real(value) and (value > low if low_open else value >= low)
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        if high is None:
            what = f"{'>' if low_open else '>='} {low:g}"
        else:
            what = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{where}: {name} must be a float {what}{f' ({hint})' if hint else ''}, got {value!r}")
    return float(value)

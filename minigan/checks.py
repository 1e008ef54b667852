"""Argument and input validation shared by every minigan file.

One home for the checks, so that every error reads the same way: it names the layer (or
function) and the argument, then says what was expected and what came, e.g.
``Dense(784, 128): input must be 2-D (N, 784), got shape (32, 28, 28)``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from . import backend
from .errors import DataError

if TYPE_CHECKING:
    from typing_extensions import TypeGuard  # typing.TypeGuard is Python 3.10+

__all__ = [
    "DataError",
    "shape_str",
    "is_int",
    "is_real",
    "check_bool",
    "check_int_range",
    "check_positive_int",
    "check_pair",
    "parse_padding",
    "check_number",
    "check_float",
    "check_input",
]


def shape_str(shape) -> str:
    """``(2, 3)``, ``(4,)``, ``()``: like Python's tuple repr, with ``N`` allowed."""
    inner = ", ".join(str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


# ---------------------------------------------------------------------------- predicates
def is_int(value: Any) -> TypeGuard[int | np.integer]:
    """An integer (Python or NumPy), and not a bool (``True`` is an ``int`` to Python)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """A real number (Python or NumPy int or float), and not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


# ---------------------------------------------------------------------------- arguments
def check_bool(owner: str, name: str, value: Any) -> bool:
    """Validate a switch: ``True`` or ``False`` (a NumPy bool too). Returns it as bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


#: The largest size argument accepted (a layer width, a kernel, a count): 2**31 - 1. Larger
#: sizes cannot be allocated anyway and would fail later, without the layer's name.
MAX_SIZE = 2**31 - 1


def check_int_range(
    where: str,
    name: str,
    value: Any,
    minimum: int = 1,
    maximum: int | None = MAX_SIZE,
    *,
    expected: str | None = None,
    error: type | None = None,
) -> int:
    """Validate an int in ``[minimum, maximum]`` (``maximum=None``: no upper bound). Returns it
    as int.

    Without ``error``: ``TypeError`` for a non-int (``"<where>: <name> must be an int >= 1,
    got str 'a'"``), ``ValueError`` for an int out of range. With ``error`` (a checkpoint's
    field raises :class:`minigan.errors.CheckpointError`; a count read from a stream or a file,
    ``ValueError``), that one type for both, ``"<where>: <name> must be <expected>, got
    <value!r>"``, ``expected`` defaulting to ``"an int >= <minimum>"``.
    """
    want = expected or f"an int >= {minimum}"
    if error is not None:
        if not is_int(value) or value < minimum or (maximum is not None and value > maximum):
            raise error(f"{where}: {name} must be {want}, got {value!r}"[:300])
        return int(value)
    if not is_int(value):
        raise TypeError(f"{where}: {name} must be {want}, got {type(value).__name__} {value!r}"[:300])
    if value < minimum:
        raise ValueError(f"{where}: {name} must be {want}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{where}: {name} must be an int <= {maximum}, got {value}")
    return int(value)


def check_positive_int(owner: str, name: str, value: Any, *, maximum: int = MAX_SIZE) -> int:
    """Validate a size argument (a width, a kernel, a batch, a count of steps to take): an int
    in ``[1, maximum]``; :func:`check_int_range` with ``minimum=1``."""
    return check_int_range(owner, name, value, 1, maximum)


def check_pair(layer: str, name: str, value: Any, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, each ``>= minimum`` (a kernel size, a stride, a padding).
    Returns ``(v, v)`` for an int, the pair as ints otherwise."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{layer}: {name} must be an int or a pair of ints, got {value!r}")
        return (check_int_range(layer, name, value[0], minimum), check_int_range(layer, name, value[1], minimum))
    v = check_int_range(layer, name, value, minimum)
    return v, v


def parse_padding(layer: str, padding: Any) -> str | tuple[int, int]:
    """A convolution's padding: ``"same"`` or ``"valid"`` (any case; returned lower-case), or
    an int ``>= 0`` or a pair of them (returned as a pair, as :func:`check_pair`)."""
    if isinstance(padding, str):
        key = padding.lower()
        if key not in ("same", "valid"):
            raise ValueError(
                f"{layer}: padding must be an int >= 0, a pair of ints, 'valid' or 'same', got {padding!r}"
            )
        return key
    if not (is_int(padding) or isinstance(padding, (tuple, list))):
        raise TypeError(
            f"{layer}: padding must be an int >= 0, a pair of ints, 'valid' or 'same', "
            f"got {type(padding).__name__} {padding!r}"
        )
    return check_pair(layer, "padding", padding, 0)


def _interval(low: float, high: float, low_inclusive: bool, high_inclusive: bool) -> str:
    lb = "[" if low_inclusive else "("
    hb = "]" if high_inclusive else ")"
    hi_s = "∞" if high == math.inf else f"{high:g}"
    return f"{lb}{low:g}, {hi_s}{hb}"


def check_number(
    owner: str,
    name: str,
    value: Any,
    low: float,
    high: float = math.inf,
    low_inclusive: bool = False,
    high_inclusive: bool = False,
) -> float:
    """A finite real number in the interval from ``low`` to ``high`` (each end open unless
    its ``*_inclusive``), as float (the optimizers' hyperparameters).

    A value that is not a number (a bool included) is a TypeError ``"{owner}: {name} must be a
    real number, got str 'x'"``; a number outside the interval, infinite or NaN a ValueError
    ``"{owner}: {name} must be a finite number in (0, ∞), got -1"``.
    """
    if not is_real(value):
        raise TypeError(f"{owner}: {name} must be a real number, got {type(value).__name__} {value!r}")
    v = float(value)
    lo_ok = v >= low if low_inclusive else v > low
    hi_ok = v <= high if high_inclusive else v < high
    if not (math.isfinite(v) and lo_ok and hi_ok):
        raise ValueError(
            f"{owner}: {name} must be a finite number in "
            f"{_interval(low, high, low_inclusive, high_inclusive)}, got {value!r}"
        )
    return v


def check_float(
    owner: str,
    name: str,
    value: Any,
    low: float,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = False,
    hint: str = "",
) -> float:
    """A real number above ``low`` (and below ``high`` if given), as float (the layers'
    hyperparameters: a dropout probability, a slope, a momentum, an epsilon).

    Every failure, a value that is not a number included, is one ValueError that states the
    range: ``"{owner}: {name} must be a float in [0, 1), got 1.5"``, or without ``high``
    ``"{owner}: {name} must be a float > 0, got 0"``. NaN is refused; with no ``high``,
    ``inf`` is accepted. ``hint`` is a parenthesis added after the range, e.g. ``"GAN:
    real_label must be a float in (0.5, 1] (0.9 = one-sided label smoothing), got 2"``.
    """
    ok = is_real(value)
    if ok:
        v = float(value)
        ok = (v >= low if low_inclusive else v > low) and (high is None or (v <= high if high_inclusive else v < high))
    if not ok:
        if high is None:
            want = f"{'>=' if low_inclusive else '>'} {low:g}"
        else:
            want = f"in {_interval(low, high, low_inclusive, high_inclusive)}"
        raise ValueError(f"{owner}: {name} must be a float {want}{f' ({hint})' if hint else ''}, got {value!r}")
    return v


def check_choice(owner: str, name: str, value: Any, choices) -> str:
    """Validate one of a few named options. ``choices`` is a tuple of names, or a dict
    ``{name: what it means}`` whose meanings the message spells out:
    ``"GAN: fake_mode must be 'train' (G in training mode) or 'eval' (...), got 'x'"``."""
    if isinstance(value, str) and value in choices:
        return value
    opts = [f"{c!r} ({choices[c]})" if isinstance(choices, dict) else repr(c) for c in choices]
    want = opts[0] if len(opts) == 1 else ", ".join(opts[:-1]) + " or " + opts[-1]
    raise ValueError(f"{owner}: {name} must be {want}, got {value!r}")


# ---------------------------------------------------------------------------- input arrays
def check_input(
    layer: str,
    x: Any,
    ndim: int | tuple | None = None,
    sizes: dict | None = None,
    name: str = "input",
    expected: str | None = None,
) -> None:
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
        raise TypeError(f"{layer}: {name} must be an array (numpy.ndarray or cupy.ndarray), got {type(x).__name__}")
    if not xp.issubdtype(x.dtype, xp.floating) or x.dtype.itemsize not in (4, 8):
        raise TypeError(
            f"{layer}: {name} must have a floating dtype (float32 or float64), got {x.dtype}"
            + ("; convert with x.astype('float32')" if xp.issubdtype(x.dtype, xp.number) else "")
        )
    exp = f" {expected}" if expected else ""
    if ndim is not None:
        ndims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in ndims:
            want = " or ".join(f"{d}-D" for d in ndims)
            raise ValueError(f"{layer}: {name} must be {want}{exp}, got shape {shape_str(x.shape)}")
    if sizes:
        for axis, size in sizes.items():
            if x.shape[axis] != size:
                raise ValueError(
                    f"{layer}: {name} axis {axis} must have size {size}{exp}, got shape {shape_str(x.shape)}"
                )


# ---------------------------------------------------------------------------- plain numbers
__all__ += ["check_choice", "check_int"]


def check_int(where: str, name: str, value: Any) -> int:
    """Validate any int (a seed, say): ``TypeError`` ``"<where>: <name> must be an int, got str"``."""
    if not is_int(value):
        raise TypeError(f"{where}: {name} must be an int, got {type(value).__name__}")
    return int(value)


# ---------------------------------------------------------------------------- dtypes, seeds, gradients
__all__ += ["check_float_dtype", "check_seed", "check_dout"]


def check_float_dtype(owner: str, dtype: Any, name: str = "dtype") -> np.dtype:
    """A layer's parameter dtype: float32 or float64 (anything NumPy reads as one of them).
    Anything else (an int dtype would give all-zero weights, float16 overflows, complex is
    not a real gradient) is a TypeError naming the layer."""
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        dt = None
    if dt is None or dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{owner}: {name} must be float32 or float64, got {dtype!r}")
    return dt


def check_seed(owner: str, name: str, value: Any, allow_none: bool = True) -> int | None:
    """A seed: None (when allowed) or an int >= 0 (NumPy refuses negative seeds)."""
    if value is None and allow_none:
        return None
    if not is_int(value):
        raise TypeError(
            f"{owner}: {name} must be {'None or ' if allow_none else ''}an int >= 0, "
            f"got {type(value).__name__} {value!r}"[:300]
        )
    if value < 0:
        raise ValueError(f"{owner}: {name} must be an int >= 0 (a seed), got {value}")
    return int(value)


def check_dout(owner: str, dout: Any, shape: tuple | None, device: str | None) -> None:
    """Validate the upstream gradient at the entry of a ``backward``: an array (NumPy or CuPy,
    not a list, None or a scalar) of a real floating dtype (not int, bool, complex or object),
    on the device of the forward's output, with the forward output's shape."""
    if not hasattr(dout, "shape") or not hasattr(dout, "dtype") or isinstance(dout, np.generic):
        raise TypeError(
            f"{owner}.backward: dout must be an array (numpy.ndarray or cupy.ndarray), got {type(dout).__name__}"
        )
    if getattr(dout.dtype, "kind", None) != "f":
        raise TypeError(
            f"{owner}.backward: dout must have a real floating dtype (float32 or float64), got {dout.dtype}"
        )
    if device is not None and backend.device_of(dout) != device:
        raise ValueError(f"{owner}.backward: dout is on {backend.device_of(dout)!r} but the forward ran on {device!r}")
    if shape is not None and tuple(dout.shape) != tuple(shape):
        raise ValueError(
            f"{owner}.backward: dout must have the output's shape {shape_str(shape)} "
            f"(that of the latest forward), got {shape_str(dout.shape)}"
        )

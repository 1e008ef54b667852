"""Plain JSON values from NumPy ones, for the JSON metadata of checkpoints and data streams."""

from __future__ import annotations

import numpy as np

__all__ = ["jsonable"]


def jsonable(obj):
    """``obj`` with NumPy ints and arrays turned into plain JSON types (nested dicts, lists and
    tuples followed), e.g. a bit generator's ``state`` for :func:`save`'s ``rng_state``."""
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.integer):
        return int(obj)
    return obj

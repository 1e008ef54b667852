"""The registry of gradient-check cases: :class:`GradCase` and :func:`register`.

A topic module of :mod:`minigan.gradcheck.cases` registers the cases of its layers here;
:func:`minigan.gradcheck.registered_cases` builds them. This file imports nothing of minigan,
so that the cases can import it without importing the rest of :mod:`minigan.gradcheck`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["GradCase", "register", "REGISTRY"]


@dataclass
class GradCase:
    """One gradient-check case.

    ``obj`` is a Module (checked with :func:`~minigan.gradcheck.check_module` on input ``x``,
    in the mode it is in, with upstream gradient ``dout`` or a random one) or a loss (checked
    with :func:`~minigan.gradcheck.check_loss` on ``x`` = pred and ``target``). Put the module
    in the state to check before registering it (``eval()``, a dropout ``fixed_mask``).
    """

    name: str
    obj: Any
    x: Any
    target: Any = None
    dout: Any = None
    kind: str = "module"  # or "loss"


#: name -> ``fn(rng) -> GradCase | list[GradCase]``, in registration order.
REGISTRY: dict[str, Callable[[np.random.Generator], Any]] = {}


def register(name: str):
    """Decorator: register ``fn(rng) -> GradCase | list[GradCase]`` under ``name``.

    The topic modules of :mod:`minigan.gradcheck.cases` register their cases at import time,
    so ``python -m minigan.gradcheck`` covers every layer without being edited.
    """

    def deco(fn):
        if name in REGISTRY:
            raise ValueError(f"gradcheck.register: a case named {name!r} is already registered")
        REGISTRY[name] = fn
        return fn

    return deco

"""Old dotted paths of the modules that moved, kept working with a DeprecationWarning.

Before the engine moved into ``minigan/nn/`` (and the data, checkpoint and GAN code into their
own packages), the package was flat: ``minigan.layers``, ``minigan.checkpoint_meta``,
``minigan.training_state``... Scripts and notebooks written against those paths keep working:
``import minigan.layers``, ``from minigan.layers import Dense`` and ``minigan.layers`` all give
the module's new home (the very same module object, so classes and ``isinstance`` agree) and
warn once with the new path. Nothing else in minigan imports an old path.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from types import ModuleType
from typing import Any, Callable

__all__ = ["MOVED", "install", "module_getattr", "module_dir"]

_ENGINE = (
    "module",
    "sequential",
    "layers",
    "activations",
    "conv",
    "im2col",
    "pooling",
    "recurrent",
    "conditional",
    "losses",
    "optim",
    "clipping",
    "init",
    "torch_names",
)

#: old dotted path -> new dotted path
MOVED: dict[str, str] = {f"minigan.{m}": f"minigan.nn.{m}" for m in _ENGINE}
MOVED.update(
    {
        "minigan.atomic": "minigan.files.atomic",
        "minigan.npzread": "minigan.files.npzread",
        "minigan.checkpoint_meta": "minigan.checkpoint.meta",
        "minigan.training_state": "minigan.gan.state",
        "minigan.batches": "minigan.data.batches",
        "minigan.imagefolder": "minigan.data.imagefolder",
        "minigan.cgan": "minigan.gan.cgan",
        "minigan.noise": "minigan.gan.noise",
        "minigan.freeze": "minigan.gan.freeze",
        "minigan.history": "minigan.gan.history",
        "minigan.ema": "minigan.gan.ema",
        "minigan.metrics.training": "minigan.metrics.classifier_fit",
        "minigan.interop.naming": "minigan.interop.safetensors_io",
    }
)


def _warn(old: str, new: str, stacklevel: int) -> None:
    warnings.warn(
        f"{old} moved to {new}; import it from there (the old path will be removed in a later version)",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old path and hands back the module of its new one."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec) -> ModuleType:
        new = MOVED[spec.name]
        _warn(spec.name, new, stacklevel=3)
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:  # the new module is already executed
        return None


_FINDER = _Alias()


def install() -> None:
    """Put the alias finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.append(_FINDER)


def module_getattr(package: str) -> Callable[[str], ModuleType]:
    """A module-level ``__getattr__`` for ``package``: its moved children, with the warning."""
    prefix = package + "."

    def __getattr__(name: str) -> ModuleType:
        old = prefix + name
        if old in MOVED:
            _warn(old, MOVED[old], stacklevel=2)
            return importlib.import_module(MOVED[old])
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


def module_dir(namespace: dict) -> Callable[[], list]:
    """A module-level ``__dir__`` that lists the moved children beside the real names."""
    prefix = namespace["__name__"] + "."

    def __dir__() -> list:
        moved = {k[len(prefix) :] for k in MOVED if k.startswith(prefix) and "." not in k[len(prefix) :]}
        return sorted(set(namespace) | moved)

    return __dir__

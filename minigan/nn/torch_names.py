"""PyTorch's names for a module's arrays (no PyTorch imported here).

Each layer class says how PyTorch names its parameters in a class attribute, ``torch_names``
(minigan name -> PyTorch name; ``Dense``/``Conv2D``: ``W`` -> ``weight``, ``b`` -> ``bias``;
``BatchNorm``: ``gamma`` -> ``weight``, ``beta`` -> ``bias``), and which integer buffers
PyTorch keeps that minigan does not in ``torch_extra_buffers`` (``BatchNorm``:
``num_batches_tracked``). :meth:`minigan.nn.module.Module.state_dict` (``naming="torch"``) and
:meth:`~minigan.nn.module.Module.load_state_dict` use the two functions below, and
:mod:`minigan.interop` builds the PyTorch modules themselves.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

__all__ = ["param_renames", "torch_state_dict", "from_torch_names", "minigan_names", "as_array"]


def param_renames(m) -> dict:
    """minigan parameter name -> PyTorch's, for layer ``m`` (empty when they are the same)."""
    return dict(getattr(type(m), "torch_names", {}))


def torch_state_dict(module) -> OrderedDict[str, Any]:
    """The module's parameters and buffers under PyTorch's names, in PyTorch's order (each
    module's parameters, then its buffers): ``{"0.weight": ..., "2.running_mean": ...,
    "2.num_batches_tracked": 0}``. The arrays are the module's own (no copy)."""
    d = OrderedDict()
    for prefix, m in module.named_modules():
        table = param_renames(m)
        for k, p in m.params.items():
            d[prefix + table.get(k, k)] = p.data
        for k, b in m.buffers.items():
            d[prefix + table.get(k, k)] = b
        for k in getattr(type(m), "torch_extra_buffers", ()):
            d[prefix + k] = np.array(0, dtype=np.int64)
    return d


def as_array(v):
    """A torch tensor (recognized without importing torch) as a NumPy array; arrays pass through."""
    if hasattr(v, "detach") and hasattr(v, "cpu"):
        return v.detach().cpu().numpy()
    return v


def minigan_names(module, keys) -> dict:
    """``{key: minigan name, or None}`` for the names ``keys`` (PyTorch's or minigan's) of
    ``module``'s arrays, without looking at any value: minigan's names map to themselves,
    PyTorch's to minigan's, a layer's ``torch_extra_buffers`` (a BatchNorm's
    ``num_batches_tracked``) to None (minigan keeps no such array), and an unknown name to
    itself (the caller decides whether it is unexpected)."""
    mods = dict(module.named_modules())
    own = set(module.state_dict())
    out: dict = {}
    for k in keys:
        if k in own:
            out[k] = k
            continue
        prefix, _, leaf = k.rpartition(".")
        prefix = prefix + "." if prefix else ""
        m = mods.get(prefix)
        if m is None:
            out[k] = k
        elif leaf in getattr(type(m), "torch_extra_buffers", ()):
            out[k] = None
        else:
            back = {t: n for n, t in param_renames(m).items()}
            out[k] = prefix + back.get(leaf, leaf)
    return out


def from_torch_names(module, state: dict) -> OrderedDict[str, Any]:
    """``state`` with PyTorch's names turned into minigan's for ``module`` (keys that already
    are minigan's pass unchanged; a layer's ``torch_extra_buffers``, e.g. a BatchNorm's
    ``num_batches_tracked``, are dropped; torch tensors become NumPy arrays)."""
    names = minigan_names(module, list(state))
    out = OrderedDict()
    for k, v in state.items():
        if names[k] is not None:
            out[names[k]] = as_array(v)
    return out

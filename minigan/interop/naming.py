"""PyTorch's names for minigan's arrays, and ``.safetensors`` files with them. No PyTorch here."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from .. import backend
from ..conv import Conv2D, Conv2DTranspose
from ..layers import BatchNorm, Dense
from ..module import Module
from ..recurrent import LSTM, RNN

__all__ = ["param_renames", "torch_state_dict", "from_torch_names", "as_array",
           "save_safetensors", "load_safetensors"]

# ---------------------------------------------------------------------------- names (no torch)
_RENAMES = {  # minigan parameter name -> torch name, per layer type
    Dense: {"W": "weight", "b": "bias"},
    Conv2D: {"W": "weight", "b": "bias"},
    Conv2DTranspose: {"W": "weight", "b": "bias"},
    BatchNorm: {"gamma": "weight", "beta": "bias"},
    RNN: {"W_ih": "weight_ih_l0", "W_hh": "weight_hh_l0", "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"},
    LSTM: {"W_ih": "weight_ih_l0", "W_hh": "weight_hh_l0", "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"},
}


def param_renames(m: Module) -> dict:
    """minigan parameter name -> PyTorch's, for layer ``m`` (empty when they are the same)."""
    for cls, table in _RENAMES.items():
        if isinstance(m, cls):
            return table
    return {}


def torch_state_dict(module: Module) -> "OrderedDict[str, Any]":
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
        if isinstance(m, BatchNorm):
            d[prefix + "num_batches_tracked"] = np.array(0, dtype=np.int64)
    return d


def as_array(v):
    """A torch tensor (recognized without importing torch) as a NumPy array; arrays pass through."""
    if hasattr(v, "detach") and hasattr(v, "cpu"):
        return v.detach().cpu().numpy()
    return v


def from_torch_names(module: Module, state: dict) -> "OrderedDict[str, Any]":
    """``state`` with PyTorch's names turned into minigan's for ``module`` (keys that already
    are minigan's pass unchanged; ``*.num_batches_tracked`` of a BatchNorm is dropped; torch
    tensors become NumPy arrays). Used by ``Module.load_state_dict``."""
    mods = dict(module.named_modules())
    own = set(module.state_dict())
    out = OrderedDict()
    for k, v in state.items():
        v = as_array(v)
        if k in own:
            out[k] = v
            continue
        prefix, _, leaf = k.rpartition(".")
        prefix = prefix + "." if prefix else ""
        m = mods.get(prefix)
        if m is None:
            out[k] = v
            continue
        if isinstance(m, BatchNorm) and leaf == "num_batches_tracked":
            continue
        back = {t: n for n, t in param_renames(m).items()}
        out[prefix + back.get(leaf, leaf)] = v
    return out


# ---------------------------------------------------------------------------- safetensors
def _safetensors_numpy():
    try:
        import safetensors.numpy as stn
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("safetensors is not installed: pip install safetensors "
                          "(or pip install 'minigan[interop]')") from e
    return stn


def save_safetensors(module: Module, path, metadata: dict | None = None) -> None:
    """Write the module's weights and buffers to ``path`` in the ``.safetensors`` format, with
    PyTorch's names, so ``torch_model.load_state_dict(safetensors.torch.load_file(path))``
    works where only PyTorch and safetensors are installed. (minigan's own checkpoints,
    :mod:`minigan.checkpoint`, are unchanged.)"""
    arrays = {k: np.ascontiguousarray(backend.as_numpy(v)) for k, v in torch_state_dict(module).items()}
    _safetensors_numpy().save_file(arrays, str(path), metadata=metadata)


def load_safetensors(module: Module, path, strict: bool = True) -> Module:
    """Load a ``.safetensors`` file (PyTorch's or minigan's names) into ``module``. Returns it."""
    return module.load_state_dict(_safetensors_numpy().load_file(str(path)), strict=strict)

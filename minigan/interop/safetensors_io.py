"""``.safetensors`` files with PyTorch's names (from :mod:`minigan.nn.torch_names`). No PyTorch here."""

from __future__ import annotations

import numpy as np

from .. import backend
from ..nn.module import Module
from ..nn.torch_names import as_array, from_torch_names, param_renames, torch_state_dict  # noqa: F401

__all__ = ["save_safetensors", "load_safetensors"]


# ---------------------------------------------------------------------------- safetensors
def _safetensors_numpy():
    try:
        import safetensors.numpy as stn
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "safetensors is not installed: pip install safetensors (or pip install 'minigan[interop]')"
        ) from e
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

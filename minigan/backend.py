"""Array backends: NumPy on the CPU, CuPy on an NVIDIA GPU.

minigan never imports CuPy as ``np``. Layers ask the arrays they receive which array module
made them (:func:`get_array_module`) and use that module only where they *create* arrays
(zeros, masks, noise). Everything else is arithmetic on the arrays themselves, which NumPy and
CuPy share. The same layer code therefore runs on both devices.

Devices are named ``"cpu"`` and ``"gpu"``. Moving data between them goes through
:func:`asarray` (to a device) and :func:`as_numpy` (back to the host).

A backend is a small record (:class:`Backend`): its array module, the array type it makes and
how to move arrays to it and back. ``"cpu"`` (NumPy) is always there; ``"gpu"`` is CuPy when
CuPy imports and sees a GPU. Tests can register a stand-in backend (see
``tests/fakegpu.py``) to prove that the code is device-clean on a machine without a GPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = [
    "Backend",
    "get_array_module",
    "asarray",
    "as_numpy",
    "device_of",
    "cupy_available",
    "gpu_available",
    "register_backend",
    "unregister_backend",
    "get_backend",
    "DeviceError",
]


class DeviceError(RuntimeError):
    """Raised when a device is asked for that this machine cannot provide."""


@dataclass
class Backend:
    """One array backend.

    Parameters
    ----------
    name : str
        Device name users type (``"cpu"``, ``"gpu"``).
    xp : module
        The array module (``numpy``, ``cupy``, or a stand-in with the same API).
    array_type : type
        The type of the arrays ``xp`` makes; used to recognise them.
    to_device : callable
        ``to_device(numpy_array) -> device array``.
    to_host : callable
        ``to_host(device_array) -> numpy.ndarray``.
    """

    name: str
    xp: Any
    array_type: type
    to_device: Callable[[Any], Any]
    to_host: Callable[[Any], np.ndarray]


_CPU = Backend("cpu", np, np.ndarray, np.asarray, np.asarray)
_BACKENDS: dict[str, Backend] = {"cpu": _CPU}
_CUPY_PROBED = False
_CUPY_ERROR: str | None = None


def _probe_cupy() -> None:
    """Register CuPy as the ``"gpu"`` backend if it imports and sees a device (once)."""
    global _CUPY_PROBED, _CUPY_ERROR
    if _CUPY_PROBED:
        return
    _CUPY_PROBED = True
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA install
        _CUPY_ERROR = (
            f"CuPy is not installed ({exc}); install it with pip install 'minigan[gpu]' (needs an NVIDIA GPU with CUDA)"
        )
        return
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("no CUDA device found")
    except Exception as exc:
        _CUPY_ERROR = f"CuPy is installed but no usable GPU was found ({type(exc).__name__}: {exc})"
        return
    if "gpu" not in _BACKENDS:  # a test stand-in registered first keeps its place
        _BACKENDS["gpu"] = Backend("gpu", cupy, cupy.ndarray, cupy.asarray, cupy.asnumpy)


def register_backend(backend: Backend) -> Backend | None:
    """Register ``backend`` under ``backend.name``; return the one it replaced (or None).

    Used by the test suite to install a stand-in GPU backend.
    """
    _probe_cupy()
    old = _BACKENDS.get(backend.name)
    _BACKENDS[backend.name] = backend
    return old


def unregister_backend(name: str, previous: Backend | None = None) -> None:
    """Remove backend ``name`` (restoring ``previous`` if given). ``"cpu"`` cannot be removed."""
    if name == "cpu":
        raise ValueError("backend 'cpu' cannot be unregistered")
    if previous is None:
        _BACKENDS.pop(name, None)
    else:
        _BACKENDS[name] = previous


def cupy_available() -> bool:
    """True when real CuPy imports and sees at least one GPU."""
    _probe_cupy()
    b = _BACKENDS.get("gpu")
    return b is not None and getattr(b.xp, "__name__", "") == "cupy"


def gpu_available() -> bool:
    """True when some ``"gpu"`` backend is registered (real CuPy or a test stand-in)."""
    _probe_cupy()
    return "gpu" in _BACKENDS


def get_backend(device: str) -> Backend:
    """The :class:`Backend` for ``device`` (``"cpu"`` or ``"gpu"``; ``"cuda"`` is taken as ``"gpu"``).

    Raises
    ------
    ValueError
        ``device`` is not a known device name.
    DeviceError
        ``"gpu"`` was asked for and no GPU backend is available (the message says why).
    """
    if not isinstance(device, str):
        raise TypeError(f"device: expected 'cpu' or 'gpu', got {type(device).__name__} {device!r}")
    key = device.lower()
    if key == "cuda":
        key = "gpu"
    if key not in ("cpu", "gpu") and key not in _BACKENDS:
        raise ValueError(f"device: expected 'cpu' or 'gpu', got {device!r}")
    _probe_cupy()
    if key not in _BACKENDS:
        raise DeviceError(f"device 'gpu' is not available: {_CUPY_ERROR or 'no GPU backend registered'}")
    return _BACKENDS[key]


def _backend_of(x: Any) -> Backend:
    for b in _BACKENDS.values():
        if b is not _CPU and isinstance(x, b.array_type):
            return b
    return _CPU


def get_array_module(*arrays: Any):
    """The array module (``numpy`` or ``cupy``) that made ``arrays``.

    Non-array arguments (None, Python numbers) are ignored; with no device array among the
    arguments the answer is ``numpy``.
    """
    for x in arrays:
        b = _backend_of(x)
        if b is not _CPU:
            return b.xp
    return np


def device_of(x: Any) -> str:
    """``"cpu"`` or ``"gpu"``: the device that holds array ``x``."""
    return _backend_of(x).name


def asarray(x: Any, device: str = "cpu", dtype: Any = None):
    """Return ``x`` as an array on ``device`` (copying across devices only when needed), cast
    to ``dtype`` when one is given (on the host before an upload, so fewer bytes move)."""
    target = get_backend(device)
    src = _backend_of(x)
    if src is target:  # already there: no transfer (a dtype cast stays on the device)
        out = x if target is not _CPU else np.asarray(x)
    else:
        if src is not _CPU:
            x = src.to_host(x)  # device -> host first, then host -> target
        if target is _CPU:
            out = np.asarray(x)
        else:
            if dtype is not None:  # cast on the host: a float64 -> float32 upload moves half the bytes
                x = np.asarray(x, dtype=dtype)
            out = target.to_device(x)
    if dtype is not None and out.dtype != np.dtype(dtype):
        out = out.astype(dtype)
    return out


def as_numpy(x: Any) -> np.ndarray:
    """Return ``x`` as a NumPy array on the host (a no-op for NumPy arrays)."""
    b = _backend_of(x)
    if b is _CPU:
        return np.asarray(x)
    return b.to_host(x)

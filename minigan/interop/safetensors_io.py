"""``.safetensors`` files with PyTorch's names (from :mod:`minigan.nn.torch_names`), read and
written here, without the ``safetensors`` package and without PyTorch.

The format (https://github.com/huggingface/safetensors): an 8-byte little-endian unsigned
header length ``n``; ``n`` bytes of JSON, ``{"__metadata__": {str: str}, name: {"dtype":
"F32", "shape": [...], "data_offsets": [begin, end]}, ...}``; then the tensors' raw
little-endian bytes, ``begin``/``end`` counted from the end of the header.

:func:`load_safetensors` treats the file as untrusted input and validates before it applies:

1. only a regular file is opened (:func:`minigan.files.npzread.open_regular`: a folder, a FIFO
   or a device is refused without a blocking read); a zip archive (an ``.npz``, a minigan
   checkpoint passed by mistake) is recognised and refused as such;
2. the header: 8 bytes, a length of at most :data:`MAX_HEADER` (100 MB) that fits the file,
   UTF-8 JSON parsed within bounds, every entry a known dtype, a shape of non-negative ints and
   offsets inside the file whose length is exactly ``dtype size × shape``;
3. the names against the model (PyTorch's or minigan's; a BatchNorm's ``num_batches_tracked``
   is skipped), each tensor's shape against the model's array and its dtype: floating
   (``F64``, ``F32``, ``F16``, ``BF16``) only. Integer and bool tensors where the model has
   floating weights are refused, never cast: such a file holds something else (token ids,
   masks, a quantized model) and a cast would load it as wrong numbers in silence;
4. only then the data, read with bounded reads, converted to the model's dtype and checked
   finite *after* that cast (a finite float64 ``1e300`` is ``inf`` in float32: refused);
5. only then assigned to the model, all at once (:meth:`Module.load_state_dict`, which is
   all or nothing): any error leaves the model as it was.

Every refusal is one :class:`minigan.errors.CheckpointError` naming the file and the tensor.
``BF16`` (bfloat16, PyTorch's half format for large models) is read exactly: a bfloat16 is the
upper half of a float32, so widening it is lossless.

:func:`save_safetensors` writes the format itself (atomically, :func:`minigan.files.atomic_write`):
the file loads with ``safetensors.torch.load_file`` into PyTorch where minigan is not installed.
"""

from __future__ import annotations

import json
import math
import os
import struct
from typing import Any

import numpy as np

from .. import backend
from ..errors import CheckpointError
from ..files.atomic import atomic_write
from ..files.npzread import open_regular
from ..nn.module import Module
from ..nn.torch_names import minigan_names, torch_state_dict

__all__ = ["save_safetensors", "load_safetensors", "read_safetensors_header", "MAX_HEADER", "DTYPES"]

#: The largest JSON header read (safetensors' own limit is 100,000,000 bytes too).
MAX_HEADER = 100_000_000
#: safetensors dtype -> NumPy dtype (little-endian); ``BF16`` is widened to float32 on reading.
DTYPES: dict[str, Any] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"),
    "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_FLOATS = ("F64", "F32", "F16", "BF16")
_WRITE = {np.dtype(np.float64): "F64", np.dtype(np.float32): "F32", np.dtype(np.float16): "F16"}
_WRITE.update({np.dtype(np.int64): "I64", np.dtype(np.int32): "I32", np.dtype(np.uint8): "U8", np.dtype(bool): "BOOL"})
_CHUNK = 1 << 20
_MAX_DEPTH = 8


# ---------------------------------------------------------------------------- writing
def save_safetensors(module: Module, path, metadata: dict | None = None) -> None:
    """Write the module's weights and buffers to ``path`` in the ``.safetensors`` format, with
    PyTorch's names, so ``torch_model.load_state_dict(safetensors.torch.load_file(path))``
    works where only PyTorch and safetensors are installed. ``metadata``: a dict of strings
    (the format's ``__metadata__``). Written atomically; minigan's own checkpoints
    (:mod:`minigan.checkpoint`) are unchanged."""
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    ):
        raise TypeError(f"save_safetensors: metadata must be a dict of str -> str, got {str(metadata)[:80]}")
    arrays = {k: np.array(backend.as_numpy(v), order="C") for k, v in torch_state_dict(module).items()}
    header: dict[str, Any] = {"__metadata__": metadata} if metadata else {}
    offset = 0
    for k in sorted(arrays):
        a = arrays[k]
        code = _WRITE.get(a.dtype.newbyteorder("="))
        if code is None:
            raise TypeError(f"save_safetensors: array {k!r} has dtype {a.dtype}, which the format does not hold")
        arrays[k] = a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        header[k] = {"dtype": code, "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as safetensors writes it

    def write(fh) -> None:
        fh.write(struct.pack("<Q", len(text)))
        fh.write(text)
        for k in sorted(arrays):
            fh.write(arrays[k].tobytes())

    atomic_write(os.fspath(path), write, "write safetensors file")


# ---------------------------------------------------------------------------- reading
def _err(path: str, msg: str) -> CheckpointError:
    return CheckpointError(f"load_safetensors: {path}: {msg}")


def _depth(obj, level: int = 0) -> int:
    if level > _MAX_DEPTH:
        return level
    if isinstance(obj, dict):
        return max([_depth(v, level + 1) for v in obj.values()] + [level + 1])
    if isinstance(obj, list):
        return max([_depth(v, level + 1) for v in obj] + [level + 1])
    return level


def read_safetensors_header(path) -> tuple[dict, dict, int]:
    """``(tensors, metadata, data_start)`` of a ``.safetensors`` file, checked (steps 1–2 of the
    module docstring) and nothing else read: ``tensors`` maps each name to ``(dtype name,
    shape, begin, end)`` with absolute file offsets. Raises :class:`CheckpointError` naming the
    file (FileNotFoundError if it does not exist)."""
    path = os.fspath(path)
    with open_regular(path, CheckpointError, "load_safetensors") as fh:
        size = os.fstat(fh.fileno()).st_size
        head = fh.read(8)
        if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
            raise _err(
                path,
                "a zip archive (an .npz, e.g. a minigan checkpoint), not a .safetensors file; "
                "minigan checkpoints load with minigan.checkpoint.load or GAN.load",
            )
        if len(head) < 8:
            raise _err(path, f"not a .safetensors file: {size} bytes, fewer than the 8-byte header length (truncated?)")
        (n,) = struct.unpack("<Q", head)
        if n > MAX_HEADER:
            raise _err(
                path,
                f"its header declares {n:,} bytes, more than the {MAX_HEADER:,} read "
                f"(corrupt, or not a .safetensors file)",
            )
        if 8 + n > size:
            raise _err(
                path, f"its header declares {n:,} bytes but the file has {size - 8:,} after the length (truncated?)"
            )
        raw = fh.read(n)
    if len(raw) != n:  # pragma: no cover - the file shrank while being read
        raise _err(path, f"the header ends early: {len(raw):,} of {n:,} bytes (truncated?)")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _err(
            path, f"its header is not UTF-8 JSON ({type(exc).__name__}: {str(exc)[:100]}); not a .safetensors file?"
        ) from None
    if not isinstance(header, dict):
        raise _err(path, f"its header must be a JSON object, got {type(header).__name__}")
    if _depth(header) > 3:
        raise _err(path, "its header nests deeper than the format allows (corrupt)")
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise _err(path, "its __metadata__ must be an object of strings")
    start, data_len = 8 + n, size - 8 - n
    tensors: dict[str, tuple[str, tuple, int, int]] = {}
    for name, info in header.items():
        where = f"tensor {name!r}"
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise _err(path, f"{where}: expected an object with dtype, shape and data_offsets, got {str(info)[:80]}")
        dt, shape, offs = info["dtype"], info["shape"], info["data_offsets"]
        if dt not in DTYPES:
            raise _err(path, f"{where} has dtype {str(dt)[:20]!r}; the dtypes read are {', '.join(DTYPES)}")
        if not (isinstance(shape, list) and len(shape) <= 32 and all(type(s) is int and s >= 0 for s in shape)):
            raise _err(path, f"{where}: shape must be a list of non-negative ints, got {str(shape)[:80]}")
        if not (isinstance(offs, list) and len(offs) == 2 and all(type(o) is int for o in offs)):
            raise _err(path, f"{where}: data_offsets must be [begin, end], got {str(offs)[:80]}")
        b, e = offs
        if not 0 <= b <= e <= data_len:
            raise _err(
                path,
                f"{where}: data_offsets [{b}, {e}] lie outside the {data_len:,} bytes of data (truncated or corrupt)",
            )
        nbytes = math.prod(shape) * DTYPES[dt].itemsize
        if e - b != nbytes:
            raise _err(
                path,
                f"{where}: {dt} {tuple(shape)} needs {nbytes:,} bytes, its data_offsets hold {e - b:,} (corrupt)",
            )
        tensors[name] = (dt, tuple(shape), start + b, start + e)
    return tensors, meta, start


def _decode(buf: bytes, dt: str, shape: tuple) -> np.ndarray:
    a = np.frombuffer(buf, dtype=DTYPES[dt])
    if dt == "BF16":  # bfloat16 = the upper 16 bits of a float32: widening is exact
        a = (a.astype(np.uint32) << 16).view(np.float32)
    return a.reshape(shape)


def load_safetensors(module: Module, path, strict: bool = True) -> Module:
    """Load a ``.safetensors`` file (PyTorch's or minigan's names) into ``module``; return it.

    Validated, then applied (see the module docstring): the header, every name, dtype and shape
    are checked before any tensor's data is read; the data are cast to the model's dtype and
    checked finite after the cast; the model changes only when everything passed. Floating
    tensors (F64, F32, F16, BF16) are read; integer and bool ones are refused. With ``strict``
    (default) the file must hold every array of the model and nothing else (a BatchNorm's
    ``num_batches_tracked`` is allowed and skipped); without it, unknown names are skipped and
    missing arrays keep their values.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    CheckpointError (a ValueError)
        Anything else, one line naming the file and the tensor.
    """
    path = os.fspath(path)
    if not os.path.lexists(path):
        raise FileNotFoundError(f"load_safetensors: {path} does not exist")
    tensors, _, _ = read_safetensors_header(path)
    own = module.state_dict()
    names = minigan_names(module, list(tensors))
    plan: dict[str, str] = {}  # minigan name -> file name
    unexpected = []
    for fname, mname in names.items():
        if mname is None:
            continue  # num_batches_tracked: PyTorch's, not minigan's
        if mname not in own:
            unexpected.append(fname)
            continue
        if mname in plan:
            raise _err(path, f"tensors {plan[mname]!r} and {fname!r} are both the model's {mname!r}")
        plan[mname] = fname
    missing = [k for k in own if k not in plan]
    if strict and (missing or unexpected):
        raise _err(
            path,
            f"does not match the model: missing {missing[:8]}{' ...' if len(missing) > 8 else ''}, "
            f"unexpected {unexpected[:8]}{' ...' if len(unexpected) > 8 else ''} (strict=False skips them)",
        )
    for mname, fname in plan.items():  # every dtype and shape before any data
        dt, shape, _, _ = tensors[fname]
        want = own[mname]
        label = f"tensor {fname!r}" + (f" (the model's {mname!r})" if fname != mname else "")
        if tuple(shape) != tuple(want.shape):
            raise _err(path, f"{label} has shape {shape}, the model needs {tuple(want.shape)}")
        if dt not in _FLOATS:
            raise _err(
                path,
                f"{label} has dtype {dt}, the model's array is {want.dtype}: integer and bool tensors are "
                f"refused, not cast (the file holds something other than these weights)",
            )
    state = {}
    with open_regular(path, CheckpointError, "load_safetensors") as fh:
        for mname, fname in plan.items():
            dt, shape, b, e = tensors[fname]
            label = f"tensor {fname!r}" + (f" (the model's {mname!r})" if fname != mname else "")
            fh.seek(b)
            buf = bytearray()
            while len(buf) < e - b:
                chunk = fh.read(min(_CHUNK, e - b - len(buf)))
                if not chunk:
                    raise _err(path, f"{label}: the file ends after {len(buf):,} of its {e - b:,} bytes (truncated?)")
                buf += chunk
            target = np.dtype(own[mname].dtype)
            with np.errstate(over="ignore", invalid="ignore"):
                a = _decode(bytes(buf), dt, shape).astype(target)
            if not np.isfinite(a).all():
                raise _err(
                    path,
                    f"{label} holds values that are not finite as {target} (NaN, infinity, or beyond "
                    f"{target}'s range, e.g. a float64 1e300); refused",
                )
            state[mname] = a
    try:
        return module.load_state_dict(state, strict=False)
    except (ValueError, TypeError) as exc:  # pragma: no cover - everything was checked above
        raise _err(path, str(exc)) from exc

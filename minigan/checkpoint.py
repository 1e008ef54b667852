"""Checkpoints: one ``.npz`` file, no pickle, written atomically.

A checkpoint holds everything needed to continue a run exactly where it stopped:

- every module's parameters and buffers (BatchNorm running statistics), from
  :meth:`Module.state_dict`;
- every optimizer's step count, hyperparameters and state arrays (Adam's moments), from
  ``Optimizer.state_dict()``;
- the step, the random generators' states (JSON) and any JSON-able ``extra`` metadata;
- optional extra arrays (e.g. the loss history).

Format: a NumPy ``.npz`` (a zip of ``.npy`` files). Arrays are stored as plain numeric arrays
under ``module/<name>/<key>``, ``optim/<name>/<key>`` and ``array/<key>``; the metadata is one
JSON document stored as a ``uint8`` array ``__meta__``. Nothing is pickled, and :func:`load`
reads with ``allow_pickle=False``: a file that carries a pickled object is **refused, never
executed** (unpickling can run arbitrary code).

Writing goes to a temporary file in the same folder, which is flushed, ``fsync``-ed and then
renamed over the target with :func:`os.replace` (atomic on POSIX and Windows): a crash or a
Ctrl-C during a save leaves the previous checkpoint intact.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import backend
from .checks import check_int_at_least

__all__ = ["save", "load", "atomic_savez", "jsonable", "Checkpoint", "CheckpointError", "FORMAT", "VERSION"]

FORMAT = "minigan-checkpoint"
VERSION = 1
_META = "__meta__"


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable, unsafe (pickled data) or does not match."""


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


def _host(a) -> np.ndarray:
    """A host copy of ``a`` (NumPy), refusing anything that would need pickling."""
    h = np.array(backend.as_numpy(a), copy=True)
    if h.dtype == object:
        raise CheckpointError("checkpoint.save: object arrays cannot be stored without pickle")
    return h


def _check_name(kind: str, name: str) -> str:
    if not isinstance(name, str) or not name or "/" in name:
        raise CheckpointError(f"checkpoint.save: {kind} names must be non-empty strings without '/', got {name!r}")
    return name


def save(path, *, modules: dict | None = None, optimizers: dict | None = None, step: int = 0,
         rng_state: Any = None, extra: dict | None = None, arrays: dict | None = None) -> str:
    """Write a checkpoint to ``path`` atomically and return ``path``.

    Parameters
    ----------
    path : str or path-like
        Target file (``.npz`` is not appended: the name is used as given).
    modules : dict name -> Module
        Their ``state_dict()`` (parameters and buffers) is stored.
    optimizers : dict name -> optimizer
        Their ``state_dict()`` (``step``, ``hyper``, ``arrays``) is stored.
    step : int
        Training step.
    rng_state : JSON-able, optional
        E.g. ``{"noise": rng.bit_generator.state}``.
    extra : dict, optional
        Any JSON-able metadata (arguments of the run, ...).
    arrays : dict name -> array, optional
        Additional numeric arrays (e.g. the loss history).
    """
    path = os.fspath(path)
    check_int_at_least("checkpoint.save", "step", step, 0, error=CheckpointError)
    store: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"format": FORMAT, "version": VERSION, "step": int(step),
                            "rng_state": rng_state, "extra": extra or {},
                            "modules": {}, "optimizers": {}, "arrays": []}
    for name, m in (modules or {}).items():
        _check_name("module", name)
        keys = []
        for k, a in m.state_dict().items():
            store[f"module/{name}/{k}"] = _host(a)
            keys.append(k)
        meta["modules"][name] = {"class": type(m).__name__, "keys": keys}
    for name, opt in (optimizers or {}).items():
        _check_name("optimizer", name)
        sd = opt.state_dict()
        keys = []
        for k, a in sd["arrays"].items():
            store[f"optim/{name}/{k}"] = _host(a)
            keys.append(k)
        meta["optimizers"][name] = {"class": type(opt).__name__, "step": int(sd["step"]),
                                    "hyper": sd["hyper"], "keys": keys}
    for k, a in (arrays or {}).items():
        _check_name("array", k.replace("/", "_"))
        store[f"array/{k}"] = _host(a)
        meta["arrays"].append(k)
    try:
        meta_bytes = json.dumps(meta, allow_nan=True).encode("utf-8")
    except TypeError as exc:
        raise CheckpointError(f"checkpoint.save: rng_state/extra must be JSON-able ({exc})") from exc
    store[_META] = np.frombuffer(meta_bytes, dtype=np.uint8)

    return atomic_savez(path, store)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_savez(path, arrays: dict) -> str:
    """``np.savez(path, **arrays)`` written atomically: a temporary file in the same folder,
    flushed and ``fsync``-ed, then renamed over ``path`` with :func:`os.replace`. A crash or a
    Ctrl-C during the write leaves the previous file intact. The file gets the usual
    permissions (``0o666`` less the umask), not ``mkstemp``'s private ``0o600``."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half of one
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable (best effort; not possible on every OS)
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
    return path


@dataclass
class Checkpoint:
    """What :func:`load` returns: host (NumPy) arrays and the metadata.

    Attributes
    ----------
    path : str
    step : int
    rng_state : JSON value or None
    extra : dict
    modules : dict name -> {key: ndarray}   (a module's state dict)
    optimizers : dict name -> {"step", "hyper", "arrays"}   (an optimizer's state dict)
    arrays : dict name -> ndarray
    """

    path: str
    step: int
    rng_state: Any
    extra: dict
    modules: dict = field(default_factory=dict)
    optimizers: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)

    def restore(self, modules: dict | None = None, optimizers: dict | None = None) -> "Checkpoint":
        """Load the saved states into ``modules`` / ``optimizers`` (dicts name -> object).

        Arrays go to each module's current device and dtype. A name missing from the file, a
        missing/unexpected key or a shape mismatch raises :class:`CheckpointError` naming the
        file and the problem.
        """
        for kind, saved, targets in (("module", self.modules, modules),
                                     ("optimizer", self.optimizers, optimizers)):
            for name, obj in (targets or {}).items():
                if name not in saved:
                    raise CheckpointError(f"{self.path}: no {kind} {name!r} in this checkpoint "
                                          f"(it has {sorted(saved)})")
                try:
                    obj.load_state_dict(saved[name])
                except ValueError as exc:
                    raise CheckpointError(f"{self.path}: {kind} {name!r} does not match: {exc}") from exc
        return self


def load(path) -> Checkpoint:
    """Read a checkpoint written by :func:`save` (with ``allow_pickle=False``).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    CheckpointError (a ValueError)
        The file is truncated or not a zip/npz, carries pickled data (refused, never
        unpickled), lacks the metadata, or its metadata does not match its arrays. The
        message names the file.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if magic[:1] == b"\x80":  # pickle protocol 2+ opcode PROTO
        raise CheckpointError(f"{path}: refused: the file is a pickle, which minigan never loads "
                              f"(unpickling can execute code)")
    if magic[:4] != b"PK\x03\x04" and magic != b"\x93NUMPY":
        raise CheckpointError(f"{path}: not a minigan checkpoint (expected an .npz zip archive; "
                              f"the file starts with {magic!r})")
    try:
        f = np.load(path, allow_pickle=False)
    except ValueError as exc:  # numpy refuses pickled content with allow_pickle=False
        raise CheckpointError(f"{path}: refused: the file contains pickled data, which minigan never "
                              f"loads (unpickling can execute code) ({exc})") from exc
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint (truncated or corrupt?): "
                              f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(f, np.lib.npyio.NpzFile):
        raise CheckpointError(f"{path}: not a minigan checkpoint (a single .npy array, not an .npz archive)")
    data: dict[str, np.ndarray] = {}
    try:
        with f:
            for k in f.files:
                data[k] = f[k]
    except ValueError as exc:  # "Object arrays cannot be loaded when allow_pickle=False"
        raise CheckpointError(f"{path}: refused: array {k!r} is a pickled object array, which minigan "
                              f"never loads (unpickling can execute code)") from exc
    except (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint (truncated or corrupt?): "
                              f"{type(exc).__name__}: {exc}") from exc
    for k, v in data.items():
        if not isinstance(v, np.ndarray):  # NpzFile hands a member that is no .npy back as bytes
            raise CheckpointError(f"{path}: not a minigan checkpoint (member {k!r} is not an .npy array)")
    raw = data.pop(_META, None)
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise CheckpointError(f"{path}: not a minigan checkpoint (no '{_META}' metadata)")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: corrupt metadata ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a minigan checkpoint (format {meta.get('format') if isinstance(meta, dict) else None!r})")
    if meta.get("version", 0) > VERSION:
        raise CheckpointError(f"{path}: written by a newer minigan (checkpoint version {meta['version']}, "
                              f"this one reads up to {VERSION})")

    def take(key):
        if key not in data:
            raise CheckpointError(f"{path}: array {key!r} listed in the metadata is missing (corrupt file?)")
        return data.pop(key)

    ck = Checkpoint(path=path, step=int(meta.get("step", 0)), rng_state=meta.get("rng_state"),
                    extra=meta.get("extra") or {})
    for name, info in meta.get("modules", {}).items():
        ck.modules[name] = {k: take(f"module/{name}/{k}") for k in info["keys"]}
    for name, info in meta.get("optimizers", {}).items():
        ck.optimizers[name] = {"step": int(info["step"]), "hyper": info["hyper"],
                               "arrays": {k: take(f"optim/{name}/{k}") for k in info["keys"]}}
    for k in meta.get("arrays", []):
        ck.arrays[k] = take(f"array/{k}")
    if data:
        raise CheckpointError(f"{path}: unexpected arrays not listed in the metadata: {sorted(data)[:5]}")
    return ck

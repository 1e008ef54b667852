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

Writing is atomic (:func:`minigan.files.atomic.atomic_savez`): a crash or a Ctrl-C during a save
leaves the previous checkpoint intact. Reading treats the file as untrusted input: the zip
directory and every array header are checked before anything is read, and the JSON metadata is
parsed within bounds and checked field by field (:mod:`minigan.checkpoint.meta`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import backend
from ..checks import check_int_range
from ..errors import NonFiniteStateError
from ..files.atomic import atomic_savez
from ..files.jsonable import jsonable
from ..files.npzread import NpzReader, open_regular
from .meta import FORMAT, MAX_META, VERSION, CheckpointError, check_meta, parse_meta

__all__ = [
    "save",
    "load",
    "atomic_savez",
    "jsonable",
    "finite_as",
    "Checkpoint",
    "CheckpointError",
    "FORMAT",
    "VERSION",
]

_META = "__meta__"


def _host(a) -> np.ndarray:
    """A host copy of ``a`` (NumPy), refusing anything that would need pickling."""
    h = np.array(backend.as_numpy(a), copy=True)
    if h.dtype == object:
        raise CheckpointError("checkpoint.save: object arrays cannot be stored without pickle")
    return h


def _finite(h: np.ndarray, name: str, step) -> np.ndarray:
    """Refuse to store a parameter, buffer or optimizer state holding NaN or infinity: a
    diverged run must never replace a good checkpoint."""
    if h.dtype.kind in "fc" and not np.isfinite(h).all():
        raise NonFiniteStateError(step, name, where="when saving at")
    return h


def finite_as(path: str, member: str, a: np.ndarray, dtype) -> np.ndarray:
    """``a`` cast to ``dtype`` (the model's), refused with a :class:`CheckpointError` naming the
    file and the array unless every value is finite *after* the cast: a finite float64 ``1e300``
    is ``inf`` in float32, and a model must never be loaded with infinite weights."""
    dtype = np.dtype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        c = a.astype(dtype, copy=False) if dtype.kind == "f" else a
    if c.dtype.kind in "fc" and not np.isfinite(c).all():
        big = a.dtype.kind == "f" and np.isfinite(a).all()
        raise CheckpointError(
            f"{path}: array {member!r} holds "
            + (
                f"finite {a.dtype} values beyond {dtype}'s range (they would load as infinity)"
                if big
                else "NaN or infinite values"
            )
            + "; refused"
        )
    return c


def _check_name(kind: str, name: str) -> str:
    if not isinstance(name, str) or not name or "/" in name:
        raise CheckpointError(f"checkpoint.save: {kind} names must be non-empty strings without '/', got {name!r}")
    return name


def save(
    path,
    *,
    modules: dict | None = None,
    optimizers: dict | None = None,
    step: int = 0,
    rng_state: Any = None,
    extra: dict | None = None,
    arrays: dict | None = None,
) -> str:
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
    check_int_range("checkpoint.save", "step", step, 0, None, error=CheckpointError)
    store: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "step": int(step),
        "rng_state": rng_state,
        "extra": extra or {},
        "modules": {},
        "optimizers": {},
        "arrays": [],
    }
    for name, m in (modules or {}).items():
        _check_name("module", name)
        keys = []
        for k, a in m.state_dict().items():
            store[f"module/{name}/{k}"] = _finite(_host(a), f"module {name!r} array {k!r}", step)
            keys.append(k)
        meta["modules"][name] = {"class": type(m).__name__, "keys": keys}
    for name, opt in (optimizers or {}).items():
        _check_name("optimizer", name)
        sd = opt.state_dict()
        keys = []
        for k, a in sd["arrays"].items():
            store[f"optim/{name}/{k}"] = _finite(_host(a), f"optimizer {name!r} state {k!r}", step)
            keys.append(k)
        meta["optimizers"][name] = {
            "class": type(opt).__name__,
            "step": int(sd["step"]),
            "hyper": sd["hyper"],
            "keys": keys,
        }
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

    def restore(self, modules: dict | None = None, optimizers: dict | None = None) -> Checkpoint:
        """Load the saved states into ``modules`` / ``optimizers`` (dicts name -> object).

        Arrays go to each module's current device and dtype, and must be finite in that dtype
        (:func:`finite_as`: a float64 ``1e300`` is refused for a float32 model). A name missing
        from the file, a missing/unexpected key, a shape mismatch or a non-finite value raises
        :class:`CheckpointError` naming the file and the problem, and then every module and
        optimizer given holds what it held before the call (all or nothing).
        """
        mods = [m for obj in (modules or {}).values() for _, m in obj.named_modules()]
        snap = (
            [(p, p.data) for m in mods for p in m.params.values()],
            [(m, dict(m.buffers)) for m in mods],
            [(o, o.t, o.state, o.hyperparameters()) for o in (optimizers or {}).values()],
        )
        for name, obj in (modules or {}).items():  # finite in the model's own dtypes, before anything changes
            own = obj.state_dict()
            for k, a in self.modules.get(name, {}).items():
                if k in own:
                    finite_as(self.path, f"module/{name}/{k}", a, own[k].dtype)
        for name, obj in (optimizers or {}).items():
            params = getattr(obj, "params", [])
            for k, a in self.optimizers.get(name, {}).get("arrays", {}).items():
                i = str(k).rpartition(".")[2]
                if i.isdigit() and int(i) < len(params):
                    finite_as(self.path, f"optim/{name}/{k}", a, params[int(i)].data.dtype)
        try:
            for kind, saved, targets in (("module", self.modules, modules), ("optimizer", self.optimizers, optimizers)):
                for name, obj in (targets or {}).items():
                    if name not in saved:
                        raise CheckpointError(
                            f"{self.path}: no {kind} {name!r} in this checkpoint (it has {sorted(saved)})"
                        )
                    try:
                        obj.load_state_dict(saved[name])
                    except (ValueError, TypeError) as exc:
                        raise CheckpointError(f"{self.path}: {kind} {name!r} does not match: {exc}") from exc
        except BaseException:  # all or nothing: every module and optimizer gets its old state back
            for p, data in snap[0]:
                p.data = data
            for m, bufs in snap[1]:
                m.buffers.clear()
                m.buffers.update(bufs)
            for o, t, state, hyper in snap[2]:
                o.t, o.state = t, state
                for k, v in hyper.items():
                    setattr(o, k, v)
            raise
        return self


_MAX_MEMBERS = 4096
_FREE_RATIO, _FREE_SLACK = 4, 1 << 16  # expansion allowed to a deflated array of unchecked shape
MAX_BYTES = 1 << 31  # default cap on what a checkpoint's arrays may declare in all (2 GiB)


# ---------------------------------------------------------------------------- load
def load(path, expect=None, max_bytes: int = MAX_BYTES) -> Checkpoint:
    """Read a checkpoint written by :func:`save`, checking before spending.

    The order: a regular file only (a FIFO or device is refused unopened); the zip's
    directory (bounded member count, sizes that fit the file); the metadata (at most 1 MiB,
    bounded nesting, validated against the schema of :func:`minigan.checkpoint.meta.check_meta`); every array's
    ``.npy`` header (a plain numeric dtype, a declared shape that matches its bytes and
    ``expect``); only then the arrays, read in bounded chunks with their CRC-32 checked.
    Nothing is unpickled, ever.

    Parameters
    ----------
    path : str or path-like
    expect : callable or dict, optional
        ``{member key: shape}`` (or ``expect(meta)`` returning it, called with the validated
        metadata): the shapes the caller's model needs, checked from the headers before any
        array is read. A key mapped to None may have any shape. With ``expect``, every
        ``module/`` and ``optim/`` member must be in it. :mod:`minigan.gan.state` passes
        the GAN's shapes.
    max_bytes : int
        The most bytes all arrays together may declare (default 2 GiB).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    CheckpointError (a ValueError)
        Anything else, with the file and the reason: not a regular file, not a zip/npz,
        truncated or corrupt (the zip's CRC-32 included), a pickled object array (refused,
        never unpickled), metadata that breaks the schema, an array whose header does not
        match its bytes or the expected shape.
    """
    path = os.fspath(path)
    if not os.path.lexists(path):
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        reader = NpzReader(
            path, CheckpointError, "", max_members=_MAX_MEMBERS, max_total=max_bytes, kind="a minigan checkpoint"
        )
    except CheckpointError as exc:
        _refine_not_zip(path, exc)
        raise
    with reader:
        for k in reader.members:  # every header first: a pickled member is refused as one
            reader.header(k)
        if _META not in reader.members:
            raise CheckpointError(f"{path}: not a minigan checkpoint (no '{_META}' metadata)")
        h = reader.header(_META)
        if h.dtype != np.uint8 or len(h.shape) != 1:
            raise CheckpointError(f"{path}: not a minigan checkpoint ('{_META}' is {h.dtype} {h.shape}, not 1-D uint8)")
        if h.nbytes > MAX_META:
            raise CheckpointError(f"{path}: metadata of {h.nbytes:,} bytes, more than the {MAX_META:,} accepted")
        meta = check_meta(path, parse_meta(path, reader.read(_META).tobytes()))

        listed = []
        for name, info in meta["modules"].items():
            listed += [f"module/{name}/{k}" for k in info["keys"]]
        for name, info in meta["optimizers"].items():
            listed += [f"optim/{name}/{k}" for k in info["keys"]]
        listed += [f"array/{k}" for k in meta["arrays"]]
        present = set(reader.members) - {_META}
        missing = [k for k in listed if k not in present]
        if missing:
            raise CheckpointError(f"{path}: array {missing[0]!r} listed in the metadata is missing (corrupt file?)")
        if len(set(listed)) != len(listed):
            raise CheckpointError(f"{path}: the metadata lists an array twice")
        unlisted = sorted(present - set(listed))
        if unlisted:
            raise CheckpointError(f"{path}: unexpected arrays not listed in the metadata: {unlisted[:5]}")
        shapes = expect(meta) if callable(expect) else expect
        for k in listed:  # every header before any body
            hk = reader.header(k)
            exact = False
            if shapes is not None:
                if k in shapes:
                    want = shapes[k]
                    if want is not None and tuple(hk.shape) != tuple(want):
                        raise CheckpointError(
                            f"{path}: array {k!r} has shape {hk.shape}, the model needs {tuple(want)}"
                        )
                    exact = want is not None
                elif k.startswith(("module/", "optim/")):
                    raise CheckpointError(f"{path}: array {k!r} is not part of the model being restored")
            info = reader.members[k]
            if not exact and info.file_size > _FREE_SLACK + _FREE_RATIO * info.compress_size:
                raise CheckpointError(
                    f"{path}: array {k!r} declares {info.file_size:,} bytes from "
                    f"{info.compress_size:,} compressed; an array whose shape the model does "
                    f"not fix may expand at most {_FREE_RATIO}x (minigan writes them "
                    f"uncompressed)"
                )
            if hk.dtype.kind == "f" or k.startswith(("module/", "optim/")):
                if hk.dtype.kind not in "f":
                    raise CheckpointError(f"{path}: array {k!r} has dtype {hk.dtype}, expected a float dtype")
        data = {k: reader.read(k) for k in listed}

    ck = Checkpoint(path=path, step=meta["step"], rng_state=meta["rng_state"], extra=meta["extra"])
    for name, info in meta["modules"].items():
        ck.modules[name] = {k: data[f"module/{name}/{k}"] for k in info["keys"]}
    for name, info in meta["optimizers"].items():
        ck.optimizers[name] = {
            "step": info["step"],
            "hyper": info["hyper"],
            "arrays": {k: data[f"optim/{name}/{k}"] for k in info["keys"]},
        }
    for k in meta["arrays"]:
        ck.arrays[k] = data[f"array/{k}"]
    return ck


def _refine_not_zip(path: str, exc: CheckpointError) -> None:
    """A clearer message when the file is a pickle or a single .npy (not an archive at all)."""
    try:
        with open_regular(path, CheckpointError, "") as fh:
            magic = fh.read(6)
    except (CheckpointError, OSError):
        return
    if magic[:1] == b"\x80":  # pickle protocol 2+ opcode PROTO
        raise CheckpointError(
            f"{path}: refused: the file is a pickle, which minigan never loads (unpickling can execute code)"
        ) from exc
    if magic == b"\x93NUMPY":
        raise CheckpointError(f"{path}: not a minigan checkpoint (a single .npy array, not an .npz archive)") from exc
    if magic[:4] != b"PK\x03\x04" and magic[:4] != b"PK\x05\x06":
        raise CheckpointError(
            f"{path}: not a minigan checkpoint (expected an .npz zip archive; the file starts with {magic!r})"
        ) from exc

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
import math
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import backend
from .checks import check_int_at_least
from .history import NonFiniteStateError
from .npzread import NpzReader, open_regular

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


def _finite(h: np.ndarray, name: str, step) -> np.ndarray:
    """Refuse to store a parameter, buffer or optimizer state holding NaN or infinity: a
    diverged run must never replace a good checkpoint."""
    if h.dtype.kind in "fc" and not np.isfinite(h).all():
        raise NonFiniteStateError(step, name, where="when saving at")
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


def _tmp_pattern(base: str) -> "re.Pattern":
    """minigan's own temporary names for target ``base``: ``.<base>.<pid>.<8 chars>.tmp`` (and
    the older ``.<base>.<8 chars>.tmp``, without the pid)."""
    return re.compile(r"^\." + re.escape(base) + r"\.(?:(\d+)\.)?[A-Za-z0-9_]{8}\.tmp$")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # one process never has two saves to the same path in flight
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True  # exists (someone else's) or unknowable: leave it
    return True


def clean_stale_tmp(path) -> list[str]:
    """Remove the temporary files that an interrupted :func:`atomic_savez` to ``path`` left
    behind (killed between ``mkstemp`` and ``os.replace``), and return their paths.

    Only files of minigan's own naming for the *same* target are touched
    (``.<name>.<pid>.<random>.tmp`` in the same folder), and only when that pid is not a live
    process (or is this process: saves to one path are not concurrent); files of the older
    pid-less naming are removed too. Called at the start of every save."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    pat = _tmp_pattern(os.path.basename(path))
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = pat.match(name)
        if m is None or (m.group(1) is not None and _pid_alive(int(m.group(1)))):
            continue
        full = os.path.join(folder, name)
        try:
            if stat.S_ISREG(os.lstat(full).st_mode):
                os.unlink(full)
                removed.append(full)
        except OSError:
            pass
    return removed


def _os_error(exc: OSError, what: str, path: str) -> OSError:
    """The same OSError subclass with one clear line naming ``path``, e.g.
    ``[Errno 28] cannot write checkpoint runs/x/checkpoint.npz: No space left on device``."""
    reason = exc.strerror or str(exc)
    new = type(exc)(exc.errno, f"cannot {what} {path}: {reason}") if exc.errno else OSError(
        f"cannot {what} {path}: {reason}")
    new.filename = path
    return new


def atomic_savez(path, arrays: dict) -> str:
    """``np.savez(path, **arrays)`` written atomically: a temporary file in the same folder,
    flushed and ``fsync``-ed, then renamed over ``path`` with :func:`os.replace`. A crash or a
    Ctrl-C during the write leaves the previous file intact. The file gets the usual
    permissions (``0o666`` less the umask), not ``mkstemp``'s private ``0o600``.

    Temporary files that an earlier, killed save to the same path left behind are removed
    first (:func:`clean_stale_tmp`). An OS error (a full disk, a read-only folder) is raised
    as the same OSError subclass with one line naming ``path`` and the reason."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        clean_stale_tmp(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.{os.getpid()}.", suffix=".tmp",
                                   dir=folder)
    except OSError as exc:
        raise _os_error(exc, "write checkpoint", path) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half of one
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _os_error(exc, "write checkpoint", path) from exc
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
        file and the problem, and then every module and optimizer given holds what it held
        before the call (all or nothing).
        """
        mods = [m for obj in (modules or {}).values() for _, m in obj.named_modules()]
        snap = ([(p, p.data) for m in mods for p in m.params.values()], [(m, dict(m.buffers)) for m in mods],
                [(o, o.t, o.state, o.hyperparameters()) for o in (optimizers or {}).values()])
        try:
            for kind, saved, targets in (("module", self.modules, modules),
                                         ("optimizer", self.optimizers, optimizers)):
                for name, obj in (targets or {}).items():
                    if name not in saved:
                        raise CheckpointError(f"{self.path}: no {kind} {name!r} in this checkpoint "
                                              f"(it has {sorted(saved)})")
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


_MAX_META = 1 << 20  # bytes of JSON metadata
_MAX_DEPTH = 32  # nesting of the JSON metadata
_MAX_DIGITS = 40  # digits of one JSON integer (a 128-bit generator state has 39)
_MAX_MEMBERS = 4096
_FREE_RATIO, _FREE_SLACK = 4, 1 << 16  # expansion allowed to a deflated array of unchecked shape
MAX_BYTES = 1 << 31  # default cap on what a checkpoint's arrays may declare in all (2 GiB)


def _no_big_int(s: str) -> int:
    if len(s.lstrip("-")) > _MAX_DIGITS:
        raise ValueError(f"an integer of {len(s.lstrip('-'))} digits (at most {_MAX_DIGITS} accepted)")
    return int(s)


def _depth(obj) -> int:
    """Nesting depth of a parsed JSON value (iterative: no recursion on hostile input)."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        o, d = stack.pop()
        deepest = max(deepest, d)
        if d > _MAX_DEPTH:
            return d
        if isinstance(o, dict):
            stack.extend((v, d + 1) for v in o.values())
        elif isinstance(o, list):
            stack.extend((v, d + 1) for v in o)
    return deepest


def parse_meta(path: str, raw: bytes) -> dict:
    """The checkpoint's JSON metadata, parsed within bounds: at most 1 MiB, nesting depth at
    most 32, integers of at most 40 digits; any failure is a :class:`CheckpointError`."""
    if len(raw) > _MAX_META:
        raise CheckpointError(f"{path}: metadata of {len(raw):,} bytes, more than the {_MAX_META:,} accepted")
    try:
        text = raw.decode("utf-8")
        depth = 0
        for ch in text:  # bound the nesting before the parser recurses
            if ch in "[{":
                depth += 1
                if depth > _MAX_DEPTH:
                    break
            elif ch in "]}":
                depth -= 1
        meta = json.loads(text, parse_int=_no_big_int)
    except UnicodeDecodeError as exc:
        raise CheckpointError(f"{path}: corrupt metadata (not UTF-8: {exc})") from exc
    except RecursionError as exc:
        raise CheckpointError(f"{path}: corrupt metadata (nested too deeply)") from exc
    except ValueError as exc:  # json.JSONDecodeError, too many digits
        raise CheckpointError(f"{path}: corrupt metadata ({exc})") from exc
    if _depth(meta) > _MAX_DEPTH:
        raise CheckpointError(f"{path}: corrupt metadata (nested deeper than {_MAX_DEPTH} levels)")
    return meta


# ---------------------------------------------------------------------------- schema
def _bad(path: str, field: str, want: str, got) -> CheckpointError:
    r = repr(got)
    return CheckpointError(f"{path}: metadata field {field!r} must be {want}, got "
                           f"{type(got).__name__} {r[:80] + '...' if len(r) > 80 else r}")


def meta_int(path: str, field: str, value, low: int = 0, high: int = 2 ** 63 - 1) -> int:
    """A metadata int in ``[low, high]`` (not a bool, not a float), else CheckpointError."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _bad(path, field, f"an int in [{low}, {high}]", value)
    return value


def meta_number(path: str, field: str, value, allow_none: bool = False) -> float | None:
    """A finite metadata number (int or float, not a bool), or None if ``allow_none``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad(path, field, "a finite number" + (" or null" if allow_none else ""), value)
    return value


def meta_str(path: str, field: str, value, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not allow_empty) or len(value) > 1000:
        raise _bad(path, field, "a non-empty string", value)
    return value


def meta_dict(path: str, field: str, value, keys: set | None = None, required: set | None = None) -> dict:
    """A JSON object; with ``keys``, no other key; with ``required``, those keys present."""
    if not isinstance(value, dict):
        raise _bad(path, field, "an object", value)
    if keys is not None and set(value) - keys:
        raise CheckpointError(f"{path}: metadata field {field!r} has unknown keys {sorted(set(value) - keys)[:5]}; "
                              f"expected {sorted(keys)}")
    if required and required - set(value):
        raise CheckpointError(f"{path}: metadata field {field!r} lacks {sorted(required - set(value))}")
    return value


def meta_keys(path: str, field: str, value) -> list[str]:
    """A list of distinct non-empty strings (array keys)."""
    if not isinstance(value, list):
        raise _bad(path, field, "a list of strings", value)
    for i, k in enumerate(value):
        meta_str(path, f"{field}[{i}]", k)
    if len(set(value)) != len(value):
        raise CheckpointError(f"{path}: metadata field {field!r} lists a key twice")
    return value


_TOP = {"format", "version", "step", "rng_state", "extra", "modules", "optimizers", "arrays"}


def check_meta(path: str, meta) -> dict:
    """Validate the metadata against the checkpoint schema (types, ranges, finite numbers);
    return it. ``rng_state`` and ``extra`` are the caller's (:mod:`minigan.training_state`
    checks its own)."""
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: not a minigan checkpoint (metadata is a {type(meta).__name__}, not an object)")
    if meta.get("format") != FORMAT:
        fmt = meta.get("format")
        raise CheckpointError(f"{path}: not a minigan checkpoint (format {str(fmt)[:40]!r})")
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _bad(path, "version", "an int >= 1", version)
    if version > VERSION:
        raise CheckpointError(f"{path}: written by a newer minigan (checkpoint version {version}, "
                              f"this one reads up to {VERSION})")
    meta_dict(path, "(top level)", meta, keys=_TOP, required=_TOP)
    meta_int(path, "step", meta["step"])
    meta_dict(path, "extra", meta["extra"])
    for name, info in meta_dict(path, "modules", meta["modules"]).items():
        f = f"modules.{name}"
        _check_name_meta(path, f, name)
        meta_dict(path, f, info, keys={"class", "keys"}, required={"class", "keys"})
        meta_str(path, f + ".class", info["class"])
        meta_keys(path, f + ".keys", info["keys"])
    for name, info in meta_dict(path, "optimizers", meta["optimizers"]).items():
        f = f"optimizers.{name}"
        _check_name_meta(path, f, name)
        meta_dict(path, f, info, keys={"class", "step", "hyper", "keys"}, required={"class", "step", "hyper", "keys"})
        meta_str(path, f + ".class", info["class"])
        meta_int(path, f + ".step", info["step"])
        for hk, hv in meta_dict(path, f + ".hyper", info["hyper"]).items():
            meta_number(path, f"{f}.hyper.{hk}", hv, allow_none=True)
        meta_keys(path, f + ".keys", info["keys"])
    meta_keys(path, "arrays", meta["arrays"])
    return meta


def _check_name_meta(path: str, field: str, name: str) -> None:
    if not name or "/" in name or len(name) > 200:
        raise CheckpointError(f"{path}: metadata field {field!r}: bad name {name[:40]!r}")


# ---------------------------------------------------------------------------- load
def load(path, expect=None, max_bytes: int = MAX_BYTES) -> Checkpoint:
    """Read a checkpoint written by :func:`save`, checking before spending.

    The order: a regular file only (a FIFO or device is refused unopened); the zip's
    directory (bounded member count, sizes that fit the file); the metadata (at most 1 MiB,
    bounded nesting, validated against the schema of :func:`check_meta`); every array's
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
        ``module/`` and ``optim/`` member must be in it. :mod:`minigan.training_state` passes
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
        reader = NpzReader(path, CheckpointError, "", max_members=_MAX_MEMBERS, max_total=max_bytes,
                           kind="a minigan checkpoint")
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
            raise CheckpointError(f"{path}: not a minigan checkpoint ('{_META}' is {h.dtype} {h.shape}, "
                                  f"not 1-D uint8)")
        if h.nbytes > _MAX_META:
            raise CheckpointError(f"{path}: metadata of {h.nbytes:,} bytes, more than the {_MAX_META:,} accepted")
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
                        raise CheckpointError(f"{path}: array {k!r} has shape {hk.shape}, the model needs {tuple(want)}")
                    exact = want is not None
                elif k.startswith(("module/", "optim/")):
                    raise CheckpointError(f"{path}: array {k!r} is not part of the model being restored")
            info = reader.members[k]
            if not exact and info.file_size > _FREE_SLACK + _FREE_RATIO * info.compress_size:
                raise CheckpointError(f"{path}: array {k!r} declares {info.file_size:,} bytes from "
                                      f"{info.compress_size:,} compressed; an array whose shape the model does "
                                      f"not fix may expand at most {_FREE_RATIO}x (minigan writes them "
                                      f"uncompressed)")
            if hk.dtype.kind == "f" or k.startswith(("module/", "optim/")):
                if hk.dtype.kind not in "f":
                    raise CheckpointError(f"{path}: array {k!r} has dtype {hk.dtype}, expected a float dtype")
        data = {k: reader.read(k) for k in listed}

    ck = Checkpoint(path=path, step=meta["step"], rng_state=meta["rng_state"], extra=meta["extra"])
    for name, info in meta["modules"].items():
        ck.modules[name] = {k: data[f"module/{name}/{k}"] for k in info["keys"]}
    for name, info in meta["optimizers"].items():
        ck.optimizers[name] = {"step": info["step"], "hyper": info["hyper"],
                               "arrays": {k: data[f"optim/{name}/{k}"] for k in info["keys"]}}
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
        raise CheckpointError(f"{path}: refused: the file is a pickle, which minigan never loads "
                              f"(unpickling can execute code)") from exc
    if magic == b"\x93NUMPY":
        raise CheckpointError(f"{path}: not a minigan checkpoint (a single .npy array, not an .npz archive)") from exc
    if magic[:4] != b"PK\x03\x04" and magic[:4] != b"PK\x05\x06":
        raise CheckpointError(f"{path}: not a minigan checkpoint (expected an .npz zip archive; "
                              f"the file starts with {magic!r})") from exc

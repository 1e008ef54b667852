"""A checkpoint's JSON metadata: parsed within bounds, then checked against the schema.

:func:`minigan.checkpoint.load` reads a file that may come from anywhere, so the metadata is
untrusted input: :func:`parse_meta` bounds its size, nesting and integer length before and while
the JSON parser runs, and :func:`check_meta` checks every field's type and range. The ``meta_*``
helpers check one field each and raise a :class:`CheckpointError` that names the file, the field,
what was expected and what came (:mod:`minigan.gan.state` uses them for the GAN's own
fields).
"""

from __future__ import annotations

import json
import math

from ..errors import CheckpointError

__all__ = [
    "CheckpointError",
    "FORMAT",
    "VERSION",
    "MAX_META",
    "parse_meta",
    "check_meta",
    "meta_int",
    "meta_number",
    "meta_str",
    "meta_dict",
    "meta_keys",
]

FORMAT = "minigan-checkpoint"
VERSION = 1


MAX_META = 1 << 20  # bytes of JSON metadata
_MAX_DEPTH = 32  # nesting of the JSON metadata
_MAX_DIGITS = 40  # digits of one JSON integer (a 128-bit generator state has 39)


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
    if len(raw) > MAX_META:
        raise CheckpointError(f"{path}: metadata of {len(raw):,} bytes, more than the {MAX_META:,} accepted")
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
    return CheckpointError(
        f"{path}: metadata field {field!r} must be {want}, got "
        f"{type(got).__name__} {r[:80] + '...' if len(r) > 80 else r}"
    )


def meta_int(path: str, field: str, value, low: int = 0, high: int = 2**63 - 1) -> int:
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
        raise CheckpointError(
            f"{path}: metadata field {field!r} has unknown keys {sorted(set(value) - keys)[:5]}; "
            f"expected {sorted(keys)}"
        )
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
    return it. ``rng_state`` and ``extra`` are the caller's (:mod:`minigan.gan.state`
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
        raise CheckpointError(
            f"{path}: written by a newer minigan (checkpoint version {version}, this one reads up to {VERSION})"
        )
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

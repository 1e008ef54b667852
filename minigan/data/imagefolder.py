"""Your own images: a folder of PNG/JPEG/BMP files streamed as GAN-ready minibatches.

Document 001 §6 trains its 64x64 DCGAN on 5,856 chest X-rays and document 000 its 96x96 one
on anime faces; neither data set can ship with minigan. :class:`ImageFolder` reads the same
kind of data from a folder of yours:

    root/                      root/
      a.png                      NORMAL/     img1.jpeg ...
      b.jpg          or          PNEUMONIA/  img7.jpeg ...
      more/c.bmp                 (one sub-folder per class: labels 0, 1, ... in name order)

Each image is converted to grayscale (``"L"``) or RGB, scaled so that its shorter side is the
model's size and center-cropped to a square (or stretched), and scaled to ``[-1, 1]``, the
range of the generator's tanh, by its own mode: 8-bit images as ``x / 127.5 - 1``, 16-bit ones
(``I;16``, chest X-rays often are) by their range ``0..65535``, 32-bit integer and float images
as :meth:`ImageFolder.load` says; a 16-bit image is never cut at 255. Only the list of paths is kept in
memory; each minibatch is read from disk when asked for, so a folder of 100,000 images costs
its path list plus one batch. The order is a permutation per epoch drawn from ``seed``: the
same seed gives the same batches, and :meth:`ImageFolder.state_dict` lets a checkpoint resume
exactly where it stopped.

Files that are not images (by extension), that are not regular files (a FIFO or a device
named ``x.png``: opening it would block forever), or that Pillow cannot read (corrupt,
truncated), and folders that cannot be listed, are reported by name: with ``on_error="skip"``
(default) they are skipped with one line on stderr (and listed in :attr:`ImageFolder.skipped`);
with ``on_error="raise"`` the first one raises :class:`minigan.data.DataError` naming it. Never
a raw Pillow traceback, never a hang. A symlinked sub-folder (a class folder linked from
elsewhere) is followed, with one line saying so (:attr:`ImageFolder.followed`); a link back to a
folder above it is a loop, reported and not followed.

Pillow is an optional dependency (``pip install 'minigan[images]'``); it is imported only when
an ImageFolder is created.
"""

from __future__ import annotations

import os
import sys
from typing import Callable

import numpy as np

from ..checks import check_positive_int, is_int
from ..errors import DataError
from ..files.npzread import file_kind, open_regular
from .batches import ShuffledEpochs
from .pixels import decode_image

__all__ = ["ImageFolder", "IMAGE_EXTENSIONS"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def _pil():
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - Pillow is in the dev extra
        raise ImportError("ImageFolder needs Pillow: pip install pillow (or pip install 'minigan[images]')") from exc
    return Image


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _regular(entry) -> bool:
    try:
        return entry.is_file()  # follows a symlink: a link to a regular file is one
    except OSError:
        return False


def _what(path: str) -> str:
    try:
        return file_kind(os.stat(path).st_mode)
    except OSError:
        return "a broken link"


class ImageFolder:
    """Stream the images of a folder tree as float32 NCHW minibatches in ``[-1, 1]``.

    Parameters
    ----------
    root : str or path-like
        The folder. Searched recursively; files are taken in sorted path order.
    size : int or (int, int)
        Output height and width (64 for ``xray_dcgan64``, 96 for ``anime_dcgan96``).
    batch_size : int
        Images per batch (``<=`` the number of images found).
    mode : {"L", "RGB"}
        Grayscale (1 channel, the documents' X-rays and faces) or RGB (3 channels).
    resize : {"crop", "stretch"}
        ``"crop"`` (default): scale the shorter side to the size, then cut the center square
        (keeps the aspect ratio). ``"stretch"``: resize to the size, distorting.
    labels : {"auto", "none"}
        ``"auto"``: when every image lies in a first-level sub-folder, each sub-folder is a
        class (sorted names -> labels 0, 1, ...; :attr:`classes`). ``"none"``: no labels.
    classes : list of str, optional
        Keep only these class sub-folders (document 001 §6.4 trains one GAN per class).
    on_error : {"skip", "raise"}
        What to do with a file that is not an image or cannot be read (see the module notes).
    seed : int
        Seed of the per-epoch shuffling.
    shuffle : bool
        Shuffle every epoch (default True); False reads in path order.
    log : callable, optional
        Where skip reports go (default: one line on stderr).

    Attributes
    ----------
    paths : list of str
        The image files found (by extension).
    labels : int64 array (n,) or None
    classes : list of str (empty without class sub-folders)
    skipped : list of (path, reason)
        Files and folders reported so far (non-image files, non-regular files, unreadable
        folders and symlink loops at construction; unreadable images when met).
    followed : list of (link, target)
        The symlinked folders that were followed.

    Notes
    -----
    Memory: the stream holds the path list, the labels, the current epoch's permutation
    (8 bytes per image) and the batch being built (``batch_size · C · H · W`` float32, plus
    one decoded image). It never holds the folder.
    """

    def __init__(
        self,
        root,
        size,
        batch_size: int = 64,
        *,
        mode: str = "L",
        resize: str = "crop",
        labels: str = "auto",
        classes=None,
        on_error: str = "skip",
        seed: int = 0,
        shuffle: bool = True,
        log: Callable[[str], None] | None = None,
    ):
        self._Image = _pil()
        root = os.fspath(root)
        if not os.path.isdir(root):
            raise DataError(f"ImageFolder: {root} is not a folder")
        if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
            size = (int(size), int(size))
        if not (isinstance(size, (tuple, list)) and len(size) == 2):
            raise ValueError(f"ImageFolder: size must be an int or (height, width), got {size!r}")
        self.size = (
            check_positive_int("ImageFolder", "size", size[0]),
            check_positive_int("ImageFolder", "size", size[1]),
        )
        if mode not in ("L", "RGB"):
            raise ValueError(f"ImageFolder: mode must be 'L' (grayscale) or 'RGB', got {mode!r}")
        if resize not in ("crop", "stretch"):
            raise ValueError(f"ImageFolder: resize must be 'crop' or 'stretch', got {resize!r}")
        if labels not in ("auto", "none"):
            raise ValueError(f"ImageFolder: labels must be 'auto' or 'none', got {labels!r}")
        if on_error not in ("skip", "raise"):
            raise ValueError(f"ImageFolder: on_error must be 'skip' or 'raise', got {on_error!r}")
        self.root, self.mode, self.resize, self.on_error = root, mode, resize, on_error
        self.channels = 1 if mode == "L" else 3
        self.log = log or _stderr
        self.skipped: list[tuple[str, str]] = []

        self.followed: list[tuple[str, str]] = []
        found: list[str] = []
        other: list[str] = []
        self._scan(root, found, other, {os.path.realpath(root)})
        for path in other:
            self._bad(path, f"not an image file (extensions read: {', '.join(IMAGE_EXTENSIONS)})")
        rel = [os.path.relpath(p, root) for p in found]
        in_sub = [os.sep in r for r in rel]
        if labels == "auto" and found and all(in_sub):
            names = sorted({r.split(os.sep, 1)[0] for r in rel})
            if classes is not None:
                unknown = [c for c in classes if c not in names]
                if unknown:
                    raise DataError(f"ImageFolder: {root} has no class folder(s) {unknown}; it has {names}")
                names = [c for c in names if c in set(classes)]
            index = {c: i for i, c in enumerate(names)}
            keep = [(p, index[r.split(os.sep, 1)[0]]) for p, r in zip(found, rel) if r.split(os.sep, 1)[0] in index]
            self.classes = names
            self.paths = [p for p, _ in keep]
            self.labels: np.ndarray | None = np.array([c for _, c in keep], dtype=np.int64)
        else:
            if classes is not None:
                raise DataError(f"ImageFolder: classes={classes!r} needs one sub-folder per class in {root}")
            self.classes, self.paths, self.labels = [], found, None
        if not self.paths:
            raise DataError(f"ImageFolder: no images ({', '.join(IMAGE_EXTENSIONS)}) in {root}")
        self.n = len(self.paths)
        self.batch_size = check_positive_int("ImageFolder", "batch_size", batch_size)
        if self.batch_size > self.n:
            raise ValueError(f"ImageFolder: batch_size {batch_size} is larger than the {self.n} images in {root}")
        # the order images are read in: shuffled epochs, resumable exactly (BatchStream's mechanism)
        self.stream = ShuffledEpochs(self.n, seed, shuffle=shuffle, owner="ImageFolder")
        self.shuffle, self.seed = self.stream.shuffle, int(seed)
        self._dead = np.zeros(self.n, dtype=bool)  # unreadable files met so far (skipped for good)

    # ------------------------------------------------------------------ finding the files
    def _scan(self, folder: str, found: list, other: list, ancestors: set) -> None:
        """Add ``folder``'s files to ``found`` (images, by extension) or ``other``, in sorted
        order, then walk its sub-folders (sorted). A symlinked sub-folder is followed and said so
        (a link back to a folder above it, a loop, is reported and not followed); a folder that
        cannot be listed is reported by name (:meth:`_bad`), never dropped in silence."""
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self._bad(folder, f"cannot read this folder ({exc.strerror or exc}); its images are not used")
            return
        subdirs = []
        for e in entries:
            full = os.path.join(folder, e.name)
            try:
                is_dir = e.is_dir()  # follows a symlink
            except OSError:
                is_dir = False
            if is_dir:
                subdirs.append((e, full))
            elif not e.name.lower().endswith(IMAGE_EXTENSIONS):
                other.append(full)
            elif _regular(e):
                found.append(full)
            else:  # a FIFO named x.png would block the reader forever
                self._bad(full, f"{_what(full)}, not a regular file; not read")
        for e, full in subdirs:
            real = os.path.realpath(full)
            if e.is_symlink():
                if real in ancestors:
                    self._bad(full, f"a symlink to {real}, a folder above it (a loop); not followed")
                    continue
                self.followed.append((full, real))
                self.log(f"ImageFolder: following the symlinked folder {full} -> {real}")
            self._scan(full, found, other, ancestors | {real})

    # ------------------------------------------------------------------ reading
    def _bad(self, path: str, reason: str) -> None:
        if self.on_error == "raise":
            raise DataError(f"ImageFolder: {path}: {reason} (pass on_error='skip' to skip it)")
        self.skipped.append((path, reason))
        self.log(f"ImageFolder: skipping {path}: {reason}")

    def load(self, path: str) -> np.ndarray:
        """One image as float32 ``(C, H, W)`` in ``[-1, 1]``; raises DataError naming the file.

        Only a regular file is opened (:func:`minigan.files.npzread.open_regular`: a FIFO named
        ``x.png`` would block forever, a device never end). The image is decoded by its mode:
        8-bit modes (``1``, ``L``, ``LA``, ``P``, ``RGB``, ``RGBA``, ...) are converted by Pillow
        and scaled as ``x / 127.5 - 1``; 16-bit ones (``I;16``, ``I;16B``, ...) by their full
        range ``0..65535``; 32-bit ``I`` by ``0..65535`` when every value lies there (how Pillow
        has opened 16-bit PNGs), else by the image's own min..max, as is ``F`` (floats) unless
        it lies in ``[0, 1]`` already. A 16-bit X-ray is never cut at 255 (:mod:`minigan.data.pixels`)."""
        Image = self._Image
        try:
            fh = open_regular(path, DataError, "ImageFolder")
        except FileNotFoundError:
            raise DataError(f"ImageFolder: {path}: does not exist (removed, or a broken link)") from None
        try:
            with fh, Image.open(fh) as img:
                img.draft(self.mode, (self.size[1], self.size[0]))  # JPEG: decode at a reduced scale
                a = decode_image(img, self.mode, self.size, self.resize, Image)
        except DataError:
            raise
        except Exception as exc:  # Pillow raises many types (UnidentifiedImageError, OSError, ...)
            raise DataError(
                f"ImageFolder: {path}: cannot read it as an image ({type(exc).__name__}: {str(exc)[:120]})"
            ) from None
        if isinstance(a, str):
            raise DataError(f"ImageFolder: {path}: {a}")
        return a

    # ------------------------------------------------------------------ the stream
    @property
    def epoch(self) -> int:
        return self.stream.epoch

    @property
    def batches_per_epoch(self) -> int:
        return self.n // self.batch_size

    def _next_index(self) -> int:
        for _ in range(2 * self.n + 1):
            i = self.stream.next_index()
            if not self._dead[i]:
                return i
        raise DataError(f"ImageFolder: no readable image left in {self.root}")

    def next_batch_with_labels(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The next batch ``(images (B, C, H, W) float32, labels (B,) int64 or None)``.

        An unreadable file is reported (or raises, with ``on_error="raise"``), never read again,
        and replaced by the next image of the order, so every batch is full. An epoch ends when
        its permutation is used up (the last, possibly partial, batch of an epoch continues into
        the next one's)."""
        h, w = self.size
        out = np.empty((self.batch_size, self.channels, h, w), dtype=np.float32)
        idx = np.empty(self.batch_size, dtype=np.int64)
        k = 0
        while k < self.batch_size:
            i = self._next_index()
            try:
                out[k] = self.load(self.paths[i])
            except DataError as exc:
                self._dead[i] = True
                if (~self._dead).sum() == 0 or self.on_error == "raise":
                    raise
                self.skipped.append((self.paths[i], str(exc)))
                self.log(f"{exc}; skipped")
                continue
            idx[k] = i
            k += 1
        return out, (self.labels[idx] if self.labels is not None else None)

    def next_batch(self) -> np.ndarray:
        """The next batch of images ``(B, C, H, W)`` float32 in ``[-1, 1]``."""
        return self.next_batch_with_labels()[0]

    __next__ = next_batch

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return self.n

    def sample_shape(self) -> tuple:
        return (self.channels,) + self.size

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """JSON-able position: epoch, position, generator state before the epoch, unreadable files."""
        return {
            **self.stream.state_dict(),
            "batch_size": self.batch_size,
            "dead": np.flatnonzero(self._dead).tolist(),
            "shuffle": self.shuffle,
        }

    def load_state_dict(self, state: dict) -> ImageFolder:
        """Continue from a :meth:`state_dict` of a folder with the same images, batch size and
        shuffling; validated in full before anything changes (ValueError naming the field)."""
        dead = state.get("dead", []) if isinstance(state, dict) else None
        if not isinstance(dead, list) or not all(is_int(i) and 0 <= i < self.n for i in dead):
            raise ValueError(
                f"ImageFolder.load_state_dict: dead must be a list of image indices in "
                f"[0, {self.n}), got {str(dead)[:80]}"
            )
        self.stream.load_state_dict(state, batch_size=self.batch_size, shuffle=self.shuffle)
        self._dead[:] = False
        self._dead[np.asarray(dead, dtype=np.int64)] = True
        return self

    def __repr__(self) -> str:
        cls = f", classes={self.classes}" if self.classes else ""
        return (
            f"ImageFolder({self.root!r}, {self.n} images, size={self.size}, mode={self.mode!r}, "
            f"batch_size={self.batch_size}{cls})"
        )

"""Reading ``.npz`` archives and ``.npy`` headers without trusting them: header first, bounded.

A hostile or damaged archive must not make minigan hang, eat memory or run code. What
:func:`numpy.load` does (decompress every member it is asked for, allocate what a header
declares) is done here in an order that checks before it spends:

1. :func:`open_regular`: only a regular file is opened (a FIFO or a device would block or
   never end), without blocking;
2. the zip's end record: at most ``max_members`` entries and a bounded central directory,
   before :mod:`zipfile` parses it;
3. every member: a ``<name>.npy`` that is stored or deflated (not encrypted), whose declared
   sizes fit the file (a stored member) or deflate's maximum ratio (a deflated one);
4. :meth:`NpzReader.header`: the ``.npy`` header only (``max_header_size`` bounded), a plain
   numeric or bool dtype (an object array, which needs pickle, is refused as such), and a
   declared shape whose byte size equals what the member holds;
5. :meth:`NpzReader.read`: only then, the body, read in bounded chunks (never more than the
   header declared) and checked against the zip's CRC-32.

Every failure is the caller's error class (:class:`minigan.checkpoint.CheckpointError`,
:class:`minigan.data.DataError`) with a message that names the file and says what is wrong.
"""

from __future__ import annotations

import math
import os
import stat
import struct
import zipfile

import numpy as np

__all__ = ["open_regular", "file_kind", "NpzReader", "NpyHeader", "SAFE_KINDS"]

#: dtype kinds that are plain numbers: bool, signed and unsigned int, float.
SAFE_KINDS = "biuf"
_MAX_HEADER = 10000  # NumPy's own default for .npy headers
_CHUNK = 1 << 20
_DEFLATE_MAX_RATIO = 1100  # deflate cannot expand more than ~1032:1


def open_regular(path: str, error: type, who: str | None):
    """``open(path, "rb")`` for a regular file only. A FIFO, a device, a socket or a folder is
    refused with ``error`` *before* it is opened (opening a FIFO blocks); the check is repeated
    on the open descriptor (opened non-blocking), so a swap in between is refused too."""
    pre = f"{who}: " if who else ""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise error(f"{pre}cannot read {path}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{pre}{path} is not a regular file ({file_kind(st.st_mode)}); refused without reading")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise error(f"{pre}cannot read {path}: {exc.strerror or exc}") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise error(f"{pre}{path} is not a regular file; refused without reading")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def file_kind(mode: int) -> str:
    """What a ``st_mode`` that is not a regular file is, in words: ``"a FIFO"``, ``"a folder"``..."""
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a plain file"


class NpyHeader:
    """A validated ``.npy`` header: ``shape``, ``dtype``, ``fortran_order``, ``nbytes``."""

    __slots__ = ("shape", "dtype", "fortran_order", "nbytes", "offset")

    def __init__(self, shape, dtype, fortran_order, nbytes, offset):
        self.shape, self.dtype, self.fortran_order, self.nbytes, self.offset = (
            shape,
            dtype,
            fortran_order,
            nbytes,
            offset,
        )


class NpzReader:
    """An open ``.npz`` whose members are read header first (see the module docstring).

    Parameters
    ----------
    path : str
    error : exception class
        Raised for every problem (a ValueError subclass), message ``"<who>: <path>: ..."``.
    who : str
        The caller, for messages (``"checkpoint.load"``, ``"load_mnist"``).
    max_members : int
        Most members accepted.
    max_total : int
        Most bytes that all members together may declare (uncompressed).
    """

    def __init__(
        self,
        path: str,
        error: type,
        who: str,
        max_members: int = 4096,
        max_total: int = 1 << 31,
        kind: str = "an .npz archive of arrays",
    ):
        self.path, self.error, self.who, self.kind = path, error, who, kind
        self._fh = open_regular(path, error, who)
        try:
            self.size = os.fstat(self._fh.fileno()).st_size
            self._check_end_record(max_members)
            try:
                self._zf = zipfile.ZipFile(self._fh)
                infos = self._zf.infolist()
            except (
                zipfile.BadZipFile,
                zipfile.LargeZipFile,
                OSError,
                EOFError,
                ValueError,
                struct.error,
                NotImplementedError,
                RuntimeError,
                OverflowError,
                UnicodeDecodeError,
            ) as exc:
                raise self._err(
                    f"not a readable zip archive (truncated or corrupt?): {type(exc).__name__}: {exc}"
                ) from exc
            self.members: dict[str, zipfile.ZipInfo] = {}
            total = 0
            for info in infos:
                self._check_info(info)
                key = info.filename[:-4]
                if key in self.members:
                    raise self._err(f"member {info.filename!r} appears twice")
                self.members[key] = info
                total += info.file_size
            if total > max_total:
                raise self._err(
                    f"its members declare {total:,} bytes uncompressed, more than the {max_total:,} accepted"
                )
            self._headers: dict[str, NpyHeader] = {}
        except BaseException:
            self._fh.close()
            raise

    # ------------------------------------------------------------------ plumbing
    def _err(self, msg: str) -> Exception:
        return self.error(f"{self.who}: {self.path}: {msg}" if self.who else f"{self.path}: {msg}")

    def close(self) -> None:
        try:
            if hasattr(self, "_zf"):
                self._zf.close()
        finally:
            self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check_end_record(self, max_members: int) -> None:
        """Read the zip's end-of-central-directory record and refuse too many members or a
        central directory larger than the file, before :mod:`zipfile` parses it."""
        tail = min(self.size, 22 + 65535)
        self._fh.seek(self.size - tail)
        buf = self._fh.read(tail)
        i = buf.rfind(b"PK\x05\x06")
        if i < 0 or len(buf) - i < 22:
            head = buf[:4] if self.size <= tail else b""
            if self.size < 22:
                raise self._err(f"not a zip archive ({self.size} bytes; truncated?)")
            raise self._err(
                "not a readable zip archive (truncated or corrupt: no end-of-archive record)"
                + (f"; it starts with {head!r}" if head else "")
            )
        _, _, _, n_here, n_total, cd_size, cd_off, _ = struct.unpack("<4s4H2LH", buf[i : i + 22])
        if n_total == 0xFFFF or n_here == 0xFFFF or cd_size == 0xFFFFFFFF:
            raise self._err(f"a ZIP64 archive with more members than the {max_members} accepted")
        if n_total > max_members:
            raise self._err(f"{n_total} members, more than the {max_members} accepted")
        if cd_size > self.size:
            raise self._err(
                f"its central directory declares {cd_size:,} bytes, more than the file's "
                f"{self.size:,} (truncated or corrupt)"
            )
        self._fh.seek(0)

    def _check_info(self, info: zipfile.ZipInfo) -> None:
        name = info.filename
        if not name.endswith(".npy") or len(name) <= 4:
            raise self._err(f"not {self.kind} (member {name!r} is not an .npy array)")
        if info.flag_bits & 0x1:
            raise self._err(f"member {name!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise self._err(
                f"member {name!r} uses compression method {info.compress_type} "
                f"(only stored or deflated members are read)"
            )
        if info.header_offset + info.compress_size > self.size:
            raise self._err(
                f"member {name!r} declares {info.compress_size:,} bytes at offset "
                f"{info.header_offset:,}, past the end of the {self.size:,}-byte file (truncated?)"
            )
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise self._err(
                f"member {name!r} is stored uncompressed but declares {info.file_size:,} bytes "
                f"in {info.compress_size:,} (corrupt)"
            )
        if info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > max(
            1 << 16, _DEFLATE_MAX_RATIO * info.compress_size
        ):
            raise self._err(
                f"member {name!r} declares {info.file_size:,} bytes from {info.compress_size:,} "
                f"compressed, beyond deflate's maximum ratio (a zip bomb or corrupt)"
            )

    def _open(self, key: str):
        try:
            return self._zf.open(self.members[key])
        except (
            zipfile.BadZipFile,
            OSError,
            EOFError,
            ValueError,
            struct.error,
            NotImplementedError,
            RuntimeError,
            UnicodeDecodeError,
        ) as exc:
            raise self._err(
                f"member {key!r} is unreadable (truncated or corrupt?): {type(exc).__name__}: {exc}"
            ) from exc

    # ------------------------------------------------------------------ public
    def header(self, key: str) -> NpyHeader:
        """The member's validated ``.npy`` header; reads only the header's bytes."""
        h = self._headers.get(key)
        if h is not None:
            return h
        info = self.members[key]
        with self._open(key) as fp:
            try:
                version = np.lib.format.read_magic(fp)
            except (ValueError, OSError, EOFError, zipfile.BadZipFile, struct.error) as exc:
                raise self._err(f"member {key!r} is not an .npy array (bad magic: {exc})") from exc
            try:
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp, max_header_size=_MAX_HEADER)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp, max_header_size=_MAX_HEADER)
                else:
                    raise self._err(f"member {key!r}: unsupported .npy version {version}")
            except (
                ValueError,
                OSError,
                EOFError,
                zipfile.BadZipFile,
                struct.error,
                SyntaxError,
                TypeError,
                MemoryError,
                RecursionError,
                OverflowError,
            ) as exc:
                if isinstance(exc, self.error):
                    raise
                msg = str(exc)
                if "large" in msg.lower() or "max_header_size" in msg:
                    raise self._err(
                        f"member {key!r}: its .npy header is larger than {_MAX_HEADER} bytes (corrupt or hostile)"
                    ) from exc
                raise self._err(f"member {key!r}: bad .npy header ({type(exc).__name__}: {msg[:200]})") from exc
            offset = fp.tell()
        if dtype.hasobject:
            raise self._err(
                f"refused: member {key!r} is a pickled object array, which minigan never "
                f"loads (unpickling can execute code)"
            )
        if dtype.kind not in SAFE_KINDS or dtype.fields is not None or dtype.subdtype is not None:
            raise self._err(f"member {key!r} has dtype {dtype.str!r}; only plain bool, int and float arrays are read")
        if not isinstance(shape, tuple) or not all(isinstance(s, int) and s >= 0 for s in shape):
            raise self._err(f"member {key!r}: bad shape {shape!r} in its .npy header")
        nbytes = math.prod(shape) * dtype.itemsize
        if offset + nbytes != info.file_size:
            raise self._err(
                f"member {key!r} declares shape {shape} {dtype} ({nbytes:,} bytes) but holds "
                f"{max(info.file_size - offset, 0):,} bytes of data (truncated or corrupt)"
            )
        h = self._headers[key] = NpyHeader(shape, dtype, fortran, nbytes, offset)
        return h

    def read(self, key: str) -> np.ndarray:
        """The member as a new array; the header is validated first (:meth:`header`), the body
        read in bounded chunks and the zip's CRC-32 checked."""
        h = self.header(key)
        buf = bytearray()
        with self._open(key) as fp:
            try:
                fp.read(h.offset)
                while len(buf) < h.nbytes:
                    chunk = fp.read(min(_CHUNK, h.nbytes - len(buf)))
                    if not chunk:
                        break
                    buf += chunk
                extra = fp.read(1)  # reaching the end makes zipfile check the CRC-32
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, struct.error, RuntimeError) as exc:
                raise self._err(
                    f"member {key!r} is damaged (truncated or corrupt): {type(exc).__name__}: {exc}"
                ) from exc
        if len(buf) != h.nbytes or extra:
            raise self._err(
                f"member {key!r} holds {len(buf) + len(extra):,} bytes of data, its header "
                f"declares {h.nbytes:,} (truncated or corrupt)"
            )
        a = np.frombuffer(buf, dtype=h.dtype)  # a bytearray: writable, no copy
        if h.fortran_order:
            return np.ascontiguousarray(a.reshape(h.shape, order="F"))
        return a.reshape(h.shape)

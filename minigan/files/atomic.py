"""Writing a file so that a crash never leaves half of it: :func:`atomic_savez`.

The arrays go to a temporary file in the target's folder, which is flushed, ``fsync``-ed and
then renamed over the target with :func:`os.replace` (atomic on POSIX and Windows): a reader
sees the old file or the new one, never a mixture, and a crash or a Ctrl-C during a save leaves
the previous file intact. Checkpoints (:mod:`minigan.checkpoint`) and a run's metrics arrays
are written this way.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import tempfile

import numpy as np

__all__ = ["atomic_write", "atomic_savez", "clean_stale_tmp", "os_error", "sigint_point"]


_POINTS: dict = {}  # point name -> times reached in this process


def sigint_point(name: str) -> None:
    """A test hook: press Ctrl-C here. ``MINIGAN_SIGINT_AT`` is a comma-separated list of
    ``name`` or ``name@k`` (the k-th time the point is reached; default the first); at each
    entry this process sends itself one SIGINT, which Python handles before the next line runs.
    Listing an entry twice presses Ctrl-C twice at that moment. Unset (always, outside the
    tests), this does nothing. The points: ``write`` (here, with the temporary file written and
    not yet renamed) and those of :mod:`minigan.runner` (``setup``, ``grid0``, ``step:N``,
    ``save``, ``eval``)."""
    spec = os.environ.get("MINIGAN_SIGINT_AT")
    if not spec:
        return
    n = _POINTS[name] = _POINTS.get(name, 0) + 1
    for entry in spec.split(","):
        point, _, k = entry.strip().partition("@")
        if point == name and int(k or 1) == n:
            os.kill(os.getpid(), signal.SIGINT)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _tmp_pattern(base: str) -> re.Pattern:
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
    removed: list[str] = []
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


def os_error(exc: OSError, what: str, path: str) -> OSError:
    """The same OSError subclass with one clear line naming ``path``, e.g.
    ``[Errno 28] cannot write checkpoint runs/x/checkpoint.npz: No space left on device``."""
    reason = exc.strerror or str(exc)
    new = (
        type(exc)(exc.errno, f"cannot {what} {path}: {reason}")
        if exc.errno
        else OSError(f"cannot {what} {path}: {reason}")
    )
    new.filename = path
    return new


def atomic_write(path, write, what: str = "write") -> str:
    """Write ``path`` atomically: ``write(fh)`` fills a temporary file in the same folder (a
    binary file object), which is flushed, ``fsync``-ed and renamed over ``path`` with
    :func:`os.replace`. A crash or a Ctrl-C during the write leaves the previous file intact (or
    no file). The file gets the usual permissions (``0o666`` less the umask), not ``mkstemp``'s
    private ``0o600``. Temporary files that an earlier, killed write to the same path left
    behind are removed first (:func:`clean_stale_tmp`). An OS error (a full disk, a read-only
    folder) is raised as the same OSError subclass with one line naming ``path`` and the
    reason (``what`` says what was being done: ``"write checkpoint"``)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        clean_stale_tmp(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.{os.getpid()}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise os_error(exc, what, path) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        sigint_point("write")
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half of one
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise os_error(exc, what, path) from exc
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


def atomic_savez(path, arrays: dict) -> str:
    """``np.savez(path, **arrays)`` written atomically (:func:`atomic_write`): a crash or a
    Ctrl-C during the write leaves the previous file intact; an OS error is one line naming
    ``path``."""
    return atomic_write(path, lambda fh: np.savez(fh, **arrays), "write checkpoint")

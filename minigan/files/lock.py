"""One writer per run folder: an advisory lock, ``RUN/.lock``, that holds the writer's pid.

Two runs writing into one folder (the same ``--out``, or two ``--resume`` of one run) would
interleave their sample grids and leave whichever checkpoint was saved last. A training
script therefore takes the folder's lock before it reads or writes anything there
(:func:`minigan.runner.lock_out`), and a second one is refused, naming the pid that holds it.

- Where :mod:`fcntl` exists (Linux, macOS), the lock is :func:`fcntl.flock` on ``RUN/.lock``,
  taken without waiting. The kernel releases it when the process ends, however it ends
  (``kill -9`` included), so a lock is never stale: a file left by a dead process is simply
  locked again, and the pid it names is reported as taken over.
- Elsewhere (Windows), the lock is the file itself, created with ``O_CREAT | O_EXCL``; a file
  whose pid is no longer running is stale and taken over (and said so).

The file holds ``"<pid>\\n"``; :meth:`RunLock.release` removes it (while still holding the lock,
and a new holder checks that the file it locked is still the one at the path, so a lock
removed in between is never shared).
"""

from __future__ import annotations

import errno
import os

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["RunLock", "FolderBusy", "LOCK_NAME", "pid_alive"]

LOCK_NAME = ".lock"


class FolderBusy(RuntimeError):
    """Another live process holds the folder's lock; ``.pid`` is its pid (None if unknown)."""

    def __init__(self, folder: str, pid: int | None):
        self.folder, self.pid = folder, pid
        who = f"process {pid}" if pid is not None else "another process"
        super().__init__(
            f"{folder} is in use by another run ({who} holds {os.path.join(folder, LOCK_NAME)}); "
            f"wait for it to end, or choose another folder"
        )


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a process of another user counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True
    return True


def _read_pid(path: str) -> int | None:
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            text = fh.read(32).strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class RunLock:
    """The lock of one run folder (see the module docstring). ``RunLock(folder).acquire()``
    creates the folder if needed, takes the lock or raises :class:`FolderBusy`; :meth:`release`
    gives it back. ``took_over`` is the pid of a dead holder whose lock file was found (None
    otherwise); ``created`` whether :meth:`acquire` created the folder."""

    def __init__(self, folder: str):
        self.folder = os.fspath(folder)
        self.path = os.path.join(self.folder, LOCK_NAME)
        self.fd: int | None = None
        self.took_over: int | None = None
        self.created = False
        self._top = ""

    def acquire(self) -> RunLock:
        if self.fd is not None:
            return self
        if not os.path.isdir(self.folder):
            top = os.path.abspath(self.folder)  # the highest folder that makedirs creates
            while not os.path.exists(os.path.dirname(top)) and os.path.dirname(top) != top:
                top = os.path.dirname(top)
            os.makedirs(self.folder, exist_ok=True)
            self.created, self._top = True, top
        for _ in range(10):  # a lock file removed under us is retried
            fd = self._try()
            if fd is not None:
                self.fd = fd
                return self
        raise FolderBusy(self.folder, _read_pid(self.path))  # pragma: no cover - a removal race 10 times

    def _try(self) -> int | None:
        """The descriptor of a lock file that this process now holds, or None to try again."""
        if fcntl is None:  # pragma: no cover - Windows
            return self._try_exclusive()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise FolderBusy(self.folder, _read_pid(self.path)) from None
                raise
            try:  # the file we locked must still be the one at the path (not removed meanwhile)
                if os.stat(self.path).st_ino != os.fstat(fd).st_ino:
                    os.close(fd)
                    return None
            except FileNotFoundError:
                os.close(fd)
                return None
            old = os.read(fd, 32).strip()
            if old.isdigit() and int(old) != os.getpid():
                self.took_over = int(old)  # its holder ended without removing it (killed)
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        except BaseException:
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
            raise

    def _try_exclusive(self) -> int | None:  # pragma: no cover - Windows
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            pid = _read_pid(self.path)
            if pid is not None and pid_alive(pid) and pid != os.getpid():
                raise FolderBusy(self.folder, pid) from None
            self.took_over = pid
            try:
                os.unlink(self.path)
            except OSError:
                pass
            return None
        os.write(fd, f"{os.getpid()}\n".encode())
        return fd

    def release(self) -> None:
        """Remove the lock file and let go of the lock (nothing if not held)."""
        if self.fd is None:
            return
        try:
            os.unlink(self.path)
        except OSError:
            pass
        try:
            os.close(self.fd)
        except OSError:
            pass
        self.fd = None

    def remove_if_empty(self) -> None:
        """After :meth:`release`: remove the folders :meth:`acquire` created, if nothing was
        written in them (a run refused or interrupted before it wrote anything leaves no trace)."""
        if not self.created:
            return
        path = os.path.abspath(self.folder)
        while True:
            try:
                os.rmdir(path)
            except OSError:
                return
            if path == self._top:
                return
            path = os.path.dirname(path)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

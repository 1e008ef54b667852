"""A small text progress bar for training loops (used by ``examples/mnist_gan.py``).

:class:`ProgressBar` shows step/total, elapsed time, ETA, speed and the latest losses. Scalars
are kept as given (device scalars included) and turned into text only when a line is drawn, so
a GPU loss is copied to the host at most once per drawn line, never inside a training step.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

import numpy as np

from .checks import check_int_range, check_positive_int

__all__ = ["ProgressBar"]


def _fmt_time(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h:d}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def _fmt_scalar(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    try:
        f = float(v)  # a device scalar is copied to the host only here, when a line is printed
    except (TypeError, ValueError):
        return str(v)
    if f != 0 and (abs(f) >= 1e4 or abs(f) < 1e-3) and math.isfinite(f):
        return f"{f:.3g}"
    return f"{f:.3f}"


class ProgressBar:
    """A small text progress bar: step/total, bar, percent, elapsed<ETA, it/s and scalars.

    Parameters
    ----------
    total : int
        Number of steps.
    desc : str
        Prefix (e.g. ``"GAN"``).
    file : text stream
        Where to write (default ``sys.stderr``).
    width : int
        Characters of the bar itself.
    initial : int
        Steps already done before this bar started (a resumed run): the count starts there,
        and the rate and ETA count only the steps done since (``(n - initial) / elapsed``).

    Notes
    -----
    On a terminal (``file.isatty()``) the line is redrawn in place with ``\\r`` (at most ten
    times a second). Elsewhere (CI logs, notebooks' captured output, files) a full line is
    printed each time another 10 % of ``total`` is done and at the end, so logs stay short.

    Scalars passed to :meth:`update` (``bar.update(d=d_loss, g=g_loss)``) are kept as given and
    converted to text only when a line is drawn: a device scalar costs a host copy on those
    steps only. Floats print with 3 decimals (``d=0.693``), ints as ints, strings as they are.
    Use as a context manager to close it (print the final line) even on an exception.

    Example
    -------
    >>> with ProgressBar(100, desc="train") as bar:          # doctest: +SKIP
    ...     for step in range(100):
    ...         bar.update(1, d=0.693, g=0.693)
    train 100/100 [##############################] 100% 00:01<00:00 95.2it/s d=0.693 g=0.693
    """

    def __init__(self, total: int, desc: str = "", file=None, width: int = 30, initial: int = 0):
        self.total = check_positive_int("ProgressBar", "total", total)
        self.initial = check_int_range("ProgressBar", "initial", initial, 0, None, error=ValueError)
        self.width = check_positive_int("ProgressBar", "width", width)
        self.desc = str(desc)
        self.file = sys.stderr if file is None else file
        try:
            self.tty = bool(self.file.isatty())
        except (AttributeError, ValueError):
            self.tty = False
        self.n = self.initial
        self.scalars: dict[str, Any] = {}
        self.start = time.perf_counter()
        self.closed = False
        self._last_draw = -1.0
        self._last_decile = (10 * self.initial) // self.total
        self._printed_n = -1

    # ------------------------------------------------------------------ text
    def format_line(self) -> str:
        """The current status line (without ``\\r`` or newline)."""
        elapsed = time.perf_counter() - self.start
        frac = min(self.n / self.total, 1.0)
        filled = int(round(frac * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        done = self.n - self.initial  # steps done by this bar (not those of a resumed run's past)
        rate = done / elapsed if elapsed > 0 and done > 0 else float("nan")
        eta = (self.total - self.n) / rate if rate > 0 else float("nan")
        if not math.isfinite(rate):
            rate_s = "?it/s"
        else:
            rate_s = f"{rate:.2f}it/s" if rate >= 1 or rate == 0 else f"{1 / rate:.2f}s/it"
        w = len(str(self.total))
        parts = [
            f"{self.desc} " if self.desc else "",
            f"{self.n:>{w}}/{self.total} [{bar}] {100 * frac:3.0f}% ",
            f"{_fmt_time(elapsed)}<{_fmt_time(eta)} {rate_s}",
        ]
        if self.scalars:
            parts.append(" " + " ".join(f"{k}={_fmt_scalar(v)}" for k, v in self.scalars.items()))
        return "".join(parts)

    def _write(self, end: str) -> None:
        line = self.format_line()
        if self.tty:
            self.file.write("\r" + line + "\x1b[K" + end)
        else:
            self.file.write(line + "\n")
        self.file.flush()
        self._printed_n = self.n

    # ------------------------------------------------------------------ API
    def update(self, n: int = 1, **scalars: Any) -> None:
        """Advance by ``n`` steps and remember the latest ``scalars`` (name=value)."""
        if self.closed:
            raise RuntimeError("ProgressBar.update: the bar is closed")
        self.n += check_int_range("ProgressBar.update", "n", n, 0, None, error=ValueError)
        if scalars:
            self.scalars.update(scalars)
        if self.n >= self.total:
            self.close()
            return
        if self.tty:
            now = time.perf_counter()
            if now - self._last_draw >= 0.1:
                self._last_draw = now
                self._write("")
        else:
            decile = (10 * self.n) // self.total
            if decile > self._last_decile:
                self._last_decile = decile
                self._write("")

    def set_scalars(self, **scalars: Any) -> None:
        """Set (add or overwrite) shown scalars without advancing."""
        self.scalars.update(scalars)

    def close(self) -> None:
        """Print the final line (once). Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        if self.tty:
            self._write("\n")
        elif self._printed_n != self.n:
            self._write("")

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ProgressBar({self.format_line()!r})"

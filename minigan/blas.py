"""How many threads NumPy's BLAS (OpenBLAS, MKL, BLIS) uses: read it, and choose it.

A GAN step on MNIST is a few small matrix products (128 x 784 x 512 and the like). Split over
several BLAS threads they gain some speed on an idle machine, and on a busy one they can lose a
lot: OpenBLAS's threads wait for each other in a spin loop, so when another process holds a
core a step takes many times longer. Measured here (examples/README.md), one step of
``minigan-train``'s default model on 2 cores: idle, 14.1 ms with 2 threads and 20.5 ms with 1;
with 3 competing busy processes, 145 ms with 2 threads and 74 ms with 1 (a user saw 14 ms grow
to 600 ms). :func:`set_blas_threads` changes the count at run time
through threadpoolctl (the maintained tool; environment variables such as
``OPENBLAS_NUM_THREADS`` only work if set before NumPy is imported).

Without threadpoolctl (it is a dependency, but a ``--no-deps`` install may lack it) the count is
left as it is and reported as unknown.
"""

from __future__ import annotations

import math
import os
from contextlib import contextmanager

__all__ = [
    "blas_threads",
    "set_blas_threads",
    "limited",
    "describe",
    "available_cores",
    "cap_threads",
    "choose_threads",
]

_LIMITER: list = []  # keeps threadpoolctl's limiter alive for the whole process


def _info() -> list[dict]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    import numpy  # noqa: F401  (load the BLAS library so that threadpoolctl sees it)

    return [i for i in threadpool_info() if i.get("user_api") == "blas"]


def blas_threads() -> tuple[int | None, str]:
    """``(threads, library)`` of the BLAS that NumPy uses, e.g. ``(1, "openblas")``;
    ``(None, "unknown")`` without threadpoolctl."""
    info = _info()
    if not info:
        return None, "unknown"
    return int(info[0]["num_threads"]), ",".join(sorted({i["internal_api"] for i in info}))


def set_blas_threads(n: int) -> tuple[int | None, str]:
    """Use ``n`` BLAS threads from now on in this process (``n >= 1``); return :func:`blas_threads`.

    Does nothing, and returns ``(None, "unknown")``, when threadpoolctl is not installed.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_blas_threads: n must be an int >= 1, got {n!r}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None, "unknown"
    import numpy  # noqa: F401

    _LIMITER.append(threadpool_limits(limits=n, user_api="blas"))
    return blas_threads()


@contextmanager
def limited(n: int):
    """``with limited(1):`` use ``n`` BLAS threads inside the block, the previous count after it.
    Yields :func:`blas_threads` (``(None, "unknown")`` without threadpoolctl)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"blas.limited: n must be an int >= 1, got {n!r}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield None, "unknown"
        return
    import numpy  # noqa: F401

    with threadpool_limits(limits=n, user_api="blas"):
        yield blas_threads()


def available_cores() -> int:
    """The CPU cores this process may run on: :func:`os.sched_getaffinity` where the OS has it
    (it honours ``taskset``, cgroups' cpusets and containers), else :func:`os.cpu_count`;
    at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def cap_threads(requested: int, what: str = "--threads") -> tuple[int, str | None]:
    """``(threads to use, warning or None)``: ``requested`` capped at :func:`available_cores`.

    More BLAS threads than cores never helps and can cost a lot: OpenBLAS's threads spin-wait
    for each other, so 64 threads on 2 cores made one step 100 times slower (8.1 s against
    0.08 s). The warning is one line naming ``what`` (the option or argument asked for).
    The one place that decides the cap, so that a later automatic choice reuses it."""
    if not isinstance(requested, int) or isinstance(requested, bool) or requested < 1:
        raise ValueError(f"cap_threads: {what} must be an int >= 1, got {requested!r}")
    cores = available_cores()
    if requested <= cores:
        return requested, None
    return cores, (
        f"warning: {what} {requested} is more than the {cores} CPU core{'s' if cores > 1 else ''} this "
        f"process may use; using {cores} (more BLAS threads than cores only wait for each other)"
    )


def describe(requested: int | None = None) -> str:
    """One line for a run's header: ``threads: 1 (BLAS: openblas; 2 CPU cores)`` (the cores
    this process may use, :func:`available_cores`)."""
    n, lib = blas_threads()
    cores = available_cores()
    if n is None:
        return f"threads: BLAS default (pip install threadpoolctl to choose; {cores} CPU cores)"
    return f"threads: {n} (BLAS: {lib}; {cores} CPU cores)"


def choose_threads(load: float | None = None, cores: int | None = None, own: int = 0) -> int:
    """The thread count of ``--threads auto``: one BLAS thread per idle core, at least one.

    The rule. The other programs' load is the 1-minute load average minus ``own``, the threads
    this process itself has kept busy (0 before it starts; a run that checks again at a
    checkpoint passes the count it runs with, its own share of the load). A core counts as busy
    once more than half of it is in use, so the busy cores are that load rounded half down
    (``⌈load − ½⌉``), and the threads are the rest::

        threads = min(cores, max(1, cores − ⌈max(load − own, 0) − ½⌉))

    On 2 cores: 2 threads while the others' load is at most 0.5, else 1. (Two threads on a
    machine where another program holds a core make a step several times slower, see the
    module docstring; one thread too many costs far more than one too few.)

    Parameters
    ----------
    load : float, optional
        The 1-minute load average (default: ``os.getloadavg()[0]``). Where the OS has no load
        average (Windows), the answer is 1.
    cores : int, optional
        The cores to share (default: :func:`available_cores`).
    own : int
        This process's own busy threads, as above.
    """
    cores = available_cores() if cores is None else max(1, int(cores))
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            return 1
    others = max(float(load) - own, 0.0)
    busy = max(math.ceil(others - 0.5), 0)
    return min(cores, max(1, cores - busy))

"""minigan.blas: reading and choosing NumPy's BLAS thread count, capped at the cores."""

import os

import pytest

from minigan import blas


def test_limited_sets_and_restores():
    pytest.importorskip("threadpoolctl")
    before = blas.blas_threads()
    assert before[0] is not None and before[1] != "unknown"
    with blas.limited(1) as (n, lib):
        assert n == 1 and blas.blas_threads()[0] == 1
        assert blas.describe().startswith("threads: 1 (BLAS: ")
    assert blas.blas_threads() == before
    with pytest.raises(ValueError, match="n must be"):
        with blas.limited(0):
            pass


def test_without_threadpoolctl_it_says_so(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tpc(name, *a, **k):
        if name == "threadpoolctl":
            raise ImportError("no threadpoolctl")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_tpc)
    assert blas.blas_threads() == (None, "unknown")
    with blas.limited(1) as info:
        assert info == (None, "unknown")
    assert "threadpoolctl" in blas.describe()


def test_threads_are_capped_at_the_cores_this_process_may_use(monkeypatch):
    """--threads 999 used to become 64 OpenBLAS threads on 2 cores (a step 100 times slower)."""
    cores = blas.available_cores()
    assert cores >= 1
    if hasattr(os, "sched_getaffinity"):
        assert cores == len(os.sched_getaffinity(0))
    assert blas.cap_threads(1) == (1, None)
    assert blas.cap_threads(cores) == (cores, None)
    n, warning = blas.cap_threads(999)
    assert n == cores and warning.startswith("warning: --threads 999 is more than the") and f"using {cores}" in warning
    monkeypatch.setattr(blas, "available_cores", lambda: 3)
    n, warning = blas.cap_threads(8, "threads")
    assert n == 3 and "threads 8 is more than the 3 CPU cores" in warning
    for bad in (0, -1, True, 2.5):
        with pytest.raises(ValueError, match="cap_threads: --threads must be an int >= 1"):
            blas.cap_threads(bad)


@pytest.mark.parametrize(
    "load, cores, own, expected",
    [
        (0.0, 2, 0, 2),  # an idle machine: both cores
        (0.5, 2, 0, 2),  # half a core in use elsewhere: still idle enough
        (0.51, 2, 0, 1),
        (1.0, 2, 0, 1),  # another program holds a core: one thread
        (3.7, 2, 0, 1),  # a crowded machine: never fewer than one
        (2.3, 2, 2, 2),  # our own two threads are most of the load: the others use 0.3
        (2.6, 2, 2, 1),
        (1.2, 2, 1, 2),  # at a checkpoint with one thread: the others use 0.2
        (0.0, 1, 0, 1),
        (3.2, 8, 0, 5),  # 8 cores, 3.2 busy elsewhere: 3 busy, 5 threads
        (0.0, 64, 0, 64),
        (100.0, 64, 0, 1),
    ],
)
def test_choose_threads_rule(load, cores, own, expected):
    assert blas.choose_threads(load=load, cores=cores, own=own) == expected


def test_choose_threads_reads_the_load_and_the_cores(monkeypatch):
    import os

    monkeypatch.setattr(os, "getloadavg", lambda: (0.2, 5.0, 5.0))
    assert blas.choose_threads(cores=2) == 2
    monkeypatch.setattr(os, "getloadavg", lambda: (1.9, 0.0, 0.0))
    assert blas.choose_threads(cores=2) == 1
    monkeypatch.setattr(blas, "available_cores", lambda: 3)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert blas.choose_threads() == 3

    def no_load():
        raise OSError("no load average here")

    monkeypatch.setattr(os, "getloadavg", no_load)
    assert blas.choose_threads(cores=8) == 1  # no load average (Windows): the safe single thread
    assert 1 <= blas.available_cores()

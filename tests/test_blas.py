"""minigan.blas: reading and choosing NumPy's BLAS thread count."""

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

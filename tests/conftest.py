"""Shared fixtures.

``xp_device`` parametrizes a test over the available backends: always ``"cpu"`` (NumPy), and
``"gpu"`` when real CuPy sees a GPU.
"""
import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

import minigan as mg  # noqa: E402

_DEVICES = ["cpu"] + (["gpu"] if mg.backend.cupy_available() else [])


@pytest.fixture(params=_DEVICES)
def device(request):
    """A device name this machine can run: "cpu", and "gpu" with real CuPy."""
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(1234)

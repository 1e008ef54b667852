"""Shared fixtures.

``device`` parametrizes a test over the backends this machine can run: always ``"cpu"``
(NumPy); ``"fakegpu"``, the CuPy stand-in of ``tests/fakegpu.py`` that fails on any silent
host <-> device conversion (installed as the ``"gpu"`` backend for the test, so the fixture's
value is ``"gpu"``); and real ``"gpu"`` when CuPy sees a GPU (marked ``gpu``). A test that
takes ``device`` opts in to all of them: move inputs with ``minigan.backend.asarray(x, device)``
and compare results after ``minigan.backend.as_numpy(out)``.

``fakegpu`` installs the stand-in for one test and yields the :mod:`fakegpu` module (its
``STATS`` counters, ``forbid_host_traffic()``, ``record()``).

The tests marked ``attack`` record their outcomes in :mod:`attacks`; ``MINIGAN_ATTACK_TALLY``
writes them out (:func:`pytest_sessionfinish`).
"""

import json
import os
import signal
import sys

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

# The Ctrl-C tests press Ctrl-C (SIGINT) in this process and in the scripts it starts. A suite
# started as a background job of a shell without job control (``nohup pytest &``) inherits
# SIGINT ignored, and minigan rightly leaves an ignored SIGINT ignored; give the tests Python's
# own handler back (a script started from here then gets the default disposition at exec).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

import minigan as mg

if os.path.dirname(os.path.abspath(__file__)) not in sys.path:  # e.g. --import-mode=importlib
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attacks as _attacks
import fakegpu as _fakegpu

_DEVICES = ["cpu", "fakegpu"] + ([pytest.param("gpu", marks=pytest.mark.gpu)] if mg.backend.cupy_available() else [])


@pytest.fixture
def fakegpu():
    """The CuPy stand-in, registered as minigan's "gpu" backend for this test."""
    _fakegpu.install()
    try:
        yield _fakegpu
    finally:
        _fakegpu.uninstall()


@pytest.fixture(params=_DEVICES)
def device(request):
    """A device name to pass to ``Module.to`` / ``backend.asarray``: "cpu" or "gpu".

    The "fakegpu" parameter runs the test with the stand-in registered as "gpu"; the "gpu"
    parameter (only with real CuPy and a GPU; marked ``gpu``) with CuPy.
    """
    if request.param == "fakegpu":
        request.getfixturevalue("fakegpu")
        return "gpu"
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def pytest_sessionfinish(session, exitstatus):
    """``MINIGAN_ATTACK_TALLY=path.json``: write the attack tests' outcomes per class
    (tests/attacks.py; tools/attack_table.py prints them as a table)."""
    path = os.environ.get("MINIGAN_ATTACK_TALLY")
    if path:
        with open(path, "w") as fh:
            json.dump(
                {
                    "classes": _attacks.CLASSES,
                    "tally": {k: dict(v) for k, v in _attacks.TALLY.items()},
                    "tests": {k: sorted(v) for k, v in _attacks.TESTS.items()},
                },
                fh,
                indent=1,
            )

"""The attack tally: every test that attacks one of the reliability classes below records the
outcome of each attempt here, and ``tools/attack_table.py`` prints the table.

A test marked ``attack`` runs its attempts through :func:`expect_error`, :func:`expect_ok` or
:func:`cli` (or, for a fuzz example, :func:`record`), which sort each outcome into

- ``clear``: the right result, or the promised refusal: the expected exception type (or exit
  status) with a message that names the file, argument, layer or tensor, one line, no traceback;
- ``silent``: no refusal where one was due, or a wrong result;
- ``raw``: any other exception, a message that names nothing, a traceback or exit status 1;
- ``hang``: longer than the attempt's time limit;
- ``data_lost``: a checkpoint or model that the attempt was not allowed to change, changed or
  unloadable afterwards;

and then fail the test unless it was ``clear``. ``MINIGAN_ATTACK_TALLY=path.json`` writes the
counts per class at the end of the session (conftest.py)::

    MINIGAN_ATTACK_TALLY=attacks.json python -m pytest -q -m attack
    python tools/attack_table.py            # both steps, and the table
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import threading
import time

#: The classes of the reliability issue, in its order: key -> what is attacked.
CLASSES = {
    "fifo": "a FIFO, device or folder where a file is read (ImageFolder, safetensors, IDX, checkpoints)",
    "wide_images": "16-bit (and 32-bit int/float) images decoded by their mode, not saturated",
    "class_folders": "class sub-folders that are symlinks or unreadable, never dropped in silence",
    "finite_after_cast": "finite float64 beyond float32's range in a checkpoint or safetensors file",
    "safetensors": "load_safetensors: validated, then applied; bounded; minigan's errors",
    "ctrl_c": "Ctrl-C at any moment of a training script (real SIGINTs)",
    "run_lock": "two writers in one run folder",
    "exit_2": "bad command-line values and foreign --resume: exit 2, one line",
    "silent_values": "values once accepted in silence (--threads, --fast overrides, from_torch)",
    "idx_limit": "IDX decompression bounded by limit",
    "fast_root": "--fast runs in their own folder",
    "direct_forward": "layers used without m(x): forward called directly, backward first",
}
OUTCOMES = ("clear", "silent", "raw", "hang", "data_lost")
TALLY: dict = collections.defaultdict(collections.Counter)
TESTS: dict = collections.defaultdict(set)  # class -> "file::test function" that attacked it
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def record(cls: str, outcome: str) -> None:
    assert cls in CLASSES and outcome in OUTCOMES, (cls, outcome)
    TALLY[cls][outcome] += 1
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0].split("[")[0]
    if test:
        TESTS[cls].add(test)


class AttackFailed(AssertionError):
    pass


def _fail(cls: str, outcome: str, msg: str):
    record(cls, outcome)
    raise AttackFailed(f"[{cls}] {outcome}: {msg}")


def _run_in_thread(fn, timeout: float):
    box: dict = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # sorted by the caller
            box["exc"] = exc

    t = threading.Thread(target=run, daemon=True)
    t0 = time.perf_counter()
    t.start()
    t.join(timeout)
    return (not t.is_alive()), box, time.perf_counter() - t0


def expect_error(cls: str, fn, types, names, timeout: float = 30.0, intact=None):
    """``fn()`` must raise one of ``types`` whose message contains every string of ``names``
    (e.g. the file and the tensor), within ``timeout`` s, and ``intact()`` (if given) must be
    true afterwards. Returns the exception."""
    done, box, _ = _run_in_thread(fn, timeout)
    if not done:
        _fail(cls, "hang", f"{fn} still running after {timeout} s")
    if "exc" not in box:
        _fail(cls, "silent", f"no error; returned {str(box.get('value'))[:200]}")
    exc = box["exc"]
    if not isinstance(exc, types):
        _fail(cls, "raw", f"{type(exc).__name__}: {exc}")
    missing = [n for n in names if n not in str(exc)]
    if missing or "\n" in str(exc):
        _fail(cls, "raw", f"message does not name {missing} (or is not one line): {exc}")
    if intact is not None and not intact():
        _fail(cls, "data_lost", f"after {type(exc).__name__}: {exc}")
    record(cls, "clear")
    return exc


def expect_ok(cls: str, fn, check, timeout: float = 60.0, why: str = ""):
    """``fn()`` must return within ``timeout`` s a value for which ``check(value)`` is true."""
    done, box, _ = _run_in_thread(fn, timeout)
    if not done:
        _fail(cls, "hang", f"{fn} still running after {timeout} s")
    if "exc" in box:
        _fail(cls, "raw", f"{type(box['exc']).__name__}: {box['exc']}")
    if not check(box["value"]):
        _fail(cls, "silent", f"wrong result {why}: {str(box['value'])[:200]}")
    record(cls, "clear")
    return box["value"]


def env(**extra) -> dict:
    """The environment of a script run in a subprocess: this checkout first on the path."""
    e = {k: v for k, v in os.environ.items() if k not in ("MINIGAN_FAST", "MINIGAN_SIGINT_AT")}
    e["PYTHONPATH"] = os.pathsep.join([REPO, os.environ.get("PYTHONPATH", "")])
    e.update({k: str(v) for k, v in extra.items()})
    return e


def cli(cls: str, argv, rc: int, names=(), timeout: float = 120.0, cwd=None, intact=None, extra_env=None):
    """Run ``python argv...`` (a script of this checkout) in a subprocess: it must end within
    ``timeout`` s with exit status ``rc`` and, unless ``rc`` is 0, one last line on stderr naming
    every string of ``names``, no traceback; ``intact()`` must be true afterwards. Returns the
    CompletedProcess."""
    try:
        r = subprocess.run(
            [sys.executable, *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            env=env(**(extra_env or {})),
        )
    except subprocess.TimeoutExpired:
        _fail(cls, "hang", f"{argv} still running after {timeout} s")
    err = r.stderr
    if "Traceback" in err or r.returncode == 1:
        _fail(cls, "raw", f"{argv}: exit {r.returncode}:\n{err[-2000:]}")
    if r.returncode != rc:
        outcome = "silent" if r.returncode == 0 else "raw"
        _fail(cls, outcome, f"{argv}: exit {r.returncode}, expected {rc}:\n{err[-1500:]}")
    if rc != 0:
        last = err.strip().splitlines()[-1] if err.strip() else ""
        missing = [n for n in names if n not in last]
        if missing:
            _fail(cls, "raw", f"{argv}: the last line does not name {missing}: {last!r}")
    if intact is not None and not intact():
        _fail(cls, "data_lost", f"{argv}: exit {r.returncode}; {err.strip().splitlines()[-1:]}")
    record(cls, "clear")
    return r


def main_exit(cls: str, main, argv, rc: int, names, capsys, intact=None):
    """``main(argv)`` in this process (a script's ``main``): it must return, or exit, with status
    ``rc``; unless ``rc`` is 0 its last stderr line must name every string of ``names`` and hold
    ``error``; no exception may escape. Returns stderr."""
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    except BaseException as exc:
        _fail(cls, "raw", f"{argv}: {type(exc).__name__}: {exc}")
    err = capsys.readouterr().err
    if code != rc:
        _fail(cls, "silent" if code == 0 else "raw", f"{argv}: exit {code}, expected {rc}: {err[-800:]}")
    if rc != 0:
        last = err.strip().splitlines()[-1] if err.strip() else ""
        missing = [n for n in names if n not in last]
        if missing or "error" not in last:
            _fail(cls, "raw", f"{argv}: the last line does not name {missing}: {last!r}")
    if intact is not None and not intact():
        _fail(cls, "data_lost", f"{argv}: exit {code}")
    record(cls, "clear")
    return err

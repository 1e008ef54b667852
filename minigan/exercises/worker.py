"""The grading process of some lesson files, started by :mod:`minigan.exercises.sandbox`.

It builds the cases of all its exercises first (before any student code runs), then, file by
file, imports the student's file under a time limit and grades its exercises. It talks to its
parent in JSON lines on a copy of its original standard output; the student's own output
(``print``, and anything written to file descriptor 1) goes to ``/dev/null``. Messages::

    {"event": "ready"}                         the cases are built
    {"event": "file", "path": "/.../lesson05_backprop_gradcheck.py"}
    {"event": "imported"}                      the student's file imported
    {"event": "start", "id": "05.dense_backward"}
    {"event": "checking"}                      the student's code has run (for a FAIL: the grader names the mistake)
    {"event": "result", "result": {...}}       Result.to_dict()

A file that does not import (a syntax error, an exception, ``sys.exit()``, an endless loop at
its top) gives one ERROR result per exercise and no ``imported``. Before each piece of student
code a ``faulthandler`` dump is armed on standard error (a file the parent reads), so that the
student's line is known even if the parent has to kill the process.
"""

from __future__ import annotations

import faulthandler
import importlib.util
import json
import os
import signal
import sys
from types import ModuleType

from . import catalogue
from .grading import cases_of, error_result, exception_text, grade, locate, time_limit

__all__ = ["main", "BOOT", "DUMP_MARGIN"]

#: What the parent runs with ``python -c``: the package's root first on sys.path (instead of the
#: current folder, the student's, whose files must not shadow numpy or minigan), then main().
BOOT = "import sys; sys.path[0] = sys.argv[1]; from minigan.exercises.worker import main; sys.exit(main(sys.argv[2:]))"

#: Seconds after the time limit at which faulthandler dumps the stack (the parent kills later).
DUMP_MARGIN = 1.0


def _send(channel, event: str, **fields) -> None:
    channel.write(json.dumps({"event": event, **fields}) + "\n")
    channel.flush()


def _load(path: str, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _grade_file(channel, path: str, exercises: list, limit: float) -> None:
    _send(channel, "file", path=path)
    if limit > 0:
        faulthandler.dump_traceback_later(limit + DUMP_MARGIN, exit=False, file=sys.stderr)
    try:
        with time_limit(limit):
            module = _load(path, f"minigan_exercises_{os.path.splitext(os.path.basename(path))[0]}")
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the file does not import: every exercise is ERROR
        faulthandler.cancel_dump_traceback_later()
        file, line = locate(exc, [path])
        text = "import failed: " + exception_text(exc)
        for ex in exercises:
            _send(channel, "result", result=error_result(ex, text, file, line).to_dict())
        return
    faulthandler.cancel_dump_traceback_later()
    _send(channel, "imported")
    name = os.path.basename(path)
    for ex in exercises:
        _send(channel, "start", id=ex.id)
        fn = getattr(module, ex.name, None)
        if fn is None:
            result = error_result(ex, f"{name} has no function {ex.name} (renamed or deleted?)")
        else:
            if limit > 0:
                faulthandler.dump_traceback_later(limit + DUMP_MARGIN, exit=False, file=sys.stderr)

            def done() -> None:  # the student's code has run: the rest is the grader's own time
                faulthandler.cancel_dump_traceback_later()
                _send(channel, "checking")

            result = grade(ex, fn, limit=limit if limit > 0 else None, files=[path], on_done=done)
            faulthandler.cancel_dump_traceback_later()
        _send(channel, "result", result=result.to_dict())


def main(argv: list | None = None) -> int:
    """``LIMIT PLAN``: grade ``PLAN``, a JSON list of ``[file, [exercise id, ...]]``, with
    ``LIMIT`` seconds per exercise (and per import)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it kills this process
    limit = float(argv[0])
    plan = [(os.path.abspath(path), [catalogue.get(i) for i in ids]) for path, ids in json.loads(argv[1])]
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)  # the student's prints (and C-level writes) go nowhere
    os.dup2(devnull, 0)  # input() gets EOF
    sys.stdout = open(os.devnull, "w")
    for _, exercises in plan:
        for ex in exercises:
            cases_of(ex)
    for folder in sorted({os.path.dirname(path) for path, _ in plan}):
        sys.path.append(folder)  # last: the student's own helper modules, never shadowing numpy
    _send(channel, "ready")
    for path, exercises in plan:
        _grade_file(channel, path, exercises, limit)
    return 0

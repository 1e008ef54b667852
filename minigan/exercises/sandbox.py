"""Grade a student's lesson files in fresh processes, with a time limit enforced from outside.

One process per lesson file (:mod:`minigan.exercises.worker`): the student's file is imported
there, never here, so a syntax error, ``sys.exit()``, ``os._exit()``, a crash or an endless loop
costs that file's exercises (or one exercise) an ERROR and nothing else. The worker stops an
endless loop itself (``SIGALRM``, with the student's line); if it does not answer
``GRACE`` seconds after the time limit, this side kills it, reads the student's line from its
``faulthandler`` dump, and starts a new process for the exercises that are left.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .grading import Result, error_result
from .model import Exercise
from .worker import BOOT

__all__ = ["grade_files", "GRACE", "STARTUP"]

#: Seconds the parent waits past the time limit before it kills a worker.
GRACE = 2.0
#: Seconds a worker may take to start and build its cases (no student code runs meanwhile).
STARTUP = 300.0

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')


def _reader(stream, out: queue.Queue) -> None:
    for raw in stream:
        try:
            out.put(json.loads(raw))
        except ValueError:
            continue
    out.put(None)  # end of file: the process ended


def _student_line(err_path: str, student: str) -> tuple[str | None, int | None]:
    """The innermost line of the student's file in a faulthandler dump (the most recent call is
    first in each thread's block there), if any."""
    try:
        with open(err_path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return None, None
    target = os.path.realpath(student)
    for m in _FRAME.finditer(text):
        if os.path.realpath(m.group("file")) == target:
            return os.path.basename(student), int(m.group("line"))
    return None, None


def _last_line(err_path: str) -> str:
    try:
        with open(err_path, encoding="utf-8", errors="replace") as f:
            lines = [ln.strip() for ln in f.read().splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1][:200] if lines else ""


def _environment() -> dict:
    env = dict(os.environ)
    env.setdefault("MPLBACKEND", "Agg")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")  # tiny arrays: one BLAS thread per worker
    return env


def _run_worker(path: str, exercises: list[Exercise], limit: float, results: dict) -> None:
    """One worker process for ``exercises`` (all of one file); fills ``results`` for the ones it
    grades or that must be ERROR. Returns when the process is gone."""
    name = os.path.basename(path)
    fd, err_path = tempfile.mkstemp(prefix="minigan-exercises-", suffix=".err")
    os.close(fd)
    try:
        cmd = [sys.executable, "-c", BOOT, _ROOT, path, repr(limit)] + [ex.id for ex in exercises]
        with open(err_path, "w") as err_file:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err_file,
                cwd=os.path.dirname(path),
                env=_environment(),
                text=True,
                encoding="utf-8",
            )
        messages: queue.Queue = queue.Queue()
        threading.Thread(target=_reader, args=(proc.stdout, messages), daemon=True).start()
        phase, current = "starting", None
        deadline = time.monotonic() + STARTUP
        left = {ex.id: ex for ex in exercises}
        while left:
            try:
                msg = messages.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                msg = "timeout"
            if msg == "timeout" or msg is None:
                died = msg is None
                if not died:
                    proc.kill()
                rc = proc.wait()
                file, line = _student_line(err_path, path)
                if phase == "starting":
                    why = _last_line(err_path) or f"exit status {rc}"
                    for ex in list(left.values()):
                        results[ex.id] = error_result(ex, f"the grader could not start: {why}")
                    left.clear()
                elif phase == "importing":
                    text = (
                        f"importing {name} ended the process (status {rc})"
                        if died
                        else f"importing {name} took longer than {limit:g} s (an endless loop?)"
                    )
                    for ex in list(left.values()):
                        results[ex.id] = error_result(ex, text, file or name, line)
                    left.clear()
                elif current is not None:
                    ex = left.pop(current)
                    text = (
                        f"the process exited (status {rc}) in this function"
                        if died
                        else f"took longer than {limit:g} s (an endless loop?)"
                    )
                    results[ex.id] = error_result(ex, text, file or name, line)
                else:  # between two exercises: start again with what is left
                    pass
                return
            event = msg.get("event")
            if event == "ready":
                phase, deadline = "importing", time.monotonic() + limit + GRACE
            elif event == "imported":
                phase, deadline = "grading", time.monotonic() + STARTUP
            elif event == "start":
                current, deadline = msg.get("id"), time.monotonic() + limit + GRACE
            elif event == "result":
                res = Result.from_dict(msg["result"])
                results[res.exercise] = res
                left.pop(res.exercise, None)
                current, deadline = None, time.monotonic() + STARTUP
        proc.wait()
    finally:
        try:
            os.unlink(err_path)
        except OSError:
            pass


def _grade_file(path: str, exercises: list[Exercise], limit: float) -> list[Result]:
    results: dict[str, Result] = {}
    for _ in range(len(exercises) + 1):  # each round grades or fails at least one exercise
        todo = [ex for ex in exercises if ex.id not in results]
        if not todo:
            break
        before = len(results)
        _run_worker(path, todo, limit, results)
        if len(results) == before:  # the worker died between two exercises: give up on the rest
            for ex in todo:
                results.setdefault(ex.id, error_result(ex, "the grading process ended unexpectedly"))
    return [results[ex.id] for ex in exercises]


def grade_files(plan: list[tuple[str, list[Exercise]]], limit: float = 10.0, jobs: int = 1) -> list[Result]:
    """Grade every ``(lesson file, exercises)`` of ``plan``, ``jobs`` files at a time, each in
    fresh processes; ``limit`` seconds per exercise (and for importing the file). Returns the
    results in the order of ``plan``."""
    if jobs <= 1 or len(plan) <= 1:
        graded = [_grade_file(path, exs, limit) for path, exs in plan]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            graded = list(pool.map(lambda item: _grade_file(item[0], item[1], limit), plan))
    return [r for rs in graded for r in rs]

"""Grade a student's lesson files in fresh processes, with a time limit enforced from outside.

``jobs`` worker processes (:mod:`minigan.exercises.worker`), each grading its share of the
lesson files one after the other: a student's file is imported there, never here, so a syntax
error, ``sys.exit()``, ``os._exit()``, a crash or an endless loop costs that file's exercises (or
one exercise) an ERROR and nothing else. The worker builds every case before it imports any
student file, and stops an endless loop itself (``SIGALRM``, with the student's line); if it
does not answer ``GRACE`` seconds after the time limit, this side kills it, reads the student's
line from its ``faulthandler`` dump, and starts a new worker for the exercises that are left.
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

#: Set on Ctrl-C: every worker is killed and no new one starts.
_STOP = threading.Event()
_LIVE: set = set()
_LIVE_LOCK = threading.Lock()

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
    text = text[max(0, text.rfind("Timeout (")) :]  # the latest dump
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


Plan = list[tuple[str, list[Exercise]]]


def _run_worker(plan: Plan, limit: float, results: dict) -> None:
    """One worker process for ``plan`` (lesson files and their exercises, in order); fills
    ``results`` for the exercises it grades or that must be ERROR. Returns when the process is
    gone: all graded, or killed (the caller starts another for what is left)."""
    fd, err_path = tempfile.mkstemp(prefix="minigan-exercises-", suffix=".err")
    os.close(fd)
    proc = None
    try:
        spec = json.dumps([[path, [ex.id for ex in exs]] for path, exs in plan])
        cmd = [sys.executable, "-c", BOOT, _ROOT, repr(limit), spec]
        with open(err_path, "w") as err_file:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err_file,
                cwd=os.path.dirname(plan[0][0]),
                env=_environment(),
                text=True,
                encoding="utf-8",
            )
        with _LIVE_LOCK:
            _LIVE.add(proc)
        if _STOP.is_set():
            proc.kill()
        messages: queue.Queue = queue.Queue()
        threading.Thread(target=_reader, args=(proc.stdout, messages), daemon=True).start()
        by_file = dict(plan)
        phase, path, current = "starting", plan[0][0], None
        deadline = time.monotonic() + STARTUP
        while True:
            try:
                msg = messages.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                msg = "timeout"
            if msg == "timeout" or msg is None:
                _stopped(proc, msg is None, phase, path, current, by_file, limit, err_path, results)
                return
            event = msg.get("event")
            if event == "ready":
                phase, deadline = "between", time.monotonic() + STARTUP
            elif event == "file":
                phase, path, deadline = "importing", msg["path"], time.monotonic() + limit + GRACE
            elif event == "imported":
                phase, deadline = "between", time.monotonic() + STARTUP
            elif event == "start":
                phase, current, deadline = "grading", msg.get("id"), time.monotonic() + limit + GRACE
            elif event == "checking":  # the student's code is done; the grader's own work follows
                deadline = time.monotonic() + STARTUP
            elif event == "result":
                res = Result.from_dict(msg["result"])
                results[res.exercise] = res
                phase, current, deadline = "between", None, time.monotonic() + STARTUP
    finally:
        if proc is not None:
            with _LIVE_LOCK:
                _LIVE.discard(proc)
            if proc.poll() is None:  # Ctrl-C while waiting: never leave a worker behind
                proc.kill()
                proc.wait()
        try:
            os.unlink(err_path)
        except OSError:
            pass


def _stopped(proc, died: bool, phase: str, path: str, current, by_file: dict, limit: float, err_path: str, results):
    """The worker ended early (``died``) or did not answer in time (then it is killed): the
    exercise it was running, or the file it was importing, is ERROR."""
    if not died:
        proc.kill()
    rc = proc.wait()
    name = os.path.basename(path)
    file, line = _student_line(err_path, path)
    if phase == "starting":
        why = _last_line(err_path) or f"exit status {rc}"
        for exs in by_file.values():
            for ex in exs:
                results.setdefault(ex.id, error_result(ex, f"the grader could not start: {why}"))
    elif phase == "importing":
        text = (
            f"importing {name} ended the process (status {rc})"
            if died
            else f"importing {name} took longer than {limit:g} s (an endless loop?)"
        )
        for ex in by_file[path]:
            results.setdefault(ex.id, error_result(ex, text, file or name, line))
    elif phase == "grading" and current is not None:
        ex = next(e for e in by_file[path] if e.id == current)
        text = (
            f"the process exited (status {rc}) in this function"
            if died
            else f"took longer than {limit:g} s (an endless loop?)"
        )
        results[ex.id] = error_result(ex, text, file or name, line)


def _grade_plan(plan: Plan, limit: float) -> dict[str, Result]:
    """Grade ``plan`` in as many workers as it takes (one, unless one is killed or dies)."""
    results: dict[str, Result] = {}
    while not _STOP.is_set():
        left = [(path, [ex for ex in exs if ex.id not in results]) for path, exs in plan]
        left = [(path, exs) for path, exs in left if exs]
        if not left:
            return results
        before = len(results)
        _run_worker(left, limit, results)
        if len(results) == before:  # no progress: the worker died between two exercises
            for _, exs in left:
                for ex in exs:
                    results.setdefault(ex.id, error_result(ex, "the grading process ended unexpectedly"))
    return results


def grade_files(plan: Plan, limit: float = 10.0, jobs: int = 1) -> list[Result]:
    """Grade every ``(lesson file, exercises)`` of ``plan`` in ``jobs`` worker processes (each
    takes every ``jobs``-th file), ``limit`` seconds per exercise (and per import). Returns the
    results in the order of ``plan``. Ctrl-C kills every worker, then raises KeyboardInterrupt."""
    _STOP.clear()
    jobs = max(1, min(jobs, len(plan)))
    shares = [plan[i::jobs] for i in range(jobs)]
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = [pool.submit(_grade_plan, share, limit) for share in shares]
        found = [f.result() for f in futures]
    except BaseException:
        _STOP.set()
        with _LIVE_LOCK:
            for proc in list(_LIVE):
                proc.kill()
        raise
    finally:
        pool.shutdown(wait=True)
    results = {k: v for part in found for k, v in part.items()}
    return [results[ex.id] for _, exs in plan for ex in exs]

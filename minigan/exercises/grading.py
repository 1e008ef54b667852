"""Grade one function against one exercise, in this process: :func:`grade` and its :class:`Result`.

For every case of the exercise (inputs of several shapes, built once per process and before
any student code runs) the function's output is checked for its structure, shape and dtype,
then compared with minigan's own output (relative error ≤ ``exercise.tol``) and, for anything
with a backward pass, with float64 central differences taken with a non-uniform upstream
gradient (≤ ``exercise.grad_tol``). Every case is graded, so the reported error is the largest
one. A wrong answer is then compared with each known-wrong variant (:class:`Mutant`) on the same
inputs: the one it equals names the mistake and gives its hint.

The student's code never breaks the grader: ``NotImplementedError`` is TODO; any other exception,
``sys.exit()`` included, is ERROR with the exception and the student's file and line; and with a
``time_limit`` (the main thread of a POSIX system), an endless loop is stopped by ``SIGALRM``
and is ERROR too. :mod:`minigan.exercises.sandbox` runs this in a fresh process per lesson file,
with a hard time limit from the parent on top.
"""

from __future__ import annotations

import copy
import math
import os
import signal
import sys
import threading
import time
import traceback
import warnings
import zlib
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np

from .compare import Mismatch, describe, pair_outputs, rel_error
from .model import Case, Exercise, Mutant, WrongOutput

__all__ = [
    "Result",
    "ExerciseTimeout",
    "grade",
    "cases_of",
    "time_limit",
    "locate",
    "exception_text",
    "error_result",
    "STATUSES",
    "TODO_HINT",
    "mark_printed",
]

#: The four outcomes, as the JSON output spells them.
STATUSES = ("pass", "fail", "todo", "error")
#: The hint of a TODO. check()'s line ``TODO  NN.name: <hint>`` fits the lessons' 88 columns
#: (a lesson's output is read on the course website) for every exercise id of the catalogue.
TODO_HINT = "not written yet (still raises NotImplementedError)"

_HERE = os.path.dirname(os.path.realpath(__file__))
_SOLUTIONS = os.path.join(_HERE, "solutions")


@dataclass
class Result:
    """The grade of one exercise.

    ``status`` is one of :data:`STATUSES`; ``error`` the largest relative error measured (None
    when nothing could be measured, or it was infinite: a wrong shape); ``hint`` one line that
    says what to fix; ``message`` the details (which output, which case, the exception);
    ``mistake`` the name of the known-wrong variant the answer equals; ``file``/``line`` where
    the student's code raised; ``points`` the points earned of ``max_points``.
    """

    exercise: str
    lesson: str
    title: str
    status: str
    error: float | None = None
    hint: str = ""
    message: str = ""
    points: int = 0
    max_points: int = 0
    mistake: str | None = None
    file: str | None = None
    line: int | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """A JSON-able dict (``error`` is None unless finite)."""
        d = asdict(self)
        if d["error"] is not None and not math.isfinite(d["error"]):
            d["error"] = None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Result:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    def _ipython_display_(self) -> None:
        """In a notebook, a Result that ends a cell shows as its summary line, once: not again
        in the cell where :func:`minigan.exercises.check` has just printed that line."""
        if vars(self).get("_printed_in") != _cell_number():
            print(self.summary())

    @property
    def where(self) -> str:
        """``lesson05_backprop_gradcheck.py, line 42`` (empty when unknown)."""
        if not self.file:
            return ""
        return f"{self.file}, line {self.line}" if self.line else self.file

    def summary(self) -> str:
        """One line: the status, the exercise and what to do (what :func:`minigan.exercises.check` prints)."""
        err = "" if self.error is None else f" (largest rel. error {self.error:.1e})"
        if self.status == "pass":
            return f"PASS  {self.exercise}{err}"
        if self.status == "todo":
            return f"TODO  {self.exercise}: {self.hint}"
        if self.status == "fail":
            return f"FAIL  {self.exercise}{err}: {'known mistake: ' if self.mistake else 'hint: '}{self.hint}"
        return f"ERROR {self.exercise}: {self.message}"


def _cell_number() -> int | None:
    """The number of the notebook cell running now (IPython's execution count), or None
    outside IPython."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return None if shell is None else shell.execution_count


def mark_printed(result: Result) -> None:
    """Note that ``result``'s summary was printed in the current notebook cell (see
    :meth:`Result._ipython_display_`); outside IPython this does nothing."""
    number = _cell_number()
    if number is not None:
        vars(result)["_printed_in"] = number


class ExerciseTimeout(BaseException):
    """Raised by :func:`time_limit` in the code it watches. A BaseException, so that the
    student's ``except Exception`` does not swallow it."""


@contextmanager
def time_limit(seconds: float | None):
    """Raise :class:`ExerciseTimeout` in the watched code after ``seconds`` (``SIGALRM``: only in
    the main thread of a POSIX system; elsewhere, and for None or 0, nothing is watched)."""
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and hasattr(signal, "SIGALRM")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def ring(signum, frame):
        raise ExerciseTimeout(f"took longer than {seconds:g} s (an endless loop?)")

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))  # type: ignore[arg-type]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, old)


@contextmanager
def _quiet():
    """No NumPy floating-point warnings and no Python warnings from the graded code (a grader
    calls it many times; an overflow is judged by its result)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


_CASES: dict[str, list[Case]] = {}
_MUTANT_OUTPUTS: dict[tuple[str, str], list | None] = {}


def cases_of(ex: Exercise) -> list[Case]:
    """The exercise's cases, built once per process from a seed of the exercise's own."""
    if ex.id not in _CASES:
        rng = np.random.default_rng(zlib.crc32(ex.id.encode()))
        with _quiet():
            _CASES[ex.id] = list(ex.cases(rng))
    return _CASES[ex.id]


def _call(ex: Exercise, fn, case: Case):
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    if ex.run is not None:
        return ex.run(fn, *args, **kwargs)
    return fn(*args, **kwargs)


def _measure(ex: Exercise, got, case: Case) -> tuple[float, str | None]:
    """The largest error of one case and a message for the first problem (None if it passes)."""
    try:
        pairs = pair_outputs(got, case.expected, ex.outputs)
    except Mismatch as exc:
        return math.inf, f"{exc} (case {case.label})"
    worst, problem = 0.0, None
    for i, (name, g, w) in enumerate(pairs):
        if isinstance(w, int):
            err = 0.0 if g == w else math.inf
            if err and problem is None:
                problem = f"{name} is {g}, expected {w} (case {case.label})"
        else:
            err = ex.compare(g, w) if ex.compare is not None and isinstance(w, np.ndarray) else rel_error(g, w)
            if not err <= ex.tol and problem is None:
                problem = f"{name}: rel. error {err:.1e} against minigan (case {case.label})"
        worst = max(worst, err)
        if i in case.numeric:
            gerr = rel_error(g, case.numeric[i])
            worst = max(worst, gerr)
            if not gerr <= ex.grad_tol and problem is None:
                problem = f"{name}: rel. error {gerr:.1e} against central differences (case {case.label})"
    return worst, problem


def _same(ex: Exercise, got, other) -> bool:
    """Whether the student's output equals a mutant's on one case."""
    try:
        pairs = pair_outputs(got, other, ex.outputs)
    except Mismatch:
        return False
    for _, g, w in pairs:
        if isinstance(w, int):
            if g != w:
                return False
        else:
            err = ex.compare(g, w) if ex.compare is not None and isinstance(w, np.ndarray) else rel_error(g, w)
            if not err <= ex.tol:
                return False
    return True


def _mutant_outputs(ex: Exercise, m: Mutant) -> list | None:
    key = (ex.id, m.name)
    if key not in _MUTANT_OUTPUTS:
        try:
            with _quiet():
                _MUTANT_OUTPUTS[key] = [_call(ex, m.fn, case) for case in cases_of(ex)]
        except Exception:  # a variant that cannot run on some case names no mistake
            _MUTANT_OUTPUTS[key] = None
    return _MUTANT_OUTPUTS[key]


def _known_mistake(ex: Exercise, outputs: list) -> Mutant | None:
    for m in ex.mutants:
        theirs = _mutant_outputs(ex, m)
        if theirs is not None and all(g is not None and _same(ex, g, t) for g, t in zip(outputs, theirs)):
            return m
    return None


def locate(exc: BaseException, files: Iterable[str]) -> tuple[str | None, int | None]:
    """The student's file and line in the exception's traceback: the innermost frame in one of
    ``files``, else the innermost frame outside the grader."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return os.path.basename(exc.filename), exc.lineno
    wanted = {os.path.realpath(f) for f in files if f}
    frames = traceback.extract_tb(exc.__traceback__)
    for fr in reversed(frames):
        if os.path.realpath(fr.filename) in wanted:
            return os.path.basename(fr.filename), fr.lineno
    for fr in reversed(frames):
        path = os.path.realpath(fr.filename)
        if not path.startswith(_HERE + os.sep) or path.startswith(_SOLUTIONS + os.sep):
            if os.path.basename(path) not in ("contextlib.py", "copy.py"):
                return os.path.basename(fr.filename), fr.lineno
    return None, None


def exception_text(exc: BaseException) -> str:
    """One line for a student's exception: ``ValueError: shapes (3,4) and (5,) not aligned``."""
    if isinstance(exc, SystemExit):
        return f"the code called sys.exit({'' if exc.code is None else repr(exc.code)})"
    if isinstance(exc, ExerciseTimeout):
        return str(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def error_result(ex: Exercise, text: str, file=None, line=None, seconds: float = 0.0) -> Result:
    """An ERROR result; its message starts with ``file, line N:`` when they are known (so that
    a line cut to a terminal's width keeps them)."""
    where = f"{file}, line {line}: " if file and line else (f"{file}: " if file else "")
    return Result(
        ex.id,
        ex.lesson,
        ex.title,
        "error",
        hint="fix the exception at the file and line of the message",
        message=where + text,
        max_points=ex.points,
        file=file,
        line=line,
        seconds=seconds,
    )


def grade(
    ex: Exercise, fn, *, limit: float | None = None, files: Iterable[str] = (), on_done: Callable | None = None
) -> Result:
    """Grade ``fn`` as exercise ``ex`` in this process and return its :class:`Result`.

    Parameters
    ----------
    ex : Exercise
    fn : callable
        The student's function (anything else is ERROR).
    limit : float, optional
        Seconds the exercise may take (see :func:`time_limit`); None: no limit.
    files : iterable of str
        The student's source files, to name the line an exception comes from (``fn``'s own
        file is always one).
    on_done : callable, optional
        Called without arguments once the student's code has run (what follows, naming the
        known mistake, is the grader's own work).
    """
    t0 = time.perf_counter()
    if not callable(fn):
        return error_result(ex, f"{ex.name} must be a function, got {describe(fn)}")
    files = list(files)
    code = getattr(fn, "__code__", None)
    if code is not None:
        files.append(code.co_filename)
    cases = cases_of(ex)  # before any student code runs
    outputs: list[Any] = []
    worst, problem = 0.0, None
    try:
        with time_limit(limit), _quiet():
            for case in cases:
                try:
                    got = _call(ex, fn, case)
                except WrongOutput as exc:
                    outputs.append(None)
                    worst = math.inf
                    problem = problem or f"{exc} (case {case.label})"
                    continue
                outputs.append(got)
                err, msg = _measure(ex, got, case)
                worst = max(worst, err)
                problem = problem or msg
    except NotImplementedError:
        return Result(ex.id, ex.lesson, ex.title, "todo", hint=TODO_HINT, max_points=ex.points)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the student's exception, sys.exit() or an endless loop
        file, line = locate(exc, files)
        return error_result(ex, exception_text(exc), file, line, time.perf_counter() - t0)
    if on_done is not None:
        on_done()
    seconds = time.perf_counter() - t0
    error = worst if math.isfinite(worst) else None
    if problem is None:
        return Result(
            ex.id, ex.lesson, ex.title, "pass", error, points=ex.points, max_points=ex.points, seconds=seconds
        )
    mistake = _known_mistake(ex, outputs)
    return Result(
        ex.id,
        ex.lesson,
        ex.title,
        "fail",
        error,
        hint=mistake.hint if mistake else ex.hint,
        message=problem,
        max_points=ex.points,
        mistake=mistake.name if mistake else None,
        seconds=seconds,
    )

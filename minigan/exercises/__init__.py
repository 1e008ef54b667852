"""Exercises that students write and minigan grades.

Every lesson shows finished code; the exercises turn the course documents' equations into
functions a student writes. Each exercise is ONE function (``"05.dense_backward"`` is
``dense_backward`` of lesson 05), given as a stub: its signature and a docstring with the
equation in Unicode, the shapes and the document section, then ``# YOUR CODE HERE`` and
``raise NotImplementedError``. minigan grades it against its own implementation (its layers,
losses, optimizers, im2col, frechet_distance, ...) on inputs of several shapes, against float64
central differences with a non-uniform upstream gradient for anything with a backward pass,
and against known-wrong variants, whose hint says which mistake an answer makes. Any answer
1 % off fails.

A student's workflow, on the command line::

    minigan-exercises list                  # the exercises: lesson, id, section, points
    minigan-exercises new ex/               # ex/lesson01_perceptron.py, ... with the stubs
    minigan-exercises grade ex/ -k 05       # PASS / FAIL (hint) / TODO / ERROR, exit 0 if all pass
    minigan-exercises grade ex/ --json      # for an autograder (GitHub Classroom, an LMS)

(``python -m minigan.exercises ...`` is the same command.) Grading imports each lesson file in
a fresh process with a time limit per exercise (``--time-limit``, 10 s): an exception, a syntax
error, ``sys.exit()`` or an endless loop is that exercise's ERROR, with the file and line.
Instructors write the reference answers with ``minigan-exercises new DIR --solutions``; they
live in :mod:`minigan.exercises.solutions`.

In a notebook (the lessons' "Your turn" cells)::

    from minigan.exercises import check, stub_source

    print(stub_source("05.dense_backward"))     # the stub to paste into a cell
    def dense_backward(dout, x, W):
        ...
    check("05.dense_backward", dense_backward)  # prints one line; returns the Result

``check`` never raises for the student's code: a stub that still raises NotImplementedError is
TODO, any other exception is one ERROR line naming it, so a lesson still runs top to bottom
with its exercises unanswered. ``stub_source("05")`` gives lesson 05's whole file (the imports
and every stub), as ``minigan-exercises new`` writes it, so that a lesson's cells can be
generated from it or checked against it; ``solution_source`` gives the answers.

The modules: :mod:`~minigan.exercises.model` (what an exercise is), :mod:`~.catalogue` (all of
them), :mod:`~.specs` (the graders of each lesson), :mod:`~.solutions` (the answers),
:mod:`~.grading` (grading in this process), :mod:`~.sandbox` and :mod:`~.worker` (grading in
fresh processes), :mod:`~.stubs` (source text), :mod:`~.cli` (the command). This package is in
the top "applications" layer (docs/architecture.md §2): it imports the engine, the metrics and
the gradient check, and nothing imports it.
"""

from __future__ import annotations

from .catalogue import CATALOGUE, exercises, get, lessons, select
from .cli import main
from .grading import Result, grade, mark_printed
from .model import LESSONS, Exercise, lesson_file
from .stubs import exercise_solution, exercise_stub, lesson_source

__all__ = [
    "check",
    "stub_source",
    "solution_source",
    "grade",
    "Result",
    "Exercise",
    "CATALOGUE",
    "LESSONS",
    "exercises",
    "get",
    "lessons",
    "select",
    "lesson_file",
    "main",
]

#: Seconds :func:`check` gives a function before it stops it (an endless loop).
CHECK_TIME_LIMIT = 10.0


def check(exercise_id: str, obj, *, time_limit: float | None = CHECK_TIME_LIMIT, quiet: bool = False) -> Result:
    """Grade ``obj`` as exercise ``exercise_id`` here, print one line and return the Result.

    The line is ``PASS``, ``FAIL`` with the hint (the known mistake the answer makes, when it
    makes one), ``TODO`` while ``obj`` still raises NotImplementedError, or ``ERROR`` naming
    the exception and its line. It never raises for what ``obj`` does: exceptions,
    ``sys.exit()`` and (in the main thread of a POSIX system) a run longer than
    ``time_limit`` seconds are reported. An unknown ``exercise_id`` is a ValueError naming the
    closest ids. In a notebook, a cell that ends with ``check(...)`` shows the line once (the
    Result it returns does not repeat it).

    Parameters
    ----------
    exercise_id : str
        ``"NN.name"``, e.g. ``"05.dense_backward"`` (``minigan-exercises list``).
    obj : callable
        The student's function.
    time_limit : float or None
        Seconds allowed (default 10); None: no limit.
    quiet : bool
        Do not print the line.
    """
    result = grade(get(exercise_id), obj, limit=time_limit)
    if not quiet:
        print(result.summary())
        mark_printed(result)  # a notebook cell that ends with check(...) shows the line once
    return result


def stub_source(what: str) -> str:
    """The stub(s) as source text: ``"05"`` gives lesson 05's whole file (a header, the imports
    and every stub, as ``minigan-exercises new`` writes it); ``"05.dense_backward"`` one stub."""
    if "." in str(what):
        return exercise_stub(get(what))
    return lesson_source(what)


def solution_source(what: str) -> str:
    """The reference answer(s) as source text: ``"05"`` a lesson's file of answers,
    ``"05.dense_backward"`` one function."""
    if "." in str(what):
        return exercise_solution(get(what))
    return lesson_source(what, solutions=True)

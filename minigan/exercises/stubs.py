"""Stubs and answers as source text, cut from the reference solutions.

A stub is the solution's ``def`` line(s) and docstring followed by ``# YOUR CODE HERE`` and
``raise NotImplementedError``: stub and solution cannot disagree on the signature. A lesson's
file (what ``minigan-exercises new`` writes) is a header that says how to grade it, the
solution module's top-level imports, then the lesson's stubs (or, with ``solutions=True``, every
function of the solution module, helpers included).
"""

from __future__ import annotations

import ast
import inspect
from types import ModuleType

from . import catalogue
from .model import LESSONS, Exercise
from .solutions import (
    lesson01,
    lesson02,
    lesson03,
    lesson04,
    lesson05,
    lesson06,
    lesson07,
    lesson08,
    lesson09,
    lesson10,
    lesson11,
    lesson12,
    lesson13,
    lesson14,
    lesson16,
)

__all__ = [
    "SOLUTION_MODULES",
    "exercise_stub",
    "exercise_solution",
    "lesson_imports",
    "lesson_source",
    "STUB_MARK",
    "MAX_LINE",
]

#: lesson → its module of reference answers.
SOLUTION_MODULES: dict[str, ModuleType] = {
    m.__name__.rsplit("lesson", 1)[1]: m
    for m in (
        lesson01,
        lesson02,
        lesson03,
        lesson04,
        lesson05,
        lesson06,
        lesson07,
        lesson08,
        lesson09,
        lesson10,
        lesson11,
        lesson12,
        lesson13,
        lesson14,
        lesson16,
    )
}

#: The line a stub's body starts with.
STUB_MARK = "# YOUR CODE HERE"

_STUDENT_HEADER = '''"""Lesson {lesson} ({name}): your answers to minigan's exercises.

Write the body of each function where it says ``# YOUR CODE HERE`` and delete the line
``raise NotImplementedError``. Each docstring gives the equation, the shapes and the
document section it comes from. Use NumPy, in float64. Grade your answers from this
folder:

    minigan-exercises grade . -k {lesson}

(or ``python -m minigan.exercises grade . -k {lesson}``): PASS, FAIL with a hint, TODO
or ERROR.
"""
'''

_SOLUTION_HEADER = '''"""Lesson {lesson} ({name}): the reference answers (for instructors).

The answers to minigan's exercises. Grade them like a student's file:
``minigan-exercises grade . -k {lesson}``.
"""
'''

#: The widest line of a stub or an answer file: they become lesson cells (lessons/ruff.toml).
MAX_LINE = 88


def _parsed(lesson: str) -> tuple[str, ast.Module]:
    source = inspect.getsource(SOLUTION_MODULES[lesson])
    return source, ast.parse(source)


def _function_node(tree: ast.Module, name: str) -> ast.FunctionDef:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise ValueError(f"the solution module has no function {name!r}")


def _stub_of(source: str, node: ast.FunctionDef) -> str:
    lines = source.splitlines()
    doc = node.body[0]
    if not (isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant) and isinstance(doc.value.value, str)):
        raise ValueError(f"the solution {node.name!r} has no docstring")
    end = doc.end_lineno if doc.end_lineno is not None else doc.lineno
    indent = " " * doc.col_offset
    kept = lines[node.lineno - 1 : end]
    return "\n".join(kept + [indent + STUB_MARK, indent + "raise NotImplementedError"]) + "\n"


def exercise_stub(ex: Exercise) -> str:
    """The stub of one exercise: its signature and docstring, then ``raise NotImplementedError``."""
    source, tree = _parsed(ex.lesson)
    return _stub_of(source, _function_node(tree, ex.name))


def exercise_solution(ex: Exercise) -> str:
    """The reference answer of one exercise, as source text."""
    source, tree = _parsed(ex.lesson)
    return (ast.get_source_segment(source, _function_node(tree, ex.name)) or "") + "\n"


def lesson_imports(lesson: str) -> list[str]:
    """The import statements that lesson ``lesson``'s stubs need (the top-level imports of its
    module of answers, ``from __future__`` left out), one string each, in the module's order."""
    source, tree = _parsed(catalogue.normalize_lesson(lesson))
    return [
        ast.get_source_segment(source, node) or ""
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
    ]


def lesson_source(lesson: str, solutions: bool = False) -> str:
    """The text of lesson ``lesson``'s file in a student's workspace: the stubs (or the answers)."""
    lesson = catalogue.normalize_lesson(lesson)
    source, tree = _parsed(lesson)
    header = (_SOLUTION_HEADER if solutions else _STUDENT_HEADER).format(lesson=lesson, name=LESSONS[lesson])
    imports = lesson_imports(lesson)
    if solutions:
        bodies = [
            (ast.get_source_segment(source, node) or "") + "\n"
            for node in tree.body
            if isinstance(node, ast.FunctionDef)
        ]
    else:
        bodies = [_stub_of(source, _function_node(tree, ex.name)) for ex in catalogue.exercises(lesson)]
    parts = [header, "\n".join(imports) + "\n"] if imports else [header]
    return "\n".join(parts) + "\n\n" + "\n\n".join(bodies)

"""The catalogue: every exercise of every lesson, by id, in lesson order.

``get("05.dense_backward")`` gives one :class:`~minigan.exercises.model.Exercise`;
``exercises()`` all of them (or one lesson's); ``select(["05", "batchnorm"])`` those whose id
contains one of the patterns.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from .model import Exercise
from .specs import (
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

__all__ = ["CATALOGUE", "exercises", "get", "lessons", "select", "normalize_lesson"]


def _collect() -> dict[str, Exercise]:
    found: dict[str, Exercise] = {}
    for module in (
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
    ):
        for ex in module.EXERCISES:
            if ex.id in found:
                raise ValueError(f"minigan.exercises: two exercises are named {ex.id!r}")
            found[ex.id] = ex
    return found


#: id → Exercise, in lesson order.
CATALOGUE: dict[str, Exercise] = _collect()


def exercises(lesson: str | None = None) -> list[Exercise]:
    """Every exercise, or those of ``lesson`` (``"05"``), in catalogue order."""
    if lesson is None:
        return list(CATALOGUE.values())
    lesson = normalize_lesson(lesson)
    return [ex for ex in CATALOGUE.values() if ex.lesson == lesson]


def lessons() -> list[str]:
    """The lessons that have exercises, in order (``["01", "02", ...]``)."""
    return sorted({ex.lesson for ex in CATALOGUE.values()})


def normalize_lesson(lesson) -> str:
    """``5``, ``"5"`` or ``"05"`` → ``"05"``; ValueError for a lesson without exercises."""
    text = str(lesson).strip()
    if text.isdigit():
        text = f"{int(text):02d}"
    if text not in lessons():
        raise ValueError(f"no exercises for lesson {lesson!r}; lessons with exercises: {', '.join(lessons())}")
    return text


def get(exercise_id: str) -> Exercise:
    """The exercise ``"NN.name"``; ValueError naming the closest ids for an unknown one."""
    ex = CATALOGUE.get(exercise_id)
    if ex is None:
        close = difflib.get_close_matches(str(exercise_id), list(CATALOGUE), n=3)
        more = f"; did you mean {', '.join(close)}?" if close else "; `minigan-exercises list` lists them"
        raise ValueError(f"no exercise {exercise_id!r}{more}")
    return ex


def select(patterns: Iterable[str] | None = None) -> list[Exercise]:
    """The exercises whose id contains one of ``patterns`` (case-insensitive); all for None."""
    pats = [p.lower() for p in patterns or []]
    return [ex for ex in CATALOGUE.values() if not pats or any(p in ex.id.lower() for p in pats)]

"""What an exercise is: :class:`Exercise`, its :class:`Case` inputs and its :class:`Mutant` mistakes.

An exercise is ONE function a student writes (``"05.dense_backward"`` is the function
``dense_backward`` of the student's lesson-05 file). Its grader is data: a function that builds
:class:`Case` inputs together with what minigan's own implementation returns for them (and, for
anything with a backward pass, float64 central-difference gradients), and the known-wrong
variants (:class:`Mutant`) whose outputs name a student's mistake. :mod:`minigan.exercises.grading`
runs them; the specs of every lesson are in :mod:`minigan.exercises.specs`.

The lessons' numbers and names (:data:`LESSONS`) give the files of a student's workspace:
``lesson05_backprop_gradcheck.py`` holds lesson 05's exercises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["LESSONS", "lesson_file", "Case", "Mutant", "Exercise", "WrongOutput"]

#: The course's lessons, number → name (the file ``lessons/NN_name.py``).
LESSONS = {
    "01": "perceptron",
    "02": "mlp",
    "03": "cost_functions",
    "04": "optimizers",
    "05": "backprop_gradcheck",
    "06": "init_regularization",
    "07": "batchnorm",
    "08": "convolution",
    "09": "transposed_convolution",
    "10": "cnn_classifier",
    "11": "augmentation_cifar_cnn",
    "12": "rnn",
    "13": "language_models",
    "14": "gans",
    "15": "dcgan",
    "16": "evaluating_gans",
    "17": "gan_training_loops",
    "18": "conditional_gan",
    "19": "xray_dcgan64",
}


def lesson_file(lesson: str) -> str:
    """The name of lesson ``lesson``'s file in a student's workspace: ``lesson05_backprop_gradcheck.py``."""
    return f"lesson{lesson}_{LESSONS[lesson]}.py"


class WrongOutput(Exception):
    """Raised by an exercise's ``run`` hook when the student's function returned something of the
    wrong kind (not a tuple, an array of the wrong shape, ...): the grade is FAIL, with this
    message, not ERROR."""


@dataclass
class Case:
    """One input of an exercise and what minigan returns for it.

    ``args``/``kwargs`` are passed (deep-copied) to the student's function, or to the
    exercise's ``run`` hook. ``expected`` has the structure of the function's return value (a
    tuple of outputs, lists, arrays, floats, ints); ``numeric`` maps the index of an output in
    the flattened ``expected`` to its float64 central-difference gradient.
    """

    label: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    expected: Any = None
    numeric: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Mutant:
    """A known-wrong implementation: a mistake students really make, and the hint that fixes it."""

    name: str
    fn: Callable
    hint: str


@dataclass(frozen=True)
class Exercise:
    """One exercise of the catalogue.

    Parameters
    ----------
    id : str
        ``"NN.name"``: the lesson and the function's name.
    title : str
        One line, what the student writes.
    section : str
        The document section the equation comes from, e.g. ``"document 001 §2.9"``.
    points : int
    solution : callable
        The reference answer (in :mod:`minigan.exercises.solutions`); its signature and
        docstring are the stub.
    cases : callable
        ``cases(rng) -> list[Case]``: inputs of several shapes and minigan's outputs for them.
    mutants : tuple of Mutant
        At least two known-wrong variants.
    hint : str
        The hint for a wrong answer that matches no mutant.
    outputs : tuple of str
        Names of the top-level outputs, for messages (``("dx", "dW", "db")``).
    run : callable, optional
        ``run(fn, *args, **kwargs) -> output``: how a case calls the function (a trajectory of
        optimizer steps, a gradient of a closure); default ``fn(*args, **kwargs)``.
    compare : callable, optional
        ``compare(got, want) -> error`` for one array (default: the relative error).
    tol, grad_tol : float
        Largest error accepted against minigan's outputs and against the central differences.
    """

    id: str
    title: str
    section: str
    points: int
    solution: Callable
    cases: Callable
    mutants: tuple
    hint: str
    outputs: tuple = ("output",)
    run: Callable | None = None
    compare: Callable | None = None
    tol: float = 1e-6
    grad_tol: float = 1e-5

    @property
    def lesson(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def name(self) -> str:
        """The function's name in the student's file."""
        return self.id.split(".", 1)[1]

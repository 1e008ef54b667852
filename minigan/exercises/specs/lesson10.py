"""Graders of lesson 10: a convolutional layer's parameter count (LeNet-5's table)."""

from __future__ import annotations

from ...nn.conv import Conv2D
from ..model import Case, Exercise, Mutant
from ..solutions import lesson10 as sol

#: (c_in, c_out, kh, kw, bias): LeNet-5's convolutions, then others
LAYERS = [(1, 6, 5, 5, True), (6, 16, 5, 5, True), (16, 120, 5, 5, True), (3, 8, 3, 3, False), (2, 4, 1, 3, True)]


def _run(fn, layers):
    return [fn(*t) for t in layers]


def _cases(rng):
    counts = [
        sum(p.data.size for p in Conv2D(ci, co, (kh, kw), bias=b, rng=0).parameters()) for ci, co, kh, kw, b in LAYERS
    ]
    return [Case("(c_in, c_out, kh, kw, bias) = " + ", ".join(map(str, LAYERS)), (LAYERS,), {}, counts)]


EXERCISES = [
    Exercise(
        "10.conv_param_count",
        "the number of parameters of a convolutional layer",
        "document 001 §3.4",
        1,
        sol.conv_param_count,
        _cases,
        (
            Mutant("no bias", lambda c_in, c_out, kh, kw, bias=True: c_out * kh * kw * c_in, "add one bias per filter"),
            Mutant(
                "no c_in",
                lambda c_in, c_out, kh, kw, bias=True: c_out * (kh * kw + (1 if bias else 0)),
                "each filter spans every input channel: kh·kw·c_in weights",
            ),
        ),
        "c_out · (kh·kw·c_in + 1), without the + 1 when bias is False",
        outputs=("counts",),
        run=_run,
    ),
]

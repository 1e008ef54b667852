"""Graders of lesson 11: shifting and flipping images (data augmentation)."""

from __future__ import annotations

import numpy as np

from ...nn.conv import Conv2D
from ..model import Case, Exercise, Mutant
from ..solutions import lesson11 as sol
from .common import normal


def _shift_by_convolution(x, dy, dx, fill):
    """minigan's own shift: a convolution with a one-hot kernel (lesson 11), on x − fill."""
    C = x.shape[1]
    r = max(abs(dy), abs(dx))
    conv = Conv2D(C, C, 2 * r + 1, padding=r, bias=False, dtype=np.float64, rng=0)
    conv.W.data[...] = 0.0
    for c in range(C):
        conv.W.data[c, c, r - dy, r - dx] = 1.0
    return np.ascontiguousarray(conv(x - fill)) + fill


def _shift_cases(rng):
    cases = []
    for shape, dy, dx, fill in [((2, 1, 6, 6), 2, -1, -1.0), ((1, 3, 5, 7), -1, 2, 0.5), ((2, 2, 4, 4), 0, -3, -1.0)]:
        x = normal(rng, *shape)
        label = f"x {shape}, (dy, dx) = ({dy}, {dx}), fill {fill}"
        cases.append(Case(label, (x, dy, dx), {"fill": fill}, _shift_by_convolution(x, dy, dx, fill)))
    return cases


def _hflip_cases(rng):
    return [Case(f"x {s}", (normal(rng, *s),), {}, None) for s in [(2, 1, 4, 5), (1, 3, 3, 3)]]


def _with_expected(cases_fn, reference):
    """Cases whose expected output is the reference answer (minigan has no flip of its own)."""

    def cases(rng):
        out = cases_fn(rng)
        for c in out:
            c.expected = reference(*c.args, **c.kwargs)
        return out

    return cases


EXERCISES = [
    Exercise(
        "11.shift",
        "shift images by (dy, dx), filling with the background",
        "document 003 ch. 1",
        1,
        sol.shift,
        _shift_cases,
        (
            Mutant(
                "wraps around",
                lambda x, dy, dx, fill=-1.0: np.roll(x, (dy, dx), axis=(2, 3)),
                "nothing wraps around: what comes in is fill",
            ),
            Mutant(
                "reversed",
                lambda x, dy, dx, fill=-1.0: sol.shift(x, -dy, -dx, fill),
                "dy > 0 moves the image DOWN: out[i] = x[i − dy]",
            ),
            Mutant(
                "fills with 0",
                lambda x, dy, dx, fill=-1.0: sol.shift(x, dy, dx, 0.0),
                "fill with the fill argument (−1 is the digits' background), not 0",
            ),
        ),
        "out[:, :, i, j] = x[:, :, i − dy, j − dx] where inside, fill elsewhere",
    ),
    Exercise(
        "11.hflip",
        "flip images left to right",
        "document 003 ch. 1",
        1,
        sol.hflip,
        _with_expected(_hflip_cases, sol.hflip),
        (
            Mutant("upside down", lambda x: x[:, :, ::-1, :].copy(), "flip left–right: reverse the last axis (W)"),
            Mutant("both axes", lambda x: x[:, :, ::-1, ::-1].copy(), "only the columns are reversed, not the rows"),
        ),
        "out[:, :, i, j] = x[:, :, i, W − 1 − j]",
    ),
]

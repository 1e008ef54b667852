"""Graders of lesson 09: the transposed convolution's output size and forward pass."""

from __future__ import annotations

import numpy as np

from ...nn.conv import Conv2DTranspose
from ...nn.im2col import conv_transpose_output_size
from ..model import Case, Exercise, Mutant
from ..solutions import lesson08
from ..solutions import lesson09 as sol
from .common import normal, set_params

#: (n, f, s, p, output_padding)
SIZES = [(3, 3, 1, 0, 0), (7, 4, 2, 1, 0), (4, 5, 2, 2, 1), (14, 4, 2, 1, 0), (5, 3, 3, 0, 2), (1, 4, 1, 0, 0)]


def _run_sizes(fn, tuples):
    return [fn(*t) for t in tuples]


def _size_cases(rng):
    expected = [conv_transpose_output_size(*t) for t in SIZES]
    return [Case("(n, f, s, p, output_padding) = " + ", ".join(map(str, SIZES)), (SIZES,), {}, expected)]


#: (N, C_in, H, W, C_out, k, stride, padding)
TRANSPOSED = [(2, 3, 3, 3, 2, 3, 1, 0), (1, 2, 4, 3, 3, 4, 2, 1), (2, 2, 3, 4, 1, 3, 2, 0), (1, 1, 5, 5, 2, 2, 2, 0)]


def _cases(rng):
    cases = []
    for N, C_in, H, W, C_out, k, s, p in TRANSPOSED:
        x, Wt, b = normal(rng, N, C_in, H, W), normal(rng, C_in, C_out, k, k, scale=0.5), normal(rng, C_out)
        layer = Conv2DTranspose(C_in, C_out, k, stride=s, padding=p, dtype=np.float64, rng=0)
        set_params(layer, W=Wt, b=b)
        label = f"x ({N}, {C_in}, {H}, {W}), W ({C_in}, {C_out}, {k}, {k}), stride {s}, padding {p}"
        cases.append(Case(label, (x, Wt, b), {"stride": s, "padding": p}, np.ascontiguousarray(layer(x))))
    return cases


def _flipped(x, W, b, stride=1, padding=0):
    return sol.conv_transpose_forward(x, W[:, :, ::-1, ::-1].copy(), b, stride, padding)


def _no_bias(x, W, b, stride=1, padding=0):
    return sol.conv_transpose_forward(x, W, np.zeros_like(b), stride, padding)


def _cropped_at_end(x, W, b, stride=1, padding=0):
    N, C_in, H, Wd = x.shape
    _, C_out, kh, kw = W.shape
    OH, OW = (H - 1) * stride - 2 * padding + kh, (Wd - 1) * stride - 2 * padding + kw
    full = (H - 1) * stride + kh, (Wd - 1) * stride + kw
    cols = x.transpose(0, 2, 3, 1).reshape(-1, C_in) @ W.transpose(0, 2, 3, 1).reshape(C_in, -1)
    Y = lesson08.col2im(cols, (N, C_out) + full, kh, kw, stride, 0)[:, :, :OH, :OW]
    return Y + b[None, :, None, None]


EXERCISES = [
    Exercise(
        "09.conv_transpose_output_size",
        "the output length of a transposed convolution",
        "document 001 §3.3",
        1,
        sol.conv_transpose_output_size,
        _size_cases,
        (
            Mutant(
                "n·s",
                lambda n, f, s=1, p=0, output_padding=0: n * s,
                "(n − 1)·s − 2p + f + output_padding; n·s is Keras's 'same'",
            ),
            Mutant(
                "document's case",
                lambda n, f, s=1, p=0, output_padding=0: n + f - 1,
                "n + f − 1 is the case s = 1, p = 0 of document 001: include s and p",
            ),
            Mutant(
                "p once",
                lambda n, f, s=1, p=0, output_padding=0: (n - 1) * s - p + f + output_padding,
                "p is cropped from both sides: − 2p",
            ),
        ),
        "(n − 1)·s − 2p + f + output_padding",
        outputs=("sizes",),
        run=_run_sizes,
    ),
    Exercise(
        "09.conv_transpose_forward",
        "the transposed convolution as a convolution's backward pass",
        "document 003 ch. 1",
        2,
        sol.conv_transpose_forward,
        _cases,
        (
            Mutant("flipped kernel", _flipped, "use W as it is (the convolution's filters), not rotated by 180°"),
            Mutant("no bias", _no_bias, "add the bias b of every output channel"),
            Mutant("cropped at the end", _cropped_at_end, "crop p from each side (give col2im padding=p)"),
        ),
        "cols = x₂ · W_mat (channels last), Y = col2im(cols, ...) + b",
        outputs=("Y",),
    ),
]

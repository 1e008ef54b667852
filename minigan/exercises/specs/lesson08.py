"""Graders of lesson 08: the convolution's output size, im2col and col2im, Conv2D forward and
backward, max pooling forward and backward, average pooling backward."""

from __future__ import annotations

import numpy as np

from ...nn.conv import Conv2D
from ...nn.im2col import Geometry, col2im, conv_output_size, im2col
from ...nn.pooling import AvgPool2D, MaxPool2D
from ..model import Case, Exercise, Mutant
from ..solutions import lesson08 as sol
from .common import normal, numeric_grads, set_params

#: (N, C, H, W, kh, kw, stride, padding): odd sizes, non-square kernels, stride < kernel (overlap)
GEOMETRIES = [
    (2, 3, 5, 5, 3, 3, 1, 0),
    (1, 2, 7, 6, 3, 2, 2, 1),
    (2, 1, 6, 6, 2, 2, 2, 0),
    (1, 3, 5, 7, 3, 3, 2, 2),
    (2, 2, 4, 5, 1, 1, 1, 0),
]


def _label(N, C, H, W, kh, kw, s, p):
    return f"x ({N}, {C}, {H}, {W}), kernel {kh}x{kw}, stride {s}, padding {p}"


def _geometry(N, C, H, W, kh, kw, s, p):
    return Geometry(N, C, H, W, p, p, p, p, kh, kw, s, s)


def _buffer(name, shape, dtype, xp, key=None, zero=False):
    return (xp.zeros if zero else xp.empty)(shape, dtype=dtype)


def _minigan_im2col(x, kh, kw, s, p):
    N, C, H, W = x.shape
    return im2col(x, _geometry(N, C, H, W, kh, kw, s, p), _buffer).copy()


# ---------------------------------------------------------------------------- conv_output_size
SIZES = [(5, 3, 1, 0), (5, 3, 2, 0), (7, 3, 2, 1), (28, 5, 1, 2), (6, 2, 2, 0), (10, 4, 3, 1), (32, 3, 2, 1)]


def _run_sizes(fn, tuples):
    return [fn(*t) for t in tuples]


def _size_cases(rng):
    return [
        Case(
            "(n, f, s, p) = " + ", ".join(map(str, SIZES)),
            (SIZES,),
            {},
            [conv_output_size(n, f, s, p) for n, f, s, p in SIZES],
        )
    ]


# ---------------------------------------------------------------------------- im2col, col2im
def _im2col_cases(rng):
    cases = []
    for g in GEOMETRIES:
        N, C, H, W, kh, kw, s, p = g
        x = normal(rng, N, C, H, W)
        cases.append(Case(_label(*g), (x, kh, kw), {"stride": s, "padding": p}, _minigan_im2col(x, kh, kw, s, p)))
    return cases


def _im2col_chw(x, kh, kw, stride=1, padding=0):
    N, C = x.shape[:2]
    cols = sol.im2col(x, kh, kw, stride, padding)
    return cols.reshape(-1, kh, kw, C).transpose(0, 3, 1, 2).reshape(cols.shape[0], -1)


def _im2col_dot(x, cols, kh, kw, s, p):
    return np.sum(_minigan_im2col(x, kh, kw, s, p) * cols)


def _col2im_cases(rng):
    cases = []
    for g in GEOMETRIES:
        N, C, H, W, kh, kw, s, p = g
        geo = _geometry(*g)
        cols = normal(rng, geo.rows, geo.depth)
        expected = np.ascontiguousarray(col2im(cols, geo, np.float64, np))
        x = normal(rng, N, C, H, W)  # col2im is the gradient of Σ im2col(x) ⊙ cols
        (num,) = numeric_grads(_im2col_dot, [x, cols, kh, kw, s, p], [0])
        cases.append(Case(_label(*g), (cols, (N, C, H, W), kh, kw), {"stride": s, "padding": p}, expected, {0: num}))
    return cases


def _col2im_variant(assign=False, crop="both"):
    def col2im_(cols, x_shape, kh, kw, stride=1, padding=0):
        N, C, H, W = x_shape
        s, p = stride, padding
        OH, OW = (H + 2 * p - kh) // s + 1, (W + 2 * p - kw) // s + 1
        c6 = cols.reshape(N, OH, OW, kh, kw, C)
        dxp = np.zeros((N, C, H + 2 * p, W + 2 * p))
        for i in range(kh):
            for j in range(kw):
                part = c6[:, :, :, i, j, :].transpose(0, 3, 1, 2)
                view = dxp[:, :, i : i + s * (OH - 1) + 1 : s, j : j + s * (OW - 1) + 1 : s]
                if assign:
                    view[...] = part
                else:
                    view += part
        if crop == "none":
            return dxp
        if crop == "end":
            return dxp[:, :, :H, :W]
        return dxp[:, :, p : p + H, p : p + W]

    return col2im_


# ---------------------------------------------------------------------------- conv2d
#: (N, C, H, W, C_out, kh, kw, stride, padding)
CONVS = [
    (2, 3, 5, 5, 4, 3, 3, 1, 0),
    (1, 2, 7, 6, 3, 3, 2, 2, 1),
    (2, 1, 8, 8, 2, 2, 2, 2, 0),
    (1, 3, 6, 5, 2, 1, 1, 1, 0),
    (1, 2, 5, 5, 3, 3, 3, 2, 2),
]
SMALL_CONVS = [(1, 2, 5, 5, 3, 3, 3, 1, 1), (2, 1, 6, 5, 2, 3, 2, 2, 1), (1, 2, 4, 4, 2, 2, 2, 2, 0)]


def _conv_layer(W, b, s, p):
    C_out, C, kh, kw = W.shape
    conv = Conv2D(C, C_out, (kh, kw), stride=s, padding=p, dtype=np.float64, rng=0)
    set_params(conv, W=W, b=b)
    return conv


def _conv_label(N, C, H, W, C_out, kh, kw, s, p):
    return f"x ({N}, {C}, {H}, {W}), W ({C_out}, {C}, {kh}, {kw}), stride {s}, padding {p}"


def _conv_inputs(rng, N, C, H, W, C_out, kh, kw):
    return normal(rng, N, C, H, W), normal(rng, C_out, C, kh, kw, scale=0.5), normal(rng, C_out)


def _conv_forward_cases(rng):
    cases = []
    for geo in CONVS:
        N, C, H, W, C_out, kh, kw, s, p = geo
        x, Wt, b = _conv_inputs(rng, N, C, H, W, C_out, kh, kw)
        expected = np.ascontiguousarray(_conv_layer(Wt, b, s, p)(x))
        cases.append(Case(_conv_label(*geo), (x, Wt, b), {"stride": s, "padding": p}, expected))
    return cases


def _conv_flipped(x, W, b, stride=1, padding=0):
    return sol.conv2d_forward(x, W[:, :, ::-1, ::-1].copy(), b, stride, padding)


def _conv_no_bias(x, W, b, stride=1, padding=0):
    return sol.conv2d_forward(x, W, np.zeros_like(b), stride, padding)


def _conv_chw_weights(x, W, b, stride=1, padding=0):
    N, C, H, Wd = x.shape
    C_out, _, kh, kw = W.shape
    OH, OW = (H + 2 * padding - kh) // stride + 1, (Wd + 2 * padding - kw) // stride + 1
    Y = sol.im2col(x, kh, kw, stride, padding) @ W.reshape(C_out, -1).T + b
    return Y.reshape(N, OH, OW, C_out).transpose(0, 3, 1, 2)


def _conv_backward_cases(rng):
    cases = []
    for geo in CONVS[:2] + SMALL_CONVS:
        N, C, H, W, C_out, kh, kw, s, p = geo
        x, Wt, b = _conv_inputs(rng, N, C, H, W, C_out, kh, kw)
        layer = _conv_layer(Wt, b, s, p)
        out = layer(x)
        dout = normal(rng, *out.shape)
        layer.zero_grad()
        dx = np.ascontiguousarray(layer.backward(dout))
        expected = (dx, layer.W.grad.copy(), layer.b.grad.copy())
        numeric = {}
        if geo in SMALL_CONVS:

            def scalar(x, Wt, b, s=s, p=p, dout=dout):
                return np.sum(_conv_layer(Wt, b, s, p)(x) * dout)

            numeric = dict(enumerate(numeric_grads(scalar, [x, Wt, b], [0, 1, 2])))
        label = _conv_label(*geo) + (", gradient check" if numeric else "")
        cases.append(Case(label, (dout, x, Wt), {"stride": s, "padding": p}, expected, numeric))
    return cases


def _conv_backward_variant(db_batch_only=False, assign=False, reshape_only=False):
    def backward(dout, x, W, stride=1, padding=0):
        C_out, C, kh, kw = W.shape
        d2 = dout.reshape(-1, C_out) if reshape_only else dout.transpose(0, 2, 3, 1).reshape(-1, C_out)
        cols = sol.im2col(x, kh, kw, stride, padding)
        W_mat = W.transpose(0, 2, 3, 1).reshape(C_out, -1)
        dW = (d2.T @ cols).reshape(C_out, kh, kw, C).transpose(0, 3, 1, 2)
        db = dout.sum(axis=0) if db_batch_only else d2.sum(axis=0)
        dx = _col2im_variant(assign=assign)(d2 @ W_mat, x.shape, kh, kw, stride, padding)
        return dx, dW, db

    return backward


# ---------------------------------------------------------------------------- pooling
#: (N, C, H, W, k, stride)
POOLS = [(2, 3, 4, 4, 2, None), (1, 2, 5, 7, 3, 2), (2, 1, 6, 6, 3, 1), (1, 2, 7, 5, 2, 1)]


def _pool_label(N, C, H, W, k, s):
    return f"x ({N}, {C}, {H}, {W}), k={k}, stride={s}"


def _distinct(rng, *shape):
    """Values 0.1 apart in a random order: no tie, no near-tie, within a central-difference step."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 + rng.uniform(0, 0.01, n) - 0.05 * n).reshape(shape)


def _maxpool_forward_cases(rng):
    cases = []
    for geo in POOLS:
        N, C, H, W, k, s = geo
        x = _distinct(rng, N, C, H, W)
        cases.append(Case(_pool_label(*geo), (x, k), {"stride": s}, MaxPool2D(k, s)(x)))
    return cases


def _maxpool_mean(x, k, stride=None):
    s = k if stride is None else stride
    N, C, H, W = x.shape
    OH, OW = (H - k) // s + 1, (W - k) // s + 1
    out = np.zeros((N, C, OH, OW))
    for i in range(k):
        for j in range(k):
            out += x[:, :, i : i + s * (OH - 1) + 1 : s, j : j + s * (OW - 1) + 1 : s]
    return out / (k * k)


def _maxpool_no_stride(x, k, stride=None):
    return sol.maxpool_forward(x, k, 1)


def _pool_backward_cases(layer_of, use_x):
    def cases(rng):
        out = []
        for geo in POOLS:
            N, C, H, W, k, s = geo
            x = _distinct(rng, N, C, H, W)
            layer = layer_of(k, s)
            y = layer(x)
            dout = normal(rng, *y.shape)
            expected = np.ascontiguousarray(layer.backward(dout))
            (num,) = numeric_grads(lambda x, dout, k, s: np.sum(layer_of(k, s)(x) * dout), [x, dout, k, s], [0])
            args = (dout, x, k) if use_x else (dout, x.shape, k)
            out.append(Case(_pool_label(*geo), args, {"stride": s}, expected, {0: num}))
        return out

    return cases


def _maxpool_backward_variant(rule):
    """Max-pool backward that routes each window's δ by ``rule(v == max, i, j)``-style masks."""

    def backward(dout, x, k, stride=None):
        s = k if stride is None else stride
        OH, OW = dout.shape[2:]
        win = lambda a, i, j: a[:, :, i : i + s * (OH - 1) + 1 : s, j : j + s * (OW - 1) + 1 : s]
        best = sol.maxpool_forward(x, k, s)
        dx = np.zeros(x.shape)
        for i in range(k):
            for j in range(k):
                rule(dx, win, dout, best, x, i, j, k)
        return dx

    return backward


def _route_everywhere(dx, win, dout, best, x, i, j, k):
    win(dx, i, j)[...] += dout


def _route_assign(dx, win, dout, best, x, i, j, k):
    view = win(dx, i, j)
    hit = win(x, i, j) == best
    view[hit] = dout[hit]


def _route_transposed(dx, win, dout, best, x, i, j, k):
    win(dx, j, i)[...] += dout * (win(x, i, j) == best)


def _avg_variant(scale, assign=False):
    def backward(dout, x_shape, k, stride=None):
        s = k if stride is None else stride
        OH, OW = dout.shape[2:]
        dx = np.zeros(x_shape)
        for i in range(k):
            for j in range(k):
                view = dx[:, :, i : i + s * (OH - 1) + 1 : s, j : j + s * (OW - 1) + 1 : s]
                if assign:
                    view[...] = dout * scale(k)
                else:
                    view += dout * scale(k)
        return dx

    return backward


EXERCISES = [
    Exercise(
        "08.conv_output_size",
        "the output length of a convolution",
        "document 001 §3.1.3",
        1,
        sol.conv_output_size,
        _size_cases,
        (
            Mutant(
                "document's formula",
                lambda n, f, s=1, p=0: (n + 2 * p - f + 1) // s,
                "the + 1 goes outside the floor: ⌊(n + 2p − f)/s⌋ + 1 (not as printed)",
            ),
            Mutant(
                "no + 1",
                lambda n, f, s=1, p=0: (n + 2 * p - f) // s,
                "count the first window too: ⌊(n + 2p − f)/s⌋ + 1",
            ),
            Mutant("padding once", lambda n, f, s=1, p=0: (n + p - f) // s + 1, "p zeros on BOTH sides: n + 2p"),
        ),
        "⌊(n + 2p − f) / s⌋ + 1, an int (use //)",
        outputs=("sizes",),
        run=_run_sizes,
    ),
    Exercise(
        "08.im2col",
        "im2col: every window of the padded input as one row",
        "document 001 §3.2",
        2,
        sol.im2col,
        _im2col_cases,
        (
            Mutant(
                "(c, i, j) order",
                _im2col_chw,
                "order each row (i, j, c), channels last, as minigan.nn.im2col",
            ),
            Mutant(
                "no padding",
                lambda x, kh, kw, stride=1, padding=0: sol.im2col(x, kh, kw, stride, 0),
                "pad x with p zeros on every side first (np.pad)",
            ),
            Mutant(
                "stride ignored",
                lambda x, kh, kw, stride=1, padding=0: sol.im2col(x, kh, kw, 1, padding),
                "windows start every s pixels: at y·s, x·s",
            ),
        ),
        "row (n, y, x): x_pad[n, :, y·s:y·s+kh, x·s:x·s+kw] in (i, j, c) order",
        outputs=("cols",),
    ),
    Exercise(
        "08.col2im",
        "col2im: add every row back onto its window",
        "document 003 ch. 1",
        2,
        sol.col2im,
        _col2im_cases,
        (
            Mutant("= instead of +=", _col2im_variant(assign=True), "overlapping windows ADD their entries: +=, not ="),
            Mutant("padding kept", _col2im_variant(crop="none"), "crop the padding off: dx_pad[:, :, p:p+H, p:p+W]"),
            Mutant(
                "cropped at the end",
                _col2im_variant(crop="end"),
                "the padding is on both sides: crop p at the start too",
            ),
        ),
        "add each row back onto its window of dx_pad (+=), then crop the padding",
        outputs=("dx",),
    ),
    Exercise(
        "08.conv2d_forward",
        "a 2-D convolution via im2col",
        "document 001 §3.2",
        2,
        sol.conv2d_forward,
        _conv_forward_cases,
        (
            Mutant("flipped kernel", _conv_flipped, "CNNs compute the cross-correlation: do not flip the kernel"),
            Mutant("no bias", _conv_no_bias, "add the bias b[o] of every filter"),
            Mutant(
                "(c, i, j) weights", _conv_chw_weights, "lay W out in im2col's (i, j, c) order: W.transpose(0, 2, 3, 1)"
            ),
        ),
        "Y = im2col(x) · W_matᵀ + b, W_mat = W.transpose(0, 2, 3, 1) as a matrix",
        outputs=("Y",),
    ),
    Exercise(
        "08.conv2d_backward",
        "the convolution's backward pass via im2col and col2im",
        "document 001 §2.9",
        3,
        sol.conv2d_backward,
        _conv_backward_cases,
        (
            Mutant(
                "db over the batch only",
                _conv_backward_variant(db_batch_only=True),
                "∂C/∂b sums δ over the batch AND every output position",
            ),
            Mutant(
                "= instead of +=", _conv_backward_variant(assign=True), "overlapping windows ADD into dx (+=, not =)"
            ),
            Mutant(
                "δ not channels-last",
                _conv_backward_variant(reshape_only=True),
                "lay δ out like cols' rows: dout.transpose(0, 2, 3, 1)",
            ),
        ),
        "d2 = δ channels-last; dW = d2ᵀ cols; db = Σ d2; dx = col2im(d2 · W_mat)",
        outputs=("dx", "dW", "db"),
    ),
    Exercise(
        "08.maxpool_forward",
        "max pooling",
        "document 001 §3.1.4",
        1,
        sol.maxpool_forward,
        _maxpool_forward_cases,
        (
            Mutant("mean", _maxpool_mean, "max pooling keeps the largest value, not the mean"),
            Mutant("stride ignored", _maxpool_no_stride, "windows start every s pixels (s = k by default)"),
        ),
        "Y[n, c, y, x] = max of the window at (y·s, x·s)",
        outputs=("Y",),
    ),
    Exercise(
        "08.maxpool_backward",
        "max pooling's backward pass: routing to the arg-max",
        "document 003 ch. 1",
        2,
        sol.maxpool_backward,
        _pool_backward_cases(MaxPool2D, use_x=True),
        (
            Mutant("everywhere", _maxpool_backward_variant(_route_everywhere), "only the window's maximum gets δ"),
            Mutant(
                "= instead of +=",
                _maxpool_backward_variant(_route_assign),
                "a max of several overlapping windows gets the SUM of their δ",
            ),
            Mutant(
                "transposed arg-max",
                _maxpool_backward_variant(_route_transposed),
                "unravel the arg-max offset o as (row, column) = (o // k, o % k)",
            ),
        ),
        "each dout goes to its window's arg-max; add where windows overlap",
        outputs=("dx",),
    ),
    Exercise(
        "08.avgpool_backward",
        "average pooling's backward pass",
        "document 003 ch. 1",
        1,
        sol.avgpool_backward,
        _pool_backward_cases(AvgPool2D, use_x=False),
        (
            Mutant("no 1/k²", _avg_variant(lambda k: 1.0), "each element gets dout / k², the mean's share"),
            Mutant("1/k", _avg_variant(lambda k: 1.0 / k), "a k × k window has k² elements: divide by k²"),
            Mutant(
                "= instead of +=",
                _avg_variant(lambda k: 1.0 / (k * k), assign=True),
                "overlapping windows add their shares: +=",
            ),
        ),
        "every element of a window gets dout / k², summed over its windows",
        outputs=("dx",),
    ),
]

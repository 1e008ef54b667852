"""Lesson 08: convolution and pooling (document 001 §3.1–§3.2, document 003 ch. 1).

Images are NCHW float64 arrays. A convolution is im2col (every window becomes a row)
followed by one matrix product with the filters; its backward pass is one matrix product
followed by col2im (every row is added back onto its window). minigan.nn.im2col does the
same, channels last.
"""

import numpy as np


def conv_output_size(n, f, s=1, p=0):
    """The output length of a convolution along one axis.

    Document 001 §3.1.2 (padding) and document 001 §3.1.3 (stride): windows of size f
    start at 0, s, 2s, ... of the padded input n + 2p; the last start must satisfy
    start + f ≤ n + 2p, so there are
        ⌊(n + 2p − f) / s⌋ + 1
    of them. (The document prints ⌊(n + 2p − f + 1) / s⌋, right only for s = 1.)

    Parameters
    ----------
    n : int input length;  f : int kernel size
    s : int stride;  p : int padding per side

    Returns
    -------
    int
    """
    return (n + 2 * p - f) // s + 1


def im2col(x, kh, kw, stride=1, padding=0):
    """Lay every kh × kw × C window of the zero-padded input out as one row.

    Document 001 §3.1, document 001 §3.2: output position (y, x) sees the window of the
    padded input that starts at (y·s, x·s). Row r = (n·OH + y)·OW + x of the result
    holds that window of image n, its column (i·kw + j)·C + c holding
    x_pad[n, c, y·s + i, x·s + j] (channels last, as minigan.nn.im2col), so that a
    convolution is one product: Y = cols · W_matᵀ.
        OH = ⌊(H + 2p − kh) / s⌋ + 1,   OW = ⌊(W + 2p − kw) / s⌋ + 1

    Parameters
    ----------
    x : (N, C, H, W) float64;  kh, kw : int, the kernel size
    stride : int s;  padding : int p, zeros on every side

    Returns
    -------
    cols : (N·OH·OW, kh·kw·C)
    """
    N, C, H, W = x.shape
    s, p = stride, padding
    OH, OW = (H + 2 * p - kh) // s + 1, (W + 2 * p - kw) // s + 1
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    cols = np.empty((N, OH, OW, kh, kw, C))
    for i in range(kh):
        for j in range(kw):
            # element (i, j) of every window: rows i, i + s, ..., columns j, j + s, ...
            ys = slice(i, i + s * (OH - 1) + 1, s)
            xs = slice(j, j + s * (OW - 1) + 1, s)
            window = xp[:, :, ys, xs]  # (N, C, OH, OW)
            cols[:, :, :, i, j, :] = window.transpose(0, 2, 3, 1)
    return cols.reshape(N * OH * OW, kh * kw * C)


def col2im(cols, x_shape, kh, kw, stride=1, padding=0):
    """The adjoint of im2col: add every row back onto the window it came from.

    Document 003 ch. 1: the gradient of a convolution with respect to its input (the
    transposed convolution). Element x_pad[n, c, y·s + i, x·s + j] receives the sum of
    the entries of cols that im2col copied from it (overlapping windows ADD); the
    padding is cropped off at the end. cols uses im2col's layout: (N·OH·OW, kh·kw·C),
    channels last.

    Parameters
    ----------
    cols : (N·OH·OW, kh·kw·C) float64
    x_shape : (N, C, H, W), the convolution input's shape
    kh, kw : int;  stride : int s;  padding : int p

    Returns
    -------
    dx : (N, C, H, W)
    """
    N, C, H, W = x_shape
    s, p = stride, padding
    OH, OW = (H + 2 * p - kh) // s + 1, (W + 2 * p - kw) // s + 1
    c6 = cols.reshape(N, OH, OW, kh, kw, C)
    dxp = np.zeros((N, C, H + 2 * p, W + 2 * p))
    for i in range(kh):
        for j in range(kw):
            ys = slice(i, i + s * (OH - 1) + 1, s)
            xs = slice(j, j + s * (OW - 1) + 1, s)
            dxp[:, :, ys, xs] += c6[:, :, :, i, j, :].transpose(0, 3, 1, 2)
    return dxp[:, :, p : p + H, p : p + W]


def conv2d_forward(x, W, b, stride=1, padding=0):
    """A 2-D convolution (cross-correlation) over a volume, via im2col.

    Document 001 §3.2, with stride s and zero padding p, for filter o:
        Y[n, o, y, x] = b[o] + Σ_c Σ_i Σ_j X_pad[n, c, y·s + i, x·s + j] · W[o, c, i, j]
    As one product: cols = im2col(x) (N·OH·OW, kh·kw·C), W_mat = W laid out as
    (C_out, kh·kw·C) in the same (i, j, c) order, Y = cols · W_matᵀ + b, reshaped to
    NCHW.

    Parameters
    ----------
    x : (N, C, H, W) float64
    W : (C_out, C, kh, kw) (PyTorch's layout);  b : (C_out,)
    stride : int s;  padding : int p

    Returns
    -------
    Y : (N, C_out, OH, OW)
    """
    N, C, H, Wd = x.shape
    C_out, _, kh, kw = W.shape
    OH, OW = (H + 2 * padding - kh) // stride + 1, (Wd + 2 * padding - kw) // stride + 1
    cols = im2col(x, kh, kw, stride, padding)  # (N·OH·OW, kh·kw·C)
    W_mat = W.transpose(0, 2, 3, 1).reshape(C_out, kh * kw * C)  # (C_out, kh·kw·C)
    Y = cols @ W_mat.T + b  # (N·OH·OW, C_out)
    return Y.reshape(N, OH, OW, C_out).transpose(0, 3, 1, 2)


def conv2d_backward(dout, x, W, stride=1, padding=0):
    """The convolution's backward pass, via im2col and col2im.

    Document 001 §2.9 applied to the convolution's product Y = cols · W_matᵀ + b, with
    δ = dout laid out as d2 (N·OH·OW, C_out) (channels last, like the rows of cols):
        ∂C/∂W_mat = d2ᵀ · cols    → reshaped back to (C_out, C, kh, kw)
        ∂C/∂b = Σ_{n, y, x} δ     (C_out,)
        ∂C/∂x = col2im(d2 · W_mat)  (document 003 ch. 1: a transposed convolution)

    Parameters
    ----------
    dout : (N, C_out, OH, OW), the upstream gradient
    x : (N, C, H, W), the forward's input
    W : (C_out, C, kh, kw);  stride : int s;  padding : int p

    Returns
    -------
    (dx, dW, db) : arrays (N, C, H, W), (C_out, C, kh, kw), (C_out,)
    """
    C_out, C, kh, kw = W.shape
    d2 = dout.transpose(0, 2, 3, 1).reshape(-1, C_out)  # (N·OH·OW, C_out)
    cols = im2col(x, kh, kw, stride, padding)
    W_mat = W.transpose(0, 2, 3, 1).reshape(C_out, kh * kw * C)
    dW = (d2.T @ cols).reshape(C_out, kh, kw, C).transpose(0, 3, 1, 2)
    db = d2.sum(axis=0)
    dx = col2im(d2 @ W_mat, x.shape, kh, kw, stride, padding)
    return dx, dW, db


def maxpool_forward(x, k, stride=None):
    """Max pooling: the largest value of every k × k window.

    Document 001 §3.1.4 (windows every s pixels, no padding; s = k by default):
        Y[n, c, y, x] = max_{i, j < k} X[n, c, y·s + i, x·s + j]
        OH = ⌊(H − k) / s⌋ + 1

    Parameters
    ----------
    x : (N, C, H, W) float64;  k : int, the window;  stride : int s, or None for k

    Returns
    -------
    Y : (N, C, OH, OW)
    """
    s = k if stride is None else stride
    N, C, H, W = x.shape
    OH, OW = (H - k) // s + 1, (W - k) // s + 1
    out = np.full((N, C, OH, OW), -np.inf)
    for i in range(k):
        for j in range(k):
            ys = slice(i, i + s * (OH - 1) + 1, s)
            xs = slice(j, j + s * (OW - 1) + 1, s)
            out = np.maximum(out, x[:, :, ys, xs])
    return out


def maxpool_backward(dout, x, k, stride=None):
    """Max pooling's backward pass: route each window's gradient to its arg-max.

    Document 003 ch. 1: "o gradiente é direcionado apenas ao neurônio que possui maior
    valor de ativação durante o passo para frente, os outros neurônios propagam zero".
    Each dout[n, c, y, x] goes to the position of the maximum of its window in x (on a
    tie: the first in row-major window order); an element that is the maximum of several
    overlapping windows (s < k) receives the SUM of their gradients.

    Parameters
    ----------
    dout : (N, C, OH, OW), the upstream gradient
    x : (N, C, H, W), the forward's input
    k : int;  stride : int s, or None for k

    Returns
    -------
    dx : (N, C, H, W)
    """
    s = k if stride is None else stride
    OH, OW = dout.shape[2:]
    best = np.full(dout.shape, -np.inf)
    arg = np.zeros(dout.shape, dtype=int)  # offset i·k + j of each window's maximum
    for i in range(k):
        for j in range(k):
            ys = slice(i, i + s * (OH - 1) + 1, s)
            xs = slice(j, j + s * (OW - 1) + 1, s)
            v = x[:, :, ys, xs]
            better = v > best  # strict: on a tie the first offset keeps the arg-max
            arg = np.where(better, i * k + j, arg)
            best = np.where(better, v, best)
    dx = np.zeros(x.shape)
    for i in range(k):
        for j in range(k):
            ys = slice(i, i + s * (OH - 1) + 1, s)
            xs = slice(j, j + s * (OW - 1) + 1, s)
            dx[:, :, ys, xs] += dout * (arg == i * k + j)
    return dx


def avgpool_backward(dout, x_shape, k, stride=None):
    """Average pooling's backward pass.

    Document 003 ch. 1: average pooling outputs "a média de todos os valores de ativação
    do campo",
        Y[n, c, y, x] = (1/k²) Σ_{i, j < k} X[n, c, y·s + i, x·s + j]
    So every element of a window receives dout[n, c, y, x] / k², summed over the
    (overlapping, s < k) windows it belongs to.

    Parameters
    ----------
    dout : (N, C, OH, OW);  x_shape : (N, C, H, W), the forward's input shape
    k : int;  stride : int s, or None for k

    Returns
    -------
    dx : (N, C, H, W)
    """
    s = k if stride is None else stride
    OH, OW = dout.shape[2:]
    dx = np.zeros(x_shape)
    for i in range(k):
        for j in range(k):
            ys = slice(i, i + s * (OH - 1) + 1, s)
            xs = slice(j, j + s * (OW - 1) + 1, s)
            dx[:, :, ys, xs] += dout / (k * k)
    return dx

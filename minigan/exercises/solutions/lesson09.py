"""Lesson 09: the transposed convolution (document 001 §3.3, document 003 ch. 1)."""

# lesson 08's col2im (the reference answer)
from minigan.exercises.solutions.lesson08 import col2im


def conv_transpose_output_size(n, f, s=1, p=0, output_padding=0):
    """The output length of a transposed convolution along one axis (PyTorch's formula).

    Document 001 §3.3 gives n_h = c_h + f_h − 1, the case s = 1, p = 0. Solving the
    convolution's size formula ⌊(o + 2p − f)/s⌋ + 1 = n for its input o gives, in
    general,
        o = (n − 1)·s − 2p + f + output_padding   (0 ≤ output_padding < s picks one o)

    Parameters
    ----------
    n : int input length;  f : int kernel;  s : int stride;  p : int padding
    output_padding : int

    Returns
    -------
    int
    """
    return (n - 1) * s - 2 * p + f + output_padding


def conv_transpose_forward(x, W, b, stride=1, padding=0):
    """The transposed convolution's forward pass, as a convolution's backward pass.

    Document 003 ch. 1: the transposed convolution is what backpropagation through a
    convolution computes. Take the convolution whose INPUT has this layer's output
    shape (N, C_out, OH, OW) and whose filters are W seen as (C_in filters of C_out
    channels); its input gradient for the upstream gradient x is this layer's output:
        cols = x₂ · W_mat,   x₂ = x as (N·H·W, C_in) (channels last),
                             W_mat = W as (C_in, kh·kw·C_out)
        Y = col2im(cols, (N, C_out, OH, OW), kh, kw, s, p) + b
        OH = (H − 1)·s − 2p + kh
                    (document 001 §3.3: OH = H + kh − 1 for s = 1, p = 0)
    col2im (lesson 08) is imported at the top of this file.

    Parameters
    ----------
    x : (N, C_in, H, W) float64
    W : (C_in, C_out, kh, kw) (PyTorch's layout);  b : (C_out,)
    stride : int s;  padding : int p

    Returns
    -------
    Y : (N, C_out, OH, OW)
    """
    N, C_in, H, Wd = x.shape
    _, C_out, kh, kw = W.shape
    OH, OW = (H - 1) * stride - 2 * padding + kh, (Wd - 1) * stride - 2 * padding + kw
    x2 = x.transpose(0, 2, 3, 1).reshape(-1, C_in)  # (N·H·W, C_in)
    # (C_in, kh·kw·C_out)
    W_mat = W.transpose(0, 2, 3, 1).reshape(C_in, kh * kw * C_out)
    Y = col2im(x2 @ W_mat, (N, C_out, OH, OW), kh, kw, stride, padding)
    return Y + b[None, :, None, None]

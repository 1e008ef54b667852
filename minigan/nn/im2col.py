"""im2col and col2im: the one mechanism under Conv2D and Conv2DTranspose (minigan.nn.conv).

- :func:`im2col` lays every ``kH × kW × C`` window of a convolution's (padded) input out as a
  row of one ``(N·OH·OW, kH·kW·C)`` matrix, so that a convolution is one GEMM with the
  filters (document 001 §3.1-§3.2);
- :func:`col2im` adds such rows back onto the windows they came from: the gradient of a
  convolution with respect to its input, i.e. the transposed convolution (document 003 ch. 1).

:class:`Geometry` describes one convolution (input, padding, kernel, stride, output) and the
size formulas below compute its output (document 001 §3.1.2-§3.1.3, §3.3).

Memory layout
-------------
Columns are built channels-last: the input is copied once into a zero-padded ``(N, Hp, Wp,
C)`` buffer, the sliding windows are a strided view of it (``as_strided``) and they are copied
into one contiguous ``(N·OH·OW, kH·kW·C)`` buffer, so that the whole layer is one GEMM. The
im2col buffer and the padding buffer are kept between calls while the shapes do not change
(no page faults at every step), and each call holds exactly one im2col buffer: the backward
pass writes the column gradient into the same buffer with ``matmul(..., out=)`` once the
weight gradient has used the columns. col2im adds the kH·kW kernel offsets as strided slices
(never ``np.add.at``). Outputs and input gradients are NCHW arrays whose memory is
channels-last (like PyTorch's ``channels_last`` format); ``xp.ascontiguousarray`` gives C order
when a caller needs it.
"""

from __future__ import annotations

from typing import Any, Callable

from .. import backend

__all__ = ["conv_output_size", "conv_transpose_output_size", "same_padding", "Geometry", "im2col", "col2im"]


# ---------------------------------------------------------------------------- size arithmetic
def conv_output_size(n: int, k: int, s: int = 1, p_before: int = 0, p_after: int | None = None) -> int:
    """Output length of a convolution along one axis: ``⌊(n + p_before + p_after − k) / s⌋ + 1``.

    Document 001 §3.1.3 prints ``⌊(n + 2p − f + 1) / s⌋``, with the ``+1`` inside the floor.
    That is right only for ``s = 1`` (where it equals §3.1.2's ``n + 2p − f + 1``): the
    windows start at ``0, s, 2s, …`` and the last start must satisfy ``start + f ≤ n + 2p``,
    so there are ``⌊(n + 2p − f) / s⌋ + 1`` of them. Example: n=5, f=3, p=0, s=2 gives windows
    at 0 and 2, i.e. 2 outputs; the printed formula gives ⌊3/2⌋ = 1. The code uses the correct
    formula (PyTorch's and TensorFlow's).
    """
    p_after = p_before if p_after is None else p_after
    return (n + p_before + p_after - k) // s + 1  # Eq. 001 §3.1.3 (corrected): ⌊(n+2p−f)/s⌋ + 1


def conv_transpose_output_size(n: int, k: int, s: int = 1, p: int = 0, output_padding: int = 0) -> int:
    """Output length of a transposed convolution: ``(n − 1)·s − 2p + k + output_padding``.

    Document 001 §3.3 gives ``n_h = c_h + f_h − 1``: the case ``s = 1, p = 0`` of this formula,
    obtained, as the document says, by solving the convolution's size formula for its input.
    With ``s > 1`` that inversion is not unique (⌊·⌋ loses ``s − 1`` values); ``output_padding``
    (PyTorch's name, ``0 ≤ output_padding < s``) picks one.
    """
    return (n - 1) * s - 2 * p + k + output_padding


def same_padding(n: int, k: int, s: int) -> tuple[int, int]:
    """TensorFlow/Keras ``padding="same"`` for an input of length ``n``: ``(before, after)``.

    The output length is ``⌈n / s⌉``; the total padding is ``max((⌈n/s⌉ − 1)·s + k − n, 0)``,
    split with any odd extra on the after (bottom/right) side. For ``s = 1`` this is document
    001 §3.1.2's "same convolution" (``c = n``), i.e. ``p = (f − 1)/2`` for odd ``f``.
    """
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


class Geometry:
    """One convolution, seen from its input side: input ``(N, C, H, W)``, padding
    ``(top, bottom, left, right)``, kernel, stride and output ``(OH, OW)``. The transposed
    convolution uses the geometry of the convolution it is the input-gradient of."""

    __slots__ = ("N", "C", "H", "W", "pt", "pb", "pl", "pr", "kh", "kw", "sh", "sw", "OH", "OW")

    def __init__(self, N, C, H, W, pt, pb, pl, pr, kh, kw, sh, sw):
        self.N, self.C, self.H, self.W = N, C, H, W
        self.pt, self.pb, self.pl, self.pr = pt, pb, pl, pr
        self.kh, self.kw, self.sh, self.sw = kh, kw, sh, sw
        self.OH = conv_output_size(H, kh, sh, pt, pb)
        self.OW = conv_output_size(W, kw, sw, pl, pr)

    @property
    def key(self) -> tuple:
        return tuple(getattr(self, s) for s in self.__slots__)

    @property
    def padded(self) -> tuple[int, int]:
        return self.H + self.pt + self.pb, self.W + self.pl + self.pr

    @property
    def rows(self) -> int:  # M of the GEMM
        return self.N * self.OH * self.OW

    @property
    def depth(self) -> int:  # K of the GEMM
        return self.kh * self.kw * self.C


# ---------------------------------------------------------------------------- the mechanism
def im2col(a, g: Geometry, buffer: Callable) -> Any:
    """im2col of the convolution input ``a`` (N, C, H, W): the ``(N·OH·OW, kH·kW·C)`` columns.

    Document 001 §3.1/§3.2: every output position sees one ``kH × kW × C`` window of the
    (padded, §3.1.2) input, taken every ``s`` pixels (§3.1.3); a row of the column matrix
    is that window, so that the sum of products of all windows with all filters is one GEMM.

    ``buffer(name, shape, dtype, xp, key=None, zero=False)`` returns an array kept between
    calls (the layer's ``_buffer``): the padding buffer and the returned columns live there.
    """
    xp = backend.get_array_module(a)
    Hp, Wp = g.padded
    a_hwc = a.transpose(0, 2, 3, 1)  # (N, H, W, C) view
    if (g.pt | g.pb | g.pl | g.pr) == 0 and a_hwc.flags.c_contiguous:
        src = a_hwc  # already channels-last: no copy
    else:
        src = buffer("pad", (g.N, Hp, Wp, g.C), a.dtype, xp, key=g.key, zero=True)
        src[:, g.pt : g.pt + g.H, g.pl : g.pl + g.W, :] = a_hwc  # Eq. 001 §3.1.2: zero padding
    s0, s1, s2, s3 = src.strides
    windows = xp.lib.stride_tricks.as_strided(
        src, shape=(g.N, g.OH, g.OW, g.kh, g.kw, g.C), strides=(s0, s1 * g.sh, s2 * g.sw, s1, s2, s3)
    )  # Eq. 001 §3.1.3: windows every s pixels
    cols = buffer("cols", (g.N, g.OH, g.OW, g.kh, g.kw, g.C), a.dtype, xp)
    cols[...] = windows  # the one im2col copy
    return cols.reshape(g.rows, g.depth)  # (N·OH·OW, kH·kW·C)


def col2im(cols, g: Geometry, dtype, xp) -> Any:
    """col2im: add every column back onto the input window it came from (the input
    gradient of a convolution; the transposed convolution, document 003 ch. 1).

    Returns a fresh ``(N, C, H, W)`` array (channels-last memory)."""
    Hp, Wp = g.padded
    c6 = cols.reshape(g.N, g.OH, g.OW, g.kh, g.kw, g.C)
    out = xp.zeros((g.N, Hp, Wp, g.C), dtype=dtype)
    eh, ew = g.sh * (g.OH - 1) + 1, g.sw * (g.OW - 1) + 1
    for i in range(g.kh):  # loop over the kH·kW kernel offsets, strided slices
        for j in range(g.kw):
            out[:, i : i + eh : g.sh, j : j + ew : g.sw, :] += c6[:, :, :, i, j, :]
    out = out[:, g.pt : g.pt + g.H, g.pl : g.pl + g.W, :]  # crop the padding
    return out.transpose(0, 3, 1, 2)  # (N, C, H, W)

"""Pooling layers: MaxPool2D and AvgPool2D (document 001 §3.1.4, document 003 ch. 1).

Windows of ``kH × kW`` are taken every ``(s_h, s_w)``
pixels (windows may overlap when the stride is smaller than the kernel). When the windows
tile the input exactly (kernel == stride and the size divisible) the input is viewed as
``(N, C, OH, kH, OW, kW)`` by a reshape, with no copy; otherwise each kernel offset ``(i, j)``
is the strided slice ``x[:, :, i::s_h, j::s_w]`` (cropped to the ``OH × OW`` windows). Both
forward and backward loop over the ``kH·kW`` kernel offsets; nothing is scattered with
``np.add.at``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..checks import check_input, check_pair
from .module import Module

__all__ = ["MaxPool2D", "AvgPool2D"]


class _Pool2D(Module):
    def __init__(self, kernel_size, stride=None):
        super().__init__()
        cls = type(self).__name__
        self.kernel_size = check_pair(cls, "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else check_pair(cls, "stride", stride, 1)
        self._shape = None

    def extra_repr(self) -> str:
        k = self.kernel_size[0] if self.kernel_size[0] == self.kernel_size[1] else self.kernel_size
        s = self.stride[0] if self.stride[0] == self.stride[1] else self.stride
        return f"kernel_size={k}, stride={s}"

    def _sizes(self, H, W):
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        if H < kh or W < kw:
            raise ValueError(
                f"{type(self).__name__}({self.extra_repr()}): kernel {kh}x{kw} is larger than the input {H}x{W}"
            )
        return (H - kh) // sh + 1, (W - kw) // sw + 1  # ⌊(n − f)/s⌋ + 1 (document 001 §3.1.3, corrected)

    def _check(self, x):
        check_input(f"{type(self).__name__}({self.extra_repr()})", x, ndim=4, expected="(N, C, H, W)")

    def output_shape(self, input_shape: tuple) -> tuple:
        shape: tuple[int, ...] = (1,) + tuple(input_shape)  # (NumPy's stubs read a bare tuple as 0-d)
        x = np.empty(shape, dtype=np.float32)  # validated as forward does; never touched
        self._check(x)
        return (x.shape[1],) + self._sizes(*x.shape[2:])

    def _prepare(self, x):
        self._check(x)
        N, C, H, W = x.shape
        OH, OW = self._sizes(H, W)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        self._shape = x.shape
        self._tiles = (kh, kw) == (sh, sw) and H == OH * kh and W == OW * kw
        return OH, OW

    def _offsets(self, a, OH, OW):
        """``(o, i, j, view)`` for every kernel offset: ``view[n, c, y, x] = a[n, c, y·s_h + i, x·s_w + j]``.

        ``a`` is the input (forward) or the input gradient (backward; the views write into it)."""
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        N, C = a.shape[:2]
        if self._tiles:  # pooling by reshape: (N, C, OH, kH, OW, kW), no copy
            a6 = a.reshape(N, C, OH, kh, OW, kw)
            for i in range(kh):
                for j in range(kw):
                    yield i * kw + j, a6[:, :, :, i, :, j]
        else:  # general strided windows, overlapping allowed
            eh, ew = sh * (OH - 1) + 1, sw * (OW - 1) + 1
            for i in range(kh):
                for j in range(kw):
                    yield i * kw + j, a[:, :, i : i + eh : sh, j : j + ew : sw]


class MaxPool2D(_Pool2D):
    """Max pooling: the largest value of each ``kH × kW`` window (document 001 §3.1.4).

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Default: ``kernel_size`` (non-overlapping windows, document 001's example). A smaller
        stride gives overlapping windows.

    Shape
    -----
    - input: ``(N, C, H, W)``
    - output: ``(N, C, OH, OW)``, ``OH = ⌊(H − f_h) / s_h⌋ + 1`` (no padding; PyTorch's
      ``ceil_mode=False``). Pooling acts on each channel separately (document 003 ch. 1).

    Notes
    -----
    Forward: ``Y[n,c,y,x] = max_{i,j} X[n, c, y·s_h + i, x·s_w + j]``.
    Backward (document 003 ch. 1): "o gradiente é direcionado apenas ao neurônio que possui
    maior valor de ativação durante o passo para frente, os outros neurônios propagam zero":
    ``∂C/∂X`` receives ``∂C/∂Y[n,c,y,x]`` at the arg-max of each window and 0 elsewhere; an
    element that is the maximum of several overlapping windows receives the sum.
    Ties: exactly one element of a window gets the gradient, the first in row-major window
    order (top-most, then left-most), as PyTorch on the CPU does. (The max is not
    differentiable at a tie; this picks one subgradient.)
    """

    def forward(self, x):
        OH, OW = self._prepare(x)
        xp = backend.get_array_module(x)
        out: Any = None  # arrays (NumPy or CuPy) from the first offset on
        idx: Any = None
        for o, v in self._offsets(x, OH, OW):
            if out is None:
                out = v.copy()
                idx = xp.zeros(out.shape, dtype=np.int32)
                continue
            better = v > out  # strict: on a tie the earlier offset keeps the arg-max
            out = xp.maximum(out, v)
            idx += better * (o - idx)  # idx = o where better (arithmetic: np.where is slow here)
        self._idx = idx  # arg-max of every window, as the offset i·kW + j
        return out

    def backward(self, dout):
        self._check_dout(dout)
        if self._shape is None:
            raise RuntimeError("MaxPool2D.backward called before forward")
        xp = backend.get_array_module(dout)
        N, C, H, W = self._shape
        OH, OW = self._idx.shape[2:]
        dx = (xp.empty if self._tiles else xp.zeros)((N, C, H, W), dtype=dout.dtype)
        for o, v in self._offsets(dx, OH, OW):  # route δ to the arg-max (document 003 ch. 1)
            routed = dout * (self._idx == o)
            if self._tiles:
                v[...] = routed  # every element is in exactly one window
            else:
                v += routed
        self._shape = None
        return dx


class AvgPool2D(_Pool2D):
    """Average pooling: the mean of each ``kH × kW`` window (document 001 §3.1.4).

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Default: ``kernel_size``.

    Shape
    -----
    - input: ``(N, C, H, W)``
    - output: ``(N, C, OH, OW)``, ``OH = ⌊(H − f_h) / s_h⌋ + 1``.

    Notes
    -----
    Forward: ``Y[n,c,y,x] = (1 / (f_h·f_w)) Σ_{i,j} X[n, c, y·s_h + i, x·s_w + j]``
    (document 003 ch. 1: "a média de todos os valores de ativação do campo").
    Backward: every element of a window receives ``∂C/∂Y / (f_h·f_w)``, summed over the
    windows it belongs to.
    """

    def forward(self, x):
        OH, OW = self._prepare(x)
        (kh, kw) = self.kernel_size
        out: Any = None  # an array from the first offset on
        for _, v in self._offsets(x, OH, OW):  # kH·kW adds (faster than a 2-axis mean in NumPy)
            out = v.copy() if out is None else out + v
        return out * (1.0 / (kh * kw))  # Python float: keeps float32

    def backward(self, dout):
        self._check_dout(dout)
        if self._shape is None:
            raise RuntimeError("AvgPool2D.backward called before forward")
        xp = backend.get_array_module(dout)
        N, C, H, W = self._shape
        (kh, kw) = self.kernel_size
        OH, OW = dout.shape[2:]
        share = dout * (1.0 / (kh * kw))  # each element gets 1/(f_h·f_w) of the window's δ
        dx = (xp.empty if self._tiles else xp.zeros)((N, C, H, W), dtype=dout.dtype)
        for _, v in self._offsets(dx, OH, OW):
            if self._tiles:
                v[...] = share  # every element is in exactly one window
            else:
                v += share
        self._shape = None
        return dx

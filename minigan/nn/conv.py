"""Convolution layers: Conv2D and Conv2DTranspose on one im2col/col2im mechanism.

Document 001 §3 (Marques 2021) builds the convolutional layer step by step: the convolution
of an image with a filter (§3.1), its worked vertical-edge example (§3.1.1), zero padding
(§3.1.2), stride (§3.1.3), pooling (§3.1.4, in :mod:`minigan.nn.pooling`),
convolution over volume (§3.2) and the transposed convolution (§3.3). Document 003 ch. 1 adds
that the transposed convolution ("deconvolução") is what backpropagation through a
convolution computes. minigan takes that sentence literally: there is ONE mechanism,

- ``im2col`` + one GEMM: the convolution itself,
- one GEMM + ``col2im``: the gradient of a convolution with respect to its input,
- ``_weight_grad`` (one GEMM): the gradient with respect to the filters,

(``im2col`` and ``col2im`` are in :mod:`minigan.nn.im2col`), and the two layers use it in
opposite directions::

    Conv2D.forward           = im2col          Conv2D.backward          = _weight_grad + col2im
    Conv2DTranspose.forward  = col2im          Conv2DTranspose.backward = im2col + _weight_grad

Cross-correlation, not flipped convolution
------------------------------------------
Document 000 §2.2 writes the true (flipped-kernel) convolution
``S(i,j) = (I * K)(i,j) = Σ_m Σ_n I(i−m, j−n) K(m,n)``. CNN libraries (PyTorch, TensorFlow,
and document 001 §3.1's own definition) compute the cross-correlation
``S(i,j) = Σ_m Σ_n I(i+m, j+n) K(m,n)``, which equals the true convolution with the kernel
flipped in both axes. Since the kernel is learned, the two are the same model; minigan
computes the cross-correlation so that weights port to and from PyTorch unchanged.

Memory layout: see :mod:`minigan.nn.im2col` (channels-last columns, buffers kept between calls,
one im2col buffer per call).
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..checks import check_bool, check_float_dtype, check_input, check_pair, check_positive_int, parse_padding
from . import init as _init
from .im2col import Geometry, col2im, conv_transpose_output_size, im2col, same_padding
from .module import Module, Parameter

__all__ = ["Conv2D", "Conv2DTranspose"]


# ---------------------------------------------------------------------------- shared by both layers
class _ConvBase(Module):
    """Shared parameters, validation, buffers and weight gradient of both layers.

    The weight is stored in PyTorch's layout of each layer; ``_wmat`` reshapes it to the GEMM
    matrix ``(C_conv_out, kH·kW·C_conv_in)`` of the underlying convolution, where for Conv2D
    ``C_conv_out = out_channels`` and for Conv2DTranspose ``C_conv_out = in_channels``.
    """

    torch_names = {"W": "weight", "b": "bias"}  # PyTorch's nn.Conv2d / nn.ConvTranspose2d

    _transposed = False

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        bias=True,
        init="xavier",
        rng=None,
        dtype=np.float32,
    ):
        super().__init__()
        cls = type(self).__name__
        self.in_channels = check_positive_int(cls, "in_channels", in_channels)
        self.out_channels = check_positive_int(cls, "out_channels", out_channels)
        self.kernel_size = check_pair(cls, "kernel_size", kernel_size, 1)
        self.stride = check_pair(cls, "stride", stride, 1)
        self.padding = parse_padding(cls, padding)
        self.output_padding = check_pair(cls, "output_padding", output_padding, 0)
        if self.output_padding != (0, 0):
            if not self._transposed:
                raise ValueError(f"{cls}: output_padding is only defined for Conv2DTranspose")
            if self.padding == "same":
                raise ValueError(
                    f"{cls}: output_padding must be 0 with padding='same' (the output size "
                    f"is in·stride), got {self.output_padding}"
                )
            for op, s in zip(self.output_padding, self.stride):
                if op >= s:
                    raise ValueError(
                        f"{cls}: output_padding must be smaller than stride, got "
                        f"output_padding={self.output_padding}, stride={self.stride}"
                    )
        kh, kw = self.kernel_size
        shape = (
            (self.in_channels, self.out_channels, kh, kw)
            if self._transposed
            else (self.out_channels, self.in_channels, kh, kw)
        )
        dtype = check_float_dtype(cls, dtype)
        check_bool(cls, "bias", bias)
        fn = _init.get_initializer(init, cls)
        self.params["W"] = Parameter(_init.make_weight(fn, shape, _init.get_rng(rng, cls), dtype, cls))
        if bias:
            self.params["b"] = Parameter(np.zeros(self.out_channels, dtype=dtype))
        self._cache: dict = {}
        self._g = None

    def extra_repr(self) -> str:
        k = self.kernel_size[0] if self.kernel_size[0] == self.kernel_size[1] else self.kernel_size
        s = self.stride[0] if self.stride[0] == self.stride[1] else self.stride
        if isinstance(self.padding, str):
            p: str | int | tuple[int, int] = repr(self.padding)
        else:
            p = self.padding[0] if self.padding[0] == self.padding[1] else self.padding
        r = f"{self.in_channels}, {self.out_channels}, kernel_size={k}, stride={s}, padding={p}"
        if self.output_padding != (0, 0):
            op = self.output_padding
            r += f", output_padding={op[0] if op[0] == op[1] else op}"
        return r + ("" if "b" in self.params else ", bias=False")

    @property
    def _name(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def _check(self, x):
        check_input(self._name, x, ndim=4, sizes={1: self.in_channels}, expected=f"(N, {self.in_channels}, H, W)")

    def output_shape(self, input_shape: tuple) -> tuple:
        """``(C_out, OH, OW)`` for an input ``(C_in, H, W)``, validated as forward validates it
        (no forward pass; the empty array is never touched)."""
        x = np.empty((1,) + tuple(input_shape), dtype=np.float32)
        self._check(x)
        g = self._geometry(x)  # for Conv2DTranspose the convolution's input is this layer's output
        return (self.out_channels,) + ((g.H, g.W) if self._transposed else (g.OH, g.OW))

    # -- buffers kept between calls (never returned to the caller, so never aliased)
    def _buffer(self, name, shape, dtype, xp, key=None, zero=False):
        full_key = (tuple(shape), np.dtype(dtype).str, xp.__name__, key)
        hit = self._cache.get(name)
        if hit is not None and hit[0] == full_key:
            return hit[1]
        # a miss frees the old buffer before allocating the new one: never two im2col buffers at once
        del hit
        self._cache.pop(name, None)
        buf = (xp.zeros if zero else xp.empty)(shape, dtype=dtype)
        self._cache[name] = (full_key, buf)
        return buf

    def _wmat(self):
        W = self.params["W"].data  # (C_conv_out, C_conv_in, kH, kW) in both layers
        return W.transpose(0, 2, 3, 1).reshape(W.shape[0], -1)  # (C_conv_out, kH·kW·C_conv_in)

    def _weight_grad(self, d2, cols, g: Geometry):
        """``∂C/∂W = δᵀ · columns`` (the convolution's weight gradient), added into W.grad."""
        W = self.params["W"]
        dWm = d2.T @ cols  # (C_conv_out, kH·kW·C_conv_in)
        W.grad += dWm.reshape(W.data.shape[0], g.kh, g.kw, g.C).transpose(0, 3, 1, 2)


# ---------------------------------------------------------------------------- Conv2D
class Conv2D(_ConvBase):
    """2-D convolution (cross-correlation) over a volume, with padding and stride.

    Parameters
    ----------
    in_channels, out_channels : int
        ``n_c`` of the input and the number of filters ``n`` (document 001 §3.2).
    kernel_size : int or (int, int)
        ``(f_h, f_w)``; non-square kernels as a pair.
    stride : int or (int, int)
        ``s`` of document 001 §3.1.3 (default 1).
    padding : int, (int, int), "valid" or "same"
        Zero padding ``p`` (document 001 §3.1.2) on both sides of each axis (an int, or
        ``(p_h, p_w)``). ``"valid"`` is ``p = 0``. ``"same"`` is TensorFlow/Keras's rule, also
        for stride > 1: output ``⌈n / s⌉``, total padding ``max((⌈n/s⌉ − 1)·s + f − n, 0)``
        with any odd extra on the bottom/right (see :func:`same_padding`); for stride 1 and an
        odd kernel this is ``p = (f − 1)/2`` (PyTorch's ``"same"`` agrees where it is defined).
    bias : bool
        Learn one bias per filter (default True).
    init : str or callable
        Weight initialiser (:mod:`minigan.nn.init`): default ``"xavier"`` (``N(0, 1/n)``, fan-in
        ``n = C_in·f_h·f_w``); ``"normal"`` is DCGAN's ``N(0, 0.02²)`` (Radford et al. 2016;
        document 001 §4.3 does not give it);
        ``"pytorch"`` is PyTorch's ``U(−1/√n, 1/√n)``. The bias starts at 0.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights (default: minigan's global generator).
    dtype : default float32.

    Shape
    -----
    - input: ``(N, C_in, H, W)``
    - output: ``(N, C_out, OH, OW)`` with ``OH = ⌊(H + p_top + p_bottom − f_h) / s_h⌋ + 1``
      (and the same for ``OW``). Document 001 §3.1.3 prints ``⌊(n + 2p − f + 1) / s⌋``; the
      ``+1`` belongs outside the floor (:func:`conv_output_size` explains why; for ``s = 1``
      both agree with §3.1.2's ``n + 2p − f + 1``).
    - W: ``(C_out, C_in, f_h, f_w)`` (PyTorch's layout); b: ``(C_out,)``

    Notes
    -----
    Document 001 §3.1: ``C_{m,k} = Σ_i Σ_j I_{i,j} F_{i,j}`` over the window at ``(m, k)``
    (the document indexes the filter with the image's indices; it means the filter entry at
    the window offset). Over volume (§3.2) and for filter ``o``, with stride and padding::

        Y[n, o, y, x] = b[o] + Σ_c Σ_i Σ_j X_pad[n, c, y·s_h + i, x·s_w + j] · W[o, c, i, j]

    This is the cross-correlation that PyTorch and TensorFlow compute; document 000 §2.2's
    ``S(i,j) = Σ_m Σ_n I(i−m, j−n) K(m,n)`` is the flipped-kernel convolution, equal to this
    with ``K`` rotated by 180°. Implemented as im2col + one GEMM: ``Y = cols · Wᵀ``, with
    ``cols`` of shape ``(N·OH·OW, f_h·f_w·C_in)``.

    Backward (document 001 §2.9 applied to the same GEMM): with ``δ = ∂C/∂Y``,
    ``∂C/∂W = δᵀ · cols``, ``∂C/∂b = Σ_{n,y,x} δ`` and ``∂C/∂cols = δ · W``, which col2im adds
    back onto the input windows: that last step is the transposed convolution (document 003
    ch. 1), and :class:`Conv2DTranspose` uses exactly this code as its forward pass.
    """

    def _geometry(self, x) -> Geometry:
        N, C, H, W = (int(s) for s in x.shape)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        if self.padding == "same":
            (pt, pb), (pl, pr) = same_padding(H, kh, sh), same_padding(W, kw, sw)
        elif self.padding == "valid":
            pt = pb = pl = pr = 0
        else:
            assert not isinstance(self.padding, str)  # parse_padding: "same", "valid" or a pair
            (pt, pl), (pb, pr) = self.padding, self.padding
        if H + pt + pb < kh or W + pl + pr < kw:
            raise ValueError(
                f"{self._name}: kernel {kh}x{kw} is larger than the padded input "
                f"{H + pt + pb}x{W + pl + pr} (input {H}x{W}, padding {self.padding})"
            )
        return Geometry(N, C, H, W, pt, pb, pl, pr, kh, kw, sh, sw)

    def forward(self, x):
        self._check(x)
        g = self._geometry(x)
        self._g, self._dtype = g, x.dtype
        cols = im2col(x, g, self._buffer)  # (N·OH·OW, kH·kW·C_in)
        y = cols @ self._wmat().T  # Eq. 001 §3.2: Σ_c Σ_i Σ_j X·W, as one GEMM  (N·OH·OW, C_out)
        if "b" in self.params:
            y += self.params["b"].data
        return y.reshape(g.N, g.OH, g.OW, self.out_channels).transpose(0, 3, 1, 2)  # (N, C_out, OH, OW)

    def backward(self, dout):
        self._check_dout(dout)
        g = self._g
        if g is None:
            raise RuntimeError(f"{self._name}.backward called before forward")
        xp = backend.get_array_module(dout)
        d2 = dout.transpose(0, 2, 3, 1).reshape(g.rows, self.out_channels)  # (N·OH·OW, C_out)
        cols = self._cache["cols"][1].reshape(g.rows, g.depth)  # columns of the forward pass
        if "b" in self.params:
            self.params["b"].grad += d2.sum(axis=0)  # ∂C/∂b = Σ δ
        self._weight_grad(d2, cols, g)  # ∂C/∂W = δᵀ · cols
        xp.matmul(d2, self._wmat(), out=cols)  # ∂C/∂cols = δ · W, written over the columns
        self._g = None
        return col2im(cols, g, self._dtype, xp)  # col2im: the transposed convolution

    # The fast paths of docs/architecture.md §3 (Module.backward_params / backward_input): the
    # lines of backward above, without the GEMMs whose result the caller would throw away.
    def backward_params(self, dout) -> None:
        """:meth:`backward`'s parameter gradients only (no column gradient, no col2im)."""
        self._check_dout(dout)
        g = self._g
        if g is None:
            raise RuntimeError(f"{self._name}.backward called before forward")
        d2 = dout.transpose(0, 2, 3, 1).reshape(g.rows, self.out_channels)  # (N·OH·OW, C_out)
        if "b" in self.params:
            self.params["b"].grad += d2.sum(axis=0)  # ∂C/∂b = Σ δ
        self._weight_grad(d2, self._cache["cols"][1].reshape(g.rows, g.depth), g)  # ∂C/∂W = δᵀ · cols
        self._g = None

    def backward_input(self, dout):
        """:meth:`backward`'s input gradient only (no ``δᵀ · cols`` GEMM; ``θ.grad`` untouched)."""
        self._check_dout(dout)
        g = self._g
        if g is None:
            raise RuntimeError(f"{self._name}.backward called before forward")
        xp = backend.get_array_module(dout)
        d2 = dout.transpose(0, 2, 3, 1).reshape(g.rows, self.out_channels)  # (N·OH·OW, C_out)
        cols = self._cache["cols"][1].reshape(g.rows, g.depth)
        xp.matmul(d2, self._wmat(), out=cols)  # ∂C/∂cols = δ · W
        self._g = None
        return col2im(cols, g, self._dtype, xp)


# ---------------------------------------------------------------------------- Conv2DTranspose
class Conv2DTranspose(_ConvBase):
    """2-D transposed convolution ("deconvolution"): the input-gradient of a Conv2D.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride : int or (int, int)
    padding : int, (int, int), "valid" or "same"
        An int ``p`` crops ``p`` rows/columns from each side of the full transposed
        convolution (PyTorch's meaning); ``"valid"`` is ``p = 0`` (Keras's ``"valid"`` differs
        only when ``f < s``: it then pads the output to ``in·stride``). ``"same"`` is TensorFlow/
        Keras's rule: the output is exactly ``in · stride``; it is the input-gradient of a
        ``"same"`` convolution of an ``in·stride`` image, i.e. the full result is cropped by
        ``max(f − s, 0)`` with any odd extra cropped on the bottom/right, and for ``f < s``
        the ``s − f`` missing rows/columns at the bottom/right are zeros (plus the bias).
    output_padding : int or (int, int)
        Extra rows/columns on the bottom/right, ``0 ≤ output_padding < stride`` (PyTorch's
        rule); only with int/pair/"valid" padding.
    bias, init, rng, dtype : as :class:`Conv2D`. The weight's fans follow PyTorch's
        convention for the shape ``(C_in, C_out, f_h, f_w)``.

    Shape
    -----
    - input: ``(N, C_in, H, W)``
    - output: ``(N, C_out, OH, OW)``, ``OH = (H − 1)·s_h − 2·p_h + f_h + output_padding_h``
      (PyTorch's formula; ``OH = H·s_h`` for ``"same"``). Document 001 §3.3 gives
      ``n_h = c_h + f_h − 1``, the case ``s = 1, p = 0``.
    - W: ``(C_in, C_out, f_h, f_w)`` (PyTorch's layout); b: ``(C_out,)``

    Notes
    -----
    Document 001 §3.3: each input element multiplies the whole filter and the products are
    summed where they overlap::

        Y[n, o, y·s_h + i − p_top, x·s_w + j − p_left] += X[n, c, y, x] · W[c, o, i, j]

    Document 003 ch. 1: this is what backpropagation through a convolution computes. In code
    it is literally Conv2D's backward: one GEMM ``cols = X · W`` then col2im. Its own backward
    is Conv2D's forward: im2col of ``δ = ∂C/∂Y`` then ``∂C/∂X = cols(δ) · Wᵀ`` and
    ``∂C/∂W = Xᵀ · cols(δ)``, ``∂C/∂b = Σ δ``.
    """

    _transposed = True

    def _geometry(self, x) -> Geometry:
        """Geometry of the convolution whose input-gradient this layer computes: its input is
        this layer's output (size OH×OW, C_out channels) and its output is this layer's input."""
        N, _, H, W = (int(s) for s in x.shape)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        if self.padding == "same":
            OH, OW = H * sh, W * sw  # TensorFlow: out = in · stride
            (pt, pb), (pl, pr) = same_padding(OH, kh, sh), same_padding(OW, kw, sw)
        else:
            (ph, pw) = (0, 0) if isinstance(self.padding, str) else self.padding  # a str here is "valid"
            (oph, opw) = self.output_padding
            OH = conv_transpose_output_size(H, kh, sh, ph, oph)
            OW = conv_transpose_output_size(W, kw, sw, pw, opw)
            if OH < 1 or OW < 1:
                raise ValueError(
                    f"{self._name}: input {H}x{W} gives a non-positive output size {OH}x{OW}; reduce padding"
                )
            pt = pb = ph
            pl = pr = pw
        g = Geometry(N, self.out_channels, OH, OW, pt, pb, pl, pr, kh, kw, sh, sw)
        assert (g.OH, g.OW) == (H, W), "internal: transposed geometry does not invert"
        return g

    def forward(self, x):
        self._check(x)
        g = self._geometry(x)
        xp = backend.get_array_module(x)
        x2 = x.transpose(0, 2, 3, 1).reshape(g.rows, self.in_channels)  # (N·H·W, C_in)
        cols = self._buffer("cols", (g.N, g.OH, g.OW, g.kh, g.kw, g.C), x.dtype, xp).reshape(g.rows, g.depth)
        xp.matmul(x2, self._wmat(), out=cols)  # Eq. 001 §3.3: every input element × the filter
        y = col2im(cols, g, x.dtype, xp)  # col2im: sum the overlapping products
        if "b" in self.params:
            y += self.params["b"].data.reshape(1, -1, 1, 1)
        self._g, self._x2 = g, x2
        return y  # (N, C_out, OH, OW)

    def backward(self, dout):
        self._check_dout(dout)
        g = self._g
        if g is None:
            raise RuntimeError(f"{self._name}.backward called before forward")
        if "b" in self.params:
            self.params["b"].grad += dout.sum(axis=(0, 2, 3))  # ∂C/∂b = Σ δ
        cols = im2col(dout, g, self._buffer)  # im2col of δ: a Conv2D forward  (N·H·W, kH·kW·C_out)
        self._weight_grad(self._x2, cols, g)  # ∂C/∂W = Xᵀ · cols(δ)
        dx = cols @ self._wmat().T  # ∂C/∂X = cols(δ) · Wᵀ  (N·H·W, C_in)
        self._g = self._x2 = None
        return dx.reshape(g.N, g.OH, g.OW, self.in_channels).transpose(0, 3, 1, 2)

    # The fast paths of docs/architecture.md §3 (Module.backward_params / backward_input).
    def backward_params(self, dout) -> None:
        """:meth:`backward`'s parameter gradients only (no ``cols(δ) · Wᵀ`` GEMM)."""
        self._check_dout(dout)
        g = self._g
        if g is None:
            raise RuntimeError(f"{self._name}.backward called before forward")
        if "b" in self.params:
            self.params["b"].grad += dout.sum(axis=(0, 2, 3))  # ∂C/∂b = Σ δ
        self._weight_grad(self._x2, im2col(dout, g, self._buffer), g)  # ∂C/∂W = Xᵀ · cols(δ)
        self._g = self._x2 = None

    def backward_input(self, dout):
        """:meth:`backward`'s input gradient only (no ``Xᵀ · cols(δ)`` GEMM; ``θ.grad`` untouched)."""
        self._check_dout(dout)
        g = self._g
        if g is None:
            raise RuntimeError(f"{self._name}.backward called before forward")
        dx = im2col(dout, g, self._buffer) @ self._wmat().T  # ∂C/∂X = cols(δ) · Wᵀ
        self._g = self._x2 = None
        return dx.reshape(g.N, g.OH, g.OW, self.in_channels).transpose(0, 3, 1, 2)

"""Fully connected and shape layers: Dense, Flatten, Reshape, Dropout (and BatchNorm below).

The equations are document 001's (Marques 2021) §2.6 feedforward and §2.9 backpropagation,
written for a batch in rows (PyTorch's layout) rather than the document's columns: the
document's ``Z = W X + b`` with ``X ∈ ℝ^{n_x × m}`` is our ``Z = X Wᵀ + b`` with
``X ∈ ℝ^{m × n_x}``; ``W`` has the document's shape ``(n_l, n_{l-1})`` in both.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..checks import (
    MAX_SIZE,
    check_bool,
    check_float,
    check_float_dtype,
    check_input,
    check_positive_int,
    check_seed,
    is_int,
)
from . import init as _init  # the constructors' `init` argument would shadow the module
from .module import Module, Parameter

__all__ = ["Dense", "Flatten", "Reshape", "Dropout", "BatchNorm"]


class Dense(Module):
    """Fully connected (affine) layer: ``Z = X Wᵀ + b``.

    Parameters
    ----------
    in_features, out_features : int
        ``n_{l-1}`` and ``n_l`` of document 001 §2.6.
    bias : bool
        Learn the bias ``b`` (default True).
    init : str or callable
        Weight initialiser (see :mod:`minigan.nn.init`); default ``"xavier"``, the documents'
        ``N(0, 1/n_{l-1})`` (document 001 §2.10). ``"pytorch"`` gives PyTorch's
        ``U(-1/√n, 1/√n)``. The bias starts at 0 (PyTorch draws it; the documents zero it).
    rng : numpy.random.Generator or int, optional
        Source of the initial weights (default: minigan's global generator,
        :func:`minigan.nn.init.manual_seed`).
    dtype : default float32.

    Shape
    -----
    - input: ``(N, in_features)``
    - output: ``(N, out_features)``
    - W: ``(out_features, in_features)``; b: ``(out_features,)``

    Notes
    -----
    Document 001 §2.6, eq. (1)–(3): ``Z^[l] = W^[l] A^[l-1] + b^[l]``.
    Document 001 §2.9: with ``δ = ∂C/∂Z`` (the upstream gradient ``dout``),
    ``∂C/∂W = δᵀ A^[l-1]``, ``∂C/∂b = Σ_batch δ`` and the error passed down is
    ``∂C/∂A^[l-1] = δ W``. The document prints ``∂C/∂W^[l] = A^[l-1] δ^l``, whose shape is not
    ``W``'s; in its column layout the product is ``δ^l (A^[l-1])ᵀ``, our ``δᵀ A^[l-1]`` in
    rows. ``δ W`` is the ``(W^[l+1])ᵀ δ^{l+1}`` factor of the document's recursion
    ``δ^l = ((W^[l+1])ᵀ δ^{l+1}) ⊙ g'(Z^[l])``; the ``⊙ g'`` part is the activation
    layer's own backward.
    """

    torch_names = {"W": "weight", "b": "bias"}  # PyTorch's nn.Linear (minigan.nn.torch_names)

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, init: str = "xavier", rng=None, dtype=np.float32
    ):
        super().__init__()
        self.in_features = check_positive_int("Dense", "in_features", in_features)
        self.out_features = check_positive_int("Dense", "out_features", out_features)
        dtype = check_float_dtype("Dense", dtype)
        check_bool("Dense", "bias", bias)
        fn = _init.get_initializer(init, "Dense")
        rng = _init.get_rng(rng, "Dense")
        self.params["W"] = Parameter(
            _init.make_weight(
                fn, (self.out_features, self.in_features), rng, dtype, f"Dense({self.in_features}, {self.out_features})"
            )
        )
        if bias:
            self.params["b"] = Parameter(np.zeros(self.out_features, dtype=dtype))
        self._x: Any = None  # the latest input (NumPy or CuPy), kept for backward

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}" + ("" if "b" in self.params else ", bias=False")

    def forward(self, x):
        check_input(
            f"Dense({self.in_features}, {self.out_features})",
            x,
            ndim=2,
            sizes={1: self.in_features},
            expected=f"(N, {self.in_features})",
        )
        self._x = x
        z = x @ self.params["W"].data.T  # Eq. 001 §2.6 (1): Z = W X + b, rows = samples
        if "b" in self.params:
            z += self.params["b"].data  # in place: z is the GEMM's own new array
        return z

    def backward(self, dout):
        self._check_dout(dout)
        x = self._x
        if x is None:
            raise RuntimeError("Dense.backward called before forward")
        W = self.params["W"]
        W.grad += dout.T @ x  # Eq. 001 §2.9 (corrected): ∂C/∂W = δ Aᵀ in columns, δᵀ A in rows  (out, in)
        if "b" in self.params:
            self.params["b"].grad += dout.sum(axis=0)  # Eq. 001 §2.9: ∂C/∂b = δ, summed over the batch
        return dout @ W.data  # Eq. 001 §2.9: Wᵀ δ in columns, δ W in rows  (N, in)

    # The fast paths of docs/architecture.md §3 (Module.backward_params / backward_input): the
    # lines of backward above, without the GEMM whose result the caller would throw away.
    def backward_params(self, dout) -> None:
        """:meth:`backward`'s parameter gradients only (no ``δ W`` GEMM for ``dx``)."""
        self._check_dout(dout)
        if self._x is None:
            raise RuntimeError("Dense.backward called before forward")
        self.params["W"].grad += dout.T @ self._x  # ∂C/∂W = δᵀ A
        if "b" in self.params:
            self.params["b"].grad += dout.sum(axis=0)  # ∂C/∂b = Σ δ

    def backward_input(self, dout):
        """:meth:`backward`'s ``dx`` only (no ``δᵀ A`` GEMM; ``θ.grad`` untouched)."""
        self._check_dout(dout)
        if self._x is None:
            raise RuntimeError("Dense.backward called before forward")
        return dout @ self.params["W"].data  # dx = δ W


class Flatten(Module):
    """Flatten every axis but the batch axis: ``(N, d1, d2, ...) -> (N, d1·d2·...)``.

    The bridge from convolutional feature maps to Dense layers (document 001 §3.4, LeNet-5;
    document 003 ch. 1's ``Flatten()``). Images are NCHW, so a ``(N, C, H, W)`` map flattens in
    C, H, W order (PyTorch's; Keras, being NHWC, flattens in H, W, C order).

    Shape
    -----
    - input: ``(N, d1, ..., dk)``, k >= 1
    - output: ``(N, d1·...·dk)``

    Notes
    -----
    A reshape: backward reshapes ``dout`` back to the input's shape.
    """

    def forward(self, x):
        check_input("Flatten", x, ndim=tuple(range(2, 8)), expected="(N, ...)")
        self._shape = x.shape
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))  # (N, d1·d2·...); also for size-0 arrays

    def backward(self, dout):
        self._check_dout(dout)
        return dout.reshape(self._shape)


class Reshape(Module):
    """Reshape each sample to ``shape`` (the batch axis is kept): ``(N, ...) -> (N, *shape)``.

    Parameters
    ----------
    *shape : int
        Target shape without the batch axis, e.g. ``Reshape(128, 7, 7)``; one entry may be -1.

    Shape
    -----
    - input: ``(N, ...)`` with ``prod(...) == prod(shape)``
    - output: ``(N, *shape)``

    Notes
    -----
    A DCGAN generator's dense output becomes feature maps this way (document 000 §3.2 reshapes
    to 24·24·64; document 003 ch. 3's Keras ``Reshape((28, 28, 1))`` is our NCHW
    ``Reshape(1, 28, 28)``). Backward reshapes ``dout`` back.
    """

    def __init__(self, *shape: int):
        super().__init__()
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if not shape:
            raise ValueError("Reshape: give the target shape without the batch axis, e.g. Reshape(128, 7, 7)")
        for s in shape:
            if not is_int(s) or (s < 1 and s != -1):
                raise ValueError(f"Reshape: every size must be a positive int (or one -1), got shape {shape}")
        if sum(1 for s in shape if s == -1) > 1:
            raise ValueError(f"Reshape: at most one size may be -1, got shape {shape}")
        if math.prod(abs(int(s)) for s in shape) > MAX_SIZE:
            raise ValueError(f"Reshape: the shape {shape} holds more than {MAX_SIZE} values per sample")
        self.shape = tuple(int(s) for s in shape)

    def extra_repr(self) -> str:
        return ", ".join(str(s) for s in self.shape)

    def forward(self, x):
        check_input(f"Reshape{self.shape}", x, ndim=tuple(range(1, 8)))
        per_sample = int(np.prod(x.shape[1:]))
        known = int(np.prod([s for s in self.shape if s != -1]))
        if (-1 in self.shape and per_sample % known) or (-1 not in self.shape and per_sample != known):
            raise ValueError(
                f"Reshape{self.shape}: cannot reshape a sample of shape {tuple(x.shape[1:])} "
                f"({per_sample} values) to {self.shape}"
            )
        self._shape = x.shape
        if -1 in self.shape and per_sample == 0:
            raise ValueError(
                f"Reshape{self.shape}: cannot infer the -1 size from an empty sample of shape {tuple(x.shape[1:])}"
            )
        return x.reshape((x.shape[0],) + self.shape)

    def backward(self, dout):
        self._check_dout(dout)
        return dout.reshape(self._shape)


class Dropout(Module):
    """Inverted dropout (document 001 §2.11.1; Srivastava, Hinton et al. 2014).

    In training each element is zeroed with probability ``p`` and the kept ones are scaled by
    ``1/(1-p)``, so the expected activation is unchanged and evaluation is the identity.

    Parameters
    ----------
    p : float in [0, 1)
        Probability of dropping an element ("desligado" in the document).
    seed : int, optional
        Seed of the mask generator (a per-layer generator of the input's array module, so the
        mask is drawn on the device that holds the data). ``None`` (default): the seed is drawn
        from minigan's global generator at the layer's first training forward pass, so a
        program that calls :func:`minigan.manual_seed` first is reproducible (as PyTorch's
        dropout follows ``torch.manual_seed``).

    Shape
    -----
    any; output has the input's shape.

    Notes
    -----
    Forward: ``y = x ⊙ m / (1 - p)``, ``m_i ~ Bernoulli(1 - p)``. Backward:
    ``dx = dout ⊙ m / (1 - p)``. Document 001 describes dropping with probability ``p`` "during
    an epoch"; like every library we draw a new mask at every forward pass. Set
    ``fixed_mask`` to an array of 0/1 to reuse one mask (gradient checks do this).
    """

    def __init__(self, p: float = 0.5, seed: int | None = None):
        super().__init__()
        self.p = check_float("Dropout", "p", p, 0.0, 1.0)
        self.seed = check_seed("Dropout", "seed", seed)
        self._rngs: dict[str, Any] = {}  # array module name -> its generator (NumPy's or CuPy's)
        self.fixed_mask: Any = None  # an array of 0/1, or None
        self._scale: Any = None

    def extra_repr(self) -> str:
        return f"p={self.p}"

    def rng_state(self) -> dict | None:
        """State of the host (NumPy) mask generator, for an exact resume from a checkpoint;
        None before the layer's first training forward on the CPU."""
        g = self._rngs.get("numpy")
        return None if g is None else g.bit_generator.state

    def set_rng_state(self, state: dict) -> None:
        """Continue the host mask generator from a :meth:`rng_state`."""
        g = np.random.default_rng()
        g.bit_generator.state = state
        self._rngs["numpy"] = g

    def _rng(self, xp):
        key = xp.__name__
        if key not in self._rngs:
            seed = self.seed if self.seed is not None else int(_init.get_rng().integers(2**63))
            self._rngs[key] = xp.random.default_rng(seed)
        return self._rngs[key]

    def forward(self, x):
        check_input(f"Dropout(p={self.p})", x, ndim=tuple(range(1, 33)), expected="(N, ...)")
        if not self.training or self.p == 0.0:
            self._scale = None
            return x
        if self.fixed_mask is not None:
            mask = self.fixed_mask
            if tuple(mask.shape) != tuple(x.shape):  # a broadcast would share one mask row by row
                raise ValueError(
                    f"Dropout(p={self.p}): fixed_mask has shape {tuple(mask.shape)}, "
                    f"but the input has shape {tuple(x.shape)}"
                )
        else:
            xp = backend.get_array_module(x)
            mask = self._rng(xp).random(x.shape, dtype=np.float32) >= self.p  # m ~ Bernoulli(1-p)
        self._scale = mask.astype(x.dtype) * (1.0 / (1.0 - self.p))  # Eq. m / (1 - p)
        return x * self._scale

    def backward(self, dout):
        self._check_dout(dout)
        if self._scale is None:
            return dout
        return dout * self._scale


# ---------------------------------------------------------------------------- BatchNorm
def _channel_sum(a):
    """Σ over every axis but the channel axis 1: ``(N, C) -> (C,)``, ``(N, C, H, W) -> (C,)``.

    ``einsum`` is several times faster than ``sum(axis=(0, 2, 3))`` for NCHW in NumPy."""
    if a.ndim == 2:
        return a.sum(axis=0)
    xp = backend.get_array_module(a)
    return xp.einsum("nchw->c", a)


class BatchNorm(Module):
    """Batch normalization for ``(N, C)`` or ``(N, C, H, W)`` inputs (document 001 §2.12.1).

    Each feature (channel) ``c`` is normalized with the mean and variance of the mini-batch
    (over ``N``, and over ``H, W`` for images), then scaled and shifted by learned ``γ, β``.

    Parameters
    ----------
    num_features : int
        ``C``, the number of features or channels.
    momentum : float in [0, 1]
        Weight of the new batch in the running statistics (PyTorch's convention, default
        0.1): ``running = (1 − momentum)·running + momentum·batch``. Keras uses the
        complementary convention ``running = momentum·running + (1 − momentum)·batch``, so
        document 003 ch. 3's ``BatchNormalization(momentum=0.8)`` is ``BatchNorm(...,
        momentum=0.2)`` here. (Keras's default ``epsilon`` is also different: 1e-3.)
    eps : float > 0
        ``ε`` of document 001 §2.12.1 (default 1e-5).
    dtype : default float32.

    Shape
    -----
    - input: ``(N, C)`` or ``(N, C, H, W)``; output: the same.
    - params gamma (ones), beta (zeros): ``(C,)``; buffers running_mean (zeros),
      running_var (ones): ``(C,)``.

    Notes
    -----
    Document 001 §2.12.1, over the ``m`` values of a feature in the batch::

        μ = (1/m) Σ_i z_i                         # Eq. 001 §2.12.1 (mean)
        σ² = (1/m) Σ_i (z_i − μ)²                 # Eq. 001 §2.12.1 (biased variance)
        ẑ = (z − μ) / √(σ² + ε)                   # Eq. 001 §2.12.1 (Z_n)
        y = γ ẑ + β                               # Eq. 001 §2.12.1 (Z̃)

    Training uses the batch statistics above and updates the running ones with the
    *unbiased* variance ``σ²·m/(m − 1)`` (PyTorch); evaluation (``eval()``) normalizes with
    ``running_mean``/``running_var`` instead. Backward in training mode is the full
    batch-norm gradient (``μ`` and ``σ²`` depend on every ``z_i``), in its compact form::

        ∂C/∂ẑ = δ γ
        ∂C/∂z = (1/√(σ² + ε)) · (∂C/∂ẑ − mean(∂C/∂ẑ) − ẑ · mean(∂C/∂ẑ ⊙ ẑ))
        ∂C/∂γ = Σ δ ⊙ ẑ,   ∂C/∂β = Σ δ

    In evaluation mode the layer is affine and ``∂C/∂z = δ γ / √(running_var + ε)``.
    A batch with one value per feature cannot be normalized in training (PyTorch raises
    too).
    """

    torch_names = {"gamma": "weight", "beta": "bias"}  # PyTorch's nn.BatchNorm1d/2d
    torch_extra_buffers = ("num_batches_tracked",)  # kept by PyTorch, not by minigan

    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5, dtype=np.float32):
        super().__init__()
        self.num_features = check_positive_int("BatchNorm", "num_features", num_features)
        self.momentum = check_float("BatchNorm", "momentum", momentum, 0.0, 1.0, high_inclusive=True)
        self.eps = check_float("BatchNorm", "eps", eps, 0.0, low_inclusive=False)
        if not math.isfinite(self.eps):  # eps = inf would make every output 0
            raise ValueError(f"BatchNorm: eps must be a float > 0 and finite, got {eps!r}")
        dtype = check_float_dtype("BatchNorm", dtype)
        C = self.num_features
        self.params["gamma"] = Parameter(np.ones(C, dtype=dtype))
        self.params["beta"] = Parameter(np.zeros(C, dtype=dtype))
        self.buffers["running_mean"] = np.zeros(C, dtype=dtype)
        self.buffers["running_var"] = np.ones(C, dtype=dtype)
        self._cache: tuple | None = None

    def extra_repr(self) -> str:
        return f"{self.num_features}, momentum={self.momentum}, eps={self.eps}"

    def forward(self, x):
        C = self.num_features
        check_input(f"BatchNorm({C})", x, ndim=(2, 4), sizes={1: C}, expected=f"(N, {C}) or (N, {C}, H, W)")
        shape = (1, C) if x.ndim == 2 else (1, C, 1, 1)
        m = x.size // C
        gamma = self.params["gamma"].data
        if self.training:
            if m < 2:
                raise ValueError(
                    f"BatchNorm({C}): training needs more than one value per feature, got "
                    f"input shape {tuple(x.shape)}; use eval() for single samples"
                )
            mu = _channel_sum(x) * (1.0 / m)  # Eq. 001 §2.12.1: μ = (1/m) Σ z      (C,)
            xc = x - mu.reshape(shape)
            var = _channel_sum(xc * xc) * (1.0 / m)  # Eq. 001 §2.12.1: σ² = (1/m) Σ (z − μ)²
            inv = 1.0 / (var + self.eps) ** 0.5  # 1/√(σ² + ε)      (C,)
            mom = self.momentum
            rm, rv = self.buffers["running_mean"], self.buffers["running_var"]
            self.buffers["running_mean"] = (1.0 - mom) * rm + mom * mu.astype(rm.dtype)
            self.buffers["running_var"] = (1.0 - mom) * rv + (mom * m / (m - 1)) * var.astype(rv.dtype)
        else:
            inv = 1.0 / (self.buffers["running_var"] + self.eps) ** 0.5
            xc = x - self.buffers["running_mean"].reshape(shape)
        self._cache = (xc, inv, shape, m, self.training)
        # Eq. 001 §2.12.1: Z_n = (Z − μ)/√(σ² + ε), Z̃ = γ Z_n + β, evaluated as (Z − μ)·(γ/√(σ² + ε)) + β
        y = xc * (gamma * inv).reshape(shape)
        y += self.params["beta"].data.reshape(shape)  # in place: one temporary fewer
        return y

    def backward(self, dout):
        self._check_dout(dout)
        if self._cache is None:
            raise RuntimeError("BatchNorm.backward called before forward")
        xc, inv, shape, m, training = self._cache  # ẑ = xc · inv
        gamma = self.params["gamma"]
        dbeta = _channel_sum(dout)  # ∂C/∂β = Σ δ
        s = _channel_sum(dout * xc)  # Σ δ ⊙ (z − μ)
        self.params["beta"].grad += dbeta
        gamma.grad += s * inv  # ∂C/∂γ = Σ δ ⊙ ẑ
        self._cache = None
        k = gamma.data * inv  # γ/√(σ² + ε): ∂C/∂ẑ = δγ, times ∂ẑ/∂z for fixed statistics
        if not training:
            return dout * k.reshape(shape)  # affine in eval mode
        # full gradient through μ and σ² (compact form, per-channel coefficients):
        # (1/√(σ²+ε))·(δγ − mean(δγ) − ẑ·mean(δγ ⊙ ẑ)) = k·δ − k·mean(δ) − (z − μ)·k·inv²·mean(δ ⊙ (z − μ))
        a = (-k * inv * inv * s * (1.0 / m)).reshape(shape)
        c = (-k * dbeta * (1.0 / m)).reshape(shape)
        dx = xc * a  # (xc·a + c) + δ·k, summed in place: two temporaries fewer
        dx += c
        dx += dout * k.reshape(shape)
        return dx

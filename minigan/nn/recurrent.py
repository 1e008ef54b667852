"""Recurrent layers: RNN (Elman) and LSTM, with backpropagation through time written by hand.

Document 003, ch. 2 ("Redes Neurais Recorrentes") writes a recurrent network with row vectors:

    s_t = f(s_{t-1} W + x_t U),      y_t = s_t V

(the "estado interno" ``s_t``, input ``x_t``; ``U`` maps the input to the state, ``W`` the
previous state to the new one, ``V`` the state to the output). The same cell in PyTorch's
layout, which minigan follows so that models port either way, is

    h_t = f(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)

so ``U ↔ W_ihᵀ`` and ``W ↔ W_hhᵀ`` (the document's ``U`` is ``(D, H)``, PyTorch's ``W_ih``
is ``(H, D)``), ``s_t ↔ h_t``, and the output layer ``V`` is a separate :class:`~minigan.Dense`.

Both layers take batch-first sequences ``(N, T, D)`` (PyTorch's ``batch_first=True``) and
return every hidden state ``(N, T, H)``. The last state is kept in ``h_n`` (and ``c_n`` for the
LSTM); an initial state is passed as the keyword ``h0`` (``c0``), and after ``backward`` the
gradient with respect to it is in ``dh0`` (``dc0``). ``backward(dout, dh_n=...)`` also accepts a
gradient for the final state, which is how truncated BPTT (document 003, "backpropagation
truncado ao longo do tempo") chains one chunk of a long text to the next.

Gradient clipping by global norm (document 003's ``tf.clip_by_global_norm(gradients, 5)``) is
the optimizers' ``clip_norm`` keyword, see :mod:`minigan.nn.optim`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..checks import check_bool, check_float_dtype, check_input, check_positive_int
from . import init as _init
from .activations import sigmoid
from .module import Module, Parameter

__all__ = ["RNN", "LSTM"]

_NONLINEARITIES = ("tanh", "relu", "linear")


class _Recurrent(Module):
    """Shared parts of RNN and LSTM: parameters, validation, state handling."""

    torch_names = {
        "W_ih": "weight_ih_l0",
        "W_hh": "weight_hh_l0",  # PyTorch's one-layer nn.RNN/LSTM
        "b_ih": "bias_ih_l0",
        "b_hh": "bias_hh_l0",
    }

    _gates = 1  # number of H-blocks stacked in W_ih / W_hh (LSTM: 4)

    def __init__(self, input_size: int, hidden_size: int, bias: bool, init, rng, dtype):
        super().__init__()
        name = type(self).__name__
        self.input_size = check_positive_int(name, "input_size", input_size)
        self.hidden_size = check_positive_int(name, "hidden_size", hidden_size)
        check_bool(name, "bias", bias)
        H, D, G = self.hidden_size, self.input_size, self._gates
        dtype = check_float_dtype(name, dtype)
        fn = _init.get_initializer(init, name)
        rng = _init.get_rng(rng, name)
        pytorch_init = fn is _init.uniform_fan_in
        if pytorch_init:
            # PyTorch: every weight and bias ~ U(-1/√H, 1/√H), H = hidden_size.
            def draw(shape):
                return _init.make_weight(_init.uniform_fan_in, shape, rng, dtype, name, fan_in=H)
        else:

            def draw(shape):
                return _init.make_weight(fn, shape, rng, dtype, name)

        self.params["W_ih"] = Parameter(draw((G * H, D)))
        self.params["W_hh"] = Parameter(draw((G * H, H)))
        if bias:
            for b in ("b_ih", "b_hh"):
                self.params[b] = Parameter(draw((G * H,)) if pytorch_init else np.zeros(G * H, dtype=dtype))
        self._cache: dict | None = None
        self.h_n: Any = None  # arrays (NumPy or CuPy) once forward/backward ran
        self.dh0: Any = None

    # ------------------------------------------------------------------ helpers
    def _name(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if "b_ih" in self.params else ", bias=False")

    def _check_x(self, x):
        check_input(
            self._name(), x, ndim=3, sizes={2: self.input_size}, expected=f"(N, T, {self.input_size}) (batch_first)"
        )
        if x.shape[1] < 1:
            raise ValueError(f"{self._name()}: input needs at least one time step, got shape {tuple(x.shape)}")

    def _check_state(self, s, what: str, N: int):
        """Accept ``(N, H)`` or PyTorch's ``(1, N, H)``; return ``(N, H)`` and the given shape."""
        H = self.hidden_size
        check_input(self._name(), s, ndim=(2, 3), name=what, expected=f"(N, H) = ({N}, {H}) or PyTorch's (1, {N}, {H})")
        shape = tuple(s.shape)
        if shape not in ((N, H), (1, N, H)):
            raise ValueError(
                f"{self._name()}: {what} must have shape (N, H) = ({N}, {H}) "
                f"(or PyTorch's (1, {N}, {H})) for an input of batch size {N}, got {shape}"
            )
        return s.reshape(N, H), shape

    def _check_backward(self, dout) -> dict:
        """The latest forward's cache, once ``dout`` is checked against it."""
        if self._cache is None:
            raise RuntimeError(f"{self._name()}.backward called before forward")
        want = self._cache["shape"]
        check_input(self._name(), dout, ndim=3, name="dout", expected=f"{want} (the output's shape)")
        return self._cache

    def _input_projection(self, x):
        """``x_t W_ihᵀ + b_ih + b_hh`` for every t in one GEMM: (N, T, G·H)."""
        N, T, D = x.shape
        p = self.params
        GH = self._gates * self.hidden_size
        xw = (x.reshape(N * T, D) @ p["W_ih"].data.T).reshape(N, T, GH)  # (N, T, G·H)
        if "b_ih" in p:
            xw = xw + (p["b_ih"].data + p["b_hh"].data)
        return xw

    def _param_grads(self, x, h_prev, da):
        """Accumulate the shared weights' gradients over all time steps in one GEMM each.

        ``da`` (N, T, G·H) is ∂C/∂(pre-activation) at every step and ``h_prev`` (N, T, H) is the
        state each step read. Returns dx (N, T, D).
        """
        N, T, D = x.shape
        p = self.params
        da2 = da.reshape(N * T, self._gates * self.hidden_size)  # (N·T, G·H)
        p["W_ih"].grad += da2.T @ x.reshape(N * T, D)  # Σ_t δ_tᵀ x_t   (document: ∂C/∂U = Σ_t x_tᵀ δ_t)
        p["W_hh"].grad += da2.T @ h_prev.reshape(N * T, self.hidden_size)  # Σ_t δ_tᵀ h_{t-1} (document: ∂C/∂W)
        if "b_ih" in p:
            db = da2.sum(axis=0)
            p["b_ih"].grad += db
            p["b_hh"].grad += db
        return (da2 @ p["W_ih"].data).reshape(N, T, D)  # ∂C/∂x_t = δ_t W_ih  (document: δ_t Uᵀ)


class RNN(_Recurrent):
    """Elman recurrent layer over batch-first sequences, with hand-written BPTT.

    ``h_t = f(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)`` for t = 1..T, ``h_0`` given or zeros.

    Parameters
    ----------
    input_size : int
        ``D``, features of each ``x_t``.
    hidden_size : int
        ``H``, size of the state ``h_t`` (the document's ``s_t``).
    nonlinearity : {"tanh", "relu", "linear"}
        ``f``. ``"tanh"`` and ``"relu"`` are PyTorch's; ``"linear"`` (``f(a) = a``) is a minigan
        extension for document 003's "count the ones" cell ``s_t = s_{t-1} W + x_t U``
        (PyTorch has no such option, so a linear model does not port to ``nn.RNN``).
    bias : bool
        Learn ``b_ih`` and ``b_hh`` (default True). They are redundant (only their sum matters)
        but kept, as in PyTorch, so that state dicts port one to one.
    init : str or callable
        Default ``"pytorch"``: every weight and bias ``~ U(-1/√H, 1/√H)`` (PyTorch's rule,
        fan-in = ``hidden_size``). Any other :mod:`minigan.nn.init` name draws the weights with
        that rule and starts the biases at 0.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights (default: minigan's global generator).
    dtype : default float32.

    Shape
    -----
    - input ``x``: ``(N, T, D)`` (batch_first); optional ``h0``: ``(N, H)`` or ``(1, N, H)``
    - output: ``(N, T, H)``, every hidden state; ``rnn.h_n`` = ``(N, H)``, the last one
      (PyTorch's ``h_n[0]``)
    - ``W_ih``: ``(H, D)``; ``W_hh``: ``(H, H)``; ``b_ih``, ``b_hh``: ``(H,)`` (PyTorch's
      ``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``)

    Notes
    -----
    Document 003 ch. 2 (RNN equations): ``s_t = f(s_{t-1} W + x_t U)`` and ``y_t = s_t V``;
    here ``U = W_ihᵀ``, ``W = W_hhᵀ`` and ``V`` is a separate Dense layer. (The document
    prints the left-hand side as a capital ``S_t``; it is the same state ``s_t``.)

    Backpropagation through time (document 003, "Backpropagation ao longo do tempo"): unroll
    the network over the sequence, then walk it backwards. With ``a_t`` the pre-activation and
    ``g_t = ∂C/∂h_t = dout_t + (gradient arriving from step t+1)``:

        δ_t = g_t ⊙ f'(a_t)
        ∂C/∂W_hh = Σ_t δ_tᵀ h_{t-1}     (document: gW += gS·s_{t-1})
        ∂C/∂W_ih = Σ_t δ_tᵀ x_t         (document: gU += gS·x_t)
        ∂C/∂h_{t-1} = δ_t W_hh          (document: gS = gS·W)

    The weights are shared by all steps, so their gradients are sums over t. In the document's
    printed ``backward`` the line ``gS = gS * W`` lost its indentation and appears after the
    loop; it belongs inside it (Vasilev et al.'s original has it there): every step back
    multiplies the gradient by ``W`` once more. That repeated product is the exploding /
    vanishing gradient of document 003 ("Problema da dissipação e explosão dos gradientes"):
    for the linear cell ``∂s_T/∂s_0 = W^T``, which explodes for ``|W| > 1`` and vanishes for
    ``|W| < 1``. The cure used by the document's language model is clipping by global norm
    (``clip_norm`` of the optimizers) and the :class:`LSTM`.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        nonlinearity: str = "tanh",
        bias: bool = True,
        init="pytorch",
        rng=None,
        dtype=np.float32,
    ):
        if nonlinearity not in _NONLINEARITIES:
            raise ValueError(f"RNN: nonlinearity must be one of {_NONLINEARITIES}, got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, init, rng, dtype)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity!r}"

    def __call__(self, x, h0=None):
        return super().__call__(x, h0=h0)

    def _f(self, a):
        if self.nonlinearity == "tanh":
            return backend.get_array_module(a).tanh(a)
        if self.nonlinearity == "relu":
            return backend.get_array_module(a).maximum(a, 0)  # max(a, 0): -inf gives 0, not -inf·0 = NaN
        return a

    def _df(self, h):
        """f'(a_t) written with the output h_t = f(a_t)."""
        if self.nonlinearity == "tanh":
            return 1.0 - h * h  # tanh' = 1 - tanh²
        if self.nonlinearity == "relu":
            return h > 0  # derivative 0 at a = 0, as PyTorch
        return None

    def forward(self, x, h0=None):
        """Run the sequence; return every hidden state ``(N, T, H)``; keep the last in ``h_n``.

        ``h0`` is the initial state ``(N, H)`` or ``(1, N, H)`` (zeros when None).
        """
        self._check_x(x)
        xp = backend.get_array_module(x)
        N, T, _ = x.shape
        H = self.hidden_size
        h0_shape = None
        if h0 is not None:
            h0, h0_shape = self._check_state(h0, "h0", N)
        W_hh = self.params["W_hh"].data
        xw = self._input_projection(x)  # x_t U (+ biases), all t at once
        dtype = xw.dtype if h0 is None else xp.result_type(xw.dtype, h0.dtype)
        h = xp.zeros((N, H), dtype=dtype) if h0 is None else h0
        hs = xp.empty((N, T, H), dtype=dtype)
        for t in range(T):
            h = self._f(xw[:, t] + h @ W_hh.T)  # Eq. 003 ch. 2: s_t = f(s_{t-1} W + x_t U)
            hs[:, t] = h
        self._cache = {"x": x, "h0": h0, "hs": hs, "h0_shape": h0_shape, "shape": (N, T, H)}
        self.h_n = hs[:, -1]
        return hs

    def backward(self, dout, dh_n=None):
        """BPTT. ``dout`` = ∂C/∂(all states) ``(N, T, H)``; ``dh_n`` an optional extra gradient
        for the final state (from a later chunk or a head that read ``h_n``). Returns
        ∂C/∂x ``(N, T, D)``, adds the parameter gradients, and sets ``self.dh0`` (shaped like
        the ``h0`` that was given, else ``(N, H)``)."""
        self._check_dout(dout)
        c = self._check_backward(dout)
        x, hs = c["x"], c["hs"]
        xp = backend.get_array_module(dout)
        N, T, H = c["shape"]
        if dh_n is not None:
            dh_n, _ = self._check_state(dh_n, "dh_n", N)
        W_hh = self.params["W_hh"].data
        h0 = xp.zeros((N, H), dtype=hs.dtype) if c["h0"] is None else c["h0"]
        da = xp.empty((N, T, H), dtype=xp.result_type(hs.dtype, dout.dtype))
        dh_next = dh_n  # gradient flowing into h_t from step t+1 (None = 0)
        for t in range(T - 1, -1, -1):
            g = dout[:, t] if dh_next is None else dout[:, t] + dh_next  # ∂C/∂s_t
            df = self._df(hs[:, t])
            d = g if df is None else g * df  # δ_t = ∂C/∂s_t ⊙ f'(a_t)
            da[:, t] = d
            dh_next = d @ W_hh  # Eq. 003 BPTT: gS = gS · W (one step back)
        h_prev = xp.concatenate([h0[:, None, :], hs[:, :-1]], axis=1)  # (N, T, H): s_{t-1}
        dx = self._param_grads(x, h_prev, da)  # gU += gS·x_t, gW += gS·s_{t-1}, all t
        self.dh0 = dh_next.reshape(c["h0_shape"]) if c["h0_shape"] else dh_next
        self._cache = None  # one backward per forward (docs/architecture.md §3), as the other layers
        return dx


class LSTM(_Recurrent):
    """Long short-term memory layer (PyTorch's gate layout), with hand-written BPTT.

    Parameters
    ----------
    input_size : int
        ``D``.
    hidden_size : int
        ``H``, size of the hidden state ``h_t`` and of the cell state ``c_t``.
    bias : bool
        Learn ``b_ih`` and ``b_hh`` (default True).
    init : str or callable
        Default ``"pytorch"``: every weight and bias ``~ U(-1/√H, 1/√H)``; another
        :mod:`minigan.nn.init` name draws the weights with it and zeros the biases.
    rng : numpy.random.Generator or int, optional
    dtype : default float32.

    Shape
    -----
    - input ``x``: ``(N, T, D)`` (batch_first); optional ``h0``, ``c0``: ``(N, H)`` or ``(1, N, H)``
    - output: ``(N, T, H)``, every ``h_t``; ``lstm.h_n``, ``lstm.c_n``: ``(N, H)``
    - ``W_ih``: ``(4H, D)``; ``W_hh``: ``(4H, H)``; ``b_ih``, ``b_hh``: ``(4H,)``, the four
      blocks of H rows in PyTorch's order input, forget, cell (g), output.

    Notes
    -----
    Document 003 ch. 2 ("Long short-term memory") describes the cell in words: a cell state
    changed only through gates made of a logistic sigmoid and an element-wise product, an input
    gate, a forget gate and an output gate, and tanh as the layer's activation. It prints no
    equations; these are PyTorch's (Hochreiter & Schmidhuber 1997, with Gers et al.'s 2000
    forget gate):

        [i, f, g, o] = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh     (split into 4 blocks of H)
        i = σ(·), f = σ(·), g = tanh(·), o = σ(·)
        c_t = f ⊙ c_{t-1} + i ⊙ g
        h_t = o ⊙ tanh(c_t)

    BPTT, with ``g_h = ∂C/∂h_t`` (dout_t plus what step t+1 sends) and ``g_c = ∂C/∂c_t``:

        ∂C/∂o = g_h ⊙ tanh(c_t)
        g_c  += g_h ⊙ o ⊙ (1 − tanh²(c_t))
        ∂C/∂i = g_c ⊙ g,  ∂C/∂g = g_c ⊙ i,  ∂C/∂f = g_c ⊙ c_{t-1},  ∂C/∂c_{t-1} = g_c ⊙ f

    then through σ' = σ(1 − σ) and tanh' = 1 − tanh² to the stacked pre-activations, and on to
    the weights exactly as in :class:`RNN`. The cell path ``∂C/∂c_{t-1} = g_c ⊙ f`` has no
    weight matrix in it: with ``f ≈ 1`` the gradient is carried back unchanged, which is why
    the LSTM does not suffer the ``W^T`` explosion / vanishing of the plain RNN (document 003,
    "As LSTMs podem resolver o problema causado pela dissipação ou explosão dos gradientes").
    """

    _gates = 4

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, init="pytorch", rng=None, dtype=np.float32
    ):
        super().__init__(input_size, hidden_size, bias, init, rng, dtype)
        self.c_n: Any = None
        self.dc0: Any = None

    def __call__(self, x, h0=None, c0=None):
        return super().__call__(x, h0=h0, c0=c0)

    def forward(self, x, h0=None, c0=None):
        """Run the sequence; return every ``h_t`` ``(N, T, H)``; keep ``h_n`` and ``c_n``.

        ``h0``, ``c0``: initial hidden and cell states ``(N, H)`` or ``(1, N, H)`` (zeros when
        None; either may be given alone).
        """
        self._check_x(x)
        xp = backend.get_array_module(x)
        N, T, _ = x.shape
        H = self.hidden_size
        shapes = {}
        if h0 is not None:
            h0, shapes["h0"] = self._check_state(h0, "h0", N)
        if c0 is not None:
            c0, shapes["c0"] = self._check_state(c0, "c0", N)
        W_hh = self.params["W_hh"].data
        xw = self._input_projection(x)  # (N, T, 4H)
        dtype = xp.result_type(xw.dtype, *[s.dtype for s in (h0, c0) if s is not None])
        h = xp.zeros((N, H), dtype=dtype) if h0 is None else h0
        c = xp.zeros((N, H), dtype=dtype) if c0 is None else c0
        gates = xp.empty((N, T, 4 * H), dtype=dtype)  # activated i, f, g, o
        cs = xp.empty((N, T, H), dtype=dtype)
        tcs = xp.empty((N, T, H), dtype=dtype)  # tanh(c_t)
        hs = xp.empty((N, T, H), dtype=dtype)
        for t in range(T):
            a = xw[:, t] + h @ W_hh.T  # (N, 4H): pre-activations of i, f, g, o
            gates[:, t, : 2 * H] = sigmoid(a[:, : 2 * H])  # i, f = σ(·)
            gates[:, t, 2 * H : 3 * H] = xp.tanh(a[:, 2 * H : 3 * H])  # g = tanh(·)
            gates[:, t, 3 * H :] = sigmoid(a[:, 3 * H :])  # o = σ(·)
            i, f, g, o = (gates[:, t, k * H : (k + 1) * H] for k in range(4))
            c = f * c + i * g  # c_t = f ⊙ c_{t-1} + i ⊙ g
            cs[:, t] = c
            tcs[:, t] = xp.tanh(c)
            h = o * tcs[:, t]  # h_t = o ⊙ tanh(c_t)
            hs[:, t] = h
        self._cache = {
            "x": x,
            "h0": h0,
            "c0": c0,
            "hs": hs,
            "cs": cs,
            "tcs": tcs,
            "gates": gates,
            "shapes": shapes,
            "shape": (N, T, H),
        }
        self.h_n = hs[:, -1]
        self.c_n = cs[:, -1]
        return hs

    def backward(self, dout, dh_n=None, dc_n=None):
        """BPTT. ``dout`` = ∂C/∂(all h_t) ``(N, T, H)``; optional ``dh_n``, ``dc_n`` for the final
        states. Returns ∂C/∂x, adds the parameter gradients, sets ``dh0`` and ``dc0``."""
        self._check_dout(dout)
        c_ = self._check_backward(dout)
        x, hs, cs, tcs, gates = c_["x"], c_["hs"], c_["cs"], c_["tcs"], c_["gates"]
        xp = backend.get_array_module(dout)
        N, T, H = c_["shape"]
        if dh_n is not None:
            dh_n, _ = self._check_state(dh_n, "dh_n", N)
        if dc_n is not None:
            dc_n, _ = self._check_state(dc_n, "dc_n", N)
        W_hh = self.params["W_hh"].data
        dtype = xp.result_type(hs.dtype, dout.dtype)
        h0 = xp.zeros((N, H), dtype=hs.dtype) if c_["h0"] is None else c_["h0"]
        c0 = xp.zeros((N, H), dtype=hs.dtype) if c_["c0"] is None else c_["c0"]
        da = xp.empty((N, T, 4 * H), dtype=dtype)
        dh_next = xp.zeros((N, H), dtype=dtype) if dh_n is None else dh_n
        dc_next = xp.zeros((N, H), dtype=dtype) if dc_n is None else dc_n
        for t in range(T - 1, -1, -1):
            i, f, g, o = (gates[:, t, k * H : (k + 1) * H] for k in range(4))
            tc = tcs[:, t]
            c_prev = cs[:, t - 1] if t > 0 else c0
            gh = dout[:, t] + dh_next  # ∂C/∂h_t
            gc = dc_next + gh * o * (1.0 - tc * tc)  # ∂C/∂c_t: from c_{t+1} and through h_t
            da[:, t, :H] = gc * g * i * (1.0 - i)  # ∂C/∂i ⊙ σ'
            da[:, t, H : 2 * H] = gc * c_prev * f * (1.0 - f)  # ∂C/∂f ⊙ σ'
            da[:, t, 2 * H : 3 * H] = gc * i * (1.0 - g * g)  # ∂C/∂g ⊙ tanh'
            da[:, t, 3 * H :] = gh * tc * o * (1.0 - o)  # ∂C/∂o ⊙ σ'
            dc_next = gc * f  # ∂C/∂c_{t-1}: the cell path, no weight matrix
            dh_next = da[:, t] @ W_hh  # ∂C/∂h_{t-1}
        h_prev = xp.concatenate([h0[:, None, :], hs[:, :-1]], axis=1)  # (N, T, H): h_{t-1}
        dx = self._param_grads(x, h_prev, da)
        sh = c_["shapes"]
        self.dh0 = dh_next.reshape(sh["h0"]) if "h0" in sh else dh_next
        self.dc0 = dc_next.reshape(sh["c0"]) if "c0" in sh else dc_next
        self._cache = None
        return dx

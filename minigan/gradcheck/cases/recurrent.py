"""Gradient-check cases of minigan.nn.recurrent: RNN, LSTM (and their initial/final state gradients)."""

from __future__ import annotations

import numpy as np

from ... import backend
from ...nn.module import Module, Parameter
from ...nn.recurrent import LSTM, RNN
from ..registry import GradCase, register


class _WithState(Module):
    """Gradient-check harness: the initial state is a Parameter and the final state is part
    of the output, so ``check_module`` also checks dh0/dc0 and the dh_n/dc_n paths.

    Output: ``concat([hs, h_n[:, None], c_n[:, None]], axis=1)`` (c_n for an LSTM only).
    """

    def __init__(self, layer, h0, c0=None):
        super().__init__()
        self.layer = layer
        self.params["h0"] = Parameter(h0)
        if c0 is not None:
            self.params["c0"] = Parameter(c0)

    def children(self):
        return [self.layer]

    def forward(self, x):
        kw = {k: p.data for k, p in self.params.items()}
        hs = self.layer(x, **kw)
        parts = [hs, self.layer.h_n[:, None]]
        if isinstance(self.layer, LSTM):
            parts.append(self.layer.c_n[:, None])
        return backend.get_array_module(x).concatenate(parts, axis=1)

    def backward(self, dout):
        self._check_dout(dout)
        T = dout.shape[1] - (2 if isinstance(self.layer, LSTM) else 1)
        kw = {"dh_n": dout[:, T]}
        if isinstance(self.layer, LSTM):
            kw["dc_n"] = dout[:, T + 1]
        dx = self.layer.backward(dout[:, :T], **kw)
        self.params["h0"].grad += self.layer.dh0
        if "c0" in self.params:
            self.params["c0"].grad += self.layer.dc0
        return dx


def _relu_case(rng, N, T, D, H):
    """A ReLU RNN and an input whose pre-activations all stay ≥ 0.05 away from the kink at 0
    (a finite difference across the kink is meaningless), with units both on and off."""
    for _ in range(50):
        layer = RNN(D, H, nonlinearity="relu", rng=rng).astype(np.float64)
        x = rng.standard_normal((N, T, D))
        hs = layer.forward(x)
        h_prev = np.concatenate([np.zeros((N, 1, H)), hs[:, :-1]], axis=1)
        a = layer._input_projection(x) + h_prev @ layer.params["W_hh"].data.T
        if np.abs(a).min() > 0.05 and (a > 0).any() and (a < 0).any():
            return layer, x
    raise RuntimeError("RNN relu gradient-check case: no input away from the kink found")


@register("RNN")
def _gc_rnn(rng):
    N, T, D, H = 2, 3, 3, 4
    relu, x_relu = _relu_case(rng, N, T, D, H)
    return [
        GradCase("RNN(3, 4) tanh", RNN(D, H, rng=rng), rng.standard_normal((N, T, D))),
        GradCase("RNN(3, 4, relu)", relu, x_relu),
        GradCase(
            "RNN(3, 4, linear, bias=False)",
            RNN(D, H, nonlinearity="linear", bias=False, rng=rng),
            rng.standard_normal((N, T, D)),
        ),
        GradCase(
            "RNN(3, 4) tanh with h0, dh_n",
            _WithState(RNN(D, H, rng=rng), rng.standard_normal((N, H))),
            rng.standard_normal((N, T, D)),
        ),
    ]


@register("LSTM")
def _gc_lstm(rng):
    N, T, D, H = 2, 3, 3, 4
    return [
        GradCase("LSTM(3, 4)", LSTM(D, H, rng=rng), rng.standard_normal((N, T, D))),
        GradCase("LSTM(3, 4, bias=False)", LSTM(D, H, bias=False, rng=rng), rng.standard_normal((N, T, D))),
        GradCase(
            "LSTM(3, 4) with h0, c0, dh_n, dc_n",
            _WithState(LSTM(D, H, rng=rng), rng.standard_normal((N, H)), rng.standard_normal((N, H))),
            rng.standard_normal((N, T, D)),
        ),
    ]

"""Gradient-check cases of the conditioning layers (minigan.nn.conditional).

:func:`minigan.gradcheck.check_module` perturbs one floating input ``x``. The conditioning
layers take several inputs, one of them integer labels, so each case wraps the layer in a
small adapter Module whose single input is the floating input under test and whose other
inputs are fixed:

- :class:`_Labelled` ``x -> m((x, y))`` with fixed labels ``y`` (Conditional);
- :class:`_OneOf` ``x -> m(inputs with x at position i)``, backward returns entry ``i`` of the
  tuple of input gradients (Concat: every input is checked, one case each);
- :class:`_PlusEmbedding` ``x -> x + Embedding(y)``: ``dx = dout`` is trivial; the row of
  interest is ``W``, the scatter-added gradient (labels repeat, so rows get sums).

The adapters hold the checked layer as their child, so every parameter of it is checked too,
and their fixed inputs as buffers, so ``.to("gpu")`` moves them with the parameters.
"""

from __future__ import annotations

import numpy as np

from ...nn.activations import LeakyReLU, Tanh
from ...nn.conditional import Concat, Conditional, Embedding
from ...nn.conv import Conv2D
from ...nn.layers import BatchNorm, Dense, Flatten
from ...nn.module import Module
from ...nn.sequential import Sequential
from ..registry import GradCase, register


class _Labelled(Module):
    def __init__(self, m, y):
        super().__init__()
        self.m = m
        self.buffers["y"] = np.asarray(y)  # a buffer: .to(device) moves it with the parameters

    def children(self):
        return [self.m]

    def forward(self, x):
        return self.m((x, self.buffers["y"]))

    def backward(self, dout):
        self._check_dout(dout)
        return self.m.backward(dout)


class _OneOf(Module):
    def __init__(self, m, inputs, index):
        super().__init__()
        self.m, self.index, self.count = m, index, len(inputs)
        for i, a in enumerate(inputs):
            self.buffers[f"in{i}"] = np.asarray(a, dtype=np.float64)

    def children(self):
        return [self.m]

    def forward(self, x):
        xs = [self.buffers[f"in{i}"] for i in range(self.count)]
        xs[self.index] = x
        return self.m(tuple(xs))

    def backward(self, dout):
        self._check_dout(dout)
        return self.m.backward(dout)[self.index]


class _PlusEmbedding(Module):
    def __init__(self, m, y):
        super().__init__()
        self.m = m
        self.buffers["y"] = np.asarray(y)

    def children(self):
        return [self.m]

    def forward(self, x):
        return x + self.m(self.buffers["y"])

    def backward(self, dout):
        self._check_dout(dout)
        assert self.m.backward(dout) is None  # integer labels: no gradient
        return dout


@register("Embedding")
def _gc_embedding(rng):
    y = np.array([0, 2, 2, 4, 1, 2])  # repeated labels: W.grad rows are sums
    seq = np.array([[0, 3, 3], [4, 0, 1]])  # (N, T) indices of a sequence (lesson 13's words)
    return [
        GradCase(
            "Embedding(5, 3) (x + E[y], repeated labels)",
            _PlusEmbedding(Embedding(5, 3, rng=rng), y),
            rng.standard_normal((6, 3)),
        ),
        GradCase(
            "Embedding(5, 3) (x + E[y], y of shape (2, 3))",
            _PlusEmbedding(Embedding(5, 3, rng=rng), seq),
            rng.standard_normal((2, 3, 3)),
        ),
    ]


@register("Concat")
def _gc_concat(rng):
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    c = [rng.standard_normal((2, k, 3, 3)) for k in (1, 2, 3)]
    cases = [GradCase(f"Concat(axis=1) (N, F) input {i}", _OneOf(Concat(1), (a, b), i), (a, b)[i]) for i in (0, 1)]
    cases += [GradCase(f"Concat(axis=1) NCHW input {i} of 3", _OneOf(Concat(1), c, i), c[i]) for i in range(3)]
    d = [rng.standard_normal((2, 3, k)) for k in (2, 4)]
    cases += [GradCase(f"Concat(axis=-1) input {i}", _OneOf(Concat(-1), d, i), d[i]) for i in (0, 1)]
    return cases


@register("Conditional")
def _gc_conditional(rng):
    y = np.array([0, 3, 1, 3, 2, 0])
    flat = Conditional(Sequential(Dense(4 + 3, 5, rng=rng), Tanh(), Dense(5, 2, rng=rng)), 4, 3, rng=rng)
    img = Conditional(
        Sequential(Conv2D(2 + 2, 3, 3, padding=1, rng=rng), LeakyReLU(0.2), Flatten(), Dense(3 * 4 * 4, 1, rng=rng)),
        4,
        2,
        rng=rng,
    )
    dense_d = Conditional(Sequential(Dense(16 + 3, 2, rng=rng)), 4, 3, join="flat", rng=rng)
    bn = Conditional(Sequential(Dense(3 + 4, 5, bias=False, rng=rng), BatchNorm(5), Tanh()), 4, embedding_init="onehot")
    return [
        GradCase("Conditional flat [z | e(y)] -> Dense, Tanh, Dense", _Labelled(flat, y), rng.standard_normal((6, 4))),
        GradCase(
            "Conditional channels (label map) -> Conv2D", _Labelled(img, y[:3]), rng.standard_normal((3, 2, 4, 4))
        ),
        GradCase("Conditional join='flat' on NCHW x", _Labelled(dense_d, y[:3]), rng.standard_normal((3, 1, 4, 4))),
        GradCase("Conditional one-hot -> Dense, BatchNorm", _Labelled(bn, y), rng.standard_normal((6, 3))),
    ]

"""Gradient-check cases of minigan.nn.layers: Dense, Flatten, Reshape, Dropout, BatchNorm."""

from __future__ import annotations

import numpy as np

from ...nn.layers import BatchNorm, Dense, Dropout, Flatten, Reshape
from ..registry import GradCase, register


@register("Dense")
def _gc_dense(rng):
    return [
        GradCase("Dense(5, 3)", Dense(5, 3, rng=rng), rng.standard_normal((4, 5))),
        GradCase("Dense(6, 2, bias=False)", Dense(6, 2, bias=False, rng=rng), rng.standard_normal((3, 6))),
    ]


@register("Flatten")
def _gc_flatten(rng):
    return GradCase("Flatten", Flatten(), rng.standard_normal((2, 3, 2, 2)))


@register("Reshape")
def _gc_reshape(rng):
    return GradCase("Reshape(2, 3, 2)", Reshape(2, 3, 2), rng.standard_normal((3, 12)))


@register("Dropout")
def _gc_dropout(rng):
    d = Dropout(0.4)
    d.fixed_mask = rng.random((4, 6)) >= 0.4
    return GradCase("Dropout(p=0.4, fixed mask)", d, rng.standard_normal((4, 6)))


@register("BatchNorm")
def _gc_batchnorm(rng):
    cases = []
    for name, shape, train in [
        ("BatchNorm(4) (N,C) train", (6, 4), True),
        ("BatchNorm(2) (N,C,H,W) train", (3, 2, 3, 4), True),
        ("BatchNorm(4) (N,C) eval", (5, 4), False),
        ("BatchNorm(2) (N,C,H,W) eval", (2, 2, 3, 3), False),
    ]:
        bn = BatchNorm(shape[1], momentum=0.3)
        bn.params["gamma"].data = (1.0 + 0.5 * rng.standard_normal(shape[1])).astype(np.float32)
        bn.params["beta"].data = rng.standard_normal(shape[1]).astype(np.float32)
        for _ in range(3):  # non-trivial running statistics for the eval cases
            bn.forward((2.0 * rng.standard_normal(shape) + 1.0).astype(np.float32))
        bn._cache = None
        cases.append(GradCase(name, bn.train(train), rng.standard_normal(shape)))
    return cases

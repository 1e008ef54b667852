"""Gradient-check cases of minigan.nn.activations: ReLU, LeakyReLU, Sigmoid, Tanh, ELU, Softmax."""

from __future__ import annotations

import numpy as np

from ...nn.activations import ELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from ..registry import GradCase, register


def _away_from_kink(rng, shape):
    """Normal samples kept at least 0.05 from 0, where ReLU-like kinks break finite differences."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.05, np.sign(x + 1e-12) * 0.05 + x, x)


@register("activations")
def _gc_activations(rng):
    x = lambda: _away_from_kink(rng, (4, 5))
    return [
        GradCase("ReLU", ReLU(), x()),
        GradCase("LeakyReLU(0.2)", LeakyReLU(0.2), x()),
        GradCase("Sigmoid", Sigmoid(), 3 * x()),
        GradCase("Tanh", Tanh(), 2 * x()),
        GradCase("ELU(1.0)", ELU(1.0), x()),
        GradCase("Softmax(axis=-1)", Softmax(), x()),
        GradCase("Softmax(axis=1) on (N,C,H,W)", Softmax(axis=1), rng.standard_normal((2, 3, 2, 2))),
    ]

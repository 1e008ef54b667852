"""Graders of lesson 13: the embedding lookup's backward pass (a scatter-add)."""

from __future__ import annotations

import numpy as np

from ...nn.conditional import Embedding
from ..model import Case, Exercise, Mutant
from ..solutions import lesson13 as sol
from .common import normal, numeric_grads


def _cases(rng):
    cases = []
    for y_shape, V, E in [((6,), 4, 3), ((2, 5), 7, 2), ((3,), 5, 4), ((3, 4), 3, 3)]:
        y = rng.integers(0, V, y_shape)
        if y.size > V:
            y.reshape(-1)[1] = y.reshape(-1)[0]  # a label used twice
        dout = normal(rng, *y_shape, E)
        layer = Embedding(V, E, dtype=np.float64, rng=0)
        W = layer.W.data.copy()
        layer(y)
        layer.zero_grad()
        layer.backward(dout)
        (num,) = numeric_grads(lambda W, y, dout: np.sum(W[y] * dout), [W, y, dout], [0])
        cases.append(Case(f"y {y_shape}, V={V}, E={E}", (dout, y, V), {}, layer.W.grad.copy(), {0: num}))
    return cases


def _fancy_add(dout, y, num_embeddings):
    dW = np.zeros((num_embeddings, dout.shape[-1]))
    dW[y.reshape(-1)] += dout.reshape(-1, dout.shape[-1])
    return dW


def _mean_per_label(dout, y, num_embeddings):
    dW = sol.embedding_backward(dout, y, num_embeddings)
    counts = np.bincount(y.reshape(-1), minlength=num_embeddings)
    return dW / np.maximum(counts, 1)[:, None]


EXERCISES = [
    Exercise(
        "13.embedding_backward",
        "the embedding lookup's backward pass (scatter-add)",
        "document 001 §2.9",
        2,
        sol.embedding_backward,
        _cases,
        (
            Mutant("W[y] += dout", _fancy_add, "W[y] += dout keeps one row per repeated label: use np.add.at"),
            Mutant(
                "mean per label", _mean_per_label, "a label used k times gets the SUM of its k rows, not their mean"
            ),
        ),
        "dW[v] = Σ of the rows of dout whose label is v (np.add.at)",
        outputs=("dW",),
    ),
]

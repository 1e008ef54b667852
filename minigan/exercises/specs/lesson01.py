"""Graders of lesson 01: the perceptron rule and the linear model's squared-error gradient."""

from __future__ import annotations

import numpy as np

from ...nn.layers import Dense
from ...nn.losses import MSELoss
from ..model import Case, Exercise, Mutant
from ..solutions import lesson01 as sol
from .common import normal, numeric_grads, set_params


def _dense(w, b):
    d = Dense(len(w), 1, dtype=np.float64, rng=0)
    set_params(d, W=w[None, :], b=[b])
    return d


# ---------------------------------------------------------------------------- perceptron_update
def _perceptron_expected(w, b, x, y, lr):
    z = float(_dense(w, b)(x[None, :])[0, 0])  # minigan's Dense is the perceptron's weighted sum
    err = y - (1.0 if z > 0 else 0.0)
    return w + lr * err * x, float(b + lr * err)


def _perceptron_cases(rng):
    cases = []
    for label, d, zero, mistake, lr in [
        ("w = 0, b = 0, y = 1", 3, True, None, 1.0),
        ("w = 0, b = 0, y = 0", 4, True, None, 0.5),
        ("d = 2, a mistake", 2, False, True, 1.0),
        ("d = 5, a mistake", 5, False, True, 0.1),
        ("d = 3, correct", 3, False, False, 1.0),
    ]:
        x = normal(rng, d)
        if zero:
            w, b = np.zeros(d), 0.0
            y = 1.0 if "y = 1" in label else 0.0
        else:
            w, b = normal(rng, d), float(rng.normal())
            y_hat = 1.0 if x @ w + b > 0 else 0.0
            y = 1.0 - y_hat if mistake else y_hat
        cases.append(Case(label, (w, b, x, y), {"lr": lr}, _perceptron_expected(w, b, x, y, lr)))
    return cases


def _perceptron_ge(w, b, x, y, lr=1.0):
    err = y - (1.0 if x @ w + b >= 0 else 0.0)
    return w + lr * err * x, float(b + lr * err)


def _perceptron_delta(w, b, x, y, lr=1.0):
    err = y - float(x @ w + b)
    return w + lr * err * x, float(b + lr * err)


def _perceptron_sign(w, b, x, y, lr=1.0):
    err = y - (1.0 if x @ w + b > 0 else 0.0)
    return w - lr * err * x, float(b - lr * err)


# ---------------------------------------------------------------------------- linear_mse_gradient
def _mse_cost(X, y, w, b):
    return np.mean((X @ w + b - y) ** 2)


def _linear_cases(rng):
    cases = []
    for N, d in [(5, 3), (8, 1), (13, 4)]:
        X, y, w, b = normal(rng, N, d), normal(rng, N), normal(rng, d), float(rng.normal())
        dense, loss = _dense(w, b), MSELoss()
        C = float(loss(dense(X), y[:, None]))
        dense.zero_grad()
        dense.backward(loss.backward())
        expected = (C, dense.W.grad[0].copy(), float(dense.b.grad[0]))
        dw, db = numeric_grads(_mse_cost, [X, y, w, np.array(b)], [2, 3])
        cases.append(Case(f"N={N}, d={d}", (X, y, w, b), {}, expected, {1: dw, 2: db}))
    return cases


def _linear_no_two(X, y, w, b):
    r = X @ w + b - y
    return float(np.mean(r**2)), X.T @ r / len(y), float(r.mean())


def _linear_sum(X, y, w, b):
    r = X @ w + b - y
    return float(np.sum(r**2)), 2.0 * X.T @ r, float(2.0 * r.sum())


def _linear_sign(X, y, w, b):
    r = X @ w + b - y
    return float(np.mean(r**2)), -2.0 / len(y) * X.T @ r, float(-2.0 / len(y) * r.sum())


EXERCISES = [
    Exercise(
        "01.perceptron_update",
        "one step of Rosenblatt's perceptron rule",
        "document 001 §2.2",
        1,
        sol.perceptron_update,
        _perceptron_cases,
        (
            Mutant("predicts 1 at z = 0", _perceptron_ge, "ŷ = 1 only if Σ w x + b > 0 strictly: at 0 it says 0"),
            Mutant("delta rule", _perceptron_delta, "the perceptron updates with the thresholded ŷ ∈ {0, 1}, not z"),
            Mutant("wrong direction", _perceptron_sign, "on a mistake move towards y: w + η (y − ŷ) x"),
        ),
        "ŷ = 1 if w·x + b > 0 else 0; then w + η (y − ŷ) x and b + η (y − ŷ)",
        outputs=("w_new", "b_new"),
    ),
    Exercise(
        "01.linear_mse_gradient",
        "the squared-error cost of a linear model and its gradient",
        "document 001 §2.3",
        1,
        sol.linear_mse_gradient,
        _linear_cases,
        (
            Mutant("no 2", _linear_no_two, "the derivative of (z − y)² is 2 (z − y): keep the 2"),
            Mutant("sum, not mean", _linear_sum, "C is a mean over the N examples: divide by N"),
            Mutant("sign", _linear_sign, "∂C/∂w = (2/N) Σ (z − y) x: the residual is z − y, not y − z"),
        ),
        "C = mean((z − y)²), ∂C/∂w = (2/N) Xᵀ(z − y), ∂C/∂b = (2/N) Σ (z − y)",
        outputs=("C", "dw", "db"),
    ),
]

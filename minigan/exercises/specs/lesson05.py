"""Graders of lesson 05: Dense forward and backward, the MLP's backward pass in the document's
column notation, and a central-difference gradient."""

from __future__ import annotations

import numpy as np

from ... import gradcheck
from ...nn.activations import Sigmoid, Tanh
from ...nn.layers import Dense
from ...nn.losses import BCELoss
from ...nn.sequential import Sequential
from ..compare import describe
from ..model import Case, Exercise, Mutant, WrongOutput
from ..solutions import lesson05 as sol
from .common import normal, numeric_grads, set_params

DENSE_SHAPES = [(4, 3, 5), (1, 2, 3), (5, 4, 4), (3, 7, 2)]  # (N, n_in, n_out)


def _dense(W, b):
    d = Dense(W.shape[1], W.shape[0], dtype=np.float64, rng=0)
    set_params(d, W=W, b=b)
    return d


# ---------------------------------------------------------------------------- dense_forward
def _forward_cases(rng):
    cases = []
    for N, n_in, n_out in DENSE_SHAPES:
        x, W, b = normal(rng, N, n_in), normal(rng, n_out, n_in), normal(rng, n_out)
        cases.append(Case(f"N={N}, n_in={n_in}, n_out={n_out}", (x, W, b), {}, _dense(W, b)(x)))
    return cases


# ---------------------------------------------------------------------------- dense_backward
def _backward_cases(rng):
    cases = []
    for N, n_in, n_out in DENSE_SHAPES:
        x, W, b, dout = normal(rng, N, n_in), normal(rng, n_out, n_in), normal(rng, n_out), normal(rng, N, n_out)
        layer = _dense(W, b)
        layer(x)
        layer.zero_grad()
        dx = layer.backward(dout)
        expected = (dx, layer.W.grad.copy(), layer.b.grad.copy())
        num = numeric_grads(lambda x, W, b, dout: np.sum((x @ W.T + b) * dout), [x, W, b, dout], [0, 1, 2])
        cases.append(Case(f"N={N}, n_in={n_in}, n_out={n_out}", (dout, x, W), {}, expected, dict(enumerate(num))))
    return cases


# ---------------------------------------------------------------------------- mlp_backward_columns
def _mlp_cost(X, Y, Ws, bs):
    A = X
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = W @ A + b[:, None]
        A = 1 / (1 + np.exp(-Z)) if l == len(Ws) - 1 else np.tanh(Z)
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))


def _mlp_cost_of_W(W, l, X, Y, Ws, bs):
    return _mlp_cost(X, Y, Ws[:l] + [W] + Ws[l + 1 :], bs)


def _mlp_cost_of_b(b, l, X, Y, Ws, bs):
    return _mlp_cost(X, Y, Ws, bs[:l] + [b] + bs[l + 1 :])


def _mlp_cases(rng):
    cases = []
    for sizes, m in [([3, 4, 1], 5), ([2, 5, 3, 1], 4), ([4, 3, 1], 1)]:
        Ws = [normal(rng, b, a, scale=np.sqrt(1 / a)) for a, b in zip(sizes[:-1], sizes[1:])]
        bs = [normal(rng, b, scale=0.1) for b in sizes[1:]]
        X, Y = normal(rng, sizes[0], m), rng.integers(0, 2, (1, m)).astype(np.float64)
        layers = []
        for l, W in enumerate(Ws):
            layers += [_dense(W, bs[l]), Sigmoid() if l == len(Ws) - 1 else Tanh()]
        net, loss = Sequential(*layers), BCELoss()
        C = float(loss(net(X.T), Y.T))  # minigan's rows are the document's columns
        net.zero_grad()
        net.backward(loss.backward())
        dense = layers[::2]
        expected = (C, [d.W.grad.copy() for d in dense], [d.b.grad.copy() for d in dense])
        L = len(Ws)
        numeric = {}
        for l in range(L):
            (numeric[1 + l],) = numeric_grads(_mlp_cost_of_W, [Ws[l], l, X, Y, Ws, bs], [0])
            (numeric[1 + L + l],) = numeric_grads(_mlp_cost_of_b, [bs[l], l, X, Y, Ws, bs], [0])
        cases.append(Case(f"sizes {sizes}, m={m}", (X, Y, Ws, bs), {}, expected, numeric))
    return cases


def _mlp_variant(gprime, last_delta):
    def mlp(X, Y, Ws, bs):
        As = [X]
        for l, (W, b) in enumerate(zip(Ws, bs)):
            Z = W @ As[-1] + b[:, None]
            As.append(1 / (1 + np.exp(-Z)) if l == len(Ws) - 1 else np.tanh(Z))
        Y_hat = As[-1]
        C = -np.mean(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat))
        dWs, dbs = [None] * len(Ws), [None] * len(Ws)
        delta = last_delta(Y_hat, Y)
        for l in reversed(range(len(Ws))):
            dWs[l], dbs[l] = delta @ As[l].T, delta.sum(axis=1)
            if l > 0:
                delta = (Ws[l].T @ delta) * gprime(As[l])
        return float(C), dWs, dbs

    return mlp


_mlp_no_gprime = _mlp_variant(lambda A: 1.0, lambda Y_hat, Y: (Y_hat - Y) / Y.shape[1])
_mlp_no_mean = _mlp_variant(lambda A: 1 - A**2, lambda Y_hat, Y: Y_hat - Y)
_mlp_sigmoid_gprime = _mlp_variant(lambda A: A * (1 - A), lambda Y_hat, Y: (Y_hat - Y) / Y.shape[1])


# ---------------------------------------------------------------------------- numerical_gradient
def _f_of(x, coef):
    return lambda: float(np.sum(np.sin(x) * coef) + 0.1 * np.sum(x**3))


def _run_numerical(fn, x0, coef, h):
    x = x0.copy()
    grad = fn(_f_of(x, coef), x, h)
    if not isinstance(x, np.ndarray) or x.shape != x0.shape:
        raise WrongOutput(f"x must keep its shape, now {describe(x)}")
    return grad, x


def _numerical_cases(rng):
    cases = []
    for shape, h in [((4,), 1e-3), ((2, 3), 1e-2), ((3, 2, 2), 1e-3)]:
        x0, coef = normal(rng, *shape), normal(rng, *shape)
        x = x0.copy()
        grad = gradcheck.numerical_gradient(_f_of(x, coef), x, h)
        cases.append(Case(f"x {shape}, h={h}", (x0, coef, h), {}, (grad, x0.copy())))
    return cases


def _numerical_forward(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    f0 = f()
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + h
        grad[idx] = (f() - f0) / h
        x[idx] = old
    return grad


def _numerical_over_h(f, x, h=1e-5):
    return 2.0 * sol.numerical_gradient(f, x, h)


def _numerical_not_restored(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f()
        x[idx] = old - h
        grad[idx] = (f_plus - f()) / (2 * h)
    return grad


EXERCISES = [
    Exercise(
        "05.dense_forward",
        "the fully connected layer's forward pass",
        "document 001 §2.6",
        1,
        sol.dense_forward,
        _forward_cases,
        (
            Mutant("no bias", lambda x, W, b: x @ W.T, "add the bias b: Z = x Wᵀ + b"),
            Mutant(
                "activation",
                lambda x, W, b: np.maximum(x @ W.T + b, 0),
                "Dense is affine, Z = x Wᵀ + b; the activation is a layer of its own",
            ),
        ),
        "Z = x Wᵀ + b with the samples in the rows of x",
        outputs=("Z",),
    ),
    Exercise(
        "05.dense_backward",
        "the fully connected layer's backward pass",
        "document 001 §2.9",
        2,
        sol.dense_backward,
        _backward_cases,
        (
            Mutant(
                "transposed dW",
                lambda dout, x, W: (dout @ W, x.T @ dout, dout.sum(axis=0)),
                "∂C/∂W = δᵀ x has W's shape (n_out, n_in); xᵀ δ is its transpose",
            ),
            Mutant(
                "mean for db",
                lambda dout, x, W: (dout @ W, dout.T @ x, dout.mean(axis=0)),
                "∂C/∂b sums δ over the batch (the loss already took the mean)",
            ),
        ),
        "dx = δ W, dW = δᵀ x, db = Σ_batch δ",
        outputs=("dx", "dW", "db"),
    ),
    Exercise(
        "05.mlp_backward_columns",
        "an MLP's backpropagation in the document's column notation",
        "document 001 §2.9",
        3,
        sol.mlp_backward_columns,
        _mlp_cases,
        (
            Mutant("no g'", _mlp_no_gprime, "δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ g'(Zˡ): multiply by tanh' = 1 − (Aˡ)²"),
            Mutant("no 1/m", _mlp_no_mean, "C is a mean over the m columns: δᴸ = (Ŷ − Y) / m"),
            Mutant("σ' in hidden layers", _mlp_sigmoid_gprime, "hidden layers use tanh: g' = 1 − A², not A(1 − A)"),
        ),
        "δᴸ = (Ŷ − Y)/m, δˡ = (Wˡ⁺¹ᵀ δˡ⁺¹) ⊙ (1 − (Aˡ)²), dWˡ = δˡ Aˡ⁻¹ᵀ",
        outputs=("C", "dWs", "dbs"),
    ),
    Exercise(
        "05.numerical_gradient",
        "a central-difference gradient",
        "document 001 §2.9",
        1,
        sol.numerical_gradient,
        _numerical_cases,
        (
            Mutant("forward difference", _numerical_forward, "use (f(x + h) − f(x − h)) / 2h: its error is O(h²)"),
            Mutant("divides by h", _numerical_over_h, "divide by 2h: the two points are 2h apart"),
            Mutant("x not restored", _numerical_not_restored, "put the old value back after the two evaluations"),
        ),
        "perturb one entry by ±h, evaluate f, restore it; (f₊ − f₋) / 2h",
        outputs=("grad", "x afterwards"),
        run=_run_numerical,
    ),
]

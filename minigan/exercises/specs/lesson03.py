"""Graders of lesson 03: BCE on probabilities and on logits, softmax cross-entropy."""

from __future__ import annotations

import numpy as np

from ...nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss
from ..model import Case, Exercise, Mutant
from ..solutions import lesson03 as sol
from .common import normal, numeric_grads


def _loss_case(label, loss, pred, target, scalar=None):
    """A case whose expected output is minigan's (value, gradient); with ``scalar`` also the
    central differences of ``scalar(pred, target)`` with respect to pred."""
    value = float(loss(pred, target))
    expected = (value, loss.backward())
    numeric = {}
    if scalar is not None:
        (num,) = numeric_grads(scalar, [pred, target], [0])
        numeric = {1: num}
    return Case(label, (pred, target), {}, expected, numeric)


# ---------------------------------------------------------------------------- bce
def _bce_cases(rng):
    cases = []
    for shape, soft in [((6,), False), ((4, 3), True), ((2, 2, 3), False)]:
        p = rng.uniform(0.05, 0.95, shape)
        y = rng.uniform(0, 1, shape) if soft else rng.integers(0, 2, shape).astype(np.float64)
        cases.append(
            _loss_case(f"ŷ {shape}{', soft y' if soft else ''}", BCELoss(), p, y, lambda a, b: sol.bce(a, b)[0])
        )
    return cases


def _bce_parts(p, y):
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)), (p - y) / (p * (1 - p))


def _bce_sum(p, y):
    loss, grad = _bce_parts(p, y)
    return float(loss.sum()), grad


def _bce_logit_grad(p, y):
    loss, _ = _bce_parts(p, y)
    return float(loss.mean()), (p - y) / p.size


def _bce_sign(p, y):
    loss, grad = _bce_parts(p, y)
    return float(-loss.mean()), -grad / p.size


# ---------------------------------------------------------------------------- bce_with_logits
def _logit_cases(rng):
    cases = []
    for shape in [(6,), (4, 3), (2, 2, 3)]:
        z, y = normal(rng, *shape, scale=3.0), rng.integers(0, 2, shape).astype(np.float64)
        cases.append(_loss_case(f"z {shape}", BCEWithLogitsLoss(), z, y, lambda a, b: sol.bce_with_logits(a, b)[0]))
    z = np.array([-1000.0, -40.0, -2.0, 0.0, 3.0, 40.0, 1000.0, 1000.0])
    y = np.array([1.0, 1.0, 0.0, 1.0, 0.5, 0.0, 0.0, 1.0])
    cases.append(_loss_case("large |z|", BCEWithLogitsLoss(), z, y))
    return cases


def _sig(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _logits_naive(z, y):
    p = 1 / (1 + np.exp(-z))
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))), (_sig(z) - y) / z.size


def _logits_stable(z, y):
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def _logits_no_mean(z, y):
    return _logits_stable(z, y), _sig(z) - y


def _logits_sign(z, y):
    return _logits_stable(z, y), (y - _sig(z)) / z.size


# ---------------------------------------------------------------------------- softmax_cross_entropy
def _ce_cases(rng):
    cases = []
    for N, K in [(4, 3), (7, 5), (3, 10)]:
        z, y = normal(rng, N, K, scale=2.0), rng.integers(0, K, N)
        cases.append(
            _loss_case(f"N={N}, K={K}", CrossEntropyLoss(), z, y, lambda a, b: sol.softmax_cross_entropy(a, b)[0])
        )
    z = normal(rng, 4, 3, scale=1000.0)
    cases.append(_loss_case("logits ≈ ±1000", CrossEntropyLoss(), z, rng.integers(0, 3, 4)))
    return cases


def _ce_unshifted(z, y):
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    dz = p.copy()
    dz[rows, y] -= 1
    return float(-np.log(p[rows, y]).mean()), dz / len(y)


def _ce_mean_all(z, y):
    C, dz = sol.softmax_cross_entropy(z, y)
    return C, dz / z.shape[1]


def _ce_axis0(z, y):
    s = z - z.max(axis=0, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=0, keepdims=True)
    rows = np.arange(len(y))
    dz = p.copy()
    dz[rows, y] -= 1
    return float(-np.log(p[rows, y]).mean()), dz / len(y)


EXERCISES = [
    Exercise(
        "03.bce",
        "binary cross-entropy on probabilities and its gradient",
        "document 001 §2.7.1",
        1,
        sol.bce,
        _bce_cases,
        (
            Mutant("sum, not mean", _bce_sum, "C is a mean over the m elements: divide by m (the gradient too)"),
            Mutant("logit gradient", _bce_logit_grad, "(ŷ − y)/m is ∂C/∂z; ∂C/∂ŷ also divides by ŷ(1 − ŷ)"),
            Mutant("sign", _bce_sign, "C = −(1/m) Σ [y log ŷ + (1 − y) log(1 − ŷ)]: keep the minus"),
        ),
        "C = −mean(y log ŷ + (1 − y) log(1 − ŷ)), ∂C/∂ŷ = (ŷ − y)/(ŷ(1 − ŷ) m)",
        outputs=("C", "dy_hat"),
    ),
    Exercise(
        "03.bce_with_logits",
        "binary cross-entropy on logits, the stable form",
        "document 001 §2.7.1",
        2,
        sol.bce_with_logits,
        _logit_cases,
        (
            Mutant("unstable", _logits_naive, "log(1 − σ(z)) overflows: use max(z, 0) − z·y + log(1 + e^(−|z|))"),
            Mutant("gradient not a mean", _logits_no_mean, "C is a mean: ∂C/∂z = (σ(z) − y) / m"),
            Mutant("gradient sign", _logits_sign, "∂C/∂z = σ(z) − y over m, not y − σ(z)"),
        ),
        "C = mean(max(z, 0) − z·y + log(1 + e^(−|z|))), ∂C/∂z = (σ(z) − y)/m",
        outputs=("C", "dz"),
    ),
    Exercise(
        "03.softmax_cross_entropy",
        "softmax cross-entropy of logits and its gradient",
        "document 003 ch. 1",
        2,
        sol.softmax_cross_entropy,
        _ce_cases,
        (
            Mutant("no max shift", _ce_unshifted, "subtract each row's max before exp: e^1000 overflows"),
            Mutant("mean over N·K", _ce_mean_all, "the mean is over the N samples: dz = (softmax − onehot)/N"),
            Mutant("softmax over axis 0", _ce_axis0, "softmax over each row (axis=1), the classes of one sample"),
        ),
        "C = −mean log softmax(z)[y], dz = (softmax(z) − onehot(y)) / N",
        outputs=("C", "dz"),
    ),
]

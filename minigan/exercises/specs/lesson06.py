"""Graders of lesson 06: Xavier initialization, the L2 and L1 penalties, soft thresholding and
inverted dropout."""

from __future__ import annotations

import numpy as np

from ...nn import init
from ...nn.layers import Dropout
from ...nn.module import Parameter
from ...nn.optim import SGD
from ..compare import rel_error
from ..model import Case, Exercise, Mutant
from ..solutions import lesson06 as sol
from .common import nonzero, normal, numeric_grads


# ---------------------------------------------------------------------------- xavier_init
def _run_xavier(fn, n_in, n_out, seed):
    return fn(n_in, n_out, np.random.default_rng(seed))


def _xavier_cases(rng):
    cases = []
    for n_in, n_out in [(500, 4000), (4000, 500)]:
        seed = int(rng.integers(2**31))
        expected = init.xavier_normal((n_out, n_in), rng=np.random.default_rng(seed), dtype=np.float64)
        cases.append(Case(f"n_in={n_in}, n_out={n_out}", (n_in, n_out, seed), {}, expected))
    return cases


def _kurtosis(a):
    c = a - a.mean()
    c *= c
    return float(np.mean(c * c) / np.mean(c) ** 2)


def _same_distribution(got, want) -> float:
    """0 for the very same draw; otherwise how far the two samples' distributions are apart: the
    relative difference of their standard deviations, their means (in standard deviations) and
    their kurtoses (3 for a normal, 1.8 for a uniform; weighted so that sampling noise of 2·10⁶
    draws stays far below the tolerance 4·10⁻³ while a 1 % wider distribution fails)."""
    exact = rel_error(got, want)
    if exact < 1e-12:
        return exact
    sg, sw = float(got.std()), float(want.std())
    if not (np.isfinite(sg) and sw > 0):
        return float("inf")
    return max(
        abs(sg / sw - 1), abs(float(got.mean() - want.mean())) / sw / 2, abs(_kurtosis(got) - _kurtosis(want)) / 30
    )


# ---------------------------------------------------------------------------- l2 and l1 penalties
def _penalty_cases(kind):
    def cases(rng):
        out = []
        for shape, lam, m, zeros in [((3, 4), 0.5, 10, False), ((5,), 2.0, 7, True), ((2, 3, 2), 1.0, 3, False)]:
            W = nonzero(rng, *shape)
            if zeros:
                W[::2] = 0.0
            if kind == "l2":
                p = Parameter(W.copy())  # minigan's weight_decay = λ/m adds the L2 gradient
                SGD([p], lr=1.0, weight_decay=lam / m).step()
                expected = (float(lam / (2 * m) * np.sum(W * W)), W - p.data)
            else:
                expected = (float(lam / (2 * m) * np.sum(np.abs(W))), lam / (2 * m) * np.sign(W))
            numeric = {}
            if not zeros:
                fn = sol.l2_penalty if kind == "l2" else sol.l1_penalty
                numeric = {1: numeric_grads(lambda W, fn, lam, m: fn(W, lam, m)[0], [W, fn, lam, m], [0])[0]}
            out.append(
                Case(f"W {shape}, λ={lam}, m={m}{', zeros' if zeros else ''}", (W, lam, m), {}, expected, numeric)
            )
        return out

    return cases


# ---------------------------------------------------------------------------- soft_threshold
def _soft_cases(rng):
    cases = []
    for shape, t in [((10,), 0.3), ((4, 5), 0.5), ((3, 3), 1.0)]:
        w = normal(rng, *shape)
        w.reshape(-1)[0] = 0.0
        cases.append(Case(f"w {shape}, t={t}", (w, t), {}, np.sign(w) * np.maximum(np.abs(w) - t, 0.0)))
    return cases


# ---------------------------------------------------------------------------- dropout_forward
def _dropout_cases(rng):
    cases = []
    for shape, p, training in [((4, 6), 0.5, True), ((3, 2, 5), 0.2, True), ((5, 3), 0.3, False), ((2, 8), 0.7, True)]:
        x = normal(rng, *shape)
        mask = (rng.random(shape) >= p).astype(np.float64)
        layer = Dropout(p)
        layer.fixed_mask = mask
        layer.train(training)
        label = f"x {shape}, p={p}, {'training' if training else 'evaluation'}"
        cases.append(Case(label, (x, mask, p), {"training": training}, layer(x)))
    return cases


def _drop_not_rescaled(x, mask, p, training=True):
    return x * mask if training else x


def _drop_by_p(x, mask, p, training=True):
    return x * mask / p if training else x


def _drop_in_eval(x, mask, p, training=True):
    return x * mask / (1 - p)


EXERCISES = [
    Exercise(
        "06.xavier_init",
        "Xavier initialization N(0, 1/n_in)",
        "document 001 §2.10",
        1,
        sol.xavier_init,
        _xavier_cases,
        (
            Mutant(
                "fan-out",
                lambda n_in, n_out, rng: rng.normal(0, np.sqrt(1 / n_out), (n_out, n_in)),
                "n is the number of INPUTS of the layer (the fan-in)",
            ),
            Mutant(
                "variance as std",
                lambda n_in, n_out, rng: rng.normal(0, 1 / n_in, (n_out, n_in)),
                "the VARIANCE is 1/n: the standard deviation is √(1/n)",
            ),
            Mutant(
                "uniform",
                lambda n_in, n_out, rng: rng.uniform(-1 / np.sqrt(n_in), 1 / np.sqrt(n_in), (n_out, n_in)),
                "U(−1/√n, 1/√n) is PyTorch's default; the documents draw N(0, 1/n)",
            ),
        ),
        "W = rng.normal(0, √(1/n_in), (n_out, n_in))",
        outputs=("W",),
        run=_run_xavier,
        compare=_same_distribution,
        tol=4e-3,
    ),
    Exercise(
        "06.l2_penalty",
        "the L2 penalty and its gradient (weight decay)",
        "document 003 ch. 1",
        1,
        sol.l2_penalty,
        _penalty_cases("l2"),
        (
            Mutant(
                "lost the 2",
                lambda W, lam, m: (float(lam / (2 * m) * np.sum(W * W)), lam / (2 * m) * W),
                "d/dw (λ/2m) w² = (λ/m) w: the 2 of the square cancels the ½",
            ),
            Mutant(
                "no 1/m",
                lambda W, lam, m: (float(lam / 2 * np.sum(W * W)), lam * W),
                "divide by m, the number of examples: (λ/2m) Σ w²",
            ),
            Mutant(
                "L1's gradient",
                lambda W, lam, m: (float(lam / (2 * m) * np.sum(W * W)), lam / m * np.sign(W)),
                "the L2 gradient is (λ/m) w, proportional to w",
            ),
        ),
        "penalty (λ/2m) Σ w², gradient (λ/m) w",
        outputs=("penalty", "dW"),
    ),
    Exercise(
        "06.l1_penalty",
        "the L1 penalty and its subgradient",
        "document 003 ch. 1",
        1,
        sol.l1_penalty,
        _penalty_cases("l1"),
        (
            Mutant(
                "L2's gradient",
                lambda W, lam, m: (float(lam / (2 * m) * np.sum(np.abs(W))), lam / (2 * m) * W),
                "the L1 gradient is (λ/2m) sign(w): its size does not depend on |w|",
            ),
            Mutant(
                "no ½",
                lambda W, lam, m: (float(lam / (2 * m) * np.sum(np.abs(W))), lam / m * np.sign(W)),
                "document 003 writes (λ/2m) Σ|w|: the gradient keeps the ½",
            ),
            Mutant(
                "sign(0) = 1",
                lambda W, lam, m: (
                    float(lam / (2 * m) * np.sum(np.abs(W))),
                    lam / (2 * m) * np.where(W >= 0, 1.0, -1.0),
                ),
                "at w = 0 take the subgradient 0 (np.sign(0) = 0)",
            ),
        ),
        "penalty (λ/2m) Σ |w|, subgradient (λ/2m) sign(w)",
        outputs=("penalty", "dW"),
    ),
    Exercise(
        "06.soft_threshold",
        "the L1 proximal step (soft thresholding)",
        "document 003 ch. 1",
        1,
        sol.soft_threshold,
        _soft_cases,
        (
            Mutant(
                "subgradient step",
                lambda w, t: w - t * np.sign(w),
                "clamp at 0: a weight within t of zero becomes exactly 0",
            ),
            Mutant(
                "no sign", lambda w, t: np.maximum(np.abs(w) - t, 0.0), "keep the sign of w: sign(w)·max(|w| − t, 0)"
            ),
            Mutant(
                "hard threshold",
                lambda w, t: w * (np.abs(w) > t),
                "soft thresholding also shrinks the kept weights by t",
            ),
        ),
        "sign(w) · max(|w| − t, 0)",
    ),
    Exercise(
        "06.dropout_forward",
        "inverted dropout with a given mask",
        "document 001 §2.11.1",
        1,
        sol.dropout_forward,
        _dropout_cases,
        (
            Mutant("not rescaled", _drop_not_rescaled, "inverted dropout divides the kept units by 1 − p"),
            Mutant("divides by p", _drop_by_p, "divide by 1 − p, the probability of KEEPING a unit"),
            Mutant("masks in evaluation", _drop_in_eval, "at evaluation dropout is the identity: return x"),
        ),
        "training: x ⊙ mask / (1 − p); evaluation: x",
        outputs=("y",),
    ),
]

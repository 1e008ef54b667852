"""Graders of lesson 02: sigmoid, tanh, ReLU and LeakyReLU, forward and backward."""

from __future__ import annotations

import numpy as np

from ...nn.activations import LeakyReLU, ReLU, Sigmoid, Tanh
from ..model import Case, Exercise, Mutant
from ..solutions import lesson02 as sol
from .common import nonzero, normal, numeric_grads

SHAPES = [(7,), (3, 5), (2, 3, 4)]


def _inputs(rng, shape, kinked):
    """z for one case: N(0, 2²), with a few exact zeros where the function has a kink at 0."""
    z = normal(rng, *shape, scale=2.0)
    if kinked:
        z.reshape(-1)[:: max(1, z.size // 3)] = 0.0
    return z


def _forward_cases(layer_of, kinked=False, kwargs=({},)):
    def cases(rng):
        out = []
        for shape in SHAPES:
            for kw in kwargs:
                z = _inputs(rng, shape, kinked)
                out.append(Case(f"z {shape}{_kw(kw)}", (z,), dict(kw), layer_of(**kw)(z)))
        z = np.array([-800.0, -30.0, -1e-3, 0.0, 1e-3, 30.0, 800.0])  # large |z|: no overflow
        out.append(Case("large |z|", (z,), dict(kwargs[0]), layer_of(**kwargs[0])(z)))
        return out

    return cases


def _backward_cases(layer_of, forward, kinked=False, kwargs=({},)):
    def cases(rng):
        out = []
        for shape in SHAPES:
            for kw in kwargs:
                z = _inputs(rng, shape, kinked)
                dout = normal(rng, *shape)
                layer = layer_of(**kw)
                layer(z)
                out.append(Case(f"z {shape}{_kw(kw)}", (dout, z), dict(kw), layer.backward(dout)))
            # away from the kink, against central differences of Σ g(z) ⊙ dout
            z, dout = nonzero(rng, *shape), normal(rng, *shape)
            kw = kwargs[-1]
            layer = layer_of(**kw)
            layer(z)
            (num,) = numeric_grads(lambda zz, dd, kw: np.sum(forward(zz, **kw) * dd), [z, dout, kw], [0])
            out.append(Case(f"z {shape}{_kw(kw)}, gradient check", (dout, z), dict(kw), layer.backward(dout), {0: num}))
        return out

    return cases


def _kw(kw):
    return "".join(f", {k}={v}" for k, v in kw.items())


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


ALPHAS: tuple[dict, ...] = ({}, {"alpha": 0.1})

EXERCISES = [
    Exercise(
        "02.sigmoid_forward",
        "the logistic sigmoid σ(z)",
        "document 001 §2.5.1",
        1,
        sol.sigmoid_forward,
        _forward_cases(Sigmoid),
        (
            Mutant("σ(−z)", lambda z: _sigmoid(-z), "σ(z) = 1/(1 + e^(−z)): the exponent is −z"),
            Mutant("precedence", lambda z: 1 / 1 + np.exp(-z), "1/1 + e is 1 + e: write 1 / (1 + np.exp(−z))"),
        ),
        "σ(z) = 1 / (1 + e^(−z)), elementwise",
    ),
    Exercise(
        "02.sigmoid_backward",
        "the sigmoid's backward pass dout ⊙ σ'(z)",
        "document 001 §2.5.1",
        1,
        sol.sigmoid_backward,
        _backward_cases(Sigmoid, sol.sigmoid_forward),
        (
            Mutant(
                "no dout", lambda dout, z: _sigmoid(z) * (1 - _sigmoid(z)), "multiply by the upstream gradient dout"
            ),
            Mutant("σ' of z", lambda dout, z: dout * z * (1 - z), "σ' = σ(z)(1 − σ(z)): apply it to σ(z), not to z"),
            Mutant("no 1 − σ", lambda dout, z: dout * _sigmoid(z), "σ'(z) = σ(z) (1 − σ(z)): both factors"),
        ),
        "dz = dout ⊙ σ(z) ⊙ (1 − σ(z))",
        outputs=("dz",),
    ),
    Exercise(
        "02.tanh_forward",
        "the hyperbolic tangent",
        "document 001 §2.5.2",
        1,
        sol.tanh_forward,
        _forward_cases(Tanh),
        (
            Mutant("sinh", lambda z: (np.exp(z) - np.exp(-z)) / 2, "divide eᶻ − e⁻ᶻ by eᶻ + e⁻ᶻ, not by 2"),
            Mutant("2σ(z) − 1", lambda z: 2 * _sigmoid(z) - 1, "2σ(z) − 1 is tanh(z/2); tanh(z) = 2σ(2z) − 1"),
        ),
        "tanh(z) = (eᶻ − e⁻ᶻ) / (eᶻ + e⁻ᶻ) (np.tanh)",
    ),
    Exercise(
        "02.tanh_backward",
        "the tanh's backward pass dout ⊙ (1 − tanh²(z))",
        "document 001 §2.5.2",
        1,
        sol.tanh_backward,
        _backward_cases(Tanh, sol.tanh_forward),
        (
            Mutant("no dout", lambda dout, z: 1 - np.tanh(z) ** 2, "multiply by the upstream gradient dout"),
            Mutant("1 − z²", lambda dout, z: dout * (1 - z**2), "tanh' = 1 − tanh²(z): square tanh(z), not z"),
            Mutant("no square", lambda dout, z: dout * (1 - np.tanh(z)), "tanh' = 1 − tanh(z)², squared"),
        ),
        "dz = dout ⊙ (1 − tanh²(z))",
        outputs=("dz",),
    ),
    Exercise(
        "02.relu_forward",
        "the rectified linear unit max(0, z)",
        "document 001 §2.5.3",
        1,
        sol.relu_forward,
        _forward_cases(ReLU, kinked=True),
        (
            Mutant("|z|", lambda z: np.abs(z), "negative inputs give 0, not |z|"),
            Mutant("min", lambda z: np.minimum(z, 0.0), "ReLU keeps the positive part: max(0, z), not min"),
        ),
        "ReLU(z) = max(0, z), elementwise (np.maximum)",
    ),
    Exercise(
        "02.relu_backward",
        "the ReLU's backward pass dout ⊙ 1[z > 0]",
        "document 001 §2.5.3",
        1,
        sol.relu_backward,
        _backward_cases(ReLU, sol.relu_forward, kinked=True),
        (
            Mutant("no dout", lambda dout, z: (z > 0).astype(np.float64), "multiply by the upstream gradient dout"),
            Mutant("times ReLU", lambda dout, z: dout * np.maximum(z, 0), "multiply by ReLU'(z) ∈ {0, 1}, not ReLU(z)"),
            Mutant("1 at 0", lambda dout, z: dout * (z >= 0), "at z = 0 take the derivative 0: z > 0, not z ≥ 0"),
        ),
        "dz = dout where z > 0, 0 elsewhere",
        outputs=("dz",),
    ),
    Exercise(
        "02.leaky_relu_forward",
        "the leaky ReLU max(αz, z)",
        "document 001 §2.5.4",
        1,
        sol.leaky_relu_forward,
        _forward_cases(LeakyReLU, kinked=True, kwargs=ALPHAS),
        (
            Mutant(
                "slopes swapped",
                lambda z, alpha=0.2: np.where(z > 0, alpha * z, z),
                "the slope α is for z < 0; z > 0 passes unchanged",
            ),
            Mutant("ReLU", lambda z, alpha=0.2: np.maximum(z, 0.0), "for z < 0 the output is αz, not 0"),
            Mutant(
                "α = 0.01",
                lambda z, alpha=0.2: np.where(z > 0, z, 0.01 * z),
                "use the alpha argument (the GAN documents' 0.2), not 0.01",
            ),
        ),
        "LeakyReLU(z) = z for z > 0, αz otherwise",
    ),
    Exercise(
        "02.leaky_relu_backward",
        "the leaky ReLU's backward pass",
        "document 001 §2.5.4",
        1,
        sol.leaky_relu_backward,
        _backward_cases(LeakyReLU, sol.leaky_relu_forward, kinked=True, kwargs=ALPHAS),
        (
            Mutant(
                "no dout",
                lambda dout, z, alpha=0.2: np.where(z > 0, 1.0, alpha),
                "multiply by the upstream gradient dout",
            ),
            Mutant("ReLU's", lambda dout, z, alpha=0.2: dout * (z > 0), "for z < 0 the slope is α, not 0"),
            Mutant(
                "slopes swapped",
                lambda dout, z, alpha=0.2: dout * np.where(z > 0, alpha, 1.0),
                "g'(z) = 1 for z > 0 and α for z ≤ 0",
            ),
        ),
        "dz = dout ⊙ (1 where z > 0, α elsewhere)",
        outputs=("dz",),
    ),
]

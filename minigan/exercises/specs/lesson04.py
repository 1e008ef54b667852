"""Graders of lesson 04: SGD with momentum, RMSProp and Adam, as trajectories of several steps.

A case runs the student's step function for several steps on the quadratic
``C(θ) = ½ θᵀAθ − cᵀθ`` (its gradient ``Aθ − c`` changes from step to step) and compares every θ
and the final state with minigan's optimizer driven by the same gradients.
"""

from __future__ import annotations

import numpy as np

from ...nn.module import Parameter
from ...nn.optim import SGD, Adam, RMSProp
from ..model import Case, Exercise, Mutant
from ..solutions import lesson04 as sol
from .common import array_like, normal, unpack

STEPS = 6


def _grad(A, c, theta):
    return (A @ theta.reshape(-1) - c).reshape(theta.shape)


def _problem(rng, shape):
    n = int(np.prod(shape))
    B = normal(rng, n, n)
    return normal(rng, *shape), B @ B.T / n + np.eye(n), normal(rng, n)


def _minigan_trajectory(make_opt, slots, theta0, A, c):
    p = Parameter(theta0.copy())
    opt = make_opt([p])
    thetas = []
    for _ in range(STEPS):
        p.grad[...] = _grad(A, c, p.data)
        opt.step()
        thetas.append(p.data.copy())
    return (np.stack(thetas),) + tuple(opt.state[s][0].copy() for s in slots)


def _run(fn, theta0, A, c, n_state, what, extra):
    """The student's trajectory: ``n_state`` state arrays start at 0; ``extra(t)`` gives the
    keyword arguments of step t (Adam's t)."""
    theta = theta0
    state = [np.zeros_like(theta0) for _ in range(n_state)]
    thetas = []
    for t in range(1, STEPS + 1):
        out = unpack(fn(theta, _grad(A, c, theta), *state, **extra(t)), 1 + n_state, what)
        theta = array_like(out[0], theta0, "theta_new")
        state = [array_like(s, theta0, "the new state") for s in out[1:]]
        thetas.append(theta)
    return (np.stack(thetas),) + tuple(state)


# ---------------------------------------------------------------------------- SGD with momentum
def _run_sgd(fn, theta0, A, c, lr, momentum):
    return _run(fn, theta0, A, c, 1, "theta_new, v_new", lambda t: {"lr": lr, "momentum": momentum})


def _sgd_cases(rng):
    cases = []
    for shape, lr, mu in [((5,), 0.1, 0.9), ((3, 4), 0.05, 0.5), ((2, 3), 0.2, 0.99)]:
        theta0, A, c = _problem(rng, shape)
        make = lambda ps, lr=lr, mu=mu: SGD(ps, lr=lr, momentum=mu)
        expected = _minigan_trajectory(make, ("v",), theta0, A, c)
        cases.append(Case(f"θ {shape}, lr={lr}, μ={mu}, {STEPS} steps", (theta0, A, c, lr, mu), {}, expected))
    return cases


def _sgd_dampened(theta, grad, v, lr, momentum=0.9):
    v = momentum * v + (1 - momentum) * grad
    return theta - lr * v, v


def _sgd_grad_step(theta, grad, v, lr, momentum=0.9):
    return theta - lr * grad, momentum * v + grad


def _sgd_lr_in_v(theta, grad, v, lr, momentum=0.9):
    v = momentum * v - lr * grad
    return theta + v, v


# ---------------------------------------------------------------------------- RMSProp
def _run_rmsprop(fn, theta0, A, c, lr, beta, eps):
    return _run(fn, theta0, A, c, 1, "theta_new, S_new", lambda t: {"lr": lr, "beta": beta, "eps": eps})


def _rmsprop_cases(rng):
    cases = []
    for shape, lr, beta, eps in [((5,), 0.05, 0.9, 0.1), ((3, 4), 0.01, 0.99, 1e-2), ((2, 3), 0.1, 0.8, 1e-8)]:
        theta0, A, c = _problem(rng, shape)
        make = lambda ps, lr=lr, beta=beta, eps=eps: RMSProp(ps, lr=lr, beta=beta, eps=eps)
        expected = _minigan_trajectory(make, ("S",), theta0, A, c)
        cases.append(Case(f"θ {shape}, lr={lr}, β={beta}, ε={eps}", (theta0, A, c, lr, beta, eps), {}, expected))
    return cases


def _rms_eps_inside(theta, grad, S, lr=1e-3, beta=0.9, eps=1e-8):
    S = beta * S + (1 - beta) * grad**2
    return theta - lr * grad / np.sqrt(S + eps), S


def _rms_no_one_minus(theta, grad, S, lr=1e-3, beta=0.9, eps=1e-8):
    S = beta * S + grad**2
    return theta - lr * grad / (np.sqrt(S) + eps), S


def _rms_no_sqrt(theta, grad, S, lr=1e-3, beta=0.9, eps=1e-8):
    S = beta * S + (1 - beta) * grad**2
    return theta - lr * grad / (S + eps), S


# ---------------------------------------------------------------------------- Adam
def _run_adam(fn, theta0, A, c, lr, beta1, beta2, eps):
    hyper = {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps}
    return _run(fn, theta0, A, c, 2, "theta_new, V_new, S_new", lambda t: {"t": t, **hyper})


def _adam_cases(rng):
    cases = []
    for shape, lr, b1, b2, eps in [
        ((5,), 0.1, 0.9, 0.999, 1e-3),
        ((3, 4), 0.05, 0.5, 0.99, 0.05),
        ((2, 2), 0.2, 0.8, 0.9, 1e-8),
    ]:
        theta0, A, c = _problem(rng, shape)
        make = lambda ps, lr=lr, b1=b1, b2=b2, eps=eps: Adam(ps, lr=lr, beta1=b1, beta2=b2, eps=eps)
        expected = _minigan_trajectory(make, ("V", "S"), theta0, A, c)
        label = f"θ {shape}, lr={lr}, β₁={b1}, β₂={b2}, ε={eps}"
        cases.append(Case(label, (theta0, A, c, lr, b1, b2, eps), {}, expected))
    return cases


def _adam_moments(grad, V, S, beta1, beta2):
    return beta1 * V + (1 - beta1) * grad, beta2 * S + (1 - beta2) * grad**2


def _adam_no_correction(theta, grad, V, S, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    V, S = _adam_moments(grad, V, S, beta1, beta2)
    return theta - lr * V / (np.sqrt(S) + eps), V, S


def _adam_eps_inside(theta, grad, V, S, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    V, S = _adam_moments(grad, V, S, beta1, beta2)
    return theta - lr * (V / (1 - beta1**t)) / np.sqrt(S / (1 - beta2**t) + eps), V, S


def _adam_beta1_S(theta, grad, V, S, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    V = beta1 * S + (1 - beta1) * grad  # document 001 §2.8.3 as printed
    S = beta2 * S + (1 - beta2) * grad**2
    return theta - lr * (V / (1 - beta1**t)) / (np.sqrt(S / (1 - beta2**t)) + eps), V, S


EXERCISES = [
    Exercise(
        "04.sgd_momentum_step",
        "one step of SGD with momentum",
        "document 001 §2.8.2",
        1,
        sol.sgd_momentum_step,
        _sgd_cases,
        (
            Mutant("dampened", _sgd_dampened, "minigan and PyTorch use v ← μ v + g (no (1 − μ) factor)"),
            Mutant("steps along g", _sgd_grad_step, "step along the velocity: θ ← θ − η v, not η g"),
            Mutant("η inside v", _sgd_lr_in_v, "here v ← μ v + g and θ ← θ − η v (η outside the velocity)"),
        ),
        "v ← μ v + g, then θ ← θ − η v; return both",
        outputs=("θ after each step", "v"),
        run=_run_sgd,
    ),
    Exercise(
        "04.rmsprop_step",
        "one RMSProp step",
        "document 001 §2.8.2",
        1,
        sol.rmsprop_step,
        _rmsprop_cases,
        (
            Mutant("ε inside √", _rms_eps_inside, "add ε after the square root: √S + ε"),
            Mutant("no 1 − β", _rms_no_one_minus, "S ← β S + (1 − β) g²: weigh the new g² by 1 − β"),
            Mutant("no √", _rms_no_sqrt, "divide by √S + ε, the root of the mean square"),
        ),
        "S ← β S + (1 − β) g², then θ ← θ − η g / (√S + ε)",
        outputs=("θ after each step", "S"),
        run=_run_rmsprop,
    ),
    Exercise(
        "04.adam_step",
        "one Adam step with bias correction",
        "document 001 §2.8.3",
        2,
        sol.adam_step,
        _adam_cases,
        (
            Mutant("no bias correction", _adam_no_correction, "divide V by 1 − β₁ᵗ and S by 1 − β₂ᵗ (bias correction)"),
            Mutant("ε inside √", _adam_eps_inside, "add ε after the root: √Ŝ + ε (document 001 prints √(Ŝ + ε))"),
            Mutant("β₁ S", _adam_beta1_S, "document 001 prints β₁ S; the first moment is V ← β₁ V + (1 − β₁) g"),
        ),
        "V̂ = V/(1 − β₁ᵗ), Ŝ = S/(1 − β₂ᵗ), θ ← θ − η V̂/(√Ŝ + ε)",
        outputs=("θ after each step", "V", "S"),
        run=_run_adam,
    ),
]

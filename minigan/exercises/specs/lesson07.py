"""Graders of lesson 07: batch normalization forward and backward, training and evaluation."""

from __future__ import annotations

import numpy as np

from ...nn.layers import BatchNorm
from ..model import Case, Exercise, Mutant
from ..solutions import lesson07 as sol
from .common import normal, numeric_grads, set_params

#: (N, D, training, momentum, eps)
SETTINGS = [(8, 3, True, 0.1, 1e-5), (5, 4, False, 0.1, 1e-5), (16, 2, True, 0.2, 0.1), (4, 3, False, 0.3, 0.1)]


def _layer(gamma, beta, rm, rv, training, momentum=0.1, eps=1e-5):
    bn = BatchNorm(len(gamma), momentum=momentum, eps=eps, dtype=np.float64)
    set_params(bn, gamma=gamma, beta=beta)
    bn.buffers["running_mean"] = rm.copy()
    bn.buffers["running_var"] = rv.copy()
    bn.train(training)
    return bn


def _inputs(rng, N, D):
    x = normal(rng, N, D, scale=2.0) + normal(rng, D)
    gamma, beta = rng.uniform(0.5, 2.0, D), normal(rng, D)
    rm, rv = normal(rng, D), rng.uniform(0.5, 3.0, D)
    return x, gamma, beta, rm, rv


def _label(N, D, training, momentum, eps):
    return f"x ({N}, {D}), {'training' if training else 'evaluation'}, momentum={momentum}, ε={eps}"


# ---------------------------------------------------------------------------- forward
def _forward_cases(rng):
    cases = []
    for N, D, training, momentum, eps in SETTINGS:
        x, gamma, beta, rm, rv = _inputs(rng, N, D)
        bn = _layer(gamma, beta, rm, rv, training, momentum, eps)
        y = bn(x)
        expected = (y, bn.buffers["running_mean"].copy(), bn.buffers["running_var"].copy())
        kwargs = {"momentum": momentum, "eps": eps}
        cases.append(Case(_label(N, D, training, momentum, eps), (x, gamma, beta, rm, rv, training), kwargs, expected))
    return cases


def _fwd_variant(norm_stats, running_update):
    def forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        if not training:
            return sol.batchnorm_forward(x, gamma, beta, running_mean, running_var, False, momentum, eps)
        mu, var = norm_stats(x, running_mean, running_var)
        y = gamma * (x - mu) / np.sqrt(var + eps) + beta
        rm, rv = running_update(x, running_mean, running_var, momentum)
        return y, rm, rv

    return forward


def _pytorch_update(x, rm, rv, momentum):
    m = x.shape[0]
    return (1 - momentum) * rm + momentum * x.mean(0), (1 - momentum) * rv + momentum * x.var(0) * m / (m - 1)


def _keras_update(x, rm, rv, momentum):
    m = x.shape[0]
    return momentum * rm + (1 - momentum) * x.mean(0), momentum * rv + (1 - momentum) * x.var(0) * m / (m - 1)


_bn_running_in_training = _fwd_variant(lambda x, rm, rv: (rm, rv), _pytorch_update)
_bn_unbiased = _fwd_variant(lambda x, rm, rv: (x.mean(0), x.var(0, ddof=1)), _pytorch_update)
_bn_keras = _fwd_variant(lambda x, rm, rv: (x.mean(0), x.var(0)), _keras_update)


# ---------------------------------------------------------------------------- backward
def _backward_cases(rng):
    cases = []
    for N, D, training, momentum, eps in SETTINGS:
        x, gamma, beta, rm, rv = _inputs(rng, N, D)
        dout = normal(rng, N, D)
        bn = _layer(gamma, beta, rm, rv, training, momentum, eps)
        bn(x)
        bn.zero_grad()
        dx = bn.backward(dout)
        expected = (dx, bn.gamma.grad.copy(), bn.beta.grad.copy())

        def scalar(x, gamma, beta, rm=rm, rv=rv, training=training, eps=eps, dout=dout):
            return np.sum(sol.batchnorm_forward(x, gamma, beta, rm, rv, training, eps=eps)[0] * dout)

        num = numeric_grads(scalar, [x, gamma, beta], [0, 1, 2])
        args = (dout, x, gamma, rm, rv, training)
        cases.append(Case(_label(N, D, training, momentum, eps), args, {"eps": eps}, expected, dict(enumerate(num))))
    return cases


def _bwd_variant(dx_rule, dgamma_rule):
    def backward(dout, x, gamma, running_mean, running_var, training, eps=1e-5):
        if not training:
            return sol.batchnorm_backward(dout, x, gamma, running_mean, running_var, False, eps)
        inv = 1 / np.sqrt(x.var(0) + eps)
        z_hat = (x - x.mean(0)) * inv
        g = dout * gamma
        return dx_rule(g, z_hat, inv), dgamma_rule(dout, z_hat), dout.sum(0)

    return backward


def _full_dx(g, z_hat, inv):
    return inv * (g - g.mean(0) - z_hat * (g * z_hat).mean(0))


_bn_eval_formula = _bwd_variant(lambda g, z_hat, inv: g * inv, lambda dout, z_hat: (dout * z_hat).sum(0))
_bn_dgamma = _bwd_variant(_full_dx, lambda dout, z_hat: dout.sum(0))
_bn_no_var_term = _bwd_variant(lambda g, z_hat, inv: inv * (g - g.mean(0)), lambda dout, z_hat: (dout * z_hat).sum(0))


EXERCISES = [
    Exercise(
        "07.batchnorm_forward",
        "batch normalization's forward pass, training and evaluation",
        "document 001 §2.12.1",
        2,
        sol.batchnorm_forward,
        _forward_cases,
        (
            Mutant(
                "running stats in training", _bn_running_in_training, "in training normalize with the BATCH's μ, σ²"
            ),
            Mutant("unbiased σ²", _bn_unbiased, "normalize with the biased σ² (1/m); unbiased is for running_var"),
            Mutant("Keras momentum", _bn_keras, "running ← (1 − momentum)·running + momentum·batch (PyTorch's rule)"),
        ),
        "ẑ = (z − μ)/√(σ² + ε), y = γẑ + β; update running stats only in training",
        outputs=("y", "running_mean", "running_var"),
    ),
    Exercise(
        "07.batchnorm_backward",
        "batch normalization's backward pass, training and evaluation",
        "document 001 §2.12.1",
        3,
        sol.batchnorm_backward,
        _backward_cases,
        (
            Mutant(
                "μ, σ² held fixed", _bn_eval_formula, "in training μ and σ² depend on every zᵢ: see the full dx formula"
            ),
            Mutant("dγ without ẑ", _bn_dgamma, "∂C/∂γ = Σ δ ⊙ ẑ: y = γẑ + β"),
            Mutant("no variance term", _bn_no_var_term, "σ² depends on z too: also subtract ẑ ⊙ mean(δγ ⊙ ẑ)"),
        ),
        "dx = (δγ − mean(δγ) − ẑ mean(δγ ẑ))/√(σ² + ε); dγ = Σ δ ẑ; dβ = Σ δ",
        outputs=("dx", "dgamma", "dbeta"),
    ),
]

"""Lesson 04: optimizers (document 001 §2.8–§2.8.3).

Each function is one update of one parameter θ from its gradient g = ∂C/∂θ. It returns
the new θ and the new optimizer state instead of changing its arguments in place.
"""

import numpy as np


def sgd_momentum_step(theta, grad, v, lr, momentum=0.9):
    """One step of SGD with momentum (PyTorch's form, as minigan.nn.optim.SGD).

    Document 001 §2.8: θ ← θ − η g. With momentum, document 001 §2.8.2
    ("médias móveis"):
        v ← μ v + g
        θ ← θ − η v
    v starts at 0, so the first step is plain SGD.

    Parameters
    ----------
    theta, grad, v : arrays of one shape (the parameter, its gradient, the velocity)
    lr : float η;  momentum : float μ

    Returns
    -------
    (theta_new, v_new) : arrays of theta's shape
    """
    v = momentum * v + grad
    return theta - lr * v, v


def rmsprop_step(theta, grad, S, lr=1e-3, beta=0.9, eps=1e-8):
    """One RMSProp step (as minigan.nn.optim.RMSProp).

    Document 001 §2.8.2 (g² elementwise):
        S ← β S + (1 − β) g²
        θ ← θ − η g / (√S + ε)
    The document prints no ε; like PyTorch, add it AFTER the square root. S starts at 0.

    Parameters
    ----------
    theta, grad, S : arrays of one shape
    lr : float η;  beta : float β;  eps : float ε

    Returns
    -------
    (theta_new, S_new) : arrays of theta's shape
    """
    S = beta * S + (1.0 - beta) * grad * grad
    return theta - lr * grad / (np.sqrt(S) + eps), S


def adam_step(theta, grad, V, S, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step with bias correction (as minigan.nn.optim.Adam).

    Document 001 §2.8.3, at step t = 1, 2, ... (V and S start at 0):
        V ← β₁ V + (1 − β₁) g
        S ← β₂ S + (1 − β₂) g²
        V̂ = V / (1 − β₁ᵗ),    Ŝ = S / (1 − β₂ᵗ)
        θ ← θ − η V̂ / (√Ŝ + ε)
    The document prints β₁ S in the first line (β₁ V is meant) and √(Ŝ + ε) in the
    update (Kingma & Ba and PyTorch add ε after the square root).

    Parameters
    ----------
    theta, grad, V, S : arrays of one shape
    t : int, this step's number (1 at the first step)
    lr : float η;  beta1, beta2 : floats β₁, β₂;  eps : float ε

    Returns
    -------
    (theta_new, V_new, S_new) : arrays of theta's shape
    """
    V = beta1 * V + (1.0 - beta1) * grad
    S = beta2 * S + (1.0 - beta2) * grad * grad
    V_hat = V / (1.0 - beta1**t)
    S_hat = S / (1.0 - beta2**t)
    return theta - lr * V_hat / (np.sqrt(S_hat) + eps), V, S

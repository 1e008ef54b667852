"""Lesson 06: initialization, regularization (document 001 §2.10–§2.11, 003 ch. 1)."""

import numpy as np


def xavier_init(n_in, n_out, rng):
    """Xavier initialization as the documents write it: W ~ N(0, 1/n_in).

    Document 001 §2.10: Wˡ ~ N(0, 1/nˡ⁻¹), nˡ⁻¹ the layer's number of inputs (the
    fan-in); the variance is 1/n, so the standard deviation is √(1/n). Draw with rng
    (e.g. rng.normal).

    Parameters
    ----------
    n_in, n_out : int, the layer's inputs and outputs
    rng : numpy.random.Generator

    Returns
    -------
    W : (n_out, n_in) float64 (a Dense layer's weight)
    """
    return rng.normal(0.0, np.sqrt(1.0 / n_in), size=(n_out, n_in))


def l2_penalty(W, lam, m):
    """The L2 penalty of a weight matrix and its gradient ("decaimento de peso").

    Document 003 ch. 1, "Regularização L1 e L2":
        Custo = Perda + (λ / 2m) Σ w²
        ∂/∂w [(λ / 2m) Σ w²] = (λ / m) w
    (minigan's weight_decay = λ/m adds exactly this gradient.)

    Parameters
    ----------
    W : float64 array, any shape;  lam : float λ;  m : int, the number of examples

    Returns
    -------
    (penalty, dW) : a float and an array of W's shape
    """
    return float(lam / (2.0 * m) * np.sum(W * W)), lam / m * W


def l1_penalty(W, lam, m):
    """The L1 penalty as document 003 prints it, and its subgradient.

    Document 003 ch. 1, "Regularização L1 e L2":
        Custo = Perda + (λ / 2m) Σ |w|
        ∂/∂w [(λ / 2m) Σ |w|] = (λ / 2m) sign(w)      (take 0 at w = 0: np.sign)

    Parameters
    ----------
    W : float64 array, any shape;  lam : float λ;  m : int, the number of examples

    Returns
    -------
    (penalty, dW) : a float and an array of W's shape
    """
    return float(lam / (2.0 * m) * np.sum(np.abs(W))), lam / (2.0 * m) * np.sign(W)


def soft_threshold(w, t):
    """The proximal step of the L1 penalty t·|w| (soft thresholding), elementwise.

    Document 003 ch. 1 says L1 drives small weights to exactly 0; the subgradient step
    w − t·sign(w) never lands on 0, the proximal step does:
        prox(w) = argmin_u ½ (u − w)² + t |u| = sign(w) · max(|w| − t, 0)

    Parameters
    ----------
    w : float64 array, any shape;  t : float ≥ 0 (η times the L1 weight)

    Returns
    -------
    array of w's shape
    """
    return np.sign(w) * np.maximum(np.abs(w) - t, 0.0)


def dropout_forward(x, mask, p, training=True):
    """Inverted dropout with a given keep-mask (as minigan.Dropout).

    Document 001 §2.11.1: each unit is switched off ("desligado") with probability p.
    Inverted dropout scales the kept ones at training time so that evaluation is the
    identity:
        training:   y = x ⊙ m / (1 − p)        (m ∈ {0, 1}, 1 = kept)
        evaluation: y = x

    Parameters
    ----------
    x : float64 array, any shape
    mask : array of x's shape, 0.0 (dropped) or 1.0 (kept)
    p : float in [0, 1), the drop probability;  training : bool

    Returns
    -------
    y : array of x's shape
    """
    if not training:
        return x
    return x * mask / (1.0 - p)

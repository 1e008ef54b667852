"""Lesson 03: cost functions and their gradients (document 001 §2.7.1, 003 ch. 1).

Each function returns the cost (a mean, a Python float) and its gradient with respect to
the prediction, the array a network's backward pass starts from.
"""

import numpy as np


def bce(y_hat, y):
    """Binary cross-entropy on probabilities, and its gradient.

    Document 001 §2.7.1, over the m elements of y_hat:
        C = −(1/m) Σᵢ [yᵢ log ŷᵢ + (1 − yᵢ) log(1 − ŷᵢ)]
        ∂C/∂ŷᵢ = (ŷᵢ − yᵢ) / (ŷᵢ (1 − ŷᵢ)) · (1/m)

    Parameters
    ----------
    y_hat : array, any shape, probabilities in (0, 1)
    y : array, the shape of y_hat, targets in [0, 1] (soft targets allowed)

    Returns
    -------
    (C, dy_hat) : a float and an array the shape of y_hat
    """
    m = y_hat.size
    C = -np.mean(y * np.log(y_hat) + (1.0 - y) * np.log(1.0 - y_hat))
    return float(C), (y_hat - y) / (y_hat * (1.0 - y_hat)) / m


def bce_with_logits(z, y):
    """Binary cross-entropy on logits z (ŷ = σ(z)) in the stable form, and its gradient.

    Document 001 §2.7.1 with ŷ = σ(z) becomes L = z − z·y + log(1 + e⁻ᶻ), which
    overflows for z ≪ 0. The stable form (document 000 §3.2's
    sigmoid_cross_entropy_with_logits):
        L(z, y) = max(z, 0) − z·y + log(1 + e^(−|z|)),      C = (1/m) Σᵢ L(zᵢ, yᵢ)
        ∂C/∂zᵢ = (σ(zᵢ) − yᵢ) / m

    Parameters
    ----------
    z : array, any shape, logits (any real value, e.g. ±1000)
    y : array, the shape of z, targets in [0, 1]

    Returns
    -------
    (C, dz) : a float and an array the shape of z
    """
    m = z.size
    C = np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z))))
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # σ(z), stable
    return float(C), (sig - y) / m


def softmax_cross_entropy(z, y):
    """Softmax cross-entropy of logits against integer labels, and its gradient.

    Document 003 ch. 1 (the multi-class case of document 001 §2.7.1), for N samples:
        softmax(z)ₖ = e^(zₖ − max z) / Σⱼ e^(zⱼ − max z)
                                        (subtract the row's max: no overflow)
        C = −(1/N) Σᵢ log softmax(zᵢ)_{yᵢ}
        ∂C/∂zᵢ = (softmax(zᵢ) − onehot(yᵢ)) / N

    Parameters
    ----------
    z : (N, K) float64 logits (any real values, e.g. ±1000)
    y : (N,) int class labels in [0, K)

    Returns
    -------
    (C, dz) : a float and an (N, K) array
    """
    N = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # log softmax
    rows = np.arange(N)
    C = -log_p[rows, y].mean()
    dz = np.exp(log_p)
    dz[rows, y] -= 1.0
    return float(C), dz / N

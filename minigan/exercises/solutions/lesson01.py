"""Lesson 01: the perceptron and the linear model (document 001 §2.2, §2.3)."""

import numpy as np


def perceptron_update(w, b, x, y, lr=1.0):
    """One step of Rosenblatt's perceptron rule on one example (x, y).

    Document 001 §2.2 (threshold moved into the bias b):
        ŷ = 1 if Σⱼ wⱼ xⱼ + b > 0, else 0
    Rosenblatt's rule changes the weights only on a mistake (y − ŷ = ±1):
        w ← w + η (y − ŷ) x,        b ← b + η (y − ŷ)

    Parameters
    ----------
    w : (d,) float64 weights;  b : float, the bias
    x : (d,) float64, one example;  y : 0.0 or 1.0, its label
    lr : float, the learning rate η

    Returns
    -------
    (w_new, b_new) : a new (d,) array and a float (do not change w in place)
    """
    # Eq. 001 §2.2: saída = 1 se Σ w x + b > 0
    y_hat = 1.0 if float(x @ w + b) > 0 else 0.0
    err = y - y_hat
    return w + lr * err * x, float(b + lr * err)


def linear_mse_gradient(X, y, w, b):
    """The squared-error cost of the linear model and its gradient.

    Document 001 §2.3, for N examples (the rows of X):
        zᵢ = Σⱼ wⱼ xᵢⱼ + b
        C(w, b) = (1/N) Σᵢ (zᵢ − yᵢ)²
        ∂C/∂w = (2/N) Σᵢ (zᵢ − yᵢ) xᵢ,     ∂C/∂b = (2/N) Σᵢ (zᵢ − yᵢ)

    Parameters
    ----------
    X : (N, d) float64;  y : (N,) float64 targets
    w : (d,) float64;  b : float

    Returns
    -------
    (C, dw, db) : a float, a (d,) array and a float
    """
    r = X @ w + b - y  # zᵢ − yᵢ
    N = len(y)
    return float(np.mean(r**2)), 2.0 / N * (X.T @ r), float(2.0 / N * r.sum())

"""Lesson 02: activation functions A = g(Z) and their derivatives (document 001 §2.5).

Every activation is a pair of functions: ``<name>_forward(z)`` gives ``g(z)`` and
``<name>_backward(dout, z)`` gives ``∂C/∂z = dout ⊙ g'(z)``, the ``⊙ g'(zˡ)`` factor
of document 001 §2.9's ``δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ g'(zˡ)``. ``dout`` is the upstream
gradient ``∂C/∂A``.
"""

import numpy as np


def sigmoid_forward(z):
    """The logistic sigmoid, elementwise.

    Document 001 §2.5.1: σ(z) = 1 / (1 + e⁻ᶻ)

    e⁻ᶻ overflows for z ≪ 0; there use the equal form eᶻ / (1 + eᶻ).

    Parameters
    ----------
    z : array, any shape, float64

    Returns
    -------
    σ(z) : the shape of z
    """
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(dout, z):
    """The sigmoid's backward pass: ∂C/∂z = dout ⊙ σ'(z).

    Document 001 §2.5.1: σ'(z) = σ(z) (1 − σ(z))

    Parameters
    ----------
    dout : array, the upstream gradient ∂C/∂σ(z), the shape of z
    z : array, the forward pass's input

    Returns
    -------
    dz : the shape of z
    """
    s = sigmoid_forward(z)
    return dout * s * (1.0 - s)


def tanh_forward(z):
    """The hyperbolic tangent, elementwise.

    Document 001 §2.5.2: tanh(z) = (eᶻ − e⁻ᶻ) / (eᶻ + e⁻ᶻ)

    Parameters
    ----------
    z : array, any shape, float64

    Returns
    -------
    tanh(z) : the shape of z
    """
    return np.tanh(z)


def tanh_backward(dout, z):
    """The tanh's backward pass: ∂C/∂z = dout ⊙ tanh'(z).

    Document 001 §2.5.2: tanh'(z) = 1 − tanh²(z)

    Parameters
    ----------
    dout : array, the upstream gradient, the shape of z
    z : array, the forward pass's input

    Returns
    -------
    dz : the shape of z
    """
    t = np.tanh(z)
    return dout * (1.0 - t * t)


def relu_forward(z):
    """The rectified linear unit, elementwise.

    Document 001 §2.5.3: ReLU(z) = max(0, z)

    Parameters
    ----------
    z : array, any shape, float64

    Returns
    -------
    max(0, z) : the shape of z
    """
    return np.maximum(z, 0.0)


def relu_backward(dout, z):
    """The ReLU's backward pass: ∂C/∂z = dout ⊙ ReLU'(z).

    Document 001 §2.5.3: ReLU'(z) = 1 for z > 0 and 0 otherwise (take 0 at z = 0, as
    PyTorch and minigan do).

    Parameters
    ----------
    dout : array, the upstream gradient, the shape of z
    z : array, the forward pass's input

    Returns
    -------
    dz : the shape of z
    """
    return dout * (z > 0)


def leaky_relu_forward(z, alpha=0.2):
    """The leaky ReLU, elementwise.

    Document 001 §2.5.4: LeakyReLU(z) = max(αz, z), 0 ≤ α < 1
    (the GAN documents use α = 0.2)

    Parameters
    ----------
    z : array, any shape, float64
    alpha : float, the slope α for z < 0

    Returns
    -------
    max(αz, z) : the shape of z
    """
    return np.where(z > 0, z, alpha * z)


def leaky_relu_backward(dout, z, alpha=0.2):
    """The leaky ReLU's backward pass: ∂C/∂z = dout ⊙ g'(z).

    Document 001 §2.5.4: g'(z) = 1 for z > 0, α otherwise

    Parameters
    ----------
    dout : array, the upstream gradient, the shape of z
    z : array, the forward pass's input
    alpha : float, the slope α for z < 0

    Returns
    -------
    dz : the shape of z
    """
    return dout * np.where(z > 0, 1.0, alpha)

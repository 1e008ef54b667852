"""Lesson 07: batch normalization (document 001 §2.12.1, document 003 ch. 1)."""

import numpy as np


def batchnorm_forward(
    x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5
):
    """Batch normalization of (N, D) inputs, in training and in evaluation.

    As minigan.BatchNorm. Document 001 §2.12.1, per feature over the m = N values of the
    batch:
        μ = (1/m) Σᵢ zᵢ,    σ² = (1/m) Σᵢ (zᵢ − μ)²          (the biased variance)
        ẑ = (z − μ) / √(σ² + ε),    y = γ ẑ + β
    Training: normalize with the batch's μ and σ², and update the running statistics
    with the UNBIASED variance (PyTorch's convention):
        running_mean ← (1 − momentum) running_mean + momentum μ
        running_var  ← (1 − momentum) running_var  + momentum σ² m / (m − 1)
    Evaluation: normalize with running_mean and running_var; they do not change.

    Parameters
    ----------
    x : (N, D) float64;  gamma, beta, running_mean, running_var : (D,)
    training : bool;  momentum : float;  eps : float ε

    Returns
    -------
    (y, new_running_mean, new_running_var) : arrays (N, D), (D,), (D,)
    """
    if not training:
        y = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        return y, running_mean.copy(), running_var.copy()
    m = x.shape[0]
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    y = gamma * (x - mu) / np.sqrt(var + eps) + beta
    new_mean = (1.0 - momentum) * running_mean + momentum * mu
    new_var = (1.0 - momentum) * running_var + momentum * var * m / (m - 1)
    return y, new_mean, new_var


def batchnorm_backward(dout, x, gamma, running_mean, running_var, training, eps=1e-5):
    """Batch normalization's backward pass for (N, D) inputs, training and evaluation.

    With δ = dout = ∂C/∂y and ẑ as in the forward pass (document 001 §2.12.1):
        ∂C/∂γ = Σ_batch δ ⊙ ẑ,     ∂C/∂β = Σ_batch δ
    Training (μ and σ² depend on every zᵢ; the compact form of the chain rule):
        ∂C/∂z = (1/√(σ² + ε)) · (δγ − mean(δγ) − ẑ ⊙ mean(δγ ⊙ ẑ))
                                                            (means over the batch)
    Evaluation (the layer is affine: running statistics are constants):
        ∂C/∂z = δ γ / √(running_var + ε),   ẑ = (z − running_mean) / √(running_var + ε)

    Parameters
    ----------
    dout : (N, D), the upstream gradient;  x : (N, D), the forward's input
    gamma, running_mean, running_var : (D,);  training : bool;  eps : float ε

    Returns
    -------
    (dx, dgamma, dbeta) : arrays (N, D), (D,), (D,)
    """
    if training:
        mu, var = x.mean(axis=0), x.var(axis=0)
    else:
        mu, var = running_mean, running_var
    inv = 1.0 / np.sqrt(var + eps)
    z_hat = (x - mu) * inv
    dgamma = (dout * z_hat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    dz_hat = dout * gamma
    if not training:
        return dz_hat * inv, dgamma, dbeta
    dx = inv * (dz_hat - dz_hat.mean(axis=0) - z_hat * (dz_hat * z_hat).mean(axis=0))
    return dx, dgamma, dbeta

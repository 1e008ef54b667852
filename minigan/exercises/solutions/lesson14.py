"""Lesson 14: generative adversarial networks (document 001 §4.1–§4.2, 000 §3.2).

The tiny model of the Algorithm 1 exercises: a linear generator G(z) = z W_gᵀ + b_g
(k → d) and a logistic discriminator whose logit is D_logit(x) = x W_dᵀ + b_d (d → 1),
D(x) = σ(D_logit(x)).
"""

import numpy as np


def optimal_discriminator(p_data, p_g):
    """The optimal discriminator for a fixed generator.

    Document 001 §4.2, Proposição 1: for G fixed, V(D, G) is maximal at
        D*(x) = p_data(x) / (p_data(x) + p_g(x))

    Parameters
    ----------
    p_data, p_g : arrays of one shape, the two densities at some points x (positive)

    Returns
    -------
    D* : array of that shape, values in (0, 1)
    """
    return p_data / (p_data + p_g)


def gan_d_step(Wd, bd, Wg, bg, x_real, z, lr, real_label=1.0):
    """One discriminator step of Algorithm 1 on the tiny model, plain gradient descent.

    Document 001 §4.1, Algorithm 1 (lines 3–5); D's loss as document 002 writes it, with
    BCE(ℓ, y) = mean[max(ℓ, 0) − ℓ·y + log(1 + e^(−|ℓ|))] on logits ℓ (lesson 03):
        fake = G(z) = z W_gᵀ + b_g                 (G is not updated here)
        L_D = ½ BCE(D_logit(x_real), real_label) + ½ BCE(D_logit(fake), 0)
        ∂L_D/∂ℓ = ½ (σ(ℓ) − target) / N    for each of the two batches of N logits
        θ_d ← θ_d − η ∂L_D/∂θ_d,   θ_d = (W_d, b_d)

    Parameters
    ----------
    Wd : (1, d);  bd : (1,);  Wg : (d, k);  bg : (d,)
    x_real : (N, d) real samples;  z : (N, k) noise;  lr : float η
    real_label : float, the real samples' target (1.0, or 0.9 with label smoothing)

    Returns
    -------
    (Wd_new, bd_new, L_D) : arrays (1, d), (1,) and the loss (a float, before the step)
    """
    N = x_real.shape[0]
    fake = z @ Wg.T + bg
    l_real, l_fake = x_real @ Wd.T + bd, fake @ Wd.T + bd  # (N, 1) logits

    def bce(logit, y):
        softplus = np.log1p(np.exp(-np.abs(logit)))  # log(1 + e^(−|ℓ|))
        return np.mean(np.maximum(logit, 0.0) - logit * y + softplus)

    loss = 0.5 * bce(l_real, real_label) + 0.5 * bce(l_fake, 0.0)
    d_real = 0.5 * (1.0 / (1.0 + np.exp(-l_real)) - real_label) / N
    d_fake = 0.5 * (1.0 / (1.0 + np.exp(-l_fake))) / N
    dWd = d_real.T @ x_real + d_fake.T @ fake
    dbd = d_real.sum(axis=0) + d_fake.sum(axis=0)
    return Wd - lr * dWd, bd - lr * dbd, float(loss)


def gan_g_step(Wd, bd, Wg, bg, z, lr):
    """One generator step of Algorithm 1 on the tiny model, non-saturating loss.

    Document 001 §4.1: instead of minimizing E log(1 − D(G(z))) (Algorithm 1, line 8),
    which saturates while D rejects the fakes, maximize E log D(G(z)) ("possível, e
    também mais indicado"), i.e. minimize BCE with the fakes labelled real:
        fake = z W_gᵀ + b_g,   ℓ = fake W_dᵀ + b_d
        L_G = BCE(ℓ, 1) = mean[log(1 + e^(−ℓ))]         (D is fixed)
        ∂L_G/∂ℓ = (σ(ℓ) − 1) / N,   ∂L_G/∂fake = ∂L_G/∂ℓ · W_d
        θ_g ← θ_g − η ∂L_G/∂θ_g,   θ_g = (W_g, b_g)

    Parameters
    ----------
    Wd : (1, d);  bd : (1,);  Wg : (d, k);  bg : (d,);  z : (N, k);  lr : float η

    Returns
    -------
    (Wg_new, bg_new, L_G) : arrays (d, k), (d,) and the loss (a float, before the step)
    """
    N = z.shape[0]
    fake = z @ Wg.T + bg
    logit = fake @ Wd.T + bd
    loss = np.mean(np.maximum(logit, 0.0) - logit + np.log1p(np.exp(-np.abs(logit))))
    dlogit = (1.0 / (1.0 + np.exp(-logit)) - 1.0) / N  # (N, 1)
    dfake = dlogit @ Wd  # (N, d)
    return Wg - lr * (dfake.T @ z), bg - lr * dfake.sum(axis=0), float(loss)


def smoothed_d_loss(logits_real, logits_fake, smooth=0.9):
    """The discriminator's loss with one-sided label smoothing, and its gradients.

    Document 000 §3.2.3 labels the real images 0.9 (tf.ones_like(logits) * 0.9) and
    keeps the fakes' target at 0: only the real side is smoothed. With BCE on logits
    (lesson 03):
        L_D = ½ BCE(logits_real, smooth) + ½ BCE(logits_fake, 0)
        ∂L_D/∂ℓ_real = ½ (σ(ℓ_real) − smooth) / N_real
        ∂L_D/∂ℓ_fake = ½ σ(ℓ_fake) / N_fake

    Parameters
    ----------
    logits_real : (N_real, 1);  logits_fake : (N_fake, 1)
    smooth : float, the real samples' target

    Returns
    -------
    (L_D, d_real, d_fake) : a float and arrays of the logits' shapes
    """

    def bce(logit, y):
        softplus = np.log1p(np.exp(-np.abs(logit)))  # log(1 + e^(−|ℓ|))
        return np.mean(np.maximum(logit, 0.0) - logit * y + softplus)

    loss = 0.5 * bce(logits_real, smooth) + 0.5 * bce(logits_fake, 0.0)
    d_real = 0.5 * (1.0 / (1.0 + np.exp(-logits_real)) - smooth) / logits_real.size
    d_fake = 0.5 * (1.0 / (1.0 + np.exp(-logits_fake))) / logits_fake.size
    return float(loss), d_real, d_fake

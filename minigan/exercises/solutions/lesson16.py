"""Lesson 16: evaluating GANs with the Fréchet distance (document 001 §5.3)."""

import numpy as np


def matrix_sqrt_psd(A):
    """The square root of a symmetric positive semi-definite matrix.

    Document 001 §5.3 needs the MATRIX square root √M (the S with S S = M, not the
    elementwise √). For a symmetric PSD A = V diag(λ) Vᵀ (np.linalg.eigh):
        √A = V diag(√λ) Vᵀ
    Round-off can make a zero eigenvalue slightly negative (−1e−15): clip λ at 0 first.

    Parameters
    ----------
    A : (d, d) float64, symmetric positive semi-definite

    Returns
    -------
    S : (d, d), symmetric, S S = A
    """
    lam, V = np.linalg.eigh(A)
    return (V * np.sqrt(np.clip(lam, 0.0, None))) @ V.T


def fid_from_features(feats_a, feats_b):
    """The Fréchet distance between Gaussians fitted to two sets of features (FID).

    Document 001 §5.3, with μ, Σ the mean and the (unbiased, np.cov) covariance of each
    set:
        FID = ‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 √(Σ_a Σ_b))
    √(Σ_a Σ_b) is a matrix square root. Σ_a Σ_b is not symmetric, but it has the
    eigenvalues of the symmetric PSD M = √Σ_a Σ_b √Σ_a, so Tr √(Σ_a Σ_b) = Σᵢ √λᵢ(M)
    (use matrix_sqrt_psd's idea twice), or scipy.linalg.sqrtm(Σ_a Σ_b).real.

    Parameters
    ----------
    feats_a : (N_a, d) float64;  feats_b : (N_b, d), N_a, N_b ≥ 2

    Returns
    -------
    float ≥ 0
    """
    mu_a, mu_b = feats_a.mean(axis=0), feats_b.mean(axis=0)
    s_a, s_b = np.cov(feats_a, rowvar=False), np.cov(feats_b, rowvar=False)
    r = matrix_sqrt_psd(s_a)
    lam = np.linalg.eigvalsh(r @ s_b @ r)
    tr_sqrt = np.sqrt(np.clip(lam, 0.0, None)).sum()
    diff = mu_a - mu_b
    return float(diff @ diff + np.trace(s_a) + np.trace(s_b) - 2.0 * tr_sqrt)

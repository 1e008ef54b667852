"""FID (document 001 §5.3): the Fréchet distance between Gaussians fitted to the evaluation
classifier's penultimate features of two image sets. NumPy only. See :mod:`minigan.metrics`.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .classifier import classifier_features

__all__ = ["feature_statistics", "frechet_distance", "fid"]


def _sym_sqrt_psd(a: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix by eigendecomposition."""
    w, v = np.linalg.eigh(a)
    w = np.clip(w, 0.0, None)  # tiny negative eigenvalues are round-off of a PSD matrix
    return (v * np.sqrt(w)) @ v.T


def _check_stats(mu, sigma, which: str) -> tuple[np.ndarray, np.ndarray]:
    mu = np.atleast_1d(np.asarray(backend.as_numpy(mu), dtype=np.float64))
    sigma = np.atleast_2d(np.asarray(backend.as_numpy(sigma), dtype=np.float64))
    if mu.ndim != 1:
        raise ValueError(f"frechet_distance: mu{which} must be a vector (d,), got shape {mu.shape}")
    d = mu.shape[0]
    if sigma.shape != (d, d):
        raise ValueError(
            f"frechet_distance: sigma{which} must be a ({d}, {d}) covariance matching "
            f"mu{which} of shape ({d},), got shape {sigma.shape}"
        )
    if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
        raise ValueError(f"frechet_distance: mu{which}/sigma{which} contain NaN or inf")
    scale = max(1.0, float(np.abs(sigma).max()))
    if not np.allclose(sigma, sigma.T, rtol=1e-6, atol=1e-8 * scale):
        raise ValueError(f"frechet_distance: sigma{which} must be symmetric (a covariance matrix)")
    sigma = 0.5 * (sigma + sigma.T)
    if np.linalg.eigvalsh(sigma).min() < -1e-6 * scale:
        raise ValueError(
            f"frechet_distance: sigma{which} must be positive semi-definite (a covariance "
            f"matrix); its smallest eigenvalue is {np.linalg.eigvalsh(sigma).min():.3g}"
        )
    return mu, sigma


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2): the FID formula.

    Parameters
    ----------
    mu1, mu2 : array (d,)
        Means (a scalar counts as d = 1).
    sigma1, sigma2 : array (d, d)
        Covariance matrices: symmetric positive semi-definite.

    Returns
    -------
    float >= 0

    Notes
    -----
    Document 001 §5.3: ``FID = ‖μ_X − μ_Y‖² + Tr(Σ_X + Σ_Y − 2 √(Σ_X Σ_Y))``, where
    ``√(Σ_X Σ_Y)`` is the *matrix* square root (not element-wise). It is the squared
    2-Wasserstein distance between the two Gaussians (Dowson & Landau 1982; Heusel et al.
    2017). The document titles the section "Fréchet Inception *Score*"; the metric is the
    Fréchet Inception *Distance* (the "D" of FID): lower is better, 0 for equal Gaussians.

    NumPy only (no ``scipy.linalg.sqrtm``): ``Σ_X Σ_Y`` is not symmetric, but it is similar to
    the symmetric PSD matrix ``M = √Σ_X Σ_Y √Σ_X`` (``AB`` and ``BA`` share their eigenvalues,
    with ``A = √Σ_X`` and ``B = √Σ_X Σ_Y``), so
    ``Tr √(Σ_X Σ_Y) = Σ_i √λ_i(M)``, with ``√Σ_X`` from a symmetric eigendecomposition
    (``numpy.linalg.eigh``) and tiny negative eigenvalues (round-off) clipped to 0. This is
    exact also for singular covariances, where ``sqrtm`` of the product goes complex.
    For d = 1 the formula reduces to ``(μ1 − μ2)² + (σ1 − σ2)²``.
    """
    mu1, s1 = _check_stats(mu1, sigma1, "1")
    mu2, s2 = _check_stats(mu2, sigma2, "2")
    if mu1.shape != mu2.shape:
        raise ValueError(
            f"frechet_distance: mu1 and mu2 must have the same dimension, got {mu1.shape[0]} and {mu2.shape[0]}"
        )
    r1 = _sym_sqrt_psd(s1)  # √Σ_X
    m = r1 @ s2 @ r1  # √Σ_X Σ_Y √Σ_X, similar to Σ_X Σ_Y
    lam = np.clip(np.linalg.eigvalsh(0.5 * (m + m.T)), 0.0, None)
    tr_sqrt = float(np.sqrt(lam).sum())  # Tr √(Σ_X Σ_Y)
    diff = mu1 - mu2
    value = float(diff @ diff) + float(np.trace(s1)) + float(np.trace(s2)) - 2.0 * tr_sqrt  # Eq. 001 §5.3
    return max(value, 0.0)  # ≥ 0 mathematically; clip round-off below zero


def feature_statistics(images, model=None, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Mean (F,) and covariance (F, F) (float64, unbiased) of the classifier features of ``images``.

    Compute the real data's statistics once and reuse them for every FID during training.
    """
    f = classifier_features(model, images, batch_size)
    if f.shape[0] < 2:
        raise ValueError(f"feature_statistics: need at least 2 images for a covariance, got {f.shape[0]}")
    return f.mean(axis=0), np.cov(f, rowvar=False)


def fid(images_a, images_b, model=None, batch_size: int = 256) -> float:
    """FID between two image sets on the shipped classifier's 128 penultimate features.

    Parameters
    ----------
    images_a, images_b : arrays (N, 1, 28, 28) in [-1, 1] (NumPy or device)
        Typically real digits and generated samples.
    model : Sequential, optional
        Default :func:`load_classifier`.

    Returns
    -------
    float : :func:`frechet_distance` of the two feature Gaussians (means and covariances in
    float64).

    Notes
    -----
    Document 001 §5.3 computes FID on Inception-v3's 2048 features of X-ray images; minigan
    uses its MNIST classifier's 128 features, so the values are not comparable with published
    Inception FIDs — only with each other.

    FID estimated from N samples is biased upward, more so for small N (the sample
    covariances are noisy, and with N <= F they are singular): two independent samples of the
    *same* distribution give a positive FID that shrinks roughly like 1/N. Compare FIDs only at
    equal N (document 001 §6.4.1 does: 100 real vs 100 fake, repeated 100 times), and read a
    real-vs-real FID at the same N as the floor. (With 100 images and Inception's 2048
    features, the document's covariances have rank ≤ 99, so its table's values are dominated
    by this bias; they still rank the pairs, which is how the document uses them.)
    """
    mu1, s1 = feature_statistics(images_a, model, batch_size)
    mu2, s2 = feature_statistics(images_b, model, batch_size)
    return frechet_distance(mu1, s1, mu2, s2)

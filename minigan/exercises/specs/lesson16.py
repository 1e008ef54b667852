"""Graders of lesson 16: the matrix square root and FID from features."""

from __future__ import annotations

import numpy as np

from ...metrics.fid import frechet_distance
from ..model import Case, Exercise, Mutant
from ..solutions import lesson16 as sol
from .common import normal


# ---------------------------------------------------------------------------- matrix_sqrt_psd
def _sqrt_cases(rng):
    """A = Q diag(λ) Qᵀ with a random rotation Q: the answer Q diag(√max(λ, 0)) Qᵀ is known
    without solving anything. One λ is −1e−13: round-off of a singular covariance."""
    cases = []
    for d, lam in [
        (4, np.array([3.0, 1.0, 0.5, 0.2])),
        (5, np.array([2.0, 1.5, 0.7, 0.0, -1e-13])),
        (3, np.array([9.0, 4.0, 1.0])),
    ]:
        Q, _ = np.linalg.qr(normal(rng, d, d))
        A = (Q * lam) @ Q.T
        A = 0.5 * (A + A.T)
        cases.append(Case(f"d={d}, eigenvalues {lam.tolist()}", (A,), {}, (Q * np.sqrt(np.clip(lam, 0, None))) @ Q.T))
    return cases


def _sqrt_no_transpose(A):
    lam, V = np.linalg.eigh(A)
    return (V * np.sqrt(np.clip(lam, 0, None))) @ V


def _sqrt_no_clip(A):
    lam, V = np.linalg.eigh(A)
    return (V * np.sqrt(lam)) @ V.T


# ---------------------------------------------------------------------------- fid_from_features
def _fid_cases(rng):
    cases = []
    for na, nb, d, shift in [(40, 30, 3, 0.5), (50, 25, 5, 1.0), (12, 10, 2, 0.0)]:
        B = normal(rng, d, d)
        fa, fb = normal(rng, na, d), normal(rng, nb, d) @ B * 0.7 + shift
        mu_a, mu_b = fa.mean(0), fb.mean(0)
        expected = frechet_distance(mu_a, np.cov(fa, rowvar=False), mu_b, np.cov(fb, rowvar=False))
        cases.append(Case(f"{na} and {nb} samples of d={d}", (fa, fb), {}, float(expected)))
    return cases


def _fid_variant(ddof=1, two=2.0, squared=True, elementwise=False):
    def fid(feats_a, feats_b):
        mu_a, mu_b = feats_a.mean(0), feats_b.mean(0)
        s_a, s_b = np.cov(feats_a, rowvar=False, ddof=ddof), np.cov(feats_b, rowvar=False, ddof=ddof)
        if elementwise:
            tr = float(np.trace(np.sqrt(s_a @ s_b)))
        else:
            r = sol.matrix_sqrt_psd(s_a)
            tr = float(np.sqrt(np.clip(np.linalg.eigvalsh(r @ s_b @ r), 0, None)).sum())
        dist = float(np.sum((mu_a - mu_b) ** 2))
        return (dist if squared else np.sqrt(dist)) + float(np.trace(s_a) + np.trace(s_b)) - two * tr

    return fid


EXERCISES = [
    Exercise(
        "16.matrix_sqrt_psd",
        "the square root of a symmetric PSD matrix",
        "document 001 §5.3",
        1,
        sol.matrix_sqrt_psd,
        _sqrt_cases,
        (
            Mutant("elementwise", lambda A: np.sqrt(A), "√A is the S with S S = A, not the elementwise root"),
            Mutant("no clip", _sqrt_no_clip, "clip the eigenvalues at 0: round-off makes a zero one negative"),
            Mutant("V, not Vᵀ", _sqrt_no_transpose, "√A = V diag(√λ) Vᵀ: transpose the second V"),
        ),
        "λ, V = eigh(A); V diag(√max(λ, 0)) Vᵀ",
        outputs=("S",),
    ),
    Exercise(
        "16.fid_from_features",
        "the Fréchet distance (FID) between two sets of features",
        "document 001 §5.3",
        2,
        sol.fid_from_features,
        _fid_cases,
        (
            Mutant("biased covariance", _fid_variant(ddof=0), "use the unbiased covariance (np.cov divides by N − 1)"),
            Mutant(
                "elementwise √", _fid_variant(elementwise=True), "√(Σ_a Σ_b) is a matrix square root, not elementwise"
            ),
            Mutant("no 2", _fid_variant(two=1.0), "Tr(Σ_a + Σ_b − 2 √(Σ_a Σ_b)): keep the factor 2"),
            Mutant("‖μ_a − μ_b‖", _fid_variant(squared=False), "the means enter squared: ‖μ_a − μ_b‖²"),
        ),
        "‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2√(Σ_a Σ_b)), Σ = np.cov(·, rowvar=False)",
        outputs=("FID",),
    ),
]

"""Clusters of a data set without its labels: k-means (k-means++ start, Lloyd's iterations) and PCA.

Self-conditioning (Liu et al. 2020, "Diverse Image Generation via Self-Conditioned GANs") trains a
conditional GAN on an unlabelled data set by letting cluster ids stand in for the labels: the
training images are partitioned into k clusters, G(z, c) and D(x, c) are conditioned on the
cluster c of each image, and sampling draws c with the clusters' shares.
:class:`minigan.gan.selfcond.SelfConditionedGAN` trains it; ``minigan-train`` runs it on MNIST
(its default recipe, ``selfcond``). This module finds the clusters:

- :func:`pca`: the projection of flattened images onto their first principal components;
- :func:`kmeans`: k-means on the rows of a matrix;
- :func:`cluster_images`: both, on images ``(N, C, H, W)``: what the recipe uses.

Everything here sees pixels only, never a label and never a network trained with labels.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..checks import check_int_range, check_seed, shape_str

__all__ = ["KMeansResult", "kmeans", "pca", "cluster_images", "PCA_COMPONENTS", "KMEANS_ITERS"]

#: Principal components :func:`cluster_images` clusters on by default.
PCA_COMPONENTS = 50
#: Lloyd iterations :func:`kmeans` runs at most by default.
KMEANS_ITERS = 100


class KMeansResult(NamedTuple):
    """What :func:`kmeans` returns."""

    #: ``(k, d)`` float64: the mean of each cluster's points.
    centers: np.ndarray
    #: ``(n,)`` int64 in ``[0, k)``: the nearest center of each point.
    assignments: np.ndarray
    #: ``Σᵢ ‖xᵢ − c_{aᵢ}‖²`` of ``centers`` and ``assignments``.
    inertia: float
    #: Lloyd iterations run (center update + reassignment).
    iterations: int
    #: True when the last iteration changed no assignment (a fixed point of Lloyd's algorithm).
    converged: bool
    #: The inertia after the k-means++ start and after each iteration: never increasing.
    inertia_history: tuple


def _matrix(where: str, X) -> np.ndarray:
    """``X`` as a float64 ``(n, d)`` array with finite values, or a clear error."""
    if not hasattr(X, "shape") or not hasattr(X, "dtype"):
        try:
            X = np.asarray(X)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{where}: X must be a 2-D array (n, d) of real numbers, got {type(X).__name__}") from exc
    if type(X).__module__.startswith("cupy"):
        raise TypeError(f"{where}: X must be a NumPy array (the host), got a CuPy array; use minigan.as_numpy(X)")
    X = np.asarray(X)
    if X.dtype.kind not in "iuf":
        raise TypeError(f"{where}: X must hold real numbers, got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"{where}: X must be 2-D (n, d), got shape {shape_str(X.shape)}")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{where}: X must have at least one row and one column, got shape {shape_str(X.shape)}")
    X = X.astype(np.float64, copy=False)
    if not np.isfinite(X).all():
        bad = int(np.size(X) - np.count_nonzero(np.isfinite(X)))
        raise ValueError(f"{where}: X must be finite, got {bad} NaN or infinite value(s)")
    return X


def _count(where: str, name: str, value, high: int, what: str) -> int:
    """An int in ``[1, high]``: TypeError for a non-int, ValueError naming the range otherwise."""
    want = f"an int in [1, {high}] ({what})"
    value = check_int_range(where, name, value, 1, None, expected=want)
    if value > high:
        raise ValueError(f"{where}: {name} must be {want}, got {value}")
    return value


def _sq_distances(X: np.ndarray, x_sq: np.ndarray, C: np.ndarray) -> np.ndarray:
    """``D[i, j] = ‖xᵢ − cⱼ‖²`` as ``‖xᵢ‖² − 2 xᵢ·cⱼ + ‖cⱼ‖²`` (one GEMM), clipped at 0."""
    D = X @ C.T  # (n, k)
    D *= -2.0
    D += x_sq[:, None]
    D += np.einsum("ij,ij->i", C, C)[None, :]
    np.maximum(D, 0.0, out=D)  # rounding can leave -1e-13 where a point sits on its center
    return D


def _kmeans_pp(X: np.ndarray, x_sq: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Arthur & Vassilvitskii's k-means++ start: c₁ uniform over the points, then each next center
    a point drawn with probability ∝ D(x)², its squared distance to the nearest center so far."""
    n = X.shape[0]
    idx = [int(rng.integers(n))]
    d2 = _sq_distances(X, x_sq, X[idx[0]][None, :])[:, 0]  # (n,)
    for _ in range(1, k):
        total = float(d2.sum())
        if total > 0.0:
            i = int(rng.choice(n, p=d2 / total))
        else:  # fewer distinct points than k: any point (a duplicate center; its cluster stays empty)
            i = int(rng.integers(n))
        idx.append(i)
        np.minimum(d2, _sq_distances(X, x_sq, X[i][None, :])[:, 0], out=d2)
    return X[idx].copy()


def _means(X: np.ndarray, a: np.ndarray, C: np.ndarray, d2_own: np.ndarray) -> np.ndarray:
    """The mean of each cluster's points; an empty cluster's center moves onto the point that is
    farthest from its own center (each empty cluster a different point), so no center is lost."""
    k = C.shape[0]
    counts = np.bincount(a, minlength=k)
    onehot = np.zeros((k, X.shape[0]))
    onehot[a, np.arange(X.shape[0])] = 1.0
    sums = onehot @ X  # (k, d): Σ_{i ∈ Sⱼ} xᵢ as one product (np.add.at is many times slower)
    new = C.copy()
    full = counts > 0
    new[full] = sums[full] / counts[full, None]  # Eq. cⱼ = (1 / |Sⱼ|) Σ_{i ∈ Sⱼ} xᵢ
    empty = np.flatnonzero(~full)
    if empty.size:
        far = np.argsort(-d2_own, kind="stable")[: empty.size]
        new[empty] = X[far]
    return new


def kmeans(X, k: int, *, seed: int = 0, iters: int = KMEANS_ITERS) -> KMeansResult:
    """k-means clustering of the rows of ``X``: a k-means++ start, then Lloyd's iterations.

    Parameters
    ----------
    X : array (n, d)
        The points, one per row: real numbers, finite (any real dtype; computed in float64).
    k : int
        The number of clusters, ``1 ≤ k ≤ n``.
    seed : int
        Seeds the k-means++ start, the only random step: the same ``X``, ``k`` and ``seed``
        give the same clusters (on the same BLAS thread count; see Notes).
    iters : int
        The most Lloyd iterations to run (≥ 1); they stop earlier at a fixed point.

    Returns
    -------
    KMeansResult
        ``centers (k, d)``, ``assignments (n,)``, ``inertia``, ``iterations``, ``converged``
        and ``inertia_history``.

    Notes
    -----
    k-means looks for the partition S₁ … S_k of the points and the centers c₁ … c_k that
    minimise the inertia

        J = Σⱼ Σ_{i ∈ Sⱼ} ‖xᵢ − cⱼ‖².

    Start (k-means++, Arthur & Vassilvitskii 2007): c₁ is a point drawn uniformly; each next
    center is a point drawn with probability D(xᵢ)² / Σₗ D(xₗ)², where D(x) = minⱼ ‖x − cⱼ‖
    over the centers chosen so far. Then every point goes to its nearest center,
    aᵢ = argminⱼ ‖xᵢ − cⱼ‖².

    One Lloyd iteration: cⱼ ← (1 / |Sⱼ|) Σ_{i ∈ Sⱼ} xᵢ (the mean minimises the squared
    distances for fixed clusters), then aᵢ ← argminⱼ ‖xᵢ − cⱼ‖² (the nearest center minimises
    them for fixed centers). Neither step can raise J, so ``inertia_history`` never increases
    (up to rounding); the iterations stop when no assignment changes (then the centers are the
    means of their clusters and the next iteration would change nothing) or after ``iters``.
    A cluster left empty gets as its center the point farthest from its own center, which
    lowers J at the next assignment.

    The squared distances of all n points to all k centers are one matrix product,
    ‖x − c‖² = ‖x‖² − 2 x·c + ‖c‖², in float64: the subtraction cancels most of the leading
    digits when a point is near a center, which float32's 7 digits cannot spare, and at these
    sizes float64 costs nothing that matters (4,000 × 50 points, k = 20: milliseconds per
    iteration). Ties (equal distances) go to the lowest center index. A BLAS thread count
    other than the first run's may round the product differently and so, rarely, move a
    point that lies within rounding of two centers; a run that must continue exactly saves
    its assignments (:class:`minigan.gan.selfcond.SelfConditionedGAN` does).
    """
    X = _matrix("kmeans", X)
    n = X.shape[0]
    k = _count("kmeans", "k", k, n, f"n = {n}, the number of points")
    rng = np.random.default_rng(check_seed("kmeans", "seed", seed, allow_none=False))
    iters = check_int_range("kmeans", "iters", iters, 1)
    x_sq = np.einsum("ij,ij->i", X, X)  # (n,)
    C = _kmeans_pp(X, x_sq, k, rng)
    D = _sq_distances(X, x_sq, C)
    a = np.argmin(D, axis=1)
    d2_own = D[np.arange(n), a]
    history = [float(d2_own.sum())]
    converged, it = False, 0
    while it < iters:
        it += 1
        C = _means(X, a, C, d2_own)
        D = _sq_distances(X, x_sq, C)
        new = np.argmin(D, axis=1)
        d2_own = D[np.arange(n), new]
        history.append(float(d2_own.sum()))
        if np.array_equal(new, a):
            converged = True
            break
        a = new
    a = a.astype(np.int64)
    inertia = float(((X - C[a]) ** 2).sum())  # exact, not through the product
    return KMeansResult(C, a, inertia, it, converged, tuple(history))


def pca(X, n_components: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The projection of the rows of ``X`` onto their first ``n_components`` principal components.

    Parameters
    ----------
    X : array (n, d)
        Real, finite; computed in float64.
    n_components : int
        ``1 ≤ n_components ≤ d``.

    Returns
    -------
    Z : float64 (n, n_components)
        ``(X − μ) V``: the coordinates along the components.
    V : float64 (d, n_components)
        The components (orthonormal columns), largest variance first.
    mu : float64 (d,)
        The mean row μ.

    Notes
    -----
    With Xc = X − μ and the SVD Xc = U Σ Vᵀ, the principal components are the columns of V and
    the variances along them σᵢ² / n. They are computed here as the eigenvectors of the
    d × d scatter matrix Xcᵀ Xc = V Σ² Vᵀ (:func:`numpy.linalg.eigh`), the same V (each column
    up to its sign, which changes no distance) for a fraction of the SVD's cost when n ≫ d.
    """
    X = _matrix("pca", X)
    d = X.shape[1]
    n_components = _count("pca", "n_components", n_components, d, f"d = {d}, the number of columns")
    mu = X.mean(axis=0)
    Xc = X - mu
    evals, evecs = np.linalg.eigh(Xc.T @ Xc)  # ascending eigenvalues of V Σ² Vᵀ
    V = evecs[:, ::-1][:, :n_components].copy()
    return Xc @ V, V, mu


def cluster_images(
    images, k: int, *, seed: int = 0, components: int = PCA_COMPONENTS, iters: int = KMEANS_ITERS
) -> KMeansResult:
    """k-means clusters of images ``(N, ...)`` on the first ``components`` principal components
    of their pixels (:func:`pca`, then :func:`kmeans`); the centers are in that projection.

    Parameters
    ----------
    images : array (N, C, H, W) or any (N, ...)
        Flattened to ``(N, C·H·W)``.
    k, seed, iters : as for :func:`kmeans`.
    components : int
        Principal components to cluster on, at most the pixels per image (more are cut to that);
        0 clusters the raw pixels.

    Notes
    -----
    Why a projection of the pixels: the clusters must come from the images alone. The
    evaluation classifier's features (:mod:`minigan.metrics`) would give cleaner digit
    clusters, but that network was trained with the digits' labels, so clusters of its
    features would carry the labels in by the back door; the pixels do not. The first 50
    principal components keep 83 % of the pixels' variance of minigan's 4,000 training digits and leave out
    the many small directions of stroke-level jitter, which add to every distance alike; the
    distances between digits change little, k-means runs on 50 numbers per image instead of
    784, and the projection costs one 784 × 784 eigendecomposition (well under a second).
    """
    if not hasattr(images, "shape") or len(getattr(images, "shape", ())) < 2:
        raise ValueError(
            f"cluster_images: images must be an array (N, ...) of at least 2 dimensions, got "
            f"{type(images).__name__} {shape_str(getattr(images, 'shape', ()))}"
        )
    X = images.reshape(images.shape[0], -1)  # (N, C·H·W); _matrix refuses what is not a host array
    components = check_int_range("cluster_images", "components", components, 0)
    if components:
        X = pca(X, min(components, X.shape[1]))[0]
    return kmeans(X, k, seed=seed, iters=iters)

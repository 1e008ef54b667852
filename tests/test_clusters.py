"""k-means and PCA without labels (minigan.data.clusters): what the selfcond recipe clusters with."""

import numpy as np
import pytest

from minigan.data import clusters
from minigan.data.clusters import cluster_images, kmeans, pca


def _blobs(seed=0, k=4, per=(30, 50, 20, 40), d=5, spread=0.1):
    """k tight blobs around centers 10 apart (and unequal sizes), shuffled; their true labels."""
    rng = np.random.default_rng(seed)
    centers = 10.0 * np.eye(k, d) + rng.normal(0, 0.5, (k, d))
    y = np.repeat(np.arange(k), per[:k])
    X = centers[y] + rng.normal(0, spread, (len(y), d))
    order = rng.permutation(len(y))
    return X[order], y[order]


def _same_partition(a, b) -> bool:
    """True when the two labelings are one partition up to renaming the clusters."""
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kmeans_recovers_well_separated_clusters_exactly(seed):
    X, y = _blobs(seed)
    r = kmeans(X, 4, seed=seed)
    assert r.converged and 1 <= r.iterations <= clusters.KMEANS_ITERS
    assert _same_partition(r.assignments, y)
    assert r.assignments.dtype == np.int64 and r.assignments.shape == (len(y),)
    for j in range(4):  # each center is its cluster's mean
        np.testing.assert_allclose(r.centers[j], X[r.assignments == j].mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(r.inertia, ((X - r.centers[r.assignments]) ** 2).sum(), rtol=1e-12)


def test_the_inertia_never_increases_over_the_iterations():
    rng = np.random.default_rng(5)  # no structure: many iterations, many moves
    X = rng.normal(size=(600, 8))
    for seed in range(3):
        r = kmeans(X, 12, seed=seed, iters=200)
        h = np.array(r.inertia_history)
        assert len(h) == r.iterations + 1 and r.iterations > 3
        assert np.all(np.diff(h) <= 1e-9 * h[0]), np.diff(h).max()  # up to rounding
        np.testing.assert_allclose(h[-1], r.inertia, rtol=1e-9)
    # stopped by iters: not converged, and the labels still go with the centers
    r = kmeans(X, 12, seed=0, iters=2)
    assert r.iterations == 2 and not r.converged
    d2 = ((X[:, None, :] - r.centers[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(r.assignments, d2.argmin(1))


def test_kmeans_is_deterministic_for_a_seed_and_the_seed_matters():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(400, 6)).astype(np.float32)
    a, b = kmeans(X, 9, seed=11), kmeans(X, 9, seed=11)
    np.testing.assert_array_equal(a.assignments, b.assignments)
    np.testing.assert_array_equal(a.centers, b.centers)
    assert a.inertia == b.inertia and a.inertia_history == b.inertia_history
    others = [kmeans(X, 9, seed=s).assignments for s in (12, 13, 14)]
    assert any(not np.array_equal(a.assignments, o) for o in others)
    assert a.centers.dtype == np.float64  # float32 input, float64 arithmetic


def test_kmeans_edges_one_cluster_each_point_its_own_and_duplicates():
    X, _ = _blobs(0)
    r = kmeans(X, 1, seed=0)
    np.testing.assert_allclose(r.centers[0], X.mean(0))
    assert r.converged and set(r.assignments.tolist()) == {0}
    r = kmeans(X[:7], 7, seed=0)  # k = n: every point its own cluster, inertia 0
    assert sorted(r.assignments.tolist()) == list(range(7)) and r.inertia == pytest.approx(0.0, abs=1e-20)
    dup = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0]]), 10, axis=0)  # two distinct points, k = 3
    r = kmeans(dup, 3, seed=0)
    assert len(set(r.assignments.tolist())) == 2 and r.inertia == pytest.approx(0.0, abs=1e-20)


@pytest.mark.parametrize(
    "X, k, kw, exc, words",
    [
        (
            np.zeros((10, 2)),
            0,
            {},
            ValueError,
            r"kmeans: k must be an int in \[1, 10\] \(n = 10, the number of points\), got 0",
        ),
        (np.zeros((10, 2)), 11, {}, ValueError, r"kmeans: k must be an int in \[1, 10\] .*got 11"),
        (np.zeros((10, 2)), 2.5, {}, TypeError, r"kmeans: k must be an int in \[1, 10\] .*got float 2.5"),
        (np.zeros((10, 2)), True, {}, TypeError, r"kmeans: k must be"),
        (np.zeros(10), 2, {}, ValueError, r"kmeans: X must be 2-D \(n, d\), got shape \(10,\)"),
        (np.zeros((2, 3, 4)), 2, {}, ValueError, r"kmeans: X must be 2-D \(n, d\), got shape \(2, 3, 4\)"),
        (np.zeros((0, 3)), 1, {}, ValueError, r"kmeans: X must have at least one row"),
        (np.array([[0.0, np.nan], [1.0, 1.0]]), 1, {}, ValueError, r"kmeans: X must be finite, got 1 NaN or infinite"),
        (np.array([[0.0, np.inf], [1.0, -np.inf]]), 1, {}, ValueError, r"kmeans: X must be finite, got 2 NaN"),
        (np.array([["a", "b"]]), 1, {}, TypeError, r"kmeans: X must hold real numbers, got dtype <U1"),
        (np.zeros((4, 2), dtype=complex), 1, {}, TypeError, r"kmeans: X must hold real numbers, got dtype complex128"),
        ("not an array", 1, {}, TypeError, r"kmeans: X must hold real numbers, got dtype <U12"),
        (
            [[1.0, 2.0], [3.0, 4.0]],
            3,
            {},
            ValueError,
            r"kmeans: k must be an int in \[1, 2\]",
        ),  # a list is read as an array
        (np.zeros((10, 2)), 2, {"seed": -1}, ValueError, r"kmeans: seed must be an int >= 0 \(a seed\), got -1"),
        (np.zeros((10, 2)), 2, {"seed": None}, TypeError, r"kmeans: seed must be an int >= 0, got NoneType"),
        (np.zeros((10, 2)), 2, {"iters": 0}, ValueError, r"kmeans: iters must be an int >= 1, got 0"),
    ],
)
def test_kmeans_bad_arguments_name_the_function_the_argument_and_both_values(X, k, kw, exc, words):
    with pytest.raises(exc, match=words):
        kmeans(X, k, **kw)


def test_pca_finds_the_directions_of_largest_variance():
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    X = (rng.normal(size=(500, 6)) * [9.0, 4.0, 1.0, 0.1, 0.1, 0.1]) @ basis.T + 3.0
    Z, V, mu = pca(X, 3)
    assert Z.shape == (500, 3) and V.shape == (6, 3) and mu.shape == (6,)
    np.testing.assert_allclose(V.T @ V, np.eye(3), atol=1e-12)  # orthonormal
    np.testing.assert_allclose(np.abs(V.T @ basis[:, :3]), np.eye(3), atol=0.05)  # the planted axes, in order
    var = Z.var(axis=0)
    assert var[0] > var[1] > var[2]
    np.testing.assert_allclose(Z, (X - mu) @ V)
    # all components: an orthogonal change of axes, so every distance is kept
    Zall = pca(X, 6)[0]
    np.testing.assert_allclose(np.linalg.norm(Zall[0] - Zall[1]), np.linalg.norm(X[0] - X[1]))
    with pytest.raises(
        ValueError, match=r"pca: n_components must be an int in \[1, 6\] \(d = 6, the number of columns\), got 7"
    ):
        pca(X, 7)
    with pytest.raises(ValueError, match="pca: X must be finite"):
        pca(np.full((3, 2), np.nan), 1)


def test_cluster_images_uses_the_pixels_alone():
    """The images in, the clusters out: no label goes in, so the digits' labels, shuffled or
    not, cannot change them; pixels and their first principal components both work."""
    X, y = _blobs(1, d=16, spread=0.05)
    images = X.reshape(-1, 1, 4, 4).astype(np.float32)
    r = cluster_images(images, 4, seed=0, components=3)
    assert _same_partition(r.assignments, y) and r.centers.shape == (4, 3)
    raw = cluster_images(images, 4, seed=0, components=0)
    assert _same_partition(raw.assignments, y) and raw.centers.shape == (4, 16)
    big = cluster_images(images, 4, seed=0, components=500)  # more than the pixels: all of them
    assert big.centers.shape == (4, 16)
    with pytest.raises(ValueError, match=r"cluster_images: images must be an array \(N, \.\.\.\)"):
        cluster_images(np.zeros(5), 2)
    with pytest.raises(ValueError, match="cluster_images: components must be an int >= 0, got -1"):
        cluster_images(images, 2, components=-1)


def test_cluster_images_on_the_bundled_digits_is_quick_and_uses_every_cluster():
    from minigan.data import load_mnist

    X, _ = load_mnist(split="train", limit=1000)
    r = cluster_images(X, 20, seed=0)
    assert r.converged and r.centers.shape == (20, clusters.PCA_COMPONENTS)
    assert np.bincount(r.assignments, minlength=20).min() > 0

"""Tests of minigan.metrics: the Fréchet distance, FID, the shipped classifier, sample quality."""

import json
import os

import numpy as np
import pytest

import minigan as mg
from minigan import metrics


def _spd(rng, d, extra=3):
    a = rng.standard_normal((d, d + extra))
    return a @ a.T / (d + extra)


# ----------------------------------------------------------------------------- Fréchet distance
def test_frechet_zero_for_identical():
    rng = np.random.default_rng(0)
    mu, s = rng.standard_normal(6), _spd(rng, 6)
    assert metrics.frechet_distance(mu, s, mu, s) == pytest.approx(0.0, abs=1e-9)
    x = rng.standard_normal((200, 5))
    mu, s = x.mean(0), np.cov(x, rowvar=False)
    assert metrics.frechet_distance(mu, s, mu.copy(), s.copy()) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("m1, s1, m2, s2", [(0.0, 1.0, 0.0, 1.0), (1.0, 2.0, -0.5, 0.5), (3.0, 0.0, 1.0, 4.0)])
def test_frechet_one_dimensional_closed_form(m1, s1, m2, s2):
    # d = 1: W2² between N(m1, s1²) and N(m2, s2²) is (m1 - m2)² + (s1 - s2)²
    got = metrics.frechet_distance([m1], [[s1**2]], [m2], [[s2**2]])
    assert got == pytest.approx((m1 - m2) ** 2 + (s1 - s2) ** 2, rel=1e-10, abs=1e-12)
    assert metrics.frechet_distance(m1, s1**2, m2, s2**2) == pytest.approx(got)  # scalars


def test_frechet_diagonal_closed_form():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.1, 3, 7), rng.uniform(0.1, 3, 7)
    m1, m2 = rng.standard_normal(7), rng.standard_normal(7)
    want = ((m1 - m2) ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    assert metrics.frechet_distance(m1, np.diag(a), m2, np.diag(b)) == pytest.approx(want, rel=1e-10)


def test_frechet_matches_scipy_sqrtm():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(2)
    for d in (2, 5, 16):
        s1, s2 = _spd(rng, d), _spd(rng, d)
        m1, m2 = rng.standard_normal(d), rng.standard_normal(d)
        covmean = linalg.sqrtm(s1 @ s2).real
        want = ((m1 - m2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean)
        assert metrics.frechet_distance(m1, s1, m2, s2) == pytest.approx(want, rel=1e-8)


def _fid_by_scipy(f1, f2):
    """The Fréchet distance of two feature sets, computed independently of minigan: the
    unbiased covariance of ``np.cov`` (ddof 1) and the matrix square root of
    ``scipy.linalg.sqrtm`` (document 001 §5.3: ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 √(Σ₁ Σ₂)))."""
    linalg = pytest.importorskip("scipy.linalg")
    m1, m2 = f1.mean(axis=0), f2.mean(axis=0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2)
    assert np.abs(covmean.imag).max(initial=0) < 1e-8 * np.abs(covmean).max(), "sqrtm went complex"
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))


def test_frechet_of_gaussian_features_matches_np_cov_and_scipy_sqrtm():
    """Two random Gaussian feature sets (correlated, different means and covariances): minigan's
    FID from their statistics equals the independent computation to 1e-6 relative."""
    rng = np.random.default_rng(7)
    for n, d in ((40, 6), (300, 12)):
        f1 = rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) + rng.standard_normal(d)
        f2 = rng.standard_normal((n, d)) @ (0.7 * rng.standard_normal((d, d))) + rng.standard_normal(d)
        want = _fid_by_scipy(f1, f2)
        got = metrics.frechet_distance(f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False))
        assert got == pytest.approx(want, rel=1e-6), (n, d)


def _linear_feature_model(rng, d, shift=0.0):
    """A float64 ``Sequential(Flatten, Dense(784, d), Dense(d, 1))``: the FID features of an
    image (the input of the last layer) are exactly ``x.reshape(784) @ Wᵀ + b``."""
    first = mg.Dense(784, d, rng=rng, dtype=np.float64)
    first.params["W"].data[...] = rng.standard_normal((d, 784)) * 0.1
    first.params["b"].data[...] = shift + rng.standard_normal(d)
    return mg.Sequential(mg.Flatten(), first, mg.Dense(d, 1, rng=rng, dtype=np.float64))


def test_feature_statistics_and_fid_match_an_independent_computation():
    """feature_statistics computes minigan's covariance from the features themselves: it must
    be the unbiased one (np.cov, ddof 1); with few images a biased covariance (ddof 0) is
    off by n/(n-1), and so is the FID. Checked on a model whose features are known exactly."""
    rng = np.random.default_rng(8)
    n, d = 30, 5
    model = _linear_feature_model(rng, d)
    a = rng.uniform(-1, 1, (n, 1, 28, 28)).astype(np.float32)
    b = np.clip(0.6 * rng.uniform(-1, 1, (n, 1, 28, 28)) + 0.2, -1, 1).astype(np.float32)
    W, bias = model[1].params["W"].data, model[1].params["b"].data
    fa = a.reshape(n, 784).astype(np.float64) @ W.T + bias  # the features, computed here
    fb = b.reshape(n, 784).astype(np.float64) @ W.T + bias
    mu, sigma = metrics.feature_statistics(a, model, batch_size=7)  # batches: the statistics are of all n
    np.testing.assert_allclose(mu, fa.mean(axis=0), rtol=1e-10, atol=1e-12, err_msg="feature mean")
    np.testing.assert_allclose(sigma, np.cov(fa, rowvar=False), rtol=1e-9, err_msg="feature covariance (unbiased)")
    biased = np.cov(fa, rowvar=False, bias=True)
    assert np.abs(sigma - biased).max() > 1e-3 * np.abs(biased).max(), "the check cannot tell ddof 0 from ddof 1"
    want = _fid_by_scipy(fa, fb)
    assert metrics.fid(a, b, model) == pytest.approx(want, rel=1e-6)
    ma, sa = fa.mean(0), np.cov(fa, rowvar=False, bias=True)
    mb, sb = fb.mean(0), np.cov(fb, rowvar=False, bias=True)
    assert metrics.frechet_distance(ma, sa, mb, sb) != pytest.approx(want, rel=1e-6), "biased FID would pass too"


def test_frechet_singular_covariance_and_symmetry():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 10))  # 4 samples in 10-D: a rank-3 covariance
    s1 = np.cov(x, rowvar=False)
    s2 = _spd(rng, 10)
    m1, m2 = rng.standard_normal(10), rng.standard_normal(10)
    d12 = metrics.frechet_distance(m1, s1, m2, s2)
    assert np.isfinite(d12) and d12 > 0
    assert metrics.frechet_distance(m2, s2, m1, s1) == pytest.approx(d12, rel=1e-8)


def test_frechet_grows_with_mean_shift():
    rng = np.random.default_rng(4)
    s1, s2 = _spd(rng, 4), _spd(rng, 4)
    mu = rng.standard_normal(4)
    direction = rng.standard_normal(4)
    vals = [metrics.frechet_distance(mu, s1, mu + t * direction, s2) for t in (0.0, 0.5, 1.0, 2.0)]
    assert all(a < b for a, b in zip(vals, vals[1:]))
    # the mean term adds exactly ‖Δμ‖²
    assert vals[3] - vals[0] == pytest.approx(4 * (direction @ direction), rel=1e-9)


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.zeros(3), np.eye(2), np.zeros(3), np.eye(3)), r"sigma1 must be a \(3, 3\)"),
        ((np.zeros(3), np.eye(3), np.zeros(2), np.eye(2)), "same dimension"),
        ((np.zeros((3, 1)), np.eye(3), np.zeros(3), np.eye(3)), "mu1 must be a vector"),
        ((np.zeros(2), np.array([[1.0, 2.0], [0.0, 1.0]]), np.zeros(2), np.eye(2)), "symmetric"),
        ((np.zeros(2), np.diag([1.0, -1.0]), np.zeros(2), np.eye(2)), "positive semi-definite"),
        ((np.zeros(2), np.eye(2), np.array([np.nan, 0.0]), np.eye(2)), "NaN"),
    ],
)
def test_frechet_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        metrics.frechet_distance(*args)


# ----------------------------------------------------------------------------- shipped classifier
@pytest.fixture(scope="module")
def heldout():
    _, _, X, y = metrics.load_digits_split()
    return X, y


@pytest.fixture(scope="module")
def clf():
    return metrics.load_classifier()


def test_split_is_fixed_and_stratified(heldout):
    X, y = heldout
    assert X.shape == (1000, 1, 28, 28) and X.dtype == np.float32
    assert np.bincount(y).tolist() == [100] * 10
    assert (np.bincount(y[:100], minlength=10) > 0).all()  # shuffled: a prefix mixes the classes
    Xtr, ytr, X2, y2 = metrics.load_digits_split()
    assert len(ytr) == 4000 and np.array_equal(X2, X) and np.array_equal(y2, y)  # fixed
    held = {a.tobytes() for a in X}
    assert not any(a.tobytes() in held for a in Xtr[::37])  # disjoint from the training digits
    assert X.min() >= -1.0 and X.max() <= 1.0 and X.min() == -1.0


def test_weights_file_small_no_pickle(clf):
    assert os.path.getsize(metrics.WEIGHTS_PATH) < 2 * 1024**2
    with np.load(metrics.WEIGHTS_PATH, allow_pickle=False) as f:  # would raise on object arrays
        keys = set(f.files)
    assert set(clf.state_dict()) <= keys
    assert metrics.load_classifier() is clf  # cached
    assert not clf.training


def test_missing_weights_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m minigan.metrics --train"):
        metrics.load_classifier(tmp_path / "missing.npz")


def test_classifier_heldout_accuracy(clf, heldout):
    X, y = heldout
    p = metrics.predict_proba(clf, X)
    assert p.shape == (1000, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    acc = float((p.argmax(1) == y).mean())  # recomputed here, not read from the metadata
    assert acc >= 0.90
    assert clf.meta["heldout_accuracy"] == pytest.approx(acc, abs=1e-3)


def test_input_layouts_agree_and_bad_input(clf, heldout, device):
    X = heldout[0][:7]
    p = metrics.predict_proba(clf, X)
    np.testing.assert_allclose(metrics.predict_proba(clf, X.reshape(7, 784)), p, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(metrics.predict_proba(clf, X.reshape(7, 28, 28), batch_size=3), p, rtol=1e-5, atol=1e-7)
    f = metrics.classifier_features(None, mg.backend.asarray(X, device))  # device arrays accepted
    assert f.shape[0] == 7 and f.ndim == 2 and isinstance(f, np.ndarray)
    with pytest.raises(ValueError, match=r"scaled to \[-1, 1\]"):
        metrics.predict_proba(clf, (X + 1) * 127.5)
    with pytest.raises(ValueError, match="MNIST-sized"):
        metrics.predict_proba(clf, np.zeros((2, 1, 8, 8), np.float32))
    with pytest.raises(TypeError, match="float"):
        metrics.predict_proba(clf, np.zeros((2, 784), np.uint8))
    with pytest.raises(ValueError, match="NaN"):
        metrics.predict_proba(clf, np.full((2, 784), np.nan, np.float32))


def test_features_are_input_of_last_layer_and_mode_restored(clf, heldout):
    X = heldout[0][:5]
    f = metrics.classifier_features(clf, X)
    logits = f @ clf[-1].params["W"].data.T.astype(np.float64) + clf[-1].params["b"].data
    p = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(p / p.sum(1, keepdims=True), metrics.predict_proba(clf, X), rtol=1e-4, atol=1e-6)
    clf.train()
    try:
        a = metrics.predict_proba(clf, X)
        assert clf.training  # the caller's mode is restored
        np.testing.assert_allclose(a, metrics.predict_proba(clf, X), rtol=1e-6)  # eval: no dropout
    finally:
        clf.eval()


def test_sample_quality_real_vs_noise(clf, heldout):
    X, y = heldout
    q = metrics.sample_quality(X, clf)
    assert q["n"] == 1000 and sum(q["histogram"]) == 1000 and len(q["histogram"]) == 10
    assert q["confident_share"] >= 0.8
    assert q["mode_count"] == 10
    # the predicted-digit histogram is close to the label histogram (100 per class)
    assert np.abs(np.array(q["histogram"]) - np.bincount(y, minlength=10)).sum() / 2 <= 0.1 * 1000
    noise = np.random.default_rng(0).uniform(-1, 1, (500, 1, 28, 28)).astype(np.float32)
    qn = metrics.sample_quality(noise, clf)
    assert qn["confident_share"] <= 0.1
    # mode collapse shows: only 3s
    threes = metrics.sample_quality(X[y == 3], clf)
    assert threes["histogram"][3] >= 0.8 * 100 and threes["mode_count"] <= 3
    with pytest.raises(ValueError, match="threshold"):
        metrics.sample_quality(X[:2], clf, threshold=1.5)


def test_fid_real_vs_real_much_lower_than_noise_and_collapse(clf, heldout):
    X, y = heldout
    rng = np.random.default_rng(5)
    perm = rng.permutation(len(y))
    a, b = X[perm[:500]], X[perm[500:]]
    noise = rng.uniform(-1, 1, (500, 1, 28, 28)).astype(np.float32)
    real_real = metrics.fid(a, b, clf)
    real_noise = metrics.fid(a, noise, clf)
    collapsed = np.concatenate([X[y == 1]] * 5)  # 500 images, all "1"s
    real_collapsed = metrics.fid(a, collapsed, clf)
    assert real_real < 0.1 * real_noise
    assert real_real < 0.2 * real_collapsed
    assert metrics.fid(a, a, clf) == pytest.approx(0.0, abs=1e-6)


def test_train_classifier_reproducible(tmp_path):
    kw = dict(seed=3, epochs=1, arch="mlp", verbose=False, limit=256)
    m1, meta = metrics.train_classifier(out=tmp_path / "c.npz", **kw)
    m2, _ = metrics.train_classifier(out=None, **kw)
    for (k, v1), v2 in zip(m1.state_dict().items(), m2.state_dict().values()):
        np.testing.assert_array_equal(v1, v2, err_msg=k)
    loaded = metrics.load_classifier(tmp_path / "c.npz")
    assert loaded.meta["arch"] == "mlp" and loaded.meta["seed"] == 3
    with open(tmp_path / "c.json") as fh:
        assert json.load(fh)["heldout_accuracy"] == meta["heldout_accuracy"]
    X = np.random.default_rng(0).uniform(-1, 1, (3, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(metrics.predict_proba(loaded, X), metrics.predict_proba(m1, X), rtol=1e-6)


def test_metrics_package_init_only_re_exports():
    """minigan/metrics/__init__.py defines nothing: the code lives in classifier, quality, fid
    and training, and no module of the package imports at its bottom."""
    import ast
    import glob

    path = os.path.join(os.path.dirname(metrics.__file__), "__init__.py")
    tree = ast.parse(open(path, encoding="utf-8").read())
    for node in tree.body:
        assert isinstance(node, (ast.Import, ast.ImportFrom, ast.Expr, ast.Assign)), ast.dump(node)[:80]
        if isinstance(node, ast.Assign):
            assert [t.id for t in node.targets] == ["__all__"]
    for name in metrics.__all__:
        assert getattr(metrics, name) is not None
    for f in glob.glob(os.path.join(os.path.dirname(metrics.__file__), "*.py")):
        body = ast.parse(open(f, encoding="utf-8").read()).body
        seen_def = False
        for node in body:
            seen_def = seen_def or isinstance(node, (ast.FunctionDef, ast.ClassDef))
            assert not (seen_def and isinstance(node, (ast.Import, ast.ImportFrom))), f"{f}: import at the bottom"

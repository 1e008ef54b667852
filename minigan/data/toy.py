"""Small data sets for fast demos and tests: the 8x8 digits and a ring of 2-D Gaussians."""

from __future__ import annotations

import numpy as np

from ..checks import check_number, check_positive_int
from ..nn.init import get_rng

__all__ = ["load_digits8x8", "ring_of_gaussians", "ring_modes"]


def load_digits8x8() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 8x8 digits of scikit-learn (UCI), for fast demos and tests.

    Returns
    -------
    X : float32 array (1797, 1, 8, 8) in [-1, 1] (pixels ``0..16`` mapped by ``x / 8 - 1``)
    y : int64 array (1797,)
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    X = (d.images.astype(np.float32) / np.float32(8.0) - np.float32(1.0)).reshape(-1, 1, 8, 8)
    return np.ascontiguousarray(X), d.target.astype(np.int64)


def ring_of_gaussians(n: int, modes: int = 8, radius: float = 2.0, std: float = 0.02, rng=None) -> np.ndarray:
    """A toy 2-D target: ``modes`` Gaussians of std ``std`` evenly spaced on a circle.

    The standard mode-collapse demo: a generator that covers only some of the modes is easy
    to see in a scatter plot.

    Parameters
    ----------
    n : int
        Number of points.
    modes : int
        Number of Gaussians (each chosen with probability ``1/modes``).
    radius, std : float
        Radius of the circle (> 0) and standard deviation of each Gaussian (>= 0), each at most
        1e6: the points are float32, and a larger scale would overflow to inf.
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    float32 array (n, 2)
    """
    n = check_positive_int("ring_of_gaussians", "n", n)
    modes = check_positive_int("ring_of_gaussians", "modes", modes)
    radius = check_number("ring_of_gaussians", "radius", radius, 0.0, 1e6, high_inclusive=True)
    std = check_number("ring_of_gaussians", "std", std, 0.0, 1e6, low_inclusive=True, high_inclusive=True)
    g = get_rng(rng, "ring_of_gaussians") if rng is not None else np.random.default_rng()
    k = g.integers(0, modes, size=n)
    angle = 2 * np.pi * k / modes
    centers = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (n, 2)
    return (centers + std * g.standard_normal((n, 2))).astype(np.float32)


def ring_modes(modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """The centres of :func:`ring_of_gaussians`' modes, ``(modes, 2)``."""
    angle = 2 * np.pi * np.arange(modes) / modes
    return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)

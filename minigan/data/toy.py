"""Small data sets for fast demos and tests: the 8x8 digits and a ring of 2-D Gaussians."""

from __future__ import annotations

import os

import numpy as np

from ..checks import check_number, check_positive_int
from ..errors import DataError
from ..files.npzread import NpzReader
from ..nn.init import get_rng

__all__ = ["load_digits8x8", "ring_of_gaussians", "ring_modes", "DIGITS8X8_PATH"]


#: The 1,797 8x8 digits, shipped with minigan (``minigan/datasets/digits8x8.npz``, 45 KB):
#: the copy of the UCI "Optical Recognition of Handwritten Digits" test set that scikit-learn's
#: ``load_digits()`` returns, pixel for pixel (see NOTICE.md).
DIGITS8X8_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "datasets", "digits8x8.npz")


def load_digits8x8() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 8x8 digits (UCI; the ones scikit-learn's ``load_digits`` returns), for fast
    demos and tests. They ship with minigan: nothing is downloaded, scikit-learn is not needed.

    Returns
    -------
    X : float32 array (1797, 1, 8, 8) in [-1, 1] (pixels ``0..16`` mapped by ``x / 8 - 1``)
    y : int64 array (1797,)
    """
    try:
        with NpzReader(DIGITS8X8_PATH, DataError, "load_digits8x8") as f:
            images, labels = f.read("images"), f.read("labels")
    except OSError as exc:
        raise DataError(
            f"load_digits8x8: the bundled digits {DIGITS8X8_PATH} are missing or unreadable ({exc}); reinstall minigan"
        ) from exc
    if images.shape != (1797, 8, 8) or images.dtype != np.uint8 or labels.shape != (1797,):
        raise DataError(
            f"load_digits8x8: the bundled digits {DIGITS8X8_PATH} have shape {images.shape} {images.dtype}, "
            f"labels {labels.shape}; expected (1797, 8, 8) uint8 and (1797,)"
        )
    X = (images.astype(np.float32) / np.float32(8.0) - np.float32(1.0)).reshape(-1, 1, 8, 8)
    return np.ascontiguousarray(X), labels.astype(np.int64)


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

"""Lesson 11: data augmentation (document 003 ch. 1, "Aumento de dados")."""

import numpy as np


def shift(x, dy, dx, fill=-1.0):
    """Shift images dy rows down and dx columns right, filling what comes in with fill.

    Document 003 ch. 1: augmentation makes new training images that keep their label.
    A shift by (dy, dx) (negative: up or left) is
        out[n, c, i, j] = x[n, c, i − dy, j − dx]  if 0 ≤ i − dy < H and 0 ≤ j − dx < W
        out[n, c, i, j] = fill                     elsewhere
    (fill = −1: the background of digits in [−1, 1]). Nothing wraps around.

    Parameters
    ----------
    x : (N, C, H, W) float64;  dy, dx : int, |dy| < H, |dx| < W;  fill : float

    Returns
    -------
    out : (N, C, H, W), a new array
    """
    N, C, H, W = x.shape
    out = np.full(x.shape, float(fill))
    out[:, :, max(dy, 0) : H + min(dy, 0), max(dx, 0) : W + min(dx, 0)] = x[
        :, :, max(-dy, 0) : H + min(-dy, 0), max(-dx, 0) : W + min(-dx, 0)
    ]
    return out


def hflip(x):
    """Flip images left to right (a mirror image).

    Document 003 ch. 1, "inversão horizontal": out[n, c, i, j] = x[n, c, i, W − 1 − j].

    Parameters
    ----------
    x : (N, C, H, W)

    Returns
    -------
    out : (N, C, H, W)
    """
    return x[:, :, :, ::-1].copy()

"""Checks that only a GAN needs: G and D fit together, and a batch of real samples fits them.

The generic checks every file shares (an argument's type and range, an input's shape) are in
:mod:`minigan.checks`; these two know what a GAN is.
"""

from __future__ import annotations

from typing import Any

from .. import backend

__all__ = ["check_gan_shapes", "check_sample_batch"]


def check_gan_shapes(G: Any, D: Any, latent_dim: int, owner: str = "GAN") -> tuple:
    """Check that ``G`` takes noise ``(N, latent_dim)`` and ``D`` takes G's output and returns one
    logit per sample; return G's sample shape (without N). Uses the modules' ``output_shape``,
    so nothing is computed."""
    try:
        g_out = G.output_shape((latent_dim,))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{owner}: G does not accept noise of shape (N, {latent_dim}): {exc}") from exc
    try:
        d_out = D.output_shape(g_out)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{owner}: D does not accept G's output of shape (N, {', '.join(map(str, g_out))}): {exc}"
        ) from exc
    if d_out != (1,):
        raise ValueError(
            f"{owner}: D must output one logit per sample, shape (N, 1); it outputs (N, {', '.join(map(str, d_out))})"
        )
    return g_out


def check_sample_batch(where: str, real: Any, sample_shape: tuple, device: str) -> None:
    """A batch of real samples for a GAN step: shape ``(N, *sample_shape)`` like G's output, real
    numbers, on the models' ``device``."""
    if not hasattr(real, "shape") or tuple(real.shape[1:]) != sample_shape or real.ndim < 2:
        shape = tuple(getattr(real, "shape", ()))
        raise ValueError(
            f"{where}: real must have shape (N, {', '.join(map(str, sample_shape))}) like G's output, got {shape}"
        )
    if getattr(real.dtype, "kind", None) not in ("i", "u", "f"):
        raise TypeError(
            f"{where}: real must hold real numbers (float32, or ints cast to G's dtype), got dtype {real.dtype}"
        )
    if backend.device_of(real) != device:
        raise ValueError(
            f"{where}: real is on {backend.device_of(real)!r} but the models are on "
            f"{device!r}; move it with minigan.asarray(real, {device!r})"
        )

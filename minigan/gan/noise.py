"""The prior p_z of Algorithm 1 (document 001 §4.1): where the generator's noise comes from.

``z ~ N(0, 1)`` (document 001 §6.2.2, document 003) or ``z ~ U(-1, 1)`` (document 000), one
``latent_dim`` vector per sample. :class:`Prior` keeps two kinds of draw apart:

- the **training stream** (:meth:`Prior.draw`), drawn on the models' device. It is seeded from
  ``(seed, step)`` the first time it is used, so a run is deterministic and can resume on any
  device; on the CPU its exact state goes into checkpoints (:meth:`Prior.state`), so a resumed
  run draws the very noise the uninterrupted one would have;
- **host draws** (:meth:`Prior.host`) from ``default_rng(seed)``, for sample grids and evaluation:
  the same noise every call, and drawing them never moves the training stream.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from .. import backend
from ..checks import check_choice, check_int, check_positive_int

__all__ = ["Prior", "NOISE_KINDS"]

NOISE_KINDS = ("normal", "uniform")


class Prior:
    """p_z: ``latent_dim`` noise values per sample, ``"normal"`` (N(0, 1)) or ``"uniform"`` (U(-1, 1)).

    ``who`` names the owner in error messages (``"GAN"``).
    """

    def __init__(self, latent_dim: int, kind: str = "normal", seed: int = 0, who: str = "Prior"):
        self.who = who
        self.latent_dim = check_positive_int(who, "latent_dim", latent_dim)
        self.kind = check_choice(who, "noise", kind, NOISE_KINDS)
        self.seed = check_int(who, "seed", seed)
        self.rng: Any = None  # the training stream's generator (NumPy's or CuPy's), made at the first draw
        self.rng_key: str | None = None  # which array module made it

    def _stream(self, xp, step: int):
        key = getattr(xp, "__name__", str(xp))
        if self.rng is None or self.rng_key != key:
            # A fresh stream is seeded from (seed, step): deterministic, and resumable on any device.
            s = int(np.random.SeedSequence([self.seed, step]).generate_state(1)[0])
            self.rng, self.rng_key = xp.random.default_rng(s), key
        return self.rng

    def draw(self, n: int, like, step: int):
        """``(n, latent_dim)`` noise from the training stream, on ``like``'s device and dtype
        (``like`` is one of G's parameters); ``step`` seeds a stream that does not exist yet."""
        n = check_positive_int(f"{self.who}.draw", "n", n)
        rng = self._stream(backend.get_array_module(like), step)
        if self.kind == "normal":
            return rng.standard_normal((n, self.latent_dim), dtype=like.dtype)  # z ~ N(0, 1)
        return rng.random((n, self.latent_dim), dtype=like.dtype) * 2 - 1  # z ~ U(-1, 1), document 000

    def host(self, seed, n: int, like):
        """``(n, latent_dim)`` noise from ``default_rng(seed)`` drawn on the host (independent of
        the training stream), moved to ``like``'s device and dtype."""
        n = check_positive_int(f"{self.who}.host", "n", n)
        r = np.random.default_rng(seed)
        zh = (
            r.standard_normal((n, self.latent_dim)) if self.kind == "normal" else r.uniform(-1, 1, (n, self.latent_dim))
        )
        return backend.asarray(zh, backend.device_of(like), dtype=like.dtype)

    def state(self) -> dict | None:
        """The training stream's state when it is NumPy's (CPU, after the first draw), else None
        (a CuPy generator's state is not saved)."""
        if self.rng_key == "numpy" and isinstance(self.rng, np.random.Generator):
            return cast(dict, self.rng.bit_generator.state)  # a dict (NumPy's stubs say Mapping)
        return None

    def set_state(self, state: dict | None, device: str) -> None:
        """Continue the training stream from a :meth:`state` (on the CPU); with None, or on a
        GPU, the stream is re-seeded from ``(seed, step)`` at its next draw."""
        self.rng, self.rng_key = None, None
        if state is not None and device == "cpu":
            g = np.random.default_rng()
            g.bit_generator.state = state
            self.rng, self.rng_key = g, "numpy"

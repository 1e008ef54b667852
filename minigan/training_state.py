"""A GAN's whole training state in one checkpoint: what :meth:`GAN.save` writes and
:meth:`GAN.load` restores.

An interrupted run continues exactly where it stopped only if *everything* that decides the
next step comes back, not just the weights:

- G and D: parameters and buffers (BatchNorm running statistics);
- both optimizers: their step counts, hyperparameters and moments (Adam's ``m`` and ``v``);
- the step, and the loss history (one float64 array per :data:`minigan.gan.HISTORY_KEYS`);
- the random generators: the training noise (when it is NumPy's, i.e. on the CPU), the
  minibatch order (:class:`minigan.batches.BatchStream`'s position) and every Dropout layer's
  mask generator;
- the GAN's settings (``latent_dim``, ``k``, ``g_loss``, ``real_label``, ``noise``, ``seed``,
  ``sample_shape``; ``d_update`` and ``fake_mode`` when they are not the defaults) and the
  caller's ``extra`` metadata.

The file is a :mod:`minigan.checkpoint` file (one ``.npz``, JSON metadata, no pickle, atomic
write); this module only decides what goes in it and where it comes back to. It works on any
object with :class:`minigan.gan.GAN`'s public attributes and does not import :mod:`minigan.gan`
(which imports this module for :meth:`GAN.save` / :meth:`GAN.load`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import checkpoint
from .batches import BatchStream
from .checkpoint import jsonable
from .layers import Dropout
from .module import Module

if TYPE_CHECKING:  # pragma: no cover
    from .gan import GAN

__all__ = ["save_gan", "load_gan"]


def save_gan(gan: "GAN", path, extra: dict | None = None) -> str:
    """Write ``gan``'s whole training state to ``path`` (see :meth:`minigan.gan.GAN.save`)."""
    hist = gan.history  # flushes pending scalars: a NaN raises here and never reaches the file
    noise = gan.noise_rng_state()
    rng_state = {"noise": jsonable(noise) if noise is not None else None,
                 "stream": gan.stream.state_dict() if gan.stream is not None else None,
                 "dropout": _dropout_states(gan.G, "G") | _dropout_states(gan.D, "D")}
    meta = {"gan": {"latent_dim": gan.latent_dim, "k": gan.k, "g_loss": gan.g_loss,
                    "real_label": gan.real_label, "noise": gan.noise, "seed": gan.seed,
                    "sample_shape": list(gan.sample_shape)}}
    # The discriminator-step variants only when they are not the defaults: a default GAN's
    # checkpoint stays exactly what it was before they existed.
    for key, default in (("d_update", "joint"), ("fake_mode", "train")):
        if getattr(gan, key, default) != default:
            meta["gan"][key] = getattr(gan, key)
    meta.update(extra or {})
    arrays = {f"history/{k}": np.asarray(v, dtype=np.float64) for k, v in hist.items()}
    return checkpoint.save(path, modules={"G": gan.G, "D": gan.D},
                           optimizers={"G": gan.g_opt, "D": gan.d_opt},
                           step=gan.step, rng_state=rng_state, extra=meta, arrays=arrays)


def load_gan(gan: "GAN", path) -> dict:
    """Restore into ``gan`` everything :func:`save_gan` wrote; return the file's ``extra``
    (see :meth:`minigan.gan.GAN.load`)."""
    ck = checkpoint.load(path)
    saved = ck.extra.get("gan", {})
    if saved and saved.get("latent_dim") != gan.latent_dim:
        raise ValueError(f"GAN.load: {path} was saved with latent_dim={saved.get('latent_dim')}, "
                         f"this GAN has latent_dim={gan.latent_dim}")
    ck.restore(modules={"G": gan.G, "D": gan.D}, optimizers={"G": gan.g_opt, "D": gan.d_opt})
    gan.step = int(ck.step)
    gan.set_history({k[len("history/"):]: v for k, v in ck.arrays.items() if k.startswith("history/")})
    rs = ck.rng_state or {}
    gan.set_noise_rng_state(rs.get("noise"))
    if rs.get("stream") is not None:
        st = rs["stream"]
        gan.stream = BatchStream(st["n"], st["batch_size"]).load_state_dict(st)
    _load_dropout_states(gan.G, "G", rs.get("dropout", {}))
    _load_dropout_states(gan.D, "D", rs.get("dropout", {}))
    return ck.extra


def _dropout_states(module: Module, name: str) -> dict:
    """JSON states of the Dropout layers' mask generators (for an exact resume)."""
    return {f"{name}.{prefix}": jsonable(st) for prefix, m in module.named_modules()
            if isinstance(m, Dropout) and (st := m.rng_state()) is not None}


def _load_dropout_states(module: Module, name: str, states: dict) -> None:
    for prefix, m in module.named_modules():
        st = states.get(f"{name}.{prefix}")
        if st is not None and isinstance(m, Dropout):
            m.set_rng_state(st)

"""A GAN's whole training state in one checkpoint: what :meth:`GAN.save` writes and
:meth:`GAN.load` restores.

An interrupted run continues exactly where it stopped only if *everything* that decides the
next step comes back, not just the weights:

- G and D: parameters and buffers (BatchNorm running statistics);
- both optimizers: their step counts, hyperparameters and moments (Adam's ``m`` and ``v``);
- the step, and the loss history (one float64 array per :data:`minigan.gan.HISTORY_KEYS`);
- the random generators: the training noise (when it is NumPy's, i.e. on the CPU), the
  minibatch order (:class:`minigan.data.batches.BatchStream`'s position) and every Dropout layer's
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

import os
from typing import TYPE_CHECKING

import numpy as np

from .. import checkpoint
from ..checkpoint.meta import meta_dict, meta_int
from ..data.batches import BatchStream
from ..errors import CheckpointError
from ..files.jsonable import jsonable
from ..nn.layers import Dropout
from ..nn.module import Module

if TYPE_CHECKING:  # pragma: no cover
    from .gan import GAN

__all__ = ["save_gan", "load_gan"]


def save_gan(gan: GAN, path, extra: dict | None = None) -> str:
    """Write ``gan``'s whole training state to ``path`` (see :meth:`minigan.gan.GAN.save`).

    Refuses (:class:`minigan.errors.NonFiniteStateError`, naming the step and the array) when
    a parameter, buffer or optimizer state holds NaN or infinity, so a diverged run never
    replaces a good checkpoint; pending losses are flushed and checked first."""
    gan.flush()  # pending losses and the state checked: a NaN/inf raises here and never reaches the file
    hist = gan.history  # (checkpoint.save checks the host copies once more)
    noise = gan.noise_rng_state()
    rng_state = {
        "noise": jsonable(noise) if noise is not None else None,
        "stream": gan.stream.state_dict() if gan.stream is not None else None,
        "dropout": _dropout_states(gan.G, "G") | _dropout_states(gan.D, "D"),
    }
    meta = {
        "gan": {
            "latent_dim": gan.latent_dim,
            "k": gan.k,
            "g_loss": gan.g_loss,
            "real_label": gan.real_label,
            "noise": gan.noise,
            "seed": gan.seed,
            "sample_shape": list(gan.sample_shape),
        }
    }
    # The discriminator-step variants only when they are not the defaults: a default GAN's
    # checkpoint stays exactly what it was before they existed.
    for key, default in (("d_update", "joint"), ("fake_mode", "train")):
        if getattr(gan, key, default) != default:
            meta["gan"][key] = getattr(gan, key)
    meta.update(extra or {})
    arrays = {f"history/{k}": np.asarray(v, dtype=np.float64) for k, v in hist.items()}
    return checkpoint.save(
        path,
        modules={"G": gan.G, "D": gan.D},
        optimizers={"G": gan.g_opt, "D": gan.d_opt},
        step=gan.step,
        rng_state=rng_state,
        extra=meta,
        arrays=arrays,
    )


def _expected_shapes(gan: GAN, meta: dict) -> dict:
    """Every array key the GAN needs and its shape (the optimizers' state arrays have their
    parameter's shape); the history arrays may have any shape (checked after reading)."""
    shapes: dict = {}
    for name, m in (("G", gan.G), ("D", gan.D)):
        for k, a in m.state_dict().items():
            shapes[f"module/{name}/{k}"] = tuple(a.shape)
    for name, opt in (("G", gan.g_opt), ("D", gan.d_opt)):
        for slot in getattr(opt, "SLOTS", ()):
            for i, p in enumerate(opt.params):
                shapes[f"optim/{name}/{slot}.{i}"] = p.shape
    for k in meta["arrays"]:
        if k.startswith("history/"):
            shapes[f"array/{k}"] = None
    return shapes


def _generator(path: str, field: str, state) -> np.random.Generator:
    """A NumPy Generator set to ``state`` (a bit generator's JSON state), or CheckpointError."""
    if not isinstance(state, dict):
        raise CheckpointError(
            f"{path}: metadata field {field!r} must be a random generator's state "
            f"(an object), got {type(state).__name__}"
        )
    g = np.random.default_rng()
    try:
        g.bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError, AttributeError) as exc:
        raise CheckpointError(
            f"{path}: metadata field {field!r} is not a valid {type(g.bit_generator).__name__} "
            f"state ({type(exc).__name__}: {str(exc)[:120]})"
        ) from exc
    return g


def _check_rng_state(gan: GAN, path: str, rs, step: int) -> dict:
    """Validate ``rng_state`` (noise, stream, dropout) before anything is restored."""
    if rs is None:
        return {}
    meta_dict(path, "rng_state", rs, keys={"noise", "stream", "dropout"})
    if rs.get("noise") is not None:
        _generator(path, "rng_state.noise", rs["noise"])
    st = rs.get("stream")
    if st is not None:
        meta_dict(
            path,
            "rng_state.stream",
            st,
            keys={"epoch", "pos", "rng", "n", "batch_size"},
            required={"epoch", "pos", "rng", "n", "batch_size"},
        )
        n = meta_int(path, "rng_state.stream.n", st["n"], 1, BatchStream.MAX_N)
        meta_int(path, "rng_state.stream.batch_size", st["batch_size"], 1, n)
        meta_int(path, "rng_state.stream.pos", st["pos"], 0, n)
        meta_int(path, "rng_state.stream.epoch", st["epoch"])
        _generator(path, "rng_state.stream.rng", st["rng"])
    drop = rs.get("dropout") or {}
    layers = {
        f"{tag}.{prefix}"
        for tag, mod in (("G", gan.G), ("D", gan.D))
        for prefix, m in mod.named_modules()
        if isinstance(m, Dropout)
    }
    for k, v in meta_dict(path, "rng_state.dropout", drop).items():
        if k not in layers:
            raise CheckpointError(f"{path}: rng_state.dropout names {k!r}, which is no Dropout layer of this GAN")
        _generator(path, f"rng_state.dropout.{k}", v)
    return rs


def _check_history(path: str, arrays: dict, step: int) -> dict:
    hist = {}
    for k, v in arrays.items():
        if not k.startswith("history/"):
            continue
        if v.ndim != 1 or len(v) > step or v.dtype.kind != "f" or not np.isfinite(v).all():
            raise CheckpointError(
                f"{path}: array {k!r} must be a 1-D float array of at most step={step} "
                f"finite values, got {v.dtype} {v.shape}"
            )
        hist[k[len("history/") :]] = v
    return hist


def state_arrays(gan: GAN):
    """``(name, array)`` for every array a checkpoint of ``gan`` holds: G's and D's parameters
    and buffers (``"G.3.W"``, ``"D.1.running_var"``) and both optimizers' state arrays
    (``"g_opt.S[5] (G.3.W)"``). :meth:`GAN.flush` checks them all for NaN and infinity."""
    for tag, m in (("G", gan.G), ("D", gan.D)):
        for k, a in m.state_dict().items():
            yield f"{tag}.{k}", a
    for tag, opt, m in (("g_opt", gan.g_opt, gan.G), ("d_opt", gan.d_opt, gan.D)):
        names = {id(p): f"{tag[0].upper()}.{k}" for k, p in m.named_parameters()}
        params = getattr(opt, "params", [])
        for slot, per in getattr(opt, "state", {}).items():
            for i, a in sorted(per.items()):
                pname = names.get(id(params[i])) if i < len(params) else None
                yield f"{tag}.{slot}[{i}]" + (f" ({pname})" if pname else ""), a


def _snapshot(gan: GAN):
    """Everything :func:`load_gan` may change, by reference (loading replaces arrays and
    dicts instead of writing into them), for an all-or-nothing restore."""
    mods = [m for mod in (gan.G, gan.D) for _, m in mod.named_modules()]
    return {
        "params": [(p, p.data) for m in mods for p in m.params.values()],
        "buffers": [(m, dict(m.buffers)) for m in mods],
        "dropout": [(m, dict(m._rngs)) for m in mods if isinstance(m, Dropout)],
        "opts": [(o, o.t, o.state, o.hyperparameters()) for o in (gan.g_opt, gan.d_opt)],
        "gan": (
            gan.step,
            gan._log.values,
            gan._log.pending,
            gan.prior.rng,
            gan.prior.rng_key,
            gan.stream,
            gan._checked_step,
        ),
    }


def _rollback(gan: GAN, snap: dict) -> None:
    for p, data in snap["params"]:
        p.data = data
    for m, bufs in snap["buffers"]:
        m.buffers.clear()
        m.buffers.update(bufs)
    for m, rngs in snap["dropout"]:
        m._rngs.clear()
        m._rngs.update(rngs)
    for o, t, state, hyper in snap["opts"]:
        o.t, o.state = t, state
        for k, v in hyper.items():
            setattr(o, k, v)
    (gan.step, gan._log.values, gan._log.pending, gan.prior.rng, gan.prior.rng_key, gan.stream, gan._checked_step) = (
        snap["gan"]
    )


def load_gan(gan: GAN, path) -> dict:
    """Restore into ``gan`` everything :func:`save_gan` wrote; return the file's ``extra``
    (see :meth:`minigan.gan.GAN.load`).

    All or nothing: the file is read and checked in full first (:func:`minigan.checkpoint.load`
    with the GAN's own shapes, the generators' states, the history), and if restoring still
    fails, every module, optimizer, generator, the stream, the step and the history get back
    what they held before the call. Any problem is a :class:`CheckpointError` naming the file.
    """
    path = os.fspath(path)
    ck = checkpoint.load(path, expect=lambda meta: _expected_shapes(gan, meta))
    saved = ck.extra.get("gan", {})
    if saved is not None and not isinstance(saved, dict):
        raise CheckpointError(f"{path}: metadata field 'extra.gan' must be an object, got {type(saved).__name__}")
    if saved and saved.get("latent_dim") != gan.latent_dim:
        raise CheckpointError(
            f"GAN.load: {path} was saved with latent_dim={str(saved.get('latent_dim'))[:40]}, "
            f"this GAN has latent_dim={gan.latent_dim}"
        )
    rs = _check_rng_state(gan, path, ck.rng_state, ck.step)
    history = _check_history(path, ck.arrays, ck.step)
    # finite in the model's own dtypes (a float64 1e300 is inf in float32), before anything changes
    own = {"G": gan.G.state_dict(), "D": gan.D.state_dict()}
    for name, arrays in ck.modules.items():
        for k, a in arrays.items():
            dtype = own[name][k].dtype if k in own.get(name, {}) else a.dtype
            checkpoint.finite_as(path, f"module/{name}/{k}", a, dtype)
    params = {"G": gan.g_opt.params, "D": gan.d_opt.params}
    for name, sd in ck.optimizers.items():
        for k, a in sd["arrays"].items():
            i = str(k).rpartition(".")[2]
            ps = params.get(name, [])
            dtype = ps[int(i)].data.dtype if i.isdigit() and int(i) < len(ps) else a.dtype
            checkpoint.finite_as(path, f"optim/{name}/{k}", a, dtype)
    snap = _snapshot(gan)
    try:
        ck.restore(modules={"G": gan.G, "D": gan.D}, optimizers={"G": gan.g_opt, "D": gan.d_opt})
        gan.step = int(ck.step)
        gan.set_history(history)
        gan.set_noise_rng_state(rs.get("noise"))
        if rs.get("stream") is not None:
            st = rs["stream"]
            gan.stream = BatchStream(st["n"], st["batch_size"]).load_state_dict(st)
        _load_dropout_states(gan.G, "G", rs.get("dropout") or {})
        _load_dropout_states(gan.D, "D", rs.get("dropout") or {})
        gan._checked_step = None
    except BaseException as exc:
        _rollback(gan, snap)
        if isinstance(exc, (ValueError, TypeError, KeyError, AttributeError, OverflowError)) and not isinstance(
            exc, CheckpointError
        ):
            raise CheckpointError(f"{path}: cannot restore: {exc}") from exc
        raise
    return ck.extra


def _dropout_states(module: Module, name: str) -> dict:
    """JSON states of the Dropout layers' mask generators (for an exact resume)."""
    return {
        f"{name}.{prefix}": jsonable(st)
        for prefix, m in module.named_modules()
        if isinstance(m, Dropout) and (st := m.rng_state()) is not None
    }


def _load_dropout_states(module: Module, name: str, states: dict) -> None:
    for prefix, m in module.named_modules():
        st = states.get(f"{name}.{prefix}")
        if st is not None and isinstance(m, Dropout):
            m.set_rng_state(st)

"""The adversarial training loop: Goodfellow's Algorithm 1 (document 001 §4.1).

::

    for each training iteration:
        for k steps:                                   # the discriminator
            z⁽¹⁾..z⁽ᵐ⁾ ~ p_z,  x⁽¹⁾..x⁽ᵐ⁾ ~ p_data
            update θ_d ascending  ∇ 1/m Σ [log D(x⁽ⁱ⁾) + log(1 - D(G(z⁽ⁱ⁾)))]
        z⁽¹⁾..z⁽ᵐ⁾ ~ p_z                                # the generator, θ_d fixed
        update θ_g descending ∇ 1/m Σ log(1 - D(G(z⁽ⁱ⁾)))      (minimax)
                  or ascending  ∇ 1/m Σ log D(G(z⁽ⁱ⁾))          (non-saturating, the default)

There is no autograd: :class:`GAN` chains the modules' own ``forward``/``backward`` calls
exactly as DESIGN.md §1 draws them. The discriminator ends in a *logit* (no Sigmoid) and the
losses are :class:`minigan.losses.BCEWithLogitsLoss`, the stable form of document 000's
``sigmoid_cross_entropy_with_logits``.

A whole step stays on the device that holds the models: the noise is drawn there, and the
reported scalars are kept as 0-d device arrays until :meth:`GAN.flush` (or reading
:attr:`GAN.history`) copies them to the host in one go (:class:`minigan.history.LossHistory`,
which also stops a diverged run). :meth:`GAN.save` / :meth:`GAN.load` hand the whole training
state to :mod:`minigan.training_state`.
"""
from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Callable

import numpy as np

from . import backend, training_state
from .activations import sigmoid
from .batches import BatchStream
from .checks import check_float, check_int, check_positive_int
from .history import LossHistory, NonFiniteLossError, NonFiniteStateError, finite_flags, first_nonfinite
from .losses import BCEWithLogitsLoss
from .module import Module
from .optim import Adam

__all__ = ["GAN", "NonFiniteLossError", "NonFiniteStateError", "frozen", "HISTORY_KEYS"]

#: The scalars recorded at every step (one value per generator step):
#: ``d`` = L_D, ``d_real``/``d_fake`` its two halves' BCE, ``g`` = the generator's loss,
#: ``d_x`` = mean D(x) on the real batch, ``d_g_z`` = mean D(G(z)) on the fake batch (both
#: from the last discriminator step, before its update).
HISTORY_KEYS = ("d", "d_real", "d_fake", "g", "d_x", "d_g_z")


@contextmanager
def frozen(module: Module):
    """Run ``module`` forward/backward without changing its state.

    Inside the block the module keeps its train/eval mode (BatchNorm normalizes with the batch
    statistics in training mode), but on exit every buffer (BatchNorm ``running_mean`` /
    ``running_var``) is restored to its value on entry, and every parameter gradient is reset
    to its value on entry. Parameters are never changed by a forward/backward pass, so the
    module leaves the block with the parameters, gradients and statistics it entered with
    (a Dropout layer's random generator does move on) — document 001 §6.2.2: during the
    generator's step the discriminator's parameters θ_d are "mantidos fixos".
    """
    saved_buffers = []
    for _, m in module.named_modules():
        for k, v in m.buffers.items():
            saved_buffers.append((m, k, v.copy()))
    saved_grads = [(p, p.grad.copy()) for p in module.parameters()]
    try:
        yield module
    finally:
        for m, k, v in saved_buffers:
            m.buffers[k] = v
        for p, g in saved_grads:
            p.grad[...] = g


def _first_param(module: Module, who: str):
    ps = module.parameters()
    if not ps:
        raise ValueError(f"GAN: {who} has no parameters")
    return ps[0].data


class GAN:
    """A generator/discriminator pair and the training loop of document 001 §4.1.

    Parameters
    ----------
    G : Module
        Maps noise ``(N, latent_dim)`` to samples (e.g. ``(N, 1, 28, 28)`` in [-1, 1]).
    D : Module
        Maps samples to one **logit** per sample, ``(N, 1)`` (no final Sigmoid).
    latent_dim : int
        Size of the noise vector z.
    g_opt, d_opt : optimizer, optional
        Optimizers over ``G.parameters()`` and ``D.parameters()``. Default:
        ``Adam(lr=lr, beta1=beta1)`` — Adam lr 2e-4, β1 0.5 (document 003 ch. 3; Radford et al.).
    k : int
        Discriminator steps per generator step (Algorithm 1; default 1).
    g_loss : {"non-saturating", "minimax"}
        The generator's objective (see Notes).
    real_label : float
        Target for real samples in D's loss. ``0.9`` is the one-sided label smoothing of
        document 000 §3.2.3 (``tf.ones_like(logits) * 0.9``); fakes keep the target 0.
    noise : {"normal", "uniform"}
        ``z ~ N(0, 1)`` (document 001 §6.2.2, document 003) or ``U(-1, 1)`` (document 000).
    seed : int
        Seed of the noise generator and of the minibatch order in :meth:`fit`.
    d_update : {"joint", "separate"}
        How a discriminator step updates D (see Notes). ``"joint"`` (default): one optimizer
        step on ``L_D = ½ BCE(D(x), 1) + ½ BCE(D(G(z)), 0)`` (Algorithm 1's single update,
        document 002's ``L_D``). ``"separate"``: two optimizer steps, first on the real batch's
        ``BCE(D(x), 1)``, then on the fake batch's ``BCE(D(G(z)), 0)``, as document 003's
        Keras loop does (``train_on_batch`` on the reals, then on the fakes).
    fake_mode : {"train", "eval"}
        The mode G runs in when it makes the discriminator step's fakes. ``"train"``
        (default): training mode, BatchNorm normalizes with the fake batch's own statistics
        (and updates its running statistics), like the ``G(z)`` of a PyTorch loop.
        ``"eval"``: inference mode (BatchNorm uses its running statistics, Dropout is off),
        like document 003's ``generator.predict(noise)``. The generator step always runs G
        in training mode.
    lr, beta1 : float
        Used only to build the default optimizers.

    Attributes
    ----------
    step : int
        Generator steps done (one per :meth:`train_step`).
    history : dict[str, list[float]]
        One value per step for each of :data:`HISTORY_KEYS` (reading it flushes pending values).

    Notes
    -----
    Document 001 §4.1 (and Goodfellow et al. 2014) define the value function
    ``min_G max_D V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]``.
    Document 002 writes D's loss as ``L_D = -½ E_x log D(x) - ½ E_z log(1 - D(G(z)))``; with
    BCE(p, y) = -[y log p + (1-y) log(1-p)] that is ``L_D = ½ BCE(D(x), 1) + ½ BCE(D(G(z)), 0)``,
    which :meth:`d_step` minimizes (``d = ½ (d_real + d_fake)``). With label smoothing the real
    target is ``real_label`` instead of 1.

    The documents' loops are not all this one (lesson 11 measures the difference):

    - ``d_update="joint", fake_mode="train"`` (the defaults): one optimizer step on
      ``½ (d_real + d_fake)`` per discriminator step, fakes from G in training mode. This is
      Algorithm 1 (document 001 §4.1), document 002's ``L_D`` and a PyTorch DCGAN loop.
    - ``d_update="separate", fake_mode="eval"``: document 003 ch. 3's Keras loop,
      ``fake_images = generator.predict(noise)`` (G in inference mode), then
      ``discriminator.train_on_batch(real_images, real_labels)`` and
      ``discriminator.train_on_batch(fake_images, fake_labels)``: **two** Adam updates, each
      on the full (not halved) BCE of one batch, the second seeing D after the first. The
      ``0.5 · (real_loss + fake_loss)`` it prints is only a report of the two losses, not
      the loss it descends. Document 001 §6.2 also trains D in separate stages (real batch,
      then fake batch; lesson 17). Here ``d_x`` is measured before the real update and
      ``d_g_z`` before the fake one, i.e. after the real update.

    The generator:

    - ``"minimax"``: minimize ``E_z log(1 - D(G(z)))`` (Algorithm 1, line 8), which is
      ``-BCE(D(G(z)), 0)``; its gradient vanishes when D confidently rejects the fakes early in
      training.
    - ``"non-saturating"`` (default): maximize ``E_z log D(G(z))`` instead — "possível, e também
      mais indicado" (document 001 §4.1) — i.e. minimize ``BCE(D(G(z)), 1)``, the fakes labelled
      "real" as in document 001 §6.2.2, document 000 §3.2.3 and document 003's combined model.

    Document 002's zero-sum ``L_G = -L_D`` depends on θ_g only through
    ``½ E_z log(1 - D(G(z)))``: the ``"minimax"`` loss up to the factor ½, a scale of the
    gradient (minigan reports and descends the unscaled Algorithm 1 value).

    One :meth:`train_step` is: ``k`` times {fresh z, a real batch, ``D.zero_grad()``,
    D forward(real) → backward → forward(G(z)) → backward, one ``d_opt.step()``} (DESIGN.md §3),
    then fresh z, G forward, D forward/backward *inside* :func:`frozen` (D keeps its mode but
    neither its BatchNorm running statistics nor its gradients change, and ``d_opt`` is not
    stepped), ``G.backward(dfake)``, one ``g_opt.step()``. G's output for the D step is not
    back-propagated (the ``detach`` of PyTorch's loop is simply not calling ``G.backward``).
    """

    def __init__(self, G: Module, D: Module, latent_dim: int, g_opt=None, d_opt=None, *, k: int = 1,
                 g_loss: str = "non-saturating", real_label: float = 1.0, noise: str = "normal",
                 seed: int = 0, lr: float = 2e-4, beta1: float = 0.5, d_update: str = "joint",
                 fake_mode: str = "train"):
        if not isinstance(G, Module) or not isinstance(D, Module):
            raise TypeError(f"GAN: G and D must be minigan Modules, got {type(G).__name__} and {type(D).__name__}")
        self.G, self.D = G, D
        self.latent_dim = check_positive_int("GAN", "latent_dim", latent_dim)
        self.k = check_positive_int("GAN", "k", k)
        if g_loss not in ("non-saturating", "minimax"):
            raise ValueError(f"GAN: g_loss must be 'non-saturating' or 'minimax', got {g_loss!r}")
        self.g_loss = g_loss
        self.real_label = check_float("GAN", "real_label", real_label, 0.5, 1.0, low_inclusive=False,
                                      high_inclusive=True, hint="0.9 = one-sided label smoothing")
        if noise not in ("normal", "uniform"):
            raise ValueError(f"GAN: noise must be 'normal' or 'uniform', got {noise!r}")
        self.noise = noise
        self.seed = check_int("GAN", "seed", seed)
        if d_update not in ("joint", "separate"):
            raise ValueError(f"GAN: d_update must be 'joint' (one update on ½(real + fake), Algorithm 1) or "
                             f"'separate' (one update on the reals, then one on the fakes, document 003), "
                             f"got {d_update!r}")
        self.d_update = d_update
        if fake_mode not in ("train", "eval"):
            raise ValueError(f"GAN: fake_mode must be 'train' (G in training mode) or 'eval' (G in inference "
                             f"mode, like Keras' generator.predict), got {fake_mode!r}")
        self.fake_mode = fake_mode

        gp, dp = _first_param(G, "G"), _first_param(D, "D")
        if backend.device_of(gp) != backend.device_of(dp):
            raise ValueError(f"GAN: G is on {backend.device_of(gp)!r} but D is on {backend.device_of(dp)!r}; "
                             f"move both with .to(device)")
        self.sample_shape = self._check_shapes()
        if g_opt is None or d_opt is None:
            try:
                g_opt = g_opt if g_opt is not None else Adam(G.parameters(), lr=lr, beta1=beta1)
                d_opt = d_opt if d_opt is not None else Adam(D.parameters(), lr=lr, beta1=beta1)
            except (TypeError, ValueError) as exc:  # name the GAN: lr and beta1 were its arguments
                raise type(exc)(f"GAN: {exc}") from None
        self.g_opt, self.d_opt = g_opt, d_opt
        self._bce_real = BCEWithLogitsLoss()
        self._bce_fake = BCEWithLogitsLoss()
        self._bce_g = BCEWithLogitsLoss()
        self._targets: dict = {}
        self.step = 0
        self._zrng = None
        self._zrng_key = None
        self._log = LossHistory(HISTORY_KEYS)
        self.stream = None
        self._stop = False
        self._checked_step = None

    # ------------------------------------------------------------------ set-up
    def _check_shapes(self) -> tuple:
        try:
            g_out = self.G.output_shape((self.latent_dim,))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"GAN: G does not accept noise of shape (N, {self.latent_dim}): {exc}") from exc
        try:
            d_out = self.D.output_shape(g_out)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"GAN: D does not accept G's output of shape (N, {', '.join(map(str, g_out))}): "
                             f"{exc}") from exc
        if d_out != (1,):
            raise ValueError(f"GAN: D must output one logit per sample, shape (N, 1); it outputs "
                             f"(N, {', '.join(map(str, d_out))})")
        return g_out

    @property
    def device(self) -> str:
        """``"cpu"`` or ``"gpu"``: where G's parameters live (the step runs there)."""
        return backend.device_of(_first_param(self.G, "G"))

    def _target(self, like, value: float):
        """A cached ``(N, 1)`` array full of ``value`` on ``like``'s device and dtype."""
        key = (tuple(like.shape), like.dtype.str, backend.device_of(like), value)
        t = self._targets.get(key)
        if t is None:
            xp = backend.get_array_module(like)
            t = self._targets[key] = xp.full(like.shape, value, dtype=like.dtype)
        return t

    # ------------------------------------------------------------------ noise
    def _noise_rng(self):
        xp = backend.get_array_module(_first_param(self.G, "G"))
        key = getattr(xp, "__name__", str(xp))
        if self._zrng is None or self._zrng_key != key:
            # A fresh stream is seeded from (seed, step): deterministic, and resumable on any device.
            s = int(np.random.SeedSequence([self.seed, self.step]).generate_state(1)[0])
            self._zrng = xp.random.default_rng(s)
            self._zrng_key = key
        return self._zrng

    def noise_rng_state(self) -> dict | None:
        """The training noise generator's state when it is NumPy's (models on the CPU, after the
        first draw), else None (a CuPy generator's state is not saved)."""
        if self._zrng_key == "numpy" and isinstance(self._zrng, np.random.Generator):
            return self._zrng.bit_generator.state
        return None

    def set_noise_rng_state(self, state: dict | None) -> None:
        """Continue the training noise from a :meth:`noise_rng_state` (on the CPU); with None, or
        on a GPU, the noise is re-seeded from ``(seed, step)`` at its next draw."""
        self._zrng, self._zrng_key = None, None
        if state is not None and self.device == "cpu":
            g = np.random.default_rng()
            g.bit_generator.state = state
            self._zrng, self._zrng_key = g, "numpy"

    def sample_noise(self, n: int):
        """``z``: ``(n, latent_dim)`` noise on the models' device, dtype of G's parameters."""
        n = check_positive_int("GAN.sample_noise", "n", n)
        dtype = _first_param(self.G, "G").dtype
        rng = self._noise_rng()
        if self.noise == "normal":
            return rng.standard_normal((n, self.latent_dim), dtype=dtype)  # z ~ N(0, 1)
        return rng.random((n, self.latent_dim), dtype=dtype) * 2 - 1  # z ~ U(-1, 1), document 000

    # ------------------------------------------------------------------ the two steps
    def _check_real(self, real):
        if not hasattr(real, "shape") or tuple(real.shape[1:]) != self.sample_shape or real.ndim < 2:
            shape = tuple(getattr(real, "shape", ()))
            raise ValueError(f"GAN.train_step: real must have shape (N, {', '.join(map(str, self.sample_shape))}) "
                             f"like G's output, got {shape}")
        if getattr(real.dtype, "kind", None) not in ("i", "u", "f"):
            raise TypeError(f"GAN.train_step: real must hold real numbers (float32, or ints cast to G's dtype), "
                            f"got dtype {real.dtype}")
        if backend.device_of(real) != self.device:
            raise ValueError(f"GAN.train_step: real is on {backend.device_of(real)!r} but the models are on "
                             f"{self.device!r}; move it with minigan.asarray(real, {self.device!r})")

    def _fakes(self, n: int):
        """``G(z)`` for the discriminator step, G in the mode ``fake_mode`` asks for (each
        module's mode is restored afterwards). No G.backward follows: the fakes are "detached"."""
        z = self.sample_noise(n)
        if self.fake_mode == "train":
            return self.G(z)
        was = [m.training for _, m in self.G.named_modules()]
        self.G.eval()  # Keras' generator.predict: BatchNorm's running statistics, no Dropout
        try:
            return self.G(z)
        finally:
            for (_, m), t in zip(self.G.named_modules(), was):
                m.training = t

    def d_step(self, real) -> dict:
        """One discriminator step on ``real`` and as many fresh fakes (Algorithm 1, lines 3–5).

        ``d_update="joint"``: one ``d_opt.step()`` on ``½ BCE(D(x), 1) + ½ BCE(D(G(z)), 0)``.
        ``d_update="separate"`` (document 003's two ``train_on_batch`` calls): one
        ``d_opt.step()`` on ``BCE(D(x), 1)``, then one on ``BCE(D(G(z)), 0)``.

        Returns the 0-d device scalars ``d``, ``d_real``, ``d_fake``, ``d_x``, ``d_g_z``.
        """
        self._check_real(real)
        n = real.shape[0]
        fake = self._fakes(n)
        if fake.dtype != real.dtype:
            real = real.astype(fake.dtype)
        D = self.D
        joint = self.d_update == "joint"
        D.zero_grad()
        logit_r = D(real)
        d_real = self._bce_real(logit_r, self._target(logit_r, self.real_label))  # BCE(D(x), 1 or 0.9)
        D.backward(self._bce_real.backward(0.5 if joint else 1.0))  # Eq. 002: L_D = -½ E log D(x) - ...
        if not joint:  # document 003: discriminator.train_on_batch(real_images, real_labels)
            self.d_opt.step()
            D.zero_grad()
        logit_f = D(fake)
        d_fake = self._bce_fake(logit_f, self._target(logit_f, 0.0))  # BCE(D(G(z)), 0)
        D.backward(self._bce_fake.backward(0.5 if joint else 1.0))  # ... - ½ E log(1 - D(G(z)))
        self.d_opt.step()  # separate: discriminator.train_on_batch(fake_images, fake_labels)
        return {"d": 0.5 * (d_real + d_fake), "d_real": d_real, "d_fake": d_fake,
                "d_x": sigmoid(logit_r).mean(), "d_g_z": sigmoid(logit_f).mean()}

    def g_step(self, n: int) -> Any:
        """One generator update on ``n`` fresh noise vectors (Algorithm 1, lines 7–8), D frozen.

        Returns the generator's loss as a 0-d device scalar.
        """
        z = self.sample_noise(n)
        fake = self.G(z)
        with frozen(self.D):
            logit = self.D(fake)
            if self.g_loss == "non-saturating":
                g = self._bce_g(logit, self._target(logit, 1.0))  # -E log D(G(z)) = BCE(D(G(z)), 1)
                dlogit = self._bce_g.backward()
            else:
                g = -self._bce_g(logit, self._target(logit, 0.0))  # E log(1 - D(G(z))) = -BCE(D(G(z)), 0)
                dlogit = self._bce_g.backward(-1.0)
            dfake = self.D.backward(dlogit)  # ∂L_G/∂G(z), through D with θ_d fixed
        self.G.zero_grad()
        self.G.backward(dfake)
        self.g_opt.step()
        return g

    def train_step(self, real) -> dict:
        """One iteration of Algorithm 1: ``k`` discriminator steps, then one generator step.

        Parameters
        ----------
        real : array (N, *sample_shape), or a sequence of ``k`` such arrays, or a callable
            returning one. With ``k > 1`` each discriminator step needs its own real batch
            (Algorithm 1, line 4): pass ``k`` arrays or a callable.

        Returns
        -------
        dict of 0-d device scalars (``float(v)`` reads one; that is a host synchronisation on
        a GPU): the keys of :data:`HISTORY_KEYS`. They are also queued for :attr:`history`.
        """
        if callable(real):
            batches = [real() for _ in range(self.k)]
        elif isinstance(real, (list, tuple)):
            if len(real) != self.k:
                raise ValueError(f"GAN.train_step: got {len(real)} real batches for k={self.k} "
                                 f"discriminator steps")
            batches = list(real)
        else:
            if self.k != 1:
                raise ValueError(f"GAN.train_step: k={self.k} discriminator steps need k real batches "
                                 f"(a list) or a callable returning one, got a single array")
            batches = [real]
        for b in batches:
            out = self.d_step(b)
        out["g"] = self.g_step(batches[-1].shape[0])
        self.step += 1
        self._log.append(out)
        return out

    # ------------------------------------------------------------------ history
    def flush(self) -> dict:
        """Copy the queued scalars to the host, append them to :attr:`history`, check them.

        Returns the latest step's values as floats (:attr:`latest`, the last flushed step's,
        if nothing was queued; empty before the first step).

        Raises
        ------
        NonFiniteLossError
            A value is NaN or infinite; the message names the first such step.
        NonFiniteStateError
            A parameter, BatchNorm buffer or optimizer state array holds NaN or infinity (a
            diverged run whose losses still look finite, e.g. Adam's second moments at inf);
            the message names the step and the array. Checked once per flush that follows a
            step (:meth:`check_state`).
        """
        if self._checked_step == self.step:
            return self._log.flush(self.step)
        names, flags = finite_flags(self.state_arrays())  # on the device; copied with the losses
        out = self._log.flush(self.step, also=flags)
        ok = self._log.also
        if ok is not None and not ok.all():
            raise NonFiniteStateError(self.step, names[int(np.argmin(ok))])
        self._checked_step = self.step
        return out

    def state_arrays(self):
        """``(name, array)`` for every array a checkpoint holds: G's and D's parameters and
        buffers (``"G.3.W"``, ``"D.1.running_var"``) and both optimizers' state arrays
        (``"g_opt.S[5] (G.3.W)"``)."""
        for tag, m in (("G", self.G), ("D", self.D)):
            for k, a in m.state_dict().items():
                yield f"{tag}.{k}", a
        for tag, opt, m in (("g_opt", self.g_opt, self.G), ("d_opt", self.d_opt, self.D)):
            names = {id(p): f"{tag[0].upper()}.{k}" for k, p in m.named_parameters()}
            params = getattr(opt, "params", [])
            for slot, per in getattr(opt, "state", {}).items():
                for i, a in sorted(per.items()):
                    pname = names.get(id(params[i])) if i < len(params) else None
                    yield f"{tag}.{slot}[{i}]" + (f" ({pname})" if pname else ""), a

    def check_state(self) -> None:
        """Raise :class:`NonFiniteStateError` naming the step and the first array of
        :meth:`state_arrays` that holds NaN or infinity (one device-to-host copy)."""
        bad = first_nonfinite(self.state_arrays())
        if bad is not None:
            raise NonFiniteStateError(self.step, bad)
        self._checked_step = self.step

    @property
    def latest(self) -> dict:
        """The last *flushed* step's values as floats (no host synchronisation)."""
        return self._log.latest

    @property
    def history(self) -> "OrderedDict[str, list[float]]":
        """One float per step for each of :data:`HISTORY_KEYS` (flushes pending values first;
        a NaN loss raises, the parameters are not checked here: :meth:`flush` does that)."""
        self._log.flush(self.step)
        return self._log.values

    def set_history(self, history: dict) -> None:
        """Replace :attr:`history` (key -> sequence of floats; a missing key starts empty) and
        drop the queued values (used when a checkpoint is loaded)."""
        self._log.replace(history)

    # ------------------------------------------------------------------ sampling
    def sample(self, n: int | None = None, z=None, train_mode: bool = False):
        """Generate samples: ``G(z)`` for the given ``z`` or for ``n`` fresh noise vectors.

        ``train_mode=False`` (default) runs G in evaluation mode (BatchNorm uses its running
        statistics, as Keras' ``generator.predict`` in document 003 does) and restores G's mode
        afterwards. Fresh noise for sampling comes from a separate generator, so sampling never
        changes the training noise stream.
        """
        if z is None:
            n = check_positive_int("GAN.sample", "n", n)
            z = self._host_noise([self.seed, 7919, self.step], n)
        was = [m.training for _, m in self.G.named_modules()]
        if not train_mode:
            self.G.eval()
        try:
            return self.G(z)
        finally:
            for (_, m), t in zip(self.G.named_modules(), was):
                m.training = t

    def fixed_noise(self, n: int = 100, seed: int | None = None):
        """The same ``(n, latent_dim)`` noise every call (for sample grids over training)."""
        return self._host_noise([self.seed if seed is None else seed, 104729], n)

    def _host_noise(self, seed, n: int):
        """``(n, latent_dim)`` noise drawn on the host from ``default_rng(seed)`` (independent of
        the training stream), moved to the models' device and dtype."""
        r = np.random.default_rng(seed)
        zh = r.standard_normal((n, self.latent_dim)) if self.noise == "normal" else r.uniform(-1, 1, (n, self.latent_dim))
        return backend.asarray(zh, self.device, dtype=_first_param(self.G, "G").dtype)

    # ------------------------------------------------------------------ a whole run
    def request_stop(self) -> None:
        """Ask :meth:`fit` to stop after the current step (e.g. from a SIGINT handler)."""
        self._stop = True

    def fit(self, X, steps: int, batch_size: int = 128, *, callback: Callable | None = None,
            log_every: int = 50) -> str:
        """Train until :attr:`step` reaches ``steps`` on minibatches of ``X``.

        Parameters
        ----------
        X : array (N, *sample_shape)
            Real data (NumPy; moved once to the models' device).
        steps : int
            Target number of generator steps (a resumed GAN continues from :attr:`step`).
        batch_size : int
            ``m`` of Algorithm 1 (document 003 uses 128).
        callback : callable, optional
            ``callback(gan)`` after every step (sample grids, checkpoints, progress bars).
        log_every : int
            Steps between :meth:`flush` calls (each one checks the losses for NaN/inf).

        Returns
        -------
        ``"done"`` or ``"stopped"`` (after :meth:`request_stop`).

        Notes
        -----
        The minibatch order comes from a :class:`minigan.batches.BatchStream` seeded with
        ``seed``: it is part of the checkpoint, so a resumed run sees the same batches.
        """
        steps = check_positive_int("GAN.fit", "steps", steps, minimum=0)
        log_every = check_positive_int("GAN.fit", "log_every", log_every)
        self._use_stream(len(X), batch_size)
        Xd = backend.asarray(X, self.device, dtype=_first_param(self.G, "G").dtype)
        dev = self.device

        def next_batch():
            return Xd[backend.asarray(self.stream.next(), dev)]

        return self._run(lambda: self.train_step(next_batch if self.k > 1 else next_batch()),
                         steps, callback, log_every)

    def _use_stream(self, n: int, batch_size: int) -> None:
        """Keep :attr:`stream` (a resumed run's minibatch order) unless it is for other data."""
        if self.stream is None or self.stream.n != n or self.stream.batch_size != batch_size:
            self.stream = BatchStream(n, batch_size, seed=self.seed)

    def _run(self, one_step: Callable[[], Any], steps: int, callback: Callable | None, log_every: int) -> str:
        """``one_step()`` until :attr:`step` reaches ``steps`` or :meth:`request_stop`; a
        :meth:`flush` every ``log_every`` steps and at the end; ``callback(self)`` after each."""
        self._stop = False
        while self.step < steps and not self._stop:
            one_step()
            if self.step % log_every == 0 or self.step == steps:
                self.flush()
            if callback is not None:
                callback(self)
        self.flush()
        return "stopped" if self.step < steps else "done"

    # ------------------------------------------------------------------ checkpoints (minigan.training_state)
    def save(self, path, extra: dict | None = None) -> str:
        """Write a checkpoint (atomically; see :mod:`minigan.checkpoint`): G, D (weights and
        BatchNorm statistics), both optimizers' moments, the step, the noise and minibatch
        generators' states and the history. Pending scalars are flushed first (so a NaN raises
        here and never reaches the file).

        The noise generator's state is stored only when it is NumPy's (models on the CPU). On
        a GPU it is not, so a run resumed from this file draws its noise from a stream
        re-seeded from ``(seed, step)``: deterministic, but not the noise the uninterrupted
        run would have drawn, so only a CPU run resumes bit for bit.
        """
        return training_state.save_gan(self, path, extra)

    def load(self, path) -> dict:
        """Restore everything :meth:`save` wrote; return the checkpoint's ``extra`` dict.

        The models must have the same architecture (a mismatch raises ValueError naming the
        parameter). Arrays go to the models' current device.
        """
        return training_state.load_gan(self, path)

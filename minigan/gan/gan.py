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
exactly as docs/architecture.md §1 draws them. The discriminator ends in a *logit* (no Sigmoid) and the
losses are :class:`minigan.nn.losses.BCEWithLogitsLoss`, the stable form of document 000's
``sigmoid_cross_entropy_with_logits``.

A whole step stays on the device that holds the models: the noise is drawn there, and the
reported scalars are kept as 0-d device arrays until :meth:`GAN.flush` (or reading
:attr:`GAN.history`) copies them to the host in one go (:class:`minigan.gan.history.LossHistory`,
which also stops a diverged run). :meth:`GAN.save` / :meth:`GAN.load` hand the whole training
state to :mod:`minigan.gan.state`.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from .. import backend
from ..checks import check_choice, check_float, check_int_range, check_positive_int
from ..data.batches import BatchStream
from ..errors import NonFiniteLossError, NonFiniteStateError
from ..nn.activations import sigmoid
from ..nn.losses import BCEWithLogitsLoss
from ..nn.module import Module
from ..nn.optim import Adam
from . import state as gan_state
from .checks import check_gan_shapes, check_sample_batch
from .freeze import eval_mode, frozen
from .history import LossHistory, finite_flags, first_nonfinite
from .noise import Prior

__all__ = ["GAN", "NonFiniteLossError", "NonFiniteStateError", "frozen", "HISTORY_KEYS"]

#: The scalars recorded at every step (one value per generator step):
#: ``d`` = L_D, ``d_real``/``d_fake`` its two halves' BCE, ``g`` = the generator's loss,
#: ``d_x`` = mean D(x) on the real batch, ``d_g_z`` = mean D(G(z)) on the fake batch (both
#: from the last discriminator step, before its update).
HISTORY_KEYS = ("d", "d_real", "d_fake", "g", "d_x", "d_g_z")


def _call(module: Module, a, y):
    """``module(a)``, or ``module((a, y))`` for a conditional GAN's label ``y``."""
    return module(a) if y is None else module((a, y))


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
        The prior p_z (:class:`minigan.gan.noise.Prior`): ``z ~ N(0, 1)`` (document 001 §6.2.2,
        document 003) or ``U(-1, 1)`` (document 000).
    seed : int
        Seed of the noise generator and of the minibatch order in :meth:`fit`.
    d_update : {"joint", "separate"}
        ``"joint"`` (default): one optimizer step per discriminator step on
        ``L_D = ½ BCE(D(x), 1) + ½ BCE(D(G(z)), 0)``. ``"separate"``: one step on the reals'
        ``BCE(D(x), 1)``, then one on the fakes' ``BCE(D(G(z)), 0)`` (see Notes).
    fake_mode : {"train", "eval"}
        The mode G runs in when it makes the discriminator step's fakes: ``"train"`` (default;
        BatchNorm uses the fake batch's own statistics, like a PyTorch loop) or ``"eval"``
        (running statistics, Dropout off, like Keras' ``generator.predict``). The generator
        step always runs G in training mode.
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
    ``min_G max_D V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]``. Document 002 writes D's
    loss as ``L_D = -½ E_x log D(x) - ½ E_z log(1 - D(G(z)))``; with
    ``BCE(p, y) = -[y log p + (1-y) log(1-p)]`` that is ``½ BCE(D(x), 1) + ½ BCE(D(G(z)), 0)``,
    which :meth:`d_step` minimizes (``d = ½ (d_real + d_fake)``; the real target is
    ``real_label``).

    The documents' loops differ (lesson 17 measures it). The defaults (``"joint"``,
    ``"train"``) are Algorithm 1, document 002's ``L_D`` and a PyTorch DCGAN loop.
    ``d_update="separate", fake_mode="eval"`` is document 003 ch. 3's Keras loop:
    ``generator.predict(noise)``, then ``train_on_batch`` on the reals and on the fakes, i.e.
    **two** Adam updates, each on one batch's full BCE, the second seeing D after the first (the
    ``0.5 · (real_loss + fake_loss)`` it prints is a report, not the loss it descends; document
    001 §6.2 also trains D in stages, lesson 19). There ``d_x`` is measured before the real
    update and ``d_g_z`` after it (before the fake one).

    The generator's ``"minimax"`` loss minimizes ``E_z log(1 - D(G(z)))`` (Algorithm 1, line 8)
    ``= -BCE(D(G(z)), 0)``, whose gradient vanishes while D confidently rejects the fakes. The
    ``"non-saturating"`` default maximizes ``E_z log D(G(z))`` instead — "possível, e também mais
    indicado" (document 001 §4.1) — i.e. minimizes ``BCE(D(G(z)), 1)``, the fakes labelled
    "real" as in document 001 §6.2.2, document 000 §3.2.3 and document 003. Document 002's
    zero-sum ``L_G = -L_D`` depends on θ_g only through ``½ E_z log(1 - D(G(z)))``: the minimax
    loss up to a factor ½ (minigan reports and descends the unscaled Algorithm 1 value).

    One :meth:`train_step` is ``k`` times {fresh z, a real batch, ``D.zero_grad()``, D
    forward/backward on the reals and on ``G(z)``, ``d_opt.step()``} (docs/architecture.md §3), then fresh
    z, G forward, D forward/backward inside :func:`frozen` (``d_opt`` is not stepped),
    ``G.backward(dfake)``, ``g_opt.step()``. The D step's fakes are not back-propagated into G:
    PyTorch's ``detach`` is simply not calling ``G.backward``. Gradients nobody reads are not
    computed, as PyTorch's autograd skips them: D's step calls ``D.backward_params`` (the images
    are data, no input gradient), the G step ``D.backward_input`` (θ_d is fixed, no weight
    gradients) and ``G.backward_params`` (z is data); the numbers are those of ``backward``.
    """

    def __init__(
        self,
        G: Module,
        D: Module,
        latent_dim: int,
        g_opt=None,
        d_opt=None,
        *,
        k: int = 1,
        g_loss: str = "non-saturating",
        real_label: float = 1.0,
        noise: str = "normal",
        seed: int = 0,
        lr: float = 2e-4,
        beta1: float = 0.5,
        d_update: str = "joint",
        fake_mode: str = "train",
    ):
        if not isinstance(G, Module) or not isinstance(D, Module):
            raise TypeError(f"GAN: G and D must be minigan Modules, got {type(G).__name__} and {type(D).__name__}")
        self.G, self.D = G, D
        self.prior = Prior(latent_dim, noise, seed, who="GAN")  # p_z: kind, seed, training stream
        self.k = check_positive_int("GAN", "k", k)
        self.g_loss = check_choice("GAN", "g_loss", g_loss, ("non-saturating", "minimax"))
        self.real_label = check_float(
            "GAN",
            "real_label",
            real_label,
            0.5,
            1.0,
            low_inclusive=False,
            high_inclusive=True,
            hint="0.9 = one-sided label smoothing",
        )
        self.d_update = check_choice(
            "GAN",
            "d_update",
            d_update,
            {
                "joint": "one update on ½(real + fake), Algorithm 1",
                "separate": "one update on the reals, then one on the fakes, document 003",
            },
        )
        self.fake_mode = check_choice(
            "GAN",
            "fake_mode",
            fake_mode,
            {"train": "G in training mode", "eval": "G in inference mode, like Keras' generator.predict"},
        )

        gp, dp = _first_param(G, "G"), _first_param(D, "D")
        if backend.device_of(gp) != backend.device_of(dp):
            raise ValueError(
                f"GAN: G is on {backend.device_of(gp)!r} but D is on {backend.device_of(dp)!r}; "
                f"move both with .to(device)"
            )
        self.sample_shape = check_gan_shapes(G, D, self.latent_dim)
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
        self._log = LossHistory(HISTORY_KEYS)
        self.stream: BatchStream | None = None
        self._stop = False
        self._checked_step: int | None = None

    # ------------------------------------------------------------------ set-up
    @property
    def device(self) -> str:
        """``"cpu"`` or ``"gpu"``: where G's parameters live (the step runs there)."""
        return backend.device_of(_first_param(self.G, "G"))

    latent_dim = property(lambda self: self.prior.latent_dim, doc="Size of the noise vector z.")
    noise = property(lambda self: self.prior.kind, doc='``"normal"`` or ``"uniform"``: the prior p_z.')
    seed = property(lambda self: self.prior.seed, doc="Seed of the noise and of :meth:`fit`'s minibatch order.")

    def _target(self, like, value: float):
        """A cached ``(N, 1)`` array full of ``value`` on ``like``'s device and dtype."""
        key = (tuple(like.shape), like.dtype.str, backend.device_of(like), value)
        t = self._targets.get(key)
        if t is None:
            xp = backend.get_array_module(like)
            t = self._targets[key] = xp.full(like.shape, value, dtype=like.dtype)
        return t

    # ------------------------------------------------------------------ noise (minigan.gan.noise.Prior)
    def sample_noise(self, n: int):
        """``z``: ``(n, latent_dim)`` from the training noise stream, on the models' device and dtype."""
        n = check_positive_int("GAN.sample_noise", "n", n)
        return self.prior.draw(n, _first_param(self.G, "G"), self.step)

    def noise_rng_state(self) -> dict | None:
        """The training noise generator's state on the CPU, else None (:meth:`Prior.state`)."""
        return self.prior.state()

    def set_noise_rng_state(self, state: dict | None) -> None:
        """Continue the training noise from a :meth:`noise_rng_state` (:meth:`Prior.set_state`)."""
        self.prior.set_state(state, self.device)

    def fixed_noise(self, n: int = 100, seed: int | None = None):
        """The same ``(n, latent_dim)`` noise every call (for sample grids over training)."""
        return self._host_noise([self.seed if seed is None else seed, 104729], n)

    def _host_noise(self, seed, n: int):
        return self.prior.host(seed, n, _first_param(self.G, "G"))

    # ------------------------------------------------------------------ the two steps
    def _check_real(self, real):
        check_sample_batch("GAN.train_step", real, self.sample_shape, self.device)

    def _fakes(self, n: int, y=None):
        """``G(z)`` for the discriminator step, G in the mode ``fake_mode`` asks for (each
        module's mode is restored afterwards). No G.backward follows: the fakes are "detached"."""
        z = self.sample_noise(n)
        with eval_mode(self.G, self.fake_mode == "eval"):  # "eval": Keras' generator.predict
            return _call(self.G, z, y)

    def d_step(self, real) -> dict:
        """One discriminator step on ``real`` and as many fresh fakes (Algorithm 1, lines 3–5).

        ``d_update="joint"``: one ``d_opt.step()`` on ``½ BCE(D(x), 1) + ½ BCE(D(G(z)), 0)``.
        ``d_update="separate"`` (document 003's two ``train_on_batch`` calls): one
        ``d_opt.step()`` on ``BCE(D(x), 1)``, then one on ``BCE(D(G(z)), 0)``.

        Returns the 0-d device scalars ``d``, ``d_real``, ``d_fake``, ``d_x``, ``d_g_z``.
        """
        self._check_real(real)
        return self._d_step(real, None)

    def _d_step(self, real, y) -> dict:
        """:meth:`d_step`'s body; ``y`` is the condition of a :class:`minigan.gan.cgan.ConditionalGAN`
        (G and D then take the pairs ``(z, y)`` and ``(x, y)``), None for a plain GAN."""
        fake = self._fakes(real.shape[0], y)
        if fake.dtype != real.dtype:
            real = real.astype(fake.dtype)
        D = self.D
        joint = self.d_update == "joint"
        D.zero_grad()
        logit_r = _call(D, real, y)
        d_real = self._bce_real(logit_r, self._target(logit_r, self.real_label))  # BCE(D(x), 1 or 0.9)
        D.backward_params(self._bce_real.backward(0.5 if joint else 1.0))  # Eq. 002: L_D = -½ E log D(x) - ...
        if not joint:  # document 003: discriminator.train_on_batch(real_images, real_labels)
            self.d_opt.step()
            D.zero_grad()
        logit_f = _call(D, fake, y)
        d_fake = self._bce_fake(logit_f, self._target(logit_f, 0.0))  # BCE(D(G(z)), 0)
        D.backward_params(self._bce_fake.backward(0.5 if joint else 1.0))  # ... - ½ E log(1 - D(G(z)))
        self.d_opt.step()  # separate: discriminator.train_on_batch(fake_images, fake_labels)
        return {
            "d": 0.5 * (d_real + d_fake),
            "d_real": d_real,
            "d_fake": d_fake,
            "d_x": sigmoid(logit_r).mean(),
            "d_g_z": sigmoid(logit_f).mean(),
        }

    def g_step(self, n: int) -> Any:
        """One generator update on ``n`` fresh noise vectors (Algorithm 1, lines 7–8), D frozen.

        Returns the generator's loss as a 0-d device scalar.
        """
        return self._g_step(n, None)

    def _g_step(self, n: int, y) -> Any:
        """:meth:`g_step`'s body (``y`` as for :meth:`_d_step`)."""
        fake = _call(self.G, self.sample_noise(n), y)
        with frozen(self.D):
            logit = _call(self.D, fake, y)
            if self.g_loss == "non-saturating":
                g = self._bce_g(logit, self._target(logit, 1.0))  # -E log D(G(z)) = BCE(D(G(z)), 1)
                dlogit = self._bce_g.backward()
            else:
                g = -self._bce_g(logit, self._target(logit, 0.0))  # E log(1 - D(G(z))) = -BCE(D(G(z)), 0)
                dlogit = self._bce_g.backward(-1.0)
            dfake = self.D.backward_input(dlogit)  # ∂L_G/∂G(z), through D with θ_d fixed
        self.G.zero_grad()
        self.G.backward_params(dfake)  # z is data: no gradient for it
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
        return self._iteration([(b, None) for b in self._k_batches("GAN.train_step", real)])

    def _k_batches(self, where: str, real) -> list:
        """The ``k`` real batches of one iteration, from one batch (k = 1), a sequence of ``k``
        or a callable returning one (called ``k`` times)."""
        if callable(real):
            return [real() for _ in range(self.k)]
        if isinstance(real, (list, tuple)):
            if len(real) != self.k:
                raise ValueError(f"{where}: got {len(real)} real batches for k={self.k} discriminator steps")
            return list(real)
        if self.k != 1:
            raise ValueError(
                f"{where}: k={self.k} discriminator steps need k real batches (a list) or a "
                f"callable returning one, got a single batch"
            )
        return [real]

    def _iteration(self, batches: list) -> dict:
        """Algorithm 1's loop body on ``k`` pairs ``(x, y)`` (``y`` None for a plain GAN): a
        discriminator step on each, then one generator step for the last pair's ``y`` (as many
        samples as its batch); the step is counted and its scalars queued."""
        for x, y in batches:
            self._check_real(x)
            out = self._d_step(x, y)
        x, y = batches[-1]
        out["g"] = self._g_step(x.shape[0], y)
        self.step += 1
        self._log.append(out)
        return out

    # ------------------------------------------------------------------ history
    def flush(self) -> dict:
        """Copy the queued scalars to the host, append them to :attr:`history`, check them; return
        the latest step's values as floats (:attr:`latest`; empty before the first step).

        The NaN stop: raises :class:`NonFiniteLossError` naming the first step whose loss is NaN
        or infinite, and :class:`NonFiniteStateError` naming the step and the array when a
        parameter, BatchNorm buffer or optimizer moment is (a diverged run whose losses still
        look finite, e.g. Adam's ``v`` at inf; checked once per flush that follows a step).
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
        """``(name, array)`` for every array a checkpoint holds
        (:func:`minigan.gan.state.state_arrays`)."""
        return gan_state.state_arrays(self)

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
    def history(self) -> OrderedDict[str, list[float]]:
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
        with eval_mode(self.G, not train_mode):
            return self.G(z)

    # ------------------------------------------------------------------ a whole run
    def request_stop(self) -> None:
        """Ask :meth:`fit` to stop after the current step (e.g. from a SIGINT handler)."""
        self._stop = True

    def fit(
        self, X, steps: int, batch_size: int = 128, *, callback: Callable | None = None, log_every: int = 50
    ) -> str:
        """Train on minibatches of ``X`` (NumPy, moved once to the models' device) of
        ``batch_size`` (Algorithm 1's m) until :attr:`step` reaches ``steps`` (a resumed GAN
        continues from its step); return ``"done"``, or ``"stopped"`` after :meth:`request_stop`.

        ``callback(gan)`` runs after every step (sample grids, checkpoints, progress bars); every
        ``log_every`` steps a :meth:`flush` checks for NaN/inf. The minibatch order is a
        :class:`minigan.data.batches.BatchStream` seeded with ``seed`` and saved in checkpoints, so a
        resumed run sees the same batches.
        """
        steps = check_int_range("GAN.fit", "steps", steps, 0)
        log_every = check_positive_int("GAN.fit", "log_every", log_every)
        self._use_stream(len(X), batch_size)
        Xd = backend.asarray(X, self.device, dtype=_first_param(self.G, "G").dtype)
        dev = self.device

        def next_batch():
            assert self.stream is not None  # _use_stream made it
            return Xd[backend.asarray(self.stream.next(), dev)]

        return self.fit_stream(next_batch, steps, callback=callback, log_every=log_every)

    def fit_stream(
        self, next_batch: Callable[[], Any], steps: int, *, callback: Callable | None = None, log_every: int = 50
    ) -> str:
        """As :meth:`fit`, on the real batches ``next_batch()`` returns, already on the models'
        device (e.g. a :class:`minigan.data.imagefolder.ImageFolder` too large to hold in memory).
        The stream's position is the caller's to save (``ImageFolder.state_dict``)."""
        steps = check_int_range("GAN.fit_stream", "steps", steps, 0)
        log_every = check_positive_int("GAN.fit_stream", "log_every", log_every)
        if not callable(next_batch):
            raise TypeError(
                f"GAN.fit_stream: next_batch must be a callable returning a batch, got {type(next_batch).__name__}"
            )
        return self._run(
            lambda: self.train_step(next_batch if self.k > 1 else next_batch()), steps, callback, log_every
        )

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

    # ------------------------------------------------------------------ checkpoints (minigan.gan.state)
    def save(self, path, extra: dict | None = None) -> str:
        """Write the whole training state to one checkpoint, atomically
        (:func:`minigan.gan.state.save_gan` lists what goes in). Pending scalars are
        flushed first, so a NaN raises here and never reaches the file. Only a CPU run resumes
        bit for bit: a CuPy noise generator's state is not saved, so a GPU run resumes on noise
        re-seeded from ``(seed, step)``."""
        return gan_state.save_gan(self, path, extra)

    def load(self, path) -> dict:
        """Restore everything :meth:`save` wrote, all or nothing, onto the models' current device;
        return the checkpoint's ``extra`` dict. The architecture must match (a mismatch is a
        :class:`minigan.checkpoint.CheckpointError` naming the parameter)."""
        return gan_state.load_gan(self, path)

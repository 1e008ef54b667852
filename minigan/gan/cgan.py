"""The conditional GAN (Mirza & Osindero 2014; document 003 ch. 3's pointer): ask for a class.

Document 001 §6.4 (and lesson 16) train one GAN per class. A conditional GAN trains one pair
``G(z, y)``, ``D(x, y)`` on all classes at once: both nets see the label, D learns to reject
an image that does not match its label, and so G must draw the digit it is asked for. The
value function of Algorithm 1 becomes

    min_G max_D  E_{(x,y)~data}[log D(x, y)] + E_{z, y}[log(1 − D(G(z, y), y))].

:class:`ConditionalGAN` is :class:`minigan.gan.GAN` with the label threaded through: every
call of G or D takes a pair (see :mod:`minigan.nn.conditional` for the two-input protocol), the
fakes of a discriminator step carry the labels of the real batch beside them (so D sees the
same class mix in both halves), and the generator step asks for those labels again. The
losses, the frozen D of the G step, the noise stream, the history and the checkpoints are
GAN's own.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import backend
from ..checks import check_int_range, check_positive_int
from ..models import mnist_dense_cgan
from ..nn.module import Module
from .freeze import eval_mode
from .gan import GAN

__all__ = ["ConditionalGAN", "mnist_dense_cgan", "grid_labels"]


def grid_labels(num_classes: int = 10, per_class: int = 10) -> np.ndarray:
    """Labels for a sample grid whose row ``r`` is class ``r``: ``[0]*per_class + [1]*per_class + …``."""
    return np.repeat(np.arange(num_classes), per_class)


class ConditionalGAN(GAN):
    """Goodfellow's Algorithm 1 for a conditional pair ``G(z, y)``, ``D(x, y)``.

    Parameters
    ----------
    G : Module
        Takes ``(z, y)``: noise ``(N, latent_dim)`` and integer labels ``(N,)`` (e.g. a
        :class:`minigan.nn.conditional.Conditional`).
    D : Module
        Takes ``(x, y)`` and returns one logit per sample ``(N, 1)``.
    latent_dim : int
    num_classes : int
        Labels are ``0 .. num_classes - 1``.
    **kwargs
        As for :class:`minigan.gan.GAN` (optimizers, k, g_loss, real_label, noise, seed, lr,
        beta1, d_update, fake_mode).

    Notes
    -----
    One :meth:`train_step` on a labelled real batch ``(x, y)``: ``k`` times {fresh z,
    ``fake = G(z, y)`` (not back-propagated), D forward/backward on ``(x, y)`` with target 1
    and on ``(fake, y)`` with target 0, one ``d_opt.step()``}; then fresh z, ``G(z, y)``
    through the frozen ``D(·, y)`` with target 1 (non-saturating) and one ``g_opt.step()``.
    Using the real batch's labels for the fakes keeps the class mix of both halves of D's
    batch equal (with uniform labels a class that is rare in the data would be over-drawn).
    """

    def __init__(self, G: Module, D: Module, latent_dim: int, num_classes: int, **kwargs):
        self.num_classes = check_positive_int("ConditionalGAN", "num_classes", num_classes)
        super().__init__(G, D, latent_dim, **kwargs)

    # GAN checks that G accepts (N, latent_dim) and D G's output; a Conditional's output_shape
    # does exactly that with a dummy label, so GAN.__init__ needs no change.

    def _labels(self, y, n: int, where: str):
        if not hasattr(y, "shape") or not hasattr(y, "dtype") or len(y.shape) != 1 or y.shape[0] != n:
            raise ValueError(
                f"ConditionalGAN.{where}: labels must be an integer array of shape ({n},), got "
                f"{type(y).__name__} {tuple(getattr(y, 'shape', ()))}"
            )
        xp = backend.get_array_module(y)
        if not xp.issubdtype(y.dtype, xp.integer):
            raise TypeError(f"ConditionalGAN.{where}: labels must be integers, got dtype {y.dtype}")
        if xp is np and n and (int(y.min()) < 0 or int(y.max()) >= self.num_classes):
            raise ValueError(
                f"ConditionalGAN.{where}: labels must be in [0, {self.num_classes}), got {int(y.min())}..{int(y.max())}"
            )
        return backend.asarray(y, self.device) if backend.device_of(y) != self.device else y

    def d_step(self, real, labels) -> dict:  # type: ignore[override]  # needs the labels: not a drop-in GAN
        """One discriminator step on ``(real, labels)`` and as many fakes ``G(z, labels)``
        (:meth:`GAN.d_step` with the label beside every input; ``d_update`` and ``fake_mode``
        work as there)."""
        self._check_real(real)
        return self._d_step(real, self._labels(labels, real.shape[0], "d_step"))

    def g_step(self, labels) -> Any:
        """One generator update on fresh noise for ``labels`` (D frozen). Returns the loss."""
        y = self._labels(labels, int(labels.shape[0]) if hasattr(labels, "shape") else -1, "g_step")
        return self._g_step(y.shape[0], y)  # ∂L_G/∂G(z, y) flows through D; the label has no gradient

    def train_step(self, real, labels=None) -> dict:
        """One iteration: ``k`` discriminator steps, then one generator step.

        ``real, labels``: one labelled batch (k = 1); or ``real`` a list of ``k`` ``(x, y)``
        pairs or a callable returning one pair.
        """
        if labels is not None or not (callable(real) or isinstance(real, (list, tuple))):
            if labels is None:
                raise TypeError("ConditionalGAN.train_step: pass the real batch's labels: train_step(x, y)")
            real = [(real, labels)] if self.k == 1 else real  # a single batch for k > 1 is refused below
        pairs = self._k_batches("ConditionalGAN.train_step", real)
        for x, _ in pairs:
            self._check_real(x)
        return self._iteration([(x, self._labels(y, x.shape[0], "train_step")) for x, y in pairs])

    def sample(self, labels=None, n: int | None = None, z=None, train_mode: bool = False):  # type: ignore[override]  # labels first
        """``G(z, labels)``; ``labels`` default: :func:`grid_labels` for ``n`` a multiple of the
        class count (row r of a grid is class r), else ``arange(n) % num_classes``.

        As :meth:`GAN.sample`: evaluation mode by default, fresh noise from a generator of its
        own (the training noise stream is not touched).
        """
        if labels is None:
            if n is None and z is not None:
                n = int(z.shape[0])
            n = check_positive_int("ConditionalGAN.sample", "n", n)
            c = self.num_classes
            labels = grid_labels(c, n // c) if n % c == 0 else np.arange(n) % c
        labels = np.asarray(labels) if not hasattr(labels, "dtype") else labels
        n = int(labels.shape[0])
        y = self._labels(labels, n, "sample")
        if z is None:
            z = self._host_noise([self.seed, 7919, self.step], n)
        with eval_mode(self.G, not train_mode):
            return self.G((z, y))

    def fit(  # type: ignore[override]  # labelled data: fit(X, y, steps)
        self, X, y, steps: int, batch_size: int = 128, *, callback: Callable | None = None, log_every: int = 50
    ) -> str:
        """As :meth:`GAN.fit`, on labelled data ``(X, y)``; the minibatch order (a
        :class:`minigan.data.batches.BatchStream`) is saved in checkpoints, so a resume is exact."""
        steps = check_int_range("ConditionalGAN.fit", "steps", steps, 0)
        log_every = check_positive_int("ConditionalGAN.fit", "log_every", log_every)
        n = len(X)
        if len(y) != n:
            raise ValueError(f"ConditionalGAN.fit: X has {n} samples but y has {len(y)} labels")
        self._labels(np.asarray(y), n, "fit")
        self._use_stream(n, batch_size)
        dev = self.device
        Xd = backend.asarray(X, dev, dtype=self.G.parameters()[0].dtype)
        yd = backend.asarray(np.asarray(y, dtype=np.int64), dev)

        def next_batch():
            assert self.stream is not None  # _use_stream made it
            idx = backend.asarray(self.stream.next(), dev)
            return Xd[idx], yd[idx]

        return self._run(
            lambda: self.train_step(next_batch) if self.k > 1 else self.train_step(*next_batch()),
            steps,
            callback,
            log_every,
        )

    def save(self, path, extra: dict | None = None) -> str:
        meta = {"cgan": {"num_classes": self.num_classes}}
        meta.update(extra or {})
        return super().save(path, extra=meta)

    def load(self, path) -> dict:
        extra = super().load(path)
        saved = extra.get("cgan", {}).get("num_classes")
        if saved is not None and saved != self.num_classes:
            raise ValueError(
                f"ConditionalGAN.load: {path} was saved with num_classes={saved}, this one has {self.num_classes}"
            )
        return extra

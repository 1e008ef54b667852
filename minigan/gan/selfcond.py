"""The self-conditioned GAN (Liu et al. 2020, "Diverse Image Generation via Self-Conditioned GANs").

A conditional GAN (:class:`minigan.gan.cgan.ConditionalGAN`) needs labels; an unlabelled data
set has none. Liu et al. let clusters of the training images stand in for them: partition the
images into k clusters, train ``G(z, c)`` and ``D(x, c)`` with ``c`` the cluster of each real
image (and, for the fakes, the clusters of the real batch beside them), and sample with
``c`` drawn by the clusters' shares,

    c ~ Categorical(π),  πⱼ = |Sⱼ| / n,  x = G(z, c).

So the model is unconditional from the user's point of view: ``sample(n)`` returns n images,
and nothing anywhere uses a label. The hope is the paper's: a generator told which cluster
to draw spreads less mass *between* clusters (digits drawn between two classes) and drops
fewer of them.

Liu et al. cluster the discriminator's features and re-cluster during training; minigan-train's
``selfcond`` recipe clusters the training digits once, on a PCA projection of their pixels
(:func:`minigan.data.clusters.cluster_images`), before the first step. This class only takes
the assignment: it keeps it, draws clusters by their shares, and saves the assignment in its
checkpoints, so that a resumed run trains on exactly the same clusters.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .. import checkpoint
from ..checks import check_positive_int, check_seed
from ..errors import CheckpointError
from ..nn.module import Module
from .cgan import ConditionalGAN

__all__ = ["SelfConditionedGAN"]

#: Keys of the random generators of :meth:`SelfConditionedGAN.sample` and
#: :meth:`~SelfConditionedGAN.fixed_clusters` (beside GAN's 7919 and 104729 for the noise).
_SAMPLE_KEY, _FIXED_KEY = 7927, 104723


class SelfConditionedGAN(ConditionalGAN):
    """A :class:`ConditionalGAN` on cluster ids: the training images' clusters for labels,
    clusters drawn by their shares for samples.

    Parameters
    ----------
    G, D : Module
        A conditional pair, as for :class:`ConditionalGAN` (e.g.
        :func:`minigan.models.mnist_dense_cgan` with ``num_classes=num_clusters``).
    latent_dim : int
    num_clusters : int
        k: cluster ids are ``0 .. k - 1`` (:class:`ConditionalGAN`'s ``num_classes``).
    assignment : array (n,) of ints in [0, k), optional
        The cluster of each training image, in the order of the ``X`` that :meth:`fit` gets
        (e.g. :func:`minigan.data.clusters.cluster_images`'s ``assignments``). It may also come
        later, from :meth:`set_assignment` or a checkpoint (:meth:`load`).
    **kwargs
        As for :class:`minigan.gan.GAN`.

    Notes
    -----
    Training is :class:`ConditionalGAN`'s on ``(X, assignment)``: a D step on ``(x, c)`` with
    the fakes ``G(z, c)`` of the same clusters, a G step on those clusters again, so both
    halves of D's batch have the data's cluster mix. :meth:`sample` draws
    ``c ~ Categorical(π)``, ``πⱼ = |Sⱼ| / n`` (the paper's sampling), from a generator of its
    own seeded with ``(seed, step)``: sampling never touches the training streams.
    """

    def __init__(self, G: Module, D: Module, latent_dim: int, num_clusters: int, assignment=None, **kwargs):
        super().__init__(G, D, latent_dim, num_clusters, **kwargs)
        self.assignment: np.ndarray | None = None
        self.shares: np.ndarray | None = None
        if assignment is not None:
            self.set_assignment(assignment)

    @property
    def num_clusters(self) -> int:
        """k, the number of clusters (``num_classes``)."""
        return self.num_classes

    def _checked_assignment(self, where: str, assignment) -> np.ndarray:
        a = np.asarray(assignment)
        if a.ndim != 1 or a.shape[0] < 1:
            raise ValueError(f"{where}: assignment must be a 1-D array (n,) with n >= 1, got shape {a.shape}")
        if a.dtype.kind not in "iu":
            raise TypeError(f"{where}: assignment must hold integer cluster ids, got dtype {a.dtype}")
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi >= self.num_clusters:
            raise ValueError(f"{where}: assignment must be in [0, {self.num_clusters}), got {lo}..{hi}")
        return a.astype(np.int64)

    def set_assignment(self, assignment) -> None:
        """Take ``assignment`` (n,) as the clusters of the training images, and their shares
        ``πⱼ = |Sⱼ| / n`` as the distribution :meth:`sample` draws clusters from."""
        a = self._checked_assignment("SelfConditionedGAN.set_assignment", assignment)
        self.assignment = a
        self.shares = np.bincount(a, minlength=self.num_clusters) / a.shape[0]

    def _need_assignment(self, where: str) -> np.ndarray:
        if self.assignment is None or self.shares is None:
            raise RuntimeError(
                f"SelfConditionedGAN.{where}: no cluster assignment yet; give one (assignment=, "
                f"set_assignment) or load a checkpoint"
            )
        return self.shares

    def draw_clusters(self, n: int, key) -> np.ndarray:
        """``n`` cluster ids drawn from ``Categorical(π)`` with a NumPy generator seeded by ``key``."""
        n = check_positive_int("SelfConditionedGAN.draw_clusters", "n", n)
        shares = self._need_assignment("draw_clusters")
        return np.random.default_rng(key).choice(self.num_clusters, size=n, p=shares)

    def fixed_clusters(self, n: int = 100, seed: int | None = None) -> np.ndarray:
        """The same ``n`` cluster ids every call, drawn by the shares and sorted (a sample grid
        then shows each cluster's samples side by side): the companion of :meth:`fixed_noise`."""
        seed = self.seed if seed is None else check_seed("SelfConditionedGAN.fixed_clusters", "seed", seed, False)
        return np.sort(self.draw_clusters(n, [seed, _FIXED_KEY]))

    def sample(self, n: int | None = None, z=None, train_mode: bool = False, labels=None):  # type: ignore[override]  # GAN's order, labels optional
        """``G(z, c)``: as :meth:`GAN.sample` (``n`` fresh noise vectors, or the given ``z``), with
        ``c ~ Categorical(π)`` drawn from a generator seeded by ``(seed, step)``, or the
        given ``labels``. The caller sees a plain batch of images ``(n, 1, 28, 28)``."""
        if labels is None:
            if n is None and z is not None:
                n = int(z.shape[0])
            n = check_positive_int("SelfConditionedGAN.sample", "n", n)
            labels = self.draw_clusters(n, [self.seed, _SAMPLE_KEY, self.step])
        return super().sample(labels, z=z, train_mode=train_mode)

    def fit(  # type: ignore[override]  # unlabelled data: the clusters are the labels
        self, X, steps: int, batch_size: int = 128, *, callback: Callable | None = None, log_every: int = 50
    ) -> str:
        """As :meth:`GAN.fit` on unlabelled ``X``: :meth:`ConditionalGAN.fit` on ``(X, assignment)``."""
        self._need_assignment("fit")
        assert self.assignment is not None  # _need_assignment checked it
        if len(X) != len(self.assignment):
            raise ValueError(
                f"SelfConditionedGAN.fit: X has {len(X)} samples but the assignment has {len(self.assignment)} "
                f"(the clusters must be those of this X)"
            )
        return super().fit(X, self.assignment, steps, batch_size, callback=callback, log_every=log_every)

    def save(self, path, extra: dict | None = None) -> str:
        """:meth:`ConditionalGAN.save`, with the assignment (k and every image's cluster) in the
        metadata: a resumed run trains on the same clusters without clustering again."""
        self._need_assignment("save")
        assert self.assignment is not None
        meta = {"selfcond": {"clusters": self.num_clusters, "assignment": self.assignment.tolist()}}
        meta.update(extra or {})
        return super().save(path, extra=meta)

    def load(self, path) -> dict:
        """:meth:`ConditionalGAN.load` and the saved assignment, all or nothing: the file's
        assignment is checked before anything changes (a :class:`CheckpointError` naming the file)."""
        ck = checkpoint.load(path)
        saved = ck.extra.get("selfcond")
        if not isinstance(saved, dict) or "assignment" not in saved:
            raise CheckpointError(f"{path}: holds no cluster assignment (extra.selfcond): not a self-conditioned GAN")
        if saved.get("clusters") != self.num_clusters:
            raise CheckpointError(
                f"{path}: was saved with {str(saved.get('clusters'))[:40]} clusters, this GAN has {self.num_clusters}"
            )
        try:
            a = self._checked_assignment("SelfConditionedGAN.load", saved["assignment"])
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"{path}: extra.selfcond.assignment: {exc}") from None
        extra = super().load(path)
        self.set_assignment(a)
        return extra

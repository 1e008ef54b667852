"""The documents' GAN architectures as builders (docs/architecture.md §5).

Every builder returns ``(G, D)``: two :class:`minigan.Sequential`. ``G`` maps noise
``(N, latent_dim)`` to images ``(N, C, H, W)`` in ``[-1, 1]`` (a final ``Tanh``); ``D`` maps
images to **one logit per sample** ``(N, 1)``: the documents' final Sigmoid is left out and
fused into :class:`minigan.nn.losses.BCEWithLogitsLoss` (document 000 §3.2.3 does the same with
``tf.nn.sigmoid_cross_entropy_with_logits``), which is numerically stable where
``log(sigmoid(z))`` is not. Apply :func:`minigan.nn.activations.sigmoid` to D's output to read
``D(x)`` as a probability.

Images are NCHW (PyTorch's layout). The documents' Keras/TensorFlow code is NHWC: a Keras
``Reshape((28, 28, 1))`` is our ``Reshape(1, 28, 28)`` and a ``(8, 8, 256)`` tensor is our
``(256, 8, 8)``. Parameter counts are the same in both layouts.

| builder | source | G | D |
|---|---|---|---|
| :func:`mnist_dense_gan` | document 003 ch. 3 (Keras MNIST GAN) | dense 64→128→256→512→784 | dense 784→256→128→1 |
| :func:`mnist_dcgan` | document 001 §4.3 rules, 28x28 | dense → 2 transposed convs | 2 strided convs |
| :func:`xray_dcgan64` | document 001 §6, Tabela 1 and 2 | dense → 3 ConvT + conv | 4 convs → dense |
| :func:`anime_dcgan96` | document 000 §3.2.1.2 / Appendix A.2 | dense → 3 ConvT | 2 conv + max-pool → dense |
"""

from __future__ import annotations

import numpy as np

from .checks import check_positive_int
from .nn import init as _init
from .nn.activations import LeakyReLU, ReLU, Tanh
from .nn.conditional import Conditional
from .nn.conv import Conv2D, Conv2DTranspose
from .nn.layers import BatchNorm, Dense, Dropout, Flatten, Reshape
from .nn.pooling import MaxPool2D
from .nn.sequential import Sequential

__all__ = [
    "mnist_dense_gan",
    "mnist_dcgan",
    "xray_dcgan64",
    "anime_dcgan96",
    "mnist_dense_cgan",
    "BUILDERS",
    "IMAGE_GANS",
]


def _bn(num_features, momentum, eps):
    return BatchNorm(num_features, momentum=momentum, eps=eps)  # float32; _cast converts the model


def mnist_dense_gan(
    latent_dim: int = 64, *, rng=None, dtype=np.float32, d_dropout: float = 0.0
) -> tuple[Sequential, Sequential]:
    """The dense (MLP) MNIST GAN of document 003 ch. 3 ("Gerando novas imagens MNIST com GANs
    e keras", after Vasilev et al. 2019).

    Parameters
    ----------
    latent_dim : int
        Size of z (the document uses 64).
    rng : numpy.random.Generator or int, optional
        Source of the initial weights (Keras' default ``glorot_uniform``).
    dtype : default float32.
    d_dropout : float
        ``p`` of a :class:`Dropout` after each of D's hidden LeakyReLUs (0, the document's
        model: none). Not in document 003; minigan's default recipe uses 0.3 (with only 4,000
        training digits, D otherwise learns them by heart; see examples/README.md).

    Returns
    -------
    G : ``Dense(latent_dim, 128) → LeakyReLU(0.2) → BatchNorm(128) → Dense(128, 256) →
        LeakyReLU(0.2) → BatchNorm(256) → Dense(256, 512) → LeakyReLU(0.2) → BatchNorm(512) →
        Dense(512, 784) → Tanh → Reshape(1, 28, 28)``; ``(N, latent_dim) -> (N, 1, 28, 28)``.
    D : ``Flatten → Dense(784, 256) → LeakyReLU(0.2) → Dense(256, 128) → LeakyReLU(0.2) →
        Dense(128, 1)``; ``(N, 1, 28, 28) -> (N, 1)`` logits.

    Notes
    -----
    The order Dense → LeakyReLU → BatchNorm is the document's (BatchNorm after the activation).
    Keras' ``BatchNormalization(momentum=0.8)`` keeps ``0.8 · running + 0.2 · batch``: that is
    PyTorch's and minigan's ``momentum=0.2``; Keras' default ``epsilon=1e-3`` is kept too.
    The document's D ends in ``Dense(1, activation='sigmoid')``; ours returns the logit.
    Trained with Adam lr 2e-4, β1 0.5, batch 128 for 15,000 steps in the document.
    """
    latent_dim = check_positive_int("mnist_dense_gan", "latent_dim", latent_dim)
    rng = _init.get_rng(rng)

    def dense(i, o):
        return Dense(i, o, init="glorot_uniform", rng=rng, dtype=dtype)

    G = Sequential(
        dense(latent_dim, 128),
        LeakyReLU(0.2),
        _bn(128, 0.2, 1e-3),
        dense(128, 256),
        LeakyReLU(0.2),
        _bn(256, 0.2, 1e-3),
        dense(256, 512),
        LeakyReLU(0.2),
        _bn(512, 0.2, 1e-3),
        dense(512, 28 * 28),
        Tanh(),
        Reshape(1, 28, 28),  # Keras Reshape((28, 28, 1)) in NHWC
    )
    d_dropout = float(d_dropout)
    if not (0.0 <= d_dropout < 1.0):
        raise ValueError(f"mnist_dense_gan: d_dropout must be in [0, 1), got {d_dropout}")

    def drop():
        return [Dropout(d_dropout, seed=int(rng.integers(2**31)))] if d_dropout else []

    D = Sequential(
        Flatten(),
        dense(28 * 28, 256),
        LeakyReLU(0.2),
        *drop(),
        dense(256, 128),
        LeakyReLU(0.2),
        *drop(),
        dense(128, 1),  # logit; the document's sigmoid lives in BCEWithLogitsLoss
    )
    return _cast(G, dtype), _cast(D, dtype)


def mnist_dcgan(latent_dim: int = 100, *, rng=None, dtype=np.float32, width: int = 64) -> tuple[Sequential, Sequential]:
    """A 28x28 DCGAN for MNIST following the rules of document 001 §4.3 (Radford et al. 2016).

    The rules: no pooling (strided convolutions in D, strided transposed convolutions in G);
    BatchNorm in both nets except G's output and D's input layer; ReLU in G with a final
    Tanh; LeakyReLU(0.2) in D; weights ~ N(0, 0.02²) (Radford et al.; document 001 §4.3 gives
    no initialization).

    Returns
    -------
    G : ``Dense(latent_dim, 128·7·7) → Reshape(128, 7, 7) → BatchNorm(128) → ReLU →
        Conv2DTranspose(128, 64, 4, stride=2, padding=1) → BatchNorm(64) → ReLU →
        Conv2DTranspose(64, 1, 4, stride=2, padding=1) → Tanh``;
        7x7 → 14x14 → 28x28 (``out = (in - 1)·2 - 2·1 + 4 = 2·in``).
    D : ``Conv2D(1, 64, 4, stride=2, padding=1) → LeakyReLU(0.2) →
        Conv2D(64, 128, 4, stride=2, padding=1) → BatchNorm(128) → LeakyReLU(0.2) → Flatten →
        Dense(128·7·7, 1)``; 28x28 → 14x14 → 7x7 (``out = ⌊(in + 2 - 4)/2⌋ + 1``) → a logit.

    ``width`` w (default 64, the nets above) scales every channel count: G's are 2w, w, 1 and
    D's w, 2w. ``width=32`` is the half-width DCGAN that examples/README.md measures against
    the dense GAN (about a quarter of the arithmetic of a step).
    """
    latent_dim = check_positive_int("mnist_dcgan", "latent_dim", latent_dim)
    w = check_positive_int("mnist_dcgan", "width", width)
    rng = _init.get_rng(rng)
    G = Sequential(
        Dense(latent_dim, 2 * w * 7 * 7, init="normal", rng=rng, dtype=dtype),
        Reshape(2 * w, 7, 7),
        _bn(2 * w, 0.1, 1e-5),
        ReLU(),
        Conv2DTranspose(2 * w, w, 4, stride=2, padding=1, init="normal", rng=rng),
        _bn(w, 0.1, 1e-5),
        ReLU(),
        Conv2DTranspose(w, 1, 4, stride=2, padding=1, init="normal", rng=rng),
        Tanh(),
    )
    D = Sequential(
        Conv2D(1, w, 4, stride=2, padding=1, init="normal", rng=rng),
        LeakyReLU(0.2),
        Conv2D(w, 2 * w, 4, stride=2, padding=1, init="normal", rng=rng),
        _bn(2 * w, 0.1, 1e-5),
        LeakyReLU(0.2),
        Flatten(),
        Dense(2 * w * 7 * 7, 1, init="normal", rng=rng, dtype=dtype),
    )
    return _cast(G, dtype), _cast(D, dtype)


def xray_dcgan64(
    latent_dim: int = 100, *, rng=None, dtype=np.float32, dropout: float = 0.4
) -> tuple[Sequential, Sequential]:
    """The 64x64 chest X-ray DCGAN of document 001 §6 (Tabela 1 and 2).

    Returns
    -------
    D (Tabela 1) : ``C1 Conv2D(1, 128, 3, padding="same") → LeakyReLU(0.2) →
        C2 Conv2D(128, 256, 3, stride=2, padding="same") → LeakyReLU(0.2) →
        C3 Conv2D(256, 256, 3, stride=2, padding="same") → LeakyReLU(0.2) →
        C4 Conv2D(256, 512, 3, stride=2, padding="same") → LeakyReLU(0.2) →
        Flatten → Dropout → Dense(32768, 1)``; 64 → 64 → 32 → 16 → 8.
    G (Tabela 2) : ``D1 Dense(latent_dim, 16384) → LeakyReLU(0.2) → R1 Reshape(256, 8, 8) →
        TC1 Conv2DTranspose(256, 128, 4, stride=2, padding="same") → LeakyReLU(0.2) →
        TC2, TC3 Conv2DTranspose(128, 128, 4, stride=2, padding="same") → LeakyReLU(0.2) →
        GC1 Conv2D(128, 1, 3, padding="same") → Tanh``; 8 → 16 → 32 → 64.

    Notes
    -----
    Parameter counts (weights + biases, ``n_h·n_w·n_c·n_f + n_f``, document 001 §6.2.1), equal
    to the tables: D 1,280 = 3·3·1·128 + 128; 295,168 = 3·3·128·256 + 256;
    590,080 = 3·3·256·256 + 256; 1,180,160 = 3·3·256·512 + 512; 32,769 = 32,768 + 1.
    G 1,654,784 = 100·16,384 + 16,384; 524,416 = 4·4·256·128 + 128;
    262,272 = 4·4·128·128 + 128 (twice); 1,153 = 3·3·128·1 + 1.
    No BatchNorm anywhere: the document left it out of both nets (§6.1.1–6.1.2).

    Slips in the document: §6.2.1 says C4 has "512 filtros de tamanho 3 × 3 × 512"; its input
    has 256 channels, so the filters are 3 × 3 × 256 (and the table's 1,180,160 confirms it).
    It also writes "8 * 8 * 512 = 32769": the flattened size is 32,768; the table's 32,769
    parameters of the last layer are those 32,768 weights plus one bias. The dropout rate is
    not given; ``dropout=0.4`` follows the document's reference [3] (Brownlee 2019).
    """
    latent_dim = check_positive_int("xray_dcgan64", "latent_dim", latent_dim)
    rng = _init.get_rng(rng)
    kw = dict(init="normal", rng=rng)
    D = Sequential(
        Conv2D(1, 128, 3, stride=1, padding="same", **kw),
        LeakyReLU(0.2),  # C1
        Conv2D(128, 256, 3, stride=2, padding="same", **kw),
        LeakyReLU(0.2),  # C2
        Conv2D(256, 256, 3, stride=2, padding="same", **kw),
        LeakyReLU(0.2),  # C3
        Conv2D(256, 512, 3, stride=2, padding="same", **kw),
        LeakyReLU(0.2),  # C4
        Flatten(),
        Dropout(dropout),
        Dense(8 * 8 * 512, 1, dtype=dtype, **kw),  # the "Sigmoid" row
    )
    G = Sequential(
        Dense(latent_dim, 8 * 8 * 256, dtype=dtype, **kw),
        LeakyReLU(0.2),  # D1
        Reshape(256, 8, 8),  # R1
        Conv2DTranspose(256, 128, 4, stride=2, padding="same", **kw),
        LeakyReLU(0.2),  # TC1
        Conv2DTranspose(128, 128, 4, stride=2, padding="same", **kw),
        LeakyReLU(0.2),  # TC2
        Conv2DTranspose(128, 128, 4, stride=2, padding="same", **kw),
        LeakyReLU(0.2),  # TC3
        Conv2D(128, 1, 3, stride=1, padding="same", **kw),
        Tanh(),  # GC1
    )
    return _cast(G, dtype), _cast(D, dtype)


def anime_dcgan96(latent_dim: int = 100, *, rng=None, dtype=np.float32) -> tuple[Sequential, Sequential]:
    """The 96x96 grayscale anime-face GAN of document 000 (§3.2, final version of Appendix A.2).

    Returns
    -------
    G : ``Dense(latent_dim, 24·24·64) → BatchNorm(36864) → ReLU → Reshape(64, 24, 24) →
        Conv2DTranspose(64, 32, 5, stride=1, padding="same") → BatchNorm(32) → ReLU →
        Conv2DTranspose(32, 16, 5, stride=2, padding="same") → BatchNorm(16) → ReLU →
        Conv2DTranspose(16, 1, 5, stride=2, padding="same") → Tanh``; 24 → 24 → 48 → 96.
    D : ``Conv2D(1, 32, 5, padding="same") → LeakyReLU(0.2) → MaxPool2D(2) →
        Conv2D(32, 64, 5, padding="same") → LeakyReLU(0.2) → MaxPool2D(2) → Flatten →
        Dense(24·24·64, 1024) → LeakyReLU(0.2) → Dropout(0.2) → Dense(1024, 1)``; logits, as in
        the document.

    Notes
    -----
    Appendix A.2 (the final code) uses ReLU in G; §3.2.1.2's listing shows leaky ReLU, and
    §4 reports that switching G from ReLU to leaky ReLU let it run too far ahead of D. ``tf.nn.leaky_relu``'s default
    slope is 0.2. ``tf.layers.batch_normalization`` defaults (momentum 0.99, epsilon 1e-3) are
    PyTorch's ``momentum=0.01``, ``eps=1e-3``. (The TensorFlow code never passes
    ``training=True`` to batch normalization, so there it silently used the initial moving
    statistics; minigan's BatchNorm normalizes with batch statistics in training, as intended.)
    The document trains it with sigmoid cross-entropy on logits, one-sided label smoothing 0.9,
    Adam lr 1e-3, noise U(-1, 1) of size 100, batch 100 (see :class:`minigan.gan.GAN`).
    """
    latent_dim = check_positive_int("anime_dcgan96", "latent_dim", latent_dim)
    rng = _init.get_rng(rng)
    kw = dict(init="glorot_uniform", rng=rng)  # TF1 layers' default initializer
    G = Sequential(
        Dense(latent_dim, 24 * 24 * 64, dtype=dtype, **kw),
        _bn(24 * 24 * 64, 0.01, 1e-3),
        ReLU(),
        Reshape(64, 24, 24),  # tf.reshape(..., [-1, 24, 24, 64]) in NHWC
        Conv2DTranspose(64, 32, 5, stride=1, padding="same", **kw),
        _bn(32, 0.01, 1e-3),
        ReLU(),
        Conv2DTranspose(32, 16, 5, stride=2, padding="same", **kw),
        _bn(16, 0.01, 1e-3),
        ReLU(),
        Conv2DTranspose(16, 1, 5, stride=2, padding="same", **kw),
        Tanh(),
    )
    D = Sequential(
        Conv2D(1, 32, 5, padding="same", **kw),
        LeakyReLU(0.2),
        MaxPool2D(2),
        Conv2D(32, 64, 5, padding="same", **kw),
        LeakyReLU(0.2),
        MaxPool2D(2),
        Flatten(),
        Dense(24 * 24 * 64, 1024, dtype=dtype, **kw),
        LeakyReLU(0.2),
        Dropout(0.2),
        Dense(1024, 1, dtype=dtype, **kw),  # logits
    )
    return _cast(G, dtype), _cast(D, dtype)


def mnist_dense_cgan(
    latent_dim: int = 64,
    num_classes: int = 10,
    embedding_dim: int = 10,
    *,
    rng=None,
    dtype=np.float32,
    d_hidden: tuple[int, int] = (512, 256),
    d_dropout: float = 0.0,
) -> tuple[Conditional, Conditional]:
    """Document 003 ch. 3's dense MNIST GAN, conditioned on the digit (Mirza & Osindero 2014).

    Parameters
    ----------
    latent_dim : int
        Size of z (64, as the unconditional model).
    num_classes : int
        Labels ``0 .. num_classes - 1`` (10 digits; minigan-train's ``selfcond`` recipe: the
        k clusters of :class:`minigan.gan.selfcond.SelfConditionedGAN`).
    embedding_dim : int
        Size of each net's learned label code ``e(y)``.
    rng : numpy.random.Generator or int, optional
    dtype : default float32.
    d_hidden : (int, int)
        D's two hidden widths: (512, 256) by default (below); (256, 128) is document 003's
        unconditional D, which the ``selfcond`` recipe uses so that the conditioning is its
        only change from the default recipe's model.
    d_dropout : float
        ``p`` of a :class:`Dropout` after each of D's hidden LeakyReLUs, as in
        :func:`mnist_dense_gan` (0: none).

    Returns
    -------
    G : ``Conditional``: ``[z | e_G(y)]`` (``latent_dim + embedding_dim``) → ``Dense(·, 128) →
        LeakyReLU(0.2) → BatchNorm(128) → Dense(128, 256) → LeakyReLU(0.2) → BatchNorm(256) →
        Dense(256, 512) → LeakyReLU(0.2) → BatchNorm(512) → Dense(512, 784) → Tanh →
        Reshape(1, 28, 28)``; ``((N, latent_dim), (N,)) -> (N, 1, 28, 28)``.
    D : ``Conditional(join="flat")``: ``[flatten(x) | e_D(y)]`` (``784 + embedding_dim``) →
        ``Dense(·, h₁) → LeakyReLU(0.2) → Dense(h₁, h₂) → LeakyReLU(0.2) → Dense(h₂, 1)`` with
        ``(h₁, h₂) = d_hidden`` (a Dropout after each LeakyReLU with ``d_dropout``);
        ``((N, 1, 28, 28), (N,)) -> (N, 1)`` logits.

    Notes
    -----
    G is the unconditional model's (document 003: BatchNorm after the activation, Keras'
    momentum 0.8 = minigan's 0.2, epsilon 1e-3) with ``embedding_dim`` more inputs. D is wider
    than document 003's 784 → 256 → 128 (512 → 256, as in common Keras cGAN tutorials): it
    must now also tell whether an image matches its label. Each net has its own embedding
    ``e(y)``, learned (N(0, 1) start), as in Mirza & Osindero's joint hidden layer.
    """
    latent_dim = check_positive_int("mnist_dense_cgan", "latent_dim", latent_dim)
    rng = _init.get_rng(rng)

    def dense(i, o):
        return Dense(i, o, init="glorot_uniform", rng=rng, dtype=dtype)

    def bn(c):
        return BatchNorm(c, momentum=0.2, eps=1e-3)

    G = Conditional(
        Sequential(
            dense(latent_dim + embedding_dim, 128),
            LeakyReLU(0.2),
            bn(128),
            dense(128, 256),
            LeakyReLU(0.2),
            bn(256),
            dense(256, 512),
            LeakyReLU(0.2),
            bn(512),
            dense(512, 28 * 28),
            Tanh(),
            Reshape(1, 28, 28),
        ),
        num_classes,
        embedding_dim,
        rng=rng,
        dtype=dtype,
    )
    d_dropout = float(d_dropout)
    if not (0.0 <= d_dropout < 1.0):
        raise ValueError(f"mnist_dense_cgan: d_dropout must be in [0, 1), got {d_dropout}")
    if not isinstance(d_hidden, (tuple, list)) or len(d_hidden) != 2:
        raise ValueError(f"mnist_dense_cgan: d_hidden must be a pair of widths (h1, h2), got {d_hidden!r}")
    h1, h2 = (check_positive_int("mnist_dense_cgan", "d_hidden", h) for h in d_hidden)

    def drop():
        return [Dropout(d_dropout, seed=int(rng.integers(2**31)))] if d_dropout else []

    D = Conditional(
        Sequential(
            dense(28 * 28 + embedding_dim, h1),
            LeakyReLU(0.2),
            *drop(),
            dense(h1, h2),
            LeakyReLU(0.2),
            *drop(),
            dense(h2, 1),
        ),
        num_classes,
        embedding_dim,
        join="flat",
        rng=rng,
        dtype=dtype,
    )
    if np.dtype(dtype) != np.float32:
        G.astype(dtype)
        D.astype(dtype)
    return G, D


def _cast(model: Sequential, dtype) -> Sequential:
    if np.dtype(dtype) != np.float32:
        model.astype(dtype)
    return model


BUILDERS = {
    "mnist_dense_gan": mnist_dense_gan,
    "mnist_dcgan": mnist_dcgan,
    "xray_dcgan64": xray_dcgan64,
    "anime_dcgan96": anime_dcgan96,
}

#: The image models of ``examples/image_gan.py --model NAME``: name -> (builder, latent size, image
#: size, the GAN settings of the model's document). ``python -m minigan.metrics.drawings`` rebuilds
#: a run's generator from the same table.
IMAGE_GANS = {
    "xray64": (xray_dcgan64, 100, 64, dict(noise="normal", real_label=1.0, lr=2e-4)),  # document 001 §6
    "anime96": (anime_dcgan96, 100, 96, dict(noise="uniform", real_label=0.9, lr=1e-3)),  # document 000
    "dcgan28": (mnist_dcgan, 100, 28, dict(noise="normal", real_label=1.0, lr=2e-4)),
}

"""Conditioning a model on a class label: Embedding, Concat and the Conditional wrapper.

Document 003 ch. 3 ends by pointing to the conditional GAN (Mirza & Osindero 2014): give the
generator *and* the discriminator the class label ``y`` as an extra input, so that
``G(z, y)`` learns ``p(x | y)`` and one model draws any digit on request (document 001 §6.4
instead trains one GAN per class). The value function becomes

    min_G max_D  E_{x,y}[log D(x, y)] + E_{z,y}[log(1 − D(G(z, y), y))].

Without an autograd graph the join must be written by hand, like every other layer:

- :class:`Embedding` turns integer labels into vectors: ``E = onehot(y) · W`` computed as the
  lookup ``W[y]``; its backward scatter-adds ``dout`` into the rows of ``W.grad``.
- :class:`Concat` joins several arrays along an axis; its backward slices ``dout`` back.
- :class:`Conditional` wraps any network ``net`` (a Sequential) as a two-input model
  ``(x, y) -> net(concat(x, embed(y)))``; for images the embedding is broadcast over the
  image as a *label map* of extra channels.

The two-input protocol (an extension of docs/architecture.md §3, kept as small as possible):

- ``forward`` of a multi-input module takes **one** argument, a tuple/list of arrays
  (``concat((a, b))``, ``cond((x, y))``), so ``m(inputs)`` and the forward-then-backward rule
  are unchanged.
- ``backward(dout)`` returns the gradient of every **floating** input: a tuple for
  :class:`Concat` (one entry per input), the gradient of ``x`` alone for :class:`Conditional`
  (its second input is an integer label).
- An integer input has no gradient: :meth:`Embedding.backward` returns ``None`` (and still
  adds into ``W.grad``).
- Sequential models keep working: a Conditional holds Sequentials inside it, and the training
  loop (:class:`minigan.gan.cgan.ConditionalGAN`) passes ``(z, y)`` and ``(x, y)`` pairs.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..checks import check_input, check_positive_int, shape_str
from . import init as _init
from .module import Module, Parameter

__all__ = ["Embedding", "Concat", "Conditional"]


def _check_labels(layer: str, y, num: int, any_shape: bool = False) -> None:
    """Integer labels ``(N,)`` (any shape ``(N, ...)`` with ``any_shape``) in ``[0, num)``; the
    range is checked on the host only (on a GPU it would cost a synchronisation every step)."""
    if not hasattr(y, "shape") or not hasattr(y, "dtype"):
        raise TypeError(f"{layer}: labels must be an integer array (N,), got {type(y).__name__}")
    xp = backend.get_array_module(y)
    if not xp.issubdtype(y.dtype, xp.integer):
        raise TypeError(f"{layer}: labels must have an integer dtype (class indices), got {y.dtype}")
    if (y.ndim < 1) if any_shape else (y.ndim != 1):
        want = "at least 1-D (N, ...)" if any_shape else "1-D (N,)"
        raise ValueError(f"{layer}: labels must be {want}, got shape {shape_str(y.shape)}")
    if xp is np and y.size and (int(y.min()) < 0 or int(y.max()) >= num):
        raise ValueError(f"{layer}: labels must be in [0, {num}), got range {int(y.min())}..{int(y.max())}")


class Embedding(Module):
    """A table of learned vectors, one per class: ``E = W[y]``.

    Parameters
    ----------
    num_embeddings : int
        Number of classes (10 for MNIST digits).
    embedding_dim : int
        Length of each vector.
    init : str or callable
        Initialiser of ``W``: ``"standard_normal"`` (default) N(0, 1), PyTorch's
        ``nn.Embedding`` default, or any name of :mod:`minigan.nn.init`. ``"onehot"`` starts at the identity (needs
        ``embedding_dim == num_embeddings``): then ``E`` *is* the one-hot code of the label.
    rng : numpy.random.Generator or int, optional
    dtype : default float32.

    Shape
    -----
    - input: ``(N,)`` integer class indices in ``[0, num_embeddings)``, or any ``(N, ...)``
      (e.g. ``(N, T)`` word indices of a sequence, as PyTorch's ``nn.Embedding``)
    - output: ``(N, embedding_dim)``, or ``(N, ..., embedding_dim)``
    - W: ``(num_embeddings, embedding_dim)``

    Notes
    -----
    With ``Y = onehot(y) ∈ {0, 1}^{N × V}`` the layer is the Dense layer ``E = Y W`` without a
    bias (document 001 §2.6 with ``X = Y``), computed as a row lookup instead of a product
    with a matrix that is almost all zeros. Its gradient (document 001 §2.9,
    ``∂C/∂W = δᵀ A``) is ``∂C/∂W = Yᵀ δ``: row ``v`` of ``W.grad`` gets the sum of the rows of
    ``δ = dout`` whose label is ``v`` (a scatter-add; a label used twice in a batch adds
    twice). The input is an integer, so there is no ``∂C/∂y``: :meth:`backward` returns
    ``None``.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, init="standard_normal", rng=None, dtype=np.float32):
        super().__init__()
        self.num_embeddings = check_positive_int("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = check_positive_int("Embedding", "embedding_dim", embedding_dim)
        shape = (self.num_embeddings, self.embedding_dim)
        if isinstance(init, str) and init == "onehot":
            if self.num_embeddings != self.embedding_dim:
                raise ValueError(
                    f"Embedding: init='onehot' needs embedding_dim == num_embeddings, got "
                    f"{self.embedding_dim} and {self.num_embeddings}"
                )
            w = np.eye(self.num_embeddings, dtype=dtype)
        elif isinstance(init, str) and init == "standard_normal":
            w = _init.get_rng(rng).standard_normal(shape).astype(dtype)  # N(0, 1), like nn.Embedding
        else:
            w = _init.get_initializer(init, "Embedding")(shape, rng=_init.get_rng(rng), dtype=dtype)
        self.params["W"] = Parameter(w)
        self._y = None

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"

    def forward(self, y):
        _check_labels(f"Embedding({self.num_embeddings}, {self.embedding_dim})", y, self.num_embeddings, any_shape=True)
        self._y = y
        return self.params["W"].data[y]  # Eq. E = onehot(y) W, as a lookup: (N, ..., embedding_dim)

    def backward(self, dout):
        self._check_dout(dout)
        W = self.params["W"]
        xp = backend.get_array_module(W.grad)
        xp.add.at(W.grad, self._y, dout)  # Eq. ∂C/∂W = onehot(y)ᵀ δ: a scatter-add of dout's rows
        return None  # integer labels have no gradient

    def output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape) + (self.embedding_dim,)


class Concat(Module):
    """Join arrays along ``axis`` (1: features for ``(N, F)``, channels for NCHW).

    Parameters
    ----------
    axis : int
        The axis to join along; not the batch axis 0.

    Shape
    -----
    - input: a tuple/list of arrays whose shapes agree except along ``axis``
    - output: their sizes along ``axis`` add up

    Notes
    -----
    ``out = [a₁ | a₂ | …]``; each input's gradient is its own slice of ``dout``, so
    :meth:`backward` returns a tuple with one array per input (``dout`` split at the input
    sizes). This is the join of Mirza & Osindero (2014): ``[z | e(y)]`` in G and
    ``[x | e(y)]`` in D.
    """

    def __init__(self, axis: int = 1):
        super().__init__()
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or axis == 0:
            raise ValueError(f"Concat: axis must be a non-zero int (axis 0 is the batch), got {axis!r}")
        self.axis = int(axis)
        self._sizes: list[int] = []  # the inputs' sizes along axis, set by forward

    def extra_repr(self) -> str:
        return f"axis={self.axis}"

    def forward(self, xs):
        if not isinstance(xs, (list, tuple)) or len(xs) < 2:
            raise TypeError(
                f"Concat(axis={self.axis}): input must be a tuple or list of at least 2 arrays, got {type(xs).__name__}"
            )
        for i, a in enumerate(xs):
            check_input(f"Concat(axis={self.axis})", a, name=f"input {i}")
        nd = xs[0].ndim
        ax = self.axis if self.axis > 0 else nd + self.axis
        if not 0 < ax < nd:
            raise ValueError(f"Concat(axis={self.axis}): axis out of range for inputs of {nd} dimensions")
        ref = tuple(xs[0].shape)
        for i, a in enumerate(xs):
            other = tuple(a.shape)
            if len(other) != nd or other[:ax] + other[ax + 1 :] != ref[:ax] + ref[ax + 1 :]:
                raise ValueError(
                    f"Concat(axis={self.axis}): input {i} has shape {shape_str(other)}, which does "
                    f"not match input 0's {shape_str(ref)} outside axis {self.axis}"
                )
        self._ax = ax
        self._sizes = [int(a.shape[ax]) for a in xs]
        xp = backend.get_array_module(*xs)
        return xp.concatenate(xs, axis=ax)  # Eq. out = [a₁ | a₂ | …]

    def backward(self, dout):
        self._check_dout(dout)
        xp = backend.get_array_module(dout)
        cuts = np.cumsum(self._sizes)[:-1].tolist()
        return tuple(xp.split(dout, cuts, axis=self._ax))  # each input's slice of δ

    def output_shape(self, input_shape: tuple) -> tuple:  # input_shape: a tuple of shapes
        shapes = [tuple(s) for s in input_shape]
        ax = self.axis - 1 if self.axis > 0 else len(shapes[0]) + self.axis
        out = list(shapes[0])
        out[ax] = sum(s[ax] for s in shapes)
        return tuple(out)


class Conditional(Module):
    """A two-input model ``(x, y) -> net([x | e(y)])``: ``net`` conditioned on a class label.

    Parameters
    ----------
    net : Module
        The network after the join (usually a Sequential). Its first layer takes the joined
        input: ``in_features + embedding_dim`` features, or ``C + embedding_dim`` channels.
    num_classes : int
        Number of labels (10 for digits).
    embedding_dim : int
        Size of the label code (default ``num_classes``).
    join : {"auto", "flat", "channels"}
        How ``e(y)`` meets ``x``: ``"flat"`` flattens ``x`` to ``(N, F)`` and concatenates
        the features (a dense model: G's ``[z | e]``, a dense D's ``[x | e]``);
        ``"channels"`` broadcasts ``e`` to a label map ``(N, E, H, W)`` and concatenates it
        on the channel axis of an NCHW image (a convolutional D); ``"auto"`` (default) picks
        ``"flat"`` for 2-D ``x`` and ``"channels"`` for 4-D ``x``.
    embedding_init : str
        :class:`Embedding`'s ``init`` (``"onehot"`` for a fixed-start one-hot code).
    rng, dtype : as for the layers.

    Shape
    -----
    - input: a pair ``(x, y)``: ``x`` (N, F) or (N, C, H, W) floating, ``y`` (N,) integer
    - output: ``net``'s output for the joined input

    Notes
    -----
    Forward: ``e = W[y]``; ``h = [x | e]`` (``e`` repeated at every pixel for ``"channels"``);
    ``out = net(h)``. Backward: ``δh = net.backward(δ)``; ``(δx, δe) = split(δh)``; for the
    label map ``δe`` is summed over the pixels it was copied to (the backward of a broadcast
    is a sum); ``Embedding.backward(δe)`` scatter-adds into ``W.grad``; returns ``δx``
    (the label is an integer and has no gradient). Parameters are named ``0.W`` (the
    embedding) and ``1.<net's names>``.
    """

    def __init__(
        self,
        net: Module,
        num_classes: int,
        embedding_dim: int | None = None,
        *,
        join: str = "auto",
        embedding_init="standard_normal",
        rng=None,
        dtype=np.float32,
    ):
        super().__init__()
        if not isinstance(net, Module):
            raise TypeError(f"Conditional: net must be a minigan Module, got {type(net).__name__}")
        if join not in ("auto", "flat", "channels"):
            raise ValueError(f"Conditional: join must be 'auto', 'flat' or 'channels', got {join!r}")
        num_classes = check_positive_int("Conditional", "num_classes", num_classes)
        embedding_dim = num_classes if embedding_dim is None else embedding_dim
        self.embedding = Embedding(num_classes, embedding_dim, init=embedding_init, rng=rng, dtype=dtype)
        self.concat = Concat(axis=1)
        self.net = net
        self.join = join
        self.num_classes = num_classes

    def children(self) -> list[Module]:
        return [self.embedding, self.net]

    def extra_repr(self) -> str:
        return f"num_classes={self.num_classes}, embedding_dim={self.embedding.embedding_dim}, join={self.join!r}"

    def _mode(self, ndim: int) -> str:
        if self.join != "auto":
            return self.join
        if ndim == 2:
            return "flat"
        if ndim == 4:
            return "channels"
        raise ValueError(f"Conditional: x must be (N, F) or (N, C, H, W) with join='auto', got {ndim}-D")

    def forward(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise TypeError(
                f"Conditional: input must be a pair (x, y) of data and integer labels, got "
                f"{type(inputs).__name__}" + (f" of length {len(inputs)}" if isinstance(inputs, (list, tuple)) else "")
            )
        x, y = inputs
        check_input("Conditional", x, name="x")
        if hasattr(y, "shape") and len(y.shape) == 1 and y.shape[0] != x.shape[0]:
            raise ValueError(f"Conditional: x has {x.shape[0]} samples but y has {y.shape[0]} labels")
        e = self.embedding(y)  # (N, E)
        mode = self._mode(x.ndim)
        self._x_shape = tuple(x.shape)
        self._mode_used = mode
        if mode == "flat":
            h = self.concat((x.reshape(x.shape[0], -1), e))  # (N, F + E)
        else:
            if x.ndim != 4:
                raise ValueError(f"Conditional: join='channels' needs x (N, C, H, W), got shape {shape_str(x.shape)}")
            xp = backend.get_array_module(x)
            n, _, hh, ww = x.shape
            label_map = xp.broadcast_to(e[:, :, None, None], (n, e.shape[1], hh, ww))  # (N, E, H, W)
            h = self.concat((x, label_map))  # (N, C + E, H, W)
        return self.net(h)

    def backward(self, dout):
        self._check_dout(dout)
        dh = self.net.backward(dout)
        dx, de = self.concat.backward(dh)
        if self._mode_used == "channels":
            de = de.sum(axis=(2, 3))  # Eq. backward of the broadcast: sum over the pixels, (N, E)
        self.embedding.backward(de)
        return dx.reshape(self._x_shape)

    # The fast path of docs/architecture.md §3: the frozen discriminator of a conditional GAN's
    # generator step needs ``dx`` only.
    def backward_input(self, dout):
        """:meth:`backward`'s ``dx`` only: ``net``'s own fast path, and no gradient for the
        embedding (its ``W.grad``, like every ``θ.grad``, is left as it was)."""
        self._check_dout(dout)
        dh = self.net.backward_input(dout)
        dx, _ = self.concat.backward(dh)  # δe is dropped: it would only go into the embedding's W.grad
        return dx.reshape(self._x_shape)

    def output_shape(self, input_shape: tuple) -> tuple:
        """``input_shape`` is ``x``'s shape without the batch axis (the label is a scalar)."""
        p = next(iter(self.parameters()))
        xp = backend.get_array_module(p.data)
        modes = [(m, m.training) for _, m in self.named_modules()]
        self.eval()
        try:
            out = self.forward(
                (xp.zeros((1,) + tuple(input_shape), dtype=p.data.dtype), xp.zeros((1,), dtype=np.int64))
            )
        finally:
            for m, was in modes:
                m.training = was
        return tuple(int(s) for s in out.shape[1:])

    def _summary_rows(self, input_shape: tuple) -> list[tuple[str, tuple, int]]:
        e = self.embedding.embedding_dim
        shape = tuple(input_shape)
        if self._mode(len(shape) + 1) == "flat":
            joined = (int(np.prod(shape)) + e,)
        else:
            joined = (shape[0] + e,) + shape[1:]
        rows = [
            (f"label: {self.embedding!r}", (e,), self.embedding.num_parameters()),
            (f"join: {self.concat!r}", joined, 0),
        ]
        sub = self.net._summary_rows(joined)
        return rows + [(f"net.{name}", s, n) for name, s, n in sub]

"""An exponential moving average (EMA) of a model's weights: the generator a GAN run shows.

A GAN's generator never settles: each discriminator update moves it, so the samples of any one
step carry that step's jitter (speckle, blotchy strokes). Averaging G's weights over the last
few thousand steps, ``θ_ema ← d · θ_ema + (1 - d) · θ`` after every step (Yazıcı et al. 2019,
"The unusual effectiveness of averaging in GAN training"; Karras et al.'s ProGAN/StyleGAN use
d = 0.999), gives a generator that samples the average of those steps' distributions' modes
and is markedly cleaner. Training is unchanged: D always sees the live G's fakes.

BatchNorm's running statistics belong to the live weights, not to the averaged ones, so
:meth:`EMA.swapped_in` recomputes them for the averaged weights on a fixed batch of noise
before sampling (the batch statistics of that batch, momentum 1).
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from ..nn.flat import FlatParameters, flat_parameters
from ..nn.layers import BatchNorm
from ..nn.module import Module

__all__ = ["EMA"]


class EMA:
    """``θ_ema ← decay · θ_ema + (1 - decay) · θ`` over ``model``'s parameters.

    Parameters
    ----------
    model : Module
        The live model (its parameters are read after every :meth:`update`).
    decay : float
        In (0, 1); 0.999 averages over roughly the last 1,000 steps.

    Notes
    -----
    The average starts as a copy of the weights at construction. So that it does not hold on
    to the untrained weights in a short run, the *t*-th update uses the decay
    ``min(decay, (1 + t) / (10 + t))`` (TensorFlow's ``ExponentialMovingAverage`` with
    ``num_updates``): about 0.9 at first, ``decay`` from t ≈ 9,000 on for 0.999.

    When the model's optimizer keeps its parameters in one flat buffer (:mod:`minigan.nn.flat`),
    the average is kept in one flat array of the same layout too (``shadow`` holds views into
    it) and :meth:`update` is one pass over it instead of one per tensor: the same numbers.
    """

    def __init__(self, model: Module, decay: float = 0.999):
        if not (0.0 < float(decay) < 1.0):
            raise ValueError(f"EMA: decay must be in (0, 1), got {decay!r}")
        self.model, self.decay = model, float(decay)
        self.params = model.parameters()
        self.shadow = [p.data.copy() for p in self.params]
        self.num_updates = 0
        self._flat: tuple | None = None  # (FlatParameters, its version, flat average, views)

    def update(self) -> None:
        """One step of the average (call after each optimizer step of the model)."""
        t = self.num_updates
        d = min(self.decay, (1.0 + t) / (10.0 + t))
        self.num_updates = t + 1
        flat = flat_parameters(self.params, create=False)
        if flat is not None:  # fast path: the same equation once, on the flat buffers
            s = self._flat_shadow(flat)
            s *= d
            s += (1.0 - d) * flat.data
            return
        for p, s in zip(self.params, self.shadow):  # plain path: tensor by tensor
            s *= d
            s += (1.0 - d) * p.data  # θ_ema ← d · θ_ema + (1 - d) · θ

    def _flat_shadow(self, flat: FlatParameters):
        """The average as one flat array laid out like ``flat`` (``shadow`` views into it),
        gathered again from ``shadow`` when the buffer was rebuilt or ``shadow`` replaced."""
        hit = self._flat
        if hit is not None and hit[0] is flat and hit[1] == flat.version:
            if all(a is b for a, b in zip(self.shadow, hit[3])):
                return hit[2]
        buf = flat.gather(self.shadow)
        self.shadow = flat.views(buf)
        self._flat = (flat, flat.version, buf, self.shadow)
        return buf

    def state_dict(self) -> dict:
        """The averaged arrays (keys ``"0"``, ``"1"``, ... in parameter order) and ``"num_updates"``."""
        d = {f"{i}": s for i, s in enumerate(self.shadow)}
        d["num_updates"] = np.asarray(self.num_updates, dtype=np.int64)
        return d

    def load_state_dict(self, state: dict) -> None:
        state = dict(state)
        self.num_updates = int(state.pop("num_updates", 0))
        if len(state) != len(self.shadow):
            raise ValueError(f"EMA.load_state_dict: {len(state)} arrays for {len(self.shadow)} parameters")
        for i, s in enumerate(self.shadow):
            a = state[f"{i}"]
            if tuple(a.shape) != tuple(s.shape):
                raise ValueError(
                    f"EMA.load_state_dict: array {i} has shape {tuple(a.shape)}, the parameter {tuple(s.shape)}"
                )
            s[...] = a

    @contextmanager
    def swapped_in(self, bn_noise=None):
        """Inside the block the model holds the averaged weights (and, given ``bn_noise``, BatchNorm
        running statistics recomputed for them on ``G(bn_noise)``); on exit everything is back."""
        m = self.model
        live = [p.data.copy() for p in self.params]
        bns = [mod for _, mod in m.named_modules() if isinstance(mod, BatchNorm)]
        saved = [(b, {k: v.copy() for k, v in b.buffers.items()}, b.momentum, b.training) for b in bns]
        modes = [(mod, mod.training) for _, mod in m.named_modules()]
        try:
            for p, s in zip(self.params, self.shadow):
                p.data[...] = s
            if bns and bn_noise is not None:
                for b in bns:
                    b.momentum = 1.0  # running statistics := this batch's
                m.train()
                m(bn_noise)
                for b, _, mom, _ in saved:
                    b.momentum = mom
            yield m
        finally:
            for p, v in zip(self.params, live):
                p.data[...] = v
            for b, bufs, mom, _ in saved:
                b.momentum = mom
                for k, v in bufs.items():
                    b.buffers[k] = v
            for mod, t in modes:
                mod.training = t

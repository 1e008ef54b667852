"""Optimizers (document 001 §2.8): SGD with momentum, RMSProp, Adam.

In order of increasing complexity, as document 001 presents them. Each updates the
parameters *in place* from their ``.grad`` (filled by ``model.backward``)::

    opt = Adam(model, lr=2e-4, beta1=0.5)
    ...
    model.backward(loss.backward())
    opt.step()
    opt.zero_grad()

Semantics are PyTorch's for the same names. The per-parameter state (moving averages,
"moments") is created lazily at the first ``step()`` with the parameter's own array module
(``xp.zeros_like(p.data)``), so it lives on the device of the parameter; if the model is moved
later, the state follows it at the next step. A step reads no value back to the host.

Shared keywords
---------------
weight_decay : float >= 0
    L2 regularisation: adds ``weight_decay · θ`` to the gradient before the update (PyTorch's
    ``weight_decay``; for Adam this is L2, not AdamW's decoupled decay). Document 003 ch. 1,
    "Regularização L1 e L2": ``Custo = Perda + λ/(2m) Σ ‖w‖²``, whose gradient adds ``(λ/m) w``,
    so ``weight_decay = λ/m``. It applies to every parameter given, biases included (as in
    PyTorch); pass only the weights if you want otherwise.
clip_norm : float > 0 or None
    If set, :func:`minigan.nn.clipping.clip_grad_norm` is applied to all the parameters at the start of every
    ``step()`` (document 003 ch. 2 clips its LSTM's gradients by global norm 5); the norm
    before clipping is kept in ``opt.last_grad_norm`` (a 0-d array, no host sync).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..checks import check_number, is_int
from .clipping import clip_grad_norm
from .flat import FlatParameters, flat_parameters
from .module import Parameter, parameter_list

__all__ = ["Optimizer", "SGD", "RMSProp", "Adam"]

#: The fast path updates the flat buffer (on the CPU) in chunks of this many elements (512 KiB of
#: float32), so that the temporaries of the update's equations stay in the CPU's cache: on the
#: dense MNIST GAN's 575,000-parameter generator, Adam then takes about 15 % less time than in
#: one pass over the whole buffer (benchmarks/README.md).
FLAT_CHUNK = 1 << 17

#: The smallest ``eps`` accepted by RMSProp and Adam: a smaller one becomes 0 in float32
#: (its smallest number is 1.4e-45) and a zero gradient then gives 0 / 0 = NaN.
_EPS_MIN = 1e-30


class Optimizer:
    """Base class: holds the parameter list, the step count ``t`` and the lazily created state.

    Parameters
    ----------
    params : Module or list of Parameter
        What to optimise (a Module means ``module.parameters()``).
    lr : float > 0
        The learning rate ``η`` of document 001 §2.8. May be changed between steps
        (``opt.lr = ...``) for a schedule.
    weight_decay : float >= 0
    clip_norm : float > 0 or None
        See the module docstring.
    flat : bool
        True (default): the fast path. The constructor makes the parameters' values and
        gradients views into one flat buffer (:mod:`minigan.nn.flat`; an array read from
        ``p.data`` before is no longer the parameter's), and :meth:`step` applies the update's
        equations once to the whole buffer instead of once per tensor; the numbers are exactly
        those of the plain path (elementwise arithmetic does not care how the elements are
        grouped; a float64 test checks it). False: one update per tensor (the plain path),
        also taken whenever the parameters cannot share one buffer (mixed dtypes or devices).

    Attributes
    ----------
    params : list of Parameter
    t : int
        Number of ``step()`` calls so far (Adam's ``t``).
    state : dict
        ``{slot: {parameter index: array}}``; subclasses list their slot names in ``SLOTS``.
        On the fast path each array is a view into one flat array per slot.
    """

    SLOTS: tuple[str, ...] = ()
    HYPER: tuple[str, ...] = ("lr", "weight_decay", "clip_norm")

    def __init__(self, params, lr: float, weight_decay: float = 0.0, clip_norm: float | None = None, flat: bool = True):
        who = type(self).__name__
        self.params = parameter_list(params, who)
        if not self.params:
            raise ValueError(f"{who}: params is empty; pass model.parameters() of a model that has parameters")
        ids = [id(p) for p in self.params]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{who}: a Parameter appears more than once in params; it would be updated twice per step")
        self.lr, self.weight_decay, self.clip_norm = lr, weight_decay, clip_norm
        self._check_hyper()
        self.t = 0
        self.state: dict[str, dict[int, Any]] = {s: {} for s in self.SLOTS}
        self.last_grad_norm = None
        self.flat = bool(flat)
        self._flat_state: dict[str, tuple] = {}  # slot -> (FlatParameters, its version, flat array, views)
        if self.flat:
            flat_parameters(self.params)  # the buffer now, so that every step updates in place

    # ------------------------------------------------------------------ public
    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0."""
        flat = flat_parameters(self.params, create=False) if self.flat else None
        if flat is not None:
            flat.grad[...] = 0  # fast path: one flat buffer
            return
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Update every parameter once from its ``.grad`` (in place)."""
        self._check_hyper()
        if self.clip_norm is not None:
            self.last_grad_norm = clip_grad_norm(self.params, self.clip_norm)
        self.t += 1
        flat = flat_parameters(self.params) if self.flat else None
        if flat is not None:  # fast path: the same equations on the flat buffer, chunk by chunk
            g = flat.grad
            if self.weight_decay:
                g = g + self.weight_decay * flat.data
            bufs: dict[str, Any] = {}

            def slot(name: str, part: slice):
                if name not in bufs:
                    bufs[name] = self._flat_slot(name, flat)
                return bufs[name][part]

            n = flat.data.size
            chunk = FLAT_CHUNK if isinstance(flat.data, np.ndarray) else n  # a GPU takes it in one go
            for start in range(0, n, chunk):
                part = slice(start, start + chunk)
                self._update(flat.data[part], g[part], lambda name, part=part: slot(name, part))
            return
        for i, p in enumerate(self.params):  # plain path: tensor by tensor
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data  # L2: ∂/∂θ (λ/2m)‖θ‖² = (λ/m) θ
            self._update(p.data, g, lambda name, i=i, p=p: self._slot(name, i, p))

    def hyperparameters(self) -> dict:
        return {k: getattr(self, k) for k in self.HYPER}

    def state_dict(self) -> dict:
        """``{"step": t, "hyper": {name: value}, "arrays": {"<slot>.<param index>": array}}``.

        ``hyper`` holds only JSON-able values; ``arrays`` holds the optimizer's own state arrays
        (no copy, on their device, like :meth:`Module.state_dict`): copy them (as
        :mod:`minigan.checkpoint` does) if you keep stepping afterwards. Slots not yet created
        (before the first step) are absent.
        """
        arrays = {}
        for slot in self.SLOTS:
            for i, a in sorted(self.state[slot].items()):
                arrays[f"{slot}.{i}"] = a
        return {"step": int(self.t), "hyper": self.hyperparameters(), "arrays": arrays}

    def load_state_dict(self, d: dict) -> Optimizer:
        """Restore a :meth:`state_dict`: the step count, the hyperparameters (as PyTorch does)
        and the state arrays, each copied to its parameter's device and dtype.

        Raises ValueError naming the problem for a malformed dict, an unknown slot or
        hyperparameter, a parameter index out of range, or a shape mismatch.
        """
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(d, dict) or not {"step", "hyper", "arrays"} <= set(d):
            got = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise ValueError(f"{who}: expected a dict with keys 'step', 'hyper', 'arrays', got {got}")
        step = d["step"]
        if not is_int(step) or step < 0:
            raise ValueError(f"{who}: 'step' must be an int >= 0, got {step!r}")
        unknown = sorted(set(d["hyper"]) - set(self.HYPER))
        if unknown:
            raise ValueError(f"{who}: unknown hyperparameters {unknown}; {type(self).__name__} has {list(self.HYPER)}")
        new_state: dict[str, dict[int, Any]] = {s: {} for s in self.SLOTS}
        for key, arr in d["arrays"].items():
            slot, _, idx = str(key).rpartition(".")
            if slot not in self.SLOTS or not idx.isdigit():
                raise ValueError(
                    f"{who}: unexpected state key {key!r}; expected '<slot>.<index>' with slot in {list(self.SLOTS)}"
                )
            i = int(idx)
            if i >= len(self.params):
                raise ValueError(
                    f"{who}: state key {key!r} refers to parameter {i}, but this optimizer has "
                    f"{len(self.params)} parameters"
                )
            p = self.params[i]
            if tuple(arr.shape) != p.shape:
                raise ValueError(
                    f"{who}: state {key!r} has shape {tuple(arr.shape)}, but parameter {i} has shape {p.shape}"
                )
            new_state[slot][i] = backend.asarray(arr, backend.device_of(p.data), dtype=p.data.dtype).copy()
        old = self.hyperparameters()
        try:
            for k, v in d["hyper"].items():
                setattr(self, k, v)
            self._check_hyper()
        except (TypeError, ValueError) as exc:
            for k, v in old.items():
                setattr(self, k, v)
            raise ValueError(f"{who}: bad hyperparameters: {exc}") from None
        self.t = int(step)
        self.state = new_state
        return self

    # ------------------------------------------------------------------ helpers
    def _check_hyper(self) -> None:
        """Validate the hyperparameters and store them as floats. Runs in the constructor and
        before every step (so a bad ``opt.lr = ...`` is caught too); subclasses extend it."""
        who = type(self).__name__
        self.lr = check_number(who, "lr", self.lr, 0.0)
        self.weight_decay = check_number(who, "weight_decay", self.weight_decay, 0.0, low_inclusive=True)
        if self.clip_norm is not None:
            self.clip_norm = check_number(who, "clip_norm", self.clip_norm, 0.0)

    def _slot(self, name: str, i: int, p: Parameter):
        """State array ``name`` of parameter ``i``: created as zeros like ``p.data`` on first
        use, and moved to ``p``'s device if the model was moved since."""
        s = self.state[name].get(i)
        if s is None or tuple(s.shape) != p.shape:
            s = backend.get_array_module(p.data).zeros_like(p.data)
        elif s.dtype != p.data.dtype or backend.device_of(s) != backend.device_of(p.data):
            s = backend.asarray(s, backend.device_of(p.data), dtype=p.data.dtype)
        else:
            return s
        self.state[name][i] = s
        return s

    def _flat_slot(self, name: str, flat: FlatParameters):
        """State ``name`` of every parameter as one flat array laid out like ``flat`` (created
        from the per-tensor arrays, zeros where there are none, the first time and whenever the
        buffer was rebuilt or ``state`` replaced, e.g. by :meth:`load_state_dict`);
        ``state[name][i]`` are views into it."""
        per = self.state[name]
        hit = self._flat_state.get(name)
        if hit is not None and hit[0] is flat and hit[1] == flat.version:
            if all(per.get(i) is v for i, v in enumerate(hit[3])):
                return hit[2]
        arrays = [per.get(i) for i in range(len(self.params))]
        arrays = [a if a is not None and tuple(a.shape) == p.shape else None for a, p in zip(arrays, self.params)]
        buf = flat.gather(arrays)
        views = flat.views(buf)
        for i, v in enumerate(views):
            per[i] = v
        self._flat_state[name] = (flat, flat.version, buf, views)
        return buf

    def _update(self, theta, g, slot) -> None:  # pragma: no cover - abstract
        """Update ``theta`` in place from its gradient ``g``; ``slot(name)`` is the state array
        ``name`` of ``theta``'s shape. ``theta`` is one parameter's array (the plain path) or the
        whole flat buffer (the fast path): the same equations serve both."""
        raise NotImplementedError

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum (document 001 §2.8, §2.8.1).

    Parameters
    ----------
    params : Module or list of Parameter
    lr : float > 0
        ``η``.
    momentum : float >= 0
        ``μ``; 0 (default) is plain SGD.
    weight_decay : float >= 0
        L2 penalty added to the gradient (see the module docstring).
    clip_norm : float > 0 or None
    flat : bool
        The flat-buffer fast path (default) or one update per tensor; see :class:`Optimizer`.

    Notes
    -----
    Document 001 §2.8: ``W ← W - η ∂C/∂W``, ``b ← b - η ∂C/∂b`` (the same rule for every
    parameter θ). With momentum (document 001 §2.8.2's "médias móveis", Figure 11), PyTorch's
    form:

        ``v ← μ v + g``,  ``θ ← θ - η v``

    with ``v`` starting at 0 (so the first step is ``v = g``). (Some texts write
    ``v ← μ v + (1 - μ) g``; PyTorch's ``dampening = 0`` form is the one implemented.)
    """

    SLOTS = ("v",)
    HYPER = ("lr", "momentum", "weight_decay", "clip_norm")

    def __init__(
        self,
        params,
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
        flat: bool = True,
    ):
        self.momentum = momentum
        super().__init__(params, lr, weight_decay=weight_decay, clip_norm=clip_norm, flat=flat)

    def _check_hyper(self):
        super()._check_hyper()
        self.momentum = check_number("SGD", "momentum", self.momentum, 0.0, low_inclusive=True)

    def _update(self, theta, g, slot):
        if self.momentum:
            v = slot("v")
            v *= self.momentum
            v += g  # Eq. v = μ v + g
            g = v
        theta -= self.lr * g  # Eq. 001 §2.8: θ = θ - η ∂C/∂θ


class RMSProp(Optimizer):
    """RMSProp (Hinton; document 001 §2.8.2).

    Parameters
    ----------
    params : Module or list of Parameter
    lr : float > 0
        ``η``, default 1e-3.
    beta : float in [0, 1)
        Decay of the moving average of squared gradients, default 0.9 (the document's value;
        PyTorch calls it ``alpha`` and defaults to 0.99).
    eps : float > 0
        Added to ``√S`` in the denominator, default 1e-8 (PyTorch's).
    weight_decay : float >= 0
    clip_norm : float > 0 or None
    flat : bool
        The flat-buffer fast path (default) or one update per tensor; see :class:`Optimizer`.

    Notes
    -----
    Document 001 §2.8.2, for every parameter θ with gradient ``g = ∂C/∂θ``:

        ``S ← β S + (1 - β) g²``  (``g²`` elementwise),   ``θ ← θ - η g / (√S + ε)``

    The document prints the update without any ``ε`` (``θ - η g/√S``), which divides by zero
    wherever a gradient has always been 0; we add ``ε`` after the square root, as PyTorch
    does. Its moving-average subscripts ``S_{∂W^[l-1]}`` mean "S of the previous step", not of
    the previous layer. ``S`` starts at 0.
    """

    SLOTS = ("S",)
    HYPER = ("lr", "beta", "eps", "weight_decay", "clip_norm")

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        beta: float = 0.9,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
        flat: bool = True,
    ):
        self.beta, self.eps = beta, eps
        super().__init__(params, lr, weight_decay=weight_decay, clip_norm=clip_norm, flat=flat)

    def _check_hyper(self):
        super()._check_hyper()
        self.beta = check_number("RMSProp", "beta", self.beta, 0.0, 1.0, low_inclusive=True)
        self.eps = check_number("RMSProp", "eps", self.eps, _EPS_MIN, low_inclusive=True)

    def _update(self, theta, g, slot):
        xp = backend.get_array_module(theta)
        S = slot("S")
        S *= self.beta
        S += (1.0 - self.beta) * (g * g)  # Eq. 001 §2.8.2: S = β S + (1 - β) g²
        theta -= self.lr * g / (xp.sqrt(S) + self.eps)  # Eq. 001 §2.8.2 (+ ε): θ = θ - η g / (√S + ε)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015; document 001 §2.8.3), with bias correction.

    Parameters
    ----------
    params : Module or list of Parameter
    lr : float > 0
        ``η``, default 1e-3 (document 000 §3.2 uses 1e-3; document 003 ch. 3 uses 2e-4 with
        ``beta1 = 0.5``).
    beta1, beta2 : float in [0, 1)
        Decays of the first and second moments, defaults 0.9 and 0.999 (PyTorch's
        ``betas=(beta1, beta2)``).
    eps : float > 0
        Default 1e-8.
    weight_decay : float >= 0
        L2 penalty added to the gradient (PyTorch's Adam, not AdamW).
    clip_norm : float > 0 or None
    flat : bool
        The flat-buffer fast path (default) or one update per tensor; see :class:`Optimizer`.

    Notes
    -----
    Document 001 §2.8.3, for every parameter θ with gradient ``g = ∂C/∂θ`` at step ``t``
    (``t = 1`` at the first step; ``V`` and ``S`` start at 0):

        ``V ← β₁ V + (1 - β₁) g``
        ``S ← β₂ S + (1 - β₂) g²``
        ``V̂ = V / (1 - β₁ᵗ)``,  ``Ŝ = S / (1 - β₂ᵗ)``   (bias correction)
        ``θ ← θ - η V̂ / (√Ŝ + ε)``

    Slips in the document, and what the code does instead:

    - the first-moment line prints ``V = β₁ S + (1 - β₁) ∂W``; ``β₁ V`` is meant (the moving
      average of ``V`` itself);
    - the update prints ``η V̂ / √(Ŝ + ε)``; Kingma & Ba and PyTorch add ``ε`` *after* the
      square root, ``√Ŝ + ε``, which is what we do;
    - the subscripts ``S_{∂W^[l-1]}`` mean "the previous step", not the previous layer.
    """

    SLOTS = ("V", "S")
    HYPER = ("lr", "beta1", "beta2", "eps", "weight_decay", "clip_norm")

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
        flat: bool = True,
    ):
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        super().__init__(params, lr, weight_decay=weight_decay, clip_norm=clip_norm, flat=flat)

    def _check_hyper(self):
        super()._check_hyper()
        self.beta1 = check_number("Adam", "beta1", self.beta1, 0.0, 1.0, low_inclusive=True)
        self.beta2 = check_number("Adam", "beta2", self.beta2, 0.0, 1.0, low_inclusive=True)
        self.eps = check_number("Adam", "eps", self.eps, _EPS_MIN, low_inclusive=True)

    def _update(self, theta, g, slot):
        xp = backend.get_array_module(theta)
        V = slot("V")
        S = slot("S")
        V *= self.beta1
        V += (1.0 - self.beta1) * g  # Eq. 001 §2.8.3 (corrected): V = β₁ V + (1 - β₁) g
        S *= self.beta2
        S += (1.0 - self.beta2) * (g * g)  # Eq. 001 §2.8.3: S = β₂ S + (1 - β₂) g²
        c1 = 1.0 - self.beta1**self.t  # bias corrections (Python floats: no device work)
        c2 = 1.0 - self.beta2**self.t
        denom = xp.sqrt(S) / math.sqrt(c2)  # √Ŝ = √(S / (1 - β₂ᵗ))
        denom += self.eps
        theta -= (self.lr / c1) * V / denom  # Eq. 001 §2.8.3 (ε after √): θ = θ - η V̂ / (√Ŝ + ε)

"""Parameter and Module: the protocol every minigan layer follows (:mod:`minigan.nn.sequential`
chains them).

A layer is a :class:`Module` that knows two things: its ``forward`` and its ``backward``.
There is no autograd graph. A training loop chains the calls explicitly::

    out = model(x)               # forward; each layer caches what its backward needs
    loss_value = loss(out, y)
    dout = loss.backward()       # dC/d(out)
    model.backward(dout)         # returns dC/dx and *adds* dC/dθ into every θ.grad
    opt.step(); opt.zero_grad()

The rule (docs/architecture.md §3): every forward of a module is followed by its own backward before the
next forward of that module.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import backend
from ..checks import check_dout, shape_str
from . import torch_names

__all__ = ["Parameter", "Module", "parameter_list"]


class Parameter:
    """A trainable array with its gradient.

    Attributes
    ----------
    data : ndarray
        The value (NumPy or CuPy array).
    grad : ndarray
        dC/d(data), the same shape and dtype; ``Module.backward`` adds into it and
        ``zero_grad`` clears it.
    flat : FlatParameters or None
        The flat buffer (:mod:`minigan.nn.flat`) whose views ``data`` and ``grad`` were made,
        if an optimizer made one; assigning a new array to ``data`` or ``grad`` is always
        allowed (the buffer notices and is rebuilt when next used).
    """

    __slots__ = ("data", "grad", "flat")

    def __init__(self, data: Any):
        xp = backend.get_array_module(data)
        self.data = data
        self.grad = xp.zeros_like(data)
        self.flat: Any = None

    @property
    def shape(self) -> tuple:
        return tuple(self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self) -> int:
        return int(self.data.size)

    def zero_grad(self) -> None:
        self.grad[...] = 0

    # A copy (copy.deepcopy, pickle) is a parameter of its own: its arrays are new, so it belongs to
    # no flat buffer, whatever the original belonged to.
    def __getstate__(self) -> dict:
        return {"data": self.data, "grad": self.grad}

    def __setstate__(self, state: dict) -> None:
        self.data, self.grad, self.flat = state["data"], state["grad"], None

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.dtype}, device={backend.device_of(self.data)})"


class Module:
    """Base class of every layer and model.

    Subclasses set entries of ``self.params`` (name -> :class:`Parameter`) and of
    ``self.buffers`` (name -> array that is state but not trained, e.g. BatchNorm running
    statistics), and implement ``forward(x)`` and ``backward(dout)``.

    Every ``forward`` records the shape, dtype and device of its output, however it is called
    (``m(x)`` or ``m.forward(x)``, as the lessons do): :meth:`__init_subclass__` wraps each
    subclass's ``forward`` once, at class creation, in :func:`_recording`. Every layer's
    ``backward`` begins with ``self._check_dout(dout)``, which refuses a ``backward`` before
    any ``forward``, and a ``dout`` of another shape or device than that output: a
    wrong-shaped upstream gradient would otherwise broadcast into silently wrong numbers.
    ``backward`` itself is not wrapped: a debugger steps straight into the layer's own code.
    """

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        fwd = cls.__dict__.get("forward")
        if fwd is not None and not getattr(fwd, "_records_output", False):
            cls.forward = _recording(fwd)  # type: ignore[method-assign]

    def __init__(self) -> None:
        self.params: OrderedDict[str, Parameter] = OrderedDict()
        self.buffers: OrderedDict[str, Any] = OrderedDict()
        self.training: bool = True
        self._out_shape: tuple | None = None
        self._out_dtype: Any = None
        self._out_device: str | None = None
        self._forwarded = False  # set by every forward (Module._record_output)

    # ---------------------------------------------------------------- computation
    def forward(self, x):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, dout):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    # Two partial backward passes for what a training step does not need (docs/architecture.md §3).
    # The plain versions below call backward; Dense, Conv2D, Conv2DTranspose and Sequential
    # (and Conditional, backward_input) override them with fast paths that skip the GEMMs whose
    # result would be thrown away, and tests/test_module.py asserts in float64 that both agree
    # exactly with backward.
    def backward_params(self, dout) -> None:
        """``backward(dout)`` when the input needs no gradient: adds ``∂C/∂θ`` into every
        ``θ.grad`` exactly as :meth:`backward` does and returns None.

        The discriminator's step back-propagates into its weights only: the real and the fake
        images are data (PyTorch skips the gradient of a tensor that does not require one)."""
        self.backward(dout)

    def backward_input(self, dout):
        """``backward(dout)``'s return value, the input's gradient, leaving every ``θ.grad``
        as it was.

        The generator's step back-propagates through the frozen discriminator, whose weight
        gradients would be discarded. The plain path saves the gradients, runs
        :meth:`backward` and writes them back."""
        saved = [(p, p.grad.copy()) for p in self.parameters()]
        dx = self.backward(dout)
        for p, g in saved:
            p.grad[...] = g
        return dx

    def __call__(self, x, *args, **kwargs):
        """``forward(x, ...)`` (which records its output for :meth:`_check_dout`)."""
        return self.forward(x, *args, **kwargs)

    def _record_output(self, out) -> None:
        """Remember what ``backward``'s ``dout`` must match: the output's shape, dtype and
        device (None for an output that is not an array). Called by every ``forward``."""
        shape = getattr(out, "shape", None)
        self._out_shape = tuple(shape) if shape is not None else None
        self._out_dtype = getattr(out, "dtype", None)
        self._out_device = backend.device_of(out) if shape is not None else None
        self._forwarded = True

    def _label(self) -> str:
        """How error messages name this module (its repr; a container shortens it)."""
        return repr(self)

    def _check_dout(self, dout) -> None:
        """Refuse a ``backward`` before any ``forward`` (RuntimeError), and a ``dout`` that is
        not an array, not of a real floating dtype, on another device or of another shape than
        the latest forward's output (TypeError/ValueError naming the module). The first line of
        every layer's ``backward``: a wrong-shaped upstream gradient would otherwise broadcast
        into silently wrong numbers, a complex one give complex gradients."""
        if not getattr(self, "_forwarded", False):
            raise RuntimeError(
                f"{self._label()}.backward called before forward: run out = m(x) (or m.forward(x)) "
                f"first; backward needs what the forward cached"
            )
        check_dout(self._label(), dout, getattr(self, "_out_shape", None), getattr(self, "_out_device", None))

    # ---------------------------------------------------------------- attribute access
    # Parameters and buffers are also attributes (docs/architecture.md §3), PyTorch-style:
    #   dense.W            -> the Parameter params["W"] (so dense.W.data and dense.W.grad work,
    #                         as torch's linear.weight is a Parameter)
    #   bn.running_mean    -> the array buffers["running_mean"] (a buffer is a plain array)
    #   dense.W = array    -> params["W"].data = array, cast to the parameter's dtype and moved
    #                         to its device (as load_state_dict does); the shape must match and
    #                         the array must be floating, else a ValueError/TypeError naming it.
    #                         A Parameter of the same shape replaces the entry itself.
    #   bn.running_mean = array -> buffers["running_mean"], with the same checks.
    # Only names already in params/buffers are redirected; everything else is an ordinary
    # attribute. __getattr__ runs only when normal lookup fails and reads self.__dict__
    # directly, so a half-built object (inside __init__, copy, pickle) never recurses.
    def __getattr__(self, name: str):
        d = self.__dict__
        if name in d.get("params", ()):
            return d["params"][name]
        if name in d.get("buffers", ()):
            return d["buffers"][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params, buffers = d.get("params", {}), d.get("buffers", {})
        if name in params or name in buffers:
            cur = params[name].data if name in params else buffers[name]
            where = f"{type(self).__name__}.{name}"
            if isinstance(value, Parameter):
                if name not in params:
                    raise TypeError(f"{where} is a buffer: assign an array, not a Parameter")
                if value.shape != tuple(cur.shape):
                    raise ValueError(f"{where}: expected shape {shape_str(cur.shape)}, got {shape_str(value.shape)}")
                params[name] = value
                return
            if not (hasattr(value, "shape") and hasattr(value, "dtype")):
                raise TypeError(f"{where} must be set to an array, got {type(value).__name__}")
            if tuple(value.shape) != tuple(cur.shape):
                raise ValueError(f"{where}: expected shape {shape_str(cur.shape)}, got {shape_str(value.shape)}")
            if not np.issubdtype(np.dtype(value.dtype), np.floating):
                raise TypeError(f"{where}: expected a floating array, got dtype {value.dtype}")
            arr = backend.asarray(value, backend.device_of(cur), dtype=cur.dtype)
            if name in params:
                params[name].data = arr
            else:
                buffers[name] = arr
            return
        object.__setattr__(self, name, value)

    def __dir__(self):
        d = self.__dict__
        return sorted(set(super().__dir__()) | set(d.get("params", ())) | set(d.get("buffers", ())))

    # ---------------------------------------------------------------- tree
    def children(self) -> list[Module]:
        """Direct sub-modules (empty for a plain layer)."""
        return []

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for i, child in enumerate(self.children()):
            yield from child.named_modules(f"{prefix}{i}.")

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, Parameter)`` of the whole tree, in a stable order."""
        for name, p in self.params.items():
            yield prefix + name, p
        for i, child in enumerate(self.children()):
            yield from child.named_parameters(f"{prefix}{i}.")

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        for name, b in self.buffers.items():
            yield prefix + name, b
        for i, child in enumerate(self.children()):
            yield from child.named_buffers(f"{prefix}{i}.")

    def parameters(self) -> list[Parameter]:
        """Every Parameter of the module tree, in a stable order."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    def zero_grad(self) -> None:
        ps = self.parameters()
        flat = ps[0].flat if ps else None
        if flat is not None and flat.holds(ps) and flat.intact():  # fast path: one flat buffer (nn/flat.py)
            flat.grad[...] = 0
            return
        for p in ps:
            p.zero_grad()

    # ---------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout drops, BatchNorm uses batch statistics). Returns self."""
        for _, m in self.named_modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (Dropout is the identity, BatchNorm uses running statistics)."""
        return self.train(False)

    # ---------------------------------------------------------------- device / dtype
    def _map_arrays(self, fn) -> None:
        for _, m in self.named_modules():
            for p in m.params.values():
                p.data = fn(p.data)
                p.grad = fn(p.grad)
            for k in list(m.buffers):
                m.buffers[k] = fn(m.buffers[k])

    def to(self, device: str) -> Module:
        """Move every parameter, gradient and buffer to ``device`` (``"cpu"`` or ``"gpu"``).

        Raises :class:`minigan.backend.DeviceError` with the reason when the GPU is not
        available. Returns self.
        """
        backend.get_backend(device)  # fail early and clearly
        self._map_arrays(lambda a: backend.asarray(a, device))
        return self

    def astype(self, dtype) -> Module:
        """Cast every parameter, gradient and floating buffer to ``dtype`` (e.g. float64 for
        gradient checks). Returns self."""

        def cast(a):
            return a.astype(dtype) if np.issubdtype(a.dtype, np.floating) else a

        self._map_arrays(cast)
        return self

    # ---------------------------------------------------------------- state
    def state_dict(self, naming: str = "minigan") -> OrderedDict[str, Any]:
        """name -> array for every parameter and buffer (BatchNorm running stats included).

        The arrays are the module's own (no copy); :mod:`minigan.checkpoint` copies them to
        the host when saving. ``naming="torch"`` gives PyTorch's names and order instead
        (``"0.weight"``, ``"2.running_mean"``, ``"2.num_batches_tracked"``; see
        :mod:`minigan.nn.torch_names`), which ``torch_model.load_state_dict`` accepts.
        """
        if naming == "torch":
            return torch_names.torch_state_dict(self)
        if naming != "minigan":
            raise ValueError(f"{type(self).__name__}.state_dict: naming must be 'minigan' or 'torch', got {naming!r}")
        d = OrderedDict()
        for name, p in self.named_parameters():
            d[name] = p.data
        for name, b in self.named_buffers():
            d[name] = b
        return d

    def load_state_dict(self, state: dict, strict: bool = True) -> Module:
        """Copy arrays from ``state`` into this module's parameters and buffers.

        Arrays go to the device and dtype of the module's current ones. A shape mismatch, or
        a value that is not an array, raises ValueError naming the key (a bool, complex or
        non-numeric array a TypeError); with ``strict`` (the default) so does a missing or
        unexpected key, and without it such keys are skipped. All or nothing: every value is
        checked before the first is assigned, so a refused dict leaves the module as it was.
        PyTorch-named dicts are accepted too (``"0.weight"``, ``"2.num_batches_tracked"``,
        values as torch tensors): :func:`minigan.nn.torch_names.from_torch_names` renames them.
        """
        who = f"{type(self).__name__}.load_state_dict"
        state = torch_names.from_torch_names(self, state)
        own_p = dict(self.named_parameters())
        own_b = {}
        for prefix, m in self.named_modules():
            for k in m.buffers:
                own_b[prefix + k] = (m, k)
        if strict:
            missing = [k for k in list(own_p) + list(own_b) if k not in state]
            unexpected = [k for k in state if k not in own_p and k not in own_b]
            if missing or unexpected:
                raise ValueError(f"{who}: missing keys {missing}, unexpected keys {unexpected}")
        # All or nothing: every value is checked and converted first, then all are assigned.
        new_p: list[tuple[Parameter, Any]] = []
        new_b: list[tuple[Module, str, Any]] = []
        for k, v in state.items():
            if k not in own_p and k not in own_b:
                continue
            if not (hasattr(v, "shape") and hasattr(v, "dtype")):
                raise ValueError(f"{who}: {k} must be an array, got {type(v).__name__}")
            if getattr(v.dtype, "kind", None) not in ("f", "i", "u"):
                raise TypeError(f"{who}: {k} must hold real numbers, got dtype {v.dtype}")
            cur = own_p[k].data if k in own_p else own_b[k][0].buffers[own_b[k][1]]
            if tuple(v.shape) != tuple(cur.shape):
                raise ValueError(f"{who}: {k} expected shape {tuple(cur.shape)}, got {tuple(v.shape)}")
            arr = backend.asarray(v, backend.device_of(cur), dtype=cur.dtype).copy()
            if k in own_p:
                new_p.append((own_p[k], arr))
            else:
                new_b.append((*own_b[k], arr))
        for p, arr in new_p:
            p.data = arr
        for m, name, arr in new_b:
            m.buffers[name] = arr
        return self

    # ---------------------------------------------------------------- description
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def output_shape(self, input_shape: tuple) -> tuple:
        """Shape of the output (without the batch axis) for an input of ``input_shape``
        (without the batch axis). The default runs a forward pass on one zero sample."""
        p = next(iter(self.parameters()), None)
        xp = backend.get_array_module(p.data) if p is not None else np
        dtype = p.data.dtype if p is not None else np.float32
        modes = [(m, m.training) for _, m in self.named_modules()]
        self.eval()
        try:
            y = self.forward(xp.zeros((1,) + tuple(input_shape), dtype=dtype))
        finally:
            for m, was in modes:  # each sub-module gets its own mode back
                m.training = was
        return tuple(int(s) for s in y.shape[1:])

    def _summary_rows(self, input_shape: tuple) -> list[tuple[str, tuple, int]]:
        return [(repr(self), self.output_shape(input_shape), sum(p.size for p in self.params.values()))]

    def summary(self, input_shape, print_fn=print) -> list[tuple[str, tuple, int]]:
        """Print a Keras-like table (layer, output shape, parameters) and the total.

        Parameters
        ----------
        input_shape : tuple of int
            One sample's shape, without the batch axis (e.g. ``(1, 28, 28)``).
        print_fn : callable
            Where the lines go (``print`` by default; pass ``None`` to print nothing).

        Returns
        -------
        list of (layer, output shape, parameter count)
        """
        if isinstance(input_shape, int):
            input_shape = (input_shape,)
        input_shape = tuple(int(s) for s in input_shape)
        rows = self._summary_rows(input_shape)
        if print_fn is not None:
            w0 = max([len("Layer")] + [len(r[0]) for r in rows]) + 2
            w1 = max([len("Output shape")] + [len(shape_str(("N",) + r[1])) for r in rows]) + 2
            line = "-" * (w0 + w1 + 12)
            print_fn(line)
            print_fn(f"{'Layer':<{w0}}{'Output shape':<{w1}}{'Param #':>12}")
            print_fn("=" * len(line))
            for name, shape, n in rows:
                print_fn(f"{name:<{w0}}{shape_str(('N',) + shape):<{w1}}{n:>12,}")
            print_fn("=" * len(line))
            total = self.num_parameters()
            print_fn(f"Total params: {total:,}")
            print_fn(line)
        return rows


def _recording(forward):
    """``forward`` that also records its output (:meth:`Module._record_output`), so that the
    next ``backward`` can check its ``dout`` whether the layer was called as ``m(x)`` or as
    ``m.forward(x)``. ``inspect.getsource(Layer.forward)`` still shows the layer's own code
    (``__wrapped__``)."""

    @functools.wraps(forward)
    def forward_and_record(self, *args, **kwargs):
        out = forward(self, *args, **kwargs)
        self._record_output(out)
        return out

    forward_and_record._records_output = True  # type: ignore[attr-defined]
    return forward_and_record


def parameter_list(params, who: str) -> list[Parameter]:
    """``params`` as a list of Parameters: a Module gives ``module.parameters()``, one
    Parameter a list of it, an iterable its items (each must be a Parameter). ``who`` names
    the caller in the TypeError (an optimizer, ``clip_grad_norm``)."""
    if isinstance(params, Module):
        params = params.parameters()
    elif isinstance(params, Parameter):
        params = [params]
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"{who}: params must be a Module or a list of Parameters, got {type(params).__name__}"
        ) from None
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(
                f"{who}: params[{i}] must be a minigan Parameter, got {type(p).__name__}"
                + (" (pass model.parameters() or the model itself)" if hasattr(p, "shape") else "")
            )
    return params

"""to_torch and from_torch: a minigan module as the equivalent ``torch.nn`` module and back
(see :mod:`minigan.interop` for the table of layers). PyTorch is imported inside the functions."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..nn.activations import ELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from ..nn.conv import Conv2D, Conv2DTranspose, same_padding
from ..nn.layers import BatchNorm, Dense, Dropout, Flatten, Reshape
from ..nn.module import Module
from ..nn.pooling import AvgPool2D, MaxPool2D
from ..nn.recurrent import LSTM, RNN
from ..nn.sequential import Sequential
from ..nn.torch_names import as_array, param_renames

__all__ = ["to_torch", "from_torch", "torch_classes"]


# ---------------------------------------------------------------------------- torch side
def _torch():
    try:
        import torch
    except ImportError as e:
        raise ImportError("minigan.interop needs PyTorch for this: pip install torch") from e
    return torch


_CLASSES: dict = {}


def torch_classes() -> dict:
    """The torch.nn subclasses minigan needs, defined once PyTorch is imported. They are also
    attributes of this module and of :mod:`minigan.interop` (``minigan.interop.Conv2dSame`` ...),
    so that pickling finds them."""
    if _CLASSES:
        return _CLASSES
    torch = _torch()
    nn: Any = torch.nn  # Any: torch is imported at run time, and nn.Conv2d etc. are base classes below
    F = torch.nn.functional

    class Conv2dSame(nn.Conv2d):
        """nn.Conv2d with TensorFlow/Keras ``padding="same"`` for any stride: output
        ``⌈in / stride⌉``, the odd extra padding bottom/right (computed at each call)."""

        def forward(self, x):
            (pt, pb), (pl, pr) = (same_padding(n, k, s) for n, k, s in zip(x.shape[2:], self.kernel_size, self.stride))
            return F.conv2d(F.pad(x, (pl, pr, pt, pb)), self.weight, self.bias, self.stride)

    class ConvTranspose2dSame(nn.ConvTranspose2d):
        """nn.ConvTranspose2d with TensorFlow/Keras ``padding="same"``: output ``in·stride``,
        the full result cropped by ``k − s`` (odd extra bottom/right) or, for ``k < s``,
        zero rows/columns added bottom/right (then the bias)."""

        def forward(self, x):
            y = F.conv_transpose2d(x, self.weight, None, self.stride)
            H, W = x.shape[2] * self.stride[0], x.shape[3] * self.stride[1]
            (th, tw) = (max(k - s, 0) // 2 for k, s in zip(self.kernel_size, self.stride))
            y = y[:, :, th : th + H, tw : tw + W]
            y = F.pad(y, (0, W - y.shape[3], 0, H - y.shape[2]))
            return y if self.bias is None else y + self.bias.view(1, -1, 1, 1)

    class RNNOutput(nn.RNN):
        """nn.RNN that returns only the output sequence (so it can sit in an nn.Sequential)."""

        def forward(self, x, hx=None):
            return super().forward(x, hx)[0]

    class LSTMOutput(nn.LSTM):
        """nn.LSTM that returns only the output sequence (so it can sit in an nn.Sequential)."""

        def forward(self, x, hx=None):
            return super().forward(x, hx)[0]

    for cls in (Conv2dSame, ConvTranspose2dSame, RNNOutput, LSTMOutput):
        cls.__module__, cls.__qualname__ = __name__, cls.__name__
        _CLASSES[cls.__name__] = cls
        globals()[cls.__name__] = cls
        setattr(_package(), cls.__name__, cls)
    return _CLASSES


def _package():
    import sys

    return sys.modules[__name__.rpartition(".")[0]]


def _tensor(a, torch):
    return torch.from_numpy(np.array(backend.as_numpy(a), copy=True))


def _load_into(tm, m: Module, torch) -> None:
    """Copy ``m``'s parameters and buffers into torch module ``tm`` (same dtype)."""
    table = param_renames(m)
    with torch.no_grad():
        for k, p in m.params.items():
            getattr(tm, table.get(k, k)).data = _tensor(p.data, torch)
        for k, b in m.buffers.items():
            getattr(tm, table.get(k, k)).data = _tensor(b, torch)


def _spatial_after(m: Module, spatial):
    """Is a layer's output an image (N, C, H, W)? True/False, or ``spatial`` when it keeps it."""
    if isinstance(m, (Conv2D, Conv2DTranspose, MaxPool2D, AvgPool2D)):
        return True
    if isinstance(m, (Dense, Flatten, RNN, LSTM)):
        return False
    if isinstance(m, Reshape):
        return {3: True, 1: False}.get(len(m.shape))
    if isinstance(m, Sequential):
        for layer in m:
            spatial = _spatial_after(layer, spatial)
    return spatial


def _spatial_before(layers, i: int, spatial):
    """Decide whether BatchNorm ``layers[i]`` sees (N, C, H, W), from the layers around it."""
    if spatial is not None:
        return spatial
    for m in layers[i + 1 :]:  # nothing before it decides: the next layer that does
        if isinstance(m, (Conv2D, Conv2DTranspose, MaxPool2D, AvgPool2D, Flatten)):
            return True
        if isinstance(m, (Dense, RNN, LSTM, Reshape)):
            return False
    return None


def to_torch(module: Module, input_ndim: int | None = None):
    """The equivalent ``torch.nn`` module, with the same weights and buffers (copies).

    Parameters
    ----------
    module : Module
        A minigan layer or Sequential (on the CPU or the GPU; torch gets CPU tensors of the
        same dtype). The training/eval mode is carried over.
    input_ndim : 2 or 4, optional
        The number of dimensions of the model's input. Only needed when a BatchNorm's input
        (``(N, C)`` → BatchNorm1d or ``(N, C, H, W)`` → BatchNorm2d) cannot be told from the
        layers around it, e.g. for a lone BatchNorm.
    """
    torch = _torch()
    if input_ndim not in (None, 2, 4):
        raise ValueError(f"to_torch: input_ndim must be 2, 4 or None, got {input_ndim!r}")
    spatial = None if input_ndim is None else input_ndim == 4
    tm = _convert(module, torch, spatial, top=True)
    tm.train(module.training)
    return tm


def _convert(m: Module, torch, spatial, top=False):
    nn, C = torch.nn, torch_classes()
    if isinstance(m, Sequential):
        out = []
        for i, layer in enumerate(m):
            if isinstance(layer, BatchNorm):
                out.append(_convert_bn(layer, torch, _spatial_before(m.layers, i, spatial)))
            else:
                out.append(_convert(layer, torch, spatial))
            spatial = _spatial_after(layer, spatial)
        tm = nn.Sequential(*out)
        for t, layer in zip(tm, m):
            t.train(layer.training)
        return tm
    dtype = next((getattr(torch, str(p.dtype)) for p in m.params.values()), None)
    kw = {} if dtype is None else {"dtype": dtype}
    bias = "b" in m.params or "b_ih" in m.params
    if isinstance(m, Dense):
        tm = nn.Linear(m.in_features, m.out_features, bias=bias, **kw)
    elif isinstance(m, Conv2D):
        if m.padding == "same" and m.stride == (1, 1):
            tm = nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, 1, "same", bias=bias, **kw)
        elif m.padding == "same":
            tm = C["Conv2dSame"](m.in_channels, m.out_channels, m.kernel_size, m.stride, 0, bias=bias, **kw)
        else:
            tm = nn.Conv2d(
                m.in_channels,
                m.out_channels,
                m.kernel_size,
                m.stride,
                0 if m.padding == "valid" else m.padding,
                bias=bias,
                **kw,
            )
    elif isinstance(m, Conv2DTranspose):
        if m.padding == "same":
            tm = C["ConvTranspose2dSame"](m.in_channels, m.out_channels, m.kernel_size, m.stride, 0, bias=bias, **kw)
        else:
            tm = nn.ConvTranspose2d(
                m.in_channels,
                m.out_channels,
                m.kernel_size,
                m.stride,
                (0, 0) if m.padding == "valid" else m.padding,
                m.output_padding,
                bias=bias,
                **kw,
            )
    elif isinstance(m, BatchNorm):
        return _convert_bn(m, torch, spatial)
    elif isinstance(m, (RNN, LSTM)):
        if isinstance(m, RNN) and m.nonlinearity not in ("tanh", "relu"):
            raise TypeError(f"to_torch: {m!r}: torch.nn.RNN has no nonlinearity {m.nonlinearity!r}")
        extra = {"nonlinearity": m.nonlinearity} if isinstance(m, RNN) else {}
        cls = (
            (nn.RNN if isinstance(m, RNN) else nn.LSTM)
            if top
            else (C["RNNOutput"] if isinstance(m, RNN) else C["LSTMOutput"])
        )
        tm = cls(m.input_size, m.hidden_size, bias=bias, batch_first=True, **extra, **kw)
    elif isinstance(m, (MaxPool2D, AvgPool2D)):
        tm = (nn.MaxPool2d if isinstance(m, MaxPool2D) else nn.AvgPool2d)(m.kernel_size, m.stride)
    elif isinstance(m, Dropout):
        tm = nn.Dropout(m.p)
    elif isinstance(m, Flatten):
        tm = nn.Flatten()
    elif isinstance(m, Reshape):
        tm = nn.Unflatten(1, m.shape)
    elif isinstance(m, LeakyReLU):
        tm = nn.LeakyReLU(m.alpha)
    elif isinstance(m, ELU):
        tm = nn.ELU(m.alpha)
    elif isinstance(m, Softmax):
        tm = nn.Softmax(dim=m.axis)
    elif type(m) in _SIMPLE:
        tm = getattr(nn, _SIMPLE[type(m)])()
    else:
        raise TypeError(f"to_torch: no PyTorch equivalent for {type(m).__name__} ({m!r})")
    _load_into(tm, m, torch)
    return tm


_SIMPLE: dict[type[Module], str] = {ReLU: "ReLU", Sigmoid: "Sigmoid", Tanh: "Tanh"}


def _convert_bn(m: BatchNorm, torch, spatial):
    if spatial is None:
        raise ValueError(
            f"to_torch: cannot tell whether {m!r} sees (N, C) or (N, C, H, W) inputs; pass input_ndim=2 or input_ndim=4"
        )
    cls = torch.nn.BatchNorm2d if spatial else torch.nn.BatchNorm1d
    tm = cls(m.num_features, eps=m.eps, momentum=m.momentum, dtype=getattr(torch, str(m.params["gamma"].dtype)))
    _load_into(tm, m, torch)
    return tm


# ---------------------------------------------------------------------------- torch -> minigan
_SUPPORTED = (
    "Sequential, Linear, Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, BatchNorm1d, "
    "BatchNorm2d, Dropout, ReLU, LeakyReLU, Sigmoid, Tanh, ELU, Softmax, Flatten, "
    "Unflatten, RNN, LSTM"
)


def _require(ok: bool, tm, what: str) -> None:
    if not ok:
        raise TypeError(f"from_torch: {tm!r} is not supported: {what}")


def _check_tensors(tm, torch) -> None:
    """Refuse, naming the layer and the tensor, what NumPy cannot hold: a tensor on PyTorch's
    ``meta`` device (a shape without data) and a ``bfloat16`` one (no NumPy dtype); the raw
    errors of ``tensor.numpy()`` name neither."""
    for kind, items in (("parameter", tm.named_parameters()), ("buffer", tm.named_buffers())):
        for tname, t in items:
            layer, _, leaf = tname.rpartition(".")
            owner = tm.get_submodule(layer) if layer else tm
            where = f"from_torch: {type(owner).__name__} {layer or '(top)'}: {kind} {leaf!r}"
            if t.is_meta or t.device.type == "meta":
                raise ValueError(
                    f"{where} is on the 'meta' device: the model has no data (shapes only); build it on "
                    f"the CPU or load its weights first (e.g. model.to_empty(device='cpu') then load_state_dict)"
                )
            if t.dtype == torch.bfloat16:
                raise TypeError(
                    f"{where} is bfloat16, which NumPy (so minigan) has no dtype for; convert the model "
                    f"with model.float() first (lossless: a bfloat16 is the upper half of a float32)"
                )
            if t.is_complex():
                raise TypeError(f"{where} is {t.dtype}; minigan's layers hold real numbers")


def from_torch(torch_module) -> Module:
    """The equivalent minigan module of a ``torch.nn`` module, with the same weights and
    buffers (copies, same dtype, on the CPU) and the same training/eval mode.

    Supported: the layers :func:`to_torch` produces (see the module docstring). Anything
    else raises a TypeError naming the torch layer (e.g. ``torch.nn.GRU``) and what is
    supported. A model with bfloat16 tensors is a TypeError (convert it with ``.float()``
    first), one on the ``meta`` device (no data) a ValueError, each naming the layer.
    """
    torch = _torch()
    nn, C = torch.nn, torch_classes()
    tm = torch_module
    if not isinstance(tm, nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got {type(tm).__name__}")
    _check_tensors(tm, torch)
    name = f"{type(tm).__module__}.{type(tm).__name__}"
    dtype = next((p.detach().cpu().numpy().dtype for p in tm.parameters()), np.float32)

    def copy_into(m):
        table = param_renames(m)
        for k in m.params:
            m.params[k].data = as_array(getattr(tm, table.get(k, k))).astype(dtype, copy=True)
        for k in list(m.buffers):
            m.buffers[k] = as_array(getattr(tm, table.get(k, k))).astype(dtype, copy=True)
        m.train(tm.training)
        return m

    if isinstance(tm, nn.Sequential):
        m = Sequential(*[from_torch(t) for t in tm])
        m.training = tm.training
        return m
    if type(tm) is nn.Linear:
        return copy_into(Dense(tm.in_features, tm.out_features, bias=tm.bias is not None, dtype=dtype))
    if isinstance(tm, (nn.Conv2d, nn.ConvTranspose2d)) and type(tm) in (
        nn.Conv2d,
        nn.ConvTranspose2d,
        C["Conv2dSame"],
        C["ConvTranspose2dSame"],
    ):
        _require(
            tm.groups == 1 and tuple(tm.dilation) == (1, 1) and tm.padding_mode == "zeros",
            tm,
            "minigan's convolutions have groups=1, dilation=1, zero padding",
        )
        transposed = isinstance(tm, nn.ConvTranspose2d)
        if type(tm) in (C["Conv2dSame"], C["ConvTranspose2dSame"]):
            padding: str | tuple[int, ...] = "same"
        else:
            padding = tm.padding if isinstance(tm.padding, str) else tuple(tm.padding)
        kw = dict(stride=tuple(tm.stride), padding=padding, bias=tm.bias is not None, dtype=dtype)
        if transposed:
            return copy_into(
                Conv2DTranspose(
                    tm.in_channels,
                    tm.out_channels,
                    tuple(tm.kernel_size),
                    output_padding=tuple(tm.output_padding),
                    **kw,
                )
            )
        return copy_into(Conv2D(tm.in_channels, tm.out_channels, tuple(tm.kernel_size), **kw))
    if type(tm) in (nn.BatchNorm1d, nn.BatchNorm2d):
        _require(
            tm.affine and tm.track_running_stats and tm.momentum is not None,
            tm,
            "minigan's BatchNorm has affine=True, track_running_stats=True and a momentum",
        )
        bn = BatchNorm(tm.num_features, momentum=tm.momentum, eps=tm.eps, dtype=dtype)
        return copy_into(bn)
    if type(tm) in (nn.RNN, nn.LSTM, C["RNNOutput"], C["LSTMOutput"]):
        _require(
            tm.num_layers == 1
            and not tm.bidirectional
            and tm.batch_first
            and tm.dropout == 0
            and getattr(tm, "proj_size", 0) == 0,
            tm,
            "minigan's RNN/LSTM is one layer, one direction, batch_first=True, no projection",
        )
        if isinstance(tm, nn.LSTM):
            return copy_into(LSTM(tm.input_size, tm.hidden_size, bias=tm.bias, dtype=dtype))
        return copy_into(RNN(tm.input_size, tm.hidden_size, nonlinearity=tm.nonlinearity, bias=tm.bias, dtype=dtype))
    if type(tm) in (nn.MaxPool2d, nn.AvgPool2d):
        pad = tm.padding if isinstance(tm.padding, tuple) else (tm.padding, tm.padding)
        ok = pad == (0, 0) and not tm.ceil_mode
        if isinstance(tm, nn.MaxPool2d):
            ok = ok and tm.dilation in (1, (1, 1)) and not tm.return_indices
        else:
            ok = ok and tm.divisor_override is None
        _require(ok, tm, "minigan's pools have no padding, ceil_mode=False, dilation 1")
        pool = MaxPool2D if isinstance(tm, nn.MaxPool2d) else AvgPool2D
        return copy_into(pool(tm.kernel_size, tm.stride))
    if type(tm) is nn.Dropout:
        return copy_into(Dropout(tm.p))
    if type(tm) is nn.Flatten:
        _require(tm.start_dim == 1 and tm.end_dim == -1, tm, "minigan's Flatten keeps axis 0 only")
        return copy_into(Flatten())
    if type(tm) is nn.Unflatten:
        _require(
            tm.dim == 1 and all(isinstance(s, int) for s in tm.unflattened_size),
            tm,
            "minigan's Reshape unflattens axis 1 into a fixed shape",
        )
        return copy_into(Reshape(*tm.unflattened_size))
    if type(tm) is nn.LeakyReLU:
        return copy_into(LeakyReLU(tm.negative_slope))
    if type(tm) is nn.ELU:
        return copy_into(ELU(tm.alpha))
    if type(tm) is nn.Softmax:
        _require(tm.dim is not None, tm, "give nn.Softmax a dim")
        return copy_into(Softmax(axis=tm.dim))
    for cls, tname in _SIMPLE.items():
        if type(tm) is getattr(nn, tname):
            return copy_into(cls())
    raise TypeError(
        f"from_torch: {name} is not supported (no minigan equivalent); supported: "
        f"torch.nn.{_SUPPORTED.replace(', ', ', torch.nn.')}"
    )

"""Moving a model between minigan and PyTorch, and weights in the ecosystem's formats.

minigan's layers follow PyTorch's semantics and weight layouts (docs/architecture.md §3), so a model
converts layer by layer with the same numbers:

- :func:`to_torch` builds the equivalent ``torch.nn`` module with the same weights and
  buffers (train a model here, continue it in PyTorch, e.g. on many GPUs);
- :func:`from_torch` is the reverse (load a PyTorch-trained model into minigan and look
  inside its layers); an unsupported torch layer is named in a TypeError;
- :func:`torch_state_dict` / ``module.state_dict(naming="torch")`` names the arrays as PyTorch
  does (``"0.weight"``, ``"2.running_mean"``, ``"2.num_batches_tracked"``), and
  ``module.load_state_dict`` accepts such a dict (even one of torch tensors);
- :func:`save_safetensors` / :func:`load_safetensors`: ``.safetensors`` files with PyTorch's
  names, loadable by ``torch_model.load_state_dict(safetensors.torch.load_file(path))``
  without minigan. minigan reads and writes the format itself (no ``safetensors`` package
  needed), and validates a file before it changes the model (:mod:`minigan.interop.safetensors_io`);
- :func:`adam_to_torch` / :func:`adam_from_torch`: an Adam optimizer's state (moments ``V``,
  ``S`` ↔ ``exp_avg``, ``exp_avg_sq``, the step count, the hyperparameters), so that a run
  continues on the other side exactly (:mod:`minigan.interop.optim`).

PyTorch is never a dependency: it is imported inside the functions that need it. Naming and
safetensors need no PyTorch at all.

Layer by layer (minigan ↔ torch; parameter names ``W``/``b`` ↔ ``weight``/``bias``):

=========================  ===================================================================
Dense                      nn.Linear
Conv2D                     nn.Conv2d (int/pair/"valid" padding; "same" with stride 1 is torch's
                           ``padding="same"``, which also puts the odd extra bottom/right)
Conv2D "same", stride > 1  :class:`Conv2dSame`, an ``nn.Conv2d`` subclass that pads as
                           TensorFlow/Keras at each call (the padding depends on the input size)
Conv2DTranspose            nn.ConvTranspose2d (int/pair padding, output_padding)
Conv2DTranspose "same"     :class:`ConvTranspose2dSame` (output ``in·stride``; crop/pad as Keras)
MaxPool2D, AvgPool2D       nn.MaxPool2d, nn.AvgPool2d (no padding)
BatchNorm                  nn.BatchNorm1d after Dense/Flatten/a 1-D Reshape, nn.BatchNorm2d after
                           a convolution/pooling/3-D Reshape (``gamma``/``beta`` ↔ ``weight``/``bias``;
                           ``num_batches_tracked``, which minigan does not keep, is exported as 0
                           and ignored on import)
Dropout, ReLU, LeakyReLU,  nn.Dropout, nn.ReLU, nn.LeakyReLU(negative_slope), nn.Sigmoid,
Sigmoid, Tanh, ELU,        nn.Tanh, nn.ELU, nn.Softmax(dim)
Softmax
Flatten, Reshape(*shape)   nn.Flatten(), nn.Unflatten(1, shape) (a Reshape's input is (N, F))
RNN, LSTM                  nn.RNN, nn.LSTM, ``batch_first=True``, one layer (``W_ih`` ↔
                           ``weight_ih_l0`` ...); inside a Sequential :class:`RNNOutput` /
                           :class:`LSTMOutput`, subclasses that return only the output sequence
Sequential                 nn.Sequential (same indices, so the same dotted names)
=========================  ===================================================================

The subclasses (:class:`Conv2dSame`, ...) keep their base class's parameter names, so their
weights load into plain ``nn.Conv2d``/``nn.ConvTranspose2d``/``nn.RNN`` modules too.
"""

from ..nn.torch_names import as_array, from_torch_names, param_renames, torch_state_dict
from .convert import from_torch, to_torch, torch_classes
from .optim import adam_from_torch, adam_to_torch
from .safetensors_io import load_safetensors, save_safetensors

__all__ = [
    "to_torch",
    "from_torch",
    "torch_state_dict",
    "from_torch_names",
    "save_safetensors",
    "load_safetensors",
    "param_renames",
    "as_array",
    "torch_classes",
    "adam_to_torch",
    "adam_from_torch",
]


def __getattr__(name):
    """``minigan.interop.Conv2dSame`` etc.: the torch.nn subclasses, defined on first use."""
    if name in ("Conv2dSame", "ConvTranspose2dSame", "RNNOutput", "LSTMOutput"):
        return torch_classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

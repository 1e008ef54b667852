"""The engine: every layer, loss and optimizer, forward and backward written by hand.

Read it in this order, the order of the course:

- :mod:`~minigan.nn.module` (``Parameter``, ``Module``: the forward/backward contract) and
  :mod:`~minigan.nn.sequential`;
- :mod:`~minigan.nn.init` (the documents' initialisations) and :mod:`~minigan.nn.activations`;
- :mod:`~minigan.nn.layers` (``Dense``, ``Flatten``, ``Reshape``, ``Dropout``, ``BatchNorm``);
- :mod:`~minigan.nn.losses`, :mod:`~minigan.nn.optim` and :mod:`~minigan.nn.clipping`;
- :mod:`~minigan.nn.im2col`, :mod:`~minigan.nn.conv` and :mod:`~minigan.nn.pooling`;
- :mod:`~minigan.nn.recurrent` (``RNN``, ``LSTM``) and :mod:`~minigan.nn.conditional`
  (``Embedding``, ``Concat``, ``Conditional``);
- :mod:`~minigan.nn.torch_names` (PyTorch's names for the same arrays).

Nothing here imports anything above the engine (docs/architecture.md): no GAN, no data set,
no checkpoint file. Every name is also at the top level (``minigan.Dense``).
"""

from . import init
from .activations import ELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .clipping import clip_grad_norm
from .conditional import Concat, Conditional, Embedding
from .conv import Conv2D, Conv2DTranspose
from .layers import BatchNorm, Dense, Dropout, Flatten, Reshape
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss
from .module import Module, Parameter
from .optim import SGD, Adam, Optimizer, RMSProp
from .pooling import AvgPool2D, MaxPool2D
from .recurrent import LSTM, RNN
from .sequential import Sequential

__all__ = [
    "init",
    "Module",
    "Parameter",
    "Sequential",
    "Dense",
    "Flatten",
    "Reshape",
    "Dropout",
    "BatchNorm",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "ELU",
    "Softmax",
    "Loss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "MSELoss",
    "CrossEntropyLoss",
    "Optimizer",
    "SGD",
    "RMSProp",
    "Adam",
    "clip_grad_norm",
    "Conv2D",
    "Conv2DTranspose",
    "MaxPool2D",
    "AvgPool2D",
    "RNN",
    "LSTM",
    "Embedding",
    "Concat",
    "Conditional",
]

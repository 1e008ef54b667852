"""minigan: a from-scratch NumPy deep-learning engine that teaches GANs.

Every layer's forward and backward pass is written by hand, cites the course documents'
equations, and is proven against finite differences by ``python -m minigan.gradcheck``.
The same code runs on a GPU through CuPy (``model.to("gpu")``).

The package reads as its architecture (docs/architecture.md), lowest layer first:
``backend``, ``checks``, ``errors``, ``blas`` and ``files/`` (the foundation); ``nn/`` (the
engine: layers, losses, optimizers); ``models``, ``gradcheck/``, ``interop/`` and ``data/``
(built on the engine); ``checkpoint/``; ``gan/`` (Algorithm 1); ``metrics/``, ``viz`` and
``progress``; ``runner`` and ``train`` (the command-line programs). Every public name is here
at the top level: ``minigan.Dense``, ``minigan.GAN``, ``minigan.load_mnist``.
"""

__version__ = "0.1.0"

from . import (
    _moved,
    backend,
    checkpoint,
    data,
    errors,
    gan,
    gradcheck,
    interop,  # to_torch/from_torch; PyTorch is imported only when they are called
    metrics,
    models,
    nn,
    viz,
)
from .backend import DeviceError, as_numpy, asarray, cupy_available, get_array_module, gpu_available
from .data import ImageFolder, load_digits8x8, load_mnist, ring_of_gaussians
from .gan import GAN, ConditionalGAN, NonFiniteLossError, NonFiniteStateError
from .models import anime_dcgan96, mnist_dcgan, mnist_dense_cgan, mnist_dense_gan, xray_dcgan64
from .nn import init, losses, optim
from .nn.activations import ELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .nn.clipping import clip_grad_norm
from .nn.conditional import Concat, Conditional, Embedding
from .nn.conv import Conv2D, Conv2DTranspose
from .nn.init import manual_seed
from .nn.layers import BatchNorm, Dense, Dropout, Flatten, Reshape
from .nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss
from .nn.module import Module, Parameter
from .nn.optim import SGD, Adam, Optimizer, RMSProp
from .nn.pooling import AvgPool2D, MaxPool2D
from .nn.recurrent import LSTM, RNN
from .nn.sequential import Sequential

__all__ = [
    "backend",
    "errors",
    "gradcheck",
    "nn",
    "init",
    "losses",
    "optim",
    "checkpoint",
    "data",
    "gan",
    "metrics",
    "models",
    "viz",
    "interop",
    "DeviceError",
    "as_numpy",
    "asarray",
    "cupy_available",
    "get_array_module",
    "gpu_available",
    "manual_seed",
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
    "ImageFolder",
    "load_mnist",
    "load_digits8x8",
    "ring_of_gaussians",
    "mnist_dense_gan",
    "mnist_dcgan",
    "xray_dcgan64",
    "anime_dcgan96",
    "mnist_dense_cgan",
    "GAN",
    "ConditionalGAN",
    "NonFiniteLossError",
    "NonFiniteStateError",
]

# The modules that moved into nn/, files/, data/, checkpoint/ and gan/ keep their old names for
# a while: ``minigan.nn.layers`` and ``import minigan.nn.layers`` still give minigan.nn.layers, with a
# DeprecationWarning that names the new path (minigan/_moved.py).
__getattr__ = _moved.module_getattr(__name__)
__dir__ = _moved.module_dir(globals())
_moved.install()

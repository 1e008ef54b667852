"""minigan: a from-scratch NumPy deep-learning engine that teaches GANs.

Every layer's forward and backward pass is written by hand, cites the course documents'
equations, and is proven against finite differences by ``python -m minigan.gradcheck``.
The same code runs on a GPU through CuPy (``model.to("gpu")``).
"""
__version__ = "0.1.0"

from . import backend, init, gradcheck  # noqa: F401
from .backend import get_array_module, asarray, as_numpy, cupy_available, gpu_available, DeviceError  # noqa: F401
from .init import manual_seed  # noqa: F401
from .module import Parameter, Module
from .sequential import Sequential  # noqa: F401
from .layers import Dense, Flatten, Reshape, Dropout, BatchNorm  # noqa: F401
from .activations import ReLU, LeakyReLU, Sigmoid, Tanh, ELU, Softmax  # noqa: F401
from . import losses, optim  # noqa: F401
from .losses import Loss, BCELoss, BCEWithLogitsLoss, MSELoss, CrossEntropyLoss  # noqa: F401
from .optim import Optimizer, SGD, RMSProp, Adam  # noqa: F401
from .clipping import clip_grad_norm  # noqa: F401
# --- convolution and pooling
from .conv import Conv2D, Conv2DTranspose  # noqa: F401
from .pooling import MaxPool2D, AvgPool2D  # noqa: F401
# --- recurrent layers
from .recurrent import RNN, LSTM  # noqa: F401
# --- data, models, GAN loop, checkpoint, metrics, viz
from . import metrics, viz  # noqa: F401
from . import data, models, gan, checkpoint  # noqa: F401
from .data import load_mnist, load_digits8x8, ring_of_gaussians, ImageFolder  # noqa: F401
from .models import mnist_dense_gan, mnist_dcgan, xray_dcgan64, anime_dcgan96  # noqa: F401
from .gan import GAN, NonFiniteLossError, NonFiniteStateError  # noqa: F401
# --- conditioning on a label (conditional GAN)
from .conditional import Embedding, Concat, Conditional  # noqa: F401
from . import cgan  # noqa: F401
from .cgan import ConditionalGAN, mnist_dense_cgan  # noqa: F401
from . import interop  # noqa: F401,E402  (to_torch/from_torch; PyTorch is imported only when they are called)

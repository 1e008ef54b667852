"""The adversarial game: Goodfellow's Algorithm 1 and what it needs around it.

- :mod:`~minigan.gan.gan`: :class:`GAN`, the training loop of document 001 §4.1 (k
  discriminator steps, one generator step; non-saturating or minimax loss; sampling; ``fit``);
- :mod:`~minigan.gan.cgan`: :class:`ConditionalGAN`, the same loop with a label beside every
  input (Mirza & Osindero 2014);
- :mod:`~minigan.gan.selfcond`: :class:`SelfConditionedGAN`, a ConditionalGAN on clusters of the
  training images instead of labels (Liu et al. 2020): unconditional for its user;
- :mod:`~minigan.gan.noise`: the prior p_z (:class:`Prior`), resumable;
- :mod:`~minigan.gan.freeze`: running a module without changing it (``frozen``: D in the G
  step; ``eval_mode``: G when it samples);
- :mod:`~minigan.gan.history`: the loss log, copied to the host in one go and checked for NaN;
- :mod:`~minigan.gan.ema`: an exponential moving average of G's weights;
- :mod:`~minigan.gan.checks`: the checks only a GAN needs (G and D fit together);
- :mod:`~minigan.gan.state`: what a GAN's checkpoint holds, so that a resumed run continues
  exactly (written and read through :mod:`minigan.checkpoint`).
"""

from ..errors import NonFiniteLossError, NonFiniteStateError
from .cgan import ConditionalGAN, grid_labels, mnist_dense_cgan
from .ema import EMA
from .freeze import eval_mode, frozen
from .gan import GAN, HISTORY_KEYS
from .history import LossHistory
from .noise import NOISE_KINDS, Prior
from .selfcond import SelfConditionedGAN

__all__ = [
    "GAN",
    "ConditionalGAN",
    "SelfConditionedGAN",
    "HISTORY_KEYS",
    "NonFiniteLossError",
    "NonFiniteStateError",
    "frozen",
    "eval_mode",
    "EMA",
    "Prior",
    "NOISE_KINDS",
    "LossHistory",
    "grid_labels",
    "mnist_dense_cgan",
]

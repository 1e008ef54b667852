"""Gradient clipping by global norm (document 003 ch. 2's ``tf.clip_by_global_norm``).

Called by hand between ``backward`` and ``opt.step()``, or by every optimizer at the start of
its step when given ``clip_norm`` (:mod:`minigan.nn.optim`).
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..checks import check_number
from .module import parameter_list

__all__ = ["clip_grad_norm"]


def clip_grad_norm(params, max_norm: float):
    """Scale all gradients in place so that their global L2 norm is at most ``max_norm``.

    PyTorch's ``torch.nn.utils.clip_grad_norm_``: with ``total = ‖(g₁, g₂, ...)‖₂`` over every
    element of every gradient, each gradient is multiplied by
    ``min(1, max_norm / (total + 1e-6))``. The direction of the joint gradient is kept; only
    its length is capped. (TensorFlow's ``tf.clip_by_global_norm``, used by document 003
    ch. 2's character LSTM with ``max_norm = 5``.)

    Parameters
    ----------
    params : Module or list of Parameter
    max_norm : float > 0

    Returns
    -------
    total_norm : 0-d array
        The norm *before* clipping, on the gradients' device. The scaling is applied as a
        multiplication by ``min(1, ·)`` rather than an ``if``, so no value is read back to the
        host (call ``float(total_norm)`` to print it).
    """
    params = parameter_list(params, "clip_grad_norm")
    max_norm = check_number("clip_grad_norm", "max_norm", max_norm, 0.0)
    if not params:
        return np.asarray(0.0)
    xp = backend.get_array_module(params[0].grad)
    total_sq = None
    for p in params:
        s = (p.grad * p.grad).sum()
        total_sq = s if total_sq is None else total_sq + s
    total = xp.asarray(xp.sqrt(total_sq))
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)  # clip coefficient, clamped at 1
    for p in params:
        p.grad *= coef.astype(p.grad.dtype)
    return total

"""Running a module without changing it: :func:`frozen` and :func:`eval_mode`.

Algorithm 1 (document 001 §4.1) runs each net in two roles. In the generator's step the
discriminator is a fixed function whose gradient flows back into G ("mantidos fixos", document
001 §6.2.2): :func:`frozen` lets it run forward and backward and then puts its statistics and
gradients back. To make samples, G runs in inference mode (BatchNorm's running statistics, no
Dropout; Keras' ``generator.predict`` in document 003): :func:`eval_mode` switches every
sub-module to evaluation and restores each one's own mode on exit.
"""

from __future__ import annotations

from contextlib import contextmanager

from ..nn.module import Module

__all__ = ["frozen", "eval_mode"]


@contextmanager
def frozen(module: Module):
    """Run ``module`` forward/backward without changing its state.

    Inside the block the module keeps its train/eval mode (BatchNorm normalizes with the batch
    statistics in training mode), but on exit every buffer (BatchNorm ``running_mean`` /
    ``running_var``) is restored to its value on entry, and every parameter gradient is reset
    to its value on entry. Parameters are never changed by a forward/backward pass, so the
    module leaves the block with the parameters, gradients and statistics it entered with
    (a Dropout layer's random generator does move on) — document 001 §6.2.2: during the
    generator's step the discriminator's parameters θ_d are "mantidos fixos".
    """
    saved_buffers = []
    for _, m in module.named_modules():
        for k, v in m.buffers.items():
            saved_buffers.append((m, k, v.copy()))
    saved_grads = [(p, p.grad.copy()) for p in module.parameters()]
    try:
        yield module
    finally:
        for m, k, v in saved_buffers:
            m.buffers[k] = v
        for p, g in saved_grads:
            p.grad[...] = g


@contextmanager
def eval_mode(module: Module, on: bool = True):
    """Run ``module`` in evaluation mode inside the block (when ``on``; otherwise leave it as it
    is) and give every sub-module back its own ``training`` flag on exit."""
    if not isinstance(module, Module):
        raise TypeError(f"eval_mode: module must be a minigan Module, got {type(module).__name__}")
    if not on:  # nothing to switch or restore (GAN's D step takes this path every step by default)
        yield module
        return
    was = [(m, m.training) for _, m in module.named_modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, t in was:
            m.training = t

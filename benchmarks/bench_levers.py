"""What each fast path of minigan's GAN step buys: the step with the levers switched on one by one,
all in one process, interleaved step by step with PyTorch's step.

    python benchmarks/bench_levers.py                        # both models, 1 thread, 20 repeats
    python benchmarks/bench_levers.py --threads 2 --only dense --repeats 30

The rows, each adding one lever to the row above (the last row is minigan as it is):

- ``before``: every fast path off, i.e. the step as it was: full ``backward`` passes, one
  optimizer update per tensor, and the in-place lines below written with temporaries;
- ``+skip``: ``backward_params`` / ``backward_input`` (docs/architecture.md §3): no input
  gradient of the images or of z, no weight gradients of the frozen D;
- ``+flat``: the optimizers over one flat parameter buffer (minigan/nn/flat.py), in one pass;
- ``+chunk``: that pass in cache-sized chunks (``minigan.nn.optim.FLAT_CHUNK``);
- ``+inplace``: Dense's bias, BatchNorm's output and input gradient and LeakyReLU's slope
  without the extra temporaries (the code of ``before`` is copied here to switch it off).

Every configuration is its own GAN with the same seed; one iteration runs one step of each and
one of PyTorch's, so all see the same load. Each row: the median step time and its ratio to
PyTorch's median. The levers do not change the numbers: the script checks that every
configuration ends with exactly the same weights.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import types

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_gan as bg

import minigan as mg
from minigan import models
from minigan.checks import check_input
from minigan.gan import GAN
from minigan.nn import optim
from minigan.nn.activations import LeakyReLU
from minigan.nn.layers import BatchNorm, Dense
from minigan.nn.module import _recording  # what every forward records for the dout checks


# ---------------------------------------------------------------------------- the code before "+inplace"
def old_dense_forward(self, x):
    check_input(f"Dense({self.in_features}, {self.out_features})", x, ndim=2, sizes={1: self.in_features})
    self._x = x
    z = x @ self.params["W"].data.T
    if "b" in self.params:
        z = z + self.params["b"].data  # a second (N, out) array
    return z


def old_leaky_forward(self, x):
    self._check(x)
    slope = (x > 0).astype(x.dtype)  # two passes for the mask
    slope *= 1.0 - self.alpha
    slope += self.alpha
    self._slope = slope
    return x * slope


def _channel_sum(a):
    return a.sum(axis=0) if a.ndim == 2 else np.einsum("nchw->c", a)


def old_bn_forward(self, x):  # training mode, as the benchmark's steps run it
    if not self.training:  # (output_shape's probe, untimed)
        return BatchNorm.forward(self, x)
    C = self.num_features
    check_input(f"BatchNorm({C})", x, ndim=(2, 4), sizes={1: C})
    shape = (1, C) if x.ndim == 2 else (1, C, 1, 1)
    m = x.size // C
    gamma = self.params["gamma"].data
    mu = _channel_sum(x) * (1.0 / m)
    xc = x - mu.reshape(shape)
    var = _channel_sum(xc * xc) * (1.0 / m)
    inv = 1.0 / (var + self.eps) ** 0.5
    mom = self.momentum
    rm, rv = self.buffers["running_mean"], self.buffers["running_var"]
    self.buffers["running_mean"] = (1.0 - mom) * rm + mom * mu.astype(rm.dtype)
    self.buffers["running_var"] = (1.0 - mom) * rv + (mom * m / (m - 1)) * var.astype(rv.dtype)
    self._cache = (xc, inv, shape, m, self.training)
    return xc * (gamma * inv).reshape(shape) + self.params["beta"].data.reshape(shape)  # two temporaries


def old_bn_backward(self, dout):
    self._check_dout(dout)
    xc, inv, shape, m, training = self._cache
    gamma = self.params["gamma"]
    dbeta, s = _channel_sum(dout), _channel_sum(dout * xc)
    self.params["beta"].grad += dbeta
    gamma.grad += s * inv
    self._cache = None
    k = gamma.data * inv
    if not training:
        return dout * k.reshape(shape)
    a = (-k * inv * inv * s * (1.0 / m)).reshape(shape)
    c = (-k * dbeta * (1.0 / m)).reshape(shape)
    return dout * k.reshape(shape) + (xc * a + c)  # four temporaries


CONFIGS = {
    "before": dict(skip=False, flat=False, chunk=False, inplace=False),
    "+skip": dict(skip=True, flat=False, chunk=False, inplace=False),
    "+flat": dict(skip=True, flat=True, chunk=False, inplace=False),
    "+chunk": dict(skip=True, flat=True, chunk=True, inplace=False),
    "+inplace (now)": dict(skip=True, flat=True, chunk=True, inplace=True),
}


def make(name: str, cfg: dict, seed: int = 0) -> GAN:
    builder, batch, latent, _ = bg.CASES[name]
    G, D = getattr(models, builder)(latent, rng=seed)
    if not cfg["inplace"]:
        for net in (G, D):
            for _, m in net.named_modules():
                if isinstance(m, Dense):
                    m.forward = types.MethodType(_recording(old_dense_forward), m)
                elif isinstance(m, LeakyReLU):
                    m.forward = types.MethodType(_recording(old_leaky_forward), m)
                elif isinstance(m, BatchNorm):
                    m.forward = types.MethodType(_recording(old_bn_forward), m)
                    m.backward = types.MethodType(old_bn_backward, m)
    if not cfg["skip"]:  # the full backward passes of before (frozen() restores D's gradients)
        D.backward_params = lambda d, D=D: [D.backward(d)] and None
        G.backward_params = lambda d, G=G: [G.backward(d)] and None
        D.backward_input = D.backward
    g_opt = optim.Adam(G.parameters(), lr=2e-4, beta1=0.5, flat=cfg["flat"])
    d_opt = optim.Adam(D.parameters(), lr=2e-4, beta1=0.5, flat=cfg["flat"])
    return GAN(G, D, latent, g_opt=g_opt, d_opt=d_opt, seed=seed)


def bench(name: str, warmup: int, repeats: int) -> None:
    builder, batch, latent, tbuild = bg.CASES[name]
    gans = {k: make(name, c) for k, c in CONFIGS.items()}
    X = mg.data.load_mnist(limit=max(batch * 4, 512))[0]
    reals = [X[i * batch : (i + 1) * batch] for i in range(4)]
    tg = None
    if bg.torch is not None:
        bg.torch.manual_seed(0)
        tg = bg.TorchGAN(*tbuild(latent), latent)
        treals = [bg.torch.from_numpy(r) for r in reals]
    chunk = optim.FLAT_CHUNK
    times: dict[str, list[float]] = {k: [] for k in [*CONFIGS, "torch"]}
    for i in range(warmup + repeats):
        for k, gan in gans.items():
            optim.FLAT_CHUNK = chunk if CONFIGS[k]["chunk"] else 1 << 62
            t0 = time.perf_counter()
            gan.train_step(reals[i % 4])
            t1 = time.perf_counter()
            if i % 10 == 9:
                gan.flush()
            if i >= warmup:
                times[k].append(t1 - t0)
        if tg is not None:
            t0 = time.perf_counter()
            tg.train_step(treals[i % 4])
            if i >= warmup:
                times["torch"].append(time.perf_counter() - t0)
    optim.FLAT_CHUNK = chunk
    weights = [np.concatenate([p.data.ravel() for p in g.G.parameters() + g.D.parameters()]) for g in gans.values()]
    same = all(np.array_equal(weights[0], w) for w in weights)
    med = {k: statistics.median(v) * 1e3 for k, v in times.items() if v}
    torch_ms = med.get("torch", float("nan"))
    print(f"{builder}, batch {batch}: torch {torch_ms:.1f} ms; the same weights in every row: {same}")
    for k in CONFIGS:
        ratio = f"{med[k] / med['torch']:7.2f}" if "torch" in med else f"{'-':>7}"
        print(f"  {k:<16}{med[k]:9.1f} ms{ratio}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="BLAS / torch threads")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--only", choices=sorted(bg.CASES), default=None)
    a = p.parse_args(argv)
    lim = bg.set_threads(a.threads)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(
        f"minigan {mg.__version__}, numpy {np.__version__} ({bg.blas_kernels()}); {a.threads} thread(s); "
        f"median of {a.repeats} steps after {a.warmup}" + (f"; load average at the start {load[0]:.2f}" if load else "")
    )
    for name in [a.only] if a.only else list(bg.CASES):
        bench(name, a.warmup, a.repeats)
    if load is not None:
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
    del lim
    return 0


if __name__ == "__main__":
    sys.exit(main())

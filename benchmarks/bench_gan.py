"""Time one GAN training step of minigan against the same architecture and step in PyTorch (CPU).

    python benchmarks/bench_gan.py                       # both models, 1 BLAS thread, 20 repeats
    python benchmarks/bench_gan.py --threads 2 --repeats 30
    python benchmarks/bench_gan.py --only dense

One step is one iteration of Algorithm 1 (document 001 §4.1) with k = 1, as
:meth:`minigan.gan.GAN.train_step` does it: fresh noise, G forward (not back-propagated), D
forward/backward on the real batch and on the fakes (BCE with logits, ½ each), one Adam step
of D; fresh noise, G forward, D forward/backward (D frozen), G backward, one Adam step of G.
The PyTorch step does the same with autograd (``fake.detach()`` for D's step; D's gradients from
the G step are discarded by the next ``zero_grad``).

- ``mnist_dense_gan`` at batch 128 (document 003 ch. 3);
- ``mnist_dcgan`` at batch 64.

Each row is the median of ``repeats`` steps after ``warmup`` steps, float32, with minigan's and
torch's steps alternating so both see the same load on a shared machine; both libraries get
the same number of threads (printed). ratio = minigan / torch (lower is better; 1.0 = parity).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import minigan as mg
from minigan import models
from minigan.gan import GAN

try:
    import torch
    import torch.nn as tnn
    import torch.nn.functional as F
except Exception:  # torch is optional: minigan's column only
    torch = None


def set_threads(n: int):
    """Limit NumPy's BLAS (threadpoolctl) and torch to ``n`` threads; returns the limiter."""
    lim = None
    try:
        import threadpoolctl

        lim = threadpoolctl.threadpool_limits(n, user_api="blas")
    except Exception:
        print(f"(threadpoolctl not installed: set OPENBLAS_NUM_THREADS={n} before starting)")
    if torch is not None:
        torch.set_num_threads(n)
    return lim


# ---------------------------------------------------------------------------- torch twins
def torch_dense(latent=64):
    G = tnn.Sequential(
        tnn.Linear(latent, 128),
        tnn.LeakyReLU(0.2),
        tnn.BatchNorm1d(128, momentum=0.2, eps=1e-3),
        tnn.Linear(128, 256),
        tnn.LeakyReLU(0.2),
        tnn.BatchNorm1d(256, momentum=0.2, eps=1e-3),
        tnn.Linear(256, 512),
        tnn.LeakyReLU(0.2),
        tnn.BatchNorm1d(512, momentum=0.2, eps=1e-3),
        tnn.Linear(512, 784),
        tnn.Tanh(),
        tnn.Unflatten(1, (1, 28, 28)),
    )
    D = tnn.Sequential(
        tnn.Flatten(),
        tnn.Linear(784, 256),
        tnn.LeakyReLU(0.2),
        tnn.Linear(256, 128),
        tnn.LeakyReLU(0.2),
        tnn.Linear(128, 1),
    )
    return G, D


def torch_dcgan(latent=100):
    G = tnn.Sequential(
        tnn.Linear(latent, 128 * 7 * 7),
        tnn.Unflatten(1, (128, 7, 7)),
        tnn.BatchNorm2d(128),
        tnn.ReLU(),
        tnn.ConvTranspose2d(128, 64, 4, 2, 1),
        tnn.BatchNorm2d(64),
        tnn.ReLU(),
        tnn.ConvTranspose2d(64, 1, 4, 2, 1),
        tnn.Tanh(),
    )
    D = tnn.Sequential(
        tnn.Conv2d(1, 64, 4, 2, 1),
        tnn.LeakyReLU(0.2),
        tnn.Conv2d(64, 128, 4, 2, 1),
        tnn.BatchNorm2d(128),
        tnn.LeakyReLU(0.2),
        tnn.Flatten(),
        tnn.Linear(128 * 7 * 7, 1),
    )
    return G, D


class TorchGAN:
    """The same step as :meth:`minigan.gan.GAN.train_step`, with autograd."""

    def __init__(self, G, D, latent, lr=2e-4, beta1=0.5):
        self.G, self.D, self.latent = G, D, latent
        self.go = torch.optim.Adam(G.parameters(), lr=lr, betas=(beta1, 0.999), eps=1e-8)
        self.do = torch.optim.Adam(D.parameters(), lr=lr, betas=(beta1, 0.999), eps=1e-8)

    def train_step(self, real):
        n = real.shape[0]
        with torch.no_grad():
            fake = self.G(torch.randn(n, self.latent))
        self.do.zero_grad()
        lr_, lf = self.D(real), self.D(fake)
        d = 0.5 * F.binary_cross_entropy_with_logits(
            lr_, torch.ones_like(lr_)
        ) + 0.5 * F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf))
        d.backward()
        self.do.step()
        self.go.zero_grad()
        out = self.D(self.G(torch.randn(n, self.latent)))
        g = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
        g.backward()
        self.go.step()
        return d.detach(), g.detach()


# ---------------------------------------------------------------------------- timing
CASES = {"dense": ("mnist_dense_gan", 128, 64, torch_dense), "dcgan": ("mnist_dcgan", 64, 100, torch_dcgan)}


def bench(name, warmup, repeats, seed=0):
    builder, batch, latent, tbuild = CASES[name]
    G, D = getattr(models, builder)(latent, rng=seed)
    gan = GAN(G, D, latent, seed=seed)
    X = mg.data.load_mnist(limit=max(batch * 4, 512))[0]
    reals = [X[i * batch : (i + 1) * batch] for i in range(4)]
    tg = None
    if torch is not None:
        torch.manual_seed(seed)
        tg = TorchGAN(*tbuild(latent), latent)
        treals = [torch.from_numpy(r) for r in reals]
    t_mg, t_pt = [], []
    for i in range(warmup + repeats):
        t0 = time.perf_counter()
        gan.train_step(reals[i % 4])
        t1 = time.perf_counter()
        if i % 10 == 9:
            gan.flush()  # the example reads the losses every 25 steps; keep the queue short
        if tg is not None:
            t2 = time.perf_counter()
            tg.train_step(treals[i % 4])
            t3 = time.perf_counter()
        if i >= warmup:
            t_mg.append(t1 - t0)
            if tg is not None:
                t_pt.append(t3 - t2)
    gan.flush()
    return (builder, batch, statistics.median(t_mg) * 1e3, statistics.median(t_pt) * 1e3 if t_pt else None)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--threads", type=int, default=1, help="BLAS / torch threads (1 is steadiest on a shared machine)")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--only", choices=sorted(CASES), default=None)
    a = p.parse_args(argv)
    lim = set_threads(a.threads)
    print(
        f"minigan {mg.__version__}, numpy {np.__version__}, "
        f"torch {torch.__version__ if torch is not None else 'not installed'}; "
        f"{a.threads} thread(s), median of {a.repeats} steps after {a.warmup} warm-up steps; float32"
    )
    print(f"{'model':<18}{'batch':>6}{'minigan ms':>12}{'torch ms':>10}{'ratio':>8}")
    for name in [a.only] if a.only else list(CASES):
        model, batch, t_mg, t_pt = bench(name, a.warmup, a.repeats)
        tp = f"{t_pt:10.1f}" if t_pt is not None else f"{'-':>10}"
        ratio = f"{t_mg / t_pt:8.2f}" if t_pt else f"{'-':>8}"
        print(f"{model:<18}{batch:>6}{t_mg:12.1f}{tp}{ratio}", flush=True)
    del lim
    return 0


if __name__ == "__main__":
    sys.exit(main())

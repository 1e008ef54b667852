"""Time one GAN training step of minigan against the same architecture and step in PyTorch (CPU).

    python benchmarks/bench_gan.py                       # both models, 1 and 2 threads, 20 repeats
    python benchmarks/bench_gan.py --threads 2 --repeats 30
    python benchmarks/bench_gan.py --threads 1,2 --only dense --no-gemm-peak

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
the same number of threads. ratio = minigan / torch (lower is better; 1.0 = parity).

The "alone" columns time the same steps again in blocks, first minigan's, then torch's. With
one thread they agree with the interleaved ones. With two they need not: after its step, each
library's idle threads spin-wait for a while and hold a core that the other library's next step
needs. On an idle 2-core machine this made torch's interleaved 2-thread step up to 4 times
slower than alone, which flatters minigan's interleaved ratio; read the "alone" ratio at 2
threads (and take it on an idle machine, where blocks see the same load).

The work of a step, counted from the layer shapes: every Dense, Conv2D and Conv2DTranspose is
one GEMM of ``2·M·K·N`` FLOPs forward and two of the same size backward (the weight gradient and
the input gradient). A step needs G forward twice (the D step's fakes, the G step), D forward
three times (reals, fakes, the G step), D's weight gradients twice (the D step), D's input
gradients twice in the D step except its first layer's (the images are data) and once in the G
step, and G's weight and input gradients once, except G's first layer's input gradient (z is
data). (PyTorch's step also computes D's weight gradients in the G step and drops them.)
GFLOP/s = that count / minigan's step time.

``--gemm-peak`` (on by default) times, in the same run and interleaved with the steps, exactly
those GEMMs with ``numpy.matmul`` on operands of the layers' own shapes and layouts: their
summed time is the least a NumPy engine can spend on the step, and "share" = that time / the
step's time = GFLOP/s / the GEMMs' GFLOP/s (the share of GEMM peak).
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
from minigan.nn.conv import Conv2D, Conv2DTranspose
from minigan.nn.layers import Dense

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


def blas_kernels() -> str:
    """OpenBLAS's kernel family (``SkylakeX``, ``Haswell``, ...), or ``?``."""
    try:
        import threadpoolctl

        info = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
        return f"{info[0].get('internal_api')} {info[0].get('architecture')}" if info else "?"
    except Exception:
        return "?"


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


# ---------------------------------------------------------------------------- the step's GEMMs
def layer_gemms(module, sample_shape, batch):
    """``[(layer, M, K, N)]`` for every Dense / Conv2D / Conv2DTranspose of ``module`` (a
    Sequential) on a batch of ``batch`` samples of ``sample_shape``: the GEMM ``(M, K) · (K, N)``
    its forward computes (its two backward GEMMs have the same ``2·M·K·N`` FLOPs)."""
    out, shape = [], tuple(sample_shape)
    for layer in module:
        nxt = layer.output_shape(shape)
        if isinstance(layer, Dense):
            out.append((layer, batch, layer.in_features, layer.out_features))
        elif isinstance(layer, (Conv2D, Conv2DTranspose)):
            kh, kw = layer.kernel_size
            if isinstance(layer, Conv2D):  # cols (N·OH·OW, kH·kW·C_in) · Wᵀ (kH·kW·C_in, C_out)
                out.append((layer, batch * nxt[1] * nxt[2], kh * kw * layer.in_channels, layer.out_channels))
            else:  # x (N·H·W, C_in) · W (C_in, kH·kW·C_out), then col2im
                out.append((layer, batch * shape[1] * shape[2], layer.in_channels, kh * kw * layer.out_channels))
        shape = nxt
    return out


def step_gemms(G, D, batch, latent):
    """``[(kind, layer, M, K, N, count)]``: the GEMMs one training step needs (see the module
    docstring), ``kind`` one of ``"fwd"``, ``"dW"``, ``"dx"``."""
    g_layers = layer_gemms(G, (latent,), batch)
    d_layers = layer_gemms(D, G.output_shape((latent,)), batch)
    plan = []
    for i, (layer, M, K, N) in enumerate(g_layers):
        plan += [("fwd", layer, M, K, N, 2), ("dW", layer, M, K, N, 1)]
        if i > 0:
            plan.append(("dx", layer, M, K, N, 1))
    for i, (layer, M, K, N) in enumerate(d_layers):
        plan += [("fwd", layer, M, K, N, 3), ("dW", layer, M, K, N, 2), ("dx", layer, M, K, N, 3 if i > 0 else 1)]
    return plan


def step_flops(plan) -> int:
    return sum(2 * M * K * N * count for _, _, M, K, N, count in plan)


def gemm_pass(plan, seed=0):
    """A function that computes every GEMM of ``plan`` (``count`` times each) with
    ``numpy.matmul`` on float32 operands in the layout the layer uses, into preallocated outputs."""
    rng = np.random.default_rng(seed)
    calls = []

    def rand(*shape):
        return rng.standard_normal(shape, dtype=np.float32)

    for kind, layer, M, K, N, count in plan:
        if isinstance(layer, Conv2DTranspose):  # its forward is a Conv2D's input gradient
            kind = {"fwd": "dx", "dx": "fwd", "dW": "dW"}[kind]
            M, K, N = M, N, K  # the convolution's (rows, depth, channels): cols (M, K) · Wᵀ (K, N)
        W = rand(N, K)  # (out, in) or (C_out, kH·kW·C_in): the GEMM matrix of the weight
        if kind == "fwd":  # X (M, K) · Wᵀ
            a, b, out = rand(M, K), W.T, np.empty((M, N), np.float32)
        elif kind == "dW":  # δᵀ (N, M) · X (M, K)
            a, b, out = rand(M, N).T, rand(M, K), np.empty((N, K), np.float32)
        else:  # δ (M, N) · W (N, K)
            a, b, out = rand(M, N), W, np.empty((M, K), np.float32)
        calls += [(a, b, out)] * count

    def run():
        for a, b, out in calls:
            np.matmul(a, b, out=out)

    return run


# ---------------------------------------------------------------------------- timing
CASES = {"dense": ("mnist_dense_gan", 128, 64, torch_dense), "dcgan": ("mnist_dcgan", 64, 100, torch_dcgan)}


def bench(name, warmup, repeats, gemm_peak=True, seed=0) -> dict:
    builder, batch, latent, tbuild = CASES[name]
    G, D = getattr(models, builder)(latent, rng=seed)
    gan = GAN(G, D, latent, seed=seed)
    plan = step_gemms(G, D, batch, latent)
    peak = gemm_pass(plan) if gemm_peak else None
    X = mg.data.load_mnist(limit=max(batch * 4, 512))[0]
    reals = [X[i * batch : (i + 1) * batch] for i in range(4)]
    tg = None
    if torch is not None:
        torch.manual_seed(seed)
        tg = TorchGAN(*tbuild(latent), latent)
        treals = [torch.from_numpy(r) for r in reals]
    t_mg, t_pt, t_gemm = [], [], []
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
        if peak is not None:
            t4 = time.perf_counter()
            peak()
            t5 = time.perf_counter()
        if i >= warmup:
            t_mg.append(t1 - t0)
            if tg is not None:
                t_pt.append(t3 - t2)
            if peak is not None:
                t_gemm.append(t5 - t4)
    gan.flush()
    # Both again, each alone (a block of minigan steps, then a block of torch steps): with more
    # than one thread, one library's idle BLAS / OpenMP threads spin for a while after its step
    # and take cores from the other's next step, so the interleaved times can be unfair.
    mg_alone, pt_alone = [], []
    for i in range(warmup + repeats):
        t0 = time.perf_counter()
        gan.train_step(reals[i % 4])
        if i % 10 == 9:
            gan.flush()
        if i >= warmup:
            mg_alone.append(time.perf_counter() - t0)
    gan.flush()
    if tg is not None:
        for i in range(warmup + repeats):
            t0 = time.perf_counter()
            tg.train_step(treals[i % 4])
            if i >= warmup:
                pt_alone.append(time.perf_counter() - t0)
    med = statistics.median
    return {
        "mg_alone": med(mg_alone),
        "pt_alone": med(pt_alone) if pt_alone else None,
        "model": builder,
        "batch": batch,
        "mg": med(t_mg),
        "pt": med(t_pt) if t_pt else None,
        "gemm": med(t_gemm) if t_gemm else None,
        "flops": step_flops(plan),
    }


def thread_counts(text: str) -> list[int]:
    try:
        counts = [int(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected thread counts such as 1 or 1,2, got {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"thread counts must be >= 1, got {text!r}")
    return counts


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument(
        "--threads", type=thread_counts, default=[1, 2], help="BLAS / torch thread counts, comma-separated (e.g. 1,2)"
    )
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--only", choices=sorted(CASES), default=None)
    p.add_argument(
        "--gemm-peak",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the step's GEMMs alone with numpy.matmul (the share of GEMM peak)",
    )
    a = p.parse_args(argv)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(
        f"minigan {mg.__version__}, numpy {np.__version__} ({blas_kernels()}), "
        f"torch {torch.__version__ if torch is not None else 'not installed'}; {os.cpu_count()} CPU cores; "
        f"median of {a.repeats} steps after {a.warmup} warm-up steps; float32"
    )
    if load is not None:
        print(f"load average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    head = f"{'threads':>7} {'model':<16}{'batch':>6}{'GFLOP':>7}{'minigan ms':>12}{'torch ms':>10}{'ratio':>7}"
    head += f"{'GFLOP/s':>9}{'GEMM ms':>9}{'peak GFLOP/s':>14}{'share':>7}" if a.gemm_peak else f"{'GFLOP/s':>9}"
    head += f"{'alone: minigan':>16}{'torch':>7}{'ratio':>7}"
    print(head)
    for n in a.threads:
        lim = set_threads(n)
        for name in [a.only] if a.only else list(CASES):
            r = bench(name, a.warmup, a.repeats, a.gemm_peak)
            gf = r["flops"] / 1e9
            tp = f"{r['pt'] * 1e3:10.1f}" if r["pt"] is not None else f"{'-':>10}"
            ratio = f"{r['mg'] / r['pt']:7.2f}" if r["pt"] else f"{'-':>7}"
            line = f"{n:>7} {r['model']:<16}{r['batch']:>6}{gf:7.2f}{r['mg'] * 1e3:12.1f}{tp}{ratio}{gf / r['mg']:9.1f}"
            if r["gemm"] is not None:
                line += f"{r['gemm'] * 1e3:9.1f}{gf / r['gemm']:14.1f}{r['gemm'] / r['mg']:7.0%}"
            line += f"{r['mg_alone'] * 1e3:16.1f}"
            line += (
                f"{r['pt_alone'] * 1e3:7.1f}{r['mg_alone'] / r['pt_alone']:7.2f}"
                if r["pt_alone"]
                else f"{'-':>7}{'-':>7}"
            )
            print(line, flush=True)
        del lim
    if load is not None:
        print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

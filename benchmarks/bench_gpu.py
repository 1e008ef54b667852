"""Time one GAN training step of minigan on the GPU (CuPy) against minigan on the CPU and
PyTorch on the same GPU.

    python benchmarks/bench_gpu.py                      # dense b128, dcgan b64, xray64 b16
    python benchmarks/bench_gpu.py --only dcgan --repeats 50
    python benchmarks/bench_gpu.py --batch-scale 4      # every batch 4x larger

One step is one iteration of Algorithm 1 (k = 1) as :meth:`minigan.gan.GAN.train_step` does
it (the PyTorch twin is ``bench_gan.TorchGAN`` moved to CUDA). Every timed step ends with a
device synchronisation, so a step's time is the time until its last kernel finished. The
three columns run interleaved (one minigan-GPU step, one torch-CUDA step, one minigan-CPU step,
repeated), so all of them see the same load. ratio = minigan GPU / torch CUDA.

Needs CuPy and an NVIDIA GPU (``pip install -e ".[gpu]"``); PyTorch with CUDA is optional.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_gan

import minigan as mg
from minigan import backend, models
from minigan.gan import GAN

torch = bench_gan.torch

CASES = {
    "dense": ("mnist_dense_gan", 128, 64, bench_gan.torch_dense, (1, 28, 28)),
    "dcgan": ("mnist_dcgan", 64, 100, bench_gan.torch_dcgan, (1, 28, 28)),
    "xray64": ("xray_dcgan64", 16, 100, None, (1, 64, 64)),
}


def _sync():
    import cupy

    cupy.cuda.Device().synchronize()


def bench(name, warmup, repeats, batch_scale, cpu, seed=0):
    builder, batch, latent, tbuild, shape = CASES[name]
    batch *= batch_scale
    rng = np.random.default_rng(seed)
    reals = [np.tanh(rng.standard_normal((batch,) + shape)).astype(np.float32) for _ in range(4)]
    Gg, Dg = getattr(models, builder)(latent, rng=seed)
    gg = GAN(Gg.to("gpu"), Dg.to("gpu"), latent, seed=seed)
    reals_g = [mg.asarray(r, "gpu") for r in reals]
    gc = None
    if cpu:
        Gc, Dc = getattr(models, builder)(latent, rng=seed)
        gc = GAN(Gc, Dc, latent, seed=seed)
    tg = None
    if torch is not None and torch.cuda.is_available() and tbuild is not None:
        torch.manual_seed(seed)
        tG, tD = tbuild(latent)
        tg = bench_gan.TorchGAN(tG.cuda(), tD.cuda(), latent)
        tg_noise = latent
        treals = [torch.from_numpy(r).cuda() for r in reals]

        def torch_step(real):
            n = real.shape[0]
            with torch.no_grad():
                fake = tg.G(torch.randn(n, tg_noise, device="cuda"))
            tg.do.zero_grad()
            lr_, lf = tg.D(real), tg.D(fake)
            F = bench_gan.F
            d = 0.5 * F.binary_cross_entropy_with_logits(
                lr_, torch.ones_like(lr_)
            ) + 0.5 * F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf))
            d.backward()
            tg.do.step()
            tg.go.zero_grad()
            out = tg.D(tg.G(torch.randn(n, tg_noise, device="cuda")))
            g = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
            g.backward()
            tg.go.step()

    t_g, t_t, t_c = [], [], []
    for i in range(warmup + repeats):
        _sync()
        t0 = time.perf_counter()
        gg.train_step(reals_g[i % 4])
        _sync()
        t1 = time.perf_counter()
        if i % 10 == 9:
            gg.flush()
        if tg is not None:
            torch.cuda.synchronize()
            t2 = time.perf_counter()
            torch_step(treals[i % 4])
            torch.cuda.synchronize()
            t3 = time.perf_counter()
        if gc is not None:
            t4 = time.perf_counter()
            gc.train_step(reals[i % 4])
            t5 = time.perf_counter()
            if i % 10 == 9:
                gc.flush()
        if i >= warmup:
            t_g.append(t1 - t0)
            if tg is not None:
                t_t.append(t3 - t2)
            if gc is not None:
                t_c.append(t5 - t4)
    gg.flush()
    med = lambda t: statistics.median(t) * 1e3 if t else None
    return builder, batch, med(t_g), med(t_t), med(t_c)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--batch-scale", type=int, default=1, help="multiply every model's batch by this")
    p.add_argument("--only", choices=sorted(CASES), default=None)
    p.add_argument("--no-cpu", action="store_true", help="skip the minigan-CPU column")
    a = p.parse_args(argv)
    if not backend.cupy_available():
        print("bench_gpu: CuPy and an NVIDIA GPU are needed (pip install -e '.[gpu]')", file=sys.stderr)
        return 2
    import cupy

    dev = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    print(
        f"minigan {mg.__version__}, numpy {np.__version__}, cupy {cupy.__version__} on {dev}, "
        f"torch {torch.__version__ if torch is not None else 'not installed'}; "
        f"median of {a.repeats} steps after {a.warmup} warm-up steps; float32"
    )
    print(f"{'model':<16}{'batch':>6}{'mg GPU ms':>11}{'torch ms':>10}{'ratio':>7}{'mg CPU ms':>11}{'CPU/GPU':>9}")
    for name in [a.only] if a.only else list(CASES):
        model, batch, tg, tt, tc = bench(name, a.warmup, a.repeats, a.batch_scale, not a.no_cpu)
        f = lambda v, w: f"{v:{w}.2f}" if v is not None else f"{'-':>{w}}"
        ratio = f"{tg / tt:7.2f}" if tt else f"{'-':>7}"
        speed = f"{tc / tg:9.1f}" if tc else f"{'-':>9}"
        print(f"{model:<16}{batch:>6}{f(tg, 11)}{f(tt, 10)}{ratio}{f(tc, 11)}{speed}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Document 001 §6's 64x64 DCGAN (``xray_dcgan64``): one training step in minigan vs PyTorch CPU,
and the memory an ImageFolder stream holds.

    python benchmarks/bench_image_gan.py                   # step time, batch 16, 2 threads
    python benchmarks/bench_image_gan.py --threads 1 --repeats 5
    python benchmarks/bench_image_gan.py --memory          # ImageFolder memory on 2,000 images

The step is :meth:`minigan.gan.GAN.train_step` (Algorithm 1, k = 1: D on reals and fakes, one
Adam step; G through the frozen D, one Adam step) against ``benchmarks/bench_gan.py``'s
``TorchGAN`` on the same architecture (Tabela 1 and 2; TensorFlow's ``padding="same"`` becomes
PyTorch padding 1, the same output sizes and FLOPs). Steps alternate between the two libraries
so that both see the same load; each row is the median of ``repeats`` steps after ``warmup``.
ratio = minigan / torch (lower is better).

``--memory`` writes 2,000 procedurally drawn 64x64 images (:mod:`minigan.data.drawings`) to a
temporary folder and reads one epoch through :class:`minigan.data.ImageFolder` at batch 16
under ``tracemalloc``: the peak of Python-allocated memory (NumPy arrays included) against the
size of the whole folder as float32.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_gan import TorchGAN, set_threads, torch

import minigan as mg
from minigan import models
from minigan.gan import GAN

if torch is not None:
    import torch.nn as tnn


def torch_xray64(latent=100, dropout=0.4):
    """Tabela 1 (D) and 2 (G) in PyTorch."""
    D = tnn.Sequential(
        tnn.Conv2d(1, 128, 3, 1, 1),
        tnn.LeakyReLU(0.2),
        tnn.Conv2d(128, 256, 3, 2, 1),
        tnn.LeakyReLU(0.2),
        tnn.Conv2d(256, 256, 3, 2, 1),
        tnn.LeakyReLU(0.2),
        tnn.Conv2d(256, 512, 3, 2, 1),
        tnn.LeakyReLU(0.2),
        tnn.Flatten(),
        tnn.Dropout(dropout),
        tnn.Linear(8 * 8 * 512, 1),
    )
    G = tnn.Sequential(
        tnn.Linear(latent, 8 * 8 * 256),
        tnn.LeakyReLU(0.2),
        tnn.Unflatten(1, (256, 8, 8)),
        tnn.ConvTranspose2d(256, 128, 4, 2, 1),
        tnn.LeakyReLU(0.2),
        tnn.ConvTranspose2d(128, 128, 4, 2, 1),
        tnn.LeakyReLU(0.2),
        tnn.ConvTranspose2d(128, 128, 4, 2, 1),
        tnn.LeakyReLU(0.2),
        tnn.Conv2d(128, 1, 3, 1, 1),
        tnn.Tanh(),
    )
    return G, D


def bench_step(batch: int, warmup: int, repeats: int, seed: int = 0):
    G, D = models.xray_dcgan64(100, rng=seed)
    gan = GAN(G, D, 100, seed=seed)
    rng = np.random.default_rng(seed)
    reals = [rng.uniform(-1, 1, (batch, 1, 64, 64)).astype(np.float32) for _ in range(2)]
    tg = None
    if torch is not None:
        torch.manual_seed(seed)
        tg = TorchGAN(*torch_xray64(), 100)
        treals = [torch.from_numpy(r) for r in reals]
    t_mg, t_pt = [], []
    for i in range(warmup + repeats):
        t0 = time.perf_counter()
        gan.train_step(reals[i % 2])
        gan.flush()
        t1 = time.perf_counter()
        if tg is not None:
            tg.train_step(treals[i % 2])
            t2 = time.perf_counter()
        if i >= warmup:
            t_mg.append(t1 - t0)
            if tg is not None:
                t_pt.append(t2 - t1)
        print(
            f"  pass {i + 1}/{warmup + repeats}: minigan {1e3 * (t1 - t0):.0f} ms"
            + (f", torch {1e3 * (t2 - t1):.0f} ms" if tg is not None else "")
            + (" (warm-up)" if i < warmup else ""),
            flush=True,
        )
    return t_mg, t_pt


def bench_memory(n: int = 2000, size: int = 64, batch: int = 16) -> dict:
    from minigan.data.drawings import write_shape_folder

    with tempfile.TemporaryDirectory() as root:
        t0 = time.perf_counter()
        write_shape_folder(root, n, size, corrupt=0, classes=True)
        t_write = time.perf_counter() - t0
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        folder = mg.data.ImageFolder(root, size, batch, seed=0)
        after_scan = tracemalloc.get_traced_memory()[0] - base
        t0 = time.perf_counter()
        for _ in range(folder.batches_per_epoch):
            folder.next_batch()
        t_epoch = time.perf_counter() - t0
        cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    whole = n * size * size * 4
    return {
        "images": n,
        "size": size,
        "batch": batch,
        "scan_bytes": after_scan,
        "peak_bytes": peak - base,
        "whole_folder_float32_bytes": whole,
        "epoch_seconds": t_epoch,
        "write_seconds": t_write,
        "images_per_second": folder.batches_per_epoch * batch / t_epoch,
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--threads", type=int, default=2, help="BLAS / torch threads")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeats", type=int, default=6)
    p.add_argument("--memory", action="store_true", help="measure the ImageFolder stream's memory instead")
    p.add_argument("--images", type=int, default=2000, help="--memory: images in the generated folder")
    a = p.parse_args(argv)
    if a.memory:
        m = bench_memory(a.images)
        mib = 1 / 2**20
        print(
            f"ImageFolder over {m['images']} {m['size']}x{m['size']} images, batch {m['batch']}: after the scan "
            f"{m['scan_bytes'] * mib:.2f} MiB (paths, labels, order); peak while reading one epoch "
            f"{m['peak_bytes'] * mib:.2f} MiB; the whole folder as float32 would be "
            f"{m['whole_folder_float32_bytes'] * mib:.1f} MiB. Epoch read in {m['epoch_seconds']:.1f} s "
            f"({m['images_per_second']:.0f} images/s)"
        )
        return 0
    lim = set_threads(a.threads)
    print(
        f"minigan {mg.__version__}, numpy {np.__version__}, "
        f"torch {torch.__version__ if torch is not None else 'not installed'}; {a.threads} thread(s); "
        f"xray_dcgan64 training step, batch {a.batch}, float32; median of {a.repeats} after {a.warmup} warm-up"
    )
    t_mg, t_pt = bench_step(a.batch, a.warmup, a.repeats)
    m = statistics.median(t_mg) * 1e3
    line = f"xray_dcgan64  batch {a.batch}: minigan {m:.0f} ms"
    if t_pt:
        t = statistics.median(t_pt) * 1e3
        ratios = [x / y for x, y in zip(t_mg, t_pt)]
        line += f", torch {t:.0f} ms, ratio {m / t:.2f} (per-pass ratios {min(ratios):.2f}..{max(ratios):.2f})"
    print(line, flush=True)
    del lim
    return 0


if __name__ == "__main__":
    sys.exit(main())

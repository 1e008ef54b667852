"""Time forward + backward of minigan's convolution-family layers, and of a DCGAN
discriminator stack, against the same layers in PyTorch (CPU) in the same run.

    python benchmarks/bench_layers.py                  # batch 64, 20 repeats
    python benchmarks/bench_layers.py --batch 128 --repeats 50 --threads 2
    python benchmarks/bench_layers.py --only stack     # rows whose name contains "stack"

Every row is the median wall time of ``repeats`` forward+backward passes after ``warmup``
passes, in float32; minigan's and torch's passes alternate, so both see the same load on a
shared machine. The PyTorch columns appear when torch is importable (it is never a
dependency of minigan); both libraries get the same weights, inputs and upstream gradients,
and torch is given as many threads as NumPy's BLAS uses (printed in the header). ratio =
minigan / torch (lower is better; 1.0 is parity).

The "D stack" row is a DCGAN discriminator on 28x28 MNIST (docs/architecture.md §9):
Conv2D(1,64,4,2,1) → LeakyReLU(0.2) → Conv2D(64,128,4,2,1) → BatchNorm(128) → LeakyReLU(0.2).
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

try:
    import torch
    import torch.nn as tnn
except Exception:  # torch is optional
    torch = None


def blas_threads() -> int | None:
    """Threads NumPy's BLAS uses (threadpoolctl when available)."""
    try:
        import threadpoolctl

        info = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
        if info:
            return int(info[0]["num_threads"])
    except Exception:
        pass
    return None


def blas_note() -> str:
    """OpenBLAS's kernel family, and a hint when it does not use the CPU's AVX-512.

    OpenBLAS (0.3.31 as shipped in NumPy's wheels) does not recognise every AVX-512 CPU (e.g.
    AMD Zen 5) and falls back to its AVX2 "Haswell" kernels, about 2x slower for float32 GEMM
    than oneDNN, which PyTorch uses. ``OPENBLAS_CORETYPE=SkylakeX`` (set before Python
    starts) selects the AVX-512 kernels."""
    arch = None
    try:
        import threadpoolctl

        info = [i for i in threadpoolctl.threadpool_info() if i.get("internal_api") == "openblas"]
        arch = info[0].get("architecture") if info else None
    except Exception:
        pass
    if arch is None:
        return ""
    note = f", OpenBLAS kernels {arch}"
    try:
        with open("/proc/cpuinfo") as f:
            avx512 = " avx512f" in f.read()
    except OSError:
        avx512 = False
    if avx512 and arch.lower() in ("haswell", "zen", "sandybridge"):
        note += " (this CPU has AVX-512: try OPENBLAS_CORETYPE=SkylakeX)"
    return note


def set_blas_threads(n: int):
    try:
        import threadpoolctl

        return threadpoolctl.threadpool_limits(n, user_api="blas")
    except Exception:
        print("(threadpoolctl not installed: set OPENBLAS_NUM_THREADS before starting instead)")
        return None


# ---------------------------------------------------------------------------- the cases
def cases(batch: int):
    """(name, minigan module, input shape, torch module factory copying the weights or None)."""
    B = batch

    def twin(mg_cls, torch_cls):
        """A builder of (minigan layer, factory of the torch layer holding the same weights)."""

        def build(cin, cout, k, s, p):
            m = mg_cls(cin, cout, k, s, p, init="normal", rng=0)

            def t():
                tm = torch_cls(cin, cout, k, s, p)
                with torch.no_grad():
                    tm.weight.copy_(torch.from_numpy(m.params["W"].data))
                    tm.bias.copy_(torch.from_numpy(m.params["b"].data))
                return tm

            return m, t

        return build

    # both libraries store a transposed convolution's weight as (C_in, C_out, kH, kW)
    conv = twin(mg.Conv2D, tnn.Conv2d)
    convt = twin(mg.Conv2DTranspose, tnn.ConvTranspose2d)

    out = []
    m, t = conv(1, 64, 4, 2, 1)
    out.append(("Conv2D(1,64,4,2,1)", m, (B, 1, 28, 28), t))
    m, t = conv(64, 128, 4, 2, 1)
    out.append(("Conv2D(64,128,4,2,1)", m, (B, 64, 14, 14), t))
    m, t = conv(64, 64, 3, 1, 1)
    out.append(("Conv2D(64,64,3,1,1)", m, (B, 64, 14, 14), t))
    m, t = convt(128, 64, 4, 2, 1)
    out.append(("Conv2DTranspose(128,64,4,2,1)", m, (B, 128, 7, 7), t))
    m, t = convt(64, 1, 4, 2, 1)
    out.append(("Conv2DTranspose(64,1,4,2,1)", m, (B, 64, 14, 14), t))
    out.append(("MaxPool2D(2)", mg.MaxPool2D(2), (B, 64, 14, 14), lambda: tnn.MaxPool2d(2)))
    out.append(("MaxPool2D(3,stride=2)", mg.MaxPool2D(3, 2), (B, 64, 14, 14), lambda: tnn.MaxPool2d(3, 2)))
    out.append(("AvgPool2D(2)", mg.AvgPool2D(2), (B, 64, 14, 14), lambda: tnn.AvgPool2d(2)))
    out.append(("BatchNorm(128) NCHW", mg.BatchNorm(128), (B, 128, 7, 7), lambda: tnn.BatchNorm2d(128)))
    out.append(("BatchNorm(256) (N,C)", mg.BatchNorm(256), (B, 256), lambda: tnn.BatchNorm1d(256)))
    out.append(("LeakyReLU(0.2)", mg.LeakyReLU(0.2), (B, 64, 14, 14), lambda: tnn.LeakyReLU(0.2)))

    c1, t1 = conv(1, 64, 4, 2, 1)
    c2, t2 = conv(64, 128, 4, 2, 1)
    stack = mg.Sequential(c1, mg.LeakyReLU(0.2), c2, mg.BatchNorm(128), mg.LeakyReLU(0.2))

    def tstack():
        return tnn.Sequential(t1(), tnn.LeakyReLU(0.2), t2(), tnn.BatchNorm2d(128), tnn.LeakyReLU(0.2))

    out.append(("D stack (28x28 MNIST)", stack, (B, 1, 28, 28), tstack))
    return out


def make_steps(m, make, shape, rng, use_torch):
    """forward+backward closures for minigan and (optionally) torch on the same data."""
    x = rng.standard_normal(shape).astype(np.float32)
    m.train()
    dout = rng.standard_normal(m(x).shape).astype(np.float32)
    m.backward(dout)

    def mg_step():
        m(x)
        m.backward(dout)

    if not use_torch:
        return mg_step, None
    tm = make()
    tm.train()
    xt = torch.from_numpy(x).requires_grad_(True)
    dt = torch.from_numpy(dout)

    def torch_step():
        for p in tm.parameters():
            p.grad = None
        xt.grad = None
        tm(xt).backward(dt)

    return mg_step, torch_step


def time_interleaved(steps, repeats: int, warmup: int) -> list[float]:
    """Median ms of each step; the steps alternate within every repeat so that both libraries
    see the same machine load (these machines are shared)."""
    steps = [s for s in steps if s is not None]
    for _ in range(warmup):
        for s in steps:
            s()
    times = [[] for _ in steps]
    for _ in range(repeats):
        for s, t in zip(steps, times):
            t0 = time.perf_counter()
            s()
            t.append(time.perf_counter() - t0)
    return [1e3 * statistics.median(t) for t in times]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=64, help="batch size (default 64)")
    ap.add_argument("--repeats", type=int, default=20, help="timed repeats per row; the median is shown (default 20)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed passes before timing (default 3)")
    ap.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for NumPy's BLAS and for torch (default: what NumPy's BLAS uses)",
    )
    ap.add_argument("--only", default=None, help="only rows whose name contains this text")
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch columns")
    args = ap.parse_args(argv)

    limiter = set_blas_threads(args.threads) if args.threads else None  # noqa: F841 (kept alive)
    threads = args.threads or blas_threads() or len(os.sched_getaffinity(0))
    use_torch = torch is not None and not args.no_torch
    if use_torch:
        torch.set_num_threads(threads)
    print(
        f"minigan {mg.__version__}, numpy {np.__version__}, BLAS threads {blas_threads()}"
        + (f", torch {torch.__version__} threads {torch.get_num_threads()}" if use_torch else ", torch: not used")
        + blas_note()
        + f"\nbatch {args.batch}, float32, median of {args.repeats} after {args.warmup} warm-up"
    )
    print(
        f"{'layer (forward + backward)':<32}{'minigan ms':>12}" + (f"{'torch ms':>12}{'ratio':>8}" if use_torch else "")
    )
    print("-" * (32 + 12 + (20 if use_torch else 0)))
    rng = np.random.default_rng(0)
    for name, m, shape, make in cases(args.batch):
        if args.only and args.only.lower() not in name.lower():
            continue
        mg_step, torch_step = make_steps(m, make, shape, rng, use_torch)
        res = time_interleaved([mg_step, torch_step], args.repeats, args.warmup)
        line = f"{name:<32}{res[0]:>12.2f}"
        if use_torch:
            line += f"{res[1]:>12.2f}{res[0] / res[1]:>8.2f}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

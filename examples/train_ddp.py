#!/usr/bin/env python
"""Train minigan's MNIST GAN with PyTorch's DistributedDataParallel: the scale path, run.

    python examples/train_ddp.py --world-size 2 --steps 2000    # 2 processes on this machine's CPU (gloo)
    python examples/train_ddp.py --device cuda --world-size 4   # one GPU per process (NCCL)
    python examples/train_ddp.py --resume runs/mnist_gan/dense-20260101-120000 --out runs/train_ddp/more
                                                                # a minigan-train run, continued under DDP
    minigan-train --resume runs/train_ddp/dense-20260101-130000 # a DDP run, continued in minigan
    python examples/train_ddp.py --fast                         # 20 steps, for tests

The models are minigan-train's (``--model dense``: document 003 ch. 3's dense GAN, ``dcgan``:
the 28x28 DCGAN; :func:`minigan.train.build_models`), converted with
:func:`minigan.interop.to_torch`. ``--world-size N`` processes start on this machine
(``torch.multiprocessing``, spawn) and meet on 127.0.0.1: backend gloo on the CPU (default), NCCL
with ``--device cuda`` (process r uses GPU r; more processes than GPUs is refused). Each trains
Goodfellow's Algorithm 1 with k = 1, as ``minigan-train`` does: a D step on
``½ BCE(D(x), 1) + ½ BCE(D(G(z)), 0)`` (logits), then a G step on the non-saturating
``BCE(D(G(z)), 1)`` with D fixed; Adam with the settings of minigan-train's ``--recipe minigan``
(lr 6e-4 for the dense GAN, 2e-4 for the DCGAN, β1 0.5) unless given: the default recipe,
``selfcond``, conditions the GAN on clusters of the digits, which this example does not (a
``minigan-train`` run to resume here needs ``--recipe minigan``). DDP averages the processes'
gradients in the backward pass, so every process takes the same Adam step and the weights stay identical
(each process's SHA-256 of its final weights is in ``metrics.json``).

**One global batch, split.** ``--batch-size`` is the global batch m (default 128, minigan-train's):
each process takes m / N digits of the 4,000 training digits (``minigan.data.load_mnist()``)
through ``DistributedSampler``. The sampler's permutation depends only on the seed and the
epoch, so the union of the processes' batches at step t is exactly the batch a single process
draws at step t (when N divides the number of digits; otherwise a few digits per epoch are left
out). The noise of step t is drawn from ``(seed, t)`` by every process, which takes its slice.

**BatchNorm sees the global batch.** Every BatchNorm normalizes with the statistics of all the
processes' samples, not of its own slice: ``torch.nn.SyncBatchNorm`` with NCCL. On the CPU
PyTorch's SyncBatchNorm refuses to run ("SyncBatchNorm expected input tensor to be on GPU"), so
this example brings :func:`global_batchnorm_class`: the same statistics from two all-reduces
(the sum, then the centred sum of squares) through ``torch.distributed.nn.functional.all_reduce``,
which back-propagates. With both, N processes train the model one process trains on the same
global batch, up to the order of floating-point sums (``tests/test_ddp.py`` compares them in
float64, ``--dtype float64``). Without them each process would normalize a slice of m / N
samples with its own statistics: another, noisier model.

Each run writes into ``runs/train_ddp/<model>-<date>-<time>`` (or ``--out``), from process 0,
every ``--checkpoint-every`` steps, at the end and on Ctrl-C:

- ``checkpoint.npz``: minigan's checkpoint of the run (:meth:`minigan.gan.GAN.save`): G and D,
  both Adam states (PyTorch's ``exp_avg``/``exp_avg_sq``/``step`` are minigan's ``V``/``S``/``t``,
  :mod:`minigan.interop.optim`), the step, the loss history and the run settings.
  ``--resume`` continues it here and ``minigan-train --resume`` continues it in minigan;
- ``G.safetensors``, ``D.safetensors``: the weights with PyTorch's names
  (``model.load_state_dict(safetensors.torch.load_file(path))`` without minigan);
- ``samples_step_*.png``, ``losses.png``, ``progress.gif`` and ``metrics.json`` as minigan-train
  writes them: the generator converted back with :func:`minigan.interop.from_torch` and scored by
  minigan's classifier (confident share, digit histogram, FID, memorization:
  :func:`minigan.train.evaluate`), with the world size, the steps per second and every process's
  hash of its weights.

**Resuming, both ways.** ``--resume PATH`` takes a run folder or checkpoint.npz of this example
or of ``minigan-train``. What carries over exactly: the weights, BatchNorm's running statistics,
both Adam states (moments and step count), the step, the loss history and the sample-grid log.
What does not: the minibatch order and the noise, each program's own (here: the sampler and
``(seed, t)``, so a run of this example resumes exactly, on any number of processes, since none
of it depends on N; minigan-train starts a fresh minibatch stream), the EMA of G's weights that
minigan-train's recipes keep (this example trains and samples the live G, and records
``ema 0``), and BatchNorm's ``num_batches_tracked``, which minigan does not keep (unused: every
BatchNorm here has a momentum). A minigan-train run trained otherwise than Algorithm 1 with
k = 1 and the non-saturating loss (``--k``, ``--g-loss minimax``, label smoothing, uniform noise,
``--d-update separate``, ``--fake-mode eval``) is refused.

Exit status (as every minigan training script, :mod:`minigan.runner`): 0 done; 2 a bad argument,
data, checkpoint, device or folder, PyTorch missing, or the processes lost each other (one
line); 3 the run diverged (NaN/inf; the last checkpoint is kept); 130 Ctrl-C (all processes stop
after the same step and process 0 saves the checkpoint; a second Ctrl-C stops them at once).
PyTorch is needed by this example only (``pip install torch``; minigan writes the
.safetensors files itself); minigan never imports it on its own.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import inspect
import os
import signal
import socket
import sys
from contextlib import contextmanager
from datetime import timedelta

_HERE = os.path.dirname(os.path.abspath(__file__))
if os.path.isdir(os.path.join(_HERE, "..", "minigan")):  # run from a source checkout
    sys.path.insert(0, os.path.abspath(os.path.join(_HERE, "..")))

import numpy as np  # noqa: E402

from minigan import blas, checkpoint, data, runner, train  # noqa: E402
from minigan.errors import NonFiniteLossError  # noqa: E402
from minigan.gan import GAN, HISTORY_KEYS  # noqa: E402
from minigan.interop import adam_from_torch, adam_to_torch, from_torch, save_safetensors, to_torch  # noqa: E402
from minigan.nn.optim import Adam  # noqa: E402
from minigan.runner import Refuse, say  # noqa: E402

RUNS_DIR = os.path.join("runs", "train_ddp")
FAST = dict(steps=20, batch_size=32, sample_every=10, limit=256, eval_samples=100)
#: What this example trains (Algorithm 1, k = 1, as minigan-train's defaults): a checkpoint
#: trained otherwise is refused, and these are recorded in every checkpoint it writes.
FIXED = dict(
    k=1, g_loss="non-saturating", label_smoothing=0.0, noise="normal", d_update="joint", fake_mode="train", ema=0.0
)
#: Settings taken from the checkpoint on --resume (the command line may not contradict them).
FROM_CHECKPOINT = ("model", "batch_size", "lr", "lr_d", "beta1", "seed", "d_dropout")
#: Seconds a process waits for the others (start-up, every collective) before it gives up.
TIMEOUT_S = 300
_NOISE_KEY, _DROPOUT_KEY = 104_723, 7_919  # stream names, so that noise and dropout never share a seed


class _Parser(argparse.ArgumentParser):
    """A bad argument is one line (and exit status 2), not the usage and a line."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def parse_args(argv=None) -> argparse.Namespace:
    r = train.model_defaults("dense")
    p = _Parser(
        prog="train_ddp.py",
        description="Train minigan's MNIST GAN (Algorithm 1, k = 1) with PyTorch DistributedDataParallel on "
        "--world-size processes of this machine: gloo on the CPU, NCCL with --device cuda (one GPU per process). "
        "The weights go to PyTorch with minigan.interop.to_torch and come back with from_torch for minigan's "
        "metrics; checkpoint.npz continues with --resume here or with minigan-train --resume. Needs PyTorch.",
        formatter_class=runner.HelpFormatter,
    )
    p.add_argument(
        "--world-size", type=int, default=2, metavar="N", help="processes to start (with --device cuda: one per GPU)"
    )
    p.add_argument(
        "--model",
        choices=sorted(train.MODELS),
        default=None,
        help="minigan-train's models: dense (document 003 ch. 3) or dcgan (document 001 §4.3); "
        "default dense, with --resume the checkpoint's",
    )
    p.add_argument(
        "--steps",
        type=int,
        default=None,
        help=f"generator steps to train to (default {r['steps']}, minigan-train's; --fast {FAST['steps']}; "
        "with --resume: the new total, default the checkpoint's)",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=None,
        metavar="M",
        help=f"the GLOBAL batch m, split evenly: each process takes M / N digits (default {r['batch_size']}; "
        f"--fast {FAST['batch_size']})",
    )
    p.add_argument(
        "--lr",
        type=float,
        default=None,
        help=f"Adam learning rate of G (and of D unless --lr-d); default minigan-train's: {r['lr']:g} for "
        f"the dense GAN, {train.OTHER_MODEL_LR:g} for the DCGAN",
    )
    p.add_argument("--lr-d", type=float, default=None, help="Adam learning rate of D (default: as --lr)")
    p.add_argument("--beta1", type=float, default=None, help=f"Adam β1 (default {r['beta1']:g})")
    p.add_argument(
        "--d-dropout",
        type=float,
        default=None,
        metavar="P",
        help=f"Dropout after each hidden layer of the dense D (default {r['d_dropout']:g}, minigan-train's; "
        "each process draws its own masks, so pass 0 to compare with one process)",
    )
    p.add_argument(
        "--seed", type=int, default=None, help="seed of weights, noise, minibatch order and Dropout (default 0)"
    )
    p.add_argument(
        "--dtype",
        choices=["float32", "float64"],
        default=None,
        help="the models' and data's dtype (default float32, with --resume the checkpoint's); float64 for "
        "exact comparisons",
    )
    p.add_argument(
        "--data",
        default=None,
        metavar="PATH",
        help="a Keras mnist.npz or a folder with the four MNIST IDX files (gz or not); "
        "default: the 5,000 digits bundled with minigan (offline)",
    )
    p.add_argument(
        "--port", type=int, default=0, help="TCP port the processes meet on at 127.0.0.1 (default 0: a free one)"
    )
    runner.add_run_options(
        p,
        RUNS_DIR,
        sample_every="steps / 20",
        resume_rule="PATH may be a minigan-train run; the model and settings come from the checkpoint",
        devices=("cpu", "cuda"),
        device_help="cpu: gloo; cuda: NCCL, process r on GPU r",
        threads_help="PyTorch (and BLAS) threads per process (default 1: N processes on N cores)",
        auto_threads=False,
    )
    p.add_argument("--eval-samples", type=int, default=1000, help="generated samples for the final metrics")
    p.add_argument("--no-eval", action="store_true", help="skip the classifier metrics and FID")
    a = p.parse_args(argv)
    runner.check_run_options(p, a)
    runner.check_at_least_one(p, a, ("world_size", "steps", "batch_size", "eval_samples"))
    if not 0 <= a.port <= 65535:
        p.error(f"--port must be in [0, 65535], got {a.port}")
    for name in ("lr", "lr_d"):
        v = getattr(a, name)
        if v is not None and not v > 0:
            p.error(f"--{name.replace('_', '-')} must be > 0, got {v}")
    if a.beta1 is not None and not (0 <= a.beta1 < 1):
        p.error(f"--beta1 must be in [0, 1), got {a.beta1}")
    if a.d_dropout is not None and not (0 <= a.d_dropout < 1):
        p.error(f"--d-dropout must be in [0, 1), got {a.d_dropout}")
    a.limit = None
    if a.fast:  # a tiny run
        if a.steps is None and a.resume is None:  # a resume keeps its total
            a.steps = FAST["steps"]
        a.batch_size = a.batch_size or (FAST["batch_size"] if a.resume is None else None)
        a.sample_every = a.sample_every or FAST["sample_every"]
        a.limit = FAST["limit"]
        a.eval_samples = min(a.eval_samples, FAST["eval_samples"])
    return a


# ---------------------------------------------------------------------------- PyTorch, lazily
def _torch():
    """PyTorch, or a one-line refusal with the install hint."""
    try:
        import torch
        import torch.distributed
        import torch.multiprocessing
    except ImportError:
        raise Refuse(
            "PyTorch is not installed: pip install torch (examples/train_ddp.py needs it; minigan itself does not)"
        ) from None
    return torch


def _check_device(a, torch) -> None:
    """Refuse a device or world size this machine cannot run."""
    dist = torch.distributed
    if not dist.is_available():
        raise Refuse(f"this PyTorch ({torch.__version__}) was built without torch.distributed")
    if a.device == "cpu":
        if not dist.is_gloo_available():
            raise Refuse(f"--device cpu needs the gloo backend, which this PyTorch ({torch.__version__}) lacks")
        return
    if not torch.cuda.is_available():
        raise Refuse(
            f"--device cuda: PyTorch {torch.__version__} sees no CUDA GPU (a CPU build, or no driver); use --device cpu"
        )
    if not dist.is_nccl_available():
        raise Refuse(f"--device cuda needs the NCCL backend, which this PyTorch ({torch.__version__}) lacks")
    n = torch.cuda.device_count()
    if a.world_size > n:
        raise Refuse(
            f"--world-size {a.world_size} with --device cuda needs {a.world_size} GPUs (one per process), "
            f"this machine has {n}; pass --world-size {n} or fewer"
        )


# ---------------------------------------------------------------------------- settings
def _settings(a) -> tuple[str | None, int]:
    """Fill ``a``'s training settings (from the checkpoint with --resume, else minigan-train's
    ``--recipe minigan`` for the model) and settle ``a.out``; return (checkpoint path or None, start)."""
    if a.resume is not None:
        path = runner.choose_out(a, RUNS_DIR)
        ck, saved = train.saved_settings(path)
        if saved.get("recipe") == train.SELFCOND:
            raise Refuse(
                f"cannot resume: {path} is a run of minigan-train's --recipe {train.SELFCOND} (a GAN conditioned "
                f"on clusters); this example trains the unconditional GAN only"
            )
        for key, want in FIXED.items():
            if key != "ema" and saved.get(key, want) != want:
                raise Refuse(
                    f"cannot resume: {path} was trained with --{key.replace('_', '-')} {saved[key]}; this example "
                    f"trains Algorithm 1 with {key} = {want} only"
                )
        for key in FROM_CHECKPOINT:
            given = getattr(a, key)
            if given is not None and saved.get(key) is not None and saved[key] != given:
                raise Refuse(
                    f"cannot resume: {path} was trained with --{key.replace('_', '-')} {saved[key]}, this run asks "
                    f"for {given} (leave it out: --resume takes the checkpoint's)"
                )
            if given is None:
                setattr(a, key, saved.get(key))
        if a.model not in train.MODELS:
            raise Refuse(f"cannot resume: {path} holds a {a.model!r} model; this example trains {sorted(train.MODELS)}")
        a.lr_d = a.lr_d if a.lr_d is not None else a.lr
        a.seed = 0 if a.seed is None else a.seed
        a.d_dropout = a.d_dropout or 0.0
        a.data = a.data if a.data is not None else saved.get("data")
        a.recipe = saved.get("recipe") or train.PLAIN_RECIPE
        a.dtype = a.dtype or (ck.extra.get("ddp") or {}).get("dtype") or "float32"
        a.saved_steps = saved.get("steps")
        start = int(ck.step)
        if saved.get("ema"):
            say(
                f"note: {path} also keeps an average of G's weights (--ema {saved['ema']:g}); this example trains "
                f"and samples the live G, and the average is not continued"
            )
    else:
        a.model = a.model or "dense"
        d = train.model_defaults(a.model)
        if a.d_dropout and a.model != "dense":
            raise Refuse(f"--d-dropout applies to the dense model only, not --model {a.model}")
        for key in ("batch_size", "lr", "beta1", "d_dropout"):
            if getattr(a, key) is None:
                setattr(a, key, d[key])
        a.lr_d = a.lr_d if a.lr_d is not None else a.lr
        a.seed = 0 if a.seed is None else a.seed
        a.recipe, a.dtype, a.saved_steps = train.PLAIN_RECIPE, a.dtype or "float32", None
        path, start = runner.choose_out(a, RUNS_DIR), 0
    for key, v in FIXED.items():
        setattr(a, key, v)
    return path, start


def _build_gan(a) -> GAN:
    """minigan's G and D (the minigan-train builders) in a GAN with its two Adams: what process 0
    writes checkpoints from, and what a checkpoint is loaded into before it goes to PyTorch."""
    G, D, latent = train.build_models(a.model, a.seed, a.d_dropout)
    G.astype(np.dtype(a.dtype))
    D.astype(np.dtype(a.dtype))
    return GAN(
        G,
        D,
        latent,
        g_opt=Adam(G.parameters(), lr=a.lr, beta1=a.beta1),
        d_opt=Adam(D.parameters(), lr=a.lr_d, beta1=a.beta1),
        seed=a.seed,
    )


def _load(gan: GAN, path: str) -> dict:
    try:
        return gan.load(path)
    except (OSError, checkpoint.CheckpointError, ValueError) as exc:
        raise Refuse(f"cannot resume: {exc}") from None


# ---------------------------------------------------------------------------- the launcher
def main(argv=None) -> int:
    """Run the job; exit codes as in :mod:`minigan.runner` (and the module docstring)."""
    try:
        return runner.exit_code(lambda: _main(argv))
    except KeyboardInterrupt:  # before the processes started (after, the launcher handles Ctrl-C)
        say("interrupted before training began")
        return runner.EXIT_INTERRUPTED


def _main(argv=None) -> int:
    a = parse_args(argv)
    torch = _torch()
    _check_device(a, torch)
    ckpt, start = _settings(a)
    if a.batch_size % a.world_size:
        raise Refuse(
            f"--batch-size {a.batch_size} (the global batch) must be a multiple of --world-size {a.world_size}: "
            f"each process takes batch-size / world-size digits"
        )
    X_train, _ = data.load_mnist(a.data, split="train", limit=a.limit)
    shard = len(X_train) // a.world_size
    if a.batch_size // a.world_size > shard:
        raise Refuse(
            f"--batch-size {a.batch_size} is larger than the training set ({len(X_train)} digits, "
            f"{shard} per process for {a.world_size} processes)"
        )
    a.total = runner.total_steps(None, a.steps, 0, a.saved_steps or train.model_defaults(a.model)["steps"])
    if ckpt is not None:
        _load(_build_gan(a), ckpt)  # checked here, in one line, before any process starts
        if start >= a.total:
            raise Refuse(
                f"{ckpt} is already at step {start} of {a.total}: nothing to do; pass a larger --steps "
                f"(the new total) to train on"
            )
    a.ckpt, a.start = ckpt, start
    a.sample_every = a.sample_every or max(1, a.total // 20)
    a.checkpoint_every = a.checkpoint_every or a.sample_every
    runner.prepare_out(a.out, a.overwrite and a.resume is None)
    return _launch(a, torch)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(a, torch) -> int:
    """Start the processes and wait for them. Ctrl-C here sets ``stop``, which every process
    reads at each step (they agree on the step to stop after); a second Ctrl-C ends them at once."""
    mp = torch.multiprocessing
    stop = mp.get_context("spawn").Event()
    port = a.port or _free_port()
    procs = mp.start_processes(_worker, args=(a, port, stop), nprocs=a.world_size, join=False, start_method="spawn")
    presses = 0

    def on_sigint(signum, frame):
        nonlocal presses
        presses += 1
        stop.set()
        if presses > 1:
            raise KeyboardInterrupt

    try:
        old = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not in the main thread
        old = None
    try:
        while not procs.join(timeout=0.5):
            pass
    except KeyboardInterrupt:
        for p in procs.processes:
            if p.is_alive():
                p.terminate()
        say("interrupted twice: the processes were stopped at once; the last checkpoint written (if any) is intact")
        return runner.EXIT_INTERRUPTED
    except mp.ProcessExitedException as exc:
        if exc.exit_code in (runner.EXIT_REFUSED, runner.EXIT_DIVERGED, runner.EXIT_INTERRUPTED):
            return exc.exit_code  # the process said why, in one line
        say(f"error: process {exc.error_index} {'was killed by ' + exc.signal_name if exc.signal_name else 'failed'}")
        return 1
    except mp.ProcessRaisedException as exc:  # a bug: its traceback
        say(f"error: {exc}")
        return 1
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)
    return 0


# ---------------------------------------------------------------------------- one process
def _worker(rank: int, a, port: int, stop) -> None:
    """One process of the run (``torch.multiprocessing`` calls it with its rank). Exits with the
    run's status: a problem only this process sees ends it with 2 or 3 (the launcher then stops
    the others); one they all see (a NaN loss, Ctrl-C) is reported by process 0 alone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the launcher, which sets `stop`
    code = runner.exit_code(lambda: _process(rank, a, port, stop))
    if code:
        sys.exit(code)


def _process(rank: int, a, port: int, stop) -> int:
    torch = _torch()
    dist = torch.distributed
    torch.set_num_threads(a.threads)
    cuda = a.device == "cuda"
    device = torch.device("cuda", rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    try:
        dist.init_process_group(
            "nccl" if cuda else "gloo",
            init_method=f"tcp://127.0.0.1:{port}",
            rank=rank,
            world_size=a.world_size,
            timeout=timedelta(seconds=TIMEOUT_S),
        )
    except (RuntimeError, ValueError) as exc:
        raise Refuse(f"process {rank}: cannot join the others on 127.0.0.1:{port}: {_first_line(exc)}") from None
    try:
        with blas.limited(a.threads):
            status, run, hashes = _train(rank, a, torch, device, stop)
    except getattr(dist, "DistError", RuntimeError) as exc:  # a peer died or timed out
        raise Refuse(f"process {rank}: the processes lost each other: {_first_line(exc)}") from None
    finally:
        dist.destroy_process_group()
    if rank != 0:
        return 0
    if status == "stopped":
        return runner.EXIT_INTERRUPTED
    with blas.limited(a.threads):
        return _finish(a, run, hashes)


def _first_line(exc) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _train(rank: int, a, torch, device, stop):
    """Train this process's replica; return ("done" | "stopped" | "diverged", process 0's run
    record or None, every process's hash of its final weights)."""
    F = torch.nn.functional
    dist = torch.distributed
    N, cuda = a.world_size, device.type == "cuda"
    dtype = getattr(torch, a.dtype)
    gan = _build_gan(a)
    extra = _load(gan, a.ckpt) if a.ckpt else {}
    tG = sync_batchnorm(to_torch(gan.G).to(device), cuda)  # minigan -> PyTorch, the same weights
    tD = sync_batchnorm(to_torch(gan.D).to(device), cuda)
    g_opt = adam_to_torch(gan.g_opt, gan.G, tG)  # Adam's moments and step count come along
    d_opt = adam_to_torch(gan.d_opt, gan.D, tD)
    DDP = torch.nn.parallel.DistributedDataParallel
    ddp_kw = dict(device_ids=[device.index]) if cuda else {}
    # No copy of process 0's buffers at every forward: the synchronized BatchNorms keep the same
    # statistics in every process (PyTorch 2.13 renamed the switch)
    params = inspect.signature(DDP.__init__).parameters
    ddp_kw["forward_sync_buffers" if "forward_sync_buffers" in params else "broadcast_buffers"] = False
    dG = DDP(tG, **ddp_kw)
    dD = DDP(tD, **ddp_kw)

    X_train, _ = data.load_mnist(a.data, split="train", limit=a.limit)
    X = torch.from_numpy(X_train).to(device, dtype)
    sampler = torch.utils.data.DistributedSampler(
        range(len(X_train)), num_replicas=N, rank=rank, shuffle=True, seed=a.seed, drop_last=True
    )
    b, B = a.batch_size // N, a.batch_size
    per_epoch = len(sampler) // b
    order = {"epoch": -1, "idx": None}

    def real_batch(step: int):
        """This process's share of the global batch of step ``step`` (0-based)."""
        epoch, j = divmod(step, per_epoch)
        if epoch != order["epoch"]:
            sampler.set_epoch(epoch)
            order["epoch"], order["idx"] = epoch, torch.tensor(list(sampler), device=device)
        return X[order["idx"][j * b : (j + 1) * b]]

    def noise(step: int):
        """This process's slices of the step's global noise: (z for the D step, z for the G step)."""
        z = np.random.default_rng([a.seed, _NOISE_KEY, step]).standard_normal((2, B, gan.latent_dim))
        z = torch.from_numpy(z[:, rank * b : (rank + 1) * b]).to(device, dtype)
        return z[0], z[1]

    def one_step(step: int):
        """Algorithm 1, k = 1, on this process's slice; returns the step's losses averaged over
        the processes and whether any process was asked to stop."""
        real = real_batch(step)
        z_d, z_g = noise(step)
        torch.manual_seed(int(np.random.SeedSequence([a.seed, _DROPOUT_KEY, step, rank]).generate_state(1)[0]))
        # D step (lines 3-5): fakes from G in training mode, not back-propagated into G ("detached")
        with torch.no_grad():
            fake = tG(z_d)
        d_opt.zero_grad()
        with dD.no_sync():  # the real half's gradient stays local ...
            logit_r = dD(real)
            d_real = F.binary_cross_entropy_with_logits(logit_r, torch.ones_like(logit_r))
            (0.5 * d_real).backward()
        logit_f = dD(fake)
        d_fake = F.binary_cross_entropy_with_logits(logit_f, torch.zeros_like(logit_f))
        (0.5 * d_fake).backward()  # ... and this backward all-reduces the sum: the processes' mean
        d_opt.step()
        # G step (lines 7-8): D fixed; DDP averages G's gradients
        g_opt.zero_grad()
        with frozen(tD):
            logit_g = tD(dG(z_g))
            g = F.binary_cross_entropy_with_logits(logit_g, torch.ones_like(logit_g))
            g.backward()
        g_opt.step()
        with torch.no_grad():
            local = torch.stack(
                [
                    0.5 * (d_real + d_fake),
                    d_real,
                    d_fake,
                    g,
                    torch.sigmoid(logit_r).mean(),
                    torch.sigmoid(logit_f).mean(),
                    torch.tensor(float(stop.is_set()), device=device, dtype=dtype),
                ]
            )
            dist.all_reduce(local)  # one small all-reduce: the losses of the global batch, and Ctrl-C
        host = local.cpu().numpy().astype(np.float64)
        return dict(zip(HISTORY_KEYS, host[:-1] / N)), host[-1] > 0

    hist = {k: list(v) for k, v in gan.history.items()}
    run = None
    if rank == 0:
        X_test, _ = data.load_mnist(a.data, split="test", limit=a.limit)
        run = DDPRun(a, gan, X_train, X_test, (tG, tD), (g_opt, d_opt), hist)
        run.grid_log = list(extra.get("grids", []))
        say(
            f"training {a.model} GAN with DistributedDataParallel: {N} process{'es' if N > 1 else ''} "
            f"({'NCCL, one GPU each' if cuda else 'gloo, CPU'}, {a.threads} thread{'s' if a.threads > 1 else ''} "
            f"each), global batch {B} ({b} per process), steps {a.start} -> {a.total}, lr {a.lr:g}"
            + (f"/{a.lr_d:g} (G/D)" if a.lr_d != a.lr else "")
            + f", β1 {a.beta1:g}"
            + (f", D dropout {a.d_dropout:g}" if a.d_dropout else "")
            + f", {a.dtype}; torch {torch.__version__}; output in {a.out}"
        )
        if a.start == 0:
            run.sample_grid()

    def fit(callback) -> str:
        step = a.start
        while step < a.total:
            values, stop_now = one_step(step)
            step += 1
            bad = next((k for k, v in values.items() if not np.isfinite(v)), None)
            if bad is not None:  # every process sees the same all-reduced values: all stop here
                if rank == 0:  # the one line, exit status 3; the last checkpoint stays as it was
                    raise NonFiniteLossError(step, bad, values[bad], values)
                return "diverged"
            for k in HISTORY_KEYS:
                hist[k].append(values[k])
            if callback is not None:
                gan.step = step
                callback(gan)
            if stop_now:
                return "stopped" if step < a.total else "done"
        return "done"

    if rank == 0:
        hint = f"python examples/train_ddp.py --resume {a.out}" + (" --device cuda" if cuda else "")
        code, run.seconds = runner.train(run, fit, resume_hint=hint)
        status = "stopped" if code == runner.EXIT_INTERRUPTED else "done"
    else:
        status = fit(None)
        if status == "diverged":  # process 0 says so
            return status, run, []
    hashes = [None] * N
    dist.all_gather_object(hashes, state_hash(tG, tD))
    return status, run, hashes


def _finish(a, run, hashes) -> int:
    """Process 0, after the others: the generator back in minigan (from_torch), minigan's metrics,
    metrics.json, the GIF."""
    run.to_minigan()
    trained = run.gan.step - a.start
    result = {"step": run.gan.step, "seconds": round(run.seconds, 2), "grids": run.grid_log}
    if not a.no_eval:
        result = run.evaluate()
        result["seconds"] = round(run.seconds, 2)
        train.print_result(result)
    result.update(
        steps_per_s=round(trained / run.seconds, 3) if run.seconds > 0 and trained else None,
        world_size=a.world_size,
        global_batch=a.batch_size,
        per_process_batch=a.batch_size // a.world_size,
        device=a.device,
        dtype=a.dtype,
        threads=a.threads,
        rank_state_sha256=hashes,
        ranks_identical=len(set(hashes)) == 1,
    )
    if not result["ranks_identical"]:
        say(f"warning: the processes' weights differ at the end (SHA-256 {hashes}); DDP should keep them equal")
    return runner.finish(a.out, result, also="G.safetensors, D.safetensors")


class DDPRun(train.Run):
    """Process 0's record of the run: minigan-train's :class:`minigan.train.Run` (sample grids
    with the classifier's verdict, loss plot, checkpoint, final metrics) over a minigan GAN that
    mirrors the PyTorch models whenever it is read (:meth:`sync`)."""

    def __init__(self, a, gan: GAN, X_train, X_test, torch_models, torch_opts, hist: dict):
        super().__init__(a, gan, X_train, X_test, a.total, a.start)
        self.torch_models, self.torch_opts, self.hist = torch_models, torch_opts, hist
        self.plot_title = f"{a.model} GAN on MNIST, DDP x{a.world_size}: losses (document 001 Fig. 41)"
        self.seconds = 0.0
        self._synced: int | None = None

    def sync(self) -> None:
        """The minigan GAN gets the PyTorch models' weights and BatchNorm statistics (PyTorch's
        names, minigan's load_state_dict), both Adam states and the loss history."""
        if self._synced == self.gan.step:
            return
        (tG, tD), (g_opt, d_opt) = self.torch_models, self.torch_opts
        self.gan.G.load_state_dict(tG.state_dict())
        self.gan.D.load_state_dict(tD.state_dict())
        adam_from_torch(g_opt, tG, self.gan.G, self.gan.g_opt)
        adam_from_torch(d_opt, tD, self.gan.D, self.gan.d_opt)
        self.gan.set_history(self.hist)
        self._synced = self.gan.step

    def to_minigan(self) -> None:
        """The final models converted back with :func:`minigan.interop.from_torch` (plain
        BatchNorms again) and loaded into the GAN that the final metrics sample."""
        self.sync()
        for m, tm in zip((self.gan.G, self.gan.D), self.torch_models):
            m.load_state_dict(from_torch(plain_batchnorm(tm)).state_dict())

    def callback(self, gan) -> None:
        latest = {k: self.hist[k][-1] for k in ("d_real", "d_fake", "g")}
        self.bar.update(1, **latest)
        step = gan.step
        if step % self.sample_every == 0 and step < self.total:
            self.sample_grid()
            self.plot()
        if step % self.checkpoint_every == 0 and step < self.total:
            self.save_checkpoint()

    def sample_grid(self) -> str:
        self.sync()
        return super().sample_grid()

    def plot(self) -> None:
        self.sync()
        super().plot()

    def extra(self) -> dict:
        return {
            **super().extra(),
            "ddp": {"world_size": self.a.world_size, "device": self.a.device, "dtype": self.a.dtype},
        }

    def save_checkpoint(self) -> None:
        """``G.safetensors`` and ``D.safetensors`` (PyTorch's names), then ``checkpoint.npz``
        (minigan's, what --resume reads), each written atomically."""
        self.sync()
        for name, m in (("G", self.gan.G), ("D", self.gan.D)):
            path = os.path.join(self.out, f"{name}.safetensors")
            save_safetensors(m, path, metadata={"step": str(self.gan.step), "model": self.a.model})
        super().save_checkpoint()


# ---------------------------------------------------------------------------- PyTorch helpers
@contextmanager
def frozen(module):
    """Run a torch module as a fixed function (minigan.gan.freeze.frozen, for PyTorch): no
    gradient for its parameters, and its BatchNorm statistics put back on exit."""
    params = list(module.parameters())
    flags = [p.requires_grad for p in params]
    saved = [(b, b.clone()) for b in module.buffers()]
    for p in params:
        p.requires_grad_(False)
    try:
        yield module
    finally:
        for p, f in zip(params, flags):
            p.requires_grad_(f)
        with _torch().no_grad():
            for b, v in saved:
                b.copy_(v)


_CLASSES: dict = {}


def global_batchnorm_class():
    """``GlobalBatchNorm``: a BatchNorm that normalizes with the statistics of the whole global
    batch, all processes together, on any device (PyTorch's SyncBatchNorm runs on GPUs only).

    In training mode, with C channels and n samples per channel over all processes:
    ``mean = Σx / n`` (one all-reduce of the per-process sums and counts), ``var = Σ(x − mean)² / n``
    (a second all-reduce: the centred sums, as precise as one process's two-pass variance),
    ``y = γ (x − mean) / √(var + ε) + β``; the running statistics take ``mean`` and the unbiased
    ``var · n / (n − 1)`` (minigan's and PyTorch's rule). The all-reduce is an autograd function
    whose backward all-reduces the gradients: each process's loss reaches every process's inputs
    through the shared statistics, as in one process.
    In evaluation mode, or with one process, it is PyTorch's BatchNorm.
    """
    if "GlobalBatchNorm" in _CLASSES:
        return _CLASSES["GlobalBatchNorm"]
    torch = _torch()
    dist = torch.distributed

    class AllReduceSum(torch.autograd.Function):
        """The sum of a tensor over all processes. Its backward is the same sum of the
        gradients: ∂L/∂x_r = Σ_q ∂L_q/∂(Σ_p x_p), each process's loss L_q depends on x_r."""

        @staticmethod
        def forward(ctx, x):
            x = x.clone()
            dist.all_reduce(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            grad = grad.clone()
            dist.all_reduce(grad)
            return grad

    all_reduce = AllReduceSum.apply

    class GlobalBatchNorm(torch.nn.modules.batchnorm._BatchNorm):
        def _check_input_dim(self, x):
            if x.dim() not in (2, 4):
                raise ValueError(f"GlobalBatchNorm: expected (N, C) or (N, C, H, W) input, got shape {tuple(x.shape)}")

        def forward(self, x):
            if not (self.training and dist.is_initialized() and dist.get_world_size() > 1):
                return super().forward(x)
            self._check_input_dim(x)
            dims = [0] + list(range(2, x.dim()))
            shape = [1, -1] + [1] * (x.dim() - 2)
            count = x.new_full((1,), float(x.numel() // x.shape[1]))
            total = all_reduce(torch.cat([x.sum(dims), count]))  # every process's sums and counts
            n = total[-1].detach()
            mean = total[:-1] / n
            xc = x - mean.view(shape)
            var = all_reduce((xc * xc).sum(dims)) / n  # biased: the batch's own variance
            y = xc * torch.rsqrt(var + self.eps).view(shape)
            if self.affine:
                y = y * self.weight.view(shape) + self.bias.view(shape)
            if self.track_running_stats:
                with torch.no_grad():
                    self.num_batches_tracked.add_(1)
                    m = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                    self.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
                    self.running_var.mul_(1 - m).add_(var.detach() * (n / (n - 1)), alpha=m)
            return y

    GlobalBatchNorm.__qualname__ = "GlobalBatchNorm"
    _CLASSES["GlobalBatchNorm"] = GlobalBatchNorm
    return GlobalBatchNorm


def sync_batchnorm(module, cuda: bool):
    """Replace (in place) every BatchNorm1d/2d of a torch module by a synchronized one with the
    same state: ``torch.nn.SyncBatchNorm`` on GPUs, :func:`global_batchnorm_class` on the CPU.
    Each remembers its plain class, for :func:`plain_batchnorm`. Returns the module."""
    torch = _torch()
    nn = torch.nn
    cls = nn.SyncBatchNorm if cuda else global_batchnorm_class()
    for name, child in module.named_children():
        if type(child) in (nn.BatchNorm1d, nn.BatchNorm2d):
            new = cls(child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats)
            new = new.to(child.weight.device, child.weight.dtype)
            new.load_state_dict(child.state_dict())
            new.train(child.training)
            new.plain_class = type(child)
            module.add_module(name, new)
        else:
            sync_batchnorm(child, cuda)
    return module


def plain_batchnorm(module):
    """A CPU copy of a torch module with every synchronized BatchNorm of :func:`sync_batchnorm`
    back to its BatchNorm1d/2d (what :func:`minigan.interop.from_torch` reads)."""
    module = copy.deepcopy(module).cpu()

    def swap(m):
        for name, child in m.named_children():
            cls = getattr(child, "plain_class", None)
            if cls is not None:
                new = cls(child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats)
                new = new.to(child.weight.dtype)
                new.load_state_dict(child.state_dict())
                new.train(child.training)
                m.add_module(name, new)
            else:
                swap(child)

    swap(module)
    return module


def state_hash(*modules) -> str:
    """SHA-256 of the modules' parameters and buffers (BatchNorm's ``num_batches_tracked`` left
    out: minigan does not keep it), in ``state_dict`` order: equal hashes, equal weights."""
    h = hashlib.sha256()
    for i, m in enumerate(modules):
        for k, v in m.state_dict().items():
            if k.endswith("num_batches_tracked"):
                continue
            h.update(f"{i}.{k}".encode())
            h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


if __name__ == "__main__":
    sys.exit(main())

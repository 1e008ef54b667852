"""Train a GAN on MNIST digits with minigan: the main job (``minigan-train``).

    minigan-train                                     # the default recipe: clean digits in ~4 min on 2 cores
    python -m minigan.train                           # the same, without the console script
    python examples/mnist_gan.py                      # the same, from a source checkout
    minigan-train --recipe minigan                    # the same GAN without the clusters
    minigan-train --recipe doc003                     # document 003 ch. 3's Keras GAN, as the document trains it
    minigan-train --clusters 50                       # the default with another number of clusters
    minigan-train --model dcgan --steps 2000          # a DCGAN (recipe minigan's settings, lr 2e-4)
    minigan-train --data ~/.keras/datasets/mnist.npz  # the full 70,000 digits
    minigan-train --resume runs/mnist_gan/dense-20260101-120000   # continue a run (its own settings)
    minigan-train --fast                              # a few seconds, for tests

A *recipe* is a model and the settings that train it (:data:`RECIPES`); any option given on
the command line overrides the recipe's. ``doc003`` is document 003 ch. 3's dense GAN
(G 64 → 128 → 256 → 512 → 784, D 784 → 256 → 128 → 1, Adam lr 2e-4 β1 0.5, batch 128, 15,000
steps) trained with Goodfellow's Algorithm 1 (document 001 §4.1). ``minigan`` is that GAN with
Dropout in D, a larger learning rate and samples from an average of G's weights, chosen by
measurement (examples/README.md has the time-to-quality tables). ``selfcond``, the default, is
``minigan`` made self-conditioned (Liu et al. 2020, "Diverse Image Generation via
Self-Conditioned GANs"): the training digits are clustered into k groups by k-means on their
pixels (no label is used anywhere), the dense GAN is conditioned on the cluster id
(``G(z, c)``, ``D(x, c)``; :class:`minigan.gan.selfcond.SelfConditionedGAN`), and samples draw
``c`` with the clusters' shares, so that they are scored exactly as an unconditional GAN's. It
trains the dense model only: ``--model dcgan`` without ``--recipe`` gets ``minigan``'s settings.
Training uses the 4,000 training digits of the 5,000 bundled with minigan; nothing is
downloaded.

Each run writes into a folder of its own, ``runs/mnist_gan/<model>-<date>-<time>`` (or
``--out DIR``; a non-empty DIR is refused without ``--resume`` or ``--overwrite``):

- ``samples_step_XXXXXX.png``: a 10x10 grid of samples from the same 100 noise vectors every
  ``--sample-every`` steps (document 003's ``plot_generated_images``), and for each grid a line
  with the share of samples the evaluation classifier recognizes with confidence >= 0.9, how
  many of the ten digits have at least one such confident sample, and the histogram of the
  digits it reads in all the samples (mode collapse shows as a few tall bars);
- ``losses.png``: g, d_real, d_fake (document 001 Fig. 41) and D(x), D(G(z));
- ``progress.gif``: the grids over training;
- ``checkpoint.npz`` (and ``checkpoint_ema.npz`` when the recipe averages G's weights):
  everything needed to continue exactly (``--resume``), including the recipe and the total
  number of steps; written atomically every ``--checkpoint-every`` steps, at the end, and on
  Ctrl-C;
- ``metrics.json``: the final confident share, digit histogram, FID against held-out real
  digits (with the real-vs-real FID at the same sample size as the floor) and the
  memorization check (the median distance from a sample to its nearest training digit,
  relative to the same for held-out real digits).

Exit status: 0 done; 2 bad arguments, data, checkpoint, device, output folder or an OS error such as a full
disk or a read-only folder (one line naming the path); 3 the run diverged: a loss, a parameter
or an optimizer state became NaN/inf (the message names the step and the array; the last
checkpoint is kept, never overwritten with non-finite values); 130 interrupted with Ctrl-C
(checkpoint saved).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from . import argtypes, backend, blas, checkpoint, data, metrics, models, runner, viz
from .backend import as_numpy
from .data.clusters import PCA_COMPONENTS
from .gan import GAN
from .gan.ema import EMA
from .gan.selfcond import SelfConditionedGAN
from .nn.optim import Adam
from .runner import Refuse, say

__all__ = [
    "main",
    "parse_args",
    "Run",
    "MODELS",
    "RECIPES",
    "DEFAULT_RECIPE",
    "PLAIN_RECIPE",
    "default_recipe",
    "SELFCOND",
    "SELFCOND_D_HIDDEN",
    "FAST",
    "DEFAULT_STEPS",
    "RUNS_DIR",
    "HYPER",
    "OTHER_MODEL_LR",
    "model_defaults",
    "build_models",
    "saved_settings",
    "evaluate",
    "ema_bn_batch",
    "print_result",
]

#: Recipes: a model and the settings that train it. ``lr_d``/``ema``/``d_dropout`` None or 0 mean
#: "as lr" / no average / no Dropout. See examples/README.md for the measurements behind them.
RECIPES: dict[str, dict[str, Any]] = {
    "doc003": dict(
        model="dense",
        steps=15000,
        batch_size=128,
        lr=2e-4,
        lr_d=None,
        beta1=0.5,
        label_smoothing=0.0,
        ema=0.0,
        d_dropout=0.0,
    ),
    "minigan": dict(
        model="dense",
        steps=12500,
        batch_size=128,
        lr=6e-4,
        lr_d=None,
        beta1=0.5,
        label_smoothing=0.0,
        ema=0.999,
        d_dropout=0.3,
    ),
    # "minigan" self-conditioned (Liu et al. 2020) on k-means clusters of the digits: the default
    "selfcond": dict(
        model="dense",
        steps=15000,
        batch_size=128,
        lr=6e-4,
        lr_d=None,
        beta1=0.5,
        label_smoothing=0.0,
        ema=0.999,
        d_dropout=0.3,
        clusters=20,
    ),
}
#: The self-conditioned recipe: its model is the dense GAN conditioned on a cluster id.
SELFCOND = "selfcond"
#: The recipe a run gets without ``--recipe``: the best at 5 minutes on 2 cores in
#: examples/README.md's time-to-quality measurements.
DEFAULT_RECIPE = SELFCOND
#: The default of a run that the self-conditioned recipe cannot train: ``--model dcgan`` without
#: ``--recipe``, and examples/train_ddp.py's unconditional GAN.
PLAIN_RECIPE = "minigan"
#: The hidden widths of the self-conditioned D: the minigan recipe's D (document 003's 256, 128),
#: so that the conditioning is the only change of the model (the cGAN example's D is 512, 256).
SELFCOND_D_HIDDEN = (256, 128)
#: Steps of the default recipe (kept for older imports).
DEFAULT_STEPS = RECIPES[DEFAULT_RECIPE]["steps"]
#: Settings a checkpoint records and ``--resume`` restores (the command line may not contradict them).
HYPER = (
    "model",
    "batch_size",
    "lr",
    "lr_d",
    "beta1",
    "k",
    "g_loss",
    "label_smoothing",
    "noise",
    "seed",
    "ema",
    "d_dropout",
    "d_update",
    "fake_mode",
)
FAST = dict(steps=24, batch_size=32, sample_every=8, limit=256, eval_samples=100)
#: Samples of the final metrics (``--eval-samples``).
EVAL_SAMPLES = 1000
#: name -> (builder of ``(G, D)``, latent size)
MODELS: dict[str, tuple[Callable[..., Any], int]] = {
    "dense": (models.mnist_dense_gan, 64),
    "dcgan": (models.mnist_dcgan, 100),
}
RUNS_DIR = os.path.join("runs", "mnist_gan")
#: The program's name in the usage line of the console script; ``python -m minigan.train`` and
#: ``examples/mnist_gan.py`` pass their own (:func:`main`'s ``prog``).
PROG = "minigan-train"


def parse_args(argv=None, prog: str = PROG) -> argparse.Namespace:
    r = RECIPES[DEFAULT_RECIPE]
    p = argparse.ArgumentParser(
        prog=prog,
        description="Train a GAN on MNIST with minigan (document 001 §4.1, Algorithm 1) on the 4,000 "
        "training digits of the 5,000 bundled ones. Default: the recipe "
        f"{DEFAULT_RECIPE!r} ({r['model']} GAN, {r['steps']} steps, about 4 minutes on 2 idle cores); "
        f"--recipe {PLAIN_RECIPE} is the same without the clusters, --recipe doc003 document 003's own. "
        "Options given here override the recipe's.",
        formatter_class=runner.HelpFormatter,
    )
    p.add_argument(
        "--recipe",
        choices=sorted(RECIPES),
        default=None,
        help=f"model and training settings (default {DEFAULT_RECIPE}; with --model dcgan {PLAIN_RECIPE}): "
        + "; ".join(f"{n}: {_recipe_text(v)}" for n, v in RECIPES.items()),
    )
    p.add_argument(
        "--model",
        choices=sorted(MODELS),
        default=None,
        help="dense: document 003 ch. 3 (MLP); dcgan: a 28x28 DCGAN (document 001 §4.3); default: the recipe's",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--steps",
        type=argtypes.positive_int,
        default=None,
        help="generator steps to train (default: the recipe's; with --resume: the new total, default the checkpoint's)",
    )
    g.add_argument(
        "--epochs",
        type=argtypes.positive_float,
        default=None,
        help="train round(EPOCHS × batches per epoch) generator steps instead",
    )
    p.add_argument(
        "--batch-size", type=argtypes.positive_int, default=None, help="minibatch size m (default: the recipe's)"
    )
    p.add_argument(
        "--lr", type=argtypes.positive_float, default=None, help="Adam learning rate of G (and of D unless --lr-d)"
    )
    p.add_argument(
        "--lr-d",
        type=argtypes.positive_float,
        default=None,
        help="Adam learning rate of D (default: the recipe's, else --lr)",
    )
    p.add_argument("--beta1", type=argtypes.float_in(0, 1), default=None, help="Adam β1 (Radford et al.: 0.5)")
    p.add_argument(
        "--k", type=argtypes.positive_int, default=None, help="discriminator steps per generator step (default 1)"
    )
    p.add_argument(
        "--g-loss",
        choices=["non-saturating", "minimax"],
        default=None,
        help="generator objective (document 001 §4.1; default non-saturating)",
    )
    p.add_argument(
        "--label-smoothing",
        type=argtypes.float_in(0, 0.5),
        default=None,
        help="one-sided label smoothing: real target 1 - s (document 000 uses 0.1, i.e. 0.9)",
    )
    p.add_argument(
        "--ema",
        type=argtypes.float_in(0, 1),
        default=None,
        metavar="DECAY",
        help="show and evaluate an exponential moving average of G's weights (0 = off)",
    )
    p.add_argument(
        "--d-dropout",
        type=argtypes.float_in(0, 1),
        default=None,
        metavar="P",
        help="Dropout after each hidden layer of the dense D (0 = none)",
    )
    p.add_argument(
        "--noise", choices=["normal", "uniform"], default=None, help="z ~ N(0, 1) (default) or U(-1, 1) (document 000)"
    )
    p.add_argument(
        "--clusters",
        type=argtypes.positive_int,
        default=None,
        metavar="K",
        help=f"--recipe {SELFCOND} only: the number of k-means clusters of the training digits that stand in for "
        f"labels (default {RECIPES[SELFCOND]['clusters']}; at most the number of training digits)",
    )
    p.add_argument(
        "--seed",
        type=argtypes.seed,
        default=None,
        help="seed of weights, noise, minibatch order and (--recipe selfcond) the clusters (default 0)",
    )
    p.add_argument(
        "--d-update",
        choices=["joint", "separate"],
        default=None,
        help="D step: one update on ½(real + fake) (Algorithm 1, default 'joint') or one on the reals "
        "then one on the fakes ('separate', document 003's Keras loop)",
    )
    p.add_argument(
        "--fake-mode",
        choices=["train", "eval"],
        default=None,
        help="G's mode when it makes the D step's fakes (default 'train'; 'eval' is Keras' "
        "generator.predict, document 003)",
    )
    p.add_argument(
        "--data",
        default=None,
        metavar="PATH",
        help="a Keras mnist.npz or a folder with the four MNIST IDX files (gz or not); "
        "default: the 5,000 digits bundled with minigan (offline)",
    )
    runner.add_run_options(
        p, RUNS_DIR, sample_every="steps / 20", resume_rule="the model and settings come from the checkpoint"
    )
    p.add_argument(
        "--eval-samples",
        type=argtypes.positive_int,
        default=None,
        help=f"generated samples for the final metrics (default {EVAL_SAMPLES}, --fast {FAST['eval_samples']}; "
        "FID uses at most as many as there are held-out digits)",
    )
    p.add_argument("--no-eval", action="store_true", help="skip the classifier metrics and FID")
    a = p.parse_args(argv)  # every value is checked by its type= (minigan.argtypes): exit 2, one line
    runner.check_run_options(p, a)
    a.limit = None
    if a.fast:  # a tiny run, whatever the recipe; a value given on the command line is kept
        if a.steps is None and a.epochs is None and a.resume is None:  # a resume keeps its total
            a.steps = FAST["steps"]
        a.batch_size = a.batch_size if a.batch_size is not None else FAST["batch_size"]
        a.sample_every = a.sample_every if a.sample_every is not None else FAST["sample_every"]
        a.limit = FAST["limit"]
    if a.eval_samples is None:
        a.eval_samples = FAST["eval_samples"] if a.fast else EVAL_SAMPLES
    return a


def _recipe_text(r: dict) -> str:
    lr = f"lr {r['lr']:g}" + (f"/{r['lr_d']:g} (G/D)" if r.get("lr_d") else "")
    extra = (f", EMA {r['ema']:g}" if r.get("ema") else "") + (
        f", D dropout {r['d_dropout']:g}" if r.get("d_dropout") else ""
    )
    clusters = f", conditioned on {r['clusters']} k-means clusters of the digits" if r.get("clusters") else ""
    return f"{r['model']}, {r['steps']} steps, batch {r['batch_size']}, {lr}{extra}{clusters}"


_GENERIC = dict(k=1, g_loss="non-saturating", noise="normal", seed=0, d_update="joint", fake_mode="train")


def _fill_from(a, settings: dict) -> None:
    """Fill every setting the command line left unset (None) from ``settings``."""
    for key in HYPER:
        if getattr(a, key) is None:
            v = settings.get(key, _GENERIC.get(key))
            setattr(a, key, v if v is not None else (0.0 if key in ("ema", "d_dropout", "label_smoothing") else None))
    if a.lr_d is None:
        a.lr_d = a.lr


def _fmt_hist(hist) -> str:
    return " ".join(f"{d}:{n}" for d, n in enumerate(hist))


def saved_settings(path: str):
    """``(checkpoint, settings)``: a minigan-train checkpoint (:func:`minigan.checkpoint.load`)
    and the run settings it records (every key of :data:`HYPER`, ``data``, ``steps``,
    ``recipe``; older checkpoints' missing keys filled with what they trained with). A file
    that cannot be read, or holds no run settings, is refused in one line (:class:`Refuse`)."""
    try:
        ck = checkpoint.load(path)
    except (FileNotFoundError, checkpoint.CheckpointError, ValueError, OSError) as exc:
        raise Refuse(f"cannot resume: {exc}") from None
    runner.check_job(path, ck.extra, runner.RunCallbacks.job, "minigan-train")
    saved = ck.extra.get("args", {})
    if not saved or not isinstance(saved, dict):
        raise Refuse(f"cannot resume: {path} was not written by minigan-train (no run settings in it)")
    saved = dict(saved)
    saved.setdefault("lr_d", saved.get("lr"))  # checkpoints from before the recipes: one lr, no EMA
    saved.setdefault("ema", 0.0)
    saved.setdefault("d_dropout", 0.0)
    saved.setdefault("d_update", "joint")  # checkpoints from before the documents' D-step variants
    saved.setdefault("fake_mode", "train")
    _check_saved(path, saved)
    return ck, saved


def _choice(*values):
    def check(v):
        if v not in values:
            raise argparse.ArgumentTypeError(f"is not one of {list(values)}")

    return check


def _number(parse):
    """A recorded number checked as the command line's ``type=`` checks its text (a bool, a
    string or a list is refused)."""

    def check(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise argparse.ArgumentTypeError(f"is a {type(v).__name__}, not a number")
        parse(repr(v))

    return check


#: How a checkpoint's recorded settings are checked before a resume uses them: the command
#: line's own types (minigan.argtypes), so a setting no command line could give is refused.
_SETTING_TYPES = {
    "model": _choice(*MODELS),
    "batch_size": _number(argtypes.positive_int),
    "lr": _number(argtypes.positive_float),
    "lr_d": _number(argtypes.positive_float),
    "beta1": _number(argtypes.float_in(0, 1)),
    "k": _number(argtypes.positive_int),
    "g_loss": _choice("non-saturating", "minimax"),
    "label_smoothing": _number(argtypes.float_in(0, 0.5)),
    "noise": _choice("normal", "uniform"),
    "seed": _number(argtypes.seed),
    "ema": _number(argtypes.float_in(0, 1)),
    "d_dropout": _number(argtypes.float_in(0, 1)),
    "d_update": _choice("joint", "separate"),
    "fake_mode": _choice("train", "eval"),
    "steps": _number(argtypes.positive_int),
    "recipe": _choice(*RECIPES),
    "clusters": _number(argtypes.positive_int),
}


def _check_saved(path: str, saved: dict) -> None:
    """Refuse (one line) recorded settings that minigan-train cannot train with, e.g. the
    ``xray64`` model of an examples/image_gan.py run (a checkpoint from before the ``job`` tag)."""
    if saved.get("model") not in MODELS:
        raise Refuse(
            f"cannot resume: {path} was trained with --model {str(saved.get('model'))[:40]}, which minigan-train "
            f"does not have ({', '.join(sorted(MODELS))}); is it a run of another program?"
        )
    for key, check in _SETTING_TYPES.items():
        v = saved.get(key)
        if v is None:  # not recorded: the recipe's or the default
            continue
        try:
            check(v)
        except argparse.ArgumentTypeError as exc:
            raise Refuse(f"cannot resume: {path} records the setting {key} = {str(v)[:40]!r}, which {exc}") from None


def _resolve_resume(a, root: str) -> tuple[str, dict, int]:
    """The checkpoint to resume, its settings (filled into ``a``) and its step. The output
    folder (``--out``, else the checkpoint's) is locked first (:func:`minigan.runner.lock_out`:
    a run in progress there is refused); nothing is written."""
    path = runner.resume_path(a.resume, a.out, root)
    if a.out is None:
        a.out = os.path.dirname(os.path.abspath(path))
    runner.lock_out(a.out)
    ck, saved = saved_settings(path)
    for key in HYPER:
        given = getattr(a, key)
        if given is not None and key in saved and saved[key] != given:
            raise Refuse(
                f"cannot resume: {path} was trained with --{key.replace('_', '-')} {saved[key]}, "
                f"this run asks for {given} (leave it out: --resume takes the checkpoint's)"
            )
    if a.recipe is not None and saved.get("recipe") not in (None, a.recipe):
        raise Refuse(f"cannot resume: {path} was trained with --recipe {saved['recipe']}, this run asks for {a.recipe}")
    if a.clusters is not None and saved.get("clusters") not in (None, a.clusters):
        raise Refuse(
            f"cannot resume: {path} was trained with --clusters {saved['clusters']}, this run asks for {a.clusters}"
        )
    a.recipe = saved.get("recipe", a.recipe)
    _fill_from(a, saved)
    if a.data is None:
        a.data = saved.get("data")
    return path, saved, int(ck.step)


class Run(runner.RunCallbacks):
    """The state of one run of the job (so main() stays readable)."""

    def __init__(self, args, gan: GAN, X_train, X_test, total: int, start: int, ema: EMA | None = None):
        super().__init__(
            gan,
            args.out,
            total,
            start,
            f"{args.model} GAN",
            args.sample_every,
            args.checkpoint_every,
            args=args,
            hyper=HYPER,
            evaluate=not args.no_eval,
        )
        self.plot_title = f"{args.model} GAN on MNIST: losses (document 001 Fig. 41)"
        self.X_train, self.X_test = X_train, X_test
        self.ckpt_ema = os.path.join(self.out, "checkpoint_ema.npz")
        self.ckpt_ema_prev = os.path.join(self.out, "checkpoint_ema_prev.npz")
        self.z_fixed = gan.fixed_noise(100)
        self.ema = ema
        self.bn_noise: Any = ema_bn_batch(gan) if ema is not None else None
        #: a self-conditioned GAN's grid: the same 100 cluster ids every time, drawn by the shares
        self.grid_clusters = gan.fixed_clusters(100) if isinstance(gan, SelfConditionedGAN) else None

    def settings(self) -> dict:
        out = {**super().settings(), "recipe": self.a.recipe}
        if getattr(self.a, "clusters", None) is not None:  # examples/train_ddp.py's runs have none
            out["clusters"] = self.a.clusters
        return out

    def save_checkpoint(self) -> None:
        """``checkpoint.npz`` and, with an average of G's weights, ``checkpoint_ema.npz``: two
        files, each written atomically, kept a matching pair even when a save is stopped
        half-way (a second Ctrl-C, a kill): the average that matches the checkpoint on disk is
        kept as ``checkpoint_ema_prev.npz`` until the new checkpoint is written, and
        :meth:`load_ema` takes whichever of the two matches the checkpoint's step."""
        if self.ema is None:
            self.gan.save(self.ckpt, extra=self.extra())
            return
        if os.path.exists(self.ckpt_ema):
            os.replace(self.ckpt_ema, self.ckpt_ema_prev)
        checkpoint.save(self.ckpt_ema, step=self.gan.step, arrays=self.ema.state_dict())
        self.gan.save(self.ckpt, extra=self.extra())
        if os.path.exists(self.ckpt_ema_prev):
            os.remove(self.ckpt_ema_prev)

    def load_ema(self) -> None:
        if self.ema is None:
            return
        found = []
        for path in (self.ckpt_ema, self.ckpt_ema_prev):
            try:
                ck = checkpoint.load(path)
            except (FileNotFoundError, checkpoint.CheckpointError, ValueError, OSError) as exc:
                found.append(f"{path}: {exc}")
                continue
            if int(ck.step) == self.gan.step:
                if path == self.ckpt_ema_prev:  # a save stopped half-way: the pair is this one again
                    os.replace(self.ckpt_ema_prev, self.ckpt_ema)
                self.ema.load_state_dict(ck.arrays)
                return
            found.append(f"{path} is at step {ck.step}")
        say(
            f"warning: no average of G's weights at the checkpoint's step {self.gan.step} ({'; '.join(found)}); "
            f"the average restarts here"
        )
        self.ema = EMA(self.gan.G, self.a.ema)

    def on_step(self) -> None:
        if self.ema is not None:
            self.ema.update()

    def generate(self, n: int | None = None, z=None, clusters=None):
        """Samples of the generator the run shows: the average of G's weights if the recipe keeps
        one, else G itself (evaluation mode). A self-conditioned GAN draws the cluster ids by
        the clusters' shares (or takes ``clusters``): either way a plain batch of images."""
        if self.ema is None:
            return self._sample(n, z, clusters)
        with self.ema.swapped_in(self.bn_noise):
            return self._sample(n, z, clusters)

    def _sample(self, n, z, clusters):
        if isinstance(self.gan, SelfConditionedGAN):
            return self.gan.sample(n, z=z, labels=clusters)
        return self.gan.sample(n, z=z)

    def sample_grid(self) -> str:
        step = self.gan.step
        imgs = self.generate(z=self.z_fixed, clusters=self.grid_clusters)
        path = os.path.join(self.out, f"samples_step_{step:06d}.png")
        what = f"self-conditioned {self.a.model} GAN (k = {self.a.clusters})" if self.a.recipe == SELFCOND else None
        viz.save_grid(imgs, path, nrow=10, title=f"{what or self.a.model + ' GAN'}, step {step}")
        if self.classifier is not None:
            assert self.metrics is not None  # set with the classifier
            q = self.metrics.sample_quality(imgs, self.classifier)
            self.grid_log.append(
                {
                    "step": step,
                    "confident_share": q["confident_share"],
                    "histogram": q["histogram"],
                    "mode_count": q["mode_count"],
                }
            )
            self.note(
                f"step {step:>6}: confident {100 * q['confident_share']:5.1f}%  "
                f"digits with a confident sample {q['mode_count']:>2}/10  "
                f"classified as {_fmt_hist(q['histogram'])}"
            )
        return path

    def evaluate(self) -> dict:
        """The final metrics of :func:`evaluate` on ``--eval-samples`` samples of
        :meth:`generate`, with the run's step and grid log."""
        result = evaluate(self.generate(self.a.eval_samples), self.X_train, self.X_test, self.classifier)
        return {"step": self.gan.step, **result, "grids": self.grid_log}


def ema_bn_batch(gan: GAN):
    """The fixed batch on which the average of G's weights gets its BatchNorm statistics
    (:meth:`minigan.gan.ema.EMA.swapped_in`): 512 noise vectors from the run's seed and, for a
    self-conditioned GAN, ``(z, c)`` with 512 cluster ids drawn by the clusters' shares."""
    seed = gan.seed + 1_000_003
    z = gan.fixed_noise(512, seed=seed)
    if isinstance(gan, SelfConditionedGAN):
        return z, backend.asarray(gan.fixed_clusters(512, seed=seed), gan.device)
    return z


def evaluate(gen, X_train, X_test, classifier) -> dict:
    """minigan-train's final metrics of the samples ``gen`` (N, 1, 28, 28): the evaluation
    classifier's confident share, digit histogram, mode count and mean top probability on all of
    them; FID against the held-out digits ``X_test`` and the real-vs-real floor (``X_train``
    against ``X_test``) and the memorization check, on ``min(N, len(X_test), len(X_train))``."""
    n = len(gen)
    q = metrics.sample_quality(gen, classifier)
    m = min(n, len(X_test), len(X_train))
    fid = metrics.fid(X_test[:m], gen[:m], classifier)
    floor = metrics.fid(X_test[:m], X_train[:m], classifier)
    mem = metrics.memorization(as_numpy(gen[:m]), X_train, X_test[:m])
    return {
        "samples": n,
        "confident_share": q["confident_share"],
        "histogram": q["histogram"],
        "mode_count": q["mode_count"],
        "mean_max_prob": q["mean_max_prob"],
        "fid": fid,
        "fid_real_vs_real": floor,
        "fid_samples": m,
        "memorization": mem,
    }


def print_result(result: dict) -> None:
    """The final report of :func:`evaluate`'s ``result`` on stdout, four lines (the job's last
    lines before the list of files)."""
    mem = result["memorization"]
    print(
        f"final samples ({result['samples']}): {100 * result['confident_share']:.1f}% classified with "
        f"confidence >= 0.9, {result['mode_count']}/10 digits with a confident sample"
    )
    print(f"digit histogram: {_fmt_hist(result['histogram'])}")
    print(
        f"FID vs held-out real digits ({result['fid_samples']} each): {result['fid']:.2f} "
        f"(real vs real: {result['fid_real_vs_real']:.2f})"
    )
    print(
        f"memorization: median distance to the nearest training digit {mem['median_nn_sample']:.2f} "
        f"for samples, {mem['median_nn_heldout']:.2f} for held-out real digits (ratio {mem['ratio']:.2f}; "
        f"well below 1 would mean copies)"
    )


#: The learning rate a model other than the recipe's gets (Radford et al.'s): the recipes' own
#: were measured for their own model.
OTHER_MODEL_LR = 2e-4


def default_recipe(model: str | None = None) -> str:
    """The recipe a run of ``model`` gets without ``--recipe``: :data:`DEFAULT_RECIPE`, or
    :data:`PLAIN_RECIPE` for a model the default recipe does not train (``--model dcgan``)."""
    if model is not None and model not in MODELS:
        raise ValueError(f"default_recipe: model must be one of {sorted(MODELS)}, got {model!r}")
    if model is None or model == RECIPES[DEFAULT_RECIPE]["model"]:
        return DEFAULT_RECIPE
    return PLAIN_RECIPE


def model_defaults(model: str, recipe: str = PLAIN_RECIPE) -> dict:
    """The settings ``recipe`` (default :data:`PLAIN_RECIPE`, the unconditional GAN) trains
    ``model`` with when the command line gives no other: the recipe's, except that a model
    other than the recipe's gets lr :data:`OTHER_MODEL_LR` and, if it is not the dense model,
    no D Dropout (as ``minigan-train --model dcgan`` does)."""
    r = dict(RECIPES[recipe], model=model)
    if model != RECIPES[recipe]["model"]:
        r["lr"] = r["lr_d"] = OTHER_MODEL_LR
    if model != "dense":
        r["d_dropout"] = 0.0
    r["lr_d"] = r["lr_d"] or r["lr"]
    return r


def build_models(model: str, seed: int, d_dropout: float = 0.0, clusters: int | None = None):
    """``(G, D, latent_dim)``: the builder of ``MODELS[model]`` with weights drawn from
    ``seed`` (and, for the dense D, Dropout ``d_dropout`` after each hidden layer). With
    ``clusters`` k (the ``selfcond`` recipe; the dense model only): the same dense GAN
    conditioned on a cluster id in ``[0, k)``, :func:`minigan.models.mnist_dense_cgan` with the
    default's D widths (:data:`SELFCOND_D_HIDDEN`)."""
    build, latent = MODELS[model]
    rng = np.random.default_rng(seed)
    if clusters:
        if model != "dense":
            raise ValueError(f"build_models: clusters (the selfcond recipe) need the dense model, got {model!r}")
        cG, cD = models.mnist_dense_cgan(
            latent, num_classes=clusters, rng=rng, d_hidden=SELFCOND_D_HIDDEN, d_dropout=d_dropout
        )
        return cG, cD, latent
    kwargs = {"d_dropout": d_dropout} if d_dropout and model == "dense" else {}
    G, D = build(latent, rng=rng, **kwargs)
    return G, D, latent


def main(argv=None, prog: str = PROG, command: str | None = None) -> int:
    """Run the job; exit codes as in :mod:`minigan.runner` (2: bad arguments, data, checkpoint,
    device, folder or an OS error, one line naming the path; 3: a diverged run; 130: Ctrl-C).

    ``prog`` is the program's name in the usage line and argparse's errors (``minigan-train``,
    ``python -m minigan.train``, ``mnist_gan.py``); ``command`` runs it again, for the line
    that says how to resume after Ctrl-C (default ``prog``).
    """
    return runner.exit_code(lambda: _main(argv, prog, command or prog))


def _main(argv, prog: str, command: str) -> int:
    a = parse_args(argv, prog)
    runner.use_device(a.device)
    dropout_given, lr_given = a.d_dropout is not None, (a.lr, a.lr_d) != (None, None)
    root = runner.runs_root(RUNS_DIR, a.fast)  # --fast runs apart: a bare --resume never picks one
    if a.resume is not None:
        ckpt_path, saved, start = _resolve_resume(a, root)
    else:
        a.recipe = a.recipe or default_recipe(a.model)  # --model dcgan: the plain recipe
        model_given = a.model is not None
        _fill_from(a, RECIPES[a.recipe])
        if model_given and a.model != RECIPES[a.recipe]["model"] and not lr_given:
            a.lr = a.lr_d = OTHER_MODEL_LR  # the recipe's learning rate was measured for its own model
        ckpt_path, saved, start = None, {}, 0
        a.out = a.out if a.out is not None else runner.new_run_dir(root, a.model)
        runner.lock_out(a.out)  # one writer per folder, before anything is read or written
        runner.check_out(a.out, a.overwrite, root)
    if a.recipe == SELFCOND:
        if a.model != "dense":
            raise Refuse(f"--recipe {SELFCOND} trains the dense model only, not --model {a.model}")
        k: int | None = int(a.clusters or saved.get("clusters") or RECIPES[SELFCOND]["clusters"])
        a.clusters = k
    elif a.clusters is not None:
        raise Refuse(f"--clusters applies to --recipe {SELFCOND} only (this run's recipe is {a.recipe})")
    else:
        k = None
    if a.d_dropout and a.model != "dense" and not dropout_given:
        a.d_dropout = 0.0  # the recipe's D Dropout is for its dense D
    if a.d_dropout and a.model != "dense":
        raise Refuse(f"--d-dropout applies to the dense model only, not --model {a.model}")
    X_train, _ = data.load_mnist(a.data, split="train", limit=a.limit)  # the labels are never used
    X_test, _ = data.load_mnist(a.data, split="test", limit=a.limit)
    if a.batch_size > len(X_train):
        raise Refuse(f"--batch-size {a.batch_size} is larger than the training set ({len(X_train)} digits)")
    if k is not None and k > len(X_train):
        raise Refuse(f"--clusters {a.clusters} is more than the training set's {len(X_train)} digits")
    default = (
        int(saved["steps"])
        if a.resume is not None and saved.get("steps")
        else (RECIPES[a.recipe]["steps"] if a.recipe in RECIPES else DEFAULT_STEPS)
    )
    total = runner.total_steps(a.epochs, a.steps, len(X_train) // a.batch_size, default)
    if a.resume is not None and start >= total:
        raise Refuse(
            f"{ckpt_path} is already at step {start} of {total}: nothing to do; pass a larger "
            f"--steps (the new total) to train on"
        )
    a.sample_every = a.sample_every or max(1, total // 20)
    a.checkpoint_every = a.checkpoint_every or a.sample_every
    n, a.threads_note = runner.resolve_threads(a.threads)
    with blas.limited(n) as (threads, _):  # the previous count comes back after the run
        return _train(a, X_train, X_test, total, start, ckpt_path, threads, command)


def _train(a, X_train, X_test, total: int, start: int, ckpt_path: str | None, threads: int | None, command: str) -> int:
    selfcond = a.recipe == SELFCOND
    G, D, latent = build_models(a.model, a.seed, a.d_dropout, a.clusters if selfcond else None)
    G.to(a.device)
    D.to(a.device)
    settings: dict[str, Any] = dict(
        k=a.k,
        g_loss=a.g_loss,
        real_label=1.0 - a.label_smoothing,
        noise=a.noise,
        seed=a.seed,
        d_update=a.d_update,
        fake_mode=a.fake_mode,
        g_opt=Adam(G.parameters(), lr=a.lr, beta1=a.beta1),
        d_opt=Adam(D.parameters(), lr=a.lr_d, beta1=a.beta1),
    )
    gan = SelfConditionedGAN(G, D, latent, a.clusters, **settings) if selfcond else GAN(G, D, latent, **settings)
    ema = EMA(G, a.ema) if a.ema else None
    extra = {}
    if a.resume is not None:
        try:
            extra = gan.load(ckpt_path)
        except (OSError, checkpoint.CheckpointError, ValueError) as exc:
            raise Refuse(f"cannot resume: {exc}") from None
    clusters, cluster_note = _clusters(a, gan, X_train, ckpt_path)
    runner.prepare_out(a.out, a.overwrite and a.resume is None)
    run = Run(a, gan, X_train, X_test, total, start, ema)
    if a.resume is not None:
        run.grid_log = list(extra.get("grids", []))
        run.load_ema()

    lrs = f"lr {a.lr:g}" if a.lr_d == a.lr else f"lr {a.lr:g}/{a.lr_d:g} (G/D)"
    say(
        f"training {a.model} GAN (recipe {a.recipe}{cluster_note}) on {len(X_train)} digits "
        f"({'bundled' if a.data is None else a.data}), steps {start} -> {total}, batch {a.batch_size}, {lrs}"
        + (f", EMA {a.ema:g}" if a.ema else "")
        + f"; device {a.device}; {blas.describe()}{a.threads_note}; "
        f"output in {a.out}"
    )
    if start == 0:
        run.first_grid()  # step 0: the untrained generator (first GIF frame)
    code, elapsed = runner.train(
        run,
        lambda cb: gan.fit(X_train, total, a.batch_size, callback=cb, log_every=min(25, a.sample_every)),
        resume_hint=f"{command} --resume {a.out}",
    )
    if code is not None:
        return code
    result: dict[str, Any] = {"step": gan.step, "seconds": round(elapsed, 2), "grids": run.grid_log}
    if not a.no_eval:
        result = run.evaluate()
        result["seconds"] = round(elapsed, 2)
        print_result(result)
    result["recipe"] = a.recipe
    if clusters is not None:
        result["clusters"] = clusters
    result["threads"] = threads
    return runner.finish(a.out, result, also="checkpoint_ema.npz" if ema is not None else "")


def _clusters(a, gan: GAN, X_train, ckpt_path: str | None) -> tuple[dict | None, str]:
    """A self-conditioned GAN's clusters: found by k-means on the training digits (a new run;
    timed) or the checkpoint's (a resumed run, already loaded by ``gan.load``). Returns the
    record for ``metrics.json`` and the words for the header line ("" for another recipe)."""
    if not isinstance(gan, SelfConditionedGAN):
        return None, ""
    k = gan.num_clusters
    if a.resume is None:
        t0 = time.perf_counter()
        found = data.cluster_images(X_train, k, seed=a.seed)  # the pixels alone: no label, no classifier
        seconds: float | None = round(time.perf_counter() - t0, 3)
        gan.set_assignment(found.assignments)
        how = (
            f"by k-means on {PCA_COMPONENTS} principal components of the pixels, no labels: "
            f"{seconds:.2f} s, {found.iterations} iterations"
        )
    else:
        assert gan.assignment is not None  # SelfConditionedGAN.load set it or refused
        if len(gan.assignment) != len(X_train):
            raise Refuse(
                f"cannot resume: {ckpt_path} clustered {len(gan.assignment)} training digits, this run has "
                f"{len(X_train)} (--fast and --data must be the checkpoint's)"
            )
        seconds, how = None, "from the checkpoint"
    assert gan.assignment is not None
    sizes = np.bincount(gan.assignment, minlength=k)
    record = {"k": k, "sizes": sizes.tolist(), "seconds": seconds, "features": f"pca{PCA_COMPONENTS}"}
    return record, f": self-conditioned on k = {k} clusters of the training digits {how}"


if __name__ == "__main__":
    sys.exit(main(prog="python -m minigan.train"))

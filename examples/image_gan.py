#!/usr/bin/env python
"""Train the documents' 64x64 or 96x96 DCGAN on a folder of your own images.

    python -m minigan.data.drawings runs/shapes64                     # no images at hand? draw some
    python examples/image_gan.py --data runs/shapes64 --model xray64
    python examples/image_gan.py --data ~/chest_xray/train --class NORMAL --model xray64
    python examples/image_gan.py --data ~/faces --model anime96 --device gpu
    python examples/image_gan.py --data DIR --resume           # continue the newest run
    python examples/image_gan.py --data DIR --fast             # a few seconds, for tests

Models (:mod:`minigan.models`): ``xray64`` is document 001 §6's DCGAN (Tabela 1 and 2, 64x64
grayscale), ``anime96`` document 000's (Appendix A.2, 96x96 grayscale, with its one-sided label
smoothing 0.9 and uniform noise), ``dcgan28`` the 28x28 MNIST DCGAN (document 001 §4.3 rules).
The folder is read with :class:`minigan.data.ImageFolder`: PNG/JPEG/BMP, converted to
grayscale, scaled and center-cropped to the model's size, streamed a minibatch at a time; files
that are not readable images are reported by name and skipped (``--strict`` refuses them).
With one sub-folder per class, ``--class NAME`` trains on one class, as document 001 §6.4
trains one GAN per class (NORMAL, PNEUMONIA).

Each step is document 001 §6.2's loop of three stages: (1) D on a real batch, target 1 (its
loss ``d2``); (2) D on as many fakes G(ξ), target 0 (``d1``); (3) G through D with θ_d fixed,
the fakes labelled 1 (``g``). Each run writes into a folder of its own,
``runs/image_gan/<model>-<date>-<time>`` (or ``--out DIR``; a non-empty DIR is refused without
``--resume`` or ``--overwrite``):

- ``samples_step_XXXXXX.png``: an 8x8 grid from the same 64 noise vectors every
  ``--sample-every`` steps (document 001 Fig. 43/44), ``real_batch.png`` what D sees as real;
- ``losses.png``: g, d1, d2 per step (document 001 Fig. 41/42) and D(x), D(G(z));
- ``progress.gif``, ``checkpoint.npz`` (weights, Adam moments, noise and folder position),
  ``metrics.json``: the final losses and a nearest-neighbour distance of samples to real images
  (see ``nn_distance``), for the untrained and the trained generator.

Exit status (as every minigan training script, :mod:`minigan.runner`): 0 done; 2 bad arguments,
data (``--strict`` and an unreadable file), checkpoint, device, output folder or an OS error; 3 the
run diverged (NaN/inf); 130 Ctrl-C (checkpoint saved).
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
from minigan import argtypes, blas, checkpoint, models, runner, viz  # noqa: E402
from minigan.data import ImageFolder  # noqa: E402
from minigan.gan import GAN  # noqa: E402
from minigan.metrics.nearest import nn_distance  # noqa: E402
from minigan.runner import Refuse, say  # noqa: E402

#: name -> (builder, latent size, image size, GAN options from the model's document)
MODELS = models.IMAGE_GANS
DEFAULT_STEPS = 2000
FAST = dict(steps=4, batch_size=8, sample_every=2)
BATCH_SIZE = 16
RUNS_DIR = os.path.join("runs", "image_gan")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="image_gan.py",
        formatter_class=runner.HelpFormatter,
        description="Train document 001's 64x64 or document 000's 96x96 DCGAN on a folder of "
        "your images (document 001 §6.2's three training stages).",
    )
    p.add_argument("--data", required=True, metavar="DIR", help="folder of PNG/JPEG/BMP images (sub-folders = classes)")
    p.add_argument(
        "--model",
        choices=sorted(MODELS),
        default="xray64",
        help="xray64: document 001 §6 (64x64); anime96: document 000 (96x96); dcgan28: 28x28 DCGAN",
    )
    p.add_argument(
        "--class",
        dest="klass",
        action="append",
        default=None,
        metavar="NAME",
        help="train on this class sub-folder only (repeatable); document 001 §6.4 trains one GAN per class",
    )
    p.add_argument(
        "--steps",
        type=argtypes.positive_int,
        default=None,
        help=f"generator steps (default {DEFAULT_STEPS}; with --resume: the new total, default the checkpoint's)",
    )
    p.add_argument(
        "--batch-size",
        type=argtypes.positive_int,
        default=None,
        help=f"minibatch size (default {BATCH_SIZE}; --fast {FAST['batch_size']})",
    )
    p.add_argument(
        "--lr",
        type=argtypes.positive_float,
        default=None,
        help="Adam learning rate (default: the model's document's)",
    )
    p.add_argument("--beta1", type=argtypes.float_in(0, 1), default=0.5, help="Adam β1")
    p.add_argument("--k", type=argtypes.positive_int, default=1, help="discriminator steps per generator step")
    p.add_argument("--seed", type=argtypes.seed, default=0, help="seed of weights, noise and folder order")
    p.add_argument(
        "--strict",
        action="store_true",
        help="refuse (exit 2) on a file that is not a readable image, instead of reporting and skipping it",
    )
    runner.add_run_options(
        p, RUNS_DIR, sample_every="steps / 10", resume_rule="--model and --batch-size must be the checkpoint's"
    )
    a = p.parse_args(argv)  # every value is checked by its type= (minigan.argtypes): exit 2, one line
    runner.check_run_options(p, a)
    if a.fast:  # a tiny run; a value given on the command line is kept
        if a.steps is None and a.resume is None:  # a resume keeps its total
            a.steps = FAST["steps"]
        a.sample_every = a.sample_every if a.sample_every is not None else FAST["sample_every"]
    if a.batch_size is None:
        a.batch_size = FAST["batch_size"] if a.fast else BATCH_SIZE
    return a


def fig41_history(h: dict) -> dict:
    """minigan's history keys in document 001 Fig. 41/42's names: g, d1 (fakes), d2 (reals)."""
    return {
        "g": h["g"],
        "d1 (D on fakes)": h["d_fake"],
        "d2 (D on reals)": h["d_real"],
        "d_x": h["d_x"],
        "d_g_z": h["d_g_z"],
    }


class Run(runner.RunCallbacks):
    """The state of one run of the example (so main() stays readable)."""

    job = "image_gan"  # its checkpoints resume here only (runner.check_job)

    def __init__(self, a, gan: GAN, folder: ImageFolder, reference: np.ndarray, lr: float, total: int, start: int):
        super().__init__(gan, a.out, total, start, a.model, a.sample_every, a.checkpoint_every)
        self.a, self.folder, self.reference, self.lr = a, folder, reference, lr
        self.plot_title = (
            f"{a.model} on {os.path.basename(os.path.abspath(a.data))}: g, d1, d2 (document 001 Fig. 41/42)"
        )
        self.z_fixed = gan.fixed_noise(64)
        self.log: list[dict] = []

    def extra(self) -> dict:
        a = self.a
        return {
            "job": self.job,
            "args": {
                "model": a.model,
                "batch_size": a.batch_size,
                "lr": self.lr,
                "beta1": a.beta1,
                "k": a.k,
                "seed": a.seed,
                "data": os.path.abspath(a.data),
                "class": a.klass,
                "steps": self.total,
            },
            "folder": self.folder.state_dict(),
            "log": self.log,
        }

    def grid(self) -> np.ndarray:
        imgs = mg.as_numpy(self.gan.sample(z=self.z_fixed))
        viz.save_grid(
            imgs,
            os.path.join(self.out, f"samples_step_{self.gan.step:06d}.png"),
            nrow=8,
            title=f"{self.a.model}, step {self.gan.step}",
        )
        return imgs

    def sample_grid(self) -> None:
        v = self.gan.flush()
        nn = nn_distance(self.grid(), self.reference)
        self.log.append({"step": self.gan.step, "g": v["g"], "d1": v["d_fake"], "d2": v["d_real"], "nn_distance": nn})
        self.note(
            f"step {self.gan.step:>6}: (1) d2 {v['d_real']:.3f}  (2) d1 {v['d_fake']:.3f}  (3) g {v['g']:.3f}  "
            f"D(x) {v['d_x']:.2f} D(G(z)) {v['d_g_z']:.2f}  nearest-real distance {nn:.3f}"
        )

    def curves(self, history: dict) -> dict:
        return fig41_history(history)


def main(argv=None) -> int:
    """Run the example; exit codes as in :mod:`minigan.runner`."""
    return runner.exit_code(lambda: _main(argv))


def _main(argv=None) -> int:
    a = parse_args(argv)
    runner.use_device(a.device)
    ckpt_path = runner.choose_out(a, RUNS_DIR)
    build, latent, size, opts = MODELS[a.model]
    lr = a.lr if a.lr is not None else opts["lr"]
    try:
        folder = ImageFolder(
            a.data, size, a.batch_size, mode="L", classes=a.klass, seed=a.seed, on_error="raise" if a.strict else "skip"
        )
        # 256 images in a fixed, separate order: the reference of nn_distance.
        reference = ImageFolder(
            a.data,
            size,
            min(256, folder.n),
            mode="L",
            classes=a.klass,
            seed=a.seed + 1,
            on_error="skip",
            log=lambda m: None,
        ).next_batch()
    except (ValueError, ImportError) as exc:  # DataError is a ValueError; ImportError: no Pillow
        raise Refuse(str(exc)) from None

    G, D = build(latent, rng=np.random.default_rng(a.seed))
    G.to(a.device)
    D.to(a.device)
    gan = GAN(
        G, D, latent, k=a.k, noise=opts["noise"], real_label=opts["real_label"], seed=a.seed, lr=lr, beta1=a.beta1
    )
    log, saved = [], {}
    if ckpt_path is not None:
        try:
            runner.check_job(ckpt_path, checkpoint.load(ckpt_path).extra, Run.job, "examples/image_gan.py")
            extra = gan.load(ckpt_path)
            saved = extra.get("args", {})
            saved = saved if isinstance(saved, dict) else {}
            for key in ("model", "batch_size"):
                if key in saved and saved[key] != getattr(a, key):
                    raise ValueError(
                        f"{ckpt_path} was trained with --{key.replace('_', '-')} {saved[key]}, "
                        f"this run asks for {getattr(a, key)}"
                    )
            folder.load_state_dict(extra["folder"])
            log = list(extra.get("log", []))
        except (OSError, checkpoint.CheckpointError, ValueError, KeyError, TypeError) as exc:
            raise Refuse(f"cannot resume: {exc}") from None
    # the total: --steps, else a resumed run's own total, else DEFAULT_STEPS
    saved_steps = saved.get("steps")
    total = (
        a.steps
        if a.steps is not None
        else (saved_steps if isinstance(saved_steps, int) and saved_steps > 0 else DEFAULT_STEPS)
    )
    if ckpt_path is not None:
        if gan.step >= total:
            raise Refuse(
                f"{ckpt_path} is already at step {gan.step} of {total}: nothing to do; pass a larger "
                f"--steps (the new total) to train on"
            )
    runner.prepare_out(a.out, a.overwrite and ckpt_path is None)
    start = gan.step
    a.sample_every = a.sample_every or max(1, total // 10)
    a.checkpoint_every = a.checkpoint_every or a.sample_every
    run = Run(a, gan, folder, reference, lr, total, start)
    run.log = log
    dev = a.device

    def next_real():
        return mg.asarray(folder.next_batch(), dev)

    n, note = runner.resolve_threads(a.threads)
    with blas.limited(n) as (threads, _):
        say(
            f"training {a.model} ({size}x{size}) on {folder.n} images of {a.data}"
            + (f" (classes {folder.classes})" if folder.classes else "")
            + f", steps {start} -> {total}, batch {a.batch_size}, device {dev}; {blas.describe()}{note}; "
            f"output in {a.out}"
        )
        say(
            "each step (document 001 §6.2): (1) D on reals, target 1 -> d2; (2) D on G(ξ), target 0 -> d1; "
            "(3) G through D with θ_d fixed, fakes labelled 1 -> g"
        )
        viz.save_grid(reference[:64], os.path.join(a.out, "real_batch.png"), nrow=8, title="real images")
        result = {}
        if start == 0:
            runner.sigint_point("grid0")
            result["nn_distance_untrained"] = nn_distance(run.grid(), reference)
        code, elapsed = runner.train(
            run,
            lambda cb: gan.fit_stream(next_real, total, callback=cb, log_every=10),
            resume_hint=f"python examples/image_gan.py --data {a.data} --resume {a.out}",
        )
        if code is not None:
            return code
        trained = gan.step - start
        held = ImageFolder(
            a.data,
            size,
            min(64, folder.n),
            mode="L",
            classes=a.klass,
            seed=a.seed + 2,
            on_error="skip",
            log=lambda m: None,
        ).next_batch()
        result.update(
            {
                "step": gan.step,
                "seconds": round(elapsed, 2),
                "ms_per_step": round(1000 * elapsed / max(trained, 1), 1),
                "threads": threads,
                "final": gan.latest,
                "nn_distance_trained": run.log[-1]["nn_distance"],
                "nn_distance_real_floor": nn_distance(held, reference),
                "skipped_files": [p for p, _ in folder.skipped],
                "log": run.log,
            }
        )
        print(
            f"nearest-real distance (RMS, [-1, 1] units): samples {result['nn_distance_trained']:.3f}"
            + (f", untrained G {result['nn_distance_untrained']:.3f}" if "nn_distance_untrained" in result else "")
            + f", real images {result['nn_distance_real_floor']:.3f}"
        )
        return runner.finish(a.out, result, also="real_batch.png")


if __name__ == "__main__":
    sys.exit(main())

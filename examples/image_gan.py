#!/usr/bin/env python
"""Train the documents' 64x64 or 96x96 DCGAN on a folder of your own images.

    python -m minigan.shapes runs/shapes64                     # no images at hand? draw some
    python examples/image_gan.py --data runs/shapes64 --model xray64
    python examples/image_gan.py --data ~/chest_xray/train --class NORMAL --model xray64
    python examples/image_gan.py --data ~/faces --model anime96 --device gpu
    python examples/image_gan.py --data DIR --resume           # continue OUT/checkpoint.npz
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
the fakes labelled 1 (``g``). In ``--out`` (default ``runs/image_gan``):

- ``samples_step_XXXXXX.png``: an 8x8 grid from the same 64 noise vectors every
  ``--sample-every`` steps (document 001 Fig. 43/44), ``real_batch.png`` what D sees as real;
- ``losses.png``: g, d1, d2 per step (document 001 Fig. 41/42) and D(x), D(G(z));
- ``progress.gif``, ``checkpoint.npz`` (weights, Adam moments, noise and folder position),
  ``metrics.json``: the final losses and a nearest-neighbour distance of samples to real images
  (see ``nn_distance``), for the untrained and the trained generator.

Exit status: 0 done; 2 bad arguments, data or device; 3 NaN/inf losses; 130 Ctrl-C (saved).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import signal
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
if os.path.isdir(os.path.join(_HERE, "..", "minigan")):  # run from a source checkout
    sys.path.insert(0, os.path.abspath(os.path.join(_HERE, "..")))

import numpy as np  # noqa: E402

import minigan as mg  # noqa: E402
from minigan import checkpoint, models, viz  # noqa: E402
from minigan.data import DataError, ImageFolder  # noqa: E402
from minigan.gan import GAN, NonFiniteLossError  # noqa: E402

#: name -> (builder, latent size, image size, GAN options from the model's document)
MODELS = {
    "xray64": (models.xray_dcgan64, 100, 64, dict(noise="normal", real_label=1.0, lr=2e-4)),
    "anime96": (models.anime_dcgan96, 100, 96, dict(noise="uniform", real_label=0.9, lr=1e-3)),
    "dcgan28": (models.mnist_dcgan, 100, 28, dict(noise="normal", real_label=1.0, lr=2e-4)),
}
DEFAULT_STEPS = 2000
FAST = dict(steps=4, batch_size=8, sample_every=2)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="image_gan.py", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                description="Train document 001's 64x64 or document 000's 96x96 DCGAN on a folder of "
                                            "your images (document 001 §6.2's three training stages).")
    p.add_argument("--data", required=True, metavar="DIR", help="folder of PNG/JPEG/BMP images (sub-folders = classes)")
    p.add_argument("--model", choices=sorted(MODELS), default="xray64",
                   help="xray64: document 001 §6 (64x64); anime96: document 000 (96x96); dcgan28: 28x28 DCGAN")
    p.add_argument("--class", dest="klass", action="append", default=None, metavar="NAME",
                   help="train on this class sub-folder only (repeatable); document 001 §6.4 trains one GAN per class")
    p.add_argument("--steps", type=int, default=None, help=f"generator steps (default {DEFAULT_STEPS}; with --resume: the total)")
    p.add_argument("--batch-size", type=int, default=16, help="minibatch size")
    p.add_argument("--lr", type=float, default=None, help="Adam learning rate (default: the model's document's)")
    p.add_argument("--beta1", type=float, default=0.5, help="Adam β1")
    p.add_argument("--k", type=int, default=1, help="discriminator steps per generator step")
    p.add_argument("--seed", type=int, default=0, help="seed of weights, noise and folder order")
    p.add_argument("--strict", action="store_true", help="refuse (exit 2) on a file that is not a readable image, "
                                                         "instead of reporting and skipping it")
    p.add_argument("--out", default=os.path.join("runs", "image_gan"), metavar="DIR", help="output folder")
    p.add_argument("--device", choices=["cpu", "gpu"], default="cpu", help="gpu needs CuPy")
    p.add_argument("--sample-every", type=int, default=None, metavar="N", help="steps between grids (default steps/10)")
    p.add_argument("--checkpoint-every", type=int, default=None, metavar="N", help="default: as --sample-every")
    p.add_argument("--resume", nargs="?", const="", default=None, metavar="PATH",
                   help="continue from a checkpoint (default OUT/checkpoint.npz)")
    p.add_argument("--fast", action="store_true", help="a tiny run for tests; also MINIGAN_FAST=1")
    a = p.parse_args(argv)
    a.fast = a.fast or os.environ.get("MINIGAN_FAST", "") not in ("", "0")
    if a.fast:
        a.steps = a.steps if a.steps is not None else FAST["steps"]
        a.batch_size = FAST["batch_size"] if a.batch_size == 16 else a.batch_size
        a.sample_every = a.sample_every or FAST["sample_every"]
    a.steps = a.steps if a.steps is not None else DEFAULT_STEPS
    for name in ("steps", "batch_size", "k"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(a, name)}")
    for name in ("sample_every", "checkpoint_every"):
        v = getattr(a, name)
        if v is not None and v < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {v}")
    if a.lr is not None and a.lr <= 0 or not 0 <= a.beta1 < 1:
        p.error(f"need --lr > 0 and 0 <= --beta1 < 1, got {a.lr}, {a.beta1}")
    return a


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def nn_distance(samples: np.ndarray, reference: np.ndarray) -> float:
    """Mean over ``samples`` of the RMS pixel distance (in [-1, 1] units) to the nearest image of
    ``reference``: low when every sample looks like some real image. Real held-out images give
    the floor; an untrained generator's grey noise the ceiling."""
    a = samples.reshape(len(samples), -1).astype(np.float64)
    b = reference.reshape(len(reference), -1).astype(np.float64)
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T  # (n_a, n_b) squared distances
    return float(np.sqrt(np.maximum(d2.min(axis=1), 0) / a.shape[1]).mean())


def fig41_history(h: dict) -> dict:
    """minigan's history keys in document 001 Fig. 41/42's names: g, d1 (fakes), d2 (reals)."""
    return {"g": h["g"], "d1 (D on fakes)": h["d_fake"], "d2 (D on reals)": h["d_real"],
            "d_x": h["d_x"], "d_g_z": h["d_g_z"]}


def main(argv=None) -> int:
    a = parse_args(argv)
    try:
        mg.backend.get_backend(a.device)
    except mg.DeviceError as exc:
        _say(f"error: {exc}")
        return 2
    build, latent, size, opts = MODELS[a.model]
    lr = a.lr if a.lr is not None else opts["lr"]
    try:
        folder = ImageFolder(a.data, size, a.batch_size, mode="L", classes=a.klass, seed=a.seed,
                             on_error="raise" if a.strict else "skip")
        # 256 images the training never sees first: the reference of nn_distance (a fixed, separate stream).
        ref_folder = ImageFolder(a.data, size, min(256, folder.n), mode="L", classes=a.klass, seed=a.seed + 1,
                                 on_error="skip", log=lambda m: None)
        reference = ref_folder.next_batch()
    except (DataError, ValueError, ImportError) as exc:
        _say(f"error: {exc}")
        return 2

    G, D = build(latent, rng=np.random.default_rng(a.seed))
    G.to(a.device)
    D.to(a.device)
    gan = GAN(G, D, latent, k=a.k, noise=opts["noise"], real_label=opts["real_label"], seed=a.seed, lr=lr,
              beta1=a.beta1)
    os.makedirs(a.out, exist_ok=True)
    ckpt = os.path.join(a.out, "checkpoint.npz")
    log: list[dict] = []
    if a.resume is not None:
        path = a.resume or ckpt
        try:
            extra = gan.load(path)
            saved = extra.get("args", {})
            for key in ("model", "batch_size"):
                if key in saved and saved[key] != getattr(a, key):
                    raise ValueError(f"{path} was trained with --{key.replace('_', '-')} {saved[key]}, "
                                     f"this run asks for {getattr(a, key)}")
            folder.load_state_dict(extra["folder"])
            log = list(extra.get("log", []))
        except (FileNotFoundError, checkpoint.CheckpointError, ValueError, KeyError) as exc:
            _say(f"error: cannot resume: {exc}")
            return 2
    total, start = a.steps, gan.step
    a.sample_every = a.sample_every or max(1, total // 10)
    a.checkpoint_every = a.checkpoint_every or a.sample_every
    z_fixed = gan.fixed_noise(64)
    dev = a.device

    def extra() -> dict:
        return {"args": {"model": a.model, "batch_size": a.batch_size, "lr": lr, "beta1": a.beta1, "k": a.k,
                         "seed": a.seed, "data": os.path.abspath(a.data), "class": a.klass},
                "folder": folder.state_dict(), "log": log}

    def grid() -> np.ndarray:
        imgs = mg.as_numpy(gan.sample(z=z_fixed))
        viz.save_grid(imgs, os.path.join(a.out, f"samples_step_{gan.step:06d}.png"), nrow=8,
                      title=f"{a.model}, step {gan.step}")
        return imgs

    def plot() -> None:
        h = gan.history
        if h["g"]:
            viz.plot_losses(fig41_history(h), os.path.join(a.out, "losses.png"),
                            title=f"{a.model} on {os.path.basename(os.path.abspath(a.data))}: g, d1, d2 "
                                  f"(document 001 Fig. 41/42)")

    def next_real():
        return mg.asarray(folder.next_batch(), dev)

    _say(f"training {a.model} ({size}x{size}) on {folder.n} images of {a.data}"
         + (f" (classes {folder.classes})" if folder.classes else "")
         + f", steps {start} -> {total}, batch {a.batch_size}, device {dev}; output in {a.out}")
    _say("each step (document 001 §6.2): (1) D on reals, target 1 -> d2; (2) D on G(ξ), target 0 -> d1; "
         "(3) G through D with θ_d fixed, fakes labelled 1 -> g")
    viz.save_grid(reference[:64], os.path.join(a.out, "real_batch.png"), nrow=8, title="real images")
    result = {}
    if start == 0:
        result["nn_distance_untrained"] = nn_distance(grid(), reference)

    stop = {"flag": False}

    def on_sigint(signum, frame):
        stop["flag"] = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    old = None
    try:
        old = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:
        pass
    bar = viz.ProgressBar(total, desc=a.model)
    if start:
        bar.update(start)
    t0 = time.perf_counter()
    try:
        while gan.step < total and not stop["flag"]:
            gan.train_step(next_real if a.k > 1 else next_real())
            step = gan.step
            if step % 10 == 0 or step == total:
                gan.flush()
            bar.update(1, **{k: v for k, v in gan.latest.items() if k in ("d_real", "d_fake", "g")})
            if step % a.sample_every == 0 and step < total:
                gan.flush()
                v = gan.latest
                imgs = grid()
                nn = nn_distance(imgs, reference)
                log.append({"step": step, "g": v["g"], "d1": v["d_fake"], "d2": v["d_real"], "nn_distance": nn})
                if bar.tty:
                    bar.file.write("\r\x1b[K")
                _say(f"step {step:>6}: (1) d2 {v['d_real']:.3f}  (2) d1 {v['d_fake']:.3f}  (3) g {v['g']:.3f}  "
                     f"D(x) {v['d_x']:.2f} D(G(z)) {v['d_g_z']:.2f}  nearest-real distance {nn:.3f}")
                plot()
            if step % a.checkpoint_every == 0 and step < total:
                gan.save(ckpt, extra=extra())
        gan.flush()
    except NonFiniteLossError as exc:
        bar.close()
        _say(f"error: {exc}")
        return 3
    except DataError as exc:  # --strict met an unreadable file
        bar.close()
        _say(f"error: {exc}")
        return 2
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)
    elapsed = time.perf_counter() - t0
    bar.close()
    gan.save(ckpt, extra=extra())
    plot()
    if stop["flag"] and gan.step < total:
        _say(f"interrupted at step {gan.step}; checkpoint saved to {ckpt}. Continue with --resume")
        return 130
    trained = gan.step - start
    if trained:
        _say(f"trained {trained} steps in {elapsed:.1f} s ({1000 * elapsed / trained:.1f} ms/step)")
    imgs = grid()
    frames = sorted(glob.glob(os.path.join(a.out, "samples_step_*.png")))
    viz.make_gif(frames, os.path.join(a.out, "progress.gif"), duration_ms=300)
    held = ImageFolder(a.data, size, min(64, folder.n), mode="L", classes=a.klass, seed=a.seed + 2,
                       on_error="skip", log=lambda m: None).next_batch()
    result.update({"step": gan.step, "seconds": round(elapsed, 2), "ms_per_step": round(1000 * elapsed / max(trained, 1), 1),
                   "final": gan.latest, "nn_distance_trained": nn_distance(imgs, reference),
                   "nn_distance_real_floor": nn_distance(held, reference), "skipped_files": [p for p, _ in folder.skipped],
                   "log": log})
    with open(os.path.join(a.out, "metrics.json"), "w") as fh:
        json.dump(result, fh, indent=2)
    print(f"nearest-real distance (RMS, [-1, 1] units): samples {result['nn_distance_trained']:.3f}"
          + (f", untrained G {result['nn_distance_untrained']:.3f}" if "nn_distance_untrained" in result else "")
          + f", real images {result['nn_distance_real_floor']:.3f}")
    print(f"wrote {a.out}/: samples_step_*.png ({len(frames)}), real_batch.png, losses.png, progress.gif, "
          f"checkpoint.npz, metrics.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())

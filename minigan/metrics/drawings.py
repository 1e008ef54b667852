"""Did a generator learn the drawn discs and squares? A count, not an impression.

    python -m minigan.metrics.drawings RUN_DIR [--samples 256]

:mod:`minigan.data.drawings` draws one bright disc or square on a dark background per image.
Because the drawings are this simple, whether a generator has learned them can be *counted*
(:func:`shape_score`): a sample passes when it is one bright, compact, roughly square-bounded
shape of the drawings' size on a dark background, and its fill of its bounding box tells a disc
(π/4 ≈ 0.79) from a square (1). :func:`score_run` samples an ``examples/image_gan.py`` run's
generator from its checkpoint and scores it.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from .. import argtypes, checkpoint, models
from ..errors import CheckpointError
from ..gan.freeze import eval_mode

__all__ = ["shape_score", "score_run", "main"]


def shape_score(images, min_contrast: float = 0.6) -> dict:
    """How many of ``images`` look like :func:`draw_shape`'s drawings.

    ``images``: ``(N, 1, H, W)`` or ``(N, H, W)`` in [-1, 1]. Per image: the background level
    ``lo`` (25th percentile) and the shape's level ``hi`` (99th percentile); the shape is where
    the image is brighter than their midpoint. The image *passes* when the contrast
    ``hi - lo >= min_contrast`` (a drawing has about 1.1-1.7; a flat grey image 0), the shape
    covers 4-45 % of the image (the drawings cover 8-36 %), its bounding box is roughly square
    (sides within a factor 1.4) and the shape fills at least 65 % of that box (one compact
    blob; two blobs or scattered noise fill far less). A passing shape that fills >= 88 % of
    its box is a square, else a disc.

    Returns ``{"n", "shape_like", "discs", "squares", "median_fill", "median_area"}``: the share
    of images that pass, the shares of discs and squares among all images, and the median fill
    of the bounding box and share of the image covered (the drawings: discs fill about 0.78,
    squares 0.94-1.0, and they cover about 18 % of the image).
    """
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 3 or x.shape[0] == 0:
        raise ValueError(f"shape_score: images must be (N, 1, H, W) or (N, H, W) with N >= 1, got {np.shape(images)}")
    n, h, w = x.shape
    flat = x.reshape(n, -1)
    lo, hi = np.percentile(flat, 25, axis=1), np.percentile(flat, 99, axis=1)
    mask = x > ((lo + hi) / 2)[:, None, None]
    area = mask.reshape(n, -1).mean(axis=1)
    rows, cols = mask.any(axis=2), mask.any(axis=1)  # (N, H), (N, W)

    def extent(m):
        first = m.argmax(axis=1)
        last = m.shape[1] - 1 - m[:, ::-1].argmax(axis=1)
        return np.where(m.any(axis=1), last - first + 1, 0)

    bh, bw = extent(rows), extent(cols)
    box = np.maximum(bh * bw, 1)
    fill = mask.reshape(n, -1).sum(axis=1) / box
    aspect = np.maximum(bh, 1) / np.maximum(bw, 1)
    ok = (
        ((hi - lo) >= min_contrast)
        & (area >= 0.04)
        & (area <= 0.45)
        & (fill >= 0.65)
        & (aspect <= 1.4)
        & (aspect >= 1 / 1.4)
    )
    square = ok & (fill >= 0.88)
    return {
        "n": int(n),
        "shape_like": float(ok.mean()),
        "discs": float((ok & ~square).mean()),
        "squares": float(square.mean()),
        "median_fill": float(np.median(fill)),
        "median_area": float(np.median(area)),
    }


def score_run(run_dir, n: int = 256, seed: int = 12345) -> dict:
    """:func:`shape_score` of ``n`` samples from an ``examples/image_gan.py`` run's generator
    (``run_dir/checkpoint.npz``; fresh noise from ``seed``, G in evaluation mode)."""
    path = os.path.join(os.fspath(run_dir), "checkpoint.npz")
    ck = checkpoint.load(path)
    args = ck.extra.get("args")
    name = args.get("model") if isinstance(args, dict) else None
    if not isinstance(name, str) or name not in models.IMAGE_GANS:
        raise CheckpointError(
            f"{path}: not an examples/image_gan.py run (model {name!r}; expected one of {sorted(models.IMAGE_GANS)})"
        )
    g = ck.extra.get("gan", {})
    latent = int(g.get("latent_dim", 100))
    G, D = models.IMAGE_GANS[name][0](latent)
    ck.restore(modules={"G": G, "D": D})
    r = np.random.default_rng(seed)
    z = r.standard_normal((n, latent)) if g.get("noise", "normal") == "normal" else r.uniform(-1, 1, (n, latent))
    with eval_mode(G):
        samples = G(z.astype(np.float32))
    out = shape_score(samples)
    out.update(step=int(ck.step), model=name)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m minigan.metrics.drawings", description=__doc__.split("\n\n")[0])
    p.add_argument("run", metavar="RUN_DIR", help="an examples/image_gan.py run folder (holds checkpoint.npz)")
    p.add_argument(
        "--samples", type=argtypes.int_in(1, 100_000), default=256, help="samples to draw and score (1 to 100,000)"
    )
    a = p.parse_args(argv)
    try:
        q = score_run(a.run, a.samples)
    except (OSError, CheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"{a.run} ({q['model']}, step {q['step']}): {100 * q['shape_like']:.1f}% of {q['n']} samples are "
        f"one clean shape ({100 * q['discs']:.1f}% discs, {100 * q['squares']:.1f}% squares); median fill of the "
        f"bounding box {q['median_fill']:.2f}, median area {100 * q['median_area']:.0f}%"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

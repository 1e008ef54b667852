"""Procedurally drawn image folders: blurred discs and squares, to try ImageFolder and the
64x64 / 96x96 DCGANs without a data set (the documents' X-rays and anime faces cannot ship).

    python -m minigan.shapes DIR [--n 400] [--size 64] [--corrupt 1]
    python -m minigan.shapes --score RUN_DIR        # did examples/image_gan.py's run learn them?

writes ``DIR/discs/*.png|jpg`` and ``DIR/squares/*.png|jpg`` (half PNG, half JPEG, one class
per sub-folder) plus ``--corrupt`` unreadable files and a stray text file, which
:class:`minigan.data.ImageFolder` reports and skips. Needs Pillow.

Because the drawings are this simple, whether a generator has learned them can be *counted*
(:func:`shape_score`): a sample passes when it is one bright, compact, roughly square-bounded
shape of the drawings' size on a dark background, and its fill of its bounding box tells a disc
(π/4 ≈ 0.79) from a square (1). ``--score RUN_DIR`` samples an ``examples/image_gan.py`` run's
generator from its checkpoint and prints the score beside the real images'.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

__all__ = ["draw_shape", "write_shape_folder", "shape_score", "score_run", "main"]


def draw_shape(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """One ``(size, size)`` uint8 image: a bright ``"disc"`` or ``"square"`` at a random place
    and scale on a dark, slightly noisy background, edges blurred."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    r = rng.uniform(0.16, 0.30) * size
    cy, cx = rng.uniform(r + 2, size - r - 2, size=2)
    if kind == "disc":
        d = np.hypot(yy - cy, xx - cx) - r
    elif kind == "square":
        d = np.maximum(np.abs(yy - cy), np.abs(xx - cx)) - r
    else:
        raise ValueError(f"draw_shape: kind must be 'disc' or 'square', got {kind!r}")
    blur = rng.uniform(0.8, 2.5) * size / 64
    inside = 1.0 / (1.0 + np.exp(d / blur))  # a soft edge
    bright = rng.uniform(170, 240)
    img = 25 + (bright - 25) * inside + rng.normal(0, 4, (size, size))
    return np.clip(img, 0, 255).astype(np.uint8)


def write_shape_folder(root, n: int = 400, size: int = 64, *, corrupt: int = 1, seed: int = 0,
                       classes: bool = True) -> dict:
    """Write ``n`` shape images (half discs, half squares; alternately PNG and JPEG) under ``root``.

    With ``classes`` they go to ``root/discs`` and ``root/squares``; otherwise straight into
    ``root``. ``corrupt`` files named ``broken_*.png`` hold a truncated PNG, and ``notes.txt``
    is not an image at all. Returns ``{"images": n, "corrupt": [...], "other": [...]}``.
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    root = os.fspath(root)
    kinds = ("disc", "square")
    for k in kinds:
        os.makedirs(os.path.join(root, k + "s") if classes else root, exist_ok=True)
    for i in range(n):
        kind = kinds[i % 2]
        folder = os.path.join(root, kind + "s") if classes else root
        img = Image.fromarray(draw_shape(kind, size, rng), mode="L")
        ext = "png" if (i // 2) % 2 == 0 else "jpg"
        img.save(os.path.join(folder, f"{kind}_{i:05d}.{ext}"), quality=92) if ext == "jpg" else \
            img.save(os.path.join(folder, f"{kind}_{i:05d}.{ext}"))
    bad = []
    folder = os.path.join(root, "discs") if classes else root
    good = os.path.join(folder, "disc_00000.png")
    blob = open(good, "rb").read()
    for j in range(corrupt):
        p = os.path.join(folder, f"broken_{j}.png")
        with open(p, "wb") as fh:
            fh.write(blob[: len(blob) // 3])  # a PNG cut short: the header reads, the pixels do not
        bad.append(p)
    other = []
    if corrupt:
        p = os.path.join(root, "notes.txt") if not classes else os.path.join(folder, "notes.txt")
        with open(p, "w") as fh:
            fh.write("not an image\n")
        other.append(p)
    return {"images": n, "corrupt": bad, "other": other}


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
    ok = ((hi - lo) >= min_contrast) & (area >= 0.04) & (area <= 0.45) & (fill >= 0.65) \
        & (aspect <= 1.4) & (aspect >= 1 / 1.4)
    square = ok & (fill >= 0.88)
    return {"n": int(n), "shape_like": float(ok.mean()), "discs": float((ok & ~square).mean()),
            "squares": float(square.mean()), "median_fill": float(np.median(fill)),
            "median_area": float(np.median(area))}


def score_run(run_dir, n: int = 256, seed: int = 12345) -> dict:
    """:func:`shape_score` of ``n`` samples from an ``examples/image_gan.py`` run's generator
    (``run_dir/checkpoint.npz``; fresh noise from ``seed``, G in evaluation mode)."""
    from . import checkpoint, models
    from .freeze import eval_mode

    path = os.path.join(os.fspath(run_dir), "checkpoint.npz")
    ck = checkpoint.load(path)
    name = ck.extra.get("args", {}).get("model")
    if not isinstance(name, str) or name not in models.IMAGE_GANS:
        raise checkpoint.CheckpointError(f"{path}: not an examples/image_gan.py run (model {name!r}; "
                                         f"expected one of {sorted(models.IMAGE_GANS)})")
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
    p = argparse.ArgumentParser(prog="python -m minigan.shapes", description=__doc__.split("\n\n")[0])
    p.add_argument("root", nargs="?", help="folder to write the drawings into")
    p.add_argument("--score", metavar="RUN_DIR",
                   help="instead: score an examples/image_gan.py run's samples against the drawings (shape_score)")
    p.add_argument("--samples", type=int, default=256, help="--score: samples to draw")
    p.add_argument("--n", type=int, default=400)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--corrupt", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--flat", action="store_true", help="no class sub-folders")
    a = p.parse_args(argv)
    if a.score is not None:
        from .checkpoint_meta import CheckpointError
        try:
            q = score_run(a.score, a.samples)
        except (OSError, CheckpointError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"{a.score} ({q['model']}, step {q['step']}): {100 * q['shape_like']:.1f}% of {q['n']} samples are "
              f"one clean shape ({100 * q['discs']:.1f}% discs, {100 * q['squares']:.1f}% squares); median fill of the "
              f"bounding box {q['median_fill']:.2f}, median area {100 * q['median_area']:.0f}%")
        return 0
    if a.root is None:
        p.error("give the folder to write (or --score RUN_DIR)")
    info = write_shape_folder(a.root, a.n, a.size, corrupt=a.corrupt, seed=a.seed, classes=not a.flat)
    print(f"wrote {info['images']} images ({a.size}x{a.size}) to {a.root}, plus {len(info['corrupt'])} corrupt "
          f"and {len(info['other'])} non-image file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

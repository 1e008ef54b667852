"""Procedurally drawn image folders: blurred discs and squares, to try ImageFolder and the
64x64 / 96x96 DCGANs without a data set (the documents' X-rays and anime faces cannot ship).

    python -m minigan.data.drawings DIR [--n 400] [--size 64] [--corrupt 1]

writes ``DIR/discs/*.png|jpg`` and ``DIR/squares/*.png|jpg`` (half PNG, half JPEG, one class
per sub-folder) plus ``--corrupt`` unreadable files and a stray text file, which
:class:`minigan.data.ImageFolder` reports and skips. Needs Pillow.

Because the drawings are this simple, whether a generator has learned them can be *counted*:
:mod:`minigan.metrics.drawings` scores a run's samples against them.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from .. import argtypes

__all__ = ["draw_shape", "write_shape_folder", "main"]


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


def write_shape_folder(
    root, n: int = 400, size: int = 64, *, corrupt: int = 1, seed: int = 0, classes: bool = True
) -> dict:
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
        img.save(os.path.join(folder, f"{kind}_{i:05d}.{ext}"), quality=92) if ext == "jpg" else img.save(
            os.path.join(folder, f"{kind}_{i:05d}.{ext}")
        )
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


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m minigan.data.drawings", description=__doc__.split("\n\n")[0])
    p.add_argument("root", help="folder to write the drawings into")
    p.add_argument("--n", type=argtypes.int_in(1, 1_000_000), default=400, help="images to draw (1 to 1,000,000)")
    p.add_argument("--size", type=argtypes.int_in(16, 2048), default=64, help="image side in pixels (16 to 2048)")
    p.add_argument(
        "--corrupt",
        type=argtypes.int_in(0, 1000),
        default=1,
        help="unreadable files to add (ImageFolder skips them)",
    )
    p.add_argument("--seed", type=argtypes.seed, default=0)
    p.add_argument("--flat", action="store_true", help="no class sub-folders")
    a = p.parse_args(argv)  # every value is checked by its type= (minigan.argtypes): exit 2, one line
    try:
        info = write_shape_folder(a.root, a.n, a.size, corrupt=a.corrupt, seed=a.seed, classes=not a.flat)
    except OSError as exc:
        print(f"error: cannot write {a.root}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {info['images']} images ({a.size}x{a.size}) to {a.root}, plus {len(info['corrupt'])} corrupt "
        f"and {len(info['other'])} non-image file(s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

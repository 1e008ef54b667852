"""Pictures of training: sample grids, loss curves, a GIF of progress, and a progress bar.

- :func:`save_grid` tiles images into one PNG, ``nrow`` images per row: document 003 ch. 3's
  ``plot_generated_images`` (an ``n × n`` grid of 28x28 digits, ``cmap='Greys_r'``, no axes).
- :func:`plot_losses` draws the generator's and the discriminator's losses against the step,
  like document 001 §6.4, Figures 41–42 (``g``, ``d1`` = D on fakes, ``d2`` = D on reals).
- :func:`make_gif` turns a list of grid PNGs (one per epoch) into an animated GIF, the moving
  version of document 001's Figures 43–44 ("results at different epochs").
- :class:`ProgressBar` (defined in :mod:`minigan.progress`) shows step/total, elapsed time,
  ETA, speed and the latest losses.

Everything accepts NumPy or device (CuPy) arrays; images are copied to the host with
:func:`minigan.backend.as_numpy` only here, outside the training step. Pillow draws the grids
and GIFs (it is a dependency of matplotlib, so it is always installed); matplotlib (Agg) draws
the curves. Both are imported lazily, so ``import minigan`` stays fast.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from . import backend
from .checks import check_int_range, check_positive_int
from .files.atomic import atomic_write
from .files.npzread import open_regular
from .progress import ProgressBar

__all__ = ["grid_array", "save_grid", "plot_losses", "make_gif", "ProgressBar"]


# ----------------------------------------------------------------------------- grids
def _images_nchw(images: Any, where: str) -> np.ndarray:
    """Validate ``images`` and return them as a float64 host array (N, C, H, W), C in {1, 3}."""
    if not hasattr(images, "shape") or not hasattr(images, "dtype"):
        try:
            images = np.asarray(images)
        except Exception:  # pragma: no cover - exotic input
            raise TypeError(f"{where}: images must be an array, got {type(images).__name__}") from None
    x = backend.as_numpy(images)
    if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise TypeError(f"{where}: images must be a numeric array, got dtype {x.dtype}")
    if x.ndim == 3:
        x = x[:, None]  # (N, H, W) -> (N, 1, H, W)
    elif x.ndim != 4:
        hint = ""
        if x.ndim == 2:
            side = math.isqrt(x.shape[1])
            if side * side == x.shape[1]:
                hint = f"; flat images? reshape them with images.reshape(-1, 1, {side}, {side})"
        raise ValueError(f"{where}: images must be 3-D (N, H, W) or 4-D (N, C, H, W), got shape {tuple(x.shape)}{hint}")
    if x.shape[1] not in (1, 3):
        raise ValueError(
            f"{where}: images must have 1 (grey) or 3 (RGB) channels in NCHW layout, got "
            f"shape {tuple(x.shape)} ({x.shape[1]} channels); channels-last arrays need "
            f"images.transpose(0, 3, 1, 2)"
        )
    if x.shape[0] == 0:
        raise ValueError(f"{where}: images is empty (shape {tuple(x.shape)})")
    x = x.astype(np.float64)
    bad = ~np.isfinite(x)
    if bad.any():
        warnings.warn(
            f"{where}: {int(bad.sum())} non-finite pixel values (NaN/inf; did training diverge?) are drawn as mid-grey",
            RuntimeWarning,
            stacklevel=3,
        )
        x = np.where(bad, 0.0, x)
    return x


def grid_array(
    images: Any,
    nrow: int = 10,
    padding: int = 2,
    pad_value: float = -1.0,
    value_range: tuple[float, float] = (-1.0, 1.0),
) -> np.ndarray:
    """Tile images into one uint8 picture (no file): the pixels :func:`save_grid` writes.

    Parameters
    ----------
    images : array (N, 1, H, W), (N, H, W) or (N, 3, H, W)
        NumPy or device array, values in ``value_range`` (GAN outputs: tanh, [-1, 1]).
    nrow : int
        Images per row (torchvision's meaning); the grid has ``ceil(N / nrow)`` rows.
    padding : int
        Pixels between cells and around the border.
    pad_value : float
        Colour of the padding, in ``value_range`` units (default -1: black, so that white
        digits on black sit on one seamless background as in document 003).
    value_range : (low, high)
        ``low`` maps to black (0), ``high`` to white (255); values outside are clipped.

    Returns
    -------
    ndarray uint8, (H_grid, W_grid) for grey or (H_grid, W_grid, 3) for RGB, with
    ``H_grid = rows·(H + padding) + padding`` and ``W_grid = cols·(W + padding) + padding``,
    ``cols = min(nrow, N)``.
    """
    x = _images_nchw(images, "grid_array")
    nrow = check_positive_int("save_grid", "nrow", nrow)
    padding = check_int_range("save_grid", "padding", padding, 0)
    lo, hi = (float(v) for v in value_range)
    if not hi > lo:
        raise ValueError(f"save_grid: value_range must be (low, high) with high > low, got {value_range!r}")
    n, c, h, w = x.shape
    lim = 2.0 * max(abs(lo), abs(hi), 1.0)
    if x.max() > lim or x.min() < -lim:
        warnings.warn(
            f"save_grid: pixel values span [{x.min():.3g}, {x.max():.3g}] but value_range is "
            f"({lo:g}, {hi:g}); they are clipped (0..255 images need x / 127.5 - 1, or "
            f"value_range=(0, 255))",
            RuntimeWarning,
            stacklevel=2,
        )
    cols = min(nrow, n)
    rows = -(-n // cols)
    H = rows * (h + padding) + padding
    W = cols * (w + padding) + padding
    canvas = np.full((c, H, W), float(pad_value), dtype=np.float64)
    for k in range(n):
        i, j = divmod(k, cols)
        top = padding + i * (h + padding)
        left = padding + j * (w + padding)
        canvas[:, top : top + h, left : left + w] = x[k]  # document 003: figure[slice_i, slice_j] = image
    scaled = (np.clip(canvas, lo, hi) - lo) / (hi - lo)  # [low, high] -> [0, 1]
    out = np.rint(scaled * 255.0).astype(np.uint8)
    return out[0] if c == 1 else out.transpose(1, 2, 0)  # (H, W) or (H, W, 3)


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1: a scalable font
    except TypeError:  # pragma: no cover - old Pillow
        return ImageFont.load_default()


def save_grid(
    images: Any,
    path: str | os.PathLike,
    nrow: int = 10,
    title: str | None = None,
    *,
    scale: int = 2,
    padding: int = 2,
    pad_value: float = -1.0,
    value_range: tuple[float, float] = (-1.0, 1.0),
) -> str:
    """Save images as one grid PNG (document 003 ch. 3, ``plot_generated_images``).

    Parameters
    ----------
    images : array (N, 1, H, W), (N, H, W) or (N, 3, H, W)
        NumPy or device array with values in [-1, 1] (``value_range``): -1 is black, +1 white
        (document 003's ``cmap='Greys_r'``).
    path : str or path-like
        Output file (PNG); parent folders are created.
    nrow : int
        Images per row (10: the document's 10x10 grid for 100 samples).
    title : str, optional
        A line of text above the grid (e.g. ``"epoch 12"``).
    scale : int
        Each pixel becomes a ``scale × scale`` block (nearest neighbour; no smoothing), so a
        10x10 grid of 28x28 digits is ``2·(10·30 + 2) = 604`` pixels wide.
    padding, pad_value, value_range
        See :func:`grid_array`.

    Returns
    -------
    str : ``path``.

    Notes
    -----
    No axes, no interpolation: the file holds exactly the pixels of :func:`grid_array`,
    magnified ``scale`` times, plus a white title band when ``title`` is given.
    """
    from PIL import Image, ImageDraw

    scale = check_positive_int("save_grid", "scale", scale)
    arr = grid_array(images, nrow=nrow, padding=padding, pad_value=pad_value, value_range=value_range)
    img = Image.fromarray(arr, mode="L" if arr.ndim == 2 else "RGB")
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    if title:
        font_size = max(10, min(24, img.width // 25))
        band = font_size + 10
        framed = Image.new(img.mode, (img.width, img.height + band), 255 if img.mode == "L" else (255,) * 3)
        framed.paste(img, (0, band))
        draw = ImageDraw.Draw(framed)
        font = _font(font_size)
        text = str(title)
        tw = draw.textlength(text, font=font)
        draw.text((max(0.0, (img.width - tw) / 2), 4), text, fill=0 if img.mode == "L" else (0, 0, 0), font=font)
        img = framed
    path = os.fspath(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    img.save(path, format="PNG")
    return path


# ----------------------------------------------------------------------------- loss curves
_LABELS = {
    "g": "g: generator loss",
    "d_real": "d_real: D loss on real images (document 001's d2)",
    "d_fake": "d_fake: D loss on generated images (document 001's d1)",
    "d": "d: D loss ½(real + fake)",
    "d_x": "D(x): mean D on real images",
    "d_g_z": "D(G(z)): mean D on generated images",
}
_PROB_KEYS = ("d_x", "d_g_z")
_COLORS = {
    "g": "tab:blue",
    "d_real": "tab:green",
    "d_fake": "tab:red",
    "d": "tab:grey",
    "d_x": "tab:green",
    "d_g_z": "tab:red",
}


def loss_panels(curves) -> list[list[str]]:
    """Which keys :func:`plot_losses` draws in which panel: ``[loss keys, probability keys]``
    (an empty panel is left out).

    ``d`` is ½(d_real + d_fake): when both halves are there it would only lie between them and
    hide them, so it is not drawn (the legend says so); alone it is.
    """
    loss = [k for k in curves if k not in _PROB_KEYS]
    if "d" in loss and "d_real" in loss and "d_fake" in loss:
        loss.remove("d")
    prob = [k for k in curves if k in _PROB_KEYS]
    return [p for p in (loss, prob) if p]


_STEP_KEYS = ("step", "steps", "iteration", "it")


def _series(values: Any, key: str) -> np.ndarray:
    try:
        arr = np.asarray([float(v) for v in values], dtype=np.float64)  # device scalars: host copy here
    except (TypeError, ValueError):
        raise TypeError(
            f"plot_losses: history[{key!r}] must be a list of numbers, got {type(values).__name__}"
        ) from None
    return arr


def _moving_average(y: np.ndarray, k: int) -> np.ndarray:
    """Trailing mean over the last ``k`` values (fewer at the start); NaNs stay out of it."""
    ok = np.isfinite(y)
    c = np.concatenate([[0.0], np.cumsum(np.where(ok, y, 0.0))])
    m = np.concatenate([[0], np.cumsum(ok)])
    idx = np.arange(1, len(y) + 1)
    lo = np.maximum(idx - k, 0)
    cnt = m[idx] - m[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, (c[idx] - c[lo]) / np.maximum(cnt, 1), np.nan)


def plot_losses(history: Any, path: str | os.PathLike, title: str | None = None, *, smooth: int | None = None) -> str:
    """Plot training curves against the step, like document 001 §6.4, Figure 41.

    Parameters
    ----------
    history : dict[str, list[float]]
        One list per quantity, one value per step (or an object with such a ``.history``
        attribute, e.g. a GAN trainer). Every numeric key is drawn in the loss panel — ``"g"``,
        ``"d_real"``, ``"d_fake"``, ``"d"`` first, then any others; ``"d"`` (= ½(d_real +
        d_fake)) is left out when both halves are there, so it does not hide them — except ``"d_x"`` and
        ``"d_g_z"`` (the discriminator's mean outputs D(x), D(G(z))): when present they get a
        second panel on [0, 1] with the line 0.5 of the optimal discriminator at equilibrium
        (document 001 §4.2: ``D*(x) = p_data / (p_data + p_g) = ½`` when ``p_g = p_data``).
        A key ``"step"`` (or ``"steps"``, ``"iteration"``, ``"it"``), if present, gives the x
        values; otherwise the steps are 1, 2, ...
    path : str or path-like
        Output image (PNG by its extension; parent folders are created).
    title : str, optional
    smooth : int, optional
        Width of a trailing moving average drawn over the raw (faint) curves. ``None`` picks
        ``len // 50`` when a curve has at least 200 points (raw per-step GAN losses are noisy)
        and no smoothing otherwise; ``1`` draws the raw curves only.

    Returns
    -------
    str : ``path``.

    Notes
    -----
    Document 001 labels its curves ``g`` (generator), ``d1`` (discriminator on fakes) and
    ``d2`` (discriminator on reals); minigan names them ``g``, ``d_fake`` and ``d_real``.
    As the document says, these curves show that training stayed stable, not that the
    generator learned the data distribution: look at the grids and at FID
    (:mod:`minigan.metrics`) too.
    """
    if hasattr(history, "history") and not isinstance(history, dict):
        history = history.history
    if not isinstance(history, dict):
        raise TypeError(
            f"plot_losses: history must be a dict of lists (key -> one value per step), got {type(history).__name__}"
        )
    if smooth is not None:
        smooth = check_positive_int("plot_losses", "smooth", smooth)
    steps = None
    for k in _STEP_KEYS:
        if k in history:
            steps = _series(history[k], k)
            break
    order = [k for k in ("g", "d_real", "d_fake", "d") if k in history]
    order += [k for k in history if k not in order and k not in _STEP_KEYS]
    curves = {}
    for k in order:
        v = history[k]
        if isinstance(v, (str, bytes)) or not hasattr(v, "__len__"):
            continue  # metadata (a name, a number): not a curve
        y = _series(v, k)
        if len(y):
            curves[k] = y
    if not curves:
        raise ValueError(f"plot_losses: history has no non-empty curves (keys: {sorted(history)})")

    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = loss_panels(curves)
    prob_keys = panels[-1] if panels[-1] and panels[-1][0] in _PROB_KEYS else None
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 3.6 * len(panels)), sharex=True, squeeze=False)
    for ax, keys in zip(axes[:, 0], panels):
        for k in keys:
            y = curves[k]
            x = steps[: len(y)] if steps is not None and len(steps) >= len(y) else np.arange(1, len(y) + 1)
            win = smooth if smooth is not None else (len(y) // 50 if len(y) >= 200 else 1)
            label = _LABELS.get(k, k)
            if k == "d_fake" and "d" in curves and "d_real" in curves:
                label += "; d = ½(d_real + d_fake), not drawn"
            color = _COLORS.get(k)
            if win > 1:
                (line,) = ax.plot(x, y, alpha=0.25, linewidth=0.8, color=color)
                ax.plot(
                    x, _moving_average(y, win), color=line.get_color(), linewidth=1.6, label=f"{label} (mean of {win})"
                )
            else:
                ax.plot(x, y, linewidth=1.2, label=label, color=color)
        if keys is prob_keys:
            ax.axhline(0.5, color="grey", linestyle="--", linewidth=0.8, label="½ (D* at equilibrium)")
            ax.set_ylim(-0.02, 1.02)
            ax.set_ylabel("discriminator output")
        else:
            ax.set_ylabel("loss")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    axes[-1, 0].set_xlabel("step")
    if title:
        axes[0, 0].set_title(str(title))
    fig.tight_layout()
    path = os.fspath(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


# ----------------------------------------------------------------------------- GIF
def make_gif(
    frame_paths: Iterable[str | os.PathLike], path: str | os.PathLike, duration_ms: int = 400, loop: int = 0
) -> str:
    """Combine image files (e.g. one :func:`save_grid` PNG per epoch) into an animated GIF.

    Parameters
    ----------
    frame_paths : iterable of paths
        The frames, in order. Frames of different sizes are centred on a canvas of the largest
        size.
    path : str or path-like
        Output GIF.
    duration_ms : int
        Display time of each frame in milliseconds.
    loop : int
        0 = loop forever (GIF convention), otherwise the number of loops.

    Returns
    -------
    str : ``path``.
    """
    from PIL import Image

    duration_ms = check_positive_int("make_gif", "duration_ms", duration_ms)
    loop = check_int_range("make_gif", "loop", loop, 0)
    if isinstance(frame_paths, (str, os.PathLike)):
        raise TypeError("make_gif: frame_paths must be a list of image paths, got a single path")
    paths = [os.fspath(p) for p in frame_paths]
    if not paths:
        raise ValueError("make_gif: frame_paths is empty; give at least one image file")
    frames = []
    for p in paths:
        if not os.path.lexists(p):
            raise FileNotFoundError(f"make_gif: frame {p!r} does not exist")
        with open_regular(p, ValueError, "make_gif") as fh, Image.open(fh) as im:
            frames.append(im.copy())
    grey = all(f.mode in ("L", "1", "LA") for f in frames)
    mode = "L" if grey else "RGB"
    frames = [f.convert(mode) for f in frames]
    W = max(f.width for f in frames)
    H = max(f.height for f in frames)
    fill = 0 if mode == "L" else (0, 0, 0)
    out = []
    for f in frames:
        if f.size != (W, H):
            canvas = Image.new(mode, (W, H), fill)
            canvas.paste(f, ((W - f.width) // 2, (H - f.height) // 2))
            f = canvas
        out.append(f)
    path = os.fspath(path)
    return atomic_write(  # a Ctrl-C while writing leaves the previous GIF (or none), never half of one
        path,
        lambda fh: out[0].save(
            fh, format="GIF", save_all=True, append_images=out[1:], duration=duration_ms, loop=loop, optimize=False
        ),
        "write GIF",
    )

"""Pillow images to GAN-ready arrays, decoded by their mode (:class:`minigan.data.ImageFolder`).

A 16-bit grayscale PNG (mode ``I;16``: chest X-rays, document 001's data, often are) converted
to 8-bit ``"L"`` by Pillow keeps values above 255 as 255: a 0..65535 ramp becomes 98 % white.
So an image is decoded by its own mode, into ``[-1, 1]``:

- 8-bit modes (:data:`EIGHT_BIT_MODES`: ``1``, ``L``, ``LA``, ``P``, ``RGB``, ``RGBA``, ...):
  converted by Pillow to ``"L"`` or ``"RGB"``, resized as 8-bit, scaled ``x / 127.5 - 1``;
- 16-bit modes (``I;16``, ``I;16L``, ``I;16B``, ``I;16N``): by their full range,
  ``x / 65535`` to ``[0, 1]``;
- 32-bit integers (``I``): by ``0..65535`` when every value lies there (older Pillows open
  16-bit PNGs as ``I``), else by the image's own min..max;
- 32-bit floats (``F``): as they are when in ``[0, 1]``, else by the image's own min..max (NaN
  or infinite pixels are refused);

the wide modes are resized as floats (bicubic, clipped back to ``[0, 1]``) and then mapped to
``[-1, 1]`` as ``2u - 1``, and replicated to 3 channels for ``"RGB"``. Any other mode is refused
by name.
"""

from __future__ import annotations

import numpy as np

__all__ = ["EIGHT_BIT_MODES", "WIDE_MODES", "fit_size", "unit_range", "decode_image"]

#: Pillow's 8-bit modes: Pillow converts them to "L" or "RGB" exactly.
EIGHT_BIT_MODES = ("1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV")
#: Modes with more than 8 bits per pixel, decoded by :func:`decode_image` from their values.
WIDE_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")


def fit_size(img, size: tuple, resize: str, Image):
    """``img`` scaled and cropped (or stretched) to ``size`` = (height, width), bicubic."""
    h, w = size
    if resize == "stretch":
        return img.resize((w, h), Image.BICUBIC)
    iw, ih = img.size
    s = max(w / iw, h / ih)  # the shorter side (relative to the target) fits
    nw, nh = max(w, round(iw * s)), max(h, round(ih * s))
    img = img.resize((nw, nh), Image.BICUBIC)
    left, top = (nw - w) // 2, (nh - h) // 2
    return img.crop((left, top, left + w, top + h))


def unit_range(a: np.ndarray, mode: str) -> np.ndarray | str:
    """A wide-mode image's values as float32 in ``[0, 1]`` (the module docstring), or
    the reason it cannot be (a string)."""
    if mode.startswith("I;16"):
        return a.astype(np.float32) / np.float32(65535)
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        return f"mode {mode} image holds NaN or infinite pixels"
    lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    if mode == "I" and lo >= 0 and hi <= 65535:
        return (a / 65535).astype(np.float32)
    if mode == "F" and lo >= 0 and hi <= 1:
        return a.astype(np.float32)
    if hi == lo:
        return np.zeros(a.shape, np.float32)
    return ((a - lo) / (hi - lo)).astype(np.float32)


def decode_image(img, mode: str, size: tuple, resize: str, Image) -> np.ndarray | str:
    """An open Pillow image as float32 ``(C, H, W)`` in ``[-1, 1]`` (C = 1 for ``mode`` "L",
    3 for "RGB"), decoded by its own mode; a string says why it cannot be."""
    h, w = size
    channels = 1 if mode == "L" else 3
    if img.mode in EIGHT_BIT_MODES:
        a = np.asarray(fit_size(img.convert(mode), size, resize, Image), dtype=np.uint8)
        a = a.reshape(h, w, channels).transpose(2, 0, 1)  # HWC -> (C, H, W)
        return a.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
    if img.mode not in WIDE_MODES:
        return f"unsupported image mode {img.mode!r} (read: {', '.join(EIGHT_BIT_MODES + WIDE_MODES)})"
    unit = unit_range(np.asarray(img), img.mode)  # (H, W): the wide modes are single-channel
    if isinstance(unit, str):
        return unit
    fitted = np.asarray(fit_size(Image.fromarray(unit), size, resize, Image), dtype=np.float32)
    gray = np.clip(fitted, 0.0, 1.0) * np.float32(2.0) - np.float32(1.0)  # bicubic may overshoot
    return np.broadcast_to(gray, (channels, h, w)).astype(np.float32)

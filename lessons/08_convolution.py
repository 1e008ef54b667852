# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 08 — Convolution, padding, stride, pooling
#
# **Objective.** Compute a 2-D convolution by hand, see why deep-learning libraries actually
# compute a *cross-correlation*, reproduce the vertical-edge example of document 001, filter a
# real MNIST digit with the blur and Sobel filters of document 003, work out the output-size
# formula with padding and stride (and catch a slip in the document), pool, convolve over
# volume, and finally hand all of it to `minigan.Conv2D`, `minigan.MaxPool2D` and
# `minigan.AvgPool2D` and prove their backward passes with a gradient check.
#
# Sources:
# - document 000 §2.2.1 "Convolução" (Guimarães 2019): `S(i,j) = (I * K)(i,j) = Σ_m Σ_n I(i−m, j−n) K(m,n)`;
# - document 001 (Marques 2021) §3.1 "Convolução", §3.1.1 "Filtro", §3.1.2 "Padding", §3.1.3 "Stride",
#   §3.1.4 "Pooling", §3.2 "Convolução sobre Volume" (Marques 2021);
# - document 003 (Pereira, n.d.) ch. 1 "Camadas convolucionais", "Passo e Preenchimento", "Camadas de agrupamento"
#   (the NumPy `conv(image, filter)` and its 10x10 blur and Sobel filters).

# %%
import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck
from minigan.data import load_mnist

from _course import save  # lessons/_course.py: figures saved (and shown in a notebook)

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Convolution versus cross-correlation
#
# Document 000 §2.2.1 defines the discrete convolution of an image `I` with a kernel `K` as
#
#     S(i, j) = (I * K)(i, j) = Σ_m Σ_n I(i − m, j − n) · K(m, n)
#
# Note the minus signs: as `m` grows we walk *backwards* through the image, so the kernel is
# applied **flipped** (rotated by 180°). This is the convolution of signal processing.
#
# Document 001 §3.1 writes the operation a CNN layer computes (its `C = I * F`):
#
#     C_{m,k} = Σ_{j=m}^{f_w+m−1} Σ_{i=k}^{f_h+k−1} I_{i,j} F_{i,j}
#
# with `c_h = n_h − f_h + 1`, `c_w = n_w − f_w + 1`. Here the kernel slides over the image
# **without** a flip: that is a *cross-correlation* ("correlação cruzada"), and it is what
# Keras, PyTorch, TensorFlow — and minigan — call `Conv2D`. The code of document 003 ch. 1
# (`im_c[row, col] += image[row + i, col + j] * im_filter[i][j]`) is the same cross-correlation.
#
# *Slip in document 001 §3.1.* As printed, the formula multiplies `I_{i,j}` by `F_{i,j}` with the
# **same** indices `i, j` that run over the image window, so for any window but the first it reads
# the filter out of range; the row/column roles of `m` and `k` are also swapped (`m` ranges over
# `c_h` rows but indexes the columns `j`). The intended, correct formula (0-based) is
#
#     C[m, k] = Σ_{i=0}^{f_h−1} Σ_{j=0}^{f_w−1} I[m + i, k + j] · F[i, j]
#
# which is what we implement. For a learned filter, flipping does not matter — the network
# simply learns the flipped filter — but for a *given* filter (an edge detector) the sign of
# the answer depends on it, as the worked example below shows.


# %%
def cross_correlate2d(image, kernel):
    """Valid cross-correlation: C[m, k] = Σ_i Σ_j I[m+i, k+j] F[i, j] (document 001 §3.1, corrected)."""
    n_h, n_w = image.shape
    f_h, f_w = kernel.shape
    c_h, c_w = n_h - f_h + 1, n_w - f_w + 1  # document 001 §3.1: c = n − f + 1
    out = np.zeros((c_h, c_w))
    for m in range(c_h):
        for k in range(c_w):
            out[m, k] = np.sum(image[m : m + f_h, k : k + f_w] * kernel)
    return out


def convolve2d_true(image, kernel):
    """Valid *true* convolution, straight from document 000 §2.2.1: S(i,j) = Σ_m Σ_n I(i−m, j−n) K(m,n).

    The output index (i, j) runs over the positions where the whole kernel fits; with 0-based
    indices that is i = f_h−1 … n_h−1, so the result has the same (n − f + 1) size as above.
    """
    n_h, n_w = image.shape
    f_h, f_w = kernel.shape
    out = np.zeros((n_h - f_h + 1, n_w - f_w + 1))
    for i in range(f_h - 1, n_h):
        for j in range(f_w - 1, n_w):
            s = 0.0
            for m in range(f_h):
                for n in range(f_w):
                    s += image[i - m, j - n] * kernel[m, n]  # Eq. 000 §2.2.1
            out[i - (f_h - 1), j - (f_w - 1)] = s
    return out


I = rng.standard_normal((6, 7))
K = rng.standard_normal((3, 3))
flip = lambda k: k[::-1, ::-1]
err_flip = np.abs(convolve2d_true(I, K) - cross_correlate2d(I, flip(K))).max()
err_noflip = np.abs(convolve2d_true(I, K) - cross_correlate2d(I, K)).max()
print(
    f"max |conv(I, K) − xcorr(I, flip(K))| = {err_flip:.2e}   (they are the same operation)"
)
print(
    f"max |conv(I, K) − xcorr(I, K)|       = {err_noflip:.2e}   (they differ by the kernel flip)"
)
assert err_flip < 1e-12 and err_noflip > 1e-3

# %% [markdown]
# ## 2. The vertical-edge worked example (document 001 §3.1.1, "Filtro")
#
# The image `I` (4x6) has value `a` in its three left columns and 0 in the right ones; the
# filter is `F = [[1, 0, −1]] × 3 rows`. The document prints
#
#     I * F = [[0, 3a, 3a, 0],
#              [0, 3a, 3a, 0]]
#
# a 2x4 result (`c = n − f + 1`) that lights up in the middle columns, where the edge is.
# The document's result is the **cross-correlation**; with the flipped kernel of a true
# convolution (document 000's definition) the same edge comes out as `−3a`.

# %%
a = 10.0
I_edge = np.array([[a, a, a, 0, 0, 0]] * 4)
F_vert = np.array([[1.0, 0.0, -1.0]] * 3)
C_xcorr = cross_correlate2d(I_edge, F_vert)
C_true = convolve2d_true(I_edge, F_vert)
print("I * F as a CNN computes it (cross-correlation):\n", C_xcorr)
print("true convolution (document 000 §2.2.1):\n", C_true)
expected = np.array([[0, 3 * a, 3 * a, 0]] * 2)  # the document's printed answer, a = 10
assert np.array_equal(C_xcorr, expected)
assert np.array_equal(C_true, -expected)
# Horizontal edges: "precisamos apenas transpor o filtro F" (document 001 §3.1.1).
print(
    "transposed filter on the transposed image:\n",
    cross_correlate2d(I_edge.T, F_vert.T).T,
)

# %% [markdown]
# ## 3. Blur and Sobel on a real digit (document 003 ch. 1)
#
# Document 003 applies its `conv(image, filter)` to a photograph with a 10x10 averaging
# ("blur") filter `np.full([10, 10], 1/100)` and two Sobel filters:
#
#     sobel_x = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]
#     sobel_y = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
#
# We use an MNIST digit instead (offline, bundled). Two remarks on the document's code:
#
# - its `conv` clips the result to `[0, 255]` ("Corrigindo os valores fora do intervalo"). A
#   Sobel response is **signed** — a dark→bright edge is positive, a bright→dark edge negative —
#   so the clipping throws away half of the edges. We plot the signed response.
# - the names: `sobel_x` as printed differentiates *down the rows* (along y), so it responds to
#   **horizontal** edges, and `sobel_y` to vertical ones; document 003's Figure 18 caption
#   ("Sobel horizontal", "Sobel vertical") describes the edges found, not the derivative axis.

# %%
X_mnist, y_mnist = load_mnist(limit=200)
digit = X_mnist[int(np.flatnonzero(y_mnist == 3)[0]), 0].astype(
    np.float64
)  # (28, 28) in [-1, 1]
digit255 = (digit + 1.0) * 127.5  # the document's 0..255 scale

blur = np.full((10, 10), 1.0 / 100)
sobel_x = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=float)
sobel_y = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
blurred = cross_correlate2d(digit255, blur)
edges_x = cross_correlate2d(digit255, sobel_x)
edges_y = cross_correlate2d(digit255, sobel_y)
print(
    "blurred:",
    blurred.shape,
    " sobel:",
    edges_x.shape,
    "(28 − 10 + 1 = 19, 28 − 3 + 1 = 26)",
)
clipped_share = float(np.mean(edges_x < 0) / max(np.mean(edges_x != 0), 1e-12))
print(
    f"share of non-zero Sobel responses that document 003's [0, 255] clipping would erase: {clipped_share:.0%}"
)

# %% [markdown]
# ## 4. Padding and stride: the output-size formula (document 001 §3.1.2–3.1.3)
#
# Padding `p` adds `p` rows/columns of zeros on every side: an `n_h × n_w` image becomes
# `(n_h + 2p) × (n_w + 2p)` and, with stride 1, `c = n + 2p − f + 1`. *Same* convolution picks
# `p` so that `c = n` (for odd `f`, `p = (f − 1)/2`); *valid* means `p = 0`.
#
# With stride `s` the filter jumps `s` pixels. Document 001 §3.1.3 prints
#
#     c_h = ⌊(n_h + 2p − f_h + 1) / s⌋        ← as printed (a slip)
#
# The `+1` belongs **outside** the floor:
#
#     c_h = ⌊(n_h + 2p − f_h) / s⌋ + 1
#
# Why: the first window starts at 0, the last start must satisfy `start + f ≤ n + 2p`, and the
# starts are `0, s, 2s, …`, so there are `⌊(n + 2p − f)/s⌋ + 1` of them. For `s = 1` both
# formulas agree (which is how the slip survives), for `s ≥ 2` they often do not. We count the
# windows by brute force and compare.


# %%
def pad2d(image, p):
    """Zero padding of document 001 §3.1.2: (n_h + 2p) × (n_w + 2p)."""
    out = np.zeros((image.shape[0] + 2 * p, image.shape[1] + 2 * p))
    out[p : p + image.shape[0], p : p + image.shape[1]] = image
    return out


def conv2d_scratch(image, kernel, stride=1, padding=0):
    """Cross-correlation with zero padding and stride (one channel)."""
    x = pad2d(image, padding)
    f_h, f_w = kernel.shape
    starts_h = range(
        0, x.shape[0] - f_h + 1, stride
    )  # 0, s, 2s, … while the window fits
    starts_w = range(0, x.shape[1] - f_w + 1, stride)
    return np.array(
        [
            [np.sum(x[r : r + f_h, c : c + f_w] * kernel) for c in starts_w]
            for r in starts_h
        ]
    )


def size_printed(n, f, p, s):
    return (n + 2 * p - f + 1) // s  # document 001 §3.1.3 as printed


def size_correct(n, f, p, s):
    return (n + 2 * p - f) // s + 1  # Eq. 001 §3.1.3, corrected


print(
    f"{'n':>3} {'f':>2} {'p':>2} {'s':>2} | {'counted':>7} {'correct':>7} {'printed':>7}"
)
cases = [
    (6, 3, 0, 1),
    (28, 3, 1, 1),
    (7, 3, 0, 2),
    (28, 5, 2, 2),
    (6, 3, 0, 2),
    (28, 4, 1, 2),
    (10, 3, 1, 3),
]
mismatches = 0
for n, f, p, s in cases:
    counted = conv2d_scratch(
        np.ones((n, n)), np.ones((f, f)), stride=s, padding=p
    ).shape[0]
    ok = counted == size_correct(n, f, p, s)
    assert ok, (n, f, p, s)
    mismatches += counted != size_printed(n, f, p, s)
    print(
        f"{n:>3} {f:>2} {p:>2} {s:>2} | {counted:>7} {size_correct(n, f, p, s):>7} {size_printed(n, f, p, s):>7}"
        + (
            "   ← printed formula is wrong"
            if counted != size_printed(n, f, p, s)
            else ""
        )
    )
print(
    f"the printed formula is wrong in {mismatches} of {len(cases)} cases; the corrected one in none"
)

# %% [markdown]
# ## 5. Pooling (document 001 §3.1.4, document 003 "Camadas de agrupamento")
#
# Max pooling keeps the largest value of each `k × k` window, average pooling the mean. A
# 4x4 image with a 2x2 kernel (stride 2) becomes 2x2. Pooling has **no weights**. Its
# backward pass (document 003): "o gradiente é direcionado apenas ao neurônio que possui maior
# valor de ativação durante o passo para frente, os outros neurônios propagam zero" — max
# pooling routes each output's gradient to its arg-max; average pooling spreads it evenly
# (`dout / k²` to every input of the window).


# %%
def maxpool_scratch(x, k):
    h, w = x.shape[0] // k, x.shape[1] // k
    windows = x[: h * k, : w * k].reshape(h, k, w, k)
    return windows.max(axis=(1, 3))


def maxpool_backward_scratch(x, k, dout):
    """Route each dout to the arg-max of its window (the first one if tied)."""
    dx = np.zeros_like(x)
    for r in range(dout.shape[0]):
        for c in range(dout.shape[1]):
            win = x[r * k : (r + 1) * k, c * k : (c + 1) * k]
            i, j = np.unravel_index(np.argmax(win), win.shape)
            dx[r * k + i, c * k + j] += dout[r, c]
    return dx


def avgpool_scratch(x, k):
    h, w = x.shape[0] // k, x.shape[1] // k
    return x[: h * k, : w * k].reshape(h, k, w, k).mean(axis=(1, 3))


P = np.array(
    [[12, 20, 30, 0], [8, 12, 2, 0], [34, 70, 37, 4], [112, 100, 25, 12]], dtype=float
)
print("input:\n", P)
print("max pool 2x2:\n", maxpool_scratch(P, 2))
print("average pool 2x2:\n", avgpool_scratch(P, 2))
print(
    "max-pool backward of dout = [[1, 2], [3, 4]]:\n",
    maxpool_backward_scratch(P, 2, np.array([[1.0, 2], [3, 4]])),
)

# %% [markdown]
# ## 6. Convolution over volume (document 001 §3.2, "Convolução sobre Volume")
#
# An `n_h × n_w × n_c` tensor is convolved with an `f_h × f_w × n_c` filter: multiply
# elementwise across all channels and sum, giving **one** `c_h × c_w` map. With `n` filters the
# maps stack into `c_h × c_w × n` (document 001 Figura 19). Each filter has one bias
# (document 003: "o bias também será único para toda a entrada").
#
# minigan (like PyTorch) stores images channels-first, **NCHW**, and the weights of
# `Conv2D(C_in, C_out, k)` as `W[C_out, C_in, k_h, k_w]`: the document's `f_h × f_w × n_c`
# filter number `o` is `W[o].transpose(1, 2, 0)`.


# %%
def conv_volume_scratch(x_hwc, filters_hwcn, bias, stride=1, padding=0):
    """Document 001 §3.2 in the document's own layout: x (n_h, n_w, n_c), filters (f_h, f_w, n_c, n)."""
    f_h, f_w, n_c, n = filters_hwcn.shape
    x = np.pad(x_hwc, ((padding, padding), (padding, padding), (0, 0)))
    c_h = (
        x_hwc.shape[0] + 2 * padding - f_h
    ) // stride + 1  # Eq. 001 §3.1.3, corrected
    c_w = (x_hwc.shape[1] + 2 * padding - f_w) // stride + 1
    out = np.zeros((c_h, c_w, n))
    for r in range(c_h):
        for c in range(c_w):
            window = x[
                r * stride : r * stride + f_h, c * stride : c * stride + f_w, :
            ]  # (f_h, f_w, n_c)
            out[r, c, :] = (
                np.tensordot(window, filters_hwcn, axes=3) + bias
            )  # sum over f_h, f_w, n_c
    return out


x_vol = rng.standard_normal((7, 6, 3))  # a 7x6 "RGB" image
filt = rng.standard_normal((3, 3, 3, 4))  # 4 filters of 3x3x3
bias = rng.standard_normal(4)
out_vol = conv_volume_scratch(x_vol, filt, bias, stride=2, padding=1)
print("convolution over volume:", x_vol.shape, "*", filt.shape, "->", out_vol.shape)

# %% [markdown]
# ## 7. This is now `minigan.Conv2D`, `minigan.MaxPool2D`, `minigan.AvgPool2D`
#
# Load the same filters into a `minigan.Conv2D(3, 4, 3, stride=2, padding=1)` and compare.
# minigan computes the same thing with *im2col*: every window becomes a column and the whole
# convolution is one matrix product (read `minigan/nn/im2col.py`, then `minigan/nn/conv.py`).

# %%
conv = mg.Conv2D(3, 4, 3, stride=2, padding=1, dtype=np.float64)
conv.params["W"].data[...] = filt.transpose(
    3, 2, 0, 1
)  # (f_h, f_w, n_c, n) -> (C_out, C_in, kH, kW)
conv.params["b"].data[...] = bias
out_mg = conv(x_vol.transpose(2, 0, 1)[None])  # NCHW: (1, 3, 7, 6)
err = np.abs(out_mg[0].transpose(1, 2, 0) - out_vol).max()
print(
    f"minigan.Conv2D vs from-scratch: max abs difference {err:.2e}, output {out_mg.shape}"
)
assert err < 1e-10

# the vertical-edge example through minigan: Conv2D is a cross-correlation, as in the document
edge = mg.Conv2D(1, 1, 3, dtype=np.float64)
edge.params["W"].data[...] = F_vert
edge.params["b"].data[...] = 0.0
print("minigan.Conv2D on the 4x6 edge image:\n", edge(I_edge[None, None])[0, 0])
assert np.array_equal(edge(I_edge[None, None])[0, 0], expected)

# padding="same" keeps the size for stride 1; the size formula for every stride
for s in (1, 2, 3):
    for p in (0, 1, 2):
        shape = mg.Conv2D(1, 1, 5, stride=s, padding=p)(
            np.zeros((1, 1, 28, 28), np.float32)
        ).shape
        assert shape[-1] == size_correct(28, 5, p, s), (s, p, shape)
print(
    "Conv2D 'same', 28x28, f=3:",
    mg.Conv2D(1, 1, 3, padding="same")(np.zeros((1, 1, 28, 28), np.float32)).shape,
)

# pooling
pool_in = P[None, None]
assert np.array_equal(mg.MaxPool2D(2)(pool_in)[0, 0], maxpool_scratch(P, 2))
assert np.allclose(mg.AvgPool2D(2)(pool_in)[0, 0], avgpool_scratch(P, 2))
mp = mg.MaxPool2D(2)
mp(pool_in)
dx_mg = mp.backward(np.array([[[[1.0, 2], [3, 4]]]]))[0, 0]
assert np.array_equal(
    dx_mg, maxpool_backward_scratch(P, 2, np.array([[1.0, 2], [3, 4]]))
)
print(
    "MaxPool2D / AvgPool2D forward and MaxPool2D's arg-max backward agree with the scratch versions"
)

# %% [markdown]
# ## 8. Gradient check
#
# The backward pass of a convolution is itself a convolution: `∂C/∂F = I ⋆ δ` (cross-correlate
# the input with the upstream gradient) and `∂C/∂I` = the *full* convolution of `δ` with the
# filter — which is exactly a **transposed convolution**, the subject of lesson 09. We first check
# a from-scratch backward for one channel against finite differences, then minigan's layers.


# %%
def conv2d_backward_scratch(image, kernel, dout):
    """Gradients of C = Σ dout ⊙ xcorr(image, kernel) (stride 1, no padding)."""
    f_h, f_w = kernel.shape
    dkernel = cross_correlate2d(image, dout)  # ∂C/∂F[i,j] = Σ I[m+i,k+j] δ[m,k]
    dimage = np.zeros_like(image)
    for m in range(dout.shape[0]):
        for k in range(dout.shape[1]):
            dimage[m : m + f_h, k : k + f_w] += (
                dout[m, k] * kernel
            )  # scatter: each δ paints the filter
    return dimage, dkernel


img = rng.standard_normal((6, 5))
ker = rng.standard_normal((3, 2))
dout = rng.standard_normal((4, 4))
d_img, d_ker = conv2d_backward_scratch(img, ker, dout)
num_img = gradcheck.numerical_gradient(
    lambda: np.sum(cross_correlate2d(img, ker) * dout), img
)
num_ker = gradcheck.numerical_gradient(
    lambda: np.sum(cross_correlate2d(img, ker) * dout), ker
)
print(
    f"scratch conv backward: rel. error dI {gradcheck.rel_error(d_img, num_img):.1e}, "
    f"dF {gradcheck.rel_error(d_ker, num_ker):.1e}"
)
# ∂C/∂I is the full convolution of δ with F, i.e. a padded cross-correlation with the flipped filter:
full_conv = cross_correlate2d(
    np.pad(dout, ((ker.shape[0] - 1,) * 2, (ker.shape[1] - 1,) * 2)), flip(ker)
)
assert np.allclose(d_img, full_conv)

checks = {
    "Conv2D(2, 3, 3, stride=2, padding=1)": (
        mg.Conv2D(2, 3, 3, stride=2, padding=1),
        rng.standard_normal((2, 2, 7, 6)),
    ),
    "Conv2D(1, 2, (2, 3), padding='same')": (
        mg.Conv2D(1, 2, (2, 3), padding="same"),
        rng.standard_normal((2, 1, 5, 5)),
    ),
    "MaxPool2D(2)": (mg.MaxPool2D(2), rng.standard_normal((2, 2, 4, 6))),
    "AvgPool2D(2)": (mg.AvgPool2D(2), rng.standard_normal((2, 2, 4, 6))),
}
for name, (layer, x) in checks.items():
    errs = gradcheck.check_module(layer, x)
    print(f"{name:<38} " + "  ".join(f"{k}: {v:.1e}" for k, v in errs.items()))
    assert max(errs.values()) < 1e-6

# %% [markdown]
# ## 9. Experiment: the filters on a digit
#
# One figure: the digit, the 10x10 blur, the two (signed) Sobel responses, what document
# 003's clipping leaves of one of them, the vertical-edge example, and a 2x2 max pool of the digit.

# %%
fig, axes = plt.subplots(2, 4, figsize=(12, 6))
panels = [
    (digit255, "digit (28x28)", "gray"),
    (blurred, "10x10 blur → 19x19", "gray"),
    (edges_x, "sobel_x (signed): horizontal edges", "RdBu_r"),
    (edges_y, "sobel_y (signed): vertical edges", "RdBu_r"),
    (np.clip(edges_x, 0, 255), "sobel_x clipped to [0,255] (doc 003)", "gray"),
    (I_edge, "doc 001 §3.1.1 image, a = 10", "viridis"),
    (C_xcorr, "I * F (cross-corr.) = [0 3a 3a 0]", "RdBu_r"),
    (maxpool_scratch(digit255, 2), "2x2 max pool → 14x14", "gray"),
]
for ax, (im, title, cmap) in zip(axes.ravel(), panels):
    if cmap == "RdBu_r":
        lim = np.abs(im).max() or 1.0
        ax.imshow(im, cmap=cmap, vmin=-lim, vmax=lim)
    else:
        ax.imshow(im, cmap=cmap)
    ax.set_title(title, fontsize=9)
    ax.axis("off")
fig.suptitle("Lesson 08: convolution filters (red = positive, blue = negative)")
fig.tight_layout()
save(fig, "08_filters.png", dpi=90)

# %% [markdown]
# ## Exercises
#
# 1. Write the horizontal-edge version of the worked example: an image that is `a` in its top
#    two rows and 0 below, filtered with `F_vert.T`. Predict the result by hand first.
# 2. Show that `cross_correlate2d(I, K)` equals `convolve2d_true(I, flip(K))` for a non-square
#    kernel, and explain why a CNN that learns its filters does not care which one it computes.
# 3. For `n = 28, f = 5`, list all `(p, s)` with `p ≤ 2, s ≤ 3` where document 001's printed
#    stride formula gives the wrong size. Is there a pattern?
# 4. Average pooling with a 2x2 window is a convolution. With which filter and stride? Check it
#    with `mg.Conv2D` against `mg.AvgPool2D`.
# 5. Count the parameters of `mg.Conv2D(3, 4, 3)` by hand (document 001 §3.2: each filter is
#    `f_h × f_w × n_c`, plus one bias) and compare with `sum(p.size for p in conv.parameters())`.
# 6. Modify `conv2d_backward_scratch` for stride 2 and check it against finite differences.

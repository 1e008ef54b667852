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
# # Lesson 08: Convolution, padding, stride, pooling
#
# **Objective.** Compute a 2-D convolution by hand, see why deep-learning libraries actually
# compute a *cross-correlation*, reproduce the vertical-edge example of document 001, filter a
# real MNIST digit with the blur and Sobel filters of document 003, work out the output-size
# formula with padding and stride (and catch a slip in the document), pool, and convolve over
# volume. Then hand all of it to `minigan.Conv2D`, `minigan.MaxPool2D` and
# `minigan.AvgPool2D`, measure the three properties that make a convolution better than a
# dense layer on images (sparse interactions, parameter sharing, equivariance to
# translation), and prove the backward passes with a gradient check.
#
# Sources:
# - document 000 (Guimarães 2019) §2.2 "Redes Neurais Convolucionais" and §2.2.1
#   "Convolução";
# - document 001 (Marques 2021) §3.1 "Convolução", §3.1.1 "Filtro", §3.1.2 "Padding", §3.1.3
#   "Stride", §3.1.4 "Pooling", §3.2 "Convolução sobre Volume";
# - document 003 (Pereira, n.d.) ch. 1 "Camadas convolucionais", "Passo e Preenchimento",
#   "Camadas de agrupamento" (the NumPy `conv(image, filter)` and its 10x10 blur and Sobel
#   filters).

# %%
import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck
from minigan.data import load_mnist

# lessons/_course.py: figures saved (and shown in a notebook)
from _course import save, t

rng = np.random.default_rng(0)


def show_map(ax, im, title, signed=False, vmin=None, vmax=None):
    """One image panel; a signed map in red (positive) and blue (negative), centred
    on 0."""
    if signed:
        lim = float(np.abs(im).max()) or 1.0
        ax.imshow(im, cmap="RdBu_r", vmin=-lim, vmax=lim)
    else:
        ax.imshow(im, cmap="gray", vmin=vmin, vmax=vmax)
    ax.set_title(title, fontsize=11)
    ax.set_xticks([])
    ax.set_yticks([])


# %% [markdown]
# ## 1. Convolution versus cross-correlation
#
# Document 000 §2.2.1 defines the discrete convolution of an image $I$ with a kernel $K$ as
#
# $$
# S(i, j) = (I * K)(i, j) = \sum_{m} \sum_{n} I(i - m, j - n)\, K(m, n)
# \tag{000 §2.2.1}
# \label{eq:08-conv}
# $$
#
# Note the minus signs: as $m$ grows we walk *backwards* through the image, so the kernel is
# applied **flipped** (rotated by 180°). This is the convolution of signal processing.
#
# Document 001 §3.1 writes the operation that a CNN layer computes (its $C = I * F$) as
#
# $$
# C_{m,k} = \sum_{j=m}^{(f_w+m-1)} \sum_{i=k}^{(f_h+k-1)} I_{i,j} F_{i,j}
# \tag{001 §3.1, as printed}
# $$
#
# for $m = \{1, \dots, c_h\}$ and $k = \{1, \dots, c_w\}$, with an output of size
# $c_h = n_h - f_h + 1$, $c_w = n_w - f_w + 1$. Here the kernel
# slides over the image **without** a flip: that is a *cross-correlation* ("correlação
# cruzada"), and it is what Keras, PyTorch, TensorFlow (and minigan) call `Conv2D`. The code
# of document 003 ch. 1 (`im_c[row, col] += image[row + i, col + j] * im_filter[i][j]`) is
# the same cross-correlation.
#
# *Slip in document 001 §3.1.* As printed, the formula multiplies $I_{i,j}$ by $F_{i,j}$ with
# the **same** indices $i, j$ that run over the image window, so for any window but the first
# it reads the filter out of its range. The row and column roles of $m$ and $k$ are also
# swapped ($m$ ranges over the $c_h$ rows but indexes the columns $j$). The intended, correct
# formula (indices from 0) is
#
# $$
# C_{m,k} = \sum_{i=0}^{f_h-1} \sum_{j=0}^{f_w-1} I_{m+i,\, k+j}\, F_{i,j}
# \tag{001 §3.1, corrected}
# \label{eq:08-xcorr}
# $$
#
# which is what we implement. For a learned filter the flip does not matter (the network
# simply learns the flipped filter), but for a *given* filter (an edge detector) the sign of
# the answer depends on it, as the worked example below shows.


# %%
def cross_correlate2d(image, kernel):
    """Valid cross-correlation: C[m, k] = Σ_i Σ_j I[m+i, k+j] F[i, j]
    (document 001 §3.1, corrected)."""
    n_h, n_w = image.shape
    f_h, f_w = kernel.shape
    c_h, c_w = n_h - f_h + 1, n_w - f_w + 1  # document 001 §3.1: c = n − f + 1
    out = np.zeros((c_h, c_w))
    for m in range(c_h):
        for k in range(c_w):
            out[m, k] = np.sum(image[m : m + f_h, k : k + f_w] * kernel)
    return out


def convolve2d_true(image, kernel):
    """Valid *true* convolution, straight from document 000 §2.2.1:
    S(i,j) = Σ_m Σ_n I(i−m, j−n) K(m,n).

    The output index (i, j) runs over the positions where the whole kernel fits;
    with 0-based indices that is i = f_h−1 … n_h−1, so the result has the same
    (n − f + 1) size as above.
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
print(f"max |conv(I, K) − xcorr(I, flip(K))| = {err_flip:.2e}   (the same operation)")
print(f"max |conv(I, K) − xcorr(I, K)|       = {err_noflip:.2e}   (they differ)")
assert err_flip < 1e-12 and err_noflip > 1e-3

# %% [markdown]
# ## 2. The vertical-edge worked example (document 001 §3.1.1, "Filtro")
#
# The image $I$ (4x6) has the value $a$ in its three left columns and 0 in the right ones;
# the filter $F$ has a column of ones, a column of zeros and a column of minus ones. The
# document prints
#
# $$
# I = \left[\matrix{a & a & a & 0 & 0 & 0 \cr a & a & a & 0 & 0 & 0 \cr
# a & a & a & 0 & 0 & 0 \cr a & a & a & 0 & 0 & 0}\right],
# \qquad
# F = \left[\matrix{1 & 0 & -1 \cr 1 & 0 & -1 \cr 1 & 0 & -1}\right]
# \tag{001 §3.1.1a}
# $$
#
# $$
# I * F = \left[\matrix{0 & 3a & 3a & 0 \cr 0 & 3a & 3a & 0}\right]
# \tag{001 §3.1.1b}
# $$
#
# a 2x4 result ($c = n - f + 1$) that lights up in the middle columns, where the edge is.
# The document's result is the **cross-correlation** $\eqref{eq:08-xcorr}$; with the flipped
# kernel of a true convolution $\eqref{eq:08-conv}$ the same edge comes out as $-3a$.

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

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Document 001's vertical-edge example with a = 10: the 4x6 image, the 3x3 filter, the cross-correlation that a CNN computes (the document's answer: 3a in the two middle columns) and the true convolution (the same edge with the opposite sign). Red is positive, blue negative.", "name": "fig-08-edge-example"}}
fig, axes = plt.subplots(1, 4, figsize=(10, 2.8))
show_map(axes[0], I_edge, t("image I (a = 10)"), signed=True)
show_map(axes[1], F_vert, t("filter F"), signed=True)
show_map(axes[2], C_xcorr, t("cross-correlation"), signed=True)
show_map(axes[3], C_true, t("true convolution"), signed=True)
for ax, im in zip(axes, [I_edge, F_vert, C_xcorr, C_true]):
    for (r_, c_), v in np.ndenumerate(im):
        color = "white" if abs(v) > np.abs(im).max() / 2 else "black"
        ax.text(c_, r_, f"{v:g}", ha="center", va="center", fontsize=10, color=color)
fig.tight_layout()
save(fig, "08_edge_example.png", dpi=100)

# %% [markdown]
# ## 3. Blur and Sobel on a real digit (document 003 ch. 1)
#
# Document 003 applies its `conv(image, filter)` to a photograph with a 10x10 averaging
# ("blur") filter, `np.full([10, 10], 1/100)`, and two Sobel filters:
#
# $$
# \text{sobel_x} = \left[\matrix{-1 & -2 & -1 \cr 0 & 0 & 0 \cr 1 & 2 & 1}\right],
# \qquad
# \text{sobel_y} = \left[\matrix{-1 & 0 & 1 \cr -2 & 0 & 2 \cr -1 & 0 & 1}\right]
# \tag{003 ch. 1}
# $$
#
# We use an MNIST digit instead (offline: it ships with minigan). Two remarks on the
# document's code:
#
# - Its `conv` clips the result to $[0, 255]$ ("Corrigindo os valores fora do intervalo"). A
#   Sobel response is **signed** (a dark-to-bright edge is positive, a bright-to-dark edge
#   negative), so the clipping throws away half of the edges. We plot the signed response.
# - The names: `sobel_x` as printed differentiates *down the rows* (along $y$), so it
#   responds to **horizontal** edges, and `sobel_y` to vertical ones. Document 003's Figura
#   18 caption ("Sobel horizontal", "Sobel vertical") describes the edges found, not the axis
#   of the derivative.

# %%
X_mnist, y_mnist = load_mnist(limit=200)
# one 3, (28, 28), in [-1, 1]
digit = X_mnist[int(np.flatnonzero(y_mnist == 3)[0]), 0].astype(np.float64)
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

# %% tags=["hide-input"] mystnb={"figure": {"caption": "An MNIST 3 filtered with document 003's filters: the 10x10 blur (a 19x19 output) and the two Sobel filters (signed, 26x26). sobel_x lights up the horizontal strokes of the 3, sobel_y the vertical ones; red and blue mark the two directions of the edge.", "name": "fig-08-blur-sobel"}}
fig, axes = plt.subplots(1, 4, figsize=(11, 3.2))
show_map(axes[0], digit255, t("digit (28x28)"))
show_map(axes[1], blurred, t("10x10 blur → 19x19"))
show_map(axes[2], edges_x, t("sobel_x (signed)"), signed=True)
show_map(axes[3], edges_y, t("sobel_y (signed)"), signed=True)
fig.tight_layout()
save(fig, "08_blur_sobel.png", dpi=100)

# %% [markdown]
# What document 003's clipping to $[0, 255]$ does to the `sobel_x` response: every negative
# value becomes 0, so the edges where the digit goes from bright to dark vanish.

# %%
clipped = np.clip(edges_x, 0, 255)
erased = float(np.mean(edges_x < 0) / max(np.mean(edges_x != 0), 1e-12))
print(f"share of the non-zero Sobel responses that the clipping erases: {erased:.0%}")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The sobel_x response of the digit, signed (left) and clipped to the range 0 to 255 as document 003's conv does (right). The clipping keeps only the dark-to-bright edges (the top side of each horizontal stroke) and erases the others.", "name": "fig-08-clipping"}}
fig, axes = plt.subplots(1, 2, figsize=(7, 3.6))
show_map(axes[0], edges_x, t("sobel_x, signed"), signed=True)
show_map(axes[1], clipped, t("sobel_x clipped to [0, 255]"))
fig.tight_layout()
save(fig, "08_sobel_clipping.png", dpi=100)

# %% [markdown]
# ## 4. Padding and stride: the output-size formula (document 001 §3.1.2–3.1.3)
#
# Padding $p$ adds $p$ rows and columns of zeros on every side: an $n_h \times n_w$ image
# becomes $(n_h + 2p) \times (n_w + 2p)$ and, with stride 1,
#
# $$
# c_h = n_h + 2p - f_h + 1, \qquad c_w = n_w + 2p - f_w + 1
# \tag{001 §3.1.2}
# $$
#
# A *same* convolution picks $p$ so that $c = n$ (for odd $f$, $p = (f - 1)/2$); a *valid*
# one has $p = 0$.
#
# With stride $s$ the filter jumps $s$ pixels. Document 001 §3.1.3 prints
#
# $$
# c_h = \left\lfloor \frac{n_h + 2p - f_h + 1}{s} \right\rfloor
# \tag{001 §3.1.3, as printed}
# $$
#
# This is a slip: the $+1$ belongs **outside** the floor,
#
# $$
# c_h = \left\lfloor \frac{n_h + 2p - f_h}{s} \right\rfloor + 1
# \tag{001 §3.1.3, corrected}
# \label{eq:08-size}
# $$
#
# (and the same for $c_w$). Why: the first window starts at 0, the last start must satisfy
# $\text{start} + f \le n + 2p$, and the starts are $0, s, 2s, \dots$, so there are
# $\lfloor (n + 2p - f)/s \rfloor + 1$ of them. For $s = 1$ both formulas agree (which is how
# the slip survives); for $s \ge 2$ they often do not. We count the windows by brute force and
# compare.


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
    # window starts 0, s, 2s, … while the window fits
    starts_h = range(0, x.shape[0] - f_h + 1, stride)
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
    f"{'n':>3} {'f':>2} {'p':>2} {'s':>2} | "
    f"{'counted':>7} {'correct':>7} {'printed':>7}"
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
    ones = np.ones((n, n))
    counted = conv2d_scratch(ones, np.ones((f, f)), stride=s, padding=p).shape[0]
    correct, printed = size_correct(n, f, p, s), size_printed(n, f, p, s)
    assert counted == correct, (n, f, p, s)
    mismatches += counted != printed
    note = "   ← printed formula is wrong" if counted != printed else ""
    print(f"{n:>3} {f:>2} {p:>2} {s:>2} | {counted:>7} {correct:>7} {printed:>7}{note}")
print(
    f"the printed formula is wrong in {mismatches} of {len(cases)} cases; "
    "the corrected one in none"
)

# %% [markdown]
# ## 5. Pooling (document 001 §3.1.4, document 003 "Camadas de agrupamento")
#
# Max pooling keeps the largest value of each $k \times k$ window, average pooling the mean.
# With a window of $k \times k$ and stride $k$:
#
# $$
# y^{\max}_{r,c} = \max_{0 \le i, j < k} x_{rk+i,\, ck+j},
# \qquad
# y^{\text{avg}}_{r,c} = \frac{1}{k^2} \sum_{i=0}^{k-1} \sum_{j=0}^{k-1} x_{rk+i,\, ck+j}
# \tag{8.1}
# $$
#
# A 4x4 image with a 2x2 kernel (stride 2) becomes 2x2. Pooling has **no weights**. Its
# backward pass (document 003): "o gradiente é direcionado apenas ao neurônio que possui maior
# valor de ativação durante o passo para frente, os outros neurônios propagam zero". Max
# pooling routes each output's gradient to the arg-max of its window; average pooling spreads
# it evenly ($\partial C/\partial y_{r,c} / k^2$ to every input of the window).


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

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The digit (28x28) and its 2x2 max pooling and 2x2 average pooling (14x14 each). Max pooling keeps the strokes bright and thick; average pooling blurs their edges.", "name": "fig-08-pooling"}}
fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
show_map(axes[0], digit255, t("digit (28x28)"))
show_map(axes[1], maxpool_scratch(digit255, 2), t("2x2 max pool → 14x14"))
show_map(axes[2], avgpool_scratch(digit255, 2), t("2x2 average pool → 14x14"))
fig.tight_layout()
save(fig, "08_pooling.png", dpi=100)

# %% [markdown]
# ## 6. Convolution over volume (document 001 §3.2, "Convolução sobre Volume")
#
# An $n_h \times n_w \times n_c$ tensor is convolved with an $f_h \times f_w \times n_c$
# filter: multiply elementwise across all channels and sum, giving **one** $c_h \times c_w$
# map. With $n$ filters the maps stack into $c_h \times c_w \times n$ (document 001 Figura
# 19). Each filter has one bias (document 003: "o bias também será único para toda a
# entrada"). In symbols, with stride $s$, for filter $o$:
#
# $$
# C_{m,k,o} = b_o + \sum_{c=1}^{n_c} \sum_{i=0}^{f_h-1} \sum_{j=0}^{f_w-1}
# I_{ms+i,\, ks+j,\, c}\, F^{(o)}_{i,j,c}
# \tag{8.2}
# $$
#
# minigan (like PyTorch) stores images channels-first, **NCHW**, and the weights of
# `Conv2D(C_in, C_out, k)` as `W[C_out, C_in, k_h, k_w]`: the document's
# $f_h \times f_w \times n_c$ filter number $o$ is `W[o].transpose(1, 2, 0)`.


# %%
def conv_volume_scratch(x_hwc, filters_hwcn, bias, stride=1, padding=0):
    """Document 001 §3.2 in the document's own layout:
    x (n_h, n_w, n_c), filters (f_h, f_w, n_c, n)."""
    f_h, f_w, n_c, n = filters_hwcn.shape
    x = np.pad(x_hwc, ((padding, padding), (padding, padding), (0, 0)))
    # Eq. 001 §3.1.3, corrected
    c_h = (x_hwc.shape[0] + 2 * padding - f_h) // stride + 1
    c_w = (x_hwc.shape[1] + 2 * padding - f_w) // stride + 1
    out = np.zeros((c_h, c_w, n))
    for r in range(c_h):
        for c in range(c_w):
            # the (f_h, f_w, n_c) window
            window = x[r * stride : r * stride + f_h, c * stride : c * stride + f_w, :]
            # sum over f_h, f_w and n_c
            out[r, c, :] = np.tensordot(window, filters_hwcn, axes=3) + bias
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
# (f_h, f_w, n_c, n) -> (C_out, C_in, kH, kW)
conv.params["W"].data[...] = filt.transpose(3, 2, 0, 1)
conv.params["b"].data[...] = bias
out_mg = conv(x_vol.transpose(2, 0, 1)[None])  # NCHW: (1, 3, 7, 6)
err = np.abs(out_mg[0].transpose(1, 2, 0) - out_vol).max()
print(
    f"minigan.Conv2D vs from scratch: max abs difference {err:.2e}, "
    f"output {out_mg.shape}"
)
assert err < 1e-10

# the vertical-edge example through minigan: Conv2D is a cross-correlation,
# as in the document
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
print("MaxPool2D, AvgPool2D forward and MaxPool2D's arg-max backward == from scratch")

# %% [markdown]
# ## 8. Why a convolution: sparse interactions, shared parameters, equivariance (document 000 §2.2)
#
# Document 000 §2.2 names three properties that make a convolutional layer better suited to
# images than a dense one (following Goodfellow, Bengio & Courville 2016, ch. 9). Each one
# can be measured on minigan's `Conv2D`.
#
# **Sparse interactions.** "O kernel agirá sobre um intervalo de neurônios próximos [...], de
# modo que neurônios muito distantes não tem influência sobre os outros, que é o princípio de
# interações esparsas". Each output of a 3x3 convolution depends on 9 input pixels, where a
# unit of a dense layer depends on all of them. We measure it with the backward pass: put a
# gradient of 1 on one output pixel and see which input pixels receive a non-zero gradient
# (the output's *receptive field*). Stacking layers widens it: document 003 says that "à
# medida que a rede vai ficando mais profunda, os campos receptivos vão aumentando de
# tamanho".

# %%
x_rf = rng.standard_normal((1, 1, 28, 28))


def receptive_field(layers, x, at=(14, 14)):
    """The input pixels that one output pixel depends on: the non-zero entries of the
    input gradient when the upstream gradient is 1 at that pixel (channel 0)."""
    net = mg.Sequential(*layers)
    y = net(x)
    dout = np.zeros_like(y)
    dout[0, 0, at[0], at[1]] = 1.0
    return np.abs(net.backward(dout)[0, 0]) > 0


r_ = np.random.default_rng(1)
rf_one = receptive_field(
    [mg.Conv2D(1, 4, 3, padding=1, rng=r_, dtype=np.float64)], x_rf
)
rf_two = receptive_field(
    [
        mg.Conv2D(1, 4, 3, padding=1, rng=r_, dtype=np.float64),
        mg.Conv2D(4, 4, 3, padding=1, rng=r_, dtype=np.float64),
    ],
    x_rf,
)
dense = mg.Dense(28 * 28, 10, rng=r_, dtype=np.float64)
dense(x_rf.reshape(1, -1))
d_dense = np.zeros((1, 10))
d_dense[0, 0] = 1.0
rf_dense = np.abs(dense.backward(d_dense).reshape(28, 28)) > 0
for name, rf in [
    ("one 3x3 convolution", rf_one),
    ("two 3x3 convolutions", rf_two),
    ("a dense layer", rf_dense),
]:
    print(
        f"{name:<22}: one output depends on {int(rf.sum()):>3} of the 784 input pixels"
    )
assert rf_one.sum() == 9 and rf_two.sum() == 25 and rf_dense.sum() == 784

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Receptive fields on a 28x28 input: the input pixels (white) that receive a gradient from one output pixel. One 3x3 convolution sees a 3x3 patch, two stacked 3x3 convolutions a 5x5 patch, and a unit of a dense layer every pixel.", "name": "fig-08-receptive-fields"}}
fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
for ax, (title, rf) in zip(
    axes,
    [
        (t("one 3x3 conv: 9 pixels"), rf_one),
        (t("two 3x3 convs: 25 pixels"), rf_two),
        (t("dense: all 784 pixels"), rf_dense),
    ],
):
    show_map(ax, rf.astype(float), title, vmin=0.0, vmax=1.0)
fig.tight_layout()
save(fig, "08_receptive_fields.png", dpi=100)

# %% [markdown]
# **Shared parameters.** "Uma outra vantagem são os parâmetros compartilhados, já que o kernel
# é único, o que aumenta a eficiência de treinamento já que temos que salvar menos
# informações." The same 3x3 filter is used at every position of the image. Document 003
# adds that sparse connections and parameter sharing "ajudam na redução da quantidade de pesos
# na rede". We count the parameters of three layers with the same input (a 28x28 image) and
# the same output ($26 \times 26$ positions times 32 maps, the first layer of lesson 10's CNN):
#
# - a dense layer: every output connected to every input, its own weights;
# - a *locally connected* layer: sparse (each output sees a 3x3 patch) but **not** shared
#   (a different 3x3 filter and bias at every position);
# - the convolution: sparse **and** shared.

# %%
n_in, out_h, out_w, maps = 28 * 28, 26, 26, 32
n_out = out_h * out_w * maps
counts = {
    "dense (784 → 26·26·32)": (n_in + 1) * n_out,
    "locally connected, 3x3": (9 + 1) * n_out,
    "Conv2D(1, 32, 3)": mg.Conv2D(1, 32, 3).num_parameters(),
}
assert counts["Conv2D(1, 32, 3)"] == (9 * 1 + 1) * 32  # (f·f·C_in + 1)·C_out
for name, count in counts.items():
    print(f"{name:<24}{count:>12,} parameters")

# %% [markdown]
# The sparse interactions alone divide the count by about 80 (784 weights per output become
# 9); sharing divides it again by the $26 \cdot 26 = 676$ positions. The convolution has 320
# parameters where the dense layer would need about 17 million.
#
# **Equivariance to translation.** "Além disso, temos a equivariância em relação a
# translação, visto que o mesmo kernel é utilizado nas diversas áreas da entrada". If $T$
# shifts an image by some pixels, a convolution commutes with it:
#
# $$
# \operatorname{conv}(T x) = T \operatorname{conv}(x)
# \tag{8.3}
# \label{eq:08-equivariance}
# $$
#
# Shift the digit, and its feature maps shift by the same amount; nothing else changes. (Away
# from the borders: near them the zero padding and the pixels that leave the image break the
# equality.) We check it with a minigan `Conv2D` of 8 random filters, the digit on a zero
# background, and a shift of 3 rows down and 2 columns right.


# %%
def shift_image(x, dy, dx):
    """Shift the last two axes by dy rows down and dx columns right, filling with 0."""
    out = np.zeros_like(x)
    H, W = x.shape[-2:]
    out[..., dy:, dx:] = x[..., : H - dy, : W - dx]
    return out


conv8 = mg.Conv2D(1, 8, 3, padding="same", rng=2, dtype=np.float64)
x0 = ((digit + 1.0) / 2.0)[None, None]  # the digit in [0, 1], background 0
dy, dx = 3, 2
shifted_then_conv = conv8(shift_image(x0, dy, dx))
conv_then_shifted = shift_image(conv8(x0), dy, dx)
inside = (..., slice(dy + 1, -1), slice(dx + 1, -1))  # away from the borders
err_eq = np.abs(shifted_then_conv[inside] - conv_then_shifted[inside]).max()
print(f"max |conv(T x) − T conv(x)| away from the borders: {err_eq:.1e}")
assert err_eq < 1e-12

# not equivariant to rotation: a 3x3 filter is not rotation-symmetric
rot = np.abs(conv8(np.rot90(x0, axes=(2, 3)).copy()) - np.rot90(conv8(x0), axes=(2, 3)))
print(f"max |conv(rotate x) − rotate conv(x)|: {rot.max():.2f} (not 0)")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Equivariance of a convolution to translation. Top: the digit and the digit shifted 3 pixels down and 2 right. Bottom: the response of one of the 8 filters to each; the second map is the first one shifted by the same amount (away from the borders the printed difference is 0, up to round-off).", "name": "fig-08-equivariance"}}
fig, axes = plt.subplots(2, 2, figsize=(7, 7))
show_map(axes[0, 0], x0[0, 0], t("digit x"))
show_map(
    axes[0, 1],
    shift_image(x0, dy, dx)[0, 0],
    t("T x (shift {dy} down, {dx} right)", dy=dy, dx=dx),
)
show_map(axes[1, 0], conv8(x0)[0, 3], t("conv(x), filter 3"), signed=True)
show_map(axes[1, 1], shifted_then_conv[0, 3], t("conv(T x), filter 3"), signed=True)
for ax in axes.ravel():  # a grid to see the shift
    ax.set_xticks(np.arange(-0.5, 28, 7), minor=True)
    ax.set_yticks(np.arange(-0.5, 28, 7), minor=True)
    ax.grid(which="minor", color="0.6", lw=0.6)
fig.tight_layout()
save(fig, "08_equivariance.png", dpi=100)

# %% [markdown]
# Equivariance is what lets one filter find a stroke wherever it is in the image. Two remarks
# on what the document says around it:
#
# - The convolution is equivariant to translation **only**. Document 000 §2.2 opens by saying
#   that image classification has features "invariantes à translação e rotação" (a photo of a
#   person rotated 5 degrees is still a person). That is a property of the *task*; a 3x3
#   filter is not rotation-symmetric, and the printed rotation error above is far from 0. A
#   CNN learns rotated versions of its filters only if it sees rotated examples (the data
#   augmentation of lesson 11).
# - *Equivariant* is not *invariant*. The feature maps move with the digit; a classifier must
#   give the same answer wherever the digit is. Pooling (section 5) makes the maps
#   approximately invariant to shifts smaller than its window, and the dense layers at the end
#   of a CNN (lesson 10) do the rest.
#
# ## 9. Gradient check
#
# The backward pass of a convolution is itself a convolution. For stride 1 and no padding,
# with upstream gradient $\delta = \partial C/\partial O$ of the output $O = I \star F$ (the
# cross-correlation $\eqref{eq:08-xcorr}$):
#
# $$
# \frac{\partial C}{\partial F_{i,j}} = \sum_{m,k} I_{m+i,\, k+j}\, \delta_{m,k},
# \qquad
# \frac{\partial C}{\partial I_{a,b}} = \sum_{m,k} \delta_{m,k}\, F_{a-m,\, b-k}
# \tag{8.4}
# $$
#
# The first is the cross-correlation of the input with $\delta$. The second is the *full*
# convolution of $\delta$ with the filter (each $\delta_{m,k}$ paints a copy of $F$ at
# $(m, k)$): exactly a **transposed convolution**, the subject of lesson 09. We first check a
# from-scratch backward for one channel against finite differences, then minigan's layers.


# %%
def conv2d_backward_scratch(image, kernel, dout):
    """Gradients of C = Σ dout ⊙ xcorr(image, kernel) (stride 1, no padding)."""
    f_h, f_w = kernel.shape
    dkernel = cross_correlate2d(image, dout)  # ∂C/∂F[i,j] = Σ I[m+i,k+j] δ[m,k]
    dimage = np.zeros_like(image)
    for m in range(dout.shape[0]):
        for k in range(dout.shape[1]):
            # scatter: each δ paints the filter
            dimage[m : m + f_h, k : k + f_w] += dout[m, k] * kernel
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
# ∂C/∂I is the full convolution of δ with F,
# i.e. a padded cross-correlation with the flipped filter:
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
# ## Exercises
#
# 1. Write the horizontal-edge version of the worked example: an image that is $a$ in its top
#    two rows and 0 below, filtered with `F_vert.T`. Predict the result by hand first.
# 2. Show that `cross_correlate2d(I, K)` equals `convolve2d_true(I, flip(K))` for a
#    non-square kernel, and explain why a CNN that learns its filters does not care which one
#    it computes.
# 3. For $n = 28$, $f = 5$, list all $(p, s)$ with $p \le 2$, $s \le 3$ where document 001's
#    printed stride formula gives the wrong size. Is there a pattern?
# 4. Average pooling with a 2x2 window is a convolution. With which filter and stride? Check
#    it with `mg.Conv2D` against `mg.AvgPool2D`.
# 5. Count the parameters of `mg.Conv2D(3, 4, 3)` by hand (document 001 §3.2: each filter is
#    $f_h \times f_w \times n_c$, plus one bias) and compare with
#    `sum(p.size for p in conv.parameters())`.
# 6. Modify `conv2d_backward_scratch` for stride 2 and check it against finite differences.
# 7. Is a convolution with stride 2 still equivariant to a shift of 1 pixel? To a shift of 2?
#    Check $\eqref{eq:08-equivariance}$ numerically with `mg.Conv2D(1, 8, 3, stride=2)`.
# 8. Add a `MaxPool2D(2)` after `conv8` and shift the digit by 1 pixel. How much of the pooled
#    output changes? And for a shift of 2 pixels?

# %% [markdown]
# ## Your turn
#
# The exercises above are for thinking and experimenting; the cells below are graded. Each
# holds a stub: a function's signature and a docstring with the equation, the shapes and the
# document section. Write the body where it says `# YOUR CODE HERE` (delete the line
# `raise NotImplementedError`) and run the cell: the `check(...)` line underneath grades your
# function against minigan's own implementation, on inputs of several shapes, and prints one
# line: `PASS`; `FAIL` with a hint (the known mistake your answer makes, when it makes one);
# `ERROR` with the exception and its line; or `TODO` while the function still raises
# `NotImplementedError`. An answer 1 % off fails. `check` never raises, so the lesson still
# runs top to bottom with the stubs unanswered.
#
# | exercise | what you write | document section | points |
# |---|---|---|---|
# | `08.conv_output_size` | the output length of a convolution | document 001 §3.1.3 | 1 |
# | `08.im2col` | im2col: every window of the padded input as one row | document 001 §3.2 | 2 |
# | `08.col2im` | col2im: add every row back onto its window | document 003 ch. 1 | 2 |
# | `08.conv2d_forward` | a 2-D convolution via im2col | document 001 §3.2 | 2 |
# | `08.conv2d_backward` | the convolution's backward pass via im2col and col2im | document 001 §2.9 | 3 |
# | `08.maxpool_forward` | max pooling | document 001 §3.1.4 | 1 |
# | `08.maxpool_backward` | max pooling's backward pass: routing to the arg-max | document 003 ch. 1 | 2 |
# | `08.avgpool_backward` | average pooling's backward pass | document 003 ch. 1 | 1 |
#
# 14 points in all. The same stubs come as a plain file, to write in your editor and grade
# from a terminal (`minigan-exercises list` shows every lesson's exercises):
#
# ```bash
# minigan-exercises new ex/ --lesson 08   # writes ex/lesson08_convolution.py
# minigan-exercises grade ex/ -k 08       # PASS, FAIL, TODO or ERROR, and the points
# ```

# %%
import numpy as np
from minigan.exercises import check


# %%
def conv_output_size(n, f, s=1, p=0):
    """The output length of a convolution along one axis.

    Document 001 §3.1.2 (padding) and document 001 §3.1.3 (stride): windows of size f
    start at 0, s, 2s, ... of the padded input n + 2p; the last start must satisfy
    start + f ≤ n + 2p, so there are
        ⌊(n + 2p − f) / s⌋ + 1
    of them. (The document prints ⌊(n + 2p − f + 1) / s⌋, right only for s = 1.)

    Parameters
    ----------
    n : int input length;  f : int kernel size
    s : int stride;  p : int padding per side

    Returns
    -------
    int
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("08.conv_output_size", conv_output_size)


# %%
def im2col(x, kh, kw, stride=1, padding=0):
    """Lay every kh × kw × C window of the zero-padded input out as one row.

    Document 001 §3.1, document 001 §3.2: output position (y, x) sees the window of the
    padded input that starts at (y·s, x·s). Row r = (n·OH + y)·OW + x of the result
    holds that window of image n, its column (i·kw + j)·C + c holding
    x_pad[n, c, y·s + i, x·s + j] (channels last, as minigan.nn.im2col), so that a
    convolution is one product: Y = cols · W_matᵀ.
        OH = ⌊(H + 2p − kh) / s⌋ + 1,   OW = ⌊(W + 2p − kw) / s⌋ + 1

    Parameters
    ----------
    x : (N, C, H, W) float64;  kh, kw : int, the kernel size
    stride : int s;  padding : int p, zeros on every side

    Returns
    -------
    cols : (N·OH·OW, kh·kw·C)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("08.im2col", im2col)


# %%
def col2im(cols, x_shape, kh, kw, stride=1, padding=0):
    """The adjoint of im2col: add every row back onto the window it came from.

    Document 003 ch. 1: the gradient of a convolution with respect to its input (the
    transposed convolution). Element x_pad[n, c, y·s + i, x·s + j] receives the sum of
    the entries of cols that im2col copied from it (overlapping windows ADD); the
    padding is cropped off at the end. cols uses im2col's layout: (N·OH·OW, kh·kw·C),
    channels last.

    Parameters
    ----------
    cols : (N·OH·OW, kh·kw·C) float64
    x_shape : (N, C, H, W), the convolution input's shape
    kh, kw : int;  stride : int s;  padding : int p

    Returns
    -------
    dx : (N, C, H, W)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("08.col2im", col2im)


# %%
def conv2d_forward(x, W, b, stride=1, padding=0):
    """A 2-D convolution (cross-correlation) over a volume, via im2col.

    Document 001 §3.2, with stride s and zero padding p, for filter o:
        Y[n, o, y, x] = b[o] + Σ_c Σ_i Σ_j X_pad[n, c, y·s + i, x·s + j] · W[o, c, i, j]
    As one product: cols = im2col(x) (N·OH·OW, kh·kw·C), W_mat = W laid out as
    (C_out, kh·kw·C) in the same (i, j, c) order, Y = cols · W_matᵀ + b, reshaped to
    NCHW.

    Parameters
    ----------
    x : (N, C, H, W) float64
    W : (C_out, C, kh, kw) (PyTorch's layout);  b : (C_out,)
    stride : int s;  padding : int p

    Returns
    -------
    Y : (N, C_out, OH, OW)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("08.conv2d_forward", conv2d_forward)


# %%
def conv2d_backward(dout, x, W, stride=1, padding=0):
    """The convolution's backward pass, via im2col and col2im.

    Document 001 §2.9 applied to the convolution's product Y = cols · W_matᵀ + b, with
    δ = dout laid out as d2 (N·OH·OW, C_out) (channels last, like the rows of cols):
        ∂C/∂W_mat = d2ᵀ · cols    → reshaped back to (C_out, C, kh, kw)
        ∂C/∂b = Σ_{n, y, x} δ     (C_out,)
        ∂C/∂x = col2im(d2 · W_mat)  (document 003 ch. 1: a transposed convolution)

    Parameters
    ----------
    dout : (N, C_out, OH, OW), the upstream gradient
    x : (N, C, H, W), the forward's input
    W : (C_out, C, kh, kw);  stride : int s;  padding : int p

    Returns
    -------
    (dx, dW, db) : arrays (N, C, H, W), (C_out, C, kh, kw), (C_out,)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("08.conv2d_backward", conv2d_backward)


# %%
def maxpool_forward(x, k, stride=None):
    """Max pooling: the largest value of every k × k window.

    Document 001 §3.1.4 (windows every s pixels, no padding; s = k by default):
        Y[n, c, y, x] = max_{i, j < k} X[n, c, y·s + i, x·s + j]
        OH = ⌊(H − k) / s⌋ + 1

    Parameters
    ----------
    x : (N, C, H, W) float64;  k : int, the window;  stride : int s, or None for k

    Returns
    -------
    Y : (N, C, OH, OW)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("08.maxpool_forward", maxpool_forward)


# %%
def maxpool_backward(dout, x, k, stride=None):
    """Max pooling's backward pass: route each window's gradient to its arg-max.

    Document 003 ch. 1: "o gradiente é direcionado apenas ao neurônio que possui maior
    valor de ativação durante o passo para frente, os outros neurônios propagam zero".
    Each dout[n, c, y, x] goes to the position of the maximum of its window in x (on a
    tie: the first in row-major window order); an element that is the maximum of several
    overlapping windows (s < k) receives the SUM of their gradients.

    Parameters
    ----------
    dout : (N, C, OH, OW), the upstream gradient
    x : (N, C, H, W), the forward's input
    k : int;  stride : int s, or None for k

    Returns
    -------
    dx : (N, C, H, W)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("08.maxpool_backward", maxpool_backward)


# %%
def avgpool_backward(dout, x_shape, k, stride=None):
    """Average pooling's backward pass.

    Document 003 ch. 1: average pooling outputs "a média de todos os valores de ativação
    do campo",
        Y[n, c, y, x] = (1/k²) Σ_{i, j < k} X[n, c, y·s + i, x·s + j]
    So every element of a window receives dout[n, c, y, x] / k², summed over the
    (overlapping, s < k) windows it belongs to.

    Parameters
    ----------
    dout : (N, C, OH, OW);  x_shape : (N, C, H, W), the forward's input shape
    k : int;  stride : int s, or None for k

    Returns
    -------
    dx : (N, C, H, W)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("08.avgpool_backward", avgpool_backward)

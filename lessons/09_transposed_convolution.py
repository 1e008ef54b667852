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
# # Lesson 09 — Transposed convolution: how a generator grows an image
#
# **Objective.** A GAN's generator starts from a small noise vector and must end with a
# 28x28 (or 64x64) image: it needs a layer that *increases* the spatial size. Build the
# transposed convolution ("Convolução Transposta") by hand as document 001 describes it,
# see why it is called *transposed* (it is multiplication by the transpose of the
# convolution matrix, i.e. the backward pass of a convolution), derive the general size
# formula (and check the one the document prints), meet the checkerboard artefact, and
# hand it to `minigan.Conv2DTranspose`.
#
# Sources:
# - document 001 §3.3 "Convolução Transposta" (Marques 2021) — the 2x2 ⋆ 2x2 → 3x3 example and
#   `n_h = c_h + f_h − 1`;
# - document 003 (Pereira, n.d.) ch. 1 "Deconvolução": "ele funciona na convolução, ou seja, os mesmos neurônios
#   determinarão os gradientes dos passos de volta ao fazer o backpropagation. Essa ação é
#   conhecida como convolução transposta, ou deconvolução";
# - document 000 (Guimarães 2019) §3.2.1.2 (the generator's `conv2d_transpose` layers with `padding='same'`).

# %%
import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck
from minigan.data import load_mnist

from _course import save  # lessons/_course.py: figures saved (and shown in a notebook)

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The document's picture: every input pixel paints a copy of the filter
#
# Document 001 §3.3: "Cada elemento da matriz C é multiplicado por todos os elementos da
# matriz F, tendo o resultado somado posteriormente." Each input value `C[m, k]` multiplies the
# whole filter, the scaled copy is placed at `(m·s, k·s)` in the output, and overlapping copies
# are **added**. With a 2x2 input, a 2x2 filter and stride 1 the output is 3x3, and the document's
# size formula is
#
#     n_h = c_h + f_h − 1,    n_w = c_w + f_w − 1
#
# ("basta inverter a fórmula … da Convolução": `c = n − f + 1` solved for `n`).


# %%
def conv_transpose2d_scratch(x, kernel, stride=1, padding=0, output_padding=0):
    """Scatter form of the transposed convolution (one channel).

    Every input pixel x[m, k] adds x[m, k] · F into the output at (m·s, k·s); the full result is
    then cropped by `padding` on every side (the inverse of a convolution's zero padding), and
    `output_padding` extra rows/columns are kept at the bottom/right.
    """
    c_h, c_w = x.shape
    f_h, f_w = kernel.shape
    full = np.zeros(
        (
            (c_h - 1) * stride + f_h + output_padding,
            (c_w - 1) * stride + f_w + output_padding,
        )
    )
    for m in range(c_h):
        for k in range(c_w):
            full[m * stride : m * stride + f_h, k * stride : k * stride + f_w] += (
                x[m, k] * kernel
            )  # Eq. 001 §3.3
    return full[padding : full.shape[0] - padding, padding : full.shape[1] - padding]


C_small = np.array([[1.0, 2.0], [3.0, 4.0]])
F_small = np.array([[1.0, 1.0], [1.0, 1.0]])
print("2x2 input:\n", C_small, "\n2x2 filter of ones:\n", F_small)
print(
    "transposed convolution, stride 1 -> 3x3:\n",
    conv_transpose2d_scratch(C_small, F_small),
)
print(
    "stride 2 -> 4x4 (the copies no longer overlap):\n",
    conv_transpose2d_scratch(C_small, F_small, stride=2),
)

# %% [markdown]
# ## 2. Why "transposed": the convolution as a matrix
#
# A convolution is linear, so for a fixed filter it is a matrix `M`: `vec(y) = M · vec(x)`.
# Build `M` column by column (the response to each unit image), then compare `Mᵀ · vec(δ)` with
# the scatter above. They are equal: the transposed convolution **is** multiplication by `Mᵀ`.
# And `Mᵀ δ` is also exactly the gradient a convolution sends back to its input (`∂C/∂x = Mᵀ δ`),
# which is what document 003 means by "deconvolução" — the same computation as the
# convolution's backward pass. That is how minigan implements it: `Conv2DTranspose.forward`
# is `Conv2D`'s input gradient, and `Conv2DTranspose.backward` is a plain convolution.
#
# (It is *not* an inverse: `Mᵀ M ≠ I`. "Deconvolution" is a misleading name, which is why
# the DCGAN paper and document 001 prefer "transposed" or "fractionally strided".)


# %%
def conv2d_scratch(image, kernel, stride=1, padding=0):
    x = np.pad(image, padding)
    f_h, f_w = kernel.shape
    return np.array(
        [
            [
                np.sum(x[r : r + f_h, c : c + f_w] * kernel)
                for c in range(0, x.shape[1] - f_w + 1, stride)
            ]
            for r in range(0, x.shape[0] - f_h + 1, stride)
        ]
    )


def conv_matrix(n, kernel, stride=1, padding=0):
    """The matrix M of conv2d_scratch on n×n images: column j = conv of the j-th unit image."""
    cols = []
    for j in range(n * n):
        e = np.zeros(n * n)
        e[j] = 1.0
        cols.append(conv2d_scratch(e.reshape(n, n), kernel, stride, padding).ravel())
    return np.stack(cols, axis=1)  # (c·c, n·n)


n, f, s, p = 5, 3, 2, 1
K3 = rng.standard_normal((f, f))
M = conv_matrix(n, K3, s, p)
c = (n + 2 * p - f) // s + 1
print(f"convolution {n}x{n} -> {c}x{c} is a {M.shape} matrix")
delta = rng.standard_normal((c, c))
via_matrix = (M.T @ delta.ravel()).reshape(n, n)
via_scatter = conv_transpose2d_scratch(delta, K3, stride=s, padding=p)
print("Mᵀ δ vs scatter: max abs difference", np.abs(via_matrix - via_scatter).max())
assert np.allclose(via_matrix, via_scatter)

x5 = rng.standard_normal((n, n))
num_dx = gradcheck.numerical_gradient(
    lambda: np.sum(conv2d_scratch(x5, K3, s, p) * delta), x5
)
print(
    "∂(Σ δ ⊙ conv(x))/∂x vs transposed convolution of δ: rel. error",
    f"{gradcheck.rel_error(num_dx, via_scatter):.1e}",
)

# %% [markdown]
# ## 3. The size formula — and what document 001 leaves out
#
# Inverting the corrected convolution formula `c = ⌊(n + 2p − f)/s⌋ + 1` (lesson 08) gives
#
#     n = (c − 1)·s − 2p + f + output_padding
#
# which is PyTorch's (and minigan's) formula for `Conv2DTranspose`. The `⌊·⌋` loses information
# when `s ≥ 2` (a 7x7 and an 8x8 image both convolve to 4x4 with `f = 3, s = 2, p = 1`), so a
# transposed convolution needs `output_padding ∈ [0, s)` to say which one it should produce.
#
# Document 001 §3.3 prints `n_h = c_h + f_h − 1`. That is **correct, but only for `s = 1,
# p = 0`** (put them in the general formula); the document applies it without saying so, and
# for the strided layers every DCGAN generator uses it is wrong. For example a 7x7 map with a
# 4x4 filter, stride 2 and padding 1 — the classic DCGAN up-sampling block — becomes 14x14, not 10x10.


# %%
def size_transposed(c, f, s=1, p=0, op=0):
    return (c - 1) * s - 2 * p + f + op  # general formula (PyTorch / minigan)


def size_doc001(c, f):
    return c + f - 1  # document 001 §3.3 as printed (s = 1, p = 0 only)


print(
    f"{'c':>3} {'f':>2} {'s':>2} {'p':>2} {'op':>2} | {'scratch':>7} {'minigan':>7} {'formula':>7} {'doc 001':>7}"
)
for c_, f_, s_, p_, op_ in [
    (2, 2, 1, 0, 0),
    (7, 3, 1, 0, 0),
    (7, 4, 2, 1, 0),
    (7, 3, 2, 1, 1),
    (14, 5, 2, 2, 1),
    (4, 5, 2, 0, 0),
]:
    scratch = conv_transpose2d_scratch(
        np.ones((c_, c_)), np.ones((f_, f_)), s_, p_, op_
    ).shape[0]
    layer = mg.Conv2DTranspose(1, 1, f_, stride=s_, padding=p_, output_padding=op_)
    by_mg = layer(np.zeros((1, 1, c_, c_), np.float32)).shape[-1]
    assert scratch == by_mg == size_transposed(c_, f_, s_, p_, op_)
    print(
        f"{c_:>3} {f_:>2} {s_:>2} {p_:>2} {op_:>2} | {scratch:>7} {by_mg:>7} {size_transposed(c_, f_, s_, p_, op_):>7} "
        f"{size_doc001(c_, f_):>7}"
        + ("" if size_doc001(c_, f_) == scratch else "   ← doc formula does not apply")
    )

# 'same' padding, the TensorFlow/Keras meaning used by document 000's generator: output = input · stride
for s_ in (1, 2):
    y = mg.Conv2DTranspose(1, 1, 5, stride=s_, padding="same")(
        np.zeros((1, 1, 24, 24), np.float32)
    )
    print(
        f"Conv2DTranspose(k=5, stride={s_}, padding='same'): 24x24 -> {y.shape[-2]}x{y.shape[-1]}"
    )
    assert y.shape[-1] == 24 * s_

# %% [markdown]
# ## 4. Transposed convolution as "insert zeros, then convolve"
#
# The DCGAN paper calls it a *fractionally strided* convolution: put `s − 1` zeros between the
# input pixels, pad by `f − 1 − p` and cross-correlate with the **flipped** filter at stride 1.
# Same numbers as the scatter form — a third way to see the same operator.


# %%
def conv_transpose_by_dilation(x, kernel, stride=1, padding=0):
    c_h, c_w = x.shape
    f_h, f_w = kernel.shape
    dil = np.zeros(((c_h - 1) * stride + 1, (c_w - 1) * stride + 1))
    dil[::stride, ::stride] = x  # s − 1 zeros between pixels
    q = f_h - 1 - padding
    return conv2d_scratch(
        np.pad(dil, q), kernel[::-1, ::-1]
    )  # flipped filter, stride 1


xd = rng.standard_normal((4, 4))
a1 = conv_transpose_by_dilation(xd, K3, stride=2, padding=1)
a2 = conv_transpose2d_scratch(xd, K3, stride=2, padding=1)
print("zero-insertion form vs scatter form: max abs difference", np.abs(a1 - a2).max())
assert np.allclose(a1, a2)

# %% [markdown]
# ## 5. This is now `minigan.Conv2DTranspose`
#
# Its weight is `W[C_in, C_out, kH, kW]` (PyTorch's layout: note `C_in` first, the transpose
# of `Conv2D`'s). Over volume (document 001: "Na convolução transposta a operação sobre volume
# também se mantém válida") every input channel `i` paints `W[i, o]` into output channel `o`,
# summed over `i`.


# %%
def conv_transpose_volume_scratch(x, W, b, stride, padding, output_padding=0):
    """x (C_in, H, W), W (C_in, C_out, kH, kW) -> (C_out, H', W')."""
    outs = []
    for o in range(W.shape[1]):
        outs.append(
            sum(
                conv_transpose2d_scratch(x[i], W[i, o], stride, padding, output_padding)
                for i in range(W.shape[0])
            )
            + b[o]
        )
    return np.stack(outs)


ct = mg.Conv2DTranspose(3, 2, 4, stride=2, padding=1, dtype=np.float64)
xv = rng.standard_normal((1, 3, 5, 5))
y_mg = ct(xv)
y_scratch = conv_transpose_volume_scratch(
    xv[0], ct.params["W"].data, ct.params["b"].data, 2, 1
)
print(
    f"Conv2DTranspose(3, 2, 4, stride=2, padding=1): {xv.shape} -> {y_mg.shape}; "
    f"max abs difference to scratch {np.abs(y_mg[0] - y_scratch).max():.1e}"
)
assert np.allclose(y_mg[0], y_scratch)

# the transposed convolution is the backward of the convolution with the same weights
cv = mg.Conv2D(2, 3, 4, stride=2, padding=1, dtype=np.float64)
# Conv2D(2 -> 3) has W (C_out=3, C_in=2, 4, 4); its input gradient maps 3 channels back to 2,
# which is Conv2DTranspose(3 -> 2) with W (C_in=3, C_out=2, 4, 4): the *same* array, no transpose.
cv.params["W"].data[...] = ct.params["W"].data
cv(np.zeros((1, 2, 10, 10)))
dx_conv = cv.backward(xv)
print(
    "Conv2D input-gradient vs Conv2DTranspose forward (bias removed): max abs difference",
    np.abs(dx_conv - (y_mg - ct.params["b"].data[None, :, None, None])).max(),
)
assert np.allclose(dx_conv, y_mg - ct.params["b"].data[None, :, None, None])

# %% [markdown]
# ## 6. Gradient check

# %%
for name, layer, x in [
    (
        "Conv2DTranspose(2, 3, 3, stride=2, padding=1, output_padding=1)",
        mg.Conv2DTranspose(2, 3, 3, stride=2, padding=1, output_padding=1),
        rng.standard_normal((2, 2, 3, 4)),
    ),
    (
        "Conv2DTranspose(1, 2, 5, stride=2, padding='same')",
        mg.Conv2DTranspose(1, 2, 5, stride=2, padding="same"),
        rng.standard_normal((2, 1, 3, 3)),
    ),
]:
    errs = gradcheck.check_module(layer, x)
    print(f"{name:<66} " + "  ".join(f"{k}: {v:.1e}" for k, v in errs.items()))
    assert max(errs.values()) < 1e-6

# %% [markdown]
# ## 7. Experiment: the checkerboard artefact
#
# Feed a constant image through a transposed convolution whose filter is all ones. Each output
# pixel then counts how many painted filter copies overlap on it. When the filter size is not a
# multiple of the stride (3 with stride 2) the overlaps are uneven and a regular grid pattern
# appears — the "checkerboard" texture often seen in early GAN samples (Odena et al., 2016).
# A 4x4 filter with stride 2 (the DCGAN choice) overlaps evenly in the interior.
# We also shrink a real digit to 14x14 (a 4x4 average, stride 2) and up-sample it back to 28x28
# with all-ones filters of size 3 and 4: the k=3 result wears the checkerboard.

# %%
fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
for ax, f_ in zip(axes[:2], (3, 4)):
    ones = mg.Conv2DTranspose(1, 1, f_, stride=2, padding=1, dtype=np.float64)
    ones.params["W"].data[...] = 1.0
    ones.params["b"].data[...] = 0.0
    cover = ones(np.ones((1, 1, 6, 6)))[0, 0]
    interior = cover[2:-2, 2:-2]
    print(
        f"kernel {f_}, stride 2: overlap counts in the interior range {interior.min():.0f}..{interior.max():.0f}"
    )
    im = ax.imshow(cover, cmap="viridis")
    ax.set_title(
        f"overlap count, k={f_}, s=2 ({interior.min():.0f}..{interior.max():.0f} inside)",
        fontsize=9,
    )
    fig.colorbar(im, ax=ax, fraction=0.046)
X, y = load_mnist(limit=50)
d = X[:1].astype(np.float64)  # (1, 1, 28, 28)
down = mg.Conv2D(1, 1, 4, stride=2, padding=1, dtype=np.float64)
down.params["W"].data[...] = 1.0 / 16
down.params["b"].data[...] = 0.0
small = down(d)  # 28 -> 14 (average)
for ax, f_ in zip(axes[2:], (3, 4)):
    up = mg.Conv2DTranspose(
        1,
        1,
        f_,
        stride=2,
        padding=1,
        output_padding=1 if f_ == 3 else 0,
        dtype=np.float64,
    )
    up.params["W"].data[...] = 1.0
    up.params["b"].data[...] = 0.0
    big = up(small)[0, 0]
    ax.imshow(big, cmap="gray")
    ax.set_title(
        f"14x14 digit up-sampled, k={f_}, s=2 -> {big.shape[0]}x{big.shape[1]}",
        fontsize=9,
    )
    ax.axis("off")
fig.suptitle(
    "Lesson 09: transposed convolution — uneven overlap (k=3, s=2) makes a checkerboard"
)
fig.tight_layout()
save(fig, "09_checkerboard.png", dpi=90)

# %% [markdown]
# ## Exercises
#
# 1. By hand: the transposed convolution of `[[1, 2], [3, 4]]` with the 2x2 filter `[[1, 0], [0, −1]]`,
#    stride 1. Check with `conv_transpose2d_scratch`.
# 2. A DCGAN generator goes 7 → 14 → 28 with `Conv2DTranspose(k, stride=2, padding=p, output_padding=op)`.
#    Find all `(k, p, op)` with `k ≤ 5` that do it, using the general size formula.
# 3. Show numerically that `Mᵀ M` is not the identity (so the transposed convolution does not undo
#    the convolution). When is `M Mᵀ` diagonal?
# 4. Document 000's generator uses `conv2d_transpose(kernel_size=5, strides=2, padding='same')`
#    twice from 24x24. What sizes come out? Which `(padding, output_padding)` in PyTorch's
#    convention give the same size?
# 5. Repeat the checkerboard experiment with kernel 5 and kernel 6 at stride 2, and with kernel
#    3 at stride 3. State the rule.

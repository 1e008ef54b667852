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
# # Lesson 09: Transposed convolution, how a generator grows an image
#
# **Objective.** A GAN's generator starts from a small noise vector and must end with a
# 28x28 (or 64x64) image: it needs a layer that *increases* the spatial size. We build the
# transposed convolution ("Convolução Transposta") by hand as document 001 describes it, see
# why it is called *transposed* (it is multiplication by the transpose of the convolution
# matrix, that is, the backward pass of a convolution), derive the general size formula (and
# check the one the document prints), and hand it to `minigan.Conv2DTranspose`. Then we sort
# out the name "deconvolution": what a real deconvolution is, what Zeiler & Fergus's
# deconvolutional networks are, and why neither is the layer of a generator. Last, the
# checkerboard artefact.
#
# Sources:
# - document 001 (Marques 2021) §3.3 "Convolução Transposta": the 2x2 by 2x2 → 3x3 example
#   and $n_h = c_h + f_h - 1$;
# - document 003 (Pereira, n.d.) ch. 1 "Deconvolução" and ch. 3 "Redes Deconvolucionais";
# - document 000 (Guimarães 2019) §3.2.1.2 (the generator's `conv2d_transpose` layers with
#   `padding='same'`).

# %%
import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck
from minigan.data import load_mnist

# lessons/_course.py: figures saved (and shown in a notebook)
from _course import save, t

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The document's picture: every input pixel paints a copy of the filter
#
# Document 001 §3.3: "Cada elemento da matriz C é multiplicado por todos os elementos da
# matriz F, tendo o resultado somado posteriormente." Each input value $C_{m,k}$ multiplies
# the whole filter $F$, the scaled copy is placed at $(ms, ks)$ in the output (stride $s$),
# and overlapping copies are **added**:
#
# $$
# O_{a,b} = \sum_{m} \sum_{k} C_{m,k}\, F_{a - ms,\; b - ks}
# \qquad (F_{i,j} = 0 \text{ outside } 0 \le i < f_h,\ 0 \le j < f_w)
# \tag{9.1}
# \label{eq:09-scatter}
# $$
#
# With a 2x2 input, a 2x2 filter and stride 1 the output is 3x3, and the document's size
# formula is
#
# $$
# n_h = c_h + f_h - 1, \qquad n_w = c_w + f_w - 1
# \tag{001 §3.3}
# \label{eq:09-size-doc}
# $$
#
# ("é preciso apenas inverter a fórmula para encontrar o valor de C na Convolução":
# $c = n - f + 1$ solved for $n$).


# %%
def conv_transpose2d_scratch(x, kernel, stride=1, padding=0, output_padding=0):
    """Scatter form of the transposed convolution (one channel).

    Every input pixel x[m, k] adds x[m, k] · F into the output at (m·s, k·s); the
    full result is then cropped by `padding` on every side (the inverse of a
    convolution's zero padding), and `output_padding` extra rows/columns are kept
    at the bottom/right.
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
            # Eq. 001 §3.3: x[m, k] paints x[m, k] · F at (m·s, k·s)
            r, c = m * stride, k * stride
            full[r : r + f_h, c : c + f_w] += x[m, k] * kernel
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

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Document 001's example, a 2x2 input with a 2x2 filter of ones at stride 1: each input value paints a scaled copy of the filter into the 3x3 output (the four small panels), and the copies are added (right). Where copies overlap, the output is a sum of several input values.", "name": "fig-09-scatter"}}
fig, axes = plt.subplots(1, 5, figsize=(11, 2.8))
total = conv_transpose2d_scratch(C_small, F_small)
for ax, (m_, k_) in zip(axes[:4], [(0, 0), (0, 1), (1, 0), (1, 1)]):
    one = np.zeros_like(C_small)
    one[m_, k_] = C_small[m_, k_]
    copy = conv_transpose2d_scratch(one, F_small)
    ax.imshow(copy, cmap="Blues", vmin=0, vmax=total.max())
    ax.set_title(
        t("C[{m},{k}] = {v:g} paints", m=m_, k=k_, v=C_small[m_, k_]), fontsize=10
    )
    for (r_, c_), v in np.ndenumerate(copy):
        ax.text(c_, r_, f"{v:g}", ha="center", va="center", fontsize=11)
axes[4].imshow(total, cmap="Blues", vmin=0, vmax=total.max())
axes[4].set_title(t("sum: the 3x3 output"), fontsize=10)
for (r_, c_), v in np.ndenumerate(total):
    color = "white" if v > total.max() / 2 else "black"
    axes[4].text(c_, r_, f"{v:g}", ha="center", va="center", fontsize=11, color=color)
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
save(fig, "09_scatter.png", dpi=100)

# %% [markdown]
# ## 2. Why "transposed": the convolution as a matrix
#
# A convolution is linear, so for a fixed filter it is a matrix $M$: flatten the input image
# $x$ and the output $y$ into vectors, and $\operatorname{vec}(y) = M \operatorname{vec}(x)$.
# We build $M$ column by column (column $j$ is the response to the $j$-th unit image), and
# compare $M^{\top} \operatorname{vec}(\delta)$ with the scatter $\eqref{eq:09-scatter}$. They
# are equal: the transposed convolution **is** multiplication by $M^{\top}$. And
# $M^{\top}\delta$ is also exactly the gradient that a convolution sends back to its input:
#
# $$
# \operatorname{vec}(y) = M \operatorname{vec}(x)
# \quad\Longrightarrow\quad
# \frac{\partial C}{\partial \operatorname{vec}(x)} = M^{\top} \operatorname{vec}(\delta),
# \qquad \delta = \frac{\partial C}{\partial y}
# \tag{9.2}
# \label{eq:09-transpose}
# $$
#
# This is what document 003 ch. 1 describes under the heading "Deconvolução": "os mesmos
# neurônios determinarão os gradientes dos passos de volta ao fazer o backpropagation. Essa
# ação é conhecida como convolução transposta, ou deconvolução". It is how minigan implements
# the layer: `Conv2DTranspose.forward` is `Conv2D`'s input gradient, and
# `Conv2DTranspose.backward` is a plain convolution. (Section 6 explains why "deconvolução" is
# a misleading name for it.)


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
    """The matrix M of conv2d_scratch on n×n images: column j is the convolution of
    the j-th unit image."""
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

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The matrix M of a 3x3 convolution with stride 2 and padding 1 on 5x5 images: 9 rows (one per output pixel) and 25 columns (one per input pixel). Each row holds the filter's weights where its window sits, and zeros elsewhere; the transposed convolution multiplies by the transpose of this matrix.", "name": "fig-09-conv-matrix"}}
fig, ax = plt.subplots(figsize=(10, 3.6))
lim = np.abs(M).max()
ax.imshow(M, cmap="RdBu_r", vmin=-lim, vmax=lim)
ax.set_xlabel(t("input pixel (5x5 image, flattened)"), fontsize=11)
ax.set_ylabel(t("output pixel"), fontsize=11)
ax.set_xticks(range(0, 25, 5))
ax.set_yticks(range(9))
ax.set_title(
    t(
        "M: {rows}x{cols}, red positive, blue negative",
        rows=M.shape[0],
        cols=M.shape[1],
    ),
    fontsize=11,
)
fig.tight_layout()
save(fig, "09_conv_matrix.png", dpi=100)

# %% [markdown]
# ## 3. The size formula, and what document 001 leaves out
#
# Inverting the corrected convolution formula $c = \lfloor (n + 2p - f)/s \rfloor + 1$
# (lesson 08) gives
#
# $$
# n = (c - 1)\, s - 2p + f + \text{output_padding}
# \tag{9.3}
# \label{eq:09-size}
# $$
#
# which is PyTorch's (and minigan's) formula for `Conv2DTranspose`. The floor loses
# information when $s \ge 2$ (a 7x7 and an 8x8 image both convolve to 4x4 with $f = 3$,
# $s = 2$, $p = 1$), so a transposed convolution needs an
# $\text{output_padding} \in [0, s)$ to say which size it should produce.
#
# Document 001 §3.3 prints $\eqref{eq:09-size-doc}$, $n_h = c_h + f_h - 1$. That is
# **correct, but only for $s = 1$, $p = 0$** (put them in $\eqref{eq:09-size}$). The document
# applies it without saying so, and for the strided layers that every DCGAN generator uses it
# is wrong. For example a 7x7 map with a 4x4 filter, stride 2 and padding 1 (the classic
# DCGAN up-sampling block) becomes 14x14, not 10x10.


# %%
def size_transposed(c, f, s=1, p=0, op=0):
    return (c - 1) * s - 2 * p + f + op  # general formula (PyTorch / minigan)


def size_doc001(c, f):
    return c + f - 1  # document 001 §3.3 as printed (s = 1, p = 0 only)


print(
    f"{'c':>3} {'f':>2} {'s':>2} {'p':>2} {'op':>2} | "
    f"{'scratch':>7} {'minigan':>7} {'formula':>7} {'doc 001':>7}"
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
    formula, doc = size_transposed(c_, f_, s_, p_, op_), size_doc001(c_, f_)
    assert scratch == by_mg == formula
    note = "" if doc == scratch else "   ← doc formula does not apply"
    print(
        f"{c_:>3} {f_:>2} {s_:>2} {p_:>2} {op_:>2} | "
        f"{scratch:>7} {by_mg:>7} {formula:>7} {doc:>7}{note}"
    )

# 'same' padding, the TensorFlow/Keras meaning used by document 000's generator:
# output = input · stride
for s_ in (1, 2):
    y = mg.Conv2DTranspose(1, 1, 5, stride=s_, padding="same")(
        np.zeros((1, 1, 24, 24), np.float32)
    )
    print(
        f"Conv2DTranspose(k=5, stride={s_}, padding='same'): "
        f"24x24 -> {y.shape[-2]}x{y.shape[-1]}"
    )
    assert y.shape[-1] == 24 * s_

# %% [markdown]
# ## 4. Transposed convolution as "insert zeros, then convolve"
#
# The DCGAN paper (Radford et al. 2016) calls it a *fractionally strided* convolution: put
# $s - 1$ zeros between the input pixels, pad by $f - 1 - p$ and cross-correlate with the
# **flipped** filter at stride 1. It gives the same numbers as the scatter form: a third way
# to see the same operator.


# %%
def conv_transpose_by_dilation(x, kernel, stride=1, padding=0):
    c_h, c_w = x.shape
    f_h, f_w = kernel.shape
    dil = np.zeros(((c_h - 1) * stride + 1, (c_w - 1) * stride + 1))
    dil[::stride, ::stride] = x  # s − 1 zeros between pixels
    q = f_h - 1 - padding
    return conv2d_scratch(np.pad(dil, q), kernel[::-1, ::-1])  # flipped, stride 1


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
# também se mantém válida") every input channel $i$ paints `W[i, o]` into output channel $o$,
# summed over $i$.


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
print(f"Conv2DTranspose(3, 2, 4, stride=2, padding=1): {xv.shape} -> {y_mg.shape}")
print(f"max abs difference to scratch {np.abs(y_mg[0] - y_scratch).max():.1e}")
assert np.allclose(y_mg[0], y_scratch)

# the transposed convolution is the backward of the convolution with the same weights
cv = mg.Conv2D(2, 3, 4, stride=2, padding=1, dtype=np.float64)
# Conv2D(2 -> 3) has W (C_out=3, C_in=2, 4, 4); its input gradient maps 3 channels
# back to 2, which is Conv2DTranspose(3 -> 2) with W (C_in=3, C_out=2, 4, 4): the
# *same* array, no transpose.
cv.params["W"].data[...] = ct.params["W"].data
cv(np.zeros((1, 2, 10, 10)))
dx_conv = cv.backward(xv)
no_bias = y_mg - ct.params["b"].data[None, :, None, None]
print(
    "Conv2D input gradient vs Conv2DTranspose forward (bias removed): "
    f"max abs diff. {np.abs(dx_conv - no_bias).max():.1e}"
)
assert np.allclose(dx_conv, no_bias)

# %% [markdown]
# ## 6. "Deconvolution": a misleading name (document 003)
#
# Document 003 calls the transposed convolution "deconvolução" (ch. 1, quoted in section 2),
# and in ch. 3 it says that a GAN's generator "utiliza uma camada especial, chamada de camada
# deconvolucional (*deconvolutional layer*)". The name is common, and misleading twice over.
#
# **A deconvolution undoes a convolution.** In signal processing, deconvolution means
# recovering $x$ from $y = k * x$ (sharpening a blurred photograph, for example): solving
# $M \operatorname{vec}(x) = \operatorname{vec}(y)$ for $x$. The transposed convolution
# computes $M^{\top} \operatorname{vec}(y)$ instead, and $M^{\top} M \ne I$: applied after the
# convolution, it does not give the input back,
#
# $$
# \begin{aligned}
# \operatorname{conv}^{\top}\big(\operatorname{conv}(x)\big) &= M^{\top} M\, x \ne x \cr
# \operatorname{deconv}\big(\operatorname{conv}(x)\big) &= M^{-1} M\, x = x
# \end{aligned}
# \tag{9.4}
# $$
#
# (the second line when $M$ is invertible).
#
# We check it on a digit with a mild 3x3 blur (stride 1, padding 1, so that $M$ is a square
# $784 \times 784$ matrix that can be inverted), using minigan's `Conv2D` and
# `Conv2DTranspose` with the same filter, and `np.linalg.solve` for the real deconvolution.
# Then with stride 2, where $M$ has 196 rows for 784 unknowns and no inverse exists at all.

# %%
X_d, _ = load_mnist(limit=50)
x_img = (X_d[0, 0].astype(np.float64) + 1.0) / 2.0  # a digit in [0, 1]
blur3 = np.array([[0.0, 1.0, 0.0], [1.0, 6.0, 1.0], [0.0, 1.0, 0.0]]) / 10.0
conv_b = mg.Conv2D(1, 1, 3, padding=1, bias=False, dtype=np.float64)
conv_b.params["W"].data[...] = blur3
convT_b = mg.Conv2DTranspose(1, 1, 3, padding=1, bias=False, dtype=np.float64)
convT_b.params["W"].data[...] = blur3  # the same filter
y_b = conv_b(x_img[None, None])
back_T = convT_b(y_b)[0, 0]  # the transposed convolution of the blurred digit
# the matrix M of the blur: column j is the response to the j-th unit image
M_b = conv_b(np.eye(784).reshape(784, 1, 28, 28)).reshape(784, 784).T
back_solve = np.linalg.solve(M_b, y_b.ravel()).reshape(28, 28)  # a real deconvolution


def rel_err(a):
    return float(np.linalg.norm(a - x_img) / np.linalg.norm(x_img))


print(f"blurred digit vs digit:               relative error {rel_err(y_b[0, 0]):.3f}")
print(f"transposed convolution of it vs digit: relative error {rel_err(back_T):.3f}")
print(f"solving M x = y (deconvolution):      relative error {rel_err(back_solve):.1e}")
assert rel_err(back_T) > rel_err(y_b[0, 0]) > 1e-2 and rel_err(back_solve) < 1e-8

# stride 2: 784 pixels in, 196 out; the transposed convolution gives 28x28 again
conv_s = mg.Conv2D(1, 1, 3, stride=2, padding=1, bias=False, dtype=np.float64)
conv_s.params["W"].data[...] = blur3
convT_s = mg.Conv2DTranspose(
    1, 1, 3, stride=2, padding=1, output_padding=1, bias=False, dtype=np.float64
)
convT_s.params["W"].data[...] = blur3
back_s = convT_s(conv_s(x_img[None, None]))[0, 0]
M_s = conv_s(np.eye(784).reshape(784, 1, 28, 28)).reshape(784, 196).T
print(
    f"stride 2: M is {M_s.shape[0]}x{M_s.shape[1]} with rank "
    f"{np.linalg.matrix_rank(M_s)}: no inverse"
)
print(
    f"stride 2: transposed convolution vs digit: relative error {rel_err(back_s):.3f}"
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "A digit, the digit blurred by a 3x3 convolution, the transposed convolution of the blurred digit with the same filter (blurred a second time, not restored), and the real deconvolution, which solves M x = y and gives the digit back. The last panel is the transposed convolution after a stride-2 convolution: the right size again, but not the input.", "name": "fig-09-deconvolution"}}
fig, axes = plt.subplots(1, 5, figsize=(11, 2.9))
for ax, im, title in zip(
    axes,
    [x_img, y_b[0, 0], back_T, back_solve, back_s],
    [
        t("digit x"),
        t("conv(x), blurred"),
        "convᵀ(conv(x))",
        t("solve M x = y"),
        t("stride 2: convᵀ(conv(x))"),
    ],
):
    ax.imshow(im, cmap="gray", vmin=0, vmax=max(1.0, float(im.max())))
    ax.set_title(title, fontsize=10)
    ax.axis("off")
fig.tight_layout()
save(fig, "09_deconvolution.png", dpi=100)

# %% [markdown]
# The printed errors say it with numbers: the transposed convolution moves *further* from the
# digit than the blurred image was, while solving $M x = y$ recovers it up to round-off. With
# stride 2 three quarters of the information is gone (the rank of $M$ is the number of
# outputs), and no layer can bring it back; the transposed convolution still returns an image
# of the right size, which is all a generator needs from it.
#
# **Zeiler & Fergus's deconvolutional networks.** Document 003 ch. 3, "Redes
# Deconvolucionais", describes something else again: "Tipo de rede desenvolvido por Matthew
# Zeiler e Rob Fergus que auxilia a verificação de quais características foram ativadas em uma
# camada, e qual sua relação com o conjunto de entrada. [...] As redes deconvolucionais são
# treinadas camada a camada, de forma não supervisionada." The paragraph mixes two works by
# the same group:
#
# - *Deconvolutional Networks* (Zeiler, Krishnan, Taylor & Fergus 2010) are an unsupervised
#   model trained layer by layer: each layer explains its input as a sum of sparse feature
#   maps, each convolved with a learned filter, and finding the feature maps of an image means
#   solving an optimization problem. That is the "treinadas camada a camada, de forma não
#   supervisionada" and the "representação esparsa" of the document.
# - The *deconvnet* of Zeiler & Fergus (2014, "Visualizing and Understanding Convolutional
#   Networks") is a tool to look inside an already trained CNN and see which features were
#   activated in a layer and what in the input activated them (the first sentence of the
#   document). It takes one feature map (or a single activation in it) and projects it back to pixel space by undoing the layers one by
#   one in reverse: **unpooling** (each value goes back to the position where max pooling
#   found its maximum, the "switches" recorded in the forward pass), **rectification** (a
#   ReLU) and **filtering with the transposed filters** of the layer, that is, a transposed
#   convolution with the layer's own weights.
#
# Neither is what a GAN's generator does. Its "deconvolutional layer" is a transposed
# convolution with its *own* learned weights, trained by backpropagation together with the
# rest of the generator to up-sample; it inverts nothing and visualizes nothing. The DCGAN
# paper (Radford et al. 2016) calls these layers fractionally-strided convolutions and notes
# that some papers wrongly call them deconvolutions. What they share with the deconvnet is
# only the operation of section 2: both multiply by $M^{\top}$.
#
# We can build a one-layer deconvnet from minigan's layers. Four hand-made 3x3 edge filters
# (horizontal, vertical and the two diagonals) stand in for a trained first layer (lesson 10
# trains one): convolution, ReLU, 2x2 max pooling. Then we take the pooled map of the
# horizontal-edge filter and project it back: `MaxPool2D.backward` *is* the unpooling with
# switches (it routes each value to its window's arg-max, lesson 08), then a ReLU, then
# `Conv2DTranspose` with the convolution's own weight array.

# %%
edge_filters = np.stack(
    [
        [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]],  # horizontal edges
        [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]],  # vertical edges
        [[-2.0, -1.0, 0.0], [-1.0, 0.0, 1.0], [0.0, 1.0, 2.0]],  # one diagonal
        [[0.0, -1.0, -2.0], [1.0, 0.0, -1.0], [2.0, 1.0, 0.0]],  # the other diagonal
    ]
)[:, None]  # (C_out=4, C_in=1, 3, 3)
layer1 = mg.Conv2D(1, 4, 3, padding=1, bias=False, dtype=np.float64)
layer1.params["W"].data[...] = edge_filters
relu, pool = mg.ReLU(), mg.MaxPool2D(2)
x_in = x_img[None, None]
acts = relu(layer1(x_in))  # (1, 4, 28, 28)
pooled = pool(acts)  # (1, 4, 14, 14), switches recorded
# the deconvnet's filtering step: Conv2DTranspose(4 -> 1) with the same
# (4, 1, 3, 3) array
layer1_T = mg.Conv2DTranspose(4, 1, 3, padding=1, bias=False, dtype=np.float64)
layer1_T.params["W"].data[...] = layer1.params["W"].data


def project(selected):
    """Zeiler & Fergus's deconvnet for one layer: unpool (switches), ReLU, transposed
    filters. `selected` has the pooled shape; it is 0 except for what we project."""
    pool(acts)  # the switches of this input (backward consumes them)
    unpooled = pool.backward(selected)  # each value back to its window's arg-max
    return layer1_T(np.maximum(unpooled, 0.0))[0, 0]


feature = 0  # the horizontal-edge filter
one_map = np.zeros_like(pooled)
one_map[0, feature] = pooled[0, feature]
proj_map = project(one_map)
r_max, c_max = np.unravel_index(np.argmax(pooled[0, feature]), (14, 14))
one_act = np.zeros_like(pooled)
one_act[0, feature, r_max, c_max] = pooled[0, feature, r_max, c_max]
proj_one = project(one_act)
print(
    f"feature map {feature}: {int((pooled[0, feature] > 0).sum())} of 196 pooled "
    "activations are positive"
)
print(f"the strongest is at ({r_max}, {c_max}) of 14x14")
rows = np.flatnonzero(np.abs(proj_one).sum(axis=1))
cols = np.flatnonzero(np.abs(proj_one).sum(axis=0))
print(
    "its projection to pixel space lies inside a "
    f"{np.ptp(rows) + 1}x{np.ptp(cols) + 1} patch, "
    f"near pixel ({2 * r_max}, {2 * c_max})"
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "A one-layer deconvnet in the manner of Zeiler and Fergus: the digit; the pooled map of the horizontal-edge filter after ReLU; that whole map projected back to pixel space (unpool with the max-pooling switches, ReLU, transposed filter); and the projection of its single strongest activation, a 3x3 patch on the stroke that caused it.", "name": "fig-09-deconvnet"}}
fig, axes = plt.subplots(1, 4, figsize=(11, 3.2))
panels = [
    (x_img, t("digit"), "gray"),
    (pooled[0, feature], t("pooled feature map (14x14)"), "magma"),
    (proj_map, t("projection of the map"), "RdBu_r"),
    (proj_one, t("projection of its maximum"), "RdBu_r"),
]
for ax, (im, title, cmap) in zip(axes, panels):
    if cmap == "RdBu_r":
        lim = float(np.abs(im).max()) or 1.0
        ax.imshow(im, cmap=cmap, vmin=-lim, vmax=lim)
    else:
        ax.imshow(im, cmap=cmap)
    ax.set_title(title, fontsize=10)
    ax.axis("off")
fig.tight_layout()
save(fig, "09_deconvnet.png", dpi=100)

# %% [markdown]
# The projection of the whole map redraws the horizontal strokes of the digit (where the
# horizontal-edge filter fired), and the projection of the strongest activation marks the
# one place in the image responsible for it. With a deep trained network Zeiler & Fergus
# repeat the three steps layer after layer, down to the pixels, and see what each feature of
# a deep layer responds to. Every step is a layer we already have; none of them undoes the
# convolution.
#
# ## 7. Gradient check

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
    print(name)
    print("    " + "  ".join(f"{k}: {v:.1e}" for k, v in errs.items()))
    assert max(errs.values()) < 1e-6

# %% [markdown]
# ## 8. Experiment: the checkerboard artefact
#
# Feed a constant image through a transposed convolution whose filter is all ones. Each output
# pixel then counts how many painted filter copies $\eqref{eq:09-scatter}$ overlap on it. When
# the filter size is not a multiple of the stride (3 with stride 2) the overlaps are uneven
# and a regular grid pattern appears: the "checkerboard" texture often seen in early GAN
# samples (Odena et al. 2016). A 4x4 filter with stride 2 (the DCGAN choice) overlaps evenly
# in the interior.

# %%
covers = {}
for f_ in (3, 4):
    ones = mg.Conv2DTranspose(1, 1, f_, stride=2, padding=1, dtype=np.float64)
    ones.params["W"].data[...] = 1.0
    ones.params["b"].data[...] = 0.0
    cover = ones(np.ones((1, 1, 6, 6)))[0, 0]
    interior = cover[2:-2, 2:-2]
    covers[f_] = (cover, interior)
    print(
        f"kernel {f_}, stride 2: overlap counts in the interior range "
        f"{interior.min():.0f}..{interior.max():.0f}"
    )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "How many painted filter copies overlap on each output pixel when a 6x6 image of ones goes through a transposed convolution with stride 2. With a 3x3 filter the count alternates between 1, 2 and 4 in a grid; with a 4x4 filter it is 4 everywhere inside.", "name": "fig-09-overlap"}}
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, (f_, (cover, interior)) in zip(axes, covers.items()):
    im = ax.imshow(cover, cmap="viridis", vmin=0, vmax=4)
    ax.set_title(
        t(
            "k={k}, s=2: {lo:.0f} to {hi:.0f} inside",
            k=f_,
            lo=interior.min(),
            hi=interior.max(),
        ),
        fontsize=11,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(im, ax=ax, fraction=0.046, label=t("overlap count"))
fig.tight_layout()
save(fig, "09_overlap.png", dpi=100)

# %% [markdown]
# The same happens to an image. We shrink a real digit to 14x14 (a 4x4 average, stride 2)
# and up-sample it back to 28x28 with all-ones filters of size 3 and 4.

# %%
X, y = load_mnist(limit=50)
d = X[:1].astype(np.float64)  # (1, 1, 28, 28)
down = mg.Conv2D(1, 1, 4, stride=2, padding=1, dtype=np.float64)
down.params["W"].data[...] = 1.0 / 16
down.params["b"].data[...] = 0.0
small = down(d)  # 28 -> 14 (average)
ups = {}
for f_ in (3, 4):
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
    ups[f_] = up(small)[0, 0]
    print(f"k={f_}: 14x14 -> {ups[f_].shape[0]}x{ups[f_].shape[1]}")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "A 14x14 digit up-sampled to 28x28 by transposed convolutions with all-ones filters and stride 2. With k=3 (left) the uneven overlaps print a grid pattern over the whole image, the checkerboard; with k=4 (right) the image is smooth inside its border.", "name": "fig-09-checkerboard"}}
fig, axes = plt.subplots(1, 2, figsize=(8, 4.2))
for ax, (f_, big) in zip(axes, ups.items()):
    ax.imshow(big, cmap="gray")
    ax.set_title(t("up-sampled with k={k}, s=2", k=f_), fontsize=11)
    ax.axis("off")
fig.tight_layout()
save(fig, "09_checkerboard.png", dpi=100)

# %% [markdown]
# ## Exercises
#
# 1. By hand: the transposed convolution of `[[1, 2], [3, 4]]` with the 2x2 filter
#    `[[1, 0], [0, −1]]`, stride 1. Check with `conv_transpose2d_scratch`.
# 2. A DCGAN generator goes 7 → 14 → 28 with
#    `Conv2DTranspose(k, stride=2, padding=p, output_padding=op)`. Find all `(k, p, op)` with
#    $k \le 5$ that do it, using the general size formula $\eqref{eq:09-size}$.
# 3. Compute $M^{\top} M$ for the 5x5, stride-2 matrix `M` of section 2 and look at it as an
#    image: which entries are non-zero, and why is it not the identity? When is $M M^{\top}$
#    diagonal?
# 4. Document 000's generator uses `conv2d_transpose(kernel_size=5, strides=2,
#    padding='same')` twice from 24x24. What sizes come out? Which
#    `(padding, output_padding)` in PyTorch's convention give the same size?
# 5. Repeat the checkerboard experiment with kernel 5 and kernel 6 at stride 2, and with
#    kernel 3 at stride 3. State the rule.
# 6. In section 6, replace the mild blur by the all-ones 3x3 filter divided by 9 and solve
#    $M x = y$ again. Compute `np.linalg.cond(M_b)` for both filters. Why does a real
#    deconvolution become hopeless for a strong blur, even with stride 1?
# 7. Train lesson 10's CNN and run section 6's deconvnet on its first layer: project the
#    strongest activation of each of the 32 maps. What does each filter respond to?

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
# | `09.conv_transpose_output_size` | the output length of a transposed convolution | document 001 §3.3 | 1 |
# | `09.conv_transpose_forward` | the transposed convolution as a convolution's backward pass | document 003 ch. 1 | 2 |
#
# 3 points in all. The same stubs come as a plain file, to write in your editor and grade
# from a terminal (`minigan-exercises list` shows every lesson's exercises):
#
# ```bash
# minigan-exercises new ex/ --lesson 09   # writes ex/lesson09_transposed_convolution.py
# minigan-exercises grade ex/ -k 09       # PASS, FAIL, TODO or ERROR, and the points
# ```

# %%
from minigan.exercises import check
from minigan.exercises.solutions.lesson08 import col2im  # noqa: F401


# %%
def conv_transpose_output_size(n, f, s=1, p=0, output_padding=0):
    """The output length of a transposed convolution along one axis (PyTorch's formula).

    Document 001 §3.3 gives n_h = c_h + f_h − 1, the case s = 1, p = 0. Solving the
    convolution's size formula ⌊(o + 2p − f)/s⌋ + 1 = n for its input o gives, in
    general,
        o = (n − 1)·s − 2p + f + output_padding   (0 ≤ output_padding < s picks one o)

    Parameters
    ----------
    n : int input length;  f : int kernel;  s : int stride;  p : int padding
    output_padding : int

    Returns
    -------
    int
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("09.conv_transpose_output_size", conv_transpose_output_size)


# %%
def conv_transpose_forward(x, W, b, stride=1, padding=0):
    """The transposed convolution's forward pass, as a convolution's backward pass.

    Document 003 ch. 1: the transposed convolution is what backpropagation through a
    convolution computes. Take the convolution whose INPUT has this layer's output
    shape (N, C_out, OH, OW) and whose filters are W seen as (C_in filters of C_out
    channels); its input gradient for the upstream gradient x is this layer's output:
        cols = x₂ · W_mat,   x₂ = x as (N·H·W, C_in) (channels last),
                             W_mat = W as (C_in, kh·kw·C_out)
        Y = col2im(cols, (N, C_out, OH, OW), kh, kw, s, p) + b
        OH = (H − 1)·s − 2p + kh
                    (document 001 §3.3: OH = H + kh − 1 for s = 1, p = 0)
    col2im (lesson 08) is imported at the top of this file.

    Parameters
    ----------
    x : (N, C_in, H, W) float64
    W : (C_in, C_out, kh, kw) (PyTorch's layout);  b : (C_out,)
    stride : int s;  padding : int p

    Returns
    -------
    Y : (N, C_out, OH, OW)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("09.conv_transpose_forward", conv_transpose_forward)

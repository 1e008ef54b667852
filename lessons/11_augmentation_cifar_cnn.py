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
# # Lesson 11: Data augmentation against overfitting, and the CIFAR-10 CNN
#
# **Objective.** Write data augmentation (shifts and flips) from scratch, see that a shift is
# a convolution with a one-hot kernel, and *measure* what it does against overfitting: a small
# CNN trained on a few hundred of the bundled MNIST digits, with and without augmentation,
# with training and held-out accuracy side by side. Then build document 003's CIFAR-10
# network (BatchNorm, ELU, dropout) from minigan layers, count its parameters by hand and with
# `summary()`, name the slips of its printed code, and run it forward and backward. It cannot
# be trained here: CIFAR-10 does not ship with any installed package and lessons never
# download.
#
# Source: document 003 (Pereira n.d.), *Deep Learning, Unidade III*, ch. 1 "Redes Neurais
# Convolucionais": "Regularização" ("Overfitting"; "Aumento de Dados"), "Normalização em
# lotes", and "Utilizando uma CNN para classificar imagens de objetos" (the CIFAR-10 example of
# Vasilev et al. 2019). Lesson 06 covers the chapter's L1/L2 and dropout, lesson 07 batch
# normalization, lesson 10 its MNIST CNN.
#
# *Slips in the chapter* (each is shown again where it matters):
# 1. "Aumento de Dados": augmentation fights overfitting "aumentando o conjunto de **testes**
#    artificialmente". It enlarges the **training** set; the test set is never augmented (it
#    must measure the real data). Likewise "Overfitting": the model "fica superajustado ao
#    subconjunto de teste": it is over-fitted to the *training* subset.
# 2. The CIFAR-10 code applies `Activation('elu')` **twice** after block 3's second
#    convolution.
# 3. The text says every convolution is padded so that its output "possuam as mesmas
#    dimensões da entrada (padding='same')", but block 3's two `Conv2D(128, (3, 3))` have no
#    `padding`, so Keras's default `'valid'` shrinks 8x8 to 6x6 to 4x4 (section 4 counts what
#    it changes).
# 4. Two announced listings are missing: the `ImageDataGenerator` ("Vamos permitir que essa
#    classe gere imagens rotacionadas em até 90 graus, invertidas horizontalmente, e
#    deslocadas horizontal e verticalmente", with feature-wise standardisation) and the Adam
#    `compile` line ("O otimizador utilizado será Adam:" and nothing after it).
# 5. OCR lost the underscores of the code: `batch size = 50`, `input shape=X train.shape[1:]`,
#    `Y test = keras.utils.to categorical(Y test, 10)`, `pool size=(2, 2)` are `batch_size`,
#    `input_shape=X_train.shape[1:]`, `Y_test = keras.utils.to_categorical(Y_test, 10)`,
#    `pool_size=(2, 2)`.

# %%
import time

import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck, metrics
from minigan.blas import set_blas_threads
from minigan.data import load_mnist
from minigan.viz import grid_array

# lessons/_course.py: fast mode, figures saved (and shown in a notebook)
from _course import FAST, save, t

# small matrices: one BLAS thread beats several that wait on each other (see lesson 12)
set_blas_threads(1)

rng = np.random.default_rng(0)
T_START = time.perf_counter()

# %% [markdown]
# ## 1. Shifts and flips, from scratch
#
# "É possível aumentar a quantidade de dados de treinamento através da rotação das imagens,
# inversão horizontal ou vertical das imagens, aumento ou redução do tamanho, corte,
# inclinação, ajuste de contraste ou brilho." Each of these makes a new training image that
# should keep its label. We write the two simplest, a **shift** by $(\Delta y, \Delta x)$
# pixels and a **horizontal flip** of an image of width $W$:
#
# $$
# \text{shift}(x)_{i,j} = x_{i - \Delta y,\; j - \Delta x},
# \qquad
# \text{flip}(x)_{i,j} = x_{i,\; W - 1 - j}
# \tag{11.1}
# $$
#
# What comes into a shifted image from outside is filled with the *background* value ($-1$
# for minigan's digits, which are scaled to $[-1, 1]$; filling with 0 would paint a grey
# border).
#
# A shift is also a convolution (lesson 08): a kernel that is all zeros but one 1, off
# centre. For a $(2r+1) \times (2r+1)$ kernel with its centre at $(r, r)$, the
# cross-correlation with padding $r$ computes
#
# $$
# \text{out}_{i,j} = \sum_{m=0}^{2r} \sum_{n=0}^{2r} x_{i+m-r,\; j+n-r}\, K_{m,n}
# \tag{11.2}
# $$
#
# and with the kernel
#
# $$
# K_{m,n} = \left\{\begin{array}{ll} 1 & (m, n) = (r - \Delta y,\; r - \Delta x) \cr
# 0 & \text{otherwise} \end{array}\right.
# \tag{11.3}
# $$
#
# the single 1 picks $x_{i - \Delta y,\, j - \Delta x}$. With zero padding it fills with
# 0, so we shift $x + 1$ (background 0) and subtract 1 again.


# %%
def shift(x, dy, dx, fill=-1.0):
    """Shift images (N, C, H, W) by dy rows down and dx columns right, filling
    with `fill`."""
    N, C, H, W = x.shape
    out = np.full_like(x, fill)
    out[:, :, max(dy, 0) : H + min(dy, 0), max(dx, 0) : W + min(dx, 0)] = x[
        :, :, max(-dy, 0) : H + min(-dy, 0), max(-dx, 0) : W + min(-dx, 0)
    ]
    return out


def hflip(x):
    return x[..., ::-1]


X_test_all, y_test_all = load_mnist(split="test")  # 100 held-out digits per class
digit = X_test_all[:4]
r, dy, dx = 2, 2, -1
conv = mg.Conv2D(1, 1, 2 * r + 1, padding="same", bias=False)
conv.params["W"].data[...] = 0
conv.params["W"].data[0, 0, r - dy, r - dx] = 1.0  # the one-hot kernel
np.testing.assert_allclose(conv(digit + 1) - 1, shift(digit, dy, dx), atol=1e-6)
print(
    f"shift by ({dy}, {dx}) from scratch == Conv2D with a one-hot 5x5 kernel "
    "(on x + 1, minus 1)"
)


def augment(x, rng, max_shift=2, flip=False):
    """A random shift in [-max_shift, max_shift]² per image, and with `flip` a
    horizontal flip of half the images. Returns a new array; the labels do not
    change."""
    out = np.empty_like(x)
    for i, (sy, sx) in enumerate(
        rng.integers(-max_shift, max_shift + 1, size=(len(x), 2))
    ):
        out[i] = shift(x[i : i + 1], int(sy), int(sx))[0]
    if flip:
        f = rng.random(len(x)) < 0.5
        out[f] = hflip(out[f])
    return out


# %% [markdown]
# Six training digits as they are, after a random shift of up to 2 pixels, and after the same
# shift and a flip:

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Top row: six training digits (1 to 6). Middle row: each shifted by a random amount of up to 2 pixels in each direction, still clearly the same digit. Bottom row: the same shifts, mirrored; a mirrored 2, 3, 5 or 6 is no longer a digit of its class.", "name": "fig-11-augmented-digits"}}
X_tr_all, y_tr_all = load_mnist(split="train")
six = np.stack([X_tr_all[np.flatnonzero(y_tr_all == c)[0]] for c in range(1, 7)])
demo = np.concatenate(
    [
        six,
        augment(six, np.random.default_rng(3)),
        hflip(augment(six, np.random.default_rng(3))),
    ]
)
fig, ax = plt.subplots(figsize=(6, 3.4))
ax.imshow(grid_array(demo, nrow=6), cmap="gray")
ax.set_yticks(
    [15, 45, 75],
    [t("original"), t("shifted"), t("shifted,\nflipped")],
    fontsize=11,
)
ax.set_xticks([])
fig.tight_layout()
save(fig, "11_augmented_digits.png", dpi=100)

# %% [markdown]
# **Flips are wrong for digits.** A mirrored cat is a cat; a mirrored 2, 3, 5, 6, 7 or 9 is
# not a digit of its class (a mirrored 3 looks like the letter $\varepsilon$). Augmentation must keep the label, so which
# transformations are allowed depends on the data: the document's list is for photographs. We
# can measure it with minigan's own MNIST classifier, trained without flips (its accuracy on
# the held-out digits is printed below): how many flipped digits does it still call by their
# label?

# %%
clf = metrics.load_classifier()
clf.eval()
pred = clf(X_test_all).argmax(axis=1)
pred_flip = clf(np.ascontiguousarray(hflip(X_test_all))).argmax(axis=1)
keep = [float(np.mean(pred_flip[y_test_all == c] == c)) for c in range(10)]
print(
    f"classifier on the 1,000 held-out digits: {np.mean(pred == y_test_all):.1%}; "
    f"on the same digits flipped: {np.mean(pred_flip == y_test_all):.1%}"
)
print("still recognised after a flip, per digit:")
print("    " + ", ".join(f"{c}: {k:.0%}" for c, k in enumerate(keep)))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "For each digit, the share of the 100 held-out examples that minigan's MNIST classifier still recognises after a horizontal flip. Digits that look alike in a mirror (0, 4 and 8) mostly keep their label; 2, 3, 5, 6 and 7 almost never do.", "name": "fig-11-flip-recognition"}}
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.bar(range(10), [100 * k for k in keep], color="C0")
ax.axhline(100 * np.mean(pred == y_test_all), color="k", ls="--", lw=1)
ax.text(
    9.4, 100 * np.mean(pred == y_test_all) - 7, t("unflipped"), ha="right", fontsize=10
)
ax.set_xticks(range(10))
ax.set_xlabel(t("digit"), fontsize=11)
ax.set_ylabel(t("recognised after a flip (%)"), fontsize=11)
ax.set_ylim(0, 100)
fig.tight_layout()
save(fig, "11_flip_recognition.png", dpi=100)

# %% [markdown]
# ## 2. Overfitting, and augmentation against it
#
# "Quando o conjunto de treinamento é muito pequeno, a rede pode ficar muito especializada
# apenas neste conjunto, é o que chamamos de overfitting." We make it small on purpose: 50
# digits per class (500) from the training split, and score on the 1,000 held-out ones. The
# network is a small CNN (two 3x3 convolutions with max-pooling, one dense layer), trained
# with Adam for the same number of epochs in three ways:
#
# - **none**: the 500 digits as they are, every epoch;
# - **shifts**: every epoch sees a new random shift of each digit, up to $\pm 2$ pixels;
# - **shifts + flips**: the same, and half the digits mirrored (section 1 says why this
#   hurts).
#
# The training accuracy is measured on the original (unaugmented) 500 digits.

# %%
PER_CLASS = 50 if not FAST else 20
idx = np.concatenate([np.flatnonzero(y_tr_all == c)[:PER_CLASS] for c in range(10)])
X_small, y_small = X_tr_all[idx], y_tr_all[idx]
X_eval, y_eval = (
    (X_test_all, y_test_all) if not FAST else (X_test_all[:300], y_test_all[:300])
)
EPOCHS = 20 if not FAST else 3
EVAL_EVERY = 2 if not FAST else 1  # held-out accuracy every 2 epochs
BATCH = 50


def small_cnn(seed):
    return mg.Sequential(
        mg.Conv2D(1, 8, 3, padding="same", init="he", rng=seed),
        mg.ReLU(),
        mg.MaxPool2D(2),  # 8x14x14
        mg.Conv2D(8, 16, 3, padding="same", init="he", rng=seed),
        mg.ReLU(),
        mg.MaxPool2D(2),  # 16x7x7
        mg.Flatten(),
        mg.Dense(16 * 7 * 7, 10, rng=seed),
    )


def accuracy(net, X, y):
    net.eval()
    acc = float(np.mean(net(X).argmax(axis=1) == y))
    net.train()
    return acc


results = {}
ce = mg.CrossEntropyLoss()
t0 = time.perf_counter()
for name, aug in (
    ("none", None),
    ("shifts", dict(flip=False)),
    ("shifts + flips", dict(flip=True)),
):
    net = small_cnn(seed=0)
    opt = mg.Adam(net.parameters(), lr=2e-3)
    g = np.random.default_rng(1)
    hist = {"epoch": [], "train": [], "held-out": []}
    for epoch in range(EPOCHS):
        Xe = X_small if aug is None else augment(X_small, g, **aug)
        for b in np.array_split(g.permutation(len(Xe)), len(Xe) // BATCH):
            ce(net(Xe[b]), y_small[b])
            opt.zero_grad()
            net.backward(ce.backward())
            opt.step()
        if (epoch + 1) % EVAL_EVERY == 0 or epoch == EPOCHS - 1:
            hist["epoch"].append(epoch + 1)
            hist["train"].append(accuracy(net, X_small, y_small))
            hist["held-out"].append(accuracy(net, X_eval, y_eval))
    results[name] = hist
    print(
        f"{name:<15} after {EPOCHS} epochs: training {hist['train'][-1]:.1%}, "
        f"held out {hist['held-out'][-1]:.1%} "
        f"(best held out {max(hist['held-out']):.1%})"
    )
print(
    f"({len(X_small)} training digits, {len(X_eval)} held out; "
    f"{time.perf_counter() - t0:.1f} s for the three runs)"
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Left: training accuracy (dashed, on the 500 original digits) and held-out accuracy (solid) during training, for no augmentation, random shifts, and shifts with flips. Right: the gap between training and held-out accuracy at the last epoch, the measure of overfitting.", "name": "fig-11-augmentation"}}
fig = plt.figure(figsize=(11, 4.4))
gs = fig.add_gridspec(1, 2, width_ratios=[2.2, 1])
ax = fig.add_subplot(gs[0])
colors = {"none": "tab:blue", "shifts": "tab:green", "shifts + flips": "tab:red"}
shown = {
    "none": t("none"),
    "shifts": t("shifts"),
    "shifts + flips": t("shifts + flips"),
}
for name, hist in results.items():
    ep = hist["epoch"]
    ax.plot(
        ep,
        hist["train"],
        "--",
        color=colors[name],
        label=t("{name}: training", name=shown[name]),
    )
    ax.plot(
        ep,
        hist["held-out"],
        "-",
        color=colors[name],
        label=t("{name}: held out", name=shown[name]),
    )
ax.set_xlabel(t("epoch"), fontsize=11)
ax.set_ylabel(t("accuracy"), fontsize=11)
ax.set_title(
    t("{n} MNIST digits: augmentation against overfitting", n=len(X_small)),
    fontsize=11,
)
ax.legend(fontsize=10, ncol=2, loc="lower right")
ax = fig.add_subplot(gs[1])
gaps = [results[n]["train"][-1] - results[n]["held-out"][-1] for n in results]
ax.bar([shown[n] for n in results], gaps, color=[colors[n] for n in results])
ax.set_ylabel(t("training − held-out accuracy"), fontsize=11)
ax.set_title(t("the generalisation gap"), fontsize=11)
ax.tick_params(axis="x", labelsize=10)
fig.tight_layout()
save(fig, "11_augmentation.png", dpi=100)

# %% [markdown]
# What to look for in the printed lines and the figure. Without augmentation the network
# fits its 500 digits almost perfectly while the held-out accuracy stays well below:
# overfitting. Random shifts make the training task harder (the training accuracy on the
# originals rises more slowly) and the held-out accuracy higher: the gap shrinks. Adding flips
# feeds the network mislabelled digits, and the held-out accuracy falls below that of shifts
# alone (in the full run, even below no augmentation at all). Section 1's per-digit figure
# says which flips do keep their label.
#
# ## 3. ELU, and the CIFAR-10 network's blocks
#
# The CIFAR-10 network uses the Exponential Linear Unit (Clevert et al. 2016), with
# $\alpha = 1$ in Keras:
#
# $$
# \operatorname{ELU}(z) = \left\{\begin{array}{ll} z & z > 0 \cr
# \alpha\left(e^{z} - 1\right) & z \le 0 \end{array}\right.
# \tag{Clevert 2016a}
# $$
#
# and its derivative
#
# $$
# \operatorname{ELU}'(z) = \left\{\begin{array}{ll} 1 & z > 0 \cr
# \alpha e^{z} = \operatorname{ELU}(z) + \alpha & z \le 0 \end{array}\right.
# \tag{Clevert 2016b}
# $$
#
# We write it from scratch and compare it with `mg.ELU`, and see what the duplicated
# `Activation('elu')` of slip 2 does: $\operatorname{ELU}(\operatorname{ELU}(z))$ equals
# $\operatorname{ELU}(z)$ for $z > 0$ but not below 0, so the printed network computes a
# (slightly) different function from the one described.


# %%
def elu(z, alpha=1.0):
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


z = np.linspace(-4, 3, 15)
np.testing.assert_allclose(elu(z), mg.ELU()(z), rtol=1e-12)
print("ELU from scratch == mg.ELU")
print(
    "ELU(ELU(z)) − ELU(z) at z = −1, −2, −4:",
    ", ".join(f"{elu(elu(v)) - elu(v):+.3f}" for v in (-1.0, -2.0, -4.0)),
)

# One block (Conv2D → BatchNorm → ELU, twice, → MaxPool2D), float64 gradient check.
block = mg.Sequential(
    mg.Conv2D(3, 4, 3, padding="same", rng=0),
    mg.BatchNorm(4),
    mg.ELU(),
    mg.Conv2D(4, 4, 3, padding="same", rng=1),
    mg.BatchNorm(4),
    mg.ELU(),
    mg.MaxPool2D(2),
)
errs = gradcheck.check_module(block, rng.standard_normal((2, 3, 6, 6)))
bias_grads = {
    k: float(np.abs(p.grad).max())
    for k, p in block.named_parameters()
    if k.endswith(".b")
}
print("gradient check of one block (Conv-BN-ELU x2, max-pool), float64:")
print(f"  {'parameter':<10} relative error")
for k, v in errs.items():
    note = (
        f"   (both gradients are 0: largest |analytic| {bias_grads[k]:.0e})"
        if k in bias_grads
        else ""
    )
    print(f"  {k:<10} {v:.1e}{note}")
assert max(v for k, v in errs.items() if k not in bias_grads) < 1e-6
assert max(bias_grads.values()) < 1e-9

# %% [markdown]
# The convolutions' biases get a gradient of exactly 0 (the relative error of two zeros is
# meaningless; the check is that both are 0): BatchNorm subtracts each channel's batch mean,
# so a constant added to a channel just before it cancels. A bias in front of BatchNorm is
# redundant (it is usually left out, `use_bias=False`); the document's Keras code keeps it,
# and so do we below, so that the parameter count is the one Keras prints.
#
# ## 4. The CIFAR-10 CNN ("Utilizando uma CNN para classificar imagens de objetos")
#
# Three blocks of two 3x3 convolutions (32, 64, 128 filters), each followed by batch
# normalization and ELU, then 2x2 max-pooling and dropout (0.2, 0.2, 0.5); one dense layer
# with softmax on the flattened output. Input 32x32x3 (NCHW here: 3x32x32), ten classes.
# Keras's `BatchNormalization()` defaults (momentum 0.99) are PyTorch's and minigan's
# `momentum=0.01` (lesson 07). We build it twice: **as printed** (block 3 without padding, ELU
# twice) and **as described** (padding `'same'` everywhere, one ELU per convolution).
#
# Its trainable parameters, by the formulas of lesson 10 (a BatchNorm over $C$ channels adds
# $\gamma$ and $\beta$, $2C$ parameters), with $s \times s$ the size of block 3's pooled
# output ($s = 4$ as described, $s = 2$ as printed):
#
# $$
# P = \sum_{\text{convolutions}} \left(9\, C_{\text{in}} C_{\text{out}} + C_{\text{out}}\right)
# + \sum_{\text{BatchNorms}} 2C + \left(128\, s^2 + 1\right) \cdot 10
# \tag{11.4}
# $$


# %%
def cifar_cnn(block3_padding="same", double_elu=False, seed=0):
    def conv_bn_elu(c_in, c_out, padding):
        return [
            mg.Conv2D(c_in, c_out, 3, padding=padding, init="glorot_uniform", rng=seed),
            mg.BatchNorm(c_out, momentum=0.01),
            mg.ELU(),
        ]

    layers = (
        conv_bn_elu(3, 32, "same")
        + conv_bn_elu(32, 32, "same")
        + [mg.MaxPool2D(2), mg.Dropout(0.2)]
    )
    layers += (
        conv_bn_elu(32, 64, "same")
        + conv_bn_elu(64, 64, "same")
        + [mg.MaxPool2D(2), mg.Dropout(0.2)]
    )
    layers += conv_bn_elu(64, 128, block3_padding) + conv_bn_elu(
        128, 128, block3_padding
    )
    layers += [mg.ELU()] if double_elu else []  # slip 2
    layers += [mg.MaxPool2D(2), mg.Dropout(0.5), mg.Flatten()]
    side = 4 if block3_padding == "same" else 2  # 32 → 16 → 8 → (8 or 8-2-2=4) → /2
    return mg.Sequential(
        *layers, mg.Dense(128 * side * side, 10, init="glorot_uniform", rng=seed)
    )


def count_by_hand(block3_side):
    """Trainable parameters (11.4): convolutions k·k·C_in·C_out + C_out, BatchNorm
    γ and β (2·C), dense."""
    convs = [(3, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128)]
    conv = sum(9 * ci * co + co for ci, co in convs)
    bn = sum(2 * co for _, co in convs)
    dense = 128 * block3_side**2 * 10 + 10
    return conv, bn, dense


def short(name):
    """A layer's name from summary(), shortened to fit a narrow table."""
    for long_, short_ in [
        ("kernel_size=", "k="),
        (", stride=1", ""),
        (", stride=2", ""),
        (", eps=1e-05", ""),
        ("momentum=", "mom="),
        ("alpha=", "α="),
    ]:
        name = name.replace(long_, short_)
    return name


def print_summary(rows):
    """summary()'s rows as a compact table: layer, output shape, parameters."""
    print(f"{'layer':<46}{'output':>12}{'params':>10}")
    for name, shape, n in rows:
        print(f"{short(name):<46}{'x'.join(map(str, shape)):>12}{n:>10,}")
    print(f"{'total':<46}{'':>12}{sum(n for _, _, n in rows):>10,}")


printed_net = cifar_cnn(block3_padding=0, double_elu=True)
described_net = cifar_cnn()
print("As printed (block 3 'valid', ELU twice):")
printed_rows = printed_net.summary((3, 32, 32), print_fn=None)
print_summary(printed_rows)
described_rows = described_net.summary((3, 32, 32), print_fn=None)
double = [
    i
    for i in range(1, len(printed_rows))
    if "ELU" in printed_rows[i][0] and "ELU" in printed_rows[i - 1][0]
]
print(
    "\nThe printed network has one layer more, the second ELU: "
    f"row {short(printed_rows[double[0]][0])!r}."
)
print("As described (padding='same' everywhere), the rows that differ:")
print(f"{'layer (as described)':<42}{'described':>18}{'printed':>18}")
aligned = [r for i, r in enumerate(printed_rows) if i not in double]
for (_n1, s1, p1), (n2, s2, p2) in zip(aligned, described_rows):
    if s1 != s2 or p1 != p2:
        shape1, shape2 = "x".join(map(str, s1)), "x".join(map(str, s2))
        print(f"{short(n2):<42}{shape2:>9}{p2:>9,}{shape1:>9}{p1:>9,}")

print()
for name, net, side in (
    ("as printed", printed_net, 2),
    ("as described", described_net, 4),
):
    conv, bn, dense = count_by_hand(side)
    assert net.num_parameters() == conv + bn + dense
    keras_total = conv + 2 * bn + dense
    print(
        f"{name}: convolutions {conv:,} + BatchNorm γ, β {bn:,} + dense {dense:,}"
        f"\n    = {conv + bn + dense:,} trainable; Keras's summary() also counts the "
        f"{bn:,} moving\n    means and variances: 'Total params: {keras_total:,}'"
    )

# %% [markdown]
# Missing the padding changes little in the count (the dense layer sees
# $2 \cdot 2 \cdot 128 = 512$ features instead of $4 \cdot 4 \cdot 128 = 2048$: 5,130
# parameters instead of 20,490), but it throws away the border of every 8x8 map in block 3,
# and the last max-pooling sees 4x4 maps, not 8x8. The figure shows how the size of the
# representation changes along the network (as described).

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Document 003's CIFAR-10 CNN as described: the number of values each layer outputs for one 32x32x3 image (log scale). Each max-pooling divides it by 4, the first convolution of blocks 2 and 3 doubles the number of channels (and so the size), and the dense layer ends with 10 scores.", "name": "fig-11-cifar-cnn"}}
names = [n.split(": ", 1)[1].split("(")[0] for n, _, _ in described_rows]
shapes = ["x".join(map(str, s)) for _, s, _ in described_rows]
sizes = [int(np.prod(s)) for _, s, _ in described_rows]
fig, ax = plt.subplots(figsize=(8, 8))
ypos = np.arange(len(sizes))[::-1]
kind_color = {"Conv2D": "C0", "MaxPool2D": "C3", "Dense": "C2"}
ax.barh(ypos, sizes, color=[kind_color.get(n, "0.7") for n in names])
ax.set_yticks(
    ypos, [f"{i}: {n} ({sh})" for i, (n, sh) in enumerate(zip(names, shapes))]
)
ax.tick_params(axis="y", labelsize=10)
ax.set_xscale("log")
ax.set_xlabel(t("values per image (log scale)"), fontsize=11)
ax.set_title(t("Output size of each layer"), fontsize=11)
fig.tight_layout()
save(fig, "11_cifar_cnn.png", dpi=100)

# %% [markdown]
# **It runs.** One forward and backward pass on a random batch, in training mode (BatchNorm
# on batch statistics, dropout active), with the softmax cross-entropy of 10 classes:

# %%
xb = rng.standard_normal((8, 3, 32, 32)).astype(np.float32)
yb = rng.integers(0, 10, 8)
t0 = time.perf_counter()
loss = ce(described_net(xb), yb)
dx = described_net.backward(ce.backward())
t_step = time.perf_counter() - t0
grads = {k: float(np.abs(p.grad).max()) for k, p in described_net.named_parameters()}
bias_keys = [
    f"{i}.b" for i, layer in enumerate(described_net) if isinstance(layer, mg.Conv2D)
]
others = {k: v for k, v in grads.items() if k not in bias_keys}
print(
    f"batch of 8: loss {float(loss):.3f} (a uniform guess would be "
    f"ln 10 = {np.log(10):.3f};"
)
print(f"    a fresh network is not uniform), dx {dx.shape}")
print(
    "smallest largest-|gradient| among the weights, γ, β and the dense layer: "
    f"{min(others.values()):.1e}"
)
print(
    "largest among the convolution biases: "
    f"{max(grads[k] for k in bias_keys):.1e} (0 up to float32 round-off, section 3)"
)
print(f"one forward and backward pass of 8 images: {t_step * 1e3:.0f} ms")
print(f"lesson 11 ran in {time.perf_counter() - T_START:.1f} s")

# %% [markdown]
# **It cannot be trained here.** The document loads the data with `cifar10.load_data()`,
# which downloads 60,000 32x32 colour images (about 170 MB) from the Internet; no installed
# package ships them, and the lessons never download. Its reported accuracies, 47 % after 3
# epochs, 59 % after 5 and 80 % after 100 (with the augmentation of slip 4), cannot be
# reproduced offline. With the CIFAR-10 files on disk (the "python version" archive,
# unpickled with `pickle` into `(N, 3, 32, 32)` arrays divided by 255), the training loop of
# section 2 trains this network unchanged, with `augment(..., flip=True)`: for photographs of
# objects a horizontal flip keeps the label. An epoch is $50{,}000 / 50 = 1000$ steps of batch
# 50; the printed time of one pass of 8 images gives the order of magnitude on your computer.
#
# ## Exercises
#
# 1. Add the other transformations of the document's list that keep a digit's label: small
#    rotations ($\pm 15°$) and zooms. Do they help beyond the shifts? Which rotation angle
#    starts to hurt (a 6 rotated by 180° is a 9)?
# 2. Train section 2's "none" run with dropout (`mg.Dropout(0.5)` before the dense layer) or
#    with `weight_decay` (lesson 06) instead of augmentation, and with both. Which closes the
#    gap most?
# 3. Vary the training set size (20, 50, 100, 400 digits per class) and plot the held-out
#    accuracy with and without shifts. Where does augmentation stop mattering?
# 4. Write the `ImageDataGenerator` that the document describes but does not print (slip 4):
#    feature-wise standardisation (mean and standard deviation over the training set, applied
#    to the test set too), shifts, horizontal flips and rotations up to 90°. Is a 90° rotation
#    a sensible augmentation for CIFAR-10's cars, ships and horses?
# 5. With the CIFAR-10 files on disk, train the network for 3 epochs as printed and as
#    described. Do you get the document's 47 %?

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
# | `11.shift` | shift images by (dy, dx), filling with the background | document 003 ch. 1 | 1 |
# | `11.hflip` | flip images left to right | document 003 ch. 1 | 1 |
#
# 2 points in all. The same stubs come as a plain file, to write in your editor and grade
# from a terminal (`minigan-exercises list` shows every lesson's exercises):
#
# ```bash
# minigan-exercises new ex/ --lesson 11   # writes ex/lesson11_augmentation_cifar_cnn.py
# minigan-exercises grade ex/ -k 11       # PASS, FAIL, TODO or ERROR, and the points
# ```

# %%
import numpy as np
from minigan.exercises import check


# %%
def shift(x, dy, dx, fill=-1.0):
    """Shift images dy rows down and dx columns right, filling what comes in with fill.

    Document 003 ch. 1: augmentation makes new training images that keep their label.
    A shift by (dy, dx) (negative: up or left) is
        out[n, c, i, j] = x[n, c, i − dy, j − dx]  if 0 ≤ i − dy < H and 0 ≤ j − dx < W
        out[n, c, i, j] = fill                     elsewhere
    (fill = −1: the background of digits in [−1, 1]). Nothing wraps around.

    Parameters
    ----------
    x : (N, C, H, W) float64;  dy, dx : int, |dy| < H, |dx| < W;  fill : float

    Returns
    -------
    out : (N, C, H, W), a new array
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("11.shift", shift)


# %%
def hflip(x):
    """Flip images left to right (a mirror image).

    Document 003 ch. 1, "inversão horizontal": out[n, c, i, j] = x[n, c, i, W − 1 − j].

    Parameters
    ----------
    x : (N, C, H, W)

    Returns
    -------
    out : (N, C, H, W)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("11.hflip", hflip)

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
# # Lesson 19: Document 001's chest X-ray DCGAN, its training and its FID table
#
# **Objective.** Lay document 001 (Marques 2021) §6 beside minigan: rebuild the 64x64
# DCGAN of Tabela 1 and 2 layer by layer and check every parameter count; write the
# three-stage training loop of §6.2 by hand and see that its generator stage is
# `minigan.gan.GAN.g_step`; draw the `g`, `d1`, `d2` curves of Figura 41/42 on a short
# demonstration run; and read §6.4.1's FID table critically, beside lesson 16's, with the
# rank of a covariance estimated from 100 samples in 2,048 dimensions and FID's
# small-sample bias.
#
# **Source.** Document 001 (Marques 2021), "Rede Adversária Generativa Convolucional
# Profunda Aplicada a Exames de Raio-x do Tórax": §6.1 "Arquitetura DCGAN" (§6.1.1
# Discriminador, §6.1.2 Gerador), §6.2 "Etapas de treinamento" (§6.2.1 stages (1) and (2),
# Tabela 1; §6.2.2 stage (3), Tabela 2), §6.3 "Base de Dados" (Tabela 3), §6.4
# "Resultados" (Figura 41/42), §6.4.1 "Distância FID"; §5.3 for the formula. Lesson 15
# covers the DCGAN rules (§4.3), lesson 16 the FID, its small-sample bias and the
# cross-table on digits.
#
# *Slips and gaps in §6* (each is shown again where it matters):
# 1. §6.2.1: C4 has "512 filtros de tamanho $3 \times 3 \times 512$". Its input has 256
#    channels, so the filters are $3 \times 3 \times 256$ (Tabela 1's
#    $1{,}180{,}160 = 3 \cdot 3 \cdot 256 \cdot 512 + 512$ confirms it).
# 2. §6.2.1: "$8 * 8 * 512 = 32769$". The flattened size is $8 \cdot 8 \cdot 512 = 32{,}768$.
#    The 32,769 of Tabela 1's last row (called "Sigmoid") are the parameters of a dense
#    layer from 32,768 inputs to 1 output: 32,768 weights and one bias, followed by the
#    sigmoid.
# 3. §6.4 names the curves of Figura 41/42: "$d1$ o Loss do discriminador em imagens
#    falsas; $d2$ o Loss do discriminador em imagens reais". In the Keras recipes of
#    Brownlee (2019), the book in the document's references ([3]) whose DCGANs this one
#    closely resembles, `d1` is the loss on the **real** batch and `d2` on the **fake**
#    one. We cannot see which the figures used; our plot names each curve by what it
#    measures.
# 4. Not given in §6: the dropout rate, the optimizer and the batch size. minigan's
#    `xray_dcgan64` uses dropout 0.4 (Brownlee's); we train with Adam, learning rate
#    $2 \cdot 10^{-4}$, $\beta_1 = 0.5$ (the DCGAN default). The batch size follows from
#    §6.4 and Tabela 3: "10 batches para a classe NORMAL e 30 batches para a classe
#    PNEUMONIA", with 1,341 and 3,875 training images, is $\lfloor 1341 / 128 \rfloor = 10$
#    and $\lfloor 3875 / 128 \rfloor = 30$ batches per epoch: batch 128.
# 5. §6.4.1: FIDs of 2 to 8 from 100 images against 2,048 Inception features are not what
#    that computation gives (section 5).

# %%
import re
import time

import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import metrics
from minigan.blas import set_blas_threads
from minigan.gan import GAN, frozen
from minigan.viz import grid_array

from _course import (
    FAST,
    save,
    t,
)  # lessons/_course.py: fast mode, figures saved (and shown in a notebook), their words

# small matrices: one BLAS thread is faster than several that wait for each other
set_blas_threads(1)
plt.rcParams.update({"font.size": 11, "axes.titlesize": 11, "legend.fontsize": 10})

rng = np.random.default_rng(0)
T_START = time.perf_counter()

# %% [markdown]
# ## 1. Tabela 1 and 2 beside `summary()`
#
# §6.2.1 gives the rule for a convolution's parameters: $n_f$ filters of size
# $n_h \times n_w \times n_c$ have $n_h n_w n_c n_f$ weights $w$ and $n_f$ biases $b$. A
# transposed convolution has the same count (its filters just run the other way), and a
# dense layer from $n_{\text{in}}$ inputs to $n_{\text{out}}$ outputs has one weight per
# pair and one bias per output:
#
# $$
# \#\text{conv} = n_h\, n_w\, n_c\, n_f + n_f, \qquad
# \#\text{dense} = n_{\text{in}}\, n_{\text{out}} + n_{\text{out}}
# \tag{001 §6.2.1}
# $$
#
# Below, the document's tables as printed (shapes in its NHWC order: height, width,
# channels) are checked against these counts, and then set beside minigan's
# `xray_dcgan64()` (shapes in NCHW order, PyTorch's: channels first), layer by layer.


# %%
def conv_params(n_h, n_w, n_c, n_f):
    return n_h * n_w * n_c * n_f + n_f  # §6.2.1


def dense_params(n_in, n_out):
    return n_in * n_out + n_out


TABELA_1 = [  # (camada, dimensão de saída, # parâmetros as printed, by the rule)
    ("C1", "64x64x128", 1280, conv_params(3, 3, 1, 128)),
    ("C2", "32x32x256", 295168, conv_params(3, 3, 128, 256)),
    ("C3", "16x16x256", 590080, conv_params(3, 3, 256, 256)),
    # slip 1: 3x3x256 filters, not 3x3x512
    ("C4", "8x8x512", 1180160, conv_params(3, 3, 256, 512)),
    # slip 2: 32,768 inputs + 1 bias
    ("Sigmoid", "1", 32769, dense_params(8 * 8 * 512, 1)),
]
TABELA_2 = [
    ("D1", "16384", 1654784, dense_params(100, 16384)),
    ("TC1", "16x16x128", 524416, conv_params(4, 4, 256, 128)),
    ("TC2", "32x32x128", 262272, conv_params(4, 4, 128, 128)),
    ("TC3", "64x64x128", 262272, conv_params(4, 4, 128, 128)),
    ("GC1", "64x64x1", 1153, conv_params(3, 3, 128, 1)),
]
for name, rows in (("Tabela 1 (D)", TABELA_1), ("Tabela 2 (G)", TABELA_2)):
    for layer, _, printed, rule in rows:
        assert printed == rule, (layer, printed, rule)
    total = sum(r[2] for r in rows)
    print(f"{name}: every printed count equals the rule; total {total:,}")

G_full, D_full = mg.xray_dcgan64()


def short(name):
    """A summary() row's layer name, shortened to fit the page."""
    name = re.sub(r"^\d+: ", "", name).replace(", padding='same'", "")
    return name.replace("kernel_size=", "k=").replace("stride=", "s=")


def side_by_side(title, doc_rows, model, input_shape):
    # the layers with parameters
    rows = [r for r in model.summary(input_shape, print_fn=None) if r[2] > 0]
    print(f"\n{title}")
    print(
        f"{'document':<8} {'NHWC':<10} {'params':>9} | {'minigan':<35} {'NCHW':<10}"
        f" {'params':>9}"
    )
    for (layer, shape, printed, _), (m_name, m_shape, m_n) in zip(doc_rows, rows):
        m_shape = "x".join(map(str, m_shape))
        print(
            f"{layer:<8} {shape:<10} {printed:>9,} | {short(m_name):<35} {m_shape:<10}"
            f" {m_n:>9,}"
        )
        assert printed == m_n
    total = model.num_parameters()
    doc_total = sum(r[2] for r in doc_rows)
    print(f"{'total':<8} {'':<10} {doc_total:>9,} | {'':<35} {'':<10} {total:>9,}")
    return total


nD = side_by_side("Tabela 1, the discriminator", TABELA_1, D_full, (1, 64, 64))
nG = side_by_side("Tabela 2, the generator", TABELA_2, G_full, (100,))
print(f"\n§6.2.1 'pouco mais de 2 milhões de parâmetros': {nD:,}")
print(f"§6.2.2 'algo próximo de 2.7 milhões': {nG:,}")

# %% [markdown]
# ## 2. The three stages of §6.2, by hand
#
# §6.2 trains with "um loop em 3 etapas" (Figura 29). With $\xi$ a noise vector of size
# 100 drawn from a normal distribution, $x$ a batch of real images and
# $\text{BCE}(p, y) = -\left[y \log p + (1 - y)\log(1 - p)\right]$ the binary cross-entropy
# of §2.7.1 (averaged over the batch):
#
# $$
# \begin{aligned}
# &(1)\quad \text{update } \theta_d \text{ to lower } \text{BCE}\big(D(x),\, 1\big)
# && \text{real, class 1}\cr
# &(2)\quad \text{update } \theta_d \text{ to lower } \text{BCE}\big(D(G(\xi)),\, 0\big)
# && \text{fakes, class 0}\cr
# &(3)\quad \text{update } \theta_g \text{ to lower } \text{BCE}\big(D(G(\xi)),\, 1\big)
# && \theta_d \text{ fixed}
# \end{aligned}
# \tag{001 §6.2}
# $$
#
# In stage (3) the generator is trained through $D$, "com seus parâmetros $\theta_d(w, b)$
# mantidos fixos", the fakes labelled class 1 "com o intuito de enganar o discriminador"
# (§6.2.2). Each stage ends with its own optimizer update. This is Keras's
# `d_model.train_on_batch(X_real, 1)`, `d_model.train_on_batch(X_fake, 0)` and
# `gan_model.train_on_batch(ξ, 1)`, with `d_model.trainable = False` inside `gan_model`
# (Brownlee 2019). minigan's `GAN.d_step` differs in one respect: it makes **one** update
# of $D$ on $\tfrac12 \text{BCE}(D(x), 1) + \tfrac12 \text{BCE}(D(G(\xi)), 0)$
# (Goodfellow's Algorithm 1), while stages (1) and (2) make **two**, the second one at the
# weights the first has already moved. `GAN(..., d_update="separate")` makes those two
# updates (lessons 14 and 17 compare the two loops; add `fake_mode="eval"` for fakes made by $G$
# in inference mode, like Keras's `g_model.predict`). Stage (3) is exactly `GAN.g_step`
# with the non-saturating loss (lesson 14); the cell checks that on a small copy.
#
# $D$ ends in a logit and the losses are `BCEWithLogitsLoss` (the sigmoid and the BCE in
# one numerically stable formula; the sigmoid of Tabela 1's last row is inside the loss).
# For speed the loop runs on the same architecture with every channel count divided by
# `W_DIV` (section 3 says why).


# %%
def xray_dcgan64_narrow(div, latent_dim=100, seed=0):
    """Tabela 1 and 2's layers with every channel count divided by `div` (div = 1: the
    document's network)."""
    kw = dict(init="normal", rng=seed)
    c1, c2, c3, c4, g0, g1 = (n // div for n in (128, 256, 256, 512, 256, 128))
    D = mg.Sequential(
        mg.Conv2D(1, c1, 3, padding="same", **kw),
        mg.LeakyReLU(0.2),  # C1
        mg.Conv2D(c1, c2, 3, stride=2, padding="same", **kw),
        mg.LeakyReLU(0.2),  # C2
        mg.Conv2D(c2, c3, 3, stride=2, padding="same", **kw),
        mg.LeakyReLU(0.2),  # C3
        mg.Conv2D(c3, c4, 3, stride=2, padding="same", **kw),
        mg.LeakyReLU(0.2),  # C4
        mg.Flatten(),
        mg.Dropout(0.4, seed=seed),
        mg.Dense(8 * 8 * c4, 1, **kw),
    )  # "Sigmoid" (a logit here)
    G = mg.Sequential(
        mg.Dense(latent_dim, 8 * 8 * g0, **kw),
        mg.LeakyReLU(0.2),
        mg.Reshape(g0, 8, 8),  # D1, R1
        mg.Conv2DTranspose(g0, g1, 4, stride=2, padding="same", **kw),
        mg.LeakyReLU(0.2),  # TC1
        mg.Conv2DTranspose(g1, g1, 4, stride=2, padding="same", **kw),
        mg.LeakyReLU(0.2),  # TC2
        mg.Conv2DTranspose(g1, g1, 4, stride=2, padding="same", **kw),
        mg.LeakyReLU(0.2),  # TC3
        mg.Conv2D(g1, 1, 3, padding="same", **kw),
        mg.Tanh(),
    )  # GC1
    return G, D


# The builder with div = 1 is the document's network: the same parameter count as
# mg.xray_dcgan64.
assert sum(p.size for p in xray_dcgan64_narrow(1)[1].parameters()) == nD

bce_real, bce_fake, bce_g = (
    mg.BCEWithLogitsLoss(),
    mg.BCEWithLogitsLoss(),
    mg.BCEWithLogitsLoss(),
)


def three_stages(G, D, g_opt, d_opt, real, noise):
    """One iteration of §6.2. `noise(n)` draws ξ. Returns (g, d_fake, d_real) losses."""
    n = len(real)
    ones, zeros = np.ones((n, 1), real.dtype), np.zeros((n, 1), real.dtype)
    D.zero_grad()  # stage (1): real images, class 1
    d_real = bce_real(D(real), ones)
    D.backward(bce_real.backward())
    d_opt.step()
    D.zero_grad()  # stage (2): G(ξ), class 0
    d_fake = bce_fake(D(G(noise(n))), zeros)  # (no G.backward: G is not trained here)
    D.backward(bce_fake.backward())
    d_opt.step()
    fake = G(noise(n))  # stage (3): G(ξ) labelled class 1, θ_d fixed
    with frozen(D):  # D's gradients and statistics restored on exit
        g = bce_g(D(fake), ones)
        dfake = D.backward(bce_g.backward())
    G.zero_grad()
    G.backward(dfake)
    g_opt.step()
    return float(g), float(d_fake), float(d_real)


# Stage (3) is GAN.g_step: same weights, same ξ (two GANs with the same seed draw the
# same noise).
W_DIV = 16
Ga, Da = xray_dcgan64_narrow(W_DIV, seed=1)
Gb, Db = xray_dcgan64_narrow(W_DIV, seed=1)
gan_a = GAN(Ga, Da, latent_dim=100, seed=3)
gan_b = GAN(Gb, Db, latent_dim=100, seed=3)
for m in (Da, Db):
    m.eval()  # the same (no) dropout mask in both
g_ref = float(gan_a.g_step(8))
xi = gan_b.sample_noise(8)
fake = Gb(xi)
with frozen(Db):
    g_ours = float(bce_g(Db(fake), np.ones((8, 1), np.float32)))
    dfake = Db.backward(bce_g.backward())
Gb.zero_grad()
Gb.backward(dfake)
gan_b.g_opt.step()
gap = max(
    float(np.abs(pa.data - pb.data).max())
    for pa, pb in zip(Ga.parameters(), Gb.parameters())
)
print(f"stage (3) by hand: g = {g_ours:.6f};  GAN.g_step: g = {g_ref:.6f};")
print(f"largest difference in G's weights after the update: {gap:.1e}")
assert abs(g_ours - g_ref) < 1e-6 and gap < 1e-6
assert all(
    np.array_equal(pa.data, pb.data) for pa, pb in zip(Da.parameters(), Db.parameters())
)


# %% [markdown]
# ## 3. A short run, and the curves of Figura 41/42
#
# The document trains on 5,216 chest X-rays (Tabela 3; 1,341 NORMAL, 3,875 PNEUMONIA),
# resized to 64x64, one GAN per class, for 200 epochs. We have no X-rays offline, so this
# is a **demonstration**: 64x64 synthetic "chest-like" images drawn here, a bright thorax
# with a spine and two dark lungs, and for the "PNEUMONIA" class one or two brighter
# blurred patches inside the lungs ("as imagens da classe PNEUMONIA apresentam uma área
# mais branca na região do pulmão", §6.3). They only stand in for the data; nothing here
# says anything about X-rays.
#
# The cost of the document's run, counted in multiply-adds: a convolution with a
# $k \times k$ kernel costs one multiply-add per output value and per kernel weight, a
# stride-2 transposed $4 \times 4$ convolution meets only $2 \times 2$ taps of its kernel
# per output pixel, and a dense layer costs one per weight:
#
# $$
# \begin{aligned}
# M_{\text{conv}} &= H_{\text{out}} W_{\text{out}} C_{\text{out}} \cdot k^2 C_{\text{in}},\cr
# M_{\text{convT}} &= H_{\text{out}} W_{\text{out}} C_{\text{out}} \cdot 4\, C_{\text{in}},\cr
# M_{\text{dense}} &= n_{\text{in}}\, n_{\text{out}}
# \end{aligned}
# \tag{19.1}
# $$
#
# A backward pass costs about twice its forward pass. Per image, one iteration of the
# three stages runs $G$ forward in stage (2) and forward and backward in stage (3), and
# $D$ forward and backward in all three stages, so it costs about
#
# $$
# 4\, M_G + 9\, M_D \quad \text{multiply-adds per image}
# \tag{19.2}
# $$
#
# where $M_G$ and $M_D$ are the multiply-adds of one forward pass of each network. The
# cell prints these numbers for the document's network and for the narrow copy, and how
# long the document's run would take at 95 GFLOP/s (the speed of NumPy's matrix products
# that minigan's README reports for its convolutions on one core of a desktop processor).
# That is far too slow for a lesson, so the run below uses the same layers with every
# channel count divided by 16, batch 8 and 80 iterations per class.


# %%
def macs(G, D):
    """Multiply-adds of one forward pass of G (from noise) and of D (on a 64x64
    image)."""

    def count(net, shape):
        total = 0
        for layer in net:
            out = layer.output_shape(shape)
            if isinstance(layer, mg.Conv2DTranspose):
                total += (
                    int(np.prod(out)) * layer.params["W"].shape[0] * 4
                )  # 2x2 taps per output pixel
            elif isinstance(layer, mg.Conv2D):
                k = layer.params["W"].shape[1:]
                total += int(np.prod(out)) * int(np.prod(k))
            elif isinstance(layer, mg.Dense):
                total += layer.params["W"].size
            shape = out
        return total

    return count(G, (100,)), count(D, (1, 64, 64))


def xray_like(n, pneumonia, seed):
    """n synthetic 64x64 'chest-like' images in [-1, 1], (n, 1, 64, 64)."""
    g = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:64, 0:64] / 31.5 - 1.0
    out = np.empty((n, 1, 64, 64), np.float32)
    for i in range(n):
        cx, cy = g.normal(0, 0.04, 2)
        s = g.uniform(0.9, 1.05)
        body = np.exp(-((((xx - cx) / (0.85 * s)) ** 2 + ((yy - cy) / s) ** 2) ** 3))
        img = 0.75 * body + 0.25 * body * np.exp(
            -(((xx - cx) / 0.06) ** 2)
        )  # thorax and spine
        for side in (-1, 1):
            lx, ly = cx + side * 0.36 * s, cy - 0.05
            lung = np.exp(
                -((((xx - lx) / (0.25 * s)) ** 2 + ((yy - ly) / (0.55 * s)) ** 2) ** 2)
            )
            img -= 0.55 * lung
            for _ in range(g.integers(1, 3) if pneumonia else 0):  # whiter areas
                bx, by = lx + g.normal(0, 0.08), ly + g.uniform(-0.3, 0.35)
                img += (
                    g.uniform(0.25, 0.45)
                    * lung
                    * np.exp(-((xx - bx) ** 2 + (yy - by) ** 2) / 0.0288)
                )
        out[i, 0] = img + g.normal(0, 0.03, img.shape)
    return np.clip(out * 2 - 1, -1, 1)


mg_full, md_full = macs(G_full, D_full)
G_n, D_n = xray_dcgan64_narrow(W_DIV)
mg_n, md_n = macs(G_n, D_n)
per_image = 4 * mg_full + 9 * md_full  # multiply-adds per image per iteration
doc_images = 200 * (10 + 30) * 128  # 200 epochs, 10 + 30 batches of 128
flops = 2 * per_image * doc_images  # a multiply-add is two floating-point operations
print(
    f"multiply-adds per image: G {mg_full / 1e6:,.0f} M, D {md_full / 1e6:,.0f} M "
    f"(the document's);\nchannels / {W_DIV}: G {mg_n / 1e6:,.1f} M, "
    f"D {md_n / 1e6:,.1f} M "
    f"({G_n.num_parameters():,} + {D_n.num_parameters():,} parameters)"
)
print(
    f"the document's two runs: {doc_images:,} image-iterations x "
    f"{per_image / 1e9:.1f} G multiply-adds\n= {flops:.2g} floating-point operations; "
    f"at 95 GFLOP/s that is about {flops / 95e9 / 3600:.0f} hours"
)

N_IMG = 256 if not FAST else 16
data = {
    "NORMAL": xray_like(N_IMG, False, seed=1),
    "PNEUMONIA": xray_like(N_IMG, True, seed=2),
}
BATCH = 8 if not FAST else 4
STEPS = 80 if not FAST else 2
runs = {}
for k, (cls, X) in enumerate(data.items()):
    G, D = xray_dcgan64_narrow(W_DIV, seed=10 + k)
    g_opt = mg.Adam(G.parameters(), lr=2e-4, beta1=0.5)
    d_opt = mg.Adam(D.parameters(), lr=2e-4, beta1=0.5)
    zrng = np.random.default_rng(20 + k)
    # ξ ~ N(0, 1), size 100
    noise = lambda n: zrng.standard_normal((n, 100)).astype(np.float32)
    hist = {"g": [], "d_fake": [], "d_real": []}
    t0 = time.perf_counter()
    for _step in range(STEPS):
        real = X[rng.integers(0, len(X), BATCH)]
        for key, v in zip(hist, three_stages(G, D, g_opt, d_opt, real, noise)):
            hist[key].append(v)
    sec = time.perf_counter() - t0
    runs[cls] = (G, hist)
    print(
        f"{cls}: {STEPS} iterations of batch {BATCH} in {sec:.1f} s; "
        f"last g {hist['g'][-1]:.3f},\n  d on fakes {hist['d_fake'][-1]:.3f}, "
        f"d on reals {hist['d_real'][-1]:.3f}"
    )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The three losses of §6.2's loop on the synthetic images, one panel per class (like the document's Figura 41 and 42): g is the generator's loss; the two d curves are the discriminator's loss on the fakes and on the real images, named by what they measure.", "name": "fig-19-loss-curves"}}
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
for ax, (fig_no, (cls, (_, hist))) in zip(axes, enumerate(runs.items(), start=41)):
    ax.plot(hist["g"], label=t("g = BCE(D(G(ξ)), 1)"))
    ax.plot(hist["d_fake"], label=t("d on fakes (§6.4's d1)"))
    ax.plot(hist["d_real"], label=t("d on reals (§6.4's d2)"))
    ax.set_xlabel(t("iteration"))
    ax.set_title(t("class {cls} (synthetic), like Figura {n}", cls=cls, n=fig_no))
axes[0].set_ylabel(t("loss"))
axes[0].legend()
fig.tight_layout()
save(fig, "19_xray_dcgan_curves.png", dpi=100)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "For each class, 16 synthetic training images (left) and 16 samples of the generator after the short run (right), drawn from the same noise vectors for both classes.", "name": "fig-19-xray-samples"}}
fig, axes = plt.subplots(1, 4, figsize=(12, 3.6))
for col, (cls, (G, _)) in enumerate(runs.items()):
    axes[2 * col].imshow(grid_array(data[cls][:16], nrow=4), cmap="gray")
    axes[2 * col].set_title(t("real (synthetic)\n{cls}", cls=cls))
    G.eval()
    xi = np.random.default_rng(5).standard_normal((16, 100)).astype(np.float32)
    axes[2 * col + 1].imshow(grid_array(G(xi), nrow=4), cmap="gray")
    axes[2 * col + 1].set_title(t("G after {n} iterations\n{cls}", n=STEPS, cls=cls))
for ax in axes:
    ax.axis("off")
fig.tight_layout()
save(fig, "19_xray_dcgan_samples.png", dpi=100)

# %% [markdown]
# As §6.4 says of its own curves, the losses only tell that training did not diverge; what
# the generator learnt must be looked at (the samples) and measured (FID). In the full run
# the first round goes to $D$: its two losses fall towards 0 while `g` rises, the usual
# start of a run of this network (no BatchNorm, and $D$ updated twice per iteration).
# After 80 iterations $G$'s samples are blurred grey textures with at most a hint of
# vertical structure, nothing like a thorax yet (that takes hundreds of iterations more).
# The document ran 2,000 (NORMAL) and 6,000 (PNEUMONIA) iterations of batch 128 with the
# full-width network: the tens of hours estimated above.
#
# ## 4. §6.4.1's FID table, beside lesson 16's
#
# The document compares four sets of 100 images, RN and RP (real NORMAL and real
# PNEUMONIA, from the test base) and FN and FP (fakes of each GAN), 100 times each, with
# 2,048 Inception-v3 features. Lesson 16 redid the experiment on the digits 0 and 1 (R0,
# R1 real; F0, F1 from two GANs), with minigan's classifier's 128 features, 100 images per
# set and 100 draws. Its table is printed by `python lessons/16_evaluating_gans.py`; the
# values below (`LESSON_16`) were measured once, in a full run of lesson 16, and copied
# here. The pairs are in the same order: RN corresponds to R0, RP to R1.

# %%
DOC_6_4_1 = {  # mean, std, min, 25 %, 50 %, 75 %, max (document 001 §6.4.1)
    "RN x RP": (4.467217, 0.745554, 3.045637, 3.935836, 4.339930, 5.070940, 6.319213),
    "RN x FN": (2.595408, 0.254912, 2.039646, 2.411774, 2.567080, 2.756945, 3.272817),
    "RN x FP": (7.697779, 1.130095, 4.978535, 6.984023, 7.582666, 8.565713, 10.119095),
    "RP x FN": (5.486598, 0.623257, 3.634400, 5.141299, 5.530263, 5.933036, 7.116484),
    "RP x FP": (2.038317, 0.700336, 0.973648, 1.461451, 1.942160, 2.568950, 3.763087),
    "FN x FP": (7.698875, 0.946177, 4.893967, 7.150980, 7.777950, 8.291801, 10.217985),
}
LESSON_16 = {  # the same columns, from a full run of lesson 16 (its section 6)
    "R0xR1": (598.73, 15.59, 567.79, 587.23, 597.98, 606.89, 633.10),
    "R0xF0": (37.65, 5.04, 28.39, 34.02, 36.46, 40.47, 55.49),
    "R0xF1": (549.68, 15.79, 508.93, 539.60, 548.29, 560.04, 593.10),
    "R1xF0": (498.24, 14.78, 457.14, 489.63, 498.27, 505.59, 539.59),
    "R1xF1": (40.23, 4.19, 31.46, 37.54, 40.14, 43.50, 50.06),
    "F0xF1": (430.33, 13.56, 386.90, 422.01, 429.61, 438.45, 462.93),
    "R0xR0'": (15.02, 2.03, 11.21, 13.59, 14.95, 16.13, 21.35),
    "R1xR1'": (7.15, 1.53, 4.57, 6.19, 7.01, 7.86, 12.74),
}
PAIRS = [
    ("RN x RP", "R0xR1"),
    ("RN x FN", "R0xF0"),
    ("RN x FP", "R0xF1"),
    ("RP x FN", "R1xF0"),
    ("RP x FP", "R1xF1"),
    ("FN x FP", "F0xF1"),
]
print(
    f"{'document 001':<13} {'mean':>6} {'std':>5} {'min':>6} {'max':>6}  |  "
    f"{'lesson 16':<9} {'mean':>7} {'std':>6} {'min':>7} {'max':>7}"
)
for doc_key, l16_key in PAIRS:
    d, l16 = DOC_6_4_1[doc_key], LESSON_16[l16_key]
    print(
        f"{doc_key:<13} {d[0]:>6.2f} {d[1]:>5.2f} {d[2]:>6.2f} {d[6]:>6.2f}  |  "
        f"{l16_key:<9} {l16[0]:>7.2f} {l16[1]:>6.2f} {l16[2]:>7.2f} {l16[6]:>7.2f}"
    )
for floor_key in ("R0xR0'", "R1xR1'"):
    f16 = LESSON_16[floor_key]
    print(
        f"{'(not reported)':<13} {'':>6} {'':>5} {'':>6} {'':>6}  |  "
        f"{floor_key:<9} {f16[0]:>7.2f} {f16[1]:>6.2f} {f16[2]:>7.2f} {f16[6]:>7.2f}"
    )
doc_means = [v[0] for v in DOC_6_4_1.values()]
for floor_key in ("R0xR0'", "R1xR1'"):
    below = sum(m < LESSON_16[floor_key][0] for m in doc_means)
    print(
        f"lesson 16's {floor_key} mean is above {below} of the document's "
        f"{len(doc_means)} means"
    )

# %% [markdown]
# Both tables agree on the *ordering* the document hypothesised: same-class pairs below
# cross-class pairs. But look at the scale. Lesson 16's real 0s against another draw of
# real 0s (R0×R0', the last lines) already give more than the document's largest value,
# with features of only 128 dimensions. The document's numbers are small in a way that
# the computation hardly allows.
#
# ## 5. Why FID values of 2 to 8 from 100 images and 2,048 features are implausible
#
# **The covariance of 100 vectors has rank at most 99.** Put the 100 feature vectors as
# the rows of a $100 \times 2048$ matrix $F$, and let $F_c$ be $F$ with the mean row
# subtracted from every row. The sample covariance is
#
# $$
# \hat\Sigma = \frac{F_c^{\top} F_c}{99}
# \tag{19.3}
# $$
#
# Its rank is the rank of $F_c$, which is at most 100; and the centred rows sum to zero,
# so it is at most 99. **At least 1,949 of $\hat\Sigma$'s 2,048 eigenvalues are exactly
# 0**, whatever the images.

# %%
N_FID, DIM = 100, 2048
F = rng.standard_normal((N_FID, DIM))
F_c = F - F.mean(axis=0)
print(
    f"100 vectors in 2,048 dimensions: rank(F_c) = {np.linalg.matrix_rank(F_c)}"
    "  (rank Σ = rank F_c)"
)
F300 = rng.standard_normal((N_FID, 300))
rank300 = np.linalg.matrix_rank(np.cov(F300, rowvar=False))
print(
    "the same with 300 dimensions, on the covariance: "
    f"rank(np.cov(F)) = {rank300} of 300"
)
assert np.linalg.matrix_rank(F_c) == N_FID - 1

# %% [markdown]
# So the two covariances of one FID computation each live in their own 99-dimensional
# slice of the 2,048-dimensional space. This also gives a cheap, exact way to compute FID
# from 100 samples (lesson 16 §4 uses it too). With $A = X_c / \sqrt{99}$ and
# $B = Y_c / \sqrt{99}$ ($100 \times 2048$ each), $\hat\Sigma_X = A^{\top} A$ and
# $\hat\Sigma_Y = B^{\top} B$; the non-zero eigenvalues of
# $\hat\Sigma_X \hat\Sigma_Y = A^{\top} (A B^{\top} B)$ are those of
# $(A B^{\top})(A B^{\top})^{\top}$, and so
#
# $$
# \operatorname{Tr}\sqrt{\hat\Sigma_X \hat\Sigma_Y}
# = \sum_i s_i\!\left(A B^{\top}\right)
# \qquad (\text{the singular values of a } 100 \times 100 \text{ matrix})
# \tag{19.4}
# $$
#
# The cell checks this against `minigan.metrics.frechet_distance` on a small case.
#
# **The floor.** Draw both sets from the *same* Gaussian: the true FID is 0, the computed
# one is not. The mean term alone has expectation
# $\mathbb{E}\lVert \hat\mu_X - \hat\mu_Y \rVert^2 = 2 \operatorname{Tr}\Sigma / N$, and
# the trace term compares two different 99-dimensional slices: unless the true covariance
# is concentrated in far fewer than 99 directions, the slices barely overlap and
# $\operatorname{Tr}\sqrt{\hat\Sigma_X \hat\Sigma_Y}$ is much smaller than
# $\operatorname{Tr}\Sigma$. The cell measures this floor for three spectra of 2,048
# variances $\lambda_k$ (flat; falling like $1/k$; falling like $1/k^2$), each scaled so
# that $\operatorname{Tr}\Sigma = \sum_k \lambda_k = 1$.


# %%
def fid_small_n(X, Y):
    """FID from two samples, through the N × N matrix A Bᵀ (exact for any dimension)."""
    A = (X - X.mean(0)) / np.sqrt(len(X) - 1)
    B = (Y - Y.mean(0)) / np.sqrt(len(Y) - 1)
    tr_sqrt = np.linalg.svd(A @ B.T, compute_uv=False).sum()
    mean_term = np.sum((X.mean(0) - Y.mean(0)) ** 2)
    return float(mean_term + np.sum(A * A) + np.sum(B * B) - 2 * tr_sqrt)


Xs, Ys = rng.standard_normal((30, 12)), rng.standard_normal((30, 12)) * 1.5 + 0.3
ref = metrics.frechet_distance(
    Xs.mean(0), np.cov(Xs, rowvar=False), Ys.mean(0), np.cov(Ys, rowvar=False)
)
assert abs(fid_small_n(Xs, Ys) - ref) < 1e-8 * max(1.0, ref), (fid_small_n(Xs, Ys), ref)

REPS = 20 if not FAST else 3
k = np.arange(1, DIM + 1)
floor_ratio = {}
print(
    f"{'spectrum (2,048 variances)':<27} {'Tr Σ':>5} "
    f"{'mean FID, same distribution':>28}"
)
for name, lam in (
    ("flat", np.ones(DIM)),
    ("λ_k ∝ 1/k", 1.0 / k),
    ("λ_k ∝ 1/k²", 1.0 / k**2),
):
    lam = lam / lam.sum()
    vals = [
        fid_small_n(
            rng.standard_normal((N_FID, DIM)) * np.sqrt(lam),
            rng.standard_normal((N_FID, DIM)) * np.sqrt(lam),
        )
        for _ in range(REPS)
    ]
    floor_ratio[name] = float(np.mean(vals))
    print(f"{name:<27} {1.0:>5.1f} {floor_ratio[name]:>28.3f}")
print(f"(N = {N_FID}; the mean term alone: 2 Tr Σ / N = {2 / N_FID:.3f})")

# %% [markdown]
# Read each value as "the floor is this fraction of $\operatorname{Tr}\Sigma$": for two
# draws of 100 real images, the FID is expected to be about this many times the total
# variance of the features.
#
# **Which of the document's numbers can be held against the floor?** Not the
# real-against-fake pairs. A generator whose features vary less than the real ones receives a smaller
# small-sample bias, and its FID can fall *below* the floor of two real draws: in lesson
# 16 §4, with $N = 100$, $D = 2{,}048$ and the flat spectrum, real against real gives
# about 1.65 $\operatorname{Tr}\Sigma$ while a generator with covariance $0.05\,\Sigma$
# gives about 0.98 $\operatorname{Tr}\Sigma$, although its true FID is 0.60
# $\operatorname{Tr}\Sigma$ and the perfect generator's is 0. So RP×FP's mean of 2.04 (its
# minimum 0.97) bounds nothing through the floor: it may just mean that the fakes vary
# less than the real X-rays.
#
# Two arguments do survive. First, **RN×RP compares two real sets**: both sides have the
# full variance of real X-ray features, so if NORMAL and PNEUMONIA features have spectra
# of similar size and shape, its small-sample bias is at least the floor, and its mean of
# 4.47 bounds the total variance:
# $\operatorname{Tr}\Sigma \lesssim 4.47 / (\text{floor per unit of } \operatorname{Tr}\Sigma)$.
# Second, **the mean term holds for every pair**,
# fake or real: the trace term of a FID is never negative, so
# $\widehat{\text{FID}} \ge \lVert \hat\mu_X - \hat\mu_Y \rVert^2$, whose expectation is
# at least $\operatorname{Tr}\Sigma_X / N$ for the real side $X$ alone, whatever the
# generator. With RP×FP's mean of 2.04 and $N = 100$, the real PNEUMONIA features must have
# $\operatorname{Tr}\Sigma \lesssim 2.04 \cdot 100 = 204$.

# %%
for name, ratio in floor_ratio.items():
    print(
        f"  RN x RP, spectrum {name:<12}: "
        f"Tr Σ ≲ 4.47 / {ratio:.3f} = {4.47 / ratio:6.1f}"
    )
print(
    "  RP x FP, mean term alone (any spectrum): "
    f"Tr Σ ≲ 2.04 · {N_FID} = {2.04 * N_FID:.0f}"
)

# %% [markdown]
# That is a total variance of a few units to a few tens of units, and at most about two
# hundred in the most favourable case, for 2,048 Inception-v3 features of X-rays. FID is
# normally computed from 10,000 to 50,000 images precisely because with fewer the
# estimate is dominated by sample noise (Heusel et al. 2017, who introduced it, recommend
# at least 10,000). Our own 128 classifier features, at $N = 100$, give real-against-real
# values (R0×R0' and R1×R1') at or above most of the document's numbers: the last lines
# of section 4's cell count them. The document reports no such value at all (it dropped
# the same-set pairs, §6.4.1).
#
# What the table's numbers mean, then, we cannot tell from the document: features that
# hardly respond to the images (for example 64x64 grayscale images given to Inception-v3
# without its 299x299 RGB input pipeline), a different normalisation, or another quantity
# than FID. What we can say is that they are not comparable with published FIDs, and that
# the conclusion "a rede DCGAN proposta foi capaz de gerar imagens muito próximas à
# distribuição da amostra real" is not supported by them. Lesson 16 §4 lists how a FID
# table should be reported instead: the same $N$ and feature network for every entry, the
# real-against-real value beside it, many more images than features, and diversity checked
# separately.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Mean FID of each pair of sets (error bars: one standard deviation over the draws), on a log scale: document 001's X-ray table (Inception-v3, 2,048 features) beside lesson 16's digit table (minigan's classifier, 128 features), with lesson 16's real-against-real value for the 0s as a dashed line.", "name": "fig-19-fid-tables"}}
fig, ax = plt.subplots(figsize=(10, 4.8))
pos = np.arange(len(PAIRS))
ax.bar(
    pos - 0.2,
    [DOC_6_4_1[d][0] for d, _ in PAIRS],
    0.4,
    yerr=[DOC_6_4_1[d][1] for d, _ in PAIRS],
    label=t("document 001 §6.4.1 (X-rays)"),
)
ax.bar(
    pos + 0.2,
    [LESSON_16[l16][0] for _, l16 in PAIRS],
    0.4,
    yerr=[LESSON_16[l16][1] for _, l16 in PAIRS],
    label=t("lesson 16 (digits 0 and 1)"),
)
ax.axhline(
    LESSON_16["R0xR0'"][0],
    color="k",
    ls="--",
    lw=0.8,
    label=t("lesson 16: real 0s vs real 0s"),
)
ax.set_yscale("log")
ax.set_ylim(0.8, 2e4)  # room for the legend above the bars
ax.set_xticks(pos)
ax.set_xticklabels([f"{d}\n{l16}" for d, l16 in PAIRS])
ax.set_ylabel(t("mean FID over 100 draws"))
ax.set_title(t("100 against 100 images: the document's cross-table and lesson 16's"))
ax.legend(loc="upper left", ncols=2)
fig.tight_layout()
save(fig, "19_fid_tables.png", dpi=100)
print(f"lesson 19 ran in {time.perf_counter() - T_START:.1f} s")

# %% [markdown]
# ## Exercises
# 1. Time one iteration of `three_stages` with the full-width network
#    (`xray_dcgan64_narrow(1)`) and batch 8, and compare with the estimate of section 3.
#    Where does the time go (`summary()` plus the multiply-adds of each layer)?
# 2. Replace stages (1) and (2) by `GAN.d_step` (one update on the half-and-half loss) and
#    train both versions for the same number of iterations from the same start. Do the
#    curves differ?
# 3. Put `BatchNorm` back into both networks (§6.1.1 left it out "pois ... se obtiveram
#    resultados semelhantes") and rerun section 3. Remember that `frozen(D)` must also keep
#    D's running statistics.
# 4. In section 5, replace the flat spectrum by one with only 50 non-zero variances. What
#    happens to the floor, and why (compare 50 with the rank 99)?
# 5. Compute lesson 16's cross-table with $N = 250$ per set instead of 100 (two disjoint
#    draws of 250 are all that 500 real digits of a class allow). Which entries move most,
#    and does the ordering survive?
# 6. In section 5, draw the "fake" set from $\mathcal{N}(0, c\,\Sigma)$ for
#    $c = 0.01, 0.05, 0.2, 1$ and the flat spectrum, and plot its mean FID against the real
#    set at $N = 100$ beside the floor. For which $c$ is it below the floor?

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
# # Lesson 19: document 001's chest X-ray DCGAN, its training and its FID table
#
# **Objective.** Lay document 001 (Marques 2021) §6 beside minigan: rebuild the 64x64 DCGAN of Tabela 1
# and 2 layer by layer and check every parameter count; write the three-stage training loop
# of §6.2 by hand and see that its generator stage is `minigan.gan.GAN.g_step`; draw the `g`,
# `d1`, `d2` curves of Figura 41/42 on a short demonstration run; and read §6.4.1's FID table
# critically, beside lesson 16's, with the rank of a 100-sample covariance in 2,048
# dimensions.
#
# Source: document 001 (Marques 2021), "Rede Adversária Generativa Convolucional Profunda
# Aplicada a Exames de Raio-x do Tórax": §6.1 "Arquitetura DCGAN" (§6.1.1 Discriminador,
# §6.1.2 Gerador), §6.2 "Etapas de treinamento" (§6.2.1 stages (1) and (2), Tabela 1; §6.2.2
# stage (3), Tabela 2), §6.3 "Base de Dados" (Tabela 3), §6.4 "Resultados" (Figura 41/42),
# §6.4.1 "Distância FID"; §5.3 for the formula. Lesson 15 covers the DCGAN rules (§4.3),
# lesson 16 the FID and the cross-table on digits.
#
# *Slips and gaps in §6* (each is shown again where it matters):
# 1. §6.2.1: C4 has "512 filtros de tamanho 3 × 3 × 512"; its input has 256 channels, so the
#    filters are 3 × 3 × 256 (Tabela 1's 1,180,160 = 3·3·256·512 + 512 confirms it).
# 2. §6.2.1: "8 * 8 * 512 = 32769": the flattened size is 32,768. The 32,769 of Tabela 1's
#    last row (called "Sigmoid") are the parameters of a dense layer 32,768 → 1: 32,768
#    weights and one bias, followed by the sigmoid.
# 3. §6.4 names the curves of Figura 41/42 "`d1` o Loss do discriminador em imagens falsas;
#    `d2` o Loss do discriminador em imagens reais". In the Keras recipes of Brownlee (2019), the
#    book in the document's references ([3]) whose DCGANs this one closely resembles, `d1` is the
#    loss on the **real** batch and `d2` on the **fake** one. We cannot see which the figures
#    used; our plot names each curve by what it measures.
# 4. Not given in §6: the dropout rate, the optimizer and the batch size. minigan's
#    `xray_dcgan64` uses dropout 0.4 (Brownlee's); we train with Adam, lr 2e-4, β1 = 0.5 (the
#    DCGAN default). The batch size follows from §6.4 and Tabela 3: "10 batches para a classe
#    NORMAL e 30 batches para a classe PNEUMONIA" with 1,341 and 3,875 training images is
#    `1341 // 128 = 10` and `3875 // 128 = 30` batches per epoch: batch 128.
# 5. §6.4.1: FIDs of 2–8 from 100 images against 2,048 Inception features are not what that
#    computation gives (section 5).

# %%
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
)  # lessons/_course.py: fast mode, figures saved (and shown in a notebook)

set_blas_threads(
    1
)  # small matrices: one BLAS thread beats several that wait on each other (see lesson 12)

rng = np.random.default_rng(0)
T_START = time.perf_counter()

# %% [markdown]
# ## 1. Tabela 1 and 2 beside `summary()`
#
# §6.2.1 gives the rule for a convolution's parameters: `n_f` filters of size
# `n_h × n_w × n_c` have `n_h·n_w·n_c·n_f` weights and `n_f` biases. A transposed convolution
# has the same count (its filters just run the other way), a dense layer `n_in·n_out + n_out`.
# Below, the document's tables as printed (shapes in its NHWC order) and the counts by the
# rule, then minigan's `xray_dcgan64()` (shapes in NCHW order, PyTorch's) side by side.


# %%
def conv_params(n_h, n_w, n_c, n_f):
    return n_h * n_w * n_c * n_f + n_f  # §6.2.1


def dense_params(n_in, n_out):
    return n_in * n_out + n_out


TABELA_1 = [  # (camada, dimensão de saída, # parâmetros as printed, by the rule)
    ("C1", "64x64x128", 1280, conv_params(3, 3, 1, 128)),
    ("C2", "32x32x256", 295168, conv_params(3, 3, 128, 256)),
    ("C3", "16x16x256", 590080, conv_params(3, 3, 256, 256)),
    (
        "C4",
        "8x8x512",
        1180160,
        conv_params(3, 3, 256, 512),
    ),  # slip 1: 3x3x256 filters, not 3x3x512
    (
        "Sigmoid",
        "1",
        32769,
        dense_params(8 * 8 * 512, 1),
    ),  # slip 2: 32,768 inputs + 1 bias
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
    print(
        f"{name}: every printed count equals the rule; total {sum(r[2] for r in rows):,}"
    )

G_full, D_full = mg.xray_dcgan64()


def side_by_side(title, doc_rows, model, input_shape):
    rows = [
        r for r in model.summary(input_shape, print_fn=None) if r[2] > 0
    ]  # layers with parameters
    print(f"\n{title}")
    print(
        f"{'document':<9} {'output (NHWC)':<14} {'params':>10}   {'minigan layer':<62} {'output (NCHW)':<16} {'params':>10}"
    )
    for (layer, shape, printed, _), (m_name, m_shape, m_n) in zip(doc_rows, rows):
        print(
            f"{layer:<9} {shape:<14} {printed:>10,}   {m_name:<62} {'x'.join(map(str, m_shape)):<16} {m_n:>10,}"
        )
        assert printed == m_n
    total = model.num_parameters()
    print(
        f"{'total':<9} {'':<14} {sum(r[2] for r in doc_rows):>10,}   {'':<62} {'':<16} {total:>10,}"
    )
    return total


nD = side_by_side("Tabela 1, the discriminator", TABELA_1, D_full, (1, 64, 64))
nG = side_by_side("Tabela 2, the generator", TABELA_2, G_full, (100,))
print(
    f"\n§6.2.1 'pouco mais de 2 milhões de parâmetros': {nD:,};  §6.2.2 'algo próximo de 2.7 milhões': {nG:,}"
)

# %% [markdown]
# ## 2. The three stages of §6.2, by hand
#
# §6.2 trains with "um loop em 3 etapas" (Figura 29):
#
# 1. `D` is trained on real images, class 1;
# 2. `D` is trained on fakes `G(ξ)`, class 0;
# 3. `G` is trained through `D` "com seus parâmetros θ_d mantidos fixos", the fakes labelled
#    class 1 "com o intuito de enganar o discriminador" (§6.2.2), with `ξ` of size 100 drawn
#    from a normal distribution.
#
# Every stage minimises the BCE (§2.7.1) and ends with its own optimizer update: this is
# Keras's `d_model.train_on_batch(X_real, 1)`, `d_model.train_on_batch(X_fake, 0)`,
# `gan_model.train_on_batch(ξ, 1)` with `d_model.trainable = False` inside `gan_model`
# (Brownlee 2019). minigan's `GAN.d_step` differs in one respect: it makes **one** update of `D`
# on `½ BCE(real, 1) + ½ BCE(fake, 0)` (Goodfellow's Algorithm 1); stages 1 and 2 make **two**,
# the second one at the weights the first has already moved. `GAN(..., d_update="separate")`
# makes those two updates (lesson 14 compares the two loops; add `fake_mode="eval"` for fakes
# made by `G` in inference mode, like Keras's `g_model.predict`). Stage 3 is exactly
# `GAN.g_step` with the non-saturating loss (lesson 14): we check that below on a small copy.
#
# D ends in a logit and the losses are `BCEWithLogitsLoss` (sigmoid + BCE in the stable form;
# the sigmoid of Tabela 1's last row is inside the loss). For speed the loop runs on the
# same architecture with every channel count divided by `W_DIV` (section 3 says why).


# %%
def xray_dcgan64_narrow(div, latent_dim=100, seed=0):
    """Tabela 1 and 2's layers with every channel count divided by `div` (div = 1: the document's)."""
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


# The builder with div = 1 is the document's network: same parameter count as mg.xray_dcgan64.
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


# Stage (3) is GAN.g_step: same weights, same ξ (two GANs with the same seed draw the same noise).
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
print(
    f"stage (3) by hand: g = {g_ours:.6f};  GAN.g_step: g = {g_ref:.6f};  largest difference in G's "
    f"weights after the update: {gap:.1e}"
)
assert abs(g_ours - g_ref) < 1e-6 and gap < 1e-6
assert all(
    np.array_equal(pa.data, pb.data) for pa, pb in zip(Da.parameters(), Db.parameters())
)

# %% [markdown]
# ## 3. A short run, and the curves of Figura 41/42
#
# The document trains on 5,216 chest X-rays (Tabela 3; 1,341 NORMAL, 3,875 PNEUMONIA), resized
# to 64x64, one GAN per class, 200 epochs. We have no X-rays offline, so this is a
# **demonstration**: 64x64 synthetic "chest-like" images drawn here, a bright thorax with a
# spine and two dark lungs, and for the "PNEUMONIA" class one or two brighter blurred patches
# inside the lungs ("as imagens da classe PNEUMONIA apresentam uma área mais branca na região
# do pulmão", §6.3). They only stand in for the data; nothing here says anything about
# X-rays.
#
# The cost of the document's run, counted in multiply-adds: a convolution costs
# `H_out·W_out·C_out·k·k·C_in`, a stride-2 transposed 4x4 convolution `H_out·W_out·C_out·C_in·4`
# (each output pixel meets 2x2 taps of the kernel), a dense layer `n_in·n_out`. A backward pass
# costs about twice its forward, so one iteration of the three stages is about
# `4·M_G + 9·M_D` per image (G forward in stage 2, forward and backward in stage 3; D forward
# and backward in all three). That is far too slow for a lesson on 2 cores, so the
# run below uses the same layers with every channel count divided by 16, batch 8, 80 iterations
# per class.


# %%
def macs(G, D):
    """Multiply-adds of one forward pass of G (from noise) and of D (on a 64x64 image)."""

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
print(
    f"multiply-adds per image: G {mg_full / 1e6:,.0f} M, D {md_full / 1e6:,.0f} M (the document's); "
    f"channels / {W_DIV}: G {mg_n / 1e6:,.1f} M, D {md_n / 1e6:,.1f} M "
    f"({G_n.num_parameters():,} + {D_n.num_parameters():,} parameters)"
)
print(
    f"the document's two runs: {doc_images:,} image-iterations x {per_image / 1e9:.1f} G multiply-adds = "
    f"{2 * per_image * doc_images:.2g} floating-point operations; at the ~95 GFLOP/s of this machine's "
    f"BLAS (README, 'Speed') that is about {2 * per_image * doc_images / 95e9 / 3600:.0f} hours"
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
    noise = lambda n: zrng.standard_normal((n, 100)).astype(
        np.float32
    )  # ξ ~ N(0, 1), size 100
    hist = {"g": [], "d_fake": [], "d_real": []}
    t0 = time.perf_counter()
    for _step in range(STEPS):
        real = X[rng.integers(0, len(X), BATCH)]
        for key, v in zip(hist, three_stages(G, D, g_opt, d_opt, real, noise)):
            hist[key].append(v)
    sec = time.perf_counter() - t0
    runs[cls] = (G, hist)
    print(
        f"{cls}: {STEPS} iterations of batch {BATCH} in {sec:.1f} s; last g {hist['g'][-1]:.3f}, "
        f"d on fakes {hist['d_fake'][-1]:.3f}, d on reals {hist['d_real'][-1]:.3f}"
    )

# %%
fig = plt.figure(figsize=(13, 7))
gs = fig.add_gridspec(2, 4)
for col, (cls, (G, hist)) in enumerate(runs.items()):
    ax = fig.add_subplot(gs[0, 2 * col : 2 * col + 2])
    ax.plot(hist["g"], label="g: G's loss, BCE(D(G(ξ)), 1)")
    ax.plot(hist["d_fake"], label="d on fakes, BCE(D(G(ξ)), 0)  (§6.4's text: d1)")
    ax.plot(hist["d_real"], label="d on reals, BCE(D(x), 1)  (§6.4's text: d2)")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.set_title(f"class {cls} (synthetic), like Figura {41 + col}", fontsize=9)
    ax.legend(fontsize=7)
    ax = fig.add_subplot(gs[1, 2 * col])
    ax.imshow(grid_array(data[cls][:16], nrow=4), cmap="gray")
    ax.set_title(f"real (synthetic) {cls}", fontsize=8)
    ax.axis("off")
    ax = fig.add_subplot(gs[1, 2 * col + 1])
    G.eval()
    ax.imshow(
        grid_array(
            G(np.random.default_rng(5).standard_normal((16, 100)).astype(np.float32)),
            nrow=4,
        ),
        cmap="gray",
    )
    ax.set_title(f"G after {STEPS} iterations", fontsize=8)
    ax.axis("off")
fig.suptitle(
    f"§6.2's three-stage loop on 64x64 synthetic images (channels / {W_DIV}, batch {BATCH}): "
    "a demonstration, not the document's experiment",
    fontsize=10,
)
fig.tight_layout()
save(fig, "19_xray_dcgan_curves.png", dpi=90)

# %% [markdown]
# As §6.4 says of its own curves, the losses only tell that training did not diverge; what
# the generator learnt must be looked at (the samples) and measured (FID). Here the first
# round goes to D: its two losses fall towards 0 while `g` rises, the usual start of a run of
# this network (no BatchNorm, and D updated twice per iteration). After 80 iterations G's
# samples are blurred grey textures, at most a hint of vertical structure: nothing like a
# thorax yet (that takes hundreds of iterations more). The document ran 2,000 (NORMAL) and 6,000 (PNEUMONIA) iterations of
# batch 128 with the full-width network, the tens of hours estimated above.
#
# ## 4. §6.4.1's FID table, beside lesson 16's
#
# The document compares four sets of 100 images, RN / RP (real NORMAL / PNEUMONIA, from the
# test base) and FN / FP (fakes of each GAN), 100 times each, with 2,048 Inception-v3 features.
# Lesson 16 redid the experiment on the digits 0 and 1 (R0, R1 real; F0, F1 from two GANs),
# with minigan's classifier's 128 features, 100 images per set, 100 draws; its table is printed
# by `python lessons/16_evaluating_gans.py` (full mode; the values below are from one run for
# this lesson). Same order of pairs: RN↔R0, RP↔R1.

# %%
DOC_6_4_1 = {  # mean, std, min, 25 %, 50 %, 75 %, max (document 001 (Marques 2021) §6.4.1)
    "RN x RP": (4.467217, 0.745554, 3.045637, 3.935836, 4.339930, 5.070940, 6.319213),
    "RN x FN": (2.595408, 0.254912, 2.039646, 2.411774, 2.567080, 2.756945, 3.272817),
    "RN x FP": (7.697779, 1.130095, 4.978535, 6.984023, 7.582666, 8.565713, 10.119095),
    "RP x FN": (5.486598, 0.623257, 3.634400, 5.141299, 5.530263, 5.933036, 7.116484),
    "RP x FP": (2.038317, 0.700336, 0.973648, 1.461451, 1.942160, 2.568950, 3.763087),
    "FN x FP": (7.698875, 0.946177, 4.893967, 7.150980, 7.777950, 8.291801, 10.217985),
}
LESSON_13 = {  # the same columns, from `python lessons/16_evaluating_gans.py` (its section 5)
    "R0xR1": (598.73, 15.59, 567.79, 587.23, 597.98, 606.89, 633.10),
    "R0xF0": (36.13, 4.67, 27.17, 32.94, 35.75, 39.07, 52.80),
    "R0xF1": (566.98, 15.76, 533.85, 554.63, 567.39, 576.81, 608.62),
    "R1xF0": (519.62, 15.64, 493.60, 509.41, 517.13, 528.82, 560.44),
    "R1xF1": (21.62, 2.14, 16.76, 20.14, 21.66, 22.91, 27.16),
    "F0xF1": (475.50, 13.75, 442.53, 465.86, 474.25, 484.84, 515.84),
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
    f"{'document 001 §6.4.1':<20} {'mean':>7} {'std':>6} {'min':>7} {'max':>7}   |   "
    f"{'lesson 16':<9} {'mean':>8} {'std':>7} {'min':>8} {'max':>8}"
)
for doc_key, l13_key in PAIRS:
    d, l = DOC_6_4_1[doc_key], LESSON_13[l13_key]
    print(
        f"{doc_key:<20} {d[0]:>7.2f} {d[1]:>6.2f} {d[2]:>7.2f} {d[6]:>7.2f}   |   "
        f"{l13_key:<9} {l[0]:>8.2f} {l[1]:>7.2f} {l[2]:>8.2f} {l[6]:>8.2f}"
    )
floor_key = "R0xR0'"
print(
    f"{'(not reported)':<20} {'':>7} {'':>6} {'':>7} {'':>7}   |   {floor_key:<9} "
    f"{LESSON_13[floor_key][0]:>8.2f}   (two draws of the same real set: the small-sample floor)"
)

# %% [markdown]
# Both tables agree on the *ordering* the document hypothesised (same-class pairs below
# cross-class pairs). But look at the scale: lesson 16's floor, real 0s against another draw
# of real 0s, is already far above the document's largest value, with features of only 128
# dimensions. The document's numbers are small in a way the computation does not allow.
#
# ## 5. Why FID values of 2–8 from 100 images and 2,048 features are implausible
#
# **The covariance of 100 vectors has rank at most 99.** With the 100 feature vectors as the
# rows of `F` (100 × 2048) and `F_c` the rows minus their mean, the sample covariance is
# `Σ = F_cᵀ F_c / 99`. Its rank is the rank of `F_c`, at most 100, and the centred rows sum to
# zero, so at most 99: **at least 1,949 of Σ's 2,048 eigenvalues are exactly 0**, whatever the
# images.

# %%
N_FID, DIM = 100, 2048
F = rng.standard_normal((N_FID, DIM))
F_c = F - F.mean(axis=0)
print(
    f"100 vectors in 2,048 dimensions: rank(F_c) = {np.linalg.matrix_rank(F_c)}  (rank Σ = rank F_c)"
)
F300 = rng.standard_normal((N_FID, 300))
print(
    f"the same with 300 dimensions, directly on the covariance: "
    f"rank(np.cov(F)) = {np.linalg.matrix_rank(np.cov(F300, rowvar=False))} of 300"
)
assert np.linalg.matrix_rank(F_c) == N_FID - 1

# %% [markdown]
# So the two covariances of one FID computation each live in their own 99-dimensional slice of
# the 2,048-dimensional space. This also gives a cheap, exact way to compute FID from 100
# samples: with `A = X_c / √99` and `B = Y_c / √99` (100 × 2048 each), `Σ_X = AᵀA`,
# `Σ_Y = BᵀB`, the non-zero eigenvalues of `Σ_X Σ_Y = Aᵀ(A Bᵀ)B` are those of
# `(A Bᵀ)(A Bᵀ)ᵀ`, and
#
#     Tr √(Σ_X Σ_Y) = Σ singular values of A Bᵀ   (a 100 × 100 matrix)
#
# (checked against `minigan.metrics.frechet_distance` below on a small case).
#
# **The floor.** Draw both sets from the *same* Gaussian: the true FID is 0, the computed one
# is not. The mean term alone has expectation `‖μ̂_X − μ̂_Y‖² = 2 Tr(Σ)/N`, and the trace term
# compares two different 99-dimensional slices: unless the true covariance is concentrated in
# far fewer than 99 directions, the slices barely overlap and `Tr √(Σ_X Σ_Y)` is much smaller
# than `Tr Σ`. We measure the floor for three spectra of 2,048 variances (flat; falling like
# `1/k`; like `1/k²`), each scaled to `Tr Σ = 1`.


# %%
def fid_small_n(X, Y):
    """FID from two samples, through the N × N matrix A Bᵀ (exact for any dimension)."""
    A = (X - X.mean(0)) / np.sqrt(len(X) - 1)
    B = (Y - Y.mean(0)) / np.sqrt(len(Y) - 1)
    tr_sqrt = np.linalg.svd(A @ B.T, compute_uv=False).sum()
    return float(
        np.sum((X.mean(0) - Y.mean(0)) ** 2)
        + np.sum(A * A)
        + np.sum(B * B)
        - 2 * tr_sqrt
    )


Xs, Ys = rng.standard_normal((30, 12)), rng.standard_normal((30, 12)) * 1.5 + 0.3
ref = metrics.frechet_distance(
    Xs.mean(0), np.cov(Xs, rowvar=False), Ys.mean(0), np.cov(Ys, rowvar=False)
)
assert abs(fid_small_n(Xs, Ys) - ref) < 1e-8 * max(1.0, ref), (fid_small_n(Xs, Ys), ref)

REPS = 20 if not FAST else 3
k = np.arange(1, DIM + 1)
floor_ratio = {}
print(
    f"{'spectrum (2,048 variances)':<28} {'Tr Σ':>5} {'E FID, N = 100, same distribution':>34} {'2 Tr Σ / N':>11}"
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
    print(f"{name:<28} {1.0:>5.1f} {floor_ratio[name]:>34.3f} {2 / N_FID:>11.3f}")

# %% [markdown]
# Read it as "the floor is this fraction of `Tr Σ`". The document's smallest values are its
# real-vs-fake pairs: RP×FP has mean 2.04 and minimum 0.97, and a real set against a generated
# one can only be *above* the floor of two real draws (on average). So the total variance of
# its features would have to satisfy `Tr Σ ≲ 2.04 / (floor per unit of Tr Σ)`:

# %%
for name, ratio in floor_ratio.items():
    print(f"  spectrum {name:<12}: Tr Σ ≲ 2.04 / {ratio:.3f} = {2.04 / ratio:6.1f}")
print(
    f"  mean term alone (any spectrum): Tr Σ ≲ 2.04 · {N_FID} / 2 = {2.04 * N_FID / 2:.0f}"
)

# %% [markdown]
# That is a total variance of one to a few tens of units, and at most about a hundred in the most favourable
# case, for 2,048 Inception-v3 features of X-rays. FID is normally computed from 10,000 to
# 50,000 images precisely because with fewer the estimate is dominated by sample noise
# (Heusel et al. 2017, who introduced it, recommend at least 10,000). Our own 128 classifier
# features, at `N = 100`, give a floor of 15.02 for the 0s and 7.15 for the 1s (lesson 16,
# R0×R0' and R1×R1'), above every number of the document's table; the document reports no
# floor at all (it dropped the same-set pairs, §6.4.1).
#
# What the table's numbers can mean, then, we cannot tell from the document: features that
# hardly respond to the images (for example 64x64 grayscale images given to Inception-v3
# without its 299x299 RGB input pipeline), a different normalisation, or another quantity
# than FID. What we can say is that they are not comparable with published FIDs, and that the
# conclusion "a rede DCGAN proposta foi capaz de gerar imagens muito próximas à distribuição da
# amostra real" is not supported by them.

# %%
fig, ax = plt.subplots(figsize=(9, 3.6))
pos = np.arange(len(PAIRS))
ax.bar(
    pos - 0.2,
    [DOC_6_4_1[d][0] for d, _ in PAIRS],
    0.4,
    yerr=[DOC_6_4_1[d][1] for d, _ in PAIRS],
    label="document 001 §6.4.1 (Inception-v3, 2,048 features, X-rays)",
)
ax.bar(
    pos + 0.2,
    [LESSON_13[l][0] for _, l in PAIRS],
    0.4,
    yerr=[LESSON_13[l][1] for _, l in PAIRS],
    label="lesson 16 (minigan classifier, 128 features, digits 0/1)",
)
ax.axhline(
    LESSON_13["R0xR0'"][0],
    color="k",
    ls="--",
    lw=0.8,
    label="lesson 16's floor: real 0s vs real 0s",
)
ax.set_yscale("log")
ax.set_ylim(0.8, 2e4)  # room for the legend above the bars
ax.set_xticks(pos)
ax.set_xticklabels([f"{d}\n{l}" for d, l in PAIRS], fontsize=8)
ax.set_ylabel("mean FID over 100 draws (log scale)")
ax.set_title(
    "100 vs 100 images: the document's cross-table and lesson 16's", fontsize=9
)
ax.legend(fontsize=7)
fig.tight_layout()
save(fig, "19_fid_tables.png", dpi=100)
print(f"lesson 19 ran in {time.perf_counter() - T_START:.1f} s")

# %% [markdown]
# ## Exercises
# 1. Time one iteration of `three_stages` with the full-width network (`xray_dcgan64_narrow(1)`)
#    and batch 8, and compare with the estimate of section 3. Where does the time go
#    (`summary()` plus the multiply-adds of each layer)?
# 2. Replace stages (1) and (2) by `GAN.d_step` (one update on the half-and-half loss) and train
#    both versions for the same number of iterations from the same start. Do the curves differ?
# 3. Put `BatchNorm` back into both networks (§6.1.1 left it out "pois ... se obtiveram
#    resultados semelhantes") and rerun section 3. Remember that `frozen(D)` must also keep D's
#    running statistics.
# 4. In section 5, replace the flat spectrum by one with only 50 non-zero variances. What happens
#    to the floor, and why (compare 50 with the rank 99)?
# 5. Compute lesson 16's cross-table with `N = 400` per set instead of 100. Which entries move
#    most, and does the ordering survive?

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
# # Lesson 15: DCGAN: convolutional GANs, the GAN hacks, and document 000's experiments
#
# **Objective.** Combine lessons 08–10 and 14: a generator made of transposed convolutions and
# a discriminator made of convolutions (a DCGAN), following the architecture rules of
# document 001 §4.3 and the DCGAN paper. You will work out every layer's size by hand, check
# a generator's gradients, and train a small DCGAN on real MNIST digits. Then you will go
# through the practical tips that documents 000 and 002 point to (the "ganhacks") and see
# where this course already follows each of them; see how LAPGAN, the GAN that came just
# before DCGAN, builds an image from coarse to fine with a Laplacian pyramid; and rerun, in
# miniature and with several seeds, the experiments that document 000 reports: removing the
# final tanh, average instead of max pooling in the discriminator, a weak discriminator, a
# discriminator made too strong by one more convolution, ReLU versus LeakyReLU in the
# generator, and a GAN without convolutions.
#
# Sources:
# - document 001 (Marques 2021) §4.3 "Redes Adversárias Generativas Convolucionais Profundas"
#   and §4.3.1 "Características da Rede"; §3.1.3 and §3.3 (the size formulas);
# - document 000 (Guimarães 2019) §2.4 (LAPGAN, and the DCGAN rules of Radford et al.), §3.2
#   "Código implementado" (generator "Versão 1" dense and "Versão 2" convolutional,
#   discriminator, §3.2.3 "Função de custo" with labels 0.9, §3.2.4 Adam with learning rate
#   $10^{-3}$ or $2 \cdot 10^{-4}$, noise $\mathcal{U}(-1, 1)$), §4 "Resultados" (§4 the
#   generator with LeakyReLU "muito a frente" of the discriminator, §4.1.2 without tanh,
#   §4.1.3 weak discriminator, §4.1.4 a discriminator with one more convolution, §4.1.5
#   without convolutions), and its citations of Chintala et al. (2016);
# - document 002 (AI2 slides): "Dicas Avançadas: https://github.com/soumith/ganhacks";
# - document 003 (Pereira n.d.) ch. 3 (the Keras MNIST GAN, Adam with learning rate
#   $2 \cdot 10^{-4}$ and $\beta_1 = 0.5$; "DCGAN"; "LAPGAN");
# - Chintala, Denton, Arjovsky & Mathieu (2016), *How to Train a GAN? Tips and tricks to make
#   GANs work* (the "ganhacks"); Denton, Chintala, Szlam & Fergus (2015), *Deep Generative
#   Image Models using a Laplacian Pyramid of Adversarial Networks* (LAPGAN).
#
# **Budget.** Every lesson runs in about a minute on a laptop's CPU, so everything here
# trains for a few hundred steps on small networks, and the digits you will see are rough.
# For a real run use the example script, e.g.
# `python examples/mnist_gan.py --model dcgan --steps 5000` (minutes), and read its samples
# and loss curves.

# %%
import textwrap
import time

import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck
from minigan.data import iterate_minibatches, load_digits8x8, load_mnist
from minigan.gan import GAN
from minigan.metrics import sample_quality
from minigan.models import anime_dcgan96, mnist_dcgan
from minigan.viz import grid_array, save_grid

from _course import FAST, OUT, save, show_saved, t  # lessons/_course.py

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The DCGAN rules, and what the documents say about them
#
# Radford, Metz & Chintala published DCGAN in November 2015 (arXiv) and at ICLR 2016, which is
# why document 003 dates it "(2015)" and document 001 §4.3 "Introduzida em 2016". Document 000
# §2.4 summarizes rules 1 and 4, and document 001 §4.3 mentions strided (transposed)
# convolutions, LeakyReLU and BatchNorm. The rules of the paper:
#
# 1. no pooling: **strided convolutions** in $D$, strided **transposed** convolutions
#    ("fractionally-strided") in $G$;
# 2. **batch normalization** in both networks (not on $G$'s output nor on $D$'s input);
# 3. no hidden fully connected layers (the first layer of $G$ is a projection and a reshape);
# 4. **ReLU** in $G$ with **tanh** at the output; **LeakyReLU** in $D$;
# 5. Adam with learning rate $2 \cdot 10^{-4}$ and $\beta_1 = 0.5$ (document 003 ch. 3 uses
#    the same).
#
# *Where the documents disagree with the rules or with themselves* (worth knowing, because
# you will meet such contradictions in papers too):
# - document 001 §4.3.1 describes $D$ with "convoluções contendo stride, padding **e
#   pooling**" and $G$ with "camadas **LeakyReLU** e Batch Normalization": the DCGAN paper
#   uses no pooling, and ReLU in $G$ (LeakyReLU only in $D$);
# - document 000's own discriminator keeps **max pooling** and a dense layer of 1 024: a
#   DCGAN-*inspired* design, not the paper's;
# - document 000 §3.2.2.2 says the pooling ends up "mostrando resultados melhores com average
#   pooling em relação a max pooling", but §4.1.3 lists "a utilização de average pooling no
#   lugar de max pooling" as a cause of a *weak* discriminator, and the final code uses max
#   pooling. The two statements contradict each other; we measure it below (section 7);
# - document 000 §3.2.1.2 announces "duas camadas de convolução transpostas" and then lists
#   three (and "Depois de três camadas de convolução"); it also says LeakyReLU in $G$ gave
#   better results, while §4 says that switching $G$ from ReLU to LeakyReLU made the
#   generator run away from the discriminator ("fez com que o gerador ficasse muito a frente
#   do discriminados [discriminador], fazendo o erro do gerador estabilizar muito rapidamente
#   em valores baixos"); its Appendix A.2 code has ReLU. Section 7 measures both;
# - document 000's training loop (Appendix A.2) has two slips. §3.2 says "Todas as versões
#   foram treinadas por até 500 épocas", but the listing loops `for epoca in range (5000)`
#   (and saves "A cada 500 epocas"): 5 000 epochs, or the text's 500, not both. And each
#   iteration draws **one** `batch_ruido` and feeds it to both `sess.run` calls, the
#   discriminator's and the generator's: $G$ is trained on the very noise whose fakes $D$ has
#   just been updated on. Algorithm 1 (document 001 §4.1, line 7) samples a *fresh* minibatch
#   of noise for the generator, and so does `minigan.gan.GAN` (`g_step` draws its own $z$).
#   The reuse is not wrong in expectation, but it correlates the two steps: $G$'s gradient is
#   taken exactly where $D$ was just pushed down.

# %% [markdown]
# ## 2. Every size by hand (from scratch)
#
# A convolution with filter size $f$, padding $p$ and stride $s$ turns $n$ pixels into
#
# $$
# n_{\text{out}} = \left\lfloor \frac{n + 2p - f}{s} \right\rfloor + 1
# \tag{001 §3.1.3}
# $$
#
# (document 001 prints the $+1$ inside the floor, a slip that lesson 08 discusses). A
# transposed convolution (lesson 09) goes the other way:
#
# $$
# n_{\text{out}} = (n - 1)\, s - 2p + f + \text{output\_padding}
# \tag{15.1}
# $$
#
# Document 001 §3.3 gives only the case $s = 1$, $p = 0$: "$n_h = c_h + f_h - 1$". With
# `padding="same"` a transposed convolution gives $n \cdot s$. A convolution and a transposed
# convolution from $C_{\text{in}}$ to $C_{\text{out}}$ channels both have
#
# $$
# (f \cdot f \cdot C_{\text{in}} + 1) \cdot C_{\text{out}}
# \tag{15.2}
# $$
#
# parameters (the weights and one bias per output channel); a Dense layer has
# $(n_{\text{in}} + 1)\, n_{\text{out}}$, a BatchNorm over $C$ channels $2C$ ($\gamma$ and
# $\beta$). We follow a sample through minigan's `mnist_dcgan` (document 001 §4.3 rules) and
# through document 000's 96x96 GAN (its TensorFlow code, `anime_dcgan96`), by formula, and
# compare with the layers.

# %%
conv_out = lambda n, f, s=1, p=0: (n + 2 * p - f) // s + 1
convT_out = lambda n, f, s=1, p=0, op=0: (n - 1) * s - 2 * p + f + op

# mnist_dcgan: G 7 -> 14 -> 28 with k=4, s=2, p=1; D 28 -> 14 -> 7
g_sizes = [7, convT_out(7, 4, 2, 1), convT_out(convT_out(7, 4, 2, 1), 4, 2, 1)]
d_sizes = [28, conv_out(28, 4, 2, 1), conv_out(conv_out(28, 4, 2, 1), 4, 2, 1)]
print(
    "mnist_dcgan  G:",
    " -> ".join(map(str, g_sizes)),
    "   D:",
    " -> ".join(map(str, d_sizes)),
)
G_mn, D_mn = mnist_dcgan(latent_dim=100)
assert G_mn.output_shape((100,)) == (1, 28, 28)
assert D_mn.output_shape((1, 28, 28)) == (1,)
convT_rows = [
    r for r in G_mn.summary((100,), print_fn=None) if "Conv2DTranspose" in r[0]
]
assert [r[1][-1] for r in convT_rows] == g_sizes[1:]

# document 000 (96x96): dense 24·24·64, ConvT 5x5 'same' with strides 1, 2, 2;
# D: conv 'same' + 2x2 max pool, twice
doc000_G = [24, 24 * 1, 24 * 1 * 2, 24 * 2 * 2]
doc000_D = [96, 96 // 2, 96 // 4]
print(
    "document 000  G:",
    " -> ".join(map(str, doc000_G)),
    "   D:",
    " -> ".join(map(str, doc000_D)),
    f"  flatten {doc000_D[-1]}·{doc000_D[-1]}·64 = {doc000_D[-1] ** 2 * 64}",
)
G_an, D_an = anime_dcgan96(latent_dim=100)
assert G_an.output_shape((100,)) == (1, 96, 96)
assert D_an.output_shape((1, 96, 96)) == (1,)

# parameter counts of mnist_dcgan by formula (15.2): Dense (n_in + 1)·n_out,
# Conv2DTranspose (f·f·C_in + 1)·C_out, BatchNorm 2·C (γ, β)
by_formula_G = [
    (100 + 1) * 128 * 7 * 7,
    2 * 128,
    (4 * 4 * 128 + 1) * 64,
    2 * 64,
    (4 * 4 * 64 + 1) * 1,
]
counted_G = [r[2] for r in G_mn.summary((100,), print_fn=None) if r[2] > 0]
print("mnist_dcgan G parameters per layer, by formula (15.2):", by_formula_G)
print("                          and by G.summary():", counted_G)
assert counted_G == by_formula_G

# %% [markdown]
# ## 3. Gradient check of a small generator
#
# A generator block is Dense → Reshape → BatchNorm → ReLU → Conv2DTranspose → Tanh. We check
# the whole chain in float64 (training mode: BatchNorm normalizes with the batch statistics,
# whose gradient is the tricky part) with a random upstream gradient.

# %%
tinyG = mg.Sequential(
    mg.Dense(3, 2 * 2 * 2),
    mg.Reshape(2, 2, 2),
    mg.BatchNorm(2),
    mg.ReLU(),
    mg.Conv2DTranspose(2, 1, 4, stride=2, padding=1),
    mg.Tanh(),
)
errs = gradcheck.check_module(tinyG, rng.standard_normal((4, 3)))
print("tiny generator, relative error of each gradient:")
for k, v in errs.items():
    print(f"  {k:<8} {v:.1e}")
assert max(errs.values()) < 1e-6

# %% [markdown]
# ## 4. A small DCGAN on real MNIST digits
#
# `minigan.models.mnist_dcgan` is the full-size model, too slow to train inside a lesson on
# a CPU. We build the same shape at a quarter of the width: $G$: $z$ (32) → $32 \cdot 7 \cdot 7$
# → BatchNorm → ReLU → ConvT(32→16, 4, stride 2, padding 1) 14x14 → BatchNorm → ReLU →
# ConvT(16→1) 28x28 → tanh; $D$: Conv(1→16, 4, stride 2, padding 1) 14x14 → LeakyReLU →
# Conv(16→32) 7x7 → BatchNorm → LeakyReLU → Dense → logit. It is trained with
# `minigan.gan.GAN` (Algorithm 1, non-saturating loss, Adam with $\beta_1 = 0.5$) on the
# 4 000 training digits, at document 000's learning rate $10^{-3}$ (faster than
# $2 \cdot 10^{-4}$ for a short run). We judge the samples with minigan's MNIST classifier
# (`minigan.metrics.sample_quality`, lesson 16): the share of samples it classifies with at
# least 90 % confidence, and how many digit classes those reach.


# %%
def small_dcgan(z_dim=32, c=16):
    G = mg.Sequential(
        mg.Dense(z_dim, 2 * c * 7 * 7),
        mg.Reshape(2 * c, 7, 7),
        mg.BatchNorm(2 * c),
        mg.ReLU(),
        mg.Conv2DTranspose(2 * c, c, 4, stride=2, padding=1),
        mg.BatchNorm(c),
        mg.ReLU(),
        mg.Conv2DTranspose(c, 1, 4, stride=2, padding=1),
        mg.Tanh(),
    )
    D = mg.Sequential(
        mg.Conv2D(1, c, 4, stride=2, padding=1),
        mg.LeakyReLU(0.2),
        mg.Conv2D(c, 2 * c, 4, stride=2, padding=1),
        mg.BatchNorm(2 * c),
        mg.LeakyReLU(0.2),
        mg.Flatten(),
        mg.Dense(2 * c * 7 * 7, 1),
    )
    return G, D


X28, _ = load_mnist(split="train")
X28_test, y28_test = load_mnist(split="test")
DC_STEPS = 20 if FAST else 600
mg.manual_seed(0)
G28, D28 = small_dcgan()
gan28 = GAN(G28, D28, latent_dim=32, lr=1e-3, beta1=0.5, seed=0)
z_fixed = gan28.fixed_noise(100)
t0 = time.perf_counter()
gan28.fit(X28, DC_STEPS, batch_size=64)
after = gan28.sample(z=z_fixed)
q28 = sample_quality(after)
q_real = sample_quality(X28_test[:100])
print(
    f"small DCGAN, {DC_STEPS} steps ({time.perf_counter() - t0:.0f} s): "
    f"confident share {q28['confident_share']:.0%}, "
    f"classes reached {q28['mode_count']}/10"
)
print(f"  histogram of the digits read in the samples: {q28['histogram']}")
print(
    f"for comparison, 100 real held-out digits: confident share "
    f"{q_real['confident_share']:.0%}, classes reached {q_real['mode_count']}/10"
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "100 samples of the small DCGAN after training, from a fixed set of noise vectors. Compare them with the printed confident share: the classifier reads a digit with confidence only in the clearer ones.", "name": "fig-15-dcgan-samples"}}
show_saved(
    save_grid(
        after,
        OUT / "15_dcgan_mnist_samples.png",
        nrow=10,
        title=t("small DCGAN, {n} steps", n=DC_STEPS),
    )
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The small DCGAN's training curves (moving averages). Left: the generator's loss g and the discriminator's losses on real and fake batches. Right: the discriminator's mean output on real and on fake batches; one half is the optimal discriminator when the generator matches the data.", "name": "fig-15-dcgan-losses"}}
h28 = gan28.history
win = max(1, len(h28["g"]) // 30)
smooth = lambda v: np.convolve(v, np.ones(win) / win, mode="valid")
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for key, label in (
    ("g", t("g (generator)")),
    ("d_real", "d_real"),
    ("d_fake", "d_fake"),
):
    axes[0].plot(smooth(h28[key]), label=label)
axes[0].set_xlabel(t("step"))
axes[0].set_ylabel(t("loss (BCE)"))
axes[0].set_title(t("Losses"))
axes[0].legend(fontsize=10)
axes[1].plot(smooth(h28["d_x"]), label=t("mean D(x), real"))
axes[1].plot(smooth(h28["d_g_z"]), label=t("mean D(G(z)), fake"))
axes[1].axhline(0.5, color="gray", ls="--", lw=1)
axes[1].set_ylim(0, 1)
axes[1].set_xlabel(t("step"))
axes[1].set_title(t("Discriminator outputs"))
axes[1].legend(fontsize=10)
fig.tight_layout()
save(fig, "15_dcgan_mnist_losses.png", dpi=100)

# %% [markdown]
# As document 001 §6.4 warns, the curves only show that training stayed stable (no loss ran
# off to zero or to infinity); whether the generator learned the digits is what the samples
# and the classifier's numbers say (and, better, the FID of lesson 16).
#
# ## 5. The GAN hacks
#
# Training GANs was, and is, fiddly. Document 002 ends with "Dicas Avançadas:
# https://github.com/soumith/ganhacks", and document 000 cites the same list (Chintala,
# Denton, Arjovsky & Mathieu 2016, "How to Train a GAN? Tips and tricks to make GANs work")
# four times: for batch normalization in the generator, "que ajuda a manter os valores
# estáveis nos neurônios" (§3.2.1.2); for average pooling in the discriminator, "como
# alertado por (CHINTALA et al., 2016)" (§3.2.2.2); for Adam (§3.2.4); and for its way of
# working, "seguindo as instruções dos artigos de referência" (§4). The list has 17 tips. They
# are rules of thumb from 2016, not theorems (the list itself now opens with "this list is no
# longer maintained, and I am not sure how relevant it is in 2020"), but most of them are
# built into this course. Here is each tip, and where we meet it:
#
# | # | the tip (Chintala et al. 2016) | in this course |
# |---|---|---|
# | 1 | Normalize the images to $[-1, 1]$; tanh as the generator's last layer. | `load_mnist` and `load_digits8x8` return pixels in $[-1, 1]$, as document 000 §3.1.2 (`imagens_batch * 2 - 1`) and document 003 (`(x_train - 127.5) / 127.5`) do; every generator here ends in `Tanh`. Section 7's "no final tanh" row shows what happens without it. |
# | 2 | A modified loss: $\max \log D$ instead of $\min \log(1 - D)$; "flip labels when training generator". | The non-saturating loss of lesson 14, section 4: `GAN(g_loss="non-saturating")`, the default. Labelling the fakes "real" in the generator step is the same thing. |
# | 3 | A spherical $z$: sample it from a Gaussian, not a uniform; interpolate along great circles. | `GAN(noise="normal")` is the default (document 001 §6.2.2, document 003). Document 000 draws $\mathcal{U}(-1, 1)$, and section 7 follows it (`noise="uniform"`). Interpolation: lesson 18, exercise 4. |
# | 4 | BatchNorm: mini-batches of only real or only fake images. | `GAN.d_step` runs $D$ on the real batch and on the fake batch in two separate forward passes, so section 4's $D$ normalizes each with its own statistics (checked below). |
# | 5 | Avoid sparse gradients (ReLU, max pooling): LeakyReLU in $G$ and $D$; average pooling or strided convolutions to go down; strided transposed convolutions to go up. | LeakyReLU in every $D$ here; strided convolutions in section 4's $D$; strided transposed convolutions in every $G$. Document 000 cites this tip for average pooling but keeps max pooling in its code; section 7 measures both, and ReLU against LeakyReLU in $G$. |
# | 6 | Soft and noisy labels: real targets drawn in $[0.7, 1.2]$, fake ones in $[0, 0.3]$; now and then flip the discriminator's labels. | One-sided label smoothing, `GAN(real_label=0.9)`, as in document 000 §3.2.3, in section 7. Random and flipped labels are not in minigan (exercise 6). |
# | 7 | Use a DCGAN when you can; otherwise a hybrid such as VAE + GAN. | This lesson. |
# | 8 | Stability tricks from reinforcement learning: replay old fakes, swap in old checkpoints. | Not in minigan. |
# | 9 | Use Adam (or SGD for $D$ and Adam for $G$). | Adam with learning rate $2 \cdot 10^{-4}$ and $\beta_1 = 0.5$ is `GAN`'s default (document 003 ch. 3; document 000 §3.2.4). `GAN(d_opt=...)` takes any optimizer (exercise 6). |
# | 10 | Track failures early: $D$'s loss going to 0, gradient norms over 100, a generator loss that falls steadily. | `gan.history` keeps `d`, `g`, `d_x` and `d_g_z` at every step (the curves of section 4); section 7 prints the last quarter's `g` and `d`; `fit` stops a run whose losses become NaN or infinite. |
# | 11 | Do not balance $G$ and $D$ with a schedule driven by the losses (unless you have a principled reason). | Algorithm 1's $k$ (lesson 14) is a fixed schedule, not one driven by the losses. |
# | 12 | If you have labels, use them (an auxiliary classifier in $D$). | Lesson 18's conditional GAN gives the label to both networks; the auxiliary classifier is not in minigan. |
# | 13 | Add noise to the discriminator's inputs, and let it decay over training. | Not in minigan. |
# | 14 | (not sure) Train the discriminator more, sometimes. | Algorithm 1's $k$, lesson 14, section 5. |
# | 15 | (not sure) Batch discrimination. | Not in minigan. |
# | 16 | Discrete variables in conditional GANs: an embedding layer, added as extra image channels. | Lesson 18: `minigan.Embedding` and the label map of a convolutional $D$. |
# | 17 | Dropout in $G$, at training and at test time. | Not used here; document 000 puts Dropout in $D$, not in $G$. |
#
# Tip 4 is easy to check, and easy to get wrong in a hand-written loop that feeds $D$ one
# batch made of reals and fakes together. Section 4's $D$ has a BatchNorm layer; in training
# mode its output for a real image depends on the rest of the batch. `GAN.d_step` reports the
# mean of $D(x)$ on the real batch from the real-only pass, and we compare it with both ways.

# %%
xb = X28[:64]
zb = gan28.sample_noise(64)
fakes_b = gan28.G(zb)  # G in training mode, as in d_step
sig = lambda a: 1.0 / (1.0 + np.exp(-a))
d_alone = float(sig(D28(xb)).mean())  # the reals alone, in training mode
d_mixed = float(sig(D28(np.concatenate([xb, fakes_b]))[:64]).mean())  # one mixed batch
print(
    f"mean D(x), 64 real digits: in a real-only batch {d_alone:.3f}, "
    f"mixed with 64 fakes {d_mixed:.3f}"
)
gan28.sample_noise = lambda n: zb  # the same noise, so that d_step sees the same fakes
stats = gan28.d_step(xb)  # (one more update of D: harmless here, training is over)
del gan28.sample_noise
print(f"GAN.d_step reports mean D(x) = {float(stats['d_x']):.3f}: the real-only pass")
assert abs(float(stats["d_x"]) - d_alone) < 1e-5

# %% [markdown]
# ## 6. LAPGAN: a pyramid of GANs
#
# Before DCGAN, Denton, Chintala, Szlam & Fergus (2015) made GANs produce sharper images by
# splitting the work between several GANs, from coarse to fine. Document 003 ch. 3: "LAPGAN:
# apresentado por Denton *et al.* (2015), mostra que uma série de GANs condicionais podem ser
# treinadas para gerar uma imagem inicial de baixa resolução, e então, adicionar detalhes a
# essa imagem de forma incremental." Document 000 §2.4 tells the story: "A pesquisadora
# Emily Denton, junto com a Facebook AI, usou um método para tentar gerar imagens mais
# nítidas, aplicando um método chamado Laplacian Pyramid (DENTON et al., 2015). Em seu paper,
# observam-se resultados realmente mais nítidos, mas ainda há o problema de aparecerem um
# pouco tremidas qualitativamente."
#
# **The Laplacian pyramid** (Burt & Adelson 1983). Let $d$ blur an image and keep every
# second pixel in each direction (28x28 → 14x14), and $u$ do the reverse: spread the pixels
# out to twice the size and blur again. Starting from $I_0 = I$, the *Gaussian pyramid* is
# $I_{k+1} = d(I_k)$, and the *Laplacian pyramid* keeps, at each scale, what the coarser
# scale cannot explain:
#
# $$
# h_k = I_k - u(I_{k+1}), \qquad k = 0, \dots, K - 1, \qquad h_K = I_K
# \tag{Denton 2015a}
# $$
#
# The $h_k$ are high-frequency residuals: edges, mostly zero elsewhere. The pyramid loses
# nothing, because the image comes back exactly from the coarsest level up:
#
# $$
# I_k = u(I_{k+1}) + h_k
# \tag{Denton 2015b}
# $$
#
# **LAPGAN** replaces every $h_k$ by the output of a GAN. An ordinary GAN $G_K$ draws the
# small image $\tilde{I}_K$; then, at each finer scale, a *conditional* GAN (lesson 18)
# draws the residual, given the upsampled coarser image:
#
# $$
# \tilde{I}_K = G_K(z_K), \qquad
# \tilde{I}_k = u(\tilde{I}_{k+1}) + G_k\left(z_k,\, u(\tilde{I}_{k+1})\right)
# \tag{Denton 2015c}
# $$
#
# Each $G_k$ is trained against its own $D_k$, which sees a residual together with the
# upsampled coarse image and must tell real residuals $h_k$ from generated ones. No network
# has to produce a whole sharp image at once: each learns one band of detail. Below, the
# pyramid of a real MNIST digit in NumPy (no training): $d$ and $u$ with the 5-tap binomial
# filter $\tfrac{1}{16}(1, 4, 6, 4, 1)$, a small approximation of a Gaussian (lesson 08's
# blur).

# %%
K5 = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16


def blur(img, k=K5):
    """Separable convolution with k along rows and columns, reflecting at the edges."""
    p = len(k) // 2
    out = np.pad(img, p, mode="reflect")
    out = np.apply_along_axis(np.convolve, 1, out, k, mode="valid")
    return np.apply_along_axis(np.convolve, 0, out, k, mode="valid")


def down(img):  # d: blur, then keep every second pixel
    return blur(img)[::2, ::2]


def up(img):  # u: put the pixels on a grid twice as fine, fill it in by blurring
    big = np.zeros((2 * img.shape[0], 2 * img.shape[1]))
    big[::2, ::2] = img
    return blur(big, 2 * K5)  # 2x the filter: a quarter of the pixels are non-zero


I0 = X28_test[np.flatnonzero(y28_test == 7)[0], 0].astype(np.float64)
I1 = down(I0)
I2 = down(I1)
h0, h1 = I0 - up(I1), I1 - up(I2)  # (Denton 2015a)
rebuilt = up(up(I2) + h1) + h0  # (Denton 2015b), twice
print(f"Gaussian pyramid {I0.shape} -> {I1.shape} -> {I2.shape}")
print(f"rebuilt from (I2, h1, h0): max |error| {np.abs(rebuilt - I0).max():.1e}")
ink = (I0 > -0.5).mean()  # the share of the 28x28 pixels that the stroke covers
print(
    f"pixels where |h| > 0.1: h1 {(np.abs(h1) > 0.1).mean():.0%} of 14x14, "
    f"h0 {(np.abs(h0) > 0.1).mean():.0%} of 28x28 (the stroke covers {ink:.0%})"
)
assert np.allclose(rebuilt, I0)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The Laplacian pyramid of an MNIST digit, read as LAPGAN generates: the 7x7 image is upsampled and a residual is added (top, giving the 14x14 image), and again (bottom, giving the 28x28 image). Residuals are drawn in red (positive) and blue (negative); in LAPGAN each of them is drawn by its own conditional GAN.", "name": "fig-15-laplacian-pyramid"}}
fig, axes = plt.subplots(2, 4, figsize=(11, 6))
panels = [
    (I2, t("$I_2$, 7x7: drawn by $G_2$")),
    (up(I2), "$u(I_2)$, 14x14"),
    (h1, t("$h_1$: drawn by $G_1$")),
    (I1, "$I_1 = u(I_2) + h_1$"),
    (I1, "$I_1$, 14x14"),
    (up(I1), "$u(I_1)$, 28x28"),
    (h0, t("$h_0$: drawn by $G_0$")),
    (I0, "$I_0 = u(I_1) + h_0$"),
]
for ax, (img, title) in zip(axes.ravel(), panels):
    residual = title.startswith("$h")
    ax.imshow(img, cmap="RdBu_r" if residual else "gray", vmin=-1, vmax=1)
    ax.set_title(title, fontsize=11)
    ax.axis("off")
fig.tight_layout()
save(fig, "15_laplacian_pyramid.png", dpi=90)

# %% [markdown]
# In the figure, the residuals are bands along the edges of the stroke and nearly zero
# everywhere else (the printed shares count the pixels where they are not small): each $G_k$
# has a simpler job than a generator that must draw the whole image. DCGAN (section 1) made the pyramid unnecessary
# for small images: one convolutional generator, trained with the right rules, was enough.
# The coarse-to-fine idea came back in 2018 in the progressive GANs of Karras et al., which
# grow one generator from 4x4 to 1024x1024.
#
# ## 7. Document 000's experiments, in miniature
#
# Document 000 trained 96x96 faces for hundreds of epochs; we use scikit-learn's 1 797 8x8
# digits so that seven GANs fit in a few seconds each. Its final setup, scaled down, is our
# **baseline**: $G$ = dense → BatchNorm → LeakyReLU → two ConvT(4, stride 2) → tanh
# (2 → 4 → 8), with the LeakyReLU of the §3.2.1.2 listing (the Appendix A.2 code has ReLU:
# that is the "G with ReLU" row); $D$ = two {Conv 3x3 "same" → LeakyReLU → **max pool** 2x2},
# dense 64 → LeakyReLU → Dropout 0.2 → logit; noise $\mathcal{U}(-1, 1)$, real labels 0.9
# (one-sided label smoothing), Adam with learning rate $10^{-3}$ (document 000) and
# $\beta_1 = 0.5$ (Radford et al.; document 000 keeps TensorFlow's default 0.9). The variants:
#
# - **no tanh** (§4.1.2: "um pouco mais borrados … não se tinha a função de ativação final da
#   tangente hiperbólica para normalizar as imagens");
# - **average pooling** in $D$ instead of max (§3.2.2.2 against §4.1.3, see section 1);
# - **weak D** (§4.1.3: average pooling and no LeakyReLU "atrasou o treinamento"; we also
#   give it only 4 filters): does $G$ still cover all digits?
# - **strong D** (§4.1.4 "Casos em que o gerador é fraco": "ao adicionar mais uma camada de
#   convolução no discriminador", the generator "gerava apenas ruído durante todo o
#   treinamento"): the baseline $D$ with a third Conv 3x3 (64 filters) → LeakyReLU before the
#   dense layer;
# - **G with ReLU** (document 000's Appendix A.2 code; §4: going from ReLU to LeakyReLU in $G$
#   "fez com que o gerador ficasse muito a frente" of the discriminator): the baseline is the
#   LeakyReLU $G$, so this row is the *other* side of that switch;
# - **dense only** (§3.2.1.1, §3.2.2.1, §4.1.5: "borrados e ruidosos").
#
# To score 8x8 samples we first train a small 8x8-digit classifier (a `Dense` network, its
# held-out accuracy printed). Then, for 500 samples of each GAN, we report: the share it
# classifies with at least 90 % confidence, the number of classes among those, and the
# share of pixels outside $[-1, 1]$ (impossible for a real image). To see who is ahead in
# the game, the table also gives the generator's loss `g` and the discriminator's `d`
# (lesson 14's history keys), each averaged over the last quarter of the steps. A generator
# that runs ahead has a low `g` and a high `d` (`d` near $\log 2 \approx 0.69$ or above: $D$
# can no longer tell); a discriminator that wins has a low `d` and a high `g`. Each variant
# is trained with several seeds (one in fast mode), because with a few hundred steps the
# difference between two seeds of the same variant can be as large as the difference
# between two variants.

# %%
X8, y8 = load_digits8x8()
perm = rng.permutation(len(X8))
tr8, te8 = perm[:1400], perm[1400:]
clf8 = mg.Sequential(mg.Flatten(), mg.Dense(64, 64), mg.ReLU(), mg.Dense(64, 10))
opt8, ce8 = mg.Adam(clf8.parameters(), lr=3e-3), mg.CrossEntropyLoss()
for _epoch in range(30):
    for idx in iterate_minibatches(len(tr8), 64, rng):
        ce8(clf8(X8[tr8][idx]), y8[tr8][idx])
        opt8.zero_grad()
        clf8.backward(ce8.backward())
        opt8.step()
clf8.eval()
acc8 = (clf8(X8[te8]).argmax(1) == y8[te8]).mean()
print(f"8x8 classifier held-out accuracy: {acc8:.1%}")


def score8(samples):
    z = clf8(samples)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    conf = p.max(axis=1) >= 0.9
    return dict(
        confident=float(conf.mean()),
        classes=int(np.unique(p.argmax(axis=1)[conf]).size),
        out_of_range=float((np.abs(samples) > 1).mean()),
    )


Z8 = 32


def G_conv(tanh=True, act=lambda: mg.LeakyReLU(0.2)):
    layers = [
        mg.Dense(Z8, 32 * 2 * 2),
        mg.Reshape(32, 2, 2),
        mg.BatchNorm(32),
        act(),
        mg.Conv2DTranspose(32, 16, 4, stride=2, padding=1),
        mg.BatchNorm(16),
        act(),
        mg.Conv2DTranspose(16, 1, 4, stride=2, padding=1),
    ]
    return mg.Sequential(*(layers + [mg.Tanh()] if tanh else layers))


def D_conv(pool=mg.MaxPool2D, act=lambda: mg.LeakyReLU(0.2), c=16, extra_conv=False):
    layers = [
        mg.Conv2D(1, c, 3, padding="same"),
        act(),
        pool(2),
        mg.Conv2D(c, 2 * c, 3, padding="same"),
        act(),
        pool(2),
    ]
    out_c = 2 * c
    if extra_conv:  # document 000 §4.1.4: "mais uma camada de convolução"
        layers += [mg.Conv2D(2 * c, 4 * c, 3, padding="same"), act()]
        out_c = 4 * c
    # Dropout draws its masks from its own generator (mg.manual_seed does not reach
    # it): seed it, or the table below changes from run to run.
    return mg.Sequential(
        *layers,
        mg.Flatten(),
        mg.Dense(out_c * 2 * 2, 64),
        mg.LeakyReLU(0.2),
        mg.Dropout(0.2, seed=0),
        mg.Dense(64, 1),
    )


def G_dense():  # document 000 §3.2.1.1 "Versão 1", scaled down: dense ReLU, tanh output
    return mg.Sequential(
        mg.Dense(Z8, 128),
        mg.ReLU(),
        mg.Dense(128, 128),
        mg.ReLU(),
        mg.Dense(128, 64),
        mg.Tanh(),
        mg.Reshape(1, 8, 8),
    )


def D_dense():
    return mg.Sequential(
        mg.Flatten(), mg.Dense(64, 128), mg.LeakyReLU(0.2), mg.Dense(128, 1)
    )


variants = {
    "baseline (doc 000 final)": lambda: (G_conv(), D_conv()),
    "no final tanh (§4.1.2)": lambda: (G_conv(tanh=False), D_conv()),
    "average pooling in D": lambda: (G_conv(), D_conv(pool=mg.AvgPool2D)),
    "weak D (§4.1.3)": lambda: (G_conv(), D_conv(pool=mg.AvgPool2D, act=mg.ReLU, c=4)),
    "strong D: +1 conv (§4.1.4)": lambda: (G_conv(), D_conv(extra_conv=True)),
    "G with ReLU (App. A.2; §4)": lambda: (G_conv(act=mg.ReLU), D_conv()),
    "dense only (§4.1.5)": lambda: (G_dense(), D_dense()),
}
V_STEPS = 30 if FAST else 300
SEEDS = [0] if FAST else [0, 1, 2]
z8 = np.random.default_rng(123).uniform(-1, 1, (500, Z8)).astype(np.float32)
results8 = {}
print(
    f"{'variant':<26} {'seed':>4} {'confident':>9} {'classes':>7} {'|x|>1':>6} "
    f"{'g':>5} {'d':>5}  time"
)
for name, build in variants.items():
    for seed in SEEDS:
        mg.manual_seed(seed)
        G, D = build()
        gan = GAN(
            G,
            D,
            latent_dim=Z8,
            k=1,
            real_label=0.9,
            noise="uniform",
            lr=1e-3,
            beta1=0.5,
            seed=seed,
        )
        t0 = time.perf_counter()
        gan.fit(X8, V_STEPS, batch_size=64)
        samples = mg.as_numpy(gan.sample(z=z8))
        sc = score8(samples)
        h = gan.history  # the last quarter of the steps: who is ahead at the end
        sc.update(
            g=float(np.mean(h["g"][-V_STEPS // 4 :])),
            d=float(np.mean(h["d"][-V_STEPS // 4 :])),
        )
        results8[(name, seed)] = dict(samples=samples, **sc)
        print(
            f"{name:<26} {seed:>4} {sc['confident']:>9.0%} {sc['classes']:>7} "
            f"{sc['out_of_range']:>6.0%} {sc['g']:>5.2f} {sc['d']:>5.2f}  "
            f"{time.perf_counter() - t0:.1f} s"
        )
real_sc = score8(X8[te8])
print(
    f"{'real 8x8 digits (held out)':<26} {'':>4} {real_sc['confident']:>9.0%} "
    f"{real_sc['classes']:>7} {real_sc['out_of_range']:>6.0%}"
)

# %% [markdown]
# The same numbers per variant, over the seeds: the mean, and in brackets the lowest and the
# highest value.


# %%
def span(vals, fmt):
    """mean [lowest–highest] of vals."""
    return f"{fmt(np.mean(vals))} [{fmt(min(vals))}–{fmt(max(vals))}]"


pct = lambda v: f"{100 * v:.0f}"
two = lambda v: f"{v:.2f}"
print(f"{'variant':<26}{'confident %':>12}{'classes':>8}{'|x|>1':>6}{'g':>17}{'d':>17}")
for name in variants:
    rs = [results8[(name, s)] for s in SEEDS]
    classes = [r["classes"] for r in rs]
    print(
        f"{name:<26}{span([r['confident'] for r in rs], pct):>12}"
        f"{min(classes):>5}–{max(classes):<2}"
        f"{pct(np.mean([r['out_of_range'] for r in rs])):>5}%"
        f"{span([r['g'] for r in rs], two):>17}{span([r['d'] for r in rs], two):>17}"
    )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "24 samples of each variant of document 000's experiments (seed 0), next to real 8x8 digits. Samples are clipped to [-1, 1] for display, which hides the out-of-range pixels of the no-tanh variant: the table's |x|>1 column shows them.", "name": "fig-15-doc000-experiments"}}
fig, axes = plt.subplots(2, 4, figsize=(12, 5.4))
rows = [(t("real 8x8 digits"), X8[te8][:24], real_sc)] + [
    (t(name), results8[(name, SEEDS[0])]["samples"][:24], results8[(name, SEEDS[0])])
    for name in variants  # t(name): lessons/locale/pt_BR/15.json has every variant name
]
for ax, (name, imgs, sc) in zip(axes.ravel(), rows):
    ax.imshow(grid_array(np.clip(imgs, -1, 1), nrow=6), cmap="gray")
    ax.set_title(
        name
        + "\n"
        + t("confident {c:.0%}, {n} classes", c=sc["confident"], n=sc["classes"]),
        fontsize=10,
    )
    ax.axis("off")
fig.tight_layout()
save(fig, "15_doc000_experiments.png", dpi=90)

# %% [markdown]
# ## What to look for
#
# Compare each variant's rows with the baseline's, seed by seed, and always against the
# spread between seeds of the same variant (the brackets of the second table): a difference
# smaller than that spread is noise at this scale. Where we say what the full run showed,
# we mean one run of this lesson (300 steps, seeds 0, 1 and 2); yours may differ in the
# details.
#
# - **no tanh**: nothing keeps the generator's pixels in $[-1, 1]$, and a sizeable share of
#   them leaves it: the $|x| > 1$ column (more than a quarter of the pixels in the full run).
#   This is what document 000 meant by "normalizar as imagens". The picture is clipped for
#   display, which hides it; the number does not.
# - **average vs max pooling**: compare the two rows. Document 000 says both that average
#   pooling gave better results (§3.2.2.2) and that it made the discriminator weak (§4.1.3).
#   Look at the confident share and at `d`. In the full run the samples scored the same as
#   the baseline's, while `d` was higher (closer to $\log 2$) and `g` lower in every seed:
#   a somewhat weaker discriminator, as §4.1.3 says, but no better samples, as §3.2.2.2
#   claims.
# - **weak D**: a discriminator that learns little gives the generator little direction.
#   Watch the number of classes reached and `d`: at $\log 2 \approx 0.69$, $D$ cannot tell
#   reals from fakes at all. In the full run this row lost classes in every seed.
# - **strong D** (§4.1.4): does the extra convolution put $D$ ahead? Then its `g` is above
#   the baseline's and its `d` below, seed by seed. And does $G$ then "gerar apenas ruído"?
#   Look at the confident share and the classes against the baseline's spread. In the full
#   run the direction of §4.1.4 showed up in every seed (higher `g`, lower `d`), its outcome
#   did not: the samples stayed within the baseline's spread. At this scale (8x8 digits, a
#   2x2 map under the third convolution, a few hundred steps) one more layer shifts the
#   balance without starving $G$ of gradient; document 000's 96x96 discriminator with a dense
#   layer of 1 024 had far more room to win.
# - **G with ReLU** against the LeakyReLU baseline (document 000 §4: LeakyReLU in $G$ made it
#   run "muito a frente" of the discriminator, its loss settling low): if LeakyReLU ran
#   ahead, the baseline's `g` would be clearly lower than this row's, seed by seed. In the
#   full run it was lower in two seeds and equal in the third, and the brackets overlapped:
#   a hint in the direction of document 000, not a result. Document 000 reports the effect
#   from 96x96 runs of hundreds of epochs, which a lesson cannot repeat (more seeds:
#   `SEEDS = [0, 1, 2, 3, 4]`).
# - **dense only**: look at the classes column before the confident share. A generator that
#   draws one digit very well can score a high confident share with a single class: that is
#   complete mode collapse (lesson 14), and the figure shows it as rows of the same blob. In
#   the full run this row reached one or two classes in every seed, with confident shares
#   from almost nothing to most of the samples. It is also much cheaper per step, so try
#   giving it 10 times the steps (exercise 3).
#
# ## Moving to PyTorch
#
# The small DCGAN trained in section 4 is a PyTorch model in one line: `to_torch(G28)` builds
# the same `torch.nn.Sequential` (Linear, Unflatten, BatchNorm2d, ReLU, ConvTranspose2d, ...)
# with the same weights and running statistics, so its samples are the same numbers. From
# there training can go on in PyTorch, e.g. with `DistributedDataParallel` on many GPUs. The
# other way, `from_torch` loads a PyTorch-trained DCGAN into minigan to look inside its layers
# (`G[0].W.data`, `G[2].running_mean`, the activations of `G[:4](z)`). The weights also travel
# as a `.safetensors` file with PyTorch's names (`minigan.interop.save_safetensors`), which
# `torch_model.load_state_dict(safetensors.torch.load_file(path))` reads without minigan.
# This cell needs PyTorch (`pip install torch`) and says so when it is missing.
#
# **When to move.** `examples/train_ddp.py` trains this course's GANs under PyTorch's
# `DistributedDataParallel`: $N$ processes each take $1/N$ of the batch, and one all-reduce
# per backward pass averages their gradients (`python examples/train_ddp.py --world-size 2`).
# On a 2-core computer that does not pay. Measured with no other program running, the dense
# GAN took 44.4 steps per second in one process and 17.9 in two: the two processes share
# the same two cores and add the all-reduces. It pays when each process has hardware of its
# own, a GPU or a machine, and a step's computation dwarfs its communication (document
# 001's 64x64 DCGAN, document 000's 96x96 faces). So learn the equations here, and move
# when a run you need takes hours, not minutes: the weights, the BatchNorm statistics and
# Adam's state cross over and come back bit for bit.

# %%
try:
    import torch
    from minigan.interop import from_torch, to_torch
except ImportError:
    print("PyTorch is not installed: pip install torch to run this cell")
else:
    G28.eval()
    tG28 = to_torch(G28)
    with torch.no_grad():
        torch_samples = tG28(torch.from_numpy(z_fixed)).numpy()
    names = ", ".join(type(m).__name__ for m in tG28)
    print("PyTorch layers:", textwrap.fill(names, 70, subsequent_indent="  "))
    diff = np.abs(G28(z_fixed) - torch_samples).max()
    print(f"minigan vs PyTorch samples: max |difference| = {diff:.1e} (float32)")
    back = from_torch(tG28)
    same = all(
        np.array_equal(a, b)
        for a, b in zip(G28.state_dict().values(), back.state_dict().values())
    )
    print("minigan -> PyTorch -> minigan keeps every weight bit for bit:", same)
    assert same and np.allclose(G28(z_fixed), torch_samples, atol=1e-5)
    G28.train()

# %% [markdown]
# ## Exercises
#
# 1. Train the small 28x28 DCGAN with learning rate $2 \cdot 10^{-4}$ (document 003, Radford
#    et al.) instead of $10^{-3}$ for the same number of steps. Which is better *at this
#    budget*, and why might $2 \cdot 10^{-4}$ still be the better choice for a long run?
# 2. Replace `LeakyReLU` by `ReLU` in the baseline $D$ (document 000 §4.1.3: "a não
#    utilização do leaky ReLU atrasou o treinamento" of the discriminator). Then make the
#    "strong D" row stronger still (a fourth convolution, 32 filters in the first): at what
#    point does $G$ produce only noise, as in §4.1.4?
# 3. Give the dense-only GAN 4 000 steps (it is about 10 times cheaper per step). Does it
#    catch up?
# 4. Remove the one-sided label smoothing (`real_label=1.0`). Derive $D^*$ with smoothing
#    (lesson 14's lemma with the target 0.9) and explain what it does to the generator's
#    gradient.
# 5. Run `python examples/mnist_gan.py --model dcgan --steps 5000` and compare its
#    `sample_quality` with section 4's.
# 6. Two ganhacks that minigan does not build in. (a) Noisy labels: subclass `GAN` so that
#    `d_step` flips 5 % of the discriminator's targets, and run the baseline of section 7
#    with it. (b) "SGD for discriminator and ADAM for generator": pass
#    `d_opt=mg.SGD(D.parameters(), lr=...)`. Does either change the table?
# 7. Build the pyramid of section 6 one level deeper (28 → 14 → 7 → 4 needs a size that
#    halves evenly: pad the digit to 32x32 first). How much of the digit can you still
#    recognize in $I_3$? Which residual carries most of the energy?

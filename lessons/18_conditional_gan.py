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
# # Lesson 18: The conditional GAN: "draw me a 7"
#
# **Objective.** Make a GAN take requests. Document 001 §6.4 trains one GAN per class (NORMAL
# and PNEUMONIA X-rays; lesson 16 did the same with two digits), and document 003 ch. 3
# points to the way out: the *conditional* GAN of Mirza & Osindero (2014), which gives the
# class label to both networks. You will write the two pieces the engine needs, an
# **embedding** (a label becomes a vector) and a **join** (the vector meets the noise, or the
# image), from scratch, forward and backward. You will check them against `minigan.Embedding`,
# `minigan.Concat` and `minigan.Conditional` and against finite differences, and then train a
# conditional GAN on the ring of Gaussians of lesson 14, where asking for mode $y$ must put
# the samples on mode $y$.
#
# Sources:
# - document 003 (Pereira n.d.) ch. 3, "Existem tipos especiais de GAN": "GAN Condicional
#   (*Conditional GAN*): apresentado por Mirza e Osindero (2014), esse tipo de GAN se
#   utiliza, também, dos rótulos das classes, a fim de gerar imagens de uma classe
#   específica";
# - document 001 (Marques 2021) §6.4 ("Foram treinadas duas GANs, uma para cada classe") and
#   §4.1 (the value function and Algorithm 1, which we extend);
# - document 001 §2.6 and §2.9 (a Dense layer and its gradients: the embedding is one);
# - Mirza & Osindero, *Conditional Generative Adversarial Nets*, arXiv:1411.1784 (2014).
#
# *A gap in the documents.* Document 003 names the conditional GAN but gives no equation; the
# value function below is Mirza & Osindero's eq. (2), Algorithm 1's with $y$ added to both
# networks. Nothing else of Algorithm 1 changes.

# %%
import time

import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck
from minigan.data import ring_modes, ring_of_gaussians
from minigan.gan.cgan import ConditionalGAN

from _course import FAST, save, t  # lessons/_course.py: fast mode, figures, words

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The conditional game
#
# Lesson 14's value function (document 001 §4.1) with the label $y$ given to both networks:
#
# $$
# \begin{aligned}
# \min_G \max_D V(D, G) = {} & \mathbb{E}_{(x, y) \sim p_{\text{data}}}\left[\log D(x, y)\right] \cr
#   & + \mathbb{E}_{\xi \sim p_\xi,\, y \sim p_y}\left[\log\left(1 - D(G(\xi, y), y)\right)\right]
# \end{aligned}
# \tag{Mirza 2014}
# \label{eq:18-value}
# $$
#
# (Mirza & Osindero's eq. (2) writes $D(x \mid y)$ and $G(z \mid y)$ for the same networks.) $D$ now
# judges *pairs*: a real image with its true label is "real"; a fake with the label it was
# asked for is "fake". A generator that draws a perfect 3 when asked for a 7 is caught,
# because $D$ has learned what 7s look like, so $G$ must learn $p(x \mid y)$, one distribution
# per class, in one network. The label has to *enter* both networks, and without an autograd
# graph every new operation needs its own hand-written backward.
#
# Conditional GANs are also a building block: LAPGAN (lesson 15) conditions each of its GANs
# on an upsampled image instead of a class label.

# %% [markdown]
# ## 2. The embedding: a label becomes a vector
#
# Write the labels of a batch as one-hot rows, $Y \in \{0, 1\}^{N \times V}$ ($V$ classes).
# A Dense layer without bias on $Y$ (document 001 §2.6 with $X = Y$) is
#
# $$
# E = Y\, W, \qquad E_{n,:} = W_{y_n,:}
# \tag{001 §2.6}
# $$
#
# Row $n$ of $E$ is row $y_n$ of $W$. So the product is a **lookup**, `E = W[y]`, and no
# $N \times V$ matrix of zeros is needed. Its backward is document 001 §2.9's weight
# gradient (lesson 05), with $\delta = \partial C / \partial E$:
#
# $$
# \frac{\partial C}{\partial W} = Y^{\top} \delta, \qquad
# \left(\frac{\partial C}{\partial W}\right)_{v,:} = \sum_{n:\ y_n = v} \delta_{n,:}
# \tag{001 §2.9}
# \label{eq:18-scatter}
# $$
#
# Row $v$ of $\partial C / \partial W$ is the sum of the rows of $\delta$ whose label is $v$: a
# **scatter-add**. A label that appears three times in the batch gets three contributions.
# The input is an integer: there is no $\partial C / \partial y$.

# %%
V, E_DIM = 5, 3
W = rng.standard_normal((V, E_DIM))
y = np.array([1, 3, 1, 1, 0])  # label 1 three times
delta = rng.standard_normal((5, E_DIM))  # ∂C/∂E from above

Y = np.eye(V)[y]  # one-hot rows, (N, V)
E_product = Y @ W  # document 001 §2.6: Z = X W (no bias)
E_lookup = W[y]  # the same numbers, without the zeros
dW_product = Y.T @ delta  # document 001 §2.9: ∂C/∂W = Xᵀ δ
dW_scatter = np.zeros_like(W)
for n, v in enumerate(y):  # scatter-add, one row at a time
    dW_scatter[v] += delta[n]
assert np.allclose(E_product, E_lookup) and np.allclose(dW_product, dW_scatter)

emb = mg.Embedding(V, E_DIM, dtype=np.float64)
emb.params["W"].data[...] = W
out = emb(y)
assert emb.backward(delta) is None  # the protocol: integer input, no gradient
print(
    f"minigan.Embedding vs scratch: |Δ E| {np.abs(out - E_lookup).max():.1e}, "
    f"|Δ ∂C/∂W| {np.abs(emb.params['W'].grad - dW_scatter).max():.1e}"
)
assert np.allclose(out, E_lookup) and np.allclose(emb.params["W"].grad, dW_scatter)
print(
    "row 1 of ∂C/∂W = δ₀ + δ₂ + δ₃:",
    np.allclose(dW_scatter[1], delta[0] + delta[2] + delta[3]),
)

# %% [markdown]
# ## 3. The join: concatenation, and the label map
#
# Mirza & Osindero feed $[\xi \mid e(y)]$ to $G$'s first layer and $[x \mid e(y)]$ to $D$'s.
# Concatenation is the simplest layer there is: forward stacks the columns, backward cuts
# $\delta$ back at the same places:
#
# $$
# h = [x \mid e], \qquad
# \frac{\partial C}{\partial x} = \delta_{:,\,1..n_x}, \qquad
# \frac{\partial C}{\partial e} = \delta_{:,\,n_x+1..n_x+n_e}
# \tag{18.1}
# $$
#
# For a convolutional $D$ the image is $(N, C, H, W)$: the label vector is copied to every
# pixel, giving a **label map** of $E$ extra channels, and concatenated on the channel axis
# (the ganhacks of lesson 15, tip 16: "Add as additional channels to images"). The backward
# of a copy is a sum over the places it was copied to:
#
# $$
# \frac{\partial C}{\partial e_{n,c}} = \sum_{h, w} \frac{\partial C}{\partial \text{map}_{n,c,h,w}}
# \tag{18.2}
# $$
#
# `minigan.Conditional(net, num_classes, embedding_dim)` is the two-input model
# $(x, y) \mapsto \text{net}([x \mid e(y)])$; its `backward(δ)` returns
# $\partial C / \partial x$ (and scatter-adds into the embedding). Below, a from-scratch
# conditional layer $[x \mid e(y)]\, W_d^{\top} + b$ against it.

# %%
x = rng.standard_normal((5, 4))
Wd, bd = rng.standard_normal((2, 4 + E_DIM)), rng.standard_normal(2)
h = np.concatenate([x, W[y]], axis=1)  # [x | e(y)], (N, 4 + E)
z = h @ Wd.T + bd
dz = rng.standard_normal(z.shape)
dh = dz @ Wd  # document 001 §2.9: δ W
dx_s, de_s = dh[:, :4], dh[:, 4:]  # cut δ back
dW_s = np.zeros_like(W)
np.add.at(dW_s, y, de_s)

cond = mg.Conditional(
    mg.Sequential(mg.Dense(4 + E_DIM, 2, dtype=np.float64)), V, E_DIM, dtype=np.float64
)
cond.embedding.params["W"].data[...] = W
cond.net[0].params["W"].data[...] = Wd
cond.net[0].params["b"].data[...] = bd
z_m = cond((x, y))
dx_m = cond.backward(dz)
dW_gap = np.abs(cond.embedding.params["W"].grad - dW_s).max()
print(
    f"minigan.Conditional vs scratch: |Δ out| {np.abs(z_m - z).max():.1e}, "
    f"|Δ dx| {np.abs(dx_m - dx_s).max():.1e},\n"
    f"  |Δ ∂C/∂W| of the embedding {dW_gap:.1e}"
)
assert (
    np.allclose(z_m, z)
    and np.allclose(dx_m, dx_s)
    and np.allclose(cond.embedding.params["W"].grad, dW_s)
)

# the label map of a convolutional D: copy forward, sum backward
img = rng.standard_normal((2, 1, 3, 3))
e2 = W[[4, 0]]
label_map = np.broadcast_to(e2[:, :, None, None], (2, E_DIM, 3, 3))
joined = np.concatenate([img, label_map], axis=1)
print("image", img.shape, "+ label map", label_map.shape, "->", joined.shape)
d_joined = rng.standard_normal(joined.shape)
de2 = d_joined[:, 1:].sum(axis=(2, 3))  # backward of the copy: a sum over the pixels
assert de2.shape == e2.shape

# %% [markdown]
# ## 4. Gradient check
#
# Float64 central differences (lesson 05) for every new module: `dx` of each floating input and
# every parameter, with a non-uniform upstream gradient. The embedding's case puts repeated
# labels in the batch, so a wrong scatter (an assignment instead of an add) would fail. These
# cases are registered: `python -m minigan.gradcheck -k Conditional` prints the same table.

# %%
rows = []
for pat in ("Embedding", "Concat(", "Conditional"):
    rows += gradcheck.run_all(pat, print_fn=None)
w = max(len(r[0]) for r in rows) + 2
for name, what, err, ok in rows:
    print(f"{name:<{w}}{what:<12}{err:10.2e}  {'PASS' if ok else 'FAIL'}")
assert all(r[3] for r in rows)

# %% [markdown]
# ## 5. Experiment: ask the ring for a mode
#
# Lesson 14's ring of 8 Gaussians, where an unconditional GAN may collapse onto a few modes.
# Here each point's label is its mode, $y \in \{0, \dots, 7\}$, and both networks get an
# 8-dimensional embedding. After training we ask for each mode in turn: a working
# conditional $G$ puts the samples for $y$ on mode $y$, and so covers all 8 modes by
# construction. We measure the share of samples that land within 4 standard deviations of
# the *requested* mode.

# %%
MODES, STD, Z_DIM, HIDDEN = 8, 0.05, 4, 64
STEPS = 300 if FAST else 1500
centers = ring_modes(MODES)


def ring_batch(n, r):
    pts = ring_of_gaussians(n, MODES, std=STD, rng=r)
    labels = np.argmin(
        ((pts[:, None, :] - centers[None]) ** 2).sum(-1), axis=1
    )  # each point's mode
    return pts, labels


def ring_cgan(seed=0):
    r = np.random.default_rng(seed)
    G = mg.Conditional(
        mg.Sequential(
            mg.Dense(Z_DIM + MODES, HIDDEN, rng=r),
            mg.ReLU(),
            mg.Dense(HIDDEN, HIDDEN, rng=r),
            mg.ReLU(),
            mg.Dense(HIDDEN, 2, rng=r),
        ),
        MODES,
        rng=r,
    )
    D = mg.Conditional(
        mg.Sequential(
            mg.Dense(2 + MODES, HIDDEN, rng=r),
            mg.LeakyReLU(0.2),
            mg.Dense(HIDDEN, HIDDEN, rng=r),
            mg.LeakyReLU(0.2),
            mg.Dense(HIDDEN, 1, rng=r),
        ),
        MODES,
        rng=r,
    )
    return ConditionalGAN(G, D, Z_DIM, MODES, seed=seed, lr=1e-3, beta1=0.5)


t0 = time.perf_counter()
cgan = ring_cgan()
r = np.random.default_rng(1)
for _step in range(STEPS):
    cgan.train_step(*ring_batch(128, r))
asked = np.repeat(np.arange(MODES), 250)
samples = mg.as_numpy(cgan.sample(asked)).astype(np.float64)
dist = np.linalg.norm(samples - centers[asked], axis=1)
on_mode = dist < 4 * STD
per_mode = [on_mode[asked == m].mean() for m in range(MODES)]
print(
    f"ConditionalGAN on the ring, {STEPS} steps ({time.perf_counter() - t0:.1f} s): "
    f"{on_mode.mean():.0%} of samples on the requested mode"
)
print("  per requested mode:", " ".join(f"{m}:{p:.0%}" for m, p in enumerate(per_mode)))
if not FAST:
    assert on_mode.mean() > 0.5, (
        "the conditional GAN should put most samples on the requested mode"
    )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Left: real points of the ring, coloured by their label y (the mode they belong to). Right: samples of the trained conditional generator, coloured by the label that was asked for; crosses mark the modes' centres. A generator that obeys puts each colour on its own mode.", "name": "fig-18-ring-requests"}}
fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.8))
cmap = plt.get_cmap("tab10")
real_pts, real_y = ring_batch(2000, np.random.default_rng(2))
axes[0].scatter(real_pts[:, 0], real_pts[:, 1], s=3, c=[cmap(v) for v in real_y])
axes[0].set_title(t("real points, coloured by label y"))
axes[1].scatter(samples[:, 0], samples[:, 1], s=3, c=[cmap(v) for v in asked])
axes[1].scatter(centers[:, 0], centers[:, 1], marker="x", c="k")
axes[1].set_title(
    t(
        "G(ξ, y) for y = 0..7\n{share} on the requested mode",
        share=f"{on_mode.mean():.0%}",
    )
)
for ax in axes:
    ax.set_aspect("equal")
    ax.set_xlim(-2.8, 2.8)
    ax.set_ylim(-2.8, 2.8)
fig.tight_layout()
save(fig, "18_ring_requests.png", dpi=90)

# %% [markdown]
# The per-mode shares printed above say whether every request is obeyed, not only most of
# them. What to look for in the figure: each colour sits on one mode, and the colours go
# round the ring in the order of the labels, as in the real data on the left.
#
# The training curves of the same run, with the names of document 001 §6.4 (Figura 41:
# `g` for the generator, `d1` for the discriminator on fakes and `d2` on reals):

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Losses of the conditional GAN on the ring during training (moving averages): the generator's g, and the discriminator's binary cross-entropy on fakes (d1) and on reals (d2).", "name": "fig-18-losses"}}
h = cgan.history
k = max(1, len(h["g"]) // 50)
smooth = lambda v: np.convolve(v, np.ones(k) / k, mode="valid")
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(smooth(h["g"]), label="g")
ax.plot(smooth(h["d_fake"]), label=t("d1 (D on fakes)"))
ax.plot(smooth(h["d_real"]), label=t("d2 (D on reals)"))
ax.set_xlabel(t("step"))
ax.set_ylabel(t("loss (BCE)"))
ax.set_title(t("Conditional GAN on the ring: losses"))
ax.legend(fontsize=10)
fig.tight_layout()
save(fig, "18_losses.png", dpi=100)

# %% [markdown]
# As in lesson 14, the curves say that the game stayed balanced (neither loss ran to 0),
# not whether the requests were obeyed: that is what the printed shares measure. In the full
# run all three curves settled at $\log 2 \approx 0.693$, the binary cross-entropy of a
# discriminator that answers one half for every pair: the equilibrium of lesson 14, where
# $D^* = \tfrac{1}{2}$ because $p_g = p_{\text{data}}$, here for every label at once.
#
# ## 6. On MNIST
#
# `examples/mnist_cgan.py` trains document 003's dense MNIST GAN with the digit joined to the
# noise and to $D$'s input (`minigan.models.mnist_dense_cgan`), and measures what this lesson
# promised: row $r$ of its grids is digit $r$, and it reports how often the evaluation
# classifier of lesson 16 reads the requested digit (`examples/README.md` has the figures
# of a run). Per-class FID against each digit's held-out real images replaces lesson 16's
# one-GAN-per-class table.
#
# ## Exercises
#
# 1. Replace the learned embedding by a fixed one-hot code (`embedding_init="onehot"`, and set
#    the embedding's gradient to zero after each backward). Does the ring still train? Why can a
#    learned embedding help a convolutional $D$ more than a dense one?
# 2. Feed the label to $G$ only ($D$ unconditional). Show that $G$ then ignores the label:
#    what in the value function $\eqref{eq:18-value}$ forces $G$ to use it?
# 3. Condition $D$ on *features* instead of the input: join the label after $D$'s first hidden layer.
#    Write the module (hint: a Conditional whose `net` is the rest of D, preceded by the first
#    layer) and check its gradient.
# 4. Interpolate: for the MNIST cGAN, keep $\xi$ fixed and move the embedding from $e(3)$ to
#    $e(8)$ in ten steps (call `G.net` on `[ξ | e]` directly). What do the middle images look
#    like?

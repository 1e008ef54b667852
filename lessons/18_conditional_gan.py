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
# # Lesson 18 — The conditional GAN: "draw me a 7"
#
# **Objective.** Make a GAN take requests. Document 001 §6.4 trains one GAN per class (NORMAL
# and PNEUMONIA X-rays; lesson 16 did the same with two digits) and document 003 ch. 3 points to
# the way out: the *conditional* GAN of Mirza & Osindero (2014), which gives the class label to
# both networks. You will write the two pieces the engine needs — an **embedding** (a label
# becomes a vector) and a **join** (the vector meets the noise, or the image) — from scratch,
# forward and backward, check them against `minigan.Embedding`, `minigan.Concat` and
# `minigan.Conditional` and against finite differences, and then train a conditional GAN on the
# ring of Gaussians of lesson 14, where asking for mode `y` must put the samples on mode `y`.
#
# Sources:
# - document 003 (Pereira n.d.) ch. 3, "Existem tipos especiais de GAN": "GAN Condicional (*Conditional GAN*):
#   apresentado por Mirza e Osindero (2014), esse tipo de GAN se utiliza, também, dos rótulos das
#   classes, a fim de gerar imagens de uma classe específica";
# - document 001 (Marques 2021) §6.4 ("Foram treinadas duas GANs, uma para cada classe") and §4.1 (the value
#   function and Algorithm 1, which we extend);
# - document 001 §2.6 and §2.9 (a Dense layer and its gradients: the embedding is one);
# - Mirza & Osindero, *Conditional Generative Adversarial Nets*, arXiv:1411.1784 (2014).
#
# *A gap in the documents.* Document 003 names the conditional GAN but gives no equation; the
# value function below is Mirza & Osindero's eq. (2), Algorithm 1's with `y` added to both
# networks. Nothing else of Algorithm 1 changes.

# %%
import time

import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck
from minigan.data import ring_modes, ring_of_gaussians
from minigan.gan.cgan import ConditionalGAN

from _course import (
    FAST,
    save,
)  # lessons/_course.py: fast mode, figures saved (and shown in a notebook)

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The conditional game
#
#     min_G max_D V(D, G) = E_{(x, y)∼p_data}[log D(x, y)] + E_{ξ∼p_ξ, y∼p_y}[log(1 − D(G(ξ, y), y))]
#
# `D` now judges *pairs*: a real image with its true label is "real"; a fake with the label it
# was asked for is "fake". A generator that draws a perfect 3 when asked for a 7 is caught —
# `D` has learned what 7s look like — so `G` must learn `p(x | y)`, one distribution per class,
# in one network. The label has to *enter* both networks, and without an autograd graph every
# new operation needs its own hand-written backward.

# %% [markdown]
# ## 2. The embedding: a label becomes a vector
#
# Write the labels of a batch as one-hot rows, `Y ∈ {0, 1}^{N × V}` (`V` classes). A Dense layer
# without bias on `Y` is `E = Y W` (document 001 §2.6 with `X = Y`): row `n` of `E` is row `y_n`
# of `W`. So the product is a **lookup**, `E = W[y]`, and no `N × V` matrix of zeros is needed.
# Its backward is document 001 §2.9's `∂C/∂W = Yᵀ δ` (lesson 5): row `v` of `∂C/∂W` is the sum
# of the rows of `δ = ∂C/∂E` whose label is `v` — a **scatter-add**. A label that appears three
# times in the batch gets three contributions. The input is an integer: there is no `∂C/∂y`.

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
# Mirza & Osindero feed `[ξ | e(y)]` to G's first layer and `[x | e(y)]` to D's. Concatenation
# is the simplest layer there is: forward stacks the columns, backward cuts `δ` back at the same
# places. For a convolutional D the image is `(N, C, H, W)`: the label vector is copied to every
# pixel — a **label map** of `E` extra channels — and concatenated on the channel axis. The
# backward of a copy is a sum: `∂C/∂e = Σ_{h,w} ∂C/∂map[:, :, h, w]`.
#
# `minigan.Conditional(net, num_classes, embedding_dim)` is the two-input model
# `(x, y) ↦ net([x | e(y)])`; its `backward(δ)` returns `∂C/∂x` (and scatter-adds into the
# embedding). Below, a from-scratch conditional layer `[x | e(y)] W_dᵀ + b` against it.

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
print(
    f"minigan.Conditional vs scratch: |Δ out| {np.abs(z_m - z).max():.1e}, |Δ dx| {np.abs(dx_m - dx_s).max():.1e}, "
    f"|Δ ∂C/∂W_emb| {np.abs(cond.embedding.params['W'].grad - dW_s).max():.1e}"
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
# Float64 central differences (lesson 5) for every new module: `dx` of each floating input and
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
# Here each point's label is its mode, `y ∈ {0..7}`, and both networks get an 8-dimensional
# embedding. After training we ask for each mode in turn: a working conditional G puts the
# samples for `y` on mode `y` — and so covers all 8 modes by construction. We measure the share
# of samples that land within 4σ of the *requested* mode.

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
    f"{on_mode.mean():.0%} of samples on the requested mode; per mode "
    + " ".join(f"{m}:{p:.0%}" for m, p in enumerate(per_mode))
)
if not FAST:
    assert on_mode.mean() > 0.5, (
        "the conditional GAN should put most samples on the requested mode"
    )

# %% [markdown]
# ## 6. Plots

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
cmap = plt.get_cmap("tab10")
real_pts, real_y = ring_batch(2000, np.random.default_rng(2))
axes[0].scatter(real_pts[:, 0], real_pts[:, 1], s=3, c=[cmap(v) for v in real_y])
axes[0].set_title("real points, coloured by label y")
axes[1].scatter(samples[:, 0], samples[:, 1], s=3, c=[cmap(v) for v in asked])
axes[1].scatter(centers[:, 0], centers[:, 1], marker="x", c="k")
axes[1].set_title(
    f"G(ξ, y) for y = 0..7 (colour = requested y)\n{on_mode.mean():.0%} on the requested mode"
)
for ax in axes[:2]:
    ax.set_aspect("equal")
    ax.set_xlim(-2.8, 2.8)
    ax.set_ylim(-2.8, 2.8)
h = cgan.history
k = max(1, len(h["g"]) // 50)
smooth = lambda v: np.convolve(v, np.ones(k) / k, mode="valid")
axes[2].plot(smooth(h["g"]), label="g")
axes[2].plot(smooth(h["d_fake"]), label="d1 (D on fakes)")
axes[2].plot(smooth(h["d_real"]), label="d2 (D on reals)")
axes[2].set_xlabel("step")
axes[2].set_title("losses (document 001 Fig. 41's names)")
axes[2].legend()
fig.suptitle("Lesson 18: a conditional GAN takes requests")
fig.tight_layout()
save(fig, "18_conditional_gan.png", dpi=85)

# %% [markdown]
# ## 7. On MNIST
#
# `examples/mnist_cgan.py` trains document 003's dense MNIST GAN with the digit joined to the
# noise and to D's input (`minigan.models.mnist_dense_cgan`), and measures what this lesson
# promised: row `r` of its grids is digit `r`, and the evaluation classifier of lesson 16 reads
# the requested digit on most samples (`examples/README.md` has the figures). Per-class FID
# against each digit's held-out real images replaces lesson 16's one-GAN-per-class table.
#
# ## Exercises
#
# 1. Replace the learned embedding by a fixed one-hot code (`embedding_init="onehot"`, and set
#    the embedding's gradient to zero after each backward). Does the ring still train? Why can a
#    learned embedding help a convolutional D more than a dense one?
# 2. Feed the label to G only (D unconditional). Show that G then ignores the label: what in the
#    value function forces G to use it?
# 3. Condition D on *features* instead of the input: join the label after D's first hidden layer.
#    Write the module (hint: a Conditional whose `net` is the rest of D, preceded by the first
#    layer) and check its gradient.
# 4. Interpolate: for the MNIST cGAN, keep ξ fixed and move the embedding from `e(3)` to `e(8)`
#    in ten steps (call `G.net` on `[ξ | e]` directly). What do the middle images look like?

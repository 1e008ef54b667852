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
# # Lesson 14 — Generative adversarial networks: the game, D*, and mode collapse
#
# **Objective.** Understand a GAN from its equations up: the minimax game between a generator
# `G` and a discriminator `D`; the optimal discriminator `D*` (and check it numerically); why
# the generator's loss as written in the game *saturates* and what the non-saturating loss
# changes (plot the gradients); and Goodfellow's Algorithm 1 with `k` discriminator steps,
# written from scratch in NumPy and run on a 2-D "ring of Gaussians", where a badly balanced
# GAN shows **mode collapse** and a change of `k` cures it. Finally: the same loop is
# `minigan.gan.GAN`.
#
# Sources:
# - document 001 (Marques 2021) §4 "Redes Adversárias Generativas", §4.1 "Redes Adversárias" (the value
#   function, Algorithm 1 "Rede Adversária Generativa", the non-saturating loss), §4.2
#   "Propriedades do Modelo" (Proposição 1, the optimal discriminator "Ótimo Global");
# - document 000 (Guimarães 2019) §2.3.1 "Modelo", eq. (2.1), and §3.2.3 "Função de custo" (sigmoid cross-entropy,
#   labels 0.9 for real images);
# - document 002 (slides "Como as GANs são treinadas?"): `L_D = −½ E_x log D(x) − ½ E_z log(1 − D(G(z)))`,
#   the zero-sum game `L_D = −L_G`;
# - document 003 (Pereira n.d.) ch. 3: the Keras MNIST GAN's training loop (two
#   `train_on_batch` updates of the discriminator, fakes from `generator.predict`), Figura 27.

# %%
import time

import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck
from minigan.data import ring_modes, ring_of_gaussians
from minigan.gan import GAN

from _course import (
    FAST,
    save,
)  # lessons/_course.py: fast mode, figures saved (and shown in a notebook)

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The game
#
# `G(ξ; θ_g)` turns noise `ξ ~ p_ξ` into a sample; `D(x; θ_d) ∈ (0, 1)` is the probability that
# `x` came from the data rather than from `G`. Document 001 §4.1 (and document 000, eq. 2.1):
#
#     min_G max_D V(D, G) = E_{x∼p_data}[log D(x)] + E_{ξ∼p_ξ}[log(1 − D(G(ξ)))]
#
# `D` wants `D(x) → 1` on data and `D(G(ξ)) → 0` on fakes; `G` wants the opposite. Document 002
# writes the same thing as losses to *minimize*: `L_D = −½ E_x log D(x) − ½ E_z log(1 − D(G(z)))`
# — the binary cross-entropy ("Entropia Cruzada Binária", document 001 §2.7.1) of a classifier
# with labels real = 1, fake = 0 — and the zero-sum game `L_G = −L_D`.
#
# *Slips in document 001 §4.1–4.2* (notation, not ideas):
# - the value function's second expectation is written `E_{x∼p_ξ(ξ)}`; it is over the noise,
#   `E_{ξ∼p_ξ}`;
# - Algorithm 1, line 3 draws the noise "de uma distribuição `p_g(ξ)`": `p_g` is the
#   *generator's* distribution over images; the noise comes from the prior `p_ξ(ξ)`
#   (Goodfellow et al. write `p_g(z)` there too — a slip in the original paper as well);
# - line 5 says "Atualizar D com SGD" next to the gradient of `V`: `D` must **ascend** that
#   gradient (it maximizes `V`), `G` descends its own (line 8). Equivalently `D` *minimizes*
#   `L_D`, which is what every implementation (and ours) does;
# - Proposição 2 writes `E_{x∼p_g(ξ)}`, meaning `E_{x∼p_g}`.
#
# *A slip in document 002* ("Treinando GANs"): the training cycle is "Treina o `D(x)` para que
# este consiga classificar samples", then "Treina `G(x)` para que gere samples que enganem D".
# The generator's input is the noise, not a sample: it is `G(z)`, as in the slides' own
# `L_D = … − ½ E_z log(1 − D(G(z)))`.
#
# *A slip in document 003 ch. 3* (Pereira n.d.): the text before Figura 27 says the generator
# receives "um vetor aleatório de valores presentes no conjunto de treinamento", and the
# figure labels its input "Vetor Aleatório gerado a partir do conjunto de teste". Neither: the
# noise comes from no data set at all. It is drawn from the prior `p_ξ`, in the document's own
# code `noise = np.random.normal(0, 1, (batch_size, latent_dim))`; the training set feeds only
# the discriminator (the real images), and the test set plays no part in training a GAN.

# %% [markdown]
# ## 2. The optimal discriminator D* (document 001 §4.2, Proposição 1)
#
# For a fixed `G`, `V = ∫ [p_data(x) log D(x) + p_g(x) log(1 − D(x))] dx`, and pointwise the
# function `y ↦ a log y + b log(1 − y)` is maximal at `y = a/(a + b)` (document 001 gives this
# lemma). Hence
#
#     D*_G(x) = p_data(x) / (p_data(x) + p_g(x))
#
# Put back into `V`: `V(D*, G) = −log 4 + 2·JSD(p_data ‖ p_g)`, minimal (`−log 4`, with
# `D* ≡ ½`) exactly when `p_g = p_data` (derived step by step below). We check the lemma on a
# grid, then train a small discriminator **from scratch** on samples of two fixed 1-D
# distributions and compare it with `D*`.
#
# **The lemma, and when it holds.** Let `f(y) = a log y + b log(1 − y)` on `(0, 1)` with
# `a, b ≥ 0`. Then `f'(y) = a/y − b/(1 − y)`, which is zero at `a(1 − y) = b y`, i.e.
# `y = a/(a + b)`, and `f''(y) = −a/y² − b/(1 − y)² < 0`: a maximum, and the only one. The
# division needs `a + b > 0`: at `(a, b) = (0, 0)` the function is identically 0 and every `y`
# is a maximizer, so `a/(a + b) = 0/0` names none. Goodfellow et al. (2014) state the lemma
# "for any `(a, b) ∈ ℝ² \ {0, 0}`"; document 001 §4.2 prints "Para qualquer `(a, b) ∈ ℝ²`",
# dropping the exception (and the lemma also needs `a, b ≥ 0`, which densities are: with
# `a = −1, b = 1` the function `−log y + log(1 − y)` grows without bound as `y → 0`). For
# `D*` it means: where `p_data(x) = p_g(x) = 0`, `D*(x)` is undefined, and it does not matter,
# because such `x` carry no weight in `V`; `D*` is defined on the union of the supports.
#
# *A name.* Document 001 §4.2 titles its Proposição 1 (the formula for `D*`) "Ótimo Global".
# In Goodfellow et al. (2014) "Global Optimality of `p_g = p_data`" is the title of §4.1,
# whose result is **Theorem 1** (the minimum of `C(G)` below is `−log 4`, reached if and only
# if `p_g = p_data`); Proposition 1 there is only the step to `D*`. The document states the
# theorem's conclusion in words ("podemos chegar em `p_g = p_data`") but not the theorem.
#
# **Theorem 1, step by step.** Write `C(G) = max_D V(D, G) = V(D*_G, G)`.
#
# 1. Substitute `D* = p_data/(p_data + p_g)` and `1 − D* = p_g/(p_data + p_g)`:
#
#        C(G) = ∫ p_data log[p_data/(p_data + p_g)] dx + ∫ p_g log[p_g/(p_data + p_g)] dx
#
# 2. Make the mixture `m = (p_data + p_g)/2` appear: `p_data + p_g = 2m`, so
#    `log[p_data/(p_data + p_g)] = log[p_data/m] − log 2`, and the same for `p_g`:
#
#        C(G) = ∫ p_data log(p_data/m) dx + ∫ p_g log(p_g/m) dx − log 2·∫ p_data dx − log 2·∫ p_g dx
#
# 3. Each density integrates to 1, so the last two terms are `−2 log 2 = −log 4`; the first
#    two are Kullback–Leibler divergences against the mixture:
#
#        C(G) = −log 4 + KL(p_data ‖ m) + KL(p_g ‖ m)
#
# 4. The Jensen–Shannon divergence is *defined* as `JSD(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m)`
#    with `m = (p + q)/2`. Hence
#
#        C(G) = −log 4 + 2·JSD(p_data ‖ p_g)
#
# 5. `JSD ≥ 0`, with equality if and only if `p_data = p_g` (each KL is ≥ 0 and is 0 only
#    when its two arguments agree, so `p_data = m = p_g`). So `C(G) ≥ −log 4`, and the
#    minimum `−log 4` is reached exactly at `p_g = p_data`, where `D* ≡ ½` and
#    `V = log ½ + log ½ = −log 4`. ∎
#
# Everything in step 1 is inside the integral, pointwise: that is why `D*` could be found
# point by point with the lemma. The cell after the 1-D experiment checks step 4's identity by
# numerical integration.

# %%
ygrid = np.linspace(1e-4, 1 - 1e-4, 100001)
for a_, b_ in [(1.0, 1.0), (0.3, 1.2), (2.0, 0.5)]:
    best = ygrid[np.argmax(a_ * np.log(ygrid) + b_ * np.log(1 - ygrid))]
    print(
        f"a={a_}, b={b_}: argmax on the grid {best:.4f}, a/(a+b) = {a_ / (a_ + b_):.4f}"
    )
    assert abs(best - a_ / (a_ + b_)) < 1e-3

# %% [markdown]
# ### From-scratch building blocks: an MLP and Adam in NumPy
#
# A fully connected network `h_{l} = g(h_{l−1} W_l + b_l)` with LeakyReLU (α) in the hidden
# layers and a linear last layer, its hand-written backward pass (document 001 §2.9), and Adam
# (document 001 §2.8). `D` outputs a **logit** `a`, and `D(x) = σ(a)`: the losses then take the
# stable "with logits" form (document 000 uses `sigmoid_cross_entropy_with_logits`).


# %%
def sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # = 1 / (1 + e^{−a}), without overflow


def mlp_init(sizes, rng):
    """[(W, b), ...] with W ~ N(0, 1/n_in) (document 001 §2.10, Xavier)."""
    return [
        [rng.standard_normal((n_in, n_out)) / np.sqrt(n_in), np.zeros(n_out)]
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    ]


def mlp_forward(params, x, alpha):
    """Returns the output and the cache of every layer's input and pre-activation."""
    cache = []
    h = x
    for i, (W, b) in enumerate(params):
        z = h @ W + b
        cache.append((h, z))
        h = (
            z if i == len(params) - 1 else np.where(z > 0, z, alpha * z)
        )  # LeakyReLU / linear
    return h, cache


def mlp_backward(params, cache, dout, alpha):
    """Gradient of Σ dout ⊙ output: returns (d input, [[dW, db], ...])."""
    grads = [None] * len(params)
    d = dout
    for i in reversed(range(len(params))):
        h, z = cache[i]
        if i < len(params) - 1:
            d = d * np.where(z > 0, 1.0, alpha)  # g'(z)
        grads[i] = [h.T @ d, d.sum(axis=0)]  # ∂C/∂W = hᵀ δ, ∂C/∂b = Σ δ
        d = d @ params[i][0].T  # δ for the layer below
    return d, grads


class ScratchAdam:
    """Adam with bias correction (document 001 §2.8), ε added after the square root."""

    def __init__(self, params, lr, beta1=0.5, beta2=0.999, eps=1e-8):
        self.params, self.lr, self.b1, self.b2, self.eps, self.t = (
            params,
            lr,
            beta1,
            beta2,
            eps,
            0,
        )
        self.m = [[np.zeros_like(p) for p in layer] for layer in params]
        self.v = [[np.zeros_like(p) for p in layer] for layer in params]

    def step(self, grads):
        self.t += 1
        for layer, glayer, mlayer, vlayer in zip(self.params, grads, self.m, self.v):
            for p, g, m, v in zip(layer, glayer, mlayer, vlayer):
                m *= self.b1
                m += (1 - self.b1) * g
                v *= self.b2
                v += (1 - self.b2) * g * g
                mhat = m / (1 - self.b1**self.t)
                vhat = v / (1 - self.b2**self.t)
                p -= self.lr * mhat / (np.sqrt(vhat) + self.eps)


def bce_logits_grad(a, y):
    """∂/∂a of the mean BCE(σ(a), y): (σ(a) − y) / m."""
    return (sigmoid(a) - y) / a.shape[0]


# gradient check of the scratch MLP backward
mlp = mlp_init([3, 5, 4, 2], rng)
xm, dm = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
dx, grads = mlp_backward(mlp, mlp_forward(mlp, xm, 0.2)[1], dm, 0.2)
f = lambda: np.sum(mlp_forward(mlp, xm, 0.2)[0] * dm)
errs = [gradcheck.rel_error(dx, gradcheck.numerical_gradient(f, xm))]
errs += [
    gradcheck.rel_error(g, gradcheck.numerical_gradient(f, p))
    for layer, glayer in zip(mlp, grads)
    for p, g in zip(layer, glayer)
]
print(f"scratch MLP backward vs finite differences: max relative error {max(errs):.1e}")
assert max(errs) < 1e-6

# %% [markdown]
# ### D* in one dimension
#
# `p_data` is a mixture of two Gaussians at ±1.5, `p_g` a fixed wide Gaussian (think of an
# untrained generator). We train `D` alone (`G` fixed) by minimizing document 002's `L_D`.


# %%
def p_data_1d(x):
    g = lambda m, s: np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    return 0.5 * g(-1.5, 0.4) + 0.5 * g(1.5, 0.4)


def p_g_1d(x):
    return np.exp(-0.5 * (x / 1.2) ** 2) / (1.2 * np.sqrt(2 * np.pi))


def sample_data_1d(n, rng):
    return (rng.choice([-1.5, 1.5], size=n) + 0.4 * rng.standard_normal(n))[:, None]


Dnet = mlp_init([1, 32, 32, 1], rng)
optD = ScratchAdam(Dnet, lr=3e-3, beta1=0.9)
m = 256
for _it in range(300 if FAST else 2500):
    x_real, x_fake = sample_data_1d(m, rng), 1.2 * rng.standard_normal((m, 1))
    a_r, c_r = mlp_forward(Dnet, x_real, 0.2)
    a_f, c_f = mlp_forward(Dnet, x_fake, 0.2)
    # L_D = ½ BCE(D(x), 1) + ½ BCE(D(G(z)), 0)   (document 002)
    _, g_r = mlp_backward(Dnet, c_r, 0.5 * bce_logits_grad(a_r, 1.0), 0.2)
    _, g_f = mlp_backward(Dnet, c_f, 0.5 * bce_logits_grad(a_f, 0.0), 0.2)
    optD.step([[gr + gf for gr, gf in zip(lr_, lf_)] for lr_, lf_ in zip(g_r, g_f)])

xs = np.linspace(-3.5, 3.5, 400)
D_star = p_data_1d(xs) / (p_data_1d(xs) + p_g_1d(xs))  # Eq. 001 §4.2, Proposição 1
D_learned = sigmoid(mlp_forward(Dnet, xs[:, None], 0.2)[0][:, 0])
support = (p_data_1d(xs) + p_g_1d(xs)) > 0.05
gap = np.abs(D_learned - D_star)[support].max()
print(f"learned D vs D* where the densities are not tiny: max |D − D*| = {gap:.3f}")


# V(D*, G) = −log 4 + 2 JSD, by numerical integration on a fine grid (the trapezoidal rule,
# written out: np.trapezoid is NumPy 2 only, np.trapz was removed from it)
def trapezoid(y, x):
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


xf = np.linspace(-8, 8, 20001)
pd_, pg_ = p_data_1d(xf), p_g_1d(xf)
Ds = pd_ / (pd_ + pg_)
V_star = trapezoid(pd_ * np.log(Ds) + pg_ * np.log(1 - Ds), xf)
mix = 0.5 * (pd_ + pg_)
jsd = 0.5 * trapezoid(pd_ * np.log(pd_ / mix), xf) + 0.5 * trapezoid(
    pg_ * np.log(pg_ / mix), xf
)
print(
    f"V(D*, G) = {V_star:.4f};  −log 4 + 2·JSD = {-np.log(4) + 2 * jsd:.4f};  −log 4 = {-np.log(4):.4f}"
)
assert abs(V_star - (-np.log(4) + 2 * jsd)) < 1e-6

# %% [markdown]
# ## 3. Saturating versus non-saturating generator loss
#
# Write `a` for D's logit on a fake, `D(G(ξ)) = σ(a)`. Algorithm 1, line 8 has the generator
# **minimize** `log(1 − D(G(ξ)))` (the "minimax" or *saturating* loss; document 002's `L_G = −L_D`
# is the same thing). Its gradient with respect to the logit is
#
#     ∂/∂a log(1 − σ(a)) = −σ(a) = −D(G(ξ))
#
# Early in training the fakes are bad and `D` rejects them confidently, `D(G(ξ)) ≈ 0` — and then
# the gradient is ≈ 0: `G` learns nothing exactly when it most needs to. Document 001 §4.1:
# "É possível, e também mais indicado, treinar G maximizando log(D(G(ξ)))". That
# **non-saturating** loss, `−log D(G(ξ)) = BCE(D(G(ξ)), 1)` (the fakes labelled "real", as in
# document 001 §6.2.2, document 000 §3.2.3 and document 003's combined model), has
#
#     ∂/∂a [−log σ(a)] = σ(a) − 1 = −(1 − D(G(ξ)))
#
# which is ≈ −1 (strong) when `D(G(ξ)) ≈ 0` and fades only once `G` fools `D`. Both losses have the
# same fixed point; they differ in where their gradients are large. (Document 001 motivates it
# by `D` "learning too fast to reject"; the mechanism is this saturation.)
#
# In minigan: non-saturating = `BCEWithLogitsLoss()(a, 1)`, saturating = `−BCEWithLogitsLoss()(a, 0)`
# (backward with `grad=−1`). We check both against the formulas.

# %%
a = np.linspace(-8, 8, 401)[:, None]
Dg = sigmoid(a)[:, 0]
grad_sat = -Dg  # ∂/∂a log(1 − σ(a))
grad_ns = Dg - 1.0  # ∂/∂a −log σ(a)

loss = mg.BCEWithLogitsLoss()
loss(a, np.ones_like(a))
assert np.allclose(loss.backward()[:, 0] * a.shape[0], grad_ns)  # mean → × m
loss(a, np.zeros_like(a))
assert np.allclose(loss.backward(-1.0)[:, 0] * a.shape[0], grad_sat)
print(
    "minigan BCEWithLogitsLoss gives both gradients (non-saturating: target 1; saturating: −BCE with target 0)"
)
print(
    "gradient check:",
    gradcheck.check_loss(
        mg.BCEWithLogitsLoss(), rng.standard_normal((4, 1)) * 3, np.ones((4, 1))
    ),
)

# %% [markdown]
# **Measured, not just drawn.** Take an untrained generator on the 2-D ring below, train `D`
# alone against it for a few hundred steps (a strong `D`, as early in real training), and
# measure the size of the gradient that reaches `G`'s weights under each loss.


# %%
def ring_batch(n, rng):
    return ring_of_gaussians(n, std=0.05, rng=rng).astype(np.float64)


Z_DIM, HIDDEN, ALPHA = 2, 64, 0.2
G0 = mlp_init([Z_DIM, HIDDEN, HIDDEN, 2], np.random.default_rng(1))
D0 = mlp_init([2, HIDDEN, HIDDEN, 1], np.random.default_rng(2))
optD0 = ScratchAdam(D0, lr=1e-3)
for _it in range(50 if FAST else 300):
    x_real = ring_batch(128, rng)
    fake, _ = mlp_forward(G0, rng.standard_normal((128, Z_DIM)), 0.0)
    a_r, c_r = mlp_forward(D0, x_real, ALPHA)
    a_f, c_f = mlp_forward(D0, fake, ALPHA)
    _, g_r = mlp_backward(D0, c_r, 0.5 * bce_logits_grad(a_r, 1.0), ALPHA)
    _, g_f = mlp_backward(D0, c_f, 0.5 * bce_logits_grad(a_f, 0.0), ALPHA)
    optD0.step([[p + q for p, q in zip(l1, l2)] for l1, l2 in zip(g_r, g_f)])

z = rng.standard_normal((1024, Z_DIM))
fake, c_g = mlp_forward(G0, z, 0.0)
a_f, c_f = mlp_forward(D0, fake, ALPHA)
norms = {}
for name, da in [
    ("saturating", -sigmoid(a_f) / len(z)),
    ("non-saturating", (sigmoid(a_f) - 1) / len(z)),
]:
    dfake, _ = mlp_backward(D0, c_f, da, ALPHA)
    _, gG = mlp_backward(G0, c_g, dfake, 0.0)
    norms[name] = np.sqrt(sum(np.sum(g**2) for layer in gG for g in layer))
print(f"mean D(G(z)) after training D alone: {sigmoid(a_f).mean():.3f}")
print(
    f"‖∂L_G/∂θ_g‖: saturating {norms['saturating']:.2e}, non-saturating {norms['non-saturating']:.2e} "
    f"(ratio {norms['non-saturating'] / norms['saturating']:.0f}x)"
)

# %% [markdown]
# ## 4. Algorithm 1 from scratch, on a ring of 8 Gaussians
#
# The data: 8 small Gaussians (std 0.05) evenly spaced on a circle of radius 2
# (`minigan.data.ring_of_gaussians`). A generator that covers them all must split its noise
# into 8 clusters; one that has **collapsed** puts its samples on one or two of them (or wanders
# between them). We measure, on 2 000 samples: *modes covered* (a mode counts if ≥ 1 % of the
# samples lie within 3 std of it) and *quality* (the share of samples within 3 std of some mode).
#
# The loop is document 001's Algorithm 1, line by line: `k` discriminator steps (fresh noise,
# a fresh real batch, one update of `θ_d` on `L_D`), then one generator step (fresh noise, one
# update of `θ_g` on the non-saturating loss, `D` fixed). G: 2 → 64 → 64 → 2 (ReLU);
# D: 2 → 64 → 64 → 1 (LeakyReLU 0.2), Adam with β1 = 0.5.
#
# The experiment: a generator that learns **10x faster** than the discriminator
# (`lr_G = 2e-3`, `lr_D = 2e-4`). With `k = 1` the discriminator cannot keep up: `G` chases
# whatever region `D` currently likes, and its samples gather in one or two streaks that move
# around the ring — mode collapse. The cure we test is Algorithm 1's own knob: `k = 5`
# discriminator steps per generator step, so that `G` always faces a nearly optimal `D`
# (section 2), whose gradient points toward *all* the data.

# %%
MODES = ring_modes(8, 2.0)
STD = 0.05


def ring_metrics(samples):
    d = np.linalg.norm(samples[:, None, :] - MODES[None], axis=2)  # (n, 8)
    close = d.min(axis=1) < 3 * STD
    counts = np.bincount(d.argmin(axis=1)[close], minlength=8)
    return int((counts >= 0.01 * len(samples)).sum()), float(close.mean())


def train_ring_gan(k, lr_g, lr_d, steps, seed, batch=64, snapshots=()):
    """Goodfellow's Algorithm 1 (document 001 §4.1) with minibatch Adam, from scratch."""
    r = np.random.default_rng(seed)
    G = mlp_init([Z_DIM, HIDDEN, HIDDEN, 2], r)
    D = mlp_init([2, HIDDEN, HIDDEN, 1], r)
    optG, optD = ScratchAdam(G, lr_g), ScratchAdam(D, lr_d)
    z_eval = np.random.default_rng(1000 + seed).standard_normal((2000, Z_DIM))
    snaps = {}
    for step in range(1, steps + 1):  # 1: for number of training iterations
        for _ in range(k):  # 2:   for k steps
            xi = r.standard_normal((batch, Z_DIM))  # 3:     m noise samples ξ ~ p_ξ
            x = ring_batch(batch, r)  # 4:     m examples x ~ p_data
            fake, _ = mlp_forward(G, xi, 0.0)  #        (G is not updated here)
            a_r, c_r = mlp_forward(D, x, ALPHA)
            a_f, c_f = mlp_forward(D, fake, ALPHA)
            _, g_r = mlp_backward(
                D, c_r, 0.5 * bce_logits_grad(a_r, 1.0), ALPHA
            )  # 5: update D on
            _, g_f = mlp_backward(
                D, c_f, 0.5 * bce_logits_grad(a_f, 0.0), ALPHA
            )  #    L_D (= ascend V)
            optD.step([[p + q for p, q in zip(l1, l2)] for l1, l2 in zip(g_r, g_f)])
        xi = r.standard_normal((batch, Z_DIM))  # 7:   m noise samples
        fake, c_g = mlp_forward(G, xi, 0.0)
        a_f, c_f = mlp_forward(D, fake, ALPHA)
        dfake, _ = mlp_backward(
            D, c_f, bce_logits_grad(a_f, 1.0), ALPHA
        )  # 8: non-saturating loss,
        _, gG = mlp_backward(G, c_g, dfake, 0.0)  #    through D (θ_d fixed)
        optG.step(gG)
        if step in snapshots or step == steps:
            snaps[step] = mlp_forward(G, z_eval, 0.0)[0]
    return G, D, snaps


STEPS = 150 if FAST else 1500
SEEDS = [0] if FAST else [0, 1, 2]
SNAP_AT = [STEPS // 4, STEPS // 2, 3 * STEPS // 4, STEPS]
settings = {
    "collapse: lr_G = 10·lr_D, k = 1": dict(k=1, lr_g=2e-3, lr_d=2e-4),
    "cure: lr_G = 10·lr_D, k = 5": dict(k=5, lr_g=2e-3, lr_d=2e-4),
}
ring_results = {}
for name, cfg in settings.items():
    for seed in SEEDS:
        t0 = time.perf_counter()
        G, D, snaps = train_ring_gan(steps=STEPS, seed=seed, snapshots=SNAP_AT, **cfg)
        covered, quality = ring_metrics(snaps[STEPS])
        ring_results[(name, seed)] = dict(snaps=snaps, covered=covered, quality=quality)
        print(
            f"{name:<34} seed {seed}: {covered}/8 modes covered, quality {quality:.0%} "
            f"({time.perf_counter() - t0:.1f} s)"
        )

# Fair? k = 5 gives D five times as many updates per iteration. Give the collapsing setting the
# same number of D updates (5x the iterations) and see whether it is only a matter of compute.
_, _, snaps_long = train_ring_gan(steps=5 * STEPS, seed=0, k=1, lr_g=2e-3, lr_d=2e-4)
long_cov, long_q = ring_metrics(snaps_long[5 * STEPS])
print(
    f"collapse setting with 5x the iterations (as many D updates as k = 5): {long_cov}/8 modes, quality {long_q:.0%}"
)

# %% [markdown]
# ## 5. The gradient that reaches G, checked
#
# The generator's gradient flows *through* the frozen discriminator: `∂L_G/∂θ_g` =
# (G's backward) ∘ (D's backward with respect to its **input**). A finite-difference check on a
# few of G's weights, with `D` fixed, confirms the chain.

# %%
Gc = mlp_init([Z_DIM, 6, 2], rng)
Dc = mlp_init([2, 5, 1], rng)
for layer in (
    Gc + Dc
):  # non-zero biases: with all-zero ones, a sample whose ReLUs are all off
    layer[1][...] = 0.1 * rng.standard_normal(
        layer[1].shape
    )  # gives G(z) = 0 and sits D on its kink
zc = rng.standard_normal((7, Z_DIM))


def L_G():
    a_, _ = mlp_forward(Dc, mlp_forward(Gc, zc, 0.0)[0], ALPHA)
    return float(np.mean(np.logaddexp(0.0, -a_)))  # −log σ(a), stable


fake_c, c_gc = mlp_forward(Gc, zc, 0.0)
a_c, c_dc = mlp_forward(Dc, fake_c, ALPHA)
dfake_c, _ = mlp_backward(Dc, c_dc, bce_logits_grad(a_c, 1.0), ALPHA)
_, gGc = mlp_backward(Gc, c_gc, dfake_c, 0.0)
errs = [
    gradcheck.rel_error(g, gradcheck.numerical_gradient(L_G, p))
    for layer, gl in zip(Gc, gGc)
    for p, g in zip(layer, gl)
]
print(
    f"∂L_G/∂θ_g through the frozen D vs finite differences: max relative error {max(errs):.1e}"
)
assert max(errs) < 1e-6

# %% [markdown]
# ## 6. This is now `minigan.gan.GAN`
#
# The same networks built from minigan layers (`Dense` stores `W` as `(out, in)`, PyTorch's
# layout, the transpose of our scratch `(in, out)`), and `GAN(G, D, latent_dim, g_opt, d_opt, k=...)`
# runs Algorithm 1: `train_step(real)` does `k` discriminator steps (with a callable `real`, a
# fresh batch for each) and one generator step, with `L_D` of document 002 and the
# non-saturating loss by default (`g_loss="minimax"` for the saturating one, `real_label=0.9`
# for document 000's one-sided label smoothing). First we check that a minigan `Sequential`
# with the scratch weights computes the same `D` and the same input gradient; then we rerun
# the collapse/cure pair with `minigan.gan.GAN`.


# %%
def to_minigan(params, hidden_act):
    layers = []
    for i, (W, b) in enumerate(params):
        d = mg.Dense(W.shape[0], W.shape[1], dtype=np.float64)
        d.params["W"].data[...] = W.T
        d.params["b"].data[...] = b
        layers.append(d)
        if i < len(params) - 1:
            layers.append(hidden_act())
    return mg.Sequential(*layers)


Dm = to_minigan(Dc, lambda: mg.LeakyReLU(ALPHA))
xq = rng.standard_normal((7, 2))
a_s, c_s = mlp_forward(Dc, xq, ALPHA)
dq = rng.standard_normal((7, 1))
dx_s, _ = mlp_backward(Dc, c_s, dq, ALPHA)
a_m = Dm(xq)
dx_m = Dm.backward(dq)
print(
    f"scratch D vs minigan Sequential: |Δ logits| {np.abs(a_s - a_m).max():.1e}, |Δ dx| {np.abs(dx_s - dx_m).max():.1e}"
)
assert np.allclose(a_s, a_m) and np.allclose(dx_s, dx_m)


def minigan_ring_gan(k, lr_g, lr_d, steps, seed, batch=64):
    mg.manual_seed(seed)
    G = mg.Sequential(
        mg.Dense(Z_DIM, HIDDEN),
        mg.ReLU(),
        mg.Dense(HIDDEN, HIDDEN),
        mg.ReLU(),
        mg.Dense(HIDDEN, 2),
    )
    D = mg.Sequential(
        mg.Dense(2, HIDDEN),
        mg.LeakyReLU(ALPHA),
        mg.Dense(HIDDEN, HIDDEN),
        mg.LeakyReLU(ALPHA),
        mg.Dense(HIDDEN, 1),
    )
    gan = GAN(
        G,
        D,
        latent_dim=Z_DIM,
        k=k,
        seed=seed,
        g_opt=mg.Adam(G.parameters(), lr=lr_g, beta1=0.5),
        d_opt=mg.Adam(D.parameters(), lr=lr_d, beta1=0.5),
    )
    r = np.random.default_rng(seed)
    real = lambda: ring_of_gaussians(
        batch, std=STD, rng=r
    )  # a fresh real batch per D step
    for _ in range(steps):
        gan.train_step(real)
    return gan


minigan_results = {}
for name, cfg in settings.items():
    t0 = time.perf_counter()
    gan = minigan_ring_gan(steps=STEPS, seed=0, **cfg)
    samples = mg.as_numpy(gan.sample(2000)).astype(np.float64)
    covered, quality = ring_metrics(samples)
    minigan_results[name] = dict(
        samples=samples, covered=covered, quality=quality, history=gan.history
    )
    print(
        f"minigan.gan.GAN, {name:<34}: {covered}/8 modes covered, quality {quality:.0%} "
        f"({time.perf_counter() - t0:.1f} s)"
    )

# %% [markdown]
# ### One discriminator update or two: the documents' loops are not the same
#
# Algorithm 1 (document 001 §4.1, line 5) updates `θ_d` **once** per discriminator step, on
# the gradient of the whole `V`, i.e. of document 002's `L_D = ½ BCE(D(x), 1) + ½ BCE(D(G(z)), 0)`.
# That is `GAN`'s default (`d_update="joint"`), and our from-scratch loop above. Document 000's
# TensorFlow code does the same with the sum instead of the half-sum
# (`erro_discriminador = erro_discriminador_real + erro_discriminador_ruido`, one
# `AdamOptimizer(...).minimize`; with Adam a constant factor on the loss changes almost
# nothing, since Adam divides it out up to `ε`).
#
# Document 003 ch. 3's Keras loop is **not** that loop:
#
#     generated_images = generator.predict(noise)
#     discriminator_real_loss = discriminator.train_on_batch(real_images, real)
#     discriminator_fake_loss = discriminator.train_on_batch(generated_images, fake)
#     discriminator_loss = 0.5 * np.add(discriminator_real_loss, discriminator_fake_loss)
#
# 1. **Two** Adam updates per iteration, each on one batch's *full* BCE; the second is taken
#    from where the first left `D`. The `0.5 * np.add(...)` line only *reports* the two
#    losses; it is not the loss that was descended.
# 2. The fakes come from `generator.predict`: `G` in **inference mode**, so its BatchNorm
#    layers normalize with their running statistics (lesson 07), not the batch's. The
#    generator's own step (`combined.train_on_batch(noise, real)`) runs `G` in training mode,
#    so `D` is trained on fakes made one way and `G` is trained through fakes made the other.
#    Early in training, when the running statistics lag behind the weights, the two differ.
#
# Document 001 §6.2 also trains `D` in separate stages, stage (1) on a real batch and stage
# (2) on a fake one, before the generator's stage (3) (lesson 19). `minigan.gan.GAN` offers
# both loops exactly: `d_update="separate"` is the two `train_on_batch` updates, and
# `fake_mode="eval"` makes the fakes with `G` in inference mode like `generator.predict`;
# the defaults (`"joint"`, `"train"`) are Algorithm 1 with `G` in training mode, as in a
# PyTorch loop. Below: document 003's discriminator step written from scratch on the ring
# networks, checked equal to `GAN(d_update="separate")` (the ring `G` has no BatchNorm, so
# `fake_mode` changes nothing here), then the collapse setting of section 4 run with each.

# %%
r_sep = np.random.default_rng(11)
G_sep, D_sep = (
    mlp_init([Z_DIM, HIDDEN, HIDDEN, 2], r_sep),
    mlp_init([2, HIDDEN, HIDDEN, 1], r_sep),
)
G_sep_m, D_sep_m = (
    to_minigan(G_sep, mg.ReLU),
    to_minigan(D_sep, lambda: mg.LeakyReLU(ALPHA)),
)  # copies
opt_sep = ScratchAdam(D_sep, lr=2e-4, beta1=0.5)
gan_sep = GAN(
    G_sep_m,
    D_sep_m,
    latent_dim=Z_DIM,
    d_update="separate",
    fake_mode="eval",
    g_opt=mg.Adam(G_sep_m.parameters(), lr=2e-3, beta1=0.5),
    d_opt=mg.Adam(D_sep_m.parameters(), lr=2e-4, beta1=0.5),
)
for _it in range(3):
    xi, x = r_sep.standard_normal((64, Z_DIM)), ring_batch(64, r_sep)
    gan_sep.sample_noise = lambda n, xi=xi: xi  # the same noise for both
    gan_sep.d_step(x)
    fake, _ = mlp_forward(G_sep, xi, 0.0)  # generator.predict(noise)
    a_r, c_r = mlp_forward(
        D_sep, x, ALPHA
    )  # train_on_batch(real_images, real): full BCE
    opt_sep.step(mlp_backward(D_sep, c_r, bce_logits_grad(a_r, 1.0), ALPHA)[1])
    a_f, c_f = mlp_forward(
        D_sep, fake, ALPHA
    )  # train_on_batch(generated_images, fake),
    opt_sep.step(
        mlp_backward(D_sep, c_f, bce_logits_grad(a_f, 0.0), ALPHA)[1]
    )  # on the updated D
err_sep = max(
    np.abs(W.T - layer.W.data).max()
    for (W, b), layer in zip(D_sep, [m for m in D_sep_m if isinstance(m, mg.Dense)])
)
print(
    f"document 003's D step from scratch vs GAN(d_update='separate'): max |ΔW| after 3 steps {err_sep:.1e} "
    f"({opt_sep.t} Adam updates, 2 per step)"
)
assert err_sep < 1e-12 and gan_sep.d_opt.t == opt_sep.t == 6


def minigan_ring_gan_variant(d_update, steps, seed, batch=64):
    mg.manual_seed(seed)
    G = mg.Sequential(
        mg.Dense(Z_DIM, HIDDEN),
        mg.ReLU(),
        mg.Dense(HIDDEN, HIDDEN),
        mg.ReLU(),
        mg.Dense(HIDDEN, 2),
    )
    D = mg.Sequential(
        mg.Dense(2, HIDDEN),
        mg.LeakyReLU(ALPHA),
        mg.Dense(HIDDEN, HIDDEN),
        mg.LeakyReLU(ALPHA),
        mg.Dense(HIDDEN, 1),
    )
    gan = GAN(
        G,
        D,
        latent_dim=Z_DIM,
        seed=seed,
        d_update=d_update,
        g_opt=mg.Adam(G.parameters(), lr=2e-3, beta1=0.5),
        d_opt=mg.Adam(D.parameters(), lr=2e-4, beta1=0.5),
    )
    r = np.random.default_rng(seed)
    for _ in range(steps):
        gan.train_step(ring_of_gaussians(batch, std=STD, rng=r))
    return ring_metrics(mg.as_numpy(gan.sample(2000)).astype(np.float64))


joint = minigan_results[
    "collapse: lr_G = 10·lr_D, k = 1"
]  # section 6's run: the same seed and batches
print(
    f"collapse setting (lr_G = 10·lr_D, k = 1), d_update='joint'   : {joint['covered']}/8 modes covered, "
    f"quality {joint['quality']:.0%} (section 6)"
)
t0 = time.perf_counter()
covered_sep, quality_sep = minigan_ring_gan_variant("separate", STEPS, seed=0)
print(
    f"collapse setting (lr_G = 10·lr_D, k = 1), d_update='separate': {covered_sep}/8 modes covered, "
    f"quality {quality_sep:.0%} ({time.perf_counter() - t0:.1f} s)"
)

# %% [markdown]
# On the ring, when we ran it (full mode, seed 0): `joint` 1/8 modes, `separate` 2/8. Two
# discriminator updates per iteration are not `k = 2`, let alone section 4's cure `k = 5`:
# each of the two sees only half of the data (the reals or the fakes), so `D` does not get
# closer to `D*` the way `k` full steps bring it, and the generator still runs ahead.
#
# **On the example.** We trained the dense GAN of document 003 (`python examples/mnist_gan.py`,
# the Keras recipe: G 64 → 128 → 256 → 512 → 784 with BatchNorm, D 784 → 256 → 128 → 1, Adam
# 2e-4/0.5, batch 128) with both loops, on the same seed, for the same number of steps:
#
# | steps | Algorithm 1 (`joint`, `train`): confident ≥ 0.9 / digits / FID | document 003 (`separate`, `eval`): confident / digits / FID |
# |---|---|---|
# | 1 500 | 0.2 % / 2 / 242.2 | 0.0 % / 0 / 245.3 |
# | 4 000 | 7.8 % / 5 / 134.8 | 13.2 % / 9 / 114.7 |
# | 6 000 | 37.0 % / 10 / 44.3 | 35.8 % / 10 / 64.2 |
#
# (1 000 samples each, scored by the evaluation classifier; FID against 1 000 held-out real
# digits, real against real 4.71. Seed 0, one BLAS thread, `--steps 1500`, then `--resume`
# to 4 000 and 6 000, which continues a CPU run exactly; the two runs took the same CPU time,
# about 50 s for the last 2 000 steps each, on a shared 2-core machine.)
#
# The two changes one at a time, 6 000 steps from scratch, same seed: `separate` with `train`
# fakes 37.6 % / 10 / 53.7; `joint` with `eval` fakes 36.8 % / 10 / 43.6.
#
# Neither loop wins. The lead changes sign between 4 000 and 6 000 steps; at 6 000 all four
# runs are within 2 points of confident share (35.8–37.6 %), and their FIDs (43.6–64.2) are
# spread about as much as two 5 000-step runs of the *same* default loop (`examples/README.md`:
# FID 62.9 and 23.1). The two `separate` runs had the higher FIDs (53.7, 64.2 against 44.3,
# 43.6): a hint worth testing with more seeds, not a result. So "the same" is wrong as a
# description of the code — the updates differ, and `tests/test_gan.py` checks each against
# a hand-computed sequence — but on this example, with one seed, we could not measure a
# difference in the result. To claim one you would need several seeds per loop (exercise 6).
#
# **A pitfall for students who try document 003's code today.** It compiles the
# discriminator, *then* sets `discriminator.trainable = False` and builds `combined`. In
# Keras 2 `compile` captured the flag, so the discriminator stayed trainable in its own
# `train_on_batch` and was frozen only inside `combined`. Keras 3 reads `trainable` when it
# trains, so the same lines freeze the discriminator for good: its `train_on_batch` calls
# update nothing, and Keras only warns "The model does not have any trainable weights". The
# generator then trains against a discriminator that never learns (Keras is not a dependency
# of this course, so this lesson cannot run it). The fix is to set
# `discriminator.trainable = True` before the discriminator's two `train_on_batch` calls and
# `False` before `combined.train_on_batch`, or to write the step yourself, as minigan does:
# `GAN.g_step` runs `D` inside `frozen(D)` and simply never steps `d_opt`.

# %% [markdown]
# ## 7. Plots
#
# Figure 1: `D*` against the learned `D`, and the generator-loss gradients. Figure 2: the
# generator's samples over training (from-scratch loop, seed 0) for the collapsing and the
# cured setting, and the final samples of the minigan runs.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
ax = axes[0]
ax.plot(xs, p_data_1d(xs), "k-", lw=1, label="p_data")
ax.plot(xs, p_g_1d(xs), "k--", lw=1, label="p_g (fixed)")
ax.plot(xs, D_star, "C0", lw=2, label="D* = p_data / (p_data + p_g)")
ax.plot(
    xs,
    D_learned,
    "C1",
    lw=2,
    ls=":",
    label=f"D trained from scratch (max gap {gap:.2f})",
)
ax.axhline(0.5, color="gray", lw=0.5)
ax.set_title("Proposição 1 (document 001 §4.2): the optimal discriminator")
ax.set_ylim(0, 1.15)
ax.legend(fontsize=7, loc="upper center", ncol=2)
ax = axes[1]
ax.plot(Dg, np.abs(grad_sat), label="saturating: |∂ log(1 − D)/∂a| = D")
ax.plot(Dg, np.abs(grad_ns), label="non-saturating: |∂ (−log D)/∂a| = 1 − D")
ax.axvline(float(sigmoid(a_f).mean()), color="gray", ls="--", lw=1)
ax.text(
    float(sigmoid(a_f).mean()) + 0.02,
    0.5,
    f"mean D(G(z)) vs a trained D\n‖∇θ_g‖ sat/non-sat = {norms['saturating']:.1e} / {norms['non-saturating']:.1e}",
    fontsize=8,
)
ax.set_xlabel("D(G(ξ)) = σ(a)")
ax.set_ylabel("|gradient w.r.t. the logit a|")
ax.set_title("generator loss gradients")
ax.legend(fontsize=8)
fig.tight_layout()
path1 = save(fig, "14_dstar_and_gradients.png", dpi=90)

fig, axes = plt.subplots(3, 4, figsize=(13, 10))
data_pts = ring_batch(2000, rng)
for row, name in enumerate(settings):
    snaps = ring_results[(name, 0)]["snaps"]
    for col, st in enumerate(SNAP_AT):
        ax = axes[row, col]
        ax.scatter(data_pts[:, 0], data_pts[:, 1], s=1, c="lightgray")
        ax.scatter(snaps[st][:, 0], snaps[st][:, 1], s=1, c="C3" if row == 0 else "C2")
        cov, q = ring_metrics(snaps[st])
        ax.set_title(f"{name}\nstep {st}: {cov}/8 modes, quality {q:.0%}", fontsize=8)
for col, name in enumerate(settings):
    ax = axes[2, col]
    s_ = minigan_results[name]["samples"]
    ax.scatter(data_pts[:, 0], data_pts[:, 1], s=1, c="lightgray")
    ax.scatter(s_[:, 0], s_[:, 1], s=1, c="C3" if col == 0 else "C2")
    ax.set_title(
        f"minigan.gan.GAN, {name}\nstep {STEPS}: {minigan_results[name]['covered']}/8 modes, "
        f"quality {minigan_results[name]['quality']:.0%}",
        fontsize=8,
    )
for col, name in enumerate(settings):
    ax = axes[2, 2 + col]
    h = minigan_results[name]["history"]
    ax.plot(h["d_x"], lw=0.5, label="mean D(x)")
    ax.plot(h["d_g_z"], lw=0.5, label="mean D(G(z))")
    ax.set_ylim(0, 1)
    ax.set_xlabel("generator step")
    ax.set_title(f"minigan run, {name}", fontsize=8)
    ax.legend(fontsize=7)
for ax in axes[:, :].ravel()[:10]:
    ax.set_xlim(-3, 3)
    ax.set_ylim(-3, 3)
    ax.set_aspect("equal")
fig.suptitle(
    "Lesson 14: mode collapse on a ring of 8 Gaussians (gray: data; colour: G's samples)"
)
fig.tight_layout()
path2 = save(fig, "14_ring_mode_collapse.png", dpi=80)

# %% [markdown]
# ## What to take away
#
# Read the printed table (and the figure). With the generator 10x faster than the
# discriminator and `k = 1`, the samples bunch into a few streaks that drift around the circle
# and hit few modes; with `k = 5` the same networks and learning rates spread over the ring,
# in the scratch loop and in `minigan.gan.GAN` alike.
#
# Be honest about what `k` buys. The line "collapse setting with 5x the iterations" gives the
# `k = 1` run as many discriminator updates as the `k = 5` run (and 5x as many generator
# updates). When we ran it (seed 0), it had recovered all 8 modes: here the collapse is a
# *phase* the over-eager generator falls into and only slowly climbs out of, while `k = 5`
# keeps it from happening at all, at the same number of generator updates. In real GANs the
# collapsed phase can last the whole budget, which is why it matters. GAN training is noisy:
# the exact counts depend on the seed and on the number of steps (this lesson trains for
# seconds); rerun with more seeds and larger `STEPS` to see how reliable each setting is.
# Other cures to try: balance the learning rates, a bigger minibatch, one-sided label
# smoothing.
#
# ## Exercises
#
# 1. Run the collapsing setting with `g_loss="minimax"` in `minigan.gan.GAN`. What happens to
#    `D(G(z))` in the history, and why (section 3)?
# 2. Set `lr_G = lr_D = 1e-3` with `k = 1`. Does the GAN still collapse?
# 3. Document 000 labels real images 0.9 instead of 1 (one-sided label smoothing,
#    `GAN(..., real_label=0.9)`). Derive the optimal discriminator for that loss. Does it cure
#    the collapsing setting here?
# 4. Replace the fixed `p_g` of section 2 by `p_data` itself. What does the trained `D` output?
#    What is `V(D*, G)`?
# 5. Count how many gradient evaluations of `D` one iteration of Algorithm 1 costs with `k = 5`.
#    Is `k = 5` a fair comparison with `k = 1` at the same number of *iterations*? Repeat the
#    experiment at equal compute.
# 6. The comparison on the example above is one seed per loop. Rerun the four combinations of
#    `--d-update` and `--fake-mode` with `--seed 1` and `--seed 2` (6 000 steps each). Is the
#    `separate` runs' higher FID still there? Then give `G` no BatchNorm (the ring GAN): which
#    of the two flags can still matter?
# 7. Show that, with the same `lr`, `d_update="separate"` moves `D` about twice as far per
#    iteration as `"joint"` with plain SGD (hint: the joint step's gradient has the factor ½).
#    Why is the factor almost irrelevant with Adam?

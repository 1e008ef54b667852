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
# # Lesson 17: GAN training loops compared
#
# **Objective.** This lesson is an appendix to lesson 14. It comes after lesson 16 because it
# measures with the FID. Lesson 14 trained the discriminator with Goodfellow's Algorithm 1:
# one update per discriminator step, on the average of the loss on a real batch and on a
# fake batch. The code in the documents does not always do that. Here you will see exactly
# how the discriminator step of Algorithm 1, of document 000's TensorFlow code and of
# document 003's Keras loop differ; write document 003's step from scratch and check it
# against `GAN(d_update="separate", fake_mode="eval")`; test whether the separate loop makes
# a faster discriminator; compare the loops on MNIST with the FID of lesson 16, with more than one
# seed; and learn a pitfall of document 003's code in today's Keras.
#
# Sources:
# - document 001 (Marques 2021) §4.1 (Algorithm 1), §5.3 (FID) and §6.2 (the three training
#   stages, lesson 19);
# - document 002 (AI2 slides): the discriminator's loss $\mathcal{L}_D$;
# - document 000 (Guimarães 2019) §3.2.3 "Função de custo" and §3.2.4 "Treinamento" (one
#   Adam optimizer on the sum of the two losses);
# - document 003 (Pereira n.d.) ch. 3: the Keras MNIST GAN's `train` function (two
#   `train_on_batch` calls, fakes from `generator.predict`).

# %%
import time

import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import metrics
from minigan.data import load_mnist, ring_of_gaussians
from minigan.gan import GAN

from _course import FAST, save, t  # lessons/_course.py: fast mode, figures, words

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Three discriminator steps
#
# **Algorithm 1** (document 001 §4.1, line 5) updates $\theta_d$ **once** per discriminator
# step, on the gradient of the whole value function, that is of document 002's loss
# $\mathcal{L}_D$. Written with the binary cross-entropy of lesson 03 and one step of plain
# gradient descent with learning rate $\eta$:
#
# $$
# \theta_d \leftarrow \theta_d - \eta\, \nabla_{\theta_d} \left[ \tfrac{1}{2}\,\text{BCE}\left(D(x), 1\right) + \tfrac{1}{2}\,\text{BCE}\left(D(G(z)), 0\right) \right]
# \tag{002}
# \label{eq:17-joint}
# $$
#
# This is `GAN`'s default, `d_update="joint"`, and the from-scratch loop of lesson 14.
#
# **Document 000's TensorFlow code** does the same with the sum instead of the half-sum
# (`erro_discriminador = erro_discriminador_real + erro_discriminador_ruido`, then one
# `AdamOptimizer(...).minimize`). With Adam a constant factor $c > 0$ on the loss changes
# almost nothing. Adam divides the first moment of the gradients by the square root of the
# second moment (document 001 §2.8, lesson 04), and both scale with $c$:
#
# $$
# \frac{c\, \hat{m}_t}{\sqrt{c^2\, \hat{v}_t} + \epsilon} = \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon / c}
# \tag{17.1}
# $$
#
# so the factor only moves the small $\epsilon$.
#
# **Document 003 ch. 3's Keras loop** is not that loop. Its discriminator step reads:
#
# ```python
# generated_images = generator.predict(noise)
# discriminator_real_loss = discriminator.train_on_batch(real_images, real)
# discriminator_fake_loss = discriminator.train_on_batch(generated_images, fake)
# discriminator_loss = 0.5 * np.add(discriminator_real_loss, discriminator_fake_loss)
# ```
#
# It differs in two ways.
#
# 1. **Two** Adam updates per iteration, each on one batch's *full* BCE; the second starts
#    from where the first left $D$. With plain gradient descent:
#
#    $$
#    \begin{aligned}
#    \theta_d' &= \theta_d - \eta\, \nabla \text{BCE}\left(D_{\theta_d}(x), 1\right) \cr
#    \theta_d'' &= \theta_d' - \eta\, \nabla \text{BCE}\left(D_{\theta_d'}(\tilde{x}), 0\right)
#    \end{aligned}
#    \tag{003 ch. 3}
#    \label{eq:17-separate}
#    $$
#
#    The `0.5 * np.add(...)` line only *reports* the average of the two losses; it is not the
#    loss that was descended.
# 2. The fakes $\tilde{x}$ come from `generator.predict`: $G$ in **inference mode**, so its
#    BatchNorm layers normalize with their running statistics (lesson 07), not with the
#    batch's. The generator's own step (`combined.train_on_batch(noise, real)`) runs $G$ in
#    training mode, so $D$ is trained on fakes made one way and $G$ is trained through fakes
#    made the other. Early in training, when the running statistics lag behind the weights,
#    the two differ.
#
# How different is the first point? Write $g_r$ and $g_f$ for the gradients of the real and
# the fake BCE at $\theta_d$, and $H_f$ for the Hessian of the fake BCE. A Taylor expansion
# of the second gradient around $\theta_d$ gives
#
# $$
# \theta_d'' = \theta_d - \eta\,(g_r + g_f) + \eta^2 H_f\, g_r + O(\eta^3)
# \tag{17.2}
# \label{eq:17-taylor}
# $$
#
# To first order in $\eta$ this is the joint step $\eqref{eq:17-joint}$ with **twice** the
# learning rate (the joint step has the factor $\tfrac{1}{2}$); the $\eta^2$ term is the
# effect of the fake update seeing $D$ after the real one. With Adam the factor
# $\tfrac{1}{2}$ disappears (as above), but two Adam updates make two steps of size about
# $\eta$ each instead of one, so one might expect a discriminator twice as fast here too.
# Section 3 tests both expectations.
#
# Document 001 §6.2 also trains $D$ in separate stages, stage (1) on a real batch and stage
# (2) on a fake one, before the generator's stage (3) (lesson 19). `minigan.gan.GAN` offers
# both loops exactly: `d_update="separate"` is the two `train_on_batch` updates, and
# `fake_mode="eval"` makes the fakes with $G$ in inference mode like `generator.predict`.
# The defaults (`"joint"`, `"train"`) are Algorithm 1 with $G$ in training mode, as in a
# PyTorch loop.

# %% [markdown]
# ## 2. The two loops from scratch, checked against minigan
#
# The from-scratch building blocks of lesson 14 (an MLP with its backward pass, Adam, the
# gradient of the BCE with respect to the logit), repeated here so that this lesson runs on
# its own.


# %%
def sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def mlp_init(sizes, rng):
    """[(W, b), ...] with W ~ N(0, 1/n_in) (document 001 §2.10)."""
    return [
        [rng.standard_normal((n_in, n_out)) / np.sqrt(n_in), np.zeros(n_out)]
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    ]


def mlp_forward(params, x, alpha):
    cache, h = [], x
    for i, (W, b) in enumerate(params):
        z = h @ W + b
        cache.append((h, z))
        h = z if i == len(params) - 1 else np.where(z > 0, z, alpha * z)
    return h, cache


def mlp_backward(params, cache, dout, alpha):
    grads, d = [None] * len(params), dout
    for i in reversed(range(len(params))):
        h, z = cache[i]
        if i < len(params) - 1:
            d = d * np.where(z > 0, 1.0, alpha)
        grads[i] = [h.T @ d, d.sum(axis=0)]
        d = d @ params[i][0].T
    return d, grads


class ScratchAdam:
    """Adam with bias correction (document 001 §2.8); lr only (β1 0.5, β2 0.999)."""

    def __init__(self, params, lr, beta1=0.5, beta2=0.999, eps=1e-8):
        self.params, self.lr, self.b1, self.b2 = params, lr, beta1, beta2
        self.eps, self.t = eps, 0
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


class ScratchSGD:
    """Plain gradient descent, the η of equations (002) and (003 ch. 3)."""

    def __init__(self, params, lr):
        self.params, self.lr, self.t = params, lr, 0

    def step(self, grads):
        self.t += 1
        for layer, glayer in zip(self.params, grads):
            for p, g in zip(layer, glayer):
                p -= self.lr * g


def bce_logits_grad(a, y):
    """∂/∂a of the mean BCE(σ(a), y): (σ(a) − y) / m."""
    return (sigmoid(a) - y) / a.shape[0]


def add_grads(g1, g2):
    return [[p + q for p, q in zip(l1, l2)] for l1, l2 in zip(g1, g2)]


def d_step_joint(D, opt, x, fake, alpha=0.2):
    """Algorithm 1, line 5: one update on ½ BCE(D(x), 1) + ½ BCE(D(fake), 0)."""
    a_r, c_r = mlp_forward(D, x, alpha)
    a_f, c_f = mlp_forward(D, fake, alpha)
    _, g_r = mlp_backward(D, c_r, 0.5 * bce_logits_grad(a_r, 1.0), alpha)
    _, g_f = mlp_backward(D, c_f, 0.5 * bce_logits_grad(a_f, 0.0), alpha)
    opt.step(add_grads(g_r, g_f))


def d_step_separate(D, opt, x, fake, alpha=0.2):
    """Document 003: train_on_batch(real, 1), then train_on_batch(fake, 0)."""
    a_r, c_r = mlp_forward(D, x, alpha)
    opt.step(mlp_backward(D, c_r, bce_logits_grad(a_r, 1.0), alpha)[1])
    a_f, c_f = mlp_forward(D, fake, alpha)  # on the updated D
    opt.step(mlp_backward(D, c_f, bce_logits_grad(a_f, 0.0), alpha)[1])


def to_minigan(params, alpha=0.2):
    """The scratch MLP as a minigan Sequential (Dense stores W as (out, in))."""
    layers = []
    for i, (W, b) in enumerate(params):
        d = mg.Dense(W.shape[0], W.shape[1], dtype=np.float64)
        d.params["W"].data[...] = W.T
        d.params["b"].data[...] = b
        layers += [d] if i == len(params) - 1 else [d, mg.LeakyReLU(alpha)]
    return mg.Sequential(*layers)


def max_weight_gap(D_scratch, D_minigan):
    dense = [m for m in D_minigan if isinstance(m, mg.Dense)]
    return max(
        max(np.abs(W.T - m.W.data).max(), np.abs(b - m.b.data).max())
        for (W, b), m in zip(D_scratch, dense)
    )


# %% [markdown]
# The check: a discriminator on the 2-D ring of lesson 14, and a small generator **with
# BatchNorm**, so that the mode in which $G$ makes the fakes matters. For each loop we take
# three discriminator steps from scratch and with `minigan.gan.GAN`, from the same weights,
# on the same real batches and the same noise, and compare the discriminator's weights. The
# scratch side makes its fakes as document 003 does: `generator.predict` is $G$ in inference
# mode (`G.eval()`). A last line shows that with `fake_mode="train"` the same separate
# updates give another discriminator, because the fakes differ.

# %%
Z_DIM = 2
r_chk = np.random.default_rng(11)
G_bn = mg.Sequential(
    mg.Dense(Z_DIM, 16, dtype=np.float64),
    mg.BatchNorm(16, dtype=np.float64),
    mg.ReLU(),
    mg.Dense(16, 2, dtype=np.float64),
)
D_init = mlp_init([2, 32, 32, 1], r_chk)
batches = [
    (r_chk.standard_normal((64, Z_DIM)), ring_of_gaussians(64, std=0.05, rng=r_chk))
    for _ in range(3)
]


def predict(G, xi):
    """Keras' generator.predict: G in inference mode (running statistics)."""
    G.eval()
    out = G(xi)
    G.train()
    return out


def make_fakes(G, xi, mode):
    """G(ξ) in training mode (as in PyTorch) or inference mode (generator.predict)."""
    return G(xi) if mode == "train" else predict(G, xi)


gaps = {}
print(f"{'from scratch':<26}{'minigan':<25}{'max |ΔW|':>9}{'Adam updates':>16}")
for d_update, fake_mode, scratch_fakes in [
    ("joint", "train", "train"),
    ("separate", "eval", "eval"),
    ("separate", "train", "eval"),
]:
    scratch_step = d_step_joint if d_update == "joint" else d_step_separate
    D_s = [[W.copy(), b.copy()] for W, b in D_init]
    opt_s = ScratchAdam(D_s, lr=2e-4)
    D_m = to_minigan(D_init)
    gan = GAN(
        G_bn,
        D_m,
        latent_dim=Z_DIM,
        d_update=d_update,
        fake_mode=fake_mode,
        g_opt=mg.Adam(G_bn.parameters(), lr=2e-4, beta1=0.5),
        d_opt=mg.Adam(D_m.parameters(), lr=2e-4, beta1=0.5),
    )
    for xi, x in batches:
        gan.sample_noise = lambda n, xi=xi: xi  # the same noise on both sides
        gan.d_step(x)
        scratch_step(D_s, opt_s, x, make_fakes(G_bn, xi, scratch_fakes))
    gap = max_weight_gap(D_s, D_m)
    gaps[(d_update, fake_mode)] = gap
    scratch = f"{d_update}, {scratch_fakes}-mode fakes"
    ours = f"GAN({d_update!r}, {fake_mode!r})"
    print(f"{scratch:<26}{ours:<25}{gap:>9.1e}{opt_s.t:>8}{gan.d_opt.t:>8}")
    assert opt_s.t == gan.d_opt.t == (3 if d_update == "joint" else 6)
assert gaps[("joint", "train")] < 1e-12 and gaps[("separate", "eval")] < 1e-12
assert gaps[("separate", "train")] > 1e-6  # training-mode fakes are other fakes

# %% [markdown]
# What to read: Algorithm 1's joint step and document 003's separate step (with fakes made in
# inference mode) agree with `GAN` to round-off, with 3 Adam updates for 3 joint steps and 6
# for 3 separate ones. The last line feeds the separate step the same fakes as the second
# line but lets `GAN` make its own in training mode: the noise, $G$ and $D$ are the same, only
# BatchNorm's statistics differ, and the discriminators come out different. (The ring
# generator of lesson 14 has no BatchNorm; there `fake_mode` would change nothing.)
#
# ## 3. Is the separate loop a faster discriminator?
#
# Equation $\eqref{eq:17-taylor}$ predicts that with plain gradient descent the separate
# loop behaves, to first order, like the joint loop with twice the learning rate. We test it
# in a controlled setting: keep $G$ fixed (an untrained generator, as early in training),
# start every loop from the same $D$, feed all of them the same batches, and follow
# $\mathcal{L}_D$ of $\eqref{eq:17-joint}$ on a fixed evaluation set of 1 000 real points and
# 1 000 fakes. A faster discriminator is one whose loss falls sooner. Three loops: joint,
# separate, and joint with twice the learning rate; with plain gradient descent and with
# Adam. We also print the length of $D$'s first step, taken from the same start by both
# loops, $\lVert \theta_d^{\text{after}} - \theta_d^{\text{before}} \rVert$.

# %%
G_fixed = mlp_init([Z_DIM, 32, 32, 2], np.random.default_rng(3))
N_IT = 100 if FAST else 300
r_meas = np.random.default_rng(4)
meas_batches = [
    (ring_of_gaussians(64, std=0.05, rng=r_meas), r_meas.standard_normal((64, Z_DIM)))
    for _ in range(N_IT)
]
x_eval = ring_of_gaussians(1000, std=0.05, rng=np.random.default_rng(9))
xi_eval = np.random.default_rng(10).standard_normal((1000, Z_DIM))
fake_eval = mlp_forward(G_fixed, xi_eval, 0.0)[0]


def loss_D(D):
    """L_D = ½ BCE(D(x), 1) + ½ BCE(D(G(ξ)), 0) on the evaluation set (stable form)."""
    a_r, a_f = mlp_forward(D, x_eval, 0.2)[0], mlp_forward(D, fake_eval, 0.2)[0]
    return 0.5 * np.mean(np.logaddexp(0, -a_r)) + 0.5 * np.mean(np.logaddexp(0, a_f))


def flat(params):
    return np.concatenate([p.ravel() for layer in params for p in layer])


RUNS3 = {"joint": (d_step_joint, 1), "separate": (d_step_separate, 1)}
RUNS3["joint, lr x 2"] = (d_step_joint, 2)
curves, first_step = {}, {}
for opt_name, make_opt, lr in [("SGD", ScratchSGD, 0.05), ("Adam", ScratchAdam, 2e-4)]:
    for loop, (d_step, factor) in RUNS3.items():
        D_w = [[W.copy(), b.copy()] for W, b in D_init]
        opt = make_opt(D_w, lr=lr * factor)
        curve = [loss_D(D_w)]
        for it, (x, xi) in enumerate(meas_batches):
            before = flat(D_w)
            d_step(D_w, opt, x, mlp_forward(G_fixed, xi, 0.0)[0])
            if it == 0:
                first_step[(opt_name, loop)] = np.linalg.norm(flat(D_w) - before)
            curve.append(loss_D(D_w))
        curves[(opt_name, loop)] = np.array(curve)

print(
    f"L_D on the evaluation set after {N_IT} iterations (it starts at {curve[0]:.3f}):"
)
for opt_name in ("SGD", "Adam"):
    ratio = first_step[(opt_name, "separate")] / first_step[(opt_name, "joint")]
    ends = ", ".join(f"{loop} {curves[(opt_name, loop)][-1]:.3f}" for loop in RUNS3)
    print(f"  {opt_name:<4}: {ends}")
    print(f"        first step, separate / joint: {ratio:.2f}")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The discriminator's loss on a fixed evaluation set while it trains against a fixed generator, for the joint update of Algorithm 1, the separate updates of document 003, and the joint update with twice the learning rate; plain gradient descent (left) and Adam (right). Same start and same batches for every curve.", "name": "fig-17-d-speed"}}
fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
styles = {"joint": ("C0", "-"), "separate": ("C3", "-"), "joint, lr x 2": ("k", ":")}
for ax, opt_name in zip(axes, ("SGD", "Adam")):
    for loop, (color, ls) in styles.items():
        ax.plot(curves[(opt_name, loop)], color=color, ls=ls, lw=1.5, label=loop)
    ax.set_xlabel(t("iteration"))
    ax.set_ylabel(t(r"$\mathcal{L}_D$ on the evaluation set"))
    ax.set_title(opt_name, fontsize=11)
    ax.legend(fontsize=10)
fig.tight_layout()
save(fig, "17_d_speed.png", dpi=100)

# %% [markdown]
# With plain gradient descent, what to look for is the separate curve lying on the dotted
# one: the first step is twice as long, and the loss falls as with twice the learning rate,
# as $\eqref{eq:17-taylor}$ says. With Adam the picture changes. Adam's first step moves every
# weight by about $\eta$ whatever the loss, so the separate loop's two steps are not twice
# as long as the joint loop's one: the second step mixes the real gradient (kept in Adam's
# first moment) with the fake one, which often points the other way, and the two steps
# partly cancel. In the full run of this lesson, the separate loop's loss followed the
# joint loop's with Adam, far above the doubled learning rate's. So with Adam, "two updates
# per iteration" does not simply mean "a discriminator twice as fast"; section 4 asks what
# it does in a real GAN, where $G$ moves too.
#
# ## 4. Does it matter on MNIST?
#
# Now the real question: do the two changes make a difference in the samples? We train a
# half-width copy of document 003's dense MNIST GAN, with its BatchNorm in $G$ (so that
# `fake_mode` matters): $G$: $64 \to 64 \to 128 \to 256 \to 784$, LeakyReLU 0.2 then
# BatchNorm (Keras' momentum 0.8, minigan's 0.2) after each hidden layer, tanh output;
# $D$: $784 \to 128 \to 64 \to 1$ with LeakyReLU 0.2. All four combinations of the two
# flags, with the same seeds, the same number of steps, batch 64, Adam with learning rate
# $10^{-3}$ (document 000's; faster than $2 \cdot 10^{-4}$ in a short run) and
# $\beta_1 = 0.5$. A fifth row tests the explanation of section 3: if the separate loop
# matters because it is a faster discriminator, then Algorithm 1 with twice the
# discriminator's learning rate should behave like it. We score each run by the FID of lesson 16
# (document 001 §5.3) between 1 000 samples and the 1 000 held-out real digits, on the
# features of minigan's evaluation classifier:
#
# $$
# \text{FID} = \lVert \mu_X - \mu_Y \rVert^2 + \operatorname{Tr}\left(\Sigma_X + \Sigma_Y - 2\left(\Sigma_X \Sigma_Y\right)^{1/2}\right)
# \tag{001 §5.3}
# $$
#
# Two numbers give the scale. The FID between two sets of *real* digits of the same size is
# the floor (lesson 16, section 3: it is not 0 for finite samples). And the spread between
# seeds of the same loop tells how large a difference between loops must be before it means
# anything.

# %%
X_train, _ = load_mnist(split="train")  # 4 000 digits
X_test, _ = load_mnist(split="test")  # 1 000 held-out digits
clf = metrics.load_classifier()
N_FID = 200 if FAST else 1000
mu_real, s_real = metrics.feature_statistics(X_test[:N_FID], clf)
perm = np.random.default_rng(0).permutation(len(X_train))[:N_FID]
floor = metrics.frechet_distance(
    *metrics.feature_statistics(X_train[perm], clf), mu_real, s_real
)
print(f"FID of {N_FID} real training digits against {N_FID} held-out ones: {floor:.1f}")


def half_doc003_gan(seed, z_dim=64):
    r = np.random.default_rng(seed)

    def dense(i, o):
        return mg.Dense(i, o, init="glorot_uniform", rng=r)

    def block(i, o):  # Dense → LeakyReLU → BatchNorm, document 003's order
        return [dense(i, o), mg.LeakyReLU(0.2), mg.BatchNorm(o, momentum=0.2, eps=1e-3)]

    G = mg.Sequential(
        *block(z_dim, 64),
        *block(64, 128),
        *block(128, 256),
        dense(256, 784),
        mg.Tanh(),
        mg.Reshape(1, 28, 28),
    )
    D = mg.Sequential(
        mg.Flatten(),
        dense(784, 128),
        mg.LeakyReLU(0.2),
        dense(128, 64),
        mg.LeakyReLU(0.2),
        dense(64, 1),
    )
    return G, D


def fid_of(G_samples):
    mu, s = metrics.feature_statistics(G_samples, clf)
    return metrics.frechet_distance(mu, s, mu_real, s_real)


LR = 1e-3
LOOPS = {  # name: (d_update, fake_mode, factor on D's learning rate)
    "Algorithm 1 (joint, train)": ("joint", "train", 1),
    "document 003 (separate, eval)": ("separate", "eval", 1),
    "separate, train": ("separate", "train", 1),
    "joint, eval": ("joint", "eval", 1),
    "joint, train, lr_D x 2": ("joint", "train", 2),
}
MN_STEPS = 150 if FAST else 1200
MN_SEEDS = [0] if FAST else [0, 1]
CHECKS = [n for n in (1, 3, 10, 30, 100, 300, 1000) if n < MN_STEPS] + [MN_STEPS]
fids, bn_gap = {}, {}
for name, (d_update, fake_mode, d_factor) in LOOPS.items():
    for seed in MN_SEEDS:
        t0 = time.perf_counter()
        G, D = half_doc003_gan(seed)
        gan = GAN(
            G,
            D,
            latent_dim=64,
            g_opt=mg.Adam(G.parameters(), lr=LR, beta1=0.5),
            d_opt=mg.Adam(D.parameters(), lr=LR * d_factor, beta1=0.5),
            seed=seed,
            d_update=d_update,
            fake_mode=fake_mode,
        )
        z_check = gan.fixed_noise(256)
        gaps_run = []

        def train_vs_eval(gan):
            """RMS difference between G's fakes in training and in inference mode."""
            if gan.step in CHECKS:
                bns = [m for m in gan.G if isinstance(m, mg.BatchNorm)]
                kept = [{k: v.copy() for k, v in m.buffers.items()} for m in bns]
                train_fakes = mg.as_numpy(gan.G(z_check))
                for m, buf in zip(bns, kept):  # that forward moved the running
                    m.buffers.update(buf)  # statistics: put them back
                eval_fakes = mg.as_numpy(predict(gan.G, z_check))
                gaps_run.append(np.sqrt(np.mean((train_fakes - eval_fakes) ** 2)))

        gan.fit(X_train, MN_STEPS, batch_size=64, callback=train_vs_eval)
        fids[(name, seed)] = fid_of(mg.as_numpy(gan.sample(N_FID)))
        bn_gap[(name, seed)] = gaps_run
        print(
            f"{name:<30} seed {seed}: FID {fids[(name, seed)]:6.1f} "
            f"({time.perf_counter() - t0:.1f} s)"
        )

# %% [markdown]
# The table, one row per loop, one column per seed, then the mean:

# %%
header = "".join(f"{'seed ' + str(s):>9}" for s in MN_SEEDS)
print(f"{'loop (d_update, fake_mode)':<30}{header}{'mean':>9}")
for name in LOOPS:
    row = [fids[(name, s)] for s in MN_SEEDS]
    cells = "".join(f"{v:9.1f}" for v in row)
    print(f"{name:<30}{cells}{np.mean(row):9.1f}")
print(f"{'real vs real (the floor)':<30}{floor:9.1f}")
spread = max(np.ptp([fids[(n, s)] for s in MN_SEEDS]) for n in LOOPS)  # within a loop
means = [np.mean([fids[(n, s)] for s in MN_SEEDS]) for n in LOOPS]
print(
    f"largest spread between seeds of one loop: {spread:.1f}; "
    f"between the loops' means: {np.ptp(means):.1f}"
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "FID against held-out digits (lower is better) after the same number of steps, for the four combinations of d_update and fake_mode and for Algorithm 1 with twice the discriminator's learning rate; each dot is one seed, the bar the mean. The dashed line is the FID between two sets of real digits of the same size.", "name": "fig-17-fid"}}
LABELS = {  # the loops' names in the figures (the rest of each name is code)
    "Algorithm 1 (joint, train)": t("Algorithm 1 (joint, train)"),
    "document 003 (separate, eval)": t("document 003 (separate, eval)"),
}
fig, ax = plt.subplots(figsize=(9, 4.4))
for i, name in enumerate(LOOPS):
    vals = [fids[(name, s)] for s in MN_SEEDS]
    ax.scatter([i] * len(vals), vals, color="C0", zorder=3)
    ax.hlines(np.mean(vals), i - 0.25, i + 0.25, color="k", lw=2)
ax.axhline(floor, color="gray", ls="--", lw=1, label=t("real vs real"))
ax.set_xticks(range(len(LOOPS)))
ax.set_xticklabels([LABELS.get(n, n).replace(" (", "\n(") for n in LOOPS], fontsize=10)
ax.set_ylim(0, None)
ax.set_ylabel(t("FID (lower is better)"))
ax.set_title(t("Five training loops, {n} steps each", n=MN_STEPS))
ax.legend(fontsize=10)
fig.tight_layout()
save(fig, "17_fid_by_loop.png", dpi=100)

# %% [markdown]
# What to look for: compare the differences between the rows with the spread between the
# seeds of one row. If two loops differ by less than two runs of the *same* loop, one seed
# per loop cannot show a difference. In the full run of this lesson (1 200 steps, seeds 0
# and 1) the rows fell into two groups. The two `separate` rows had lower FIDs than the two
# `joint` rows in both seeds, by about 20 to 45, while two seeds of one loop differed by up
# to about 12. The rows that differ only in `fake_mode` differed by about as much as two
# seeds of one loop, and not in the same direction for the separate and the joint loop. So
# here the way $D$ is updated mattered, and the mode of the fakes did not show. Algorithm 1
# with twice the discriminator's learning rate landed with the separate rows. Section 3
# showed that with Adam the separate loop is not simply twice as fast against a *fixed*
# generator; against a generator that moves, it acted much like a faster discriminator, and
# at this learning rate and budget a faster discriminator helped. Lesson 14 showed that the
# balance can tip the other way. Two seeds are few (exercise 3 adds more), and whether the
# same holds for document 003's own recipe (learning rate $2 \cdot 10^{-4}$, batch 128,
# thousands of steps) is exercise 5.
#
# The second difference of document 003's loop, the inference-mode fakes, should be largest
# at the start, when BatchNorm's running statistics still lag behind the weights:

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Root-mean-square difference (pixels in [-1, 1]) between the generator's fakes in training mode and in inference mode (document 003's generator.predict), on the same 256 noise vectors, at steps 1 to the end of training (logarithmic axis); one line per loop (dashed: fakes made in inference mode for the discriminator), the mean over the seeds.", "name": "fig-17-bn-gap"}}
fig, ax = plt.subplots(figsize=(8, 4.2))
for i, (name, (_, fake_mode, _)) in enumerate(LOOPS.items()):
    mean_gap = np.mean([bn_gap[(name, seed)] for seed in MN_SEEDS], axis=0)
    ls = "--" if fake_mode == "eval" else "-"
    ax.plot(
        CHECKS,
        mean_gap,
        color=f"C{i}",
        ls=ls,
        marker="os^vD"[i],
        label=LABELS.get(name, name),
    )
ax.set_xscale("log")
ax.set_xlabel(t("step"))
ax.set_ylabel(t("RMS difference of pixels"))
ax.set_title(t("Fakes in training mode vs inference mode"))
ax.set_ylim(0, None)
ax.legend(fontsize=10)
fig.tight_layout()
save(fig, "17_train_vs_eval_fakes.png", dpi=100)

# %% [markdown]
# At step 1 the running statistics are still close to their initial values (mean 0,
# variance 1), and the two kinds of fakes differ a lot. Within about ten steps the running
# averages (Keras' momentum 0.8, minigan's 0.2) catch up, and from then on the gap stays
# small but not zero: one batch's statistics never equal the running averages exactly, and
# the weights keep moving. The two `eval` loops (dashed) lag a little longer at the start:
# their discriminator steps make the fakes in inference mode, which does not update the
# running statistics, so only the generator step does. In the table above, the rows with
# `eval` fakes differed from their `train` twins by no more than two seeds of one loop: at
# this scale the second difference of document 003's loop shows in the pixels, but not
# clearly in the FID.
#
# ## 5. A pitfall for students who try document 003's code today
#
# Document 003 compiles the discriminator, *then* sets `discriminator.trainable = False` and
# builds `combined`. In Keras 2 `compile` captured the flag, so the discriminator stayed
# trainable in its own `train_on_batch` and was frozen only inside `combined`. Keras 3 reads
# `trainable` when it trains, so the same lines freeze the discriminator for good: its
# `train_on_batch` calls update nothing, and Keras only warns "The model does not have any
# trainable weights". The generator then trains against a discriminator that never learns.
# (Keras is not a dependency of this course, so this lesson cannot run it.) The fix is to set
# `discriminator.trainable = True` before the discriminator's two `train_on_batch` calls and
# `False` before `combined.train_on_batch`, or to write the step yourself, as minigan does:
# `GAN.g_step` runs $D$ inside `frozen(D)` and simply never steps `d_opt`. We check that a
# generator step leaves every weight of $D$ as it was and moves $G$:

# %%
G_c, D_c = half_doc003_gan(5)
gan_c = GAN(G_c, D_c, latent_dim=64, seed=5)
gan_c.train_step(X_train[:64])  # one full iteration, so that Adam has state
D_before = [p.data.copy() for p in D_c.parameters()]
G_before = [p.data.copy() for p in G_c.parameters()]
t_d = gan_c.d_opt.t
gan_c.g_step(64)
d_moved = max(np.abs(p.data - q).max() for p, q in zip(D_c.parameters(), D_before))
g_moved = max(np.abs(p.data - q).max() for p, q in zip(G_c.parameters(), G_before))
print(f"after GAN.g_step: D's largest weight change {d_moved:.1e}, G's {g_moved:.1e}")
print(f"  steps taken by d_opt: {t_d} before, {gan_c.d_opt.t} after")
assert d_moved == 0.0 and gan_c.d_opt.t == t_d and g_moved > 0.0

# %% [markdown]
# ## Exercises
#
# 1. Show that, with the same $\eta$ and plain gradient descent, `d_update="separate"` moves
#    $D$ about twice as far per iteration as `"joint"` (derive $\eqref{eq:17-taylor}$, then
#    compare with section 3's ratio). Why is the factor $\tfrac{1}{2}$ of the joint loss
#    almost irrelevant with Adam?
# 2. `GAN(k=2)` (Algorithm 1 with two discriminator steps per iteration) also updates $D$
#    twice per iteration, but each time on a fresh real batch *and* a fresh fake batch. Add
#    it as a row of section 4. Is it closer to the separate rows or to the doubled learning
#    rate?
# 3. Give section 4 more seeds (`MN_SEEDS = [0, 1, 2, 3]`). Does any difference between the
#    loops survive? Which loop has the smallest spread?
# 4. Remove the BatchNorm layers from $G$ in `half_doc003_gan`. Which of the two flags can
#    still change the result? Check your answer with the table and with section 2's check.
# 5. Compare the loops at the scale of the example, with document 003's own recipe
#    (6 000 steps of batch 128; several minutes per run). Run, for seeds 0, 1 and 2, the four
#    commands
#    `python examples/mnist_gan.py --recipe doc003 --steps 6000 --seed S --d-update U --fake-mode M`
#    with `U` in {`joint`, `separate`} and `M` in {`train`, `eval`}, and read each run's
#    `metrics.json` (FID against held-out digits, and the real-vs-real floor). Is the
#    picture the same as in section 4?

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
# # Lesson 07: Batch normalization
#
# **Objective.** Implement batch normalization from the document's equations, derive its
# backward pass (the tricky part: the mean and the variance depend on every example of the
# batch), compare both with `minigan.BatchNorm`, understand the difference between training
# mode (batch statistics) and evaluation mode (running statistics), and measure how much
# faster a deep network trains with it.
#
# Sources: document 001 (Marques 2021, *Rede Adversária Generativa Convolucional Profunda
# Aplicada a Exames de Raio-x do Tórax*) §2.12 "Normalização", §2.12.1 "Batch
# Normalization"; document 003 (Pereira, n.d., *Deep Learning, Unidade III: Redes
# convolucionais, recorrentes e adversárias*) ch. 1 "Normalização em lotes" and ch. 3 (the
# Keras GAN's `BatchNormalization(momentum=0.8)`).

# %%
import textwrap

import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck

# lessons/_course.py: fast mode, figures saved (and shown in a notebook)
from _course import FAST, save, t

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The equations (document 001 §2.12.1)
#
# Document 001 §2.12 first recalls why the *inputs* $X$ of a model are normalized (mean 0,
# variance 1): it makes the optimization more efficient. A hidden layer's output
# $Z^{[l]}$ is the input of the next layer, and its distribution changes during training as
# the weights before it change. Ioffe & Szegedy (2015) therefore normalize a layer's
# pre-activation $Z^{[l]}$ over each mini-batch of $m$ examples, feature by feature. First
# the batch mean and variance:
#
# $$
# \mu = \frac{1}{m} \sum_i z_i^{[l]},
# \qquad
# \sigma^2 = \frac{1}{m} \sum_i \left(z_i^{[l]} - \mu\right)^2
# \tag{001 §2.12.1a}
# $$
#
# then the normalization, with a small constant $\epsilon$ that avoids a division by zero:
#
# $$
# Z_n^{[l]} = \frac{Z^{[l]} - \mu}{\sqrt{\sigma^2 + \epsilon}}
# \tag{001 §2.12.1b}
# \label{eq:07-norm}
# $$
#
# and finally a scale $\gamma$ and a shift $\beta$ per feature, before the activation $g$:
#
# $$
# \tilde{Z}^{[l]} = \gamma Z_n^{[l]} + \beta,
# \qquad
# A^{[l]} = g\left(\tilde{Z}^{[l]}\right)
# \tag{001 §2.12.1c}
# \label{eq:07-affine}
# $$
#
# Document 003 ch. 1 ("Normalização em lotes") adds that it keeps each hidden layer's mean
# near 0 and its standard deviation near 1, that it works for dense and convolutional layers,
# and that it lets the network train faster with larger learning rates.
#
# *Slips and gaps in the document:*
#
# 1. It calls $\gamma$ and $\beta$ "hiperparâmetros". They are **learned parameters**,
#    updated by gradient descent like $W$ and $b$ (they let the network undo the
#    normalization where that helps). The hyperparameters are $\epsilon$ and the momentum of
#    the running averages below.
# 2. It says nothing about **evaluation**, where there may be a single example and no batch
#    to average over. Every library keeps running averages of $\mu$ and $\sigma^2$ during
#    training and normalizes with them in evaluation. minigan follows PyTorch, with the
#    update $\eqref{eq:07-running}$ below.
# 3. A small one: the first author is Sergey Ioffe (the document prints "Serge Ioff").
#
# The running averages of slip 2 are updated after each training batch:
#
# $$
# \begin{aligned}
# \mu_{\text{run}} &\leftarrow (1 - \text{momentum})\, \mu_{\text{run}}
# + \text{momentum}\, \mu \cr
# \sigma^2_{\text{run}} &\leftarrow (1 - \text{momentum})\, \sigma^2_{\text{run}}
# + \text{momentum}\, \frac{m}{m - 1}\, \sigma^2
# \end{aligned}
# \tag{7.1}
# \label{eq:07-running}
# $$
#
# with momentum 0.1 by default, and the *unbiased* batch variance $\sigma^2 m/(m - 1)$ in the
# running variance. Keras writes the complementary convention,
# `running = momentum·running + (1 − momentum)·batch`, so document 003 ch. 3's
# `BatchNormalization(momentum=0.8)` is `mg.BatchNorm(n, momentum=0.2)`.
#
# Note also that a Dense bias $b$ right before a BatchNorm is wasted: the normalization
# subtracts it again, and $\beta$ plays its role.


# %%
def batchnorm_forward(Z, gamma, beta, eps=1e-5):
    """Training-mode forward for Z of shape (m, C), features in columns (minigan's
    layout)."""
    mu = Z.mean(axis=0)  # μ = (1/m) Σ z
    var = ((Z - mu) ** 2).mean(axis=0)  # σ² = (1/m) Σ (z − μ)²
    Zn = (Z - mu) / np.sqrt(var + eps)  # Z_n = (Z − μ) / √(σ² + ε)
    out = gamma * Zn + beta  # Z̃ = γ Z_n + β
    return out, (Zn, var, eps, gamma)


# %% [markdown]
# ## 2. The backward pass
#
# Write the rows of the batch as $z_i$ (example $i$), their normalized values as $z_{n,i}$,
# and let $\delta_i = \partial C / \partial \tilde{z}_i$ be the gradient that arrives from
# above. The affine step $\eqref{eq:07-affine}$ gives the parameter gradients and the
# gradient with respect to the normalized values at once (sums over the batch; products
# feature by feature):
#
# $$
# \frac{\partial C}{\partial \beta} = \sum_{i=1}^{m} \delta_i,
# \qquad
# \frac{\partial C}{\partial \gamma} = \sum_{i=1}^{m} \delta_i \odot z_{n,i},
# \qquad
# g_i \equiv \frac{\partial C}{\partial z_{n,i}} = \gamma \odot \delta_i
# \tag{7.2}
# $$
#
# For $z_i$ it is harder: each $z_i$ influences the normalized values three ways, directly,
# through $\mu$ and through $\sigma^2$ (both depend on every example of the batch). Summing
# the three chain-rule paths and simplifying with $\sum_j z_{n,j} = 0$ gives the compact form
#
# $$
# \frac{\partial C}{\partial z_i} = \frac{1}{\sqrt{\sigma^2 + \epsilon}}
# \left( g_i - \frac{1}{m} \sum_{j=1}^{m} g_j
# - z_{n,i} \odot \frac{1}{m} \sum_{j=1}^{m} g_j \odot z_{n,j} \right)
# \tag{7.3}
# \label{eq:07-backward}
# $$
#
# The middle term is the path through $\mu$, the last one the path through $\sigma^2$.


# %%
def batchnorm_backward(dout, cache):
    Zn, var, eps, gamma = cache
    dbeta = dout.sum(axis=0)  # ∂C/∂β = Σ δ
    dgamma = (dout * Zn).sum(axis=0)  # ∂C/∂γ = Σ δ ⊙ Z_n
    dZn = dout * gamma  # ∂C/∂Z_n = δ γ
    dZ = (dZn - dZn.mean(axis=0) - Zn * (dZn * Zn).mean(axis=0)) / np.sqrt(var + eps)
    return dZ, dgamma, dbeta


# %% [markdown]
# ## 3. The same in minigan: `minigan.BatchNorm`
#
# `mg.BatchNorm(num_features, momentum=0.1, eps=1e-5)` takes `(N, C)` (after a Dense) or
# `(N, C, H, W)` (after a convolution; statistics over N, H and W per channel). Parameters
# `gamma` (ones) and `beta` (zeros); buffers `running_mean` (zeros) and `running_var` (ones).

# %%
m, C = 16, 5
Z = 3.0 * rng.standard_normal((m, C)) + 2.0
gamma, beta = 1.0 + 0.3 * rng.standard_normal(C), rng.standard_normal(C)
dout = rng.standard_normal((m, C))

bn = mg.BatchNorm(C, dtype=np.float64)
bn.params["gamma"].data[...] = gamma
bn.params["beta"].data[...] = beta
out_mg = bn(Z)
dZ_mg = bn.backward(dout)

out, cache = batchnorm_forward(Z, gamma, beta)
dZ, dgamma, dbeta = batchnorm_backward(dout, cache)
np.testing.assert_allclose(out_mg, out, rtol=1e-12, atol=1e-12)
np.testing.assert_allclose(dZ_mg, dZ, rtol=1e-10, atol=1e-12)
np.testing.assert_allclose(bn.params["gamma"].grad, dgamma, rtol=1e-10)
np.testing.assert_allclose(bn.params["beta"].grad, dbeta, rtol=1e-10)
print("minigan.BatchNorm == from scratch: forward, dZ, dgamma, dbeta")
print("output mean per feature:", out_mg.mean(0).round(3))
print("β:                      ", beta.round(3))
print("output std per feature: ", out_mg.std(0).round(3))
print("|γ|:                    ", np.abs(gamma).round(3))

# running statistics after this one batch, from scratch
rm = 0.9 * np.zeros(C) + 0.1 * Z.mean(0)
rv = 0.9 * np.ones(C) + 0.1 * Z.var(0, ddof=1)  # unbiased variance
np.testing.assert_allclose(bn.buffers["running_mean"], rm, rtol=1e-12)
np.testing.assert_allclose(bn.buffers["running_var"], rv, rtol=1e-12)
print(
    "running_mean / running_var updated as (1 − 0.1)·running + 0.1·batch "
    "(unbiased variance)"
)

# %% [markdown]
# ## 4. Gradient check, and the `dout = ones` trap
#
# `gradcheck.check_module` in training and evaluation mode. Then the trap that lesson 05
# announced. In training mode the output of every feature has batch mean exactly $\beta$, so
# $\sum_i \tilde{z}_i = m\beta$ does not depend on $Z$ at all. With `dout = ones` the
# function being checked is that sum, and the true $\partial C/\partial Z$ is exactly 0. A
# backward pass that forgets the path through $\sigma^2$ (a classic bug) also returns 0
# there: it passes with ones and fails with a random `dout`.


# %%
class BatchNormNoVariancePath(mg.BatchNorm):
    """BatchNorm on (m, C) whose backward forgets the path through σ² (a classic
    bug)."""

    def forward(self, x):
        self.z_in = x  # keep Z for the buggy backward
        return super().forward(x)

    def backward(self, dout):
        if not self.training:
            return super().backward(dout)  # eval mode: affine, no σ² path
        super().backward(dout)  # parameter gradients (correct)
        inv = 1.0 / np.sqrt(self.z_in.var(axis=0) + self.eps)  # 1/√(σ² + ε)
        dxhat = dout * self.params["gamma"].data
        return inv * (dxhat - dxhat.mean(axis=0, keepdims=True))  # BUG: σ² path dropped


def make(cls, train):
    layer = cls(C, dtype=np.float64)
    layer.params["gamma"].data[...] = gamma
    layer.params["beta"].data[...] = beta
    for _ in range(3):
        layer(3.0 * rng.standard_normal((m, C)) + 2.0)  # non-trivial running stats
    return layer.train(train)


print(
    f"{'layer':<26}{'mode':<7}{'dout':<8}{'max|true dZ|':>13}"
    f"{'dZ rel. error':>15}  result"
)
rows = []
for name, cls in [
    ("BatchNorm", mg.BatchNorm),
    ("BatchNorm, σ² path lost", BatchNormNoVariancePath),
]:
    for mode in ["train", "eval"]:
        for dname in ["ones", "random"]:
            layer = make(cls, mode == "train")
            d = np.ones((m, C)) if dname == "ones" else rng.standard_normal((m, C))
            layer(Z)
            ana = layer.backward(d)
            num = gradcheck.numerical_gradient(lambda: float(np.sum(layer(Z) * d)), Z)
            abs_err = float(np.abs(ana - num).max())
            size = float(np.abs(num).max())
            ok = abs_err < 1e-6 * max(1.0, size)
            rows.append((name, mode, dname, ok))
            rel = f"{gradcheck.rel_error(ana, num):.1e}" if size > 1e-6 else "n/a (0/0)"
            verdict = "PASS" if ok else "FAIL"
            print(f"{name:<26}{mode:<7}{dname:<8}{size:>13.1e}{rel:>15}  {verdict}")
assert all(ok for name, _, _, ok in rows if name == "BatchNorm")
assert [ok for name, mode, _, ok in rows if name != "BatchNorm"] == [
    True,
    False,
    True,
    True,
]
res = gradcheck.check_module(
    make(mg.BatchNorm, True), Z, dout=rng.standard_normal((m, C))
)
print("check_module(BatchNorm, train):", {k: f"{v:.1e}" for k, v in res.items()})
assert all(v < gradcheck.TOLERANCE for v in res.values())

# %% [markdown]
# (In evaluation mode the layer is a fixed affine map, the $\sigma^2$ path does not exist,
# and the "buggy" layer is right.) The `max|true dZ|` column shows the trap: with ones, the
# gradient to be checked is 0 (up to round-off), so the check cannot tell anything apart.
#
# ## 5. Training versus evaluation mode
#
# In training mode the output for one example depends on the other examples in its batch. In
# evaluation mode it does not: the layer uses the running averages of
# $\eqref{eq:07-running}$ in place of the batch statistics,
#
# $$
# \tilde{z} = \gamma\, \frac{z - \mu_{\text{run}}}{\sqrt{\sigma^2_{\text{run}} + \epsilon}}
# + \beta
# \tag{7.4}
# $$
#
# a fixed affine map that works for a single example. We feed batches of 32 values drawn
# from $\mathcal{N}(2, 3^2)$ to a one-feature BatchNorm, with momentum 0.1 (minigan's default)
# and 0.2 (Keras's 0.8), and follow the running averages.

# %%
data_mean, data_std = 2.0, 3.0
runs = {}
for mom in (0.1, 0.2):
    layer = mg.BatchNorm(1, momentum=mom, dtype=np.float64)
    trace = []
    for _ in range(60):
        layer(data_mean + data_std * rng.standard_normal((32, 1)))
        trace.append(
            (
                float(layer.buffers["running_mean"][0]),
                float(layer.buffers["running_var"][0]),
            )
        )
    runs[mom] = np.array(trace)
    print(
        f"momentum {mom}, after 60 batches: running_mean {trace[-1][0]:.3f} (data 2), "
        f"running_var {trace[-1][1]:.3f} (data 9)"
    )

x1 = np.array([[5.0]])
layer.eval()
rm1, rv1 = layer.buffers["running_mean"][0], layer.buffers["running_var"][0]
print(f"eval mode, one example x = 5: output {float(layer(x1)[0, 0]):.3f}")
by_hand = (5 - rm1) / np.sqrt(rv1 + layer.eps)
print(f"(5 − running_mean)/√(running_var + ε) = {by_hand:.3f}")
layer.train()
try:
    layer(x1)
    raise AssertionError("BatchNorm in train mode accepted a batch of one example")
except ValueError as exc:
    print("train mode, one example raises ValueError:")
    print(textwrap.fill(str(exc), 88))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The running mean (solid) and running variance (dashed) of a BatchNorm layer over 60 training batches drawn from a distribution with mean 2 and variance 9 (grey lines), for momentum 0.1 and 0.2. Both start at 0 and 1 and approach the data's values; momentum 0.2 gets there about twice as fast, and then wanders more from batch to batch.", "name": "fig-07-running-stats"}}
fig, ax = plt.subplots(figsize=(8, 4))
for mom, tr in runs.items():
    c = "C0" if mom == 0.1 else "C1"
    ax.plot(
        np.arange(1, 61), tr[:, 0], c, label=t("running_mean, momentum {mom}", mom=mom)
    )
    ax.plot(
        np.arange(1, 61),
        tr[:, 1],
        c + "--",
        label=t("running_var, momentum {mom}", mom=mom),
    )
ax.axhline(data_mean, color="gray", lw=0.8)
ax.axhline(data_std**2, color="gray", lw=0.8)
ax.set_xlabel(t("training batch"), fontsize=11)
ax.set_ylabel(t("running statistic"), fontsize=11)
ax.set_title(t("Running statistics (data: mean 2, variance 9)"), fontsize=11)
ax.legend(fontsize=10, loc="center right")
fig.tight_layout()
save(fig, "07_running_stats.png", dpi=100)

# %% [markdown]
# The running averages forget their starting values geometrically, by a factor
# $1 - \text{momentum}$ per batch: after $k$ batches a fraction $(1 - \text{momentum})^k$ of
# the start remains ($0.9^{20} \approx 0.12$, $0.8^{20} \approx 0.01$). With 0.2 the curves
# reach the data's values in about half the batches, but each new batch also weighs twice as
# much, so they stay noisier afterwards. Before a network is evaluated, its running averages
# must have settled: a few dozen training batches after the last large change of the weights.
#
# ## 6. Experiment: a deep network with and without batch normalization
#
# The 8x8 digits (1797 images, 1400 for training), a deep MLP of six `Dense(64) → g` blocks
# with sigmoid activations (as in Ioffe & Szegedy's MNIST experiment) and with ReLU, each
# with and without a BatchNorm before $g$. Same initial weights, SGD with momentum 0.9,
# learning rate 0.05, batches of 64.

# %%
from minigan.data import load_digits8x8

Xd, yd = load_digits8x8()
Xd = Xd.reshape(len(Xd), -1)
perm = rng.permutation(len(Xd))
Xd, yd = Xd[perm], yd[perm]
Xtr, ytr, Xte, yte = Xd[:1400], yd[:1400], Xd[1400:], yd[1400:]
epochs = 2 if FAST else 12
depth = 6


def deep_mlp(act, use_bn, seed=1):
    r = np.random.default_rng(seed)
    mods = []
    for _i in range(depth):
        mods.append(mg.Dense(64, 64, rng=r))
        if use_bn:
            mods.append(mg.BatchNorm(64))
        mods.append(act())
    mods.append(mg.Dense(64, 10, rng=r))
    return mg.Sequential(*mods)


curves, accs = {}, {}
for act in (mg.Sigmoid, mg.ReLU):
    for use_bn in (False, True):
        name = f"{act.__name__}{' + BatchNorm' if use_bn else ''}"
        net = deep_mlp(act, use_bn)
        opt = mg.SGD(net, lr=0.05, momentum=0.9)
        loss = mg.CrossEntropyLoss()
        order = np.random.default_rng(2)
        hist = []
        for _ in range(epochs):
            idx_all = order.permutation(len(Xtr))
            for i in range(0, len(Xtr), 64):
                idx = idx_all[i : i + 64]
                net.train()
                hist.append(float(loss(net(Xtr[idx]), ytr[idx])))
                net.zero_grad()
                net.backward(loss.backward())
                opt.step()
        net.eval()
        accs[name] = float((net(Xte).argmax(1) == yte).mean())
        curves[name] = np.array(hist)
        print(
            f"{name:<22} final training loss {hist[-1]:.3f}, "
            f"test accuracy {accs[name]:.3f}"
        )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Training cross-entropy (mean over 5 steps) of a 6-block MLP on the 8x8 digits, with sigmoid or ReLU activations, each with and without BatchNorm before the activation; the legend gives the test accuracy. The deep sigmoid network without BatchNorm barely leaves its starting loss; with BatchNorm it trains. ReLU trains without it, and faster with it.", "name": "fig-07-deep-mlp"}}
fig, ax = plt.subplots(figsize=(8, 4.5))
k = 5
styles = {
    "Sigmoid": "C0--",
    "Sigmoid + BatchNorm": "C0-",
    "ReLU": "C1--",
    "ReLU + BatchNorm": "C1-",
}
for name, c in curves.items():
    smooth = np.convolve(c, np.ones(k) / k, mode="valid")
    ax.plot(
        smooth,
        styles[name],
        label=t("{name} (test accuracy {acc:.2f})", name=name, acc=accs[name]),
    )
ax.set_xlabel(t("SGD step"), fontsize=11)
ax.set_ylabel(t("training cross-entropy (5-step mean)"), fontsize=11)
ax.set_title(
    t("{depth}-block MLP on 8x8 digits: with and without BatchNorm", depth=depth),
    fontsize=11,
)
ax.set_yscale("log")
ax.legend(fontsize=10)
fig.tight_layout()
save(fig, "07_deep_mlp.png", dpi=100)

# %% [markdown]
# Compare the printed lines and the curves. The sigmoid network without BatchNorm hardly
# learns in this budget: its loss stays near $\ln 10 \approx 2.3$, the loss of a uniform guess
# over ten classes, and its test accuracy stays near chance. Six sigmoid layers shrink the
# gradient at every layer (the derivative of the sigmoid is at most $\frac{1}{4}$). With
# BatchNorm before each sigmoid, every layer's input is kept centred with unit variance, where
# the sigmoid is steep, and the same network trains. The ReLU network trains without help;
# BatchNorm still makes its loss fall faster and its test accuracy higher.
#
# ## Exercises
#
# 1. Derive the compact backward formula $\eqref{eq:07-backward}$: write $z_{n,i}$ as a
#    function of $z_i$, $\mu(z)$ and $\sigma^2(z)$, apply the chain rule along the three
#    paths, and simplify using $\sum_j z_{n,j} = 0$.
# 2. Train the sigmoid network without BatchNorm with a learning rate 10× larger. Does it
#    catch up? Now raise the learning rate of the BatchNorm network: how far can you go?
# 3. Evaluate the trained BatchNorm network in *training* mode on test batches of 4, 64 and
#    400 examples. Why do the accuracies differ, and why does `eval()` fix it?
# 4. Put BatchNorm after the activation instead of before it (document 001 §2.12.1 says both
#    are used). Compare the curves.

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
# | `07.batchnorm_forward` | batch normalization's forward pass, training and evaluation | document 001 §2.12.1 | 2 |
# | `07.batchnorm_backward` | batch normalization's backward pass, training and evaluation | document 001 §2.12.1 | 3 |
#
# 5 points in all. The same stubs come as a plain file, to write in your editor and grade
# from a terminal (`minigan-exercises list` shows every lesson's exercises):
#
# ```bash
# minigan-exercises new ex/ --lesson 07   # writes ex/lesson07_batchnorm.py
# minigan-exercises grade ex/ -k 07       # PASS, FAIL, TODO or ERROR, and the points
# ```

# %%
import numpy as np
from minigan.exercises import check


# %%
def batchnorm_forward(
    x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5
):
    """Batch normalization of (N, D) inputs, in training and in evaluation.

    As minigan.BatchNorm. Document 001 §2.12.1, per feature over the m = N values of the
    batch:
        μ = (1/m) Σᵢ zᵢ,    σ² = (1/m) Σᵢ (zᵢ − μ)²          (the biased variance)
        ẑ = (z − μ) / √(σ² + ε),    y = γ ẑ + β
    Training: normalize with the batch's μ and σ², and update the running statistics
    with the UNBIASED variance (PyTorch's convention):
        running_mean ← (1 − momentum) running_mean + momentum μ
        running_var  ← (1 − momentum) running_var  + momentum σ² m / (m − 1)
    Evaluation: normalize with running_mean and running_var; they do not change.

    Parameters
    ----------
    x : (N, D) float64;  gamma, beta, running_mean, running_var : (D,)
    training : bool;  momentum : float;  eps : float ε

    Returns
    -------
    (y, new_running_mean, new_running_var) : arrays (N, D), (D,), (D,)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("07.batchnorm_forward", batchnorm_forward)


# %%
def batchnorm_backward(dout, x, gamma, running_mean, running_var, training, eps=1e-5):
    """Batch normalization's backward pass for (N, D) inputs, training and evaluation.

    With δ = dout = ∂C/∂y and ẑ as in the forward pass (document 001 §2.12.1):
        ∂C/∂γ = Σ_batch δ ⊙ ẑ,     ∂C/∂β = Σ_batch δ
    Training (μ and σ² depend on every zᵢ; the compact form of the chain rule):
        ∂C/∂z = (1/√(σ² + ε)) · (δγ − mean(δγ) − ẑ ⊙ mean(δγ ⊙ ẑ))
                                                            (means over the batch)
    Evaluation (the layer is affine: running statistics are constants):
        ∂C/∂z = δ γ / √(running_var + ε),   ẑ = (z − running_mean) / √(running_var + ε)

    Parameters
    ----------
    dout : (N, D), the upstream gradient;  x : (N, D), the forward's input
    gamma, running_mean, running_var : (D,);  training : bool;  eps : float ε

    Returns
    -------
    (dx, dgamma, dbeta) : arrays (N, D), (D,), (D,)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("07.batchnorm_backward", batchnorm_backward)

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
# # Lesson 07: batch normalization
#
# **Objective.** Implement batch normalization from the document's four equations, derive its
# backward pass (the tricky part: the mean and the variance depend on every example of the
# batch), compare both with `minigan.BatchNorm`, understand the difference between training
# mode (batch statistics) and evaluation mode (running statistics), and measure how much
# faster a deep network trains with it.
#
# Sources: document 001 (Marques 2021, *Rede Adversária Generativa Convolucional Profunda Aplicada a Exames de Raio-x do Tórax*) §2.12 "Normalização",
# §2.12.1 "Batch Normalization"; document 003 (Pereira, *Deep Learning, Unidade III: Redes convolucionais, recorrentes e adversárias*)
# ch. 1 "Normalização em lotes" and ch. 3 (the Keras GAN's `BatchNormalization(momentum=0.8)`).

# %%
import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck

from _course import (
    FAST,
    save,
)  # lessons/_course.py: fast mode, figures saved (and shown in a notebook)

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The equations (document 001 §2.12.1)
#
# Ioffe & Szegedy (2015) normalise a layer's pre-activation Z^{[l]} over each mini-batch of m
# examples, feature by feature:
#
#     μ  = (1/m) Σᵢ zᵢ^{[l]}
#     σ² = (1/m) Σᵢ (zᵢ^{[l]} − μ)²
#     Z_n^{[l]} = (Z^{[l]} − μ) / √(σ² + ε)
#     Z̃^{[l]}  = γ Z_n^{[l]} + β,           A^{[l]} = g(Z̃^{[l]})
#
# Document 003 ch. 1 ("Normalização em lotes") adds that it keeps each hidden layer's mean
# near 0 and standard deviation near 1, works for dense and convolutional layers, and lets the
# network train faster with larger learning rates.
#
# *Slips and gaps in the document:*
#
# 1. It calls γ and β "hiperparâmetros". They are **learned parameters**, updated by gradient
#    descent like W and b (they let the network undo the normalization where that helps). The
#    hyperparameters are ε and the running-average momentum below.
# 2. It says nothing about **evaluation**, where there may be a single example and no batch to
#    average over. Every library keeps running averages of μ and σ² during training and
#    normalises with them in evaluation. minigan follows PyTorch:
#    `running = (1 − momentum)·running + momentum·batch` with momentum 0.1, and the
#    *unbiased* batch variance σ²·m/(m − 1) in the running variance. Keras writes the
#    complementary convention, `running = momentum·running + (1 − momentum)·batch`, so document
#    003 ch. 3's `BatchNormalization(momentum=0.8)` is `mg.BatchNorm(n, momentum=0.2)`.
# 3. A small one: the first author is Sergey Ioffe (the document prints "Serge Ioff").
#
# Note also that a Dense bias b right before a BatchNorm is wasted: the normalization subtracts
# it again, and β plays its role.


# %%
def batchnorm_forward(Z, gamma, beta, eps=1e-5):
    """Training-mode forward for Z of shape (m, C), features in columns (minigan's layout)."""
    mu = Z.mean(axis=0)  # μ = (1/m) Σ z
    var = ((Z - mu) ** 2).mean(axis=0)  # σ² = (1/m) Σ (z − μ)²
    Zn = (Z - mu) / np.sqrt(var + eps)  # Z_n = (Z − μ) / √(σ² + ε)
    out = gamma * Zn + beta  # Z̃ = γ Z_n + β
    return out, (Zn, var, eps, gamma)


# %% [markdown]
# ## 2. The backward pass
#
# Let δ = ∂C/∂Z̃ (upstream) and ∂C/∂Z_n = δ γ. The parameter gradients are easy:
# ∂C/∂β = Σᵢ δᵢ and ∂C/∂γ = Σᵢ δᵢ ⊙ Z_nᵢ. For Z, each zᵢ influences Z_n three ways: directly,
# through μ and through σ². Summing the three chain-rule paths and simplifying gives the
# compact form
#
#     ∂C/∂zᵢ = (1/√(σ² + ε)) · ( ∂C/∂Z_nᵢ − mean_j(∂C/∂Z_nⱼ) − Z_nᵢ · mean_j(∂C/∂Z_nⱼ · Z_nⱼ) )
#
# The middle term is the path through μ, the last one the path through σ².


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
print(
    f"output mean per feature {out_mg.mean(0).round(3)} (= β {beta.round(3)}), "
    f"std {out_mg.std(0).round(3)} (≈ |γ| {np.abs(gamma).round(3)})"
)

# running statistics after this one batch, from scratch
rm = 0.9 * np.zeros(C) + 0.1 * Z.mean(0)
rv = 0.9 * np.ones(C) + 0.1 * Z.var(0, ddof=1)  # unbiased variance
np.testing.assert_allclose(bn.buffers["running_mean"], rm, rtol=1e-12)
np.testing.assert_allclose(bn.buffers["running_var"], rv, rtol=1e-12)
print(
    "running_mean / running_var updated as (1 − 0.1)·running + 0.1·batch (unbiased variance)"
)

# %% [markdown]
# ## 4. Gradient check, and the `dout = ones` trap
#
# `gradcheck.check_module` in training and evaluation mode. Then the trap lesson 05
# announced: in training mode the output of every feature has batch mean exactly β, so
# `Σ out = m·Σβ` does not depend on Z at all. With `dout = ones` the true ∂C/∂Z is exactly 0,
# and a backward that forgets the path through σ² (a classic bug) also returns 0 there: it
# passes with ones and fails with a random `dout`.


# %%
class BatchNormNoVariancePath(mg.BatchNorm):
    """BatchNorm on (m, C) whose backward forgets the path through σ² (a classic bug)."""

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
    f"{'layer':<26}{'mode':<7}{'dout':<8}{'max|true dZ|':>13}{'dZ rel. error':>15}  result"
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
            print(
                f"{name:<26}{mode:<7}{dname:<8}{size:>13.1e}{rel:>15}  {'PASS' if ok else 'FAIL'}"
            )
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
# (In evaluation mode the layer is a fixed affine map, the σ² path does not exist, and the
# "buggy" layer is right.) The `max|true dZ|` column shows the trap: with ones, the gradient
# to be checked is 0 (up to round-off), so the check cannot tell anything apart.
#
# ## 5. Training versus evaluation mode
#
# In training mode the output for one example depends on the other examples in its batch; in
# evaluation mode it does not. The running averages approach the data's statistics over a few
# dozen batches; with Keras's momentum 0.8 (= minigan's 0.2) twice as fast as with 0.1.

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
        f"momentum {mom}: after 60 batches running_mean = {trace[-1][0]:.3f} (data 2.0), "
        f"running_var = {trace[-1][1]:.3f} (data 9.0)"
    )

x1 = np.array([[5.0]])
layer.eval()
print(
    f"eval mode, one example x = 5: output {float(layer(x1)[0, 0]):.3f} "
    f"= (5 − running_mean)/√(running_var + ε) = "
    f"{(5 - layer.buffers['running_mean'][0]) / np.sqrt(layer.buffers['running_var'][0] + layer.eps):.3f}"
)
layer.train()
try:
    layer(x1)
    raise AssertionError("BatchNorm in train mode accepted a batch of one example")
except ValueError as exc:
    print("train mode, one example:", exc)

# %% [markdown]
# ## 6. Experiment: a deep network with and without batch normalization
#
# The 8x8 digits (1797 images, 1400 for training), a deep MLP of six `Dense(64) → g` blocks
# with sigmoid activations (as in Ioffe & Szegedy's MNIST experiment) and with ReLU,
# each with and without a BatchNorm before g. Same initial weights, SGD with momentum 0.9,
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
            f"{name:<22} final training loss {hist[-1]:.3f}, test accuracy {accs[name]:.3f}"
        )

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
ax = axes[0]
for mom, tr in runs.items():
    ax.plot(tr[:, 0], label=f"running_mean, momentum {mom}")
    ax.plot(tr[:, 1], "--", label=f"running_var, momentum {mom}")
ax.axhline(data_mean, color="gray", lw=0.8)
ax.axhline(data_std**2, color="gray", lw=0.8)
ax.set(
    xlabel="training batch",
    ylabel="running statistic",
    title="Running statistics (data: mean 2, var 9)",
)
ax.legend(fontsize=7)
ax = axes[1]
k = 5
for name, c in curves.items():
    smooth = np.convolve(c, np.ones(k) / k, mode="valid")
    ax.plot(smooth, label=f"{name} (test acc {accs[name]:.2f})")
ax.set(
    xlabel="SGD step",
    ylabel="training cross-entropy (5-step mean)",
    title=f"{depth}-block MLP on 8x8 digits: with and without BatchNorm",
)
ax.legend(fontsize=8)
fig.tight_layout()
save(fig, "07_batchnorm.png", dpi=100)

# %% [markdown]
# ## Exercises
#
# 1. Derive the compact backward formula: write Z_n as a function of z, μ(z) and σ²(z), apply
#    the chain rule along the three paths, and simplify using Σⱼ Z_nⱼ = 0.
# 2. Train the sigmoid network without BatchNorm with a learning rate 10× larger. Does it
#    catch up? Now raise the learning rate of the BatchNorm network: how far can you go?
# 3. Evaluate the trained BatchNorm network in *training* mode on test batches of 4, 64 and
#    400 examples. Why do the accuracies differ, and why does `eval()` fix it?
# 4. Put BatchNorm after the activation instead of before it (document 001 §2.12.1 says both
#    are used). Compare the curves.

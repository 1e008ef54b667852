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
# # Lesson 06: initialization (Xavier) and regularization (L1, L2, dropout)
#
# **Objective.** See why weights must start random and at the right scale (the "Xavier"
# N(0, 1/n) of the documents keeps the signal alive through a deep tanh network), then fight
# overfitting with the L1 and L2 penalties and with dropout, each written from scratch and
# compared with minigan.
#
# Sources: document 001 (Marques 2021, *Rede Adversária Generativa Convolucional Profunda Aplicada a Exames de Raio-x do Tórax*) §2.10
# "Inicialização Aleatória", §2.11 "Regularização", §2.11.1 "Dropout"; document 003 (Pereira, n.d.)
# (Pereira, *Deep Learning, Unidade III: Redes convolucionais, recorrentes e adversárias*) ch. 1, "Regularização", "Regularização L1
# e L2", "Dropout".

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
# ## 1. Random initialization (document 001 §2.10)
#
# The document: the parameters cannot all start at 0 ("todos eles irão convergir para o mesmo
# valor"), nor symmetrically; draw them from a normal distribution, best with the "Inicialização
# Xavier":
#
#     W^{[l]} ~ N(0, 1/n^{[l−1]})
#
# where n^{[l−1]} is the number of inputs of the layer (its *fan-in*). Why 1/n? A unit computes
# z = Σ_{j=1}^{n} w_j a_j; with independent zero-mean terms, Var(z) = n · Var(w) · E[a²], so
# Var(w) = 1/n keeps Var(z) ≈ E[a²] from layer to layer instead of multiplying it by a constant
# at each layer (exponential decay or growth in depth).
#
# *A remark on the name.* Glorot & Bengio (2010), "Xavier", actually propose
# Var(w) = 2/(n_in + n_out) (Keras' default `glorot_uniform` is its uniform version,
# `mg.init.glorot_uniform`); N(0, 1/n_in) is often called LeCun initialization. minigan follows
# the documents: `mg.init.xavier` is N(0, 1/n), the default of `mg.Dense`.


# %%
def xavier_scratch(n_out, n_in, rng):
    return rng.normal(
        0.0, np.sqrt(1.0 / n_in), size=(n_out, n_in)
    )  # W ~ N(0, 1/n^{[l−1]})


W_scratch = xavier_scratch(256, 512, np.random.default_rng(7))
W_mg = mg.init.xavier((256, 512), rng=np.random.default_rng(7), dtype=np.float64)
np.testing.assert_allclose(W_mg, W_scratch, rtol=1e-12)
print(
    f"mg.init.xavier == N(0, 1/n) from scratch; std = {W_mg.std():.4f} (1/sqrt(512) = {1 / np.sqrt(512):.4f})"
)

# %% [markdown]
# ### Experiment 1: activations through a deep tanh network
#
# Ten `Dense(256, 256) → Tanh` layers, 1000 inputs from N(0, 1). We initialise with
# std = k/√n for k = 0.5 (too small), 1 (Xavier) and 2.5 (too large), passing the initialiser to
# `mg.Dense(init=...)`, and look at the distribution of the activations of layers 1, 4 and 10.

# %%
depth, width = 10, 256
X = rng.standard_normal((300 if FAST else 1000, width))
scales = {
    "std 0.5/√n (too small)": 0.5,
    "Xavier, std 1/√n": 1.0,
    "std 2.5/√n (too large)": 2.5,
}
acts = {}
for label, k in scales.items():

    def init_fn(shape, rng=None, dtype=np.float32, k=k):
        return (
            mg.init.get_rng(rng)
            .normal(0.0, k / np.sqrt(shape[1]), size=shape)
            .astype(dtype)
        )

    r = np.random.default_rng(1)
    layers = []
    for _ in range(depth):
        layers += [
            mg.Dense(width, width, init=init_fn, rng=r, dtype=np.float64),
            mg.Tanh(),
        ]
    net = mg.Sequential(*layers)
    a, per_layer = X, []
    for i in range(depth):
        a = net[2 * i + 1](net[2 * i](a))
        per_layer.append(a)
    acts[label] = per_layer
    print(
        f"{label:<26} std of the activations, layers 1..10: "
        + " ".join(f"{p.std():.2f}" for p in per_layer)
    )

# %%
show = [0, 3, 9]
fig, axes = plt.subplots(len(scales), len(show), figsize=(11, 7), sharex=True)
for r_, (label, per_layer) in enumerate(acts.items()):
    for c_, li in enumerate(show):
        ax = axes[r_, c_]
        ax.hist(
            per_layer[li].ravel(), bins=60, range=(-1, 1), density=True, color=f"C{r_}"
        )
        ax.set_title(
            f"{label}: layer {li + 1}, std {per_layer[li].std():.2f}", fontsize=8
        )
        ax.set_yticks([])
        if r_ == len(scales) - 1:
            ax.set_xlabel("tanh activation")
fig.suptitle(
    "Activations of a 10-layer tanh MLP for three weight scales (document 001 §2.10)"
)
fig.tight_layout()
save(fig, "06_init_histograms.png", dpi=100)

# %% [markdown]
# Too small: the activations shrink towards 0 layer after layer (and so do the gradients in
# backpropagation: vanishing). Too large: the units saturate at ±1, where tanh' ≈ 0, so again
# almost no gradient flows. Xavier keeps a spread-out distribution at every depth (it still
# shrinks slowly, from std 0.63 to about 0.23 over ten layers: the 1/n argument is exact for a
# linear unit, and tanh squashes a little at every layer).
#
# And why not all zeros? With W = 0 every hidden unit of a layer computes the same value and
# receives the same gradient, so they stay identical forever (the symmetry the document
# mentions). Check it: start every weight at the same constant and train a few steps.

# %%
net = mg.Sequential(
    mg.Dense(2, 4, dtype=np.float64),
    mg.Tanh(),
    mg.Dense(4, 1, dtype=np.float64),
    mg.Sigmoid(),
)
for p in net.parameters():
    p.data[...] = 0.3
opt = mg.SGD(net, lr=0.5)
Xs, ys = rng.standard_normal((32, 2)), rng.integers(0, 2, (32, 1)).astype(np.float64)
loss = mg.BCELoss()
for _ in range(50):
    loss(net(Xs), ys)
    net.zero_grad()
    net.backward(loss.backward())
    opt.step()
W1 = net[0].params["W"].data
print(
    "hidden-unit weight rows after 50 steps from a constant start (all identical):\n",
    W1.round(4),
)
assert np.allclose(W1, W1[0])

# %% [markdown]
# ## 2. L1 and L2 penalties (document 003 ch. 1; document 001 §2.11)
#
# Document 003 adds a *regularization term* ("termo de regularização") to the cost:
#
#     L2:  Função de Custo = Perda + (λ / 2m) · Σ ‖w‖²
#     L1:  Função de Custo = Perda + (λ / 2m) · Σ ‖w‖
#
# with the hyperparameter λ and m examples. Their gradients add to ∂Perda/∂w:
#
#     L2:  + (λ/m) w            ("decaimento de peso", weight decay: pulls every w towards 0)
#     L1:  + (λ/2m) sign(w)     (a constant pull: drives small weights to exactly 0)
#
# *Remarks.* The ½ in the L2 term is there only to cancel the 2 of the derivative; the printed
# L1 term keeps the same ½, which is unusual (most texts write (λ/m) Σ|w|) but only rescales
# λ. Document 003 also says an overfitted model is "superajustado ao subconjunto de teste": it
# is the *training* set the model fits too closely, which is why it does badly on the test set.
#
# In minigan, L2 is the `weight_decay=` argument of every optimizer: it adds
# `weight_decay · θ` to the gradient, so `weight_decay = λ/m`. (It applies to every parameter
# given, biases included, as PyTorch does; to penalise only weights, give the weights to one
# optimizer and the biases to another.) L1 has no built-in: add its gradient by hand.


# %%
def l2_penalty(Ws, lam, m):
    return lam / (2 * m) * sum(np.sum(W**2) for W in Ws)  # (λ/2m) Σ ‖w‖²


def l1_penalty(Ws, lam, m):
    return lam / (2 * m) * sum(np.sum(np.abs(W)) for W in Ws)  # (λ/2m) Σ |w|


def l2_grad(W, lam, m):
    return lam / m * W


def l1_grad(W, lam, m):
    return lam / (2 * m) * np.sign(W)


lam, m = 0.5, 32
Wt = rng.standard_normal((3, 4))
print(f"{'penalty':<8}{'rel. error':>12}  result")
for name, pen, grad in [("L2", l2_penalty, l2_grad), ("L1", l1_penalty, l1_grad)]:
    num = gradcheck.numerical_gradient(lambda: pen([Wt], lam, m), Wt)
    err = gradcheck.rel_error(grad(Wt, lam, m), num)
    print(f"{name:<8}{err:>12.2e}  {'PASS' if err < 1e-6 else 'FAIL'}")
    assert err < 1e-6

# minigan's weight_decay is the L2 gradient: one SGD step both ways
P = mg.Parameter(Wt.copy())
P.grad[...] = 0.1
mg.SGD([P], lr=0.2, weight_decay=lam / m).step()
np.testing.assert_allclose(P.data, Wt - 0.2 * (0.1 + l2_grad(Wt, lam, m)), rtol=1e-12)
print("mg.SGD(weight_decay=λ/m) == gradient descent on Perda + (λ/2m)‖w‖²")

# %% [markdown]
# ## 3. Dropout (document 001 §2.11.1; document 003 ch. 1)
#
# Each unit of a layer is switched off ("desligado") with probability p during training, so
# the network cannot rely on any single unit; at test time every unit is used. Document 001
# says "durante uma época"; document 003 says, correctly, "a cada iteração": a new random mask
# is drawn at every forward pass.
#
# Neither document says how test time stays consistent with training. If a unit is kept with
# probability 1 − p, its expected training output is (1 − p)·a. minigan, like PyTorch and Keras,
# uses **inverted dropout**: scale the kept units by 1/(1 − p) during training,
#
#     y = x ⊙ m / (1 − p),   m_i ~ Bernoulli(1 − p),     backward: dx = dout ⊙ m / (1 − p)
#
# so that evaluation is the identity. (Hinton et al. instead multiplied the weights by 1 − p at
# test time; same expectation.)


# %%
def dropout_scratch(x, p, mask):
    return x * mask / (1 - p)  # y = x ⊙ m / (1 − p)


p = 0.4
x = rng.standard_normal((6, 5))
mask = rng.random(x.shape) >= p  # keep with probability 1 − p
drop = mg.Dropout(p)
drop.fixed_mask = mask  # reuse our mask (gradient checks do this)
np.testing.assert_allclose(drop(x), dropout_scratch(x, p, mask), rtol=1e-12)
dout = rng.standard_normal(x.shape)
np.testing.assert_allclose(drop.backward(dout), dout * mask / (1 - p), rtol=1e-12)
drop.eval()
np.testing.assert_array_equal(drop(x), x)
print("mg.Dropout == inverted dropout from scratch; identity in eval()")

big = np.ones((1000, 1000))
y_big = mg.Dropout(p, seed=0)(big)
print(
    f"mean of Dropout({p})(ones) in training: {y_big.mean():.4f} (expected value 1), "
    f"fraction zeroed: {(y_big == 0).mean():.3f}"
)

d = mg.Dropout(p)  # a fixed mask makes the layer deterministic
d.fixed_mask = mask
res = gradcheck.check_module(d, x)
print("check_module(Dropout, fixed mask):", {k: f"{v:.1e}" for k, v in res.items()})
assert res["dx"] < gradcheck.TOLERANCE

# %% [markdown]
# ## 4. Experiment 2: an MLP that overfits, and three cures
#
# 16 noisy samples of y = sin(x) + noise, and a 1 → 128 → 128 → 1 tanh network trained with
# Adam on the MSE far past the point of fitting them: without regularization it threads the
# curve through the noise. We compare no regularization, L2 (`weight_decay`, on the weights
# only), L1 (its gradient added by hand) and dropout after each hidden layer, measuring the
# error against the noise-free sin(x) on 400 points.

# %%
n_train = 16
Xtr = np.sort(rng.uniform(-3, 3, n_train))[:, None]
ytr = np.sin(Xtr) + 0.3 * rng.standard_normal((n_train, 1))
Xte = np.linspace(-3, 3, 400)[:, None]
yte = np.sin(Xte)
steps = 400 if FAST else 3000
m = n_train


def make_net(dropout):
    r = np.random.default_rng(3)
    mods = [mg.Dense(1, 128, rng=r, dtype=np.float64), mg.Tanh()]
    mods += [mg.Dropout(dropout, seed=0)] if dropout else []
    mods += [mg.Dense(128, 128, rng=r, dtype=np.float64), mg.Tanh()]
    mods += [mg.Dropout(dropout, seed=1)] if dropout else []
    mods += [mg.Dense(128, 1, rng=r, dtype=np.float64)]
    return mg.Sequential(*mods)


configs = {
    "no regularization": dict(dropout=0.0, l2=0.0, l1=0.0),
    "L2 (λ = 0.5)": dict(dropout=0.0, l2=0.5, l1=0.0),
    "L1 (λ = 0.5)": dict(dropout=0.0, l2=0.0, l1=0.5),
    "dropout p = 0.3": dict(dropout=0.3, l2=0.0, l1=0.0),
}
results = {}
for name, cfg in configs.items():
    net = make_net(cfg["dropout"])
    weights = [mod.params["W"] for mod in net if isinstance(mod, mg.Dense)]
    biases = [mod.params["b"] for mod in net if isinstance(mod, mg.Dense)]
    opt_w = mg.Adam(
        weights, lr=3e-3, weight_decay=cfg["l2"] / m
    )  # L2 = weight_decay λ/m
    opt_b = mg.Adam(biases, lr=3e-3)
    loss = mg.MSELoss()
    for _ in range(steps):
        net.train()
        loss(net(Xtr), ytr)
        net.zero_grad()
        net.backward(loss.backward())
        if cfg["l1"]:
            for W in weights:
                W.grad += l1_grad(W.data, cfg["l1"], m)  # L1 by hand
        opt_w.step()
        opt_b.step()
    net.eval()  # dropout off for evaluation
    mse_tr = float(loss(net(Xtr), ytr))
    mse_te = float(loss(net(Xte), yte))
    n_small = sum(int((np.abs(W.data) < 1e-3).sum()) for W in weights)
    results[name] = (net, mse_tr, mse_te)
    print(
        f"{name:<20} train MSE {mse_tr:.4f}  test MSE {mse_te:.4f}  "
        f"Σ‖W‖² {sum(float((W.data**2).sum()) for W in weights):8.1f}  weights with |w| < 1e-3: {n_small}"
    )

# %%
fig, axes = plt.subplots(1, 4, figsize=(16, 3.6), sharey=True)
for ax, (name, (net, mse_tr, mse_te)) in zip(axes, results.items()):
    ax.plot(Xte, yte, "k--", lw=1, label="sin(x)")
    ax.plot(Xte, net(Xte), "C3", lw=2, label="network")
    ax.scatter(Xtr, ytr, s=20, c="C0", zorder=3, label="training points")
    ax.set(
        xlabel="x",
        title=f"{name}\ntrain MSE {mse_tr:.3f}, test MSE {mse_te:.3f}",
        ylim=(-2, 2),
    )
axes[0].set_ylabel("y")
axes[0].legend(fontsize=8)
fig.tight_layout()
save(fig, "06_regularization.png", dpi=100)

# %% [markdown]
# ## Exercises
#
# 1. Repeat experiment 1 with ReLU instead of tanh. Which scale now keeps the activations
#    stable? Compare with `mg.init.he` (N(0, 2/n)) and explain the factor 2.
# 2. In experiment 2, sweep λ for L2 over 0.01, 0.1, 1, 10 and plot the test MSE against λ.
#    Where is the underfitting side (document 003's "Underfitting")?
# 3. Count the weights with |w| < 1e-3 after L1 and after L2 training. Which penalty produces
#    sparse weights, and why does the sign(w) gradient do that?
# 4. Put a dropout layer before the network's *input*. What is it doing to the data, and how
#    is that related to document 003's data augmentation ("aumento de dados")?

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
# # Lesson 02: the multilayer perceptron, feedforward, and activation functions
#
# **Objective.** Write the four activation functions of the documents and their derivatives,
# then the feedforward pass of a multilayer perceptron exactly as document 001 writes it
# (samples in columns), and see that it is `minigan.Sequential` of `Dense` and activation
# layers (samples in rows). Finally train a small MLP on the "two moons" problem, which no
# line can separate (lesson 01), and look at its decision regions.
#
# Source: document 001 (Marques 2021, *Rede Adversária Generativa Convolucional Profunda Aplicada a Exames de Raio-x do Tórax*), §2.4 "Multilayer
# Perceptron", §2.5 "Função de Ativação" (§2.5.1–2.5.4), §2.6 "Etapa de Feedforward",
# equations (1)–(3).

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
# ## 1. Activation functions ("Funções de Ativação", document 001 §2.5)
#
# A hidden layer is the linear model of lesson 01 followed by a non-linear function,
# `a = g(z) = g(Σ w_i x_i + b)`. The document's four:
#
# | § | name | g(z) | g'(z) |
# |---|------|------|-------|
# | 2.5.1 | Sigmoid | σ(z) = 1 / (1 + e^{−z}) | σ(z)(1 − σ(z)) |
# | 2.5.2 | Tanh | (e^z − e^{−z}) / (e^z + e^{−z}) | 1 − tanh²(z) |
# | 2.5.3 | ReLU | max(0, z) | 1 if z > 0, else 0 |
# | 2.5.4 | Leaky ReLU | max(αz, z) | 1 if z > 0, else α |
#
# (The derivatives are not in the document; backpropagation, lesson 05, needs them.)
#
# *Slips and remarks.* §2.5.4 says α "deve ser otimizado durante o treino" and recommends a
# value between 10⁻² and 0. In Leaky ReLU α is a fixed hyperparameter that you tune by hand;
# learning it by gradient descent is a different layer, PReLU (He et al. 2015). The GAN
# documents themselves use α = 0.2 (document 003 ch. 3's Keras GAN, and document 001 §6.2's
# DCGAN, "Leaky ReLU de parâmetro 0.2"), which is `minigan.LeakyReLU`'s default. Also, the formula σ(z) = 1/(1 + e^{−z})
# taken literally computes `e^{1000} = inf` on the way for z = −1000. The final 1/(1 + inf)
# = 0 happens to be right, but an inf in an intermediate is how NaNs start: the equivalent
# derivative form `e^{−z} / (1 + e^{−z})²` gives inf/inf = nan. minigan's `sigmoid` uses
# `e^{z}/(1 + e^{z})` for negative z, so it never forms a large exponential.

# %%
ALPHA = 0.2


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))  # §2.5.1


def tanh(z):
    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))  # §2.5.2


def relu(z):
    return np.maximum(0.0, z)  # §2.5.3


def leaky_relu(z, alpha=ALPHA):
    return np.maximum(alpha * z, z)  # §2.5.4 (0 ≤ α < 1)


derivatives = {
    "Sigmoid": lambda z: sigmoid(z) * (1 - sigmoid(z)),
    "Tanh": lambda z: 1 - tanh(z) ** 2,
    "ReLU": lambda z: (z > 0).astype(z.dtype),
    "LeakyReLU": lambda z: np.where(z > 0, 1.0, ALPHA),
}
scratch = {"Sigmoid": sigmoid, "Tanh": tanh, "ReLU": relu, "LeakyReLU": leaky_relu}
layers = {
    "Sigmoid": mg.Sigmoid(),
    "Tanh": mg.Tanh(),
    "ReLU": mg.ReLU(),
    "LeakyReLU": mg.LeakyReLU(ALPHA),
}

# %% [markdown]
# ### The same in minigan: `mg.Sigmoid`, `mg.Tanh`, `mg.ReLU`, `mg.LeakyReLU`
#
# Each is a layer: `forward(z)` returns `g(z)`, and `backward(dout)` returns `dout ⊙ g'(z)`.
# So `backward(ones)` is exactly `g'(z)`: we check both against the table above.

# %%
z = np.linspace(-5, 5, 401)[None, :]  # one "sample" of 401 values
for name, layer in layers.items():
    np.testing.assert_allclose(layer(z), scratch[name](z), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        layer.backward(np.ones_like(z)), derivatives[name](z), rtol=1e-12, atol=1e-15
    )
print(
    "minigan activations == the formulas of document 001 §2.5, and backward(ones) == g'(z)"
)

z_big = np.array([-1000.0])
with np.errstate(over="ignore", invalid="ignore"):
    naive = sigmoid(z_big)
    naive_grad = np.exp(-z_big) / (1 + np.exp(-z_big)) ** 2
print(
    f"z = -1000: naive σ = {naive[0]}, naive e^(-z)/(1+e^(-z))^2 = {naive_grad[0]}; "
    f"minigan σ = {mg.activations.sigmoid(z_big)[0]}"
)

# %% [markdown]
# ## 2. Feedforward, equations (1)–(3) (document 001 §2.6)
#
# With `X ∈ ℝ^{n_x × m}` (the m training examples as **columns**), `W^{[l]} ∈ ℝ^{n_l × n_{l−1}}`
# and `b^{[l]} ∈ ℝ^{n_l}`:
#
#     Z^{[1]} = W^{[1]} X + b^{[1]},          A^{[1]} = g(Z^{[1]})        (1)
#     Z^{[2]} = W^{[2]} A^{[1]} + b^{[2]},    A^{[2]} = g(Z^{[2]})        (2)
#     ⋮
#     Z^{[l]} = W^{[l]} A^{[l−1]} + b^{[l]},  A^{[l]} = g(Z^{[l]})        (3)
#
# and `Ŷ = A^{[L]}`. The bias vector is added to every column (broadcasting).
#
# **minigan stores samples in rows** (like PyTorch and Keras): a batch is `(m, n_x)`, i.e.
# `Xᵀ`. Transposing (1) gives `Z^{[1]ᵀ} = Xᵀ W^{[1]ᵀ} + b^{[1]}`, which is what
# `mg.Dense.forward` computes (`x @ W.T + b`). `W` keeps the document's shape
# `(n_l, n_{l−1})`, so the weights are the same numbers in both layouts.

# %%
sizes = [2, 8, 8, 1]  # n_x = 2, two hidden layers, one output
acts = [tanh, relu, sigmoid]  # g of each layer
Ws = [
    rng.normal(0, np.sqrt(1 / n_in), (n_out, n_in))
    for n_in, n_out in zip(sizes[:-1], sizes[1:])
]
bs = [rng.normal(0, 0.1, n_out) for n_out in sizes[1:]]


def feedforward_columns(X_cols, Ws, bs, acts):
    """Document 001 eq. (1)–(3): X is (n_x, m); returns Ŷ = A^{[L]} of shape (n_L, m)."""
    A = X_cols
    for W, b, g in zip(Ws, bs, acts):
        Z = W @ A + b[:, None]  # Z^{[l]} = W^{[l]} A^{[l−1]} + b^{[l]}
        A = g(Z)  # A^{[l]} = g(Z^{[l]})
    return A


model = mg.Sequential(
    mg.Dense(2, 8, dtype=np.float64),
    mg.Tanh(),
    mg.Dense(8, 8, dtype=np.float64),
    mg.ReLU(),
    mg.Dense(8, 1, dtype=np.float64),
    mg.Sigmoid(),
)
for dense, W, b in zip([model[0], model[2], model[4]], Ws, bs):
    dense.params["W"].data[...] = W  # same shape (n_l, n_{l−1}) in both layouts
    dense.params["b"].data[...] = b

X = rng.standard_normal((5, 2))  # 5 samples in rows
Y_doc = feedforward_columns(X.T, Ws, bs, acts)  # (1, 5): samples in columns
Y_mg = model(X)  # (5, 1): samples in rows
np.testing.assert_allclose(Y_mg, Y_doc.T, rtol=1e-12)
print(
    "minigan.Sequential(Dense, Tanh, Dense, ReLU, Dense, Sigmoid) == equations (1)-(3), transposed"
)
model.summary((2,))

# %% [markdown]
# ## 3. Gradient check of the whole stack
#
# `Sequential.backward` runs the layers' backwards in reverse order. Before we trust it for
# training, `gradcheck.check_module` compares it with central differences for the input and
# for every weight and bias (lesson 05 shows how this works and why float64).

# %%
res = gradcheck.check_module(model, rng.standard_normal((4, 2)))
print(f"{'gradient':<10}{'rel. error':>12}  result")
for name, err in res.items():
    print(f"{name:<10}{err:>12.2e}  {'PASS' if err < gradcheck.TOLERANCE else 'FAIL'}")
assert all(err < gradcheck.TOLERANCE for err in res.values())

# %% [markdown]
# ## 4. Experiment: a line versus an MLP on two moons
#
# We train three models with full-batch gradient descent on the Binary Cross-Entropy of
# document 001 §2.7.1 (lesson 03 derives it; here we only need its gradient with respect to
# the sigmoid output, `∂C/∂ŷ = (ŷ − y) / (ŷ (1 − ŷ)) / m`):
#
# * a linear model `Dense(2, 1) → Sigmoid` (logistic regression: a straight boundary),
# * an MLP with Tanh hidden layers,
# * the same MLP with ReLU hidden layers (document 001 §2.6 recommends ReLU there).
#
# The update `p ← p − η ∂C/∂p` is written by hand; lesson 04 turns it into `minigan.nn.optim.SGD`.


# %%
def make_moons(n, noise, seed):
    """Two interleaving half circles ("two moons"), like sklearn.datasets.make_moons."""
    r = np.random.default_rng(seed)
    t = r.uniform(0, np.pi, n)
    y = (np.arange(n) % 2).astype(np.float64)
    X = np.where(
        y[:, None] == 0,
        np.stack([np.cos(t), np.sin(t)], 1),
        np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1),
    )
    return X + noise * r.standard_normal((n, 2)), y


n = 100 if FAST else 300
Xm, ym = make_moons(n, noise=0.15, seed=0)
Xm = (Xm - Xm.mean(0)) / Xm.std(0)
ym = ym[:, None].astype(np.float64)


def build(kind, seed=0):
    r = np.random.default_rng(seed)
    if kind == "linear":
        return mg.Sequential(mg.Dense(2, 1, rng=r, dtype=np.float64), mg.Sigmoid())
    act = mg.Tanh if kind == "tanh" else mg.ReLU
    return mg.Sequential(
        mg.Dense(2, 16, rng=r, dtype=np.float64),
        act(),
        mg.Dense(16, 16, rng=r, dtype=np.float64),
        act(),
        mg.Dense(16, 1, rng=r, dtype=np.float64),
        mg.Sigmoid(),
    )


def bce(y_hat, y):
    y_hat = np.clip(y_hat, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)))


def train(net, steps, lr=0.5):
    history = []
    for _ in range(steps):
        y_hat = net(Xm)
        history.append(bce(y_hat, ym))
        y_c = np.clip(y_hat, 1e-12, 1 - 1e-12)
        dy = (y_c - ym) / (y_c * (1 - y_c)) / len(ym)  # ∂C/∂ŷ of the BCE
        net.zero_grad()
        net.backward(dy)
        for p in net.parameters():
            p.data -= lr * p.grad  # gradient descent, document 001 §2.8
    return history


steps = 300 if FAST else 2000
nets, curves = {}, {}
for kind in ["linear", "tanh", "relu"]:
    nets[kind] = build(kind)
    curves[kind] = train(nets[kind], steps)
    acc = float(((nets[kind](Xm) > 0.5) == ym).mean())
    print(
        f"{kind:>7}: final BCE = {curves[kind][-1]:.4f}, training accuracy = {acc:.3f}"
    )

# %%
fig, axes = plt.subplots(1, 4, figsize=(16, 3.8))
ax = axes[0]
for name in layers:
    ax.plot(z[0], scratch[name](z)[0], label=name)
ax.set(xlabel="z", ylabel="g(z)", title="Activations (§2.5)", ylim=(-1.5, 3))
ax.legend(fontsize=8)
ax = axes[1]
for name in layers:
    ax.plot(z[0], derivatives[name](z)[0], label=name)
ax.set(xlabel="z", ylabel="g'(z)", title="Their derivatives")
ax.legend(fontsize=8)
gx, gy = np.meshgrid(np.linspace(-2.5, 2.5, 150), np.linspace(-2.5, 2.5, 150))
grid = np.stack([gx.ravel(), gy.ravel()], 1)
for ax, kind in zip(axes[2:], ["linear", "tanh"]):
    p = nets[kind](grid).reshape(gx.shape)
    ax.contourf(gx, gy, p, levels=20, cmap="RdBu_r", alpha=0.6)
    ax.contour(gx, gy, p, levels=[0.5], colors="k")
    ax.scatter(*Xm[ym[:, 0] == 0].T, s=8, c="tab:blue")
    ax.scatter(*Xm[ym[:, 0] == 1].T, s=8, c="tab:red")
    ax.set(
        xlabel="$x_1$", ylabel="$x_2$", title=f"{kind} model: P(y=1|x), boundary 0.5"
    )
fig.tight_layout()
save(fig, "02_mlp.png", dpi=100)

fig, ax = plt.subplots(figsize=(5, 3.5))
for kind, c in curves.items():
    ax.semilogy(c, label=kind)
ax.set(xlabel="gradient-descent step", ylabel="BCE", title="Training on two moons")
ax.legend()
fig.tight_layout()
save(fig, "02_mlp_training.png", dpi=100)

# %% [markdown]
# ## Exercises
#
# 1. Remove the activations (`Dense → Dense → Dense → Sigmoid`). Show with one line of
#    algebra that the network is again a linear model, then confirm it on the moons.
# 2. Build the Tanh MLP with every weight initialised to 0 (`p.data[...] = 0`). What happens to
#    the training, and why? (Document 001 §2.10 answers; lesson 06 shows it.)
# 3. Compare `LeakyReLU(0.01)` and `LeakyReLU(0.2)` on the moons. Do "dead" ReLU units (a
#    hidden unit that is 0 for every sample) appear with plain ReLU? Count them.
# 4. Write eq. (1) for a batch in columns with NumPy broadcasting, and show that forgetting the
#    `[:, None]` on `b` gives a silently wrong answer for m = n_l, a wrong *shape* for m = 1,
#    and an error for most other m.

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
# # Lesson 01: the perceptron and the linear model
#
# **Objective.** Build the two oldest "neural networks" from scratch: Rosenblatt's
# perceptron (a thresholded weighted sum) and the linear model trained by gradient descent on
# the squared error. Then see that the linear part is exactly `minigan.Dense`, and check its
# gradients against finite differences. At the end you will see why one neuron cannot solve
# XOR, which is the reason lesson 02 stacks layers.
#
# Source: document 001: Marques (2021), *Rede Adversária Generativa Convolucional Profunda Aplicada a Exames de Raio-x do Tórax*,
# §2.2 "Perceptron" and §2.3 "Modelo Linear".

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
# ## 1. The perceptron (document 001 §2.2)
#
# With real weights ("pesos") $w_j$ and a cut-off value ("valor de corte", *threshold*), the
# document writes the output ("saída") as
#
#     saída = 0  se  Σ_j w_j x_j ≤ threshold
#     saída = 1  se  Σ_j w_j x_j > threshold
#
# and, moving the threshold to the other side as the bias ("viés"), $b = -\text{threshold}$:
#
#     saída = 0  se  Σ_j w_j x_j + b ≤ 0
#     saída = 1  se  Σ_j w_j x_j + b > 0
#
# The document does not give a learning rule. Rosenblatt's rule nudges the weights only on a
# mistake: `w ← w + η (y − ŷ) x`, `b ← b + η (y − ŷ)`. If the two classes can be separated by
# a line it stops after finitely many mistakes (the perceptron convergence theorem).
#
# *A slip in the document.* §2.2 calls Σ_j w_j x_j "seu produto vetorial" and §2.3 repeats
# "o próprio produto vetorial entre X e W". In Portuguese *produto vetorial* is the **cross**
# product (a vector); the weighted sum is the **dot** product, *produto escalar* / *produto
# interno* (a number). The code below is a dot product.


# %%
def perceptron_predict(X, w, b):
    """saída = 1 if Σ_j w_j x_j + b > 0 else 0   (document 001 §2.2, with the bias)."""
    return (X @ w + b > 0).astype(np.float64)


def perceptron_train(X, y, epochs, lr=1.0):
    """Rosenblatt's rule; returns w, b and the number of mistakes in each epoch."""
    w = np.zeros(X.shape[1])
    b = 0.0
    mistakes = []
    for _ in range(epochs):
        errors = 0
        for xi, yi in zip(X, y):
            y_hat = float(xi @ w + b > 0)
            if y_hat != yi:  # update only on a mistake
                w = w + lr * (yi - y_hat) * xi
                b = b + lr * (yi - y_hat)
                errors += 1
        mistakes.append(errors)
    return w, b, mistakes


n_per_class = 20 if FAST else 100
X_blobs = np.concatenate(
    [
        rng.normal([0.0, 2.0], 0.6, (n_per_class, 2)),
        rng.normal([2.5, 0.5], 0.6, (n_per_class, 2)),
    ]
)
y_blobs = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)])
perm = rng.permutation(len(y_blobs))
X_blobs, y_blobs = X_blobs[perm], y_blobs[perm]

X_xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y_xor = np.array([0.0, 1.0, 1.0, 0.0])

epochs = 10 if FAST else 30
w_p, b_p, mistakes_blobs = perceptron_train(X_blobs, y_blobs, epochs)
_, _, mistakes_xor = perceptron_train(X_xor, y_xor, epochs)
acc = (perceptron_predict(X_blobs, w_p, b_p) == y_blobs).mean()
print(
    f"perceptron on two blobs: w = {w_p.round(3)}, b = {b_p:.3f}, training accuracy = {acc:.3f}"
)
print(f"mistakes per epoch (blobs): {mistakes_blobs[:10]} ...")
print(
    f"mistakes per epoch (XOR):   {mistakes_xor[:10]} ...  (never 0: XOR is not linearly separable)"
)
assert mistakes_blobs[-1] == 0 and min(mistakes_xor) > 0

# %% [markdown]
# ## 2. The linear model and its cost (document 001 §2.3)
#
# Drop the threshold: the output is the weighted sum itself,
#
#     z = Σ w_i x_i + b,     ŷ = z,
#
# and the parameters are chosen to minimise the mean squared error ("função de Custo")
#
#     C(w, b) = (1/N) Σ_{i=1}^{N} (z_i − y_i)²
#
# Its gradient, by the chain rule, is
#
#     ∂C/∂w = (2/N) Σ_i (z_i − y_i) x_i,      ∂C/∂b = (2/N) Σ_i (z_i − y_i),
#
# and gradient descent (document 001 §2.8, "Gradiente Descendente") repeats
# `w ← w − η ∂C/∂w`, `b ← b − η ∂C/∂b`. We fit a noisy plane `y = 2 x₁ − 3 x₂ + 0.5`.

# %%
N = 64 if FAST else 256
X_lin = rng.standard_normal((N, 2))
w_true, b_true = np.array([2.0, -3.0]), 0.5
y_lin = X_lin @ w_true + b_true + 0.3 * rng.standard_normal(N)


def linear_forward(X, w, b):
    return X @ w + b  # z = Σ w_i x_i + b


def mse(z, y):
    return np.mean((z - y) ** 2)  # C = (1/N) Σ (z_i − y_i)²


def mse_grads(X, z, y):
    r = z - y
    dw = 2.0 / len(y) * (X.T @ r)  # ∂C/∂w = (2/N) Σ (z_i − y_i) x_i
    db = 2.0 / len(y) * r.sum()  # ∂C/∂b = (2/N) Σ (z_i − y_i)
    return dw, db


w, b = np.zeros(2), 0.0
lr = 0.1
steps = 40 if FAST else 100
losses = []
for _ in range(steps):
    z = linear_forward(X_lin, w, b)
    losses.append(mse(z, y_lin))
    dw, db = mse_grads(X_lin, z, y_lin)
    w, b = w - lr * dw, b - lr * db  # document 001 §2.8: v → v − η ∇C(v)
print(
    f"linear model after {steps} GD steps: w = {w.round(3)}, b = {b:.3f} "
    f"(true {w_true}, {b_true}); final MSE = {losses[-1]:.4f}"
)

# %% [markdown]
# ## 3. The same thing in minigan: this is now `minigan.Dense`
#
# `mg.Dense(in_features, out_features)` computes `Z = X Wᵀ + b` for a batch of samples in
# rows (PyTorch's layout; the document stacks samples in columns, `Z = W X + b`, see lesson
# 02). With one output, `W` is our `w` as a `(1, 2)` row. Its `backward(dout)` takes
# `dout = ∂C/∂Z` and *adds* `∂C/∂W` and `∂C/∂b` into `W.grad` and `b.grad`. For the MSE,
# `∂C/∂z_i = (2/N)(z_i − y_i)`. We copy our trained weights into a Dense in float64 and
# check that forward and gradients agree with the from-scratch code.

# %%
dense = mg.Dense(2, 1, dtype=np.float64)
dense.params["W"].data[...] = w[None, :]
dense.params["b"].data[...] = b
z_mg = dense(X_lin)[:, 0]
np.testing.assert_allclose(z_mg, linear_forward(X_lin, w, b), rtol=1e-12)

dense.zero_grad()
dz = (2.0 / N * (z_mg - y_lin))[:, None]  # ∂C/∂Z, shape (N, 1)
dense.backward(dz)
dw, db = mse_grads(X_lin, linear_forward(X_lin, w, b), y_lin)
np.testing.assert_allclose(dense.params["W"].grad[0], dw, rtol=1e-10, atol=1e-14)
np.testing.assert_allclose(dense.params["b"].grad[0], db, rtol=1e-10, atol=1e-14)
print("minigan.Dense forward and backward == the from-scratch linear model")

# %% [markdown]
# ## 4. Gradient check
#
# Are our formulas for ∂C/∂w and ∂C/∂b right? Compare them with central differences
# `(C(w + h e_i) − C(w − h e_i)) / 2h` computed by `minigan.gradcheck.numerical_gradient`
# (lesson 05 explains the method, float64 and the tolerance). Then let
# `gradcheck.check_module` do the same for the Dense layer itself.

# %%
params = np.array([0.3, -0.7, 0.1])  # (w1, w2, b) at some point


def cost_of_params():
    return mse(linear_forward(X_lin, params[:2], params[2]), y_lin)


num = gradcheck.numerical_gradient(cost_of_params, params)
dw, db = mse_grads(X_lin, linear_forward(X_lin, params[:2], params[2]), y_lin)
ana = np.concatenate([dw, [db]])
print(f"{'gradient':<10}{'analytic':>12}{'numerical':>12}{'rel. error':>12}")
for name, a, n_ in zip(["dC/dw1", "dC/dw2", "dC/db"], ana, num):
    print(
        f"{name:<10}{a:>12.6f}{n_:>12.6f}{gradcheck.rel_error(np.array(a), np.array(n_)):>12.2e}"
    )
assert gradcheck.rel_error(ana, num) < 1e-7

res = gradcheck.check_module(mg.Dense(2, 1, rng=0), rng.standard_normal((5, 2)))
print("check_module(Dense(2, 1)):", {k: f"{v:.1e}" for k, v in res.items()})
assert all(v < gradcheck.TOLERANCE for v in res.values())

# %% [markdown]
# ## 5. Experiment: what one neuron can and cannot separate
#
# Left: the perceptron's line `w·x + b = 0` on the two blobs. Middle: mistakes per epoch: on
# the blobs they reach 0, on XOR never (no line puts (0,1), (1,0) on one side and (0,0),
# (1,1) on the other). Right: the linear model's cost falling under gradient descent.

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
ax = axes[0]
ax.scatter(*X_blobs[y_blobs == 0].T, s=12, label="class 0")
ax.scatter(*X_blobs[y_blobs == 1].T, s=12, label="class 1")
xs = np.linspace(X_blobs[:, 0].min(), X_blobs[:, 0].max(), 2)
if abs(w_p[1]) > 1e-12:
    ax.plot(xs, -(w_p[0] * xs + b_p) / w_p[1], "k-", label="w·x + b = 0")
ax.set(xlabel="$x_1$", ylabel="$x_2$", title="Perceptron decision line")
ax.legend(fontsize=8)
ax = axes[1]
ax.plot(range(1, epochs + 1), mistakes_blobs, "o-", label="two blobs")
ax.plot(range(1, epochs + 1), mistakes_xor, "s-", label="XOR")
ax.set(xlabel="epoch", ylabel="mistakes in the epoch", title="Perceptron rule")
ax.legend(fontsize=8)
ax = axes[2]
ax.semilogy(losses)
ax.set(
    xlabel="gradient-descent step", ylabel="MSE  C(w, b)", title="Linear model (§2.3)"
)
fig.tight_layout()
save(fig, "01_perceptron.png", dpi=100)

# %% [markdown]
# ## Exercises
#
# 1. Run the perceptron rule with learning rate 0.01 instead of 1. Does the final line
#    change? Does the number of updates change? (Hint: with `w` and `b` starting at 0, the
#    rule only rescales.)
# 2. Replace the MSE by the mean absolute error `(1/N) Σ |z_i − y_i|`. Derive ∂C/∂w, implement
#    it, and check it with `gradcheck.numerical_gradient`. Where is it not differentiable?
# 3. Add a third input `x₁·x₂` to XOR. Can the perceptron now separate it? Why does this
#    "feature engineering" point towards hidden layers?
# 4. The linear model can also be solved in closed form: `w = (XᵀX)⁻¹Xᵀy` (append a column of
#    ones for `b`). Compare it with the gradient-descent result.

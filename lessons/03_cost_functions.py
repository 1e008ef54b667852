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
# # Lesson 03: cost functions and the Binary Cross-Entropy
#
# **Objective.** Implement the document's loss ("função de Perda") and cost ("função de
# Custo") for a binary classifier, the Binary Cross-Entropy, together with its gradient; see
# why it is computed on logits in practice; check it against `minigan.nn.losses`; and see in an
# experiment why a sigmoid classifier is trained with BCE rather than with the squared error.
# The same BCE is the GAN discriminator's loss (lesson 14).
#
# Source: document 001 (Marques 2021, *Rede Adversária Generativa Convolucional Profunda Aplicada a Exames de Raio-x do Tórax*), §2.7 "Função de
# Custo", §2.7.1 "Entropia Cruzada Binária (BCE)"; the squared error of §2.3.

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
# ## 1. The equations (document 001 §2.7.1)
#
# For one example with label y ∈ {0, 1} and predicted probability ŷ = P(y = 1 | x) (a sigmoid
# output, §2.5.1), the loss is
#
#     L(ŷ⁽ⁱ⁾, y⁽ⁱ⁾) = −[ y⁽ⁱ⁾ log ŷ⁽ⁱ⁾ + (1 − y⁽ⁱ⁾) log(1 − ŷ⁽ⁱ⁾) ]
#
# and the cost, "Entropia Cruzada Binária", is its mean over the m examples:
#
#     C(W, b) = (1/m) Σᵢ L(ŷ⁽ⁱ⁾, y⁽ⁱ⁾)
#
# The document reads off the two cases: for y = 0, L = −log(1 − ŷ); for y = 1, L = −log ŷ;
# each is 0 when ŷ equals the label and "explodes" as ŷ moves to the wrong end.
#
# What the document does not write, and backpropagation needs, is the derivative:
#
#     ∂L/∂ŷ = −y/ŷ + (1 − y)/(1 − ŷ) = (ŷ − y) / (ŷ (1 − ŷ))
#
# and, when ŷ = σ(z) with the logit z, the σ'(z) = ŷ(1 − ŷ) cancels:
#
#     ∂L/∂z = ŷ − y = σ(z) − y.
#
# Computing L from ŷ = σ(z) in floating point fails for large |z| (σ(40) rounds to exactly 1
# in float64, and log(1 − 1) = −∞). Written in terms of z,
# L = max(z, 0) − z·y + log(1 + e^{−|z|}), which is finite for every z.


# %%
def bce(y_hat, y):
    """C = −(1/m) Σ [y log ŷ + (1 − y) log(1 − ŷ)]   (document 001 §2.7.1)."""
    return -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))


def bce_grad(y_hat, y):
    """∂C/∂ŷ = (ŷ − y) / (ŷ(1 − ŷ)) / m   (the 1/m of the mean)."""
    return (y_hat - y) / (y_hat * (1 - y_hat)) / y.size


def bce_logits(z, y):
    """The same cost from the logits, stable: max(z, 0) − z·y + log(1 + e^{−|z|})."""
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def bce_logits_grad(z, y):
    """∂C/∂z = (σ(z) − y) / m."""
    return (1 / (1 + np.exp(-z)) - y) / y.size


def mse(y_hat, y):
    return np.mean((y_hat - y) ** 2)  # document 001 §2.3


def mse_grad(y_hat, y):
    return 2 * (y_hat - y) / y.size


z = rng.normal(0, 2, (8, 1))
y = rng.integers(0, 2, (8, 1)).astype(np.float64)
y_hat = 1 / (1 + np.exp(-z))
print(
    f"BCE from probabilities = {bce(y_hat, y):.6f}, from logits = {bce_logits(z, y):.6f}"
)

with np.errstate(divide="ignore", invalid="ignore"):
    print(
        f"z = 40, y = 0: naive BCE = {bce(1 / (1 + np.exp(-np.array([40.0]))), np.array([0.0]))}, "
        f"from logits = {bce_logits(np.array([40.0]), np.array([0.0])):.1f}"
    )

# %% [markdown]
# ## 2. The same in minigan: `minigan.nn.losses.BCELoss`, `BCEWithLogitsLoss`, `MSELoss`
#
# A loss is the last link of the chain: `value = loss(pred, target)` returns the mean, and
# `loss.backward()` returns ∂C/∂pred of the latest call, ready for `model.backward`.
# `mg.BCELoss` takes probabilities (clamping each log at −100 as PyTorch does, so ŷ = 0 or 1
# gives a large but finite cost); `mg.BCEWithLogitsLoss` takes the logits and uses the stable
# form above. Both must agree with our functions, value and gradient.

# %%
for name, loss, pred, f, g in [
    ("BCELoss", mg.BCELoss(), y_hat, bce, bce_grad),
    ("BCEWithLogitsLoss", mg.BCEWithLogitsLoss(), z, bce_logits, bce_logits_grad),
    ("MSELoss", mg.MSELoss(), y_hat, mse, mse_grad),
]:
    value = loss(pred, y)
    np.testing.assert_allclose(float(value), f(pred, y), rtol=1e-12)
    np.testing.assert_allclose(loss.backward(), g(pred, y), rtol=1e-10)
    print(f"minigan.nn.losses.{name:<18} == from scratch: value {float(value):.6f}")

print(
    f"BCELoss at ŷ = 1, y = 0: {float(mg.BCELoss()(np.array([1.0]), np.array([0.0]))):.1f} (clamped, not inf)"
)

# %% [markdown]
# The multi-class case of the same idea is the softmax cross-entropy, `mg.CrossEntropyLoss`
# (logits `(N, C)`, integer labels `(N,)`): L = −log softmax(z)_y. Lesson 10 uses it for the
# CNN classifier. A quick check against the definition:

# %%
logits = rng.standard_normal((5, 4))
labels = rng.integers(0, 4, 5)
softmax = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
ce = -np.mean(np.log(softmax[np.arange(5), labels]))
np.testing.assert_allclose(float(mg.CrossEntropyLoss()(logits, labels)), ce, rtol=1e-12)
print(f"CrossEntropyLoss == −mean log softmax(z)_y = {ce:.6f}")

# %% [markdown]
# ## 3. Gradient check
#
# `gradcheck.check_loss(loss, pred, target)` compares `loss.backward()` with central
# differences of `loss(pred, target)` in float64 (lesson 05 explains why float64).

# %%
cases = [
    (
        "BCELoss",
        mg.BCELoss(),
        rng.uniform(0.05, 0.95, (4, 3)),
        rng.integers(0, 2, (4, 3)).astype(float),
    ),
    (
        "BCELoss, soft target 0.9",
        mg.BCELoss(),
        rng.uniform(0.05, 0.95, (4, 3)),
        np.full((4, 3), 0.9),
    ),
    (
        "BCEWithLogitsLoss",
        mg.BCEWithLogitsLoss(),
        rng.normal(0, 3, (4, 3)),
        rng.integers(0, 2, (4, 3)).astype(float),
    ),
    ("MSELoss", mg.MSELoss(), rng.standard_normal((4, 3)), rng.standard_normal((4, 3))),
    (
        "CrossEntropyLoss",
        mg.CrossEntropyLoss(),
        rng.standard_normal((4, 5)),
        rng.integers(0, 5, 4),
    ),
]
print(f"{'loss':<28}{'rel. error':>12}  result")
for name, loss, pred, target in cases:
    err = gradcheck.check_loss(loss, pred, target)["dpred"]
    print(f"{name:<28}{err:>12.2e}  {'PASS' if err < gradcheck.TOLERANCE else 'FAIL'}")
    assert err < gradcheck.TOLERANCE

# %% [markdown]
# ## 4. Experiment: why BCE and not the squared error for a sigmoid output
#
# Both costs are minimal at ŷ = y, so why not keep the MSE of §2.3? Look at the gradient
# that reaches the logit z for a positive example (y = 1):
#
# * BCE: ∂L/∂z = σ(z) − 1, close to −1 when the model is confidently wrong (z ≪ 0);
# * MSE: ∂L/∂z = 2(σ(z) − 1) · σ(z)(1 − σ(z)), close to **0** when z ≪ 0: the sigmoid
#   saturates and the squared error cannot pull it out.
#
# We train the same logistic-regression model `Dense(2, 1) → Sigmoid` from a bad start (the
# weights point the wrong way, so every prediction is confidently wrong) with gradient
# descent on each cost.

# %%
n = 100 if FAST else 400
X = np.concatenate(
    [rng.normal([-1, -1], 0.8, (n // 2, 2)), rng.normal([1, 1], 0.8, (n // 2, 2))]
)
Y = np.concatenate([np.zeros((n // 2, 1)), np.ones((n // 2, 1))])
steps = 150 if FAST else 600
history = {}
for name, loss in [("BCE", mg.BCELoss()), ("MSE", mg.MSELoss())]:
    model = mg.Sequential(mg.Dense(2, 1, dtype=np.float64), mg.Sigmoid())
    model[0].params["W"].data[...] = [[-4.0, -4.0]]  # confidently wrong
    accs, costs = [], []
    for _ in range(steps):
        p = model(X)
        costs.append(bce(np.clip(p, 1e-12, 1 - 1e-12), Y))  # report the BCE for both
        accs.append(float(((p > 0.5) == Y).mean()))
        loss(p, Y)
        model.zero_grad()
        model.backward(loss.backward())
        for prm in model.parameters():
            prm.data -= 0.5 * prm.grad  # gradient descent, §2.8
    history[name] = (accs, costs)
    reached = next((i for i, a in enumerate(accs) if a >= 0.9), None)
    print(
        f"trained with {name}: accuracy after {steps} steps = {accs[-1]:.3f}, BCE = {costs[-1]:.3f}; "
        f"first step with accuracy >= 0.9: {reached if reached is not None else 'never'}"
    )

# %%
zz = np.linspace(-8, 8, 400)
s = 1 / (1 + np.exp(-zz))
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
ax = axes[0]
p_ = np.linspace(0.001, 0.999, 400)
ax.plot(p_, -np.log(p_), label="BCE, y = 1: −log ŷ")
ax.plot(p_, -np.log(1 - p_), label="BCE, y = 0: −log(1 − ŷ)")
ax.plot(p_, (p_ - 1) ** 2, "--", label="MSE, y = 1: (ŷ − 1)²")
ax.set(
    xlabel="predicted probability ŷ",
    ylabel="loss L",
    title="Loss of one example (§2.7.1)",
    ylim=(0, 5),
)
ax.legend(fontsize=8)
ax = axes[1]
ax.plot(zz, np.abs(s - 1), label="BCE: |σ(z) − 1|")
ax.plot(zz, np.abs(2 * (s - 1) * s * (1 - s)), label="MSE: |2(σ(z) − 1)σ'(z)|")
ax.set(
    xlabel="logit z (true label y = 1)",
    ylabel="|∂L/∂z|",
    title="Gradient reaching the logit",
)
ax.legend(fontsize=8)
ax = axes[2]
for name, (accs, _) in history.items():
    ax.plot(accs, label=f"trained with {name}")
ax.set(
    xlabel="gradient-descent step",
    ylabel="training accuracy",
    title="Logistic regression, bad start",
)
ax.legend(fontsize=8)
fig.tight_layout()
save(fig, "03_cost_functions.png", dpi=100)

# %% [markdown]
# ## Exercises
#
# 1. Derive ∂L/∂z = σ(z) − y by hand from §2.7.1 and σ'(z) = σ(z)(1 − σ(z)).
# 2. Document 000 trains its discriminator with one-sided label smoothing (real label 0.9).
#    What is the minimum of L(ŷ, 0.9) over ŷ, and where is it? Check with `mg.BCELoss`.
# 3. Show that `BCEWithLogitsLoss(z, y)` equals `BCELoss(sigmoid(z), y)` for |z| < 10, and find
#    the smallest z (float32 and float64) for which they start to disagree.
# 4. In the experiment, start from W = 0 instead. Does MSE still lag behind BCE? Why?

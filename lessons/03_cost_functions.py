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
# # Lesson 03: Cost functions and the binary cross-entropy
#
# **Objective.** Implement the loss ("função de Perda") and the cost ("função de Custo")
# that document 001 uses for a binary classifier, the binary cross-entropy (BCE), together
# with its gradient; see where it comes from and why in practice it is computed from the
# logits; check it against `minigan.nn.losses`; and see in an experiment why a sigmoid
# classifier is trained with the BCE rather than with the squared error. The same BCE is the
# loss of a GAN's discriminator (lesson 14).
#
# **Source.** Document 001: Marques (2021), *Rede Adversária Generativa Convolucional
# Profunda Aplicada a Exames de Raio-x do Tórax*, §2.7 "Função de Custo" and §2.7.1
# "Entropia Cruzada Binária (BCE)"; the squared error of §2.3.

# %%
import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck

# lessons/_course.py: fast mode, and figures saved (and shown inline in a notebook)
from _course import FAST, save, t

plt.rcParams.update({"font.size": 11, "legend.fontsize": 10})
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The loss and the cost (document 001 §2.7–2.7.1)
#
# "A função de Custo tem como objetivo dizer quão próximo $\hat{Y}$, ou $f(x; \theta)$, está
# de $Y$" (the cost function says how close the prediction is to the truth). For a
# regression, with $Y \in ℝ$, lesson 01 used the squared error. For a binary classifier the
# label is $y \in \{0, 1\}$ and the network's output is a probability,
# $\hat y = P(y = 1 \mid x) = \sigma(z)$, the sigmoid (lesson 02) of a number $z$ called the
# *logit*. The document defines the **loss** of one example $i$,
#
# $$
# L(\hat{y}^{(i)}, y^{(i)}) = -\left[y^{(i)} \log \hat{y}^{(i)}
# + (1 - y^{(i)}) \log(1 - \hat{y}^{(i)})\right]
# \tag{001 §2.7.1a}
# \label{eq:03-loss}
# $$
#
# and the **cost**, the Binary Cross-Entropy ("Entropia Cruzada Binária"), as the mean loss
# over the $m$ examples:
#
# $$
# \begin{aligned}
# C(W, b) &= \frac{1}{m} \sum_{i=1}^m L(\hat{y}^{(i)}, y^{(i)}) \cr
# &= -\frac{1}{m} \sum_{i=1}^m \left[y^{(i)} \log \hat{y}^{(i)}
# + (1 - y^{(i)}) \log(1 - \hat{y}^{(i)})\right]
# \end{aligned}
# \tag{001 §2.7.1b}
# \label{eq:03-bce}
# $$
#
# (The logarithm is the natural one, $\ln$; the document does not say. Another base would
# only multiply $C$ by a constant, but the derivatives below assume $\ln$.) Since $y$ is 0 or
# 1, only one of the two terms is alive. The document reads off the two cases:
#
# $$
# y^{(i)} = 0: \; L = -\log(1 - \hat{y}^{(i)}), \qquad
# y^{(i)} = 1: \; L = -\log(\hat{y}^{(i)})
# \tag{001 §2.7.1c}
# $$
#
# Each is 0 when $\hat y$ equals the label, and it "irá explodir" (will explode) as $\hat y$
# moves to the wrong end: $-\log \hat y \to \infty$ as $\hat y \to 0$. The figure compares
# these two curves with the squared error of §2.3 for $y = 1$, which never exceeds 1.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The loss of one example as a function of the predicted probability $\\hat y$: the BCE grows without bound at the wrong end, the squared error $(\\hat y - 1)^2$ stays below 1.", "name": "fig-03-losses"}}
p_ = np.linspace(0.001, 0.999, 400)
fig, ax = plt.subplots(figsize=(6.4, 4.2))
ax.plot(p_, -np.log(p_), label=t("BCE, $y = 1$: $-\\log \\hat y$"))
ax.plot(p_, -np.log(1 - p_), label=t("BCE, $y = 0$: $-\\log(1 - \\hat y)$"))
ax.plot(p_, (p_ - 1) ** 2, "--", label=t("squared error, $y = 1$: $(\\hat y - 1)^2$"))
ax.set(
    xlabel=t("predicted probability $\\hat y$"),
    ylabel=t("loss $L$"),
    title=t("Loss of one example (§2.7.1)"),
    ylim=(0, 5),
)
ax.legend(loc="upper center")
fig.tight_layout()
save(fig, "03_losses.png")

# %% [markdown]
# **Where the BCE comes from.** The document does not say, and the answer explains its
# shape. If the model says that $y = 1$ with probability $\hat y$, the probability it gives
# to the label actually observed is $\hat y$ when $y = 1$ and $1 - \hat y$ when $y = 0$, that
# is $\hat y^{\,y} (1 - \hat y)^{1 - y}$. Training should make the observed labels probable;
# for independent examples their joint probability is a product, and maximising it is the
# same as minimising minus its logarithm, averaged:
#
# $$
# -\frac{1}{m} \log \prod_{i=1}^m (\hat y^{(i)})^{y^{(i)}} (1 - \hat y^{(i)})^{1 - y^{(i)}}
# = \frac{1}{m} \sum_{i=1}^m L(\hat{y}^{(i)}, y^{(i)})
# \tag{03.1}
# $$
#
# So the BCE is the negative log-likelihood of the labels (*maximum likelihood*), and a
# confidently wrong prediction is punished without bound because it says the observed label
# was nearly impossible.
#
# ## 2. Its gradient, and the logits
#
# What the document does not write, and backpropagation (lesson 05) needs, is the
# derivative of the loss with respect to the prediction:
#
# $$
# \frac{\partial L}{\partial \hat y} = -\frac{y}{\hat y} + \frac{1 - y}{1 - \hat y}
# = \frac{\hat y - y}{\hat y (1 - \hat y)}
# \tag{03.2}
# \label{eq:03-dyhat}
# $$
#
# When $\hat y = \sigma(z)$, the chain rule multiplies by the sigmoid's derivative
# $\sigma'(z) = \hat y (1 - \hat y)$ (lesson 02), and the denominator cancels:
#
# $$
# \frac{\partial L}{\partial z} = \frac{\hat y - y}{\hat y (1 - \hat y)} \cdot
# \hat y (1 - \hat y) = \sigma(z) - y
# \tag{03.3}
# \label{eq:03-dz}
# $$
#
# The simplest possible gradient: the prediction minus the label. For the cost $C$, each
# example's gradient is divided by $m$, because $C$ is the mean.
#
# **Computing from the logit.** Computing $L$ from $\hat y = \sigma(z)$ in floating point
# fails for large $|z|$: $\sigma(40)$ rounds to exactly 1 in float64, and
# $\log(1 - 1) = -\infty$. Written in terms of $z$, with $\log \sigma(z) = -\log(1 + e^{-z})$
# and $\log(1 - \sigma(z)) = -z - \log(1 + e^{-z})$, the loss becomes
#
# $$
# \begin{aligned}
# L &= y \log(1 + e^{-z}) + (1 - y)\left(z + \log(1 + e^{-z})\right)
# = (1 - y)\, z + \log(1 + e^{-z}) \cr
# &= \max(z, 0) - z y + \log\left(1 + e^{-|z|}\right)
# \end{aligned}
# \tag{03.4}
# \label{eq:03-logits}
# $$
#
# where the last step uses $\log(1 + e^{-z}) = -z + \log(1 + e^{z})$ for $z < 0$. In the
# last form no exponential is ever larger than 1, so it is finite for every $z$. This is why
# frameworks offer a "BCE with logits": the network ends at $z$, and the loss applies the
# sigmoid itself.


# %%
def bce(y_hat, y):
    """C = −(1/m) Σ [y log ŷ + (1 − y) log(1 − ŷ)]   (document 001 §2.7.1)."""
    return -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))


def bce_grad(y_hat, y):
    """∂C/∂ŷ = (ŷ − y) / (ŷ(1 − ŷ)) / m   (equation 03.2, with the 1/m of the mean)."""
    return (y_hat - y) / (y_hat * (1 - y_hat)) / y.size


def bce_logits(z, y):
    """The same cost from the logits, stable: max(z, 0) − z·y + log(1 + e^{−|z|})."""
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def bce_logits_grad(z, y):
    """∂C/∂z = (σ(z) − y) / m   (equation 03.3)."""
    return (1 / (1 + np.exp(-z)) - y) / y.size


def mse(y_hat, y):
    return np.mean((y_hat - y) ** 2)  # document 001 §2.3


def mse_grad(y_hat, y):
    return 2 * (y_hat - y) / y.size


z = rng.normal(0, 2, (8, 1))
y = rng.integers(0, 2, (8, 1)).astype(np.float64)
y_hat = 1 / (1 + np.exp(-z))
print(f"BCE from probabilities = {bce(y_hat, y):.6f}")
print(f"BCE from logits        = {bce_logits(z, y):.6f}")

z40, y0 = np.array([40.0]), np.array([0.0])
with np.errstate(divide="ignore", invalid="ignore"):
    naive = bce(1 / (1 + np.exp(-z40)), y0)
print(f"z = 40, y = 0: naive BCE = {naive}, from logits = {bce_logits(z40, y0):.1f}")

# %% [markdown]
# ## 3. The same in minigan: `BCELoss`, `BCEWithLogitsLoss`, `MSELoss`
#
# In minigan (`minigan.nn.losses`) a loss is the last link of the chain:
# `value = loss(pred, target)` returns the mean, and `loss.backward()` returns
# $\partial C / \partial \text{pred}$ of the latest call, ready for `model.backward`.
# `mg.BCELoss` takes probabilities, and clamps each logarithm at $-100$ as PyTorch does, so
# that $\hat y = 0$ or $1$ gives a large but finite cost. `mg.BCEWithLogitsLoss` takes the
# logits and uses the stable form $\eqref{eq:03-logits}$. Both must agree with our
# functions, in value and in gradient.

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

clamped = float(mg.BCELoss()(np.array([1.0]), np.array([0.0])))
print(f"BCELoss at ŷ = 1, y = 0: {clamped:.1f} (clamped, not inf)")

# %% [markdown]
# The multi-class version of the same idea is the softmax cross-entropy,
# `mg.CrossEntropyLoss`. It takes logits of shape $(N, K)$ for $K$ classes and integer labels
# $y_i \in \{0, \dots, K - 1\}$, turns each row of logits into probabilities with the
# softmax, and takes minus the log of the probability of the right class:
#
# $$
# C = -\frac{1}{N} \sum_{i=1}^N \log \frac{e^{z_{i y_i}}}{\sum_{k} e^{z_{ik}}}
# \tag{03.5}
# $$
#
# For $K = 2$ it is the BCE again, with the logit $z = z_{i1} - z_{i0}$ (the softmax of two
# logits is the sigmoid of their difference). Lesson 10 uses it for the CNN that reads
# digits. A quick check against the definition:

# %%
logits = rng.standard_normal((5, 4))
labels = rng.integers(0, 4, 5)
softmax = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
ce = -np.mean(np.log(softmax[np.arange(5), labels]))
np.testing.assert_allclose(float(mg.CrossEntropyLoss()(logits, labels)), ce, rtol=1e-12)
print(f"CrossEntropyLoss == −mean log softmax(z)_y = {ce:.6f}")

# %% [markdown]
# ## 4. Gradient check
#
# `gradcheck.check_loss(loss, pred, target)` compares `loss.backward()` with the central
# differences of lesson 01 (section 5) applied to `loss(pred, target)`, in float64 (lesson
# 05 explains why float64). We include a soft target of 0.9, the one-sided label smoothing
# of document 000's discriminator (lessons 14 and 15): $\eqref{eq:03-loss}$ is defined for any
# $y \in [0, 1]$, and so is its gradient.

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
# ## 5. Experiment: why the BCE and not the squared error for a sigmoid output
#
# Both costs are smallest at $\hat y = y$, so why not keep the squared error of §2.3? Look
# at the gradient that reaches the logit $z$ for a positive example ($y = 1$). With the BCE
# it is $\eqref{eq:03-dz}$; with the squared error $(\sigma(z) - 1)^2$ the chain rule keeps
# the factor $\sigma'(z)$:
#
# $$
# \text{BCE:}\quad \frac{\partial L}{\partial z} = \sigma(z) - 1
# \tag{03.6a}
# $$
#
# $$
# \text{squared error:}\quad \frac{\partial L}{\partial z}
# = 2\,(\sigma(z) - 1)\, \sigma(z)\,(1 - \sigma(z))
# \tag{03.6b}
# $$
#
# When the model is confidently wrong ($z \ll 0$), the BCE's gradient is close to $-1$: a
# strong push. The squared error's is close to **0**, because $\sigma'(z) \to 0$: the sigmoid
# saturates, and the squared error cannot pull it out.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Size of the gradient $|\\partial L / \\partial z|$ that reaches the logit for a positive example ($y = 1$): the BCE's tends to 1 as $z \\to -\\infty$ (confidently wrong), the squared error's tends to 0.", "name": "fig-03-logit-gradient"}}
zz = np.linspace(-8, 8, 400)
s = 1 / (1 + np.exp(-zz))
fig, ax = plt.subplots(figsize=(6.4, 4.2))
ax.plot(zz, np.abs(s - 1), label=t("BCE: $|\\sigma(z) - 1|$"))
ax.plot(zz, np.abs(2 * (s - 1) * s * (1 - s)), label=t("squared error (03.6)"))
ax.set(
    xlabel=t("logit $z$ (true label $y = 1$)"),
    ylabel="$|\\partial L / \\partial z|$",
    title=t("Gradient reaching the logit"),
)
ax.legend()
fig.tight_layout()
save(fig, "03_logit_gradient.png")

# %% [markdown]
# To see what this does to training, we train the same logistic-regression model
# `Dense(2, 1) → Sigmoid` on two Gaussian blobs with gradient descent on each cost, from a
# bad start: the weights point the wrong way, so every prediction is confidently wrong. For
# both runs we record the training accuracy, and the BCE as a common yardstick.

# %%
n = 100 if FAST else 400
X = np.concatenate(
    [rng.normal([-1, -1], 0.8, (n // 2, 2)), rng.normal([1, 1], 0.8, (n // 2, 2))]
)
Y = np.concatenate([np.zeros((n // 2, 1)), np.ones((n // 2, 1))])
steps = 150 if FAST else 600
history = {}
for name, loss in [("BCE", mg.BCELoss()), ("squared error", mg.MSELoss())]:
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
    reached = next((i for i, a in enumerate(accs) if a >= 0.9), "never")
    print(f"trained with {name}:")
    print(f"  after {steps} steps: accuracy = {accs[-1]:.3f}, BCE = {costs[-1]:.3f}")
    print(f"  first step with accuracy >= 0.9: {reached}")

# %% [markdown]
# The printed lines give, for each cost, the first step at which the model classifies 90 %
# of the points correctly. In the full run, the model trained with the BCE gets there within
# about ten steps, and the one trained with the squared error needs hundreds: it first has
# to crawl out of the saturated region, where its gradient is nearly 0.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Training accuracy of logistic regression from a confidently wrong start: trained with the BCE it recovers at once; trained with the squared error it stays stuck while the sigmoid is saturated.", "name": "fig-03-bad-start"}}
trained_with = {
    "BCE": t("trained with BCE"),
    "squared error": t("trained with squared error"),
}
fig, ax = plt.subplots(figsize=(6.4, 4.2))
for name, (accs, _) in history.items():
    ax.plot(accs, label=trained_with[name])
ax.set(
    xlabel=t("gradient-descent step"),
    ylabel=t("training accuracy"),
    title=t("Logistic regression, bad start"),
)
ax.legend()
fig.tight_layout()
save(fig, "03_bad_start.png")

# %% [markdown]
# ## Summary
#
# * The BCE $\eqref{eq:03-bce}$ is the mean of the loss $\eqref{eq:03-loss}$; it is the
#   negative log-likelihood of the labels, which is why it punishes confident mistakes
#   without bound.
# * With a sigmoid output its gradient with respect to the logit is simply
#   $\sigma(z) - y$ $\eqref{eq:03-dz}$, which never vanishes when the model is wrong.
# * In floating point, compute it from the logits with $\eqref{eq:03-logits}$
#   (`BCEWithLogitsLoss`).

# %% [markdown]
# ## Exercises
#
# 1. Derive $\partial L / \partial z = \sigma(z) - y$ by hand from §2.7.1 and
#    $\sigma'(z) = \sigma(z)(1 - \sigma(z))$.
# 2. Document 000 trains its discriminator with one-sided label smoothing (real label 0.9).
#    What is the minimum of $L(\hat y, 0.9)$ over $\hat y$, and where is it? Check with
#    `mg.BCELoss`.
# 3. Show that `BCEWithLogitsLoss(z, y)` equals `BCELoss(sigmoid(z), y)` for $|z| < 10$, and
#    find the smallest $z$ (in float32 and in float64) for which they start to disagree.
# 4. In the experiment, start from $W = 0$ instead. Does the squared error still lag behind
#    the BCE? Why?

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
# | `03.bce` | binary cross-entropy on probabilities and its gradient | document 001 §2.7.1 | 1 |
# | `03.bce_with_logits` | binary cross-entropy on logits, the stable form | document 001 §2.7.1 | 2 |
# | `03.softmax_cross_entropy` | softmax cross-entropy of logits and its gradient | document 003 ch. 1 | 2 |
#
# 5 points in all. The same stubs come as a plain file, to write in your editor and grade
# from a terminal (`minigan-exercises list` shows every lesson's exercises):
#
# ```bash
# minigan-exercises new ex/ --lesson 03   # writes ex/lesson03_cost_functions.py
# minigan-exercises grade ex/ -k 03       # PASS, FAIL, TODO or ERROR, and the points
# ```

# %%
import numpy as np
from minigan.exercises import check


# %%
def bce(y_hat, y):
    """Binary cross-entropy on probabilities, and its gradient.

    Document 001 §2.7.1, over the m elements of y_hat:
        C = −(1/m) Σᵢ [yᵢ log ŷᵢ + (1 − yᵢ) log(1 − ŷᵢ)]
        ∂C/∂ŷᵢ = (ŷᵢ − yᵢ) / (ŷᵢ (1 − ŷᵢ)) · (1/m)

    Parameters
    ----------
    y_hat : array, any shape, probabilities in (0, 1)
    y : array, the shape of y_hat, targets in [0, 1] (soft targets allowed)

    Returns
    -------
    (C, dy_hat) : a float and an array the shape of y_hat
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("03.bce", bce)


# %%
def bce_with_logits(z, y):
    """Binary cross-entropy on logits z (ŷ = σ(z)) in the stable form, and its gradient.

    Document 001 §2.7.1 with ŷ = σ(z) becomes L = z − z·y + log(1 + e⁻ᶻ), which
    overflows for z ≪ 0. The stable form (document 000 §3.2's
    sigmoid_cross_entropy_with_logits):
        L(z, y) = max(z, 0) − z·y + log(1 + e^(−|z|)),      C = (1/m) Σᵢ L(zᵢ, yᵢ)
        ∂C/∂zᵢ = (σ(zᵢ) − yᵢ) / m

    Parameters
    ----------
    z : array, any shape, logits (any real value, e.g. ±1000)
    y : array, the shape of z, targets in [0, 1]

    Returns
    -------
    (C, dz) : a float and an array the shape of z
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("03.bce_with_logits", bce_with_logits)


# %%
def softmax_cross_entropy(z, y):
    """Softmax cross-entropy of logits against integer labels, and its gradient.

    Document 003 ch. 1 (the multi-class case of document 001 §2.7.1), for N samples:
        softmax(z)ₖ = e^(zₖ − max z) / Σⱼ e^(zⱼ − max z)
                                        (subtract the row's max: no overflow)
        C = −(1/N) Σᵢ log softmax(zᵢ)_{yᵢ}
        ∂C/∂zᵢ = (softmax(zᵢ) − onehot(yᵢ)) / N

    Parameters
    ----------
    z : (N, K) float64 logits (any real values, e.g. ±1000)
    y : (N,) int class labels in [0, K)

    Returns
    -------
    (C, dz) : a float and an (N, K) array
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("03.softmax_cross_entropy", softmax_cross_entropy)

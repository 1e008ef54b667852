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
# # Lesson 02: The multilayer perceptron, feedforward and activation functions
#
# **Objective.** Write the four activation functions of the documents and their
# derivatives; then write the feedforward pass of a multilayer perceptron exactly as
# document 001 does (samples in columns), and see that it is `minigan.Sequential` of `Dense`
# and activation layers (samples in rows). Finally, train a small network on the "two moons"
# problem, which no line can separate (lesson 01), and look at the regions it learns.
#
# **Source.** Document 001: Marques (2021), *Rede Adversária Generativa Convolucional
# Profunda Aplicada a Exames de Raio-x do Tórax*, §2.4 "Multilayer Perceptron", §2.5 "Função
# de Ativação" (§2.5.1–2.5.4) and §2.6 "Etapa de Feedforward", equations (1)–(3).

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
# ## 1. From one neuron to a network (document 001 §2.4)
#
# Lesson 01 ended with a wall: one neuron draws one straight line, and XOR needs more. The
# multilayer perceptron (MLP) puts neurons side by side in *layers* and layers one after the
# other. Document 001 names three kinds of layer: the input layer ("Camada de Entrada"),
# $x \in ℝ^n$; the hidden layers ("Camadas Ocultas") in the middle; and the output layer
# ("Camada de Saída"), $\hat y$, which for a binary classifier is a number in $[0, 1]$. Every
# element of layer $l$ is connected to every element of layer $l + 1$. The network computes
# a function of its input with parameters $\theta$ (all the weights and biases):
#
# > "O objetivo deste tipo de rede é computar $\hat{y} = f(x; \theta)$ de forma a "aprender"
# > valores do parâmetro $\theta$ que melhor aproximam $y$ da função $f$."
#
# That is: the goal is to compute $\hat y = f(x; \theta)$ and to "learn" the values of
# $\theta$ with which $f$ best approximates $y$. Information flows one way, from the input to
# the output, hence the name *feedforward* network.
#
# Each hidden unit is the linear model of lesson 01 followed by a non-linear **activation
# function** $g$ ("Função de Ativação"):
#
# $$
# a = g(z) = g\left(\sum w_i x_i + b\right)
# \tag{001 §2.5}
# $$
#
# Why must $g$ be non-linear? Without it, two layers collapse into one linear model:
#
# $$
# W^{[2]}\left(W^{[1]} x + b^{[1]}\right) + b^{[2]}
# = \left(W^{[2]} W^{[1]}\right) x + \left(W^{[2]} b^{[1]} + b^{[2]}\right)
# \tag{02.1}
# \label{eq:02-collapse}
# $$
#
# which is again one weight matrix and one bias, so a hundred linear layers draw the same
# straight line as one (exercise 1).

# %% [markdown]
# ## 2. Activation functions (document 001 §2.5)
#
# The document defines four. The **sigmoid** (§2.5.1), used in an output layer because its
# value "pode ser interpretado como uma probabilidade $\hat{y} = P(y = 1 | x)$" (can be read
# as a probability):
#
# $$
# \sigma(z) = \frac{1}{1 + e^{-z}}
# \tag{001 §2.5.1}
# \label{eq:02-sigmoid}
# $$
#
# The **hyperbolic tangent** (§2.5.2), with values between $-1$ and $1$:
#
# $$
# \tanh(z) = \frac{e^z - e^{-z}}{e^z + e^{-z}}
# \tag{001 §2.5.2}
# $$
#
# The **ReLU**, rectified linear unit (§2.5.3), "comumente usada em camadas intermediárias"
# (commonly used in hidden layers):
#
# $$
# \text{ReLU}(z) = \max(0, z)
# \tag{001 §2.5.3}
# $$
#
# And the **Leaky ReLU** (§2.5.4), which lets a small slope $\alpha$ through for $z < 0$:
#
# $$
# \text{LeakyReLU}(z) = \max(\alpha z, z), \quad \alpha \in ℝ
# \tag{001 §2.5.4}
# $$
#
# **Their derivatives.** The document does not write them, and backpropagation (lesson 05)
# needs them. For the sigmoid,
#
# $$
# \sigma'(z) = \frac{e^{-z}}{(1 + e^{-z})^2}
# = \frac{1}{1 + e^{-z}} \cdot \frac{e^{-z}}{1 + e^{-z}}
# = \sigma(z)\,(1 - \sigma(z))
# \tag{02.2}
# $$
#
# since $\frac{e^{-z}}{1 + e^{-z}} = 1 - \frac{1}{1 + e^{-z}}$. The others are read off
# their definitions (for tanh, differentiate the quotient):
#
# $$
# \begin{aligned}
# \sigma'(z) &= \sigma(z)\,(1 - \sigma(z)), &
# \tanh'(z) &= 1 - \tanh^2(z), \cr
# \text{ReLU}'(z) &= \begin{cases} 1 & z > 0 \cr 0 & z \leq 0 \end{cases}, &
# \text{LeakyReLU}'(z) &= \begin{cases} 1 & z > 0 \cr \alpha & z \leq 0 \end{cases}
# \end{aligned}
# \tag{02.3}
# \label{eq:02-derivatives}
# $$
#
# *Remarks on the document, and one slip.*
#
# 1. *Leaky ReLU's $\alpha$ is not trained.* §2.5.4 says "O hiperparâmetro $\alpha$ deve ser
#    otimizado durante o treino da Rede Neural" (must be optimised during training) and
#    recommends "um valor entre $10^{-2}$ e 0". In Leaky ReLU, $\alpha$ is a fixed
#    hyperparameter that you choose before training (by hand, or by comparing runs); a
#    version that *learns* $\alpha$ by gradient descent is a different layer, the PReLU
#    (He et al. 2015). The GAN documents themselves use $\alpha = 0.2$, outside the
#    recommended range: document 003 (chapter 3, its Keras GAN) and document 001's own
#    DCGAN in §6, "Leaky ReLU de parâmetro 0.2". It is the default of `minigan.LeakyReLU`.
# 2. *ReLU at $z = 0$.* §2.5.3 notes that ReLU has no derivative at 0 and can still be used
#    "pois dificilmente o gradiente da rede será 0" (because the network's gradient will
#    hardly ever be 0). The precise reason is that a pre-activation $z$ is almost never
#    *exactly* 0, and at that one point any value between 0 and 1 works; minigan, like
#    PyTorch, uses 0. (ReLU's gradient *is* 0 on the whole half-line $z < 0$: a unit that
#    is negative for every input stops learning, a "dead" unit, exercise 3.)
# 3. *The formula overflows.* Taken literally, $\eqref{eq:02-sigmoid}$ computes
#    $e^{1000} = \infty$ on the way for $z = -1000$. The final $1/(1 + \infty) = 0$ happens
#    to be right, but an infinity in an intermediate step is how NaNs start: the equivalent
#    form $\sigma'(z) = e^{-z}/(1 + e^{-z})^2$ gives $\infty/\infty = \text{NaN}$. minigan's
#    `sigmoid` never forms a large exponential:
#
# $$
# \sigma(z) = \begin{cases} \dfrac{1}{1 + e^{-z}} & z \geq 0 \cr
# \dfrac{e^{z}}{1 + e^{z}} & z < 0 \end{cases}
# \tag{02.4}
# $$

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


derivatives = {  # equation (02.3)
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
# Each is a layer: `forward(z)` returns $g(z)$, and `backward(dout)` returns
# $\text{dout} \odot g'(z)$, where $\odot$ is the elementwise product. So `backward(ones)` is
# exactly $g'(z)$, and we check both against the formulas above. Then we try the naive
# sigmoid and its derivative at $z = -1000$.

# %%
z = np.linspace(-5, 5, 401)[None, :]  # one "sample" of 401 values
for name, layer in layers.items():
    np.testing.assert_allclose(layer(z), scratch[name](z), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        layer.backward(np.ones_like(z)), derivatives[name](z), rtol=1e-12, atol=1e-15
    )
print("minigan activations == the formulas of document 001 §2.5")
print("and backward(ones) == g'(z) of equation (02.3)")

z_big = np.array([-1000.0])
with np.errstate(over="ignore", invalid="ignore"):
    naive = sigmoid(z_big)
    naive_grad = np.exp(-z_big) / (1 + np.exp(-z_big)) ** 2
print(f"z = -1000: naive σ = {naive[0]}, naive e^(-z)/(1+e^(-z))^2 = {naive_grad[0]}")
print(f"           minigan σ = {mg.activations.sigmoid(z_big)[0]}")

# %% [markdown]
# The four functions side by side: the sigmoid and tanh saturate (flatten out) for large
# $|z|$, while ReLU and Leaky ReLU grow without bound for $z > 0$.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The four activation functions of document 001 §2.5 (Leaky ReLU with $\\alpha = 0.2$): sigmoid and tanh saturate, ReLU and Leaky ReLU do not for $z > 0$.", "name": "fig-02-activations"}}
fig, ax = plt.subplots(figsize=(6.4, 4.2))
for name in layers:
    ax.plot(z[0], scratch[name](z)[0], label=name)
ax.set(xlabel="$z$", ylabel="$g(z)$", title=t("Activations (§2.5)"), ylim=(-1.5, 3))
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
save(fig, "02_activations.png")

# %% [markdown]
# Their derivatives $\eqref{eq:02-derivatives}$ matter more than the functions themselves:
# they multiply every gradient that flows back through the layer (lesson 05). The sigmoid's
# is at most $\frac{1}{4}$ (at $z = 0$), and both the sigmoid's and tanh's vanish for large
# $|z|$; ReLU's is 1 for every $z > 0$, and Leaky ReLU's never falls below $\alpha$.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The derivatives $g'(z)$ of the four activations: the sigmoid's peaks at 1/4, sigmoid and tanh vanish for large $|z|$, ReLU's is a step from 0 to 1, Leaky ReLU's a step from $\\alpha$ to 1.", "name": "fig-02-derivatives"}}
fig, ax = plt.subplots(figsize=(6.4, 4.2))
for name in layers:
    ax.plot(z[0], derivatives[name](z)[0], label=name)
ax.set(xlabel="$z$", ylabel="$g'(z)$", title=t("Their derivatives (equation 02.3)"))
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
save(fig, "02_derivatives.png")

# %% [markdown]
# ## 3. Feedforward, equations (1)–(3) (document 001 §2.6)
#
# Between each layer $l - 1$ and layer $l$ ($l = 1, \dots, L$) there is a weight matrix
# $W^{[l]}$ and a bias vector $b^{[l]}$. The document's notation: $[l]$ is the layer, $(m)$
# the training example, $n_x$ the number of input features, and $n_l$ the number of elements
# of layer $l$. It stacks the $m$ training examples as the **columns** of
# $X \in ℝ^{n_x \times m}$ and computes, layer after layer:
#
# $$
# Z^{[1]} = W^{[1]} X + b^{[1]}, \qquad A^{[1]} = g(Z^{[1]})
# \tag{001 §2.6, eq. 1}
# $$
#
# $$
# Z^{[2]} = W^{[2]} A^{[1]} + b^{[2]}, \qquad A^{[2]} = g(Z^{[2]})
# \tag{001 §2.6, eq. 2}
# $$
#
# and so on, up to
#
# $$
# Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \qquad A^{[l]} = g(Z^{[l]})
# \tag{001 §2.6, eq. 3}
# \label{eq:02-feedforward}
# $$
#
# with $W^{[l]} \in ℝ^{n_l \times n_{l-1}}$ and $b^{[l]} \in ℝ^{n_l}$, where $n_0 = n_x$.
# Each layer's output $A^{[l-1]}$ plays the role that $X$ played for the first layer. The
# bias vector is added to every column (NumPy calls this *broadcasting*). Each layer may use
# its own activation ("podendo ser outra função diferente"); below we write $g^{[l]}$ when
# it matters. A layer $l$ holds $n_l \, n_{l-1}$ weights and $n_l$ biases.
#
# *A slip in the notation.* The document ends with "$\hat{Y} = A^{[l]}$" and calls layer
# $l$ "a última camada oculta" (the last hidden layer). The last layer is the *output*
# layer, not a hidden one, and the document's own §2.9 calls it $L$. Here:
#
# $$
# \hat Y = A^{[L]} \in ℝ^{n_L \times m}
# \tag{02.5}
# $$
#
# **minigan stores the samples in rows** (as PyTorch and Keras do): a batch is an
# $m \times n_x$ array, which is $X^{\top}$. Transposing $\eqref{eq:02-feedforward}$ gives
#
# $$
# (Z^{[l]})^{\top} = (A^{[l-1]})^{\top} (W^{[l]})^{\top} + (b^{[l]})^{\top}
# \tag{02.6}
# \label{eq:02-rows}
# $$
#
# which is what `mg.Dense.forward` computes (`x @ W.T + b`). `W` keeps the document's shape
# $n_l \times n_{l-1}$, so the weights are the same numbers in both layouts. We build a
# network with layers of 2, 8, 8 and 1 elements, run the document's equations on five
# samples in columns, copy the same weights into a `Sequential`, run it on the same samples
# in rows, and compare.

# %%
sizes = [2, 8, 8, 1]  # n_x = 2, two hidden layers, one output
acts = [tanh, relu, sigmoid]  # g of each layer
Ws = [
    rng.normal(0, np.sqrt(1 / n_in), (n_out, n_in))
    for n_in, n_out in zip(sizes[:-1], sizes[1:])
]
bs = [rng.normal(0, 0.1, n_out) for n_out in sizes[1:]]


def feedforward_columns(X_cols, Ws, bs, acts):
    """Document 001 eq. (1)–(3): X is (n_x, m); returns Ŷ = A^[L] of shape (n_L, m)."""
    A = X_cols
    for W, b, g in zip(Ws, bs, acts):
        Z = W @ A + b[:, None]  # Z^[l] = W^[l] A^[l−1] + b^[l]
        A = g(Z)  # A^[l] = g(Z^[l])
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
print("minigan.Sequential(Dense, Tanh, Dense, ReLU, Dense, Sigmoid)")
print("  == equations (1)-(3) of document 001 §2.6, transposed")
model.summary((2,))

# %% [markdown]
# The table counts $n_l (n_{l-1} + 1)$ parameters per `Dense` layer:
# $8 \cdot 3 = 24$, $8 \cdot 9 = 72$ and $1 \cdot 9 = 9$.
#
# ## 4. Gradient check of the whole network
#
# `Sequential.backward` runs the layers' `backward` methods in reverse order. Before we
# trust it for training, `gradcheck.check_module` compares it with central differences
# (lesson 01, section 5) for the input and for every weight and bias. Lesson 05 derives what
# `backward` computes, and why the check runs in float64.

# %%
res = gradcheck.check_module(model, rng.standard_normal((4, 2)))
print(f"{'gradient':<10}{'rel. error':>12}  result")
for name, err in res.items():
    print(f"{name:<10}{err:>12.2e}  {'PASS' if err < gradcheck.TOLERANCE else 'FAIL'}")
assert all(err < gradcheck.TOLERANCE for err in res.values())

# %% [markdown]
# ## 5. Experiment: a line versus an MLP on two moons
#
# The "two moons" are two interleaved half circles of points, one per class: no straight
# line separates them. We train three models with full-batch gradient descent on the
# binary cross-entropy of document 001 §2.7.1. Lesson 03 derives it; here we only need its
# gradient with respect to the sigmoid output $\hat y_i$ of each of the $m$ examples:
#
# $$
# \frac{\partial C}{\partial \hat y_i} = \frac{1}{m} \, \frac{\hat y_i - y_i}{\hat y_i
# (1 - \hat y_i)}
# \tag{02.7}
# $$
#
# The three models are:
#
# * a linear model `Dense(2, 1) → Sigmoid` (logistic regression: its boundary is a line),
# * an MLP with two hidden layers of 16 tanh units,
# * the same MLP with ReLU hidden layers (document 001 §2.6: "É bastante recomendado usar
#   ReLU como função de ativação das camadas intermediárias").
#
# The update $p \leftarrow p - \eta \, \partial C / \partial p$ of every parameter $p$ is
# written by hand; lesson 04 turns it into `minigan.nn.optim.SGD`.


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
        dy = (y_c - ym) / (y_c * (1 - y_c)) / len(ym)  # ∂C/∂ŷ, equation (02.7)
        net.zero_grad()
        net.backward(dy)
        for p in net.parameters():
            p.data -= lr * p.grad  # gradient descent, document 001 §2.8
    return history


steps = 300 if FAST else 2000
nets, curves = {}, {}
print(f"{'model':>7}  {'final BCE':>10}  {'training accuracy':>18}")
for kind in ["linear", "tanh", "relu"]:
    nets[kind] = build(kind)
    curves[kind] = train(nets[kind], steps)
    acc = float(((nets[kind](Xm) > 0.5) == ym).mean())
    print(f"{kind:>7}  {curves[kind][-1]:>10.4f}  {acc:>18.3f}")

# %% [markdown]
# The table printed above gives each model's final cost and the fraction of training points
# it classifies correctly. In the full run both MLPs classify every point correctly, and the
# linear model does not: the figure shows why. The colour is the model's probability
# $P(y = 1 \mid x)$, and the black curve is its decision boundary, where that probability is
# 0.5. The linear model's boundary is a straight line, which must cut through the tips of
# both moons; the MLPs bend their boundary around them.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Decision regions on the two moons: the colour is the predicted $P(y = 1 \\mid x)$, the black curve the boundary at 0.5. The linear model draws a line; both MLPs bend the boundary around the moons.", "name": "fig-02-moons"}}
gx, gy = np.meshgrid(np.linspace(-2.5, 2.5, 150), np.linspace(-2.5, 2.5, 150))
grid = np.stack([gx.ravel(), gy.ravel()], 1)
titles = {"linear": t("linear model"), "tanh": "MLP, tanh", "relu": "MLP, ReLU"}
with plt.rc_context({"font.size": 13}):  # three panels, shown at page width
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.6), sharey=True)
    for ax, kind in zip(axes, ["linear", "tanh", "relu"]):
        p = nets[kind](grid).reshape(gx.shape)
        ax.contourf(gx, gy, p, levels=20, cmap="RdBu_r", alpha=0.6)
        ax.contour(gx, gy, p, levels=[0.5], colors="k")
        ax.scatter(*Xm[ym[:, 0] == 0].T, s=8, c="tab:blue")
        ax.scatter(*Xm[ym[:, 0] == 1].T, s=8, c="tab:red")
        ax.set(xlabel="$x_1$", title=titles[kind], aspect="equal", xticks=[-2, 0, 2])
    axes[0].set(ylabel="$x_2$", yticks=[-2, 0, 2])
    fig.tight_layout()
save(fig, "02_moons_regions.png")

# %% [markdown]
# The costs during training tell the same story: the linear model's cost levels off, since
# no line does better, while the MLPs' costs keep falling (on a log scale) as their
# boundaries fit the moons more tightly.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Binary cross-entropy on the two moons during gradient descent (log scale): the linear model levels off, the two MLPs keep going down.", "name": "fig-02-training"}}
fig, ax = plt.subplots(figsize=(6.4, 4.2))
for kind, c in curves.items():
    ax.semilogy(c, label=titles[kind])
ax.set(
    xlabel=t("gradient-descent step"), ylabel="BCE", title=t("Training on two moons")
)
ax.legend()
fig.tight_layout()
save(fig, "02_moons_training.png")

# %% [markdown]
# ## Summary
#
# * A hidden layer is a linear model followed by a non-linear activation $g$; without $g$
#   the layers collapse into one linear model $\eqref{eq:02-collapse}$.
# * The document's activations are the sigmoid, tanh, ReLU and Leaky ReLU; their
#   derivatives $\eqref{eq:02-derivatives}$ will carry every gradient backwards (lesson 05).
#   Leaky ReLU's $\alpha$ is a fixed hyperparameter, not a trained one.
# * Feedforward $\eqref{eq:02-feedforward}$ with samples in columns is the transpose
#   $\eqref{eq:02-rows}$ of minigan's `Dense` with samples in rows; the weights are the same
#   numbers.

# %% [markdown]
# ## Exercises
#
# 1. Remove the activations (`Dense → Dense → Dense → Sigmoid`). Show with
#    $\eqref{eq:02-collapse}$ that the network is again a linear model, then confirm it on
#    the moons.
# 2. Build the tanh MLP with every weight initialised to 0 (`p.data[...] = 0`). What happens
#    to the training, and why? (Document 001 §2.10 answers; lesson 06 shows it.)
# 3. Compare `LeakyReLU(0.01)` and `LeakyReLU(0.2)` on the moons. Do "dead" ReLU units (a
#    hidden unit that is 0 for every sample) appear with plain ReLU? Count them.
# 4. Write equation (1) for a batch in columns with NumPy broadcasting, and show that
#    forgetting the `[:, None]` on `b` gives a silently wrong answer for $m = n_l$, a wrong
#    *shape* for $m = 1$, and an error for most other $m$.

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
# | `02.sigmoid_forward` | the logistic sigmoid σ(z) | document 001 §2.5.1 | 1 |
# | `02.sigmoid_backward` | the sigmoid's backward pass dout ⊙ σ'(z) | document 001 §2.5.1 | 1 |
# | `02.tanh_forward` | the hyperbolic tangent | document 001 §2.5.2 | 1 |
# | `02.tanh_backward` | the tanh's backward pass dout ⊙ (1 − tanh²(z)) | document 001 §2.5.2 | 1 |
# | `02.relu_forward` | the rectified linear unit max(0, z) | document 001 §2.5.3 | 1 |
# | `02.relu_backward` | the ReLU's backward pass dout ⊙ 1[z > 0] | document 001 §2.5.3 | 1 |
# | `02.leaky_relu_forward` | the leaky ReLU max(αz, z) | document 001 §2.5.4 | 1 |
# | `02.leaky_relu_backward` | the leaky ReLU's backward pass | document 001 §2.5.4 | 1 |
#
# 8 points in all. The same stubs come as a plain file, to write in your editor and grade
# from a terminal (`minigan-exercises list` shows every lesson's exercises):
#
# ```bash
# minigan-exercises new ex/ --lesson 02   # writes ex/lesson02_mlp.py
# minigan-exercises grade ex/ -k 02       # PASS, FAIL, TODO or ERROR, and the points
# ```

# %%
import numpy as np
from minigan.exercises import check


# %%
def sigmoid_forward(z):
    """The logistic sigmoid, elementwise.

    Document 001 §2.5.1: σ(z) = 1 / (1 + e⁻ᶻ)

    e⁻ᶻ overflows for z ≪ 0; there use the equal form eᶻ / (1 + eᶻ).

    Parameters
    ----------
    z : array, any shape, float64

    Returns
    -------
    σ(z) : the shape of z
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("02.sigmoid_forward", sigmoid_forward)


# %%
def sigmoid_backward(dout, z):
    """The sigmoid's backward pass: ∂C/∂z = dout ⊙ σ'(z).

    Document 001 §2.5.1: σ'(z) = σ(z) (1 − σ(z))

    Parameters
    ----------
    dout : array, the upstream gradient ∂C/∂σ(z), the shape of z
    z : array, the forward pass's input

    Returns
    -------
    dz : the shape of z
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("02.sigmoid_backward", sigmoid_backward)


# %%
def tanh_forward(z):
    """The hyperbolic tangent, elementwise.

    Document 001 §2.5.2: tanh(z) = (eᶻ − e⁻ᶻ) / (eᶻ + e⁻ᶻ)

    Parameters
    ----------
    z : array, any shape, float64

    Returns
    -------
    tanh(z) : the shape of z
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("02.tanh_forward", tanh_forward)


# %%
def tanh_backward(dout, z):
    """The tanh's backward pass: ∂C/∂z = dout ⊙ tanh'(z).

    Document 001 §2.5.2: tanh'(z) = 1 − tanh²(z)

    Parameters
    ----------
    dout : array, the upstream gradient, the shape of z
    z : array, the forward pass's input

    Returns
    -------
    dz : the shape of z
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("02.tanh_backward", tanh_backward)


# %%
def relu_forward(z):
    """The rectified linear unit, elementwise.

    Document 001 §2.5.3: ReLU(z) = max(0, z)

    Parameters
    ----------
    z : array, any shape, float64

    Returns
    -------
    max(0, z) : the shape of z
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("02.relu_forward", relu_forward)


# %%
def relu_backward(dout, z):
    """The ReLU's backward pass: ∂C/∂z = dout ⊙ ReLU'(z).

    Document 001 §2.5.3: ReLU'(z) = 1 for z > 0 and 0 otherwise (take 0 at z = 0, as
    PyTorch and minigan do).

    Parameters
    ----------
    dout : array, the upstream gradient, the shape of z
    z : array, the forward pass's input

    Returns
    -------
    dz : the shape of z
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("02.relu_backward", relu_backward)


# %%
def leaky_relu_forward(z, alpha=0.2):
    """The leaky ReLU, elementwise.

    Document 001 §2.5.4: LeakyReLU(z) = max(αz, z), 0 ≤ α < 1
    (the GAN documents use α = 0.2)

    Parameters
    ----------
    z : array, any shape, float64
    alpha : float, the slope α for z < 0

    Returns
    -------
    max(αz, z) : the shape of z
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("02.leaky_relu_forward", leaky_relu_forward)


# %%
def leaky_relu_backward(dout, z, alpha=0.2):
    """The leaky ReLU's backward pass: ∂C/∂z = dout ⊙ g'(z).

    Document 001 §2.5.4: g'(z) = 1 for z > 0, α otherwise

    Parameters
    ----------
    dout : array, the upstream gradient, the shape of z
    z : array, the forward pass's input
    alpha : float, the slope α for z < 0

    Returns
    -------
    dz : the shape of z
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("02.leaky_relu_backward", leaky_relu_backward)

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
# # Lesson 06: Initialization (Xavier) and regularization (L1, L2, dropout, early stopping)
#
# **Objective.** See why weights must start random and at the right scale (the "Xavier"
# initialization $\mathcal{N}(0, 1/n)$ of the documents keeps the signal alive through a deep
# tanh network). Then fight overfitting four ways: the L1 and L2 penalties, dropout and early
# stopping. Each one is written from scratch and, where minigan has it, compared with
# minigan. On the way we see what the L1 penalty really does to a weight under gradient
# descent, and which step makes weights exactly zero.
#
# Sources: document 001 (Marques 2021, *Rede Adversária Generativa Convolucional Profunda
# Aplicada a Exames de Raio-x do Tórax*) §2.10 "Inicialização Aleatória", §2.11
# "Regularização", §2.11.1 "Dropout"; document 003 (Pereira, n.d., *Deep Learning, Unidade
# III: Redes convolucionais, recorrentes e adversárias*) ch. 1, "Regularização",
# "Regularização L1 e L2", "Dropout".

# %%
import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck

# lessons/_course.py: fast mode, figures saved (and shown in a notebook)
from _course import FAST, save, t

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Random initialization (document 001 §2.10)
#
# Document 001 says that the parameters cannot all start at 0, "pois, no final, todos eles
# irão convergir para o mesmo valor", nor symmetrically. They are drawn from a normal
# distribution, best with the "Inicialização Xavier":
#
# $$
# W^{[l]} \sim \mathcal{N}\left(0, \frac{1}{n^{[l-1]}}\right)
# \tag{001 §2.10}
# \label{eq:06-xavier}
# $$
#
# where $n^{[l-1]}$ is the number of inputs of the layer (its *fan-in*). Why $1/n$? A unit
# computes $z = \sum_{j=1}^{n} w_j a_j$. If the weights have mean 0 and are independent of
# the inputs $a_j$, the variances of the $n$ terms add up:
#
# $$
# \operatorname{Var}(z) = \sum_{j=1}^{n} \operatorname{Var}(w_j a_j)
# = n \operatorname{Var}(w)\, \mathbb{E}[a^2]
# \tag{6.1}
# \label{eq:06-var}
# $$
#
# So $\operatorname{Var}(w) = 1/n$ keeps $\operatorname{Var}(z) \approx \mathbb{E}[a^2]$ from
# layer to layer. Any other scale multiplies the variance by the same constant at every
# layer: an exponential decay or growth with depth.
#
# *A remark on the name.* Glorot & Bengio (2010), "Xavier", actually propose
# $\operatorname{Var}(w) = 2/(n_{\text{in}} + n_{\text{out}})$ (Keras' default
# `glorot_uniform` is its uniform version, `mg.init.glorot_uniform`);
# $\mathcal{N}(0, 1/n_{\text{in}})$ is often called LeCun initialization. minigan follows
# the documents: `mg.init.xavier` is $\mathcal{N}(0, 1/n)$, the default of `mg.Dense`.


# %%
def xavier_scratch(n_out, n_in, rng):
    return rng.normal(0.0, np.sqrt(1.0 / n_in), size=(n_out, n_in))  # W ~ N(0, 1/n)


W_scratch = xavier_scratch(256, 512, np.random.default_rng(7))
W_mg = mg.init.xavier((256, 512), rng=np.random.default_rng(7), dtype=np.float64)
np.testing.assert_allclose(W_mg, W_scratch, rtol=1e-12)
print(
    f"mg.init.xavier == N(0, 1/n) from scratch; std = {W_mg.std():.4f} "
    f"(1/sqrt(512) = {1 / np.sqrt(512):.4f})"
)

# %% [markdown]
# ### Experiment 1: activations through a deep tanh network
#
# Ten `Dense(256, 256) → Tanh` layers and 1000 inputs drawn from $\mathcal{N}(0, 1)$. We
# initialize the weights with standard deviation $k/\sqrt{n}$ for $k = 0.5$ (too small),
# $k = 1$ (Xavier) and $k = 2.5$ (too large), passing the initializer to
# `mg.Dense(init=...)`, and look at the distribution of the activations of layers 1, 4 and
# 10.

# %%
depth, width = 10, 256
X = rng.standard_normal((300 if FAST else 1000, width))
scales = {
    "std 0.5/√n (too small)": 0.5,
    "Xavier, std 1/√n": 1.0,
    "std 2.5/√n (too large)": 2.5,
}
acts = {}
print("standard deviation of the activations of each layer")
print(f"{'layer:':<26}" + "".join(f"{i:>5}" for i in range(1, depth + 1)))
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
    print(f"{label:<26}" + "".join(f"{p.std():>5.2f}" for p in per_layer))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Histograms of the tanh activations of layers 1, 4 and 10 (columns) of a 10-layer network, for three scales of the initial weights (rows). Too small: the activations collapse towards 0. Too large: they pile up at -1 and +1, where tanh is flat. Xavier keeps them spread out at every depth.", "name": "fig-06-init-histograms"}}
show = [0, 3, 9]
row_names = {  # the rows' words (the table printed above keeps the English names)
    "std 0.5/√n (too small)": t("std 0.5/√n (too small)"),
    "Xavier, std 1/√n": t("Xavier, std 1/√n"),
    "std 2.5/√n (too large)": t("std 2.5/√n (too large)"),
}
fig, axes = plt.subplots(len(scales), len(show), figsize=(10, 7.5), sharex=True)
for r_, (label, per_layer) in enumerate(acts.items()):
    for c_, li in enumerate(show):
        ax = axes[r_, c_]
        ax.hist(
            per_layer[li].ravel(), bins=60, range=(-1, 1), density=True, color=f"C{r_}"
        )
        std = f"{per_layer[li].std():.2f}"
        ax.set_title(t("layer {n}, std {std}", n=li + 1, std=std), fontsize=11)
        ax.set_yticks([])
        if c_ == 0:
            ax.set_ylabel(row_names[label].replace(" (", "\n("), fontsize=11)
        if r_ == len(scales) - 1:
            ax.set_xlabel(t("tanh activation"), fontsize=11)
fig.suptitle(
    t("Activations of a 10-layer tanh MLP for three weight scales"), fontsize=12
)
fig.tight_layout()
save(fig, "06_init_histograms.png", dpi=100)

# %% [markdown]
# Too small: the activations shrink towards 0 layer after layer (and so do the gradients in
# backpropagation: they vanish). Too large: the units saturate at $\pm 1$, where
# $\tanh' \approx 0$, so again almost no gradient flows. Xavier keeps a spread-out
# distribution at every depth. It still shrinks slowly (compare the printed standard
# deviations of layers 1 and 10): the argument of $\eqref{eq:06-var}$ is exact for a linear unit, and tanh
# squashes its input a little at every layer.
#
# And why not all zeros? With equal weights every hidden unit of a layer computes the same
# value and receives the same gradient, so the units stay identical forever (the symmetry the
# document mentions). We check it: we start every weight at the same constant and train for
# 50 steps.

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
# ## 2. The L1 and L2 penalties (document 003 ch. 1; document 001 §2.11)
#
# Document 003 adds a *regularization term* ("termo de regularização") to the cost, with a
# hyperparameter $\lambda$ and $m$ training examples. For L2:
#
# $$
# \text{Função de Custo} = \text{Perda} + \frac{\lambda}{2m} \cdot \sum \|\mathbf{w}\|^2
# \tag{003 ch. 1, L2}
# \label{eq:06-l2}
# $$
#
# and for L1:
#
# $$
# \text{Função de Custo} = \text{Perda} + \frac{\lambda}{2m} \cdot \sum \|\mathbf{w}\|
# \tag{003 ch. 1, L1}
# \label{eq:06-l1}
# $$
#
# Their gradients add to $\partial\,\text{Perda}/\partial w$ (for L1, where $w \neq 0$; at
# $w = 0$ the absolute value has a kink and no derivative):
#
# $$
# \frac{\partial}{\partial w}\left(\frac{\lambda}{2m} w^2\right) = \frac{\lambda}{m}\, w,
# \qquad
# \frac{\partial}{\partial w}\left(\frac{\lambda}{2m} |w|\right)
# = \frac{\lambda}{2m} \operatorname{sign}(w)
# \tag{6.2}
# \label{eq:06-grads}
# $$
#
# The L2 gradient is proportional to $w$: every step shrinks each weight by the same
# fraction ("decaimento de peso", weight decay), so weights approach 0 without reaching it, as
# the document says ("mas não exatamente a zero"). The L1 gradient has the same size for
# every weight, large or small: a constant pull towards 0. Document 003 adds that with L1 "os
# pesos podem ser reduzidos a zero". That is true of the *minimum* of the cost
# $\eqref{eq:06-l1}$: because of the kink, the best value of many weights is exactly 0. But
# plain gradient steps with $\operatorname{sign}(w)$ do not land there: section 3 shows what
# they do instead, and which step does reach 0.
#
# *Remarks.* The $\frac{1}{2}$ in the L2 term is there only to cancel the 2 of the
# derivative. The printed L1 term keeps the same $\frac{1}{2}$, which is unusual (most texts
# write $\frac{\lambda}{m}\sum|w|$), but it only rescales $\lambda$. Document 003 also says
# that an overfitted model is "superajustado ao subconjunto de teste". It is the *training*
# set that the model fits too closely, which is why it does badly on the test set.
#
# In minigan, L2 is the `weight_decay=` argument of every optimizer: it adds
# `weight_decay · θ` to the gradient, so `weight_decay` $= \lambda/m$. (It applies to every
# parameter it is given, biases included, as PyTorch does; to penalize only the weights, give
# the weights to one optimizer and the biases to another.) L1 has no built-in: we add its
# gradient by hand.


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
# ## 3. What L1 does to a weight: oscillation, and the proximal step
#
# Write the L1 term of $\eqref{eq:06-l1}$ as $\alpha \sum |w|$, with $\alpha = \lambda/(2m)$.
# A gradient step of size $\eta$ moves every weight by $\eta\alpha$ towards 0, whatever its
# size. Take a weight whose best value is 0, sitting at $0 < w < \eta\alpha$: the step
# carries it to $w - \eta\alpha < 0$, *across* 0; the next step carries it back across. Plain
# (sub)gradient descent makes such weights oscillate around 0, jumping by about $\eta\alpha$
# at each step. They are small, but exactly 0 only by coincidence.
#
# Exact zeros need a different step, the *proximal* step (soft-thresholding), used by the
# ISTA algorithm of sparse regression. First take the gradient step on the data loss alone,
# then shrink every weight towards 0 by $\eta\alpha$ and stop at 0:
#
# $$
# w \leftarrow w - \eta\, \frac{\partial\, \text{Perda}}{\partial w},
# \qquad
# w \leftarrow \operatorname{sign}(w) \max\left(|w| - \eta\alpha,\ 0\right)
# \tag{6.3}
# \label{eq:06-prox}
# $$
#
# The second step is the exact minimizer of $\alpha|v| + \frac{1}{2\eta}(v - w)^2$ over $v$:
# it takes the L1 term into account exactly instead of through its derivative. Every weight
# with $|w| \le \eta\alpha$ becomes 0, and stays 0 while the data gradient is too weak to push
# it out again.
#
# We compare both on the same problem: a linear model $\hat{y} = X\mathbf{w}$ with 20
# features, of which only 4 matter ($\mathbf{w}^*$ has 16 zeros), fitted to 40 noisy examples
# with $\text{Perda} = \frac{1}{2m}\|X\mathbf{w} - \mathbf{y}\|^2$. Same $\eta$, same
# $\alpha$, same number of steps; the only difference is how the L1 term enters.

# %%
m_l1, d_l1 = 40, 20
g_l1 = np.random.default_rng(6)  # this section's own data
X_l1 = g_l1.standard_normal((m_l1, d_l1))
w_star = np.zeros(d_l1)
w_star[[1, 5, 11, 17]] = [2.0, -1.5, 1.0, 0.8]
y_l1 = X_l1 @ w_star + 0.3 * g_l1.standard_normal(m_l1)
lam_l1 = 8.0
alpha = lam_l1 / (2 * m_l1)  # the L1 weight of document 003: λ/2m
eta = 0.2
steps_l1 = 300


def perda_grad(w):
    return X_l1.T @ (X_l1 @ w - y_l1) / m_l1  # ∂/∂w of (1/2m)‖Xw − y‖²


def l1_cost(w):
    return 0.5 * np.mean((X_l1 @ w - y_l1) ** 2) + alpha * np.abs(w).sum()


w_sub = np.zeros(d_l1)
w_prox = np.zeros(d_l1)
path_sub, path_prox = [], []
for _ in range(steps_l1):
    # (sub)gradient step on Perda + α Σ|w|
    w_sub = w_sub - eta * (perda_grad(w_sub) + alpha * np.sign(w_sub))
    # proximal step (6.3): gradient step on Perda, then soft-threshold
    w_half = w_prox - eta * perda_grad(w_prox)
    w_prox = np.sign(w_half) * np.maximum(np.abs(w_half) - eta * alpha, 0.0)
    path_sub.append(w_sub.copy())
    path_prox.append(w_prox.copy())
path_sub, path_prox = np.array(path_sub), np.array(path_prox)

null = w_star == 0
print(f"η·α = {eta * alpha:.3f}; {null.sum()} of the {d_l1} true weights are 0")
print(f"{'method':<14}{'exact zeros':>12}{'|w| < η·α':>11}{'final cost':>12}")
for name, w in [("subgradient", w_sub), ("proximal", w_prox)]:
    n_zero = int((w == 0).sum())
    n_small = int((np.abs(w) < eta * alpha).sum())
    print(f"{name:<14}{n_zero:>12}{n_small:>11}{l1_cost(w):>12.4f}")
flips = (np.diff(np.sign(path_sub[-50:, null]), axis=0) != 0).mean()
print(
    f"subgradient: the weights whose true value is 0 change sign in {flips:.0%} "
    "of the last 50 steps"
)
assert (w_sub == 0).sum() < (w_prox == 0).sum()

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The 16 weights whose true value is 0, over the last 60 of 300 steps. Left: subgradient steps on the L1 cost make them jump across 0 at most steps, by about $\\eta\\alpha$ (dashed lines at plus and minus $\\eta\\alpha$). Right: the proximal (soft-threshold) step sets most of them to exactly 0.", "name": "fig-06-l1-prox"}}
last = 60
t_axis = np.arange(steps_l1 - last, steps_l1) + 1
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, path, title in [
    (axes[0], path_sub, t("subgradient step on α Σ|w|")),
    (axes[1], path_prox, t("proximal step (6.3)")),
]:
    ax.plot(t_axis, path[-last:, null], lw=1, marker=".", ms=3)
    for s_ in (-1, 1):
        ax.axhline(s_ * eta * alpha, color="gray", ls="--", lw=1)
    ax.axhline(0, color="k", lw=0.8)
    zeros = int((path[-1] == 0).sum())
    ax.set_title(
        t("{title}\n{zeros} weights exactly 0 at the end", title=title, zeros=zeros),
        fontsize=11,
    )
    ax.set_xlabel(t("step"), fontsize=11)
axes[0].set_ylabel(t("weights whose true value is 0"), fontsize=11)
fig.tight_layout()
save(fig, "06_l1_proximal.png", dpi=100)

# %% [markdown]
# Read the printed table and the figure together. The subgradient weights stay small (within
# a few $\eta\alpha$ of 0), but they flip sign at most steps and none of them is exactly 0. The proximal weights fall to 0 and stay there; only the weights the data really
# needs, and perhaps a few the noise props up, remain non-zero. The proximal solution also has
# the lower cost: the zigzag wastes part of each step. This is why a sparse model is trained
# with the proximal step (or with a solver built on it), and why counting "small" weights after
# plain L1 gradient descent measures a band around 0, not sparsity.
#
# minigan's optimizers do not have a proximal L1 option. In experiment 2 below, L1 enters as a
# gradient (as in most deep-learning code), so expect many small weights and no exact zero.
#
# ## 4. Dropout (document 001 §2.11.1; document 003 ch. 1)
#
# Each unit of a layer is switched off ("desligado") with probability $p$ during training, so
# the network cannot rely on any single unit; at test time every unit is used. Document 001
# says "durante uma época"; document 003 says, correctly, "a cada iteração": a new random
# mask is drawn at every forward pass.
#
# Neither document says how test time stays consistent with training. If a unit is kept with
# probability $1 - p$, its expected training output is $(1 - p)\,a$. minigan, like PyTorch and
# Keras, uses **inverted dropout**: it scales the kept units by $1/(1 - p)$ during training,
#
# $$
# y = \frac{x \odot \mathbf{m}}{1 - p}, \quad m_i \sim \text{Bernoulli}(1 - p),
# \qquad
# \frac{\partial C}{\partial x} = \frac{\partial C}{\partial y} \odot \frac{\mathbf{m}}{1 - p}
# \tag{6.4}
# $$
#
# so that evaluation is the identity. (Hinton et al. instead multiplied the weights by
# $1 - p$ at test time; the expectation is the same.)


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
    f"Dropout({p}) of ones, training: mean {y_big.mean():.4f} (expected value 1), "
    f"fraction zeroed {(y_big == 0).mean():.3f}"
)

d = mg.Dropout(p)  # a fixed mask makes the layer deterministic
d.fixed_mask = mask
res = gradcheck.check_module(d, x)
print("check_module(Dropout, fixed mask):", {k: f"{v:.1e}" for k, v in res.items()})
assert res["dx"] < gradcheck.TOLERANCE

# %% [markdown]
# ## 5. Experiment 2: an MLP that overfits, and three cures
#
# We take 16 noisy samples of $y = \sin(x) + \varepsilon$, with noise
# $\varepsilon \sim \mathcal{N}(0, 0.3^2)$, and a 1 → 128 → 128 → 1 tanh network trained
# with Adam on the MSE far past the point of fitting them. Without regularization it threads the curve through the
# noise. We compare no regularization, L2 (`weight_decay`, on the weights only), L1 (its
# gradient added by hand) and dropout after each hidden layer. The *test* error is measured
# against the noise-free $\sin(x)$ on 400 points.

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
print(
    f"{'':<20}{'train MSE':>10}{'test MSE':>10}{'Σ‖W‖²':>9}"
    f"{'|w| < 1e-3':>12}{'w == 0':>8}"
)
for name, cfg in configs.items():
    net = make_net(cfg["dropout"])
    weights = [mod.params["W"] for mod in net if isinstance(mod, mg.Dense)]
    biases = [mod.params["b"] for mod in net if isinstance(mod, mg.Dense)]
    # L2 is weight_decay = λ/m, on the weights only
    opt_w = mg.Adam(weights, lr=3e-3, weight_decay=cfg["l2"] / m)
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
    n_zero = sum(int((W.data == 0).sum()) for W in weights)
    sq = sum(float((W.data**2).sum()) for W in weights)
    results[name] = (net, mse_tr, mse_te)
    print(f"{name:<20}{mse_tr:>10.4f}{mse_te:>10.4f}{sq:>9.1f}{n_small:>12}{n_zero:>8}")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The 16 noisy training points, the noise-free curve sin(x) (dashed) and the fitted network (red) for each way of training. Without regularization the network bends through the noise; L2, L1 and dropout give smoother curves closer to sin(x).", "name": "fig-06-regularization"}}
fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True, sharey=True)
names = {"no regularization": t("no regularization")}  # the other names are the same
for ax, (name, (net, mse_tr, mse_te)) in zip(axes.ravel(), results.items()):
    ax.plot(Xte, yte, "k--", lw=1, label=t("sin(x)"))
    ax.plot(Xte, net(Xte), "C3", lw=2, label=t("network"))
    ax.scatter(Xtr, ytr, s=20, c="C0", zorder=3, label=t("training points"))
    title = t(
        "{name}\ntrain MSE {train}, test MSE {test}",
        name=names.get(name, name),
        train=f"{mse_tr:.3f}",
        test=f"{mse_te:.3f}",
    )
    ax.set_title(title, fontsize=11)
    ax.set_ylim(-2, 2)
for ax in axes[1]:
    ax.set_xlabel("x", fontsize=11)
for ax in axes[:, 0]:
    ax.set_ylabel("y", fontsize=11)
axes[0, 0].legend(fontsize=10)
fig.tight_layout()
save(fig, "06_regularization.png", dpi=100)

# %% [markdown]
# What to look for in the table and the figure: without regularization the training MSE is
# the smallest of the four and the test MSE the largest. The network has fitted the noise
# (overfitting). Each penalty trades a larger training error for a smaller test error. The L2
# and L1 runs also have a much smaller $\sum\|W\|^2$. The L1 run has the most weights below
# $10^{-3}$, and, as section 3 predicts, no weight that is exactly 0.
#
# ## 6. Early stopping (document 001 §2.11)
#
# Document 001 lists, among the known cures for overfitting, "penalizações L2 e L1, ou até
# mesmo parando o treino quando este começar a performar mal no teste". This is *early
# stopping*: the unregularized network above first learns the broad shape of $\sin(x)$ and
# only later bends towards the noise, so there is a best moment to stop.
#
# *A correction.* The decision must not be made on the *test* set. If the test error chooses
# the stopping step, the test set has been used to fit a hyperparameter (the number of steps),
# and the test error it then reports is optimistic. Early stopping watches a **validation
# set**: examples held out from training, and distinct from the test set.
#
# The algorithm: after every step (or epoch) measure the validation loss; keep a copy of the
# parameters $\theta_t$ whenever it is the lowest so far; stop when it has not improved for a
# number of steps (the *patience*); restore the best copy:
#
# $$
# t^{*} = \arg\min_{t}\ \text{MSE}_{\text{val}}(\theta_t),
# \qquad
# \theta \leftarrow \theta_{t^{*}}
# \tag{6.5}
# $$
#
# Why is it a regularizer? Training starts from small weights, and the number of steps limits
# how far they can travel from there. For a quadratic cost and gradient descent, stopping
# after $t$ steps of size $\eta$ acts much like an L2 penalty with $\lambda$ of the order of
# $1/(\eta t)$ (Goodfellow, Bengio & Courville 2016, §7.8): fewer steps, stronger
# regularization. It costs nothing but the validation set, and the number of steps is chosen
# in the same run.
#
# We train the unregularized network of experiment 2 again (same initial weights, same
# steps). The validation set is 64 more noisy points drawn like the training points. (It is
# larger than the training set here only so that the validation error is not too noisy an
# estimate; exercise 6 tries fewer.) We record the training and validation MSE every 5
# steps, and the test MSE against $\sin(x)$ only to show it in the figure: it plays no part in
# the choice.

# %%
n_val = 64
Xva = np.sort(rng.uniform(-3, 3, n_val))[:, None]
yva = np.sin(Xva) + 0.3 * rng.standard_normal((n_val, 1))
PATIENCE = 40 if FAST else 200  # steps without improvement before we would stop
EVERY = 5

net = make_net(0.0)
opt = mg.Adam(net, lr=3e-3)
loss = mg.MSELoss()
curve = {"step": [], "train": [], "validation": [], "test": []}
best = (np.inf, 0, None)  # (validation MSE, step, copy of the parameters)
stop_step = None
for step in range(1, steps + 1):
    loss(net(Xtr), ytr)
    net.zero_grad()
    net.backward(loss.backward())
    opt.step()
    if step % EVERY == 0:
        val = float(loss(net(Xva), yva))
        curve["step"].append(step)
        curve["train"].append(float(loss(net(Xtr), ytr)))
        curve["validation"].append(val)
        curve["test"].append(float(loss(net(Xte), yte)))
        if val < best[0]:
            state = {k: v.copy() for k, v in net.state_dict().items()}
            best = (val, step, state)
        elif stop_step is None and step - best[1] >= PATIENCE:
            stop_step = step  # early stopping would end the run here
final_fit = net(Xte)
mse_te_final = float(loss(final_fit, yte))
net.load_state_dict(best[2])  # restore the best weights
best_fit = net(Xte)
mse_te_best = float(loss(best_fit, yte))
print(f"lowest validation MSE {best[0]:.4f} at step {best[1]} of {steps}")
if stop_step is not None:
    print(
        f"with a patience of {PATIENCE} steps, training would stop at step {stop_step}"
    )
print(f"test MSE after all {steps} steps: {mse_te_final:.4f}")
print(f"test MSE with the restored weights of step {best[1]}: {mse_te_best:.4f}")
print(f"(for comparison, L2 in experiment 2: {results['L2 (λ = 0.5)'][2]:.4f})")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Early stopping on the overfitting MLP. Left: training, validation and test MSE during training (log scales); the dotted line marks the step with the lowest validation MSE. Right: the network with the restored weights of that step, and the network after all the steps.", "name": "fig-06-early-stopping"}}
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
ax = axes[0]
for key, name, style in [
    ("train", t("train"), "C0-"),
    ("validation", t("validation"), "C1-"),
    ("test", t("test"), "k--"),
]:
    ax.loglog(curve["step"], curve[key], style, lw=1.5, label=name)
ax.axvline(best[1], color="C1", ls=":", lw=2, label=t("best step {n}", n=best[1]))
ax.set_xlabel(t("step (log scale)"), fontsize=11)
ax.set_ylabel(t("MSE"), fontsize=11)
ax.set_title(t("loss curves"), fontsize=11)
ax.legend(fontsize=10)
ax = axes[1]
ax.plot(Xte, yte, "k--", lw=1, label=t("sin(x)"))
ax.plot(Xte, final_fit, "C3", lw=1.5, label=t("after {n} steps", n=steps))
ax.plot(Xte, best_fit, "C1", lw=2, label=t("restored, step {n}", n=best[1]))
ax.scatter(Xtr, ytr, s=20, c="C0", zorder=3, label=t("training points"))
ax.scatter(Xva, yva, s=20, c="C1", marker="x", zorder=3, label=t("validation points"))
ax.set(ylim=(-2, 2))
ax.set_xlabel("x", fontsize=11)
ax.set_title(t("fits"), fontsize=11)
ax.legend(fontsize=9, loc="lower right")
fig.tight_layout()
save(fig, "06_early_stopping.png", dpi=100)

# %% [markdown]
# The training MSE keeps falling. The validation MSE falls too, reaches its minimum, and then
# rises as the network starts to fit the noise of the training points: the printed best step
# is where it turns, early in the run. The restored network is the smooth one, and its test
# MSE (printed above) is well below that of the network trained to the end. The test curve,
# which early stopping never looked at, turns at a similar place but not at exactly the same
# step: the validation set is a finite sample, and its minimum is only an estimate of the
# best step.
#
# ## Exercises
#
# 1. Repeat experiment 1 with ReLU instead of tanh. Which scale now keeps the activations
#    stable? Compare with `mg.init.he` ($\mathcal{N}(0, 2/n)$) and explain the factor 2.
# 2. In experiment 2, sweep $\lambda$ for L2 over 0.01, 0.1, 1, 10 and plot the test MSE
#    against $\lambda$. Where is the underfitting side (document 003's "Underfitting")?
# 3. In section 3, make $\eta$ ten times smaller. What happens to the band in which the
#    subgradient weights oscillate, and to the number of exact zeros of each method? Then
#    raise $\lambda$ until the proximal step also sets the true weight of 0.8 to 0.
# 4. In experiment 2, apply the soft-threshold of $\eqref{eq:06-prox}$ to the weights after each
#    Adam step, with threshold $\text{lr} \cdot \lambda/(2m)$, instead of adding the L1
#    gradient. Count the exact zeros. Why is this only an approximation of a proximal step
#    for Adam? (Hint: Adam scales each weight's step differently.)
# 5. Put a dropout layer before the network's *input*. What is it doing to the data, and how
#    is that related to document 003's data augmentation ("aumento de dados")?
# 6. Run the early-stopping experiment with 4 and with 64 validation points (draw them the same
#    way). How much does the best step move? Combine early stopping with L2: does the best
#    step still matter?

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
# | `06.xavier_init` | Xavier initialization N(0, 1/n_in) | document 001 §2.10 | 1 |
# | `06.l2_penalty` | the L2 penalty and its gradient (weight decay) | document 003 ch. 1 | 1 |
# | `06.l1_penalty` | the L1 penalty and its subgradient | document 003 ch. 1 | 1 |
# | `06.soft_threshold` | the L1 proximal step (soft thresholding) | document 003 ch. 1 | 1 |
# | `06.dropout_forward` | inverted dropout with a given mask | document 001 §2.11.1 | 1 |
#
# 5 points in all. The same stubs come as a plain file, to write in your editor and grade
# from a terminal (`minigan-exercises list` shows every lesson's exercises):
#
# ```bash
# minigan-exercises new ex/ --lesson 06   # writes ex/lesson06_init_regularization.py
# minigan-exercises grade ex/ -k 06       # PASS, FAIL, TODO or ERROR, and the points
# ```

# %%
import numpy as np
from minigan.exercises import check


# %%
def xavier_init(n_in, n_out, rng):
    """Xavier initialization as the documents write it: W ~ N(0, 1/n_in).

    Document 001 §2.10: Wˡ ~ N(0, 1/nˡ⁻¹), nˡ⁻¹ the layer's number of inputs (the
    fan-in); the variance is 1/n, so the standard deviation is √(1/n). Draw with rng
    (e.g. rng.normal).

    Parameters
    ----------
    n_in, n_out : int, the layer's inputs and outputs
    rng : numpy.random.Generator

    Returns
    -------
    W : (n_out, n_in) float64 (a Dense layer's weight)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("06.xavier_init", xavier_init)


# %%
def l2_penalty(W, lam, m):
    """The L2 penalty of a weight matrix and its gradient ("decaimento de peso").

    Document 003 ch. 1, "Regularização L1 e L2":
        Custo = Perda + (λ / 2m) Σ w²
        ∂/∂w [(λ / 2m) Σ w²] = (λ / m) w
    (minigan's weight_decay = λ/m adds exactly this gradient.)

    Parameters
    ----------
    W : float64 array, any shape;  lam : float λ;  m : int, the number of examples

    Returns
    -------
    (penalty, dW) : a float and an array of W's shape
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("06.l2_penalty", l2_penalty)


# %%
def l1_penalty(W, lam, m):
    """The L1 penalty as document 003 prints it, and its subgradient.

    Document 003 ch. 1, "Regularização L1 e L2":
        Custo = Perda + (λ / 2m) Σ |w|
        ∂/∂w [(λ / 2m) Σ |w|] = (λ / 2m) sign(w)      (take 0 at w = 0: np.sign)

    Parameters
    ----------
    W : float64 array, any shape;  lam : float λ;  m : int, the number of examples

    Returns
    -------
    (penalty, dW) : a float and an array of W's shape
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("06.l1_penalty", l1_penalty)


# %%
def soft_threshold(w, t):
    """The proximal step of the L1 penalty t·|w| (soft thresholding), elementwise.

    Document 003 ch. 1 says L1 drives small weights to exactly 0; the subgradient step
    w − t·sign(w) never lands on 0, the proximal step does:
        prox(w) = argmin_u ½ (u − w)² + t |u| = sign(w) · max(|w| − t, 0)

    Parameters
    ----------
    w : float64 array, any shape;  t : float ≥ 0 (η times the L1 weight)

    Returns
    -------
    array of w's shape
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("06.soft_threshold", soft_threshold)


# %%
def dropout_forward(x, mask, p, training=True):
    """Inverted dropout with a given keep-mask (as minigan.Dropout).

    Document 001 §2.11.1: each unit is switched off ("desligado") with probability p.
    Inverted dropout scales the kept ones at training time so that evaluation is the
    identity:
        training:   y = x ⊙ m / (1 − p)        (m ∈ {0, 1}, 1 = kept)
        evaluation: y = x

    Parameters
    ----------
    x : float64 array, any shape
    mask : array of x's shape, 0.0 (dropped) or 1.0 (kept)
    p : float in [0, 1), the drop probability;  training : bool

    Returns
    -------
    y : array of x's shape
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("06.dropout_forward", dropout_forward)

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
# # Lesson 05: Backpropagation and gradient checking
#
# **Objective.** Derive and implement backpropagation for a multilayer perceptron in
# document 001's notation (samples in columns); find and correct the slips in the document's
# derivation; see that minigan's layer-by-layer `backward` computes the same numbers; and
# learn to *prove* a backward pass right with finite differences, including the two traps
# that lesson 01 announced: checking in float32, and checking with an upstream gradient of
# ones.
#
# **Source.** Document 001: Marques (2021), *Rede Adversária Generativa Convolucional
# Profunda Aplicada a Exames de Raio-x do Tórax*, §2.9 "Backpropagation" (with §2.6,
# equations (1)–(3), and §2.7.1, "Entropia Cruzada Binária").

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
# ## 1. The problem (document 001 §2.9)
#
# Gradient descent (lesson 04) needs $\partial C / \partial W^{[l]}$ and
# $\partial C / \partial b^{[l]}$ for every layer $l$. The document explains why we do not
# simply use finite differences (lesson 01, section 5):
#
# > "Algoritmos tradicionais de diferenciação, como o de diferenças finitas, não são bem
# > otimizados para o problema, devido ao grande número de parâmetros da rede."
#
# (Traditional differentiation algorithms, such as finite differences, are not suited to the
# problem because of the network's large number of parameters.) A central difference costs
# two evaluations of $C$, that is two forward passes over the data, *per parameter*: for the
# 64x64 DCGAN of document 001 §6 (lesson 19), whose generator alone has "algo próximo de
# 2.7 milhões de parâmetros" (§6.2.2: about 2.7 million parameters), that is millions of
# forward passes for a single step. **Backpropagation** (Rumelhart, Hinton and Williams
# 1986; the document writes "Rumelhard", its own reference [30] has "RUMELHART") computes all
# the gradients with one backward pass, which costs about as much as one or two forward
# passes. It applies the chain rule from the last layer to the first and stores what each
# layer needs from the next one.

# %% [markdown]
# ## 2. The document's derivation, as printed
#
# The document first looks at one weight $w_j^{[L]}$ of the last layer $L$ and writes the
# chain rule
#
# $$
# \frac{\partial C}{\partial w_j^{[L]}} = \frac{\partial C}{\partial a_j^{[L]}}
# \frac{\partial a_j^{[L]}}{\partial z_j^{[L]}} \frac{\partial z_j^{[L]}}{\partial w_j^{[L]}},
# \qquad
# \frac{\partial C}{\partial b^{[L]}} = \frac{\partial C}{\partial a_j^{[L]}}
# \frac{\partial a_j^{[L]}}{\partial z_j^{[L]}} \frac{\partial z_j^{[L]}}{\partial b^{[L]}}
# \tag{001 §2.9a}
# $$
#
# It then defines "o erro da $l$th camada" (the error of layer $l$) as
#
# $$
# \delta^L = \frac{\partial C}{\partial a_j^{[L]}} \frac{\partial a_j^{[L]}}{\partial
# z_j^{[L]}}
# \tag{001 §2.9b}
# $$
#
# and from $z_j^{[L]} = w_j^{[L]} a_j^{[L-1]} + b^{[L]}$ it gets
#
# $$
# \frac{\partial C}{\partial w_j^{[L]}} = \delta^L a_j^{[L-1]}, \qquad
# \frac{\partial C}{\partial b^{[L]}} = \delta^L
# \tag{001 §2.9c}
# $$
#
# For the layer before, it continues the chain:
#
# $$
# \begin{aligned}
# \frac{\partial C}{\partial w_j^{[l-1]}} &= \frac{\partial C}{\partial a_j^{[l]}}
# \frac{\partial a_j^{[l]}}{\partial z_j^{[l]}} \frac{\partial z_j^{[l]}}{\partial
# a_j^{[l-1]}} \frac{\partial a_j^{[l-1]}}{\partial z_j^{[l-1]}} \frac{\partial
# z_j^{[l-1]}}{\partial w_j^{[l-1]}}
# = \delta^l \frac{\partial a_j^{[l-1]}}{\partial z_j^{[l-1]}} a_j^{[l-1]} \cr
# \frac{\partial C}{\partial b^{[l-1]}} &= \frac{\partial C}{\partial a_j^{[l]}}
# \frac{\partial a_j^{[l]}}{\partial z_j^{[l]}} \frac{\partial z_j^{[l]}}{\partial
# a_j^{[l-1]}} \frac{\partial a_j^{[l-1]}}{\partial z_j^{[l-1]}} \frac{\partial
# z_j^{[l-1]}}{\partial w_j^{[l-1]}}
# = \delta^l \frac{\partial a_j^{[l-1]}}{\partial z_j^{[l-1]}} a_j^{[l-1]}
# \end{aligned}
# \tag{001 §2.9d}
# \label{eq:05-doc-chain}
# $$
#
# and, "Dado que $\frac{\partial a_j^{[l-1]}}{\partial z_j^{[l-1]}} = w_j^{[l]}$" (given
# that...), concludes
#
# $$
# \frac{\partial C}{\partial w_j^{[L-1]}} = \delta^L w_j^{[L]} a_j^{[L-1]}, \qquad
# \frac{\partial C}{\partial b^{[L-1]}} = \delta^L w_j^{[L]} a_j^{[L-1]}
# \tag{001 §2.9e}
# \label{eq:05-doc-given}
# $$
#
# Finally it vectorises with the Hadamard product $\odot$ ("produto Hadamard", the
# elementwise product), with $g^{[l]}$ the activation of layer $l$:
#
# $$
# \begin{aligned}
# \delta^L &= \frac{\partial C}{\partial A^{[L]}} \odot g'^{[L]}(Z^{[L]}) \cr
# \delta^l &= ((W^{[l+1]})^T \delta^{l+1}) \odot g'^{[l]}(Z^{[l]}) \cr
# \frac{\partial C}{\partial W^{[l]}} &= A^{[l-1]} \delta^l \cr
# \frac{\partial C}{\partial b^{[l]}} &= \delta^l
# \end{aligned}
# \tag{001 §2.9f}
# \label{eq:05-doc-vector}
# $$
#
# The two recursions in the first two lines are right, and they are the heart of
# backpropagation. The steps before them have several slips, and so do the two gradients in
# the last two lines. Read the section with these corrections:
#
# 1. **What $\delta$ is.** The document calls $\delta^l$ "a variação no gradiente da função
#    de Perda em relação aos parâmetros" (the variation of the loss's gradient with respect
#    to the parameters). It is the gradient of the cost with respect to the layer's
#    *pre-activation* $Z^{[l]}$: $\delta^{[l]} = \partial C / \partial Z^{[l]}$. That is why
#    the gradient of the bias is $\delta$ itself and the gradient of a weight is $\delta$
#    times that weight's input.
# 2. **$\partial a / \partial z$ is not $w$.** "Dado que
#    $\frac{\partial a_j^{[l-1]}}{\partial z_j^{[l-1]}} = w_j^{[l]}$" is wrong. The
#    derivative of an activation with respect to its pre-activation is the slope of the
#    activation function, $\partial a^{[l-1]} / \partial z^{[l-1]} = g'(z^{[l-1]})$. The
#    factor equal to the weight is another one,
#    $\partial z^{[l]} / \partial a^{[l-1]} = w^{[l]}$, because
#    $z^{[l]} = w^{[l]} a^{[l-1]} + b^{[l]}$.
# 3. **The bias chain.** The chain for $\partial C / \partial b^{[l-1]}$ in
#    $\eqref{eq:05-doc-chain}$ ends in $\partial z^{[l-1]} / \partial w^{[l-1]}$,
#    copied from the weight's chain, instead of
#    $\partial z^{[l-1]} / \partial b^{[l-1]} = 1$. So its result in
#    $\eqref{eq:05-doc-given}$, $\delta^L w_j^{[L]} a_j^{[L-1]}$, carries an extra
#    activation factor. Correct: $\partial C / \partial b^{[l]} = \delta^{[l]}$, summed over
#    the $m$ examples of the batch, as the document's own last line nearly says.
# 4. **Which activation multiplies, and the lost factors.** The weight $w^{[l-1]}$ of layer
#    $l - 1$ multiplies that layer's *input*, $a^{[l-2]}$, so
#    $\partial z^{[l-1]} / \partial w^{[l-1]} = a^{[l-2]}$, not $a^{[l-1]}$. In
#    $\eqref{eq:05-doc-chain}$ the factor
#    $\partial z^{[l]} / \partial a^{[l-1]} = w^{[l]}$ is lost between the two sides,
#    and slip 2 then puts a $w$ back in place of $g'$. For one unit per layer the correct
#    result is
#
#    $$
#    \frac{\partial C}{\partial w^{[L-1]}} = \delta^{[L]} w^{[L]} g'(z^{[L-1]})\,
#    a^{[L-2]} = \delta^{[L-1]} a^{[L-2]}
#    \tag{slip 4}
#    $$
#
#    The document's $\delta^L w_j^{[L]} a_j^{[L-1]}$ has no $g'$ and the wrong activation.
# 5. **One index for every layer.** The scalar derivation uses the same index $j$ in every
#    layer, as if each layer had one unit. With many units, $a_j^{[l-1]}$ feeds *every*
#    unit $k$ of layer $l$, and the chain rule sums over them:
#    $\partial C / \partial a_j^{[l-1]} = \sum_k \delta_k^{[l]} W_{kj}^{[l]}$. That
#    sum is the product $(W^{[l]})^{\top} \delta^{[l]}$ of the vectorised recursion, which
#    is right.
# 6. **Shapes.** With the examples in columns, $\delta^{[l]}$ is $n_l \times m$ and
#    $A^{[l-1]}$ is $n_{l-1} \times m$, so the product "$A^{[l-1]} \delta^l$" is not even
#    defined. The weight gradient has the shape of $W^{[l]}$, $n_l \times n_{l-1}$, and is
#    $\delta^{[l]} (A^{[l-1]})^{\top}$; the bias gradient sums $\delta^{[l]}$ over the
#    columns.
#
# The next section derives the correct version from scratch.

# %% [markdown]
# ## 3. Backpropagation, derived
#
# We keep document 001's layout (lesson 02): the $m$ examples are the columns of
# $X = A^{[0]}$, and for $l = 1, \dots, L$
#
# $$
# Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \qquad A^{[l]} = g^{[l]}(Z^{[l]}), \qquad
# \hat Y = A^{[L]}
# \tag{001 §2.6}
# $$
#
# The cost $C$ depends on $Z^{[l]}$ only through the layers after it. Define the error of
# layer $l$ as the gradient of the cost with respect to its pre-activation, a matrix of the
# shape of $Z^{[l]}$ ($n_l \times m$):
#
# $$
# \delta^{[l]} = \frac{\partial C}{\partial Z^{[l]}}
# \tag{05.1}
# \label{eq:05-def}
# $$
#
# (the document writes $\delta^l$; the brackets match $W^{[l]}$). Three facts follow from
# the chain rule, one element at a time.
#
# **The output layer.** $A^{[L]} = g^{[L]}(Z^{[L]})$ acts elementwise, so each
# $z^{[L]}_{kn}$ (unit $k$, example $n$) affects only $a^{[L]}_{kn}$:
#
# $$
# \delta^{[L]} = \frac{\partial C}{\partial A^{[L]}} \odot g'^{[L]}(Z^{[L]})
# \tag{001 §2.9, output}
# \label{eq:05-deltaL}
# $$
#
# **The recursion.** $z^{[l]}_{jn}$ affects $a^{[l]}_{jn}$, which enters every unit $k$ of
# the next layer through $z^{[l+1]}_{kn} = \sum_j W^{[l+1]}_{kj} a^{[l]}_{jn} + b^{[l+1]}_k$.
# Summing over those paths,
#
# $$
# \begin{aligned}
# \delta^{[l]}_{jn} &= \Bigl(\sum_k W^{[l+1]}_{kj}\, \delta^{[l+1]}_{kn}\Bigr)\,
# g'^{[l]}(z^{[l]}_{jn}), \quad \text{that is} \cr
# \delta^{[l]} &= \left((W^{[l+1]})^{\top} \delta^{[l+1]}\right) \odot g'^{[l]}(Z^{[l]})
# \end{aligned}
# \tag{001 §2.9}
# \label{eq:05-delta}
# $$
#
# **The parameters.** $W^{[l]}_{kj}$ enters $z^{[l]}_{kn}$ of every example $n$ with the
# factor $a^{[l-1]}_{jn}$, and $b^{[l]}_k$ with the factor 1:
#
# $$
# \frac{\partial C}{\partial W^{[l]}_{kj}} = \sum_{n=1}^m \delta^{[l]}_{kn}\, a^{[l-1]}_{jn}
# \quad\Longleftrightarrow\quad
# \frac{\partial C}{\partial W^{[l]}} = \delta^{[l]} (A^{[l-1]})^{\top}
# \tag{05.2}
# \label{eq:05-dW}
# $$
#
# $$
# \frac{\partial C}{\partial b^{[l]}_k} = \sum_{n=1}^m \delta^{[l]}_{kn}
# \quad\Longleftrightarrow\quad
# \frac{\partial C}{\partial b^{[l]}} = \delta^{[l]} \mathbf{1}_m
# \tag{05.3}
# \label{eq:05-db}
# $$
#
# where $\mathbf{1}_m$ is a column of $m$ ones. The algorithm: run the forward pass and keep
# every $A^{[l]}$ and $Z^{[l]}$; compute $\delta^{[L]}$ with $\eqref{eq:05-deltaL}$; then,
# for $l = L, L - 1, \dots, 1$, compute the two gradients $\eqref{eq:05-dW}$ and
# $\eqref{eq:05-db}$ and pass $\delta$ down one layer with $\eqref{eq:05-delta}$.
#
# **The output for our classifier.** With a sigmoid output and the binary cross-entropy of
# §2.7.1, $C = -\frac{1}{m} \sum_n [y_n \log \hat y_n + (1 - y_n) \log(1 - \hat y_n)]$,
# lesson 03 showed that the factor $\hat y (1 - \hat y)$ of the sigmoid's derivative cancels:
#
# $$
# \delta^{[L]} = \frac{1}{m} \, \frac{\hat Y - Y}{\hat Y (1 - \hat Y)} \odot
# \hat Y (1 - \hat Y) = \frac{\hat Y - Y}{m}
# \tag{05.4}
# \label{eq:05-deltaL-bce}
# $$
#
# Below, a network with layers of 3, 5, 4 and 1 units, tanh in the hidden layers
# ($\tanh' = 1 - \tanh^2$, lesson 02) and a sigmoid output, written exactly with these
# equations.


# %%
def forward_backward_columns(X, Y, Ws, bs):
    """Tanh hidden layers, sigmoid output, BCE; X is (n_x, m), Y is (1, m).

    Returns the cost and the lists dW, db (document 001 §2.9, corrected: section 3).
    """
    m = X.shape[1]
    A, As = X, [X]
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = W @ A + b[:, None]  # eq. (3) of §2.6: Z^[l] = W^[l] A^[l−1] + b^[l]
        A = 1 / (1 + np.exp(-Z)) if l == len(Ws) - 1 else np.tanh(Z)
        As.append(A)
    Y_hat = A
    C = -np.mean(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat))  # §2.7.1 BCE
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    delta = (Y_hat - Y) / m  # δ^[L], equation (05.4)
    for l in reversed(range(len(Ws))):
        dWs[l] = delta @ As[l].T  # ∂C/∂W^[l] = δ^[l] (A^[l−1])ᵀ, equation (05.2)
        dbs[l] = delta.sum(axis=1)  # ∂C/∂b^[l] = δ^[l] 1, equation (05.3)
        if l > 0:  # δ^[l−1] = ((W^[l])ᵀ δ^[l]) ⊙ tanh'(Z^[l−1]), equation (001 §2.9)
            delta = (Ws[l].T @ delta) * (1 - As[l] ** 2)
    return C, dWs, dbs


sizes = [3, 5, 4, 1]
Ws = [rng.normal(0, np.sqrt(1 / a), (b_, a)) for a, b_ in zip(sizes[:-1], sizes[1:])]
bs = [rng.normal(0, 0.1, b_) for b_ in sizes[1:]]
m = 6
X = rng.standard_normal((sizes[0], m))
Y = rng.integers(0, 2, (1, m)).astype(np.float64)
C, dWs, dbs = forward_backward_columns(X, Y, Ws, bs)
print(f"BCE cost = {C:.6f}")
for l, (dW, db) in enumerate(zip(dWs, dbs), start=1):
    print(f"layer {l}: ∂C/∂W has shape {dW.shape}, ∂C/∂b has shape {db.shape}")

# %% [markdown]
# Every weight gradient has the shape of its $W^{[l]}$ ($n_l \times n_{l-1}$), as
# $\eqref{eq:05-dW}$ promised, and every bias gradient the shape of $b^{[l]}$.
#
# ## 4. The same in minigan: `Sequential.backward`
#
# In minigan nobody writes the recursion for a whole network. Each layer owns one step of
# it, in the row layout of lesson 02, where a batch is $X^{\top}$ and the gradient that
# arrives at a layer is `dout`, the transpose of the document's matrices:
#
# * an activation's `backward(dout)` returns $\text{dout} \odot g'(Z)$: the $\odot\, g'$
#   factor of $\eqref{eq:05-delta}$;
# * `Dense.backward(dout)` receives $\text{dout} = (\delta^{[l]})^{\top}$ and its input
#   rows $A_{\text{in}} = (A^{[l-1]})^{\top}$. It adds
#   $\text{dout}^{\top} A_{\text{in}} = \delta^{[l]} (A^{[l-1]})^{\top}$ into `W.grad`,
#   which is $\eqref{eq:05-dW}$; it adds the column sums of `dout` into `b.grad`, which is
#   $\eqref{eq:05-db}$; and it returns
#   $\text{dout}\, W^{[l]} = \left((W^{[l]})^{\top} \delta^{[l]}\right)^{\top}$, the first
#   factor of the recursion;
# * `Sequential.backward` calls the layers' `backward` in reverse order.
#
# We copy the weights into a `Sequential` and feed it $\partial C / \partial \hat Y$ of the
# BCE, equation (03.2) of lesson 03 (minigan packages it as `BCELoss`).

# %%
net = mg.Sequential(
    mg.Dense(3, 5, dtype=np.float64),
    mg.Tanh(),
    mg.Dense(5, 4, dtype=np.float64),
    mg.Tanh(),
    mg.Dense(4, 1, dtype=np.float64),
    mg.Sigmoid(),
)
dense_layers = [net[0], net[2], net[4]]
for d, W, b in zip(dense_layers, Ws, bs):
    d.params["W"].data[...] = W
    d.params["b"].data[...] = b

y_hat = net(X.T)  # rows = samples: (m, 1)
dy_hat = (y_hat - Y.T) / (y_hat * (1 - y_hat)) / m  # ∂C/∂Ŷ of the BCE
net.zero_grad()
net.backward(dy_hat)
for l, d in enumerate(dense_layers):
    np.testing.assert_allclose(d.params["W"].grad, dWs[l], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(d.params["b"].grad, dbs[l], rtol=1e-9, atol=1e-14)
print("minigan Sequential.backward == the recursion of section 3, for every W and b")

# %% [markdown]
# ## 5. Gradient checking
#
# Finite differences are too slow to *train* with, as §2.9 says, but they are exactly
# right to *check* backpropagation. Lesson 01 introduced the central difference for a
# parameter $\theta_i$,
#
# $$
# \frac{\partial C}{\partial \theta_i} \approx
# \frac{C(\theta + h e_i) - C(\theta - h e_i)}{2h}
# \tag{05.5}
# \label{eq:05-central}
# $$
#
# whose error is $\frac{h^2}{6} C'''$ plus rounding, and the relative error
# $\lVert a - n \rVert / (\lVert a \rVert + \lVert n \rVert)$ between the gradient $a$ of
# backpropagation and the estimate $n$. Below $10^{-6}$ in float64 (with $h = 10^{-6}$) means
# the backward pass is right; minigan's tests use exactly this rule. We check every
# parameter of our network. (`numerical_gradient` perturbs the array in place, one element
# at a time, and restores it.)


# %%
def cost():
    return forward_backward_columns(X, Y, Ws, bs)[0]


print(f"{'parameter':<10}{'shape':>8}{'rel. error':>12}  result")
for l in range(len(Ws)):
    for name, arr, ana in [
        (f"W[{l + 1}]", Ws[l], dWs[l]),
        (f"b[{l + 1}]", bs[l], dbs[l]),
    ]:
        num = gradcheck.numerical_gradient(cost, arr)
        err = gradcheck.rel_error(ana, num)
        verdict = "PASS" if err < 1e-6 else "FAIL"
        print(f"{name:<10}{str(arr.shape):>8}{err:>12.2e}  {verdict}")
        assert err < 1e-6

# %% [markdown]
# For a minigan layer, `gradcheck.check_module(layer, x)` does the same for the input
# gradient `dx` and for every parameter, and `python -m minigan.gradcheck` runs it for every
# registered layer and loss. A layer's output is an array, not a number, so the check needs
# a scalar to differentiate. It uses, for a fixed array `dout` of the output's shape,
#
# $$
# C(x) = \sum_{i,j} \text{out}_{ij}(x)\, \text{dout}_{ij}
# \quad\Longrightarrow\quad
# \frac{\partial C}{\partial x} = \texttt{layer.backward(dout)}
# \tag{05.6}
# \label{eq:05-scalar}
# $$
#
# because $\partial C / \partial \text{out} = \text{dout}$, and `backward` is exactly the
# map from $\partial C / \partial \text{out}$ to $\partial C / \partial x$. Section 7 shows
# why `dout` must be random.

# %%
res = gradcheck.check_module(net, X.T.copy())
print(f"{'gradient':<10}{'rel. error':>12}  result")
for name, err in res.items():
    print(f"{name:<10}{err:>12.2e}  {'PASS' if err < gradcheck.TOLERANCE else 'FAIL'}")
assert all(v < gradcheck.TOLERANCE for v in res.values())

# %% [markdown]
# ## 6. Why float64: truncation error versus rounding error
#
# Two errors compete in $\eqref{eq:05-central}$. The **truncation** error, from Taylor's
# formula (lesson 01), is about $\frac{h^2}{6} |C'''|$ and shrinks with $h$. The **rounding**
# error grows as $h$ shrinks: a computed $C$ carries a relative error of about $\epsilon$,
# the precision of the float type ($\epsilon \approx 6 \times 10^{-8}$ in float32,
# $\epsilon \approx 1.1 \times 10^{-16}$ in float64), so the difference
# $C(\theta + h) - C(\theta - h)$ carries an absolute error of about $\epsilon |C|$, and the
# division by $2h$ magnifies it. In total,
#
# $$
# |\text{error}| \approx \frac{h^2}{6} |C'''| + \frac{\epsilon\, |C|}{h}
# \tag{05.7}
# \label{eq:05-error}
# $$
#
# The first term falls and the second rises as $h$ shrinks; their sum is smallest when the
# two are about equal, near $h \approx \epsilon^{1/3}$, where the error is about
# $\epsilon^{2/3}$ (up to factors that depend on $C$). For float32 that is
# $h \approx 4 \times 10^{-3}$ and an error of order $10^{-5}$, never comfortably below a
# tolerance of $10^{-6}$; for float64, $h \approx 5 \times 10^{-6}$ and an error of order
# $10^{-11}$. At the $h = 10^{-6}$ that minigan uses, float64 stays far below the
# tolerance, while the float32 rounding term is of order
# $6 \times 10^{-8} / 10^{-6} \approx 0.06$ times $|C|$: noise. We measure it on one weight of our network, computing the whole forward pass in
# each type, for many values of $h$.

# %%
hs = np.logspace(-1, -11, 21 if not FAST else 11)
W0 = Ws[0]
i, j = 1, 2
exact = dWs[0][i, j]
errors = {}
head = ["dtype", "best h", "smallest rel. error", "rel. error at h = 1e-6"]
print(f"{head[0]:<9}{head[1]:>8}{head[2]:>21}{head[3]:>25}")
for dtype in (np.float32, np.float64):
    Xd, Yd = X.astype(dtype), Y.astype(dtype)
    errs = []
    for h in hs:
        Wp = [w.astype(dtype) for w in Ws]
        bp = [b.astype(dtype) for b in bs]
        Wp[0][i, j] = W0[i, j] + dtype(h)
        cp = forward_backward_columns(Xd, Yd, Wp, bp)[0]
        Wp[0][i, j] = W0[i, j] - dtype(h)
        cm = forward_backward_columns(Xd, Yd, Wp, bp)[0]
        num = (float(cp) - float(cm)) / (2 * h)
        errs.append(abs(num - exact) / abs(exact))
    errors[np.dtype(dtype).name] = np.array(errs)
    k = int(np.argmin(errs))
    at_1e6 = errs[int(np.argmin(abs(hs - 1e-6)))]
    print(f"{np.dtype(dtype).name:<9}{hs[k]:>8.0e}{errs[k]:>21.1e}{at_1e6:>25.1e}")
assert errors["float64"].min() < 1e-8 and errors["float32"].min() > gradcheck.TOLERANCE

# %% [markdown]
# The printed table gives the best $h$ and the smallest error for each type, and the figure
# shows the whole curve: the classic "V" of $\eqref{eq:05-error}$, truncation on the right
# (large $h$, where both types agree) and rounding on the left. The float32 curve turns up
# much earlier and its bottom stays above the tolerance; the float64 curve goes far below
# it. That is why every check in this course casts to float64 first (`check_module` does it
# for you).

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Relative error of the central difference for one weight against the step $h$ (log-log; $h$ decreases to the right): the 'V' of truncation error (right branch, large $h$) and rounding error (left branch). float32 never gets below the tolerance $10^{-6}$; float64 does.", "name": "fig-05-float"}}
fig, ax = plt.subplots(figsize=(6.8, 4.4))
for name, errs in errors.items():
    ax.loglog(hs, np.maximum(errs, 1e-17), "o-", label=name)
ax.axhline(1e-6, color="gray", ls="--", lw=1, label=t("tolerance $10^{-6}$"))
ax.set(
    xlabel=t("finite-difference step $h$"),
    ylabel=t("relative error of $\\partial C / \\partial W$"),
    title=t("Central differences: float32 vs float64"),
)
ax.invert_xaxis()
ax.legend()
fig.tight_layout()
save(fig, "05_float.png")

# %% [markdown]
# ## 7. Why a non-uniform upstream gradient
#
# A tempting choice for `dout` in $\eqref{eq:05-scalar}$ is an array of ones, which
# differentiates $C = \sum \text{out}$. For some layers that scalar does not depend on the
# input at all, its gradient is exactly 0, and a wrong backward that also returns 0 for
# `dout = ones` passes the check. The softmax is one: each row of its output sums to 1, so
# $C = \sum \text{out} = N$, the number of rows, whatever the input. (Batch normalization in
# training mode is another: its outputs have zero mean over the batch, so
# $\sum \text{out} = N \sum_j \beta_j$, and lesson 07 shows the same trap there.)
#
# For one row, $y = \text{softmax}(x)$ with $y_k = e^{x_k} / \sum_i e^{x_i}$ and
# $\partial y_i / \partial x_k = y_i (\mathbf{1}[i = k] - y_k)$, where $\mathbf{1}[i = k]$ is 1
# if $i = k$ and 0 otherwise. The chain rule gives the
# correct backward, and a typical bug forgets the leading $y \odot$:
#
# $$
# \begin{aligned}
# \text{correct:} \quad dx &= y \odot \Bigl(\text{dout} - \sum_i \text{dout}_i\, y_i\Bigr)
# \cr
# \text{buggy:} \quad dx &= \text{dout} - \sum_i \text{dout}_i\, y_i
# \end{aligned}
# \tag{05.8}
# \label{eq:05-softmax}
# $$
#
# With $\text{dout} = \mathbf{1}$, $\sum_i y_i = 1$ and both give exactly 0. We check the
# correct and the buggy layer with both kinds of `dout`, and compare absolute errors (the
# relative error is meaningless when the true gradient is 0).


# %%
class BrokenSoftmax(mg.Softmax):
    def forward(self, x):
        self.y = super().forward(x)  # keep y for the buggy backward
        return self.y

    def backward(self, dout):  # BUG: forgot "y *", equation (05.8)
        return dout - (dout * self.y).sum(axis=self.axis, keepdims=True)


x = rng.standard_normal((4, 5))
rows = []
for name, layer in [
    ("Softmax (correct)", mg.Softmax()),
    ("BrokenSoftmax", BrokenSoftmax()),
]:
    for dname, dout in [
        ("ones", np.ones((4, 5))),
        ("random normal", rng.standard_normal((4, 5))),
    ]:
        layer(x)
        analytic = layer.backward(dout)
        numeric = gradcheck.numerical_gradient(
            lambda: float(np.sum(layer(x) * dout)), x
        )
        abs_err = float(np.abs(analytic - numeric).max())
        rows.append((name, dname, float(np.abs(numeric).max()), abs_err))
print(f"{'layer':<20}{'dout':<15}{'max|numeric|':>13}{'max|error|':>12}  result")
for name, dname, size, err in rows:
    verdict = "PASS" if err < 1e-6 else "FAIL"
    print(f"{name:<20}{dname:<15}{size:>13.1e}{err:>12.1e}  {verdict}")
assert rows[0][3] < 1e-6 and rows[1][3] < 1e-6  # the correct layer passes both
assert rows[2][3] < 1e-6 and rows[3][3] > 1e-2  # the bug passes ones, fails random

# BatchNorm in training mode: with dout = ones its dx is exactly zero (up to round-off)
bn = mg.BatchNorm(5, dtype=np.float64)
bn(3.0 * rng.standard_normal((8, 5)) + 1.0)
dx_ones = bn.backward(np.ones((8, 5)))
print(f"BatchNorm (train) backward(ones): max |dx| = {np.abs(dx_ones).max():.1e}")
assert np.abs(dx_ones).max() < 1e-12

# %% [markdown]
# The table shows the trap: with `dout = ones` the numerical gradient itself is 0 (up to
# rounding, column `max|numeric|`), so the broken layer passes; with a random `dout` it
# fails by a wide margin. `check_module` always draws a random `dout`. The figure shows the
# four errors against the tolerance.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Largest absolute error of the softmax's backward against central differences, for the correct layer and the buggy one of (05.8), with dout = ones and with a random dout (log scale; dashed: the tolerance). Only the random dout exposes the bug.", "name": "fig-05-softmax"}}
fig, ax = plt.subplots(figsize=(6.8, 4.4))
kinds = {"ones": "ones", "random normal": t("random")}
labels = [f"{n.split(' ')[0]}\ndout = {kinds[d]}" for n, d, _, _ in rows]
vals = [max(e, 1e-17) for _, _, _, e in rows]
colors = ["tab:green", "tab:green", "tab:orange", "tab:red"]
ax.bar(range(len(rows)), vals, color=colors)
ax.set_yscale("log")
ax.axhline(1e-6, color="gray", ls="--", lw=1)
ax.set_xticks(range(len(rows)))
ax.set_xticklabels(labels, fontsize=10)
ax.set(
    ylabel=t("max |analytic − numerical|"),
    title=t("Softmax check: ones hide the bug"),
)
fig.tight_layout()
save(fig, "05_softmax_check.png")

# %% [markdown]
# ## Summary
#
# * $\delta^{[l]} = \partial C / \partial Z^{[l]}$ $\eqref{eq:05-def}$ is passed backwards
#   by $\eqref{eq:05-delta}$; each layer's gradients are $\delta^{[l]} (A^{[l-1]})^{\top}$
#   $\eqref{eq:05-dW}$ and the row sums of $\delta^{[l]}$ $\eqref{eq:05-db}$. Document 001's
#   vectorised recursion is right; its scalar steps and its two gradient formulas are not.
# * A backward pass is proved right by central differences in float64; in float32 the
#   rounding error $\eqref{eq:05-error}$ drowns the answer.
# * The upstream gradient must be random: for some layers (softmax, batch normalization)
#   `dout = ones` makes every backward, right or wrong, look correct.

# %% [markdown]
# ## Exercises
#
# 1. Replace the tanh hidden layers by ReLU in `forward_backward_columns`
#    ($g'(z) = 1$ for $z > 0$, else 0) and re-run the check. Why can it fail when some $z$ is
#    within $h$ of 0?
# 2. Introduce the document's bias slip (multiply `dbs[l]` by the layer's input activation,
#    summed) and watch the gradient check catch it.
# 3. Use a one-sided difference $(C(\theta + h) - C(\theta)) / h$. Redo the float64 curve:
#    where is its best $h$ now, and what is its error? (Its truncation error is $O(h)$
#    instead of $O(h^2)$.)
# 4. Write a tiny layer `Square()` ($y = x^2$) with its backward, and check it with
#    `gradcheck.check_module`; then break the backward (return `x * dout`) and see it fail.

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
# | `05.dense_forward` | the fully connected layer's forward pass | document 001 §2.6 | 1 |
# | `05.dense_backward` | the fully connected layer's backward pass | document 001 §2.9 | 2 |
# | `05.mlp_backward_columns` | an MLP's backpropagation in the document's column notation | document 001 §2.9 | 3 |
# | `05.numerical_gradient` | a central-difference gradient | document 001 §2.9 | 1 |
#
# 7 points in all. The same stubs come as a plain file, to write in your editor and grade
# from a terminal (`minigan-exercises list` shows every lesson's exercises):
#
# ```bash
# minigan-exercises new ex/ --lesson 05   # writes ex/lesson05_backprop_gradcheck.py
# minigan-exercises grade ex/ -k 05       # PASS, FAIL, TODO or ERROR, and the points
# ```

# %%
import numpy as np
from minigan.exercises import check


# %%
def dense_forward(x, W, b):
    """The fully connected layer's forward pass, samples in rows (minigan's layout).

    Document 001 §2.6 (1)–(3) in columns: Z = W A + b. With the N samples in the rows
    of x (minigan's and PyTorch's layout) the same layer is
        Z = x Wᵀ + b

    Parameters
    ----------
    x : (N, n_in) float64;  W : (n_out, n_in);  b : (n_out,)

    Returns
    -------
    Z : (N, n_out)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("05.dense_forward", dense_forward)


# %%
def dense_backward(dout, x, W):
    """The fully connected layer's backward pass, samples in rows.

    Document 001 §2.9 with δ = ∂C/∂Z = dout; in columns ∂C/∂W = δ Aᵀ, ∂C/∂b = Σ δ and
    the error passed down is Wᵀ δ. In rows (Z = x Wᵀ + b):
        ∂C/∂W = δᵀ x          (n_out, n_in), W's shape
        ∂C/∂b = Σ_samples δ   (n_out,)
        ∂C/∂x = δ W           (N, n_in)

    Parameters
    ----------
    dout : (N, n_out), the upstream gradient δ;  x : (N, n_in), the forward's input
    W : (n_out, n_in)

    Returns
    -------
    (dx, dW, db) : arrays of shapes (N, n_in), (n_out, n_in), (n_out,)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("05.dense_backward", dense_backward)


# %%
def mlp_backward_columns(X, Y, Ws, bs):
    """Forward and backward pass of an MLP in the document's column notation.

    Samples are the COLUMNS of X. Hidden layers use tanh, the last layer a sigmoid, the
    cost is the binary cross-entropy of document 001 §2.7.1. Document 001 §2.6, and
    document 001 §2.9 as corrected in lesson 05, for layers l = 1..L with A⁰ = X:
        Zˡ = Wˡ Aˡ⁻¹ + bˡ,     Aˡ = tanh(Zˡ) (l < L),     Ŷ = Aᴸ = σ(Zᴸ)
        C = −(1/m) Σ [Y log Ŷ + (1 − Y) log(1 − Ŷ)]
        δᴸ = (Ŷ − Y) / m                              (= ∂C/∂Aᴸ ⊙ σ'(Zᴸ))
        δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ g'(Zˡ),   g'(Zˡ) = 1 − (Aˡ)² for tanh
        ∂C/∂Wˡ = δˡ (Aˡ⁻¹)ᵀ,     ∂C/∂bˡ = Σ_columns δˡ

    Parameters
    ----------
    X : (n₀, m) float64, m samples in columns;  Y : (1, m), labels 0 or 1
    Ws : list of L arrays, Ws[l] of shape (n_{l+1}, n_l)
    bs : list of L arrays, bs[l] of shape (n_{l+1},)

    Returns
    -------
    (C, dWs, dbs) : the cost (float) and two lists of arrays, shaped like Ws and bs
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("05.mlp_backward_columns", mlp_backward_columns)


# %%
def numerical_gradient(f, x, h=1e-5):
    """The central-difference gradient of a scalar function, one element at a time.

    Document 001 §2.9 (finite differences check backpropagation; lesson 05):
        ∂f/∂xᵢ ≈ (f(x + h eᵢ) − f(x − h eᵢ)) / (2h)        (error O(h²))

    f takes no argument: it reads x. Change x in place (x[idx] = ...), evaluate f, and
    put the old value back, so that x is unchanged at the end.

    Parameters
    ----------
    f : callable, f() → float, reads the array x
    x : float64 array, any shape
    h : float, the step

    Returns
    -------
    grad : float64 array of x's shape
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("05.numerical_gradient", numerical_gradient)

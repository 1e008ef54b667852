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
# # Lesson 01: The perceptron and the linear model
#
# **Objective.** Build the two oldest "neural networks" from scratch: Rosenblatt's
# perceptron, a weighted sum followed by a threshold, and the linear model, trained by
# gradient descent on the squared error. Then see that the linear part is exactly
# `minigan.Dense`, and learn the test that every later lesson applies to a gradient: the
# gradient check. At the end you will know why one neuron cannot learn XOR, which is the
# reason why lesson 02 stacks layers.
#
# **Source.** Document 001: Marques (2021), *Rede Adversária Generativa Convolucional
# Profunda Aplicada a Exames de Raio-x do Tórax*, §1 "Introdução", §2.1 "Definição",
# §2.2 "Perceptron" and §2.3 "Modelo Linear".

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
# ## 1. Where this comes from (document 001 §1–2.1)
#
# **What the thesis is about.** Document 001 is an undergraduate thesis in applied
# mathematics (Marques 2021, Universidade de São Paulo). It trains a generative adversarial
# network (GAN) that produces images of chest X-rays. Its introduction (§1.1) starts from a
# practical problem: a good classifier of medical images needs many examples, and medical
# data are hard to collect and share, "em particular pela alta sensibilidade que os dados
# médicos necessitam" (above all because medical data are so sensitive). Hence its interest
# in a different kind of model:
#
# > "Este entrave tem chamado atenção para os modelos geradores, aqueles que não tem o
# > propósito de classificar uma amostra, mas gerar elas (ou algo próximo delas)."
#
# That is: this obstacle has drawn attention to *generative* models, whose purpose is not to
# classify a sample but to generate samples, or something close to them. The generated images
# can then be used as extra training data for a classifier, which the thesis's abstract calls
# "Data Augmentation". Its objective (§1.2) is modest and clear: not a commercial generator,
# "mas sim apresentar e exemplificar as técnicas utilizadas na área" (but to present and
# illustrate the techniques used in the field).
#
# To get there, the thesis climbs from one artificial neuron (its chapter 2) to convolutional
# networks (chapter 3), GANs and the DCGAN (chapter 4), their evaluation (chapter 5), and its
# own experiment with 64x64 images (chapter 6). This course climbs the same way: lessons
# 01–07 follow chapter 2, lessons 08–10 chapter 3, lessons 14, 15 and 17 chapter 4,
# lesson 16 chapter 5, and lesson 19 rebuilds chapter 6. The other lessons draw on the other
# source documents (see the list of lessons).
#
# **A short history, as §2.1 tells it.** The thesis dates the first idea of a neural network
# to 1943:
#
# > "A primeira ideia de uma Rede Neural foi introduzida, em 1943, pelo neuropsicólogo
# > Warren McCulloch e o matemático Walter Pitts[24], no trabalho "A Logical Calculus of
# > Ideas Immanent in Nervous Activity"."
#
# McCulloch and Pitts modelled a biological neuron as a unit that "computa respostas
# binárias" (computes binary answers) from a logical rule. The thesis explains the analogy:
# a real neuron receives information from other neurons through its dendrites ("dendrito"),
# processes it in the cell, and passes it on through its axon ("axônio"). (The thesis says the
# information is stored in the nucleus, "núcleo, onde a informação é armazenada"; a biologist
# would say the incoming signals are summed in the cell body, while the nucleus holds the
# cell's DNA. The analogy is only a motivation: from here on, everything is linear algebra
# and calculus.) In an artificial neuron, the inputs $x_j$ play the role of the signals that
# the dendrites receive, a weighted sum of them is the cell's computation, and its output
# goes on to the next neurons.
#
# In the 1950s and 1960s Frank Rosenblatt's perceptron (§2.2, the thesis's reference [29],
# 1958) added real-valued *weights* that can be learned from examples. Hope was high, then
# the field stalled:
#
# > "Porém, sua alta complexidade matemática, o custo computacional excessivo e a necessidade
# > de um alto fluxo de dados para a época fizeram os trabalhos na área cessarem por algum
# > período."
#
# (However, their high mathematical complexity, their excessive computational cost and their
# need for a large flow of data, for that time, made work in the field stop for a while.)
# Other models, such as the support vector machine (SVM), took the statisticians' attention.
# What brought neural networks back, the thesis says, was more powerful computers, and
# technical obstacles that became "cada vez menos nebulosas e mais fáceis de serem
# resolvidas" (less and less obscure, and easier to solve). Two of those solutions are
# lessons of this course: backpropagation (Rumelhart, Hinton and Williams 1986; §2.9,
# lesson 05), and, much later, the GAN itself (§1.1, lesson 14).
#
# *What the thesis leaves out.* The best-known reason why one perceptron is not enough is
# mathematical, not computational: a single perceptron can only separate two classes with a
# straight line (a hyperplane, in more dimensions). Minsky and Papert's book *Perceptrons*
# (1969) studied what such units cannot compute; the smallest example is XOR, and it is
# often cited as one cause of the pause that the thesis describes. Section 2 below shows the
# perceptron failing on XOR and proves that no line can succeed.
#
# *A slip in §1.1.* The thesis writes that GANs were "apresentadas por Ian Goodfellow[11] em
# 2015". Goodfellow et al.'s paper "Generative Adversarial Nets" appeared in June 2014
# (arXiv) and at the NIPS conference of 2014, and the thesis's own reference [11] is dated
# "(06 2014)". The year is 2014.

# %% [markdown]
# ## 2. The perceptron (document 001 §2.2)
#
# In Rosenblatt's perceptron, in the thesis's words, "um conjunto de entradas binárias
# $\{x_1, x_2, \dots, x_n\}$ produz uma única saída binária" (a set of binary inputs produces
# one binary output). With real weights ("pesos") $w_1, \dots, w_n$ and a cut-off value
# ("valor de corte", *threshold*), the output ("saída") is
#
# $$
# \text{saída} = \begin{cases} 0 & \text{se } \sum_j w_j x_j \leq \text{threshold} \cr
# 1 & \text{se } \sum_j w_j x_j > \text{threshold} \end{cases}
# \tag{001 §2.2a}
# $$
#
# Moving the threshold to the other side of the inequality gives the bias ("viés"),
# $b = -\text{threshold}$:
#
# $$
# \text{saída} = \begin{cases} 0 & \text{se } \sum_j w_j x_j + b \leq 0 \cr
# 1 & \text{se } \sum_j w_j x_j + b > 0 \end{cases}
# \tag{001 §2.2b}
# \label{eq:01-perceptron}
# $$
#
# Nothing in $\eqref{eq:01-perceptron}$ needs binary inputs: below, the inputs are real
# numbers.
#
# **How it learns.** The thesis gives no learning rule. Rosenblatt's rule looks at one
# example $(x, y)$ at a time, computes the output $\hat y$ of $\eqref{eq:01-perceptron}$, and
# changes the weights only when $\hat y$ is wrong:
#
# $$
# w \leftarrow w + \eta\,(y - \hat y)\,x, \qquad b \leftarrow b + \eta\,(y - \hat y)
# \tag{Rosenblatt 1958}
# \label{eq:01-rule}
# $$
#
# with a learning rate $\eta > 0$. When the answer is right, $y - \hat y = 0$ and nothing
# moves. When the perceptron said 0 for a positive example, $y - \hat y = 1$, and $w$ moves
# towards $x$, so that $w \cdot x$ grows; when it said 1 for a negative example, $w$ moves away
# from $x$. If some line separates the two classes, the rule stops making mistakes after a
# finite number of them: at most $(R/\gamma)^2$, where $R$ bounds the length of the inputs
# and $\gamma$ is the width of the gap between the classes (the perceptron convergence
# theorem, Novikoff 1962). If no line separates them, it never stops.
#
# *A slip in the document.* §2.2 calls the weighted sum $\sum_j w_j x_j$ "seu produto
# vetorial", and §2.3 repeats "o próprio produto vetorial entre $X$ e $W$". In Portuguese,
# *produto vetorial* is the **cross** product, whose result is a vector. The weighted sum is
# the **dot** product, *produto escalar* or *produto interno*, whose result is a number. The
# code below computes a dot product (`X @ w`).


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
print(f"perceptron on two blobs: w = {w_p.round(3)}, b = {b_p:.3f}")
print(f"training accuracy on the blobs: {acc:.3f}")
print(f"mistakes per epoch (blobs): {mistakes_blobs[:10]} ...")
print(f"mistakes per epoch (XOR):   {mistakes_xor[:10]} ...")
assert mistakes_blobs[-1] == 0 and min(mistakes_xor) > 0

# %% [markdown]
# Two Gaussian blobs of points, one per class, can be separated by a line. The figure below
# shows the line $w \cdot x + b = 0$ that the rule found: every point of class 1 lies on the
# side where $w \cdot x + b > 0$.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The perceptron's decision line $w \\cdot x + b = 0$ after training on two blobs of points: it separates the two classes.", "name": "fig-01-perceptron-line"}}
fig, ax = plt.subplots(figsize=(6.4, 4.4))
ax.scatter(*X_blobs[y_blobs == 0].T, s=14, label=t("class {k}", k=0))
ax.scatter(*X_blobs[y_blobs == 1].T, s=14, label=t("class {k}", k=1))
xs = np.linspace(X_blobs[:, 0].min(), X_blobs[:, 0].max(), 2)
if abs(w_p[1]) > 1e-12:
    ax.plot(xs, -(w_p[0] * xs + b_p) / w_p[1], "k-", label="$w \\cdot x + b = 0$")
ax.set_ylim(X_blobs[:, 1].min() - 0.5, X_blobs[:, 1].max() + 0.5)
ax.set(xlabel="$x_1$", ylabel="$x_2$", title=t("Perceptron decision line"))
ax.legend()
fig.tight_layout()
save(fig, "01_perceptron_line.png")

# %% [markdown]
# The number of mistakes in each pass over the data (an *epoch*) tells the two problems
# apart. On the blobs it reaches 0, and from then on nothing changes: the convergence theorem
# at work. On XOR, the four points $(0,0) \mapsto 0$, $(0,1) \mapsto 1$, $(1,0) \mapsto 1$,
# $(1,1) \mapsto 0$, the rule keeps making mistakes in every epoch.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Mistakes of the perceptron rule in each epoch: on the two blobs they reach 0; on XOR they never do, because no line separates XOR.", "name": "fig-01-mistakes"}}
fig, ax = plt.subplots(figsize=(6.4, 4.0))
ax.plot(range(1, epochs + 1), mistakes_blobs, "o-", label=t("two blobs"))
ax.plot(range(1, epochs + 1), mistakes_xor, "s-", label=t("XOR (4 points)"))
ax.yaxis.get_major_locator().set_params(integer=True)
ax.set(xlabel=t("epoch"), ylabel=t("mistakes in the epoch"), title=t("Perceptron rule"))
ax.legend()
fig.tight_layout()
save(fig, "01_perceptron_mistakes.png")

# %% [markdown]
# **Why no line separates XOR.** Suppose some $w_1, w_2, b$ classified the four points
# correctly with $\eqref{eq:01-perceptron}$. Then
#
# $$
# \begin{aligned}
# (0,0) \mapsto 0: &\quad b \leq 0, \cr
# (0,1) \mapsto 1: &\quad w_2 + b > 0, \cr
# (1,0) \mapsto 1: &\quad w_1 + b > 0, \cr
# (1,1) \mapsto 0: &\quad w_1 + w_2 + b \leq 0.
# \end{aligned}
# \tag{01.1}
# $$
#
# Adding the two middle lines gives $w_1 + w_2 + 2b > 0$, that is $w_1 + w_2 + b > -b$.
# By the first line $-b \geq 0$, so $w_1 + w_2 + b > 0$, which contradicts the last line. So
# no perceptron computes XOR, whatever the learning rule. Exercise 3 and lesson 02 show two
# ways out: new features, or hidden layers.

# %% [markdown]
# ## 3. The linear model and its cost (document 001 §2.3)
#
# Drop the threshold: the output is the weighted sum itself,
#
# $$
# z = \sum_i w_i x_i + b, \qquad \hat y = z
# \tag{001 §2.3a}
# $$
#
# and the parameters (the weights $w_i$ and the bias $b$) are chosen to make $z$ close to
# the real $y$. The document measures "close" with a cost function ("função de Custo"), the
# mean squared error over the $N$ examples:
#
# $$
# C(w, b) = \frac{1}{N} \sum_{i=1}^N (z_i - y_i)^2
# \tag{001 §2.3b}
# \label{eq:01-mse}
# $$
#
# (The document uses the index $i$ twice: for the features in the first equation and for
# the examples in the second. Below, $i$ counts examples and $j$ features, so example $i$ has
# features $x_{i1}, \dots, x_{in}$ and output $z_i = \sum_j w_j x_{ij} + b$.)
#
# **The gradient.** Since $\partial z_i / \partial w_j = x_{ij}$ and
# $\partial z_i / \partial b = 1$, the chain rule gives
#
# $$
# \frac{\partial C}{\partial w_j} = \frac{2}{N} \sum_{i=1}^N (z_i - y_i)\, x_{ij},
# \qquad
# \frac{\partial C}{\partial b} = \frac{2}{N} \sum_{i=1}^N (z_i - y_i)
# \tag{01.2}
# \label{eq:01-grad}
# $$
#
# **Gradient descent** ("Gradiente Descendente", document 001 §2.8, lesson 04) moves the
# parameters a small step against the gradient, and repeats:
#
# $$
# v \rightarrow v' = v - \eta \nabla C(v)
# \tag{001 §2.8}
# $$
#
# Here $v = (w_1, w_2, b)$. We fit the noisy plane $y = 2 x_1 - 3 x_2 + 0.5 + \text{noise}$,
# with Gaussian noise of standard deviation 0.3.

# %%
N = 64 if FAST else 256
X_lin = rng.standard_normal((N, 2))
w_true, b_true = np.array([2.0, -3.0]), 0.5
noise_std = 0.3
y_lin = X_lin @ w_true + b_true + noise_std * rng.standard_normal(N)


def linear_forward(X, w, b):
    return X @ w + b  # z = Σ w_j x_j + b


def mse(z, y):
    return np.mean((z - y) ** 2)  # C = (1/N) Σ (z_i − y_i)²


def mse_grads(X, z, y):
    r = z - y
    dw = 2.0 / len(y) * (X.T @ r)  # ∂C/∂w_j = (2/N) Σ_i (z_i − y_i) x_ij
    db = 2.0 / len(y) * r.sum()  # ∂C/∂b = (2/N) Σ_i (z_i − y_i)
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
print(f"linear model after {steps} gradient-descent steps:")
print(f"  w = {w.round(3)}, b = {b:.3f}   (true: w = {w_true}, b = {b_true})")
print(f"  final MSE = {losses[-1]:.4f}   (noise variance: {noise_std**2:.4f})")

# %% [markdown]
# The cost falls quickly and then levels off. It cannot reach 0: even the true plane leaves
# the noise, whose mean square is about its variance $0.3^2 = 0.09$ (the dashed line).

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The squared-error cost $C(w, b)$ of the linear model during gradient descent (log scale): it falls and levels off near the variance of the noise (dashed).", "name": "fig-01-mse"}}
fig, ax = plt.subplots(figsize=(6.4, 4.0))
ax.semilogy(losses, label="$C(w, b)$")
ax.axhline(noise_std**2, color="gray", ls="--", label=t("noise variance $0.3^2$"))
ax.set(xlabel=t("gradient-descent step"), ylabel="MSE", title=t("Linear model (§2.3)"))
ax.legend()
fig.tight_layout()
save(fig, "01_linear_mse.png")

# %% [markdown]
# ## 4. The same thing in minigan: `minigan.Dense`
#
# `mg.Dense(in_features, out_features)` is the linear model for a whole batch at once. With
# the $N$ samples in the rows of $X$ (PyTorch's layout; the document stacks samples in
# columns instead, see lesson 02) it computes
#
# $$
# Z = X W^{\top} + b, \qquad X \in ℝ^{N \times n},\;
# W \in ℝ^{k \times n},\; b \in ℝ^{k},\; Z \in ℝ^{N \times k}
# \tag{01.3}
# $$
#
# where $b$ is added to every row. With one output ($k = 1$), $W$ is our $w$ as a
# $1 \times 2$ row. Its `backward(dout)` receives $\partial C / \partial Z$, *adds*
# $\partial C / \partial W$ and $\partial C / \partial b$ into `W.grad` and `b.grad`, and
# returns $\partial C / \partial X$. For the squared error,
# $\partial C / \partial z_i = \frac{2}{N}(z_i - y_i)$, and $\eqref{eq:01-grad}$ is what
# `backward` must produce. We copy our trained weights into a `Dense` in float64 and check
# that the forward pass and the gradients agree with the code above.

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
# ## 5. Is the gradient right? A first gradient check
#
# We derived $\eqref{eq:01-grad}$ by hand, and derivations by hand slip: a lost factor 2, a
# wrong sign, a transposed index. (Lesson 05 finds several such slips in document 001's own
# backpropagation.) A wrong gradient crashes nothing: the model just trains badly or not at
# all, and nothing tells you why. So every gradient in this course is compared with a second
# computation that needs no calculus, the **central difference**
#
# $$
# \frac{\partial C}{\partial \theta_k} \approx
# \frac{C(\theta + h e_k) - C(\theta - h e_k)}{2h}
# \tag{01.4}
# \label{eq:01-central}
# $$
#
# where $\theta$ holds all the parameters, $e_k$ is the unit vector of parameter $k$, and $h$
# is a small step. It only *evaluates* the cost, which is easy to get right. If the two
# computations agree, the derivation is right.
#
# **Why central, and why its error is $O(h^2)$.** Look at the cost along one parameter,
# $f(t) = C(\theta + t e_k)$, so that $f'(0) = \partial C / \partial \theta_k$. Taylor's
# formula gives
#
# $$
# f(\pm h) = f(0) \pm h f'(0) + \frac{h^2}{2} f''(0) \pm \frac{h^3}{6} f'''(0) + O(h^4)
# \tag{01.5}
# $$
#
# In $f(h) - f(-h)$ the even terms cancel, while a one-sided (forward) difference keeps them
# (second line):
#
# $$
# \begin{aligned}
# \frac{f(h) - f(-h)}{2h} &= f'(0) + \frac{h^2}{6} f'''(0) + O(h^4) \cr
# \frac{f(h) - f(0)}{h} &= f'(0) + \frac{h}{2} f''(0) + O(h^2)
# \end{aligned}
# \tag{01.6}
# \label{eq:01-taylor}
# $$
#
# The error of the central difference is proportional to $h^2$ (ten times smaller $h$, a
# hundred times smaller error); the error of the forward difference only to $h$. Our cost
# $\eqref{eq:01-mse}$ is a quadratic function of $(w, b)$, so $f''' = 0$: the central
# difference is exact up to rounding, and the forward difference is off by exactly
# $\frac{h}{2} f''(0)$, where $f''(0) = \frac{2}{N} \sum_i x_{i1}^2$ for the weight $w_1$.
# The table below computes both differences for $w_1$ by hand, at a point away from the
# minimum, and prints the prediction $\frac{h}{2} f''(0)$ beside the forward error.

# %%
theta = np.array([0.3, -0.7, 0.1])  # (w1, w2, b) at some point


def cost_along_w1(t):
    """f(t) = C(θ + t e_1): the cost as a function of w₁ alone."""
    return mse(linear_forward(X_lin, theta[:2] + [t, 0.0], theta[2]), y_lin)


exact = mse_grads(X_lin, linear_forward(X_lin, theta[:2], theta[2]), y_lin)[0][0]
curvature = 2.0 / N * np.sum(X_lin[:, 0] ** 2)  # f''(0)
print(f"∂C/∂w1 by formula (01.2): {exact:.10f}")
print(f"{'h':>7}{'|forward − exact|':>20}{'(h/2) f″(0)':>14}{'|central − exact|':>20}")
for h in [1e-1, 1e-2, 1e-3, 1e-4]:
    forward = (cost_along_w1(h) - cost_along_w1(0.0)) / h
    central = (cost_along_w1(h) - cost_along_w1(-h)) / (2 * h)
    err_f, err_c = abs(forward - exact), abs(central - exact)
    print(f"{h:>7.0e}{err_f:>20.3e}{h / 2 * curvature:>14.3e}{err_c:>20.3e}")
    np.testing.assert_allclose(err_f, h / 2 * curvature, rtol=1e-3)
    assert err_c < 1e-8

# %% [markdown]
# The forward error matches $\frac{h}{2} f''(0)$ and shrinks only tenfold per row. The
# central error is many orders of magnitude smaller, at the level of rounding, and it even
# grows a little as $h$ shrinks: that is the rounding error of $C$ divided by $2h$, which
# lesson 05 studies. For a cost that is not quadratic, the central difference also carries
# the error $\frac{h^2}{6} f'''(0)$ of $\eqref{eq:01-taylor}$, still far below the forward
# one.
#
# To compare a whole gradient $a$ (by formula) with its numerical estimate $n$, we use the
# relative error
#
# $$
# \text{rel. error}(a, n) = \frac{\lVert a - n \rVert}{\lVert a \rVert + \lVert n \rVert}
# \tag{01.7}
# $$
#
# which does not depend on the scale of the gradient. `minigan.gradcheck` packages both
# steps: `numerical_gradient(f, x)` applies $\eqref{eq:01-central}$ to every element of the
# array `x` (with $h = 10^{-6}$), and `rel_error(a, n)` is (01.7). minigan's tests accept a
# gradient when the relative error is below $10^{-6}$ (`gradcheck.TOLERANCE`).

# %%
num = gradcheck.numerical_gradient(
    lambda: mse(linear_forward(X_lin, theta[:2], theta[2]), y_lin), theta
)
dw, db = mse_grads(X_lin, linear_forward(X_lin, theta[:2], theta[2]), y_lin)
ana = np.concatenate([dw, [db]])
print(f"{'gradient':<10}{'formula':>12}{'numerical':>12}{'rel. error':>12}")
for name, a, n_ in zip(["dC/dw1", "dC/dw2", "dC/db"], ana, num):
    err = gradcheck.rel_error(np.array(a), np.array(n_))
    print(f"{name:<10}{a:>12.6f}{n_:>12.6f}{err:>12.2e}")
assert gradcheck.rel_error(ana, num) < gradcheck.TOLERANCE

# %% [markdown]
# The same check for a minigan layer is one call: `gradcheck.check_module(layer, x)`
# compares `layer.backward` with central differences, for the gradient with respect to the
# input (`dx`) and for every parameter.

# %%
res = gradcheck.check_module(mg.Dense(2, 1, rng=0), rng.standard_normal((5, 2)))
print("check_module(Dense(2, 1)):", {k: f"{v:.1e}" for k, v in res.items()})
assert all(v < gradcheck.TOLERANCE for v in res.values())

# %% [markdown]
# Lesson 05 tells the full story, with two points that this small example hides. First, the
# check is done in float64: in float32 the rounding error of $C$, divided by $2h$, swamps the
# answer. Second, a layer is checked with a *random* upstream gradient, not with a gradient of
# ones: for some layers the sum of the outputs is a constant, and a wrong backward hides
# behind it.
#
# ## Summary
#
# * A perceptron $\eqref{eq:01-perceptron}$ thresholds a weighted sum (a dot product, not
#   the "produto vetorial" of the document); Rosenblatt's rule $\eqref{eq:01-rule}$ learns
#   any problem that a line can separate, and no rule can learn XOR.
# * The linear model minimises the squared error $\eqref{eq:01-mse}$ by gradient descent;
#   its gradient is $\eqref{eq:01-grad}$, and for a batch it is `minigan.Dense`.
# * A gradient derived by hand is checked with central differences
#   $\eqref{eq:01-central}$, whose error is $O(h^2)$ $\eqref{eq:01-taylor}$.

# %% [markdown]
# ## Exercises
#
# 1. Run the perceptron rule with learning rate 0.01 instead of 1. Does the final line
#    change? Does the number of updates change? (Hint: with $w$ and $b$ starting at 0, the
#    rule only rescales them.)
# 2. Replace the squared error by the mean absolute error $\frac{1}{N} \sum_i |z_i - y_i|$.
#    Derive $\partial C / \partial w_j$, implement it, and check it with
#    `gradcheck.numerical_gradient`. Where is it not differentiable, and what does the check
#    do there?
# 3. Add a third input $x_1 x_2$ to XOR. Can the perceptron now separate it? Why does this
#    "feature engineering" point towards hidden layers?
# 4. The linear model can also be solved in closed form: $w = (X^{\top} X)^{-1} X^{\top} y$
#    (append a column of ones to $X$ for $b$). Compare it with the gradient-descent result.
# 5. Put a slip into `mse_grads` (drop the factor 2, or flip the sign of `db`) and run the
#    gradient check of section 5. How large is the relative error now? Would the model
#    still train with each slip?

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
# | `01.perceptron_update` | one step of Rosenblatt's perceptron rule | document 001 §2.2 | 1 |
# | `01.linear_mse_gradient` | the squared-error cost of a linear model and its gradient | document 001 §2.3 | 1 |
#
# 2 points in all. The same stubs come as a plain file, to write in your editor and grade
# from a terminal (`minigan-exercises list` shows every lesson's exercises):
#
# ```bash
# minigan-exercises new ex/ --lesson 01   # writes ex/lesson01_perceptron.py
# minigan-exercises grade ex/ -k 01       # PASS, FAIL, TODO or ERROR, and the points
# ```

# %%
import numpy as np
from minigan.exercises import check


# %%
def perceptron_update(w, b, x, y, lr=1.0):
    """One step of Rosenblatt's perceptron rule on one example (x, y).

    Document 001 §2.2 (threshold moved into the bias b):
        ŷ = 1 if Σⱼ wⱼ xⱼ + b > 0, else 0
    Rosenblatt's rule changes the weights only on a mistake (y − ŷ = ±1):
        w ← w + η (y − ŷ) x,        b ← b + η (y − ŷ)

    Parameters
    ----------
    w : (d,) float64 weights;  b : float, the bias
    x : (d,) float64, one example;  y : 0.0 or 1.0, its label
    lr : float, the learning rate η

    Returns
    -------
    (w_new, b_new) : a new (d,) array and a float (do not change w in place)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("01.perceptron_update", perceptron_update)


# %%
def linear_mse_gradient(X, y, w, b):
    """The squared-error cost of the linear model and its gradient.

    Document 001 §2.3, for N examples (the rows of X):
        zᵢ = Σⱼ wⱼ xᵢⱼ + b
        C(w, b) = (1/N) Σᵢ (zᵢ − yᵢ)²
        ∂C/∂w = (2/N) Σᵢ (zᵢ − yᵢ) xᵢ,     ∂C/∂b = (2/N) Σᵢ (zᵢ − yᵢ)

    Parameters
    ----------
    X : (N, d) float64;  y : (N,) float64 targets
    w : (d,) float64;  b : float

    Returns
    -------
    (C, dw, db) : a float, a (d,) array and a float
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("01.linear_mse_gradient", linear_mse_gradient)

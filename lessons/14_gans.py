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
# # Lesson 14: Generative adversarial networks: the game, D*, and mode collapse
#
# **Objective.** Understand a GAN from its equations up. You will see where the idea came
# from; write down the minimax game between a generator $G$ and a discriminator $D$; derive
# the optimal discriminator $D^*$ and check it numerically; see why the generator's loss as
# written in the game *saturates* and what the non-saturating loss changes; and write
# Goodfellow's Algorithm 1 with $k$ discriminator steps from scratch in NumPy. You will run it
# on a 2-D "ring of Gaussians", where a badly balanced GAN shows **mode collapse** and a change
# of $k$ cures it. Finally, the same loop is `minigan.gan.GAN`.
#
# Sources:
# - document 001 (Marques 2021) §4 "Redes Adversárias Generativas", §4.1 "Redes Adversárias"
#   (the value function, Algorithm 1 "Rede Adversária Generativa", the non-saturating loss),
#   §4.2 "Propriedades do Modelo" (Proposição 1, the optimal discriminator, "Ótimo Global");
# - document 000 (Guimarães 2019) §2.3 "Generative Adversarial Nets", §2.3.1 "Modelo",
#   eq. (2.1), and §3.2.3 "Função de custo" (sigmoid cross-entropy, labels 0.9 for real
#   images);
# - document 002 (AI2 slides, "Como as GANs são treinadas?"): the discriminator's loss
#   $\mathcal{L}_D$ and the zero-sum game;
# - document 003 (Pereira n.d.) ch. 3: the GAN's history and Figura 27;
# - document 004 (an encyclopedia-style overview, "Redes Adversariais Generativas"): the
#   history.
#
# Lesson 17, an appendix to this one, compares the training loops of the documents (one
# discriminator update per step, or two) and measures them with the FID of lesson 16.

# %%
import time

import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck
from minigan.data import ring_modes, ring_of_gaussians
from minigan.gan import GAN

from _course import FAST, save, t  # lessons/_course.py: fast mode, figures, their words

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Where GANs come from
#
# By 2014 deep learning had become very good at *discriminative* tasks: given an image, name
# its class. The opposite task, *generating* a new image that looks like the data, was much
# harder. Document 000 §2.3 puts it this way: "por muito tempo se estudou maneiras de se
# resolver o problema contrário, onde queremos produzir um entrada fictícia x a partir de uma
# classificação y". Document 001 §4 names the obstacle: "modelos generativos possuem um menor
# impacto na área de aprendizado profundo devido à alta complexidade para se computar a
# probabilidade da distribuição dos dados, tendo exemplos como as Deep Boltzmann Machines
# (DBM), estimadas por MCMC (Markov Chain Monte Carlo)". A model that writes down a
# probability density $p_{\text{model}}(x)$ needs its normalizing constant, a sum over every
# possible image; Boltzmann machines estimate it, and draw their samples, by running a Markov
# chain for many steps. The variational autoencoder (Kingma & Welling, late 2013) avoided the
# Markov chain with an approximate bound on the likelihood, but its image samples tended to
# be blurry.
#
# The generative adversarial network (Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley,
# Ozair, Courville & Bengio, "Generative Adversarial Nets", NIPS 2014, Université de
# Montréal) drops the density altogether. Document 004: "Eles foram introduzidos por Ian
# Goodfellow et al. em 2014." A generator network turns random noise into a sample, and a
# second network, the discriminator, is trained to tell its samples from real data; the
# generator learns from the discriminator's gradient. Document 001 §4 says why this mattered:
# "Esse tipo de abordagem permite o uso de backpropagation e métodos de regularização já
# definidos em uma Rede Neural Artificial, sem precisar fazer inferência ou usar cadeia de
# Markov." Everything in lessons 01 to 13 (layers, backpropagation, Adam) can be used as it
# is, and a sample costs one forward pass of $G$.
#
# The adversarial idea is older than the name. Document 004: "A ideia de inferir modelos em
# um ambiente competitivo (modelo versus discriminador) foi proposta por Li, Gauci e Gross em
# 2013" ("Turing learning"), and "A idéia de treinamento contraditório também pode ser
# encontrada em trabalhos anteriores, como Schmidhuber em 1992" (predictability minimization,
# where one network learns codes that another cannot predict).
#
# What came after is much of the rest of this course:
#
# | year | work | what it added | lesson |
# |---|---|---|---|
# | 2014 | Goodfellow et al., *Generative Adversarial Nets* | the game, $D^*$, Algorithm 1 | 14 |
# | 2014 | Mirza & Osindero, conditional GAN | a label given to both networks | 18 |
# | 2015 | Denton et al., LAPGAN | a pyramid of GANs, coarse to fine | 15 |
# | 2015–16 | Radford, Metz & Chintala, DCGAN | convolutional rules that train stably | 15 |
# | 2016 | Chintala et al., "ganhacks" | practical tips (documents 000 and 002 cite them) | 15 |
# | 2017 | Heusel et al., FID | a number for sample quality | 16 |
# | 2017 | Arjovsky, Chintala & Bottou, Wasserstein GAN | the Wasserstein distance in place of the JSD of section 3 | — |
# | 2018–19 | Karras et al., progressive GAN and StyleGAN | photographic faces at 1024x1024 | — |
#
# Document 004 lists the uses that made GANs famous: "Esta técnica pode gerar fotografias que
# parecem, pelo menos superficialmente, autênticas para os observadores humanos", images of
# clothes and furniture, video, 3-D models from images, sharper astronomical images, and
# image enlargement (super-resolution, the 2017 work it describes). Document 001 uses a DCGAN
# to make extra chest X-rays, "servindo como complementação dos dados (Data Augmentation)"
# (its Resumo; lesson 19). The price was known from the start. Document 000 §2.3.1 warns
# that "Otimizar G demais em relação a D pode acabar gerando overfitting onde G se aproveita
# das vulnerabilidades de D para gerar seus elementos de apenas um modo, tirando a variedade
# do resultado" (this is **mode collapse**, section 5), and document 001 §4.1 that "não há
# uma métrica bem definida para saber quando os modelos conseguiram convergir ou não"
# (lesson 16).
#
# *A slip in document 004.* Its first sentence calls GANs "redes geradoras de conflitos"
# ("conflict-generating networks"), a mistranslation of "generative adversarial networks";
# its own title has the right name, "Redes Adversariais Generativas". It also calls the
# generator "uma rede neural deconvolucional": the layer it means is the transposed
# convolution of lesson 09, which does not invert a convolution.

# %% [markdown]
# ## 2. The game
#
# $G(\xi; \theta_g)$ turns noise $\xi \sim p_\xi$ into a sample; $D(x; \theta_d) \in (0, 1)$
# is the probability that $x$ came from the data rather than from $G$. Document 001 §4.1
# (and document 000, eq. 2.1) define the game by one value function:
#
# $$
# \begin{aligned}
# \min_G \max_D V(D, G) = {} & \mathbb{E}_{x \sim p_{\text{data}}}\left[\log D(x)\right] \cr
#   & + \mathbb{E}_{\xi \sim p_\xi}\left[\log\left(1 - D(G(\xi))\right)\right]
# \end{aligned}
# \tag{001 §4.1a}
# \label{eq:14-value}
# $$
#
# $D$ wants $D(x) \to 1$ on data and $D(G(\xi)) \to 0$ on fakes; $G$ wants the opposite.
# Document 002 writes the same thing as a loss that the discriminator *minimizes*:
#
# $$
# \mathcal{L}_D = -\frac{1}{2}\,\mathbb{E}_x \log D(x) - \frac{1}{2}\,\mathbb{E}_z \log\left(1 - D(G(z))\right)
# \tag{002}
# \label{eq:14-LD}
# $$
#
# This is $-\tfrac{1}{2} V$: half the binary cross-entropy ("Entropia Cruzada Binária",
# document 001 §2.7.1) of a classifier with the labels real = 1, fake = 0, averaged over a
# real and a fake batch, $\mathcal{L}_D = \tfrac{1}{2}\,\text{BCE}(D(x), 1) + \tfrac{1}{2}\,\text{BCE}(D(G(z)), 0)$.
# The game is zero-sum:
#
# $$
# \mathcal{L}_D = -\mathcal{L}_G
# \tag{002 (1)}
# $$
#
# *Slips in document 001 §4.1–4.2* (notation, not ideas):
# - the value function's second expectation is printed $\mathbb{E}_{x \sim p_\xi(\xi)}$; it is
#   over the noise, $\mathbb{E}_{\xi \sim p_\xi}$, as in $\eqref{eq:14-value}$;
# - Algorithm 1, line 3 draws the noise "de uma distribuição $p_g(\xi)$": $p_g$ is the
#   *generator's* distribution over images; the noise comes from the prior $p_\xi(\xi)$
#   (Goodfellow et al. write $p_g(z)$ there too, a slip in the original paper as well);
# - line 5 says "Atualizar D com SGD" next to the gradient of $V$: $D$ must **ascend** that
#   gradient (it maximizes $V$), while $G$ descends its own (line 8). Equivalently $D$
#   *minimizes* $\mathcal{L}_D$, which is what every implementation (and ours) does;
# - Proposição 2 writes $\mathbb{E}_{x \sim p_g(\xi)}$, meaning $\mathbb{E}_{x \sim p_g}$.
#
# *A slip in document 002* ("Treinando GANs"): the training cycle is "Treina o $D(x)$ para que
# este consiga classificar samples", then "Treina $G(x)$ para que gere samples que enganem D".
# The generator's input is the noise, not a sample: it is $G(z)$, as in the slides' own
# $\eqref{eq:14-LD}$.
#
# *A slip in document 003 ch. 3* (Pereira n.d.): the text before Figura 27 says the generator
# receives "um vetor aleatório de valores presentes no conjunto de treinamento", and the
# figure labels its input "Vetor Aleatório gerado a partir do conjunto de teste". Neither is
# right: the noise comes from no data set at all. It is drawn from the prior $p_\xi$, in the
# document's own code `noise = np.random.normal(0, 1, (batch_size, latent_dim))`; the training
# set feeds only the discriminator (the real images), and the test set plays no part in
# training a GAN.

# %% [markdown]
# ## 3. The optimal discriminator $D^*$ (document 001 §4.2, Proposição 1)
#
# For a fixed $G$, write both expectations of $\eqref{eq:14-value}$ as integrals over $x$
# ($p_g$ is the distribution of $G(\xi)$):
#
# $$
# V(D, G) = \int \left[ p_{\text{data}}(x) \log D(x) + p_g(x) \log\left(1 - D(x)\right) \right] dx
# \tag{14.1}
# $$
#
# The integrand depends on $D$ only through the number $y = D(x)$, point by point, so $D$
# can maximize it separately at every $x$. Document 001 §4.2 gives the lemma: the function
# $y \mapsto a \log y + b \log(1 - y)$ is maximal at $y = a/(a + b)$. With
# $a = p_{\text{data}}(x)$ and $b = p_g(x)$:
#
# $$
# D^*_G(x) = \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)}
# \tag{001 §4.2}
# \label{eq:14-dstar}
# $$
#
# **The lemma, and when it holds.** Let $f(y) = a \log y + b \log(1 - y)$ on $(0, 1)$ with
# $a, b \ge 0$. Then
#
# $$
# f'(y) = \frac{a}{y} - \frac{b}{1 - y}, \qquad f''(y) = -\frac{a}{y^2} - \frac{b}{(1 - y)^2} < 0
# \tag{14.2}
# $$
#
# $f'$ is zero at $a(1 - y) = b y$, i.e. $y = a/(a + b)$, and $f'' < 0$ makes it a maximum,
# and the only one. The division needs $a + b > 0$: at $(a, b) = (0, 0)$ the function is
# identically 0 and every $y$ is a maximizer, so $a/(a + b) = 0/0$ names none. Goodfellow et
# al. (2014) state the lemma "for any $(a, b) \in \mathbb{R}^2 \setminus \{0, 0\}$"; document
# 001 §4.2 prints "Para qualquer $(a, b) \in \mathbb{R}^2$", dropping the exception. The lemma
# also needs $a, b \ge 0$, which densities are: with $a = -1, b = 1$ the function
# $-\log y + \log(1 - y)$ grows without bound as $y \to 0$. For $D^*$ this means: where
# $p_{\text{data}}(x) = p_g(x) = 0$, $D^*(x)$ is undefined, and it does not matter, because
# such $x$ carry no weight in $V$; $D^*$ is defined on the union of the two supports.
#
# *A name.* Document 001 §4.2 titles its Proposição 1 (the formula for $D^*$) "Ótimo Global".
# In Goodfellow et al. (2014) "Global Optimality of $p_g = p_{\text{data}}$" is the title of
# §4.1, whose result is **Theorem 1** (the minimum of $C(G)$ below is $-\log 4$, reached if
# and only if $p_g = p_{\text{data}}$); Proposition 1 there is only the step to $D^*$. The
# document states the theorem's conclusion in words ("podemos chegar em $p_g = p_{data}$"),
# but not the theorem.
#
# **Theorem 1, step by step.** Write $C(G) = \max_D V(D, G) = V(D^*_G, G)$.
#
# 1. Substitute $D^* = p_{\text{data}}/(p_{\text{data}} + p_g)$ and
#    $1 - D^* = p_g/(p_{\text{data}} + p_g)$ into (14.1):
#
# $$
# C(G) = \int p_{\text{data}} \log \frac{p_{\text{data}}}{p_{\text{data}} + p_g}\, dx
#      + \int p_g \log \frac{p_g}{p_{\text{data}} + p_g}\, dx
# \tag{14.3}
# $$
#
# 2. Make the mixture $m = (p_{\text{data}} + p_g)/2$ appear: $p_{\text{data}} + p_g = 2m$,
#    so $\log[p_{\text{data}}/(p_{\text{data}} + p_g)] = \log[p_{\text{data}}/m] - \log 2$, and
#    the same for $p_g$:
#
# $$
# \begin{aligned}
# C(G) = {} & \int p_{\text{data}} \log \frac{p_{\text{data}}}{m}\, dx + \int p_g \log \frac{p_g}{m}\, dx \cr
#   & - \log 2 \int p_{\text{data}}\, dx - \log 2 \int p_g\, dx
# \end{aligned}
# \tag{14.4}
# $$
#
# 3. Each density integrates to 1, so the last two terms are $-2 \log 2 = -\log 4$; the first
#    two are Kullback–Leibler divergences against the mixture:
#
# $$
# C(G) = -\log 4 + \mathrm{KL}(p_{\text{data}} \,\|\, m) + \mathrm{KL}(p_g \,\|\, m)
# \tag{14.5}
# $$
#
# 4. The Jensen–Shannon divergence is *defined* as
#    $\mathrm{JSD}(p \,\|\, q) = \tfrac{1}{2}\mathrm{KL}(p \,\|\, m) + \tfrac{1}{2}\mathrm{KL}(q \,\|\, m)$
#    with $m = (p + q)/2$. Hence
#
# $$
# C(G) = -\log 4 + 2 \cdot \mathrm{JSD}(p_{\text{data}} \,\|\, p_g)
# \tag{Goodfellow 2014}
# \label{eq:14-thm1}
# $$
#
# 5. $\mathrm{JSD} \ge 0$, with equality if and only if $p_{\text{data}} = p_g$ (each KL is
#    $\ge 0$ and is 0 only when its two arguments agree, so $p_{\text{data}} = m = p_g$). So
#    $C(G) \ge -\log 4$, and the minimum $-\log 4$ is reached exactly at $p_g = p_{\text{data}}$,
#    where $D^* \equiv \tfrac{1}{2}$ and $V = \log \tfrac{1}{2} + \log \tfrac{1}{2} = -\log 4$. ∎
#
# Everything in step 1 is inside the integral, pointwise: that is why $D^*$ could be found
# point by point with the lemma. First we check the lemma on a grid of $y$; the cell after
# the 1-D experiment below checks $\eqref{eq:14-thm1}$ by numerical integration.

# %%
ygrid = np.linspace(1e-4, 1 - 1e-4, 100001)
for a_, b_ in [(1.0, 1.0), (0.3, 1.2), (2.0, 0.5)]:
    best = ygrid[np.argmax(a_ * np.log(ygrid) + b_ * np.log(1 - ygrid))]
    print(
        f"a={a_}, b={b_}: argmax on the grid {best:.4f}, a/(a+b) = {a_ / (a_ + b_):.4f}"
    )
    assert abs(best - a_ / (a_ + b_)) < 1e-3

# %% [markdown]
# ### From-scratch building blocks: an MLP and Adam in NumPy
#
# A fully connected network $h_l = g(h_{l-1} W_l + b_l)$ with LeakyReLU (slope $\alpha$) in
# the hidden layers and a linear last layer, its hand-written backward pass (document 001
# §2.9, lesson 05), and Adam (document 001 §2.8, lesson 04). In minigan's row layout (one
# sample per row) the weight gradient of a layer is
#
# $$
# \frac{\partial C}{\partial W_l} = h_{l-1}^{\top} \delta_l, \qquad
# \frac{\partial C}{\partial b_l} = \sum_{\text{rows}} \delta_l, \qquad
# \delta_{l-1} = \left(\delta_l W_l^{\top}\right) \odot g'(z_{l-1})
# \tag{001 §2.9}
# $$
#
# $D$ outputs a **logit** $a$, and $D(x) = \sigma(a)$: the losses then take the stable "with
# logits" form (document 000 uses `sigmoid_cross_entropy_with_logits`), whose gradient with
# respect to the logit is $(\sigma(a) - y)/m$ for a batch of $m$.


# %%
def sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # = 1 / (1 + e^{−a}), without overflow


def mlp_init(sizes, rng):
    """[(W, b), ...] with W ~ N(0, 1/n_in) (document 001 §2.10, Xavier)."""
    return [
        [rng.standard_normal((n_in, n_out)) / np.sqrt(n_in), np.zeros(n_out)]
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    ]


def mlp_forward(params, x, alpha):
    """Returns the output and the cache of every layer's input and pre-activation."""
    cache = []
    h = x
    for i, (W, b) in enumerate(params):
        z = h @ W + b
        cache.append((h, z))
        last = i == len(params) - 1
        h = z if last else np.where(z > 0, z, alpha * z)  # linear / LeakyReLU
    return h, cache


def mlp_backward(params, cache, dout, alpha):
    """Gradient of Σ dout ⊙ output: returns (d input, [[dW, db], ...])."""
    grads = [None] * len(params)
    d = dout
    for i in reversed(range(len(params))):
        h, z = cache[i]
        if i < len(params) - 1:
            d = d * np.where(z > 0, 1.0, alpha)  # g'(z)
        grads[i] = [h.T @ d, d.sum(axis=0)]  # ∂C/∂W = hᵀ δ, ∂C/∂b = Σ δ
        d = d @ params[i][0].T  # δ for the layer below
    return d, grads


class ScratchAdam:
    """Adam with bias correction (document 001 §2.8), ε added after the square root."""

    def __init__(self, params, lr, beta1=0.5, beta2=0.999, eps=1e-8):
        self.params, self.lr, self.b1, self.b2 = params, lr, beta1, beta2
        self.eps, self.t = eps, 0
        self.m = [[np.zeros_like(p) for p in layer] for layer in params]
        self.v = [[np.zeros_like(p) for p in layer] for layer in params]

    def step(self, grads):
        self.t += 1
        for layer, glayer, mlayer, vlayer in zip(self.params, grads, self.m, self.v):
            for p, g, m, v in zip(layer, glayer, mlayer, vlayer):
                m *= self.b1
                m += (1 - self.b1) * g
                v *= self.b2
                v += (1 - self.b2) * g * g
                mhat = m / (1 - self.b1**self.t)
                vhat = v / (1 - self.b2**self.t)
                p -= self.lr * mhat / (np.sqrt(vhat) + self.eps)


def bce_logits_grad(a, y):
    """∂/∂a of the mean BCE(σ(a), y): (σ(a) − y) / m."""
    return (sigmoid(a) - y) / a.shape[0]


def add_grads(g1, g2):
    return [[p + q for p, q in zip(l1, l2)] for l1, l2 in zip(g1, g2)]


# gradient check of the scratch MLP backward
mlp = mlp_init([3, 5, 4, 2], rng)
xm, dm = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
dx, grads = mlp_backward(mlp, mlp_forward(mlp, xm, 0.2)[1], dm, 0.2)
f = lambda: np.sum(mlp_forward(mlp, xm, 0.2)[0] * dm)
errs = [gradcheck.rel_error(dx, gradcheck.numerical_gradient(f, xm))]
errs += [
    gradcheck.rel_error(g, gradcheck.numerical_gradient(f, p))
    for layer, glayer in zip(mlp, grads)
    for p, g in zip(layer, glayer)
]
print(f"scratch MLP backward vs finite differences: max relative error {max(errs):.1e}")
assert max(errs) < 1e-6

# %% [markdown]
# ### $D^*$ in one dimension
#
# Take $p_{\text{data}}$ a mixture of two Gaussians at $\pm 1.5$ (standard deviation 0.4) and
# $p_g$ a fixed wide Gaussian, $\mathcal{N}(0, 1.2^2)$ (think of an untrained generator). We
# train $D$ alone ($G$ fixed) by minimizing document 002's $\eqref{eq:14-LD}$, and compare the
# trained $D$ with $\eqref{eq:14-dstar}$ where the densities are not tiny.


# %%
def p_data_1d(x):
    g = lambda m, s: np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    return 0.5 * g(-1.5, 0.4) + 0.5 * g(1.5, 0.4)


def p_g_1d(x):
    return np.exp(-0.5 * (x / 1.2) ** 2) / (1.2 * np.sqrt(2 * np.pi))


def sample_data_1d(n, rng):
    return (rng.choice([-1.5, 1.5], size=n) + 0.4 * rng.standard_normal(n))[:, None]


Dnet = mlp_init([1, 32, 32, 1], rng)
optD = ScratchAdam(Dnet, lr=3e-3, beta1=0.9)
m = 256
for _it in range(1000 if FAST else 2500):
    x_real, x_fake = sample_data_1d(m, rng), 1.2 * rng.standard_normal((m, 1))
    a_r, c_r = mlp_forward(Dnet, x_real, 0.2)
    a_f, c_f = mlp_forward(Dnet, x_fake, 0.2)
    # L_D = ½ BCE(D(x), 1) + ½ BCE(D(G(z)), 0)   (document 002)
    _, g_r = mlp_backward(Dnet, c_r, 0.5 * bce_logits_grad(a_r, 1.0), 0.2)
    _, g_f = mlp_backward(Dnet, c_f, 0.5 * bce_logits_grad(a_f, 0.0), 0.2)
    optD.step(add_grads(g_r, g_f))

xs = np.linspace(-3.5, 3.5, 400)
D_star = p_data_1d(xs) / (p_data_1d(xs) + p_g_1d(xs))  # document 001 §4.2
D_learned = sigmoid(mlp_forward(Dnet, xs[:, None], 0.2)[0][:, 0])
support = (p_data_1d(xs) + p_g_1d(xs)) > 0.05
gap = np.abs(D_learned - D_star)[support].max()
print(f"learned D vs D* where the densities are not tiny: max |D − D*| = {gap:.3f}")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The optimal discriminator $D^*$ of document 001 §4.2 (blue) for two fixed 1-D densities (black), and a discriminator trained from scratch on samples of them (orange, dotted). Where the data density is higher than the generator's, $D^*$ is above one half.", "name": "fig-14-dstar"}}
fig, ax = plt.subplots(figsize=(8, 4.4))
ax.plot(xs, p_data_1d(xs), "k-", lw=1, label=r"$p_{\rm data}$")
ax.plot(xs, p_g_1d(xs), "k--", lw=1, label=t(r"$p_g$ (fixed)"))
ax.plot(xs, D_star, "C0", lw=2, label=r"$D^* = p_{\rm data}\,/\,(p_{\rm data} + p_g)$")
ax.plot(
    xs,
    D_learned,
    "C1",
    lw=2,
    ls=":",
    label=t("D trained (max gap {gap:.2f})", gap=gap),
)
ax.axhline(0.5, color="gray", lw=0.5)
ax.set_xlabel("x")
ax.set_title(t("The optimal discriminator and a trained one"))
ax.set_ylim(0, 1.2)
ax.legend(fontsize=10, loc="upper center", ncol=2)
fig.tight_layout()
save(fig, "14_dstar.png", dpi=100)

# %% [markdown]
# The trained curve should lie close to $D^*$ wherever there are samples; in the tails, where
# neither density puts any samples, nothing pins it down. Now $\eqref{eq:14-thm1}$: we
# compute $V(D^*, G)$ and the Jensen–Shannon divergence by numerical integration (the
# trapezoidal rule, written out: `np.trapezoid` is NumPy 2 only, and NumPy 2 removed
# `np.trapz`).


# %%
def trapezoid(y, x):
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


xf = np.linspace(-8, 8, 20001)
pd_, pg_ = p_data_1d(xf), p_g_1d(xf)
Ds = pd_ / (pd_ + pg_)
V_star = trapezoid(pd_ * np.log(Ds) + pg_ * np.log(1 - Ds), xf)
mix = 0.5 * (pd_ + pg_)
jsd = 0.5 * trapezoid(pd_ * np.log(pd_ / mix), xf)
jsd += 0.5 * trapezoid(pg_ * np.log(pg_ / mix), xf)
print(
    f"V(D*, G) = {V_star:.4f};  −log 4 + 2·JSD = {-np.log(4) + 2 * jsd:.4f};  "
    f"−log 4 = {-np.log(4):.4f}"
)
assert abs(V_star - (-np.log(4) + 2 * jsd)) < 1e-6

# %% [markdown]
# ## 4. Saturating versus non-saturating generator loss
#
# Write $a$ for $D$'s logit on a fake, $D(G(\xi)) = \sigma(a)$. Algorithm 1, line 8 has the
# generator **minimize** $\log(1 - D(G(\xi)))$, the "minimax" or *saturating* loss (document
# 002's $\mathcal{L}_G = -\mathcal{L}_D$ is the same thing). Its gradient with respect to the
# logit is
#
# $$
# \frac{\partial}{\partial a} \log\left(1 - \sigma(a)\right) = -\sigma(a) = -D(G(\xi))
# \tag{14.6}
# \label{eq:14-sat}
# $$
#
# Early in training the fakes are bad and $D$ rejects them confidently, $D(G(\xi)) \approx 0$,
# and then this gradient is $\approx 0$: $G$ learns nothing exactly when it most needs to.
# Document 002 describes the symptom: "Treinar GANs é muito desafiador, dado que é difícil
# para o gerador descobrir a "direção" em que seus updates devem ir para enganar o
# discriminador". Document 001 §4.1 gives the remedy: "É possível, e também mais indicado,
# treinar G maximizando $\log(D(G(\xi)))$", that is
#
# $$
# \max_{\theta_g}\ \mathbb{E}_{\xi \sim p_\xi} \log D(G(\xi))
# \quad\Longleftrightarrow\quad
# \min_{\theta_g}\ \mathbb{E}_{\xi \sim p_\xi}\, \text{BCE}\left(D(G(\xi)), 1\right)
# \tag{001 §4.1b}
# $$
#
# the fakes labelled "real", as in document 001 §6.2.2, document 000 §3.2.3 and document
# 003's combined model. This **non-saturating** loss has
#
# $$
# \frac{\partial}{\partial a} \left[-\log \sigma(a)\right] = \sigma(a) - 1 = -\left(1 - D(G(\xi))\right)
# \tag{14.7}
# \label{eq:14-nonsat}
# $$
#
# which is $\approx -1$ (strong) when $D(G(\xi)) \approx 0$ and fades only once $G$ fools $D$.
# Both losses push $G$ in the same direction and have the same fixed point; they differ in
# where their gradients are large. (Document 001 motivates the change by $D$ "learning too
# fast to reject"; the mechanism is this saturation.)
#
# In minigan: non-saturating $=$ `BCEWithLogitsLoss()(a, 1)`, saturating
# $=$ `−BCEWithLogitsLoss()(a, 0)` (backward with `grad=−1`). We check both against
# $\eqref{eq:14-sat}$ and $\eqref{eq:14-nonsat}$.

# %%
a = np.linspace(-8, 8, 401)[:, None]
Dg = sigmoid(a)[:, 0]
grad_sat = -Dg  # ∂/∂a log(1 − σ(a))
grad_ns = Dg - 1.0  # ∂/∂a −log σ(a)

loss = mg.BCEWithLogitsLoss()
loss(a, np.ones_like(a))
assert np.allclose(loss.backward()[:, 0] * a.shape[0], grad_ns)  # mean → × m
loss(a, np.zeros_like(a))
assert np.allclose(loss.backward(-1.0)[:, 0] * a.shape[0], grad_sat)
print("minigan BCEWithLogitsLoss gives both gradients:")
print("  non-saturating = BCE with target 1; saturating = −BCE with target 0")
print(
    "gradient check:",
    gradcheck.check_loss(
        mg.BCEWithLogitsLoss(), rng.standard_normal((4, 1)) * 3, np.ones((4, 1))
    ),
)

# %% [markdown]
# **Measured, not just drawn.** Take an untrained generator on the 2-D ring of section 5,
# train $D$ alone against it for a few hundred steps (a strong $D$, as early in real
# training), and measure the size of the gradient that reaches $G$'s weights under each loss.


# %%
def ring_batch(n, rng):
    return ring_of_gaussians(n, std=0.05, rng=rng).astype(np.float64)


Z_DIM, HIDDEN, ALPHA = 2, 64, 0.2
G0 = mlp_init([Z_DIM, HIDDEN, HIDDEN, 2], np.random.default_rng(1))
D0 = mlp_init([2, HIDDEN, HIDDEN, 1], np.random.default_rng(2))
optD0 = ScratchAdam(D0, lr=1e-3)
for _it in range(100 if FAST else 300):
    x_real = ring_batch(128, rng)
    fake, _ = mlp_forward(G0, rng.standard_normal((128, Z_DIM)), 0.0)
    a_r, c_r = mlp_forward(D0, x_real, ALPHA)
    a_f, c_f = mlp_forward(D0, fake, ALPHA)
    _, g_r = mlp_backward(D0, c_r, 0.5 * bce_logits_grad(a_r, 1.0), ALPHA)
    _, g_f = mlp_backward(D0, c_f, 0.5 * bce_logits_grad(a_f, 0.0), ALPHA)
    optD0.step(add_grads(g_r, g_f))

z = rng.standard_normal((1024, Z_DIM))
fake, c_g = mlp_forward(G0, z, 0.0)
a_f, c_f = mlp_forward(D0, fake, ALPHA)
mean_dgz = float(sigmoid(a_f).mean())
norms = {}
for name, da in [
    ("saturating", -sigmoid(a_f) / len(z)),
    ("non-saturating", (sigmoid(a_f) - 1) / len(z)),
]:
    dfake, _ = mlp_backward(D0, c_f, da, ALPHA)
    _, gG = mlp_backward(G0, c_g, dfake, 0.0)
    norms[name] = np.sqrt(sum(np.sum(g**2) for layer in gG for g in layer))
ratio = norms["non-saturating"] / norms["saturating"]
print(f"mean D(G(z)) after training D alone: {mean_dgz:.3f}")
print(
    f"‖∂L_G/∂θ_g‖: saturating {norms['saturating']:.2e}, "
    f"non-saturating {norms['non-saturating']:.2e} (ratio {ratio:.0f}x)"
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Size of the generator's gradient with respect to the discriminator's logit, for the saturating loss (14.6) and the non-saturating loss (14.7), against $D(G(\\xi))$. The dashed line is the mean $D(G(z))$ measured above: where a strong discriminator puts the fakes, only the non-saturating loss has a gradient.", "name": "fig-14-gradients"}}
fig, ax = plt.subplots(figsize=(8, 4.4))
ax.plot(
    Dg,
    np.abs(grad_sat),
    label=t(r"saturating: $|\partial \log(1 - D)/\partial a| = D$"),
)
ax.plot(
    Dg,
    np.abs(grad_ns),
    label=t(r"non-saturating: $|\partial(-\log D)/\partial a| = 1 - D$"),
)
ax.axvline(mean_dgz, color="gray", ls="--", lw=1)
ax.text(
    0.02,
    1.44,
    "\n".join(
        [
            t("mean D(G(z)) = {v:.3f} (dashed)", v=mean_dgz),
            t("gradient norm on θ_g:"),
            t("saturating {v:.1e}", v=norms["saturating"]),
            t("non-saturating {v:.1e}", v=norms["non-saturating"]),
        ]
    ),
    va="top",
    fontsize=10,
)
ax.set_ylim(-0.03, 1.5)
ax.set_xlabel(r"$D(G(\xi)) = \sigma(a)$")
ax.set_ylabel(t("|gradient w.r.t. the logit a|"))
ax.set_title(t("Generator loss gradients"))
ax.legend(fontsize=10, loc="upper right")
fig.tight_layout()
save(fig, "14_gradients.png", dpi=100)

# %% [markdown]
# The printed ratio is what the figure predicts: against a discriminator that rejects the
# fakes, the saturating loss hands $G$ a gradient many times smaller than the non-saturating
# one.
#
# ## 5. Algorithm 1 from scratch, on a ring of 8 Gaussians
#
# The data: 8 small Gaussians (standard deviation 0.05) evenly spaced on a circle of radius 2
# (`minigan.data.ring_of_gaussians`). A generator that covers them all must split its noise
# into 8 clusters; one that has **collapsed** puts its samples on one or two of them (or
# wanders between them). We measure, on 2 000 samples: *modes covered* (a mode counts if at
# least 1 % of the samples lie within 3 standard deviations of it) and *quality* (the share of
# samples within 3 standard deviations of some mode).
#
# The loop is document 001's Algorithm 1, line by line. Lines 1 and 2 open two loops: for
# each training iteration, and inside it for $k$ discriminator steps. Each discriminator step
# draws $m$ noise samples $\xi^{(1)}, \dots, \xi^{(m)}$ from the prior $p_\xi$ (line 3) and
# $m$ examples $x^{(1)}, \dots, x^{(m)}$ from $p_{\text{data}}$ (line 4), and updates
# $\theta_d$ by **ascending** the gradient (line 5)
#
# $$
# \nabla_{\theta_d} \frac{1}{m} \sum_{i=1}^{m} \left[\log D\left(x^{(i)}\right) + \log\left(1 - D\left(G\left(\xi^{(i)}\right)\right)\right)\right]
# \tag{001 §4.1c}
# $$
#
# Then, once per iteration, the generator step draws $m$ fresh noise samples (line 7) and
# updates $\theta_g$ by descending the gradient of its loss with $D$ fixed (line 8):
#
# $$
# \nabla_{\theta_g} \frac{1}{m} \sum_{i=1}^{m} \log\left(1 - D\left(G\left(\xi^{(i)}\right)\right)\right)
# \tag{001 §4.1d}
# $$
#
# Lines 6 and 9 close the two loops. We use the non-saturating loss of section 4 at line 8,
# and Adam (with $\beta_1 = 0.5$) instead of plain SGD at lines 5 and 8. G:
# $2 \to 64 \to 64 \to 2$ (ReLU); D: $2 \to 64 \to 64 \to 1$ (LeakyReLU 0.2).
#
# The experiment: a generator that learns **10 times faster** than the discriminator
# (learning rates $2 \cdot 10^{-3}$ for $G$, $2 \cdot 10^{-4}$ for $D$). With $k = 1$ the
# discriminator cannot keep up: $G$ chases whatever region $D$ currently likes, and its samples
# gather in one or two streaks that move around the ring. This is mode collapse, the failure
# document 000 §2.3.1 describes ("G se aproveita das vulnerabilidades de D"). The cure we test
# is Algorithm 1's own knob: $k = 5$ discriminator steps per generator step, so that $G$
# always faces a nearly optimal $D$ (section 3), whose gradient points toward *all* of the
# data.

# %%
MODES = ring_modes(8, 2.0)
STD = 0.05


def ring_metrics(samples):
    d = np.linalg.norm(samples[:, None, :] - MODES[None], axis=2)  # (n, 8)
    close = d.min(axis=1) < 3 * STD
    counts = np.bincount(d.argmin(axis=1)[close], minlength=8)
    return int((counts >= 0.01 * len(samples)).sum()), float(close.mean())


def train_ring_gan(k, lr_g, lr_d, steps, seed, batch=64, snapshots=()):
    """Algorithm 1 (document 001 §4.1) with minibatch Adam, from scratch."""
    r = np.random.default_rng(seed)
    G = mlp_init([Z_DIM, HIDDEN, HIDDEN, 2], r)
    D = mlp_init([2, HIDDEN, HIDDEN, 1], r)
    optG, optD = ScratchAdam(G, lr_g), ScratchAdam(D, lr_d)
    z_eval = np.random.default_rng(1000 + seed).standard_normal((2000, Z_DIM))
    snaps = {}
    for step in range(1, steps + 1):  # 1: for number of training iterations
        for _ in range(k):  # 2:   for k steps
            xi = r.standard_normal((batch, Z_DIM))  # 3: m noise samples ξ ~ p_ξ
            x = ring_batch(batch, r)  # 4: m examples x ~ p_data
            fake, _ = mlp_forward(G, xi, 0.0)  # (G is not updated here)
            a_r, c_r = mlp_forward(D, x, ALPHA)
            a_f, c_f = mlp_forward(D, fake, ALPHA)
            # 5: update D on L_D (= ascend V)
            _, g_r = mlp_backward(D, c_r, 0.5 * bce_logits_grad(a_r, 1.0), ALPHA)
            _, g_f = mlp_backward(D, c_f, 0.5 * bce_logits_grad(a_f, 0.0), ALPHA)
            optD.step(add_grads(g_r, g_f))
        xi = r.standard_normal((batch, Z_DIM))  # 7: m noise samples
        fake, c_g = mlp_forward(G, xi, 0.0)
        a_f, c_f = mlp_forward(D, fake, ALPHA)
        # 8: the non-saturating loss, through D (θ_d fixed)
        dfake, _ = mlp_backward(D, c_f, bce_logits_grad(a_f, 1.0), ALPHA)
        _, gG = mlp_backward(G, c_g, dfake, 0.0)
        optG.step(gG)
        if step in snapshots or step == steps:
            snaps[step] = mlp_forward(G, z_eval, 0.0)[0]
    return G, D, snaps


STEPS = 150 if FAST else 1500
SEEDS = [0] if FAST else [0, 1, 2]
SNAP_AT = [STEPS // 4, STEPS // 2, 3 * STEPS // 4, STEPS]
settings = {
    "k = 1, lr_G = 10·lr_D": dict(k=1, lr_g=2e-3, lr_d=2e-4),
    "k = 5, lr_G = 10·lr_D": dict(k=5, lr_g=2e-3, lr_d=2e-4),
}
ring_results = {}
print(f"{'setting':<22} {'seed':>4} {'modes':>6} {'quality':>8}  time")
for name, cfg in settings.items():
    for seed in SEEDS:
        t0 = time.perf_counter()
        G, D, snaps = train_ring_gan(steps=STEPS, seed=seed, snapshots=SNAP_AT, **cfg)
        covered, quality = ring_metrics(snaps[STEPS])
        ring_results[(name, seed)] = dict(snaps=snaps, covered=covered, quality=quality)
        print(
            f"{name:<22} {seed:>4} {covered:>4}/8 {quality:>8.0%}  "
            f"{time.perf_counter() - t0:.1f} s"
        )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The from-scratch Algorithm 1 on the ring of 8 Gaussians (gray: data; colour: 2 000 samples of G), seed 0, at four points of training. Top: the generator 10 times faster than the discriminator with $k = 1$. Bottom: the same with $k = 5$ discriminator steps per generator step.", "name": "fig-14-ring-scratch"}}
data_pts = ring_batch(2000, np.random.default_rng(5))
fig, axes = plt.subplots(2, 4, figsize=(11, 6.2))
for row, name in enumerate(settings):
    snaps = ring_results[(name, 0)]["snaps"]
    for col, st in enumerate(SNAP_AT):
        ax = axes[row, col]
        ax.scatter(data_pts[:, 0], data_pts[:, 1], s=1, c="lightgray")
        ax.scatter(snaps[st][:, 0], snaps[st][:, 1], s=1, c=("C3", "C2")[row])
        cov, q = ring_metrics(snaps[st])
        ax.set_title(
            t("step {st}: {cov}/8 modes, {q:.0%}", st=st, cov=cov, q=q), fontsize=10
        )
        ax.set_xlim(-3, 3)
        ax.set_ylim(-3, 3)
        ax.set_aspect("equal")
    axes[row, 0].set_ylabel(("k = 1", "k = 5")[row], fontsize=11)
fig.tight_layout()
save(fig, "14_ring_scratch.png", dpi=90)

# %% [markdown]
# Read the table and the figure together. What to look for: with $k = 1$ the samples bunch
# into streaks that cover few modes and drift from one snapshot to the next; with $k = 5$ the
# same networks and learning rates spread over the ring and settle on the modes. In the full
# run (1 500 steps, seeds 0 to 2) the $k = 1$ rows covered 0 to 2 of the 8 modes and the
# $k = 5$ rows 7 or 8. GAN training is noisy: the exact counts depend on the seed, on the
# number of steps, and even on the order of floating-point sums in your BLAS.
#
# **Is the comparison fair?** $k = 5$ gives $D$ five times as many updates per iteration.
# Give the collapsing setting as many discriminator updates (5 times the iterations, and so
# also 5 times the generator updates) and see whether it is only a matter of compute.

# %%
_, _, snaps_long = train_ring_gan(steps=5 * STEPS, seed=0, k=1, lr_g=2e-3, lr_d=2e-4)
long_cov, long_q = ring_metrics(snaps_long[5 * STEPS])
print(
    f"k = 1, 5x the iterations (as many D updates as k = 5), seed 0: "
    f"{long_cov}/8 modes, {long_q:.0%}"
)

# %% [markdown]
# In the full run this long $k = 1$ run had recovered all 8 modes. So here the collapse is a
# *phase* that the over-eager generator falls into and only slowly climbs out of, while
# $k = 5$ keeps it from happening at all at the same number of generator updates. In larger
# GANs the collapsed phase can last the whole training budget, which is why it matters.
#
# ## 6. The gradient that reaches G, checked
#
# The generator's gradient flows *through* the frozen discriminator. With $x = G(\xi)$, the
# chain rule gives
#
# $$
# \frac{\partial \mathcal{L}_G}{\partial \theta_g}
#   = \left(\frac{\partial G(\xi)}{\partial \theta_g}\right)^{\top}
#     \frac{\partial \mathcal{L}_G}{\partial x}\bigg|_{x = G(\xi)}
# \tag{14.8}
# $$
#
# that is, $G$'s backward pass applied to $D$'s backward pass with respect to its **input**
# (`mlp_backward(D, ...)` returns it first). A finite-difference check on all of $G$'s
# weights, with $D$ fixed, confirms the chain.

# %%
Gc = mlp_init([Z_DIM, 6, 2], rng)
Dc = mlp_init([2, 5, 1], rng)
# Non-zero biases: with all-zero ones, a sample whose ReLUs are all off gives G(z) = 0
# and sits D on its kink, where finite differences are wrong.
for layer in Gc + Dc:
    layer[1][...] = 0.1 * rng.standard_normal(layer[1].shape)
zc = rng.standard_normal((7, Z_DIM))


def L_G():
    a_, _ = mlp_forward(Dc, mlp_forward(Gc, zc, 0.0)[0], ALPHA)
    return float(np.mean(np.logaddexp(0.0, -a_)))  # −log σ(a), stable


fake_c, c_gc = mlp_forward(Gc, zc, 0.0)
a_c, c_dc = mlp_forward(Dc, fake_c, ALPHA)
dfake_c, _ = mlp_backward(Dc, c_dc, bce_logits_grad(a_c, 1.0), ALPHA)
_, gGc = mlp_backward(Gc, c_gc, dfake_c, 0.0)
errs = [
    gradcheck.rel_error(g, gradcheck.numerical_gradient(L_G, p))
    for layer, gl in zip(Gc, gGc)
    for p, g in zip(layer, gl)
]
print(
    "∂L_G/∂θ_g through the frozen D vs finite differences: "
    f"max relative error {max(errs):.1e}"
)
assert max(errs) < 1e-6

# %% [markdown]
# ## 7. This is now `minigan.gan.GAN`
#
# The same networks built from minigan layers (`Dense` stores $W$ as (out, in), PyTorch's
# layout, the transpose of our scratch (in, out)), and
# `GAN(G, D, latent_dim, g_opt, d_opt, k=...)` runs Algorithm 1: `train_step(real)` does $k$
# discriminator steps (with a callable `real`, a fresh batch for each) and one generator
# step, with document 002's $\mathcal{L}_D$ and the non-saturating loss by default
# (`g_loss="minimax"` for the saturating one, `real_label=0.9` for document 000's one-sided
# label smoothing). First we check that a minigan `Sequential` with the scratch weights
# computes the same $D$ and the same input gradient; then we rerun the $k = 1$ and $k = 5$ settings
# with `minigan.gan.GAN`.


# %%
def to_minigan(params, hidden_act):
    layers = []
    for i, (W, b) in enumerate(params):
        d = mg.Dense(W.shape[0], W.shape[1], dtype=np.float64)
        d.params["W"].data[...] = W.T
        d.params["b"].data[...] = b
        layers.append(d)
        if i < len(params) - 1:
            layers.append(hidden_act())
    return mg.Sequential(*layers)


Dm = to_minigan(Dc, lambda: mg.LeakyReLU(ALPHA))
xq = rng.standard_normal((7, 2))
a_s, c_s = mlp_forward(Dc, xq, ALPHA)
dq = rng.standard_normal((7, 1))
dx_s, _ = mlp_backward(Dc, c_s, dq, ALPHA)
a_m = Dm(xq)
dx_m = Dm.backward(dq)
print(
    f"scratch D vs minigan Sequential: |Δ logits| {np.abs(a_s - a_m).max():.1e}, "
    f"|Δ dx| {np.abs(dx_s - dx_m).max():.1e}"
)
assert np.allclose(a_s, a_m) and np.allclose(dx_s, dx_m)


def minigan_ring_gan(k, lr_g, lr_d, steps, seed, batch=64):
    mg.manual_seed(seed)
    G = mg.Sequential(
        mg.Dense(Z_DIM, HIDDEN),
        mg.ReLU(),
        mg.Dense(HIDDEN, HIDDEN),
        mg.ReLU(),
        mg.Dense(HIDDEN, 2),
    )
    D = mg.Sequential(
        mg.Dense(2, HIDDEN),
        mg.LeakyReLU(ALPHA),
        mg.Dense(HIDDEN, HIDDEN),
        mg.LeakyReLU(ALPHA),
        mg.Dense(HIDDEN, 1),
    )
    gan = GAN(
        G,
        D,
        latent_dim=Z_DIM,
        k=k,
        seed=seed,
        g_opt=mg.Adam(G.parameters(), lr=lr_g, beta1=0.5),
        d_opt=mg.Adam(D.parameters(), lr=lr_d, beta1=0.5),
    )
    r = np.random.default_rng(seed)
    real = lambda: ring_of_gaussians(batch, std=STD, rng=r)  # a fresh batch per D step
    for _ in range(steps):
        gan.train_step(real)
    return gan


minigan_results = {}
for name, cfg in settings.items():
    t0 = time.perf_counter()
    gan = minigan_ring_gan(steps=STEPS, seed=0, **cfg)
    samples = mg.as_numpy(gan.sample(2000)).astype(np.float64)
    covered, quality = ring_metrics(samples)
    minigan_results[name] = dict(
        samples=samples, covered=covered, quality=quality, history=gan.history
    )
    print(
        f"minigan.gan.GAN, {name}: {covered}/8 modes covered, "
        f"quality {quality:.0%} ({time.perf_counter() - t0:.1f} s)"
    )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The same two settings trained with minigan.gan.GAN (seed 0). Top: the final samples (gray: data). Bottom: the mean of $D(x)$ on the real batch and of $D(G(z))$ on the fake batch at every step; at the optimum of the game both would be one half.", "name": "fig-14-ring-minigan"}}
fig, axes = plt.subplots(2, 2, figsize=(9, 8))
for col, name in enumerate(settings):
    res = minigan_results[name]
    ax = axes[0, col]
    ax.scatter(data_pts[:, 0], data_pts[:, 1], s=1, c="lightgray")
    ax.scatter(res["samples"][:, 0], res["samples"][:, 1], s=1, c=("C3", "C2")[col])
    ax.set_xlim(-3, 3)
    ax.set_ylim(-3, 3)
    ax.set_aspect("equal")
    ax.set_title(
        t(
            "{k}, step {n}: {cov}/8 modes, {q:.0%}",
            k=("k = 1", "k = 5")[col],
            n=STEPS,
            cov=res["covered"],
            q=res["quality"],
        ),
        fontsize=11,
    )
    ax = axes[1, col]
    ax.plot(res["history"]["d_x"], lw=0.6, label=t("mean D(x)"))
    ax.plot(res["history"]["d_g_z"], lw=0.6, label=t("mean D(G(z))"))
    ax.axhline(0.5, color="gray", lw=0.5)
    ax.set_ylim(0, 1)
    ax.set_xlabel(t("generator step"))
    ax.set_title(("k = 1", "k = 5")[col], fontsize=11)
    ax.legend(fontsize=10)
fig.tight_layout()
save(fig, "14_ring_minigan.png", dpi=90)

# %% [markdown]
# The minigan runs use their own random draws (minigan's noise generator, float32), so their
# numbers differ from the scratch runs of the same seed; what to look for is the same pattern.
# The bottom row shows the game from $D$'s side. In the full run, with $k = 1$ both means
# swing as $G$ jumps from one region to another and $D$ catches up; with $k = 5$, $D$ stays
# slightly ahead ($D(x)$ a little above one half, $D(G(z))$ a little below) and the curves
# are calm.
#
# ## What to take away
#
# - The game $\eqref{eq:14-value}$ has a closed-form best reply for $D$,
#   $\eqref{eq:14-dstar}$, and at that reply the generator minimizes a Jensen–Shannon
#   divergence, $\eqref{eq:14-thm1}$. A trained $D$ approaches $D^*$ where there are samples.
# - The generator's loss as written in the game saturates when $D$ wins; the non-saturating
#   loss keeps a gradient there. minigan uses it by default.
# - Balance matters. With the generator 10 times faster than the discriminator and $k = 1$,
#   the ring collapses; with $k = 5$ the same networks cover it. Other cures to try: balance
#   the learning rates, a bigger minibatch, one-sided label smoothing (exercises).
# - Algorithm 1 is a few lines of NumPy on top of lessons 01–05, and `minigan.gan.GAN` is
#   that loop. Lesson 15 puts convolutions into both networks (DCGAN); lesson 17 compares
#   Algorithm 1 with the loops the documents actually run.
#
# ## Exercises
#
# 1. Run the collapsing setting with `g_loss="minimax"` in `minigan.gan.GAN`. What happens to
#    $D(G(z))$ in the history, and why (section 4)?
# 2. Set both learning rates to $10^{-3}$ with $k = 1$. Does the GAN still collapse?
# 3. Document 000 labels real images 0.9 instead of 1 (one-sided label smoothing,
#    `GAN(..., real_label=0.9)`). Derive the optimal discriminator for that loss with the
#    lemma of section 3. Does it cure the collapsing setting here?
# 4. Replace the fixed $p_g$ of section 3 by $p_{\text{data}}$ itself. What does the trained
#    $D$ output? What is $V(D^*, G)$?
# 5. Let $p_g = \mathcal{N}(0, s^2)$ in section 3 and compute $V(D^*, G)$ by numerical
#    integration for $s$ from 0.3 to 3. Plot it: where is it smallest, and why is it never
#    $-\log 4$?
# 6. Count how many gradient evaluations of $D$ one iteration of Algorithm 1 costs with
#    $k = 5$. Is $k = 5$ a fair comparison with $k = 1$ at the same number of *iterations*?
#    Repeat the experiment at equal compute.

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
# | `14.optimal_discriminator` | the optimal discriminator D* | document 001 §4.2 | 1 |
# | `14.gan_d_step` | Algorithm 1's discriminator step on a tiny GAN | document 001 §4.1 | 2 |
# | `14.gan_g_step` | Algorithm 1's generator step, non-saturating, on a tiny GAN | document 001 §4.1 | 2 |
# | `14.smoothed_d_loss` | the discriminator's loss with one-sided label smoothing | document 000 §3.2.3 | 1 |
#
# 6 points in all. The same stubs come as a plain file, to write in your editor and grade
# from a terminal (`minigan-exercises list` shows every lesson's exercises):
#
# ```bash
# minigan-exercises new ex/ --lesson 14   # writes ex/lesson14_gans.py
# minigan-exercises grade ex/ -k 14       # PASS, FAIL, TODO or ERROR, and the points
# ```

# %%
import numpy as np
from minigan.exercises import check


# %%
def optimal_discriminator(p_data, p_g):
    """The optimal discriminator for a fixed generator.

    Document 001 §4.2, Proposição 1: for G fixed, V(D, G) is maximal at
        D*(x) = p_data(x) / (p_data(x) + p_g(x))

    Parameters
    ----------
    p_data, p_g : arrays of one shape, the two densities at some points x (positive)

    Returns
    -------
    D* : array of that shape, values in (0, 1)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("14.optimal_discriminator", optimal_discriminator)


# %%
def gan_d_step(Wd, bd, Wg, bg, x_real, z, lr, real_label=1.0):
    """One discriminator step of Algorithm 1 on the tiny model, plain gradient descent.

    Document 001 §4.1, Algorithm 1 (lines 3–5); D's loss as document 002 writes it, with
    BCE(ℓ, y) = mean[max(ℓ, 0) − ℓ·y + log(1 + e^(−|ℓ|))] on logits ℓ (lesson 03):
        fake = G(z) = z W_gᵀ + b_g                 (G is not updated here)
        L_D = ½ BCE(D_logit(x_real), real_label) + ½ BCE(D_logit(fake), 0)
        ∂L_D/∂ℓ = ½ (σ(ℓ) − target) / N    for each of the two batches of N logits
        θ_d ← θ_d − η ∂L_D/∂θ_d,   θ_d = (W_d, b_d)

    Parameters
    ----------
    Wd : (1, d);  bd : (1,);  Wg : (d, k);  bg : (d,)
    x_real : (N, d) real samples;  z : (N, k) noise;  lr : float η
    real_label : float, the real samples' target (1.0, or 0.9 with label smoothing)

    Returns
    -------
    (Wd_new, bd_new, L_D) : arrays (1, d), (1,) and the loss (a float, before the step)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("14.gan_d_step", gan_d_step)


# %%
def gan_g_step(Wd, bd, Wg, bg, z, lr):
    """One generator step of Algorithm 1 on the tiny model, non-saturating loss.

    Document 001 §4.1: instead of minimizing E log(1 − D(G(z))) (Algorithm 1, line 8),
    which saturates while D rejects the fakes, maximize E log D(G(z)) ("possível, e
    também mais indicado"), i.e. minimize BCE with the fakes labelled real:
        fake = z W_gᵀ + b_g,   ℓ = fake W_dᵀ + b_d
        L_G = BCE(ℓ, 1) = mean[log(1 + e^(−ℓ))]         (D is fixed)
        ∂L_G/∂ℓ = (σ(ℓ) − 1) / N,   ∂L_G/∂fake = ∂L_G/∂ℓ · W_d
        θ_g ← θ_g − η ∂L_G/∂θ_g,   θ_g = (W_g, b_g)

    Parameters
    ----------
    Wd : (1, d);  bd : (1,);  Wg : (d, k);  bg : (d,);  z : (N, k);  lr : float η

    Returns
    -------
    (Wg_new, bg_new, L_G) : arrays (d, k), (d,) and the loss (a float, before the step)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("14.gan_g_step", gan_g_step)


# %%
def smoothed_d_loss(logits_real, logits_fake, smooth=0.9):
    """The discriminator's loss with one-sided label smoothing, and its gradients.

    Document 000 §3.2.3 labels the real images 0.9 (tf.ones_like(logits) * 0.9) and
    keeps the fakes' target at 0: only the real side is smoothed. With BCE on logits
    (lesson 03):
        L_D = ½ BCE(logits_real, smooth) + ½ BCE(logits_fake, 0)
        ∂L_D/∂ℓ_real = ½ (σ(ℓ_real) − smooth) / N_real
        ∂L_D/∂ℓ_fake = ½ σ(ℓ_fake) / N_fake

    Parameters
    ----------
    logits_real : (N_real, 1);  logits_fake : (N_fake, 1)
    smooth : float, the real samples' target

    Returns
    -------
    (L_D, d_real, d_fake) : a float and arrays of the logits' shapes
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("14.smoothed_d_loss", smoothed_d_loss)

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
# # Lesson 16: Evaluating GANs: fidelity, diversity, FID and document 001's cross-table
#
# **Objective.** A GAN's losses do not say whether its samples are good (document 001
# §6.4: "O gráfico do Loss não nos dá informações tão precisas para dizer se o gerador
# conseguiu aprender com eficiência a gerar a distribuição real"). This lesson first
# separates the two properties that good samples need, **fidelity** and **diversity**, and
# measures each with minigan's own metrics. It then defines the Fréchet distance (FID)
# between feature distributions, implements it from scratch (including the *matrix* square
# root) and checks it against closed forms and `minigan.metrics`. It measures FID's
# **small-sample bias**, and shows that at the sample sizes of document 001 a generator with
# too little variety can score *below* two sets of real images. Finally it redoes, on
# MNIST, the experiment of document 001 §6.4.1: one GAN per class, and the FID table of
# real × fake sets within and across classes.
#
# **Sources.**
# - Document 001 (Marques 2021) §5 "Métricas de Avaliação" (fidelity and diversity), §5.1
#   "Extração de Características" (the features are a trained network's last hidden
#   layer), §5.2 "Inception-v3", §5.3 "Fréchet Inception Score (FID)" (the formula
#   $\eqref{eq:16-fid}$ below);
# - document 001 §6.4.1 "Distância FID": two DCGANs (NORMAL and PNEUMONIA X-rays), 100
#   iterations of 100 real against 100 generated images, the pairs RN×RP, RN×FN, RN×FP,
#   RP×FN, RP×FP, FN×FP, a boxplot (Figura 45) and a table of mean, standard deviation and
#   quantiles. Lesson 19 reads that table.
#
# *A slip in document 001.* The title of §5.3 says "Fréchet Inception **Score**"; the
# metric is the Fréchet Inception **Distance** (the D of FID; the *Inception Score* is a
# different metric). Lower is better, and it is 0 for two identical Gaussians. *A gap:*
# §6.4.1 leaves out the pairs of a set with itself: "É de se esperar que conjuntos
# comparados entre si mesmo apresentem um valor próximo de zero, por isso foram excluídos
# da análise". For two independent draws of 100 images of the *same* distribution that
# expectation is too optimistic: their FID is clearly positive at that size (section 4
# measures it), and it is the value the rest of the table must be read against.

# %%
import time

import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import metrics
from minigan.data import load_mnist
from minigan.gan import GAN
from minigan.models import mnist_dense_gan
from minigan.viz import grid_array

from _course import (
    FAST,
    save,
    t,
)  # lessons/_course.py: fast mode, figures saved (and shown in a notebook)

plt.rcParams.update({"font.size": 11, "axes.titlesize": 11, "legend.fontsize": 10})
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Fidelity and diversity (document 001 §5)
#
# Document 001 §5 names the two things a generator's images must have:
#
# > - **Fidelidade:** qualidade das imagens geradas;
# > - **Diversidade:** variação das imagens geradas.
#
# *Fidelity* is whether each sample, on its own, looks like a real image. *Diversity* is
# whether the samples, together, vary as much as the real data do: for digits, whether
# every digit is drawn, in its different styles, about as often as in the data (this is
# also called *coverage*). The document explains why a generator needs both: "É possível
# gerar imagens fieis à distribuição original, mas se o modelo gera apenas a mesma imagem,
# ou um número limitado e pequeno de imagens, não temos um gerador de fato. O mesmo se
# aplica à diversidade, um gerador que cria imagens diversas, mas de baixa qualidade, não
# terá utilidade." The first failure is *mode collapse* (lesson 14); the second is a
# generator whose samples are varied but blurred or noisy.
#
# For digits, minigan measures the two separately with a small classifier that minigan
# trained on its bundled MNIST digits (`minigan.metrics.load_classifier`; it was trained
# to say "no digit" on noise). `minigan.metrics.sample_quality(images)` returns, among
# other numbers:
#
# - `confident_share`: the share of samples that the classifier assigns to some digit with
#   probability at least 0.9. It measures **fidelity**: crisp digits score high, noise and
#   smudges score low.
# - `histogram`: how many samples the classifier reads as each digit, and `mode_count`:
#   the number of digits with at least one *confident* sample. They measure **coverage**:
#   the data have each digit about 10 % of the time, and a collapsed generator shows a few
#   tall bars and a small `mode_count`.
#
# Two sample sets with opposite failures make the difference visible. "One class copied"
# is 500 images made of only 5 real sevens, each repeated 100 times: perfect fidelity, no
# diversity. "Noisy digits" is 500 real digits of every class with Gaussian noise of
# standard deviation 0.5 added to the pixels (values in $[-1, 1]$): every class is there,
# but many images are hard to read. A third set of 500 other real digits is the reference.

# %%
clf = metrics.load_classifier()
X_all, y_all = load_mnist()  # the 5,000 bundled digits, 500 per class, in [-1, 1]
g_fd = np.random.default_rng(16)  # this section's own random numbers
perm = g_fd.permutation(len(X_all))
N_FD = 500
ref_idx, real2_idx, pool = perm[:N_FD], perm[N_FD : 2 * N_FD], perm[2 * N_FD :]
sevens = pool[y_all[pool] == 7][:5]
noisy_src = X_all[pool[:N_FD]]
sets = {
    "real digits": X_all[real2_idx],
    "one class copied": np.repeat(X_all[sevens], N_FD // 5, axis=0),
    "noisy digits": np.clip(
        noisy_src + g_fd.normal(0, 0.5, noisy_src.shape).astype(np.float32), -1, 1
    ),
}
quality = {name: metrics.sample_quality(imgs, clf) for name, imgs in sets.items()}
print("confident share, digits covered, and how many samples are read as each digit:")
print(
    f"{'set (500 images)':<17} {'conf.':>5} {'digits':>6} "
    + "".join(f"{d:4d}" for d in range(10))
)
for name, q in quality.items():
    hist = "".join(f"{v:4d}" for v in q["histogram"])
    print(f"{name:<17} {q['confident_share']:5.2f} {q['mode_count']:3d}/10 {hist}")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Fidelity and diversity seen separately. Top: 24 samples of each set. Bottom: how many of the 500 samples the classifier reads as each digit (light) and how many it reads with at least 90 % confidence (dark). The copied sevens are all confident but cover one digit; the noisy digits cover every digit but few are confident.", "name": "fig-16-fidelity-diversity"}}
SET_TITLES = {
    "real digits": t("real digits"),
    "one class copied": t("one class copied"),
    "noisy digits": t("noisy digits"),
}
fig, axes = plt.subplots(2, 3, figsize=(11, 7.4), height_ratios=[1.25, 1])
for col, (name, imgs) in enumerate(sets.items()):
    show = imgs[g_fd.permutation(len(imgs))[:24]]
    axes[0, col].imshow(grid_array(show, nrow=6), cmap="gray")
    axes[0, col].set_title(SET_TITLES[name])
    axes[0, col].axis("off")
    q = quality[name]
    axes[1, col].bar(
        range(10), q["histogram"], color="tab:blue", alpha=0.35, label=t("all")
    )
    axes[1, col].bar(
        range(10), q["confident_histogram"], color="tab:blue", label=t("≥ 90 %")
    )
    axes[1, col].set_xticks(range(10))
    axes[1, col].set_xlabel(t("digit read by the classifier"))
    axes[1, col].set_title(
        t(
            "confident {share:.0%}, digits covered: {modes}",
            share=q["confident_share"],
            modes=q["mode_count"],
        )
    )
axes[1, 0].set_ylabel(t("samples"))
axes[1, 0].legend()
fig.tight_layout()
save(fig, "16_fidelity_diversity.png", dpi=100)

# %% [markdown]
# The printed table and the figure separate the two failures at once: the copied sevens
# have the highest confident share and cover a single digit; the noisy digits cover
# (almost) every digit and have a low confident share. Section 3 computes one FID for each
# set, and that single number mixes the two properties.
#
# ## 2. FID from scratch (document 001 §5.3)
#
# Model each feature set as a Gaussian, $\mathcal{N}(\mu_X, \Sigma_X)$ and
# $\mathcal{N}(\mu_Y, \Sigma_Y)$, with the means and covariances of the features of the two
# image sets. FID is the (squared) Fréchet, or 2-Wasserstein, distance between them:
#
# $$
# \text{FID} = \lVert \mu_X - \mu_Y \rVert^2
# + \operatorname{Tr}\left(\Sigma_X + \Sigma_Y - 2\sqrt{\Sigma_X \Sigma_Y}\right)
# \tag{001 §5.3}
# \label{eq:16-fid}
# $$
#
# The first term compares the means, the second the spreads. The only delicate part is
# $\operatorname{Tr}\sqrt{\Sigma_X \Sigma_Y}$: $\sqrt{\cdot}$ is the **matrix** square root
# (a matrix $S$ with $S S = \Sigma_X \Sigma_Y$), not the element-wise one. The product of
# two covariance matrices is not symmetric, but its eigenvalues $\lambda_i$ are real and
# non-negative (it is similar to the positive semi-definite matrix
# $\Sigma_X^{1/2} \Sigma_Y \Sigma_X^{1/2}$), and the trace of a square root is the sum of
# the square roots of the eigenvalues. So, from scratch:
#
# $$
# \operatorname{Tr}\sqrt{\Sigma_X \Sigma_Y} = \sum_i \sqrt{\lambda_i(\Sigma_X \Sigma_Y)}
# \tag{16.1}
# $$
#
# Two closed forms check the code. In one dimension,
# $\text{FID} = (\mu_1 - \mu_2)^2 + (\sigma_1 - \sigma_2)^2$; for diagonal covariances it is
# $\lVert \mu_1 - \mu_2 \rVert^2 + \sum_i (\sigma_{1i} - \sigma_{2i})^2$. The cell also
# shows how far off an element-wise square root would be.


# %%
def fid_scratch(mu1, s1, mu2, s2):
    """Document 001 §5.3: ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2 √(Σ1 Σ2)), √ the matrix root."""
    lam = np.linalg.eigvals(s1 @ s2)  # eigenvalues of the (non-symmetric) product
    tr_sqrt = np.sqrt(np.clip(lam.real, 0.0, None)).sum()  # real, ≥ 0 up to round-off
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2.0 * tr_sqrt)


# 1-D closed form
one_d = fid_scratch(
    np.array([1.0]), np.array([[4.0]]), np.array([-0.5]), np.array([[0.25]])
)
print("1-D:", one_d, "= (1 + 0.5)² + (2 − 0.5)² =", 1.5**2 + 1.5**2)
assert abs(one_d - 4.5) < 1e-12
# diagonal covariances
sd1, sd2 = rng.uniform(0.5, 2, 5), rng.uniform(0.5, 2, 5)
m1, m2 = rng.standard_normal(5), rng.standard_normal(5)
closed = np.sum((m1 - m2) ** 2) + np.sum((sd1 - sd2) ** 2)
assert abs(fid_scratch(m1, np.diag(sd1**2), m2, np.diag(sd2**2)) - closed) < 1e-10
# full covariances, against minigan; and the element-wise square root would be wrong:
A = rng.standard_normal((6, 6))
B = rng.standard_normal((6, 6))
S1, S2 = A @ A.T + 0.1 * np.eye(6), B @ B.T + 0.1 * np.eye(6)
mu_a, mu_b = m1[:1].repeat(6), m2[:1].repeat(6)
ours = fid_scratch(mu_a, S1, mu_b, S2)
theirs = metrics.frechet_distance(mu_a, S1, mu_b, S2)
wrong = np.trace(S1) + np.trace(S2) - 2 * np.trace(np.sqrt(np.abs(S1 @ S2)))
right = fid_scratch(np.zeros(6), S1, np.zeros(6), S2)
print(
    f"full covariances: scratch {ours:.4f}, "
    f"minigan.metrics.frechet_distance {theirs:.4f};\n"
    f"trace term with an element-wise √: {wrong:.4f} instead of {right:.4f}"
)
assert abs(ours - theirs) < 1e-8

# %% [markdown]
# ## 3. Features: what the distance is measured on (§5.1–5.2)
#
# Document 001 §5.1–5.2 takes the 2,048-dimensional last hidden layer of Inception-v3, a
# network trained on ImageNet photographs. For MNIST digits we use the classifier of
# section 1: its 128 penultimate ReLU activations are our features
# (`metrics.classifier_features`). So our FIDs are not comparable with published Inception
# FIDs (nor with the document's), only with each other. `minigan.metrics.fid` is the whole
# recipe: the features' statistics, then the Fréchet distance. The cell checks our
# `fid_scratch` against it on 200 real threes and 200 real eights.

# %%
F_all = metrics.classifier_features(clf, X_all)  # (5000, 128)
print(
    "features:",
    F_all.shape,
    "| classifier held-out accuracy (its metadata):",
    clf.meta.get("heldout_accuracy"),
)


def stats(F):
    return F.mean(axis=0), np.cov(F, rowvar=False)


a_idx = np.flatnonzero(y_all == 3)[:200]
b_idx = np.flatnonzero(y_all == 8)[:200]
ours = fid_scratch(*stats(F_all[a_idx]), *stats(F_all[b_idx]))
theirs = metrics.fid(X_all[a_idx], X_all[b_idx], model=clf)
print(
    f"FID(200 real 3s, 200 real 8s): scratch {ours:.4f}, "
    f"minigan.metrics.fid {theirs:.4f}"
)
assert abs(ours - theirs) < 1e-6 * max(1.0, abs(theirs))

# %% [markdown]
# **One number for two properties.** Now the FID of each of section 1's sets against the
# 500 reference digits (500 images on each side, 128 features):

# %%
F_ref = F_all[ref_idx]


def fid_terms(F1, F2):
    """FID of two feature sets, and its two parts: the mean term and the trace term."""
    (mu1, s1), (mu2, s2) = stats(F1), stats(F2)
    total = fid_scratch(mu1, s1, mu2, s2)
    mean_term = float(np.sum((mu1 - mu2) ** 2))
    return total, mean_term, total - mean_term


print(
    f"{'FID against the reference':<26} {'FID':>7} {'mean term':>10} {'trace term':>11}"
)
for name, imgs in sets.items():
    total, mean_term, trace_term = fid_terms(
        F_ref, metrics.classifier_features(clf, imgs)
    )
    print(f"{name:<26} {total:7.1f} {mean_term:10.1f} {trace_term:11.1f}")

# %% [markdown]
# Both failed sets get a FID far above the real set's, and FID ranks one of them above
# the other without saying why. The two parts of $\eqref{eq:16-fid}$ say a little more:
# the mean term compares where the features lie on average, the trace term how they spread.
# But neither part is "fidelity" or "diversity": a set of five copied sevens moves the mean
# *and* shrinks the spread, and noise moves the mean *and* changes the spread. FID is a good
# single summary, because a generator must have both properties to reach a low value; to
# know *what* is wrong, look at fidelity and coverage separately, as section 1 does.

# %% [markdown]
# ## 4. The small-sample bias
#
# FID is *estimated* from $N$ images per set: $\eqref{eq:16-fid}$ is applied to the sample
# means $\hat\mu$ and sample covariances $\hat\Sigma$ instead of the true ones,
#
# $$
# \widehat{\text{FID}} = \lVert \hat\mu_X - \hat\mu_Y \rVert^2
# + \operatorname{Tr}\hat\Sigma_X + \operatorname{Tr}\hat\Sigma_Y
# - 2 \operatorname{Tr}\sqrt{\hat\Sigma_X \hat\Sigma_Y}
# \tag{16.2}
# \label{eq:16-fid-hat}
# $$
#
# and the noise in these estimates does not average out. First, on real digits: two
# disjoint samples of the **same** class (the true FID is 0) and a sample of 0s against a
# sample of 1s, for several $N$, each averaged over a few draws.

# %%
Ns = [25, 50, 100, 200] if FAST else [25, 50, 100, 200, 250]
REPS = 3 if FAST else 20
zeros, ones_ = np.flatnonzero(y_all == 0), np.flatnonzero(y_all == 1)
bias = {"0 vs 0 (same class; true FID = 0)": [], "0 vs 1": []}
for N in Ns:
    same, cross = [], []
    for _ in range(REPS):
        p = rng.permutation(zeros)
        same.append(fid_scratch(*stats(F_all[p[:N]]), *stats(F_all[p[N : 2 * N]])))
        cross.append(
            fid_scratch(
                *stats(F_all[p[:N]]),
                *stats(F_all[rng.choice(ones_, N, replace=False)]),
            )
        )
    bias["0 vs 0 (same class; true FID = 0)"].append(np.mean(same))
    bias["0 vs 1"].append(np.mean(cross))
    print(
        f"N = {N:>3}: FID(0, 0') = {np.mean(same):7.2f}   "
        f"FID(0, 1) = {np.mean(cross):7.2f}"
    )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Mean FID of real digits against real digits, in the classifier's 128 features, against the number $N$ of images per set (log scale). Two samples of the same class (true FID 0) give a clearly positive value that falls as $N$ grows; 0s against 1s stay far above.", "name": "fig-16-bias-digits"}}
BIAS_LABELS = {
    "0 vs 0 (same class; true FID = 0)": t("0 vs 0 (same class; true FID = 0)"),
    "0 vs 1": t("0 vs 1"),
}
fig, ax = plt.subplots(figsize=(6.4, 4.2))
for label, vals in bias.items():
    ax.plot(Ns, vals, "o-", label=BIAS_LABELS[label])
ax.set_xlabel(t("N images per set"))
ax.set_ylabel(t("mean FID (classifier features)"))
ax.set_title(t("FID of real digits against real digits"))
ax.set_yscale("log")
ax.legend()
fig.tight_layout()
save(fig, "16_bias_digits.png", dpi=100)

# %% [markdown]
# Two samples of the same class do not give 0; the value falls roughly like $1/N$ in
# this range. This positive value at a given $N$ is the **floor**: the score a perfect
# generator, whose images are drawn from the same distribution as the real ones, would get
# on average. It is tempting to read it as a lower bound for every generator, and to read
# the distance between a generator's FID and the floor as "what the generator still has to
# learn". That reading is wrong, and the reason is worth understanding.
#
# **Where the bias comes from.** Take the terms of $\eqref{eq:16-fid-hat}$ one by one, for
# two independent samples of $N$ feature vectors in $D$ dimensions.
#
# - The mean term is biased upward by the noise of both means, each in proportion to its
#   own set's variance:
#
#   $$
#   \mathbb{E}\,\lVert \hat\mu_X - \hat\mu_Y \rVert^2 = \lVert \mu_X - \mu_Y \rVert^2
#   + \frac{\operatorname{Tr}\Sigma_X + \operatorname{Tr}\Sigma_Y}{N}
#   \tag{16.3}
#   $$
#
# - $\operatorname{Tr}\hat\Sigma$ is unbiased (NumPy's `np.cov` divides by $N - 1$).
# - The cross term is where most of the bias sits. $\hat\Sigma$ is unbiased entry by entry,
#   but its eigenvalues are not: with $X_c$ the $N \times D$ matrix of centred feature
#   vectors, $\hat\Sigma = X_c^{\top} X_c / (N - 1)$ has rank at most $N - 1$ (the $N$
#   centred rows sum to zero), so when $N \le D$ at least $D - N + 1$ of its eigenvalues
#   are exactly 0, and the others are too large. Each estimate puts all its variance in its
#   own random subspace of at most $N - 1$ dimensions, and the square root of the product
#   only sees where the two overlap. The noise therefore makes
#   $\operatorname{Tr}\sqrt{\hat\Sigma_X \hat\Sigma_Y}$ too small on average (it is a
#   concave function of each estimate, so by Jensen's inequality its expectation is never
#   above the true value), and the factor $-2$ turns that into a FID that is too large.
#
# How large the cross-term bias can be depends on the sizes of the two covariances. The
# sum of the singular values of a product is at most the product of the two Frobenius
# norms, so
# $0 \le \operatorname{Tr}\sqrt{\hat\Sigma_X \hat\Sigma_Y} \le \sqrt{\operatorname{Tr}\hat\Sigma_X \operatorname{Tr}\hat\Sigma_Y}$,
# and
#
# $$
# \left(\sqrt{\operatorname{Tr}\hat\Sigma_X} - \sqrt{\operatorname{Tr}\hat\Sigma_Y}\right)^2
# \;\le\; \widehat{\text{FID}} - \lVert \hat\mu_X - \hat\mu_Y \rVert^2
# \;\le\; \operatorname{Tr}\hat\Sigma_X + \operatorname{Tr}\hat\Sigma_Y
# \tag{16.4}
# \label{eq:16-bounds}
# $$
#
# Two sets that both vary as much as the real data can lose almost all of their cross
# term when their subspaces barely overlap ($N \ll D$), and then the estimate approaches
# $2 \operatorname{Tr}\Sigma$ even though the true FID is 0. A generator whose features
# vary *less* than the real ones has a small $\operatorname{Tr}\hat\Sigma_Y$: by
# $\eqref{eq:16-bounds}$ its estimate can never be much above
# $\operatorname{Tr}\hat\Sigma_X$, whatever its subspace. It adds less noise, and so it
# receives a smaller bias.
#
# **A generator below the floor.** Synthetic Gaussian features make this exact. Take
# $D = 2{,}048$ features (Inception-v3's, document 001's setting) with the same variance in
# every direction and $\operatorname{Tr}\Sigma = 1$ (a scale that does not matter: FID is
# proportional to it). "Real" features are drawn from $\mathcal{N}(0, \Sigma)$; a perfect
# generator draws from the same distribution, so real against real is the floor. A
# *low-variance generator* draws from $\mathcal{N}(0, 0.05\,\Sigma)$: the right mean, far
# too little variety. Because $0.05\,\Sigma$ and $\Sigma$ commute, its true FID is
#
# $$
# \begin{aligned}
# \text{FID}\big(\mathcal{N}(0, \Sigma), \mathcal{N}(0, 0.05\,\Sigma)\big)
# &= \operatorname{Tr}\left(\Sigma + 0.05\,\Sigma - 2\sqrt{0.05}\,\Sigma\right)\cr
# &= \left(1 - \sqrt{0.05}\right)^2 \operatorname{Tr}\Sigma
# \approx 0.603 \operatorname{Tr}\Sigma
# \end{aligned}
# \tag{16.5}
# $$
#
# With $N \le D$ a $D \times D$ covariance is wasteful, and there is an exact shortcut.
# Write $A = X_c / \sqrt{N - 1}$ and $B = Y_c / \sqrt{N - 1}$ ($N \times D$ each), so that
# $\hat\Sigma_X = A^{\top} A$ and $\hat\Sigma_Y = B^{\top} B$. The non-zero eigenvalues of
# $\hat\Sigma_X \hat\Sigma_Y = A^{\top} (A B^{\top} B)$ are those of
# $(A B^{\top} B) A^{\top} = (A B^{\top})(A B^{\top})^{\top}$, so
#
# $$
# \operatorname{Tr}\sqrt{\hat\Sigma_X \hat\Sigma_Y} = \sum_i s_i\!\left(A B^{\top}\right)
# \tag{16.6}
# $$
#
# where $s_i(A B^{\top})$ are the singular values of the $N \times N$ matrix $A B^{\top}$.
# The cell checks this shortcut against `fid_scratch`, then computes both FIDs at several
# $N$, for $D = 2{,}048$ and, for comparison, for $D = 128$ (our classifier's features),
# where $N$ can go far beyond $D$ cheaply. Each value is a mean over a few draws (the
# spread between draws is small at these sizes).


# %%
def fid_samples(X, Y):
    """FID of two samples (rows = feature vectors). For N ≤ D through the N × N matrix
    A Bᵀ (exact, cheap); for N > D through the D × D covariances (fid_scratch)."""
    if len(X) > X.shape[1]:
        return fid_scratch(*stats(X), *stats(Y))
    A = (X - X.mean(0)) / np.sqrt(len(X) - 1)
    B = (Y - Y.mean(0)) / np.sqrt(len(Y) - 1)
    tr_sqrt = np.linalg.svd(A @ B.T, compute_uv=False).sum()
    mean_term = np.sum((X.mean(0) - Y.mean(0)) ** 2)
    return float(mean_term + np.sum(A * A) + np.sum(B * B) - 2 * tr_sqrt)


g_syn = np.random.default_rng(2048)  # this section's own random numbers
Xs, Ys = g_syn.standard_normal((30, 40)), g_syn.standard_normal((30, 40)) * 1.5 + 0.3
# (the D × D route loses a few digits to the zero eigenvalues: rank 29 in 40 dimensions)
fid_check = fid_scratch(*stats(Xs), *stats(Ys))
assert abs(fid_samples(Xs, Ys) - fid_check) < 1e-6 * fid_check

LOW = 0.05  # the low-variance generator: covariance 0.05 Σ
TRUE_LOW = (1 - np.sqrt(LOW)) ** 2  # its true FID, for Tr Σ = 1
SWEEP = {  # D: the sample sizes N
    2048: [25, 50, 100, 200] if FAST else [25, 50, 100, 200, 400, 800],
    128: [25, 50, 100, 200, 400, 800]
    if FAST
    else [25, 50, 100, 200, 400, 800, 1600, 6400],
}
SYN_REPS = 1 if FAST else 3
syn = {}  # (D, N) -> (real vs real, real vs low-variance generator)
t0 = time.perf_counter()
for D, sizes in SWEEP.items():
    sd = np.sqrt(1.0 / D)  # Σ = I / D: the same variance in every direction, Tr Σ = 1
    for N in sizes:
        rr, rl = [], []
        for _ in range(SYN_REPS):
            real = g_syn.standard_normal((N, D)) * sd
            real2 = g_syn.standard_normal((N, D)) * sd
            low = g_syn.standard_normal((N, D)) * sd * np.sqrt(LOW)
            rr.append(fid_samples(real, real2))
            rl.append(fid_samples(real, low))
        syn[D, N] = (float(np.mean(rr)), float(np.mean(rl)))
print(f"({time.perf_counter() - t0:.1f} s)  Tr Σ = 1; true FIDs: 0 and {TRUE_LOW:.3f}")
print(f"{'D':>5} {'N':>5} {'real vs real (floor)':>21} {'real vs low-variance':>21}")
for (D, N), (rr, rl) in syn.items():
    mark = "   <- below the floor" if rl < rr else ""
    print(f"{D:>5} {N:>5} {rr:>21.3f} {rl:>21.3f}{mark}")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Estimated FID of synthetic Gaussian features against the number $N$ of samples per set, for $D = 2048$ features (left, document 001's setting) and $D = 128$ (right), with $\\operatorname{Tr}\\Sigma = 1$. Solid: a perfect generator (real against real, true FID 0); dashed: a generator with covariance $0.05\\,\\Sigma$ (true FID 0.603, dotted line). While $N$ is below about $D/2$ the worse generator gets the lower FID.", "name": "fig-16-bias-synthetic"}}
fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.2), sharey=True)
for ax, D in zip(axes, SWEEP):
    sizes = SWEEP[D]
    ax.plot(
        sizes,
        [syn[D, n][0] for n in sizes],
        "o-",
        label=t("real vs real (floor)"),
    )
    ax.plot(
        sizes,
        [syn[D, n][1] for n in sizes],
        "s--",
        label=t("real vs low-variance G"),
    )
    ax.axhline(
        TRUE_LOW, color="k", ls=":", lw=1, label=t("true FID of the low-variance G")
    )
    ax.axvline(D, color="gray", lw=0.8)
    ax.text(D, 1.95, "N = D ", color="gray", va="top", ha="right")
    ax.set_xscale("log")
    ax.set_xlim(20, max(sizes[-1], D) * 1.5)
    ax.set_ylim(0, 2.05)
    ax.set_xlabel(t("N samples per set"))
    ax.set_title(t("D = {D} features", D=D))
axes[0].set_ylabel(t("estimated FID (Tr Σ = 1)"))
axes[0].legend(loc="lower left")
fig.tight_layout()
save(fig, "16_bias_synthetic.png", dpi=100)

# %% [markdown]
# Read the printed table and the figure together. In document 001's setting, $N = 100$
# samples in $D = 2{,}048$ features, real against real gives about 1.65 (in units of
# $\operatorname{Tr}\Sigma$), while the low-variance generator gives about 0.98: **below
# the floor**, although its true FID is 0.60 and the perfect generator's is 0. The ranking
# of the two generators is upside down. The estimate is not wrong about the low-variance
# generator being imperfect (0.98 is above its true 0.60: the bias is upward for every
# generator); it is wrong about the floor being a floor. As $N$ grows, both curves move
# towards their true values, and once $N$ is a few times $D$ (right panel) the perfect
# generator is clearly ahead; for these features the floor then falls roughly like
# $D / (2N)$ times $\operatorname{Tr}\Sigma$.
#
# What FID's small-sample bias implies, in practice:
#
# 1. **Compare FIDs only at the same $N$ and the same feature network** (the same
#    dimension $D$): the bias depends on both, so a FID from 100 images and one from
#    10,000 images, or from two different feature networks, cannot be compared.
# 2. **Report the real-against-real value at that $N$ beside the FIDs**, with the spread
#    over draws. It is what a perfect generator would score on average; it is *not* a
#    lower bound for other generators.
# 3. **Use many more samples than features**, $N \gg D$: with $N = 10 D$ the floor above
#    is about 0.05 of $\operatorname{Tr}\Sigma$. For Inception's 2,048 features that means
#    tens of thousands of images, which is why FIDs are usually computed from 10,000 to
#    50,000.
# 4. **A FID below the floor is not "better than real".** It means that the generated
#    features vary less than the real ones (too little diversity, section 1) or that the
#    estimate is noisy. Check the samples' diversity separately.
#
# ## 5. Two GANs, one per class (document 001 §6.4)
#
# Document 001 trains one DCGAN on NORMAL and one on PNEUMONIA X-rays. We train one GAN on
# the 0s and one on the 1s of the bundled digits (their 400-per-class training split),
# with minigan's dense GAN of document 003 (`minigan.models.mnist_dense_gan`), at learning
# rate $10^{-3}$ for a few hundred steps. This is rough, to keep the lesson to about a
# minute; `python examples/mnist_gan.py` trains properly. For each GAN the cell prints
# section 1's two numbers on 200 samples: the share the classifier reads as the GAN's
# digit, and the confident share.

# %%
X_tr, y_tr = load_mnist(split="train")
GAN_STEPS = 20 if FAST else 600
gans = {}
for c in (0, 1):
    mg.manual_seed(c)
    G, D = mnist_dense_gan(latent_dim=64)
    gan = GAN(G, D, latent_dim=64, lr=1e-3, beta1=0.5, seed=c)
    t0 = time.perf_counter()
    gan.fit(X_tr[y_tr == c], GAN_STEPS, batch_size=64)
    gans[c] = gan
    q = metrics.sample_quality(gan.sample(200), clf)
    print(
        f"GAN on digit {c}: {GAN_STEPS} steps ({time.perf_counter() - t0:.0f} s); "
        f"the classifier reads {q['histogram'][c] / 2:.0f}% of 200 samples as a {c};\n"
        f"  {q['confident_share']:.0%} of the 200 are read (as any digit) with >= 90% "
        "confidence"
    )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Samples of the two GANs, F0 (trained on the 0s) and F1 (trained on the 1s), beside real 0s and 1s (the sets R0 and R1).", "name": "fig-16-gan-samples"}}
fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
for ax, c in zip(axes, (0, 1)):
    ax.imshow(grid_array(gans[c].sample(40), nrow=10), cmap="gray")
    ax.set_title(t("F{c}: GAN trained on the {c}s ({n} steps)", c=c, n=GAN_STEPS))
    ax.axis("off")
real01 = np.concatenate([X_all[y_all == 0][:20], X_all[y_all == 1][:20]])
axes[2].imshow(grid_array(real01, nrow=10), cmap="gray")
axes[2].set_title(t("R0 and R1: real digits"))
axes[2].axis("off")
fig.tight_layout()
save(fig, "16_gan_samples.png", dpi=100)

# %% [markdown]
# ## 6. The cross-table (document 001 §6.4.1)
#
# The four sets, as in document 001 (R = real, F = fake): **R0** and **R1** (all 500 real
# digits of the class; note that 400 of them trained the GAN: the document used its *test*
# base for the real side, which would leave us only 100 per class), and **F0** and **F1**
# (1,000 samples of each GAN). As in the document, each of `ITER` iterations draws 100
# images from each set and computes the FID of every pair. We add the two pairs the
# document left out, a real set against an independent draw of *itself* (R0×R0' and
# R1×R1'): the floor of section 4 at this $N$. Note that $N = 100$ is below our $D = 128$
# features, the regime where section 4's warnings apply.

# %%
ITER = 10 if FAST else 100
N_SET = 100
pools = {
    "R0": F_all[y_all == 0],
    "R1": F_all[y_all == 1],
    "F0": metrics.classifier_features(clf, gans[0].sample(1000)),
    "F1": metrics.classifier_features(clf, gans[1].sample(1000)),
}
pairs = [
    ("R0", "R1"),
    ("R0", "F0"),
    ("R0", "F1"),
    ("R1", "F0"),
    ("R1", "F1"),
    ("F0", "F1"),
    ("R0", "R0"),
    ("R1", "R1"),
]
table = {f"{a}x{b}" + ("'" if a == b else ""): [] for a, b in pairs}
t0 = time.perf_counter()
for _it in range(ITER):
    for (a, b), key in zip(pairs, table):
        if a == b:  # two disjoint draws of the same real set
            p = rng.permutation(len(pools[a]))
            fa, fb = pools[a][p[:N_SET]], pools[a][p[N_SET : 2 * N_SET]]
        else:
            fa = pools[a][rng.choice(len(pools[a]), N_SET, replace=False)]
            fb = pools[b][rng.choice(len(pools[b]), N_SET, replace=False)]
        table[key].append(fid_scratch(*stats(fa), *stats(fb)))
print(f"{ITER} iterations x {len(pairs)} pairs in {time.perf_counter() - t0:.1f} s")
print(
    f"{'pair':<8} {'mean':>8} {'std':>7} {'min':>8} {'25%':>8} {'50%':>8} {'75%':>8}"
    f" {'max':>8}"
)
for key, vals in table.items():
    v = np.array(vals)
    q1, q2, q3 = np.percentile(v, [25, 50, 75])
    print(
        f"{key:<8} {v.mean():8.2f} {v.std(ddof=1):7.2f} {v.min():8.2f} {q1:8.2f} "
        f"{q2:8.2f} {q3:8.2f} {v.max():8.2f}"
    )

mean = {k: float(np.mean(v)) for k, v in table.items()}
within = max(mean["R0xF0"], mean["R1xF1"])
across = min(mean["R0xF1"], mean["R1xF0"], mean["R0xR1"])
floor0, floor1 = mean["R0xR0'"], mean["R1xR1'"]
print(
    f"\nwithin-class real×fake (largest of R0xF0, R1xF1): {within:.2f};\n"
    f"across classes (smallest): {across:.2f}"
)
print(
    "the document's hypothesis, same-class pairs closer than cross-class pairs:\n ",
    "holds here" if within < across else "does NOT hold here",
)
print(
    f"real vs real, same class, N = {N_SET}: "
    f"R0xR0' {floor0:.2f}, R1xR1' {floor1:.2f};\n"
    f"R0xF0 is {mean['R0xF0'] / floor0:.1f}x R0xR0', "
    f"R1xF1 is {mean['R1xF1'] / floor1:.1f}x R1xR1'"
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Document 001 §6.4.1's cross-table redone on the digits 0 and 1 (like its Figura 45): the FIDs of 100 against 100 images over all the draws, on a log scale. Blue: the same class; red: different classes; gray: a real set against another draw of itself.", "name": "fig-16-cross-table"}}
fig, ax = plt.subplots(figsize=(10, 4.6))
keys = list(table)
colors = [
    "tab:red"
    if (k[1] != k[4] and "'" not in k)
    else ("tab:gray" if "'" in k else "tab:blue")
    for k in keys
]
bp = ax.boxplot([table[k] for k in keys], patch_artist=True)
for patch, c in zip(bp["boxes"], colors):
    patch.set_facecolor(c)
    patch.set_alpha(0.5)
ax.set_xticks(range(1, len(keys) + 1))
ax.set_xticklabels(keys)
ax.set_ylabel(t("FID, {n} vs {n} images", n=N_SET))
ax.set_yscale("log")
ax.set_title(t("the cross-table on the digits 0 and 1 ({n} draws)", n=ITER))
fig.tight_layout()
save(fig, "16_fid_cross_table.png", dpi=100)

# %% [markdown]
# ## 7. Reading the table
#
# - Same-class pairs (R0×F0, R1×F1) should sit well below the cross-class pairs (R0×R1,
#   R0×F1, R1×F0, F0×F1). This is document 001's hypothesis, and the printed line says
#   whether it holds here.
# - Compare R0×F0 with R0×R0'. A perfect generator would score R0×R0' on average, not 0.
#   But, as section 4 showed, R0×R0' is not a lower bound for a generator: one whose
#   samples vary less than the real digits receives a smaller small-sample bias, and can
#   come close to R0×R0', or go below it, while still being far from the real
#   distribution. So the gap between R0×F0 and R0×R0' is not simply "what the GAN has
#   still to learn": it mixes what the GAN gets wrong with how much its samples vary, and
#   here $N = 100$ is below $D = 128$. Read it together with section 5's printed numbers
#   (fidelity) and a look at the samples (diversity), or compute the table with many more
#   images per set (exercise 6).
# - The spread of each box comes from the 100-image draws. Two GANs whose boxes overlap
#   cannot be ranked from this experiment.
# - Document 001's values (2 to 8) come from another feature network (Inception-v3) on
#   other images. FID values are only comparable within one table, with the same feature
#   network and the same $N$ (section 4).
# - *A claim too strong.* Document 001 §7 "Conclusão" says: "Como demonstrado utilizando a
#   métrica FID, a distribuição $p_g$ convergiu para a distribuição $p_{data}$". A FID
#   cannot demonstrate that. It compares only the mean and covariance of the features (two
#   distributions with the same first two moments have FID 0 and can still differ). It is
#   estimated from finite samples, so it never reaches 0 even for $p_g = p_{data}$ (the
#   R0×R0' pair above), and at small $N$ it can even favour a generator with too little
#   variety (section 4). And a small FID says that the two distributions are *close in
#   that feature space*, not equal. What a table like this can support is "the generated
#   images are, in the feature network's features, about as close to the real ones as
#   another draw of real images would be", and only with enough images per set, with the
#   real-against-real value beside it, and with diversity checked separately. (§4.2's
#   Proposição 2 is where $p_g \to p_{data}$ comes from; it assumes an optimal $D$ at every
#   step and updates in the space of distributions, not of network weights.) The next
#   sentence of §7 says, rightly: "Apesar disso, ainda é difícil concluir o grau de
#   precisão dessa aproximação".
#
# ## Exercises
#
# 1. Redo the bias measurement of section 4 on real digits with $N$ up to 1,000 (use
#    digits of all classes for both sets). How does the floor scale? Fit $a + b/N$.
# 2. Train the two GANs for 5 times the steps. Which entries of the table move, and which
#    stay put?
# 3. Replace the classifier features by raw pixels (784 dimensions). What happens at
#    $N = 100$, and why (the rank of the covariance)?
# 4. A generator that outputs the same perfect "1" every time (take one real 1 and repeat
#    it): compute R1×F for it at $N = 100$ and at $N = 400$. Which part of the formula
#    penalises it, the mean term or the trace term? Compare with R1×R1' at the same $N$.
# 5. Document 001 computes FID on 100-image draws with 2,048 Inception features. What is
#    the largest possible rank of its covariance matrices, and what does that say about its
#    table?
# 6. Compute section 6's table with $N = 250$ images per set (two disjoint draws of 250
#    are all that the 500 real digits of a class allow). Do R0×F0 and R0×R0' move by the
#    same factor? Does the ordering survive?
# 7. In the synthetic experiment of section 4, replace the low-variance generator
#    ($0.05\,\Sigma$) by one with *more* variance than the data ($2\,\Sigma$). Is its
#    estimate above or below the floor at $N = 100$, $D = 2{,}048$? Explain with
#    $\eqref{eq:16-bounds}$.

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
# | `16.matrix_sqrt_psd` | the square root of a symmetric PSD matrix | document 001 §5.3 | 1 |
# | `16.fid_from_features` | the Fréchet distance (FID) between two sets of features | document 001 §5.3 | 2 |
#
# 3 points in all. The same stubs come as a plain file, to write in your editor and grade
# from a terminal (`minigan-exercises list` shows every lesson's exercises):
#
# ```bash
# minigan-exercises new ex/ --lesson 16   # writes ex/lesson16_evaluating_gans.py
# minigan-exercises grade ex/ -k 16       # PASS, FAIL, TODO or ERROR, and the points
# ```

# %%
import numpy as np
from minigan.exercises import check


# %%
def matrix_sqrt_psd(A):
    """The square root of a symmetric positive semi-definite matrix.

    Document 001 §5.3 needs the MATRIX square root √M (the S with S S = M, not the
    elementwise √). For a symmetric PSD A = V diag(λ) Vᵀ (np.linalg.eigh):
        √A = V diag(√λ) Vᵀ
    Round-off can make a zero eigenvalue slightly negative (−1e−15): clip λ at 0 first.

    Parameters
    ----------
    A : (d, d) float64, symmetric positive semi-definite

    Returns
    -------
    S : (d, d), symmetric, S S = A
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("16.matrix_sqrt_psd", matrix_sqrt_psd)


# %%
def fid_from_features(feats_a, feats_b):
    """The Fréchet distance between Gaussians fitted to two sets of features (FID).

    Document 001 §5.3, with μ, Σ the mean and the (unbiased, np.cov) covariance of each
    set:
        FID = ‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 √(Σ_a Σ_b))
    √(Σ_a Σ_b) is a matrix square root. Σ_a Σ_b is not symmetric, but it has the
    eigenvalues of the symmetric PSD M = √Σ_a Σ_b √Σ_a, so Tr √(Σ_a Σ_b) = Σᵢ √λᵢ(M)
    (use matrix_sqrt_psd's idea twice), or scipy.linalg.sqrtm(Σ_a Σ_b).real.

    Parameters
    ----------
    feats_a : (N_a, d) float64;  feats_b : (N_b, d), N_a, N_b ≥ 2

    Returns
    -------
    float ≥ 0
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("16.fid_from_features", fid_from_features)

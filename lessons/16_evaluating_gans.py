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
# # Lesson 16 — Evaluating GANs: FID and document 001's cross-table
#
# **Objective.** A GAN's losses do not say whether its samples are good (document 001 §6.4:
# "O gráfico do Loss não nos dá informações tão precisas…"). Learn the Fréchet distance (FID)
# between feature distributions, implement it from scratch (including the *matrix* square root)
# and check it against closed forms and `minigan.metrics`, measure its **small-sample bias**,
# and then redo, on MNIST, the experiment of document 001 §6.4.1: one GAN per class, and the
# FID table of real × fake sets within and across classes.
#
# Sources:
# - document 001 (Marques 2021) §5.1 "Extração de Características" (features = a trained network's last hidden
#   layer), §5.2 "Inception-v3", §5.3 "Fréchet Inception Score (FID)":
#   `FID = ‖μ_X − μ_Y‖² + Tr(Σ_X + Σ_Y − 2 √(Σ_X Σ_Y))`;
# - document 001 §6.4.1 "Distância FID": two DCGANs (NORMAL and PNEUMONIA X-rays), 100 iterations
#   of 100 real vs 100 generated images, the pairs RN×RP, RN×FN, RN×FP, RP×FN, RP×FP, FN×FP, a
#   boxplot (Figura 45) and a table of mean/std/quantiles.
#
# *Slip in document 001.* §5.3's title says "Fréchet Inception **Score**"; the metric is the
# Fréchet Inception **Distance** (the D of FID; the *Inception Score* is a different metric) — lower
# is better, 0 for identical Gaussians. *A gap:* §6.4.1 leaves out the pairs of a set with itself,
# expected to give "um valor próximo de zero, por isso foram excluídos da análise". For two
# independent 100-image draws of the *same* distribution that expectation is too optimistic: their
# FID is clearly positive at that size (section 3 measures it), and it is exactly the floor the
# cross-table must be read against.

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
)  # lessons/_course.py: fast mode, figures saved (and shown in a notebook)

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. FID from scratch
#
# Model each feature set as a Gaussian, `N(μ_X, Σ_X)` and `N(μ_Y, Σ_Y)`; FID is the (squared)
# Fréchet / 2-Wasserstein distance between them. The only delicate term is `Tr √(Σ_X Σ_Y)`:
# `√` is the **matrix** square root (`S` with `S S = Σ_X Σ_Y`), not the element-wise one. The
# product of two covariance matrices is not symmetric, but its eigenvalues are real and ≥ 0
# (it is similar to the PSD matrix `√Σ_X Σ_Y √Σ_X`), and the trace of a square root is the sum of
# the square roots of the eigenvalues. So, from scratch:
#
#     Tr √(Σ_X Σ_Y) = Σ_i √λ_i(Σ_X Σ_Y)
#
# Two closed forms check it: in 1-D, `FID = (μ_1 − μ_2)² + (σ_1 − σ_2)²`; for diagonal covariances
# it is `‖μ_1 − μ_2‖² + Σ_i (σ_1i − σ_2i)²`.


# %%
def fid_scratch(mu1, s1, mu2, s2):
    """Document 001 §5.3: ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2 √(Σ1 Σ2)), √ the matrix square root."""
    lam = np.linalg.eigvals(s1 @ s2)  # eigenvalues of the (non-symmetric) product
    tr_sqrt = np.sqrt(
        np.clip(lam.real, 0.0, None)
    ).sum()  # real and ≥ 0 up to round-off
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2.0 * tr_sqrt)


# 1-D closed form
print(
    "1-D:",
    fid_scratch(
        np.array([1.0]), np.array([[4.0]]), np.array([-0.5]), np.array([[0.25]])
    ),
    "= (1 + 0.5)² + (2 − 0.5)² =",
    1.5**2 + 1.5**2,
)
assert (
    abs(
        fid_scratch(
            np.array([1.0]), np.array([[4.0]]), np.array([-0.5]), np.array([[0.25]])
        )
        - 4.5
    )
    < 1e-12
)
# diagonal covariances
sd1, sd2 = rng.uniform(0.5, 2, 5), rng.uniform(0.5, 2, 5)
m1, m2 = rng.standard_normal(5), rng.standard_normal(5)
closed = np.sum((m1 - m2) ** 2) + np.sum((sd1 - sd2) ** 2)
assert abs(fid_scratch(m1, np.diag(sd1**2), m2, np.diag(sd2**2)) - closed) < 1e-10
# the element-wise square root would be wrong:
A = rng.standard_normal((6, 6))
B = rng.standard_normal((6, 6))
S1, S2 = A @ A.T + 0.1 * np.eye(6), B @ B.T + 0.1 * np.eye(6)
wrong = np.trace(S1) + np.trace(S2) - 2 * np.trace(np.sqrt(np.abs(S1 @ S2)))
print(
    f"full covariances: scratch {fid_scratch(m1[:1].repeat(6), S1, m2[:1].repeat(6), S2):.4f}, "
    f"minigan.metrics.frechet_distance {metrics.frechet_distance(m1[:1].repeat(6), S1, m2[:1].repeat(6), S2):.4f}; "
    f"with an element-wise √ one would get a trace term of {wrong:.4f} instead of {fid_scratch(np.zeros(6), S1, np.zeros(6), S2):.4f}"
)
assert (
    abs(
        fid_scratch(m1[:1].repeat(6), S1, m2[:1].repeat(6), S2)
        - metrics.frechet_distance(m1[:1].repeat(6), S1, m2[:1].repeat(6), S2)
    )
    < 1e-8
)

# %% [markdown]
# ## 2. Features: what the distance is measured on
#
# Document 001 §5.1–5.2 takes the 2 048-dimensional last hidden layer of Inception-v3, a network
# trained on ImageNet photographs. For MNIST digits minigan ships its own classifier, trained
# **with minigan** on the bundled digits (`minigan.metrics.load_classifier`); its 128 penultimate
# ReLU activations are our features (`classifier_features`). So our FIDs are not comparable with
# published Inception FIDs (nor with the document's), only with each other.
#
# This is now `minigan.metrics.fid`: statistics of the features, then the Fréchet distance.

# %%
clf = metrics.load_classifier()
X_all, y_all = load_mnist()
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
    f"FID(200 real 3s, 200 real 8s): scratch {ours:.4f}, minigan.metrics.fid {theirs:.4f}"
)
assert abs(ours - theirs) < 1e-6 * max(1.0, abs(theirs))

# %% [markdown]
# ## 3. The small-sample bias
#
# FID is estimated from `N` samples: the sample means and covariances are noisy, and the noise
# only adds (FID ≥ 0, and its expectation is *above* the true value). Two disjoint samples of
# the **same** class give a positive FID that falls roughly like `1/N`; with `N` below the
# feature dimension the covariance estimates are even singular (rank ≤ N − 1). We measure it
# on real digits: same class vs same class (the true FID is 0) and class 0 vs class 1, for
# several `N`.

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
                *stats(F_all[p[:N]]), *stats(F_all[rng.choice(ones_, N, replace=False)])
            )
        )
    bias["0 vs 0 (same class; true FID = 0)"].append(np.mean(same))
    bias["0 vs 1"].append(np.mean(cross))
    print(
        f"N = {N:>3}: FID(0, 0') = {np.mean(same):7.2f}   FID(0, 1) = {np.mean(cross):7.2f}"
    )

# %% [markdown]
# ## 4. Two GANs, one per class (document 001 §6.4)
#
# Document 001 trains one DCGAN on NORMAL and one on PNEUMONIA X-rays. We train one GAN on the
# 0s and one on the 1s of the bundled digits (their 400-per-class training split), with
# minigan's document 003 dense GAN (`minigan.models.mnist_dense_gan`) at lr 1e-3 for a few
# hundred steps — rough, because of the one-minute budget; `python examples/mnist_gan.py`
# trains properly.

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
        f"GAN on digit {c}: {GAN_STEPS} steps ({time.perf_counter() - t0:.0f} s); the classifier calls "
        f"{q['histogram'][c] / 2:.0f}% of 200 samples a {c}; {q['confident_share']:.0%} of the 200 are "
        f"classified (as anything) with >= 90% confidence"
    )

# %% [markdown]
# ## 5. The cross-table
#
# The four sets, as in document 001 (R = real, F = fake): **R0**, **R1** (all 500 real digits of
# the class; note that 400 of them trained the GAN — the document used its *test* base for the
# real side, which would leave us only 100 per class) and **F0**, **F1** (1 000 samples of each GAN).
# As in the document, each of `ITER` iterations draws 100 images from each set and computes the
# FID of every pair. We add the two pairs the document left out — a real set against an
# independent draw of *itself* (R0×R0', R1×R1') — as the small-sample floor of section 3.

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
    f"{'pair':<8} {'mean':>8} {'std':>7} {'min':>8} {'25%':>8} {'50%':>8} {'75%':>8} {'max':>8}"
)
for key, vals in table.items():
    v = np.array(vals)
    q1, q2, q3 = np.percentile(v, [25, 50, 75])
    print(
        f"{key:<8} {v.mean():8.2f} {v.std(ddof=1):7.2f} {v.min():8.2f} {q1:8.2f} {q2:8.2f} {q3:8.2f} {v.max():8.2f}"
    )

mean = {k: float(np.mean(v)) for k, v in table.items()}
within = max(mean["R0xF0"], mean["R1xF1"])
across = min(mean["R0xF1"], mean["R1xF0"], mean["R0xR1"])
floor0, floor1 = mean["R0xR0'"], mean["R1xR1'"]
print(
    f"\nwithin-class real×fake (largest of R0xF0, R1xF1): {within:.2f};  across classes (smallest): {across:.2f}"
)
print(
    "the document's hypothesis (same-class pairs closer than cross-class pairs)",
    "holds here" if within < across else "does NOT hold here",
)
print(
    f"small-sample floor (real vs real, same class, N = {N_SET}): R0xR0' {floor0:.2f}, R1xR1' {floor1:.2f};"
    f" R0xF0 is {mean['R0xF0'] / floor0:.1f}x its floor, R1xF1 {mean['R1xF1'] / floor1:.1f}x"
)

# %% [markdown]
# ## 6. Plots: the bias curve, the boxplot (like document 001's Figura 45), the samples

# %%
fig = plt.figure(figsize=(14, 7.5))
gs = fig.add_gridspec(2, 3, height_ratios=[1.4, 1])
ax = fig.add_subplot(gs[0, 0])
for label, vals in bias.items():
    ax.plot(Ns, vals, "o-", label=label)
ax.set_xlabel("N images per set")
ax.set_ylabel("mean FID (classifier features)")
ax.set_title("small-sample bias: FID of real vs real")
ax.set_yscale("log")
ax.legend(fontsize=8)

ax = fig.add_subplot(gs[0, 1:])
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
ax.set_ylabel(f"FID, {N_SET} vs {N_SET} images (log scale)")
ax.set_yscale("log")
ax.set_title(
    f"document 001 §6.4.1's cross-table on digits 0/1 ({ITER} draws): blue = same class, "
    "red = different classes, gray = real vs itself",
    fontsize=9,
)

for i, c in enumerate((0, 1)):
    ax = fig.add_subplot(gs[1, i])
    ax.imshow(grid_array(gans[c].sample(40), nrow=10), cmap="gray")
    ax.set_title(f"F{c}: GAN trained on the {c}s ({GAN_STEPS} steps)")
    ax.axis("off")
ax = fig.add_subplot(gs[1, 2])
ax.imshow(
    grid_array(
        np.concatenate([X_all[y_all == 0][:20], X_all[y_all == 1][:20]]), nrow=10
    ),
    cmap="gray",
)
ax.set_title("R0 and R1: real digits")
ax.axis("off")
fig.suptitle("Lesson 16: evaluating GANs with FID")
fig.tight_layout()
save(fig, "16_fid_cross_table.png", dpi=85)

# %% [markdown]
# ## Reading the table
#
# - Same-class pairs (R0×F0, R1×F1) should sit well below the cross-class pairs (R0×R1, R0×F1,
#   R1×F0, F0×F1) — document 001's hypothesis, and the printed line says whether it holds here.
# - Compare R0×F0 with the floor R0×R0': a perfect generator would reach the floor, not 0. The
#   gap between them is what the GAN has still to learn (at our tiny budget, a lot).
# - The spread of each box comes from the 100-image draws. Two GANs whose boxes overlap cannot be
#   ranked from this experiment.
# - Document 001's values (2–8) come from another feature network (Inception-v3) on other images;
#   FID numbers are only comparable within one table, with the same feature network and the same `N`.
# - *A claim too strong.* Document 001 §7 "Conclusão" concludes: "Como demonstrado utilizando a
#   métrica FID, a distribuição `p_g` convergiu para a distribuição `p_data`". A FID cannot
#   demonstrate that. It compares only the mean and covariance of the features (two
#   distributions with the same first two moments have FID 0 and can still differ); it is
#   estimated from finite samples, so it never reaches 0 even for `p_g = p_data` (the floor
#   R0×R0' above); and a small FID says the two are *close in that feature space*, not equal.
#   What a table like this supports is "the generated images are, in the feature network's
#   features, about as close to the real ones as another draw of real images would be" — and only if the
#   FID sits at the floor (§4.2's Proposição 2 is where `p_g → p_data` comes from, and it
#   assumes an optimal `D` at every step and updates in the space of distributions, not of
#   network weights). The next sentence of §7 says, rightly: "Apesar disso, ainda é difícil
#   concluir o grau de precisão dessa aproximação".
#
# ## Exercises
#
# 1. Redo section 3 with `N` = 1 000 (use digits of all classes for both sets). How does the
#    floor scale? Fit `a + b/N`.
# 2. Train the two GANs for 5x the steps. Which entries of the table move, and which stay put?
# 3. Replace the classifier features by raw pixels (784-dimensional). What happens at `N = 100`,
#    and why (rank of the covariance)?
# 4. A generator that outputs the same perfect "1" every time (take one real 1 and repeat it):
#    compute R1×F for it. What part of the formula penalizes it — the mean term or the trace term?
# 5. Document 001 computes FID on 100-image draws with 2 048 Inception features. What is the
#    largest possible rank of its covariance matrices, and what does that say about its table?

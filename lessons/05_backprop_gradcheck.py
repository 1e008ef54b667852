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
# # Lesson 05: backpropagation and gradient checking
#
# **Objective.** Derive and implement backpropagation for an MLP exactly in document 001's
# notation (samples in columns), find the slips in the document's derivation, see that
# minigan's layer-by-layer `backward` computes the same numbers, and learn to *prove* a
# backward pass right with finite differences, including the two traps: checking in float32,
# and checking with an upstream gradient of ones.
#
# Source: document 001 (Marques 2021, *Rede Adversária Generativa Convolucional Profunda Aplicada a Exames de Raio-x do Tórax*), §2.9
# "Backpropagation" (and §2.6 eq. (1)–(3), §2.7.1 "Entropia Cruzada Binária").

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
# ## 1. The equations (document 001 §2.9)
#
# The document defines the error of layer l, δ^l, and ends with the vectorised recursion
#
#     δ^L = ∂C/∂A^{[L]} ⊙ g'^{[L]}(Z^{[L]})
#     δ^l = ((W^{[l+1]})ᵀ δ^{l+1}) ⊙ g'^{[l]}(Z^{[l]})
#     ∂C/∂W^{[l]} = A^{[l−1]} δ^l
#     ∂C/∂b^{[l]} = δ^l
#
# `⊙` is the Hadamard ("produto Hadamard", elementwise) product. The recursion is right, but
# the scalar derivation before it has several slips. Read it with these corrections:
#
# 1. **What δ is.** The document calls δ^l "a variação no gradiente da função de Perda em
#    relação aos parâmetros". It is the gradient with respect to the layer's *pre-activation*:
#    **δ^l = ∂C/∂Z^{[l]}**. That is why `∂C/∂b = δ` and `∂C/∂W = δ · (input)`.
# 2. **∂a/∂z is not w.** It writes "Dado que ∂a_j^{[l−1]}/∂z_j^{[l−1]} = w_j^{[l]}". In fact
#    **∂a^{[l−1]}/∂z^{[l−1]} = g'(z^{[l−1]})** (the activation's slope) and the factor equal to
#    the weight is **∂z^{[l]}/∂a^{[l−1]} = w^{[l]}**, because z^{[l]} = w^{[l]} a^{[l−1]} + b^{[l]}.
# 3. **The bias chain.** Its chain for ∂C/∂b^{[l−1]} ends in ∂z^{[l−1]}/∂w^{[l−1]} instead of
#    ∂z^{[l−1]}/∂b^{[l−1]} = 1, so its result "∂C/∂b^{[L−1]} = δ^L w^{[L]} a^{[L−1]}" carries
#    an extra activation factor. Correct: **∂C/∂b^{[l]} = δ^l** (summed over the m examples
#    of the batch), as its own final vectorised line says.
# 4. **Which activation multiplies.** The weight of layer l−1 multiplies that layer's
#    *input* a^{[l−2]}, so ∂C/∂w^{[L−1]} = w^{[L]} δ^L g'(z^{[L−1]}) a^{[L−2]} = δ^{L−1} a^{[L−2]};
#    the document writes δ^L w^{[L]} a^{[L−1]} (no g', wrong index).
# 5. **Shapes.** With examples in columns, δ^l is (n_l × m) and A^{[l−1]} is (n_{l−1} × m), so
#    "A^{[l−1]} δ^l" does not even multiply. The weight gradient, of W's shape (n_l × n_{l−1}),
#    is **∂C/∂W^{[l]} = δ^l (A^{[l−1]})ᵀ**, and **∂C/∂b^{[l]} = Σ_columns δ^l**.
#
# For the output we use a sigmoid and the BCE of §2.7.1, C = −(1/m) Σ [y log ŷ + (1−y) log(1−ŷ)].
# Then ∂C/∂ŷ = (ŷ − y) / (ŷ(1 − ŷ) m) and g'(z) = ŷ(1 − ŷ), so **δ^L = (Ŷ − Y) / m**.


# %%
def forward_backward_columns(X, Y, Ws, bs):
    """Tanh hidden layers, sigmoid output, BCE; X is (n_x, m), Y is (1, m).

    Returns the cost and the lists dW, db (document 001 §2.9, corrected as above)."""
    m = X.shape[1]
    A, Zs, As = X, [], [X]
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = W @ A + b[:, None]  # eq. (3): Z^{[l]} = W^{[l]} A^{[l−1]} + b^{[l]}
        A = 1 / (1 + np.exp(-Z)) if l == len(Ws) - 1 else np.tanh(Z)
        Zs.append(Z)
        As.append(A)
    Y_hat = A
    C = -np.mean(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat))  # §2.7.1 BCE
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    delta = (Y_hat - Y) / m  # δ^L = ∂C/∂A^{[L]} ⊙ σ'(Z^{[L]})
    for l in reversed(range(len(Ws))):
        dWs[l] = delta @ As[l].T  # ∂C/∂W^{[l]} = δ^l (A^{[l−1]})ᵀ
        dbs[l] = delta.sum(axis=1)  # ∂C/∂b^{[l]} = Σ_columns δ^l
        if l > 0:
            delta = (Ws[l].T @ delta) * (
                1 - As[l] ** 2
            )  # δ^{l−1} = (W^{[l]ᵀ} δ^l) ⊙ tanh'(Z^{[l−1]})
    return C, dWs, dbs


sizes = [3, 5, 4, 1]
Ws = [rng.normal(0, np.sqrt(1 / a), (b_, a)) for a, b_ in zip(sizes[:-1], sizes[1:])]
bs = [rng.normal(0, 0.1, b_) for b_ in sizes[1:]]
m = 6
X = rng.standard_normal((sizes[0], m))
Y = rng.integers(0, 2, (1, m)).astype(np.float64)
C, dWs, dbs = forward_backward_columns(X, Y, Ws, bs)
print(f"BCE cost = {C:.6f}")

# %% [markdown]
# ## 2. The same in minigan: `Sequential.backward`
#
# In minigan nobody writes the recursion for a whole network. Each layer owns one step:
# `Sigmoid.backward` multiplies by σ'(Z) (the `⊙ g'` factor), `Dense.backward` adds
# `δᵀ A` into `W.grad` and `Σ δ` into `b.grad` and returns `δ W` (the `(W)ᵀ δ` factor, in
# the row layout), and `Sequential.backward` calls them in reverse. We feed it ∂C/∂Ŷ of the
# BCE (lesson 03 packages it as `minigan.nn.losses.BCELoss`).

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
print(
    "minigan Sequential.backward == the document's recursion (corrected), for every W and b"
)

# %% [markdown]
# ## 3. Gradient checking
#
# §2.9 rightly says finite differences are too slow to *train* with (one or two forward
# passes per parameter). They are perfect to *check* backpropagation. The central difference
#
#     ∂C/∂θ_i ≈ (C(θ + h e_i) − C(θ − h e_i)) / 2h
#
# has error O(h²). We compare with the relative error `‖a − n‖ / (‖a‖ + ‖n‖)`; below 1e-6 in
# float64 means the backward is right (minigan's tests use exactly this).


# %%
def cost():
    return forward_backward_columns(X, Y, Ws, bs)[0]


print(f"{'parameter':<10}{'shape':>8}{'rel. error':>12}  result")
for l in range(len(Ws)):
    for name, arr, ana in [
        (f"W[{l + 1}]", Ws[l], dWs[l]),
        (f"b[{l + 1}]", bs[l], dbs[l]),
    ]:
        num = gradcheck.numerical_gradient(
            cost, arr
        )  # perturbs arr in place, restores it
        err = gradcheck.rel_error(ana, num)
        print(
            f"{name:<10}{str(arr.shape):>8}{err:>12.2e}  {'PASS' if err < 1e-6 else 'FAIL'}"
        )
        assert err < 1e-6

# %% [markdown]
# For a minigan layer, `gradcheck.check_module(layer, x)` does the same for dx and every
# parameter, and `python -m minigan.gradcheck` runs it for every registered layer and loss.
# The scalar it differentiates is `C = Σ out ⊙ dout` for a fixed `dout`, so ∂C/∂x must equal
# `layer.backward(dout)`.

# %%
res = gradcheck.check_module(net, X.T.copy())
print({k: f"{v:.1e}" for k, v in res.items()})
assert all(v < gradcheck.TOLERANCE for v in res.values())

# %% [markdown]
# ## 4. Why float64: truncation error versus round-off
#
# Two errors compete. Truncation: the Taylor series gives an error ≈ (h²/6)|C'''|, shrinking
# with h. Round-off: C is stored with a relative precision ε (float32: ε ≈ 6e-8; float64:
# ε ≈ 1e-16), so the difference C(θ+h) − C(θ−h) carries an absolute error ≈ ε|C|, divided by
# 2h. The total error ≈ h² + ε/h is smallest near h ≈ ε^{1/3}: around 1e-2 to 1e-3 in
# float32, where the error is still ≈ 1e-4 (never below a 1e-6 tolerance), and around 1e-5 in
# float64, with an error ≈ 1e-10. At the h = 1e-6 that minigan uses, float32 is pure noise.
# Below we measure it on one weight of our network (the plot is the classic "V").

# %%
hs = np.logspace(-1, -11, 21 if not FAST else 11)
W0 = Ws[0]
i, j = 1, 2
exact = dWs[0][i, j]
errors = {}
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
    print(
        f"{np.dtype(dtype).name}: best h = {hs[k]:.0e}, smallest relative error = {errs[k]:.1e}; "
        f"at h = 1e-6 the error is {errs[int(np.argmin(abs(hs - 1e-6)))]:.1e}"
    )
assert errors["float64"].min() < 1e-8 < errors["float32"].min()

# %% [markdown]
# ## 5. Why a non-uniform upstream gradient
#
# A tempting check is `dout = ones`, i.e. differentiating `C = Σ out`. For some layers that
# scalar is constant and its gradient is exactly 0, so a wrong backward that also returns 0
# for `dout = ones` passes. Softmax is one: Σ_j softmax(x)_j = 1 for every row, so
# C = Σ out = N. (BatchNorm in training mode is another: its outputs have zero mean over the
# batch, so Σ out = N·Σβ, and lesson 07 shows the same trap there.)
#
# The correct Softmax backward is `dx = y ⊙ (dout − Σ_j dout_j y_j)`. A typical bug forgets the
# leading `y ⊙`: `dx = dout − Σ_j dout_j y_j`. With `dout = ones` both give exactly 0.


# %%
class BrokenSoftmax(mg.Softmax):
    def forward(self, x):
        self.y = super().forward(x)  # keep y for the buggy backward
        return self.y

    def backward(self, dout):
        return dout - (dout * self.y).sum(
            axis=self.axis, keepdims=True
        )  # BUG: forgot "y *"


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
        # rel_error is meaningless when the true gradient is 0, so compare absolute errors
        abs_err = float(np.abs(analytic - numeric).max())
        rows.append((name, dname, float(np.abs(numeric).max()), abs_err))
print(f"{'layer':<20}{'dout':<15}{'max|numeric|':>13}{'max|error|':>12}  result")
for name, dname, size, err in rows:
    print(
        f"{name:<20}{dname:<15}{size:>13.1e}{err:>12.1e}  {'PASS' if err < 1e-6 else 'FAIL'}"
    )
assert rows[0][3] < 1e-6 and rows[1][3] < 1e-6  # the correct layer passes both
assert (
    rows[2][3] < 1e-6 and rows[3][3] > 1e-2
)  # the bug passes with ones, fails with random

# BatchNorm in training mode: with dout = ones its dx is exactly zero (up to round-off)
bn = mg.BatchNorm(5, dtype=np.float64)
bn(3.0 * rng.standard_normal((8, 5)) + 1.0)
dx_ones = bn.backward(np.ones((8, 5)))
print(
    f"BatchNorm (train) backward(ones): max |dx| = {np.abs(dx_ones).max():.1e}  (lesson 07 shows the bug it hides)"
)
assert np.abs(dx_ones).max() < 1e-12

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
ax = axes[0]
for name, errs in errors.items():
    ax.loglog(hs, np.maximum(errs, 1e-17), "o-", label=name)
ax.axhline(1e-6, color="gray", ls="--", lw=1, label="tolerance 1e-6")
ax.set(
    xlabel="finite-difference step h",
    ylabel="relative error of ∂C/∂W",
    title="Central differences: float32 vs float64",
)
ax.invert_xaxis()
ax.legend()
ax = axes[1]
labels = [f"{n}\ndout={d}" for n, d, _, _ in rows]
vals = [max(e, 1e-17) for _, _, _, e in rows]
ax.bar(
    range(len(rows)), vals, color=["tab:green", "tab:green", "tab:orange", "tab:red"]
)
ax.set_yscale("log")
ax.axhline(1e-6, color="gray", ls="--", lw=1)
ax.set_xticks(range(len(rows)))
ax.set_xticklabels(labels, fontsize=7)
ax.set(
    ylabel="max |analytic − numerical| of dx", title="Softmax check: ones hide the bug"
)
fig.tight_layout()
save(fig, "05_gradcheck.png", dpi=100)

# %% [markdown]
# ## Exercises
#
# 1. Replace the Tanh hidden layers by ReLU in `forward_backward_columns` (g' = 1[z > 0]) and
#    re-run the check. Why can it fail when some z is within h of 0?
# 2. Introduce the document's bias slip (multiply `dbs[l]` by the layer's input activation,
#    summed) and watch the gradient check catch it.
# 3. Use a one-sided difference (C(θ+h) − C(θ))/h. Redo the float64 curve: where is its best h
#    now and what is its error? (O(h) instead of O(h²).)
# 4. Write a tiny layer `Square()` (y = x²) with its backward and check it with
#    `gradcheck.check_module`; then break the backward (return `x * dout`) and see it fail.

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
# # Lesson 12: recurrent networks, backpropagation through time, and the LSTM
#
# **Objective.** Build the smallest recurrent network there is, the two-weight "count the
# ones" cell of document 003, and train it with backpropagation through time (BPTT) written
# by hand. Watch its gradient explode on a longer sequence (the document's Fig. 26) and cure
# it with gradient clipping. Then solve the same task with an LSTM, and finish with a small
# character-level LSTM language model trained on text that ships with Python (the standard
# library's own docstrings), sampling new text from it.
#
# Source: document 003 (Pereira, *Deep Learning, Unidade III: Redes convolucionais, recorrentes e adversárias*), ch. 2 "Redes Neurais
# Recorrentes": the RNN equations, "Implementação e treinamento" (the count-the-ones example
# of Vasilev et al. 2019), "Backpropagation ao longo do tempo", "Problema da dissipação e
# explosão dos gradientes" (Fig. 26), "Long short-term memory", "Modelagem de linguagem" and
# "Modelos baseados em caracteres" (the character-level LSTM and truncated BPTT).

# %%
import time

import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck
from minigan.blas import set_blas_threads
from minigan.nn import losses, optim

from _course import (
    CHAR_MODULES,
    FAST,
    save,
    stdlib_text,
)  # lessons/_course.py: fast mode, figures saved (and shown in a notebook)

# The matrices here are small (32 × 128): one BLAS thread beats several that wait on each
# other (several times faster on a busy 2-core machine).
set_blas_threads(1)

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The equations ("Redes Neurais Recorrentes", document 003 ch. 2)
#
# A recurrent network applies the same function to every element of a sequence, carrying an
# internal state ("estado interno") from one step ("interação") to the next:
#
#     s_t = f(s_{t-1} W + x_t U)        (the state)
#     y_t = s_t V                       (the output)
#
# `U` maps the input to the state, `W` the previous state to the new one and `V` the state to
# the output; all three are shared by every step. The document writes row vectors, so with
# `x_t ∈ ℝ^D` and `s_t ∈ ℝ^H`, `U` is `(D, H)` and `W` is `(H, H)`.
#
# `minigan.RNN` follows PyTorch's `nn.RNN(batch_first=True)` so that models port either way:
#
#     h_t = f(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)
#
# that is, **`U = W_ihᵀ`, `W = W_hhᵀ`**, `s_t = h_t`, and `V` is a separate `mg.Dense`. Input
# `(N, T, D)`, output every state `(N, T, H)`, the last one in `rnn.h_n`; an initial state is
# the keyword `h0`.
#
# *Slips in the document's chapter* (each is pointed out again where it matters):
# 1. The state equation is printed `S_t = f(s_{t-1} * W + x_t * U)` with a capital `S_t`; it is
#    the same `s_t`.
# 2. The printed `forward(x, U, W)` builds the stack of states `s` but never returns it
#    (`return s` is missing), although `train` uses its result.
# 3. In the printed `backward`, the line `gS = gS * W` lost its indentation and stands after
#    the loop. It belongs *inside* the loop (it is there in Vasilev et al.'s original): every
#    step back multiplies the gradient by `W` once more. Outside the loop, `gW` would be
#    `gS_T · Σ s_{k-1}`, the gradient of a network without recurrence.
# 4. The exploding-gradient section says "vamos utilizar uma sequência de treinamento um
#    pouco mais longa" and then prints no sequence. Vasilev et al.'s sequence is the first
#    one repeated four times (length 40, 12 ones); we use that.
# 5. The LSTM section prints no equations (we give PyTorch's below) and calls the LSTM "uma
#    rede neural recorrente modificada com suporte a DL4J": DL4J is a Java library that
#    implements LSTMs, not part of what an LSTM is.

# %% [markdown]
# ## 2. Count the ones, from scratch ("Implementação e treinamento")
#
# Input `(0, 0, 0, 0, 1, 0, 1, 0, 1, 0)`, target 3. The cell is linear and scalar,
# `s_t = s_{t-1} W + x_t U`, with `V = 1` so the output is the last state. With `U = 1`
# each one adds 1 and with `W = 1` nothing decays: `U = W = 1` is the closed-form solution.
#
# BPTT ("Backpropagation ao longo do tempo"): unroll the cell over the sequence into a deep
# feed-forward network whose layers share `U` and `W`, then walk it backwards. With the loss
# `C = (s_T − y)²`, `gS = ∂C/∂s_T = 2(s_T − y)`, and for `k = T, ..., 1`:
#
#     gU += gS · x_k          (∂s_k/∂U = x_k)
#     gW += gS · s_{k-1}      (∂s_k/∂W = s_{k-1})
#     gS  = gS · W            (∂s_k/∂s_{k-1} = W: one step further back)
#
# The shared weights get the *sum* of their gradients over all steps.


# %%
def step(s, x, U, W):
    return x * U + s * W  # s_t = s_{t-1} W + x_t U


def forward(x, U, W):
    """All states, s[:, 0] = 0 the initial one: (N, T + 1)."""
    N, T = x.shape
    s = np.zeros((N, T + 1))
    for t in range(T):
        s[:, t + 1] = step(s[:, t], x[:, t], U, W)
    return s  # (missing in the document's listing)


def backward(x, s, y, W):
    """BPTT for the MSE of the last state. Returns (gU, gW) and ∂C/∂s_0."""
    T = x.shape[1]
    gS = 2 * (s[:, -1] - y)  # ∂C/∂s_T
    gU, gW = 0.0, 0.0
    for k in range(T, 0, -1):
        gU += np.sum(gS * x[:, k - 1])
        gW += np.sum(gS * s[:, k - 1])
        gS = gS * W  # inside the loop (slip 3)
    return gU, gW, gS


def train(x, y, epochs, lr=0.0005, weights=(-2.0, 0.0), clip=None):
    """Plain gradient descent from the document's start (U, W) = (-2, 0); optional clipping
    of the gradient (gU, gW) to global norm `clip`."""
    U, W = weights
    hist = {"loss": [], "U": [], "W": [], "gnorm": []}
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            s = forward(x, U, W)
            hist["loss"].append((y[0] - s[-1, -1]) ** 2)
            hist["U"].append(U)
            hist["W"].append(W)
            gU, gW, _ = backward(x, s, y, W)
            norm = np.hypot(gU, gW)
            hist["gnorm"].append(norm)
            if clip is not None and norm > clip:
                gU, gW = gU * clip / norm, gW * clip / norm
            U, W = U - lr * gU, W - lr * gW
    return {k: np.array(v) for k, v in hist.items()}


x_doc = np.array([[0, 0, 0, 0, 1, 0, 1, 0, 1, 0]], dtype=np.float64)
y_doc = np.array([3.0])
print("U = W = 1 gives", forward(x_doc, 1.0, 1.0)[0, -1], "(the closed form)")
h25 = train(x_doc, y_doc, epochs=150)
print(
    f"after 150 epochs from (U, W) = (-2, 0): U = {h25['U'][-1]:.3f}, W = {h25['W'][-1]:.3f}, "
    f"loss = {h25['loss'][-1]:.4f}"
)

# %% [markdown]
# The loss goes to almost 0, but **not at `U = W = 1`**: gradient descent stops near
# `U ≈ −2.09, W ≈ −0.75`. One training sequence is one equation `s_T(U, W) = 3` in two
# unknowns; a whole curve of `(U, W)` solves it, and descent stops at the point of that
# curve nearest its start. (This is what the document's Fig. 25 shows, too.) To pin down the
# counting rule we need many different sequences: section 3.


# %%
def plot_run(ax, h, title, wlim=(-3, 2)):
    n = np.isfinite(h["loss"]) & np.isfinite(h["U"]) & np.isfinite(h["W"])
    ax.plot(np.flatnonzero(n), h["W"][n], "r-", label="W")
    ax.plot(np.flatnonzero(n), h["U"][n], "b:", label="U")
    ax.set_ylim(*wlim)
    ax.set_xlabel("ciclos (epochs)")
    ax.legend(loc="upper left")
    ax.set_title(title, fontsize=9)
    ax2 = ax.twinx()
    ax2.plot(np.flatnonzero(n), h["loss"][n], "g-", label="loss")
    ax2.tick_params(axis="y", labelcolor="green")
    ax2.legend(loc="upper right")
    return ax2


fig, ax = plt.subplots(figsize=(5, 3.4))
plot_run(ax, h25, "count the ones, 10 steps (document 003 Fig. 25)")
fig.tight_layout()
save(fig, "12_count_ones.png", dpi=100)

# %% [markdown]
# ## 3. The same cell in minigan
#
# `mg.RNN(1, 1, nonlinearity="linear", bias=False)` is exactly this cell: `W_ih` is `U` and
# `W_hh` is `W`. (`"linear"` is a minigan extension for this example; PyTorch's `nn.RNN`
# offers only `"tanh"` and `"relu"`.) Its backward is the same BPTT loop, vectorised over the
# batch; let us check that both give the same numbers, and that minigan's RNN and LSTM pass
# the float64 finite-difference check of lesson 05 (`python -m minigan.gradcheck -k RNN`).

# %%
U0, W0 = 0.7, 0.9
rnn = mg.RNN(1, 1, nonlinearity="linear", bias=False, dtype=np.float64)
rnn.params["W_ih"].data[...] = U0
rnn.params["W_hh"].data[...] = W0
hs = rnn(x_doc[..., None])  # (N, T, D=1) -> (N, T, H=1)
mse = losses.MSELoss()
loss = mse(rnn.h_n, y_doc[:, None])
dout = np.zeros_like(hs)
dout[:, -1] = mse.backward()  # only the last state is read: "muitos para um"
rnn.backward(dout)
gU, gW, gs0 = backward(x_doc, forward(x_doc, U0, W0), y_doc, W0)
print(f"hand BPTT:  gU = {gU:.6f}  gW = {gW:.6f}  dC/ds_0 = {gs0[0]:.6f}")
print(
    f"minigan:    gU = {rnn.params['W_ih'].grad[0, 0]:.6f}  gW = {rnn.params['W_hh'].grad[0, 0]:.6f}"
    f"  dh0 = {rnn.dh0[0, 0]:.6f}"
)
assert np.isclose(gU, rnn.params["W_ih"].grad[0, 0]) and np.isclose(
    gW, rnn.params["W_hh"].grad[0, 0]
)

for layer in (mg.RNN(3, 4, rng=1), mg.LSTM(3, 4, rng=1)):
    errs = gradcheck.check_module(layer, rng.standard_normal((2, 3, 3)))
    print(f"gradient check {layer!r}: max relative error {max(errs.values()):.1e}")

# %% [markdown]
# Now train the minigan cell on many random binary sequences (each one a different equation
# in `U, W`), with `mg.Adam`: this time the only solution is the counting rule. (We start
# from `U = W = 0.5`. From the document's `(−2, 0)` the descent wanders into `|W| > 1`,
# where, as section 4 shows, the gradient is enormous: exercise 2.)

# %%
X_ones = (rng.random((256, 10, 1)) < 0.3).astype(np.float64)
Y_ones = X_ones.sum(axis=1)  # (N, 1): the number of ones
cell = mg.RNN(1, 1, nonlinearity="linear", bias=False, dtype=np.float64)
cell.params["W_ih"].data[...] = 0.5
cell.params["W_hh"].data[...] = 0.5
opt = optim.Adam(cell.parameters(), lr=0.05)
for _ in range(200 if not FAST else 100):
    hs = cell(X_ones)
    loss = mse(cell.h_n, Y_ones)
    dout = np.zeros_like(hs)
    dout[:, -1] = mse.backward()
    opt.zero_grad()
    cell.backward(dout)
    opt.step()
print(
    f"256 random sequences: U = {cell.params['W_ih'].data[0, 0]:.4f}, "
    f"W = {cell.params['W_hh'].data[0, 0]:.4f}, loss = {float(loss):.2e}  (closed form: U = W = 1)"
)

# %% [markdown]
# ## 4. Exploding gradients ("Problema da dissipação e explosão dos gradientes")
#
# Take the document's sequence four times over (40 steps, 12 ones; slip 4) and run the very
# same training. Unrolled, `s_T = Σ_k x_k U W^{T−k}`, so
#
#     ∂s_T/∂s_0 = W^T,      ∂s_T/∂W = Σ_k (T − k) x_k U W^{T−k−1}
#
# With `|W| > 1` these grow like `|W|^T`: at `T = 40`, `1.1^40 ≈ 45` and `1.5^40 ≈ 10^7`. With
# `|W| < 1` they shrink like `|W|^T` (`0.9^40 ≈ 0.015`): the vanishing gradient, where the
# first steps of a long sequence stop influencing the update. On the way to a solution the
# weights walk into the region `|W| > 1`; one gradient of ~10^259 later, the weights are
# `inf` and then `nan`: the document's `RuntimeWarning`s and its Fig. 26.

# %%
x_long = np.tile(x_doc, 4)  # (1, 40)
y_long = np.array([12.0])
h26 = train(x_long, y_long, epochs=150)
bad = np.flatnonzero(~np.isfinite(h26["loss"]) | ~np.isfinite(h26["U"]))
first_bad = int(bad[0]) if bad.size else None
print(
    f"40 steps, lr 0.0005, no clipping: weights become inf/nan at epoch {first_bad}; "
    f"largest finite gradient norm {np.nanmax(np.where(np.isfinite(h26['gnorm']), h26['gnorm'], np.nan)):.2e}"
)
for w in (0.9, 1.1, 1.5):
    print(f"  |W|^40 for W = {w}: {w**40:.3g}")

# %% [markdown]
# **The cure: clip the gradient by its global norm.** If `‖g‖ > c`, rescale it to
# `g · c/‖g‖`: the direction is kept, the step is bounded by `lr · c`, and one cliff-edge
# gradient can no longer throw the weights to infinity. This is what the document's language
# model does (`tf.clip_by_global_norm(gradients, 5)`); in minigan it is the optimizers'
# `clip_norm` keyword (or `minigan.nn.optim.clip_grad_norm`). Same start, same 40-step sequence,
# `c = 5` (the document's value), `lr = 0.001`, twice the epochs: first our scalar loop, then
# `mg.RNN` with `mg.SGD(..., clip_norm=5)`, which must agree.

# %%
EPOCHS_CLIP = 300
hclip = train(x_long, y_long, epochs=EPOCHS_CLIP, lr=0.001, clip=5.0)
print(
    f"clipped (c = 5): final loss {hclip['loss'][-1]:.3f}, U = {hclip['U'][-1]:.3f}, "
    f"W = {hclip['W'][-1]:.3f}, all finite: {np.isfinite(hclip['loss']).all()}, "
    f"largest raw gradient norm {hclip['gnorm'].max():.1f}"
)

cell = mg.RNN(1, 1, nonlinearity="linear", bias=False, dtype=np.float64)
cell.params["W_ih"].data[...] = -2.0
cell.params["W_hh"].data[...] = 0.0
opt = optim.SGD(cell.parameters(), lr=0.001, clip_norm=5.0)
for _ in range(EPOCHS_CLIP):
    hs = cell(x_long[..., None])
    loss = mse(cell.h_n, y_long[:, None])
    dout = np.zeros_like(hs)
    dout[:, -1] = mse.backward()
    opt.zero_grad()
    cell.backward(dout)
    opt.step()
print(
    f"mg.RNN + SGD(clip_norm=5): U = {cell.params['W_ih'].data[0, 0]:.3f}, "
    f"W = {cell.params['W_hh'].data[0, 0]:.3f}  (the loop above: {hclip['U'][-1]:.3f}, {hclip['W'][-1]:.3f})"
)

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 3.6))
ax2 = plot_run(
    axes[0], h26, f"40 steps, no clipping (Fig. 26): nan at epoch {first_bad}"
)
ax2.set_ylim(-3, 200)
plot_run(axes[1], hclip, "40 steps, clipped to norm 5 (lr 0.001)")
g = np.where(np.isfinite(h26["gnorm"]), h26["gnorm"], np.nan)
axes[2].semilogy(g, "r-", label="no clipping")
axes[2].semilogy(hclip["gnorm"], "b-", label="clip_norm = 5 (raw norm)")
axes[2].axhline(5.0, color="k", ls="--", lw=0.8, label="c = 5")
axes[2].set_ylim(1e-1, 1e10)
if first_bad is not None:
    axes[2].annotate(
        f"→ {np.nanmax(g):.0e}, then inf/nan",
        xy=(first_bad - 2, 5e9),
        fontsize=8,
        color="r",
    )
axes[2].set_xlabel("ciclos (epochs)")
axes[2].set_ylabel("‖(gU, gW)‖")
axes[2].set_title("gradient norm", fontsize=9)
axes[2].legend(fontsize=8)
fig.tight_layout()
save(fig, "12_exploding_gradient.png", dpi=100)

# %% [markdown]
# Clipping does not change where the cliff is; it only stops one step from jumping off it.
# The raw gradient norm (right panel) stays far above `c` to the end: the solution lies in a
# narrow valley with steep walls (the "cliff" of Pascanu, Mikolov & Bengio 2013), and the
# clipped steps, each of length at most `lr · c`, bounce between the walls instead of
# flying off. (The two runs agree closely but not to the last digit: PyTorch's rule, which
# minigan follows, scales by `c / (‖g‖ + 10⁻⁶)`, and on the cliff that difference is
# amplified.) The deeper cure is an architecture whose gradient does not pass through `W^T`:
# the LSTM.
#
# ## 5. The LSTM ("Long short-term memory")
#
# The document describes it in words: a cell state `c_t` that is changed only through gates
# made of a sigmoid and an element-wise product; an input gate, a forget gate and an output
# gate; tanh as the activation. In equations (PyTorch's `nn.LSTM`, gate order i, f, g, o,
# stacked in `W_ih (4H, D)`, `W_hh (4H, H)`):
#
#     [i, f, g, o] = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh
#     i = σ(·)  (input gate)   f = σ(·)  (forget gate)   g = tanh(·)   o = σ(·)  (output gate)
#     c_t = f ⊙ c_{t-1} + i ⊙ g
#     h_t = o ⊙ tanh(c_t)
#
# Backwards, `∂C/∂c_{t-1} = ∂C/∂c_t ⊙ f`: no weight matrix on the cell path. With `f ≈ 1`
# the gradient is carried back unchanged over many steps. Below, `mg.LSTM(1, 16)` and a
# `mg.Dense(16, 1)` on the last state count the ones of random 40-step sequences (the length
# that exploded above); the target is the count divided by 40, and the prediction is rounded
# back to an integer count to score it.

# %%
T_LONG = 40
N_TRAIN = 512
Xc = (rng.random((N_TRAIN, T_LONG, 1)) < 0.3).astype(np.float32)
Yc = Xc.sum(axis=1) / T_LONG  # (N, 1), in [0, 1]
lstm = mg.LSTM(1, 16, rng=0)
head = mg.Dense(16, 1, rng=0)
opt = optim.Adam(lstm.parameters() + head.parameters(), lr=0.01, clip_norm=5.0)
lstm_losses = []
t0 = time.perf_counter()
for _ in range(800 if not FAST else 40):
    idx = rng.integers(0, N_TRAIN, 64)
    hs = lstm(Xc[idx])
    pred = head(lstm.h_n)  # y = h_T V: many to one
    lstm_losses.append(float(mse(pred, Yc[idx])))
    opt.zero_grad()
    dh_n = head.backward(mse.backward())
    lstm.backward(np.zeros_like(hs), dh_n=dh_n)  # only the last state feeds the head
    opt.step()
Xt = (rng.random((1000, T_LONG, 1)) < 0.3).astype(np.float32)
Yt = Xt.sum(axis=1)
lstm(Xt)
pred_t = head(lstm.h_n) * T_LONG
acc = float(np.mean(np.round(pred_t) == Yt))
print(
    f"LSTM count the ones, 40 steps: {time.perf_counter() - t0:.1f} s, test RMSE "
    f"{float(np.sqrt(np.mean((pred_t - Yt) ** 2))):.3f} ones, exact count {100 * acc:.1f} % of 1000 sequences"
)

# How much does each step's input move the prediction? ∂ŷ/∂x_t by one backward pass.
hs = lstm(Xt[:200])
head(lstm.h_n)
dx = lstm.backward(np.zeros_like(hs), dh_n=head.backward(np.ones((200, 1), np.float32)))
sal = (
    np.abs(dx[:, :, 0]).mean(axis=0) * T_LONG
)  # ŷ is the count / 40: scale back to ones
print(
    f"mean |∂ŷ/∂x_t| (in ones): first step {sal[0]:.2f}, last step {sal[-1]:.2f} (ideal: 1 everywhere)"
)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
axes[0].semilogy(np.array(lstm_losses) * T_LONG**2)
axes[0].set_xlabel("iteration")
axes[0].set_ylabel("MSE (ones²)")
axes[0].set_title("LSTM(1, 16) + Dense: count the ones in 40 steps", fontsize=9)
axes[1].plot(np.arange(1, T_LONG + 1), sal, "o-", ms=3)
axes[1].axhline(1.0, color="k", ls="--", lw=0.8)
axes[1].set_ylim(0, 1.5)
axes[1].set_xlabel("step t")
axes[1].set_ylabel("mean |∂ŷ/∂x_t|  (ones)")
axes[1].set_title("every step still counts: no vanishing gradient", fontsize=9)
fig.tight_layout()
save(fig, "12_lstm_count.png", dpi=100)

# %% [markdown]
# ## 6. A character-level language model ("Modelos baseados em caracteres")
#
# A language model gives the probability of the next symbol given the previous ones,
# `P(w_1, ..., w_m) = P(w_1) P(w_2 | w_1) ⋯ P(w_m | w_1, ..., w_{m-1})`. (The document's
# n-gram section prints this chain rule as `P(w_1)P(w_1)P(w_1, w_2), ..., P(w_1, ..., w_{m-1})`,
# a slip: each factor is a *conditional* probability of the next word.) A character-level
# model has a tiny vocabulary (every character of the text) and needs long memory, hence the
# LSTM. The document trains Vasilev et al.'s two-layer, 512-cell LSTM on *War and Peace*; we
# have no download, so we train one layer of 128 cells on text that ships with every Python:
# the docstrings of a few standard-library modules, read at run time with `inspect`.
#
# The recipe is the document's:
# - characters → integer ids → one-hot vectors (`tf.one_hot`);
# - the text is too long for one BPTT pass, so it is cut into `N` parallel streams read
#   `T` characters at a time, and **the last state of one batch is the initial state of the
#   next** (truncated BPTT, "backpropagation truncado ao longo do tempo"): `h0=`, `c0=`;
# - a linear layer to logits, softmax cross-entropy against the next character;
# - Adam with `lr = 2e-3` and clipping by global norm 5 (`tf.clip_by_global_norm`).

# %%
# `stdlib_text` (in `lessons/_course.py`, which lesson 13 reads too) joins the docstrings of
# the modules `CHAR_MODULES` (textwrap, heapq, bisect, functools, ... argparse: each module's
# and each public function's and class's), keeps printable ASCII (anything else becomes `?`)
# and cuts runs of spaces to one: indentation would teach the model mostly spaces.
text = stdlib_text(CHAR_MODULES)
chars = sorted(set(text))
V = len(chars)
char_to_id = {c: i for i, c in enumerate(chars)}
ids = np.array([char_to_id[c] for c in text])
freq = np.bincount(ids, minlength=V) / len(ids)
unigram = float(-(freq * np.log(freq)).sum())
print(
    f"text: {len(text):,} characters, vocabulary {V}; uniform guess {np.log(V):.2f} nats/char, "
    f"character frequencies alone (unigram) {unigram:.2f} nats/char"
)
print("first lines:", repr(text[:120]))

# %%
H, N, T = 128, 32, 32
ITERS = 1000 if not FAST else 20
lm = mg.LSTM(V, H, rng=0)
out_layer = mg.Dense(H, V, init="pytorch", rng=0)
ce = losses.CrossEntropyLoss()
opt = optim.Adam(lm.parameters() + out_layer.parameters(), lr=2e-3, clip_norm=5.0)
one_hot = np.eye(V, dtype=np.float32)
stream_len = len(ids) // N
starts = np.arange(N) * stream_len  # N parallel streams through the text
pos, h, c = 0, None, None
lm_losses = []
t0 = time.perf_counter()
for it in range(ITERS):
    if pos + T + 1 > stream_len:  # end of the streams: start over, fresh state
        pos, h, c = 0, None, None
    window = ids[starts[:, None] + pos + np.arange(T + 1)]  # (N, T + 1)
    pos += T
    xb = one_hot[window[:, :-1]]  # (N, T, V)
    yb = window[:, 1:].reshape(-1)  # (N·T,): the next character
    hs = lm(xb, h0=h, c0=c)
    h, c = (
        lm.h_n.copy(),
        lm.c_n.copy(),
    )  # carried to the next batch (no gradient across)
    logits = out_layer(hs.reshape(N * T, H))  # (N·T, V)
    lm_losses.append(float(ce(logits, yb)))
    opt.zero_grad()
    dhs = out_layer.backward(ce.backward()).reshape(N, T, H)
    lm.backward(dhs)
    opt.step()
    if it % 200 == 0 or it == ITERS - 1:
        print(
            f"  iteration {it:4d}  loss {lm_losses[-1]:.3f} nats/char  grad norm before clipping "
            f"{float(opt.last_grad_norm):.2f}  ({time.perf_counter() - t0:.1f} s)"
        )

# %% [markdown]
# **Sampling.** Feed a prime string, then repeatedly draw the next character from
# `softmax(logits / τ)` and feed it back, one step at a time, carrying `(h, c)`. The
# temperature `τ` reshapes the distribution: `τ → 0` is greedy (always the most likely
# character, which soon loops), `τ = 1` is the model's own distribution, `τ > 1` is flatter
# and noisier. (The document samples with `τ = 1`: `np.random.choice(labels, p=out)`.)


# %%
def sample(prime, length, temperature, seed=0):
    g = np.random.default_rng(seed)
    h = c = None
    for ch in prime[:-1]:  # warm the state up on the prime
        lm(one_hot[None, None, char_to_id[ch]], h0=h, c0=c)
        h, c = lm.h_n, lm.c_n
    out, ch = prime, prime[-1]
    for _ in range(length):
        lm(one_hot[None, None, char_to_id[ch]], h0=h, c0=c)  # x: (1, 1, V)
        h, c = lm.h_n, lm.c_n
        z = out_layer(h)[0].astype(np.float64) / temperature
        p = np.exp(z - z.max())
        ch = chars[g.choice(V, p=p / p.sum())]
        out += ch
    return out


for tau in (0.5, 1.0):
    print(f"--- temperature {tau} ---")
    print(sample("Return the ", 200 if not FAST else 40, tau))

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
ax.plot(lm_losses, lw=0.8, label=f"LSTM({V}, {H}) + Dense")
ax.axhline(np.log(V), color="k", ls=":", lw=0.8, label="uniform guess")
ax.axhline(unigram, color="k", ls="--", lw=0.8, label="character frequencies")
ax.set_xlabel(f"iteration (batch of {N} × {T} characters)")
ax.set_ylabel("cross-entropy (nats/char)")
ax.set_title("character-level LSTM on standard-library docstrings", fontsize=9)
ax.legend(fontsize=8)
fig.tight_layout()
save(fig, "12_char_lm.png", dpi=100)

# %% [markdown]
# After a thousand batches the samples are at about the stage of the document's "Após 500
# lotes" sample: English-looking words, spaces and punctuation in the right places, little
# meaning. The document's own samples improve with 5,000 to 500,000 batches of a 2 × 512
# network, far beyond a lesson's minute.
#
# ## Exercises
# 1. Put the printed `gS = gS * W` of the document outside the loop (slip 3) and compare its
#    `gW` with the finite difference of `forward`. Which of `gU`, `gW` is still right, and why?
# 2. Train the scalar cell of section 3 on sequences of length 40 without clipping, starting
#    from `U = W = 0.5`. Does it explode? Plot `|W|` against the epoch and mark `|W| = 1`.
# 3. Vanishing gradients: build `mg.RNN(1, 8)` (tanh) + `mg.Dense(8, 1)` and train it on the
#    40-step counting task of section 5. Plot `mean |∂ŷ/∂x_t|` over `t` as in
#    `12_lstm_count.png`. What happens to the first steps?
# 4. Set the LSTM's forget-gate bias (rows `H:2H` of `b_ih`) to +1 before training (a common
#    trick, Jozefowicz et al. 2015) and compare the learning curves of section 5.
# 5. Language model: stack two LSTMs (`mg.LSTM(V, H)` then `mg.LSTM(H, H)`, the document's
#    "MultiRNNCell"), or raise `H`. Does the loss per character go down faster per second?
# 6. Reset the state `(h, c)` to zeros at every batch instead of carrying it. What does the
#    model lose? (Hint: the first characters of each batch.)
# 7. Port the trained LSTM to PyTorch: copy `W_ih, W_hh, b_ih, b_hh` into `weight_ih_l0, ...`
#    of `torch.nn.LSTM(V, H, batch_first=True)` and check that both give the same `h_n`.

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
# # Lesson 12: Recurrent networks, backpropagation through time and the LSTM
#
# **Objective.** Build the smallest recurrent network there is, the two-weight "count the
# ones" cell of document 003, and train it with backpropagation through time (BPTT) written
# by hand. Learn the five ways in which a recurrent network can map inputs to outputs, and
# which of them this lesson's tasks are. Watch the cell's gradient explode on a longer
# sequence (the document's Fig. 26) and cure it with gradient clipping. Then solve the same
# task with an LSTM, and finish with a small character-level LSTM language model trained on
# text that ships with Python (the standard library's own docstrings), sampling new text
# from it. Last, do the document's exercise: train the same model on Portuguese text, the
# course's own, and compare it, in nats per character, with the same model on the same
# text in English.
#
# **Source.** Document 003 (Pereira, *Deep Learning, Unidade III: Redes convolucionais,
# recorrentes e adversárias*), chapter 2, "Redes Neurais Recorrentes": the RNN equations and
# the list of input/output shapes, "Implementação e treinamento" (the count-the-ones example
# of Vasilev et al. 2019), "Backpropagation ao longo do tempo", "Problema da dissipação e
# explosão dos gradientes" (Fig. 26), "Long short-term memory", "Modelagem de linguagem" and
# "Modelos baseados em caracteres" (the character-level LSTM and truncated BPTT). The
# chapter's sections have no numbers, so the equations below are tagged "003 ch. 2" with a
# letter. Lesson 13 continues with the same chapter's language models.

# %%
import re
import textwrap
import time

import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from matplotlib.patches import FancyBboxPatch
from minigan import gradcheck
from minigan.blas import set_blas_threads
from minigan.nn import losses, optim

from _course import (
    CHAR_MODULES,
    FAST,
    course_texts,
    save,
    stdlib_text,
    t,
)  # lessons/_course.py: fast mode, figures saved (and shown in a notebook)

# The matrices here are small (32 × 128): one BLAS thread is faster than several threads
# that wait for each other.
set_blas_threads(1)
plt.rcParams.update({"font.size": 11, "axes.titlesize": 11, "legend.fontsize": 10})

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The equations ("Redes Neurais Recorrentes")
#
# A recurrent network applies the same function to every element of a sequence, and carries
# an internal state ("estado interno") from one step ("interação") to the next. The document
# writes the state and the output as
#
# $$
# s_t = f\left(s_{t-1} W + x_t U\right)
# \tag{003 ch. 2a}
# \label{eq:12-state}
# $$
#
# $$
# y_t = s_t V
# \tag{003 ch. 2b}
# $$
#
# where $f$ is a non-linear activation (tanh, sigmoid or ReLU). $U$ maps the input to the
# state, $W$ maps the previous state to the new one, and $V$ maps the state to the output.
# The same three matrices are used at every step. The document writes row vectors, so with
# $x_t \in \mathbb{R}^D$ and $s_t \in \mathbb{R}^H$, $U$ is $D \times H$ and $W$ is
# $H \times H$.
#
# `minigan.RNN` follows PyTorch's `nn.RNN(batch_first=True)`, so that models can be moved
# from one library to the other:
#
# $$
# h_t = f\left(x_t W_{ih}^{\top} + b_{ih} + h_{t-1} W_{hh}^{\top} + b_{hh}\right)
# \tag{PyTorch nn.RNN}
# $$
#
# that is, $U = W_{ih}^{\top}$, $W = W_{hh}^{\top}$ and $s_t = h_t$, and $V$ is a separate
# `mg.Dense` layer. The input has shape `(N, T, D)`; the output is every state, `(N, T, H)`,
# and the last state is also kept in `rnn.h_n`. An initial state is given with the keyword
# `h0`.
#
# *Slips in the document's chapter* (each is pointed out again where it matters):
# 1. The state equation is printed $S_t = f(s_{t-1} * W + x_t * U)$, with a capital $S_t$
#    on the left. It is the same $s_t$ as on the right.
# 2. The printed `forward(x, U, W)` builds the stack of states `s` but never returns it
#    (`return s` is missing), although `train` uses its result.
# 3. In the printed `backward`, the line `gS = gS * W` lost its indentation and stands after
#    the loop. It belongs *inside* the loop (it is there in Vasilev et al.'s original): every
#    step back multiplies the gradient by $W$ once more. Outside the loop, `gW` would be
#    $\frac{\partial C}{\partial s_T} \sum_k s_{k-1}$, the gradient of a network without
#    recurrence.
# 4. The exploding-gradient section says "vamos utilizar uma sequência de treinamento um
#    pouco mais longa" and then prints no sequence. Vasilev et al.'s sequence is the first
#    one repeated four times (length 40, 12 ones); we use that.
# 5. The LSTM section prints no equations (we give PyTorch's in section 6) and calls the
#    LSTM "uma rede neural recorrente modificada com suporte a DL4J". DL4J is a Java library
#    that implements LSTMs; it is not part of what an LSTM is.
#
# ## 2. One input or many, one output or many
#
# Because the same cell is applied at every step, a recurrent network can read a sequence
# of any length and can emit an output at any step it likes. Document 003 (after Vasilev et
# al. 2019) lists five arrangements; the figure below draws each one, with the inputs $x_t$
# at the bottom, the states $s_t$ in the middle and the outputs $y_t$ at the top:
#
# - **Um para Um** (one to one): "processamento não sequencial, como redes neurais
#   *Feedforward* ou redes neurais convolucionais". One input, one output, one step: there
#   is no sequence at all. Example: classifying one image (lessons 10 and 11).
# - **Um para Muitos** (one to many): "gera como saída uma sequência baseada em uma única
#   entrada". The input enters once; the network then runs on by itself and emits an
#   output at every step. Example (the document's): writing a caption for an image
#   (Vinyals et al. 2015), where the image's features are the single input and the words
#   of the caption are the outputs.
# - **Muitos para Um** (many to one): "gera como saída um único resultado baseado em uma
#   sequência de entrada". The network reads the whole sequence and only its last state is
#   used. Example: the sentiment (positive or negative) of a review.
# - **Muitos para Muitos (Indiretamente)** (many to many, with delay): "uma sequência de
#   entrada é codificada em um vetor de estados, em seguida, o vetor de estados é
#   codificado em uma nova sequência". The network first reads the whole input, and only
#   then starts to emit outputs, so the first output comes after a delay. The second step
#   is usually called *decoding*: the state is turned back into a sequence. The two
#   sequences may have different lengths. Example: translating a sentence (Cho et al.
#   2014; Sutskever, Vinyals & Le 2014), where the first translated word may depend on the
#   last word of the original sentence.
# - **Muitos para Muitos (Diretamente)** (many to many, without delay): "gera uma saída
#   para cada entrada". One output per input, at the same step. Example: speech
#   recognition, where each short frame of sound gets a label.
#
# This lesson meets three of them. The **count-the-ones** cell of sections 3 to 6 is **many
# to one**, as the document says ("É um exemplo de RNN 'Muitos para Um'"): ten (or forty)
# digits go in, and the only output that counts is the last state, the number of ones.
# The **character-level language model** of section 7 is trained **many to many without
# delay**: at every step it reads a character and predicts the next one, so the output
# sequence is the input sequence shifted by one character. When it writes new text it runs
# **one to many**: after a short prime it receives no more input from us, and each
# character it draws is fed back in as its next input.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The five arrangements of document 003: inputs $x_t$ (bottom), states $s_t$ (middle) and outputs $y_t$ (top). Arrows between states carry the state to the next step; an empty place means no input or no output at that step.", "name": "fig-12-rnn-taxonomy"}}
COLORS = {"x": "#f4b6b6", "s": "#b9e3b0", "y": "#b6cdf4"}


def box(ax, x, y, kind, k):
    """A labelled box for x_k, s_k or y_k, centred at (x, y)."""
    ax.add_patch(
        FancyBboxPatch(
            (x - 0.3, y - 0.27),
            0.6,
            0.54,
            boxstyle="round,pad=0.02",
            fc=COLORS[kind],
            ec="k",
            lw=0.8,
        )
    )
    ax.text(x, y, f"${kind}_{{{k}}}$", ha="center", va="center", fontsize=11)


def arrow(ax, a, b):
    ax.annotate("", xy=b, xytext=a, arrowprops=dict(arrowstyle="->", lw=1.0))


def diagram(ax, x0, y0, inputs, outputs, title):
    """One arrangement: inputs/outputs are lists of 0/1, one entry per step."""
    T = len(inputs)
    for k in range(T):
        x = x0 + k
        box(ax, x, y0 + 1.1, "s", k + 1)
        if k:
            arrow(ax, (x - 0.68, y0 + 1.1), (x - 0.32, y0 + 1.1))
        if inputs[k]:
            box(ax, x, y0, "x", k + 1)
            arrow(ax, (x, y0 + 0.29), (x, y0 + 0.81))
        if outputs[k]:
            box(ax, x, y0 + 2.2, "y", k + 1)
            arrow(ax, (x, y0 + 1.39), (x, y0 + 1.91))
    ax.text(x0 - 0.4, y0 + 2.75, title, ha="left", va="bottom", fontsize=11)


fig, ax = plt.subplots(figsize=(10, 7.2))
diagram(ax, 0, 4.4, [1], [1], t("Um para Um\n(one to one)"))
diagram(
    ax,
    2.5,
    4.4,
    [1, 0, 0, 0],
    [1, 1, 1, 1],
    t("Um para Muitos (one to many)\nimage captions; sampling text"),
)
diagram(
    ax,
    7.0,
    4.4,
    [1, 1, 1, 1],
    [0, 0, 0, 1],
    t("Muitos para Um (many to one)\ncount the ones"),
)
diagram(
    ax,
    0,
    0,
    [1, 1, 1, 0, 0, 0],
    [0, 0, 0, 1, 1, 1],
    t("Muitos para Muitos, Indiretamente\n(with delay): translation"),
)
diagram(
    ax,
    7.0,
    0,
    [1, 1, 1, 1],
    [1, 1, 1, 1],
    t("Muitos para Muitos, Diretamente\n(without delay): the character model"),
)
ax.set_xlim(-0.6, 10.6)
ax.set_ylim(-0.5, 7.9)
ax.set_aspect("equal")
ax.axis("off")
fig.tight_layout()
save(fig, "12_rnn_taxonomy.png", dpi=100)

# %% [markdown]
# ## 3. Count the ones, from scratch ("Implementação e treinamento")
#
# The input is `(0, 0, 0, 0, 1, 0, 1, 0, 1, 0)` and the target is 3. The cell of
# $\eqref{eq:12-state}$ is linear ($f$ is the identity) and scalar, with $V = 1$, so the
# output is the last state:
#
# $$
# s_t = s_{t-1} W + x_t U, \qquad s_0 = 0, \qquad y = s_T
# \tag{003 ch. 2c}
# $$
#
# With $U = 1$ each one adds 1 to the state, and with $W = 1$ nothing decays: $U = W = 1$
# is the closed-form solution.
#
# BPTT ("Backpropagation ao longo do tempo") unrolls the cell over the sequence into a deep
# feed-forward network whose layers all share $U$ and $W$, and then walks it backwards.
# With the loss $C = (s_T - y)^2$, the chain rule through $s_k = s_{k-1} W + x_k U$ gives
#
# $$
# \begin{gathered}
# \frac{\partial C}{\partial s_T} = 2\,(s_T - y), \qquad
# \frac{\partial C}{\partial s_{k-1}} = \frac{\partial C}{\partial s_k}\, W,\cr
# \frac{\partial C}{\partial U} = \sum_{k=1}^{T} \frac{\partial C}{\partial s_k}\, x_k,
# \qquad
# \frac{\partial C}{\partial W} = \sum_{k=1}^{T} \frac{\partial C}{\partial s_k}\, s_{k-1}
# \end{gathered}
# \tag{12.1}
# \label{eq:12-bptt}
# $$
#
# The code keeps $\partial C / \partial s_k$ in `gS`, starts at $k = T$ and goes down to
# $k = 1$: at each step it adds `gS * x[k-1]` to `gU` and `gS * s[k-1]` to `gW`, then
# multiplies `gS` by `W` to move one step further back. The shared weights get the *sum*
# of their gradients over all steps.


# %%
def step(s, x, U, W):
    return x * U + s * W  # s_t = s_{t-1} W + x_t U


def forward(x, U, W):
    """All states, s[:, 0] = 0 the initial one: (N, T + 1)."""
    N, T = x.shape
    s = np.zeros((N, T + 1))
    for k in range(T):
        s[:, k + 1] = step(s[:, k], x[:, k], U, W)
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
    """Plain gradient descent from the document's start (U, W) = (-2, 0); optional
    clipping of the gradient (gU, gW) to global norm `clip`."""
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
    f"after 150 epochs from (U, W) = (-2, 0): U = {h25['U'][-1]:.3f}, "
    f"W = {h25['W'][-1]:.3f}, loss = {h25['loss'][-1]:.4f}"
)

# %% [markdown]
# Read the two printed lines. The loss goes to almost 0, but **not at $U = W = 1$**:
# gradient descent stops at another point (the figure below follows the two weights). One
# training sequence gives one equation, $s_T(U, W) = 3$, in two unknowns; a whole curve of
# points $(U, W)$ solves it, and the descent stops at the point of that curve nearest its
# start. This is also what the document's Fig. 25 shows. To pin down the counting rule we
# need many different sequences (section 4).


# %% tags=["hide-input"] mystnb={"figure": {"caption": "Training the scalar cell on the document's single sequence (as in its Fig. 25): the weights $U$ and $W$ (left axis) settle and the loss (green, right axis) falls to almost zero, but the weights do not reach $U = W = 1$.", "name": "fig-12-count-ones"}}
def plot_run(ax, h, title, wlim=(-3, 2)):
    n = np.isfinite(h["loss"]) & np.isfinite(h["U"]) & np.isfinite(h["W"])
    ax.plot(np.flatnonzero(n), h["W"][n], "r-", label="W")
    ax.plot(np.flatnonzero(n), h["U"][n], "b:", label="U")
    ax.set_ylim(*wlim)
    ax.set_xlabel(t("ciclos (epochs)"))
    ax.set_ylabel(t("weights U, W"))
    ax.legend(loc="upper left")
    ax.set_title(title)
    ax2 = ax.twinx()
    ax2.plot(np.flatnonzero(n), h["loss"][n], "g-", label=t("loss"))
    ax2.tick_params(axis="y", labelcolor="green")
    ax2.set_ylabel(t("loss"), color="green")
    ax2.legend(loc="upper right")
    return ax2


fig, ax = plt.subplots(figsize=(6.4, 4))
plot_run(ax, h25, t("count the ones, 10 steps (document 003, Fig. 25)"))
fig.tight_layout()
save(fig, "12_count_ones.png", dpi=100)

# %% [markdown]
# ## 4. The same cell in minigan
#
# `mg.RNN(1, 1, nonlinearity="linear", bias=False)` is exactly this cell: `W_ih` is $U$ and
# `W_hh` is $W$. (`"linear"` is a minigan extension for this example; PyTorch's `nn.RNN`
# offers only `"tanh"` and `"relu"`.) Its backward pass is the same BPTT loop of
# $\eqref{eq:12-bptt}$, vectorised over the batch. The cell below checks that both give the
# same numbers, and that minigan's RNN and LSTM pass the float64 finite-difference check
# of lesson 05 (`python -m minigan.gradcheck -k RNN`).

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
    f"minigan:    gU = {rnn.params['W_ih'].grad[0, 0]:.6f}"
    f"  gW = {rnn.params['W_hh'].grad[0, 0]:.6f}  dh0 = {rnn.dh0[0, 0]:.6f}"
)
assert np.isclose(gU, rnn.params["W_ih"].grad[0, 0]) and np.isclose(
    gW, rnn.params["W_hh"].grad[0, 0]
)

for layer in (mg.RNN(3, 4, rng=1), mg.LSTM(3, 4, rng=1)):
    errs = gradcheck.check_module(layer, rng.standard_normal((2, 3, 3)))
    print(f"gradient check {layer!r}: max relative error {max(errs.values()):.1e}")

# %% [markdown]
# Now train the minigan cell on many random binary sequences (each one a different equation
# in $U$ and $W$), with `mg.Adam`: this time the only solution is the counting rule. We
# start from $U = W = 0.5$. From the document's start $(U, W) = (-2, 0)$ the descent wanders
# into the region $|W| > 1$, where, as section 5 shows, the gradient is enormous (exercise
# 2).

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
    f"W = {cell.params['W_hh'].data[0, 0]:.4f}, loss = {float(loss):.2e}"
    "  (closed form: U = W = 1)"
)

# %% [markdown]
# ## 5. Exploding gradients ("Problema da dissipação e explosão dos gradientes")
#
# Take the document's sequence four times over (40 steps, 12 ones; slip 4) and run the very
# same training. Unrolled, the linear cell is a sum over the inputs, and its derivatives
# follow at once:
#
# $$
# \begin{gathered}
# s_T = \sum_{k=1}^{T} x_k\, U\, W^{T-k},\cr
# \frac{\partial s_T}{\partial s_0} = W^{T}, \qquad
# \frac{\partial s_T}{\partial W} = \sum_{k=1}^{T} (T-k)\, x_k\, U\, W^{T-k-1}
# \end{gathered}
# \tag{12.2}
# \label{eq:12-unrolled}
# $$
#
# Here $W^{T}$ is the scalar $W$ raised to the power $T$ (not a transpose). With $|W| > 1$
# these derivatives grow like $|W|^{T}$: at $T = 40$, $1.1^{40} \approx 45$ and
# $1.5^{40} \approx 10^{7}$. With $|W| < 1$ they shrink like $|W|^{T}$
# ($0.9^{40} \approx 0.015$): this is the vanishing gradient, where the first steps of a
# long sequence stop influencing the update. On its way to a solution the descent walks
# into the region $|W| > 1$; there one huge gradient throws the weights to `inf` and then
# to `nan`. These are the document's `RuntimeWarning`s and its Fig. 26. The cell prints the
# epoch where it happens and the largest finite gradient norm before it.

# %%
x_long = np.tile(x_doc, 4)  # (1, 40)
y_long = np.array([12.0])
h26 = train(x_long, y_long, epochs=150)
bad = np.flatnonzero(~np.isfinite(h26["loss"]) | ~np.isfinite(h26["U"]))
first_bad = int(bad[0]) if bad.size else None
g26 = np.where(np.isfinite(h26["gnorm"]), h26["gnorm"], np.nan)
print(
    f"40 steps, lr 0.0005, no clipping: weights inf/nan at epoch {first_bad};\n"
    f"largest finite gradient norm before that {np.nanmax(g26):.2e}"
)
for w in (0.9, 1.1, 1.5):
    print(f"  |W|^40 for W = {w}: {w**40:.3g}")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The same training on the 40-step sequence (the document's Fig. 26): the weights move towards a solution and the loss falls, until one enormous gradient throws the weights out of the plot; after that they are inf and then nan, and nothing more is drawn.", "name": "fig-12-exploding-gradient"}}
fig, ax = plt.subplots(figsize=(6.4, 4))
ax2 = plot_run(
    ax, h26, t("40 steps, no clipping: nan from epoch {epoch}", epoch=first_bad)
)
ax2.set_ylim(-3, 200)
fig.tight_layout()
save(fig, "12_exploding_gradient.png", dpi=100)

# %% [markdown]
# **The cure: clip the gradient by its global norm.** Put all the gradients in one vector
# $g$ (here $g = (g_U, g_W)$) and, when it is longer than a threshold $c$, shrink it:
#
# $$
# g \leftarrow g \cdot \frac{c}{\lVert g \rVert} \quad \text{if } \lVert g \rVert > c
# \tag{12.3}
# $$
#
# The direction is kept, the step is at most $\text{lr} \cdot c$ long, and one cliff-edge
# gradient can no longer throw the weights to infinity. This is what the document's
# language model does (`tf.clip_by_global_norm(gradients, 5)`); in minigan it is the
# optimizers' `clip_norm` keyword (or `minigan.nn.optim.clip_grad_norm`). Same start, same
# 40-step sequence, $c = 5$ (the document's value), $\text{lr} = 0.001$ and twice the
# epochs: first our scalar loop, then `mg.RNN` with `mg.SGD(..., clip_norm=5)`. The two
# must agree.

# %%
EPOCHS_CLIP = 300
hclip = train(x_long, y_long, epochs=EPOCHS_CLIP, lr=0.001, clip=5.0)
print(
    f"clipped (c = 5): final loss {hclip['loss'][-1]:.3f}, U = {hclip['U'][-1]:.3f}, "
    f"W = {hclip['W'][-1]:.3f}, all finite: {np.isfinite(hclip['loss']).all()},\n"
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
    f"W = {cell.params['W_hh'].data[0, 0]:.3f}"
    f"  (the loop above: {hclip['U'][-1]:.3f}, {hclip['W'][-1]:.3f})"
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Left: the clipped run on the 40-step sequence stays finite, and the loss falls. Right: the raw gradient norm (before clipping) on a log scale; without clipping it explodes within a few epochs, with clipping it stays far above the threshold $c = 5$ to the end.", "name": "fig-12-clipping"}}
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
plot_run(axes[0], hclip, t("clipped to norm 5 (lr 0.001)"))
axes[1].semilogy(g26, "r-", label=t("no clipping"))
axes[1].semilogy(hclip["gnorm"], "b-", label=t("clip_norm = 5 (raw norm)"))
axes[1].axhline(5.0, color="k", ls="--", lw=0.8, label="c = 5")
axes[1].set_ylim(1e-1, 1e10)
if first_bad is not None:
    axes[1].annotate(
        t("→ {g:.0e}, then inf/nan", g=np.nanmax(g26)),
        xy=(min(first_bad, EPOCHS_CLIP - 120), 5e8),
        fontsize=10,
        color="r",
    )
axes[1].set_xlabel(t("ciclos (epochs)"))
axes[1].set_ylabel(r"$\|(g_U, g_W)\|$")
axes[1].set_title(t("gradient norm"))
axes[1].legend(loc="center right")
fig.tight_layout()
save(fig, "12_clipping.png", dpi=100)

# %% [markdown]
# Clipping does not change where the cliff is; it only stops one step from jumping off it.
# The raw gradient norm (right panel) stays far above $c$ to the end: the solution lies in a
# narrow valley with steep walls (the "cliff" of Pascanu, Mikolov & Bengio 2013), and the
# clipped steps, each at most $\text{lr} \cdot c$ long, bounce between the walls instead of
# flying off. The two runs agree closely but not to the last digit: PyTorch's rule, which
# minigan follows, scales by $c / (\lVert g \rVert + 10^{-6})$, and on the cliff that small
# difference is amplified. The deeper cure is an architecture whose gradient does not pass
# through a product of many $W$s: the LSTM.
#
# ## 6. The LSTM ("Long short-term memory")
#
# The document describes the LSTM in words: a cell state $c_t$ that is changed only through
# gates, each made of a sigmoid and an element-wise product; an input gate, a forget gate
# and an output gate; and tanh as the activation. In equations (PyTorch's `nn.LSTM`, which
# minigan follows), with the four blocks stacked in $W_{ih}$ ($4H \times D$) and $W_{hh}$
# ($4H \times H$) in the order i, f, g, o, and $b = b_{ih} + b_{hh}$ the sum of the two
# bias vectors:
#
# $$
# \begin{aligned}
# \big[\,a_i,\ a_f,\ a_g,\ a_o\,\big] &= x_t W_{ih}^{\top} + h_{t-1} W_{hh}^{\top} + b\cr
# i_t &= \sigma(a_i), \quad f_t = \sigma(a_f)\cr
# o_t &= \sigma(a_o), \quad g_t = \tanh(a_g)\cr
# c_t &= f_t \odot c_{t-1} + i_t \odot g_t\cr
# h_t &= o_t \odot \tanh(c_t)
# \end{aligned}
# \tag{PyTorch nn.LSTM}
# $$
#
# Here $i_t$ is the input gate, $f_t$ the forget gate and $o_t$ the output gate, each a
# vector of numbers between 0 and 1. Backwards, along the cell state,
#
# $$
# \frac{\partial C}{\partial c_{t-1}} = \frac{\partial C}{\partial c_t} \odot f_t
# \quad \text{(the path through } c_t \text{ only)}
# \tag{12.4}
# $$
#
# with no weight matrix on that path. With $f_t \approx 1$ the gradient is carried back
# unchanged over many steps. Below, `mg.LSTM(1, 16)` and an `mg.Dense(16, 1)` on the last
# state count the ones of random 40-step sequences (the length that exploded above): many
# to one again. The target is the count divided by 40, and the prediction is multiplied by
# 40 and rounded back to an integer count to score it. The second part of the cell measures
# how much each step's input moves the prediction, $|\partial \hat{y} / \partial x_t|$, with
# one backward pass: if the gradient vanished, the first steps would count less than the
# last ones.

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
rmse = float(np.sqrt(np.mean((pred_t - Yt) ** 2)))
print(
    f"LSTM count the ones, 40 steps: {time.perf_counter() - t0:.1f} s, "
    f"test RMSE {rmse:.3f} ones,\nexact count {100 * acc:.1f} % of 1000 sequences"
)

# How much does each step's input move the prediction? ∂ŷ/∂x_t by one backward pass.
hs = lstm(Xt[:200])
head(lstm.h_n)
dx = lstm.backward(np.zeros_like(hs), dh_n=head.backward(np.ones((200, 1), np.float32)))
sal = np.abs(dx[:, :, 0]).mean(axis=0) * T_LONG  # ŷ is the count / 40: back to ones
print(
    f"mean |∂ŷ/∂x_t| (in ones): first step {sal[0]:.2f}, last step {sal[-1]:.2f}"
    " (ideal: 1 everywhere)"
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The LSTM counts the ones of 40-step sequences. Left: the training loss (in squared ones, log scale) falls. Right: how much the input at each step moves the predicted count; a value near 1 at every step means the first inputs count as much as the last ones, so the gradient did not vanish.", "name": "fig-12-lstm-count"}}
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
axes[0].semilogy(np.array(lstm_losses) * T_LONG**2)
axes[0].set_xlabel(t("iteration"))
axes[0].set_ylabel(t("MSE (ones²)"))
axes[0].set_title(t("LSTM(1, 16) + Dense, 40 steps"))
axes[1].plot(np.arange(1, T_LONG + 1), sal, "o-", ms=3)
axes[1].axhline(1.0, color="k", ls="--", lw=0.8)
axes[1].set_ylim(0, 1.5)
axes[1].set_xlabel(t("step t"))
axes[1].set_ylabel(t("mean |∂ŷ/∂x_t|  (ones)"))
axes[1].set_title(t("the effect of each step's input"))
fig.tight_layout()
save(fig, "12_lstm_count.png", dpi=100)

# %% [markdown]
# ## 7. A character-level language model ("Modelos baseados em caracteres")
#
# A language model gives the probability of a sequence of symbols, one symbol at a time:
#
# $$
# \begin{aligned}
# P(w_1, \ldots, w_m)
# &= P(w_1)\, P(w_2 \mid w_1) \cdots\cr
# &\quad \cdots P(w_m \mid w_1, \ldots, w_{m-1})\cr
# &= \prod_{i=1}^{m} P(w_i \mid w_1, \ldots, w_{i-1})
# \end{aligned}
# \tag{003 ch. 2d}
# $$
#
# The document's n-gram section prints this chain rule as
# "$P(w_1, w_2, ..., w_m) = P(w_1)P(w_1)P(w_1, w_2), ..., P(w_1, ..., w_{m-1})$". That is a
# slip: each factor is the *conditional* probability of the next word given the previous
# ones, as above, and not the probability of the previous words (lesson 13 covers that
# section). A character-level model predicts the next *character*. Its vocabulary is tiny
# (every character of the text), but it needs a long memory, hence the LSTM. The document
# trains Vasilev et al.'s two-layer, 512-cell LSTM on *War and Peace*. We download nothing,
# so we train one layer of 128 cells on text that ships with every Python: the docstrings
# of a few standard-library modules, read when the lesson runs.
#
# The recipe is the document's:
# - characters → integer ids → one-hot vectors (`tf.one_hot`);
# - the text is too long for one BPTT pass, so it is cut into $N$ parallel streams read
#   $T$ characters at a time, and **the last state of one batch is the initial state of
#   the next** (truncated BPTT, "backpropagation truncado ao longo do tempo"): the keywords
#   `h0=` and `c0=`;
# - a linear layer to logits $z_t$, and the softmax cross-entropy against the next
#   character, $-\ln p_t(w_{t+1})$ averaged over all positions (in nats per character);
# - Adam with $\text{lr} = 2 \cdot 10^{-3}$ and clipping by global norm 5
#   (`tf.clip_by_global_norm`).
#
# Every position has a target, the next character: this is the many-to-many arrangement
# without delay of section 2. The first cell reads the text and prints two baselines: the
# uniform guess, $\ln V$ nats per character for $V$ different characters, and the
# cross-entropy of a model that knows only how often each character occurs.

# %%
# `stdlib_text` (in `lessons/_course.py`, which lesson 13 reads too) joins the
# docstrings of the modules `CHAR_MODULES` (textwrap, heapq, bisect, functools, ...
# argparse: each module's and each public function's and class's), keeps printable
# ASCII (anything else becomes `?`) and cuts runs of spaces to one: indentation would
# teach the model mostly spaces.
text = stdlib_text(CHAR_MODULES)
chars = sorted(set(text))
V = len(chars)
char_to_id = {c: i for i, c in enumerate(chars)}
ids = np.array([char_to_id[c] for c in text])
freq = np.bincount(ids, minlength=V) / len(ids)
unigram = float(-(freq * np.log(freq)).sum())
print(
    f"text: {len(text):,} characters, vocabulary {V}; uniform guess "
    f"{np.log(V):.2f} nats/char,\ncharacter frequencies alone (unigram) "
    f"{unigram:.2f} nats/char"
)
print("first lines:", repr(text[:60]))

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
    # carried to the next batch (no gradient flows across)
    h, c = lm.h_n.copy(), lm.c_n.copy()
    logits = out_layer(hs.reshape(N * T, H))  # (N·T, V)
    lm_losses.append(float(ce(logits, yb)))
    opt.zero_grad()
    dhs = out_layer.backward(ce.backward()).reshape(N, T, H)
    lm.backward(dhs)
    opt.step()
    if it % 200 == 0 or it == ITERS - 1:
        print(
            f"  iteration {it:4d}  loss {lm_losses[-1]:.3f} nats/char  "
            f"grad norm before clipping {float(opt.last_grad_norm):.2f}  "
            f"({time.perf_counter() - t0:.1f} s)"
        )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The character-level LSTM's cross-entropy on its training batches, in nats per character, against the number of batches. The dotted line is the uniform guess and the dashed line a model that knows only the character frequencies; in the full run the LSTM ends below both.", "name": "fig-12-char-lm"}}
fig, ax = plt.subplots(figsize=(6.4, 4))
ax.plot(lm_losses, lw=0.8, label=t("LSTM({V}, {H}) + Dense", V=V, H=H))
ax.axhline(np.log(V), color="k", ls=":", lw=0.8, label=t("uniform guess"))
ax.axhline(unigram, color="k", ls="--", lw=0.8, label=t("character frequencies"))
ax.set_xlabel(t("iteration (batch of {N} × {T} characters)", N=N, T=T))
ax.set_ylabel(t("cross-entropy (nats/char)"))
ax.set_title(t("character-level LSTM on docstrings"))
ax.legend()
fig.tight_layout()
save(fig, "12_char_lm.png", dpi=100)

# %% [markdown]
# **Sampling.** Feed a prime string, then repeatedly draw the next character from the
# softmax of the logits divided by a *temperature* $\tau$,
#
# $$
# p_i = \frac{e^{z_i / \tau}}{\sum_{j=1}^{V} e^{z_j / \tau}}
# \tag{12.5}
# $$
#
# and feed the drawn character back in, one step at a time, carrying $(h, c)$. This is the
# one-to-many arrangement of section 2. The temperature reshapes the distribution:
# $\tau \to 0$ is greedy (always the most likely character, which soon loops), $\tau = 1$
# is the model's own distribution, and $\tau > 1$ is flatter and noisier. The document
# samples with $\tau = 1$: `np.random.choice(labels, p=out)`.


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
    text_out = sample("Return the ", 200 if not FAST else 40, tau)
    for line in text_out.splitlines():  # wrapped at 88 characters for the page
        print(textwrap.fill(line, 88) if line.strip() else line)

# %% [markdown]
# Compare the printed samples with the document's. After the full run's thousand batches,
# look for English-looking words, spaces and punctuation in mostly the right places, and
# little meaning: about the stage of the document's first sample, "Após 500 lotes" ("after
# 500 batches"). The lower temperature gives more common words and more repetition. The
# document's later samples improve with 5,000 to 500,000 batches of a 2 × 512 network, far
# beyond a lesson's minute.
#
# ## 8. The same model in Portuguese (document 003's exercise)
#
# Document 003 closes its character-level LSTM with four suggestions. The last one is
# "Repita o experimento com algum texto de sua preferência, em português, e veja se a rede é
# capaz de montar frases coerentes em nosso idioma." The docstrings are English; the
# Portuguese text that ships with minigan is this course's own. The course has a Brazilian
# Portuguese edition, and `minigan.data.course_text("pt_BR")` returns its prose (one
# paragraph a line, with the math, the code and the Markdown stripped), while
# `course_text("en")` returns the English originals of the very same paragraphs. The two
# texts say the same things, so what differs between them is the language.
#
# To compare like with like, the two texts are split the same way (`course_texts` in
# `lessons/_course.py`, which lesson 13 uses too). Their last paragraphs, about 10 % of
# the English text, are held out: the model never trains on them, and it is scored on
# them. They are the same paragraphs in the two languages, so the two scores are measured
# on the same content. The paragraphs before them are for training, cut to the same number
# of characters in the two languages, and, all together, at most as long as section 7's
# docstrings. Both models get section 7's recipe, with the same seed, for 500 batches each
# (the stage of the document's first sample, "Após 500 lotes"). The score is the
# cross-entropy on the held-out text in nats per character, read as 8 streams with the
# state carried from character to character. Two baselines come with it, as in section 7:
# the uniform guess $\ln V$ and the character frequencies of the training part (each count
# plus one, so that a character seen only in the held-out part does not get probability
# 0). The cell also prints two properties of the texts, the share of characters outside
# ASCII (the accents: á, ã, ç, é, õ, ...) and the mean length of a word, and how many
# Portuguese characters the held-out paragraphs take for each English one.

# %%
LANG_ITERS = 500 if not FAST else 20
# {"en": (training text, held-out text), "pt_BR": (...)}: the held-out parts are the same
# paragraphs in the two languages, the training parts have the same length
course = course_texts(size=len(text) if not FAST else 20_000)


def train_char_lstm(ids_train, V, iters):
    """Section 7's recipe on the character ids `ids_train`: LSTM(V, 128) + Dense, 32
    streams of 32 characters, the state carried, Adam 2e-3, clipping at norm 5."""
    lm_, head_ = mg.LSTM(V, H, rng=0), mg.Dense(H, V, init="pytorch", rng=0)
    opt_ = optim.Adam(lm_.parameters() + head_.parameters(), lr=2e-3, clip_norm=5.0)
    eye = np.eye(V, dtype=np.float32)
    stream = len(ids_train) // N
    begin = np.arange(N) * stream
    pos, h, c, curve = 0, None, None, []
    for _ in range(iters):
        if pos + T + 1 > stream:  # end of the streams: start over, fresh state
            pos, h, c = 0, None, None
        window = ids_train[begin[:, None] + pos + np.arange(T + 1)]  # (N, T + 1)
        pos += T
        hs = lm_(eye[window[:, :-1]], h0=h, c0=c)
        h, c = lm_.h_n.copy(), lm_.c_n.copy()
        curve.append(float(ce(head_(hs.reshape(N * T, H)), window[:, 1:].reshape(-1))))
        opt_.zero_grad()
        lm_.backward(head_.backward(ce.backward()).reshape(N, T, H))
        opt_.step()
    return lm_, head_, curve


def heldout_nats(lm_, head_, ids, V, streams=8):
    """Mean −ln p(next character) over `ids`, read as `streams` parallel streams, each
    from a zero state with the state carried (lesson 13's rule)."""
    L = (len(ids) - 1) // streams
    x = np.stack([ids[s * L : (s + 1) * L + 1] for s in range(streams)])  # (S, L + 1)
    hs = lm_(np.eye(V, dtype=np.float32)[x[:, :-1]])
    return float(ce(head_(hs.reshape(-1, H)), x[:, 1:].reshape(-1)))


runs = {}
for lang, (train_s, test_s) in course.items():
    s = train_s + test_s
    vocab = sorted(set(s))
    to_id = {ch: i for i, ch in enumerate(vocab)}
    ids_l = np.array([to_id[ch] for ch in s])
    cut = len(train_s)
    counts = np.bincount(ids_l[:cut], minlength=len(vocab)) + 1.0  # add one
    p_uni = counts / counts.sum()
    t0 = time.perf_counter()
    lm_l, head_l, curve = train_char_lstm(ids_l[:cut], len(vocab), LANG_ITERS)
    runs[lang] = {
        "vocab": vocab,
        "to_id": to_id,
        "lm": lm_l,
        "head": head_l,
        "curve": curve,
        "training": cut,
        "held out": len(test_s),
        "non-ASCII": np.mean([ord(ch) > 127 for ch in s]),
        "word length": np.mean([len(w) for w in re.findall(r"[^\W\d_]+", s)]),
        "uniform": np.log(len(vocab)),
        "unigram": float(-np.log(p_uni[ids_l[cut:]]).mean()),
        "LSTM": heldout_nats(lm_l, head_l, ids_l[cut:], len(vocab)),
    }
    print(
        f"{lang}: {LANG_ITERS} batches in {time.perf_counter() - t0:.1f} s; last "
        f"training batch {curve[-1]:.3f} nats/char"
    )

en, pt = runs["en"], runs["pt_BR"]
rows = [
    ("characters for training", f"{en['training']:,}", f"{pt['training']:,}"),
    ("held out (the same paragraphs)", f"{en['held out']:,}", f"{pt['held out']:,}"),
    ("different characters V", len(en["vocab"]), len(pt["vocab"])),
    ("characters outside ASCII", f"{en['non-ASCII']:.1%}", f"{pt['non-ASCII']:.1%}"),
    (
        "mean word length (letters)",
        f"{en['word length']:.2f}",
        f"{pt['word length']:.2f}",
    ),
    ("uniform guess ln V", f"{en['uniform']:.3f}", f"{pt['uniform']:.3f}"),
    ("character frequencies, held out", f"{en['unigram']:.3f}", f"{pt['unigram']:.3f}"),
    (f"LSTM, {LANG_ITERS} batches, held out", f"{en['LSTM']:.3f}", f"{pt['LSTM']:.3f}"),
]
print(f"\n{'nats per character':<36} {'English':>10} {'Portuguese':>11}")
for name, a, b in rows:
    print(f"{name:<36} {a:>10} {b:>11}")
ratio = pt["held out"] / en["held out"]
print(
    f"the held-out paragraphs take {ratio:.3f} Portuguese characters for each English "
    "one;\nthe same content, in nats per English character\n(Portuguese: its nats per "
    f"character times {ratio:.3f}):"
)
for key, name in (("unigram", "character frequencies"), ("LSTM", "LSTM")):
    print(f"  {name:<22} English {en[key]:.3f}, Portuguese {pt[key] * ratio:.3f}")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The same character-level LSTM trained on the course's own text in English and in Brazilian Portuguese (training parts of the same length). Left: the cross-entropy of the training batches. Right: nats per character on the held-out paragraphs, the same in both languages, beside the two baselines.", "name": "fig-12-char-lm-languages"}}
LANG_NAMES = {"en": t("English"), "pt_BR": t("Portuguese")}
fig, axes = plt.subplots(1, 2, figsize=(10.5, 4))
for lang, run in runs.items():
    axes[0].plot(run["curve"], lw=0.8, label=LANG_NAMES[lang])
axes[0].set_xlabel(t("iteration (batch of {N} × {T} characters)", N=N, T=T))
axes[0].set_ylabel(t("cross-entropy (nats/char)"))
axes[0].set_title(t("training batches"))
axes[0].legend()
KINDS = {
    "uniform": t("uniform\nguess"),
    "unigram": t("character\nfrequencies"),
    "LSTM": t("LSTM,\n{n} batches", n=LANG_ITERS),
}
for j, (lang, run) in enumerate(runs.items()):
    x = np.arange(len(KINDS)) + (j - 0.5) * 0.38
    bars = axes[1].bar(x, [run[k] for k in KINDS], 0.36, label=LANG_NAMES[lang])
    axes[1].bar_label(bars, fmt="%.2f", fontsize=9)
axes[1].set_xticks(np.arange(len(KINDS)), list(KINDS.values()))
axes[1].set_ylabel(t("held-out cross-entropy (nats/char)"))
axes[1].set_title(t("held out: the same paragraphs in both languages"))
axes[1].legend(loc="upper right")
fig.tight_layout()
save(fig, "12_char_lm_languages.png", dpi=100)

# %% [markdown]
# **Reading the table.** The two texts are the same paragraphs, and the printed lines
# measure how they differ. Portuguese writes its accents: in the full run 3.2 % of its
# characters are outside ASCII, against 0.6 % of the English ones (those come from the
# documents' quotations, which the English text keeps in Portuguese). The accents do not
# make the vocabulary larger here: both texts use 99 different characters, so the two
# uniform guesses $\ln V$ are equal. The words are about as long in both languages (4.66
# letters in Portuguese, 4.76 in English, in the full run): Portuguese has long endings,
# "-ção", "-mente", "-ões", but also many short words, "a", "o", "de", "do", "em", "no".
# The held-out paragraphs take 1.036 Portuguese characters for each English one. In the
# full run the LSTM scores 2.092 nats per character on the Portuguese held-out text and
# 2.136 on the English one. Per character, then, Portuguese looks a little easier; but the
# Portuguese paragraphs have more characters, so on the same content the order turns:
# 2.168 nats per English character for Portuguese against 2.136 for English (the cell's
# last line). Nats per character compare models on the same text. Between two languages
# they mix how predictable each language is with how long its spelling is, and the
# comparison on the same content is the fairer one. This is also one run, with one seed,
# scored on a few thousand characters: differences of a few hundredths of a nat are of the
# size that another seed or another cut of the text could change.
# Lesson 13 §9 puts the count n-grams and the neural 6-gram beside this LSTM, on the same
# texts.
#
# **Sampling in Portuguese.** The document asks whether the network "é capaz de montar frases
# coerentes em nosso idioma". The cell primes each model with the start of a sentence in its
# own language and samples 200 characters at $\tau = 0.5$, as section 7 did.


# %%
def sample_lang(run, prime, length, temperature, seed=0):
    """`sample` of section 7, for one of this section's models."""
    g = np.random.default_rng(seed)
    V_l, eye = len(run["vocab"]), np.eye(len(run["vocab"]), dtype=np.float32)
    h = c = None
    for ch in prime:  # the last character's step gives the first distribution
        run["lm"](eye[None, None, run["to_id"][ch]], h0=h, c0=c)
        h, c = run["lm"].h_n, run["lm"].c_n
    out = prime
    for _ in range(length):
        z = run["head"](h)[0].astype(np.float64) / temperature
        p = np.exp(z - z.max())
        ch = run["vocab"][g.choice(V_l, p=p / p.sum())]
        out += ch
        run["lm"](eye[None, None, run["to_id"][ch]], h0=h, c0=c)
        h, c = run["lm"].h_n, run["lm"].c_n
    return out


for lang, prime in (("pt_BR", "A rede "), ("en", "The network ")):
    print(f"--- {lang}, temperature 0.5 ---")
    print(
        textwrap.fill(sample_lang(runs[lang], prime, 200 if not FAST else 40, 0.5), 88)
    )

# %% [markdown]
# After 500 batches, the Portuguese model writes text that looks Portuguese at a glance:
# frequent short words of the language, common endings, spaces in plausible places and
# invented words of Portuguese shape, but no sentence that means anything. It is the stage
# of the document's first sample, "Após 500 lotes", in the other language. The document's
# question, whether the network "é capaz de montar frases coerentes em nosso idioma",
# needs many more batches, a larger network and, as the document adds, more text:
# "Lembre-se, quanto maior for o conjunto de treinamento, melhor a rede será em montar
# textos compreensíveis" (exercise 9).
#
# ## Exercises
# 1. Put the printed `gS = gS * W` of the document outside the loop (slip 3) and compare its
#    `gW` with the finite difference of `forward`. Which of `gU`, `gW` is still right, and
#    why?
# 2. Train the scalar cell of section 4 on sequences of length 40 without clipping,
#    starting from $U = W = 0.5$. Does it explode? Plot $|W|$ against the epoch and mark
#    $|W| = 1$.
# 3. Vanishing gradients: build `mg.RNN(1, 8)` (tanh) + `mg.Dense(8, 1)` and train it on
#    the 40-step counting task of section 6. Plot the mean
#    $|\partial \hat{y} / \partial x_t|$ against $t$ as in `12_lstm_count.png`. What
#    happens to the first steps?
# 4. Set the LSTM's forget-gate bias (rows `H:2H` of `b_ih`) to +1 before training (a
#    common trick, Jozefowicz et al. 2015) and compare the learning curves of section 6.
# 5. Language model: stack two LSTMs (`mg.LSTM(V, H)` then `mg.LSTM(H, H)`, the document's
#    "MultiRNNCell"), or raise $H$. Does the loss per character go down faster per second?
# 6. Reset the state $(h, c)$ to zeros at every batch instead of carrying it. What does the
#    model lose? (Hint: the first characters of each batch.)
# 7. Port the trained LSTM to PyTorch: copy `W_ih, W_hh, b_ih, b_hh` into
#    `weight_ih_l0, ...` of `torch.nn.LSTM(V, H, batch_first=True)` and check that both
#    give the same `h_n`.
# 8. Which arrangement of section 2 is a network that reads a whole sentence and then
#    writes its translation, and why can it not be the one without delay?
# 9. Train section 8's Portuguese model for 2,000 batches, then on the whole course text
#    (`course_texts()` without `size`: the same split, all the paragraphs). Do its samples
#    hold more real Portuguese words? Does its held-out score keep falling?

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
# | `12.rnn_step` | one step of a tanh RNN | document 003 ch. 2 | 1 |
# | `12.rnn_bptt` | backpropagation through time for a tanh RNN | document 003 ch. 2 | 3 |
# | `12.lstm_cell_backward` | the backward pass of one LSTM step | document 003 ch. 2 | 3 |
# | `12.clip_by_global_norm` | gradient clipping by global norm | document 003 ch. 2 | 1 |
#
# 8 points in all. The same stubs come as a plain file, to write in your editor and grade
# from a terminal (`minigan-exercises list` shows every lesson's exercises):
#
# ```bash
# minigan-exercises new ex/ --lesson 12   # writes ex/lesson12_rnn.py
# minigan-exercises grade ex/ -k 12       # PASS, FAIL, TODO or ERROR, and the points
# ```

# %%
import numpy as np
from minigan.exercises import check


# %%
def rnn_step(x_t, h_prev, W_ih, W_hh, b):
    """One step of an Elman RNN with tanh.

    Document 003 ch. 2: s_t = f(s_{t−1} W + x_t U); in minigan's layout
        h_t = tanh(x_t W_ihᵀ + h_{t−1} W_hhᵀ + b)

    Parameters
    ----------
    x_t : (N, D) float64;  h_prev : (N, H)
    W_ih : (H, D);  W_hh : (H, H);  b : (H,)

    Returns
    -------
    h_t : (N, H)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("12.rnn_step", rnn_step)


# %%
def rnn_bptt(dout, x, hs, h0, W_ih, W_hh):
    """Backpropagation through time for the tanh RNN of rnn_step, over a whole sequence.

    Document 003 ch. 2, "Backpropagation ao longo do tempo": walk the unrolled network
    backwards, t = T−1, ..., 0, carrying the gradient that reaches h_t from step t+1:
        g_t = dout_t + (δ_{t+1} W_hh)   (∂C/∂h_t; no δ_{t+1} after the last step)
        δ_t = g_t ⊙ (1 − h_t²)          (tanh' from the output h_t)
        ∂C/∂W_ih = Σ_t δ_tᵀ x_t,   ∂C/∂W_hh = Σ_t δ_tᵀ h_{t−1},
        ∂C/∂b = Σ_t Σ_batch δ_t
        ∂C/∂x_t = δ_t W_ih,        ∂C/∂h0 = δ_0 W_hh
    (The document's printed code has "gS = gS · W" after its loop; it belongs inside.)

    Parameters
    ----------
    dout : (N, T, H), ∂C/∂h_t for every t;  x : (N, T, D), the inputs
    hs : (N, T, H), the forward's states h_1..h_T;  h0 : (N, H), the initial state
    W_ih : (H, D);  W_hh : (H, H)

    Returns
    -------
    (dx, dW_ih, dW_hh, db, dh0) : arrays (N, T, D), (H, D), (H, H), (H,), (N, H)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("12.rnn_bptt", rnn_bptt)


# %%
def lstm_cell_backward(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b):
    """The backward pass of one LSTM step (gates in PyTorch's order i, f, g, o).

    As minigan.LSTM. Forward (document 003 ch. 2 describes the gates in words;
    Hochreiter & Schmidhuber 1997):
        a = x W_ihᵀ + h_prev W_hhᵀ + b,
            split into 4 blocks of H columns: a_i, a_f, a_g, a_o
        i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)
        c = f ⊙ c_prev + i ⊙ g,    h = o ⊙ tanh(c)
    Backward, with dh = ∂C/∂h and dc = ∂C/∂c arriving from later:
        g_c = dc + dh ⊙ o ⊙ (1 − tanh²(c))          (both paths into c)
        ∂C/∂a_i = g_c ⊙ g ⊙ i(1 − i),   ∂C/∂a_f = g_c ⊙ c_prev ⊙ f(1 − f)
        ∂C/∂a_g = g_c ⊙ i ⊙ (1 − g²),   ∂C/∂a_o = dh ⊙ tanh(c) ⊙ o(1 − o)
        ∂C/∂c_prev = g_c ⊙ f            (the cell path: no weight matrix)
        with δ = ∂C/∂a (N, 4H):  ∂C/∂x = δ W_ih,  ∂C/∂h_prev = δ W_hh,
        ∂C/∂W_ih = δᵀ x,  ∂C/∂W_hh = δᵀ h_prev,  ∂C/∂b = Σ_batch δ

    Parameters
    ----------
    dh, dc : (N, H);  x : (N, D);  h_prev, c_prev : (N, H)
    W_ih : (4H, D);  W_hh : (4H, H);  b : (4H,)

    Returns
    -------
    (dx, dh_prev, dc_prev, dW_ih, dW_hh, db)
        arrays (N, D), (N, H), (N, H), (4H, D), (4H, H), (4H,)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("12.lstm_cell_backward", lstm_cell_backward)


# %%
def clip_by_global_norm(grads, max_norm):
    """Scale a list of gradients so that their global L2 norm is at most max_norm.

    Document 003 ch. 2's tf.clip_by_global_norm(gradients, 5), as
    minigan.clip_grad_norm:
        total = √(Σ_k Σ gₖ²)    (one norm over every element of every array)
        gₖ ← gₖ · min(1, max_norm / (total + 10⁻⁶))
    The direction of the joint gradient is kept; only its length is capped.

    Parameters
    ----------
    grads : list of float64 arrays;  max_norm : float > 0

    Returns
    -------
    (clipped, total) : a list of new arrays (the shapes of grads) and the norm before
        clipping
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("12.clip_by_global_norm", clip_by_global_norm)

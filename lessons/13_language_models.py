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
# # Lesson 13: Language models, n-grams, embeddings and Word2Vec
#
# **Objective.** Count n-grams and turn the counts into probabilities; measure, on real text,
# why counting stops working as $n$ grows (the "maldição da dimensionalidade", the curse of
# dimensionality); write the embedding layer (a lookup that is secretly a product with a
# one-hot matrix) with its hand-written backward pass and a gradient check; train the
# neural probabilistic language model and Word2Vec's skip-gram on text that ships with
# Python; and put a character n-gram model's **nats per character** beside an LSTM's, on
# the same held-out text. Last, train the same character models on the course's own text in
# Portuguese and in English (document 003's exercise) and compare the two languages.
#
# **Source.** Document 003 (Pereira n.d.), *Deep Learning, Unidade III* (the course unit is
# undated; its references were accessed in 2019), chapter 2, "Modelagem de linguagem":
# "Modelos baseados em palavras", "N-grams", "Modelos neurais de linguagem", "Modelo de
# linguagem neural probabilístico", "Word2Vec" and "Modelos baseados em caracteres". The
# chapter's sections have no numbers, so the equations below are tagged "003 ch. 2" with a
# letter. Lesson 12 covers the same chapter's recurrent networks and its character-level
# LSTM.
#
# *Slips in the chapter* (each is shown again where it matters):
# 1. The chain rule is printed
#    "$P(w_1, w_2, ..., w_m) = P(w_1)P(w_1)P(w_1, w_2), ..., P(w_1, ..., w_{m-1})$". Every
#    factor should be the *conditional* probability of the next word given the previous
#    ones, $P(w_i \mid w_1, \ldots, w_{i-1})$, as in $\eqref{eq:13-chain}$ below (lesson 12
#    §7 says so too).
# 2. The bigram is printed
#    "$P(w_{i-1}) = \frac{\text{contagem}(w_{i-1}, w_i)}{\text{contagem}(w_{i-1})}$". The
#    right side is right, but the left side is the probability of the word *given* the
#    previous one, $P(w_i \mid w_{i-1})$.
# 3. The line labelled "3. gram (trigram)" is printed
#    "$P(w_n,...,w_{n+i-1}) = \frac{contagem(w_n,...,w_{n+i-1},w_{n+i})}{contagem(w_n,...,w_{n+i-1})}$".
#    It is the general n-gram estimate (a context of $i$ words), not only the trigram, and
#    its left side is again a conditional probability:
#    $P(w_{n+i} \mid w_n, \ldots, w_{n+i-1})$.
# 4. The size of the 5-gram table. The document prints: "para um pequeno vocabulário
#    contendo 100 palavras, a quantidade de 5-grams seria
#    $10^5 = 10.000.000.000.000.5$ -grams diferentes". The count of 5-grams of a
#    100-word vocabulary is $100^5 = (10^2)^5 = 10^{10}$, ten billion (dez bilhões,
#    10.000.000.000 with the Brazilian thousands separator). The printed line gets it wrong
#    three ways, and its two sides are not even equal to each other:
#    - the power $10^5$ has base 10 instead of the vocabulary size 100: $10^5$ is one
#      hundred thousand (100.000), the number of 5-grams of a 10-word vocabulary;
#    - the number after the equals sign, read with the period as the thousands separator,
#      is 10.000.000.000.000 $= 10^{13}$ (dez trilhões): a "10" followed by four groups of
#      "000", one group too many for $10^{10}$;
#    - the final ".5" is most likely the "5" of "5-grams", run into the number: the math
#      closes after it, and "-grams diferentes" stands outside.
#
#    Section 3 prints all three numbers.

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
    course_texts,
    save,
    stdlib_docstrings,
    stdlib_text,
    t,
)  # lessons/_course.py: fast mode, figures saved (and shown in a notebook)

# small matrices: one BLAS thread is faster than several that wait for each other
set_blas_threads(1)
plt.rcParams.update({"font.size": 11, "axes.titlesize": 11, "legend.fontsize": 10})

rng = np.random.default_rng(0)
T_START = time.perf_counter()

# %% [markdown]
# ## 1. N-grams from the document's sentence
#
# A word-level language model ("Modelos baseados em palavras") gives a probability to every
# sequence of $m$ words. By the chain rule of probability it is a product of conditional
# probabilities, each one the probability of the next word given all the words before it
# (slip 1):
#
# $$
# P(w_1, \ldots, w_m) = P(w_1)\, P(w_2 \mid w_1) \cdots P(w_m \mid w_1, \ldots, w_{m-1})
# \tag{003 ch. 2a}
# \label{eq:13-chain}
# $$
#
# The n-gram model ("N-grams") cuts each condition down to the last $n - 1$ words,
#
# $$
# P(w_i \mid w_1, \ldots, w_{i-1}) \approx P(w_i \mid w_{i-n+1}, \ldots, w_{i-1})
# \tag{003 ch. 2b}
# $$
#
# and estimates the right side by counting how often each n-gram (each run of $n$
# consecutive words) occurs in a text:
#
# $$
# \begin{aligned}
# \text{unigram:}\quad & P(w) = \frac{\text{contagem}(w)}{\text{número total de palavras}}\cr
# \text{bigram:}\quad & P(w_i \mid w_{i-1})
#   = \frac{\text{contagem}(w_{i-1}, w_i)}{\text{contagem}(w_{i-1})}\cr
# \text{n-gram:}\quad & P(w_i \mid h)
#   = \frac{\text{contagem}(h, w_i)}{\text{contagem}(h)}
# \end{aligned}
# \tag{003 ch. 2c}
# \label{eq:13-count}
# $$
#
# where $h = (w_{i-n+1}, \ldots, w_{i-1})$ is the context of the last $n - 1$ words
# ("contagem" is "count"; the left sides are corrected as in slips 2 and 3). First the
# document's own example, the n-grams of "Está fazendo sol hoje". The cell checks that our
# `ngrams` function gives exactly the document's four lists.


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
# We download nothing, so the text is one that ships with every Python: the docstrings of
# standard-library modules, read when the lesson runs with `inspect`. Lesson 12 reads a few
# of them for its character LSTM; here, for words, we read more modules and their classes'
# methods. Words are lower-case runs of letters. The first 90 % of the words are for
# counting (training), the last 10 % are held out. The cell then applies the bigram formula
# of $\eqref{eq:13-count}$ to the word "return" and prints the words that most often follow
# it.

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
if len(words) < 5000:  # python -OO strips docstrings: fall back to the source of a few
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
    f"{len(words):,} words ({len(set(words)):,} different); "
    f"{len(w_train):,} for counting, {len(w_test):,} held out"
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
# With a vocabulary of $V$ words there are
#
# $$
# V^{n} \ \text{possible n-grams; for } V = 100,\ n = 5:\quad
# 100^{5} = 10^{10}
# \tag{003 ch. 2d}
# $$
#
# (slip 4: the document printed $10^5 = 10.000.000.000.000.5$). A text of $N$ words holds
# at most $N$ different n-grams, so as $n$ grows almost every n-gram of new text is one
# that the counts have **never seen**, and its estimated probability in
# $\eqref{eq:13-count}$ is $0/0$ (the context was never seen) or $0$. The table below
# measures this on our text: for each $n$, the number of possible n-grams, the number of
# different n-grams in the training words, and the share of the held-out n-grams that never
# occur in the training words. Its last lines print the numbers of slip 4.

# %%
print(
    f"{'n':>2} {'possible V^n':>14} {'distinct in training':>21}"
    f" {'held-out n-grams never seen':>28}"
)
V_words = len(uni)
unseen_share = {}
for n in range(1, 6):
    seen = set(ngrams(w_train, n))
    test_grams = ngrams(w_test, n)
    unseen_share[n] = float(np.mean([g not in seen for g in test_grams]))
    print(
        f"{n:>2} {float(V_words) ** n:>14.2e} {len(seen):>21,}"
        f" {100 * unseen_share[n]:>27.1f}%"
    )
print("the document's example, 100 words and n = 5:")
print(f"  100 ** 5 = {100**5:,} = 10 ** 10  (the right count)")
print(f"  10 ** 5 = {10**5:,}  (the printed power)")
print(f"  10 ** 13 = {10**13:,}  (the printed number, without its '.5')")
assert 100**5 == 10**10

# %% [markdown]
# ## 4. A character n-gram model, and its nats per character
#
# At the character level the vocabulary is small (every character of the text), and the
# same counting works for longer contexts. We use **exactly lesson 12's text** (the
# docstrings of its fourteen modules, with the same cleaning) and hold out its last 10 %.
#
# The counting formula $\eqref{eq:13-count}$ gives probability 0 to a character never seen
# after a context, and a single such character in the held-out text makes the average
# $-\ln P$ infinite. The fix is *smoothing*. We use Witten–Bell interpolation, one line per
# order. Let $C(h)$ be the count of the context $h$, $C(hc)$ the count of $h$ followed by
# the character $c$, $T(h)$ the number of *different* characters seen after $h$, and $h'$
# the context one character shorter. Then
#
# $$
# \begin{gathered}
# P(c \mid h) = \frac{C(hc) + T(h)\, P(c \mid h')}{C(h) + T(h)}
# \quad (\text{or } P(c \mid h') \text{ if } C(h) = 0),\cr
# P(c) = \frac{C(c) + 1}{N + V}
# \end{gathered}
# \tag{13.1}
# $$
#
# where the last formula, the bottom of the recursion, is the unigram with one added to
# every count ($N$ characters of training text, $V$ different characters). A context
# followed by many different characters leaves more weight to the shorter context. The
# score is the **cross-entropy in nats per character** over the $N$ characters of a text,
#
# $$
# H = -\frac{1}{N} \sum_{t=1}^{N} \ln P(c_t \mid c_{t-n+1}, \ldots, c_{t-1})
# \tag{13.2}
# \label{eq:13-nats}
# $$
#
# the same quantity as lesson 12's `CrossEntropyLoss` (which also uses the natural log).
# The uniform guess scores $\ln V$. The cell fits one model per order $n$ and prints its
# score on training text and on the held-out text; its last line counts how many held-out
# characters the unsmoothed formula would give probability 0.

# %%
text = stdlib_text(CHAR_MODULES)  # lesson 12's text, character for character
chars = sorted(set(text))
V = len(chars)
char_to_id = {c: i for i, c in enumerate(chars)}
split = int(0.9 * len(text))
c_train, c_test = text[:split], text[split:]
print(
    f"lesson 12's text: {len(text):,} characters, vocabulary {V}; "
    f"{len(c_train):,} for training,\n{len(c_test):,} held out; "
    f"uniform guess ln {V} = {np.log(V):.2f} nats/char"
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
        f"  n = {n}: training text {ngram_nats[n][0]:.3f}, "
        f"held out {ngram_nats[n][1]:.3f} nats/char"
    )
best_n = min(ngram_nats, key=lambda n: ngram_nats[n][1])
print(
    f"best held-out order n = {best_n}: {ngram_nats[best_n][1]:.3f} nats/char "
    f"({time.perf_counter() - t0:.1f} s)"
)

# The counting formula without smoothing (the document's): how many held-out
# characters get P = 0?
m3 = CharNgram(c_train, 4, chars)
zero = np.mean([m3.joint[3][text[t - 3 : t + 1]] == 0 for t in range(split, len(text))])
print(
    f"unsmoothed 4-gram: {100 * zero:.1f} % of held-out characters never follow their\n"
    "context in the training text: P = 0 and −ln P = ∞"
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Cross-entropy of the Witten–Bell character n-gram models against the order $n$, on training text and on the held-out text. In the full run the training curve keeps falling with $n$ while the held-out curve falls, reaches a minimum and rises again.", "name": "fig-13-char-ngrams"}}
ns = list(ORDERS)
fig, ax = plt.subplots(figsize=(6.4, 4))
ax.plot(ns, [ngram_nats[n][0] for n in ns], "o-", label=t("training text"))
ax.plot(ns, [ngram_nats[n][1] for n in ns], "s-", label=t("held out"))
ax.axhline(np.log(V), color="k", lw=0.8, ls="-.", label=t("uniform guess"))
ax.set_xlabel(t("n (context of n − 1 characters)"))
ax.set_ylabel(t("cross-entropy (nats/char)"))
ax.set_title(t("Witten–Bell character n-grams"))
ax.legend()
fig.tight_layout()
save(fig, "13_char_ngrams.png", dpi=100)

# %% [markdown]
# In the full run, the training nats keep falling with $n$ (the model memorises its text),
# while the held-out nats fall and then rise: with long contexts most held-out contexts are
# new (section 3, at the character level), and the model falls back on shorter ones. The
# gap between the two curves is overfitting by counting. The order with the lowest held-out
# score is printed above the figure.
#
# ## 5. The embedding layer, from scratch
#
# "Modelos neurais de linguagem": instead of counting each n-gram separately, map each word
# (or character) to a dense vector of size $D$ and let a network compute the probability
# from the vectors. Similar words get similar vectors, so what is learnt about one n-gram
# carries over to n-grams never seen. The map is the embedding matrix $C$ of shape
# $V \times D$ ("a matriz de incorporação C ... V * D"). Applying it to the one-hot row
# vector $e_w$ of a word $w$ (a 1 in place $w$, 0 elsewhere) is a matrix product that picks
# one row:
#
# $$
# e_w\, C = C_{w,:} \qquad (1 \times V \text{ times } V \times D = \text{row } w \text{ of } C)
# \tag{003 ch. 2e}
# $$
#
# so the layer is a lookup, `out = C[idx]`, for integer indices of any shape. Its backward
# pass follows from the product. With $X$ the one-hot rows of all positions of the batch
# (one row per position $p$, with index $w_p$) and $\partial L / \partial \text{out}$ the
# incoming gradient,
#
# $$
# \frac{\partial L}{\partial C} = X^{\top} \frac{\partial L}{\partial \text{out}},
# \qquad\text{that is,}\qquad
# \frac{\partial L}{\partial C_{w,:}}
# = \sum_{p \,:\, w_p = w} \frac{\partial L}{\partial \text{out}_{p,:}}
# \tag{13.3}
# $$
#
# a *scatter-add*: every position adds its gradient to the row of its word, and a word that
# occurs twice in the batch receives both gradients. (There is no gradient with respect to
# the integer indices.) NumPy's `C.grad[idx] += dout` would be **wrong** for repeated
# indices: the buffered assignment keeps only one of them. `np.add.at` is the unbuffered
# scatter-add. The cell checks all three statements on a small example, then writes the
# layer as a minigan `Module`, checks its gradient against central differences, and checks
# that minigan's own `mg.Embedding` gives the same outputs and gradients.

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
print("one-hot @ C == C[idx]; scatter-add == Xᵀ dout;")
print(
    "buffered `grad[idx] += dout` differs by",
    f"{np.abs(grad_buffered - grad_matmul).max():.2f} (rows 1 and 4 appear twice)",
)


class ScratchEmbedding(mg.Module):
    """A lookup table as a minigan Module.

    Its one parameter is "W", of shape (num_embeddings, embedding_dim)."""

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
        # Xᵀ dout, as a scatter-add
        np.add.at(W.grad, self._idx.reshape(-1), dout.reshape(-1, W.shape[1]))
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
print("gradient check (float64, central differences):")
print(f"  {'ScratchEmbedding':<18} W  relative error {err:.1e}")
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
err_m = gradcheck.rel_error(emb_m.params["W"].grad, num)
print(f"  {'mg.Embedding':<18} W  relative error {err_m:.1e}")


def new_embedding(n, d, seed, scale):
    """An Embedding with our own N(0, scale²) start, whatever the layer's default
    init."""
    e = Embedding(n, d)
    e.params["W"].data[...] = np.random.default_rng(seed).normal(0, scale, (n, d))
    return e


# %% [markdown]
# ## 6. The neural probabilistic language model ("Modelo de linguagem neural probabilístico")
#
# Bengio et al. (2003), as the document describes it: the $n - 1$ previous symbols go
# through the *same* embedding $C$, their vectors are concatenated and fed to a hidden
# layer with tanh, and a softmax output layer gives the distribution of the next symbol.
# The embedding and the network are learnt together. We build it on characters, with the
# same context as a count 6-gram (5 previous characters), so it is the neural answer to
# section 4's models:
#
# $$
# \begin{aligned}
# P(\cdot \mid c_{t-5}, \ldots, c_{t-1}) &= \operatorname{softmax}\big(a\, W_2 + b_2\big),\cr
# a &= \tanh\big([\,C_{c_{t-5}},\ \ldots,\ C_{c_{t-1}}\,]\, W_1 + b_1\big)
# \end{aligned}
# \tag{Bengio 2003}
# $$
#
# where $[\ldots]$ is the concatenation of the five embedding rows ($5 \cdot 16 = 80$
# numbers), $a$ is the hidden layer's output, $W_1$ is $80 \times 128$ and $W_2$ is
# $128 \times V$. In minigan layers:
# `Embedding(V, 16) → Flatten → Dense(80, 128) → Tanh → Dense(128, V)`, trained with the
# softmax cross-entropy. The cell trains it and prints its score $\eqref{eq:13-nats}$ on
# training text and on held-out text, beside the count 6-gram's.

# %%
CTX = 5
ids_all = np.array([char_to_id[c] for c in text])
# every window of CTX + 1 characters: (len − CTX, CTX + 1)
ctx_windows = np.lib.stride_tricks.sliding_window_view(ids_all, CTX + 1)
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
    """Mean cross-entropy over all windows (in chunks: CrossEntropyLoss returns a
    chunk's mean)."""
    chunks = np.array_split(windows, 10)
    total = sum(ce(nplm(w[:, :-1]), w[:, -1]) * len(w) for w in chunks)
    return float(total / len(windows))


nplm_test = nplm_nats(win_test)
nplm_train = nplm_nats(win_train[: len(win_test)])
print(
    f"neural 6-gram (Bengio): {NPLM_STEPS} steps in {time.perf_counter() - t0:.1f} s; "
    f"training text {nplm_train:.3f},\nheld out {nplm_test:.3f} nats/char"
)
if 6 in ngram_nats:
    print(
        f"count 6-gram: training text {ngram_nats[6][0]:.3f}, "
        f"held out {ngram_nats[6][1]:.3f} nats/char"
    )

# %% [markdown]
# ## 7. The LSTM on the same split
#
# Lesson 12 trains a one-layer, 128-cell LSTM on this text with truncated BPTT (32 streams
# of 32 characters, Adam $2 \cdot 10^{-3}$, clipping at norm 5) for 1,000 batches, and
# prints its loss on the *training* batches. Here the same recipe is trained on the first
# 90 % only, for fewer batches (to keep the lesson to about a minute), and scored on the
# held-out 10 %. The held-out text is read as 8 streams, with the state carried from
# character to character.

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
    f"LSTM({V}, {H}): {LSTM_ITERS} batches in {time.perf_counter() - t0:.1f} s; "
    f"last training batch {lstm_train_last:.3f},\nheld out {lstm_test:.3f} nats/char"
)

# %% [markdown]
# **The table.** Every line below is nats per character on the same held-out 10 % of
# lesson 12's text, except the last one. That line is lesson 12's own figure, printed by
# `python lessons/12_rnn.py` as "iteration 999 loss ...": the loss of its last *training*
# batch after 1,000 batches on the whole text, seen many times over. It was measured once,
# in a full run of lesson 12, and is copied here (`LESSON_12_LOSS`); it is a training
# figure, not a held-out one. The cell also prints which model is best on the held-out
# text.

# %%
LESSON_12_LOSS = 1.727  # lesson 12's "iteration 999 loss", measured once in a full run
rows = [("uniform guess", np.log(V)), ("count unigram (n = 1)", ngram_nats[1][1])]
rows += [(f"count n-gram, n = {n}", ngram_nats[n][1]) for n in ORDERS if n > 1]
rows += [
    ("neural 6-gram (embedding + tanh MLP)", nplm_test),
    (f"LSTM, lesson 12's recipe, {LSTM_ITERS} batches", lstm_test),
]
print(f"{'model':<54} {'held-out nats/char':>19}")
for name, v in rows:
    print(f"{name:<54} {v:>19.3f}")
lesson12 = "(lesson 12, full run: LSTM, 1,000 batches, training)"
print(f"{lesson12:<54} {LESSON_12_LOSS:>19.3f}")
best = min(rows[1:], key=lambda r: r[1])
print(f"best on the held-out text: {best[0]} ({best[1]:.3f})")
print(
    "the best count model beats both neural models:",
    ngram_nats[best_n][1] < min(nplm_test, lstm_test),
)

# %% [markdown]
# **Reading the table.** On fifty thousand characters, the smoothed count model is a strong
# baseline: in the full run its best order beats both neural models, which had only
# seconds of training, and lesson 12's LSTM, after 1,000 batches, is still above it even
# on its own training batches (the last printed lines say whether this holds in your
# run). The neural 6-gram needs no smoothing rule: it gives every context a distribution
# through the embeddings, and its training and held-out scores stay close, while the count
# model's training score collapses as $n$ grows (memorisation). What the neural models buy
# is generalisation to contexts never seen, which matters more as the context grows (the
# LSTM's is unbounded) and as there is more text and more training time (exercise 6). The
# figure puts the two neural models' held-out scores beside section 4's curves.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Held-out cross-entropy of all the character models on the same text: the count n-grams against $n$ (training and held out), and the neural 6-gram and the LSTM as horizontal lines. Lower is better; the uniform guess is the top line.", "name": "fig-13-char-models"}}
fig, ax = plt.subplots(figsize=(7.2, 4.6))
ax.plot(
    ns, [ngram_nats[n][0] for n in ns], "o-", label=t("count n-gram, training text")
)
ax.plot(ns, [ngram_nats[n][1] for n in ns], "s-", label=t("count n-gram, held out"))
ax.axhline(
    nplm_test,
    color="tab:green",
    ls="--",
    label=t("neural 6-gram, held out ({v:.2f})", v=nplm_test),
)
ax.axhline(
    lstm_test,
    color="tab:red",
    ls=":",
    label=t("LSTM {n} batches, held out ({v:.2f})", n=LSTM_ITERS, v=lstm_test),
)
ax.axhline(np.log(V), color="k", lw=0.8, ls="-.", label=t("uniform guess"))
ax.set_xlabel(t("n (context of n − 1 characters)"))
ax.set_ylabel(t("cross-entropy (nats/char)"))
ax.set_title(t("character language models on lesson 12's text"))
ax.set_ylim(0, 6.6)  # room for the legend above the curves
ax.legend(fontsize=9, ncols=2, loc="upper right")
fig.tight_layout()
save(fig, "13_char_models.png", dpi=100)

# %% [markdown]
# ## 8. Word2Vec: skip-gram
#
# "Word2Vec": a network with an input layer (one-hot), one hidden layer of $D$ neurons
# without activation, and a softmax output over the vocabulary, trained on pairs of words
# that appear near each other. The input-to-hidden weights, the $V \times D$ matrix, **are**
# the word vectors: the hidden layer is the embedding lookup of section 5. There are two
# ways to make the pairs:
#
# - **CBOW** ("saco contínuo de palavras", continuous bag of words): predict a word from
#   the words around it (the average of their embeddings is the hidden layer);
# - **skip-gram**: the opposite, predict each surrounding word from the centre word.
#
# We train **skip-gram with the full softmax** (the document's description; the original
# Word2Vec replaces it with negative sampling or a hierarchical softmax for speed, exercise
# 3). For a centre word $w_c$ and a context word $w_o$ at most 2 places away, the model is
#
# $$
# P(w_o \mid w_c) = \operatorname{softmax}\big(C_{w_c,:}\, W_{\text{out}}
# + b_{\text{out}}\big)_{w_o}
# \tag{003 ch. 2f}
# $$
#
# with $C$ ($V \times D$) the embedding and $W_{\text{out}}$ ($D \times V$) the output
# layer, trained to minimise the mean of $-\ln P(w_o \mid w_c)$ over the pairs:
# `Embedding(V, 48) → Dense(48, V) → CrossEntropyLoss`. The vocabulary is the 1,000 most
# frequent words of section 2's text (other words are dropped). Very frequent words such as
# "the", "a" and "is" would dominate the pairs, so we use Mikolov et al.'s subsampling: a
# word that makes up the share $f(w)$ of the text is kept with probability
#
# $$
# P_{\text{keep}}(w) = \min\left(1,\ \sqrt{\frac{t}{f(w)}} + \frac{t}{f(w)}\right),
# \qquad t = 10^{-3}
# \tag{Mikolov 2013}
# $$
#
# A random 5 % of the pairs is held out to score the model against the simplest guess:
# predicting the context word from its frequency alone.

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
    f"{len(seq):,} words after subsampling, {len(centres):,} (centre, context) pairs;\n"
    f"predicting the context word from its frequency alone: {unigram_ce:.2f} nats"
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
    f"skip-gram: {SG_STEPS} steps in {time.perf_counter() - t0:.1f} s; "
    f"held-out pairs {sg_hold:.2f} nats (frequency alone: {unigram_ce:.2f})"
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Skip-gram training: the cross-entropy of the training batches (256 pairs each) against the step, the held-out pairs' cross-entropy after training (red) and the score of a guess from the context word's frequency alone (dashed). Below the dashed line, the centre word helps to predict its neighbours.", "name": "fig-13-skipgram-loss"}}
fig, ax = plt.subplots(figsize=(6.4, 4))
ax.plot(sg_losses, lw=0.5, alpha=0.6, label=t("training batches"))
ax.axhline(unigram_ce, color="k", ls="--", lw=0.8, label=t("from the word's frequency"))
ax.axhline(
    sg_hold, color="tab:red", lw=0.8, label=t("held-out pairs ({v:.2f})", v=sg_hold)
)
ax.set_xlabel(t("step (256 pairs)"))
ax.set_ylabel(t("cross-entropy (nats)"))
ax.set_title(t("skip-gram, full softmax over 1,000 words"))
ax.legend()
fig.tight_layout()
save(fig, "13_skipgram_loss.png", dpi=100)

# %% [markdown]
# **Nearest neighbours.** Two word vectors $a$ and $b$ (rows of the embedding matrix) are
# compared by their cosine similarity,
#
# $$
# \cos(a, b) = \frac{a \cdot b}{\lVert a \rVert\, \lVert b \rVert}
# \tag{13.4}
# $$
#
# which is 1 for vectors that point the same way and 0 for perpendicular ones. Words that
# occur in similar contexts end up close. The cell prints the five nearest neighbours of a
# few words.

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
# **A 2-D picture.** Project the vectors of the 50 most frequent content words on their two
# principal directions (PCA from scratch: centre the vectors, take the singular value
# decomposition, keep the two right-singular vectors with the largest singular values).
# Two dimensions keep only part of the 48, so look for small groups of related words
# rather than for a clean map.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The skip-gram word vectors of the 50 most frequent content words, projected on their first two principal directions. Words used in similar contexts tend to lie near each other.", "name": "fig-13-word2vec"}}
STOP = set(
    "the a is to of and for if be in or this an as that are with it by not will from "
    "s can on which all when has no at otherwise any one may must have been but only "
    "its use so".split()
)
shown = [w for w in vocab if w not in STOP and len(w) > 2][:50]
P = En[[w2i[w] for w in shown]]
P = P - P.mean(axis=0)
_, _, Vt_svd = np.linalg.svd(P, full_matrices=False)
xy = P @ Vt_svd[:2].T  # (50, 2)
fig, ax = plt.subplots(figsize=(9, 6.5))
ax.scatter(xy[:, 0], xy[:, 1], s=8)
for (x_, y_), w in zip(xy, shown):
    ax.annotate(w, (x_, y_), fontsize=10, xytext=(2, 2), textcoords="offset points")
ax.set_xlabel(t("first principal direction"))
ax.set_ylabel(t("second principal direction"))
ax.set_title(t("word vectors, first two principal directions"))
fig.tight_layout()
save(fig, "13_word2vec.png", dpi=100)

# %% [markdown]
# The document closes with an analogy: the difference between the vectors of **homem**
# and **mulher** ("man" and "woman") is about the same as between **rei** and **rainha**
# ("king" and "queen"):
# $E_{\text{homem}} - E_{\text{mulher}} \approx E_{\text{rei}} - E_{\text{rainha}}$.
# That needs a much larger corpus than docstrings, and those words. The same arithmetic is
# exercise 4.
#
# ## 9. The same character models in Portuguese and in English
#
# Lesson 12 §8 does document 003's exercise, "Repita o experimento com algum texto de sua
# preferência, em português", with its LSTM: it trains the same model on the course's own
# prose in Brazilian Portuguese and in English (`minigan.data.course_text`, the same
# paragraphs in the two languages) and scores each on the same held-out paragraphs, after
# training on parts of the same length (`course_texts` in `lessons/_course.py`). Here
# every character model of sections 4, 6 and 7 does the same, on the very same texts: the
# count n-grams of every order, the neural 6-gram and the LSTM, each with its section's
# recipe and the same seeds in both languages. The course texts are at most as long as the
# docstrings (the table prints the sizes). The table puts them side by side, in held-out
# nats per character. Its first lines describe the texts, one of them the number of
# different 5-grams (runs of five characters) in the training part, the contexts that a
# count 6-gram must have seen. Its last lines take the two languages on the same content:
# the held-out paragraphs take more characters in Portuguese, so a model's nats per
# Portuguese character, times that ratio, are its nats per English character of the same
# paragraphs.

# %%
# lesson 12 §8's texts, character for character: {"en": (training text, held-out text),
# "pt_BR": (...)}, the held-out parts the same paragraphs, the training parts as long
course = course_texts(size=len(text))


def char_models(train_s, test_s):
    """Sections 4, 6 and 7 trained on `train_s` and scored on `test_s`, in held-out nats
    per character."""
    s = train_s + test_s
    vocab = sorted(set(s))
    to_id = {ch: i for i, ch in enumerate(vocab)}
    Vs, cut = len(vocab), len(train_s)
    words_s = re.findall(r"[^\W\d_]+", s)
    res = {
        "training": cut,
        "held out": len(test_s),
        "V": Vs,
        "non-ASCII": float(np.mean([ord(ch) > 127 for ch in s])),
        "word length": float(np.mean([len(w) for w in words_s])),
        "5-grams": len({s[i : i + 5] for i in range(cut - 4)}),
        "uniform": float(np.log(Vs)),
    }
    for n in ORDERS:  # section 4
        res[n] = CharNgram(s[:cut], n, vocab).nats(s, start=cut)
    ids = np.array([to_id[ch] for ch in s])
    # section 6: the neural 6-gram, its batches from a generator of its own
    win = np.lib.stride_tricks.sliding_window_view(ids, CTX + 1)
    w_tr, w_te = win[: cut - CTX], win[cut - CTX :]
    net = mg.Sequential(
        new_embedding(Vs, 16, seed=0, scale=0.1),
        mg.Flatten(),
        mg.Dense(CTX * 16, 128, rng=0),
        mg.Tanh(),
        mg.Dense(128, Vs, init="pytorch", rng=0),
    )
    opt_ = optim.Adam(net.parameters(), lr=3e-3)
    g = np.random.default_rng(0)
    for _ in range(NPLM_STEPS):
        b = w_tr[g.integers(0, len(w_tr), 256)]
        ce(net(b[:, :-1]), b[:, -1])
        opt_.zero_grad()
        net.backward(ce.backward())
        opt_.step()
    chunks = np.array_split(w_te, 10)
    res["neural 6-gram"] = float(
        sum(ce(net(w[:, :-1]), w[:, -1]) * len(w) for w in chunks) / len(w_te)
    )
    # section 7: the LSTM, lesson 12's recipe on the first 90 %
    lm_, head_ = mg.LSTM(Vs, H, rng=0), mg.Dense(H, Vs, init="pytorch", rng=0)
    opt_ = optim.Adam(lm_.parameters() + head_.parameters(), lr=2e-3, clip_norm=5.0)
    eye = np.eye(Vs, dtype=np.float32)
    stream = cut // N
    begin = np.arange(N) * stream
    pos, h, c = 0, None, None
    for _ in range(LSTM_ITERS):
        if pos + T + 1 > stream:
            pos, h, c = 0, None, None
        window = ids[begin[:, None] + pos + np.arange(T + 1)]  # (N, T + 1)
        pos += T
        hs = lm_(eye[window[:, :-1]], h0=h, c0=c)
        h, c = lm_.h_n.copy(), lm_.c_n.copy()
        ce(head_(hs.reshape(N * T, H)), window[:, 1:].reshape(-1))
        opt_.zero_grad()
        lm_.backward(head_.backward(ce.backward()).reshape(N, T, H))
        opt_.step()
    L = (len(ids) - cut - 1) // 8  # the held-out part as 8 streams
    x = np.stack([ids[cut + k * L : cut + (k + 1) * L + 1] for k in range(8)])
    hs = lm_(eye[x[:, :-1]])
    res["LSTM"] = float(ce(head_(hs.reshape(-1, H)), x[:, 1:].reshape(-1)))
    return res


t0 = time.perf_counter()
langs = {lang: char_models(*texts) for lang, texts in course.items()}
docs = {  # sections 2 to 7's numbers for the docstrings
    "training": split,
    "held out": len(text) - split,
    "V": V,
    "non-ASCII": float(np.mean([ord(ch) > 127 for ch in text])),
    "word length": float(np.mean([len(w) for w in re.findall(r"[^\W\d_]+", text)])),
    "5-grams": len({c_train[i : i + 5] for i in range(len(c_train) - 4)}),
    "uniform": float(np.log(V)),
    **{n: ngram_nats[n][1] for n in ORDERS},
    "neural 6-gram": nplm_test,
    "LSTM": lstm_test,
}
cols = {"docstrings": docs, "English": langs["en"], "Portuguese": langs["pt_BR"]}
for res in cols.values():
    res["best n"] = min(ORDERS, key=lambda n, r=res: r[n])
print(f"({time.perf_counter() - t0:.1f} s)")
print(f"{'held-out nats per character':<34}" + "".join(f"{k:>12}" for k in cols))
lines = [
    ("characters for training", lambda r: f"{r['training']:,}"),
    ("characters held out", lambda r: f"{r['held out']:,}"),
    ("different characters V", lambda r: f"{r['V']}"),
    ("characters outside ASCII", lambda r: f"{r['non-ASCII']:.1%}"),
    ("mean word length (letters)", lambda r: f"{r['word length']:.2f}"),
    ("different 5-grams in training", lambda r: f"{r['5-grams']:,}"),
    ("uniform guess ln V", lambda r: f"{r['uniform']:.3f}"),
    *[(f"count n-gram, n = {n}", lambda r, n=n: f"{r[n]:.3f}") for n in ORDERS],
    ("best count n-gram", lambda r: f"{r[r['best n']]:.3f} (n={r['best n']})"),
    ("neural 6-gram", lambda r: f"{r['neural 6-gram']:.3f}"),
    (f"LSTM, {LSTM_ITERS} batches", lambda r: f"{r['LSTM']:.3f}"),
]
for name, cell in lines:
    print(f"{name:<34}" + "".join(f"{cell(r):>12}" for r in cols.values()))
en, pt = cols["English"], cols["Portuguese"]
ratio = pt["held out"] / en["held out"]
print(
    f"the held-out paragraphs take {ratio:.3f} Portuguese characters for each English "
    "one;\nthe same content, in nats per English character\n(Portuguese: its nats per "
    f"character times {ratio:.3f}):"
)
for name, en_v, pt_v in (
    ("best count n-gram", en[en["best n"]], pt[pt["best n"]]),
    ("neural 6-gram", en["neural 6-gram"], pt["neural 6-gram"]),
    ("LSTM", en["LSTM"], pt["LSTM"]),
):
    print(f"  {name:<18} English {en_v:.3f}, Portuguese {pt_v * ratio:.3f}")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The character models of sections 4, 6 and 7 on three texts: the docstrings and the course's own prose in English and in Brazilian Portuguese (held out: the same paragraphs). Left: the count n-grams' held-out cross-entropy against the order $n$. Right: the best count n-gram, the neural 6-gram and the LSTM on each text.", "name": "fig-13-char-models-languages"}}
NAMES = {
    "docstrings": t("docstrings"),
    "English": t("English"),
    "Portuguese": t("Portuguese"),
}
fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
for name, res in cols.items():
    axes[0].plot(ns, [res[n] for n in ns], "o-", label=NAMES[name])
axes[0].set_xticks(ns)
axes[0].set_xlabel(t("n (context of n − 1 characters)"))
axes[0].set_ylabel(t("held-out cross-entropy (nats/char)"))
axes[0].set_title(t("count n-grams, held out"))
axes[0].legend()
KINDS = {
    "best": t("best count\nn-gram"),
    "neural 6-gram": t("neural\n6-gram"),
    "LSTM": t("LSTM,\n{n} batches", n=LSTM_ITERS),
}
for j, (name, res) in enumerate(cols.items()):
    vals = [res[res["best n"]], res["neural 6-gram"], res["LSTM"]]
    bars = axes[1].bar(np.arange(3) + (j - 1) * 0.27, vals, 0.26, label=NAMES[name])
    axes[1].bar_label(bars, fmt="%.2f", fontsize=8)
axes[1].set_xticks(np.arange(3), list(KINDS.values()))
axes[1].set_ylabel(t("held-out cross-entropy (nats/char)"))
axes[1].set_title(t("the three kinds of model, held out"))
axes[1].set_ylim(
    0, 1.3 * max(max(r["LSTM"], r["neural 6-gram"]) for r in cols.values())
)
axes[1].legend(loc="upper center", ncols=3)
fig.tight_layout()
save(fig, "13_char_models_languages.png", dpi=100)
print(f"lesson 13 ran in {time.perf_counter() - T_START:.1f} s")

# %% [markdown]
# **Reading the table.** The first lines describe the texts, as in lesson 12 §8:
# Portuguese writes its accents (3.2 % of its characters outside ASCII in the full run,
# against 0.6 % of the English ones), its words are about as long (4.66 letters against
# 4.76), and the held-out paragraphs take 1.036 Portuguese characters for each English
# one. Its training part holds fewer different 5-grams than the English one of the same
# length (17,992 against 19,195): Portuguese repeats its short words and its endings more,
# so a count model sees each of its contexts more often. Per character, in the full run,
# the models do not agree on which language is easier: the count bigram scores lower on
# Portuguese (2.301 against 2.422 nats per character), the count n-grams of orders 3 to 7
# a little higher (the best one 1.452 against 1.439, both at $n = 5$), the neural 6-gram
# higher (1.797 against 1.736), and the LSTM, after its 250 batches, lower (2.332 against
# 2.450). Per unit of content the picture is clearer: the last three lines multiply the
# Portuguese scores by the length ratio, and the n-gram models then need more nats for the
# Portuguese paragraphs than for the same paragraphs in English (the best count n-gram
# 1.505 against 1.439 per English character, the neural 6-gram 1.862 against 1.736),
# while the LSTM stays a little ahead in Portuguese (2.416 against 2.450), a gap of the
# size that another seed could change. As in lesson 12 §8, nats per character compare
# models on one text; to compare two languages, compare the same content, and read
# differences of a few hundredths as the noise of one run. The docstrings column is there
# for reference: a different text, programming English that repeats a few phrases, on
# which, in the full run, the count n-grams of order 4 and more do best.
#
# ## Exercises
# 1. Replace Witten–Bell by add-one (Laplace) smoothing,
#    $P(c \mid h) = (C(hc) + 1) / (C(h) + V)$, in `CharNgram.prob`, without interpolation.
#    Plot held-out nats against $n$ again. Why is it so much worse for large $n$?
# 2. CBOW: predict the centre word from the mean of the `2·WINDOW` context embeddings.
#    Write the mean's backward pass (each context word receives `dout / (2·WINDOW)` through
#    the scatter-add) and compare the neighbours with skip-gram's.
# 3. Negative sampling: replace the softmax over 1,000 words with `mg.BCEWithLogitsLoss` on
#    the dot product of the centre's vector with the true context word's output vector
#    (label 1) and with 5 random words' (label 0). How much faster is a step, and how do
#    the neighbours change?
# 4. Analogies: find the word whose vector is nearest to $E_b - E_a + E_c$ for
#    `(a, b, c) = ("read", "write", "get")` or `("true", "false", "yes")`. Which work?
# 5. Section 3 at the character level: print the share of held-out character n-grams never
#    seen in training for $n = 1, \ldots, 8$, and relate it to where the held-out curve of
#    `13_char_ngrams.png` turns up.
# 6. Train the LSTM of section 7 for 1,000 batches (lesson 12's budget). Does it beat the
#    best count model on the held-out text? Is the neural 6-gram closer to the count 6-gram
#    or to the LSTM, and why?
# 7. Section 9 again, with the LSTM trained for 1,000 batches, then on the whole course
#    texts (`course_texts()` without `size`). Do the two comparisons, per character and
#    per English character, keep their direction?

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
# | `13.embedding_backward` | the embedding lookup's backward pass (scatter-add) | document 001 §2.9 | 2 |
#
# 2 points in all. The same stub comes as a plain file, to write in your editor and grade
# from a terminal (`minigan-exercises list` shows every lesson's exercises):
#
# ```bash
# minigan-exercises new ex/ --lesson 13   # writes ex/lesson13_language_models.py
# minigan-exercises grade ex/ -k 13       # PASS, FAIL, TODO or ERROR, and the points
# ```

# %%
import numpy as np
from minigan.exercises import check


# %%
def embedding_backward(dout, y, num_embeddings):
    """The gradient of an embedding table: a scatter-add of dout's rows.

    The lookup E = W[y] is the product onehot(y) · W with a one-hot matrix
    (document 001 §2.6 without a bias), so its weight gradient (document 001 §2.9,
    ∂C/∂W = δᵀ A) is
        ∂C/∂W = onehot(y)ᵀ · δ
    so row v of ∂C/∂W is the sum of the rows of δ = dout whose label is v. A label used
    k times adds k rows (np.add.at, or a loop; W[y] += dout keeps only one of them).

    Parameters
    ----------
    dout : (N, E) or (N, T, E), the upstream gradient of the looked-up vectors
    y : (N,) or (N, T) int labels in [0, num_embeddings)
    num_embeddings : int V

    Returns
    -------
    dW : (V, E)
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("13.embedding_backward", embedding_backward)

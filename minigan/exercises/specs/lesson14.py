"""Graders of lesson 14: the optimal discriminator, Algorithm 1's D and G steps on a tiny model,
and one-sided label smoothing."""

from __future__ import annotations

import numpy as np

from ...nn.layers import Dense
from ...nn.losses import BCEWithLogitsLoss
from ...nn.optim import SGD
from ..model import Case, Exercise, Mutant
from ..solutions import lesson14 as sol
from .common import array_like, normal, numeric_grads, set_params, unpack


# ---------------------------------------------------------------------------- optimal_discriminator
def _gauss(x, mu, s):
    return np.exp(-0.5 * ((x - mu) / s) ** 2) / (s * np.sqrt(2 * np.pi))


def _dstar_cases(rng):
    xs = np.linspace(-4, 4, 9)
    return [
        Case("p (7,)", (rng.uniform(0.01, 1, 7), rng.uniform(0.01, 1, 7)), {}, None),
        Case("p (3, 4)", (rng.uniform(0.01, 2, (3, 4)), rng.uniform(0.01, 2, (3, 4))), {}, None),
        Case("two Gaussians on a grid", (_gauss(xs, 1, 1), _gauss(xs, -1, 1.5)), {}, None),
    ]


def _dstar(rng):
    cases = _dstar_cases(rng)
    for c in cases:  # minigan has no D* of its own: Proposição 1 itself
        p_data, p_g = c.args
        c.expected = p_data / (p_data + p_g)
    return cases


# ---------------------------------------------------------------------------- the tiny GAN
def _tiny(rng, d, k):
    return normal(rng, 1, d), normal(rng, 1, scale=0.3), normal(rng, d, k), normal(rng, d, scale=0.3)


def _dense(W, b):
    layer = Dense(W.shape[1], W.shape[0], dtype=np.float64, rng=0)
    set_params(layer, W=W, b=b)
    return layer


def _bce(logit, y):
    return np.mean(np.maximum(logit, 0) - logit * y + np.log1p(np.exp(-np.abs(logit))))


def _run_step(fn, args, kwargs, which):
    """The student's step, and the gradient it implies: (θ − θ_new) / η for θ = args[which]."""
    lr = kwargs["lr"]
    first, second = args[which], args[which + 1]
    out = unpack(fn(*args, **kwargs), 3, "the two new parameters and the loss")
    a, b = array_like(out[0], first, "the new weight"), array_like(out[1], second, "the new bias")
    return a, b, out[2], (first - a) / lr, (second - b) / lr


def _run_d_step(fn, *args, **kwargs):
    return _run_step(fn, args, kwargs, 0)  # updates (Wd, bd)


def _run_g_step(fn, *args, **kwargs):
    return _run_step(fn, args, kwargs, 2)  # updates (Wg, bg)


def _d_cases(rng):
    cases = []
    for d, k, N, lr, real_label in [(2, 3, 5, 0.1, 1.0), (3, 2, 4, 0.5, 0.9), (1, 1, 6, 0.2, 1.0)]:
        Wd, bd, Wg, bg = _tiny(rng, d, k)
        x_real, z = normal(rng, N, d) + 1.0, normal(rng, N, k)
        G, D = _dense(Wg, bg), _dense(Wd, bd)
        opt, loss_r, loss_f = SGD(D.parameters(), lr=lr), BCEWithLogitsLoss(), BCEWithLogitsLoss()
        fake = G(z)  # Algorithm 1: G makes the fakes; D is updated on ½ BCE(real) + ½ BCE(fake)
        D.zero_grad()
        lr_ = D(x_real)
        l_real = float(loss_r(lr_, np.full(lr_.shape, real_label)))
        D.backward(loss_r.backward(0.5))
        lf = D(fake)
        l_fake = float(loss_f(lf, np.zeros(lf.shape)))
        D.backward(loss_f.backward(0.5))
        grads = D.W.grad.copy(), D.b.grad.copy()
        opt.step()
        expected = (D.W.data.copy(), D.b.data.copy(), 0.5 * (l_real + l_fake)) + grads

        def loss(Wd, bd, Wg=Wg, bg=bg, x_real=x_real, z=z, real_label=real_label):
            fake = z @ Wg.T + bg
            return 0.5 * _bce(x_real @ Wd.T + bd, real_label) + 0.5 * _bce(fake @ Wd.T + bd, 0.0)

        num = numeric_grads(loss, [Wd, bd], [0, 1])
        label = f"d={d}, k={k}, N={N}, lr={lr}, real_label={real_label}"
        kwargs = {"lr": lr, "real_label": real_label}
        cases.append(Case(label, (Wd, bd, Wg, bg, x_real, z), kwargs, expected, {3: num[0], 4: num[1]}))
    return cases


def _d_variant(half=0.5, fake_target=0.0, sign=1.0):
    def d_step(Wd, bd, Wg, bg, x_real, z, lr, real_label=1.0):
        N = x_real.shape[0]
        fake = z @ Wg.T + bg
        l_real, l_fake = x_real @ Wd.T + bd, fake @ Wd.T + bd
        loss = half * _bce(l_real, real_label) + half * _bce(l_fake, fake_target)
        d_real = half * (1 / (1 + np.exp(-l_real)) - real_label) / N
        d_fake = half * (1 / (1 + np.exp(-l_fake)) - fake_target) / N
        dWd, dbd = d_real.T @ x_real + d_fake.T @ fake, d_real.sum(0) + d_fake.sum(0)
        return Wd - sign * lr * dWd, bd - sign * lr * dbd, float(loss)

    return d_step


def _g_cases(rng):
    cases = []
    for d, k, N, lr in [(2, 3, 5, 0.1), (3, 2, 4, 0.5), (1, 1, 6, 0.2)]:
        Wd, bd, Wg, bg = _tiny(rng, d, k)
        z = normal(rng, N, k)
        G, D = _dense(Wg, bg), _dense(Wd, bd)
        opt, bce = SGD(G.parameters(), lr=lr), BCEWithLogitsLoss()
        logit = D(G(z))  # non-saturating: the fakes labelled real
        value = float(bce(logit, np.ones(logit.shape)))
        dfake = D.backward(bce.backward())  # through D, whose parameters are not updated
        G.zero_grad()
        G.backward(dfake)
        grads = G.W.grad.copy(), G.b.grad.copy()
        opt.step()
        expected = (G.W.data.copy(), G.b.data.copy(), value) + grads

        def loss(Wg, bg, Wd=Wd, bd=bd, z=z):
            return _bce((z @ Wg.T + bg) @ Wd.T + bd, 1.0)

        num = numeric_grads(loss, [Wg, bg], [0, 1])
        cases.append(
            Case(f"d={d}, k={k}, N={N}, lr={lr}", (Wd, bd, Wg, bg, z), {"lr": lr}, expected, {3: num[0], 4: num[1]})
        )
    return cases


def _g_variant(minimax=False, sign=1.0, through_D=True):
    def g_step(Wd, bd, Wg, bg, z, lr):
        N = z.shape[0]
        fake = z @ Wg.T + bg
        logit = fake @ Wd.T + bd
        s = 1 / (1 + np.exp(-logit))
        if minimax:  # minimize E log(1 − D(G(z))) = −BCE(ℓ, 0)
            loss, dlogit = -_bce(logit, 0.0), -s / N
        else:
            loss, dlogit = _bce(logit, 1.0), (s - 1) / N
        dfake = dlogit @ Wd if through_D else dlogit * np.ones_like(fake)
        return Wg - sign * lr * (dfake.T @ z), bg - sign * lr * dfake.sum(0), float(loss)

    return g_step


# ---------------------------------------------------------------------------- smoothed_d_loss
def _smooth_cases(rng):
    cases = []
    for n_real, n_fake, smooth in [(6, 6, 0.9), (4, 5, 0.8), (3, 7, 0.9)]:
        lr_, lf = normal(rng, n_real, 1, scale=2.0), normal(rng, n_fake, 1, scale=2.0)
        a, b = BCEWithLogitsLoss(), BCEWithLogitsLoss()
        l_real = float(a(lr_, np.full(lr_.shape, smooth)))
        l_fake = float(b(lf, np.zeros(lf.shape)))
        expected = (0.5 * (l_real + l_fake), a.backward(0.5), b.backward(0.5))
        num = numeric_grads(lambda r, f, s=smooth: 0.5 * _bce(r, s) + 0.5 * _bce(f, 0.0), [lr_, lf], [0, 1])
        label = f"{n_real} real, {n_fake} fake, smooth={smooth}"
        cases.append(Case(label, (lr_, lf), {"smooth": smooth}, expected, {1: num[0], 2: num[1]}))
    return cases


def _smooth_variant(real_target, fake_target):
    def smoothed(logits_real, logits_fake, smooth=0.9):
        yr, yf = real_target(smooth), fake_target(smooth)
        sig = lambda v: 1 / (1 + np.exp(-v))
        loss = 0.5 * _bce(logits_real, yr) + 0.5 * _bce(logits_fake, yf)
        d_real = 0.5 * (sig(logits_real) - yr) / logits_real.size
        d_fake = 0.5 * (sig(logits_fake) - yf) / logits_fake.size
        return float(loss), d_real, d_fake

    return smoothed


EXERCISES = [
    Exercise(
        "14.optimal_discriminator",
        "the optimal discriminator D*",
        "document 001 §4.2",
        1,
        sol.optimal_discriminator,
        _dstar,
        (
            Mutant(
                "swapped",
                lambda p_data, p_g: p_g / (p_data + p_g),
                "D* is the probability that x is REAL: p_data on top",
            ),
            Mutant("a ratio", lambda p_data, p_g: p_data / p_g, "divide by p_data + p_g, so that D* lies in (0, 1)"),
            Mutant("always ½", lambda p_data, p_g: np.full(np.shape(p_data), 0.5), "D* = ½ only where p_g = p_data"),
        ),
        "D*(x) = p_data(x) / (p_data(x) + p_g(x))",
        outputs=("D*",),
    ),
    Exercise(
        "14.gan_d_step",
        "Algorithm 1's discriminator step on a tiny GAN",
        "document 001 §4.1",
        2,
        sol.gan_d_step,
        _d_cases,
        (
            Mutant("no ½", _d_variant(half=1.0), "L_D = ½ BCE(real) + ½ BCE(fake): keep the ½"),
            Mutant("fakes labelled 1", _d_variant(fake_target=1.0), "the discriminator labels the fakes 0"),
            Mutant("ascent", _d_variant(sign=-1.0), "descend D's loss: θ_d ← θ_d − η ∂L_D/∂θ_d"),
        ),
        "L_D = ½ BCE(D(x), real_label) + ½ BCE(D(G(z)), 0); θ_d ← θ_d − η ∇L_D",
        outputs=("Wd_new", "bd_new", "L_D", "∂L_D/∂W_d (from the step)", "∂L_D/∂b_d (from the step)"),
        run=_run_d_step,
    ),
    Exercise(
        "14.gan_g_step",
        "Algorithm 1's generator step, non-saturating, on a tiny GAN",
        "document 001 §4.1",
        2,
        sol.gan_g_step,
        _g_cases,
        (
            Mutant(
                "minimax loss",
                _g_variant(minimax=True),
                "non-saturating: minimize BCE(D(G(z)), 1), not E log(1 − D(G(z)))",
            ),
            Mutant("ascent", _g_variant(sign=-1.0), "descend G's loss: θ_g ← θ_g − η ∂L_G/∂θ_g"),
            Mutant(
                "not through D", _g_variant(through_D=False), "∂L_G/∂fake = ∂L_G/∂ℓ · W_d: chain through D's weights"
            ),
        ),
        "L_G = BCE(D(G(z)), 1); ∂L_G/∂ℓ = (σ(ℓ) − 1)/N; back through W_d and G",
        outputs=("Wg_new", "bg_new", "L_G", "∂L_G/∂W_g (from the step)", "∂L_G/∂b_g (from the step)"),
        run=_run_g_step,
    ),
    Exercise(
        "14.smoothed_d_loss",
        "the discriminator's loss with one-sided label smoothing",
        "document 000 §3.2.3",
        1,
        sol.smoothed_d_loss,
        _smooth_cases,
        (
            Mutant(
                "two-sided",
                _smooth_variant(lambda s: s, lambda s: 1 - s),
                "one-sided: only the real target is smoothed; fakes keep 0",
            ),
            Mutant(
                "smooths the fakes",
                _smooth_variant(lambda s: 1.0, lambda s: 1 - s),
                "smooth the REAL labels (0.9), not the fakes",
            ),
            Mutant(
                "real target 1 − s", _smooth_variant(lambda s: 1 - s, lambda s: 0.0), "the real target is smooth (0.9)"
            ),
        ),
        "L_D = ½ BCE(real, smooth) + ½ BCE(fake, 0), and its two gradients",
        outputs=("L_D", "d_real", "d_fake"),
    ),
]

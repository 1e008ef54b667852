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
# # Lesson 04: gradient descent, SGD with momentum, RMSProp and Adam
#
# **Objective.** Implement the four update rules of document 001 from scratch, correct the
# slips in its printed RMSProp and Adam, check that `minigan.nn.optim` computes the same steps,
# and watch the four optimizers walk down a narrow curved valley (a Rosenbrock function).
#
# Source: document 001 (Marques 2021, *Rede Adversária Generativa Convolucional Profunda Aplicada a Exames de Raio-x do Tórax*), §2.8 "Gradiente
# Descendente", §2.8.1 "Gradiente Descendente Estocástico", §2.8.2 "RMSProp", §2.8.3 "Adam".

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
# ## 1. The equations (document 001 §2.8) and their slips
#
# Write g = ∂C/∂θ for any parameter θ (the document writes ∂W^{[l]} and ∂b^{[l]}; the rule is
# the same for every parameter).
#
# **Gradient descent** ("Gradiente Descendente", §2.8): `v → v' = v − η ∇C(v)`, i.e.
# `θ ← θ − η g`, with the learning rate ("taxa de aprendizagem") η.
#
# **SGD** (§2.8.1) is the same rule with g computed on one example (or, in practice, on a
# mini-batch) instead of the whole training set: cheaper, noisier steps. (§2.8 says gradient
# descent uses "um batch (subdivisão da base de dados) de treinamento inteiro", the whole
# training set; in today's usage a *batch* is the subset used for one step.)
#
# **Momentum.** §2.8.2 motivates moving averages ("médias móveis") with Figure 11 (SGD with
# and without momentum) but gives no formula. minigan uses PyTorch's:
# `v ← μ v + g`, `θ ← θ − η v`.
#
# **RMSProp** (§2.8.2), with β usually 0.9:
#
#     S_{∂W^{[l]}} = β S_{∂W^{[l−1]}} + (1 − β) [∂W^{[l]}]²
#     W^{[l]} = W^{[l]} − η ∂W^{[l]} / √S_{∂W^{[l]}}
#
# **Adam** (§2.8.3), with β₁ = 0.9, β₂ = 0.999, ε = 1e-8 and t the step number:
#
#     V_{∂W^{[l]}} = β₁ S_{∂W^{[l]}} + (1 − β₁) ∂W^{[l]}
#     S_{∂W^{[l]}} = β₂ S_{∂W^{[l−1]}} + (1 − β₂) [∂W^{[l]}]²
#     V^{correct} = V / (1 − β₁ᵗ),   S^{correct} = S / (1 − β₂ᵗ)
#     W^{[l]} = W^{[l]} − η V^{correct} / √(S^{correct} + ε)
#
# *Slips, and what is correct:*
#
# 1. Adam's first moment prints `β₁ S`; it must be **`V = β₁ V + (1 − β₁) g`**, the moving
#    average of the gradient itself (with S it would mix in the *squared* gradients and lose
#    the sign).
# 2. The superscript `[l−1]` in `S_{∂W^{[l−1]}}` (RMSProp and Adam) is not the previous
#    *layer*: it is the value of S at the previous *step*, `S_{t−1}`.
# 3. Adam's update prints `√(S^{correct} + ε)`; Kingma & Ba and PyTorch put ε **after** the
#    root, `√S^{correct} + ε`. The two differ whenever the gradient is small (below we measure
#    a 29 % smaller first step for a gradient of 1e-4).
# 4. RMSProp's update has no ε at all, so a parameter whose gradient has always been 0 gives
#    0/0. minigan uses `θ ← θ − η g / (√S + ε)`.


# %%
def gd_step(theta, g, state, lr):
    return theta - lr * g  # θ ← θ − η g


def momentum_step(theta, g, state, lr, mu=0.9):
    state["v"] = mu * state.get("v", 0.0) + g  # v ← μ v + g
    return theta - lr * state["v"]  # θ ← θ − η v


def rmsprop_step(theta, g, state, lr, beta=0.9, eps=1e-8):
    state["S"] = (
        beta * state.get("S", 0.0) + (1 - beta) * g**2
    )  # S_t = β S_{t−1} + (1 − β) g²
    return theta - lr * g / (np.sqrt(state["S"]) + eps)  # θ ← θ − η g / (√S + ε)


def adam_step(theta, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] = state.get("t", 0) + 1
    state["V"] = (
        beta1 * state.get("V", 0.0) + (1 - beta1) * g
    )  # V_t = β₁ V_{t−1} + (1 − β₁) g
    state["S"] = (
        beta2 * state.get("S", 0.0) + (1 - beta2) * g**2
    )  # S_t = β₂ S_{t−1} + (1 − β₂) g²
    V_hat = state["V"] / (1 - beta1**t)  # bias correction
    S_hat = state["S"] / (1 - beta2**t)
    return theta - lr * V_hat / (np.sqrt(S_hat) + eps)  # ε after the root


def adam_as_printed(theta, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Document 001 §2.8.3 taken literally: V uses S, and ε inside the root."""
    t = state["t"] = state.get("t", 0) + 1
    S_prev = state.get("S", 0.0)
    state["V"] = beta1 * S_prev + (1 - beta1) * g  # the slip: β₁ S
    state["S"] = beta2 * S_prev + (1 - beta2) * g**2
    V_hat = state["V"] / (1 - beta1**t)
    S_hat = state["S"] / (1 - beta2**t)
    return theta - lr * V_hat / np.sqrt(S_hat + eps)  # ε inside the root


g_small = np.array([1e-4])
step_ok = -adam_step(np.zeros(1), g_small, {}, lr=1.0)[0]
step_doc = -adam_as_printed(np.zeros(1), g_small, {}, lr=1.0)[
    0
]  # ε inside the root, as printed
print(
    f"first Adam step for g = 1e-4, lr = 1: ε after the root {step_ok:.4f}, "
    f"ε inside the root (as printed) {step_doc:.4f}  ({100 * (1 - step_doc / step_ok):.0f} % smaller)"
)

# %% [markdown]
# ## 2. The same in minigan: `mg.SGD`, `mg.RMSProp`, `mg.Adam`
#
# An optimizer holds a list of `Parameter`s (or a whole `Module`); `step()` updates each
# `p.data` in place from `p.grad`, and `zero_grad()` clears the gradients. To compare with the
# from-scratch functions we give both the same sequence of random gradients and compare the
# parameter after every step.

# %%
grads = rng.standard_normal((20, 3))
theta0 = rng.standard_normal(3)
pairs = [
    ("SGD (gradient descent)", gd_step, {}, lambda P: mg.SGD([P], lr=0.1)),
    (
        "SGD momentum=0.9",
        momentum_step,
        {},
        lambda P: mg.SGD([P], lr=0.1, momentum=0.9),
    ),
    ("RMSProp beta=0.9", rmsprop_step, {}, lambda P: mg.RMSProp([P], lr=0.1, beta=0.9)),
    ("Adam", adam_step, {}, lambda P: mg.Adam([P], lr=0.1)),
]
for name, step_fn, state, make in pairs:
    P = mg.Parameter(theta0.copy())
    opt = make(P)
    theta = theta0.copy()
    for g in grads:
        opt.zero_grad()
        P.grad[...] = g  # the gradient, set by hand
        opt.step()
        theta = step_fn(theta, g, state, 0.1)
        np.testing.assert_allclose(P.data, theta, rtol=1e-12, atol=1e-14)
    print(f"minigan {name:<24} == from scratch for {len(grads)} steps")

# %% [markdown]
# ## 3. The test surface and a gradient check
#
# A Rosenbrock-like valley, `f(x, y) = (1 − x)² + 10 (y − x²)²`, minimum f = 0 at (1, 1). The
# valley floor is the curved parabola y = x²: steep across it, almost flat along it, which is
# exactly where plain gradient descent struggles. Its gradient, by hand:
#
#     ∂f/∂x = −2(1 − x) − 40 x (y − x²),    ∂f/∂y = 20 (y − x²)
#
# We check it with central differences before trusting the trajectories.

# %%
B = 10.0


def f(p):
    x, y = p
    return (1 - x) ** 2 + B * (y - x * x) ** 2


def grad_f(p):
    x, y = p
    return np.array([-2 * (1 - x) - 4 * B * x * (y - x * x), 2 * B * (y - x * x)])


print(f"{'point':<18}{'rel. error':>12}  result")
for pt in rng.uniform(-2, 2, (3, 2)):
    num = gradcheck.numerical_gradient(lambda: f(pt), pt)
    err = gradcheck.rel_error(grad_f(pt), num)
    print(f"{str(pt.round(3)):<18}{err:>12.2e}  {'PASS' if err < 1e-6 else 'FAIL'}")
    assert err < 1e-6

# %% [markdown]
# ## 4. Experiment: four optimizers in a narrow valley
#
# Each optimizer owns one `Parameter` holding (x, y); at every step we set its `.grad` to
# ∇f by hand and call `step()`. The learning rates are picked by hand, not tuned: plain
# gradient descent is close to its limit (at 3× its rate it diverges), the others have room
# to spare (exercise 1). We also run Adam exactly as printed in the document, to see what the
# slip would do.

# %%
start = np.array([-1.5, 2.0])
steps = 100 if FAST else 400
runs = {
    "GD (SGD, lr=0.01)": lambda P: mg.SGD([P], lr=0.01),
    "SGD momentum 0.9 (lr=0.002)": lambda P: mg.SGD([P], lr=0.002, momentum=0.9),
    "RMSProp (lr=0.01)": lambda P: mg.RMSProp([P], lr=0.01),
    "Adam (lr=0.05)": lambda P: mg.Adam([P], lr=0.05),
}
paths, values = {}, {}
for name, make in runs.items():
    P = mg.Parameter(start.copy())
    opt = make(P)
    path = [P.data.copy()]
    for _ in range(steps):
        opt.zero_grad()
        P.grad[...] = grad_f(P.data)
        opt.step()
        path.append(P.data.copy())
    paths[name] = np.array(path)
    values[name] = np.array([f(p) for p in path])

theta, state, path = start.copy(), {}, [start.copy()]
with np.errstate(all="ignore"):
    for t in range(steps):
        theta = adam_as_printed(theta, grad_f(theta), state, 0.05)
        if not (np.isfinite(theta).all() and f(theta) < 1e6):
            print(
                f"Adam as printed left the plot (f > 1e6 or nan) at step {t + 1}: "
                f"V = β₁ S + (1 − β₁) g follows the squared gradients, not the gradient"
            )
            break
        path.append(theta.copy())
paths["Adam as printed (lr=0.05)"] = np.array(path)
values["Adam as printed (lr=0.05)"] = np.array([f(p) for p in path])

for name, v in values.items():
    end = paths[name][-1]
    print(
        f"{name:<28} after {len(v) - 1:>3} steps: (x, y) = ({end[0]:+.3f}, {end[1]:+.3f}), f = {v[-1]:.2e}"
    )

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 5))
ax = axes[0]
gx, gy = np.meshgrid(np.linspace(-2, 2, 300), np.linspace(-1, 3, 300))
fz = (1 - gx) ** 2 + B * (gy - gx**2) ** 2
ax.contour(gx, gy, np.log10(fz + 1e-3), levels=25, cmap="Greys", linewidths=0.7)
styles = ["-", "-", "-", "-", ":"]
for (name, p), ls in zip(paths.items(), styles):
    ax.plot(p[:, 0], p[:, 1], ls, lw=1.5, marker=".", ms=2, label=name)
ax.plot(*start, "ko", label="start")
ax.plot(1, 1, "r*", ms=14, label="minimum (1, 1)")
ax.set(
    xlabel="x",
    ylabel="y",
    title="f(x, y) = (1 − x)² + 10 (y − x²)²: trajectories",
    xlim=(-2, 2),
    ylim=(-1, 3),
)
ax.legend(fontsize=7, loc="upper right")
ax = axes[1]
for (name, v), ls in zip(values.items(), styles):
    ax.semilogy(np.maximum(v, 1e-16), ls, label=name)
ax.set(xlabel="step t", ylabel="f(x_t, y_t)", title="Cost along the way")
ax.legend(fontsize=7)
fig.tight_layout()
save(fig, "04_optimizers.png", dpi=100)

# %% [markdown]
# ## Exercises
#
# 1. Multiply each learning rate by 2, 4, 8 and 16. Which optimizers diverge, and why do
#    RMSProp and Adam never blow up? (Their step is about η per coordinate whatever the size
#    of the gradient.)
# 2. Make the gradients noisy, `grad_f(p) + rng.normal(0, 2, 2)`, as a mini-batch gradient
#    would be (§2.8.1). Which method's trajectory suffers most?
# 3. Remove Adam's bias correction. What happens in the first ten steps, and why does it
#    matter with β₂ = 0.999?
# 4. Use `weight_decay=0.1` with `mg.SGD` and show, from the update rule, that it adds the
#    gradient of (0.1/2)‖θ‖² (lesson 06's L2 penalty). Where does the minimum move?

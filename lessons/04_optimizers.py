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
# # Lesson 04: Gradient descent, SGD with momentum, RMSProp and Adam
#
# **Objective.** Implement the update rules of document 001 from scratch, correct the slips
# in its printed RMSProp and Adam, check that `minigan.nn.optim` computes the same steps, and
# watch the optimizers walk down a narrow, curved valley (a Rosenbrock function), including
# Adam exactly as the document prints it.
#
# **Source.** Document 001: Marques (2021), *Rede Adversária Generativa Convolucional
# Profunda Aplicada a Exames de Raio-x do Tórax*, §2.8 "Gradiente Descendente", §2.8.1
# "Gradiente Descendente Estocástico", §2.8.2 "RMSProp" and §2.8.3 "Adam".

# %%
import matplotlib.pyplot as plt
import minigan as mg
import numpy as np
from minigan import gradcheck

# lessons/_course.py: fast mode, and figures saved (and shown inline in a notebook)
from _course import FAST, save, t

plt.rcParams.update({"font.size": 11, "legend.fontsize": 10})
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Gradient descent and SGD (document 001 §2.8–2.8.1)
#
# Lessons 01–03 gave a cost $C$ and its gradient. **Gradient descent** ("Gradiente
# Descendente", §2.8) moves the parameters $v$ a step against the gradient, scaled by the
# learning rate ("taxa de aprendizagem") $\eta$; in a network, for every layer $l$:
#
# $$
# \begin{aligned}
# v &\rightarrow v' = v - \eta \nabla C(v) \cr
# W^{[l]} &\rightarrow W^{[l]'} = W^{[l]} - \eta \frac{\partial C}{\partial W^{[l]}}, \qquad
# b^{[l]} \rightarrow b^{[l]'} = b^{[l]} - \eta \frac{\partial C}{\partial b^{[l]}}
# \end{aligned}
# \tag{001 §2.8}
# \label{eq:04-gd}
# $$
#
# The rule is the same for every parameter, so from now on we write $\theta$ for any one of
# them (an entry of some $W^{[l]}$ or $b^{[l]}$), $g_t = \partial C / \partial \theta$ for
# its gradient at step $t$, and $\theta_t$ for its value after $t$ steps:
# $\theta_t = \theta_{t-1} - \eta\, g_t$.
#
# **Stochastic gradient descent** (SGD, §2.8.1) uses the same rule with a cheaper, noisier
# gradient: computed on one example drawn at random, as the document describes, or (as
# everyone does in practice) on a random *mini-batch* $B$ of examples:
#
# $$
# g_t = \frac{1}{|B|} \sum_{i \in B} \frac{\partial L^{(i)}}{\partial \theta}, \qquad
# \theta_t = \theta_{t-1} - \eta\, g_t
# \tag{04.1}
# \label{eq:04-sgd}
# $$
#
# where $L^{(i)}$ is the loss of example $i$ (lesson 03). Its average over random batches is
# the full gradient, so the steps point the right way on average.
#
# *Two remarks on the wording.* (1) §2.8 says that gradient descent uses "um batch
# (subdivisão da base de dados) de treinamento inteiro", that is, the whole training set.
# In today's usage a *batch* is the subset used for one step, as in $\eqref{eq:04-sgd}$.
# (2) §2.8.1 says that SGD's great advantage is "a velocidade com que o otimizador converge
# para o mínimo global" (how fast it converges to the global minimum). The cost of a neural
# network is not convex, and no optimizer guarantees its global minimum; SGD's advantage is
# that each step is cheap, so it takes many more steps for the same computation.
#
# ## 2. Momentum, RMSProp and Adam (document 001 §2.8.2–2.8.3)
#
# **Momentum.** §2.8.2 motivates moving averages ("médias móveis") with its Figure 11 (SGD
# with and without momentum), but gives no formula. The velocity $v$ accumulates past
# gradients, so steps in a consistent direction add up and steps that flip sign cancel.
# minigan uses PyTorch's form, with momentum $\mu$ (usually 0.9):
#
# $$
# v_t = \mu\, v_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, v_t
# \tag{04.2}
# $$
#
# **RMSProp** (§2.8.2, Hinton's lecture notes) divides each step by a moving average of the
# squared gradient, so that coordinates with large gradients take smaller steps and
# coordinates with small gradients larger ones. The document prints, with $\beta$ usually 0.9
# and $\partial W^{[l]} = \partial C / \partial W^{[l]}$:
#
# $$
# \begin{aligned}
# S_{\partial W^{[l]}} &= \beta S_{\partial W^{[l-1]}} + (1 - \beta)[\partial W^{[l]}]^2 \cr
# W^{[l]} &= W^{[l]} - \eta \frac{\partial W^{[l]}}{\sqrt{S_{\partial W^{[l]}}}}
# \end{aligned}
# \tag{001 §2.8.2}
# $$
#
# (and the same for $b^{[l]}$). **Adam** (§2.8.3, Kingma and Ba) combines both ideas: a
# moving average $V$ of the gradient (momentum) and a moving average $S$ of its square
# (RMSProp), each corrected for starting at 0, with $\beta_1 = 0.9$, $\beta_2 = 0.999$,
# $\epsilon = 10^{-8}$ and $t$ the step number. The document prints:
#
# $$
# \begin{aligned}
# V_{\partial W^{[l]}} &= \beta_1 S_{\partial W^{[l]}} + (1 - \beta_1) \partial W^{[l]} \cr
# S_{\partial W^{[l]}} &= \beta_2 S_{\partial W^{[l-1]}} + (1 - \beta_2) [\partial W^{[l]}]^2
# \cr
# V_{\partial W^{[l]}}^{\text{correct}} &= \frac{V_{\partial W^{[l]}}}{1 - \beta_1^t}, \qquad
# S_{\partial W^{[l]}}^{\text{correct}} = \frac{S_{\partial W^{[l]}}}{1 - \beta_2^t} \cr
# W^{[l]} &= W^{[l]} - \eta \frac{V_{\partial W^{[l]}}^{\text{correct}}}
# {\sqrt{S_{\partial W^{[l]}}^{\text{correct}} + \epsilon}}
# \end{aligned}
# \tag{001 §2.8.3}
# $$
#
# *Slips in the printed formulas, and what is correct.*
#
# 1. Adam's first moment prints $\beta_1 S$. It must be $\beta_1 V$: $V$ is the moving
#    average of the gradient itself. With $S$ it would mix in the *squared* gradients and
#    lose their sign (the experiment below shows what that does).
# 2. The superscript $[l-1]$ in $S_{\partial W^{[l-1]}}$ (in RMSProp and in Adam) is not the
#    previous *layer*: it is the value of $S$ at the previous *step*, $S_{t-1}$.
# 3. Adam's update prints $\sqrt{S^{\text{correct}} + \epsilon}$. Kingma and Ba, and
#    PyTorch, put $\epsilon$ **after** the root, $\sqrt{S^{\text{correct}}} + \epsilon$.
#    The two differ whenever the gradient is small. At the first step $V^{\text{correct}}$
#    is $g_1$ and $S^{\text{correct}}$ is $g_1^2$, so the step is
#    $\eta\, g_1 / (|g_1| + \epsilon) \approx \eta$ with $\epsilon$ after the root, but
#    $\eta\, g_1 / \sqrt{g_1^2 + \epsilon}$ as printed: for $g_1 = 10^{-4}$, $g_1^2 = \epsilon$,
#    and the printed step is $\eta / \sqrt{2}$, about 29 % smaller (the code below prints it).
# 4. RMSProp's update has no $\epsilon$ at all, so a parameter whose gradient has always
#    been 0 gives $0/0$. minigan adds $\epsilon$ after the root, as in Adam.
#
# With these corrections, and the step index written as a subscript, the rules that minigan
# implements are:
#
# $$
# S_t = \beta S_{t-1} + (1 - \beta)\, g_t^2, \qquad
# \theta_t = \theta_{t-1} - \eta \frac{g_t}{\sqrt{S_t} + \epsilon}
# \tag{04.3}
# \label{eq:04-rmsprop}
# $$
#
# for RMSProp, and for Adam
#
# $$
# \begin{aligned}
# V_t &= \beta_1 V_{t-1} + (1 - \beta_1)\, g_t \cr
# S_t &= \beta_2 S_{t-1} + (1 - \beta_2)\, g_t^2 \cr
# \hat V_t &= \frac{V_t}{1 - \beta_1^t}, \qquad
# \hat S_t = \frac{S_t}{1 - \beta_2^t} \cr
# \theta_t &= \theta_{t-1} - \eta \frac{\hat V_t}{\sqrt{\hat S_t} + \epsilon}
# \end{aligned}
# \tag{Kingma, Ba 2015}
# \label{eq:04-adam}
# $$
#
# with $V_0 = S_0 = 0$. The bias correction divides by $1 - \beta^t$ because the averages
# start at 0: after one step $V_1 = (1 - \beta_1) g_1$, a tenth of the gradient, and
# $V_1 / (1 - \beta_1) = g_1$. (The document's "$t$ é o número de iterações no mini-batch"
# means the number of updates so far, one per mini-batch.)


# %%
def gd_step(theta, g, state, lr):
    return theta - lr * g  # θ ← θ − η g


def momentum_step(theta, g, state, lr, mu=0.9):
    state["v"] = mu * state.get("v", 0.0) + g  # v ← μ v + g
    return theta - lr * state["v"]  # θ ← θ − η v


def rmsprop_step(theta, g, state, lr, beta=0.9, eps=1e-8):
    state["S"] = beta * state.get("S", 0.0) + (1 - beta) * g**2  # S_t, equation (04.3)
    return theta - lr * g / (np.sqrt(state["S"]) + eps)  # θ ← θ − η g / (√S + ε)


def adam_step(theta, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Equation (Kingma, Ba 2015): V from V, ε after the root."""
    t = state["t"] = state.get("t", 0) + 1
    state["V"] = beta1 * state.get("V", 0.0) + (1 - beta1) * g  # V_t
    state["S"] = beta2 * state.get("S", 0.0) + (1 - beta2) * g**2  # S_t
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
step_doc = -adam_as_printed(np.zeros(1), g_small, {}, lr=1.0)[0]
print("first Adam step for g = 1e-4 and lr = 1:")
print(f"  ε after the root:             {step_ok:.4f}")
print(f"  ε inside the root, as printed: {step_doc:.4f}")
print(f"  {100 * (1 - step_doc / step_ok):.0f} % smaller")

# %% [markdown]
# ## 3. The same in minigan: `mg.SGD`, `mg.RMSProp`, `mg.Adam`
#
# An optimizer holds a list of `Parameter`s (or a whole `Module`). Its `step()` updates each
# `p.data` in place from `p.grad`, and `zero_grad()` clears the gradients. To compare with
# the from-scratch functions, we give both the same sequence of random gradients and compare
# the parameter after every step.

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
# ## 4. The test surface and a gradient check
#
# To watch the optimizers, we use a surface whose minimum is hard to reach: a
# Rosenbrock-like valley,
#
# $$
# f(x, y) = (1 - x)^2 + 10\,(y - x^2)^2
# \tag{04.4}
# \label{eq:04-rosenbrock}
# $$
#
# with its minimum $f = 0$ at $(1, 1)$. The floor of the valley is the curved parabola
# $y = x^2$: the walls are steep across it and the floor is almost flat along it, which is
# exactly where plain gradient descent struggles. Its gradient, by hand:
#
# $$
# \frac{\partial f}{\partial x} = -2\,(1 - x) - 40\, x\, (y - x^2), \qquad
# \frac{\partial f}{\partial y} = 20\,(y - x^2)
# \tag{04.5}
# \label{eq:04-grad}
# $$
#
# Before we trust the trajectories, we check $\eqref{eq:04-grad}$ with the central
# differences of lesson 01 at three random points.

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
# ## 5. Experiment: the optimizers in a narrow valley
#
# Each optimizer owns one `Parameter` holding $(x, y)$; at every step we set its `.grad` to
# $\nabla f$ by hand and call `step()`. All start at $(-1.5, 2)$. The learning rates are
# picked by hand, not tuned, and we also run Adam exactly as printed in the document, to see
# what the slips do.
#
# **How large can plain gradient descent's step be?** Near the minimum, $f$ is close to a
# quadratic with the Hessian (the matrix of second derivatives) at $(1, 1)$,
#
# $$
# H = \begin{pmatrix} \partial^2 f / \partial x^2 & \partial^2 f / \partial x \partial y \cr
# \partial^2 f / \partial y \partial x & \partial^2 f / \partial y^2 \end{pmatrix}
# = \begin{pmatrix} 82 & -40 \cr -40 & 20 \end{pmatrix}
# \tag{04.6}
# \label{eq:04-hessian}
# $$
#
# For a quadratic, one step of gradient descent multiplies the distance to the minimum
# along each eigenvector of $H$ by $1 - \eta \lambda$, where $\lambda$ is the eigenvalue.
# The steps shrink that distance only if $|1 - \eta \lambda| < 1$, that is
# $\eta < 2 / \lambda_{\max}$. The large eigenvalue belongs to the steep walls and limits
# $\eta$; the small one belongs to the flat floor, where each step removes only a fraction
# $\eta \lambda_{\min}$ of the remaining distance. The code computes both eigenvalues, and
# runs plain gradient descent with one, two and three times our learning rate of 0.01.

# %%
start = np.array([-1.5, 2.0])
steps = 100 if FAST else 400


x1, y1 = 1.0, 1.0  # the minimum
H = np.array(  # equation (04.6): the second derivatives of f at (1, 1)
    [
        [2 - 4 * B * (y1 - x1**2) + 8 * B * x1**2, -4 * B * x1],
        [-4 * B * x1, 2 * B],
    ]
)
e = np.eye(2) * 1e-5  # and checked with central differences of the gradient
H_num = np.stack([(grad_f([x1, y1] + d) - grad_f([x1, y1] - d)) / 2e-5 for d in e])
np.testing.assert_allclose(H_num, H, rtol=1e-6)
lam = np.linalg.eigvalsh(H)
print(f"eigenvalues of H at (1, 1): {lam.round(2)}; 2 / λ_max = {2 / lam.max():.4f}")


def gd_costs(lr):
    """f after each of `steps` steps of plain gradient descent."""
    p, costs = start.copy(), []
    with np.errstate(all="ignore"):
        for _ in range(steps):
            p = p - lr * grad_f(p)
            costs.append(f(p) if np.isfinite(p).all() else np.inf)
    return np.array(costs)


print(f"{'plain GD':<14}{'lowest f on the way':>21}{f'f after {steps} steps':>20}")
for lr in (0.01, 0.02, 0.03):
    c = gd_costs(lr)
    end = f"{c[-1]:.2e}" if c[-1] < 1e6 else "diverged"
    print(f"{f'lr = {lr}':<14}{c.min():>21.2e}{end:>20}")

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
    for k in range(steps):
        theta = adam_as_printed(theta, grad_f(theta), state, 0.05)
        if not (np.isfinite(theta).all() and f(theta) < 1e6):
            print(f"Adam as printed left the plot (f > 1e6 or nan) at step {k + 1}")
            break
        path.append(theta.copy())
paths["Adam as printed (lr=0.05)"] = np.array(path)
values["Adam as printed (lr=0.05)"] = np.array([f(p) for p in path])

for name, v in values.items():
    x_end, y_end = paths[name][-1]
    print(
        f"{name:<28} after {len(v) - 1:>3} steps: "
        f"(x, y) = ({x_end:+.3f}, {y_end:+.3f}), f = {v[-1]:.2e}"
    )

# %% [markdown]
# The eigenvalues are about 102 and 0.4, so plain gradient descent is stable near the
# minimum only for $\eta < 2/102 \approx 0.0197$. Our 0.01 is half that limit. In the full
# run, at $\eta = 0.02$, just above the limit, gradient descent comes close to the minimum
# and is then pushed away again (its cost at the end is higher than the lowest on the way);
# at $\eta = 0.03$ it blows up. With a safe $\eta$, the floor direction loses only about
# $0.01 \times 0.4 = 0.4\,\%$ of its distance per step: that is why plain gradient descent
# crawls along the valley.
#
# The trajectories below show all the runs. The correct optimizers first fall down the
# steep wall into the valley and then follow its curved floor towards $(1, 1)$; they differ
# in how fast they move along the floor, where the gradient is small. Adam as printed does
# something else: its "first moment" $\beta_1 S + (1 - \beta_1) g$ is built mostly from the
# *squared* gradients, which are positive whatever the direction, so the update keeps
# pushing $x$ towards large negative values, out of the valley.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Trajectories of the optimizers on $f(x, y) = (1 - x)^2 + 10 (y - x^2)^2$ from $(-1.5, 2)$ (grey: contour lines of $\\log f$). The correct optimizers follow the curved valley towards the minimum $(1, 1)$; Adam as printed (dotted) leaves it.", "name": "fig-04-trajectories"}}
gx, gy = np.meshgrid(np.linspace(-2, 2, 300), np.linspace(-1, 3, 300))
fz = (1 - gx) ** 2 + B * (gy - gx**2) ** 2
styles = ["-", "-", "-", "-", ":"]
# the legend's words (the table printed above keeps the English names)
shown = {
    "SGD momentum 0.9 (lr=0.002)": t("SGD momentum 0.9 (lr=0.002)"),
    "Adam as printed (lr=0.05)": t("Adam as printed (lr=0.05)"),
}
fig, ax = plt.subplots(figsize=(7.2, 6))
ax.contour(gx, gy, np.log10(fz + 1e-3), levels=25, cmap="Greys", linewidths=0.7)
for (name, p), ls in zip(paths.items(), styles):
    ax.plot(p[:, 0], p[:, 1], ls, lw=1.8, marker=".", ms=2, label=shown.get(name, name))
ax.plot(*start, "ko", label=t("start"))
ax.plot(1, 1, "r*", ms=14, label=t("minimum (1, 1)"))
ax.set(
    xlabel="$x$",
    ylabel="$y$",
    title=t("Trajectories on the valley (04.4)"),
    xlim=(-2, 2),
    ylim=(-1, 3),
)
ax.legend(loc="upper right", fontsize=10)
fig.tight_layout()
save(fig, "04_trajectories.png")

# %% [markdown]
# The cost along the way, on a log scale, compares the speeds. Read the printed table above
# for the final values: in the full run Adam ends closest to the minimum, and plain gradient
# descent furthest from it, with momentum and RMSProp in between.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The cost $f(x_t, y_t)$ after each step $t$ (log scale), for the same runs: the cost of every correct optimizer falls, fastest with Adam; Adam as printed (dotted) climbs until it leaves the plot.", "name": "fig-04-cost"}}
fig, ax = plt.subplots(figsize=(7.2, 4.6))
for (name, v), ls in zip(values.items(), styles):
    ax.semilogy(np.maximum(v, 1e-16), ls, lw=1.8, label=shown.get(name, name))
ax.set(xlabel=t("step $t$"), ylabel="$f(x_t, y_t)$", title=t("Cost along the way"))
ax.legend(fontsize=10)
fig.tight_layout()
save(fig, "04_cost.png")

# %% [markdown]
# ## Summary
#
# * Gradient descent $\eqref{eq:04-gd}$ steps against the gradient; SGD uses the gradient
#   of a random mini-batch, and momentum averages the steps.
# * RMSProp $\eqref{eq:04-rmsprop}$ and Adam $\eqref{eq:04-adam}$ divide each coordinate's
#   step by a running average of its squared gradient, so their steps are about $\eta$ in
#   size whatever the scale of the gradient.
# * Document 001 prints Adam with $\beta_1 S$ for $\beta_1 V$, $\epsilon$ inside the root,
#   $[l-1]$ for the previous step, and RMSProp without $\epsilon$; minigan implements the
#   corrected rules.

# %% [markdown]
# ## Exercises
#
# 1. Multiply each learning rate by 2, 4, 8 and 16. Which optimizers diverge, and why do
#    RMSProp and Adam never blow up? (Their step is about $\eta$ per coordinate, whatever
#    the size of the gradient.)
# 2. Make the gradients noisy, `grad_f(p) + rng.normal(0, 2, 2)`, as a mini-batch gradient
#    would be (§2.8.1). Which method's trajectory suffers most?
# 3. Remove Adam's bias correction. What happens in the first ten steps, and why does it
#    matter with $\beta_2 = 0.999$?
# 4. Use `weight_decay=0.1` with `mg.SGD` and show, from the update rule, that it adds the
#    gradient of $\frac{0.1}{2} \lVert \theta \rVert^2$ (lesson 06's L2 penalty). Where does
#    the minimum move?

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
# | `04.sgd_momentum_step` | one step of SGD with momentum | document 001 §2.8.2 | 1 |
# | `04.rmsprop_step` | one RMSProp step | document 001 §2.8.2 | 1 |
# | `04.adam_step` | one Adam step with bias correction | document 001 §2.8.3 | 2 |
#
# 4 points in all. The same stubs come as a plain file, to write in your editor and grade
# from a terminal (`minigan-exercises list` shows every lesson's exercises):
#
# ```bash
# minigan-exercises new ex/ --lesson 04   # writes ex/lesson04_optimizers.py
# minigan-exercises grade ex/ -k 04       # PASS, FAIL, TODO or ERROR, and the points
# ```

# %%
import numpy as np
from minigan.exercises import check


# %%
def sgd_momentum_step(theta, grad, v, lr, momentum=0.9):
    """One step of SGD with momentum (PyTorch's form, as minigan.nn.optim.SGD).

    Document 001 §2.8: θ ← θ − η g. With momentum, document 001 §2.8.2
    ("médias móveis"):
        v ← μ v + g
        θ ← θ − η v
    v starts at 0, so the first step is plain SGD.

    Parameters
    ----------
    theta, grad, v : arrays of one shape (the parameter, its gradient, the velocity)
    lr : float η;  momentum : float μ

    Returns
    -------
    (theta_new, v_new) : arrays of theta's shape
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("04.sgd_momentum_step", sgd_momentum_step)


# %%
def rmsprop_step(theta, grad, S, lr=1e-3, beta=0.9, eps=1e-8):
    """One RMSProp step (as minigan.nn.optim.RMSProp).

    Document 001 §2.8.2 (g² elementwise):
        S ← β S + (1 − β) g²
        θ ← θ − η g / (√S + ε)
    The document prints no ε; like PyTorch, add it AFTER the square root. S starts at 0.

    Parameters
    ----------
    theta, grad, S : arrays of one shape
    lr : float η;  beta : float β;  eps : float ε

    Returns
    -------
    (theta_new, S_new) : arrays of theta's shape
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("04.rmsprop_step", rmsprop_step)


# %%
def adam_step(theta, grad, V, S, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step with bias correction (as minigan.nn.optim.Adam).

    Document 001 §2.8.3, at step t = 1, 2, ... (V and S start at 0):
        V ← β₁ V + (1 − β₁) g
        S ← β₂ S + (1 − β₂) g²
        V̂ = V / (1 − β₁ᵗ),    Ŝ = S / (1 − β₂ᵗ)
        θ ← θ − η V̂ / (√Ŝ + ε)
    The document prints β₁ S in the first line (β₁ V is meant) and √(Ŝ + ε) in the
    update (Kingma & Ba and PyTorch add ε after the square root).

    Parameters
    ----------
    theta, grad, V, S : arrays of one shape
    t : int, this step's number (1 at the first step)
    lr : float η;  beta1, beta2 : floats β₁, β₂;  eps : float ε

    Returns
    -------
    (theta_new, V_new, S_new) : arrays of theta's shape
    """
    # YOUR CODE HERE
    raise NotImplementedError


check("04.adam_step", adam_step)

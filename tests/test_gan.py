"""minigan.gan: Algorithm 1 of document 001 §4.1, checked against its definitions."""

import copy
import io

import numpy as np
import pytest

import minigan as mg
from minigan.gan import GAN, HISTORY_KEYS, NonFiniteLossError, frozen
from minigan.gradcheck import numerical_gradient, rel_error


class Counting:
    """An optimizer stand-in that counts steps and changes nothing (so grads can be read)."""

    def __init__(self):
        self.steps = 0

    def step(self):
        self.steps += 1


def softplus(t):
    return np.logaddexp(0.0, t)


def tiny(seed=0, dtype=np.float64, d_bn=False):
    r = np.random.default_rng(seed)
    G = mg.Sequential(mg.Dense(3, 5, rng=r), mg.BatchNorm(5), mg.LeakyReLU(0.2), mg.Dense(5, 4, rng=r), mg.Tanh())
    d_layers = (
        [mg.Dense(4, 6, rng=r)] + ([mg.BatchNorm(6)] if d_bn else []) + [mg.LeakyReLU(0.2), mg.Dense(6, 1, rng=r)]
    )
    D = mg.Sequential(*d_layers)
    return G.astype(dtype), D.astype(dtype)


def _params(m):
    return {k: np.array(v) for k, v in m.state_dict().items()}


# ---------------------------------------------------------------------------- gradients = definitions
@pytest.mark.parametrize("g_loss", ["non-saturating", "minimax"])
def test_step_gradients_match_the_losses_of_the_documents(g_loss):
    """D's gradient is that of document 002's L_D = -½E log D(x) - ½E log(1 - D(G(z))) (with the
    real target 0.9); G's is that of -E log D(G(z)) (non-saturating) or E log(1 - D(G(z)))
    (minimax, Algorithm 1 line 8); both computed here from the definitions by finite differences."""
    G, D = tiny()
    gan = GAN(G, D, 3, Counting(), Counting(), g_loss=g_loss, real_label=0.9)
    r = np.random.default_rng(1)
    z, x = r.standard_normal((7, 3)), r.standard_normal((7, 4))
    gan.sample_noise = lambda n: z  # fix the noise so the loss is a function of the weights only

    def L_D():
        lr, lf = D(x), D(G(z))  # -[y log σ(l) + (1-y) log(1-σ(l))] = y·softplus(-l) + (1-y)·softplus(l)
        return 0.5 * np.mean(0.9 * softplus(-lr) + 0.1 * softplus(lr)) + 0.5 * np.mean(softplus(lf))

    def L_G():
        lf = D(G(z))
        if g_loss == "non-saturating":
            return np.mean(softplus(-lf))  # -log σ(l)
        return np.mean(-softplus(lf))  # log(1 - σ(l))

    out = gan.d_step(x)
    assert float(out["d"]) == pytest.approx(L_D(), rel=1e-10)
    for name, p in D.named_parameters():
        assert rel_error(numerical_gradient(L_D, p.data), p.grad) < 1e-6, name
    g = gan.g_step(7)
    assert float(g) == pytest.approx(L_G(), rel=1e-10)
    for name, p in G.named_parameters():
        num = numerical_gradient(L_G, p.data)
        if np.abs(num).max() < 1e-9 and np.abs(p.grad).max() < 1e-9:
            continue  # the bias before BatchNorm: its gradient is 0 in both
        assert rel_error(num, p.grad) < 1e-6, name
    if g_loss == "minimax":
        assert float(g) < 0  # log(1 - D) < 0


def test_reported_scalars_are_their_definitions():
    G, D = tiny()
    gan = GAN(G, D, 3, Counting(), Counting())
    r = np.random.default_rng(2)
    z, x = r.standard_normal((5, 3)), r.standard_normal((5, 4))
    gan.sample_noise = lambda n: z
    lr, lf = D(x), D(G(z))  # the optimizers are no-ops: D and G do not change
    out = gan.train_step(x)
    sig = lambda t: 1 / (1 + np.exp(-t))
    assert float(out["d_real"]) == pytest.approx(np.mean(softplus(-lr)))
    assert float(out["d_fake"]) == pytest.approx(np.mean(softplus(lf)))
    assert float(out["d"]) == pytest.approx(0.5 * (float(out["d_real"]) + float(out["d_fake"])))
    assert float(out["d_x"]) == pytest.approx(np.mean(sig(lr)))
    assert float(out["d_g_z"]) == pytest.approx(np.mean(sig(lf)))
    assert float(out["g"]) == pytest.approx(np.mean(softplus(-lf)))


# ---------------------------------------------------------------------------- two steps in a row
class Recording:
    """An optimizer stand-in for ``net``: at each ``step()`` it logs a copy of every gradient
    of ``net`` and a deep copy of both nets (the parameters the step's losses were computed
    with), then takes a plain SGD step ``θ ← θ − lr·θ.grad``. It never clears a gradient."""

    def __init__(self, tag, net, log, nets, lr=0.2):
        self.tag, self.net, self.log, self.nets, self.lr = tag, net, log, nets, lr

    def step(self):
        G, D = copy.deepcopy(self.nets)
        self.log.append({"tag": self.tag, "grads": [p.grad.copy() for p in self.net.parameters()], "G": G, "D": D})
        for p in self.net.parameters():
            p.data -= self.lr * p.grad


def _two_step_nets():
    """A tiny float64 G and D, both with BatchNorm. A Dense right before a BatchNorm has no
    bias (its gradient would be 0, and 0 against a finite difference checks nothing); D's
    BatchNorm sits after a LeakyReLU, so that G's last bias has a gradient too."""
    r = np.random.default_rng(11)
    G = mg.Sequential(mg.Dense(3, 5, bias=False, rng=r), mg.BatchNorm(5), mg.LeakyReLU(0.2), mg.Dense(5, 4, rng=r))
    D = mg.Sequential(
        mg.Dense(4, 6, rng=r),
        mg.LeakyReLU(0.2),
        mg.Dense(6, 5, bias=False, rng=r),
        mg.BatchNorm(5),
        mg.LeakyReLU(0.2),
        mg.Dense(5, 1, rng=r),
    )
    return G.astype(np.float64), D.astype(np.float64)


def _compare(problems, where, net, grads, loss):
    """Append to ``problems`` every parameter of ``net`` whose consumed gradient (``grads``)
    is not the central difference of ``loss()`` (``net`` is perturbed in place)."""
    for (name, p), g in zip(net.named_parameters(), grads):
        err = rel_error(g, numerical_gradient(loss, p.data))
        if not err < 1e-6:
            problems.append(f"{where}: {name}'s gradient off by {err:.1e} from the finite difference")


def _d_loss(D, x, fake, real_label):
    """Document 002's L_D = ½ BCE(D(x), real_label) + ½ BCE(D(G(z)), 0), from its definition."""
    lr, lf = D(x), D(fake)  # BCE(σ(l), y) = y·softplus(-l) + (1-y)·softplus(l)
    return 0.5 * np.mean(real_label * softplus(-lr) + (1 - real_label) * softplus(lr)) + 0.5 * np.mean(softplus(lf))


def _g_loss(G, D, z, g_loss):
    lf = D(G(z))
    return np.mean(softplus(-lf)) if g_loss == "non-saturating" else np.mean(-softplus(lf))


def two_gan_steps(sabotage=None, g_loss="non-saturating"):
    """Two consecutive ``GAN.train_step`` on a tiny float64 GAN, each step's consumed
    gradients checked against central differences of that step's losses at the parameters of
    that moment. Returns the problems found (empty: the loop is right).

    Checked, for steps 1 and 2: the optimizers step in the order d, g, d, g; D's gradient at
    its step is ∂L_D/∂θ_d (document 002's ½-weighted BCE, real target 0.9) for that step's real
    batch and fakes; G's gradient at its step is ∂L_G/∂θ_g through the just-updated D; the
    G step leaves D's gradients as D's step left them (D is frozen); the reported ``d`` and
    ``g`` are those losses. ``sabotage(gan)`` breaks the GAN before the steps (the tests of
    this check)."""
    G, D = _two_step_nets()
    log = []
    gan = GAN(G, D, 3, Recording("g", G, log, (G, D)), Recording("d", D, log, (G, D)), real_label=0.9, g_loss=g_loss)
    zs = []
    draw = gan.sample_noise
    gan.sample_noise = lambda n: zs.append(draw(n)) or zs[-1]  # every z a step draws, in order
    r = np.random.default_rng(12)
    xs = [r.standard_normal((6, 4)) for _ in range(2)]
    if sabotage is not None:
        sabotage(gan)
    outs = [gan.train_step(x) for x in xs]
    order = [e["tag"] for e in log]
    if order != ["d", "g", "d", "g"] or len(zs) != 4:
        return [f"optimizer steps {order} and {len(zs)} noise draws; expected d, g, d, g and 4 draws"]
    problems = []
    for i, x in enumerate(xs):
        _check_step(problems, f"step {i + 1}", log[2 * i], log[2 * i + 1], x, zs[2 * i], zs[2 * i + 1], outs[i], g_loss)
    return problems


def _check_step(problems, where, d, g, x, z_d, z_g, out, g_loss):
    """One step of :func:`two_gan_steps`: ``d`` and ``g`` are the two optimizers' log entries."""
    fake = d["G"](z_d)  # the D step's fakes: G in training mode, at that moment's weights
    L_D = lambda: _d_loss(d["D"], x, fake, 0.9)
    L_G = lambda: _g_loss(g["G"], g["D"], z_g, g_loss)
    _compare(problems, f"{where}, D", d["D"], d["grads"], L_D)
    _compare(problems, f"{where}, G", g["G"], g["grads"], L_G)
    for (name, p), g0 in zip(g["D"].named_parameters(), d["grads"]):
        if not np.array_equal(p.grad, g0):
            problems.append(f"{where}: the G step changed D's gradient of {name}")
    if float(out["d"]) != pytest.approx(L_D(), rel=1e-10):
        problems.append(f"{where}: reported d {float(out['d'])} is not L_D {L_D()}")
    if float(out["g"]) != pytest.approx(L_G(), rel=1e-10):
        problems.append(f"{where}: reported g {float(out['g'])} is not L_G {L_G()}")


@pytest.mark.parametrize("g_loss", ["non-saturating", "minimax"])
def test_two_consecutive_steps_consume_the_gradients_of_their_own_losses(g_loss):
    """Step 2 is where a missing zero_grad shows: step 1's gradients would still be in .grad."""
    problems = two_gan_steps(g_loss=g_loss)
    assert problems == [], "\n".join(problems)


def _no_g_zero_grad(gan):
    gan.G.zero_grad = lambda: None  # G.zero_grad() removed from the G step


def _no_d_zero_grad(gan):
    gan.D.zero_grad = lambda: None  # D.zero_grad() removed from the D step


def _no_half(gan):
    for loss in (gan._bce_real, gan._bce_fake):  # backward(0.5) → backward(1.0): the ½ of L_D dropped
        loss.backward = lambda grad=None, right=loss.backward: right(None if grad == 0.5 else grad)


def _d_steps_in_g_step(gan):
    right, g_step = gan.D.backward_input, gan._g_step
    inside = []

    def g_step_marked(n, y):
        inside.append(True)
        try:
            return g_step(n, y)
        finally:
            inside.pop()

    def backward(dout):
        dx = right(dout)
        if inside:
            gan.d_opt.step()  # D updated from the generator's loss
        return dx

    gan._g_step, gan.D.backward_input = g_step_marked, backward


SABOTAGE = {
    "G.zero_grad removed": (_no_g_zero_grad, "step 2, G"),
    "D.zero_grad removed": (_no_d_zero_grad, "step 2, D"),
    "½ of L_D dropped": (_no_half, "step 1, D"),
    "D steps in the G step": (_d_steps_in_g_step, "optimizer steps"),
}


@pytest.mark.parametrize("name", sorted(SABOTAGE))
def test_two_step_check_catches_a_broken_loop(name):
    """The check of the previous test can fail: each way of breaking the loop is reported
    where it shows."""
    sabotage, where = SABOTAGE[name]
    problems = two_gan_steps(sabotage)
    assert any(p.startswith(where) for p in problems), f"{name}: not reported at {where!r}: {problems}"


def test_two_step_check_catches_d_gradients_leaking_from_the_g_step(monkeypatch):
    """D's gradients from the G step must not outlive it (the next D step would add to them
    were its zero_grad missing, and they are not D's loss): ``frozen`` that keeps them fails."""
    from contextlib import contextmanager

    from minigan.gan import gan as gan_module

    @contextmanager
    def leaky(module):
        yield module  # no restore: D's G-step gradients stay in D.grad

    def full_backward(gan):
        gan.D.backward_input = gan.D.backward  # the G step computes D's weight gradients too

    monkeypatch.setattr(gan_module, "frozen", leaky)
    problems = two_gan_steps(full_backward)
    assert any("the G step changed D's gradient" in p for p in problems), problems


# ---------------------------------------------------------------------------- the documents' D-step variants
def _sgd_by_hand(D, loss, lr):
    """One SGD step on ``loss()`` with gradients from the definition (central differences)."""
    grads = [numerical_gradient(loss, p.data) for p in D.parameters()]
    for p, g in zip(D.parameters(), grads):
        p.data -= lr * g


@pytest.mark.parametrize("d_update", ["joint", "separate"])
def test_d_update_joint_and_separate_are_the_documents_updates(d_update):
    """joint: one SGD step on ½ BCE(D(x), 1) + ½ BCE(D(G(z)), 0) (Algorithm 1, document 002);
    separate: one SGD step on BCE(D(x), 1), then one on BCE(D(G(z)), 0) with the updated D
    (document 003's two ``train_on_batch`` calls). Both checked against a hand-computed
    sequence of updates with gradients from finite differences."""
    lr = 0.1
    G, D = tiny(d_bn=True)
    _, Dh = tiny(d_bn=True)  # the same weights (same seed): updated by hand
    gan = GAN(G, D, 3, mg.optim.SGD(G.parameters(), lr=lr), mg.optim.SGD(D.parameters(), lr=lr), d_update=d_update)
    r = np.random.default_rng(4)
    z, x = r.standard_normal((6, 3)), r.standard_normal((6, 4))
    gan.sample_noise = lambda n: z
    fake = G(z)  # what d_step will make (G in training mode); G has no running-stat effect on it
    L_real = lambda: np.mean(softplus(-Dh(x)))
    L_fake = lambda: np.mean(softplus(Dh(fake)))
    out = gan.d_step(x)
    if d_update == "joint":
        _sgd_by_hand(Dh, lambda: 0.5 * L_real() + 0.5 * L_fake(), lr)
    else:
        _sgd_by_hand(Dh, L_real, lr)
        _sgd_by_hand(Dh, L_fake, lr)
    got, want = _params(D), _params(Dh)
    for k in want:
        if "running" in k:
            continue  # the finite differences ran D forward many times in training mode
        np.testing.assert_allclose(got[k], want[k], rtol=1e-7, atol=1e-9, err_msg=k)
    assert float(out["d"]) == pytest.approx(0.5 * (float(out["d_real"]) + float(out["d_fake"])))


def test_separate_makes_two_optimizer_steps_and_is_recorded(tmp_path):
    G, D = tiny()
    do = Counting()
    gan = GAN(G, D, 3, Counting(), do, d_update="separate", fake_mode="eval")
    gan.train_step(np.zeros((4, 4)))
    assert do.steps == 2
    assert (gan.d_update, gan.fake_mode) == ("separate", "eval")
    gan = GAN(*tiny(), 3, d_update="separate", fake_mode="eval")
    gan.save(tmp_path / "ck.npz")
    meta = GAN(*tiny(), 3).load(tmp_path / "ck.npz")["gan"]
    assert (meta["d_update"], meta["fake_mode"]) == ("separate", "eval")


@pytest.mark.parametrize("fake_mode", ["train", "eval"])
def test_fake_mode_eval_makes_the_fakes_like_keras_predict(fake_mode):
    """eval: the D step's fakes come from G in inference mode (BatchNorm's running statistics,
    document 003's ``generator.predict``), G's running statistics do not move and G is back
    in training mode afterwards; train: G's batch statistics, as before."""
    G, D = tiny()
    gan = GAN(G, D, 3, Counting(), Counting(), fake_mode=fake_mode)
    bn = G.layers[1]
    bn.running_mean[...] = 0.3  # running statistics unlike any batch's
    bn.running_var[...] = 2.0
    z = np.random.default_rng(5).standard_normal((6, 3))
    gan.sample_noise = lambda n: z
    G.eval()
    fake_eval = G(z)
    G.train()
    before = _params(G)
    fake_train = G(z)
    G.load_state_dict(before)  # undo that forward's running-statistics update
    out = gan.d_step(np.zeros((6, 4)))
    fake = fake_eval if fake_mode == "eval" else fake_train
    assert float(out["d_fake"]) == pytest.approx(np.mean(softplus(D(fake))), rel=1e-12)
    assert not np.allclose(fake_eval, fake_train)
    moved = not np.array_equal(_params(G)["1.running_mean"], before["1.running_mean"])
    assert moved == (fake_mode == "train")
    assert all(m.training for _, m in G.named_modules())


def test_d_update_and_fake_mode_are_checked():
    G, D = tiny()
    with pytest.raises(ValueError, match="d_update"):
        GAN(G, D, 3, d_update="twice")
    with pytest.raises(ValueError, match="fake_mode"):
        GAN(G, D, 3, fake_mode="inference")


# ---------------------------------------------------------------------------- D frozen in the G step
def test_generator_step_leaves_D_unchanged():
    G, D = tiny(d_bn=True, dtype=np.float32)
    gan = GAN(G, D, 3, seed=0)
    x = np.random.default_rng(3).standard_normal((8, 4)).astype(np.float32)
    gan.d_step(x)  # D's BatchNorm statistics move in D's own step
    d_before, g_before = _params(D), _params(G)
    grads_before = [p.grad.copy() for p in D.parameters()]
    gan.g_step(8)
    d_after = _params(D)
    for k in d_before:  # weights AND running_mean / running_var
        np.testing.assert_array_equal(d_after[k], d_before[k], err_msg=k)
    for p, g0 in zip(D.parameters(), grads_before):
        np.testing.assert_array_equal(p.grad, g0)
    assert D.training and all(m.training for _, m in D.named_modules())  # mode unchanged
    assert any(not np.array_equal(v, g_before[k]) for k, v in _params(G).items())  # G did move


def test_discriminator_step_moves_only_D_and_its_statistics():
    G, D = tiny(d_bn=True, dtype=np.float32)
    gan = GAN(G, D, 3, seed=0)
    x = np.random.default_rng(3).standard_normal((8, 4)).astype(np.float32)
    g_params = {k: v for k, v in _params(G).items() if "running" not in k}
    d_before = _params(D)
    gan.d_step(x)
    for k, v in g_params.items():
        np.testing.assert_array_equal(_params(G)[k], v, err_msg=k)  # G's weights untouched
    changed = [k for k, v in _params(D).items() if not np.array_equal(v, d_before[k])]
    assert "1.running_mean" in changed and "0.W" in changed


def test_frozen_restores_buffers_and_grads():
    bn = mg.BatchNorm(3)
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    before = {k: v.copy() for k, v in bn.buffers.items()}
    with frozen(bn):
        bn(x)
        bn.backward(np.ones_like(x))
        assert not np.array_equal(bn.buffers["running_mean"], before["running_mean"])
    for k, v in before.items():
        np.testing.assert_array_equal(bn.buffers[k], v)
    assert all(np.all(p.grad == 0) for p in bn.parameters())


# ---------------------------------------------------------------------------- k and the loop
def test_k_discriminator_steps_per_generator_step():
    G, D = tiny()
    go, do = Counting(), Counting()
    gan = GAN(G, D, 3, go, do, k=3)
    x = np.random.default_rng(0).standard_normal((4, 4))
    gan.train_step([x, x, x])
    assert (do.steps, go.steps, gan.step) == (3, 1, 1)
    calls = []
    gan.train_step(lambda: calls.append(1) or x)
    assert len(calls) == 3 and (do.steps, go.steps) == (6, 2)
    with pytest.raises(ValueError, match="k=3"):
        gan.train_step(x)
    with pytest.raises(ValueError, match="2 real batches"):
        gan.train_step([x, x])


def test_k_discriminator_steps_each_use_their_own_batch():
    """Algorithm 1, line 4: each of the k discriminator steps draws its own real minibatch (and
    its own z); the gradient D's optimizer consumes at step j is that of L_D on batch j."""
    G, D = _two_step_nets()
    log = []
    gan = GAN(G, D, 3, Recording("g", G, log, (G, D)), Recording("d", D, log, (G, D)), k=3, real_label=0.9)
    zs = []
    draw = gan.sample_noise
    gan.sample_noise = lambda n: zs.append(draw(n)) or zs[-1]
    r = np.random.default_rng(13)
    xs = [r.standard_normal((6, 4)) + j for j in range(3)]  # three different batches
    gan.train_step(xs)
    assert [e["tag"] for e in log] == ["d", "d", "d", "g"] and len(zs) == 4
    problems = []
    for j, (x, z, d) in enumerate(zip(xs, zs, log)):
        fake = d["G"](z)
        _compare(
            problems, f"D step {j + 1}", d["D"], d["grads"], lambda d=d, x=x, fake=fake: _d_loss(d["D"], x, fake, 0.9)
        )
    assert problems == [], "\n".join(problems)


def test_sample_runs_G_in_inference_mode_unless_asked():
    """GAN.sample: G in evaluation mode by default (BatchNorm's running statistics, Keras'
    ``generator.predict``), in training mode with ``train_mode=True`` (the batch's own); G's
    mode is restored either way, and the default sampling moves no running statistic."""
    G, D = tiny()
    gan = GAN(G, D, 3, Counting(), Counting())
    bn = G.layers[1]
    bn.running_mean[...] = 0.4  # running statistics unlike any batch's
    bn.running_var[...] = 3.0
    z = np.random.default_rng(14).standard_normal((6, 3))
    before = _params(G)
    G.eval()
    want_eval = G(z)
    G.train()
    want_train = G(z)
    G.load_state_dict(before)  # undo that forward's running-statistics update
    np.testing.assert_allclose(gan.sample(z=z), want_eval, rtol=1e-12, err_msg="sample() is not G in eval mode")
    assert all(m.training for _, m in G.named_modules()), "sample() left G in evaluation mode"
    np.testing.assert_array_equal(_params(G)["1.running_mean"], before["1.running_mean"])  # eval: no update
    np.testing.assert_allclose(gan.sample(z=z, train_mode=True), want_train, rtol=1e-12, err_msg="train_mode=True")
    assert all(m.training for _, m in G.named_modules())


def test_fit_history_and_sample():
    from minigan.data import ring_of_gaussians

    r = np.random.default_rng(0)
    G = mg.Sequential(mg.Dense(2, 16, rng=r), mg.ReLU(), mg.Dense(16, 2, rng=r))
    D = mg.Sequential(mg.Dense(2, 16, rng=r), mg.LeakyReLU(0.2), mg.Dense(16, 1, rng=r))
    gan = GAN(G, D, 2, seed=0, lr=1e-3)
    X = ring_of_gaussians(256, rng=0)
    assert gan.fit(X, 30, batch_size=32, log_every=7) == "done"
    h = gan.history
    assert list(h) == list(HISTORY_KEYS) and all(len(v) == 30 for v in h.values())
    assert all(np.isfinite(v).all() for v in h.values())
    assert all(0 < v < 1 for v in h["d_x"] + h["d_g_z"])
    s = gan.sample(10)
    assert s.shape == (10, 2) and s.dtype == np.float32
    np.testing.assert_array_equal(gan.sample(z=gan.fixed_noise(5)), gan.sample(z=gan.fixed_noise(5)))
    assert gan.fit(X, 30, batch_size=32) == "done" and gan.step == 30  # already there


def test_gan_learns_a_1d_gaussian():
    """A tiny GAN moves its samples onto the data: real ~ N(3, 0.5²), G starts near 0."""
    r = np.random.default_rng(0)
    G = mg.Sequential(mg.Dense(1, 8, rng=r), mg.LeakyReLU(0.2), mg.Dense(8, 1, rng=r))
    D = mg.Sequential(mg.Dense(1, 16, rng=r), mg.LeakyReLU(0.2), mg.Dense(16, 1, rng=r))
    gan = GAN(G, D, 1, seed=0, lr=5e-3)
    X = (3 + 0.5 * np.random.default_rng(1).standard_normal((512, 1))).astype(np.float32)
    before = float(gan.sample(500).mean())
    gan.fit(X, 600, batch_size=64)
    s = gan.sample(2000)
    assert abs(before - 3) > 1.5
    assert abs(float(s.mean()) - 3) < 0.4, float(s.mean())


def test_uniform_noise_and_stop_request():
    G, D = tiny(dtype=np.float32)
    gan = GAN(G, D, 3, noise="uniform", seed=1)
    z = gan.sample_noise(1000)
    assert z.shape == (1000, 3) and z.dtype == np.float32 and z.min() >= -1 and z.max() <= 1
    assert z.min() < -0.9 and z.max() > 0.9
    X = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)
    assert gan.fit(X, 50, 8, callback=lambda g: g.step == 4 and g.request_stop()) == "stopped"
    assert gan.step == 4


# ---------------------------------------------------------------------------- errors
def test_nan_loss_stops_with_the_step():
    G, D = tiny(dtype=np.float32)
    gan = GAN(G, D, 3, seed=0)
    X = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)

    def poison(g):
        if g.step == 6:
            D[0].params["W"].data[...] = np.nan

    with pytest.raises(NonFiniteLossError, match="at step 7") as info:
        gan.fit(X, 20, 8, callback=poison, log_every=5)
    assert info.value.step == 7
    assert len(gan.history["g"]) == 6  # the finite steps before it are kept


def test_bad_construction_and_input():
    G, D = tiny()
    with pytest.raises(ValueError, match="g_loss"):
        GAN(G, D, 3, g_loss="wasserstein")
    with pytest.raises(ValueError, match="real_label"):
        GAN(G, D, 3, real_label=0.3)
    with pytest.raises(ValueError, match="noise"):
        GAN(G, D, 3, noise="cauchy")
    with pytest.raises(ValueError, match="G does not accept noise"):
        GAN(G, D, 5)
    D2 = mg.Sequential(mg.Dense(4, 2))
    with pytest.raises(ValueError, match=r"one logit per sample.*\(N, 2\)"):
        GAN(G, D2, 3)
    D3 = mg.Sequential(mg.Dense(7, 1))
    with pytest.raises(ValueError, match="D does not accept G's output"):
        GAN(G, D3, 3)
    gan = GAN(G, D, 3)
    with pytest.raises(ValueError, match=r"real must have shape \(N, 4\)"):
        gan.train_step(np.zeros((5, 3)))


def test_number_checks_keep_their_messages():
    """The hand-written checks that became minigan.checks helpers say what they said before."""
    import re

    from minigan import checkpoint, data, metrics
    from minigan.progress import ProgressBar

    G, D = mg.Sequential(mg.Dense(2, 2)), mg.Sequential(mg.Dense(2, 1))
    cases = [
        (
            lambda: GAN(G, D, 2, real_label=True),
            ValueError,
            "GAN: real_label must be a float in (0.5, 1] (0.9 = one-sided label smoothing), got True",
        ),
        (
            lambda: GAN(G, D, 2, real_label=0.5),
            ValueError,
            "GAN: real_label must be a float in (0.5, 1] (0.9 = one-sided label smoothing), got 0.5",
        ),
        (lambda: GAN(G, D, 2, seed=1.0), TypeError, "GAN: seed must be an int, got float"),
        (lambda: GAN(G, D, 2, seed=True), TypeError, "GAN: seed must be an int, got bool"),
        (lambda: data.load_mnist(limit=0), ValueError, "load_mnist: limit must be a positive int or None, got 0"),
        (
            lambda: checkpoint.save("unused.npz", step=-1),
            checkpoint.CheckpointError,
            "checkpoint.save: step must be an int >= 0, got -1",
        ),
        (
            lambda: ProgressBar(3, file=io.StringIO()).update(True),
            ValueError,
            "ProgressBar.update: n must be an int >= 0, got True",
        ),
        (
            lambda: metrics.sample_quality(np.zeros((2, 784), np.float32), threshold=0),
            ValueError,
            "sample_quality: threshold must be a float in (0, 1], got 0",
        ),
    ]
    for make, err, msg in cases:
        with pytest.raises(err, match=re.escape(msg) + "$"):
            make()
    assert GAN(G, D, 2, real_label=1, seed=np.int64(4)).real_label == 1.0


def test_fit_stream_trains_on_the_callers_batches_like_fit():
    """fit_stream(next_batch) with the batches fit would draw gives fit's history exactly."""
    from minigan.data.batches import BatchStream

    X = np.random.default_rng(3).uniform(-1, 1, (40, 4))
    a = GAN(*tiny(), 3, seed=1)
    a.fit(X, 6, batch_size=8, log_every=2)
    b = GAN(*tiny(), 3, seed=1)
    order = BatchStream(len(X), 8, seed=1)
    assert b.fit_stream(lambda: X[order.next()], 6, log_every=2) == "done"
    for k in HISTORY_KEYS:
        np.testing.assert_array_equal(b.history[k], a.history[k], err_msg=k)
    with pytest.raises(TypeError, match="fit_stream: next_batch must be a callable"):
        b.fit_stream(X, 8)
    with pytest.raises(ValueError, match="fit_stream: steps"):
        b.fit_stream(lambda: X[:8], -1)


def test_bad_choices_name_the_argument_and_the_options():
    with pytest.raises(ValueError, match=r"GAN: fake_mode must be 'train' \(G in training mode\) or 'eval' "):
        GAN(*tiny(), 3, fake_mode="predict")
    with pytest.raises(ValueError, match=r"GAN: noise must be 'normal' or 'uniform', got \['normal'\]"):
        GAN(*tiny(), 3, noise=["normal"])  # unhashable: still the clear message
    with pytest.raises(ValueError, match=r"GAN: g_loss must be 'non-saturating' or 'minimax', got 'wgan'"):
        GAN(*tiny(), 3, g_loss="wgan")


def test_new_helpers_refuse_bad_input_by_name():
    from minigan.gan.freeze import eval_mode
    from minigan.gan.noise import Prior
    from minigan.metrics import nn_distance

    with pytest.raises(TypeError, match="eval_mode: module must be a minigan Module, got str"):
        with eval_mode("G"):
            pass
    p = Prior(4, who="GAN")
    like = np.zeros(1, np.float32)
    with pytest.raises(ValueError, match="GAN.host: n"):
        p.host(0, -1, like)
    with pytest.raises(ValueError, match="GAN.draw: n"):
        p.draw(0, like, 0)
    with pytest.raises(ValueError, match="do not have the same number of pixels"):
        nn_distance(np.zeros((3, 1, 28, 28)), np.zeros((5, 1, 64, 64)))
    with pytest.raises(ValueError, match="non-empty reference"):
        nn_distance(np.zeros((3, 1, 28, 28)), np.zeros((0, 1, 28, 28)))


def test_the_step_equals_the_plain_backward_passes_exactly():
    """GAN calls D.backward_params, D.backward_input and G.backward_params (fast paths that skip
    unneeded GEMMs); with every module's plain Module versions instead (backward, then drop what
    is not needed) a float64 run is bit for bit the same."""
    import types

    from minigan.nn.module import Module

    def run(plain):
        G, D = mg.models.mnist_dcgan(8, rng=0, dtype=np.float64)
        if plain:
            for net in (G, D):
                for _, m in net.named_modules():
                    m.backward_params = types.MethodType(Module.backward_params, m)
                    m.backward_input = types.MethodType(Module.backward_input, m)
        gan = GAN(G, D, 8, seed=1)
        X = np.random.default_rng(2).uniform(-1, 1, (24, 1, 28, 28))
        gan.fit(X, 3, batch_size=6)
        return gan.history, [p.data for p in G.parameters() + D.parameters()]

    (h1, w1), (h2, w2) = run(False), run(True)
    assert h1 == h2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)

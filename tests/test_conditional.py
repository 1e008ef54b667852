"""Embedding, Concat, Conditional (minigan.nn.conditional) and ConditionalGAN (minigan.gan.cgan)."""

import numpy as np
import pytest

import minigan as mg
from minigan import gradcheck
from minigan.gan.cgan import ConditionalGAN, grid_labels, mnist_dense_cgan
from minigan.nn.conditional import Concat, Conditional, Embedding


def test_embedding_forward_is_onehot_times_w():
    e = Embedding(5, 3, rng=0, dtype=np.float64)
    y = np.array([4, 0, 2, 2])
    onehot = np.eye(5)[y]
    np.testing.assert_allclose(e(y), onehot @ e.params["W"].data)


def test_embedding_backward_scatter_adds_and_returns_none():
    e = Embedding(4, 2, rng=0, dtype=np.float64)
    y = np.array([1, 3, 1, 1])
    dout = np.arange(8, dtype=np.float64).reshape(4, 2) + 1
    e(y)
    assert e.backward(dout) is None  # integer input: no gradient
    np.testing.assert_allclose(e.params["W"].grad, np.eye(4)[y].T @ dout)  # ∂C/∂W = onehot(y)ᵀ δ
    np.testing.assert_allclose(e.params["W"].grad[1], dout[0] + dout[2] + dout[3])
    e(y)
    e.backward(dout)  # accumulates, like every parameter gradient
    np.testing.assert_allclose(e.params["W"].grad, 2 * np.eye(4)[y].T @ dout)


def test_embedding_onehot_init_and_bad_labels():
    e = Embedding(3, 3, init="onehot")
    np.testing.assert_array_equal(e(np.array([2, 0])), np.eye(3, dtype=np.float32)[[2, 0]])
    with pytest.raises(ValueError, match="onehot"):
        Embedding(3, 4, init="onehot")
    with pytest.raises(TypeError, match="integer dtype"):
        e(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        e(np.array([0, 3]))
    with pytest.raises(ValueError, match="at least 1-D"):
        e(np.array(1))
    # (N, T) indices (a sequence of words, lesson 13): one vector per index, as nn.Embedding
    seq = np.array([[2, 0], [1, 1]])
    np.testing.assert_array_equal(e(seq), np.eye(3, dtype=np.float32)[seq])
    assert e(seq).shape == (2, 2, 3) and e.output_shape((2,)) == (2, 3)
    with pytest.raises(TypeError, match="integer array"):
        e([0, 1])


def test_concat_forward_backward_and_errors():
    c = Concat(1)
    a, b = np.ones((2, 3)), np.zeros((2, 2))
    out = c((a, b))
    assert out.shape == (2, 5)
    dout = np.arange(10.0).reshape(2, 5)
    da, db = c.backward(dout)
    np.testing.assert_array_equal(da, dout[:, :3])
    np.testing.assert_array_equal(db, dout[:, 3:])
    with pytest.raises(ValueError, match="input 1 has shape"):
        c((np.ones((2, 3)), np.ones((3, 2))))
    with pytest.raises(TypeError, match="tuple or list"):
        c(np.ones((2, 3)))
    with pytest.raises(ValueError, match="axis"):
        Concat(0)
    with pytest.raises(ValueError, match="dout must have the output's shape"):
        c((a, b))
        c.backward(np.ones((2, 4)))


def test_conditional_flat_equals_manual_join():
    rng = np.random.default_rng(0)
    net = mg.Sequential(mg.Dense(4 + 3, 2, rng=1, dtype=np.float64))
    m = Conditional(net, 5, 3, rng=2, dtype=np.float64)
    x, y = rng.standard_normal((6, 4)), np.array([0, 1, 4, 4, 2, 3])
    want = (
        np.concatenate([x, m.embedding.params["W"].data[y]], axis=1) @ net[0].params["W"].data.T
        + net[0].params["b"].data
    )
    np.testing.assert_allclose(m((x, y)), want)
    dx = m.backward(np.ones((6, 2)))
    np.testing.assert_allclose(dx, np.ones((6, 2)) @ net[0].params["W"].data[:, :4])
    assert [n for n, _ in m.named_parameters()] == ["0.W", "1.0.W", "1.0.b"]


def test_conditional_channels_label_map():
    net = mg.Sequential(mg.Conv2D(2 + 3, 1, 1, rng=0, dtype=np.float64))
    m = Conditional(net, 4, 3, rng=1, dtype=np.float64)
    x, y = np.random.default_rng(0).standard_normal((2, 2, 5, 5)), np.array([3, 1])
    joined = np.concatenate(
        [x, np.broadcast_to(m.embedding.params["W"].data[y][:, :, None, None], (2, 3, 5, 5))], axis=1
    )
    np.testing.assert_allclose(m((x, y)), net(joined))
    m((x, y))
    assert m.backward(np.ones((2, 1, 5, 5))).shape == x.shape
    assert m.output_shape((2, 5, 5)) == (1, 5, 5)


def test_conditional_errors_and_summary(capsys):
    G, D = mnist_dense_cgan(rng=0)
    with pytest.raises(TypeError, match=r"pair \(x, y\)"):
        G(np.zeros((2, 64), np.float32))
    with pytest.raises(ValueError, match="2 samples but y has 3"):
        G((np.zeros((2, 64), np.float32), np.array([0, 1, 2])))
    rows = D.summary((1, 28, 28))
    assert rows[1][1] == (794,) and rows[-1][1] == (1,)
    assert "Total params" in capsys.readouterr().out
    assert G.output_shape((64,)) == (1, 28, 28)


def test_gradcheck_cases_registered_and_pass():
    names = {c.name for c in gradcheck.registered_cases()}
    for want in ("Embedding", "Concat", "Conditional"):
        assert any(n.startswith(want) for n in names), want
    for pat in ("Embedding", "Concat(", "Conditional"):
        rows = gradcheck.run_all(pat, print_fn=None)
        assert rows and all(ok for *_, ok in rows), [r for r in rows if not r[3]]


def _small_cgan(seed=0):
    rng = np.random.default_rng(seed)
    G = Conditional(
        mg.Sequential(
            mg.Dense(4 + 3, 16, rng=rng),
            mg.LeakyReLU(0.2),
            mg.BatchNorm(16),
            mg.Dense(16, 12, rng=rng),
            mg.Tanh(),
            mg.Reshape(1, 3, 4),
        ),
        3,
        rng=rng,
    )
    D = Conditional(
        mg.Sequential(mg.Dense(12 + 3, 8, rng=rng), mg.LeakyReLU(0.2), mg.Dense(8, 1, rng=rng)), 3, join="flat", rng=rng
    )
    return ConditionalGAN(G, D, 4, 3, seed=seed)


def test_cgan_trains_and_resumes_exactly(tmp_path):
    X = np.random.default_rng(1).uniform(-1, 1, (30, 1, 3, 4)).astype(np.float32)
    y = np.arange(30) % 3
    a = _small_cgan()
    a.fit(X, y, 8, batch_size=6)
    b = _small_cgan()
    b.fit(X, y, 4, batch_size=6)
    b.save(tmp_path / "c.npz")
    c = _small_cgan(seed=0)
    c.load(tmp_path / "c.npz")
    c.fit(X, y, 8, batch_size=6)
    for k in ("g", "d_real", "d_fake"):
        assert np.all(np.isfinite(a.history[k]))
        np.testing.assert_allclose(c.history[k], a.history[k], rtol=1e-6)
    s = c.sample(n=6)
    assert s.shape == (6, 1, 3, 4)
    s2 = c.sample(np.array([2, 2]))
    assert s2.shape == (2, 1, 3, 4)


def test_cgan_label_errors():
    gan = _small_cgan()
    x = np.zeros((4, 1, 3, 4), np.float32)
    with pytest.raises(TypeError, match="labels"):
        gan.train_step(x)
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        gan.train_step(x, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        gan.train_step(x, np.array([0, 1]))
    with pytest.raises(ValueError, match="30 samples but y has 29"):
        gan.fit(np.zeros((30, 1, 3, 4), np.float32), np.zeros(29, int), 1, 6)


def test_cgan_honours_d_update_and_fake_mode():
    """ConditionalGAN shares GAN's step bodies: d_update="separate" makes two D updates per
    step (it was once ignored silently), and fake_mode="eval" makes the D step's fakes with
    G's BatchNorm in inference mode (its running statistics do not move)."""
    x = np.random.default_rng(2).uniform(-1, 1, (6, 1, 3, 4)).astype(np.float32)
    y = np.arange(6) % 3
    for d_update, updates in (("joint", 1), ("separate", 2)):
        gan = _small_cgan()
        gan.d_update = d_update
        gan.d_step(x, y)
        assert gan.d_opt.t == updates, d_update
    gan = _small_cgan()
    gan.fake_mode = "eval"
    bn = [m for _, m in gan.G.named_modules() if isinstance(m, mg.BatchNorm)][0]
    before = bn.buffers["running_mean"].copy()
    gan.d_step(x, y)
    np.testing.assert_array_equal(bn.buffers["running_mean"], before)
    assert gan.G.training
    gan.fake_mode = "train"
    gan.d_step(x, y)
    assert not np.array_equal(bn.buffers["running_mean"], before)


def test_grid_labels_rows():
    np.testing.assert_array_equal(grid_labels(3, 2), [0, 0, 1, 1, 2, 2])


def test_cgan_steps_on_the_device_have_zero_host_traffic(fakegpu):
    """Under the CuPy stand-in: embedding scatter-add, joins and both updates stay on the device."""
    from minigan import backend

    X = np.random.default_rng(1).uniform(-1, 1, (12, 1, 3, 4)).astype(np.float32)
    y = np.arange(12) % 3
    gan = _small_cgan()
    gan.G.to("gpu")
    gan.D.to("gpu")
    Xd, yd = backend.asarray(X, "gpu"), backend.asarray(y, "gpu")
    with fakegpu.record() as r:
        with fakegpu.forbid_host_traffic():
            for s in range(2):
                out = gan.train_step(Xd[6 * s : 6 * (s + 1)], yd[6 * s : 6 * (s + 1)])
                assert all(type(v) is fakegpu.FakeArray for v in out.values())
    assert (r.syncs, r.h2d, r.d2h) == (0, 0, 0), r.sites
    assert all(np.isfinite(gan.history[k]).all() and len(gan.history[k]) == 2 for k in ("g", "d_real", "d_fake"))
    assert any(np.any(backend.as_numpy(p.grad) != 0) for p in gan.G.embedding.parameters())

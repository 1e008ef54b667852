"""The GPU backend, proven on a machine without a GPU.

``tests/fakegpu.py`` is a CuPy stand-in whose arrays refuse every silent conversion to or from
NumPy and count every host synchronisation. Registered as minigan's ``"gpu"`` backend it lets
these tests prove, with no GPU:

1. the stand-in itself fails where CuPy would (and stricter), so a passing test means something;
2. ``to("gpu")`` without CuPy fails with one clear message, and nothing else changes;
3. every registered layer and loss (the gradient-check registry) runs forward and backward on
   the device with the CPU's numbers and *zero* host traffic;
4. optimizers keep their state on the parameters' device;
5. a training loop (Dense MLP; the GAN loop) runs with zero host traffic per step, the losses
   staying on the device until they are reported; checkpoints go to NumPy on save and back to
   the device on load; metrics accept device images.

``TestRealCuPy`` runs the same checks against real CuPy (marked ``gpu``; skipped without it).
"""

import contextlib
import pickle

import fakegpu
import numpy as np
import pytest

import minigan as mg
from minigan import backend, gradcheck

CASES = gradcheck.registered_cases()
CASE_IDS = [c.name for c in CASES]


# ============================================================================ helpers
def _case(i):
    """A fresh build of registered case ``i`` (every call builds identical objects)."""
    return gradcheck.registered_cases()[i]


def _move_case(case, device):
    """Move a case's object and data to ``device``: ``Module.to`` plus the arrays a case sets
    outside parameters and buffers (e.g. ``Dropout.fixed_mask``)."""
    obj = case.obj
    if isinstance(obj, mg.Module):
        obj.to(device)
        for _, m in obj.named_modules():
            for k, v in list(vars(m).items()):
                if isinstance(v, np.ndarray) and not k.startswith("_"):
                    setattr(m, k, backend.asarray(v, device))
    x = backend.asarray(case.x, device)
    t = None if case.target is None else backend.asarray(case.target, device)
    return x, t


def _run_case(case, device, guard):
    """Forward and backward of one case on ``device``; the computation runs inside ``guard``.

    Returns host copies ``{"out": ..., "dx": ..., "<param>": grad, ...}`` and the raw outputs.
    """
    x, t = _move_case(case, device)
    rng = np.random.default_rng(7)
    if case.kind == "loss":
        with guard():
            value = case.obj(x, t)
            dpred = case.obj.backward()
        raw = {"out": value, "dx": dpred}
    else:
        case.obj.zero_grad()
        with guard():
            out = case.obj(x)
        dout = backend.asarray(rng.standard_normal(tuple(out.shape)), device, dtype=out.dtype)
        with guard():
            dx = case.obj.backward(dout)
        raw = {"out": out, "dx": dx}
        raw.update({name: p.grad for name, p in case.obj.named_parameters()})
    return {k: backend.as_numpy(v) for k, v in raw.items()}, raw


def _mlp(seed=0, dropout=False):
    layers = [mg.Dense(6, 16, rng=seed), mg.LeakyReLU(0.2)]
    if dropout:
        layers.append(mg.Dropout(0.25, seed=seed))
    layers += [mg.Dense(16, 1, rng=seed + 1)]
    return mg.Sequential(*layers)


def _toy_data(n=64, seed=3):
    r = np.random.default_rng(seed)
    X = r.standard_normal((n, 6)).astype(np.float32)
    y = (X[:, :1] + 0.5 * X[:, 1:2] > 0).astype(np.float32)
    return X, y


def _train_mlp(device, steps, guard, dropout=False, batch=16):
    """Adam on BCEWithLogits for ``steps`` minibatches; data on ``device``; every step inside
    ``guard``. Returns (model, the per-step losses as host floats, read once at the end)."""
    model = _mlp(dropout=dropout).to(device)
    loss = mg.BCEWithLogitsLoss()
    opt = mg.Adam(model.parameters(), lr=1e-2, clip_norm=5.0)
    X, y = _toy_data()
    Xd, yd = backend.asarray(X, device), backend.asarray(y, device)
    losses = []
    for s in range(steps):
        i = (s * batch) % len(X)
        with guard():
            xb, yb = Xd[i : i + batch], yd[i : i + batch]  # device slices: no transfer
            opt.zero_grad()
            value = loss(model(xb), yb)
            model.backward(loss.backward())
            opt.step()
            losses.append(value)  # stays a 0-d device array
    xp = backend.get_array_module(Xd)
    host = backend.as_numpy(xp.stack(losses))  # the one report: a single transfer
    return model, [float(v) for v in host]


def _params_host(model):
    return {k: backend.as_numpy(v) for k, v in model.state_dict().items()}


# ============================================================================ 1. the stand-in can fail
@pytest.fixture
def a(fakegpu):
    return backend.asarray(np.arange(6.0).reshape(2, 3), "gpu")


REFUSED = {
    "np.asarray(dev)": lambda a, xp: np.asarray(a),
    "np.array(dev)": lambda a, xp: np.array(a),
    "dev + ndarray": lambda a, xp: a + np.ones((2, 3)),
    "ndarray * dev": lambda a, xp: np.ones((2, 3)) * a,
    "dev + 0-d ndarray": lambda a, xp: a + np.asarray(2.0),
    "ndarray @ dev": lambda a, xp: np.ones((3, 2)) @ a,
    "in-place dev += ndarray": lambda a, xp: a.__iadd__(np.ones((2, 3))),
    "xp.exp(ndarray)": lambda a, xp: xp.exp(np.ones(3)),
    "xp.asarray(ndarray)": lambda a, xp: xp.asarray(np.ones(3)),
    "xp.concatenate with ndarray": lambda a, xp: xp.concatenate([a, np.ones((1, 3))]),
    "xp.add(out=ndarray)": lambda a, xp: xp.add(a, 1.0, out=np.empty((2, 3))),
    "dev[ndarray index]": lambda a, xp: a[np.array([0, 1])],
    "dev[...] = ndarray": lambda a, xp: a.__setitem__(0, np.zeros(3)),
    "float(2-D dev)": lambda a, xp: float(a),
    "bool(2-D dev)": lambda a, xp: bool(a > 0),
    "iteration": lambda a, xp: list(a),
    "np.sum(dev)": lambda a, xp: np.sum(a),
    "np.pad(dev)": lambda a, xp: np.pad(a, 1),
    "np.testing on dev": lambda a, xp: np.testing.assert_allclose(a, a),
    "pickle.dumps(dev)": lambda a, xp: pickle.dumps(a),
    "dev.tobytes()": lambda a, xp: a.tobytes(),
    "dev + list": lambda a, xp: a + [1.0, 2.0, 3.0],  # CuPy: TypeError, Unsupported type list
    "xp.exp(list)": lambda a, xp: xp.exp([1.0, 2.0]),
    "xp.mean(list of device scalars)": lambda a, xp: xp.mean([a.sum(), a.max()]),  # CuPy: list.mean
}


@pytest.mark.parametrize("what", list(REFUSED))
def test_stand_in_refuses_silent_conversions(a, what):
    with pytest.raises(fakegpu.ImplicitConversionError):  # a TypeError, as CuPy's
        REFUSED[what](a, fakegpu.fakecupy)
    assert fakegpu.STATS.syncs == 0 and fakegpu.STATS.d2h == 0


def test_stand_in_messages_say_what_to_do(a):
    with pytest.raises(TypeError, match=r"as_numpy"):
        np.asarray(a)
    with pytest.raises(TypeError, match=r"backend\.asarray\(x, 'gpu'\)"):
        a + np.ones((2, 3))
    with pytest.raises(TypeError, match=r"xp\.sum\(\)"):
        np.sum(a)


def test_stand_in_has_only_cupys_generator_methods(fakegpu):
    xp = fakegpu.fakecupy
    g = xp.random.default_rng(0)
    z = g.standard_normal((3, 4), dtype=np.float32)
    assert type(z) is fakegpu.FakeArray and z.dtype == np.float32 and z.shape == (3, 4)
    u = g.random((5,), dtype=np.float32)
    assert type(u) is fakegpu.FakeArray and u.dtype == np.float32
    for missing in ("normal", "permutation", "choice", "shuffle"):  # not in cupy.random.Generator
        with pytest.raises(AttributeError, match="standard_normal"):
            getattr(g, missing)
    # A different stream from NumPy's for the same seed, as CuPy's is: tests must not rely on it.
    host = np.random.default_rng(0).standard_normal((3, 4), dtype=np.float32)
    assert not np.allclose(backend.as_numpy(z), host)
    with pytest.raises(AttributeError, match="errstate"):
        getattr(xp, "errstate")  # noqa: B009  (the attribute must not exist)


def test_scalar_reads_are_counted_syncs(a):
    xp = fakegpu.fakecupy
    with fakegpu.record() as r:
        s = a.sum()
        assert type(s) is fakegpu.FakeArray and s.ndim == 0  # a reduction stays on the device
        assert float(s) == 15.0
        assert bool((a > 4).any()) is True
        assert int(xp.argmax(a)) == 5
        assert f"{a.mean():.2f}" == "2.50"
    assert r.syncs == 4 and r.h2d == 0 and r.d2h == 0
    assert all("test_device.py" in site for _, site in r.sites)


def test_data_dependent_shapes_and_host_lists_are_counted(a):
    xp = fakegpu.fakecupy
    with fakegpu.record() as r:
        xp.asarray(0.5, dtype=np.float32)  # a 0-d fill: no transfer
        xp.full((2, 2), 3.0)
        a * 0.5 + 1
    assert r.traffic == 0
    for f in (lambda: xp.array([1.0, 2.0]), lambda: a[[0, 1]], lambda: a.__setitem__(0, [1.0, 2.0, 3.0])):
        with fakegpu.record() as r:
            f()  # a host list: one host -> device copy
        assert (r.h2d, r.syncs) == (1, 0)
    with fakegpu.record() as r:
        repr(a), repr(a.sum())  # CuPy's repr is repr(x.get())
    assert (r.d2h, r.syncs) == (1, 1)
    for f in (
        lambda: a[a > 2],
        lambda: xp.nonzero(a),
        lambda: a.nonzero(),
        lambda: xp.where(a > 2),
        lambda: xp.unique(a),
        lambda: xp.argwhere(a),
    ):
        with fakegpu.record() as r:
            f()
        assert r.syncs == 1


def test_forbid_host_traffic_points_at_the_line(a):
    with fakegpu.forbid_host_traffic():
        b = (a * 2.0).sum(axis=0)  # device work is fine
        with pytest.raises(fakegpu.HostTrafficError, match=r"test_device\.py:\d+"):
            float(b[0])
        with pytest.raises(fakegpu.HostTrafficError, match="host->device"):
            backend.asarray(np.ones(3), "gpu")
        with pytest.raises(fakegpu.HostTrafficError, match="device->host"):
            backend.as_numpy(b)


def test_transfers_are_explicit_counted_copies(fakegpu):
    host = np.arange(4.0)
    with fakegpu.record() as r:
        d = backend.asarray(host, "gpu")
        host[0] = 100.0  # the device holds a copy
        same = backend.asarray(d, "gpu")  # already there: no transfer
        f32 = backend.asarray(d, "gpu", dtype=np.float32)  # a cast on the device: no transfer
        back = backend.as_numpy(d)
    assert same is d and f32.dtype == np.float32 and backend.device_of(f32) == "gpu"
    np.testing.assert_array_equal(back, [0.0, 1.0, 2.0, 3.0])
    assert (r.h2d, r.d2h, r.syncs) == (1, 1, 0)


_X = np.random.default_rng(5).standard_normal((3, 4))
_Y = np.random.default_rng(6).standard_normal((3, 4))
OPS = {
    "arith": lambda xp, x, y: (x * 2.0 - y) / (1.5 + abs(y)) ** 2,
    "matmul, T": lambda xp, x, y: x @ y.T,
    "sum(axis, keepdims)": lambda xp, x, y: x.sum(axis=1, keepdims=True),
    "mean, max, min": lambda xp, x, y: xp.stack([x.mean(), x.max(), y.min()]),
    "exp, log1p, tanh, sqrt": lambda xp, x, y: xp.exp(x) + xp.log1p(xp.abs(y)) + xp.tanh(x) * xp.sqrt(xp.abs(x)),
    "where, maximum, clip": lambda xp, x, y: xp.where(x > 0, xp.maximum(x, y), xp.clip(y, -0.5, 0.5)),
    "reshape, transpose, slice": lambda xp, x, y: x.reshape(2, 6).transpose()[1:5:2],
    "boolean mask": lambda xp, x, y: x[x > y],
    "argmax, take": lambda xp, x, y: xp.take(y, x.argmax(axis=1)),
    "astype float32": lambda xp, x, y: x.astype(np.float32),
    "einsum, tensordot": lambda xp, x, y: xp.einsum("ij,kj->ik", x, y) + xp.tensordot(x, y, axes=([1], [1])),
    "sliding_window_view": lambda xp, x, y: xp.lib.stride_tricks.sliding_window_view(x, (2, 2)).sum(axis=(-1, -2)),
    "as_strided": lambda xp, x, y: xp.lib.stride_tricks.as_strided(
        x, shape=(2, 4), strides=(x.strides[0], x.strides[1])
    ),
    "pad, concatenate": lambda xp, x, y: xp.concatenate([xp.pad(x, ((1, 0), (0, 2))), xp.zeros((1, 6))]),
    "zeros_like, ones, full": lambda xp, x, y: xp.zeros_like(x) + xp.ones(x.shape) * xp.full((1, 4), 3.0),
    "in-place ops": lambda xp, x, y: _inplace(x.copy(), y),
    "add.at": lambda xp, x, y: _add_at(xp, x.copy()),
}


def _inplace(x, y):
    x += y
    x[0] = 7.0
    x[:, 1] *= 2.0
    return x


def _add_at(xp, x):
    xp.add.at(x, (slice(None), 0), 1.0)
    return x


SYNCING_OPS = {"boolean mask": 1}  # CuPy reads the output size back from the device


@pytest.mark.parametrize("op", list(OPS))
def test_stand_in_computes_what_numpy_computes(fakegpu, op):
    x, y = backend.asarray(_X, "gpu"), backend.asarray(_Y, "gpu")
    with fakegpu.record() as r:
        got = OPS[op](fakegpu.fakecupy, x, y)
    assert type(got) is fakegpu.FakeArray
    assert (r.syncs, r.h2d, r.d2h) == (SYNCING_OPS.get(op, 0), 0, 0), r.sites
    np.testing.assert_array_equal(backend.as_numpy(got), OPS[op](np, _X.copy(), _Y.copy()))


# ============================================================================ 2. backend routing
def test_backend_routes_gpu_to_the_stand_in(fakegpu):
    assert backend.gpu_available() and not backend.cupy_available()
    d = backend.asarray(np.ones((2, 2), np.float32), "GPU")  # names are case-insensitive
    assert backend.get_array_module(d) is fakegpu.fakecupy
    assert backend.get_array_module(None, 1.0, d) is fakegpu.fakecupy
    assert backend.get_array_module(np.ones(2)) is np
    assert backend.device_of(d) == "gpu" and backend.device_of(np.ones(2)) == "cpu"
    assert backend.get_backend("cuda").xp is fakegpu.fakecupy


def test_install_and_uninstall_restore_the_previous_backend():
    had_gpu = backend.gpu_available()
    before = backend.get_backend("gpu") if had_gpu else None
    fakegpu.install()
    try:
        assert backend.get_backend("gpu").xp is fakegpu.fakecupy
    finally:
        fakegpu.uninstall()
    assert backend.gpu_available() == had_gpu
    if had_gpu:
        assert backend.get_backend("gpu") is before


@pytest.mark.skipif(backend.cupy_available(), reason="CuPy and a GPU are present: 'gpu' is available")
def test_gpu_without_cupy_fails_with_one_clear_message():
    assert not backend.gpu_available()
    model = mg.Sequential(mg.Dense(3, 2, rng=0), mg.ReLU())
    for ask in (
        lambda: model.to("gpu"),
        lambda: backend.asarray(np.ones(3), "gpu"),
        lambda: backend.get_backend("gpu"),
    ):
        with pytest.raises(mg.DeviceError) as err:
            ask()
        msg = str(err.value)
        assert "\n" not in msg and msg.startswith("device 'gpu' is not available")
        assert "pip install 'minigan[gpu]'" in msg
    # ... and nothing else changes: the model is still a working CPU model.
    assert backend.device_of(model[0].params["W"].data) == "cpu"
    out = model(np.ones((4, 3), np.float32))
    assert isinstance(out, np.ndarray) and out.shape == (4, 2)


def test_bad_device_names():
    with pytest.raises(ValueError, match="expected 'cpu' or 'gpu', got 'tpu'"):
        mg.Dense(2, 2).to("tpu")
    with pytest.raises(TypeError, match="expected 'cpu' or 'gpu', got int"):
        backend.asarray(np.ones(2), 0)


# ============================================================================ 3. every layer and loss
@pytest.mark.parametrize("i", range(len(CASES)), ids=CASE_IDS)
def test_registered_case_runs_on_device_with_cpu_numbers_and_no_host_traffic(fakegpu, i):
    cpu, _ = _run_case(_case(i), "cpu", contextlib.nullcontext)
    dev, raw = _run_case(_case(i), "gpu", fakegpu.forbid_host_traffic)
    for k, v in raw.items():
        assert type(v) is fakegpu.FakeArray, f"{CASE_IDS[i]}: {k} left the device ({type(v).__name__})"
    assert set(cpu) == set(dev)
    for k in cpu:
        assert dev[k].shape == cpu[k].shape and dev[k].dtype == cpu[k].dtype, k
        np.testing.assert_allclose(dev[k], cpu[k], rtol=1e-12, atol=1e-12, err_msg=f"{CASE_IDS[i]}: {k}")


@pytest.mark.parametrize(
    "name", ["Dense(5, 3)", "BatchNorm(2) (N,C,H,W) train", "Sigmoid", "BCEWithLogitsLoss (hard targets)"]
)
def test_gradient_check_itself_runs_on_the_device(fakegpu, name):
    case = _case(CASE_IDS.index(name))
    case.x, case.target = _move_case(case, "gpu")
    res = gradcheck.run_case(case)
    assert res and all(err < gradcheck.TOLERANCE for err in res.values()), res


# ============================================================================ 4. optimizers
@pytest.mark.parametrize(
    "make",
    [
        lambda ps: mg.SGD(ps, lr=0.1, momentum=0.9),
        lambda ps: mg.RMSProp(ps, lr=1e-2, weight_decay=1e-3),
        lambda ps: mg.Adam(ps, lr=1e-2, clip_norm=0.5),
    ],
    ids=["SGD(momentum)", "RMSProp(weight_decay)", "Adam(clip_norm)"],
)
def test_optimizer_state_follows_the_device(fakegpu, make):
    X, y = _toy_data(16)
    results = {}
    for device in ("cpu", "gpu"):
        model = _mlp().to(device)
        opt, loss = make(model.parameters()), mg.MSELoss()
        xb, yb = backend.asarray(X, device), backend.asarray(y, device)
        guard = fakegpu.forbid_host_traffic if device == "gpu" else contextlib.nullcontext
        for _ in range(3):
            with guard():
                opt.zero_grad()
                loss(model(xb), yb)
                model.backward(loss.backward())
                opt.step()
        state = [a for slot in opt.state.values() for a in slot.values()]
        if opt.SLOTS:
            assert state and all(backend.device_of(s) == device for s in state)
        results[device] = _params_host(model)
        if device == "gpu":  # moving the model moves the state at the next step
            model.to("cpu")
            opt.zero_grad()
            loss(model(X), y)
            model.backward(loss.backward())
            opt.step()
            assert all(backend.device_of(a) == "cpu" for slot in opt.state.values() for a in slot.values())
    for k in results["cpu"]:
        np.testing.assert_allclose(results["gpu"][k], results["cpu"][k], rtol=1e-6, atol=1e-7, err_msg=k)


# ============================================================================ 5. training loops
def test_dense_mlp_training_steps_have_zero_host_traffic(fakegpu):
    steps = 8
    with fakegpu.record() as r:
        model, losses = _train_mlp("gpu", steps, fakegpu.forbid_host_traffic)
    # .to("gpu") uploads data and grad of each parameter, then X and y; the loss report: 1 d2h.
    assert r.syncs == 0 and r.d2h == 1, r.sites
    assert r.h2d == len(model.parameters()) * 2 + 2
    cpu_model, cpu_losses = _train_mlp("cpu", steps, contextlib.nullcontext)
    np.testing.assert_allclose(losses, cpu_losses, rtol=1e-5)
    assert losses[-1] < losses[0]
    for k, v in _params_host(cpu_model).items():
        np.testing.assert_allclose(_params_host(model)[k], v, rtol=1e-4, atol=1e-6, err_msg=k)


def test_dropout_draws_its_mask_on_the_device(fakegpu):
    model, losses = _train_mlp("gpu", 4, fakegpu.forbid_host_traffic, dropout=True)
    assert np.all(np.isfinite(losses))
    drop = model[2]
    assert "fakecupy" in drop._rngs  # the mask generator is the device's


def test_module_to_and_state_dict_round_trip(fakegpu):
    m = mg.Sequential(mg.Dense(3, 4, rng=1), mg.ReLU(), mg.Dense(4, 2, rng=2))
    ref = _params_host(m)
    m.to("gpu")
    sd = m.state_dict()
    assert all(backend.device_of(v) == "gpu" for v in sd.values())
    host_sd = {k: backend.as_numpy(v) for k, v in sd.items()}
    m2 = mg.Sequential(mg.Dense(3, 4, rng=9), mg.ReLU(), mg.Dense(4, 2, rng=9)).to("gpu")
    m2.load_state_dict(host_sd)  # NumPy in, device arrays inside
    assert all(backend.device_of(p.data) == "gpu" for p in m2.parameters())
    m2.to("cpu")
    for k, v in ref.items():
        np.testing.assert_array_equal(backend.as_numpy(m2.state_dict()[k]), v)
        assert isinstance(m2.state_dict()[k], np.ndarray)


# ============================================================================ 6. GAN, checkpoint, metrics
def _tiny_gan(device, seed=0):
    from minigan.gan import GAN

    G = mg.Sequential(
        mg.Dense(4, 16, rng=seed), mg.BatchNorm(16), mg.LeakyReLU(0.2), mg.Dense(16, 6, rng=seed + 1), mg.Tanh()
    ).to(device)
    D = mg.Sequential(
        mg.Dense(6, 16, rng=seed + 2), mg.LeakyReLU(0.2), mg.Dropout(0.3, seed=seed), mg.Dense(16, 1, rng=seed + 3)
    ).to(device)
    return GAN(G, D, latent_dim=4, seed=seed)


def _ring(n=64):
    t = np.random.default_rng(1).uniform(0, 2 * np.pi, n)
    return np.stack(
        [np.cos(t), np.sin(t), np.cos(2 * t), np.sin(2 * t), 0.5 * np.cos(t), 0.5 * np.sin(t)], axis=1
    ).astype(np.float32)


def test_gan_train_steps_have_zero_host_traffic(fakegpu):
    gan = _tiny_gan("gpu")
    before = _params_host(gan.G)
    real = backend.asarray(_ring(), "gpu")
    with fakegpu.record() as r:
        with fakegpu.forbid_host_traffic():  # noise, targets, losses, both updates: all on the device
            for s in range(4):
                out = gan.train_step(real[16 * s : 16 * (s + 1)])
                assert all(type(v) is fakegpu.FakeArray for v in out.values())
        report = gan.flush()  # the report: one copy of every queued scalar
    assert (r.syncs, r.h2d, r.d2h) == (0, 0, 1), r.sites
    assert set(report) >= {"d", "g"} and all(np.isfinite(v) for v in report.values())
    assert all(len(v) == 4 for v in gan.history.values())
    assert any(not np.array_equal(before[k], v) for k, v in _params_host(gan.G).items())
    assert all(backend.device_of(b) == "gpu" for _, b in gan.G.named_buffers())


def test_gan_fit_reads_the_losses_only_every_log_every_steps(fakegpu):
    gan = _tiny_gan("gpu")
    steps, log_every = 12, 4
    with fakegpu.record() as r:
        assert gan.fit(_ring(), steps=steps, batch_size=16, log_every=log_every) == "done"
    assert r.syncs == 0, r.sites
    assert r.d2h == steps // log_every, r.sites  # one copy of the queued scalars per report
    assert r.h2d <= 1 + steps  # the data set once (+ at most a small index upload per batch)
    assert gan.step == steps and all(len(v) == steps for v in gan.history.values())
    assert type(gan.sample(3)) is fakegpu.FakeArray


def test_progress_bar_reads_device_losses_only_when_it_draws(fakegpu):
    import io

    from minigan.viz import ProgressBar

    gan, steps = _tiny_gan("gpu"), 40
    real = backend.asarray(_ring(), "gpu")
    log = io.StringIO()  # not a terminal: one line per 10 % of the run
    with fakegpu.record() as r:
        with ProgressBar(steps, desc="GAN", file=log) as bar:
            for s in range(steps):
                out = gan.train_step(real[(16 * s) % 64 : (16 * s) % 64 + 16])
                bar.update(1, d=out["d"], g=out["g"])  # device scalars: read only when drawn
    lines = log.getvalue().splitlines()
    assert 1 <= len(lines) <= 11 and "d=" in lines[-1]
    assert r.syncs == 2 * len(lines) and r.h2d == 0, r.sites  # 2 scalars per drawn line, nothing else


@pytest.mark.parametrize(
    "name",
    [
        "mnist_dense_gan",
        "mnist_dcgan",
        pytest.param("xray_dcgan64", marks=pytest.mark.slow),
        pytest.param("anime_dcgan96", marks=pytest.mark.slow),
    ],
)
def test_document_models_run_on_the_device(fakegpu, name):
    """Each builder's G and D: a train-mode step on the device with zero host traffic; for the
    MNIST ones also the CPU's numbers (eval mode, so that Dropout's device stream is out)."""
    from minigan import models

    G, D = getattr(models, name)(rng=0)
    z_dim = 64 if name == "mnist_dense_gan" else 100
    z = np.random.default_rng(0).standard_normal((2, z_dim)).astype(np.float32)

    def step(device, guard):
        zd = backend.asarray(z, device)
        G.zero_grad(), D.zero_grad()
        with guard():
            x = G(zd)
            y = D(x)
            dz = G.backward(D.backward(y * 0 + 1))
        return [backend.as_numpy(a) for a in (x, y, dz, G.parameters()[0].grad, D.parameters()[0].grad)]

    G.to("gpu"), D.to("gpu")
    step("gpu", fakegpu.forbid_host_traffic)  # train mode: BatchNorm batch statistics, Dropout masks
    if name.startswith("mnist"):
        G.eval(), D.eval()
        dev = step("gpu", fakegpu.forbid_host_traffic)
        G.to("cpu"), D.to("cpu")
        for c, g in zip(step("cpu", contextlib.nullcontext), dev):
            np.testing.assert_allclose(g, c, rtol=1e-5, atol=1e-6)


def test_checkpoint_goes_to_numpy_on_save_and_back_to_the_device_on_load(fakegpu, tmp_path):
    gan = _tiny_gan("gpu")
    gan.fit(_ring(), steps=3, batch_size=16, log_every=3)
    path = str(tmp_path / "ck.npz")
    n_arrays = len(gan.G.state_dict()) + len(gan.D.state_dict())
    with fakegpu.record() as r:
        gan.save(path)
    assert r.d2h >= n_arrays and r.h2d == 0 and r.syncs == 0  # device -> NumPy, explicitly
    with np.load(path, allow_pickle=False) as f:  # plain numeric arrays, nothing pickled
        assert all(f[k].dtype != object for k in f.files)
    gan2 = _tiny_gan("gpu", seed=5)
    with fakegpu.record() as r:
        gan2.load(path)
    assert r.h2d >= n_arrays and r.d2h == 0
    for mod, mod2 in ((gan.G, gan2.G), (gan.D, gan2.D)):
        for (k, v), (_, v2) in zip(mod.state_dict().items(), mod2.state_dict().items()):
            assert backend.device_of(v2) == "gpu", k
            np.testing.assert_array_equal(backend.as_numpy(v2), backend.as_numpy(v), err_msg=k)
    arrays = gan2.g_opt.state_dict()["arrays"]
    assert arrays and all(backend.device_of(a) == "gpu" for a in arrays.values())
    real = backend.asarray(_ring(16), "gpu")
    with fakegpu.forbid_host_traffic():  # and training continues on the device
        gan2.train_step(real)


def test_metrics_accept_device_images(fakegpu):
    from minigan import metrics

    X = np.random.default_rng(0).uniform(-1, 1, (24, 1, 28, 28)).astype(np.float32)
    Xd = backend.asarray(X, "gpu")
    q_host = metrics.sample_quality(X)
    model = metrics.load_classifier(device="gpu")
    assert all(backend.device_of(p.data) == "gpu" for p in model.parameters())
    for m in (None, model):
        q = metrics.sample_quality(Xd, model=m)
        assert q["histogram"] == q_host["histogram"]
        assert q["mean_max_prob"] == pytest.approx(q_host["mean_max_prob"], rel=1e-5)
    assert metrics.fid(Xd[:12], Xd[12:], model=model) == pytest.approx(metrics.fid(X[:12], X[12:]), rel=1e-5)


# ============================================================================ 7. the example, --device gpu
def _load_example(name):
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(__file__), os.pardir, "examples", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_example_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(backend.cupy_available(), reason="CuPy and a GPU are present: 'gpu' is available")
def test_example_device_gpu_without_cupy_is_one_clear_error(capsys):
    ex = _load_example("mnist_gan")
    assert ex.main(["--device", "gpu", "--fast", "--no-eval", "--out", "unused"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: device 'gpu' is not available")
    assert "pip install 'minigan[gpu]'" in err[0]


@pytest.mark.slow
def test_example_runs_with_device_gpu_and_its_steps_stay_on_the_device(fakegpu, tmp_path, monkeypatch):
    from minigan.gan import GAN

    ex = _load_example("mnist_gan")
    step = GAN.train_step

    def guarded(self, real):  # every training step of the example must be device-only
        with fakegpu.forbid_host_traffic():
            return step(self, real)

    monkeypatch.setattr(GAN, "train_step", guarded)
    with fakegpu.record() as r:
        rc = ex.main(
            # the plain recipe's GAN.train_step (the default, selfcond, has its test below)
            ["--recipe", "minigan", "--device", "gpu", "--fast", "--steps", "4", "--sample-every", "2", "--no-eval"]
            + ["--out", str(tmp_path)]
        )
    assert rc == 0
    assert (tmp_path / "checkpoint.npz").exists() and list(tmp_path.glob("samples_step_*.png"))
    assert r.syncs == 0, r.sites  # the shown losses come from GAN.flush(): copies, not per-value syncs


@pytest.mark.slow
def test_the_selfcond_recipe_runs_with_device_gpu_and_its_steps_stay_on_the_device(fakegpu, tmp_path, monkeypatch):
    """--recipe selfcond: the clusters are found on the host before training; every step (the
    cluster ids of the batch included) stays on the device, and grids and the EMA's BatchNorm
    batch move their cluster ids there."""
    from minigan.gan import ConditionalGAN

    ex = _load_example("mnist_gan")
    step = ConditionalGAN.train_step

    def guarded(self, real, labels=None):
        with fakegpu.forbid_host_traffic():
            return step(self, real, labels)

    monkeypatch.setattr(ConditionalGAN, "train_step", guarded)
    argv = ["--recipe", "selfcond", "--device", "gpu", "--fast", "--steps", "4", "--sample-every", "2", "--no-eval"]
    with fakegpu.record() as r:
        assert ex.main([*argv, "--out", str(tmp_path)]) == 0
    assert (tmp_path / "checkpoint.npz").exists() and (tmp_path / "checkpoint_ema.npz").exists()
    assert r.syncs == 0, r.sites


@pytest.mark.slow
def test_lesson_gpu_swap_cell_trains_on_the_device(fakegpu, tmp_path, monkeypatch):
    """Lesson 10's GPU cell (MINIGAN_DEVICE=gpu) really trains on the device: the lesson runs in
    this process under the stand-in, every Adam step sees device parameters, and it succeeds."""
    import runpy
    import sys
    from pathlib import Path

    import minigan as mg

    monkeypatch.setenv("MINIGAN_FAST", "1")
    monkeypatch.setenv("MINIGAN_DEVICE", "gpu")
    monkeypatch.setenv("MINIGAN_LESSON_OUT", str(tmp_path))
    devices = []
    step = mg.Adam.step

    def spy(self):
        devices.append({backend.device_of(p.data) for p in self.params})
        return step(self)

    monkeypatch.setattr(mg.Adam, "step", spy)
    lesson = Path(__file__).resolve().parent.parent / "lessons" / "10_cnn_classifier.py"
    monkeypatch.syspath_prepend(str(lesson.parent))  # lessons import their helper, _course.py
    monkeypatch.delitem(sys.modules, "_course", raising=False)  # read MINIGAN_LESSON_OUT afresh
    with fakegpu.record() as r:
        runpy.run_path(str(lesson), run_name="__main__")
    assert devices and all(d == {"gpu"} for d in devices)
    assert r.syncs == 0, r.sites  # losses reach the host once per epoch, as one copy
    assert list(tmp_path.glob("*.png"))


# ============================================================================ real CuPy
@pytest.mark.gpu
@pytest.mark.skipif(not backend.cupy_available(), reason="needs CuPy and an NVIDIA GPU (pip install 'minigan[gpu]')")
class TestRealCuPy:
    """The same checks against real CuPy. ``cupyx.allow_synchronize(False)`` (where this CuPy
    has it) makes any device synchronisation inside a step raise."""

    @staticmethod
    def guard():
        try:
            import cupyx

            return cupyx.allow_synchronize(False)
        except (ImportError, AttributeError):  # pragma: no cover - old CuPy
            return contextlib.nullcontext()

    @pytest.mark.parametrize("i", range(len(CASES)), ids=CASE_IDS)
    def test_registered_case(self, i):
        import cupy

        cpu, _ = _run_case(_case(i), "cpu", contextlib.nullcontext)
        dev, raw = _run_case(_case(i), "gpu", self.guard)
        for k, v in raw.items():
            assert isinstance(v, cupy.ndarray), f"{CASE_IDS[i]}: {k} left the device"
        for k in cpu:
            np.testing.assert_allclose(dev[k], cpu[k], rtol=1e-5, atol=1e-6, err_msg=f"{CASE_IDS[i]}: {k}")

    def test_dense_mlp_training(self):
        model, losses = _train_mlp("gpu", 8, self.guard)
        _, cpu_losses = _train_mlp("cpu", 8, contextlib.nullcontext)
        np.testing.assert_allclose(losses, cpu_losses, rtol=1e-3)
        assert all(backend.device_of(p.data) == "gpu" for p in model.parameters())

    def test_module_round_trip(self):
        m = _mlp()
        ref = _params_host(m)
        m.to("gpu").to("cpu")
        for k, v in ref.items():
            np.testing.assert_array_equal(_params_host(m)[k], v)


def test_the_flat_parameter_buffer_lives_on_the_device_and_follows_it(fakegpu):
    from minigan.nn.flat import flat_parameters

    model = _mlp().to("gpu")
    opt, loss = mg.Adam(model, lr=1e-2), mg.MSELoss()
    X, y = _toy_data(16)
    xb, yb = backend.asarray(X, "gpu"), backend.asarray(y, "gpu")
    with fakegpu.forbid_host_traffic():
        opt.zero_grad()
        loss(model(xb), yb)
        model.backward(loss.backward())
        opt.step()
    flat = flat_parameters(model.parameters(), create=False)
    assert type(flat.data) is fakegpu.FakeArray and type(opt._flat_state["V"][2]) is fakegpu.FakeArray
    model.to("cpu")  # new arrays: the next step rebuilds the buffer and the moments on the host
    opt.zero_grad()
    loss(model(X), y)
    model.backward(loss.backward())
    opt.step()
    flat = flat_parameters(model.parameters(), create=False)
    assert isinstance(flat.data, np.ndarray) and isinstance(opt.state["V"][0], np.ndarray)

"""The flat-buffer fast path (minigan/nn/flat.py): views, rebuilds after every kind of
assignment, and optimizers, zero_grad and the EMA over one flat buffer giving exactly the
numbers of the plain per-tensor path (float64)."""

import copy

import numpy as np
import pytest

import minigan as mg
from minigan.gan import EMA
from minigan.nn.flat import ALIGN, FlatParameters, flat_parameters
from minigan.nn.module import Parameter


def model(dtype=np.float64, seed=0):
    return mg.Sequential(
        mg.Dense(5, 7, rng=seed, dtype=dtype),
        mg.LeakyReLU(0.2),
        mg.BatchNorm(7, dtype=dtype),
        mg.Dense(7, 3, rng=seed + 1, dtype=dtype),
    )


def fill_grads(m, rng):
    for p in m.parameters():
        p.grad[...] = rng.standard_normal(p.shape)


# ---------------------------------------------------------------------------- the buffer
def test_parameters_become_views_into_two_flat_arrays():
    m = model()
    values = [p.data.copy() for p in m.parameters()]
    flat = FlatParameters(m.parameters())
    for p, v, (o, n, shape) in zip(m.parameters(), values, flat.layout):
        np.testing.assert_array_equal(p.data, v)  # the values survive
        assert p.flat is flat and o % ALIGN == 0 and n == p.size and shape == p.shape
        assert np.shares_memory(p.data, flat.data) and np.shares_memory(p.grad, flat.grad)
    m.parameters()[0].data[0, 0] = 42.0
    assert flat.data[0] == 42.0  # a view: writing one writes the other
    flat.grad[...] = 1.0
    assert all((p.grad == 1.0).all() for p in m.parameters())
    assert flat.intact() and flat.holds(m.parameters()) and not flat.holds(m.parameters()[:2])


def test_an_assignment_breaks_the_views_and_the_next_use_rebuilds_them():
    m = model()
    flat = flat_parameters(m.parameters())
    assert flat_parameters(m.parameters()) is flat  # found again, not made again
    version = flat.version
    new = np.full((7, 5), 3.0)
    m[0].W = new  # Module.__setattr__: a new array
    assert not flat.intact()
    assert flat_parameters(m.parameters()) is flat and flat.intact() and flat.version == version + 1
    np.testing.assert_array_equal(m[0].W.data, new)
    assert np.shares_memory(m[0].W.data, flat.data) and not np.shares_memory(m[0].W.data, new)


def test_no_buffer_for_mixed_dtypes_repeats_or_parameters_of_another_buffer():
    m = model()
    m[0].params["b"].data = m[0].params["b"].data.astype(np.float32)
    assert flat_parameters(m.parameters()) is None
    p = Parameter(np.zeros(3))
    assert flat_parameters([p, p]) is None
    m = model()
    first = flat_parameters(m.parameters())
    assert flat_parameters(m.parameters()[:2]) is None  # they belong to an intact buffer
    assert first.intact()
    assert flat_parameters([], create=True) is None
    assert flat_parameters(model().parameters(), create=False) is None  # create=False makes none


def test_module_zero_grad_uses_the_buffer_and_the_plain_path_without_one():
    m = model()
    fill_grads(m, np.random.default_rng(0))
    m.zero_grad()  # no buffer yet: tensor by tensor
    assert not any(p.grad.any() for p in m.parameters())
    flat = flat_parameters(m.parameters())
    fill_grads(m, np.random.default_rng(1))
    m.zero_grad()
    assert not flat.grad.any() and flat.intact()


# ---------------------------------------------------------------------------- optimizers
OPTIMIZERS = {
    "SGD": lambda ps, flat: mg.SGD(ps, lr=0.1, flat=flat),
    "SGD momentum, weight decay": lambda ps, flat: mg.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01, flat=flat),
    "RMSProp": lambda ps, flat: mg.RMSProp(ps, lr=0.01, weight_decay=0.001, flat=flat),
    "Adam": lambda ps, flat: mg.Adam(ps, lr=2e-3, beta1=0.5, flat=flat),
    "Adam, weight decay, clip_norm": lambda ps, flat: mg.Adam(ps, lr=1e-3, weight_decay=0.01, clip_norm=0.5, flat=flat),
}


def run_steps(make, flat, steps=5, seed=0, between=None):
    m = model()
    opt = make(m, flat)
    rng = np.random.default_rng(seed)
    for i in range(steps):
        fill_grads(m, rng)
        opt.step()
        if between is not None:
            between(i, m, opt)
    return m, opt


@pytest.mark.parametrize("chunk", [None, 7], ids=["one chunk", "chunks of 7"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_flat_step_equals_the_per_tensor_step_exactly(name, chunk, monkeypatch):
    if chunk is not None:  # the buffer in many chunks, their borders inside the parameters
        monkeypatch.setattr(mg.nn.optim, "FLAT_CHUNK", chunk)
    make = OPTIMIZERS[name]
    (m1, o1), (m2, o2) = run_steps(make, True), run_steps(make, False)
    assert flat_parameters(m1.parameters(), create=False) is not None  # the fast path was taken
    assert m2.parameters()[0].flat is None  # and the plain one here
    for a, b in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    s1, s2 = o1.state_dict(), o2.state_dict()
    assert s1["step"] == s2["step"] and list(s1["arrays"]) == list(s2["arrays"])  # the same format
    for k in s1["arrays"]:
        np.testing.assert_array_equal(s1["arrays"][k], s2["arrays"][k])
        assert s1["arrays"][k].shape == s2["arrays"][k].shape


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_dicts_load_both_ways_and_the_runs_go_on_equal(name):
    make = OPTIMIZERS[name]
    (m1, o1), (m2, o2) = run_steps(make, True, 3), run_steps(make, False, 3)
    # swap the optimizer states and the weights between the fast and the plain run
    o1s, o2s = copy.deepcopy(o1.state_dict()), copy.deepcopy(o2.state_dict())
    w1, w2 = copy.deepcopy(m1.state_dict()), copy.deepcopy(m2.state_dict())
    o1.load_state_dict(o2s)
    o2.load_state_dict(o1s)
    m1.load_state_dict(w2)
    m2.load_state_dict(w1)
    rng1, rng2 = np.random.default_rng(5), np.random.default_rng(5)
    for _ in range(3):
        fill_grads(m1, rng1)
        fill_grads(m2, rng2)
        o1.step()
        o2.step()
    assert flat_parameters(m1.parameters(), create=False) is not None
    for a, b in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    for k, v in o1.state_dict()["arrays"].items():
        np.testing.assert_array_equal(v, o2.state_dict()["arrays"][k])


def _rebind_everything(i, m, opt):
    """Every way of giving a parameter a new array, one per step."""
    rng = np.random.default_rng(100 + i)
    if i == 0:
        m.load_state_dict({k: v + rng.standard_normal(v.shape) for k, v in m.state_dict().items()})
    elif i == 1:
        m[3].W = rng.standard_normal((3, 7))
    elif i == 2:
        m.astype(np.float32).astype(np.float64)  # new arrays (and float32 round-off), same dtype
    elif i == 3:
        m.to("cpu")
        for p in m.parameters():
            p.data = p.data.copy()
            p.grad = p.grad.copy()
    elif i == 4:
        opt.load_state_dict(copy.deepcopy(opt.state_dict()))


def test_every_assignment_to_a_parameter_reaches_the_flat_path():
    """load_state_dict, attribute assignment, astype, to(), plain rebinding and an optimizer
    state reload between steps: the fast path sees the same arrays as the plain one."""
    make = OPTIMIZERS["Adam, weight decay, clip_norm"]
    (m1, o1), (m2, o2) = (
        run_steps(make, True, 6, between=_rebind_everything),
        run_steps(make, False, 6, between=_rebind_everything),
    )
    flat = flat_parameters(m1.parameters(), create=False)
    assert flat is not None and flat.version > 1  # rebuilt along the way
    for a, b in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    for k, v in o1.state_dict()["arrays"].items():
        np.testing.assert_array_equal(v, o2.state_dict()["arrays"][k])


def test_a_dtype_change_moves_the_buffer_and_the_moments():
    m = model(np.float32)
    opt = mg.Adam(m, lr=1e-3)
    fill_grads(m, np.random.default_rng(0))
    opt.step()
    m.astype(np.float64)
    fill_grads(m, np.random.default_rng(1))
    opt.step()
    flat = flat_parameters(m.parameters(), create=False)
    assert flat.data.dtype == np.float64 and opt.state["V"][0].dtype == np.float64
    assert np.shares_memory(opt.state["V"][0], opt._flat_state["V"][2])


def test_optimizer_zero_grad_and_two_optimizers_over_parts_of_a_model():
    m = model()
    opt = mg.Adam(m, lr=1e-3)
    fill_grads(m, np.random.default_rng(0))
    opt.step()
    opt.zero_grad()
    assert not any(p.grad.any() for p in m.parameters())
    # a second optimizer over part of the parameters takes the plain path, no tug of war
    part = mg.SGD(m.parameters()[:2], lr=0.1)
    fill_grads(m, np.random.default_rng(1))
    before = [p.data.copy() for p in m.parameters()[:2]]
    part.step()
    for p, b, g in zip(m.parameters()[:2], before, [p.grad for p in m.parameters()[:2]]):
        np.testing.assert_array_equal(p.data, b - 0.1 * g)
    assert flat_parameters(m.parameters(), create=False).intact()


# ---------------------------------------------------------------------------- the EMA
def test_ema_over_the_flat_buffer_equals_the_per_tensor_average_exactly():
    def run(flat):
        m = model()
        opt = mg.Adam(m, lr=1e-2, flat=flat)
        ema = EMA(m, decay=0.9)
        rng = np.random.default_rng(0)
        for i in range(5):
            fill_grads(m, rng)
            opt.step()
            ema.update()
            if i == 2:
                ema.load_state_dict(copy.deepcopy(ema.state_dict()))
        return ema

    fast, plain = run(True), run(False)
    assert fast._flat is not None and plain._flat is None
    for a, b in zip(fast.shadow, plain.shadow):
        np.testing.assert_array_equal(a, b)
    with fast.swapped_in() as m:
        for p, s in zip(m.parameters(), fast.shadow):
            np.testing.assert_array_equal(p.data, s)


def test_a_copied_model_is_a_model_of_its_own():
    """copy.deepcopy (and pickle) of a model whose parameters are views into a flat buffer gives
    parameters of their own: an optimizer and zero_grad on the copy act on the copy only."""
    import pickle

    m = model()
    opt = mg.Adam(m, lr=1e-2)
    fill_grads(m, np.random.default_rng(0))
    opt.step()
    for twin in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert all(p.flat is None for p in twin.parameters())
        before = [p.data.copy() for p in m.parameters()]
        twin_opt = mg.Adam(twin, lr=1e-2)
        fill_grads(twin, np.random.default_rng(1))
        twin_opt.step()
        for p, q, b in zip(twin.parameters(), m.parameters(), before):
            assert not np.array_equal(p.data, b)  # the copy moved...
            np.testing.assert_array_equal(q.data, b)  # ...and the original did not
        twin.zero_grad()
        assert not any(p.grad.any() for p in twin.parameters()) and all(p.grad.any() for p in m.parameters())
    shallow = copy.copy(m[0].params["W"])
    assert shallow.data is m[0].params["W"].data  # a shallow copy shares the arrays, as before

"""Losses: values by hand, finiteness at the edges, gradients, bad input, PyTorch agreement."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan as mg
from minigan import gradcheck

ALL_LOSSES = [mg.BCELoss, mg.BCEWithLogitsLoss, mg.MSELoss]


# ---------------------------------------------------------------------------- values by hand
def test_bce_value_and_gradient_by_hand():
    p = np.array([0.5, 0.8, 0.1])
    y = np.array([1.0, 0.0, 0.0])
    loss = mg.BCELoss()
    value = loss(p, y)
    # -[y log p + (1-y) log(1-p)]: -log .5, -log .2, -log .9
    expected = (math.log(2.0) + -math.log(0.2) + -math.log(0.9)) / 3
    assert float(value) == pytest.approx(expected, rel=1e-12)
    # dL/dp = (p - y) / (p (1 - p)), divided by n = 3
    expected_grad = np.array([(0.5 - 1) / 0.25, 0.8 / (0.8 * 0.2), 0.1 / (0.1 * 0.9)]) / 3
    np.testing.assert_allclose(loss.backward(), expected_grad, rtol=1e-12)


def test_bce_soft_targets_by_hand():
    p = np.array([[0.5], [0.25]])
    y = np.array([[0.9], [0.9]])  # one-sided label smoothing
    loss = mg.BCELoss()
    expected = (-(0.9 * math.log(0.5) + 0.1 * math.log(0.5)) - (0.9 * math.log(0.25) + 0.1 * math.log(0.75))) / 2
    assert float(loss(p, y)) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(loss.backward(), np.array([[-0.4 / 0.25], [-0.65 / 0.1875]]) / 2, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_finite_at_probabilities_zero_and_one(dtype):
    p = np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0], dtype=dtype)
    loss = mg.BCELoss()
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # no divide-by-zero / invalid warnings either
        value = loss(p, y)
        g = loss.backward()
    # log 0 is clamped at -100: the two wrong answers cost 100 each, the right ones 0
    assert float(value) == pytest.approx((100 + 100 + 0 + 0) / 4, rel=1e-6)
    assert np.all(np.isfinite(g)) and g.dtype == dtype
    # (p - y) / max(p(1-p), 1e-12) / n: the wrong answers get a huge gradient of the right sign
    assert g[0] < -1e10 and g[1] > 1e10
    assert g[2] == 0 and g[3] == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_finite_at_plus_minus_100(dtype):
    z = np.array([100.0, -100.0, 100.0, -100.0], dtype=dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0], dtype=dtype)
    loss = mg.BCEWithLogitsLoss()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss(z, y)
        g = loss.backward()
    # max(z,0) - z y + log(1 + e^{-|z|}): 100, 100, ~0, ~0
    assert float(value) == pytest.approx(200 / 4, rel=1e-6)
    # (σ(z) - y)/n = (1, -1, 0, 0)/4
    np.testing.assert_allclose(g, np.array([1, -1, 0, 0]) / 4, atol=1e-7)
    assert g.dtype == dtype


def test_bce_with_logits_equals_bce_of_sigmoid():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((6, 2)) * 3
    y = rng.random((6, 2))
    p = 1 / (1 + np.exp(-z))
    a, b = mg.BCEWithLogitsLoss(), mg.BCELoss()
    assert float(a(z, y)) == pytest.approx(float(b(p, y)), rel=1e-10)
    # chain rule through the sigmoid: dL/dz = dL/dp · p(1-p)
    np.testing.assert_allclose(a.backward(), b.backward() * p * (1 - p), rtol=1e-9)


def test_mse_by_hand():
    loss = mg.MSELoss()
    value = loss(np.array([1.0, 2.0]), np.array([0.0, 4.0]))
    assert float(value) == pytest.approx((1 + 4) / 2)
    np.testing.assert_allclose(loss.backward(), [2 * 1 / 2, 2 * -2 / 2])


def test_cross_entropy_by_hand():
    logits = np.array([[0.0, 0.0], [1.0, 2.0]])
    target = np.array([0, 1])
    loss = mg.CrossEntropyLoss()
    e = math.exp
    l0 = math.log(2.0)
    l1 = -2.0 + math.log(e(1) + e(2))
    assert float(loss(logits, target)) == pytest.approx((l0 + l1) / 2, rel=1e-12)
    s1 = np.array([e(1), e(2)]) / (e(1) + e(2))
    expected = np.array([[0.5 - 1, 0.5], [s1[0], s1[1] - 1]]) / 2  # (softmax - onehot)/N
    np.testing.assert_allclose(loss.backward(), expected, rtol=1e-12)


def test_cross_entropy_huge_logits_stay_finite():
    loss = mg.CrossEntropyLoss()
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = loss(np.array([[1000.0, 0.0, -1000.0]], dtype=np.float32), np.array([1]))
        g = loss.backward()
    assert float(value) == pytest.approx(1000.0)
    np.testing.assert_allclose(g, [[1.0, -1.0, 0.0]], atol=1e-6)


def test_reduction_sum_and_backward_scale():
    p = np.array([0.2, 0.6])
    y = np.array([0.0, 1.0])
    mean, total = mg.BCELoss(), mg.BCELoss(reduction="sum")
    assert float(total(p, y)) == pytest.approx(2 * float(mean(p, y)))
    np.testing.assert_allclose(total.backward(), 2 * mean.backward())
    mean(p, y)
    np.testing.assert_allclose(mean.backward(0.5), 0.5 * mean.backward())


def test_value_is_a_scalar_of_the_input_module_and_dtype_is_kept():
    for loss, pred, target in [
        (mg.BCELoss(), np.full((3, 1), 0.3, np.float32), np.ones((3, 1), np.float32)),
        (mg.BCEWithLogitsLoss(), np.zeros((3, 1), np.float32), np.ones((3, 1), np.float64)),
        (mg.MSELoss(), np.zeros(4, np.float32), np.ones(4, np.float32)),
        (mg.CrossEntropyLoss(), np.zeros((2, 3), np.float32), np.array([0, 2])),
    ]:
        value = loss(pred, target)
        assert np.ndim(value) == 0 and not isinstance(value, float), repr(loss)
        assert value.dtype == np.float32
        assert isinstance(float(value), float)
        g = loss.backward()
        assert g.shape == pred.shape and g.dtype == np.float32


def test_integer_targets_are_accepted_for_bce():
    loss = mg.BCELoss()
    a = float(loss(np.array([0.25, 0.75]), np.array([0, 1])))
    assert a == pytest.approx(-math.log(0.75))


def test_repr():
    assert repr(mg.BCELoss()) == "BCELoss()"
    assert repr(mg.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"
    assert isinstance(mg.CrossEntropyLoss(), mg.Loss)


# ---------------------------------------------------------------------------- bad input
def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="BCELoss.backward called before"):
        mg.BCELoss().backward()


def test_bad_reduction():
    with pytest.raises(ValueError, match="MSELoss: reduction must be one of"):
        mg.MSELoss(reduction="none")


@pytest.mark.parametrize("cls", ALL_LOSSES)
def test_shape_mismatch(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: target must have the shape of pred \(4, 1\), got \(4,?\)"):
        cls()(np.full((4, 1), 0.5), np.zeros(4))


@pytest.mark.parametrize("cls", ALL_LOSSES)
def test_non_float_pred(cls):
    with pytest.raises(TypeError, match=rf"{cls.__name__}: pred must have a floating dtype.*got int64"):
        cls()(np.zeros(3, dtype=np.int64), np.zeros(3))


@pytest.mark.parametrize("cls", ALL_LOSSES)
def test_target_not_an_array(cls):
    with pytest.raises(TypeError, match=rf"{cls.__name__}: target must be an array.*got list"):
        cls()(np.zeros(2), [0.0, 1.0])


@pytest.mark.parametrize("cls", [mg.BCELoss, mg.BCEWithLogitsLoss])
@pytest.mark.parametrize("bad", [-0.1, 1.5, np.nan])
def test_bce_targets_outside_unit_interval(cls, bad):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: target values must lie in \[0, 1\]"):
        cls()(np.full(3, 0.5), np.array([0.0, bad, 1.0]))


@pytest.mark.parametrize("bad", [-0.01, 1.01])
def test_bce_pred_outside_unit_interval(bad):
    with pytest.raises(ValueError, match=r"BCELoss: pred must be probabilities in \[0, 1\].*BCEWithLogitsLoss"):
        mg.BCELoss()(np.array([0.5, bad]), np.array([0.0, 1.0]))


def test_cross_entropy_bad_inputs():
    ce = mg.CrossEntropyLoss()
    logits = np.zeros((3, 4))
    with pytest.raises(TypeError, match="CrossEntropyLoss: target must hold integer class indices.*float64"):
        ce(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: target class indices must lie in \[0, 4\).*max 4"):
        ce(logits, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: target class indices must lie in \[0, 4\).*min -1"):
        ce(logits, np.array([0, -1, 2]))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: target must have shape \(N,\) = \(3,\).*got \(3, 1\)"):
        ce(logits, np.zeros((3, 1), dtype=np.int64))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: pred must be 2-D \(N, C\) logits, got shape \(4,?\)"):
        ce(np.zeros(4), np.array([0]))
    with pytest.raises(TypeError, match="CrossEntropyLoss: pred must have a floating dtype"):
        ce(np.zeros((3, 4), dtype=np.int32), np.array([0, 1, 2]))


# ---------------------------------------------------------------------------- hypothesis
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)


@settings(max_examples=30, deadline=None)
@given(
    shape=shapes,
    seed=st.integers(0, 2**16),
    which=st.sampled_from(range(3)),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_elementwise_losses_shapes_and_gradient(shape, seed, which, dtype):
    rng = np.random.default_rng(seed)
    cls = ALL_LOSSES[which]
    if cls is mg.BCELoss:
        pred = 0.05 + 0.9 * rng.random(shape)
    else:
        pred = 2 * rng.standard_normal(shape)
    target = rng.random(shape)
    loss = cls()
    value = loss(pred.astype(dtype), target)
    assert np.ndim(value) == 0 and np.isfinite(value)
    g = loss.backward()
    assert g.shape == pred.shape and g.dtype == dtype
    if dtype == np.float64 and pred.size <= 12:
        assert gradcheck.check_loss(cls(), pred, target)["dpred"] < 1e-6


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6), c=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_cross_entropy_shapes_and_gradient(n, c, seed):
    rng = np.random.default_rng(seed)
    logits = 3 * rng.standard_normal((n, c))
    target = rng.integers(0, c, size=n)
    ce = mg.CrossEntropyLoss()
    value = ce(logits, target)
    assert np.isfinite(value) and float(value) >= 0
    g = ce.backward()
    assert g.shape == (n, c)
    np.testing.assert_allclose(g.sum(axis=1), 0, atol=1e-12)  # softmax - onehot sums to 0
    assert gradcheck.check_loss(mg.CrossEntropyLoss(), logits, target)["dpred"] < 1e-6


@settings(max_examples=25, deadline=None)
@given(a=shapes, b=shapes, which=st.sampled_from(range(3)))
def test_mismatched_shapes_always_raise_naming_the_loss(a, b, which):
    if a == b:
        return
    cls = ALL_LOSSES[which]
    with pytest.raises(ValueError, match=cls.__name__):
        cls()(np.full(a, 0.5), np.full(b, 0.5))


# ---------------------------------------------------------------------------- PyTorch agreement
def _torch():
    return pytest.importorskip("torch")


def _torch_value_and_grad(fn, pred, target):
    torch = _torch()
    p = torch.tensor(pred, requires_grad=True)
    v = fn(p, torch.tensor(target))
    v.backward()
    return v.item(), p.grad.numpy()


@pytest.mark.parametrize("name", ["bce", "bce_logits", "mse"])
def test_elementwise_losses_match_torch(name):
    torch = _torch()
    F = torch.nn.functional
    rng = np.random.default_rng(3)
    target = rng.random((5, 3))
    if name == "bce":
        pred, ours, theirs = rng.random((5, 3)), mg.BCELoss(), F.binary_cross_entropy
    elif name == "bce_logits":
        pred, ours, theirs = 4 * rng.standard_normal((5, 3)), mg.BCEWithLogitsLoss(), F.binary_cross_entropy_with_logits
    else:
        pred, ours, theirs = rng.standard_normal((5, 3)), mg.MSELoss(), F.mse_loss
    v, g = _torch_value_and_grad(theirs, pred, target)
    assert float(ours(pred, target)) == pytest.approx(v, rel=1e-10)
    np.testing.assert_allclose(ours.backward(), g, rtol=1e-9, atol=1e-15)


def test_bce_edges_match_torch():
    torch = _torch()
    pred = np.array([0.0, 1.0, 0.0, 1.0, 1e-50, 1 - 1e-16])
    target = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0])
    v, g = _torch_value_and_grad(torch.nn.functional.binary_cross_entropy, pred, target)
    loss = mg.BCELoss()
    assert float(loss(pred, target)) == pytest.approx(v, rel=1e-9)
    # PyTorch's eps 1e-12 is a C float (9.9999996e-13): a 4e-9 relative difference
    np.testing.assert_allclose(loss.backward(), g, rtol=1e-7)


def test_bce_with_logits_edges_match_torch():
    torch = _torch()
    z = np.array([100.0, -100.0, 100.0, -100.0, 0.0], dtype=np.float32)
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.9], dtype=np.float32)
    v, g = _torch_value_and_grad(torch.nn.functional.binary_cross_entropy_with_logits, z, y)
    loss = mg.BCEWithLogitsLoss()
    assert float(loss(z, y)) == pytest.approx(v, rel=1e-6)
    np.testing.assert_allclose(loss.backward(), g, rtol=1e-6, atol=1e-9)


def test_cross_entropy_matches_torch():
    torch = _torch()
    rng = np.random.default_rng(4)
    logits = 5 * rng.standard_normal((7, 4))
    target = rng.integers(0, 4, size=7)
    v, g = _torch_value_and_grad(torch.nn.functional.cross_entropy, logits, target)
    ce = mg.CrossEntropyLoss()
    assert float(ce(logits, target)) == pytest.approx(v, rel=1e-10)
    np.testing.assert_allclose(ce.backward(), g, rtol=1e-9, atol=1e-15)

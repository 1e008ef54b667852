"""Activations: values and derivatives by hand, stability, shapes (hypothesis), bad input."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan as mg

ELEMENTWISE = [mg.ReLU, lambda: mg.LeakyReLU(0.2), mg.Sigmoid, mg.Tanh, mg.ELU, mg.Softmax]


def run(layer, x, dout=None):
    y = layer(np.asarray(x, dtype=np.float64))
    dx = layer.backward(np.ones_like(y) if dout is None else np.asarray(dout, dtype=np.float64))
    return y, dx


def test_relu_by_hand():
    y, dx = run(mg.ReLU(), [-1.0, 0.0, 2.0], dout=[5.0, 5.0, 5.0])
    np.testing.assert_array_equal(y, [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(dx, [0.0, 0.0, 5.0])  # derivative 0 at z = 0, like PyTorch


def test_relu_of_minus_infinity_is_zero_like_pytorch():
    y, dx = run(mg.ReLU(), [-np.inf, np.inf], dout=[1.0, 1.0])
    np.testing.assert_array_equal(y, [0.0, np.inf])
    np.testing.assert_array_equal(dx, [0.0, 1.0])


def test_leaky_relu_by_hand():
    y, dx = run(mg.LeakyReLU(0.2), [-1.0, 0.0, 3.0], dout=[2.0, 2.0, 2.0])
    np.testing.assert_allclose(y, [-0.2, 0.0, 3.0])
    np.testing.assert_allclose(dx, [0.4, 0.4, 2.0])
    assert mg.LeakyReLU().alpha == 0.2  # the GAN documents' default
    assert repr(mg.LeakyReLU(0.1)) == "LeakyReLU(alpha=0.1)"


def test_sigmoid_by_hand():
    y, dx = run(mg.Sigmoid(), [0.0, 1.0, -2.0])
    np.testing.assert_allclose(y, [0.5, 1 / (1 + math.e**-1), 1 / (1 + math.e**2)], rtol=1e-12)
    np.testing.assert_allclose(dx, y * (1 - y), rtol=1e-12)
    assert dx[0] == pytest.approx(0.25)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_for_huge_inputs(dtype):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = mg.nn.activations.sigmoid(np.array([-1000.0, 1000.0, -50.0], dtype=dtype))
    assert y.dtype == dtype
    assert y[0] == 0.0 and y[1] == 1.0
    assert y[2] == pytest.approx(math.exp(-50), rel=1e-5)


def test_tanh_by_hand():
    y, dx = run(mg.Tanh(), [0.0, 0.5, -3.0])
    np.testing.assert_allclose(y, [0.0, math.tanh(0.5), math.tanh(-3.0)], rtol=1e-12)
    np.testing.assert_allclose(dx, [1.0, 1 - math.tanh(0.5) ** 2, 1 - math.tanh(3.0) ** 2], rtol=1e-12)


def test_elu_by_hand():
    y, dx = run(mg.ELU(1.0), [-1.0, 2.0])
    np.testing.assert_allclose(y, [math.exp(-1) - 1, 2.0], rtol=1e-12)
    np.testing.assert_allclose(dx, [math.exp(-1), 1.0], rtol=1e-12)
    with np.errstate(over="raise"):
        y, _ = run(mg.ELU(0.5), [1000.0, -1000.0])
    np.testing.assert_allclose(y, [1000.0, -0.5])


def test_softmax_by_hand():
    y, _ = run(mg.Softmax(), [[0.0, math.log(2.0)], [5.0, 5.0]])
    np.testing.assert_allclose(y, [[1 / 3, 2 / 3], [0.5, 0.5]], rtol=1e-12)
    # Jacobian of softmax: J = diag(y) - y yᵀ, dx = Jᵀ dout
    sm = mg.Softmax()
    s = sm(np.array([[1.0, 2.0, 0.5]]))
    dout = np.array([[1.0, -2.0, 0.5]])
    J = np.diag(s[0]) - np.outer(s[0], s[0])
    np.testing.assert_allclose(sm.backward(dout)[0], J.T @ dout[0], rtol=1e-12)


def test_softmax_stability_and_axis():
    with np.errstate(over="raise", invalid="raise"):
        y = mg.Softmax()(np.array([[1000.0, 1000.0, -1000.0]]))
    np.testing.assert_allclose(y, [[0.5, 0.5, 0.0]])
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4))
    np.testing.assert_allclose(mg.Softmax(axis=1)(x).sum(axis=1), 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match=r"Softmax\(axis=2\): input has only 2 dimensions"):
        mg.Softmax(axis=2)(np.zeros((2, 3)))


def test_backward_does_not_modify_dout():
    for make in ELEMENTWISE:
        layer = make()
        x = np.random.default_rng(1).standard_normal((3, 4))
        dout = np.random.default_rng(2).standard_normal((3, 4))
        keep = dout.copy()
        layer(x)
        layer.backward(dout)
        np.testing.assert_array_equal(dout, keep)


@pytest.mark.parametrize("bad", [-0.1, 1.0, 2, "0.2", True])
def test_leaky_relu_bad_alpha(bad):
    with pytest.raises(ValueError, match=r"LeakyReLU: alpha must be a float in \[0, 1\), got"):
        mg.LeakyReLU(bad)


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_elu_bad_alpha(bad):
    with pytest.raises(ValueError, match="ELU: alpha must be a float > 0"):
        mg.ELU(bad)


@pytest.mark.parametrize("make", ELEMENTWISE)
def test_integer_input_raises_type_error_naming_the_layer(make):
    layer = make()
    name = type(layer).__name__
    with pytest.raises(TypeError, match=rf"{name}.*input must have a floating dtype.*got int64"):
        layer(np.zeros((2, 2), np.int64))
    with pytest.raises(TypeError, match=rf"{name}.*input must be an array"):
        layer(3.0)


@settings(max_examples=40, deadline=None)
@given(
    x=hnp.arrays(
        st.sampled_from([np.float32, np.float64]),
        hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
        elements=st.floats(-50, 50, width=32),
    ),
    which=st.integers(0, len(ELEMENTWISE) - 1),
)
def test_shapes_dtypes_and_finiteness(x, which):
    layer = ELEMENTWISE[which]()
    y = layer(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert np.all(np.isfinite(y))
    dx = layer.backward(np.ones_like(y))
    assert dx.shape == x.shape and dx.dtype == x.dtype
    assert np.all(np.isfinite(dx))


@settings(max_examples=30, deadline=None)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), elements=st.floats(-20, 20)))
def test_properties_from_the_definitions(x):
    np.testing.assert_array_equal(mg.ReLU()(x), np.maximum(x, 0))
    np.testing.assert_allclose(mg.LeakyReLU(0.2)(x), np.maximum(0.2 * x, x))
    s = mg.Sigmoid()(x)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(s + mg.Sigmoid()(-x), 1.0, rtol=1e-12)  # σ(z) + σ(-z) = 1
    np.testing.assert_allclose(mg.Tanh()(x), 2 * mg.Sigmoid()(2 * x) - 1, atol=1e-12)  # tanh = 2σ(2z) - 1


def test_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 5)) * 3
    dout = rng.standard_normal((4, 5))
    pairs = [
        (mg.ReLU(), torch.relu),
        (mg.LeakyReLU(0.2), lambda t: torch.nn.functional.leaky_relu(t, 0.2)),
        (mg.Sigmoid(), torch.sigmoid),
        (mg.Tanh(), torch.tanh),
        (mg.ELU(1.0), torch.nn.functional.elu),
        (mg.Softmax(), lambda t: torch.softmax(t, dim=-1)),
    ]
    for ours, theirs in pairs:
        t = torch.tensor(x, requires_grad=True)
        out = theirs(t)
        out.backward(torch.tensor(dout))
        np.testing.assert_allclose(ours(x), out.detach().numpy(), rtol=1e-12, atol=1e-15, err_msg=repr(ours))
        np.testing.assert_allclose(ours.backward(dout), t.grad.numpy(), rtol=1e-10, atol=1e-15, err_msg=repr(ours))

"""Dense, Flatten, Reshape: values by hand, shapes (hypothesis), bad input.

(Dropout and BatchNorm are tested in their own files.)
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg


def dense_by_hand():
    d = mg.Dense(2, 3, dtype=np.float64)
    d.params["W"].data[...] = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    d.params["b"].data[...] = [0.5, -1.0, 0.0]
    return d


# ---------------------------------------------------------------------------- Dense
def test_dense_forward_by_hand():
    d = dense_by_hand()
    z = d(np.array([[1.0, -1.0], [0.0, 2.0]]))
    # row 1: [1-2+0.5, 3-4-1, 5-6+0]; row 2: [4+0.5, 8-1, 12]
    np.testing.assert_array_equal(z, [[-0.5, -2.0, -1.0], [4.5, 7.0, 12.0]])


def test_dense_backward_by_hand():
    d = dense_by_hand()
    d(np.array([[1.0, -1.0], [0.0, 2.0]]))
    dx = d.backward(np.array([[1.0, 2.0, 3.0], [0.0, 1.0, -1.0]]))
    # dx = dout @ W: [1+6+15, 2+8+18], [0+3-5, 0+4-6]
    np.testing.assert_array_equal(dx, [[22.0, 28.0], [-2.0, -2.0]])
    # dW = doutᵀ @ x: W[i, j] gets Σ_n dout[n, i] x[n, j]
    np.testing.assert_array_equal(d.params["W"].grad, [[1.0, -1.0], [2.0, 0.0], [3.0, -5.0]])
    np.testing.assert_array_equal(d.params["b"].grad, [1.0, 3.0, 2.0])


def test_dense_backward_accumulates_and_keeps_dout():
    d = dense_by_hand()
    x = np.array([[1.0, 1.0]])
    dout = np.array([[1.0, 1.0, 1.0]])
    keep = dout.copy()
    for _ in range(2):
        d(x)
        d.backward(dout)
    np.testing.assert_array_equal(d.params["b"].grad, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(dout, keep)


def test_dense_without_bias_and_dtype():
    d = mg.Dense(3, 2, bias=False, rng=0)
    assert list(d.params) == ["W"] and d.params["W"].shape == (2, 3)
    assert d.params["W"].dtype == np.float32
    assert d(np.ones((1, 3), np.float32)).dtype == np.float32
    assert repr(d) == "Dense(3, 2, bias=False)" and repr(mg.Dense(3, 2)) == "Dense(3, 2)"
    d64 = mg.Dense(3, 2, dtype=np.float64, rng=0)
    assert d64.params["W"].dtype == np.float64 and d64.params["b"].dtype == np.float64


def test_dense_init_options():
    rng_seed = 3
    W = mg.Dense(400, 300, init="pytorch", rng=rng_seed).params["W"].data
    assert np.abs(W).max() <= 1 / np.sqrt(400)
    W = mg.Dense(400, 300, rng=rng_seed).params["W"].data  # xavier N(0, 1/n)
    assert W.std() == pytest.approx(np.sqrt(1 / 400), rel=0.02)
    W = mg.Dense(2, 2, init=lambda shape, rng=None, dtype=np.float32: np.full(shape, 7, dtype)).params["W"].data
    np.testing.assert_array_equal(W, 7)
    np.testing.assert_array_equal(mg.Dense(2, 2).params["b"].data, 0)
    with pytest.raises(ValueError, match="Dense: init must be one of"):
        mg.Dense(2, 2, init="bogus")


def test_dense_same_seed_same_weights():
    a = mg.Dense(5, 4, rng=11).params["W"].data
    b = mg.Dense(5, 4, rng=11).params["W"].data
    c = mg.Dense(5, 4, rng=12).params["W"].data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    "args, exc, match",
    [
        ((0, 3), ValueError, "Dense: in_features must be an int >= 1, got 0"),
        ((-1, 3), ValueError, "Dense: in_features must be an int >= 1, got -1"),
        ((3, -5), ValueError, "Dense: out_features must be an int >= 1, got -5"),
        ((2.5, 3), TypeError, "Dense: in_features must be an int >= 1, got float 2.5"),
        (("3", 3), TypeError, "Dense: in_features must be an int"),
    ],
)
def test_dense_bad_sizes(args, exc, match):
    with pytest.raises(exc, match=match):
        mg.Dense(*args)


def test_dense_bad_input():
    d = mg.Dense(4, 2, rng=0)
    with pytest.raises(ValueError, match=r"Dense\(4, 2\): input axis 1 must have size 4 \(N, 4\), got shape \(3, 5\)"):
        d(np.zeros((3, 5), np.float32))
    with pytest.raises(ValueError, match=r"Dense\(4, 2\): input must be 2-D \(N, 4\), got shape \(4"):
        d(np.zeros(4, np.float32))
    with pytest.raises(ValueError, match=r"Dense\(4, 2\): input must be 2-D"):
        d(np.zeros((2, 1, 4), np.float32))
    with pytest.raises(TypeError, match=r"Dense\(4, 2\): input must have a floating dtype.*got int64"):
        d(np.zeros((3, 4), np.int64))
    with pytest.raises(TypeError, match=r"Dense\(4, 2\): input must be an array.*got list"):
        d([[0.0] * 4])
    with pytest.raises(RuntimeError, match=r"Dense\(2, 2\)\.backward called before forward"):
        mg.Dense(2, 2).backward(np.zeros((1, 2)))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 6), fin=st.integers(1, 7), fout=st.integers(1, 7), bias=st.booleans(), seed=st.integers(0, 999))
def test_dense_shapes(n, fin, fout, bias, seed):
    rng = np.random.default_rng(seed)
    d = mg.Dense(fin, fout, bias=bias, rng=rng)
    x = rng.standard_normal((n, fin)).astype(np.float32)
    y = d(x)
    assert y.shape == (n, fout) and y.dtype == np.float32
    # definition, one element: z[0, j] = Σ_i W[j, i] x[0, i] + b[j]
    j = fout - 1
    expected = sum(float(d.params["W"].data[j, i]) * float(x[0, i]) for i in range(fin))
    expected += float(d.params["b"].data[j]) if bias else 0.0
    assert float(y[0, j]) == pytest.approx(expected, rel=1e-4, abs=1e-5)
    dx = d.backward(rng.standard_normal((n, fout)).astype(np.float32))
    assert dx.shape == (n, fin)
    assert all(p.grad.shape == p.shape for p in d.parameters())


@settings(max_examples=40, deadline=None)
@given(fin=st.integers(1, 6), wrong=st.integers(1, 6), extra=st.integers(0, 2))
def test_dense_wrong_feature_count_raises_naming_the_layer(fin, wrong, extra):
    if wrong == fin and extra == 0:
        return
    d = mg.Dense(fin, 2, rng=0)
    with pytest.raises(ValueError, match=rf"Dense\({fin}, 2\)"):
        d(np.zeros((3, wrong) + (1,) * extra, np.float32))


# ---------------------------------------------------------------------------- Flatten
def test_flatten_forward_and_backward():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    f = mg.Flatten()
    y = f(x)
    assert y.shape == (2, 12)
    np.testing.assert_array_equal(y[1], np.arange(12, 24))
    dx = f.backward(y * 2)
    assert dx.shape == (2, 3, 4)
    np.testing.assert_array_equal(dx, 2 * x)
    assert f.output_shape((1, 28, 28)) == (784,)
    assert repr(f) == "Flatten()"


def test_flatten_bad_input():
    with pytest.raises(ValueError, match=r"Flatten: input must be .*got shape \(5"):
        mg.Flatten()(np.zeros(5, np.float32))
    with pytest.raises(TypeError, match="Flatten: input must have a floating dtype"):
        mg.Flatten()(np.zeros((2, 2), bool))


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=5))
def test_flatten_shapes(shape):
    x = np.random.default_rng(0).standard_normal(shape)
    f = mg.Flatten()
    y = f(x)
    assert y.shape == (shape[0], int(np.prod(shape[1:])))
    np.testing.assert_array_equal(f.backward(y), x)


# ---------------------------------------------------------------------------- Reshape
def test_reshape_forward_backward_and_minus_one():
    x = np.arange(24, dtype=np.float32).reshape(2, 12)
    r = mg.Reshape(3, 4)
    y = r(x)
    assert y.shape == (2, 3, 4) and y[1, 2, 3] == 23
    np.testing.assert_array_equal(r.backward(y), x)
    assert mg.Reshape(-1, 2)(x).shape == (2, 6, 2)
    assert mg.Reshape((2, 6))(x).shape == (2, 2, 6)
    assert repr(mg.Reshape(128, 7, 7)) == "Reshape(128, 7, 7)"
    assert mg.Reshape(1, 28, 28).output_shape((784,)) == (1, 28, 28)


@pytest.mark.parametrize(
    "shape, match",
    [
        ((), "Reshape: give the target shape"),
        ((0, 3), r"Reshape: every size must be a positive int \(or one -1\), got shape \(0, 3\)"),
        ((-2, 3), r"Reshape: every size must be a positive int"),
        ((2.0, 3), r"Reshape: every size must be a positive int"),
        ((-1, -1), r"Reshape: at most one size may be -1"),
    ],
)
def test_reshape_bad_shapes(shape, match):
    with pytest.raises(ValueError, match=match):
        mg.Reshape(*shape)


def test_reshape_incompatible_input():
    with pytest.raises(
        ValueError, match=r"Reshape\(3, 4\): cannot reshape a sample of shape \(10,\) \(10 values\) to \(3, 4\)"
    ):
        mg.Reshape(3, 4)(np.zeros((2, 10), np.float32))
    with pytest.raises(ValueError, match=r"Reshape\(-1, 3\): cannot reshape a sample of shape \(10,\)"):
        mg.Reshape(-1, 3)(np.zeros((2, 10), np.float32))
    with pytest.raises(TypeError, match=r"Reshape\(3, 4\): input must have a floating dtype"):
        mg.Reshape(3, 4)(np.zeros((2, 12), np.int8))


@settings(max_examples=30, deadline=None)
@given(a=st.integers(1, 4), b=st.integers(1, 4), c=st.integers(1, 4), n=st.integers(1, 3))
def test_reshape_shapes(a, b, c, n):
    x = np.random.default_rng(0).standard_normal((n, a * b * c))
    r = mg.Reshape(a, b, c)
    y = r(x)
    assert y.shape == (n, a, b, c)
    np.testing.assert_array_equal(r.backward(y), x)

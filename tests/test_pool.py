"""MaxPool2D and AvgPool2D: definition, document examples, gradient routing and ties, sizes,
PyTorch agreement and errors. Gradient checks are registered in minigan.gradcheck.cases.pooling."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan.nn.pooling import AvgPool2D, MaxPool2D


def naive_pool(x, k, s, op):
    (kh, kw), (sh, sw) = k, s
    N, C, H, W = x.shape
    OH, OW = (H - kh) // sh + 1, (W - kw) // sw + 1
    y = np.zeros((N, C, OH, OW))
    for r in range(OH):
        for c in range(OW):
            y[:, :, r, c] = op(x[:, :, r * sh : r * sh + kh, c * sw : c * sw + kw], axis=(2, 3))
    return y


CASES = [
    ((2, 2), (2, 2), (4, 6)),  # tiles: reshape path
    ((3, 3), (2, 2), (7, 5)),  # overlapping
    ((2, 3), (1, 2), (4, 7)),  # non-square, overlapping in H
    ((2, 2), (2, 2), (5, 7)),  # k == s but not divisible: general path, remainder dropped
    ((3, 2), (3, 2), (6, 6)),
]  # non-square tiles


@pytest.mark.parametrize("k,s,hw", CASES)
@pytest.mark.parametrize("cls,op", [(MaxPool2D, np.max), (AvgPool2D, np.mean)])
def test_forward_matches_definition(cls, op, k, s, hw):
    x = np.random.default_rng(0).standard_normal((2, 3) + hw)
    out = cls(k, stride=s)(x)
    np.testing.assert_allclose(out, naive_pool(x, k, s, op), rtol=1e-12, atol=1e-12)
    assert cls(k, stride=s).output_shape((3,) + hw) == out.shape[1:]


def test_document_001_example_4x4_kernel_2x2():
    """Document 001 §3.1.4: a 4x4 image and a 2x2 kernel give a 2x2 result (half the size)."""
    I = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float64).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(MaxPool2D(2)(I)[0, 0], [[6, 8], [3, 4]])
    np.testing.assert_array_equal(AvgPool2D(2)(I)[0, 0], [[13 / 4, 21 / 4], [2, 2]])


@pytest.mark.parametrize("k,s,hw", CASES)
def test_maxpool_routes_gradient_to_argmax(k, s, hw):
    """Document 003 ch. 1: the gradient goes only to the window's maximum; the others get 0.
    Overlapping windows that share their maximum add their gradients."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 2) + hw)
    pool = MaxPool2D(k, stride=s)
    y = pool(x)
    dout = rng.standard_normal(y.shape)
    dx = pool.backward(dout)
    (kh, kw), (sh, sw) = k, s
    expected = np.zeros_like(x)
    for n in range(2):
        for c in range(2):
            for r in range(y.shape[2]):
                for q in range(y.shape[3]):
                    win = x[n, c, r * sh : r * sh + kh, q * sw : q * sw + kw]
                    i, j = np.unravel_index(np.argmax(win), win.shape)
                    expected[n, c, r * sh + i, q * sw + j] += dout[n, c, r, q]
    np.testing.assert_allclose(dx, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("k,s", [(2, 2), (3, 1)])
def test_maxpool_ties_give_the_gradient_to_one_element_first_in_row_major_order(k, s):
    x = np.zeros((1, 1, 4, 4))  # e.g. after a ReLU: every window is a tie
    pool = MaxPool2D(k, stride=s)
    y = pool(x)
    dx = pool.backward(np.ones_like(y))
    assert dx.sum() == y.size  # nothing lost, nothing duplicated
    expected = np.zeros((4, 4))
    for r in range(y.shape[2]):
        for q in range(y.shape[3]):
            expected[r * s, q * s] += 1.0  # top-left element of each window
    np.testing.assert_array_equal(dx[0, 0], expected)


def test_avgpool_spreads_gradient_equally():
    pool = AvgPool2D(3, stride=1)
    x = np.random.default_rng(2).standard_normal((1, 1, 4, 4))
    pool(x)
    dx = pool.backward(np.ones((1, 1, 2, 2)))
    counts = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]) / 9.0
    np.testing.assert_allclose(dx[0, 0], counts, rtol=1e-12)


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
def test_float32_preserved_and_channels_last_input(cls):
    x = np.random.default_rng(3).standard_normal((2, 4, 6, 6)).astype(np.float32)
    cl = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)  # NCHW view, NHWC memory
    pool = cls(2)
    y = pool(cl)
    np.testing.assert_allclose(y, cls(2)(x), rtol=1e-6)
    assert y.dtype == np.float32 and pool.backward(np.ones_like(y)).dtype == np.float32


@pytest.mark.parametrize("k,s,hw", CASES)
def test_matches_torch(k, s, hw):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3) + hw)
    for cls, tf in [(MaxPool2D, F.max_pool2d), (AvgPool2D, F.avg_pool2d)]:
        pool = cls(k, stride=s)
        y = pool(x)
        dout = rng.standard_normal(y.shape)
        dx = pool.backward(dout)
        xt = torch.tensor(x, requires_grad=True)
        yt = tf(xt, k, s)
        yt.backward(torch.tensor(dout))
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    H=st.integers(1, 10),
    W=st.integers(1, 10),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    sh=st.integers(1, 4),
    sw=st.integers(1, 4),
    avg=st.booleans(),
)
def test_output_shape_formula(H, W, kh, kw, sh, sw, avg):
    pool = (AvgPool2D if avg else MaxPool2D)((kh, kw), stride=(sh, sw))
    x = np.random.default_rng(0).standard_normal((1, 2, H, W))
    if H < kh or W < kw:
        with pytest.raises(ValueError, match="larger than the input"):
            pool(x)
        return
    y = pool(x)
    assert y.shape == (1, 2, (H - kh) // sh + 1, (W - kw) // sw + 1)
    assert pool.backward(np.ones_like(y)).shape == x.shape


def test_stride_defaults_to_kernel_and_errors():
    assert MaxPool2D(3).stride == (3, 3) and AvgPool2D((2, 3)).stride == (2, 3)
    with pytest.raises(ValueError, match="MaxPool2D: kernel_size must be an int >= 1"):
        MaxPool2D(0)
    with pytest.raises(ValueError, match="AvgPool2D: stride must be an int >= 1"):
        AvgPool2D(2, stride=0)
    with pytest.raises(ValueError, match=r"MaxPool2D\(kernel_size=2, stride=2\): input must be 4-D"):
        MaxPool2D(2)(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match=r"AvgPool2D\(kernel_size=2, stride=2\): input must be 4-D"):
        AvgPool2D(2).output_shape((4, 4))
    with pytest.raises(ValueError, match="kernel 5x5 is larger than the input 4x4"):
        MaxPool2D(5)(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match="kernel 5x5 is larger than the input 4x4"):
        MaxPool2D(5).output_shape((1, 4, 4))
    with pytest.raises(RuntimeError, match="before forward"):
        AvgPool2D(2).backward(np.zeros((1, 1, 2, 2)))


def test_exported_from_package():
    assert mg.MaxPool2D is MaxPool2D and mg.AvgPool2D is AvgPool2D

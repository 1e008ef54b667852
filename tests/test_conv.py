"""Conv2D and Conv2DTranspose: definition, document 001's worked example, sizes, adjointness,
PyTorch agreement, errors and buffer reuse. Gradient checks are registered in minigan.gradcheck.cases.conv
and run by tests/test_gradcheck.py."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan import gradcheck
from minigan.nn.conv import Conv2D, Conv2DTranspose


# ---------------------------------------------------------------------------- naive references
def tf_same(n, k, s):
    """TensorFlow's documented SAME rule (tf.nn.convolution docs), written independently."""
    out = math.ceil(n / s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def naive_xcorr(x, W, b, stride, pads):
    """Direct definition: Y[n,o,y,x] = b[o] + Σ_c Σ_i Σ_j Xpad[n,c,y·sh+i,x·sw+j] W[o,c,i,j]."""
    sh, sw = stride
    pt, pb, pl, pr = pads
    N, C, H, Wd = x.shape
    O, _, kh, kw = W.shape
    xp = np.zeros((N, C, H + pt + pb, Wd + pl + pr))
    xp[:, :, pt : pt + H, pl : pl + Wd] = x
    OH = (H + pt + pb - kh) // sh + 1
    OW = (Wd + pl + pr - kw) // sw + 1
    y = np.zeros((N, O, OH, OW))
    for n in range(N):
        for o in range(O):
            for r in range(OH):
                for c in range(OW):
                    acc = 0.0 if b is None else b[o]
                    for ci in range(C):
                        for i in range(kh):
                            for j in range(kw):
                                acc += xp[n, ci, r * sh + i, c * sw + j] * W[o, ci, i, j]
                    y[n, o, r, c] = acc
    return y


def naive_transpose(x, W, b, stride, crop, out_hw):
    """Document 001 §3.3: every input element times the whole filter, summed where they
    overlap (the full result), then cropped by (top, left) to out_hw."""
    sh, sw = stride
    N, Ci, H, Wd = x.shape
    _, Co, kh, kw = W.shape
    full = np.zeros((N, Co, (H - 1) * sh + kh + sh, (Wd - 1) * sw + kw + sw))
    for n in range(N):
        for ci in range(Ci):
            for r in range(H):
                for c in range(Wd):
                    full[n, :, r * sh : r * sh + kh, c * sw : c * sw + kw] += x[n, ci, r, c] * W[ci]
    t, l = crop
    y = full[:, :, t : t + out_hw[0], l : l + out_hw[1]]
    return y + (0 if b is None else b.reshape(1, -1, 1, 1))


def _rand_layer(cls, *args, rng, **kw):
    layer = cls(*args, rng=rng, dtype=np.float64, **kw)
    if "b" in layer.params:
        layer.params["b"].data = rng.standard_normal(layer.params["b"].shape)
    return layer


# ---------------------------------------------------------------------------- document 001
def test_document_001_vertical_edge_example():
    """Document 001 §3.1.1: the 4x6 image with a vertical edge and F = [[1,0,-1]]x3."""
    a = 7.0
    image = np.array([[a, a, a, 0, 0, 0]] * 4).reshape(1, 1, 4, 6)
    conv = Conv2D(1, 1, 3, bias=False, dtype=np.float64)
    conv.params["W"].data = np.array([[1.0, 0.0, -1.0]] * 3).reshape(1, 1, 3, 3)
    out = conv(image)
    expected = np.array([[0, 3 * a, 3 * a, 0], [0, 3 * a, 3 * a, 0]])
    np.testing.assert_array_equal(out[0, 0], expected)


def test_document_001_sizes():
    """§3.1: a 3x3 filter on 200x300 gives 198x298; §3.1.3 with the corrected formula;
    §3.3: transposed 2x2 input, 2x2 filter gives 3x3."""
    assert Conv2D(1, 1, 3).output_shape((1, 200, 300)) == (1, 198, 298)
    # n=5, f=3, p=0, s=2: windows at 0 and 2 -> 2 outputs (the printed ⌊(n+2p−f+1)/s⌋ gives 1)
    assert Conv2D(1, 1, 3, stride=2).output_shape((1, 5, 5)) == (1, 2, 2)
    assert Conv2DTranspose(1, 1, 2).output_shape((1, 2, 2)) == (1, 3, 3)
    assert "+ 1" in Conv2D.__doc__ or "+1" in Conv2D.__doc__


def test_cross_correlation_is_flipped_true_convolution():
    """Document 000 §2.2's S(i,j) = Σ I(i−m, j−n) K(m,n) equals our cross-correlation with K
    rotated by 180° (valid part)."""
    rng = np.random.default_rng(0)
    I = rng.standard_normal((5, 6))
    K = rng.standard_normal((3, 2))
    conv = Conv2D(1, 1, (3, 2), bias=False, dtype=np.float64)
    conv.params["W"].data = K[::-1, ::-1].copy().reshape(1, 1, 3, 2)
    out = conv(I.reshape(1, 1, 5, 6))[0, 0]
    S = np.zeros((3, 5))
    for i in range(2, 5):  # valid region of the true convolution
        for j in range(1, 6):
            S[i - 2, j - 1] = sum(I[i - m, j - n] * K[m, n] for m in range(3) for n in range(2))
    np.testing.assert_allclose(out, S, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------- forward = definition
CONV_CASES = [
    # (C_in, C_out, kernel, stride, padding, (H, W))
    (2, 3, 3, 1, 0, (5, 6)),
    (2, 3, 3, 2, 1, (7, 6)),
    (1, 2, 4, 2, "same", (7, 5)),  # even kernel, stride > 1, odd extra
    (2, 2, (2, 3), (2, 1), "same", (5, 6)),
    (3, 2, (3, 2), (3, 2), (1, 2), (7, 4)),
    (2, 2, 2, 1, "same", (4, 5)),  # even kernel, stride 1
    (2, 1, 3, 2, "valid", (6, 9)),
]


@pytest.mark.parametrize("cin,cout,k,s,p,hw", CONV_CASES)
def test_conv2d_forward_matches_definition(cin, cout, k, s, p, hw):
    rng = np.random.default_rng(1)
    conv = _rand_layer(Conv2D, cin, cout, k, stride=s, padding=p, rng=rng)
    x = rng.standard_normal((2, cin) + hw)
    kh, kw = (k, k) if isinstance(k, int) else k
    sh, sw = (s, s) if isinstance(s, int) else s
    if p == "same":
        pads = tf_same(hw[0], kh, sh) + tf_same(hw[1], kw, sw)
    elif p == "valid":
        pads = (0, 0, 0, 0)
    else:
        ph, pw = (p, p) if isinstance(p, int) else p
        pads = (ph, ph, pw, pw)
    expected = naive_xcorr(x, conv.params["W"].data, conv.params["b"].data, (sh, sw), pads)
    out = conv(x)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    if p == "same":
        assert out.shape[2:] == (math.ceil(hw[0] / sh), math.ceil(hw[1] / sw))


CONVT_CASES = [
    # (C_in, C_out, kernel, stride, padding, output_padding, (H, W))
    (2, 3, 3, 1, 0, 0, (3, 4)),
    (2, 3, 3, 2, 1, 1, (3, 4)),
    (2, 2, 4, 2, 1, 0, (3, 3)),  # DCGAN's up-sampling block: doubles the size
    (3, 2, (3, 2), (2, 3), (1, 0), (1, 2), (3, 2)),
    (2, 2, 4, 2, "same", 0, (3, 2)),
    (2, 2, (2, 3), (3, 2), "same", 0, (2, 3)),  # kernel < stride along H
    (2, 1, 5, 1, "same", 0, (4, 3)),
]


@pytest.mark.parametrize("cin,cout,k,s,p,op,hw", CONVT_CASES)
def test_conv2d_transpose_forward_matches_definition(cin, cout, k, s, p, op, hw):
    rng = np.random.default_rng(2)
    layer = _rand_layer(Conv2DTranspose, cin, cout, k, stride=s, padding=p, output_padding=op, rng=rng)
    x = rng.standard_normal((2, cin) + hw)
    kh, kw = (k, k) if isinstance(k, int) else k
    sh, sw = (s, s) if isinstance(s, int) else s
    if p == "same":  # TensorFlow: out = in·stride
        out_hw = (hw[0] * sh, hw[1] * sw)
        crop = (tf_same(out_hw[0], kh, sh)[0], tf_same(out_hw[1], kw, sw)[0])
    else:
        ph, pw = (0, 0) if p == "valid" else ((p, p) if isinstance(p, int) else p)
        oph, opw = (op, op) if isinstance(op, int) else op
        out_hw = ((hw[0] - 1) * sh - 2 * ph + kh + oph, (hw[1] - 1) * sw - 2 * pw + kw + opw)
        crop = (ph, pw)
    expected = naive_transpose(x, layer.params["W"].data, layer.params["b"].data, (sh, sw), crop, out_hw)
    out = layer(x)
    assert out.shape == (2, cout) + out_hw
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- sizes (hypothesis)
@settings(max_examples=60, deadline=None)
@given(
    H=st.integers(1, 12),
    W=st.integers(1, 12),
    kh=st.integers(1, 5),
    kw=st.integers(1, 5),
    sh=st.integers(1, 4),
    sw=st.integers(1, 4),
    pad=st.one_of(
        st.integers(0, 3), st.tuples(st.integers(0, 3), st.integers(0, 3)), st.sampled_from(["same", "valid"])
    ),
)
def test_conv2d_output_shape_formula(H, W, kh, kw, sh, sw, pad):
    conv = Conv2D(2, 3, (kh, kw), stride=(sh, sw), padding=pad, dtype=np.float64)
    if pad == "same":
        expected = (math.ceil(H / sh), math.ceil(W / sw))
    else:
        ph, pw = (0, 0) if pad == "valid" else ((pad, pad) if isinstance(pad, int) else pad)
        if H + 2 * ph < kh or W + 2 * pw < kw:
            with pytest.raises(ValueError, match="larger than the padded input"):
                conv(np.zeros((1, 2, H, W)))
            return
        expected = ((H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1)
    out = conv(np.random.default_rng(0).standard_normal((2, 2, H, W)))
    assert out.shape == (2, 3) + expected
    assert conv.output_shape((2, H, W)) == (3,) + expected


@settings(max_examples=60, deadline=None)
@given(
    H=st.integers(1, 8),
    W=st.integers(1, 8),
    kh=st.integers(1, 5),
    kw=st.integers(1, 5),
    sh=st.integers(1, 4),
    sw=st.integers(1, 4),
    data=st.data(),
)
def test_conv2d_transpose_output_shape_formula(H, W, kh, kw, sh, sw, data):
    same = data.draw(st.booleans())
    if same:
        layer = Conv2DTranspose(2, 3, (kh, kw), stride=(sh, sw), padding="same", dtype=np.float64)
        expected = (H * sh, W * sw)  # TensorFlow's rule for Conv2DTranspose(padding="same")
    else:
        ph, pw = data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))
        oph, opw = data.draw(st.integers(0, sh - 1)), data.draw(st.integers(0, sw - 1))
        layer = Conv2DTranspose(
            2, 3, (kh, kw), stride=(sh, sw), padding=(ph, pw), output_padding=(oph, opw), dtype=np.float64
        )
        expected = ((H - 1) * sh - 2 * ph + kh + oph, (W - 1) * sw - 2 * pw + kw + opw)
        if min(expected) < 1:
            with pytest.raises(ValueError, match="non-positive output size"):
                layer(np.zeros((1, 2, H, W)))
            return
    out = layer(np.random.default_rng(0).standard_normal((1, 2, H, W)))
    assert out.shape == (1, 3) + expected
    assert layer.output_shape((2, H, W)) == (3,) + expected


@settings(max_examples=40, deadline=None)
@given(
    H=st.integers(2, 9),
    W=st.integers(2, 9),
    k=st.integers(1, 4),
    s=st.integers(1, 3),
    p=st.integers(0, 2),
    same=st.booleans(),
)
def test_transpose_is_the_adjoint_of_conv(H, W, k, s, p, same):
    """<Conv2D(x), y> = <x, Conv2DTranspose(y)> with the same weights: one mechanism, two directions."""
    rng = np.random.default_rng(3)
    if same:
        H, W = H * s, W * s
        conv = Conv2D(3, 2, k, stride=s, padding="same", bias=False, dtype=np.float64, rng=rng)
        convt = Conv2DTranspose(2, 3, k, stride=s, padding="same", bias=False, dtype=np.float64)
    else:
        if H + 2 * p < k or W + 2 * p < k:
            return
        oph, opw = (H + 2 * p - k) % s, (W + 2 * p - k) % s
        conv = Conv2D(3, 2, k, stride=s, padding=p, bias=False, dtype=np.float64, rng=rng)
        convt = Conv2DTranspose(2, 3, k, stride=s, padding=p, output_padding=(oph, opw), bias=False, dtype=np.float64)
    convt.params["W"].data = conv.params["W"].data
    x = rng.standard_normal((2, 3, H, W))
    y = conv(x)
    v = rng.standard_normal(y.shape)
    tx = convt(v)
    assert tx.shape == x.shape
    assert np.sum(y * v) == pytest.approx(np.sum(x * tx), rel=1e-10, abs=1e-10)


# ---------------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("cin,cout,k,s,p,hw", [c for c in CONV_CASES if not isinstance(c[4], str)])
def test_conv2d_matches_torch_forward_and_backward(cin, cout, k, s, p, hw):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(4)
    conv = _rand_layer(Conv2D, cin, cout, k, stride=s, padding=p, rng=rng)
    x = rng.standard_normal((3, cin) + hw)
    y = conv(x)
    dout = rng.standard_normal(y.shape)
    dx = conv.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    Wt = torch.tensor(conv.params["W"].data, requires_grad=True)
    bt = torch.tensor(conv.params["b"].data, requires_grad=True)
    yt = F.conv2d(xt, Wt, bt, stride=s, padding=p)
    yt.backward(torch.tensor(dout))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(conv.params["W"].grad, Wt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(conv.params["b"].grad, bt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
def test_conv2d_same_stride1_even_kernel_matches_torch_same():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    conv = _rand_layer(Conv2D, 2, 3, (2, 4), padding="same", rng=rng)
    x = rng.standard_normal((2, 2, 5, 7))
    yt = torch.nn.functional.conv2d(
        torch.tensor(x), torch.tensor(conv.params["W"].data), torch.tensor(conv.params["b"].data), padding="same"
    )
    np.testing.assert_allclose(conv(x), yt.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cin,cout,k,s,p,op,hw", [c for c in CONVT_CASES if not isinstance(c[4], str)])
def test_conv2d_transpose_matches_torch_forward_and_backward(cin, cout, k, s, p, op, hw):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(6)
    layer = _rand_layer(Conv2DTranspose, cin, cout, k, stride=s, padding=p, output_padding=op, rng=rng)
    x = rng.standard_normal((2, cin) + hw)
    y = layer(x)
    dout = rng.standard_normal(y.shape)
    dx = layer.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    Wt = torch.tensor(layer.params["W"].data, requires_grad=True)
    bt = torch.tensor(layer.params["b"].data, requires_grad=True)
    yt = F.conv_transpose2d(xt, Wt, bt, stride=s, padding=p, output_padding=op)
    yt.backward(torch.tensor(dout))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.params["W"].grad, Wt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.params["b"].grad, bt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv2d_transpose_same_is_cropped_full_torch_result():
    """TF 'same' for Conv2DTranspose = the full transposed convolution (torch, padding 0),
    cropped by max(k−s, 0) with the odd extra on the bottom/right, size in·stride."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    for k, s, hw in [(4, 2, (3, 5)), (5, 2, (4, 3)), (3, 1, (3, 4)), (5, 3, (2, 2))]:
        layer = _rand_layer(Conv2DTranspose, 2, 3, k, stride=s, padding="same", rng=rng)
        x = rng.standard_normal((2, 2) + hw)
        full = torch.nn.functional.conv_transpose2d(
            torch.tensor(x), torch.tensor(layer.params["W"].data), stride=s
        ).numpy()
        crop = max(k - s, 0) // 2
        expected = full[:, :, crop : crop + hw[0] * s, crop : crop + hw[1] * s] + layer.params["b"].data.reshape(
            1, -1, 1, 1
        )
        np.testing.assert_allclose(layer(x), expected, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- API, dtype, buffers
def test_weight_layouts_init_and_float32():
    c = Conv2D(3, 8, (3, 5), init="normal", rng=0)
    t = Conv2DTranspose(8, 4, 4, stride=2, padding=1, init="normal", rng=0)
    assert c.params["W"].shape == (8, 3, 3, 5) and c.params["b"].shape == (8,)
    assert t.params["W"].shape == (8, 4, 4, 4) and t.params["b"].shape == (4,)
    big = Conv2D(64, 64, 4, init="normal", rng=0).params["W"].data
    assert abs(float(big.std()) - 0.02) < 0.001 and abs(float(big.mean())) < 0.001
    assert "b" not in Conv2D(1, 1, 3, bias=False).params
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 9)).astype(np.float32)
    y = c(x)
    assert y.dtype == np.float32
    dx = c.backward(np.ones_like(y))
    assert dx.dtype == np.float32 and c.params["W"].grad.dtype == np.float32
    z = t(np.ones((2, 8, 3, 3), dtype=np.float32))
    assert z.dtype == np.float32 and z.shape == (2, 4, 6, 6)
    assert t.backward(np.ones_like(z)).dtype == np.float32


def test_im2col_buffer_reused_and_never_stale():
    rng = np.random.default_rng(8)
    conv = _rand_layer(Conv2D, 2, 2, 4, stride=2, padding="same", rng=rng)
    x8 = rng.standard_normal((2, 2, 8, 8))
    conv(x8)
    buf = conv._cache["cols"][1]
    conv.backward(np.ones((2, 2, 4, 4)))
    conv(x8 + 1.0)
    assert conv._cache["cols"][1] is buf  # same shape: the buffer is kept
    # H=7 and H=8 both pad to 10 rows with different padding: no stale rows may leak
    x7 = rng.standard_normal((2, 2, 7, 7))
    fresh = Conv2D(2, 2, 4, stride=2, padding="same", dtype=np.float64)
    fresh.params = conv.params
    np.testing.assert_allclose(conv(x7), fresh(x7), rtol=0, atol=0)


@pytest.mark.parametrize("cls,cin,cout", [(Conv2D, 4, 2), (Conv2DTranspose, 2, 4)])
def test_one_im2col_buffer_per_call_also_when_the_batch_size_changes(cls, cin, cout):
    """docs/architecture.md §9: a layer never holds two im2col buffers. The memory a forward + backward
    allocates beyond the change of its cached column buffer stays well below one column buffer:
    in the steady state (the column gradient reuses the buffer) and when a new batch size
    replaces the buffer (the old one is freed before the new one is allocated)."""
    import tracemalloc

    rng = np.random.default_rng(10)
    layer = _rand_layer(cls, cin, cout, 5, padding=2, rng=rng)  # 25 columns per input channel
    tracemalloc.start()
    try:
        for N in (8, 6, 6):
            x = rng.standard_normal((N, cin, 16, 16))
            cols_before = layer._cache["cols"][1].nbytes if "cols" in layer._cache else 0
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            y = layer(x)
            layer.backward(np.ones_like(y))
            cols = layer._cache["cols"][1].nbytes
            extra = tracemalloc.get_traced_memory()[1] - base - (cols - cols_before)
            assert extra < cols / 2, (N, extra, cols)
            del y
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "cls,cin,cout,pad", [(Conv2D, 2, 3, 1), (Conv2D, 2, 3, 0), (Conv2DTranspose, 3, 2, 1), (Conv2DTranspose, 3, 2, 0)]
)
def test_returned_arrays_never_alias_the_cached_buffers(cls, cin, cout, pad):
    """Outputs and input gradients are fresh arrays: the next call (which rewrites the cached
    buffers) leaves them unchanged."""
    rng = np.random.default_rng(11)
    layer = _rand_layer(cls, cin, cout, 3, stride=2, padding=pad, rng=rng)
    x = rng.standard_normal((2, cin, 6, 5))
    y = layer(x)
    dx = layer.backward(rng.standard_normal(y.shape))
    for arr in (y, dx):
        assert not any(np.shares_memory(arr, buf) for _, buf in layer._cache.values())
    y_copy, dx_copy = y.copy(), dx.copy()
    layer.backward(rng.standard_normal(layer(x + 1.0).shape))
    np.testing.assert_array_equal(y, y_copy)
    np.testing.assert_array_equal(dx, dx_copy)


def test_sequential_summary_with_conv_layers():
    G = mg.Sequential(
        Conv2DTranspose(8, 4, 4, stride=2, padding=1), mg.ReLU(), Conv2DTranspose(4, 1, 4, stride=2, padding="same")
    )
    D = mg.Sequential(Conv2D(1, 4, 4, 2, 1), mg.LeakyReLU(0.2), Conv2D(4, 8, 4, 2, 1))
    assert G.output_shape((8, 7, 7)) == (1, 28, 28)
    assert D.output_shape((1, 28, 28)) == (8, 7, 7)
    rows = D.summary((1, 28, 28), print_fn=None)
    assert rows[0][2] == 4 * 1 * 16 + 4 and rows[2][2] == 8 * 4 * 16 + 8


@pytest.mark.parametrize("cls", [Conv2D, Conv2DTranspose])
def test_output_shape_validates_the_input_shape_like_forward(cls):
    layer = cls(3, 2, 3)
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(3, 2.*axis 1 must have size 3"):
        layer.output_shape((1, 8, 8))
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(3, 2.*must be 4-D"):
        layer.output_shape((8, 8))


def test_gradchecks_registered_for_every_configuration_family():
    names = [c.name for c in gradcheck.registered_cases()]
    conv = [n for n in names if n.startswith("Conv2D(")]
    convt = [n for n in names if n.startswith("Conv2DTranspose(")]
    assert any("stride=2" in n for n in conv) and any("'same'" in n and ",4," in n for n in conv)
    assert any("(2,3)" in n for n in conv)
    assert any("output_padding" in n for n in convt) and any("'same'" in n for n in convt)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: Conv2D(0, 2, 3), "Conv2D: in_channels must be an int >= 1"),
        (lambda: Conv2D(1, 2, 0), "Conv2D: kernel_size must be an int >= 1"),
        (lambda: Conv2D(1, 2, (3, -1)), "kernel_size"),
        (lambda: Conv2D(1, 2, (3, 3, 3)), "kernel_size must be an int or a pair"),
        (lambda: Conv2D(1, 2, 3, stride=0), "stride must be an int >= 1"),
        (lambda: Conv2D(1, 2, 3, padding=-1), "padding must be an int >= 0"),
        (lambda: Conv2D(1, 2, 3, padding="full"), "padding must be an int >= 0, a pair of ints, 'valid' or 'same'"),
        (lambda: Conv2D(1, 2, 3, output_padding=1), "only defined for Conv2DTranspose"),
        (lambda: Conv2DTranspose(1, 2, 3, stride=2, output_padding=2), "output_padding must be smaller than stride"),
        (lambda: Conv2DTranspose(1, 2, 3, stride=1, output_padding=1), "output_padding must be smaller than stride"),
        (lambda: Conv2DTranspose(1, 2, 4, stride=2, padding="same", output_padding=1), "must be 0 with padding='same'"),
        (lambda: Conv2D(1, 2, 3, init="nope"), "init must be one of"),
    ],
)
def test_constructor_errors(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_padding_type_error():
    with pytest.raises(TypeError, match="Conv2D: padding"):
        Conv2D(1, 2, 3, padding=1.5)


@pytest.mark.parametrize("cls", [Conv2D, Conv2DTranspose])
def test_input_errors(cls):
    layer = cls(3, 2, 3)
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(3, 2.*axis 1 must have size 3"):
        layer(np.zeros((1, 4, 8, 8)))
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(3, 2.*must be 4-D"):
        layer(np.zeros((3, 8, 8)))
    with pytest.raises(TypeError, match="floating dtype"):
        layer(np.zeros((1, 3, 8, 8), dtype=np.int64))
    with pytest.raises(RuntimeError, match="before forward"):
        cls(3, 2, 3).backward(np.zeros((1, 2, 6, 6)))


def test_kernel_larger_than_padded_input_and_empty_transposed_output():
    with pytest.raises(
        ValueError, match=r"Conv2D\(1, 1, kernel_size=5.*kernel 5x5 is larger than the padded input 4x6"
    ):
        Conv2D(1, 1, 5)(np.zeros((1, 1, 4, 6)))
    assert Conv2D(1, 1, 5, padding=1)(np.zeros((1, 1, 4, 6))).shape == (1, 1, 2, 4)
    with pytest.raises(ValueError, match="Conv2DTranspose.*non-positive output size"):
        Conv2DTranspose(1, 1, 1, padding=2)(np.zeros((1, 1, 2, 2)))


@settings(max_examples=30, deadline=None)
@given(bad=st.one_of(st.integers(-5, 0), st.floats(0.5, 3.5), st.text(max_size=3), st.booleans()))
def test_bad_kernel_sizes_raise_clear_errors(bad):
    with pytest.raises((ValueError, TypeError), match="Conv2D: kernel_size"):
        Conv2D(1, 1, bad)


# ---------------------------------------------------------------------------- devices
def test_every_conv_family_layer_is_device_clean(device):
    """Forward + backward of each layer on every backend (the CuPy stand-in refuses silent
    host conversions), equal to the CPU result, with no host traffic inside the step."""
    import fakegpu as fg

    from minigan import backend

    rng = np.random.default_rng(9)
    layers = [
        (Conv2D(2, 3, 4, stride=2, padding="same", rng=0), (2, 2, 7, 6)),
        (Conv2D(2, 3, 3, stride=1, padding=0, rng=0), (2, 2, 5, 5)),
        (Conv2DTranspose(2, 3, 4, stride=2, padding=1, rng=0), (2, 2, 3, 4)),
        (Conv2DTranspose(2, 3, 3, stride=2, padding="same", rng=0), (2, 2, 3, 3)),
        (mg.MaxPool2D(2), (2, 2, 4, 6)),
        (mg.MaxPool2D(3, 2), (2, 2, 7, 5)),
        (mg.AvgPool2D(2), (2, 2, 4, 6)),
        (mg.AvgPool2D(3, 2), (2, 2, 7, 5)),
        (mg.BatchNorm(2), (4, 2, 3, 3)),
        (mg.BatchNorm(2), (5, 2)),
    ]
    for layer, shape in layers:
        x = rng.standard_normal(shape).astype(np.float32)
        ref = layer(x)
        dout = rng.standard_normal(ref.shape).astype(np.float32)
        ref_dx = layer.backward(dout)
        ref_grads = [p.grad.copy() for p in layer.parameters()]
        layer.zero_grad()
        if isinstance(layer, mg.BatchNorm):
            layer.buffers["running_mean"][...] = 0
            layer.buffers["running_var"][...] = 1
        layer.to(device)
        xd, dd = backend.asarray(x, device), backend.asarray(dout, device)
        guard = fg.forbid_host_traffic() if device == "gpu" and not backend.cupy_available() else _null()
        with guard:
            y = layer(xd)
            dx = layer.backward(dd)
        np.testing.assert_allclose(backend.as_numpy(y), ref, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(backend.as_numpy(dx), ref_dx, rtol=1e-5, atol=1e-6)
        for p, g in zip(layer.parameters(), ref_grads):
            np.testing.assert_allclose(backend.as_numpy(p.grad), g, rtol=1e-5, atol=1e-5)
        layer.to("cpu")


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

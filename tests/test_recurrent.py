"""RNN and LSTM: forward from the definition, BPTT against finite differences and PyTorch,
initial/final-state gradients, validation, and gradient clipping of an exploding RNN."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan.gradcheck import numerical_gradient, rel_error


# ---------------------------------------------------------------------------- references
def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def ref_rnn(x, W_ih, W_hh, b, h0, f):
    """The definition, one sample and one step at a time: h_t = f(W_ih x_t + W_hh h_{t-1} + b)."""
    N, T, _ = x.shape
    out = np.zeros((N, T, W_hh.shape[0]))
    for n in range(N):
        h = h0[n].copy()
        for t in range(T):
            h = f(W_ih.dot(x[n, t]) + W_hh.dot(h) + b)
            out[n, t] = h
    return out


def ref_lstm(x, W_ih, W_hh, b, h0, c0):
    """PyTorch's LSTM equations, one sample and one step at a time."""
    N, T, _ = x.shape
    H = W_hh.shape[1]
    hs, cs = np.zeros((N, T, H)), np.zeros((N, T, H))
    for n in range(N):
        h, c = h0[n].copy(), c0[n].copy()
        for t in range(T):
            a = W_ih.dot(x[n, t]) + W_hh.dot(h) + b
            i, f, g, o = _sig(a[:H]), _sig(a[H : 2 * H]), np.tanh(a[2 * H : 3 * H]), _sig(a[3 * H :])
            c = f * c + i * g
            h = o * np.tanh(c)
            hs[n, t], cs[n, t] = h, c
    return hs, cs


def _p(m, name):
    return m.params[name].data


# ---------------------------------------------------------------------------- forward by hand
def test_count_the_ones_closed_form():
    """Document 003 ch. 2: with U = W = 1 the linear cell s_t = s_{t-1} W + x_t U counts the ones."""
    rnn = mg.RNN(1, 1, nonlinearity="linear", bias=False, dtype=np.float64)
    _p(rnn, "W_ih")[...] = 1.0
    _p(rnn, "W_hh")[...] = 1.0
    x = np.array([[0, 0, 0, 0, 1, 0, 1, 0, 1, 0]], dtype=np.float64)[..., None]
    hs = rnn(x)
    assert hs.shape == (1, 10, 1)
    np.testing.assert_array_equal(hs[0, :, 0], np.cumsum(x[0, :, 0]))
    assert rnn.h_n[0, 0] == 3.0
    # W = 0.5 decays the count: s = 1, 0.5, 1.25 for x = 1, 0, 1
    _p(rnn, "W_hh")[...] = 0.5
    np.testing.assert_allclose(rnn(np.array([[[1.0], [0.0], [1.0]]]))[0, :, 0], [1.0, 0.5, 1.25])


def test_count_the_ones_bptt_matches_the_documents_formula():
    """Document 003 BPTT for the scalar cell: gU = Σ_k gS_k x_k, gW = Σ_k gS_k s_{k-1}, gS_{k-1} = gS_k W,
    with gS_T = 2 (s_T - y). Computed here by hand for x = (1, 0, 1), U = 0.5, W = -1.5, y = 3."""
    U, W, y = 0.5, -1.5, 3.0
    x = [1.0, 0.0, 1.0]
    s = [0.0]
    for xt in x:
        s.append(s[-1] * W + xt * U)
    gS, gU, gW = 2 * (s[-1] - y), 0.0, 0.0
    for k in range(3, 0, -1):
        gU += gS * x[k - 1]
        gW += gS * s[k - 1]
        gS *= W
    rnn = mg.RNN(1, 1, nonlinearity="linear", bias=False, dtype=np.float64)
    _p(rnn, "W_ih")[...] = U
    _p(rnn, "W_hh")[...] = W
    hs = rnn(np.array(x).reshape(1, 3, 1))
    assert hs[0, -1, 0] == pytest.approx(s[-1])
    dout = np.zeros_like(hs)
    dout[0, -1, 0] = 2 * (hs[0, -1, 0] - y)
    rnn.backward(dout)
    assert rnn.params["W_ih"].grad[0, 0] == pytest.approx(gU)
    assert rnn.params["W_hh"].grad[0, 0] == pytest.approx(gW)
    assert rnn.dh0[0, 0] == pytest.approx(gS)  # ∂C/∂s_0 = gS after the last step back


def test_lstm_forward_by_hand():
    """D = H = 1, only the cell candidate g reads x: i = f = o = σ(0) = 1/2, g = tanh(x)."""
    lstm = mg.LSTM(1, 1, bias=False, dtype=np.float64)
    _p(lstm, "W_ih")[...] = np.array([[0.0], [0.0], [1.0], [0.0]])
    _p(lstm, "W_hh")[...] = 0.0
    hs = lstm(np.array([[[1.0], [2.0]]]))
    c1 = 0.5 * math.tanh(1.0)
    c2 = 0.5 * c1 + 0.5 * math.tanh(2.0)
    np.testing.assert_allclose(hs[0, :, 0], [0.5 * math.tanh(c1), 0.5 * math.tanh(c2)], rtol=1e-12)
    assert lstm.c_n[0, 0] == pytest.approx(c2)
    assert lstm.h_n[0, 0] == pytest.approx(0.5 * math.tanh(c2))


@pytest.mark.parametrize("nonlinearity,f", [("tanh", np.tanh), ("relu", lambda a: np.maximum(a, 0))])
def test_rnn_forward_matches_definition(nonlinearity, f, rng):
    rnn = mg.RNN(3, 5, nonlinearity=nonlinearity, rng=rng, dtype=np.float64)
    x, h0 = rng.standard_normal((4, 6, 3)), rng.standard_normal((4, 5))
    b = _p(rnn, "b_ih") + _p(rnn, "b_hh")
    np.testing.assert_allclose(rnn(x, h0=h0), ref_rnn(x, _p(rnn, "W_ih"), _p(rnn, "W_hh"), b, h0, f), rtol=1e-12)
    np.testing.assert_allclose(rnn(x), ref_rnn(x, _p(rnn, "W_ih"), _p(rnn, "W_hh"), b, 0 * h0, f), rtol=1e-12)


def test_lstm_forward_matches_definition(rng):
    lstm = mg.LSTM(3, 4, rng=rng, dtype=np.float64)
    x, h0, c0 = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    hs_ref, cs_ref = ref_lstm(x, _p(lstm, "W_ih"), _p(lstm, "W_hh"), _p(lstm, "b_ih") + _p(lstm, "b_hh"), h0, c0)
    np.testing.assert_allclose(lstm(x, h0=h0, c0=c0), hs_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(lstm.c_n, cs_ref[:, -1], rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------- state gradients
def _scalar(layer, x, dout, dh_n, dc_n=None, **state):
    hs = layer.forward(x, **state)
    c = float(np.sum(hs * dout) + np.sum(layer.h_n * dh_n))
    if dc_n is not None:
        c += float(np.sum(layer.c_n * dc_n))
    return c


@pytest.mark.parametrize("nonlinearity", ["tanh", "linear"])
def test_rnn_dh0_and_dh_n_numerically(nonlinearity, rng):
    rnn = mg.RNN(3, 4, nonlinearity=nonlinearity, rng=rng, dtype=np.float64)
    x, h0 = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 4))
    dout, dh_n = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4))
    rnn.forward(x, h0=h0)
    dx = rnn.backward(dout, dh_n=dh_n)
    f = lambda: _scalar(rnn, x, dout, dh_n, h0=h0)
    assert rel_error(rnn.dh0, numerical_gradient(f, h0)) < 1e-7
    assert rel_error(dx, numerical_gradient(f, x)) < 1e-7
    # the dh_n path alone: dout = 0
    rnn.forward(x, h0=h0)
    rnn.backward(np.zeros_like(dout), dh_n=dh_n)
    g = lambda: _scalar(rnn, x, 0 * dout, dh_n, h0=h0)
    assert rel_error(rnn.dh0, numerical_gradient(g, h0)) < 1e-7


def test_lstm_dh0_dc0_dh_n_dc_n_numerically(rng):
    lstm = mg.LSTM(3, 4, rng=rng, dtype=np.float64)
    x, h0, c0 = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    dout, dh_n, dc_n = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    lstm.forward(x, h0=h0, c0=c0)
    dx = lstm.backward(dout, dh_n=dh_n, dc_n=dc_n)
    dh0, dc0 = lstm.dh0.copy(), lstm.dc0.copy()
    f = lambda: _scalar(lstm, x, dout, dh_n, dc_n, h0=h0, c0=c0)
    assert rel_error(dh0, numerical_gradient(f, h0)) < 1e-7
    assert rel_error(dc0, numerical_gradient(f, c0)) < 1e-7
    assert rel_error(dx, numerical_gradient(f, x)) < 1e-7
    # only dc_n flows: the gradient reaches c0 through the cell path alone
    lstm.forward(x, h0=h0, c0=c0)
    lstm.backward(np.zeros_like(dout), dh_n=np.zeros_like(dh_n), dc_n=dc_n)
    g = lambda: _scalar(lstm, x, 0 * dout, 0 * dh_n, dc_n, h0=h0, c0=c0)
    assert rel_error(lstm.dc0, numerical_gradient(g, c0)) < 1e-7


def test_pytorch_shaped_state_round_trips(rng):
    """h0 of shape (1, N, H) (PyTorch's num_layers axis) is accepted and dh0 comes back in it."""
    lstm = mg.LSTM(2, 3, rng=rng, dtype=np.float64)
    x, h0, c0 = rng.standard_normal((2, 4, 2)), rng.standard_normal((1, 2, 3)), rng.standard_normal((1, 2, 3))
    a = lstm(x, h0=h0, c0=c0)
    lstm.backward(np.ones_like(a))
    assert lstm.dh0.shape == (1, 2, 3) and lstm.dc0.shape == (1, 2, 3)
    np.testing.assert_allclose(a, lstm(x, h0=h0[0], c0=c0[0]))


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_truncated_bptt_chunks_equal_one_pass(kind, rng):
    """Document 003's truncated BPTT: the last state of one chunk is the next chunk's initial
    state. Run forward in two chunks, pass dh0 (dc0) back as dh_n (dc_n): outputs and every
    gradient must equal one pass over the whole sequence."""
    make = (
        (lambda: mg.RNN(3, 4, rng=7, dtype=np.float64))
        if kind == "rnn"
        else (lambda: mg.LSTM(3, 4, rng=7, dtype=np.float64))
    )
    whole, part = make(), make()
    x, dout = rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 6, 4))
    hs = whole(x)
    dx = whole.backward(dout)
    hs1 = part(x[:, :4])
    st = {"h0": part.h_n.copy()} if kind == "rnn" else {"h0": part.h_n.copy(), "c0": part.c_n.copy()}
    part2 = make()
    for k in part.params:
        part2.params[k] = part.params[k]  # shared weights (same Parameter objects)
    hs2 = part2.forward(x[:, 4:], **st)
    np.testing.assert_allclose(np.concatenate([hs1, hs2], axis=1), hs, rtol=1e-12)
    dx2 = part2.backward(dout[:, 4:])
    kw = {"dh_n": part2.dh0} if kind == "rnn" else {"dh_n": part2.dh0, "dc_n": part2.dc0}
    dx1 = part.backward(dout[:, :4], **kw)
    np.testing.assert_allclose(np.concatenate([dx1, dx2], axis=1), dx, rtol=1e-10, atol=1e-12)
    for k in whole.params:
        np.testing.assert_allclose(part.params[k].grad, whole.params[k].grad, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- PyTorch
def _torch_pair(kind, D, H, nonlinearity, rng):
    torch = pytest.importorskip("torch")
    if kind == "rnn":
        ours = mg.RNN(D, H, nonlinearity=nonlinearity, rng=rng, dtype=np.float64)
        theirs = torch.nn.RNN(D, H, nonlinearity=nonlinearity, batch_first=True).double()
    else:
        ours = mg.LSTM(D, H, rng=rng, dtype=np.float64)
        theirs = torch.nn.LSTM(D, H, batch_first=True).double()
    with torch.no_grad():
        for ours_name, torch_name in [
            ("W_ih", "weight_ih_l0"),
            ("W_hh", "weight_hh_l0"),
            ("b_ih", "bias_ih_l0"),
            ("b_hh", "bias_hh_l0"),
        ]:
            getattr(theirs, torch_name).copy_(torch.from_numpy(_p(ours, ours_name)))
    return torch, ours, theirs


@pytest.mark.parametrize("kind,nonlinearity", [("rnn", "tanh"), ("rnn", "relu"), ("lstm", None)])
@pytest.mark.parametrize("with_state", [False, True])
def test_against_pytorch(kind, nonlinearity, with_state, rng):
    N, T, D, H = 3, 5, 4, 6
    torch, ours, theirs = _torch_pair(kind, D, H, nonlinearity, rng)
    x = rng.standard_normal((N, T, D))
    dout, dh_n, dc_n = rng.standard_normal((N, T, H)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    xt = torch.from_numpy(x).requires_grad_()
    h0t = torch.from_numpy(h0[None].copy()).requires_grad_()
    c0t = torch.from_numpy(c0[None].copy()).requires_grad_()
    if kind == "rnn":
        out_t, hn_t = theirs(xt, h0t) if with_state else theirs(xt)
        loss = (out_t * torch.from_numpy(dout)).sum() + (hn_t[0] * torch.from_numpy(dh_n)).sum()
        out = ours(x, h0=h0) if with_state else ours(x)
        dx = ours.backward(dout, dh_n=dh_n)
    else:
        out_t, (hn_t, cn_t) = theirs(xt, (h0t, c0t)) if with_state else theirs(xt)
        loss = (
            (out_t * torch.from_numpy(dout)).sum()
            + (hn_t[0] * torch.from_numpy(dh_n)).sum()
            + (cn_t[0] * torch.from_numpy(dc_n)).sum()
        )
        out = ours(x, h0=h0, c0=c0) if with_state else ours(x)
        dx = ours.backward(dout, dh_n=dh_n, dc_n=dc_n)
        np.testing.assert_allclose(ours.c_n, cn_t[0].detach().numpy(), rtol=1e-10, atol=1e-12)
    loss.backward()
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.h_n, hn_t[0].detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    for ours_name, torch_name in [
        ("W_ih", "weight_ih_l0"),
        ("W_hh", "weight_hh_l0"),
        ("b_ih", "bias_ih_l0"),
        ("b_hh", "bias_hh_l0"),
    ]:
        np.testing.assert_allclose(
            ours.params[ours_name].grad,
            getattr(theirs, torch_name).grad.numpy(),
            rtol=1e-9,
            atol=1e-11,
            err_msg=ours_name,
        )
    if with_state:
        np.testing.assert_allclose(ours.dh0, h0t.grad[0].numpy(), rtol=1e-9, atol=1e-11)
        if kind == "lstm":
            np.testing.assert_allclose(ours.dc0, c0t.grad[0].numpy(), rtol=1e-9, atol=1e-11)


def test_parameter_shapes_are_pytorchs():
    torch = pytest.importorskip("torch")
    for ours, theirs in [
        (mg.RNN(3, 5), torch.nn.RNN(3, 5, batch_first=True)),
        (mg.LSTM(3, 5), torch.nn.LSTM(3, 5, batch_first=True)),
    ]:
        assert [p.shape for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]


# ---------------------------------------------------------------------------- shapes (hypothesis)
@settings(max_examples=25, deadline=None)
@given(
    N=st.integers(1, 4),
    T=st.integers(1, 5),
    D=st.integers(1, 4),
    H=st.integers(1, 5),
    kind=st.sampled_from(["rnn", "lstm"]),
    seed=st.integers(0, 2**16),
)
def test_shapes_and_values_for_any_size(N, T, D, H, kind, seed):
    rng = np.random.default_rng(seed)
    layer = mg.RNN(D, H, rng=rng, dtype=np.float64) if kind == "rnn" else mg.LSTM(D, H, rng=rng, dtype=np.float64)
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    hs = layer(x, h0=h0)
    assert hs.shape == (N, T, H) and layer.h_n.shape == (N, H)
    np.testing.assert_array_equal(layer.h_n, hs[:, -1])
    b = _p(layer, "b_ih") + _p(layer, "b_hh")
    if kind == "rnn":
        ref = ref_rnn(x, _p(layer, "W_ih"), _p(layer, "W_hh"), b, h0, np.tanh)
    else:
        ref = ref_lstm(x, _p(layer, "W_ih"), _p(layer, "W_hh"), b, h0, np.zeros((N, H)))[0]
    np.testing.assert_allclose(hs, ref, rtol=1e-11, atol=1e-13)
    dx = layer.backward(rng.standard_normal((N, T, H)))
    assert dx.shape == (N, T, D) and layer.dh0.shape == (N, H)
    for p in layer.parameters():
        assert p.grad.shape == p.data.shape and np.isfinite(p.grad).all()


# ---------------------------------------------------------------------------- init, dtype
@pytest.mark.parametrize("cls,G", [(mg.RNN, 1), (mg.LSTM, 4)])
def test_pytorch_init_range_and_seed(cls, G):
    H = 16
    a = cls(5, H, rng=3)
    bound = 1 / math.sqrt(H)
    assert a.params["W_ih"].shape == (G * H, 5) and a.params["b_hh"].shape == (G * H,)
    for p in a.parameters():
        assert p.dtype == np.float32
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.8 * bound
    b = cls(5, H, rng=3)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    c = cls(5, H, init="xavier", rng=3)
    assert np.all(c.params["b_ih"].data == 0) and np.abs(c.params["W_ih"].data).max() > bound


@pytest.mark.parametrize("cls", [mg.RNN, mg.LSTM])
def test_float32_default_and_float64(cls, rng):
    layer = cls(3, 4, rng=rng)
    out = layer(rng.standard_normal((2, 3, 3)).astype(np.float32))
    assert out.dtype == np.float32
    assert layer.backward(np.ones_like(out)).dtype == np.float32
    layer.astype(np.float64)
    assert layer(rng.standard_normal((2, 3, 3))).dtype == np.float64


def test_inside_sequential_and_summary(rng):
    model = mg.Sequential(mg.LSTM(3, 4, rng=rng), mg.RNN(4, 2, nonlinearity="relu", rng=rng))
    out = model(rng.standard_normal((2, 5, 3)).astype(np.float32))
    assert out.shape == (2, 5, 2)
    assert model.backward(np.ones_like(out)).shape == (2, 5, 3)
    rows = model.summary((5, 3), print_fn=None)
    assert [r[1] for r in rows] == [(5, 4), (5, 2)]
    assert [r[2] for r in rows] == [4 * 4 * (3 + 4 + 2), 2 * (4 + 2 + 2)]


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls", [mg.RNN, mg.LSTM])
def test_bad_inputs_raise_clear_errors(cls, rng):
    layer = cls(3, 4, rng=rng)
    with pytest.raises(ValueError, match=r"input must be 3-D \(N, T, 3\)"):
        layer(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"axis 2 must have size 3"):
        layer(np.zeros((2, 5, 4), np.float32))
    with pytest.raises(ValueError, match="at least one time step"):
        layer(np.zeros((2, 0, 3), np.float32))
    with pytest.raises(TypeError, match="floating dtype"):
        layer(np.zeros((2, 5, 3), np.int64))
    with pytest.raises(ValueError, match=r"h0 must have shape \(N, H\) = \(2, 4\).*got \(3, 4\)"):
        layer(np.zeros((2, 5, 3), np.float32), h0=np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match=r"h0 must be 2-D or 3-D"):
        layer(np.zeros((2, 5, 3), np.float32), h0=np.zeros(4, np.float32))
    fresh = cls(3, 4, rng=rng)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        fresh.backward(np.zeros((2, 5, 4), np.float32))
    layer(np.zeros((2, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"dout must have the output's shape \(2, 5, 4\)"):
        layer.backward(np.zeros((2, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"dh_n must have shape"):
        layer.backward(np.zeros((2, 5, 4), np.float32), dh_n=np.zeros((2, 5), np.float32))
    layer.backward(np.zeros((2, 5, 4), np.float32))
    with pytest.raises(RuntimeError, match="backward called before forward"):  # not twice per forward
        layer.backward(np.zeros((2, 5, 4), np.float32))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        mg.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size must be an int >= 1"):
        mg.LSTM(3, 0)
    with pytest.raises(TypeError, match="input_size must be an int"):
        mg.RNN(3.0, 4)
    with pytest.raises(ValueError, match="init must be one of"):
        mg.LSTM(3, 4, init="nope")


@settings(max_examples=20, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=1, max_size=4))
def test_any_wrong_input_shape_raises_valueerror(shape):
    layer = mg.LSTM(3, 2)
    x = np.zeros(shape, np.float32)
    if len(shape) == 3 and shape[2] == 3 and shape[1] >= 1:
        assert layer(x).shape == (shape[0], shape[1], 2)
    else:
        with pytest.raises(ValueError, match=r"LSTM\(3, 2\)"):
            layer(x)


# ---------------------------------------------------------------------------- clipping
def _exploding_rnn():
    """A linear RNN whose W_hh = 1.5·I makes ∂h_T/∂h_0 = 1.5^T: the gradient explodes with T."""
    rnn = mg.RNN(2, 3, nonlinearity="linear", bias=False, rng=0, dtype=np.float64)
    rnn.params["W_hh"].data[...] = 1.5 * np.eye(3)
    x = np.random.default_rng(0).standard_normal((4, 40, 2))
    return rnn, x


def _grad_norm(params):
    return math.sqrt(sum(float(np.sum(p.grad**2)) for p in params))


def test_optimizer_clip_norm_bounds_an_exploding_rnn_gradient():
    from minigan.nn import optim

    rnn, x = _exploding_rnn()
    hs = rnn(x)
    rnn.backward(np.ones_like(hs))
    norm = _grad_norm(rnn.parameters())
    assert norm > 1e6  # it does explode: 1.5^40 ≈ 1.1e7
    before = [p.data.copy() for p in rnn.parameters()]
    grads = [p.grad.copy() for p in rnn.parameters()]
    lr, max_norm = 0.1, 1.0
    optim.SGD(rnn.parameters(), lr=lr, clip_norm=max_norm).step()
    steps = [(b - p.data) / lr for b, p in zip(before, rnn.parameters())]
    # the step is the gradient rescaled to global norm max_norm: same direction, norm 1
    assert math.sqrt(sum(float(np.sum(s**2)) for s in steps)) == pytest.approx(max_norm, rel=1e-6)
    for s, g in zip(steps, grads):
        np.testing.assert_allclose(s, g * (max_norm / norm), rtol=1e-6, atol=1e-12)


def test_clip_grad_norm_function_on_rnn_gradients():
    from minigan.nn.clipping import clip_grad_norm

    rnn, x = _exploding_rnn()
    rnn.backward(np.ones_like(rnn(x)))
    norm = _grad_norm(rnn.parameters())
    total = clip_grad_norm(rnn.parameters(), 5.0)
    assert float(total) == pytest.approx(norm, rel=1e-9)
    assert _grad_norm(rnn.parameters()) == pytest.approx(5.0, rel=1e-6)
    # below the threshold nothing changes
    g = [p.grad.copy() for p in rnn.parameters()]
    clip_grad_norm(rnn.parameters(), 1e300)
    for a, p in zip(g, rnn.parameters()):
        np.testing.assert_array_equal(a, p.grad)

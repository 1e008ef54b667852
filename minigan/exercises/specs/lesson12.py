"""Graders of lesson 12: the RNN step, backpropagation through time, the LSTM cell's backward
pass and clipping by global norm."""

from __future__ import annotations

import numpy as np

from ...nn.clipping import clip_grad_norm
from ...nn.module import Parameter
from ...nn.recurrent import LSTM, RNN
from ..model import Case, Exercise, Mutant
from ..solutions import lesson12 as sol
from .common import array_like, normal, numeric_grads, set_params, unpack


def _rnn(W_ih, W_hh, b):
    H, D = W_ih.shape
    layer = RNN(D, H, dtype=np.float64, rng=0)
    set_params(layer, W_ih=W_ih, W_hh=W_hh, b_ih=b, b_hh=np.zeros(H))
    return layer


def _weights(rng, rows, D, H):
    return normal(rng, rows, D, scale=0.6), normal(rng, rows, H, scale=0.6), normal(rng, rows, scale=0.3)


# ---------------------------------------------------------------------------- rnn_step
def _step_cases(rng):
    cases = []
    for N, D, H in [(3, 4, 5), (1, 2, 3), (4, 3, 3)]:
        W_ih, W_hh, b = _weights(rng, H, D, H)
        x_t, h_prev = normal(rng, N, D), normal(rng, N, H, scale=0.5)
        h_t = _rnn(W_ih, W_hh, b)(x_t[:, None, :], h0=h_prev)[:, 0]
        cases.append(Case(f"N={N}, D={D}, H={H}", (x_t, h_prev, W_ih, W_hh, b), {}, h_t.copy()))
    return cases


# ---------------------------------------------------------------------------- rnn_bptt
def _rnn_states(x, h0, W_ih, W_hh, b):
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W_ih.T + h @ W_hh.T + b)
        hs.append(h)
    return np.stack(hs, axis=1)


def _bptt_cases(rng):
    cases = []
    for N, T, D, H in [(2, 4, 3, 5), (1, 3, 2, 3), (3, 5, 2, 2)]:
        W_ih, W_hh, b = _weights(rng, H, D, H)
        x, h0 = normal(rng, N, T, D), normal(rng, N, H, scale=0.5)
        layer = _rnn(W_ih, W_hh, b)
        hs = layer(x, h0=h0).copy()
        dout = normal(rng, N, T, H)
        layer.zero_grad()
        dx = layer.backward(dout)
        expected = (dx, layer.W_ih.grad.copy(), layer.W_hh.grad.copy(), layer.b_ih.grad.copy(), np.array(layer.dh0))
        scalar = lambda x, W_ih, W_hh, b, h0, dout=dout: np.sum(_rnn_states(x, h0, W_ih, W_hh, b) * dout)
        num = numeric_grads(scalar, [x, W_ih, W_hh, b, h0], range(5))
        cases.append(
            Case(f"N={N}, T={T}, D={D}, H={H}", (dout, x, hs, h0, W_ih, W_hh), {}, expected, dict(enumerate(num)))
        )
    return cases


def _bptt_variant(carry=True, tanh_grad=True, read_state=True):
    def bptt(dout, x, hs, h0, W_ih, W_hh):
        N, T, H = hs.shape
        dx = np.zeros(x.shape)
        dW_ih, dW_hh, db = np.zeros(W_ih.shape), np.zeros(W_hh.shape), np.zeros(H)
        dh_next = np.zeros((N, H))
        delta = np.zeros((N, H))
        for t in reversed(range(T)):
            h_prev = hs[:, t - 1] if t > 0 else h0
            g = dout[:, t] + (dh_next if carry else 0.0)
            delta = g * (1 - hs[:, t] ** 2) if tanh_grad else g
            dW_ih += delta.T @ x[:, t]
            dW_hh += delta.T @ (h_prev if read_state else hs[:, t])
            db += delta.sum(axis=0)
            dx[:, t] = delta @ W_ih
            dh_next = delta @ W_hh
        return dx, dW_ih, dW_hh, db, dh_next

    return bptt


# ---------------------------------------------------------------------------- lstm_cell_backward
def _lstm_cell(x, h_prev, c_prev, W_ih, W_hh, b):
    H = h_prev.shape[1]
    a = x @ W_ih.T + h_prev @ W_hh.T + b
    sig = lambda v: 1 / (1 + np.exp(-v))
    i, f, g, o = sig(a[:, :H]), sig(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), sig(a[:, 3 * H :])
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def _lstm_cases(rng):
    cases = []
    for N, D, H in [(3, 4, 2), (2, 3, 3), (1, 2, 4)]:
        W_ih, W_hh, b = _weights(rng, 4 * H, D, H)
        x, h_prev, c_prev = normal(rng, N, D), normal(rng, N, H, scale=0.5), normal(rng, N, H)
        dh, dc = normal(rng, N, H), normal(rng, N, H)
        layer = LSTM(D, H, dtype=np.float64, rng=0)
        set_params(layer, W_ih=W_ih, W_hh=W_hh, b_ih=b, b_hh=np.zeros(4 * H))
        layer(x[:, None, :], h0=h_prev, c0=c_prev)
        layer.zero_grad()
        dx = layer.backward(dh[:, None, :], dc_n=dc)[:, 0]
        grads = (layer.W_ih.grad.copy(), layer.W_hh.grad.copy(), layer.b_ih.grad.copy())
        expected = (dx.copy(), np.array(layer.dh0), np.array(layer.dc0)) + grads

        def scalar(x, h_prev, c_prev, W_ih, W_hh, b, dh=dh, dc=dc):
            h, c = _lstm_cell(x, h_prev, c_prev, W_ih, W_hh, b)
            return np.sum(h * dh) + np.sum(c * dc)

        num = numeric_grads(scalar, [x, h_prev, c_prev, W_ih, W_hh, b], range(6))
        args = (dh, dc, x, h_prev, c_prev, W_ih, W_hh, b)
        cases.append(Case(f"N={N}, D={D}, H={H}", args, {}, expected, dict(enumerate(num))))
    return cases


def _lstm_variant(cell_grad, dc_prev_rule):
    def backward(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b):
        H = h_prev.shape[1]
        a = x @ W_ih.T + h_prev @ W_hh.T + b
        sig = lambda v: 1 / (1 + np.exp(-v))
        i, f, g, o = sig(a[:, :H]), sig(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), sig(a[:, 3 * H :])
        tc = np.tanh(f * c_prev + i * g)
        gc = cell_grad(dh, dc, o, tc)
        delta = np.concatenate(
            [gc * g * i * (1 - i), gc * c_prev * f * (1 - f), gc * i * (1 - g**2), dh * tc * o * (1 - o)], 1
        )
        return delta @ W_ih, delta @ W_hh, dc_prev_rule(gc, f), delta.T @ x, delta.T @ h_prev, delta.sum(0)

    return backward


# ---------------------------------------------------------------------------- clip_by_global_norm
#: (gradient shapes, their scale, max_norm): clipped, not clipped, clipped
CLIPS: list[tuple[list[tuple[int, ...]], float, float]] = [
    ([(3, 4), (5,), (2, 2, 2)], 2.0, 5.0),
    ([(4,), (2, 3)], 0.5, 100.0),
    ([(6,)], 1.0, 2.0),
]


def _run_clip(fn, grads, max_norm):
    out = unpack(fn([g.copy() for g in grads], max_norm), 2, "clipped, total")
    clipped = unpack(out[0], len(grads), f"a list of {len(grads)} arrays")
    return [array_like(c, g, "a clipped gradient") for c, g in zip(clipped, grads)], out[1]


def _clip_cases(rng):
    cases = []
    for shapes, scale, max_norm in CLIPS:
        grads = [normal(rng, *s, scale=scale) for s in shapes]
        params = [Parameter(np.zeros(g.shape)) for g in grads]
        for p, g in zip(params, grads):
            p.grad[...] = g
        total = float(clip_grad_norm(params, max_norm))
        label = f"shapes {shapes}, max_norm={max_norm}"
        cases.append(Case(label, (grads, max_norm), {}, ([p.grad.copy() for p in params], total)))
    return cases


def _clip_per_tensor(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    return [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads], total


def _clip_always(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    return [g * max_norm / (total + 1e-6) for g in grads], total


def _clip_sum_of_norms(grads, max_norm):
    total = float(sum(np.linalg.norm(g) for g in grads))
    return [g * min(1.0, max_norm / (total + 1e-6)) for g in grads], total


EXERCISES = [
    Exercise(
        "12.rnn_step",
        "one step of a tanh RNN",
        "document 003 ch. 2",
        1,
        sol.rnn_step,
        _step_cases,
        (
            Mutant(
                "no tanh",
                lambda x_t, h_prev, W_ih, W_hh, b: x_t @ W_ih.T + h_prev @ W_hh.T + b,
                "h_t = tanh(...): apply the nonlinearity f",
            ),
            Mutant(
                "W_hh not transposed",
                lambda x_t, h_prev, W_ih, W_hh, b: np.tanh(x_t @ W_ih.T + h_prev @ W_hh + b),
                "h_{t−1} W_hhᵀ: transpose W_hh (minigan's layout)",
            ),
            Mutant(
                "tanh of the input only",
                lambda x_t, h_prev, W_ih, W_hh, b: np.tanh(x_t @ W_ih.T) + h_prev @ W_hh.T + b,
                "apply tanh to the whole sum x W_ihᵀ + h W_hhᵀ + b",
            ),
        ),
        "h_t = tanh(x_t W_ihᵀ + h_prev W_hhᵀ + b)",
        outputs=("h_t",),
    ),
    Exercise(
        "12.rnn_bptt",
        "backpropagation through time for a tanh RNN",
        "document 003 ch. 2",
        3,
        sol.rnn_bptt,
        _bptt_cases,
        (
            Mutant(
                "nothing carried back",
                _bptt_variant(carry=False),
                "carry the gradient back: g_t = dout_t + δ_{t+1} W_hh, inside the loop",
            ),
            Mutant("no tanh'", _bptt_variant(tanh_grad=False), "δ_t = g_t ⊙ (1 − h_t²): multiply by tanh'"),
            Mutant(
                "h_t for W_hh",
                _bptt_variant(read_state=False),
                "∂C/∂W_hh = Σ δ_tᵀ h_{t−1}: the state the step read, not wrote",
            ),
        ),
        "δ_t = (dout_t + δ_{t+1} W_hh) ⊙ (1 − h_t²), for t from T − 1 down to 0",
        outputs=("dx", "dW_ih", "dW_hh", "db", "dh0"),
    ),
    Exercise(
        "12.lstm_cell_backward",
        "the backward pass of one LSTM step",
        "document 003 ch. 2",
        3,
        sol.lstm_cell_backward,
        _lstm_cases,
        (
            Mutant(
                "no tanh' on the h path",
                _lstm_variant(lambda dh, dc, o, tc: dc + dh * o, lambda gc, f: gc * f),
                "through h = o ⊙ tanh(c): g_c gets dh ⊙ o ⊙ (1 − tanh²(c))",
            ),
            Mutant(
                "no forget gate on dc_prev",
                _lstm_variant(lambda dh, dc, o, tc: dc + dh * o * (1 - tc**2), lambda gc, f: gc),
                "∂C/∂c_prev = g_c ⊙ f: the forget gate scales the cell path",
            ),
            Mutant(
                "dc ignored",
                _lstm_variant(lambda dh, dc, o, tc: dh * o * (1 - tc**2), lambda gc, f: gc * f),
                "g_c = dc + ...: add the gradient arriving at the cell from later",
            ),
        ),
        "g_c = dc + dh ⊙ o ⊙ (1 − tanh² c), then each gate through σ' or tanh'",
        outputs=("dx", "dh_prev", "dc_prev", "dW_ih", "dW_hh", "db"),
    ),
    Exercise(
        "12.clip_by_global_norm",
        "gradient clipping by global norm",
        "document 003 ch. 2",
        1,
        sol.clip_by_global_norm,
        _clip_cases,
        (
            Mutant("per tensor", _clip_per_tensor, "one norm over ALL the gradients together, one common factor"),
            Mutant("always rescales", _clip_always, "only shrink: multiply by min(1, max_norm / total)"),
            Mutant("sum of norms", _clip_sum_of_norms, "the global norm is √(Σ_k ‖g_k‖²), not Σ_k ‖g_k‖"),
        ),
        "total = √(Σ g²) over every array; g · min(1, max_norm / (total + 1e−6))",
        outputs=("clipped", "total"),
        run=_run_clip,
    ),
]

"""Lesson 12: recurrent networks (document 003 ch. 2).

minigan's layout (PyTorch's): batch-first sequences x (N, T, D), states h (N, H),
weights W_ih (G·H, D) and W_hh (G·H, H) used transposed. Document 003's
s_t = f(s_{t−1} W + x_t U) is h_t = f(x_t W_ihᵀ + h_{t−1} W_hhᵀ + b) with U = W_ihᵀ and
W = W_hhᵀ.
"""

import numpy as np


def rnn_step(x_t, h_prev, W_ih, W_hh, b):
    """One step of an Elman RNN with tanh.

    Document 003 ch. 2: s_t = f(s_{t−1} W + x_t U); in minigan's layout
        h_t = tanh(x_t W_ihᵀ + h_{t−1} W_hhᵀ + b)

    Parameters
    ----------
    x_t : (N, D) float64;  h_prev : (N, H)
    W_ih : (H, D);  W_hh : (H, H);  b : (H,)

    Returns
    -------
    h_t : (N, H)
    """
    return np.tanh(x_t @ W_ih.T + h_prev @ W_hh.T + b)


def rnn_bptt(dout, x, hs, h0, W_ih, W_hh):
    """Backpropagation through time for the tanh RNN of rnn_step, over a whole sequence.

    Document 003 ch. 2, "Backpropagation ao longo do tempo": walk the unrolled network
    backwards, t = T−1, ..., 0, carrying the gradient that reaches h_t from step t+1:
        g_t = dout_t + (δ_{t+1} W_hh)   (∂C/∂h_t; no δ_{t+1} after the last step)
        δ_t = g_t ⊙ (1 − h_t²)          (tanh' from the output h_t)
        ∂C/∂W_ih = Σ_t δ_tᵀ x_t,   ∂C/∂W_hh = Σ_t δ_tᵀ h_{t−1},
        ∂C/∂b = Σ_t Σ_batch δ_t
        ∂C/∂x_t = δ_t W_ih,        ∂C/∂h0 = δ_0 W_hh
    (The document's printed code has "gS = gS · W" after its loop; it belongs inside.)

    Parameters
    ----------
    dout : (N, T, H), ∂C/∂h_t for every t;  x : (N, T, D), the inputs
    hs : (N, T, H), the forward's states h_1..h_T;  h0 : (N, H), the initial state
    W_ih : (H, D);  W_hh : (H, H)

    Returns
    -------
    (dx, dW_ih, dW_hh, db, dh0) : arrays (N, T, D), (H, D), (H, H), (H,), (N, H)
    """
    N, T, H = hs.shape
    dx = np.zeros(x.shape)
    dW_ih, dW_hh, db = np.zeros(W_ih.shape), np.zeros(W_hh.shape), np.zeros(H)
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        h_prev = hs[:, t - 1] if t > 0 else h0
        delta = (dout[:, t] + dh_next) * (1.0 - hs[:, t] ** 2)
        dW_ih += delta.T @ x[:, t]
        dW_hh += delta.T @ h_prev
        db += delta.sum(axis=0)
        dx[:, t] = delta @ W_ih
        dh_next = delta @ W_hh  # Eq. 003 BPTT: gS = gS · W, inside the loop
    return dx, dW_ih, dW_hh, db, dh_next


def lstm_cell_backward(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b):
    """The backward pass of one LSTM step (gates in PyTorch's order i, f, g, o).

    As minigan.LSTM. Forward (document 003 ch. 2 describes the gates in words;
    Hochreiter & Schmidhuber 1997):
        a = x W_ihᵀ + h_prev W_hhᵀ + b,
            split into 4 blocks of H columns: a_i, a_f, a_g, a_o
        i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)
        c = f ⊙ c_prev + i ⊙ g,    h = o ⊙ tanh(c)
    Backward, with dh = ∂C/∂h and dc = ∂C/∂c arriving from later:
        g_c = dc + dh ⊙ o ⊙ (1 − tanh²(c))          (both paths into c)
        ∂C/∂a_i = g_c ⊙ g ⊙ i(1 − i),   ∂C/∂a_f = g_c ⊙ c_prev ⊙ f(1 − f)
        ∂C/∂a_g = g_c ⊙ i ⊙ (1 − g²),   ∂C/∂a_o = dh ⊙ tanh(c) ⊙ o(1 − o)
        ∂C/∂c_prev = g_c ⊙ f            (the cell path: no weight matrix)
        with δ = ∂C/∂a (N, 4H):  ∂C/∂x = δ W_ih,  ∂C/∂h_prev = δ W_hh,
        ∂C/∂W_ih = δᵀ x,  ∂C/∂W_hh = δᵀ h_prev,  ∂C/∂b = Σ_batch δ

    Parameters
    ----------
    dh, dc : (N, H);  x : (N, D);  h_prev, c_prev : (N, H)
    W_ih : (4H, D);  W_hh : (4H, H);  b : (4H,)

    Returns
    -------
    (dx, dh_prev, dc_prev, dW_ih, dW_hh, db)
        arrays (N, D), (N, H), (N, H), (4H, D), (4H, H), (4H,)
    """
    H = h_prev.shape[1]
    a = x @ W_ih.T + h_prev @ W_hh.T + b
    i = 1.0 / (1.0 + np.exp(-a[:, :H]))
    f = 1.0 / (1.0 + np.exp(-a[:, H : 2 * H]))
    g = np.tanh(a[:, 2 * H : 3 * H])
    o = 1.0 / (1.0 + np.exp(-a[:, 3 * H :]))
    c = f * c_prev + i * g
    tc = np.tanh(c)
    gc = dc + dh * o * (1.0 - tc**2)
    da_i, da_f = gc * g * i * (1.0 - i), gc * c_prev * f * (1.0 - f)
    da_g, da_o = gc * i * (1.0 - g**2), dh * tc * o * (1.0 - o)
    delta = np.concatenate([da_i, da_f, da_g, da_o], axis=1)  # ∂C/∂a, (N, 4H)
    dW_ih, dW_hh, db = delta.T @ x, delta.T @ h_prev, delta.sum(axis=0)
    return delta @ W_ih, delta @ W_hh, gc * f, dW_ih, dW_hh, db


def clip_by_global_norm(grads, max_norm):
    """Scale a list of gradients so that their global L2 norm is at most max_norm.

    Document 003 ch. 2's tf.clip_by_global_norm(gradients, 5), as
    minigan.clip_grad_norm:
        total = √(Σ_k Σ gₖ²)    (one norm over every element of every array)
        gₖ ← gₖ · min(1, max_norm / (total + 10⁻⁶))
    The direction of the joint gradient is kept; only its length is capped.

    Parameters
    ----------
    grads : list of float64 arrays;  max_norm : float > 0

    Returns
    -------
    (clipped, total) : a list of new arrays (the shapes of grads) and the norm before
        clipping
    """
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    coef = min(1.0, max_norm / (total + 1e-6))
    return [g * coef for g in grads], total

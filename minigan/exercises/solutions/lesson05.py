"""Lesson 05: backpropagation and gradient checking (document 001 §2.6, §2.9)."""

import numpy as np


def dense_forward(x, W, b):
    """The fully connected layer's forward pass, samples in rows (minigan's layout).

    Document 001 §2.6 (1)–(3) in columns: Z = W A + b. With the N samples in the rows
    of x (minigan's and PyTorch's layout) the same layer is
        Z = x Wᵀ + b

    Parameters
    ----------
    x : (N, n_in) float64;  W : (n_out, n_in);  b : (n_out,)

    Returns
    -------
    Z : (N, n_out)
    """
    return x @ W.T + b


def dense_backward(dout, x, W):
    """The fully connected layer's backward pass, samples in rows.

    Document 001 §2.9 with δ = ∂C/∂Z = dout; in columns ∂C/∂W = δ Aᵀ, ∂C/∂b = Σ δ and
    the error passed down is Wᵀ δ. In rows (Z = x Wᵀ + b):
        ∂C/∂W = δᵀ x          (n_out, n_in), W's shape
        ∂C/∂b = Σ_samples δ   (n_out,)
        ∂C/∂x = δ W           (N, n_in)

    Parameters
    ----------
    dout : (N, n_out), the upstream gradient δ;  x : (N, n_in), the forward's input
    W : (n_out, n_in)

    Returns
    -------
    (dx, dW, db) : arrays of shapes (N, n_in), (n_out, n_in), (n_out,)
    """
    return dout @ W, dout.T @ x, dout.sum(axis=0)


def mlp_backward_columns(X, Y, Ws, bs):
    """Forward and backward pass of an MLP in the document's column notation.

    Samples are the COLUMNS of X. Hidden layers use tanh, the last layer a sigmoid, the
    cost is the binary cross-entropy of document 001 §2.7.1. Document 001 §2.6, and
    document 001 §2.9 as corrected in lesson 05, for layers l = 1..L with A⁰ = X:
        Zˡ = Wˡ Aˡ⁻¹ + bˡ,     Aˡ = tanh(Zˡ) (l < L),     Ŷ = Aᴸ = σ(Zᴸ)
        C = −(1/m) Σ [Y log Ŷ + (1 − Y) log(1 − Ŷ)]
        δᴸ = (Ŷ − Y) / m                              (= ∂C/∂Aᴸ ⊙ σ'(Zᴸ))
        δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ g'(Zˡ),   g'(Zˡ) = 1 − (Aˡ)² for tanh
        ∂C/∂Wˡ = δˡ (Aˡ⁻¹)ᵀ,     ∂C/∂bˡ = Σ_columns δˡ

    Parameters
    ----------
    X : (n₀, m) float64, m samples in columns;  Y : (1, m), labels 0 or 1
    Ws : list of L arrays, Ws[l] of shape (n_{l+1}, n_l)
    bs : list of L arrays, bs[l] of shape (n_{l+1},)

    Returns
    -------
    (C, dWs, dbs) : the cost (float) and two lists of arrays, shaped like Ws and bs
    """
    m = X.shape[1]
    As = [X]
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = W @ As[-1] + b[:, None]  # Eq. 001 §2.6 (3): Zˡ = Wˡ Aˡ⁻¹ + bˡ
        As.append(1.0 / (1.0 + np.exp(-Z)) if l == len(Ws) - 1 else np.tanh(Z))
    Y_hat = As[-1]
    C = -np.mean(Y * np.log(Y_hat) + (1.0 - Y) * np.log(1.0 - Y_hat))
    dWs, dbs = [np.zeros_like(W) for W in Ws], [np.zeros_like(b) for b in bs]
    delta = (Y_hat - Y) / m  # δᴸ
    for l in reversed(range(len(Ws))):
        dWs[l] = delta @ As[l].T  # ∂C/∂Wˡ = δˡ (Aˡ⁻¹)ᵀ
        dbs[l] = delta.sum(axis=1)  # ∂C/∂bˡ = Σ_columns δˡ
        if l > 0:
            # δˡ⁻¹ = (Wˡᵀ δˡ) ⊙ tanh'(Zˡ⁻¹)
            delta = (Ws[l].T @ delta) * (1.0 - As[l] ** 2)
    return float(C), dWs, dbs


def numerical_gradient(f, x, h=1e-5):
    """The central-difference gradient of a scalar function, one element at a time.

    Document 001 §2.9 (finite differences check backpropagation; lesson 05):
        ∂f/∂xᵢ ≈ (f(x + h eᵢ) − f(x − h eᵢ)) / (2h)        (error O(h²))

    f takes no argument: it reads x. Change x in place (x[idx] = ...), evaluate f, and
    put the old value back, so that x is unchanged at the end.

    Parameters
    ----------
    f : callable, f() → float, reads the array x
    x : float64 array, any shape
    h : float, the step

    Returns
    -------
    grad : float64 array of x's shape
    """
    grad = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f()
        x[idx] = old - h
        f_minus = f()
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2.0 * h)
    return grad

"""Lesson 13: language models (document 003 ch. 2)."""

import numpy as np


def embedding_backward(dout, y, num_embeddings):
    """The gradient of an embedding table: a scatter-add of dout's rows.

    The lookup E = W[y] is the product onehot(y) · W with a one-hot matrix
    (document 001 §2.6 without a bias), so its weight gradient (document 001 §2.9,
    ∂C/∂W = δᵀ A) is
        ∂C/∂W = onehot(y)ᵀ · δ
    so row v of ∂C/∂W is the sum of the rows of δ = dout whose label is v. A label used
    k times adds k rows (np.add.at, or a loop; W[y] += dout keeps only one of them).

    Parameters
    ----------
    dout : (N, E) or (N, T, E), the upstream gradient of the looked-up vectors
    y : (N,) or (N, T) int labels in [0, num_embeddings)
    num_embeddings : int V

    Returns
    -------
    dW : (V, E)
    """
    E = dout.shape[-1]
    dW = np.zeros((num_embeddings, E))
    np.add.at(dW, y.reshape(-1), dout.reshape(-1, E))
    return dW

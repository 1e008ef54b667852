"""End-to-end learning: the engine's layers, losses and optimizers train real networks.

- XOR, the classic problem a single perceptron cannot solve (document 001 §2.2–2.6):
  Dense-Tanh-Dense-Sigmoid with BCELoss.
- The 8x8 scikit-learn digits (1 797 images): a 64-32-10 MLP with CrossEntropyLoss and Adam
  must reach > 90 % accuracy on held-out images.

Fixed seeds; each runs in about a second.
"""

import numpy as np
import pytest

import minigan as mg


def train_xor(opt_factory, steps):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    rng = np.random.default_rng(0)
    model = mg.Sequential(mg.Dense(2, 8, rng=rng), mg.Tanh(), mg.Dense(8, 1, rng=rng), mg.Sigmoid())
    loss = mg.BCELoss()
    opt = opt_factory(model)
    first = None
    for _ in range(steps):
        value = loss(model(X), y)
        first = float(value) if first is None else first
        opt.zero_grad()
        model.backward(loss.backward())
        opt.step()
    pred = model(X)
    return pred, y, first, float(loss(pred, y))


@pytest.mark.parametrize(
    "name, factory, steps",
    [
        ("sgd-momentum", lambda m: mg.SGD(m, lr=0.5, momentum=0.9), 500),
        ("rmsprop", lambda m: mg.RMSProp(m, lr=0.01), 500),
        ("adam", lambda m: mg.Adam(m, lr=0.05), 500),
    ],
)
def test_mlp_learns_xor(name, factory, steps):
    pred, y, first, last = train_xor(factory, steps)
    assert pred.dtype == np.float32
    np.testing.assert_array_equal((pred > 0.5).astype(np.float32), y, err_msg=f"{name}: {pred.ravel()}")
    assert last < 0.1 < first, f"{name}: loss {first:.3f} -> {last:.3f}"


@pytest.mark.slow
def test_mlp_fits_sklearn_digits():
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    X = (digits.data / 16.0).astype(np.float32)  # (1797, 64), pixel values 0..16
    y = digits.target.astype(np.int64)
    perm = np.random.default_rng(0).permutation(len(X))
    train, test = perm[:1400], perm[1400:]
    rng = np.random.default_rng(1)
    model = mg.Sequential(mg.Dense(64, 32, rng=rng), mg.ReLU(), mg.Dense(32, 10, rng=rng))
    loss = mg.CrossEntropyLoss()
    opt = mg.Adam(model, lr=3e-3)
    batch_rng = np.random.default_rng(2)
    for _epoch in range(20):
        order = batch_rng.permutation(train)
        for i in range(0, len(order), 64):
            idx = order[i : i + 64]
            loss(model(X[idx]), y[idx])
            opt.zero_grad()
            model.backward(loss.backward())
            opt.step()
    model.eval()
    acc = float((model(X[test]).argmax(axis=1) == y[test]).mean())
    assert acc > 0.90, f"held-out accuracy {acc:.3f}"

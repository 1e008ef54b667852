"""BatchNorm: document 001 §2.12.1's equations, running statistics, train/eval, PyTorch
agreement and errors. Gradient checks (train and eval, non-uniform dout) are registered in
minigan.gradcheck.cases.layers."""

import numpy as np
import pytest

import minigan as mg
from minigan.nn.layers import BatchNorm


def reference(x, gamma, beta, eps, axes):
    """Document 001 §2.12.1 written out: μ, σ² (biased), Z_n, γ Z_n + β."""
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    shape = [1] * x.ndim
    shape[1] = -1
    return gamma.reshape(shape) * (x - mu) / np.sqrt(var + eps) + beta.reshape(shape)


@pytest.mark.parametrize("shape,axes", [((8, 3), (0,)), ((4, 3, 5, 2), (0, 2, 3))])
def test_training_forward_matches_document(shape, axes):
    rng = np.random.default_rng(0)
    bn = BatchNorm(3, dtype=np.float64)
    bn.params["gamma"].data = rng.standard_normal(3)
    bn.params["beta"].data = rng.standard_normal(3)
    x = 3.0 * rng.standard_normal(shape) + 2.0
    y = bn(x)
    np.testing.assert_allclose(
        y, reference(x, bn.params["gamma"].data, bn.params["beta"].data, 1e-5, axes), rtol=1e-12, atol=1e-12
    )
    z = BatchNorm(3, dtype=np.float64)(x)  # γ=1, β=0: zero mean, unit (biased) variance per feature
    np.testing.assert_allclose(z.mean(axis=axes), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.var(axis=axes), 1.0, rtol=1e-5)


def test_running_statistics_update_with_unbiased_variance():
    rng = np.random.default_rng(1)
    bn = BatchNorm(2, momentum=0.25, dtype=np.float64)
    rm, rv = np.zeros(2), np.ones(2)
    for _ in range(3):
        x = rng.standard_normal((5, 2, 3, 3)) * 2.0 + 1.0
        bn(x)
        m = 5 * 3 * 3
        rm = 0.75 * rm + 0.25 * x.mean(axis=(0, 2, 3))
        rv = 0.75 * rv + 0.25 * x.var(axis=(0, 2, 3)) * m / (m - 1)
    np.testing.assert_allclose(bn.buffers["running_mean"], rm, rtol=1e-12)
    np.testing.assert_allclose(bn.buffers["running_var"], rv, rtol=1e-12)
    sd = bn.state_dict()
    assert "running_mean" in sd and "running_var" in sd


def test_eval_uses_running_statistics_and_does_not_update_them():
    rng = np.random.default_rng(2)
    bn = BatchNorm(3, dtype=np.float64)
    bn.buffers["running_mean"] = np.array([1.0, -2.0, 0.5])
    bn.buffers["running_var"] = np.array([4.0, 0.25, 1.0])
    bn.params["gamma"].data = np.array([2.0, 1.0, -1.0])
    bn.params["beta"].data = np.array([0.0, 3.0, 1.0])
    bn.eval()
    x = rng.standard_normal((1, 3))  # a single sample works in eval mode
    y = bn(x)
    expected = np.array([2.0, 1.0, -1.0]) * (x - [1.0, -2.0, 0.5]) / np.sqrt(np.array([4.0, 0.25, 1.0]) + 1e-5) + [
        0.0,
        3.0,
        1.0,
    ]
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    np.testing.assert_array_equal(bn.buffers["running_mean"], [1.0, -2.0, 0.5])
    dx = bn.backward(np.ones((1, 3)))
    np.testing.assert_allclose(dx, [[2.0 / np.sqrt(4 + 1e-5), 1.0 / np.sqrt(0.25 + 1e-5), -1.0 / np.sqrt(1 + 1e-5)]])
    bn.train()
    assert not np.allclose(bn(rng.standard_normal((4, 3))), 0.0)


def test_training_gradient_properties():
    """dx is orthogonal to constants and to x̂ per feature (the batch statistics' doing): with
    dout = ones the input gradient is exactly 0 — why gradient checks use a non-uniform dout."""
    rng = np.random.default_rng(3)
    bn = BatchNorm(4, dtype=np.float64)
    x = rng.standard_normal((6, 4))
    bn(x)
    np.testing.assert_allclose(bn.backward(np.ones((6, 4))), 0.0, atol=1e-12)
    np.testing.assert_allclose(bn.params["beta"].grad, 6.0)


@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 2, 3)])
@pytest.mark.parametrize("training", [True, False])
def test_matches_torch(shape, training):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    bn = BatchNorm(4, momentum=0.2, eps=1e-3, dtype=np.float64)
    bn.params["gamma"].data = rng.standard_normal(4)
    bn.params["beta"].data = rng.standard_normal(4)
    bn.buffers["running_mean"] = rng.standard_normal(4)
    bn.buffers["running_var"] = rng.random(4) + 0.5
    rm_t = torch.tensor(bn.buffers["running_mean"].copy())
    rv_t = torch.tensor(bn.buffers["running_var"].copy())
    bn.train(training)
    x = rng.standard_normal(shape) * 2 + 1
    y = bn(x)
    dout = rng.standard_normal(shape)
    dx = bn.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    g = torch.tensor(bn.params["gamma"].data, requires_grad=True)
    b = torch.tensor(bn.params["beta"].data, requires_grad=True)
    yt = torch.nn.functional.batch_norm(xt, rm_t, rv_t, g, b, training=training, momentum=0.2, eps=1e-3)
    yt.backward(torch.tensor(dout))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(bn.params["gamma"].grad, g.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.params["beta"].grad, b.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.buffers["running_mean"], rm_t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bn.buffers["running_var"], rv_t.numpy(), rtol=1e-12)


def test_keras_momentum_is_complementary():
    """Document 003 ch. 3's Keras BatchNormalization(momentum=0.8) = BatchNorm(momentum=0.2)."""
    x = np.random.default_rng(5).standard_normal((10, 2)) + 3.0
    bn = BatchNorm(2, momentum=0.2, dtype=np.float64)
    bn(x)
    keras_moving_mean = 0.8 * np.zeros(2) + (1 - 0.8) * x.mean(axis=0)  # Keras's update rule
    np.testing.assert_allclose(bn.buffers["running_mean"], keras_moving_mean, rtol=1e-12)
    assert "0.8" in BatchNorm.__doc__ and "0.2" in BatchNorm.__doc__


def test_float32_stays_float32():
    bn = BatchNorm(3)
    x = np.random.default_rng(6).standard_normal((4, 3, 2, 2)).astype(np.float32)
    y = bn(x)
    assert y.dtype == np.float32
    assert bn.buffers["running_mean"].dtype == np.float32 and bn.buffers["running_var"].dtype == np.float32
    assert bn.backward(np.ones_like(y)).dtype == np.float32
    assert bn.params["gamma"].grad.dtype == np.float32
    bn.eval()
    assert bn(x).dtype == np.float32


def test_errors():
    with pytest.raises(ValueError, match="BatchNorm: num_features must be an int >= 1"):
        BatchNorm(0)
    for m in (-0.1, 1.5, True):
        with pytest.raises(ValueError, match="BatchNorm: momentum must be a float in"):
            BatchNorm(3, momentum=m)
    with pytest.raises(ValueError, match="BatchNorm: eps must be a float > 0"):
        BatchNorm(3, eps=0.0)
    bn = BatchNorm(3)
    with pytest.raises(ValueError, match=r"BatchNorm\(3\): input axis 1 must have size 3"):
        bn(np.zeros((4, 5), dtype=np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm\(3\): input must be 2-D or 4-D"):
        bn(np.zeros((4, 3, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="more than one value per feature"):
        bn(np.zeros((1, 3), dtype=np.float32))
    with pytest.raises(RuntimeError, match="before forward"):
        BatchNorm(3).backward(np.zeros((2, 3)))


def test_exported_and_in_sequential():
    assert mg.BatchNorm is BatchNorm
    net = mg.Sequential(mg.Conv2D(1, 4, 3, padding=1), BatchNorm(4), mg.ReLU())
    assert net.output_shape((1, 5, 5)) == (4, 5, 5)
    assert len(net.state_dict()) == 2 + 2 + 2

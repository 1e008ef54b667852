"""minigan.models: the documents' architectures, shapes and parameter counts."""

import numpy as np
import pytest

import minigan as mg
from minigan import models

# Document 001 §6, Tabela 1 (discriminator) and Tabela 2 (generator): "# Parâmetros" per row.
TABELA_1 = [("C1", 1280), ("C2", 295168), ("C3", 590080), ("C4", 1180160), ("Sigmoid", 32769)]
TABELA_2 = [("D1", 1654784), ("TC1", 524416), ("TC2", 262272), ("TC3", 262272), ("GC1", 1153)]


def _counts(model, input_shape):
    return [n for _, _, n in model.summary(input_shape, print_fn=None) if n]


def test_xray_dcgan64_parameter_counts_equal_the_tables():
    G, D = models.xray_dcgan64(rng=0)
    assert _counts(D, (1, 64, 64)) == [n for _, n in TABELA_1]
    assert _counts(G, (100,)) == [n for _, n in TABELA_2]
    # output shapes of the tables' rows (NCHW here, NHWC in the document)
    rows = D.summary((1, 64, 64), print_fn=None)
    conv_shapes = [s for name, s, n in rows if "Conv2D" in name]
    assert conv_shapes == [(128, 64, 64), (256, 32, 32), (256, 16, 16), (512, 8, 8)]
    rows = G.summary((100,), print_fn=None)
    assert [s for name, s, n in rows if "Transpose" in name] == [(128, 16, 16), (128, 32, 32), (128, 64, 64)]
    assert G.output_shape((100,)) == (1, 64, 64) and D.output_shape((1, 64, 64)) == (1,)


def test_mnist_dense_gan_is_document_003():
    G, D = models.mnist_dense_gan(rng=0)
    dense = [(m.in_features, m.out_features) for m in G if isinstance(m, mg.Dense)]
    assert dense == [(64, 128), (128, 256), (256, 512), (512, 784)]
    kinds = [type(m).__name__ for m in G]
    assert kinds == ["Dense", "LeakyReLU", "BatchNorm"] * 3 + ["Dense", "Tanh", "Reshape"]
    bns = [m for m in G if isinstance(m, mg.BatchNorm)]
    assert all(b.momentum == pytest.approx(0.2) and b.eps == pytest.approx(1e-3) for b in bns)  # Keras 0.8
    assert all(m.alpha == 0.2 for m in G if isinstance(m, mg.LeakyReLU))
    assert [(m.in_features, m.out_features) for m in D if isinstance(m, mg.Dense)] == [(784, 256), (256, 128), (128, 1)]
    assert isinstance(D[0], mg.Flatten) and isinstance(D[-1], mg.Dense)  # logits: no Sigmoid
    # Keras' summary of this G: 8,320 + 33,024 + 131,584 + 402,192 dense, + 2·(128+256+512) BN γ, β
    assert G.num_parameters() == 8320 + 33024 + 131584 + 402192 + 2 * (128 + 256 + 512)
    assert D.num_parameters() == 200960 + 32896 + 129


@pytest.mark.parametrize("name,latent,shape", [("mnist_dense_gan", 64, (1, 28, 28)), ("mnist_dcgan", 100, (1, 28, 28))])
def test_mnist_models_forward_backward(name, latent, shape):
    G, D = getattr(models, name)(rng=0)
    z = np.random.default_rng(0).standard_normal((4, latent)).astype(np.float32)
    x = G(z)
    assert x.shape == (4,) + shape and x.dtype == np.float32
    assert np.abs(x).max() <= 1.0  # tanh
    logits = D(x)
    assert logits.shape == (4, 1)
    dz = G.backward(D.backward(np.ones_like(logits)))
    assert dz.shape == z.shape and np.isfinite(dz).all()


def test_mnist_dcgan_follows_dcgan_rules():
    G, D = models.mnist_dcgan(rng=0)
    names = [type(m).__name__ for m in G] + [type(m).__name__ for m in D]
    assert "MaxPool2D" not in names and "AvgPool2D" not in names  # strided convolutions only
    assert type(G[-1]).__name__ == "Tanh" and type(G[-2]).__name__ == "Conv2DTranspose"  # no BN on G's output
    assert type(D[1]).__name__ == "LeakyReLU"  # no BN on D's input layer
    assert any(isinstance(m, mg.BatchNorm) for m in G) and any(isinstance(m, mg.BatchNorm) for m in D)
    assert all(isinstance(m, (mg.ReLU, mg.Tanh)) for m in G if type(m).__name__ in ("ReLU", "LeakyReLU", "Tanh"))
    w = D[0].params["W"].data
    assert abs(float(w.std()) - 0.02) < 0.005  # N(0, 0.02²)


def test_mnist_dcgan_width_scales_every_channel_count():
    G, D = models.mnist_dcgan(100, rng=0, width=32)
    convs = [m for m in list(G) + list(D) if type(m).__name__ in ("Conv2D", "Conv2DTranspose")]
    assert [m.params["W"].data.shape[:2] for m in convs] == [(64, 32), (32, 1), (32, 1), (64, 32)]
    assert G[0].params["W"].data.shape == (64 * 7 * 7, 100) and D[-1].params["W"].data.shape == (1, 64 * 7 * 7)
    n64 = sum(p.data.size for p in models.mnist_dcgan(rng=0)[0].parameters())
    n32 = sum(p.data.size for p in G.parameters())
    assert n32 < n64 / 1.9  # about half: the Dense layer's 2w·7·7 outputs dominate G
    z = np.random.default_rng(1).normal(size=(3, 100)).astype(np.float32)
    assert G(z).shape == (3, 1, 28, 28) and D(G(z)).shape == (3, 1)
    with pytest.raises(ValueError, match="mnist_dcgan: width"):
        models.mnist_dcgan(width=0)


def test_same_seed_same_weights_and_float64():
    a, _ = models.mnist_dense_gan(rng=3)
    b, _ = models.mnist_dense_gan(rng=3)
    c, _ = models.mnist_dense_gan(rng=4)
    np.testing.assert_array_equal(a[0].params["W"].data, b[0].params["W"].data)
    assert not np.array_equal(a[0].params["W"].data, c[0].params["W"].data)
    G, D = models.mnist_dense_gan(16, rng=0, dtype=np.float64)
    assert all(p.dtype == np.float64 for p in G.parameters() + D.parameters())
    assert G(np.zeros((2, 16))).dtype == np.float64


@pytest.mark.slow
def test_anime_dcgan96_shapes():
    G, D = models.anime_dcgan96(rng=0)
    assert G.output_shape((100,)) == (1, 96, 96)
    assert D.output_shape((1, 96, 96)) == (1,)
    dense = [m for m in D if isinstance(m, mg.Dense)]
    assert (dense[0].in_features, dense[0].out_features) == (24 * 24 * 64, 1024)  # Appendix A.2
    assert any(isinstance(m, mg.Dropout) and m.p == 0.2 for m in D)


def test_bad_latent_dim():
    for b in models.BUILDERS.values():
        with pytest.raises((TypeError, ValueError), match="latent_dim"):
            b(0)

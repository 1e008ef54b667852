"""Checkpoints: one ``.npz`` file, no pickle, written atomically.

- :mod:`~minigan.checkpoint.archive`: ``save`` and ``load`` of modules, optimizers, arrays and
  JSON metadata (the format: docs/architecture.md, "Checkpoints");
- :mod:`~minigan.checkpoint.meta`: the untrusted JSON metadata, parsed within bounds and
  checked field by field;

What a GAN's checkpoint holds (so that a resumed run continues exactly) is decided in
:mod:`minigan.gan.state`, which writes and reads it through this package.
"""

from ..errors import CheckpointError
from ..files.atomic import atomic_savez
from ..files.jsonable import jsonable
from .archive import MAX_BYTES, Checkpoint, finite_as, load, save
from .meta import FORMAT, VERSION

__all__ = [
    "save",
    "load",
    "atomic_savez",
    "jsonable",
    "finite_as",
    "Checkpoint",
    "CheckpointError",
    "FORMAT",
    "VERSION",
    "MAX_BYTES",
]

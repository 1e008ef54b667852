"""Files, read and written safely: the bottom of the package, beside the backend.

- :mod:`~minigan.files.npzread`: the one place that opens a file for reading
  (``open_regular``: regular files only, never a FIFO or a device) and the bounded ``.npz``
  reader that checkpoints and data files go through (``NpzReader``: no pickle, sizes checked
  before anything is read);
- :mod:`~minigan.files.atomic`: atomic writes (``atomic_savez``), stale temporary files and
  OS errors that name the path;
- :mod:`~minigan.files.jsonable`: NumPy values turned into plain JSON ones;
- :mod:`~minigan.files.lock`: one writer per run folder (``RunLock``: ``RUN/.lock`` holding
  the writer's pid).
"""

from .atomic import atomic_savez, atomic_write, clean_stale_tmp, os_error
from .jsonable import jsonable
from .lock import FolderBusy, RunLock
from .npzread import NpzReader, open_regular

__all__ = [
    "atomic_savez",
    "atomic_write",
    "clean_stale_tmp",
    "os_error",
    "jsonable",
    "NpzReader",
    "open_regular",
    "RunLock",
    "FolderBusy",
]

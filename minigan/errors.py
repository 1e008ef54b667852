"""The exceptions minigan raises besides ValueError and TypeError, in one place.

Every layer of the package may raise them (see docs/architecture.md, "Errors"), so they live at
the bottom of the import graph: the data readers raise :class:`DataError`, the checkpoint
reader :class:`CheckpointError`, and the training loop and the checkpoint writer the two
non-finite errors. Each message names the file, layer, argument or array at fault, what was
expected and what came. :class:`minigan.backend.DeviceError` (a device this machine cannot
provide) lives with the backend.
"""

from __future__ import annotations

__all__ = ["DataError", "CheckpointError", "NonFiniteLossError", "NonFiniteStateError"]


class DataError(ValueError):
    """A data file or folder is missing a part, malformed or not what it claims to be (the
    message names the file and the reason); raised by :mod:`minigan.data` and
    :class:`minigan.data.ImageFolder`."""


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable, unsafe (pickled data) or does not match."""


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; ``.step`` is the first step where it happened."""

    def __init__(self, step: int, name: str, value: float, values: dict | None = None):
        self.step, self.name, self.value = int(step), name, value
        others = ", ".join(f"{k}={v:.4g}" for k, v in (values or {}).items())
        super().__init__(
            f"training stopped: loss {name!r} is {value} at step {step}"
            + (f" ({others})" if others else "")
            + ". Try a smaller learning rate, label smoothing (real_label=0.9) or another seed; "
            "the last checkpoint (if any) was written before this step and is intact."
        )


class NonFiniteStateError(FloatingPointError):
    """A parameter, buffer or optimizer state array holds NaN or infinity; ``.step`` is the
    step at which it was found and ``.name`` names the array (``"G.3.W"``,
    ``"g_opt.S[5] (G.3.W)"``)."""

    def __init__(self, step: int, name: str, where: str = "at the check after"):
        self.step, self.name = int(step), name
        super().__init__(
            f"training stopped: {name} holds NaN or infinite values {where} step {step}. Try a smaller "
            f"learning rate or another seed; no checkpoint holding these values was written (the last "
            f"one, if any, is intact)."
        )

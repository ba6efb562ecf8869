"""Exit codes and the error classes that choose them (never the message text)."""

from __future__ import annotations

from trtrnn.errors import (
    BackendError,
    BackendNotInstalledError,
    ExecutionUnavailableError,
    TensorRTNotFoundError,
    TrtrnnError,
)

OK, FAILURE, USAGE, UNAVAILABLE = 0, 1, 2, 3
EXIT_CODES = f"""exit codes:
  {OK}  success
  {FAILURE}  failure (a test failed, a result differs, a file is invalid, the builder refused)
  {USAGE}  usage error (bad arguments)
  {UNAVAILABLE}  unavailable here (no TensorRT, backend not installed or not runnable, no usable GPU)
"""


class Unavailable(TrtrnnError):
    """Something this command needs does not exist here (exit code 3)."""


class UsageError(TrtrnnError):
    """The arguments name something that does not exist, e.g. an unknown example (exit code 2)."""


#: (error classes, exit code, message prefix): the first row whose classes match decides.
EXIT_BY_ERROR: tuple[tuple[tuple[type[BaseException], ...], int, str], ...] = (
    ((Unavailable, TensorRTNotFoundError, ExecutionUnavailableError), UNAVAILABLE, "unavailable here: "),
    ((BackendNotInstalledError,), UNAVAILABLE, "error: "),
    ((BackendError, UsageError), USAGE, "error: "),
    ((TrtrnnError, OSError, ValueError), FAILURE, "error: "),
)


def exit_for(exc: BaseException) -> tuple[int, str] | None:
    """(exit code, one-line message) for an expected error; None for a bug."""
    for classes, code, prefix in EXIT_BY_ERROR:
        if isinstance(exc, classes):
            return code, f"trtrnn: {prefix}{exc}"
    return None

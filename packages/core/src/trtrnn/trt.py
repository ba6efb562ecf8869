"""Which TensorRT is here: `tensorrt` when importable, else `tensorrt_rtx`, and what it can do.

Every module that needs TensorRT goes through :func:`load` so the choice is made in one place and a
missing install fails with one clear message instead of an ImportError deep in a backend.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import types
from dataclasses import dataclass
from types import ModuleType

from trtrnn.errors import TensorRTNotFoundError

#: Import names tried in order; the environment variable TRTRNN_TRT_FLAVOR pins one of them.
FLAVORS = ("tensorrt", "tensorrt_rtx")

INSTALL_HINT = (
    "install TensorRT for RTX with `pip install tensorrt-rtx` (or `pip install trtrnn[rtx]`), "
    "or full TensorRT with `pip install tensorrt`"
)


@dataclass(frozen=True)
class Capability:
    """One thing this TensorRT may or may not do here, with the reason when it cannot."""

    name: str
    available: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.available


@functools.cache
def load() -> ModuleType:
    """Return the TensorRT module to use, or raise TensorRTNotFoundError naming what to install."""
    pinned = os.environ.get("TRTRNN_TRT_FLAVOR")
    candidates = (pinned,) if pinned else FLAVORS
    errors = []
    for name in candidates:
        try:
            return importlib.import_module(name)
        except ImportError as exc:  # keep trying the next flavor
            errors.append(f"{name}: {exc}")
    raise TensorRTNotFoundError(f"no TensorRT module could be imported ({'; '.join(errors)}); {INSTALL_HINT}")


def available() -> bool:
    """True when some TensorRT flavor imports."""
    try:
        load()
    except TensorRTNotFoundError:
        return False
    return True


def flavor() -> str:
    """`tensorrt` or `tensorrt_rtx`: the import name of the module :func:`load` returns."""
    return load().__name__.split(".")[0]


def version() -> str:
    """The loaded TensorRT's version string."""
    return str(load().__version__)


def logger() -> object:
    """The shared TensorRT logger (TensorRT wants one per process): errors only, unless
    `set_log_level` asked for more; it writes to stderr, so stdout stays a command's result."""
    return _logger()


#: Log levels `set_log_level` takes, most talkative first (TensorRT's Logger.Severity names).
LOG_LEVELS = ("VERBOSE", "INFO", "WARNING", "ERROR", "INTERNAL_ERROR")


def set_log_level(level: str) -> None:
    """Make the shared logger print TensorRT's messages from `level` up (e.g. "VERBOSE" to see why
    the builder refused a network); ValueError for a level not in LOG_LEVELS."""
    if level not in LOG_LEVELS:
        raise ValueError(f"level: expected one of {', '.join(LOG_LEVELS)}; got {level!r}")
    logger().min_severity = getattr(load().Logger, level)


@functools.cache
def _logger() -> object:
    trt = load()

    class StderrLogger(trt.ILogger):  # TensorRT's own Logger prints to stdout
        def __init__(self) -> None:
            trt.ILogger.__init__(self)
            self.min_severity = trt.Logger.ERROR

        def log(self, severity: object, msg: str) -> None:
            if int(severity) <= int(self.min_severity):
                name = str(getattr(severity, "name", severity))
                print(f"[TRT] [{name[0]}] {msg}", file=sys.stderr, flush=True)

    return StderrLogger()


def create_network() -> tuple[object, object]:
    """A fresh (builder, explicit-batch network) pair, valid for both flavors."""
    trt = load()
    builder = trt.Builder(logger())
    flags = 0
    if hasattr(trt, "NetworkDefinitionCreationFlag") and hasattr(
        trt.NetworkDefinitionCreationFlag, "EXPLICIT_BATCH"
    ):
        flags = 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    return builder, builder.create_network(flags)


def _major() -> int:
    try:
        return int(version().split(".")[0])
    except ValueError:
        return 0


def _is_native(cls: type, method: str) -> bool:
    """True for a method TensorRT's bindings define; a Python function patched in by a shim is not native."""
    attr = getattr(cls, method, None)
    return attr is not None and not isinstance(attr, types.FunctionType)


def native_rnn_v2() -> Capability:
    """Whether `INetworkDefinition.add_rnn_v2` exists (TensorRT 7.x-9.x; removed in 10.0, absent in RTX)."""
    name = "native add_rnn_v2"
    if not available():
        return Capability(name, False, f"no TensorRT installed; {INSTALL_HINT}")
    trt = load()
    if _is_native(trt.INetworkDefinition, "add_rnn_v2"):
        return Capability(name, True)
    return Capability(name, False, f"{flavor()} {version()} has no add_rnn_v2 (TensorRT removed it in 10.0)")


def native_rnn_implicit_batch() -> Capability:
    """Whether `add_rnn` and implicit-batch networks exist (TensorRT <= 7.x)."""
    name = "native add_rnn + implicit batch"
    if not available():
        return Capability(name, False, f"no TensorRT installed; {INSTALL_HINT}")
    trt = load()
    if _is_native(trt.INetworkDefinition, "add_rnn"):
        return Capability(name, True)
    return Capability(
        name,
        False,
        f"{flavor()} {version()} has no add_rnn (removed in TensorRT 8.0; implicit batch removed in 10.0)",
    )


#: Compute capabilities TensorRT for RTX can run on (major, minor); 12.x means any minor of 12.
RTX_SUPPORTED_CC = ((8, 0), (8, 6), (8, 9))


def _gpu_compute_capability() -> tuple[tuple[int, int] | None, str]:
    try:
        from cuda.bindings import runtime as cudart  # cuda-python >= 12.6
    except ImportError:
        try:
            from cuda import cudart  # older cuda-python
        except ImportError:
            return None, "cuda-python is not installed (`pip install cuda-python`)"
    try:
        err, count = cudart.cudaGetDeviceCount()
    except Exception as exc:  # the driver library itself may be missing
        return None, f"the CUDA runtime cannot start: {exc}"
    if int(err) != 0 or count < 1:
        return None, f"no CUDA GPU visible (cudaGetDeviceCount returned {err}, count {count})"
    err, props = cudart.cudaGetDeviceProperties(0)
    if int(err) != 0:
        return None, f"cudaGetDeviceProperties failed with {err}"
    return (int(props.major), int(props.minor)), ""


def engine_execution() -> Capability:
    """Whether an engine can run here: a TensorRT, cuda-python, and a GPU this flavor supports."""
    name = "engine execution"
    if not available():
        return Capability(name, False, f"no TensorRT installed; {INSTALL_HINT}")
    cc, why = _gpu_compute_capability()
    if cc is None:
        return Capability(name, False, why)
    if flavor() == "tensorrt_rtx" and not (cc in RTX_SUPPORTED_CC or cc[0] == 12):
        return Capability(
            name,
            False,
            f"GPU compute capability {cc[0]}.{cc[1]} is not supported by TensorRT for RTX "
            "(needs 8.0, 8.6, 8.9 or 12.x)",
        )
    return Capability(name, True)


def capabilities() -> dict[str, Capability]:
    """Every capability by name, for `trtrnn backends` and the conformance report header."""
    caps = (native_rnn_v2(), native_rnn_implicit_batch(), engine_execution())
    return {c.name: c for c in caps}

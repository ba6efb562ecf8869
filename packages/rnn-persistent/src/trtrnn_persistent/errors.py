"""The named errors of the persistent backend: each says what failed, on what, and what to do."""

from __future__ import annotations

from trtrnn.errors import BuildError, CudaError, ExecutionUnavailableError, SpecError


class PersistentUnavailableError(ExecutionUnavailableError):
    """Something this backend needs is missing here (cuda-python, NVRTC, a GPU, TensorRT plugin layers)."""


class KernelCompileError(BuildError):
    """NVRTC refused a kernel variant; the message carries the variant, the architecture and NVRTC's log."""


class UnsupportedSizeError(SpecError):
    """The problem does not fit on chip (weights in registers, h in shared memory, a co-resident grid)."""


class LaunchError(CudaError):
    """The driver refused or failed a launch (a grid that cannot be co-resident, a trapped wait, ...)."""

"""The error hierarchy: the class says what went wrong, the message names field, rule, expected, got."""

from __future__ import annotations


class TrtrnnError(Exception):
    """Base of every error trtrnn raises on purpose."""


class SpecError(TrtrnnError, ValueError):
    """An RNN description breaks a rule of SEMANTICS.md (a value, not a shape or a missing piece)."""


class ShapeError(SpecError):
    """An array or tensor has the wrong shape or dtype."""


class MissingWeightsError(SpecError):
    """A weight or bias that the op requires was never set; named like TensorRT's (layer, gate, is_w)."""


class GateError(SpecError):
    """A gate that does not belong to the op (e.g. FORGET for a GRU)."""


class TensorRTNotFoundError(TrtrnnError, ImportError):
    """Neither `tensorrt` nor `tensorrt_rtx` can be imported."""


class BuildError(TrtrnnError, RuntimeError):
    """TensorRT's builder refused a network (build_serialized_network returned None)."""


class UnsupportedLayerError(TrtrnnError, NotImplementedError):
    """The CPU evaluator met a layer type or mode it does not implement."""


class ExecutionUnavailableError(TrtrnnError, RuntimeError):
    """No runnable TensorRT + supported GPU here; the message says which rule failed."""


class CudaError(TrtrnnError, RuntimeError):
    """A CUDA runtime call returned a non-success status."""


class BackendError(TrtrnnError, LookupError):
    """A backend name is unknown, or a plugin registered something malformed."""


class InexpressibleError(TrtrnnError):
    """A backend cannot express a feature the spec or its build needs (its `Backend.unsupported`)."""


class BackendNotInstalledError(BackendError):
    """No installed backend has the name asked for (installing its package would help)."""


class ConfigurationError(TrtrnnError, RuntimeError):
    """A configuration that cannot be honoured: a layer reconfigured after its outputs were used, or a
    builder option this TensorRT does not have."""

"""trtrnn: one RNN semantics for TensorRT, many backends, one conformance suite.

Importing trtrnn needs no TensorRT; calls that do need it raise TensorRTNotFoundError naming
what to install.
"""

from __future__ import annotations

from trtrnn.backend import Backend, RNNInputs, RNNOutputs
from trtrnn.enums import GATES, RNNDirection, RNNGateType, RNNInputMode, RNNOperation
from trtrnn.errors import (
    GateError,
    MissingWeightsError,
    ShapeError,
    SpecError,
    TensorRTNotFoundError,
    TrtrnnError,
)
from trtrnn.hookspecs import hookimpl
from trtrnn.spec import Feature, RNNSpec

__version__ = "0.1.0"

__all__ = [
    "GATES",
    "Backend",
    "Feature",
    "GateError",
    "MissingWeightsError",
    "RNNDirection",
    "RNNGateType",
    "RNNInputMode",
    "RNNInputs",
    "RNNOperation",
    "RNNOutputs",
    "RNNSpec",
    "ShapeError",
    "SpecError",
    "TensorRTNotFoundError",
    "TrtrnnError",
    "evaluate",
    "hookimpl",
]


def evaluate(network: object, inputs: dict, *, tf32: bool = False, intermediate: bool = False) -> dict:
    """Compute every marked output of a TensorRT network on CPU with numpy (see trtrnn.evaluator);
    `tf32=True` rounds float32 matrix-multiply operands to TF32 as a GPU engine built with
    BuilderFlag.TF32 does; `intermediate=True` returns every named tensor the evaluation computed."""
    from trtrnn.evaluator import evaluate as _evaluate

    return _evaluate(network, inputs, tf32=tf32, intermediate=intermediate)

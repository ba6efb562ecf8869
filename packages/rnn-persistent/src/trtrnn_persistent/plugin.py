"""The `rnn-persistent` backend, registered through trtrnn's hook exactly as a third-party plugin would be."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import trtrnn
from trtrnn.backend import Backend
from trtrnn.spec import RNNSpec
from trtrnn_persistent.build import add_rnn, plugin_layers_missing
from trtrnn_persistent.errors import PersistentUnavailableError, UnsupportedSizeError
from trtrnn_persistent.support import UNSUPPORTED


def missing_here() -> list[str]:
    """Every reason the backend cannot run here, checked separately (empty when it can)."""
    reasons = []
    layers = plugin_layers_missing()
    if layers:
        reasons.append(layers)
    try:
        from trtrnn_persistent import nvrtc

        nvrtc.version()
    except PersistentUnavailableError as exc:
        reasons.append(str(exc))
    try:
        from trtrnn_persistent import runtime

        runtime.device_limits(runtime.ensure_context())
    except PersistentUnavailableError as exc:
        reasons.append(str(exc))
    return reasons


@functools.cache
def availability() -> tuple[bool, str]:
    reasons = missing_here()
    return (not reasons, "; ".join(reasons))


def limits(spec: RNNSpec, precision: str = "fp32") -> str:
    """Why `spec` does not fit on this GPU's chip (registers, SMs, shared memory); "" when it does.

    fp16 networks keep float16 recurrent weights (half the registers); the batch is the spec's."""
    from trtrnn_persistent import runtime
    from trtrnn_persistent.plan import plan

    try:
        device = runtime.device_limits(runtime.ensure_context())
        weights = "float16" if precision == "fp16" else "float32"
        plan(spec.op, spec.hidden_size, spec.num_directions, math.prod(spec.batch_shape), weights, device)
    except UnsupportedSizeError as exc:
        return str(exc)
    return ""


BACKEND = Backend(
    name="rnn-persistent",
    description="each stack layer's recurrence as one persistent CUDA kernel in an IPluginV3 layer (GPU)",
    build=add_rnn,
    # the kernel computes TensorRT's cell; the ONNX / PyTorch extensions (docs/semantics.md §2.1-2.4)
    # are declared, so a case needing one is N/A instead of a silently different RNN
    unsupported=UNSUPPORTED,
    availability=availability,
    limits=limits,
)


@trtrnn.hookimpl
def register_backends(register: Callable[[Backend], None]) -> None:
    register(BACKEND)

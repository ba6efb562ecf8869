"""The `rnn-persistent` backend, registered through trtrnn's hook exactly as a third-party plugin would be."""

from __future__ import annotations

import functools
from collections.abc import Callable

import trtrnn
from trtrnn.backend import Backend
from trtrnn_persistent.build import add_rnn, plugin_layers_missing
from trtrnn_persistent.errors import PersistentUnavailableError


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


BACKEND = Backend(
    name="rnn-persistent",
    description="each stack layer's recurrence as one persistent CUDA kernel in an IPluginV3 layer (GPU)",
    build=add_rnn,
    unsupported={},
    availability=availability,
)


@trtrnn.hookimpl
def register_backends(register: Callable[[Backend], None]) -> None:
    register(BACKEND)

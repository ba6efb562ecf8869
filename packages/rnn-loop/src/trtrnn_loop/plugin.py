"""The `rnn-loop` backend, registered through trtrnn's hook exactly as a third-party plugin would be."""

from __future__ import annotations

from collections.abc import Callable

import trtrnn
from trtrnn import trt
from trtrnn.backend import Backend
from trtrnn_loop import rewrite
from trtrnn_loop.lowering import NOT_YET_LOWERED, add_rnn


def _availability() -> tuple[bool, str]:
    if trt.available():
        return True, ""
    return False, f"no TensorRT is importable; {trt.INSTALL_HINT}"


BACKEND = Backend(
    name="rnn-loop",
    description="every RNN feature on ILoop: hoisted input projection, one fused recurrent matmul per step",
    build=add_rnn,
    unsupported=NOT_YET_LOWERED,
    availability=_availability,
    lowering=True,
    onnx_rewriter=rewrite,  # the module: rewrite.plan and rewrite.rewrite
)


@trtrnn.hookimpl
def register_backends(register: Callable[[Backend], None]) -> None:
    register(BACKEND)

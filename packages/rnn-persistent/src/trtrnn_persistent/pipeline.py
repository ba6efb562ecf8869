"""A whole RNNSpec through the plugin layer, stack layer by stack layer, outside TensorRT.

This is the network `trtrnn_persistent.build` puts into TensorRT, computed on the host around a
pluggable recurrence: the input projection the way the network's matmul computes it (`pack.project`),
the plugin layer's tensors exactly as TensorRT hands them over, then the outputs assembled into the
add_rnn_v2 contract's shapes. With `emulate.recurrence` it checks the host-side layout on the CPU;
with the GPU runner (`trtrnn_persistent.gpu`) it calls the plugin's real `enqueue`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from trtrnn.enums import RNNOperation
from trtrnn.errors import SpecError
from trtrnn.spec import RNNSpec
from trtrnn_persistent import emulate, pack
from trtrnn_persistent.recurrence import Recurrence
from trtrnn_persistent.support import refuse_unsupported

#: `run(layer, arrays) -> (y, h_n, c_n)`; `arrays` maps the layer's input names to host arrays.
RecurrenceRunner = Callable[[Recurrence, dict[str, np.ndarray]], tuple[np.ndarray, ...]]


def layer_for(spec: RNNSpec, *, weights_half: bool, units: int = 0) -> Recurrence:
    """The plugin fields for every stack layer of `spec` (they are the same for each)."""
    return Recurrence(
        op=int(spec.op),
        hidden=spec.hidden_size,
        directions=spec.num_directions,
        weights_half=int(weights_half),
        has_lengths=int(spec.seq_lengths is not None),
        has_hidden=int(spec.hidden_state is not None),
        has_cell=int(spec.cell_state is not None),
        units=units,
    )


def emulated(layer: Recurrence, arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """The numpy mirror of the kernel (trtrnn_persistent.emulate) as a RecurrenceRunner."""
    return emulate.recurrence(
        layer.op_enum, arrays["xproj"], arrays["weights"].astype(np.float32), arrays["rbias"],
        layer.directions, arrays.get("lengths"), arrays.get("h0"), arrays.get("c0"),
    )  # fmt: skip


def run(
    spec: RNNSpec,
    x: np.ndarray,
    runner: RecurrenceRunner = emulated,
    *,
    precision: str = "fp32",
    weights_half: bool | None = None,
    units: int = 0,
) -> dict[str, np.ndarray]:
    """Outputs {"output", "hidden"[, "cell"]} of `spec` on `x`, in the network's float type.

    `precision` "fp16" is a float16 network (data, weights and outputs float16; the plugin computes
    in fp32 with float16 recurrent weights); `weights_half` also gives an fp32 network fp16 weights.
    """
    refuse_unsupported(spec)
    if precision not in ("fp32", "fp16"):
        raise SpecError(f"precision: expected 'fp32' or 'fp16'; got {precision!r}")
    dtype = np.float16 if precision == "fp16" else np.float32
    half = precision == "fp16" if weights_half is None else weights_half
    layer = layer_for(spec, weights_half=half, units=units)
    n, t, h, k = math.prod(spec.batch_shape), spec.max_seq_length, spec.hidden_size, spec.num_directions
    flat = np.asarray(x).reshape(n, t, spec.data_length).astype(dtype)

    def states(value: np.ndarray | None) -> np.ndarray | None:
        return (
            None if value is None else np.asarray(value).reshape(n, spec.num_layer_indices, h).astype(dtype)
        )

    h0, c0 = states(spec.hidden_state), states(spec.cell_state)
    lengths = None if spec.seq_lengths is None else np.asarray(spec.seq_lengths).reshape(n).astype(np.int32)
    layer_input, finals_h, finals_c = flat, [], []
    for stack in range(spec.num_layers):
        arrays = {
            "xproj": pack.project(spec, stack, layer_input, dtype),
            "weights": pack.recurrent_weights(spec, stack).astype(np.float16 if half else np.float32),
            "rbias": pack.recurrent_bias(spec, stack).astype(dtype).astype(np.float32),
        }
        if lengths is not None:
            arrays["lengths"] = lengths
        for name, value in (("h0", h0), ("c0", c0)):
            if value is not None:
                arrays[name] = np.ascontiguousarray(value[:, stack * k : stack * k + k].astype(np.float32))
        y, hn, cn = runner(layer, arrays)[:3]
        layer_input = np.asarray(y).astype(dtype)  # the network casts the plugin's float32 back
        finals_h.append(np.asarray(hn).astype(dtype))
        finals_c.append(np.asarray(cn).astype(dtype))
    out = {
        "output": layer_input.reshape(*spec.batch_shape, t, k * h),
        "hidden": np.concatenate(finals_h, axis=1).reshape(spec.state_shape),
    }
    if spec.op == RNNOperation.LSTM:
        out["cell"] = np.concatenate(finals_c, axis=1).reshape(spec.state_shape)
    return out

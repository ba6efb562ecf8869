"""The spec's per-gate weights fused into the few arrays the fast lowering multiplies by.

cuDNN's layout: every gate of a layer-direction stacked side by side (in `spec.gates` order) so one
matmul computes all gates, and every bias that is simply added folded into one vector that is added
outside the loop. Only GRU's `Rb[h]` stays separate: it is scaled by the reset gate (SEMANTICS §2).
GRU with linear_before_reset=0 is the one exception to "all gates in one recurrent matmul": its
HIDDEN gate multiplies `r*h`, known only after the z/r matmul of the same step, so its `R[h]` is a
second matrix of width H (the FLOPs are the same as one fused matmul; docs/semantics.md §2.1).

Arrays come back in float64 (exact for the spec's float32/float16 data, and the fused bias sum rounded
nowhere): the lowering's constants round them once, to the network's float type (float32 or float16).
"""

from __future__ import annotations

import numpy as np

from trtrnn.enums import RNNGateType, RNNOperation
from trtrnn.spec import RNNSpec


def input_weights(spec: RNNSpec, layer: int) -> np.ndarray | None:
    """`[In, G*H]`: W of every gate, transposed and side by side, so `x . Wcat` gives all gates.

    None where SKIP means x is added as is (stack layer 0).
    """
    if not spec.has_input_weights(layer):
        return None
    return _stack_transposed(spec, layer, is_w=True)


def recurrent_weights(spec: RNNSpec, layer: int) -> np.ndarray:
    """`[H, G*H]` (`[P, G*H]` with a projection): R of every gate, transposed and side by side (one
    fused matmul per step); GRU with linear_before_reset=0: z and r only (`[H, 2H]`, see
    `hidden_recurrent_weights`)."""
    gates = spec.gates[:2] if _reset_before(spec) else spec.gates
    return _stack_transposed(spec, layer, is_w=False, gates=gates)


def hidden_recurrent_weights(spec: RNNSpec, layer: int) -> np.ndarray | None:
    """`[H, H]`: GRU linear_before_reset=0's `R[h]` transposed, for `(r*h) . R[h]^T`; else None."""
    if not _reset_before(spec):
        return None
    return _stack_transposed(spec, layer, is_w=False, gates=(RNNGateType.HIDDEN,))


def projection_weights(spec: RNNSpec, layer: int) -> np.ndarray | None:
    """`[H, P]`: W_hr transposed (LSTMP, h = (o*h(c)) . W_hr^T); None without a projection."""
    if not spec.proj_size:
        return None
    return np.ascontiguousarray(np.asarray(spec.projections[layer], dtype=np.float64).T)


def peephole(spec: RNNSpec, layer: int, gate: RNNGateType) -> np.ndarray | None:
    """`[H]`: LSTM's peephole vector of `gate` (INPUT, FORGET or OUTPUT); None without peepholes."""
    if not spec.peepholes:
        return None
    return np.asarray(spec.peepholes[(layer, gate)], dtype=np.float64)


def input_bias(spec: RNNSpec, layer: int) -> np.ndarray:
    """`[G*H]`: Wb + Rb per gate, added to the input projection outside the loop.

    GRU's HIDDEN gate gets Wb only; its Rb is inside the reset product (see `reset_bias`).
    """
    parts = []
    for gate in spec.gates:
        bias = np.asarray(spec.biases[(layer, gate, True)], dtype=np.float64)
        if not _bias_inside_reset(spec, gate):
            bias = bias + np.asarray(spec.biases[(layer, gate, False)], dtype=np.float64)
        parts.append(bias)
    return np.concatenate(parts)


def reset_bias(spec: RNNSpec, layer: int) -> np.ndarray | None:
    """`[H]`: GRU's `Rb[h]`, added to `R[h].h` before the reset gate multiplies it; None for other ops
    and for linear_before_reset=0 (there it is simply added: folded into `input_bias`)."""
    if spec.op != RNNOperation.GRU or _reset_before(spec):
        return None
    return np.asarray(spec.biases[(layer, RNNGateType.HIDDEN, False)], dtype=np.float64)


def _bias_inside_reset(spec: RNNSpec, gate: RNNGateType) -> bool:
    return spec.op == RNNOperation.GRU and gate == RNNGateType.HIDDEN and spec.linear_before_reset


def _reset_before(spec: RNNSpec) -> bool:
    """GRU with linear_before_reset=0 (ONNX's default): the reset gate scales h before R[h]."""
    return spec.op == RNNOperation.GRU and not spec.linear_before_reset


def _stack_transposed(
    spec: RNNSpec, layer: int, *, is_w: bool, gates: tuple[RNNGateType, ...] | None = None
) -> np.ndarray:
    mats = [np.asarray(spec.weights[(layer, gate, is_w)], dtype=np.float64) for gate in gates or spec.gates]
    return np.ascontiguousarray(np.concatenate(mats, axis=0).T)

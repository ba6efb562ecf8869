"""Lowering onto TensorRT's own IRNNv2Layer, where the installed TensorRT (7.x-9.x) still has it.

There the RNN is TensorRT's fused kernel, so trtrnn only forwards the validated configuration,
translating its enums into TensorRT's members. Not runnable here (TensorRT-RTX has no add_rnn_v2).
"""

from __future__ import annotations

import enum

import numpy as np

from trtrnn import trt
from trtrnn.backend import Network, RNNInputs, RNNOutputs
from trtrnn.network import keep_alive
from trtrnn.spec import RNNSpec

#: Set on `trtrnn_v2.tensorrt`'s stand-in method so it is never mistaken for TensorRT's own.
SHIM_MARK = "__trtrnn_v2_shim__"


def available() -> bool:
    """True where `INetworkDefinition.add_rnn_v2` is TensorRT's own (not trtrnn_v2's stand-in)."""
    if not trt.native_rnn_v2():
        return False
    return not getattr(trt.load().INetworkDefinition.add_rnn_v2, SHIM_MARK, False)


def _trt_member(trt_mod: object, member: enum.IntEnum) -> object:
    """TensorRT's member of the same enum and name (e.g. trt.RNNOperation.LSTM)."""
    return getattr(getattr(trt_mod, type(member).__name__), member.name)


def add_rnn_v2(network: Network, spec: RNNSpec, inputs: RNNInputs, *, name: str = "rnn_v2") -> RNNOutputs:
    """The spec as one native IRNNv2Layer called `name`; same signature as a lowering's build."""
    trt_mod = trt.load()
    layer = network.add_rnn_v2(
        inputs.input,
        spec.num_layers,
        spec.hidden_size,
        spec.max_seq_length,
        _trt_member(trt_mod, spec.op),
    )
    layer.name = name
    layer.input_mode = _trt_member(trt_mod, spec.input_mode)
    layer.direction = _trt_member(trt_mod, spec.direction)
    setters = ((layer.set_weights_for_gate, spec.weights), (layer.set_bias_for_gate, spec.biases))
    for setter, params in setters:
        for (index, gate, is_w), value in params.items():
            array = np.ascontiguousarray(value, dtype=np.float32)
            keep_alive(network, array)  # TensorRT reads Weights at build time
            setter(index, _trt_member(trt_mod, gate), is_w, array)
    for name in ("seq_lengths", "hidden_state", "cell_state"):
        tensor = getattr(inputs, name)
        if tensor is not None:
            setattr(layer, name, tensor)
    return RNNOutputs.of_layer(layer, spec.op)

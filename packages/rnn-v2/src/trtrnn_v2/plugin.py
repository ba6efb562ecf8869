"""The `rnn-v2` backend: every conformance case built through the public add_rnn_v2 API.

The build function drives `RNNv2Layer` exactly as a TensorRT 8 program would (properties, one
`set_weights_for_gate` / `set_bias_for_gate` call per key, `get_output`), so the suite checks the API
users call, not a shortcut around it.
"""

from __future__ import annotations

from collections.abc import Callable

import trtrnn
from trtrnn import registry
from trtrnn.backend import Backend, Network, RNNInputs, RNNOutputs
from trtrnn.lazylayer import EXTENSIONS_UNSUPPORTED, refuse_extensions
from trtrnn.spec import RNNSpec
from trtrnn_v2 import native
from trtrnn_v2.layer import add_rnn_v2


def build(network: Network, spec: RNNSpec, inputs: RNNInputs) -> RNNOutputs:
    """Add `spec`'s RNN to `network` via `add_rnn_v2`, fed by `inputs`."""
    refuse_extensions(spec, "TensorRT 8's IRNNv2Layer")
    layer = add_rnn_v2(network, inputs.input, spec.num_layers, spec.hidden_size, spec.max_seq_length, spec.op)
    layer.input_mode = spec.input_mode
    layer.direction = spec.direction
    for name in ("seq_lengths", "hidden_state", "cell_state"):
        tensor = getattr(inputs, name)
        if tensor is not None:
            setattr(layer, name, tensor)
    for (index, gate, is_w), value in spec.weights.items():
        layer.set_weights_for_gate(index, gate, is_w, value)
    for (index, gate, is_w), value in spec.biases.items():
        layer.set_bias_for_gate(index, gate, is_w, value)
    return RNNOutputs.of_layer(layer, spec.op)


def _availability() -> tuple[bool, str]:
    return registry.compatibility_availability("add_rnn_v2", native.available())


BACKEND = Backend(
    name="rnn-v2",
    description="TensorRT 7/8's add_rnn_v2 / IRNNv2Layer API: native where TensorRT has it, else ILoop",
    build=build,
    unsupported={f: f"TensorRT 8's IRNNv2Layer: {why}" for f, why in EXTENSIONS_UNSUPPORTED.items()},
    availability=_availability,
    api={"add_rnn_v2": add_rnn_v2},
)


@trtrnn.hookimpl
def register_backends(register: Callable[[Backend], None]) -> None:
    register(BACKEND)

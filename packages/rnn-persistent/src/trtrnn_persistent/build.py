"""`add_rnn`: an RNNSpec as TensorRT layers around one persistent-kernel plugin per stack layer.

Per stack layer: the input projection of all T steps (one matmul + bias, the ordinary TensorRT layers
rnn-loop also uses; SKIP tiles x), then the plugin (`trt_plugin`), whose one launch runs both
directions over all steps. The plugin computes in float32: a float16 network casts its inputs up and
its outputs back down; the recurrent weights stay float16 there (fp16 weights, fp32 accumulation).
Needs a TensorRT with plugin layers (`INetworkDefinition.add_plugin_v3`): TensorRT for RTX has none,
so there this raises PersistentUnavailableError and the backend reports itself unavailable.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from trtrnn import trt as trt_flavor
from trtrnn.backend import DYNAMIC, Network, RNNInputs, RNNOutputs, Tensor, dims_of
from trtrnn.enums import RNNOperation
from trtrnn.errors import ShapeError, SpecError
from trtrnn.network import keep_alive
from trtrnn.spec import RNNSpec
from trtrnn_persistent import pack, trt_plugin
from trtrnn_persistent.errors import PersistentUnavailableError
from trtrnn_persistent.pipeline import layer_for
from trtrnn_persistent.plan import plan
from trtrnn_persistent.support import refuse_unsupported


def plugin_layers_missing() -> str:
    """Why this TensorRT cannot hold the plugin ("" when it can)."""
    if not trt_flavor.available():
        return f"no TensorRT is importable; {trt_flavor.INSTALL_HINT}"
    trt = trt_flavor.load()
    if not hasattr(trt.INetworkDefinition, "add_plugin_v3"):
        return (
            f"{trt_flavor.flavor()} {trt_flavor.version()} has no plugin layers "
            "(INetworkDefinition.add_plugin_v3 is absent); the persistent kernel needs full TensorRT >= 10"
        )
    return ""


def add_rnn(network: Network, spec: RNNSpec, inputs: RNNInputs) -> RNNOutputs:
    """Add `spec`'s RNN to `network`, fed by `inputs` (the add_rnn_v2 contract's tensors)."""
    missing = plugin_layers_missing()
    if missing:
        raise PersistentUnavailableError(missing)
    spec.validate()
    refuse_unsupported(spec)  # never ignore a spec field: the kernel computes TensorRT's cell only
    trt = trt_flavor.load()
    x = inputs.input
    if x.dtype not in (trt.float32, trt.float16):
        raise ShapeError(f"input: dtype {x.dtype}; expected float32 or float16")
    if inputs.cell_state is not None and spec.op != RNNOperation.LSTM:
        raise SpecError(f"cell_state: only LSTM has a cell state; op is {spec.op.name}")
    half = x.dtype == trt.float16
    np_type = np.float16 if half else np.float32
    lead = dims_of(x)[:-2]
    if list(lead).count(DYNAMIC) > 1 or (DYNAMIC in lead and lead[0] != DYNAMIC):
        raise ShapeError(f"input: only the first leading dim may be dynamic (-1); got {lead}")
    t, h, k = spec.max_seq_length, spec.hidden_size, spec.num_directions
    from trtrnn_persistent import runtime

    # sizes that do not fit on this GPU are refused here, by name, not inside TensorRT's builder (a
    # dynamic batch is checked again for the profile's maximum in configure_plugin)
    batch = 1 if DYNAMIC in lead else math.prod(lead)
    plan(
        spec.op,
        h,
        k,
        batch,
        "float16" if half else "float32",
        runtime.device_limits(runtime.ensure_context()),
    )
    layer = dataclasses.replace(  # what the plugin receives follows the tensors, not the spec's arrays
        layer_for(spec, weights_half=half),
        has_lengths=int(inputs.seq_lengths is not None),
        has_hidden=int(inputs.hidden_state is not None),
        has_cell=int(inputs.cell_state is not None),
    )

    def const(array: np.ndarray) -> Tensor:
        array = np.ascontiguousarray(array)
        keep_alive(network, array)
        return network.add_constant(array.shape, array).get_output(0)

    def reshape(tensor: Tensor, dims: tuple[int, ...]) -> Tensor:
        shuffle = network.add_shuffle(tensor)
        shuffle.reshape_dims = dims
        return shuffle.get_output(0)

    def cast(tensor: Tensor, dtype: object) -> Tensor:
        return tensor if tensor.dtype == dtype else network.add_cast(tensor, dtype).get_output(0)

    n_dim = DYNAMIC if DYNAMIC in lead else math.prod(lead)
    layer_in = reshape(x, (n_dim, t, spec.data_length))
    lengths = None if inputs.seq_lengths is None else reshape(inputs.seq_lengths, (n_dim,))
    states = {
        name: None if tensor is None else reshape(tensor, (n_dim, spec.num_layer_indices, h))
        for name, tensor in (("h0", inputs.hidden_state), ("c0", inputs.cell_state))
    }
    finals_h, finals_c = [], []
    for stack in range(spec.num_layers):
        weights = pack.input_weights(spec, stack)
        bias = const(pack.input_bias(spec, stack).astype(np_type).reshape(1, 1, -1))
        if weights is None:  # SKIP: x for every direction and gate
            gates = k * len(spec.gates)
            tiled = network.add_concatenation([layer_in] * gates)
            tiled.axis = 2
            projected = tiled.get_output(0)
        else:
            w = const(weights.astype(np_type).reshape(1, *weights.shape))
            projected = network.add_matrix_multiply(
                layer_in, trt.MatrixOperation.NONE, w, trt.MatrixOperation.NONE
            ).get_output(0)
        projected = network.add_elementwise(projected, bias, trt.ElementWiseOperation.SUM).get_output(0)
        plugin_inputs = [
            cast(projected, trt.float32),
            const(pack.recurrent_weights(spec, stack).astype(np_type)),
            const(pack.recurrent_bias(spec, stack).astype(np_type).astype(np.float32)),
        ]
        if lengths is not None:
            plugin_inputs.append(lengths)
        for name in ("h0", "c0"):
            if states[name] is not None:
                index = const(np.arange(stack * k, stack * k + k, dtype=np.int32))
                part = network.add_gather(states[name], index, 1).get_output(0)
                plugin_inputs.append(cast(part, trt.float32))
        plugin = network.add_plugin_v3(plugin_inputs, [], trt_plugin.create(layer, trt))
        plugin.name = f"persistent.l{stack}"
        layer_in = cast(plugin.get_output(0), x.dtype)
        finals_h.append(plugin.get_output(1))
        if spec.op == RNNOperation.LSTM:
            finals_c.append(plugin.get_output(2))

    def joined(parts: list[Tensor]) -> Tensor:
        cat = network.add_concatenation(parts)
        cat.axis = 1
        return reshape(cast(cat.get_output(0), x.dtype), (*lead, spec.num_layer_indices, h))

    output = reshape(layer_in, (*lead, t, k * h))
    return RNNOutputs(output, joined(finals_h), joined(finals_c) if finals_c else None)

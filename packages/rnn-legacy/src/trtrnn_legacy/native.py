"""TensorRT's own IRNNLayer, where the installed TensorRT (<= 7.x) still has `add_rnn` and implicit batch.

There trtrnn only forwards the validated configuration and blobs. TensorRT 7 shipped Python wheels up
to CPython 3.8 and this package needs 3.10, so this path is written against TensorRT 7's documented
API but cannot run in any environment trtrnn installs into; it is kept so that a TensorRT which
still has `add_rnn` is never bypassed.
"""

from __future__ import annotations

import enum

import numpy as np

from trtrnn import trt
from trtrnn.backend import Network, RNNOutputs, Tensor
from trtrnn.network import keep_alive
from trtrnn.spec import RNNSpec
from trtrnn_legacy import blob


def available() -> bool:
    """True where `INetworkDefinition.add_rnn` (and with it implicit batch) is TensorRT's own."""
    return bool(trt.native_rnn_implicit_batch())


def _member(trt_mod: object, member: enum.IntEnum) -> object:
    return getattr(getattr(trt_mod, type(member).__name__), member.name)


def add_rnn(
    network: Network, spec: RNNSpec, x: Tensor, hidden: Tensor | None, cell: Tensor | None, *, name: str
) -> RNNOutputs:
    """One native IRNNLayer for the validated `spec`; same signature as `lowering.add_rnn`."""
    trt_mod = trt.load()
    weights, bias = (np.ascontiguousarray(b) for b in blob.to_blobs(spec))
    keep_alive(network, weights)
    keep_alive(network, bias)
    layer = network.add_rnn(
        x,
        spec.num_layers,
        spec.hidden_size,
        spec.max_seq_length,
        _member(trt_mod, spec.op),
        _member(trt_mod, spec.input_mode),
        _member(trt_mod, spec.direction),
        trt_mod.Weights(weights),
        trt_mod.Weights(bias),
    )
    layer.name = name
    if hidden is not None:
        layer.hidden_state = hidden
    if cell is not None:
        layer.cell_state = cell
    return RNNOutputs.of_layer(layer, spec.op)

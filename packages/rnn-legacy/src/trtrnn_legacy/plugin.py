"""The `rnn-legacy` backend: every conformance case built through the legacy `add_rnn` API.

The build function does what a TensorRT 7 user would: turns the per-gate weights into the two blobs
(`trtrnn_legacy.blob`), brings the contract's batch-major tensors into the legacy sequence-major
layout, calls `add_rnn`, sets the states, and brings the outputs back. How the contract's leading
dims B... map onto the legacy `[T, N, E]` plus implicit batch (decision, also in the README):
- no leading dims: N = 1, added before the call and squeezed after;
- one leading dim: it is the legacy N;
- two or more: the last is N, the ones before it are the implicit batch (several flattened into
  one, since implicit-batch items are independent problems like the contract's leading dims; at most
  one of them may be dynamic).
Sequence lengths are the one feature the API lacks (IRNNLayer has no lengths input).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import trtrnn
from trtrnn import registry, trt
from trtrnn.backend import DYNAMIC, Backend, Network, RNNInputs, RNNOutputs, Tensor, dims_of
from trtrnn.errors import ShapeError, SpecError
from trtrnn.lazylayer import EXTENSIONS_UNSUPPORTED, refuse_extensions
from trtrnn.spec import Feature, RNNSpec
from trtrnn_legacy import blob
from trtrnn_legacy.implicit import ImplicitBatchNetwork
from trtrnn_legacy.layer import add_rnn

_BUILDS = itertools.count()  # unique layer-name prefixes when several RNNs share a network

UNSUPPORTED = {
    Feature.SEQ_LENGTHS: "TensorRT 7's add_rnn / IRNNLayer has no sequence-lengths input (IRNNv2Layer added "
    "one): every sequence runs all max_seq_length steps",
    **{f: f"TensorRT 7's IRNNLayer: {why}" for f, why in EXTENSIONS_UNSUPPORTED.items()},
}


def _shuffle(network: Network, tensor: Tensor, name: str) -> object:
    layer = network.add_shuffle(tensor)
    layer.name = name
    return layer


def _swap_perm(rank: int) -> tuple[int, ...]:
    perm = list(range(rank))
    perm[-3], perm[-2] = perm[-2], perm[-3]
    return tuple(perm)


def to_legacy(network: Network, tensor: Tensor, lead: tuple[int, ...], name: str) -> Tensor:
    """Contract `[B..., A, C]` (A = T or L') -> legacy `[I?, A, N, C]` (see the module docstring)."""
    dims = dims_of(tensor)
    layer = _shuffle(network, tensor, name)
    if not lead:
        layer.reshape_dims = (dims[0], 1, dims[1])
        return layer.get_output(0)
    if len(lead) > 2:
        if dims[len(lead) - 1] == DYNAMIC:
            raise ShapeError(f"{name}: shape {dims}; only the first leading dim may be dynamic (-1)")
        layer.reshape_dims = (-1, *dims[len(lead) - 1 :])
    layer.second_transpose = _swap_perm(min(len(lead), 2) + 2)
    return layer.get_output(0)


def to_contract(network: Network, tensor: Tensor, lead: tuple[int, ...], name: str) -> Tensor:
    """Legacy `[I?, A, N, C]` -> contract `[B..., A, C]`, the inverse of `to_legacy`."""
    dims = dims_of(tensor)
    layer = _shuffle(network, tensor, name)
    layer.first_transpose = _swap_perm(len(dims))
    if not lead:
        layer.reshape_dims = (dims[-3], dims[-1])
    elif len(lead) > 2:
        if list(lead).count(DYNAMIC) > 1:
            raise ShapeError(f"{name}: leading dims {lead}; at most one may be dynamic (-1)")
        layer.reshape_dims = (*lead, dims[-3], dims[-1])
    return layer.get_output(0)


def build(network: Network, spec: RNNSpec, inputs: RNNInputs) -> RNNOutputs:
    """Add `spec`'s RNN to `network` through `trtrnn_legacy.add_rnn`, fed by `inputs`."""
    if inputs.seq_lengths is not None:
        raise SpecError(f"seq_lengths: {UNSUPPORTED[Feature.SEQ_LENGTHS]}")
    spec.validate()
    refuse_extensions(spec, "TensorRT 7's IRNNLayer")
    lead = dims_of(inputs.input)[:-2]
    weights, bias = blob.to_blobs(spec)
    prefix = f"rnn_legacy_build_{next(_BUILDS)}"
    x = to_legacy(network, inputs.input, lead, f"{prefix}.input.to_sequence_major")
    layer = add_rnn(
        network, x, spec.num_layers, spec.hidden_size, spec.max_seq_length, spec.op, spec.input_mode,
        spec.direction, weights, bias,
    )  # fmt: skip
    for field in ("hidden_state", "cell_state"):
        tensor = getattr(inputs, field)
        if tensor is not None:
            setattr(layer, field, to_legacy(network, tensor, lead, f"{prefix}.{field}.to_legacy"))
    outs = RNNOutputs.of_layer(layer, spec.op).tensors()
    back = [to_contract(network, t, lead, f"{prefix}.output{i}.to_contract") for i, t in enumerate(outs)]
    return RNNOutputs(*back)


def _availability() -> tuple[bool, str]:
    return registry.compatibility_availability("add_rnn", bool(trt.native_rnn_implicit_batch()))


BACKEND = Backend(
    name="rnn-legacy",
    description="TensorRT 7's implicit-batch add_rnn / IRNNLayer API (legacy weight blobs, sequence-major)",
    build=build,
    unsupported=UNSUPPORTED,
    availability=_availability,
    api={"implicit_batch_network": ImplicitBatchNetwork},
)


@trtrnn.hookimpl
def register_backends(register: Callable[[Backend], None]) -> None:
    register(BACKEND)

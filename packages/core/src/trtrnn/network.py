"""Putting a spec into a real TensorRT network the way the conformance suite and CLI need it.

The harness, not the backend, creates the contract's input tensors (as network inputs or as
constants) so every backend is fed identically; backends only see `RNNInputs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trtrnn import trt
from trtrnn.backend import BuildFunction, Network, RNNInputs, RNNOutputs
from trtrnn.errors import BuildError, SpecError
from trtrnn.spec import RNNSpec

INPUT, SEQ_LENGTHS, HIDDEN_STATE, CELL_STATE = "input", "seq_lengths", "hidden_state", "cell_state"
OUTPUT_NAMES = ("output", "hidden", "cell")

#: name -> (min, opt, max) shapes of one optimization profile.
ProfileShapes = dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]]


@dataclass
class SpecNetwork:
    """A built (not yet serialized) network for one spec, with the feeds that run it."""

    builder: object
    network: Network
    inputs: RNNInputs
    outputs: RNNOutputs
    feeds: dict[str, np.ndarray]
    profile: ProfileShapes = field(default_factory=dict)

    def serialize(self) -> bytes:
        """Run the real builder; BuildError if it refuses."""
        return serialize_network(self.builder, self.network, self.profile)


def add_spec_inputs(
    network: Network, spec: RNNSpec, *, as_inputs: bool = True, dynamic_batch: bool = False
) -> tuple[RNNInputs, dict[str, np.ndarray], ProfileShapes]:
    """Create the input tensor plus lengths/states the spec sets.

    `as_inputs` makes lengths and states network inputs (else constants); `dynamic_batch` declares
    the first leading dim as -1 with a profile from 1 to its size (states then must be inputs).
    """
    trt_mod = trt.load()
    if dynamic_batch and not spec.batch_shape:
        raise SpecError("dynamic_batch: needs at least one leading dim in batch_shape; got ()")
    feeds: dict[str, np.ndarray] = {}
    profile: ProfileShapes = {}

    def declare(name: str, value: np.ndarray, dtype) -> object:
        shape = tuple(value.shape)
        if dynamic_batch:
            profile[name] = ((1, *shape[1:]), shape, shape)
            shape = (-1, *shape[1:])
        feeds[name] = value
        return network.add_input(name, dtype, shape)

    def tensor(name: str, value: np.ndarray | None, np_dtype, trt_dtype) -> object | None:
        if value is None:
            return None
        value = np.array(value, dtype=np_dtype, order="C")  # keeps a 0-D lengths tensor 0-D
        if as_inputs or dynamic_batch:
            return declare(name, value, trt_dtype)
        layer = network.add_constant(value.shape, value)
        layer.name = f"{name}_constant"
        _keep_alive(network, value)
        return layer.get_output(0)

    x = np.zeros(spec.input_shape, dtype=np.float32)
    inputs = RNNInputs(
        input=declare(INPUT, x, trt_mod.float32),
        seq_lengths=tensor(SEQ_LENGTHS, spec.seq_lengths, np.int32, trt_mod.int32),
        hidden_state=tensor(HIDDEN_STATE, spec.hidden_state, np.float32, trt_mod.float32),
        cell_state=tensor(CELL_STATE, spec.cell_state, np.float32, trt_mod.float32),
    )
    del feeds[INPUT]  # the caller supplies x
    return inputs, feeds, profile


def mark_outputs(network: Network, outputs: RNNOutputs) -> None:
    """Name and mark output 0, 1 (and 2) as `output`, `hidden`, `cell`."""
    for name, tensor in zip(OUTPUT_NAMES, (outputs.output, outputs.hidden, outputs.cell)):
        if tensor is not None:
            tensor.name = name
            network.mark_output(tensor)


def build_spec_network(
    build: BuildFunction,
    spec: RNNSpec,
    x: np.ndarray,
    *,
    as_inputs: bool = True,
    dynamic_batch: bool = False,
) -> SpecNetwork:
    """A fresh network holding `build(network, spec, inputs)` with outputs marked and feeds ready."""
    spec.validate()
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.shape != spec.input_shape:
        raise SpecError(f"input: shape {x.shape}; expected {spec.input_shape} = (*batch_shape, T, E)")
    builder, network = trt.create_network()
    inputs, feeds, profile = add_spec_inputs(network, spec, as_inputs=as_inputs, dynamic_batch=dynamic_batch)
    feeds = {INPUT: x, **feeds}
    outputs = build(network, spec, inputs)
    mark_outputs(network, outputs)
    return SpecNetwork(builder, network, inputs, outputs, feeds, profile)


def serialize_network(
    builder: object,
    network: Network,
    profile: ProfileShapes | None = None,
    *,
    fp16: bool = False,
    workspace: int | None = None,
) -> bytes:
    """`build_serialized_network` with an optional profile; BuildError when TensorRT returns None."""
    trt_mod = trt.load()
    config = builder.create_builder_config()
    if workspace is not None:
        config.set_memory_pool_limit(trt_mod.MemoryPoolType.WORKSPACE, workspace)
    if fp16 and hasattr(trt_mod.BuilderFlag, "FP16"):
        config.set_flag(trt_mod.BuilderFlag.FP16)
    if profile:
        opt = builder.create_optimization_profile()
        for name, (lo, mid, hi) in profile.items():
            opt.set_shape(name, lo, mid, hi)
        config.add_optimization_profile(opt)
    blob = builder.build_serialized_network(network, config)
    if blob is None:
        raise BuildError(
            f"{trt.flavor()} {trt.version()}'s builder refused the network "
            f"({network.num_layers} layers); run with a VERBOSE trt.Logger to see why"
        )
    return bytes(memoryview(blob))


def _keep_alive(network: Network, array: np.ndarray) -> None:
    """TensorRT does not copy constant weights until build: keep the numpy buffer referenced."""
    keep = getattr(network, "_trtrnn_keepalive", None)
    if keep is None:
        keep = []
        try:
            network._trtrnn_keepalive = keep
        except AttributeError:  # pragma: no cover - bindings without a __dict__
            _GLOBAL_KEEPALIVE.append(array)
            return
    keep.append(array)


_GLOBAL_KEEPALIVE: list[np.ndarray] = []
keep_alive = _keep_alive

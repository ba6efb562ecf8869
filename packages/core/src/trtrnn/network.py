"""Putting a spec into a real TensorRT network the way the conformance suite and CLI need it.

The harness, not the backend, creates the contract's input tensors (as network inputs or as
constants) so every backend is fed identically; backends only see `RNNInputs`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np

from trtrnn import trt
from trtrnn.backend import BuildFunction, Network, RNNInputs, RNNOutputs
from trtrnn.errors import BuildError, ConfigurationError, SpecError
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


#: precision -> the numpy dtype of the RNN's input and states. The RNN computes in its input's dtype
#: (backends make their weights match), so an fp16 RNN is a float16 network: the strongly typed way,
#: the only one TensorRT for RTX has and the one TensorRT 10 recommends over BuilderFlag.FP16.
PRECISIONS: dict[str, type[np.floating]] = {"fp32": np.float32, "fp16": np.float16}


def float_dtype(precision: str) -> type[np.floating]:
    """The numpy dtype of `precision` ("fp32" or "fp16"); SpecError for anything else."""
    if precision not in PRECISIONS:
        raise SpecError(f"precision: must be one of {sorted(PRECISIONS)}; got {precision!r}")
    return PRECISIONS[precision]


def add_spec_inputs(
    network: Network,
    spec: RNNSpec,
    *,
    as_inputs: bool = True,
    dynamic_batch: bool = False,
    precision: str = "fp32",
) -> tuple[RNNInputs, dict[str, np.ndarray], ProfileShapes]:
    """Create the input tensor plus lengths/states the spec sets.

    `as_inputs` makes lengths and states network inputs (else constants); `dynamic_batch` declares
    the first leading dim as -1 with a profile from 1 to its size (states then must be inputs).
    `precision` sets the dtype of the input and states (lengths stay int32).
    """
    trt_mod = trt.load()
    np_float = float_dtype(precision)
    trt_float = trt_mod.float16 if np_float is np.float16 else trt_mod.float32
    if dynamic_batch and not spec.batch_shape:
        raise SpecError("dynamic_batch: needs at least one leading dim in batch_shape; got ()")
    feeds: dict[str, np.ndarray] = {}
    profile: ProfileShapes = {}

    def declare(name: str, value: np.ndarray, dtype: object) -> object:
        shape = tuple(value.shape)
        if dynamic_batch:
            profile[name] = ((1, *shape[1:]), shape, shape)
            shape = (-1, *shape[1:])
        feeds[name] = value
        return network.add_input(name, dtype, shape)

    def tensor(name: str, value: np.ndarray | None, np_dtype: type, trt_dtype: object) -> object | None:
        if value is None:
            return None
        value = np.array(value, dtype=np_dtype, order="C")  # keeps a 0-D lengths tensor 0-D
        if as_inputs or dynamic_batch:
            return declare(name, value, trt_dtype)
        layer = network.add_constant(value.shape, value)
        layer.name = f"{name}_constant"
        _keep_alive(network, value)
        return layer.get_output(0)

    x = np.zeros(spec.input_shape, dtype=np_float)
    inputs = RNNInputs(
        input=declare(INPUT, x, trt_float),
        seq_lengths=tensor(SEQ_LENGTHS, spec.seq_lengths, np.int32, trt_mod.int32),
        hidden_state=tensor(HIDDEN_STATE, spec.hidden_state, np_float, trt_float),
        cell_state=tensor(CELL_STATE, spec.cell_state, np_float, trt_float),
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
    precision: str = "fp32",
) -> SpecNetwork:
    """A fresh network holding `build(network, spec, inputs)` with outputs marked and feeds ready.

    `precision="fp16"` makes it a float16 network (input, states and, through the backend, weights).
    """
    spec.validate()
    x = np.ascontiguousarray(x, dtype=float_dtype(precision))
    if x.shape != spec.input_shape:
        raise SpecError(f"input: shape {x.shape}; expected {spec.input_shape} = (*batch_shape, T, E)")
    builder, network = trt.create_network()
    inputs, feeds, profile = add_spec_inputs(
        network, spec, as_inputs=as_inputs, dynamic_batch=dynamic_batch, precision=precision
    )
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
    tf32: bool | None = None,
) -> bytes:
    """`build_serialized_network` with an optional profile; BuildError when TensorRT returns None.

    `fp16` sets BuilderFlag.FP16 (TensorRT may then pick fp16 kernels for fp32 layers). A flavor
    without that flag refuses it with ConfigurationError rather than silently building fp32: there
    precision follows the network's tensor types (`build_spec_network(..., precision="fp16")`).
    `tf32` sets (True) or clears (False) BuilderFlag.TF32; None keeps TensorRT's default, which is
    on (`tf32_default`): fp32 matrix multiplies then read their operands as TF32 on Ampere and newer.
    """
    trt_mod = trt.load()
    config = builder.create_builder_config()
    set_tf32(config, tf32)
    if workspace is not None:
        config.set_memory_pool_limit(trt_mod.MemoryPoolType.WORKSPACE, workspace)
    if fp16:
        if not has_fp16_flag():
            raise ConfigurationError(
                f"fp16: {trt.flavor()} {trt.version()} has no BuilderFlag.FP16 (its networks are strongly "
                "typed: precision follows the tensors' types); build the network in float16 instead, "
                'e.g. build_spec_network(..., precision="fp16") or `trtrnn build --precision fp16`'
            )
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
            f"({network.num_layers} layers); to see why, rerun with `trtrnn --verbose` (in Python: "
            "trtrnn.trt.set_log_level('VERBOSE'))"
        )
    return bytes(memoryview(blob))


def set_tf32(config: object, tf32: bool | None) -> bool:
    """Set or clear BuilderFlag.TF32 on a builder config (None: leave it); whether it is set now.

    A TensorRT without the flag computes fp32 matrix multiplies in fp32 (False), and refuses
    tf32=True with ConfigurationError rather than pretend."""
    flag = getattr(trt.load().BuilderFlag, "TF32", None)
    if flag is None:
        if tf32:
            raise ConfigurationError(f"tf32: {trt.flavor()} {trt.version()} has no BuilderFlag.TF32")
        return False
    if tf32 is True:
        config.set_flag(flag)
    elif tf32 is False:
        config.clear_flag(flag)
    return bool(config.get_flag(flag))


def tf32_default(builder: object) -> bool:
    """Whether this TensorRT's builder config has BuilderFlag.TF32 set by default (TensorRT 10 and
    TensorRT for RTX 1.7: yes)."""
    return set_tf32(builder.create_builder_config(), None)


def has_fp16_flag() -> bool:
    """Whether this TensorRT has BuilderFlag.FP16 (TensorRT 10 does; TensorRT for RTX does not)."""
    return hasattr(trt.load().BuilderFlag, "FP16")


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


@dataclass(frozen=True)
class ValueRange:
    """A contract on the values of an integer tensor: every value in [low, high], named `field`."""

    low: int
    high: int
    field: str
    rule: str

    def check(self, value: np.ndarray, tensor: str) -> None:
        """SpecError naming the contract's field, rule and the values found when any is outside."""
        value = np.asarray(value)
        if value.size and (value.min() < self.low or value.max() > self.high):
            raise SpecError(
                f"{self.field}: every value must be in [{self.low}, {self.high}] ({self.rule}); got min "
                f"{value.min()}, max {value.max()} (tensor {tensor!r})"
            )


def declare_range(network: Network, tensor: object, low: int, high: int, field: str, rule: str) -> None:
    """Record that `tensor`'s values must lie in [low, high] (e.g. seq_lengths in [1, T]).

    TensorRT cannot assert on data (IAssertionLayer takes shape tensors only), so an engine computes
    garbage from, say, a length of T+2; trtrnn's CPU evaluator checks these contracts instead when the
    tensor is fed or computed, and reports the contract's field rather than an internal layer.
    """
    _RANGES.setdefault(network, {})[str(tensor.name)] = ValueRange(int(low), int(high), field, rule)


#: network -> {tensor name: ValueRange}; weak, so a network's contracts go with it (the bindings'
#: objects take no attributes but do take weak references).
_RANGES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def declared_ranges(network: Network) -> dict[str, ValueRange]:
    """The value contracts `declare_range` recorded on `network`, by tensor name."""
    try:
        return dict(_RANGES.get(network, {}))
    except TypeError:  # not weak-referenceable: nothing was recorded
        return {}

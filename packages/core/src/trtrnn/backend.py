"""What a backend is: a name, what it can express, whether it runs here, and how it builds."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from trtrnn.enums import RNNOperation
from trtrnn.errors import BackendError, InexpressibleError, SpecError
from trtrnn.spec import Feature, RNNSpec

#: TensorRT objects are untyped here: `tensorrt` and `tensorrt_rtx` expose the same API.
Network = Any
Tensor = Any

#: A dim TensorRT knows only at run time (a dynamic batch), as `ITensor.shape` shows it.
DYNAMIC = -1


def dims_of(tensor: Tensor) -> tuple[int, ...]:
    """A tensor's dims as ints (DYNAMIC where only known at run time)."""
    return tuple(int(d) for d in tensor.shape)


@dataclass
class RNNInputs:
    """The tensors a backend receives, in the add_rnn_v2 contract's layout (SEMANTICS.md §4).

    A `None` tensor means "unset": lengths are all T, states are zeros.
    """

    input: Tensor
    seq_lengths: Tensor | None = None
    hidden_state: Tensor | None = None
    cell_state: Tensor | None = None


def num_outputs(op: RNNOperation) -> int:
    """3 for LSTM (output, final hidden, final cell), else 2: the RNN layers' `get_output` indices."""
    return 3 if op == RNNOperation.LSTM else 2


def output_index(index: object, op: RNNOperation) -> int:
    """`index` if an RNN of `op` has that output (IRNNLayer/IRNNv2Layer's `get_output`); else SpecError.

    Separate from `RNNOutputs.get` so a lazily lowered layer can refuse a bad index before lowering.
    """
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise SpecError(f"get_output index: expected an int; got {index!r}")
    if not 0 <= index < num_outputs(op):
        raise SpecError(
            f"get_output index: must be in [0, {num_outputs(op)}) for op {op.name} "
            f"(output 2, the final cell state, exists only for LSTM); got {index}"
        )
    return int(index)


@dataclass
class RNNOutputs:
    """Output 0 `[B..., T, K*H]`, final hidden `[B..., L', H]`, and final cell (LSTM only)."""

    output: Tensor
    hidden: Tensor
    cell: Tensor | None = None

    @classmethod
    def of_layer(cls, layer: Any, op: RNNOperation) -> RNNOutputs:
        """The outputs of an RNN layer with TensorRT's `get_output(i)` (native or trtrnn's) for `op`."""
        return cls(*(layer.get_output(i) for i in range(num_outputs(op))))

    def get(self, index: int) -> Tensor:
        """Output `index` in `get_output`'s numbering (check it with `output_index` first)."""
        return (self.output, self.hidden, self.cell)[index]

    def tensors(self) -> list[Tensor]:
        return [t for t in (self.output, self.hidden, self.cell) if t is not None]


#: `build(network, spec, inputs)` adds the spec's RNN to `network` and returns its outputs.
BuildFunction = Callable[[Network, RNNSpec, RNNInputs], RNNOutputs]


class LoweringBuildFunction(Protocol):
    """A lowering backend's `build`: a BuildFunction that also takes `name=`, a prefix for the names of
    the layers it adds (the compatibility APIs pass their layer's name)."""

    def __call__(
        self, network: Network, spec: RNNSpec, inputs: RNNInputs, *, name: str | None = None
    ) -> RNNOutputs: ...


def takes_name(build: Callable[..., Any]) -> bool:
    """Whether `build` accepts `name=` (a keyword parameter or **kwargs); True when not inspectable."""
    try:
        parameters = inspect.signature(build).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(
        (p.name == "name" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)) or p.kind == p.VAR_KEYWORD
        for p in parameters
    )


class OnnxRewriter(Protocol):
    """Replaces the RNN/GRU/LSTM nodes of a whole ONNX model by a lowering expressed in ONNX nodes
    (`trtrnn rewrite`, `trtrnn build model.onnx`, `trtrnn inspect model.onnx`).

    `plan(model)` lists, per RNN node, what `rewrite` will do (objects with `name`, `op_type`, `action`
    "lower" / "keep" / "refuse" and `detail`); `rewrite(model)` returns an object with `.model` (the
    new ModelProto), `.nodes` (those plans) and `.notes` (lines for the user, e.g. a raised opset).
    `model` is a path, bytes or an onnx.ModelProto.
    """

    def plan(self, model: Any, *, keep_unsupported: bool = False) -> list[Any]: ...

    def rewrite(self, model: Any, *, keep_unsupported: bool = False, allow_none: bool = False) -> Any: ...


@dataclass(frozen=True)
class Backend:
    """A registered backend.

    `unsupported` maps each feature the backend's API contract cannot express to the reason; the
    conformance suite reports cases needing them as N/A with that reason. `availability()` returns
    `(True, "")` or `(False, why)`. `lowering` declares that `build` puts the whole contract onto
    modern TensorRT layers and is a `LoweringBuildFunction` (takes `name=`; checked here): the
    compatibility APIs lower onto such a backend where TensorRT lacks their layer
    (`trtrnn.registry.lowering`). `onnx_rewriter`, where set, rewrites whole ONNX models onto this
    backend's lowering (`trtrnn.registry.onnx_rewriter`). `limits(spec, precision)`, where set, says
    why a spec of this size does not fit this backend on this machine ("" when it does; e.g. weights
    that must stay on chip): the conformance suite reports such cases N/A with that reason. `api`
    names the TensorRT API the backend offers its users, so the conformance suite drives that API
    itself with data it made (`trtrnn.conformance.apis`): "add_rnn_v2" -> `add_rnn_v2(network, input,
    layer_count, hidden_size, max_seq_length, op)`, "implicit_batch_network" -> `factory(max_batch_size)`
    of a TensorRT 7 style implicit-batch network with `add_rnn` (legacy blobs), `max_batch_size`,
    `serialize()` and `execute(batch_size, feeds, executor=)`.
    """

    name: str
    description: str
    build: BuildFunction | LoweringBuildFunction
    unsupported: Mapping[Feature, str] = field(default_factory=dict)
    availability: Callable[[], tuple[bool, str]] = lambda: (True, "")
    lowering: bool = False
    onnx_rewriter: OnnxRewriter | None = None
    limits: Callable[[RNNSpec, str], str] | None = None
    api: Mapping[str, Callable[..., Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.lowering and not takes_name(self.build):
            raise BackendError(
                f"backend {self.name!r}: lowering=True requires build(network, spec, inputs, *, name=None) "
                f"(a LoweringBuildFunction); got build{inspect.signature(self.build)}"
            )

    def missing_features(self, needed: frozenset[Feature]) -> dict[Feature, str]:
        """The subset of `needed` this backend cannot express, with its reasons."""
        return {f: self.unsupported[f] for f in needed if f in self.unsupported}

    def inexpressible(self, needed: Iterable[Feature]) -> str:
        """Why this backend cannot express the features `needed` in one line; "" if it can."""
        missing = sorted(self.missing_features(frozenset(needed)).items(), key=lambda item: item[0].value)
        if not missing:
            return ""
        return f"{self.name} cannot express " + "; ".join(f"{f.value}: {why}" for f, why in missing)

    def beyond_limits(self, spec: RNNSpec, precision: str = "fp32") -> str:
        """`limits(spec, precision)` prefixed with the backend's name; "" when it fits (or no limits)."""
        why = self.limits(spec, precision) if self.limits is not None else ""
        return f"{self.name} cannot fit this size: {why}" if why else ""

    def refusal(
        self, spec: RNNSpec, *, as_inputs: bool = True, dynamic_batch: bool = False, precision: str = "fp32"
    ) -> str:
        """Why this backend cannot build `spec` with these build options (`build_spec_network`'s), in
        one line; "" if it can: a feature it cannot express, or a size beyond its limits.

        The one expressibility check: the CLI refuses with it (`require`), the conformance suite
        reports N/A with it.
        """
        needed = spec.features(as_inputs=as_inputs, dynamic_batch=dynamic_batch)
        return self.inexpressible(needed) or self.beyond_limits(spec, precision)

    def require(
        self, spec: RNNSpec, *, as_inputs: bool = True, dynamic_batch: bool = False, precision: str = "fp32"
    ) -> None:
        """InexpressibleError with `refusal`'s reason unless this backend can build `spec` so."""
        why = self.refusal(spec, as_inputs=as_inputs, dynamic_batch=dynamic_batch, precision=precision)
        if why:
            raise InexpressibleError(why)

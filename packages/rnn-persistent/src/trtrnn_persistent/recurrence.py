"""The plugin's logic as plain Python: one stack layer's recurrence (both directions) as a layer.

TensorRT's IPluginV3 interfaces ask a plugin for its outputs' shapes and types, which formats it
takes, how large a workspace it needs, what to serialize and how to run. Every answer lives here, on
plain values, so it is unit-tested without TensorRT; `trtrnn_persistent.trt_plugin` only translates
TensorRT's objects to and from these calls where a TensorRT with plugin layers exists.

Tensors (all linear, float32 unless said; N = the flattened leading dims):
  inputs   0 xproj   [N, T, K*G*H]  W.x + Wb for every step, direction (outer) and gate (in
                                     `spec.gates` order), from the network's input projection
           1 weights [K*G*H, H]      R, row = (direction, gate, unit); float32 or float16
           2 rbias   [K*G*H]         Rb
           then, where the fields say they are present, lengths [N] int32, h0 [N, K, H], c0 [N, K, H]
  outputs  0 y [N, T, K*H], 1 h_n [N, K, H], 2 c_n [N, K, H] (LSTM only)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np

from trtrnn.enums import GATES, RNNOperation
from trtrnn.errors import ShapeError, SpecError
from trtrnn_persistent.plan import DeviceLimits, Plan, plan
from trtrnn_persistent.variants import FLAG_RELU

PLUGIN_NAME = "TrtrnnPersistentRNN"
PLUGIN_VERSION = "1"
PLUGIN_NAMESPACE = "trtrnn"
WEIGHT_TYPES = ("float32", "float16")
#: TensorRT DataType names this layer uses.
FLOAT, HALF, INT32 = "FLOAT", "HALF", "INT32"


def type_name(dtype: object) -> str:
    """A TensorRT DataType (or its name) as its name: FLOAT, HALF, INT32, ..."""
    name = getattr(dtype, "name", dtype)
    return str(name).upper()


@dataclass(frozen=True)
class Recurrence:
    """The plugin's fields: everything serialized with the engine (all int32 scalars)."""

    op: int
    hidden: int
    directions: int = 1
    weights_half: int = 0
    has_lengths: int = 0
    has_hidden: int = 0
    has_cell: int = 0
    units: int = 0  # hidden units per CTA; 0 = the planner's choice

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise SpecError(f"plugin field {f.name!r}: expected an int; got {value!r}")
        RNNOperation(self.op)  # raises ValueError for an unknown op
        if self.hidden < 1:
            raise SpecError(f"plugin field 'hidden': must be >= 1; got {self.hidden}")
        if self.directions not in (1, 2):
            raise SpecError(f"plugin field 'directions': must be 1 or 2; got {self.directions}")
        for name in ("weights_half", "has_lengths", "has_hidden", "has_cell"):
            if getattr(self, name) not in (0, 1):
                raise SpecError(f"plugin field {name!r}: must be 0 or 1; got {getattr(self, name)}")
        if self.has_cell and self.op != RNNOperation.LSTM:
            raise SpecError(f"plugin field 'has_cell': only LSTM has a cell state; op is {self.op_enum.name}")
        if self.units < 0:
            raise SpecError(f"plugin field 'units': must be >= 0 (0 = automatic); got {self.units}")

    # ---- serialization --------------------------------------------------------------------
    def to_fields(self) -> dict[str, np.ndarray]:
        """Field name -> int32 array of one element (what PluginFieldCollection carries)."""
        return {f.name: np.array([getattr(self, f.name)], dtype=np.int32) for f in fields(self)}

    @classmethod
    def from_fields(cls, values: Mapping[str, object]) -> Recurrence:
        """Re-create from serialized fields; SpecError naming a missing or unknown field."""
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise SpecError(f"plugin fields: unknown {unknown}; expected {names}")
        missing = [n for n in ("op", "hidden") if n not in values]
        if missing:
            raise SpecError(f"plugin fields: missing {missing} (required: op, hidden)")
        out = {}
        for name, value in values.items():
            arr = np.asarray(value).reshape(-1)
            if arr.size != 1:
                raise SpecError(f"plugin field {name!r}: expected one int32; got {arr.size} values")
            out[name] = int(arr[0])
        return cls(**out)

    # ---- derived facts --------------------------------------------------------------------
    @property
    def op_enum(self) -> RNNOperation:
        return RNNOperation(self.op)

    @property
    def gates(self) -> int:
        return len(GATES[self.op_enum])

    @property
    def weights(self) -> str:
        return WEIGHT_TYPES[self.weights_half]

    @property
    def num_outputs(self) -> int:
        return 3 if self.op_enum == RNNOperation.LSTM else 2

    def input_names(self) -> list[str]:
        names = ["xproj", "weights", "rbias"]
        names += ["lengths"] * self.has_lengths + ["h0"] * self.has_hidden + ["c0"] * self.has_cell
        return names

    @property
    def num_inputs(self) -> int:
        return len(self.input_names())

    def input_type(self, name: str) -> str:
        if name == "weights":
            return HALF if self.weights_half else FLOAT
        return INT32 if name == "lengths" else FLOAT

    # ---- build-time answers ----------------------------------------------------------------
    def output_types(self, input_types: Sequence[object]) -> list[str]:
        """Every output is float32 (a float16 network casts around the layer)."""
        self.check_types(input_types)
        return [FLOAT] * self.num_outputs

    def check_types(self, input_types: Sequence[object]) -> None:
        names = self.input_names()
        if len(input_types) != len(names):
            raise ShapeError(
                f"plugin inputs: expected {len(names)} ({', '.join(names)}); got {len(input_types)}"
            )
        for name, got in zip(names, input_types):
            if type_name(got) != self.input_type(name):
                raise ShapeError(
                    f"plugin input {name!r}: type {type_name(got)}; expected {self.input_type(name)}"
                )

    def output_shapes(self, inputs: Sequence[Sequence[object]], const: object) -> list[list[object]]:
        """Output dims built from input 0's dims N and T and constants: `const(v)` makes a constant
        (an int here, an IDimensionExpr under TensorRT)."""
        n, t = inputs[0][0], inputs[0][1]
        k, h = const(self.directions), const(self.hidden)
        state = [n, k, h]
        return [[n, t, const(self.directions * self.hidden)], state, list(state)][: self.num_outputs]

    def supports_format(self, pos: int, descs: Sequence[tuple[object, object]], num_inputs: int) -> bool:
        """Whether in/out `pos` may have (type, format) descs[pos]: linear, and the types above."""
        dtype, fmt = descs[pos]
        if type_name(fmt) != "LINEAR":
            return False
        if pos < num_inputs:
            return type_name(dtype) == self.input_type(self.input_names()[pos])
        return type_name(dtype) == FLOAT

    def check_dims(self, dims: Sequence[Sequence[int]]) -> tuple[int, int]:
        """(N, T) from concrete input dims (-1 allowed for N at build); ShapeError naming the tensor."""
        names = self.input_names()
        if len(dims) != len(names):
            raise ShapeError(f"plugin inputs: expected {len(names)} ({', '.join(names)}); got {len(dims)}")
        k, g, h = self.directions, self.gates, self.hidden
        n, t = int(dims[0][0]), int(dims[0][1])
        want = {
            "xproj": (n, t, k * g * h),
            "weights": (k * g * h, h),
            "rbias": (k * g * h,),
            "lengths": (n,),
            "h0": (n, k, h),
            "c0": (n, k, h),
        }
        for name, got in zip(names, dims):
            if tuple(int(d) for d in got) != want[name]:
                raise ShapeError(f"plugin input {name!r}: dims {tuple(got)}; expected {want[name]} "
                                 f"(N={n}, T={t}, K={k}, G={g}, H={h})")  # fmt: skip
        return n, t

    def workspace_bytes(self, batch: int) -> int:
        """The h exchange: two slots x K x N x H words of 64 bits."""
        return 2 * self.directions * batch * self.hidden * 8

    def plan(self, batch: int, device: DeviceLimits) -> Plan:
        """The launch layout for `batch` sequences on `device` (UnsupportedSizeError if none)."""
        return plan(
            self.op_enum, self.hidden, self.directions, batch, self.weights, device, self.units or None
        )

    # ---- run time ----------------------------------------------------------------------------
    def enqueue_tensors(
        self,
        input_desc: Sequence[object],
        output_desc: Sequence[object],
        inputs: Sequence[int],
        outputs: Sequence[int],
        workspace: int,
        stream: int,
        *,
        stall_cta: int = -1,
    ) -> Plan:
        """IPluginV3OneRuntime.enqueue's arguments as TensorRT passes them: tensor descriptors with
        `.dims` and `.type`, device pointers, the workspace pointer and the stream handle."""
        self.check_types([d.type for d in input_desc])
        bad = [type_name(d.type) for d in output_desc if type_name(d.type) != FLOAT]
        if len(output_desc) != self.num_outputs or bad:
            raise ShapeError(f"plugin outputs: expected {self.num_outputs} FLOAT tensors; got "
                             f"{[type_name(d.type) for d in output_desc]}")  # fmt: skip
        dims = [tuple(d.dims) for d in input_desc]
        return self.enqueue(dims, inputs, outputs, workspace, stream, stall_cta=stall_cta)

    def enqueue(
        self,
        input_dims: Sequence[Sequence[int]],
        inputs: Sequence[int],
        outputs: Sequence[int],
        workspace: int,
        stream: int,
        *,
        stall_cta: int = -1,
    ) -> Plan:
        """Launch the kernel on `stream` with TensorRT's device pointers; returns the plan used.

        `stall_cta` >= 0 makes that CTA skip publishing h at step 1: the bounded-wait test's fault.
        """
        from trtrnn_persistent import runtime as rt

        n, t = self.check_dims(input_dims)
        device = rt.ensure_context()
        layout = self.plan(n, rt.device_limits(device))
        kernel = rt.load(layout.variant)
        kernel.prepare(layout)
        named = dict(zip(self.input_names(), inputs))
        rt.memset_zero(workspace, self.workspace_bytes(n), stream)
        flags = FLAG_RELU if self.op_enum == RNNOperation.RELU else 0
        p, i = rt.POINTER, rt.INT
        args = [
            (named["xproj"], p), (named["weights"], p), (named["rbias"], p),
            (named.get("lengths", 0), p), (named.get("h0", 0), p), (named.get("c0", 0), p),
            (outputs[0], p), (outputs[1], p), (outputs[2] if self.num_outputs == 3 else 0, p),
            (workspace, p),
            (n, i), (t, i), (self.hidden, i), (self.directions, i), (layout.units, i), (flags, i),
            (rt.timeout_ns(), rt.U64), (stall_cta, i),
        ]  # fmt: skip
        if n > 0 and t > 0:
            kernel.launch(layout, stream, args)
        return layout

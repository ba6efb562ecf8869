"""The ONNX target: `Graph` and `Loop` as ONNX nodes, so the same lowering can replace an ONNX RNN node.

Constants become initializers of the main graph (a Loop body reads them from the outer scope); a
loop is an ONNX `Loop` whose body is every node added while it is open; `iterate` is a Gather at
the iteration number, `stacked` a scan output (stacked on axis 0 by ONNX, then transposed to the
asked axis), `last` a final loop-carried value. N and T may be dynamic: they are read off the input
with Shape/Slice once, outside the loop, and shapes holding them are concatenated at run time.
Ops use opset 11 forms (Slice/Clip/Range with tensor inputs, no Squeeze axes), so MIN_OPSET is 11.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trtrnn.errors import SpecError
from trtrnn_loop.graph import ROWS, STEPS, Dims, Graph, Loop

#: The oldest ONNX opset whose forms of Slice, Range, Clip and Loop the target emits.
MIN_OPSET = 11

#: ElementWiseOperation name -> ONNX op.
ELEMENTWISE = {
    "SUM": "Add", "SUB": "Sub", "PROD": "Mul", "DIV": "Div", "MAX": "Max", "MIN": "Min",
    "POW": "Pow", "LESS": "Less", "GREATER": "Greater", "EQUAL": "Equal",
}  # fmt: skip
_BOOLEAN_RESULT = {"LESS", "GREATER", "EQUAL"}


@dataclass(eq=False)
class OnnxTensor:
    """A named ONNX value: `.dtype` a numpy dtype, `.shape` ints (-1 where unknown; the target tracks
    ranks, and sizes only of the inputs it is given)."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...] = ()

    @property
    def rank(self) -> int:
        return len(self.shape)


@dataclass
class _Scope:
    """The node list ops go to: the main graph's, or an open loop body's."""

    nodes: list = field(default_factory=list)


class OnnxGraph(Graph):
    """Emits ONNX nodes into `nodes` (and initializers into `initializers`), names prefixed `prefix`.

    `nodes` and `initializers` are lists of NodeProto / TensorProto the caller splices into a model.
    """

    def __init__(self, prefix: str, half: bool) -> None:
        super().__init__(prefix, half)
        self.initializers: list = []
        self._scopes = [_Scope()]
        self._rows: OnnxTensor | None = None  # [1] int64 N when dynamic
        self._steps: OnnxTensor | None = None  # [1] int64 T when dynamic
        self._shape_cache: dict[tuple, OnnxTensor] = {}
        self._int64_lengths: dict[str, OnnxTensor] = {}
        self._used: set[str] = set()

    @property
    def nodes(self) -> list:
        """The main graph's nodes, in topological order."""
        return self._scopes[0].nodes

    def native_dtype(self, kind: str) -> object:
        return np.dtype(kind)

    # ---- emitting -------------------------------------------------------------------------------
    def _name(self, name: str) -> str:
        full = f"{self.prefix}.{name}"
        if full in self._used:
            raise SpecError(f"onnx target: the name {full!r} is made twice")
        self._used.add(full)
        return full

    def node(
        self,
        op: str,
        inputs: Sequence[OnnxTensor | str],
        name: str,
        dtype: Any,
        rank: int | None = None,
        **attrs: Any,
    ) -> OnnxTensor:
        """Add one node with one output named `<prefix>.<name>` of `dtype` and `rank` (default: the
        highest rank among the inputs, as broadcasting gives)."""
        from onnx import helper

        if rank is None:
            rank = max(i.rank for i in inputs if isinstance(i, OnnxTensor))
        out = OnnxTensor(self._name(name), np.dtype(dtype), (-1,) * rank)
        names = [i.name if isinstance(i, OnnxTensor) else i for i in inputs]
        self._scopes[-1].nodes.append(helper.make_node(op, names, [out.name], name=out.name, **attrs))
        return out

    # ---- symbolic dims --------------------------------------------------------------------------
    def set_steps(self, x: OnnxTensor, axis: int, static_steps: int | None) -> None:
        self.steps = static_steps
        if static_steps is None:
            self._steps = self.shape_slice(x, axis, axis + 1, "steps")

    def set_rows(self, flat: OnnxTensor, static_rows: int | None) -> None:
        self.rows = static_rows
        if static_rows is None:
            self._rows = self.shape_slice(flat, 0, 1, "rows")

    def shape_tensor(self, dims: Dims) -> OnnxTensor:
        """The int64 shape tensor of `dims`, concatenated from constants and the run-time N / T."""
        dims = self.dims(dims)
        if dims not in self._shape_cache:
            name = "shape." + "x".join(map(str, dims))
            parts: list[OnnxTensor] = []
            run: list[int] = []
            for d in [*dims, None]:
                if isinstance(d, int):
                    run.append(d)
                    continue
                if run:
                    parts.append(self.const(np.array(run, np.int64), f"{name}.{len(parts)}"))
                    run = []
                if d is not None:
                    parts.append(self._rows if d == ROWS else self._steps)
            self._shape_cache[dims] = self.concat(parts, 0, name)
        return self._shape_cache[dims]

    # ---- constants ------------------------------------------------------------------------------
    def const(self, array: np.ndarray, name: str, float_dtype: type[np.floating] | None = None) -> OnnxTensor:
        from onnx import numpy_helper

        array = np.asarray(array)
        if np.issubdtype(array.dtype, np.floating):
            array = array.astype(float_dtype or self.np_float)
        out = OnnxTensor(self._name(name), array.dtype, array.shape)
        self.initializers.append(numpy_helper.from_array(np.array(array, order="C"), out.name))
        return out

    def zeros(self, lead: tuple[int, ...], width: int, name: str) -> OnnxTensor:
        from onnx import numpy_helper

        if self.rows is not None:
            return self.const(np.zeros((*lead, self.rows, width), self.np_float), name)
        zero = numpy_helper.from_array(np.zeros(1, self.np_float))
        return self.node(
            "ConstantOfShape", [self.shape_tensor((*lead, ROWS, width))], name, self.np_float, value=zero
        )

    def positions(self, dims: Dims, axis: int, name: str) -> OnnxTensor:
        shape = self.dims(dims)
        if isinstance(shape[axis], int):
            index = [1] * len(shape)
            index[axis] = shape[axis]
            values = np.broadcast_to(np.arange(shape[axis], dtype=np.int32).reshape(index), shape)
            return self.const(values, name)
        length = self.reshape(self._steps if shape[axis] == STEPS else self._rows, (), f"{name}.length")
        zero, one = (
            self.const(np.array(v, np.int64), f"{name}.{w}") for v, w in ((0, "start"), (1, "delta"))
        )
        numbers = self.node("Range", [zero, length, one], f"{name}.range", np.int64, rank=1)
        numbers = self.node("Cast", [numbers], f"{name}.int32", np.int32, to=6)  # TensorProto.INT32
        ones = tuple(-1 if i == axis else 1 for i in range(len(shape)))
        return self.reshape(numbers, ones, name)

    # ---- pointwise ------------------------------------------------------------------------------
    def elementwise(self, a: OnnxTensor, b: OnnxTensor, op: str, name: str) -> OnnxTensor:
        dtype = np.bool_ if op in _BOOLEAN_RESULT else a.dtype
        return self.node(ELEMENTWISE[op], [a, b], name, dtype)

    def activation(
        self, x: OnnxTensor, kind: str, name: str, alpha: float | None = None, beta: float | None = None
    ) -> OnnxTensor:
        """TensorRT's ActivationType as ONNX ops (alpha/beta with TensorRT's meaning)."""
        plain = {"RELU": "Relu", "SIGMOID": "Sigmoid", "TANH": "Tanh", "SOFTSIGN": "Softsign"}
        if kind in plain:
            return self.node(plain[kind], [x], name, x.dtype)
        with_alpha = {"LEAKY_RELU": "LeakyRelu", "ELU": "Elu", "THRESHOLDED_RELU": "ThresholdedRelu"}
        if kind in with_alpha:
            return self.node(with_alpha[kind], [x], name, x.dtype, alpha=float(alpha or 0.0))
        if kind == "HARD_SIGMOID":
            return self.node("HardSigmoid", [x], name, x.dtype, alpha=float(alpha), beta=float(beta))
        if kind == "SELU":
            return self.node("Selu", [x], name, x.dtype, alpha=float(alpha), gamma=float(beta))
        if kind == "CLIP":
            low, high = (self.const(np.array(v), f"{name}.{w}") for v, w in ((alpha, "min"), (beta, "max")))
            return self.node("Clip", [x, low, high], name, x.dtype)
        if kind in ("SCALED_TANH", "SOFTPLUS"):  # alpha * f(beta * x)
            scaled = self.mul(x, self.const(np.array(beta), f"{name}.beta"), f"{name}.beta_x")
            inner = self.node("Tanh" if kind == "SCALED_TANH" else "Softplus", [scaled], f"{name}.f", x.dtype)
            return self.mul(inner, self.const(np.array(alpha), f"{name}.alpha"), name)
        raise SpecError(f"onnx target: activation {kind} has no ONNX form here")

    def to_float(self, x: OnnxTensor, name: str) -> OnnxTensor:
        return self.node("Cast", [x], name, self.np_float, to=10 if self.half else 1)

    # ---- matmul and data movement ---------------------------------------------------------------
    def matmul(self, a: OnnxTensor, b: OnnxTensor, name: str) -> OnnxTensor:
        return self.node("MatMul", [a, b], name, a.dtype)

    def reshape(self, x: OnnxTensor, dims: Dims, name: str) -> OnnxTensor:
        resolved = self.dims(dims)
        if all(isinstance(d, int) for d in resolved):
            shape = self.const(np.array(resolved, np.int64), f"{name}.shape")
        else:
            shape = self.shape_tensor(resolved)
        return self.reshape_to(x, shape, name, rank=len(resolved))

    def reshape_to(self, x: OnnxTensor, shape: OnnxTensor, name: str, rank: int | None = None) -> OnnxTensor:
        """Reshape to a run-time shape; the result's rank is `rank`, else the shape's length where known."""
        if rank is None:
            rank = shape.shape[0] if shape.shape and shape.shape[0] >= 0 else x.rank
        return self.node("Reshape", [x, shape], name, x.dtype, rank=rank)

    def shape_slice(self, x: OnnxTensor, start: int, end: int, name: str) -> OnnxTensor:
        shape = self.node("Shape", [x], f"{name}.shape", np.int64, rank=1)
        return self._slice(shape, start, end, 0, name)

    def _slice(self, x: OnnxTensor, start: int, end: int, axis: int, name: str, step: int = 1) -> OnnxTensor:
        args = [
            self.const(np.array([v], np.int64), f"{name}.{w}") for v, w in ((start, "starts"), (end, "ends"))
        ]
        args.append(self.const(np.array([axis], np.int64), f"{name}.axes"))
        if step != 1:
            args.append(self.const(np.array([step], np.int64), f"{name}.steps"))
        return self.node("Slice", [x, *args], name, x.dtype, rank=x.rank)

    def concat(self, tensors: Sequence[OnnxTensor], axis: int, name: str) -> OnnxTensor:
        if len(tensors) == 1:
            return tensors[0]
        return self.node("Concat", list(tensors), name, tensors[0].dtype, axis=axis)

    def gather(self, x: OnnxTensor, axis: int, index: int | Sequence[int], name: str) -> OnnxTensor:
        idx = self.const(np.array(index, dtype=np.int64), f"{name}.index")
        return self.node("Gather", [x, idx], name, x.dtype, rank=x.rank - 1 + idx.rank, axis=axis)

    def columns(
        self, x: OnnxTensor, start: int, width: int, name: str, lead: tuple[int, ...] = ()
    ) -> OnnxTensor:
        return self._slice(x, start, start + width, len(lead) + 1, name)

    def transpose(self, x: OnnxTensor, perm: Sequence[int], name: str) -> OnnxTensor:
        return self.node("Transpose", [x], name, x.dtype, rank=x.rank, perm=list(perm))

    def reverse_steps(self, x: OnnxTensor, axis: int, name: str) -> OnnxTensor:
        return self._slice(x, -1, np.iinfo(np.int64).min, axis, name, step=-1)

    def reverse_sequence(self, x: OnnxTensor, lengths: OnnxTensor, name: str) -> OnnxTensor:
        if lengths.name not in self._int64_lengths:  # ONNX's ReverseSequence takes int64 lengths
            cast = self.node("Cast", [lengths], f"{name}.lengths", np.int64, to=7)
            self._int64_lengths[lengths.name] = cast
        lens = self._int64_lengths[lengths.name]
        return self.node("ReverseSequence", [x, lens], name, x.dtype, rank=x.rank, batch_axis=0, time_axis=1)

    # ---- loops ----------------------------------------------------------------------------------
    def trip_count(self, name: str) -> OnnxTensor:
        """T as the 0-D int64 a Loop's M input takes."""
        if self.steps is not None:
            return self.const(np.array(self.steps, np.int64), f"{name}.steps")
        return self.reshape(self._steps, (), f"{name}.steps")

    def _open_loop(self, name: str) -> OnnxLoop:
        loop = OnnxLoop(self, name)
        self._scopes.append(loop.body)
        return loop

    def _close_loop(self, loop: Loop) -> None:
        assert isinstance(loop, OnnxLoop) and self._scopes[-1] is loop.body
        self._scopes.pop()
        loop.emit()


class OnnxLoop(Loop):
    """An ONNX Loop node `<prefix>.<name>.loop` over T iterations (no condition)."""

    def __init__(self, g: OnnxGraph, name: str) -> None:
        self.g, self.name = g, name
        self.trips = g.trip_count(name)
        self.body = _Scope()
        self.iteration = OnnxTensor(g._name(f"{name}.iteration"), np.dtype(np.int64), ())
        self.cond_in = OnnxTensor(g._name(f"{name}.cond_in"), np.dtype(np.bool_), ())
        self.states: list[list[OnnxTensor | None]] = []  # [initial, in-body value, next, final]
        self.scans: list[tuple[OnnxTensor, OnnxTensor, int]] = []  # (body value, outer result, axis)
        self._after: list = []

    def iterate(self, tensor: OnnxTensor, axis: int, name: str) -> OnnxTensor:
        return self.g.node(
            "Gather", [tensor, self.iteration], name, tensor.dtype, rank=tensor.rank - 1, axis=axis
        )

    def recurrence(self, initial: OnnxTensor, name: str) -> OnnxTensor:
        state = OnnxTensor(self.g._name(name), initial.dtype, initial.shape)
        self.states.append([initial, state, None, None])
        return state

    def set_next(self, state: OnnxTensor, value: OnnxTensor) -> None:
        entry = next(e for e in self.states if e[1] is state)
        entry[2] = value

    def stacked(self, value: OnnxTensor, axis: int, name: str) -> OnnxTensor:
        result = OnnxTensor(self.g._name(name), value.dtype, (-1,) * (value.rank + 1))
        self.scans.append((value, result, axis))
        return result

    def last(self, state: OnnxTensor, name: str) -> OnnxTensor:
        entry = next(e for e in self.states if e[1] is state)
        entry[3] = OnnxTensor(self.g._name(name), state.dtype, state.shape)
        return entry[3]

    def emit(self) -> None:
        """The Loop node (and the transposes that put each stacked axis where it was asked)."""
        from onnx import helper

        g = self.g

        def info(t: OnnxTensor) -> Any:  # scalars say so (onnxruntime needs it); other shapes are left open
            shape = [] if t.rank == 0 else None
            return helper.make_tensor_value_info(t.name, helper.np_dtype_to_tensor_dtype(t.dtype), shape)

        cond_out = OnnxTensor(g._name(f"{self.name}.cond_out"), np.dtype(np.bool_), ())
        # the loop runs T times (no condition input); the body's condition output is a constant true
        # (TensorRT's parser does not register the body's condition input when the Loop has none)
        true = g.const(np.array(True), f"{self.name}.true")
        nodes = [
            *self.body.nodes,
            helper.make_node("Identity", [true.name], [cond_out.name], name=cond_out.name),
        ]
        body_outputs = [cond_out]
        carried_outputs, scan_outputs = [], []
        for i, (_initial, state, nxt, final) in enumerate(self.states):
            if nxt is None:
                raise SpecError(f"onnx target: loop {self.name}: state {state.name} has no next value")
            body_outputs.append(nxt)
            carried_outputs.append(final.name if final else g._name(f"{self.name}.state{i}.final"))
        for i, (value, result, axis) in enumerate(self.scans):
            if any(t is value for t in body_outputs):  # a body output is listed once; copy the value
                copy = OnnxTensor(g._name(f"{self.name}.scan{i}"), value.dtype, value.shape)
                nodes.append(helper.make_node("Identity", [value.name], [copy.name], name=copy.name))
                value = copy
            body_outputs.append(value)
            scan_outputs.append(
                result if axis == 0 else OnnxTensor(f"{result.name}.steps_first", value.dtype)
            )
        body = helper.make_graph(
            nodes,
            f"{g.prefix}.{self.name}.body",
            [info(self.iteration), info(self.cond_in), *(info(s[1]) for s in self.states)],
            [info(t) for t in body_outputs],
        )
        inputs = [self.trips.name, "", *(s[0].name for s in self.states)]
        outputs = [*carried_outputs, *(t.name for t in scan_outputs)]
        loop_name = f"{g.prefix}.{self.name}.loop"
        g.nodes.append(helper.make_node("Loop", inputs, outputs, name=loop_name, body=body))
        for (value, result, axis), scanned in zip(self.scans, scan_outputs, strict=True):
            if axis:
                perm = [*range(1, axis + 1), 0, *range(axis + 1, value.rank + 1)]
                g.nodes.append(
                    helper.make_node("Transpose", [scanned.name], [result.name], name=result.name, perm=perm)
                )

"""The ONNX target: `Graph` and `Loop` as ONNX nodes, so the same lowering can replace an ONNX RNN node.

Constants become initializers of the main graph (a loop body reads them from the outer scope). A
loop is an ONNX `Scan` whose body is every node added while it is open: `iterate` is a scan input
(`scan_input_axes`), `recurrence` a state, `stacked` a scan output (`scan_output_axes`), `last` a
final state, so TensorRT's parser maps them straight onto ILoop iterators, recurrences and loop
outputs (an ONNX `Loop` would need a Gather at the iteration number per iterated tensor, plus the
parser's iteration counter: 4 to 8 more layers per body, measured). N and T may be dynamic: they are
read off the input with Shape/Slice once, outside the loop, and shapes holding them are concatenated
at run time; T is the scan inputs' length. Ops use opset 11 forms (Slice/Clip/Range with tensor
inputs, negative scan axes allowed, no Squeeze axes), so MIN_OPSET is 11.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trtrnn.errors import SpecError
from trtrnn_loop.graph import ROWS, STEPS, Dims, Graph, Loop

#: The oldest ONNX opset whose forms of Slice, Range, Clip and Scan the target emits.
MIN_OPSET = 11

#: ElementWiseOperation name -> ONNX op.
ELEMENTWISE = {
    "SUM": "Add", "SUB": "Sub", "PROD": "Mul", "DIV": "Div", "MAX": "Max", "MIN": "Min",
    "POW": "Pow", "LESS": "Less", "GREATER": "Greater", "EQUAL": "Equal",
}  # fmt: skip
_BOOLEAN_RESULT = {"LESS", "GREATER", "EQUAL"}


@dataclass(eq=False)
class OnnxTensor:
    """A named ONNX value: `.dtype` a numpy dtype, `.shape` its dims as far as the target knows them:
    ints (-1 unknown) and, once `set_steps` / `set_rows` named them, ROWS and STEPS.

    `transposed` records (source, perm) for a Transpose, so a transpose of it can fold into one."""

    name: str
    dtype: np.dtype
    shape: tuple = ()
    transposed: tuple | None = None

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

    def __init__(self, prefix: str, half: bool, opset: int = MIN_OPSET) -> None:
        super().__init__(prefix, half)
        self.opset = opset  # the model's: Unsqueeze changed form at 13
        self.initializers: list = []
        self._scopes = [_Scope()]
        self._sources: dict[Any, tuple[OnnxTensor, int]] = {}  # ROWS / STEPS -> (tensor, axis) holding it
        self._dim_cache: dict[Any, OnnxTensor] = {}
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
        shape: tuple | None = None,
        **attrs: Any,
    ) -> OnnxTensor:
        """Add one node with one output named `<prefix>.<name>` of `dtype` and `shape` (default: the
        inputs' broadcast shape, or `rank` unknown dims)."""
        from onnx import helper

        if shape is None:
            tensors = [i for i in inputs if isinstance(i, OnnxTensor)]
            shape = _broadcast(*(t.shape for t in tensors)) if rank is None else (-1,) * rank
        out = OnnxTensor(self._name(name), np.dtype(dtype), tuple(shape))
        names = [i.name if isinstance(i, OnnxTensor) else i for i in inputs]
        self._scopes[-1].nodes.append(helper.make_node(op, names, [out.name], name=out.name, **attrs))
        return out

    # ---- symbolic dims --------------------------------------------------------------------------
    def set_steps(self, x: OnnxTensor, axis: int, static_steps: int | None) -> None:
        """Record T; a dynamic T is dim `axis` of `x` (named STEPS there, read at run time only if needed)."""
        self.steps = static_steps
        if static_steps is None:
            x.shape = (*x.shape[:axis], STEPS, *x.shape[axis + 1 :])
            self._sources[STEPS] = (x, axis)

    def set_rows(self, flat: OnnxTensor, static_rows: int | None) -> None:
        """Record N; a dynamic N is dim 0 of `flat` (named ROWS there)."""
        self.rows = static_rows
        if static_rows is None:
            flat.shape = (ROWS, *flat.shape[1:])
            self._sources[ROWS] = (flat, 0)

    def _dim_tensor(self, dim: Any) -> OnnxTensor:
        """The [1] int64 run-time value of ROWS or STEPS, made once, where first needed (outside loops)."""
        if dim not in self._dim_cache:
            x, axis = self._sources[dim]
            self._dim_cache[dim] = self.shape_slice(x, axis, axis + 1, "rows" if dim == ROWS else "steps")
        return self._dim_cache[dim]

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
                    parts.append(self._dim_tensor(d))
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
        dims = (*lead, ROWS, width)
        return self.node(
            "ConstantOfShape", [self.shape_tensor(dims)], name, self.np_float, shape=dims, value=zero
        )

    def positions(self, dims: Dims, axis: int, name: str) -> OnnxTensor:
        shape = self.dims(dims)
        if isinstance(shape[axis], int):
            index = [1] * len(shape)
            index[axis] = shape[axis]
            values = np.broadcast_to(np.arange(shape[axis], dtype=np.int32).reshape(index), shape)
            return self.const(values, name)
        length = self.reshape(self._dim_tensor(shape[axis]), (), f"{name}.length")
        zero, one = (
            self.const(np.array(v, np.int64), f"{name}.{w}") for v, w in ((0, "start"), (1, "delta"))
        )
        numbers = self.node("Range", [zero, length, one], f"{name}.range", np.int64, shape=(shape[axis],))
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
        shape = (*_broadcast(a.shape[:-2], b.shape[:-2]), a.shape[-2], b.shape[-1])
        return self.node("MatMul", [a, b], name, a.dtype, shape=shape)

    def reshape(self, x: OnnxTensor, dims: Dims, name: str) -> OnnxTensor:
        """Nothing where `x` already has `dims`; an Unsqueeze where `dims` only inserts 1s; else a Reshape
        to a constant shape (at most one dim unknown here) or to one computed at run time.

        The lowering reshapes only to flatten leading dims onto ROWS; with the ONNX target's single
        leading dim, an unknown dim of `x` where `dims` says ROWS or STEPS is that dim.
        """
        resolved = self.dims(dims)
        if _same_dims(x.shape, resolved):
            return x
        inserted = _inserted_ones(x.shape, resolved)
        unknown = [d for d in resolved if not isinstance(d, int) or d < 0]
        if inserted is not None and len(unknown) > 1:
            return self.unsqueeze(x, inserted, resolved, name)
        if len(unknown) <= 1:
            static = tuple(d if isinstance(d, int) else -1 for d in resolved)
            shape = self.const(np.array(static, np.int64), f"{name}.shape")
        else:
            shape = self.shape_tensor(resolved)
        return self.node("Reshape", [x, shape], name, x.dtype, shape=resolved)

    def unsqueeze(self, x: OnnxTensor, axes: list[int], dims: tuple, name: str) -> OnnxTensor:
        """`x` with size-1 dims inserted at `axes` (Unsqueeze's axes: an attribute before opset 13)."""
        if self.opset < 13:
            return self.node("Unsqueeze", [x], name, x.dtype, shape=dims, axes=axes)
        axes_tensor = self.const(np.array(axes, np.int64), f"{name}.axes")
        return self.node("Unsqueeze", [x, axes_tensor], name, x.dtype, shape=dims)

    def reshape_to(self, x: OnnxTensor, shape: OnnxTensor, name: str, rank: int | None = None) -> OnnxTensor:
        """Reshape to a run-time shape; the result's rank is `rank`, else the shape's length where known."""
        if rank is None:
            rank = shape.shape[0] if shape.shape and shape.shape[0] >= 0 else x.rank
        return self.node("Reshape", [x, shape], name, x.dtype, rank=rank)

    def shape_slice(self, x: OnnxTensor, start: int, end: int, name: str) -> OnnxTensor:
        shape = self.node("Shape", [x], f"{name}.shape", np.int64, shape=(x.rank,))
        return self._slice(shape, start, end, 0, name, size=end - start)

    def _slice(
        self, x: OnnxTensor, start: int, end: int, axis: int, name: str, step: int = 1, size: Any = -1
    ) -> OnnxTensor:
        args = [
            self.const(np.array([v], np.int64), f"{name}.{w}") for v, w in ((start, "starts"), (end, "ends"))
        ]
        args.append(self.const(np.array([axis], np.int64), f"{name}.axes"))
        if step != 1:
            args.append(self.const(np.array([step], np.int64), f"{name}.steps"))
        shape = (*x.shape[:axis], size, *x.shape[axis + 1 :])
        return self.node("Slice", [x, *args], name, x.dtype, shape=shape)

    def concat(self, tensors: Sequence[OnnxTensor], axis: int, name: str) -> OnnxTensor:
        if len(tensors) == 1:
            return tensors[0]
        sizes = [t.shape[axis] for t in tensors]
        total = sum(sizes) if all(isinstance(d, int) and d >= 0 for d in sizes) else -1
        shape = (*tensors[0].shape[:axis], total, *tensors[0].shape[axis + 1 :])
        return self.node("Concat", list(tensors), name, tensors[0].dtype, shape=shape, axis=axis)

    def gather(self, x: OnnxTensor, axis: int, index: int | Sequence[int], name: str) -> OnnxTensor:
        if (
            not isinstance(index, int)
            and list(index) == list(range(len(index)))
            and x.shape[axis] == len(index)
        ):
            return x  # every index in order
        idx = self.const(np.array(index, dtype=np.int64), f"{name}.index")
        kept = () if isinstance(index, int) else (len(index),)
        shape = (*x.shape[:axis], *kept, *x.shape[axis + 1 :])
        return self.node("Gather", [x, idx], name, x.dtype, shape=shape, axis=axis)

    def columns(
        self, x: OnnxTensor, start: int, width: int, name: str, lead: tuple[int, ...] = ()
    ) -> OnnxTensor:
        """A Gather of the columns' indices: TensorRT's parser expands a Slice of a tensor with a dynamic
        batch into ~24 layers of shape arithmetic, and a Split into slices plus shape arithmetic inside
        the loop body; a Gather with constant indices is one layer (measured on the committed models)."""
        return self.gather(x, len(lead) + 1, list(range(start, start + width)), name)

    def transpose(self, x: OnnxTensor, perm: Sequence[int], name: str) -> OnnxTensor:
        """One Transpose; a transpose of a transpose folds into one (or none where they cancel)."""
        perm = list(perm)
        if x.transposed is not None:
            source, first = x.transposed
            x, perm = source, [first[p] for p in perm]
        if perm == list(range(len(perm))):
            return x
        shape = tuple(x.shape[p] for p in perm)
        out = self.node("Transpose", [x], name, x.dtype, shape=shape, perm=perm)
        out.transposed = (x, perm)
        return out

    def reverse_steps(self, x: OnnxTensor, axis: int, name: str) -> OnnxTensor:
        """A Slice with step -1 (a Gather of a Range T-1..0 is what onnxruntime 1.32's graph optimizer
        miscomputes here: wrong numbers unless its optimizations are off)."""
        return self._slice(x, -1, np.iinfo(np.int64).min, axis, name, step=-1, size=x.shape[axis])

    def reverse_sequence(self, x: OnnxTensor, lengths: OnnxTensor, name: str) -> OnnxTensor:
        if lengths.name not in self._int64_lengths:  # ONNX's ReverseSequence takes int64 lengths
            cast = self.node("Cast", [lengths], f"{name}.lengths", np.int64, shape=lengths.shape, to=7)
            self._int64_lengths[lengths.name] = cast
        lens = self._int64_lengths[lengths.name]
        return self.node(
            "ReverseSequence", [x, lens], name, x.dtype, shape=x.shape, batch_axis=0, time_axis=1
        )

    # ---- loops ----------------------------------------------------------------------------------
    def _open_loop(self, name: str) -> OnnxScan:
        loop = OnnxScan(self, name)
        self._scopes.append(loop.body)
        return loop

    def _close_loop(self, loop: Loop) -> None:
        assert isinstance(loop, OnnxScan) and self._scopes[-1] is loop.body
        self._scopes.pop()
        loop.emit()


class OnnxScan(Loop):
    """An ONNX Scan node `<prefix>.<name>.loop`: iterated tensors are scan inputs (their axis given by
    `scan_input_axes`, reversed ones by `scan_input_directions`), stacked values scan outputs
    (`scan_output_axes`, `scan_output_directions`), so a parser can map them to ILoop iterators
    (reverse ones too) and concatenating (or REVERSE) loop outputs directly; T is the scan inputs'
    length."""

    def __init__(self, g: OnnxGraph, name: str) -> None:
        self.g, self.name = g, name
        self.body = _Scope()
        self.states = []
        self.scans = []
        #: (outer tensor, body element, axis, reverse)
        self.inputs: list[tuple[OnnxTensor, OnnxTensor, int, bool]] = []

    def iterate(self, tensor: OnnxTensor, axis: int, name: str, reverse: bool = False) -> OnnxTensor:
        element = OnnxTensor(self.g._name(name), tensor.dtype, tensor.shape[:axis] + tensor.shape[axis + 1 :])
        self.inputs.append((tensor, element, axis, reverse))
        return element

    def recurrence(self, initial: OnnxTensor, name: str) -> OnnxTensor:
        state = OnnxTensor(self.g._name(name), initial.dtype, initial.shape)
        self.states.append([initial, state, None, None])
        return state

    def set_next(self, state: OnnxTensor, value: OnnxTensor) -> None:
        entry = next(e for e in self.states if e[1] is state)
        entry[2] = value

    def stacked(self, value: OnnxTensor, axis: int, name: str, reverse: bool = False) -> OnnxTensor:
        steps = STEPS if self.g.steps is None else self.g.steps
        result = OnnxTensor(
            self.g._name(name), value.dtype, (*value.shape[:axis], steps, *value.shape[axis:])
        )
        self.scans.append((value, result, axis, reverse))
        return result

    def last(self, state: OnnxTensor, name: str) -> OnnxTensor:
        entry = next(e for e in self.states if e[1] is state)
        entry[3] = OnnxTensor(self.g._name(name), state.dtype, state.shape)
        return entry[3]

    def emit(self) -> None:
        from onnx import helper

        g = self.g
        if not self.inputs:
            raise SpecError(f"onnx target: loop {self.name}: a Scan needs an iterated tensor")

        def info(t: OnnxTensor) -> Any:  # ranks given (onnxruntime's Scan needs them), sizes left open
            dims = [d if isinstance(d, int) and d >= 0 else None for d in t.shape]
            return helper.make_tensor_value_info(t.name, helper.np_dtype_to_tensor_dtype(t.dtype), dims)

        nodes = list(self.body.nodes)
        body_outputs: list[OnnxTensor] = []
        finals = []
        for i, (_initial, state, nxt, final) in enumerate(self.states):
            if nxt is None:
                raise SpecError(f"onnx target: loop {self.name}: state {state.name} has no next value")
            body_outputs.append(nxt)
            finals.append(final.name if final else g._name(f"{self.name}.state{i}.final"))
        for i, (value, _result, _axis, _reverse) in enumerate(self.scans):
            if any(t is value for t in body_outputs):  # a body output is listed once; copy the value
                copy = OnnxTensor(g._name(f"{self.name}.scan{i}"), value.dtype, value.shape)
                nodes.append(helper.make_node("Identity", [value.name], [copy.name], name=copy.name))
                value = copy
            body_outputs.append(value)
        body = helper.make_graph(
            nodes,
            f"{g.prefix}.{self.name}.body",
            [*(info(s[1]) for s in self.states), *(info(e) for _, e, _, _ in self.inputs)],
            [info(t) for t in body_outputs],
        )
        directions = {}  # written only where a direction is reversed (the default is all forward)
        if any(r for *_, r in self.inputs):
            directions["scan_input_directions"] = [int(r) for *_, r in self.inputs]
        if any(r for *_, r in self.scans):
            directions["scan_output_directions"] = [int(r) for *_, r in self.scans]
        g.nodes.append(
            helper.make_node(
                "Scan",
                [*(s[0].name for s in self.states), *(t.name for t, *_ in self.inputs)],
                [*finals, *(r.name for _, r, *_ in self.scans)],
                name=f"{g.prefix}.{self.name}.loop",
                body=body,
                num_scan_inputs=len(self.inputs),
                scan_input_axes=[a for _, _, a, _ in self.inputs],
                scan_output_axes=[a for _, _, a, _ in self.scans],
                **directions,
            )
        )


# ---- shape bookkeeping --------------------------------------------------------------------------
def _known(d: Any) -> bool:
    return not (isinstance(d, int) and d < 0)


def _broadcast(*shapes: tuple) -> tuple:
    """Numpy broadcasting over dims that may be unknown (-1) or symbolic."""
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(rank):
        dims = [s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0]
        big = [d for d in dims if d != 1]
        known = [d for d in big if _known(d)]
        if not big:
            out.append(1)
        elif len(set(known)) == 1 and len(known) == len(big):
            out.append(known[0])
        elif len(set(known)) == 1 and len(known) < len(big):
            out.append(known[0])  # an unknown dim broadcast against a known one must be it (or 1)
        else:
            out.append(-1)
    return tuple(out)


def _matches(have: Any, want: Any) -> bool:
    """Dim `have` of a tensor is `want` of a reshape (-1 in `want` infers; unknown `have` is the symbol)."""
    if want == -1 or have == want:
        return True
    return isinstance(want, str) and have == -1


def _same_dims(have: tuple, want: tuple) -> bool:
    return len(have) == len(want) and sum(1 for w in want if w == -1) <= 1 and all(map(_matches, have, want))


def _inserted_ones(have: tuple, want: tuple) -> list[int] | None:
    """The axes where `want` inserts size-1 dims into `have` (an Unsqueeze), or None."""
    if len(want) <= len(have):
        return None
    axes, i = [], 0
    for j, w in enumerate(want):
        if (
            i < len(have)
            and _matches(have[i], w)
            and not (w == 1 and have[i] != 1 and len(want) - j > len(have) - i)
        ):
            i += 1
        elif w == 1:
            axes.append(j)
        else:
            return None
    return axes if i == len(have) and len(axes) == len(want) - len(have) else None

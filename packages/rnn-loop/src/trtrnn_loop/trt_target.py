"""The TensorRT target: `Graph` and `Loop` as layers of an INetworkDefinition (ILoop for loops).

The flattened batch dim N is either a known int or, with a dynamic leading dim, a shape tensor
computed once outside any loop; reshapes, slices and zero fills use whichever exists. T is always
known here (TensorRT's loop trip count and the add_rnn_v2 contract's `max_seq_length`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from trtrnn import trt
from trtrnn.backend import Network
from trtrnn.errors import ShapeError
from trtrnn.network import declare_range, keep_alive
from trtrnn_loop.graph import ROWS, STEPS, Dims, Graph, Loop, Tensor


class TrtGraph(Graph):
    """Adds layers to `network` under the name `prefix`, in float16 when `input_dtype` is, else float32."""

    def __init__(self, network: Network, prefix: str, input_dtype: object) -> None:
        self.trt = trt.load()
        super().__init__(prefix, input_dtype == self.trt.float16)
        self.network = network
        self._rows_tensor: Tensor | None = None  # [1] int64 shape tensor holding N when dynamic
        self._shape_cache: dict[tuple, Tensor] = {}

    def native_dtype(self, kind: str) -> object:
        return getattr(self.trt, kind)

    # ---- naming ---------------------------------------------------------------------------------
    def named(self, layer: object, name: str) -> Tensor:
        """Name `layer` and return its output 0."""
        self.name_layer(layer, name)
        return layer.get_output(0)

    def name_layer(self, layer: object, name: str) -> None:
        layer.name = f"{self.prefix}.{name}"

    # ---- symbolic dims --------------------------------------------------------------------------
    def declare_range(self, tensor: Tensor, low: int, high: int, field: str, rule: str) -> None:
        """Recorded on the network for trtrnn's CPU evaluator (TensorRT cannot assert on data)."""
        declare_range(self.network, tensor, low, high, field, rule)

    def set_steps(self, x: Tensor, axis: int, static_steps: int | None) -> None:
        if static_steps is None:
            raise ShapeError("input: the sequence length T must be known when the network is built")
        self.steps = static_steps

    def set_rows(self, flat: Tensor, static_rows: int | None) -> None:
        self.rows = static_rows
        if static_rows is None:
            shape = self.named(self.network.add_shape(flat), "rows.shape")
            self._rows_tensor = self.named(self.network.add_slice(shape, (0,), (1,), (1,)), "rows")

    def shape_tensor(self, dims: Dims) -> Tensor:
        """The int64 shape tensor of `dims` holding a dynamic N, built once each, outside loops.

        Named `rows_shape.<dims>`; its constant parts `.lead` (before N) and `.tail` (after).
        """
        dims = self.dims(dims)
        if dims not in self._shape_cache:
            name = "rows_shape." + "x".join(map(str, dims))
            at = dims.index(ROWS)
            parts = [self._rows_tensor]
            if at:
                parts.insert(0, self.const(np.array(dims[:at], dtype=np.int64), f"{name}.lead"))
            if dims[at + 1 :]:
                parts.append(self.const(np.array(dims[at + 1 :], dtype=np.int64), f"{name}.tail"))
            self._shape_cache[dims] = self.concat(parts, 0, name)
        return self._shape_cache[dims]

    # ---- constants ------------------------------------------------------------------------------
    def const(self, array: np.ndarray, name: str, float_dtype: type[np.floating] | None = None) -> Tensor:
        array = np.asarray(array)
        if np.issubdtype(array.dtype, np.floating):
            array = array.astype(float_dtype or self.np_float)
        array = np.array(array, order="C")  # a copy we own; ascontiguousarray would make 0-D arrays 1-D
        keep_alive(self.network, array)
        return self.named(self.network.add_constant(array.shape, array), name)

    def scalar_int(self, value: int, name: str) -> Tensor:
        """A 0-D int32 constant (loop trip counts and concatenation lengths)."""
        return self.const(np.array(value, dtype=np.int32), name)

    def zeros(self, lead: tuple[int, ...], width: int, name: str) -> Tensor:
        if self.rows is not None:
            return self.const(np.zeros((*lead, self.rows, width), dtype=self.np_float), name)
        rank = len(lead) + 2
        # LINSPACE fills INT32, INT64 or FLOAT only ("kLINSPACE only supports `output` type kINT32 /
        # kINT64 / kFLOAT"): a float16 graph fills float32 zeros and casts them (exact)
        layer = self.network.add_fill((0,) * rank, self.trt.FillOperation.LINSPACE, self.trt.float32)
        layer.set_input(0, self.shape_tensor((*lead, ROWS, width)))
        # start 0 and a per-dimension delta of 0 as tensors: Python's `beta` holds one scalar only
        layer.set_input(1, self.const(np.zeros(()), f"{name}.start", np.float32))
        layer.set_input(2, self.const(np.zeros(rank), f"{name}.delta", np.float32))
        zeros = self.named(layer, name)
        if not self.half:
            return zeros
        layer.name = f"{self.prefix}.{name}.fill"
        return self.named(self.network.add_cast(zeros, self.float_dtype), name)

    def positions(self, dims: Dims, axis: int, name: str) -> Tensor:
        shape = self.dims(dims)
        index = [1] * len(shape)
        index[axis] = shape[axis]
        values = np.broadcast_to(np.arange(shape[axis], dtype=np.int32).reshape(index), shape)
        return self.const(values, name)

    # ---- pointwise ------------------------------------------------------------------------------
    def elementwise(self, a: Tensor, b: Tensor, op: str, name: str) -> Tensor:
        kind = getattr(self.trt.ElementWiseOperation, op)
        return self.named(self.network.add_elementwise(a, b, kind), name)

    def activation(
        self, x: Tensor, kind: str, name: str, alpha: float | None = None, beta: float | None = None
    ) -> Tensor:
        layer = self.network.add_activation(x, getattr(self.trt.ActivationType, kind))
        if alpha is not None:
            layer.alpha = alpha
        if beta is not None:
            layer.beta = beta
        return self.named(layer, name)

    def to_float(self, x: Tensor, name: str) -> Tensor:
        return self.named(self.network.add_cast(x, self.float_dtype), name)

    # ---- matmul and data movement ---------------------------------------------------------------
    def matmul(self, a: Tensor, b: Tensor, name: str) -> Tensor:
        none = self.trt.MatrixOperation.NONE
        return self.named(self.network.add_matrix_multiply(a, none, b, none), name)

    def reshape(self, x: Tensor, dims: Dims, name: str) -> Tensor:
        """Static dims (-1 infers one dim; 0 copies the input's dim), or a shape tensor for a dynamic N.

        With a dynamic N the new shape comes from the one rows tensor read off the input, so the
        builder sees a single N for every flattened tensor (reshapes with -1 in several tensors that
        each merge a -1 dim crash TensorRT-RTX 1.7's builder).
        """
        resolved = self.dims(dims)
        if STEPS in resolved:
            raise ShapeError("the TensorRT target needs T at build time (set_steps)")
        if ROWS in resolved:
            return self.reshape_to(x, self.shape_tensor(resolved), name)
        layer = self.network.add_shuffle(x)
        layer.reshape_dims = tuple(resolved)
        return self.named(layer, name)

    def reshape_to(self, x: Tensor, shape: Tensor, name: str) -> Tensor:
        layer = self.network.add_shuffle(x)
        layer.set_input(1, shape)
        return self.named(layer, name)

    def shape_slice(self, x: Tensor, start: int, end: int, name: str) -> Tensor:
        shape = self.named(self.network.add_shape(x), f"{name}.shape")
        return self.named(self.network.add_slice(shape, (start,), (end - start,), (1,)), name)

    def concat(self, tensors: Sequence[Tensor], axis: int, name: str) -> Tensor:
        if len(tensors) == 1:
            return tensors[0]
        layer = self.network.add_concatenation(list(tensors))
        layer.axis = axis
        return self.named(layer, name)

    def gather(self, x: Tensor, axis: int, index: int | Sequence[int], name: str) -> Tensor:
        idx = self.const(np.array(index, dtype=np.int32), f"{name}.index")
        return self.named(self.network.add_gather(x, idx, axis), name)

    def columns(self, x: Tensor, start: int, width: int, name: str, lead: tuple[int, ...] = ()) -> Tensor:
        rank = len(lead) + 2
        size = (*lead, self.rows if self.rows is not None else 0, width)
        layer = self.network.add_slice(x, (0,) * (rank - 1) + (start,), size, (1,) * rank)
        if self.rows is None:
            layer.set_input(2, self.shape_tensor((*lead, ROWS, width)))
        return self.named(layer, name)

    def transpose(self, x: Tensor, perm: Sequence[int], name: str) -> Tensor:
        layer = self.network.add_shuffle(x)
        layer.first_transpose = tuple(perm)
        return self.named(layer, name)

    def reverse_steps(self, x: Tensor, axis: int, name: str) -> Tensor:
        steps = int(x.shape[axis])
        return self.gather(x, axis, list(range(steps - 1, -1, -1)), name)

    def reverse_sequence(self, x: Tensor, lengths: Tensor, name: str) -> Tensor:
        layer = self.network.add_reverse_sequence(x, lengths)
        layer.batch_axis = 0
        layer.sequence_axis = 1
        return self.named(layer, name)

    # ---- loops ----------------------------------------------------------------------------------
    def _open_loop(self, name: str) -> TrtLoop:
        return TrtLoop(self, name)

    def _close_loop(self, loop: Loop) -> None:
        """Nothing to do: TensorRT finds a loop's body by dataflow."""


class TrtLoop(Loop):
    """An ILoop with a COUNT trip limit of T, named `<name>.loop` (`<name>.steps`, `<name>.trip_limit`)."""

    def __init__(self, g: TrtGraph, name: str) -> None:
        self.g, self.name = g, name
        self.steps = g.scalar_int(g.steps, f"{name}.steps")
        self.layer = g.network.add_loop()
        self.layer.name = f"{g.prefix}.{name}.loop"
        trip = self.layer.add_trip_limit(self.steps, g.trt.TripLimit.COUNT)
        g.name_layer(trip, f"{name}.trip_limit")
        self._recurrences: list[tuple[Tensor, object]] = []

    def iterate(self, tensor: Tensor, axis: int, name: str, reverse: bool = False) -> Tensor:
        return self.g.named(self.layer.add_iterator(tensor, axis, reverse), name)

    def recurrence(self, initial: Tensor, name: str) -> Tensor:
        layer = self.layer.add_recurrence(initial)
        state = self.g.named(layer, name)
        self._recurrences.append((state, layer))
        return state

    def set_next(self, state: Tensor, value: Tensor) -> None:
        layer = next(layer for s, layer in self._recurrences if s is state)
        layer.set_input(1, value)

    def stacked(self, value: Tensor, axis: int, name: str, reverse: bool = False) -> Tensor:
        kind = self.g.trt.LoopOutput.REVERSE if reverse else self.g.trt.LoopOutput.CONCATENATE
        layer = self.layer.add_loop_output(value, kind, axis)
        layer.set_input(1, self.steps)
        return self.g.named(layer, name)

    def last(self, state: Tensor, name: str) -> Tensor:
        return self.g.named(self.layer.add_loop_output(state, self.g.trt.LoopOutput.LAST_VALUE), name)

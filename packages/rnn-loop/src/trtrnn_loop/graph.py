"""Thin helpers over INetworkDefinition: named layers, kept-alive constants, batch-size-aware slices.

Every helper names its layer `<prefix>.<what>` so the inspect listing and the benchmark can read the
lowering's structure. The flattened batch dim N is either a known int or, with a dynamic leading dim,
a shape tensor computed once outside any loop; slices and zero fills use whichever exists.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from trtrnn import trt
from trtrnn.backend import Network, Tensor
from trtrnn.network import keep_alive


class Graph:
    """Adds layers to `network` under the name `prefix`, in float16 when `input_dtype` is, else float32."""

    def __init__(self, network: Network, prefix: str, input_dtype: object) -> None:
        self.trt = trt.load()
        self.network = network
        self.prefix = prefix
        half = input_dtype == self.trt.float16
        self.float_dtype = self.trt.float16 if half else self.trt.float32
        self.np_float = np.float16 if half else np.float32
        self.rows: int | None = None  # N when known at build time
        self._rows_tensor: Tensor | None = None  # [1] int64 shape tensor holding N otherwise
        self._size_cache: dict[tuple, Tensor] = {}

    # ---- naming ---------------------------------------------------------------------------------
    def named(self, layer: object, name: str) -> Tensor:
        """Name `layer` and return its output 0."""
        self.name_layer(layer, name)
        return layer.get_output(0)

    def name_layer(self, layer: object, name: str) -> None:
        layer.name = f"{self.prefix}.{name}"

    # ---- constants ------------------------------------------------------------------------------
    def const(self, array: np.ndarray, name: str, float_dtype: type[np.floating] | None = None) -> Tensor:
        """A constant layer; floating arrays are converted to `float_dtype`, by default the graph's."""
        array = np.asarray(array)
        if np.issubdtype(array.dtype, np.floating):
            array = array.astype(float_dtype or self.np_float)
        array = np.array(array, order="C")  # a copy we own; ascontiguousarray would make 0-D arrays 1-D
        keep_alive(self.network, array)
        return self.named(self.network.add_constant(array.shape, array), name)

    def scalar_int(self, value: int, name: str) -> Tensor:
        """A 0-D int32 constant (loop trip counts and concatenation lengths)."""
        return self.const(np.array(value, dtype=np.int32), name)

    # ---- elementwise / activation / matmul / shuffle --------------------------------------------
    def add(self, a: Tensor, b: Tensor, name: str) -> Tensor:
        return self.elementwise(a, b, self.trt.ElementWiseOperation.SUM, name)

    def sub(self, a: Tensor, b: Tensor, name: str) -> Tensor:
        return self.elementwise(a, b, self.trt.ElementWiseOperation.SUB, name)

    def mul(self, a: Tensor, b: Tensor, name: str) -> Tensor:
        return self.elementwise(a, b, self.trt.ElementWiseOperation.PROD, name)

    def elementwise(self, a: Tensor, b: Tensor, op: object, name: str) -> Tensor:
        return self.named(self.network.add_elementwise(a, b, op), name)

    def activation(self, x: Tensor, kind: str, name: str) -> Tensor:
        return self.named(self.network.add_activation(x, getattr(self.trt.ActivationType, kind)), name)

    def matmul(self, a: Tensor, b: Tensor, name: str) -> Tensor:
        none = self.trt.MatrixOperation.NONE
        return self.named(self.network.add_matrix_multiply(a, none, b, none), name)

    def reshape(self, x: Tensor, dims: Sequence[int], name: str) -> Tensor:
        """Reshape with static dims (-1 infers one dim; 0 copies the input's dim)."""
        layer = self.network.add_shuffle(x)
        layer.reshape_dims = tuple(dims)
        return self.named(layer, name)

    def reshape_to(self, x: Tensor, shape: Tensor, name: str) -> Tensor:
        """Reshape to a run-time shape tensor."""
        layer = self.network.add_shuffle(x)
        layer.set_input(1, shape)
        return self.named(layer, name)

    def concat(self, tensors: Sequence[Tensor], axis: int, name: str) -> Tensor:
        if len(tensors) == 1:
            return tensors[0]
        layer = self.network.add_concatenation(list(tensors))
        layer.axis = axis
        return self.named(layer, name)

    def gather(self, x: Tensor, axis: int, index: int | Sequence[int], name: str) -> Tensor:
        """`x` at `index` along `axis`: an int removes the axis, a list of ints keeps it."""
        idx = self.const(np.array(index, dtype=np.int32), f"{name}.index")
        return self.named(self.network.add_gather(x, idx, axis), name)

    def transpose(self, x: Tensor, perm: Sequence[int], name: str) -> Tensor:
        layer = self.network.add_shuffle(x)
        layer.first_transpose = tuple(perm)
        return self.named(layer, name)

    def reverse_sequence(self, x: Tensor, lengths: Tensor, name: str) -> Tensor:
        """Reverse the first `lengths[n]` steps of `x[n]` (`[N, T, ...]`), keep the rest."""
        layer = self.network.add_reverse_sequence(x, lengths)
        layer.batch_axis = 0
        layer.sequence_axis = 1
        return self.named(layer, name)

    # ---- the flattened batch dim N --------------------------------------------------------------
    def set_rows(self, flat: Tensor, static_rows: int | None) -> None:
        """Record N for a `[N, ...]` tensor: an int, or a shape tensor read from `flat` at run time."""
        self.rows = static_rows
        if static_rows is None:
            shape = self.named(self.network.add_shape(flat), "rows.shape")
            self._rows_tensor = self.named(self.network.add_slice(shape, (0,), (1,), (1,)), "rows")

    def rows_shape(self, lead: tuple[int, ...], tail: tuple[int, ...]) -> Tensor:
        """The int64 shape tensor `[*lead, N, *tail]` (dynamic N only), built once each, outside loops."""
        key = (lead, tail)
        if key not in self._size_cache:
            name = "rows_shape." + "x".join(map(str, (*lead, "N", *tail)))
            parts = [self._rows_tensor]
            if lead:
                parts.insert(0, self.const(np.array(lead, dtype=np.int64), f"{name}.lead"))
            if tail:
                parts.append(self.const(np.array(tail, dtype=np.int64), f"{name}.tail"))
            self._size_cache[key] = self.concat(parts, 0, name)
        return self._size_cache[key]

    def to_rows(self, x: Tensor, lead: tuple[int, ...], tail: tuple[int, ...], name: str) -> Tensor:
        """Reshape `x` to `[*lead, N, *tail]`.

        With a dynamic N the new shape comes from the one rows tensor read off the input, so the
        builder sees a single N for every flattened tensor (reshapes with -1 in several tensors that
        each merge a -1 dim crash TensorRT-RTX 1.7's builder).
        """
        if self.rows is not None:
            return self.reshape(x, (*lead, self.rows, *tail), name)
        return self.reshape_to(x, self.rows_shape(lead, tail), name)

    def columns(self, x: Tensor, start: int, width: int, name: str, lead: tuple[int, ...] = ()) -> Tensor:
        """`x[..., start:start+width]` of a `[*lead, N, C]` tensor."""
        rank = len(lead) + 2
        size = (*lead, self.rows if self.rows is not None else 0, width)
        layer = self.network.add_slice(x, (0,) * (rank - 1) + (start,), size, (1,) * rank)
        if self.rows is None:
            layer.set_input(2, self.rows_shape(lead, (width,)))
        return self.named(layer, name)

    def zeros(self, lead: tuple[int, ...], width: int, name: str) -> Tensor:
        """A `[*lead, N, width]` zero tensor (an unset initial state)."""
        if self.rows is not None:
            return self.const(np.zeros((*lead, self.rows, width), dtype=self.np_float), name)
        rank = len(lead) + 2
        # LINSPACE fills INT32, INT64 or FLOAT only ("kLINSPACE only supports `output` type kINT32 /
        # kINT64 / kFLOAT"): a float16 graph fills float32 zeros and casts them (exact)
        layer = self.network.add_fill((0,) * rank, self.trt.FillOperation.LINSPACE, self.trt.float32)
        layer.set_input(0, self.rows_shape(lead, (width,)))
        # start 0 and a per-dimension delta of 0 as tensors: Python's `beta` holds one scalar only
        layer.set_input(1, self.const(np.zeros(()), f"{name}.start", np.float32))
        layer.set_input(2, self.const(np.zeros(rank), f"{name}.delta", np.float32))
        zeros = self.named(layer, name)
        if self.float_dtype == self.trt.float32:
            return zeros
        layer.name = f"{self.prefix}.{name}.fill"
        return self.named(self.network.add_cast(zeros, self.float_dtype), name)

"""The small graph-building interface the lowering is written against: one lowering, several targets.

`lowering.lower` and `cells.step` build an RNN only through `Graph` and `Loop`; a target implements
them for one kind of graph: `trt_target.TrtGraph` adds layers to a TensorRT INetworkDefinition,
`onnx_target.OnnxGraph` emits ONNX nodes. Tensors are the target's own handles; all the lowering
reads off one is `.shape` (ints, -1 where only known at run time) and `.dtype` (the target's type
object, compared with `native_dtype(...)` and only printed in error messages).

Vocabulary shared by every target:
- elementwise ops are TensorRT's `ElementWiseOperation` names (SUM, SUB, PROD, DIV, MAX, MIN, LESS, ...);
- activation kinds are TensorRT's `ActivationType` names (RELU, SIGMOID, TANH, LEAKY_RELU, ELU,
  SOFTSIGN, SOFTPLUS, HARD_SIGMOID, SCALED_TANH, THRESHOLDED_RELU, CLIP, ...) with TensorRT's
  meaning of `alpha` / `beta`;
- shapes given to `reshape` may hold the symbolic dims `ROWS` (the flattened batch N) and `STEPS`
  (the sequence length T); a target turns them into ints where it knows them at build time and into
  run-time shape computations (made once, outside any loop) where it does not.

Every op takes a `name`; targets name what they make `<prefix>.<name>` so listings, tests and
benchmarks can read the lowering's structure.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

#: A target's tensor handle (TensorRT ITensor, or the ONNX target's named value).
Tensor = Any


class _Dim(str):
    """A symbolic dim in a `reshape` shape (a str so shapes print readably)."""


ROWS = _Dim("N")  # the flattened batch dim
STEPS = _Dim("T")  # the sequence length
Dims = Sequence["int | _Dim"]


class Loop(ABC):
    """One loop over the T steps; ops added while it is open (`with g.loop(...)`) form its body.

    The body may read any tensor made before the loop; tensors made in the body are only visible
    outside through `stacked` and `last`.
    """

    @abstractmethod
    def iterate(self, tensor: Tensor, axis: int, name: str, reverse: bool = False) -> Tensor:
        """`tensor` at the current step along `axis` (the axis removed); `tensor` comes from outside.
        With `reverse` the first step reads its last element (step i reads element T-1-i)."""

    @abstractmethod
    def recurrence(self, initial: Tensor, name: str) -> Tensor:
        """A state: `initial` at the first step, then what `set_next` gives it each step."""

    @abstractmethod
    def set_next(self, state: Tensor, value: Tensor) -> None:
        """`value` (same shape) is `state` at the next step."""

    @abstractmethod
    def stacked(self, value: Tensor, axis: int, name: str, reverse: bool = False) -> Tensor:
        """Outside the loop: `value` of every step, stacked along a new axis `axis` (with `reverse`
        the first step's value last: step i's at T-1-i)."""

    @abstractmethod
    def last(self, state: Tensor, name: str) -> Tensor:
        """Outside the loop: a `recurrence`'s value after the last step."""


class Graph(ABC):
    """Builds in float16 when `half`, else float32, naming everything `<prefix>.<name>`."""

    def __init__(self, prefix: str, half: bool) -> None:
        self.prefix = prefix
        self.half = half
        self.np_float: type[np.floating] = np.float16 if half else np.float32
        self.rows: int | None = None  # N where known at build time (set_rows)
        self.steps: int | None = None  # T where known at build time (set_steps)

    # ---- types --------------------------------------------------------------------------------
    @abstractmethod
    def native_dtype(self, kind: str) -> object:
        """The target's type object for "float32", "float16", "int32" or "int64"."""

    @property
    def float_dtype(self) -> object:
        """The graph's float type, as the target names it."""
        return self.native_dtype("float16" if self.half else "float32")

    # ---- symbolic dims ------------------------------------------------------------------------
    @abstractmethod
    def set_steps(self, x: Tensor, axis: int, static_steps: int | None) -> None:
        """Record T: an int, or read at run time from dim `axis` of `x`."""

    @abstractmethod
    def set_rows(self, flat: Tensor, static_rows: int | None) -> None:
        """Record N for a `[N, ...]` tensor: an int, or read from `flat` at run time."""

    def dims(self, dims: Dims) -> tuple[int | _Dim, ...]:
        """`dims` with ROWS / STEPS replaced by their build-time values where known."""
        known = {ROWS: self.rows, STEPS: self.steps}
        return tuple(known.get(d, d) if isinstance(d, _Dim) and known.get(d) is not None else d for d in dims)

    def to_rows(self, x: Tensor, lead: tuple[int, ...], tail: Dims, name: str) -> Tensor:
        """Reshape `x` to `[*lead, N, *tail]`."""
        return self.reshape(x, (*lead, ROWS, *tail), name)

    def declare_range(self, tensor: Tensor, low: int, high: int, field: str, rule: str) -> None:
        """Every value of the integer `tensor` must lie in [low, high] (a target records the contract
        where it can check it; by default nothing is recorded)."""
        return None

    # ---- constants ----------------------------------------------------------------------------
    @abstractmethod
    def const(self, array: np.ndarray, name: str, float_dtype: type[np.floating] | None = None) -> Tensor:
        """A constant; floating arrays are converted to `float_dtype`, by default the graph's."""

    @abstractmethod
    def zeros(self, lead: tuple[int, ...], width: int, name: str) -> Tensor:
        """A `[*lead, N, width]` zero tensor in the graph's float type (an unset initial state)."""

    @abstractmethod
    def positions(self, dims: Dims, axis: int, name: str) -> Tensor:
        """An int32 tensor of shape `dims` holding each element's index along `axis` (e.g. step numbers)."""

    # ---- pointwise ----------------------------------------------------------------------------
    @abstractmethod
    def elementwise(self, a: Tensor, b: Tensor, op: str, name: str) -> Tensor:
        """`a op b` with broadcasting; `op` is an ElementWiseOperation name (SUM, PROD, LESS, ...)."""

    def add(self, a: Tensor, b: Tensor, name: str) -> Tensor:
        return self.elementwise(a, b, "SUM", name)

    def sub(self, a: Tensor, b: Tensor, name: str) -> Tensor:
        return self.elementwise(a, b, "SUB", name)

    def mul(self, a: Tensor, b: Tensor, name: str) -> Tensor:
        return self.elementwise(a, b, "PROD", name)

    @abstractmethod
    def activation(
        self, x: Tensor, kind: str, name: str, alpha: float | None = None, beta: float | None = None
    ) -> Tensor:
        """An ActivationType `kind` (RELU, SIGMOID, TANH, ...) with TensorRT's alpha/beta."""

    @abstractmethod
    def to_float(self, x: Tensor, name: str) -> Tensor:
        """`x` cast to the graph's float type (booleans become 0.0 / 1.0)."""

    # ---- matmul and data movement -------------------------------------------------------------
    @abstractmethod
    def matmul(self, a: Tensor, b: Tensor, name: str) -> Tensor:
        """Batched `a . b` over the last two dims, batch dims broadcast."""

    @abstractmethod
    def reshape(self, x: Tensor, dims: Dims, name: str) -> Tensor:
        """Reshape to `dims`: ints (-1 infers one dim), ROWS and STEPS."""

    @abstractmethod
    def reshape_to(self, x: Tensor, shape: Tensor, name: str) -> Tensor:
        """Reshape to a run-time int64 shape tensor (from `shape_slice` and `const`s)."""

    @abstractmethod
    def shape_slice(self, x: Tensor, start: int, end: int, name: str) -> Tensor:
        """The int64 `[end - start]` tensor of `x`'s dims `start:end`, read at run time."""

    @abstractmethod
    def concat(self, tensors: Sequence[Tensor], axis: int, name: str) -> Tensor:
        """Concatenation along `axis` (a single tensor is returned as is)."""

    @abstractmethod
    def gather(self, x: Tensor, axis: int, index: int | Sequence[int], name: str) -> Tensor:
        """`x` at `index` along `axis`: an int removes the axis, a list of ints keeps it."""

    @abstractmethod
    def columns(self, x: Tensor, start: int, width: int, name: str, lead: tuple[int, ...] = ()) -> Tensor:
        """`x[..., start:start+width]` of a `[*lead, N, C]` tensor."""

    @abstractmethod
    def transpose(self, x: Tensor, perm: Sequence[int], name: str) -> Tensor:
        """Dims permuted: output dim i is input dim `perm[i]`."""

    @abstractmethod
    def reverse_steps(self, x: Tensor, axis: int, name: str) -> Tensor:
        """`x` reversed along `axis` (time, without lengths)."""

    @abstractmethod
    def reverse_sequence(self, x: Tensor, lengths: Tensor, name: str) -> Tensor:
        """Reverse the first `lengths[n]` steps of `x[n]` (`[N, T, ...]`), keep the rest."""

    # ---- loops --------------------------------------------------------------------------------
    @abstractmethod
    def _open_loop(self, name: str) -> Loop:
        """A loop over T steps (STEPS), its body open for ops until `_close_loop`."""

    @abstractmethod
    def _close_loop(self, loop: Loop) -> None:
        """End `loop`'s body; its `stacked` / `last` tensors become usable."""

    @contextmanager
    def loop(self, name: str) -> Iterator[Loop]:
        """`with g.loop(name) as loop:` ops added in the block form the body of a loop over T steps."""
        loop = self._open_loop(name)
        yield loop
        self._close_loop(loop)

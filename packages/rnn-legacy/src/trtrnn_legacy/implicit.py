"""`ImplicitBatchNetwork`: TensorRT 7's implicit-batch programming model on a TensorRT without it.

In implicit batch mode tensors are declared without the batch dim and the batch size is given per
execution (`execute_async(batch_size, bindings)`), up to the builder's `max_batch_size`. Here the
network is a real explicit one whose every input carries a dynamic leading dim (-1) with an
optimization profile `1..max_batch_size`; the user works with `ImplicitTensor`s whose `shape` hides
that dim, and the layers that take dims or axes (shuffle, constants) translate them by one. Only the
layers an RNN program around `add_rnn` needs are offered (`SUPPORTED`); anything else is refused by
name (the real network is `.network` for explicit-batch editing). Where TensorRT itself still has
implicit batch and `add_rnn` (<= 7.x) the wrapper is a thin pass-through to a real implicit network.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import trtrnn
from trtrnn import trt
from trtrnn.errors import ExecutionUnavailableError, ShapeError, SpecError, TrtrnnError
from trtrnn.lazylayer import positive_int
from trtrnn.network import ProfileShapes, keep_alive, serialize_network
from trtrnn_legacy import layer as legacy_layer
from trtrnn_legacy import native

#: The `INetworkDefinition` methods this wrapper offers.
SUPPORTED = (
    "add_input", "add_constant", "add_shuffle", "add_elementwise", "add_activation", "add_unary",
    "add_identity", "add_rnn", "mark_output",
)  # fmt: skip
EXECUTORS = ("auto", "cpu", "gpu")


class BatchSizeError(ShapeError):
    """An execution asked for a batch size outside `1..max_batch_size` of its ImplicitBatchNetwork."""


class ImplicitBatchUnsupportedError(TrtrnnError, NotImplementedError):
    """A network method or setting the implicit-batch emulation does not translate."""


class ImplicitTensor:
    """A tensor as implicit-batch code sees it: `shape` without the batch dim the real tensor leads with.

    `batched` is False for tensors derived only from constants (real leading dim 1, broadcast over
    the batch as TensorRT 7 broadcast constants).
    """

    __slots__ = ("batched", "real")

    def __init__(self, real: Any, batched: bool) -> None:
        self.real = real
        self.batched = batched

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.real.shape)[1:]

    @property
    def name(self) -> str:
        return self.real.name

    @name.setter
    def name(self, value: str) -> None:
        self.real.name = value

    @property
    def dtype(self) -> Any:
        return self.real.dtype

    def __repr__(self) -> str:
        return f"<ImplicitTensor {self.name!r} shape={self.shape} (+ implicit batch)>"


class ImplicitTensors:
    """The adapter `RNNLayer` uses inside an ImplicitBatchNetwork (see `layer.TensorAdapter`)."""

    def unwrap(self, tensor: object, field: str) -> Any:
        if not isinstance(tensor, ImplicitTensor):
            raise SpecError(
                f"{field}: expected a tensor of this ImplicitBatchNetwork (an ImplicitTensor); "
                f"got {type(tensor).__name__}"
            )
        return tensor.real

    def wrap(self, tensor: Any) -> ImplicitTensor | None:
        return None if tensor is None else ImplicitTensor(tensor, True)

    def user_dims(self, tensor: Any) -> tuple[int, ...]:
        return tuple(int(d) for d in tensor.shape)[1:]


class ImplicitLayer:
    """A real layer whose outputs are handed out as ImplicitTensors; other attributes pass through."""

    def __init__(self, real: Any, batched: bool) -> None:
        object.__setattr__(self, "_real", real)
        object.__setattr__(self, "_batched", batched)

    def get_output(self, index: int) -> ImplicitTensor:
        return ImplicitTensor(self._real.get_output(index), self._batched)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._real, name, value)


class ImplicitShuffleLayer(ImplicitLayer):
    """A shuffle whose transposes and reshape dims exclude the batch dim (kept in front, in place)."""

    def __getattr__(self, name: str) -> Any:
        if name in ("first_transpose", "second_transpose", "reshape_dims"):
            return self.__dict__.get("_user_" + name)
        return getattr(self._real, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("first_transpose", "second_transpose"):
            perm = tuple(int(p) for p in value)
            setattr(self._real, name, (0, *(p + 1 for p in perm)))
        elif name == "reshape_dims":
            perm = tuple(int(d) for d in value)
            self._real.reshape_dims = (0, *perm)  # 0 copies the batch dim (zero_is_placeholder)
        elif name == "zero_is_placeholder" and not value:
            raise ImplicitBatchUnsupportedError(
                "zero_is_placeholder: False is not supported in an ImplicitBatchNetwork; its shuffles carry "
                "the batch dim as a leading 0 placeholder, which needs zero_is_placeholder=True"
            )
        else:
            setattr(self._real, name, value)
            return
        self.__dict__["_user_" + name] = perm


class ImplicitBatchNetwork:
    """An implicit-batch network: inputs without the batch dim, the batch size given per `execute`.

    ```python
    network = ImplicitBatchNetwork(max_batch_size=8)
    x = network.add_input("x", trt.float32, (T, N, E))       # no batch dim, as in TensorRT 7
    rnn = network.add_rnn(x, 1, H, T, RNNOperation.LSTM, RNNInputMode.LINEAR,
                          RNNDirection.UNIDIRECTION, weights, bias)
    network.mark_output(rnn.get_output(0))
    outputs = network.execute(batch_size, {"x": batch})      # batch: (batch_size, T, N, E)
    ```
    `.network` / `.builder` are the real explicit network and its builder; `.profile` the shapes
    `1..max_batch_size` of every input. Executions go to the CPU evaluator or, where engines run, to
    an engine built on first use (`executor="auto"|"cpu"|"gpu"`); `close()` frees it.
    """

    def __init__(self, max_batch_size: int = 1) -> None:
        self.max_batch_size = positive_int("max_batch_size", max_batch_size)
        self.native = native.available()
        if self.native:  # TensorRT <= 7: a real implicit-batch network (no creation flags)
            trt_mod = trt.load()
            self.builder = trt_mod.Builder(trt.logger())
            self.builder.max_batch_size = self.max_batch_size
            self.network = self.builder.create_network()
            self.tensor_adapter: Any = legacy_layer.PlainTensors()
        else:
            self.builder, self.network = trt.create_network()
            self.tensor_adapter = ImplicitTensors()
        self._inputs: dict[str, tuple[int, ...]] = {}
        self._engine: Any = None
        #: BuilderFlag.TF32 for the engines this network builds (`serialize`, `execute` on a GPU): None
        #: keeps TensorRT's default (on), False computes float32 matmuls exactly, True reads their
        #: operands as TF32. CPU execution rounds matmul operands to TF32 only when it is True.
        self.tf32: bool | None = None

    # ---- building ----------------------------------------------------------------------------
    def _real(self, tensor: object, field: str) -> Any:
        return self.tensor_adapter.unwrap(tensor, field)

    def _wrap(self, layer: Any, *tensors: object) -> Any:
        if self.native:
            return layer
        return ImplicitLayer(layer, any(t.batched for t in tensors))  # type: ignore[attr-defined]

    def add_input(self, name: str, dtype: Any, shape: Sequence[int]) -> Any:
        """An input of `shape` (without the batch dim); executions supply `(batch_size, *shape)`."""
        dims = tuple(int(d) for d in shape)
        if any(d < 1 for d in dims):
            raise ShapeError(
                f"add_input {name!r}: shape {dims}; implicit-batch inputs have static dims >= 1 (the batch "
                "is the only dim given at execution)"
            )
        self._inputs[name] = dims
        if self.native:
            return self.network.add_input(name, dtype, dims)
        return ImplicitTensor(self.network.add_input(name, dtype, (-1, *dims)), True)

    def add_constant(self, shape: Sequence[int], weights: object) -> Any:
        """A constant of `shape` (no batch dim), broadcast over the batch like TensorRT 7's constants."""
        array = np.ascontiguousarray(weights.numpy() if hasattr(weights, "numpy") else weights)
        keep_alive(self.network, array)
        dims = tuple(int(d) for d in shape)
        if self.native:
            return self.network.add_constant(dims, array)
        return ImplicitLayer(self.network.add_constant((1, *dims), array), False)

    def add_shuffle(self, input: object) -> Any:
        layer = self.network.add_shuffle(self._real(input, "add_shuffle input"))
        return layer if self.native else ImplicitShuffleLayer(layer, input.batched)  # type: ignore[attr-defined]

    def add_elementwise(self, input1: object, input2: object, op: Any) -> Any:
        a, b = self._real(input1, "add_elementwise input1"), self._real(input2, "add_elementwise input2")
        return self._wrap(self.network.add_elementwise(a, b, op), input1, input2)

    def add_activation(self, input: object, type: Any) -> Any:
        return self._wrap(self.network.add_activation(self._real(input, "add_activation input"), type), input)

    def add_unary(self, input: object, op: Any) -> Any:
        return self._wrap(self.network.add_unary(self._real(input, "add_unary input"), op), input)

    def add_identity(self, input: object) -> Any:
        return self._wrap(self.network.add_identity(self._real(input, "add_identity input")), input)

    #: TensorRT 7's add_rnn on `[T, N, E]`: `trtrnn_legacy.add_rnn` itself, with this network first.
    add_rnn = legacy_layer.add_rnn

    def mark_output(self, tensor: object) -> None:
        self.network.mark_output(self._real(tensor, "mark_output tensor"))

    @property
    def num_inputs(self) -> int:
        return self.network.num_inputs

    @property
    def num_outputs(self) -> int:
        return self.network.num_outputs

    @property
    def num_layers(self) -> int:
        return self.network.num_layers

    def get_input(self, index: int) -> Any:
        return self.tensor_adapter.wrap(self.network.get_input(index))

    def get_output(self, index: int) -> Any:
        return self.tensor_adapter.wrap(self.network.get_output(index))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("add_") or name.startswith("mark_"):
            raise ImplicitBatchUnsupportedError(
                f"{name}: not offered by ImplicitBatchNetwork, which translates only {', '.join(SUPPORTED)} "
                "to the implicit batch; build other layers on `.network` (explicit batch: every tensor there "
                "has the batch as its leading dim)"
            )
        raise AttributeError(f"'ImplicitBatchNetwork' object has no attribute {name!r}")

    # ---- building the engine -----------------------------------------------------------------
    @property
    def profile(self) -> ProfileShapes:
        """Every input's (min, opt, max) shape: batch 1, max_batch_size, max_batch_size."""
        top = self.max_batch_size
        return {name: ((1, *d), (top, *d), (top, *d)) for name, d in self._inputs.items()}

    def serialize(self, **options: Any) -> bytes:
        """The engine's bytes (BuildError if the builder refuses); `options` as for serialize_network
        (`tf32` defaults to the network's own `tf32`)."""
        self._require_emulated("serialize")
        options.setdefault("tf32", self.tf32)
        return serialize_network(self.builder, self.network, self.profile, **options)

    # ---- execution ---------------------------------------------------------------------------
    def execute(
        self,
        batch_size: int,
        inputs: Mapping[str, np.ndarray] | Sequence[np.ndarray],
        *,
        executor: str = "auto",
    ) -> dict[str, np.ndarray]:
        """Run `batch_size` items; `inputs` by name or in declaration order, `batch_size * prod(shape)`
        values each (read row-major, as TensorRT 7 read bindings). Returns the outputs in marking order,
        each `(batch_size, *shape)`.
        """
        self._require_emulated("execute")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise BatchSizeError(
                f"batch_size: expected an int in [1, {self.max_batch_size}]; got {batch_size!r}"
            )
        if not 1 <= batch_size <= self.max_batch_size:
            raise BatchSizeError(
                f"batch_size: {batch_size} is outside [1, max_batch_size={self.max_batch_size}] of this "
                f"ImplicitBatchNetwork (its optimization profile covers batches 1..{self.max_batch_size}); "
                f"to run it, create the network as ImplicitBatchNetwork(max_batch_size={batch_size})"
            )
        if executor not in EXECUTORS:
            raise TrtrnnError(f"execute: executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
        feeds = self._feeds(int(batch_size), inputs)
        if executor == "auto":
            executor = "gpu" if trt.engine_execution() else "cpu"
        if executor == "gpu":
            results = self._open_engine().infer(feeds)
        else:
            results = trtrnn.evaluate(self.network, feeds, tf32=bool(self.tf32))
        order = [self.network.get_output(i).name for i in range(self.network.num_outputs)]
        return {name: self._batched(results[name], batch_size) for name in order}

    def _feeds(
        self, batch: int, inputs: Mapping[str, np.ndarray] | Sequence[np.ndarray]
    ) -> dict[str, np.ndarray]:
        names = list(self._inputs)
        if not isinstance(inputs, Mapping):
            arrays = list(inputs)
            if len(arrays) != len(names):
                raise ShapeError(f"inputs: {len(arrays)} arrays; the network declares {len(names)}: {names}")
            inputs = dict(zip(names, arrays))
        unknown = sorted(set(inputs) - set(names))
        missing = [n for n in names if n not in inputs]
        if unknown or missing:
            raise ShapeError(f"inputs: unknown {unknown}, missing {missing}; the network declares {names}")
        feeds = {}
        for name in names:
            dims = self._inputs[name]
            array = np.asarray(inputs[name])
            want = batch * math.prod(dims)
            if array.size != want:
                raise ShapeError(
                    f"input {name!r}: {array.size} values (shape {array.shape}); expected {want} = "
                    f"batch_size {batch} x shape {dims}"
                )
            dtype = trt.load().nptype(self.network.get_input(names.index(name)).dtype)
            feeds[name] = np.ascontiguousarray(array, dtype=dtype).reshape(batch, *dims)
        return feeds

    def _batched(self, value: np.ndarray, batch: int) -> np.ndarray:
        """An output that depends only on constants has a leading 1; give it the batch like TensorRT 7."""
        if value.shape[:1] == (1,) and batch > 1:
            return np.broadcast_to(value, (batch, *value.shape[1:])).copy()
        return value

    def _open_engine(self) -> Any:
        if self._engine is None:
            from trtrnn.engine import Engine

            self._engine = Engine.build(self.network, self.builder, profile=self.profile, tf32=self.tf32)
        return self._engine

    def _require_emulated(self, what: str) -> None:
        if self.native:
            raise ExecutionUnavailableError(
                f"{what}: this TensorRT has implicit batch itself; build and run it the TensorRT 7 way "
                "(builder.build_engine, context.execute_async(batch_size, bindings)) on `.builder`/`.network`"
            )

    def close(self) -> None:
        """Free the engine built by a GPU execution (safe to call twice)."""
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()

    def __enter__(self) -> ImplicitBatchNetwork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<ImplicitBatchNetwork max_batch_size={self.max_batch_size} inputs={list(self._inputs)} "
            f"{self.network.num_layers} layers{' (native)' if self.native else ''}>"
        )

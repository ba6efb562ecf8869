"""`add_rnn` and `RNNLayer`: TensorRT 7's IRNNLayer programming model (SEMANTICS.md §6) on any TensorRT.

TensorRT built lazily, so TensorRT 7 code could reset `weights`, `bias` or `op` after `add_rnn` (the
seed does). The layer collects that configuration and adds real layers the first time an output is
asked for, because the returned tensor must exist for the user's next layer. The whole configuration
is checked there (`RNNSpec.validate` and the blob sizes); afterwards it is frozen (ConfigurationError).
"""

from __future__ import annotations

from typing import ClassVar, Protocol

import numpy as np

from trtrnn import trt
from trtrnn.backend import DYNAMIC, Network, RNNOutputs, Tensor, dims_of
from trtrnn.errors import ShapeError, SpecError
from trtrnn.lazylayer import LazyRNNLayer, Setting
from trtrnn.spec import RNNSpec
from trtrnn_legacy import blob, lowering, native


class TensorAdapter(Protocol):
    """How the user's tensors relate to the real network's (identity, or the implicit batch's proxies)."""

    def unwrap(self, tensor: object, field: str) -> Tensor: ...
    def wrap(self, tensor: Tensor) -> object: ...
    def user_dims(self, tensor: Tensor) -> tuple[int, ...]: ...


class PlainTensors:
    """Tensors of an ordinary (explicit) network: the user's tensors are the real ones."""

    def unwrap(self, tensor: object, field: str) -> Tensor:
        if not isinstance(tensor, trt.load().ITensor):
            raise SpecError(f"{field}: expected an ITensor of this network; got {type(tensor).__name__}")
        return tensor

    def wrap(self, tensor: Tensor) -> Tensor:
        return tensor

    def user_dims(self, tensor: Tensor) -> tuple[int, ...]:
        return dims_of(tensor)


def _state_tensor(layer: RNNLayer, value: object, field: str) -> object:
    """A state tensor of the layer's network as the user gave it (checked now, unwrapped at lowering)."""
    if value is not None:
        layer._tensors.unwrap(value, field)
    return value


class RNNLayer(LazyRNNLayer):
    """What `add_rnn` returns: IRNNLayer's attributes, lowered at the first `get_output`.

    Read-only: `num_layers`, `hidden_size`, `max_seq_length`, `data_length`. Settable until the first
    `get_output`: `weights`, `bias` (legacy blobs, see `trtrnn_legacy.blob`), `op`, `input_mode`,
    `direction` (trtrnn or TensorRT enum members, names or ints), `hidden_state`, `cell_state`
    (tensors `[L', N, H]`, None = zeros).
    """

    lazy_release = "TensorRT 7"
    api_layer = "IRNNLayer"
    absent_attributes: ClassVar[dict[str, str]] = {
        "seq_lengths": "IRNNLayer has no sequence-lengths input (IRNNv2Layer added one); every sequence "
        "runs all max_seq_length steps"
    }
    name_prefix = "rnn_legacy"

    def __init__(
        self,
        network: Network,
        input: object,
        layer_count: int,
        hidden_size: int,
        max_seq_length: int,
        op: object,
        mode: object,
        direction: object,
        weights: object,
        bias: object,
        *,
        tensors: TensorAdapter | None = None,
    ) -> None:
        self._tensors = tensors or PlainTensors()
        real = self._tensors.unwrap(input, "add_rnn input")
        super().__init__(
            "add_rnn", network, real, layer_count, hidden_size, max_seq_length, op, mode, direction
        )
        dims = dims_of(real)
        if (
            len(dims) not in (lowering.BASE_RANK, lowering.BASE_RANK + 1)
            or dims[-3] != max_seq_length
            or dims[-1] == DYNAMIC
        ):
            raise ShapeError(
                f"add_rnn input: shape {self._tensors.user_dims(real)}; expected (T={max_seq_length}, N, E): "
                "sequence-major, T equal to max_seq_length, a static data length E (and at most one "
                "implicit batch dim before T)"
            )
        self._hidden_state: object = None
        self._cell_state: object = None
        self._weights = self._checked_blob(blob.WEIGHTS, weights)
        self._bias = self._checked_blob(blob.BIAS, bias)

    # ---- settable configuration (op, input_mode, direction: trtrnn.lazylayer.LazyRNNLayer) ------
    weights = Setting(lambda layer, v, _: layer._checked_blob(blob.WEIGHTS, v), "The weight blob (flat).")
    bias = Setting(lambda layer, v, _: layer._checked_blob(blob.BIAS, v), "The bias blob (flat).")
    hidden_state = Setting(_state_tensor, "Initial hidden state `[L', N, H]` (None = zeros).")
    cell_state = Setting(_state_tensor, "Initial cell state `[L', N, H]`, LSTM (None = zeros).")

    # ---- outputs (get_output: trtrnn.lazylayer.LazyRNNLayer) -----------------------------------
    def _wrap(self, tensor: Tensor) -> object:
        return self._tensors.wrap(tensor)

    def spec(self) -> RNNSpec:
        """The validated RNNSpec of this configuration, weights cut out of the blobs (batch-major view)."""
        return blob.from_blobs(self._config(), self._weights, self._bias).validate()

    def _config(self) -> RNNSpec:
        return RNNSpec(
            op=self._op,
            hidden_size=self._hidden_size,
            max_seq_length=self._max_seq_length,
            data_length=self.data_length,
            num_layers=self._num_layers,
            input_mode=self._input_mode,
            direction=self._direction,
            batch_shape=lowering.batch_shape(self._input),
        )

    def _checked_blob(self, kind: str, value: object) -> np.ndarray:
        """The blob as flat float32, its size checked against the current configuration."""
        array = blob.as_blob(value, kind)
        blob.check_size(self._config(), kind, array)
        return array

    def _lower(self) -> RNNOutputs:
        spec = self.spec()
        self._check_cell_state(self._cell_state)
        add = native.add_rnn if native.available() else lowering.add_rnn
        hidden, cell = (
            None if t is None else self._tensors.unwrap(t, field)
            for t, field in ((self._hidden_state, "hidden_state"), (self._cell_state, "cell_state"))
        )
        return add(self._network, spec, self._input, hidden, cell, name=self.name)


def add_rnn(
    network: Network,
    input: object,
    layer_count: int,
    hidden_size: int,
    max_seq_length: int,
    op: object,
    mode: object,
    direction: object,
    weights: object,
    bias: object,
) -> RNNLayer:
    """TensorRT 7's `network.add_rnn(input, layer_count, hidden_size, max_seq_length, op, mode, direction,
    weights, bias)`.

    `network` is an `ImplicitBatchNetwork` (its `add_rnn` method calls this) or an ordinary network;
    `input` is sequence-major `[T, N, E]` with `T == max_seq_length`; `weights`/`bias` are the legacy
    blobs (layout: `trtrnn_legacy.blob`). The RNN is added to the network at the first `get_output`.
    """
    adapter = getattr(network, "tensor_adapter", None)
    real = getattr(network, "network", network) if adapter is not None else network
    return RNNLayer(
        real, input, layer_count, hidden_size, max_seq_length, op, mode, direction, weights, bias,
        tensors=adapter,
    )  # fmt: skip

"""`add_rnn_v2` and `RNNv2Layer`: IRNNv2Layer's programming model on any TensorRT (SEMANTICS.md §3-5).

TensorRT built lazily, so TensorRT 8 code configures the layer in any order after creating it (the
seed even switches `op`). Here the layer object collects that configuration and turns it into real
layers the first time an output is asked for, because the returned tensor must exist for the user's
next layer. That moment is where every rule is checked (`RNNSpec.validate`, the one source of the
rules); after it the configuration is frozen and changing it raises ConfigurationError.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

from trtrnn import registry, trt
from trtrnn.backend import DYNAMIC, Network, RNNInputs, RNNOutputs, Tensor, dims_of
from trtrnn.enums import GATES, RNNDirection, RNNGateType, RNNOperation, coerce
from trtrnn.errors import GateError, MissingWeightsError, ShapeError, SpecError
from trtrnn.lazylayer import LazyRNNLayer, Setting
from trtrnn.spec import RNNSpec, WeightKey, key_name
from trtrnn_v2 import native
from trtrnn_v2.tensors import fit


class WeightLayoutWarning(UserWarning):
    """A 2-D weight of the right size but another shape was read row-major, as TensorRT 8 did."""


def _tensor(_: object, value: object, field: str) -> Tensor | None:
    if value is not None and not isinstance(value, trt.load().ITensor):
        raise SpecError(f"{field}: expected an ITensor (or None to unset); got {type(value).__name__}")
    return value


class RNNv2Layer(LazyRNNLayer):
    """What `add_rnn_v2` returns: IRNNv2Layer's attributes and methods, lowered on first `get_output`.

    Read-only: `num_layers`, `hidden_size`, `max_seq_length`, `data_length`. Settable until the first
    `get_output`: `op`, `input_mode`, `direction` (trtrnn or TensorRT enum members, names or ints),
    `seq_lengths`, `hidden_state`, `cell_state` (ITensors; states may omit leading 1s, see
    `trtrnn_v2.tensors`), and per-gate weights and biases.
    """

    lazy_release = "TensorRT 8"
    api_layer = "IRNNv2Layer"
    name_prefix = "rnn_v2"
    seq_lengths = Setting(_tensor, "int32 ITensor [B...] of per-sequence lengths; None = all T.")
    hidden_state = Setting(_tensor, "ITensor [B..., L', H] of initial hidden states; None = zeros.")
    cell_state = Setting(_tensor, "ITensor [B..., L', H] of initial cell states (LSTM); None = zeros.")

    def __init__(
        self,
        network: Network,
        input: Tensor,
        layer_count: int,
        hidden_size: int,
        max_seq_length: int,
        op: RNNOperation | object,
    ) -> None:
        input = _tensor(self, input, "add_rnn_v2 input")
        super().__init__("add_rnn_v2", network, input, layer_count, hidden_size, max_seq_length, op)
        dims = dims_of(input)
        if len(dims) < 2 or dims[-1] == DYNAMIC or dims[-2] != max_seq_length:
            raise ShapeError(
                f"add_rnn_v2 input: shape {dims}; expected (*B, T={max_seq_length}, E) with T equal to "
                "max_seq_length and a static data length E"
            )
        self._seq_lengths = self._hidden_state = self._cell_state = None
        self._weights: dict[WeightKey, np.ndarray] = {}
        self._biases: dict[WeightKey, np.ndarray] = {}

    # ---- weights and biases ----------------------------------------------------------------------
    def set_weights_for_gate(self, layer_index: int, gate: object, is_w: bool, weights: object) -> None:
        """Set W (is_w) or R of one gate of one layer index; read row-major like TensorRT's Weights."""
        self._set_param("weights", self._weights, layer_index, gate, is_w, weights)

    def set_bias_for_gate(self, layer_index: int, gate: object, is_w: bool, bias: object) -> None:
        """Set Wb (is_w) or Rb of one gate of one layer index (H values)."""
        self._set_param("biases", self._biases, layer_index, gate, is_w, bias)

    def get_weights_for_gate(self, layer_index: int, gate: object, is_w: bool) -> np.ndarray:
        """The weights set for this key (read-only float32); MissingWeightsError if unset."""
        return self._get_param("weights", self._weights, layer_index, gate, is_w)

    def get_bias_for_gate(self, layer_index: int, gate: object, is_w: bool) -> np.ndarray:
        """The bias set for this key (read-only float32); MissingWeightsError if unset."""
        return self._get_param("biases", self._biases, layer_index, gate, is_w)

    def _key(self, what: str, layer_index: object, gate: object, is_w: object) -> WeightKey:
        if isinstance(layer_index, bool) or not isinstance(layer_index, (int, np.integer)):
            raise SpecError(f"{what} layer_index: expected an int; got {layer_index!r}")
        # The direction may still change, so only the widest range is certain here (exact at lowering).
        widest = 2 * self._num_layers
        if not 0 <= layer_index < widest:
            now = self._num_layers * (2 if self._direction == RNNDirection.BIDIRECTION else 1)
            raise SpecError(
                f"{what} layer_index: must be in [0, {widest}) = num_layers x up to 2 directions "
                f"(currently [0, {now}) for {self._direction.name}); got {layer_index}"
            )
        return (int(layer_index), coerce(RNNGateType, gate, f"{what} gate"), bool(is_w))

    def _set_param(
        self,
        what: str,
        store: dict[WeightKey, np.ndarray],
        layer_index: object,
        gate: object,
        is_w: object,
        value: object,
    ) -> None:
        key = self._key(what, layer_index, gate, is_w)
        self._check_configurable(f"set_{'weights' if what == 'weights' else 'bias'}_for_gate{key_name(key)}")
        gates = GATES[self._op]
        if key[1] not in gates:
            raise GateError(
                f"{what}{key_name(key)}: gate {key[1].name} does not belong to op {self._op.name} "
                f"(set op first); valid gates: {', '.join(g.name for g in gates)}"
            )
        array = _float_array(what, key, value)
        h = self._hidden_size
        if what == "biases":
            sizes = {h: f"({h},) = (hidden_size,)"}
        elif not key[2]:
            sizes = {h * h: f"({h}, {h}) = (hidden_size, hidden_size)"}
        else:
            e = self.data_length
            sizes = {
                h * e: f"({h}, {e}) for stack layer 0",
                h * h: f"({h}, {h}) above a unidirectional layer",
                2 * h * h: f"({h}, {2 * h}) above a bidirectional layer",
            }
        if array.size not in sizes:
            raise ShapeError(
                f"{what}{key_name(key)}: {array.size} values (shape {array.shape}); expected one of "
                f"{'; '.join(sizes.values())}"
            )
        if what == "biases":
            array = array.reshape(h)
        elif not key[2]:
            array = _row_major(what, key, array, (h, h), stacklevel=4)
        array.flags.writeable = False
        store[key] = array

    def _get_param(
        self, what: str, store: dict[WeightKey, np.ndarray], layer_index: object, gate: object, is_w: object
    ) -> np.ndarray:
        key = self._key(what, layer_index, gate, is_w)
        if key not in store:
            raise MissingWeightsError(f"{what}{key_name(key)}: never set on this layer")
        return store[key]

    # ---- outputs (get_output: trtrnn.lazylayer.LazyRNNLayer) -----------------------------------
    def spec(self) -> RNNSpec:
        """The validated RNNSpec this configuration describes (dynamic leading dims count as 1).

        Weight arrays given flat or in another 2-D shape of the right size are read row-major into
        the contract's shape, as TensorRT 8 read its `Weights` (with a WeightLayoutWarning for 2-D).
        """
        dims = dims_of(self._input)
        spec = RNNSpec(
            op=self._op,
            hidden_size=self._hidden_size,
            max_seq_length=self._max_seq_length,
            data_length=dims[-1],
            num_layers=self._num_layers,
            input_mode=self._input_mode,
            direction=self._direction,
            biases=dict(self._biases),
            batch_shape=tuple(1 if d == DYNAMIC else d for d in dims[:-2]),
        )
        for key, value in self._weights.items():
            expected = spec.weight_shape(key[0], key[2])
            if expected is not None:  # _row_major < spec < _lower < get_output < the user's call
                value = _row_major("weights", key, value, expected, stacklevel=5)
            spec.weights[key] = value
        return spec.validate()

    def _lower(self) -> RNNOutputs:
        spec = self.spec()
        inputs = self._fitted_inputs(spec)
        lower = native.add_rnn_v2 if native.available() else _loop_lowering()
        return lower(self._network, spec, inputs, name=self.name)

    def _fitted_inputs(self, spec: RNNSpec) -> RNNInputs:
        """The optional tensors checked for dtype and fitted to the contract's shapes."""
        trt_mod = trt.load()
        dims = dims_of(self._input)
        batch, state = dims[:-2], (*dims[:-2], spec.num_layer_indices, spec.hidden_size)
        self._check_cell_state(self._cell_state)
        fitted = {}
        for field, expected, dtype in (
            ("seq_lengths", batch, trt_mod.int32),
            ("hidden_state", state, self._input.dtype),
            ("cell_state", state, self._input.dtype),
        ):
            tensor = getattr(self, "_" + field)
            if tensor is not None and tensor.dtype != dtype:
                raise ShapeError(f"{field}: dtype {tensor.dtype}; expected {dtype}")
            fitted[field] = None if tensor is None else fit(self._network, tensor, expected, field, self.name)
        return RNNInputs(self._input, **fitted)


def add_rnn_v2(
    network: Network,
    input: Tensor,
    layer_count: int,
    hidden_size: int,
    max_seq_length: int,
    op: RNNOperation | object,
) -> RNNv2Layer:
    """`network.add_rnn_v2(input, layer_count, hidden_size, max_seq_length, op)` of TensorRT 7-9.

    `input` is `[B..., T, E]` with `T == max_seq_length`. Configure the returned layer, then call
    `get_output(i)`; the RNN is added to `network` at that first call.
    """
    return RNNv2Layer(network, input, layer_count, hidden_size, max_seq_length, op)


def _loop_lowering() -> Callable[..., RNNOutputs]:
    """The registered lowering (rnn-loop's public `add_rnn` by default), found through core's registry."""
    return registry.lowering().build


def _float_array(what: str, key: WeightKey, value: object) -> np.ndarray:
    """A float32 copy of weights given as numpy, a list or TensorRT `Weights` (which has `.numpy()`)."""
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    array = np.asarray(value)
    if not np.issubdtype(array.dtype, np.floating):
        raise ShapeError(f"{what}{key_name(key)}: dtype {array.dtype}; expected floating point")
    return np.array(array, dtype=np.float32, copy=True)


def _row_major(
    what: str, key: WeightKey, array: np.ndarray, expected: tuple[int, ...], stacklevel: int
) -> np.ndarray:
    """`array` in `expected`'s shape when it has that many values (as TensorRT's flat Weights).

    `stacklevel` points the warning at the user's line that led here.
    """
    if array.shape == expected or array.size != math.prod(expected):
        return array  # wrong sizes are left for RNNSpec.validate to report
    if array.ndim > 1:
        warnings.warn(
            f"{what}{key_name(key)}: shape {array.shape} read row-major as {expected} = (rows, cols) of "
            "y = W.x, as TensorRT 8 read its flat Weights; pass the matrix in that shape to silence this",
            WeightLayoutWarning,
            stacklevel=stacklevel,
        )
    return array.reshape(expected)

"""RNNv2Layer's surface and its errors: everything checked before any layer is added to the network.

Expected shapes, gate lists and TensorRT's `(layer, gate, is_w)` spelling come from SEMANTICS.md §3-4
and the seed (`Missing weights/bias: (0, INPUT, 1)`), not from this package.
"""

from __future__ import annotations

import types

import numpy as np
import pytest

import trtrnn_v2
from trtrnn import trt
from trtrnn.enums import RNNDirection, RNNGateType, RNNInputMode, RNNOperation
from trtrnn.errors import GateError, MissingWeightsError, ShapeError, SpecError
from trtrnn_v2 import WeightLayoutWarning, add_rnn_v2

INPUT, FORGET, CELL, OUTPUT = RNNGateType.INPUT, RNNGateType.FORGET, RNNGateType.CELL, RNNGateType.OUTPUT


def tensorrt_member(name: str) -> object:
    """What a TensorRT 8 enum member looks like to trtrnn: an object with a `.name`."""
    return types.SimpleNamespace(name=name, value=-1)


def test_read_only_properties_match_the_seed(relu_layer):
    # The seed prints num_layers=1 hidden_size=5 max_seq_length=4 data_length=7 and says they cannot change.
    assert (relu_layer.num_layers, relu_layer.hidden_size) == (1, 5)
    assert (relu_layer.max_seq_length, relu_layer.data_length) == (4, 7)
    for name in ("num_layers", "hidden_size", "max_seq_length", "data_length"):
        with pytest.raises(AttributeError):
            setattr(relu_layer, name, 2)


def test_defaults_are_tensorrt_defaults(network, seed_input):
    layer = add_rnn_v2(network, seed_input, 1, 5, 4, RNNOperation.GRU)
    assert layer.op is RNNOperation.GRU
    assert layer.input_mode is RNNInputMode.LINEAR
    assert layer.direction is RNNDirection.UNIDIRECTION
    assert (layer.seq_lengths, layer.hidden_state, layer.cell_state) == (None, None, None)
    assert layer.num_outputs == 2
    assert isinstance(layer.name, str) and layer.name
    layer.name = "encoder"
    assert layer.name == "encoder"


def test_enums_are_reexported_with_tensorrt_values():
    assert trtrnn_v2.RNNOperation is RNNOperation and trtrnn_v2.RNNGateType is RNNGateType
    assert trtrnn_v2.RNNDirection is RNNDirection and trtrnn_v2.RNNInputMode is RNNInputMode
    # SEMANTICS.md §3 (TensorRT 7.2 NvInfer.h).
    assert [int(o) for o in (RNNOperation.RELU, RNNOperation.TANH, RNNOperation.LSTM, RNNOperation.GRU)] == [
        0,
        1,
        2,
        3,
    ]
    assert [int(g) for g in RNNGateType] == [0, 1, 2, 3, 4, 5, 6]
    assert RNNGateType(5) is CELL and int(RNNInputMode.SKIP) == 1 and int(RNNDirection.BIDIRECTION) == 1


def test_settings_accept_tensorrt_members_names_and_ints(network, seed_input):
    layer = add_rnn_v2(network, seed_input, 1, 5, 4, tensorrt_member("LSTM"))
    assert layer.op is RNNOperation.LSTM and layer.num_outputs == 3
    layer.direction = tensorrt_member("BIDIRECTION")
    layer.input_mode = "skip"
    layer.op = 3
    assert (layer.direction, layer.input_mode, layer.op) == (
        RNNDirection.BIDIRECTION,
        RNNInputMode.SKIP,
        RNNOperation.GRU,
    )
    with pytest.raises(SpecError, match=r"op: expected a RNNOperation .*got 7"):
        layer.op = 7


def test_op_switch_before_weights_as_in_the_seed(network, seed_input):
    layer = add_rnn_v2(network, seed_input, 1, 5, 4, RNNOperation.LSTM)
    layer.set_weights_for_gate(0, FORGET, True, np.ones((5, 7), np.float32))  # fine while LSTM
    layer.op = RNNOperation.RELU
    assert layer.num_outputs == 2
    layer.set_weights_for_gate(0, INPUT, True, np.ones((5, 7), np.float32))
    with pytest.raises(GateError, match=r"\(0, FORGET, 0\): gate FORGET does not belong to op RELU.*INPUT"):
        layer.set_bias_for_gate(0, FORGET, False, np.zeros(5, np.float32))
    # The FORGET weights set under LSTM are stale now: re-checked when the layer is lowered.
    with pytest.raises(GateError, match=r"FORGET does not belong to RELU"):
        layer.spec()


def test_weights_round_trip_as_read_only_copies(relu_layer):
    w = np.arange(35, dtype=np.float64).reshape(5, 7)
    relu_layer.set_weights_for_gate(0, INPUT, True, w)
    w[0, 0] = -1.0  # TensorRT 8 kept a pointer; trtrnn copies at set time
    got = relu_layer.get_weights_for_gate(0, INPUT, True)
    assert got.dtype == np.float32 and got[0, 0] == 0.0 and got[4, 6] == 34.0
    assert not got.flags.writeable
    np.testing.assert_array_equal(relu_layer.get_bias_for_gate(0, "INPUT", False), np.zeros(5))


def test_unset_weights_cannot_be_read(network, seed_input):
    layer = add_rnn_v2(network, seed_input, 1, 5, 4, RNNOperation.TANH)
    with pytest.raises(MissingWeightsError, match=r"weights\(0, INPUT, 1\): never set"):
        layer.get_weights_for_gate(0, INPUT, True)


def test_flat_weights_are_read_row_major_like_tensorrt_weights(relu_layer):
    flat = np.arange(35, dtype=np.float32)
    relu_layer.set_weights_for_gate(0, INPUT, True, flat)
    np.testing.assert_array_equal(relu_layer.spec().weights[(0, INPUT, True)], flat.reshape(5, 7))


def test_right_size_wrong_shape_weights_warn_and_are_read_row_major(relu_layer):
    # The seed's direction example declares its input matrices (wIn, lenH) (SEMANTICS.md §9.4).
    wt = np.arange(35, dtype=np.float32).reshape(7, 5)
    relu_layer.set_weights_for_gate(0, INPUT, True, wt)
    with pytest.warns(
        WeightLayoutWarning, match=r"\(0, INPUT, 1\): shape \(7, 5\) read row-major as \(5, 7\)"
    ):
        spec = relu_layer.spec()
    np.testing.assert_array_equal(spec.weights[(0, INPUT, True)], wt.reshape(5, 7))


@pytest.mark.parametrize("index", [-1, 2])
def test_layer_index_outside_any_direction_fails_at_set_time(relu_layer, index):
    with pytest.raises(SpecError, match=rf"layer_index: must be in \[0, 2\).*got {index}"):
        relu_layer.set_weights_for_gate(index, INPUT, True, np.ones((5, 7), np.float32))


def test_layer_index_for_a_direction_not_set_fails_at_lowering(relu_layer):
    relu_layer.set_bias_for_gate(1, INPUT, True, np.zeros(5, np.float32))  # valid only if BIDIRECTION
    with pytest.raises(SpecError, match=r"layer index must be in \[0, 1\).*got 1"):
        relu_layer.get_output(0)


@pytest.mark.parametrize(
    ("setter", "is_w", "value", "message"),
    [
        ("set_bias_for_gate", True, np.zeros(7, np.float32), r"biases\(0, INPUT, 1\): 7 values.*\(5,\)"),
        ("set_weights_for_gate", False, np.ones((5, 7), np.float32), r"weights\(0, INPUT, 0\): 35 values"),
        ("set_weights_for_gate", True, np.ones((5, 6), np.float32), r"\(5, 7\) for stack layer 0"),
        ("set_weights_for_gate", True, np.ones((5, 7), np.int32), r"dtype int32; expected floating"),
    ],
)
def test_wrong_sizes_and_dtypes_fail_at_set_time(relu_layer, setter, is_w, value, message):
    with pytest.raises(ShapeError, match=message):
        getattr(relu_layer, setter)(0, INPUT, is_w, value)


def test_stacked_input_weights_checked_against_the_layer_below_at_lowering(network, seed_input):
    layer = add_rnn_v2(network, seed_input, 2, 5, 4, RNNOperation.RELU)
    for index, width in ((0, 7), (1, 7)):  # layer 1 consumes H=5, so (5, 7) is wrong there
        layer.set_weights_for_gate(index, INPUT, True, np.ones((5, width), np.float32))
        layer.set_weights_for_gate(index, INPUT, False, np.ones((5, 5), np.float32))
        layer.set_bias_for_gate(index, INPUT, True, np.zeros(5, np.float32))
        layer.set_bias_for_gate(index, INPUT, False, np.zeros(5, np.float32))
    with pytest.raises(ShapeError, match=r"weights\(1, INPUT, 1\): shape \(5, 7\); expected \(5, 5\)"):
        layer.get_output(0)


def test_non_finite_weights_fail_at_lowering(relu_layer):
    relu_layer.set_bias_for_gate(0, INPUT, False, np.full(5, np.nan, np.float32))
    with pytest.raises(SpecError, match=r"biases\(0, INPUT, 0\): must be finite"):
        relu_layer.get_output(1)


def test_missing_weights_are_named_like_tensorrt(network, seed_input):
    layer = add_rnn_v2(network, seed_input, 1, 5, 4, RNNOperation.RELU)
    layer.set_weights_for_gate(0, INPUT, True, np.ones((5, 7), np.float32))
    with pytest.raises(MissingWeightsError, match=r"Missing weights \(layer, gate, is_w\): \(0, INPUT, 0\)"):
        layer.get_output(0)


def test_skip_still_needs_the_input_bias_as_the_seed_shows(network):
    x = network.add_input("x", trt.load().float32, (1, 3, 4, 5))
    layer = add_rnn_v2(network, x, 1, 5, 4, RNNOperation.RELU)
    layer.input_mode = RNNInputMode.SKIP
    layer.set_weights_for_gate(0, INPUT, False, np.ones((5, 5), np.float32))
    layer.set_bias_for_gate(0, INPUT, False, np.zeros(5, np.float32))
    # TensorRT 8: "Missing weights/bias: (0, INPUT, 1)".
    with pytest.raises(MissingWeightsError, match=r"Missing biases .*\(0, INPUT, 1\)"):
        layer.get_output(0)


def test_skip_needs_data_length_equal_to_hidden_size(relu_layer):
    relu_layer.input_mode = RNNInputMode.SKIP
    with pytest.raises(
        SpecError, match=r"data_length must equal hidden_size; got data_length=7, hidden_size=5"
    ):
        relu_layer.get_output(0)


def test_get_output_index_follows_the_op(relu_layer):
    with pytest.raises(SpecError, match=r"must be in \[0, 2\) for op RELU .*only for LSTM\); got 2"):
        relu_layer.get_output(2)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((1, 0, 4), SpecError, r"hidden_size: must be a positive integer; got 0"),
        ((0, 5, 4), SpecError, r"layer_count: must be a positive integer; got 0"),
        ((1, 5, 6), ShapeError, r"input: shape \(1, 3, 4, 7\); expected \(\*B, T=6, E\)"),
    ],
)
def test_add_rnn_v2_checks_its_arguments(network, seed_input, args, error, message):
    with pytest.raises(error, match=message):
        add_rnn_v2(network, seed_input, *args, RNNOperation.RELU)


def test_add_rnn_v2_needs_a_tensor(network):
    with pytest.raises(SpecError, match=r"input: expected an ITensor .*got ndarray"):
        add_rnn_v2(network, np.ones((3, 4, 7), np.float32), 1, 5, 4, RNNOperation.RELU)


def test_tensor_settings_need_tensors(relu_layer):
    with pytest.raises(SpecError, match=r"hidden_state: expected an ITensor"):
        relu_layer.hidden_state = np.ones((3, 1, 5), np.float32)


def _constant(network, array: np.ndarray):
    from trtrnn.network import keep_alive

    keep_alive(network, array)
    return network.add_constant(array.shape, array).get_output(0)


def test_cell_state_needs_lstm(network, relu_layer):
    relu_layer.cell_state = _constant(network, np.zeros((3, 1, 5), np.float32))
    with pytest.raises(SpecError, match=r"cell_state: only LSTM has a cell state; op is RELU"):
        relu_layer.get_output(0)


def test_state_of_the_wrong_shape(network, relu_layer):
    relu_layer.direction = RNNDirection.BIDIRECTION  # states become (1, 3, 2, 5)
    for is_w, w in ((True, np.ones((5, 7), np.float32)), (False, np.ones((5, 5), np.float32))):
        relu_layer.set_weights_for_gate(1, INPUT, is_w, w)
        relu_layer.set_bias_for_gate(1, INPUT, is_w, np.zeros(5, np.float32))
    relu_layer.hidden_state = _constant(network, np.zeros((3, 1, 5), np.float32))
    with pytest.raises(ShapeError, match=r"hidden_state: shape \(3, 1, 5\); expected \(1, 3, 2, 5\)"):
        relu_layer.get_output(0)


def test_seq_lengths_must_be_int32(network, relu_layer):
    relu_layer.seq_lengths = _constant(network, np.full((1, 3), 4, np.float32))
    with pytest.raises(ShapeError, match=r"seq_lengths: dtype DataType.FLOAT; expected DataType.INT32"):
        relu_layer.get_output(0)


def test_validation_failure_leaves_the_layer_configurable(network, seed_input):
    layer = add_rnn_v2(network, seed_input, 1, 5, 4, RNNOperation.RELU)
    with pytest.raises(MissingWeightsError):
        layer.get_output(0)
    layer.op = RNNOperation.TANH  # still allowed: nothing was lowered
    assert layer.op is RNNOperation.TANH


def test_unknown_attributes_are_refused_like_tensorrt(relu_layer, seed_input):
    # IRNNv2Layer is a pybind class without __dict__: a misspelt attribute raises AttributeError there.
    with pytest.raises(AttributeError, match=r"no attribute 'hiden_state'.*settable: name, cell_state"):
        relu_layer.hiden_state = seed_input
    with pytest.raises(AttributeError, match="'weights'"):
        relu_layer.weights = np.zeros(3)
    relu_layer.hidden_state = None  # the real attributes stay settable
    relu_layer.name = "renamed"
    assert relu_layer.name == "renamed"

"""The RNNLayer surface: creation checks, settable and read-only attributes, lazy lowering, lifecycle."""

from __future__ import annotations

import numpy as np
import pytest

from trtrnn import trt
from trtrnn.enums import RNNDirection, RNNInputMode, RNNOperation
from trtrnn.errors import ConfigurationError, ShapeError, SpecError
from trtrnn_legacy import ImplicitBatchNetwork, add_rnn

#: The seed's cIn (N), hIn (T), wIn (E) and lenH.
SEED_N, SEED_T, SEED_E, SEED_H = 3, 4, 7, 5
RELU, LINEAR, UNI = RNNOperation.RELU, RNNInputMode.LINEAR, RNNDirection.UNIDIRECTION
#: The seed's blob sizes for a 1-layer ReLU RNN: H*(E+H) and 2H.
W_SIZE, B_SIZE = SEED_H * (SEED_E + SEED_H), 2 * SEED_H


@pytest.fixture
def network(trt_mod):
    return ImplicitBatchNetwork(max_batch_size=2)


@pytest.fixture
def x(network, trt_mod):
    """The seed's input after its shuffle: [T, N, E] = (4, 3, 7) without the implicit batch."""
    return network.add_input("x", trt_mod.float32, (SEED_T, SEED_N, SEED_E))


def seed_layer(network, x, op=RELU):
    return network.add_rnn(
        x, 1, SEED_H, SEED_T, op, LINEAR, UNI, np.ones(W_SIZE, np.float32), np.zeros(B_SIZE)
    )


def test_read_only_and_settable_attributes(network, x, trt_mod):
    layer = seed_layer(network, x)
    assert (layer.num_layers, layer.hidden_size, layer.max_seq_length, layer.data_length) == (1, 5, 4, 7)
    for name in ("num_layers", "hidden_size", "max_seq_length", "data_length"):
        with pytest.raises(AttributeError):
            setattr(layer, name, 2)
    layer.op, layer.input_mode, layer.direction = "TANH", 0, RNNDirection.BIDIRECTION
    assert (layer.op, layer.input_mode, layer.direction) == (
        RNNOperation.TANH,
        LINEAR,
        RNNDirection.BIDIRECTION,
    )
    h0 = network.add_input("h0", trt_mod.float32, (2, SEED_N, SEED_H))
    layer.hidden_state = h0
    assert layer.hidden_state.shape == (2, SEED_N, SEED_H)
    layer.weights = np.arange(2 * (SEED_H * (SEED_E + SEED_H)), dtype=np.float32).reshape(10, -1)
    assert layer.weights.shape == (2 * W_SIZE,) and layer.weights[3] == 3  # flat, row-major
    with pytest.raises(ValueError):
        layer.weights[0] = 1  # the stored blob is read-only


def test_creation_checks_the_blobs_against_the_given_configuration(network, x):
    with pytest.raises(ShapeError, match=f"weights: {W_SIZE - 1} elements; expected {W_SIZE}"):
        network.add_rnn(
            x, 1, SEED_H, SEED_T, RELU, LINEAR, UNI, np.ones(W_SIZE - 1, np.float32), np.zeros(10)
        )
    with pytest.raises(ShapeError, match=f"bias: 5 elements; expected {B_SIZE}"):
        network.add_rnn(x, 1, SEED_H, SEED_T, RELU, LINEAR, UNI, np.ones(W_SIZE, np.float32), np.zeros(5))


def test_setters_check_sizes_against_the_current_configuration(network, x):
    layer = seed_layer(network, x)
    layer.op = RNNOperation.LSTM
    with pytest.raises(ShapeError, match=f"weights: {W_SIZE} elements; expected {4 * W_SIZE}.*gates f,i,c,o"):
        layer.weights = np.ones(W_SIZE, np.float32)
    layer.weights = np.ones(4 * W_SIZE, np.float32)
    with pytest.raises(ShapeError, match=f"bias: {B_SIZE} elements; expected {4 * B_SIZE}"):
        layer.get_output(0)  # the bias blob still has the ReLU size
    layer.bias = np.zeros(4 * B_SIZE, np.float32)
    assert layer.get_output(2).shape == (1, SEED_N, SEED_H)


def test_input_must_be_sequence_major_with_t_first(network, trt_mod):
    wrong = network.add_input("batch_major", trt_mod.float32, (SEED_N, SEED_T, SEED_E))
    with pytest.raises(ShapeError, match=r"add_rnn input: shape \(3, 4, 7\); expected \(T=4, N, E\)"):
        seed_layer(network, wrong)


def test_bad_arguments(network, x):
    with pytest.raises(SpecError, match="layer_count: must be a positive integer; got 0"):
        network.add_rnn(x, 0, SEED_H, SEED_T, RELU, LINEAR, UNI, np.ones(W_SIZE), np.zeros(B_SIZE))
    with pytest.raises(SpecError, match="op: expected a RNNOperation"):
        network.add_rnn(x, 1, SEED_H, SEED_T, "SIGMOID", LINEAR, UNI, np.ones(W_SIZE), np.zeros(B_SIZE))
    layer = seed_layer(network, x)
    with pytest.raises(SpecError, match=r"get_output index: must be in \[0, 2\)"):
        layer.get_output(2)
    with pytest.raises(SpecError, match="hidden_state: expected a tensor of this ImplicitBatchNetwork"):
        layer.hidden_state = np.zeros((1, 3, 5))


def test_cell_state_is_lstm_only(network, x, trt_mod):
    layer = seed_layer(network, x)
    layer.cell_state = network.add_input("c0", trt_mod.float32, (1, SEED_N, SEED_H))
    with pytest.raises(SpecError, match="cell_state: only LSTM has a cell state; op is RELU"):
        layer.get_output(0)


def test_outputs_are_sequence_major_and_lowered_once(network, x):
    layer = seed_layer(network, x)
    layer.direction = RNNDirection.BIDIRECTION
    layer.weights = np.ones(2 * W_SIZE, np.float32)
    layer.bias = np.zeros(2 * B_SIZE, np.float32)
    out0, out1 = layer.get_output(0), layer.get_output(1)
    assert out0.shape == (SEED_T, SEED_N, 2 * SEED_H) and out1.shape == (2, SEED_N, SEED_H)
    assert tuple(out0.real.shape) == (-1, SEED_T, SEED_N, 2 * SEED_H)  # the implicit batch, dynamic
    layers = network.num_layers
    layer.get_output(0)
    assert network.num_layers == layers


@pytest.mark.parametrize(
    "field, value",
    [("op", "TANH"), ("input_mode", "SKIP"), ("direction", "BIDIRECTION"), ("weights", np.ones(W_SIZE)),
     ("bias", np.zeros(B_SIZE)), ("hidden_state", None), ("cell_state", None)],
)  # fmt: skip
def test_configuration_after_get_output_is_refused(network, x, field, value):
    layer = seed_layer(network, x)
    layer.get_output(1)
    with pytest.raises(ConfigurationError, match=f"{field}: cannot change after get_output"):
        setattr(layer, field, value)


def test_add_rnn_on_an_ordinary_network_takes_t_n_e(trt_mod):
    # Without the wrapper: a plain explicit network, [T, N, E] with no implicit batch.
    _, network = trt.create_network()
    x = network.add_input("x", trt_mod.float32, (SEED_T, SEED_N, SEED_E))
    layer = add_rnn(network, x, 1, SEED_H, SEED_T, RELU, LINEAR, UNI, np.ones(W_SIZE), np.zeros(B_SIZE))
    assert tuple(layer.get_output(0).shape) == (SEED_T, SEED_N, SEED_H)
    assert tuple(layer.get_output(1).shape) == (1, SEED_N, SEED_H)


def test_unknown_attributes_are_refused_like_tensorrt(network, x):
    layer = seed_layer(network, x)
    with pytest.raises(AttributeError, match="IRNNLayer has no sequence-lengths input"):
        layer.seq_lengths = x
    with pytest.raises(AttributeError, match="no attribute 'hiden_state'"):
        layer.hiden_state = x
    layer.hidden_state = None

"""The fused arrays hold exactly the spec's per-gate weights, in `spec.gates` order (SEMANTICS §2-3)."""

from __future__ import annotations

import numpy as np
import pytest

from trtrnn.enums import RNNGateType
from trtrnn.spec import RNNSpec
from trtrnn_loop import params


@pytest.mark.parametrize("op", ["RELU", "TANH", "LSTM", "GRU"])
def test_each_gate_occupies_its_column_block(op):
    spec = RNNSpec.random(5, op=op, hidden_size=3, direction="BIDIRECTION", num_layers=2)
    h = spec.hidden_size
    for layer in range(spec.num_layer_indices):
        w, r = params.input_weights(spec, layer), params.recurrent_weights(spec, layer)
        assert w.shape == (spec.layer_input_size(layer), len(spec.gates) * h)
        for g, gate in enumerate(spec.gates):
            block = slice(g * h, (g + 1) * h)
            np.testing.assert_array_equal(w[:, block], spec.weights[(layer, gate, True)].T)
            np.testing.assert_array_equal(r[:, block], spec.weights[(layer, gate, False)].T)
            x = np.arange(spec.layer_input_size(layer), dtype=np.float32)  # y = W.x, row-major W
            np.testing.assert_allclose((x @ w)[block], spec.weights[(layer, gate, True)] @ x, atol=1e-6)


@pytest.mark.parametrize("op", ["RELU", "TANH", "LSTM"])
def test_biases_are_pre_summed(op):
    spec = RNNSpec.random(6, op=op, hidden_size=3)
    h = spec.hidden_size
    bias = params.input_bias(spec, 0)
    for g, gate in enumerate(spec.gates):
        want = spec.biases[(0, gate, True)] + spec.biases[(0, gate, False)]
        np.testing.assert_allclose(bias[g * h : (g + 1) * h], want, rtol=1e-6)
    assert params.reset_bias(spec, 0) is None


def test_gru_keeps_the_hidden_gates_recurrent_bias_for_the_reset_product():
    spec = RNNSpec.random(7, op="GRU", hidden_size=3)
    h = spec.hidden_size
    bias = params.input_bias(spec, 0)
    for g, gate in enumerate(spec.gates):
        want = spec.biases[(0, gate, True)]
        if gate != RNNGateType.HIDDEN:
            want = want + spec.biases[(0, gate, False)]
        np.testing.assert_allclose(bias[g * h : (g + 1) * h], want, rtol=1e-6)
    np.testing.assert_array_equal(params.reset_bias(spec, 0), spec.biases[(0, RNNGateType.HIDDEN, False)])


def test_skip_has_no_input_weights_on_stack_layer_0_only():
    spec = RNNSpec.random(8, op="LSTM", hidden_size=4, input_mode="SKIP", num_layers=2)
    assert params.input_weights(spec, 0) is None
    assert params.input_weights(spec, 1).shape == (4, 16)

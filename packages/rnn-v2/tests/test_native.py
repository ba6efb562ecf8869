"""Delegation to TensorRT's own add_rnn_v2 where it exists (TensorRT 7.x-9.x).

No such TensorRT is installable here, so the plumbing (what is forwarded, translated into TensorRT's
enum members) is checked against a recording stand-in network, and the real path is a test that runs
only where TensorRT has add_rnn_v2 (skipped here with the capability's reason).
"""

from __future__ import annotations

import types

import numpy as np
import pytest

import trtrnn
from trtrnn import trt
from trtrnn.enums import RNNDirection, RNNGateType, RNNOperation
from trtrnn_v2 import add_rnn_v2, native

LSTM_GATES = (RNNGateType.INPUT, RNNGateType.CELL, RNNGateType.FORGET, RNNGateType.OUTPUT)


class RecordingRNNv2Layer:
    """Stands in for TensorRT 8's IRNNv2Layer: records what it is told."""

    def __init__(self, network, args):
        self.args = args
        self.calls = []
        self.attrs = {}
        self._outputs = [network.add_identity(args[0]).get_output(0) for _ in range(3)]

    def __setattr__(self, name, value):
        if name in ("input_mode", "direction", "seq_lengths", "hidden_state", "cell_state"):
            self.attrs[name] = value
        else:
            super().__setattr__(name, value)

    def set_weights_for_gate(self, *args):
        self.calls.append(("W", *args))

    def set_bias_for_gate(self, *args):
        self.calls.append(("b", *args))

    def get_output(self, index):
        return self._outputs[index]


class RecordingNetwork:
    """A real network whose add_rnn_v2 records instead of being absent."""

    def __init__(self, network):
        self._network = network
        self.rnn_layers = []

    def add_rnn_v2(self, *args):
        self.rnn_layers.append(RecordingRNNv2Layer(self._network, args))
        return self.rnn_layers[-1]

    def __getattr__(self, name):
        return getattr(self._network, name)


@pytest.fixture
def tensorrt8(monkeypatch):
    """TensorRT's module as TensorRT 8 would expose it: RNN enums whose members are tagged strings."""
    real = trt.load()
    enums = {
        cls.__name__: types.SimpleNamespace(**{m.name: f"trt.{cls.__name__}.{m.name}" for m in cls})
        for cls in (RNNOperation, RNNDirection, trtrnn.RNNInputMode, RNNGateType)
    }
    fake = types.SimpleNamespace(ITensor=real.ITensor, int32=real.int32, **enums)
    monkeypatch.setattr(trt, "load", lambda: fake)
    monkeypatch.setattr(native, "available", lambda: True)
    return fake


def test_configuration_is_forwarded_in_tensorrt_terms(network, seed_input, tensorrt8):
    recording = RecordingNetwork(network)
    h0 = network.add_input("h0", seed_input.dtype, (3, 2, 5))
    layer = add_rnn_v2(recording, seed_input, 1, 5, 4, RNNOperation.LSTM)
    layer.direction = RNNDirection.BIDIRECTION
    layer.hidden_state = h0
    for index in range(2):
        for gate in LSTM_GATES:
            layer.set_weights_for_gate(index, gate, True, np.full((5, 7), index + 1, np.float32))
            layer.set_weights_for_gate(index, gate, False, np.ones((5, 5), np.float32))
            layer.set_bias_for_gate(index, gate, True, np.zeros(5, np.float32))
            layer.set_bias_for_gate(index, gate, False, np.zeros(5, np.float32))
    out = [layer.get_output(i) for i in range(3)]

    (rnn,) = recording.rnn_layers
    assert rnn.args[1:] == (1, 5, 4, "trt.RNNOperation.LSTM") and rnn.args[0] is seed_input
    assert rnn.attrs["direction"] == "trt.RNNDirection.BIDIRECTION"
    assert rnn.attrs["input_mode"] == "trt.RNNInputMode.LINEAR"
    assert tuple(rnn.attrs["hidden_state"].shape) == (1, 3, 2, 5)  # the seed's (3, 2, 5), fitted
    assert "cell_state" not in rnn.attrs and "seq_lengths" not in rnn.attrs
    assert len(rnn.calls) == 2 * 4 * 4
    forward_input_gate = [c for c in rnn.calls if c[:4] == ("W", 1, "trt.RNNGateType.CELL", True)]
    np.testing.assert_array_equal(forward_input_gate[0][4], np.full((5, 7), 2, np.float32))
    assert out == rnn._outputs and rnn.name == layer.name


def test_tensorrt_native_rnn_v2_is_used_where_it_exists():
    """The real TensorRT 8 path: build the seed's initial example with TensorRT's own IRNNv2Layer."""
    if not trt.available() or not native.available():
        pytest.skip(trt.native_rnn_v2().reason if trt.available() else "no TensorRT installed")
    builder, network = trt.create_network()
    x = network.add_input("inputT0", trt.load().float32, (1, 3, 4, 7))
    layer = add_rnn_v2(network, x, 1, 5, 4, RNNOperation.RELU)
    layer.set_weights_for_gate(0, RNNGateType.INPUT, True, np.ones((5, 7), np.float32))
    layer.set_weights_for_gate(0, RNNGateType.INPUT, False, np.ones((5, 5), np.float32))
    layer.set_bias_for_gate(0, RNNGateType.INPUT, True, np.zeros(5, np.float32))
    layer.set_bias_for_gate(0, RNNGateType.INPUT, False, np.zeros(5, np.float32))
    network.mark_output(layer.get_output(0))
    types_in_network = {network.get_layer(i).type for i in range(network.num_layers)}
    assert trt.load().LayerType.RNN_V2 in types_in_network
    from trtrnn.network import serialize_network

    assert serialize_network(builder, network)

"""Shared fixtures: a fresh network holding the seed's input `(1, 3, 4, 7)`, and its ReLU layer."""

from __future__ import annotations

import numpy as np
import pytest

from trtrnn import trt
from trtrnn.enums import RNNGateType, RNNOperation
from trtrnn_v2 import add_rnn_v2

#: The seed's nIn, cIn, hIn (T), wIn (E), and lenH.
SEED_INPUT = (1, 3, 4, 7)
SEED_H = 5


@pytest.fixture
def net():
    """A fresh (builder, network) pair."""
    if not trt.available():
        pytest.skip("no TensorRT installed")
    return trt.create_network()


@pytest.fixture
def network(net):
    return net[1]


@pytest.fixture
def seed_input(network):
    """The seed's `inputT0` tensor."""
    return network.add_input("inputT0", trt.load().float32, SEED_INPUT)


@pytest.fixture
def relu_layer(network, seed_input):
    """The seed's initial example, configured but with no output taken yet."""
    layer = add_rnn_v2(network, seed_input, 1, SEED_H, SEED_INPUT[2], RNNOperation.RELU)
    e, h = SEED_INPUT[3], SEED_H
    layer.set_weights_for_gate(0, RNNGateType.INPUT, True, np.ones((h, e), np.float32))
    layer.set_weights_for_gate(0, RNNGateType.INPUT, False, np.ones((h, h), np.float32))
    layer.set_bias_for_gate(0, RNNGateType.INPUT, True, np.zeros(h, np.float32))
    layer.set_bias_for_gate(0, RNNGateType.INPUT, False, np.zeros(h, np.float32))
    return layer

"""`from trtrnn_v2 import tensorrt as trt`: TensorRT 8 programs' add_rnn_v2 lines run unchanged."""

from __future__ import annotations

import importlib

import pytest

from trtrnn import enums
from trtrnn import trt as flavor
from trtrnn_v2 import RNNv2Layer, native


@pytest.fixture
def compat():
    if not flavor.available():
        pytest.skip("no TensorRT installed")
    if native.available():
        pytest.skip("this TensorRT has its own add_rnn_v2: the module patches nothing")
    module = importlib.import_module("trtrnn_v2.tensorrt")
    module.install()
    yield module
    module.uninstall()


def test_tensorrt_names_fall_through_and_rnn_enums_are_added(compat):
    real = flavor.load()
    assert compat.DataType is real.DataType and compat.Logger is real.Logger
    assert compat.RNNOperation is enums.RNNOperation and compat.RNNGateType is enums.RNNGateType
    assert "RNNDirection" in dir(compat) and "Builder" in dir(compat)
    with pytest.raises(AttributeError):
        compat.NoSuchTensorRTName  # noqa: B018


def test_network_add_rnn_v2_returns_the_layer_and_stays_distinguishable(compat, network, seed_input):
    layer = network.add_rnn_v2(seed_input, 1, 5, 4, compat.RNNOperation.RELU)
    assert isinstance(layer, RNNv2Layer) and layer.data_length == 7
    assert not native.available()  # the stand-in is never taken for TensorRT's own


def test_uninstall_removes_the_method(compat, network):
    compat.uninstall()
    assert not hasattr(network, "add_rnn_v2")
    assert compat.install() and hasattr(network, "add_rnn_v2")

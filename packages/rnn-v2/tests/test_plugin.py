"""The `rnn-v2` backend: discovered through its entry point, and built only through the public API."""

from __future__ import annotations

import pytest

from trtrnn import registry, trt
from trtrnn.errors import SpecError
from trtrnn.network import build_spec_network
from trtrnn.spec import EXTENDED_FEATURES, Feature, RNNSpec
from trtrnn_v2 import RNNv2Layer, plugin


def test_backend_is_registered_through_the_entry_point():
    backend = registry.get("rnn-v2")
    assert backend.build is plugin.build
    # every feature of TensorRT's contract is expressible through add_rnn_v2; ONNX's / PyTorch's
    # extensions are not, and say why
    assert set(backend.unsupported) == set(EXTENDED_FEATURES)
    assert backend.unsupported[Feature.PEEPHOLES].startswith("TensorRT 8's IRNNv2Layer: the API's gates")
    assert backend.availability() == (True, "")


def test_build_refuses_an_extension_naming_it():
    spec = RNNSpec.random(0, op="LSTM", hidden_size=4, peepholes=True)
    with pytest.raises(
        SpecError, match=r"LSTM peepholes: TensorRT 8's IRNNv2Layer cannot express it .*rnn-loop"
    ):
        plugin.build(None, spec, None)


def test_build_sets_every_weight_through_the_layer_methods(monkeypatch):
    if not trt.available():
        pytest.skip("no TensorRT installed")
    pytest.importorskip("trtrnn_loop", reason="rnn-loop (the ILoop lowering) is not installed")
    calls: list[tuple] = []
    for method in ("set_weights_for_gate", "set_bias_for_gate"):
        original = getattr(RNNv2Layer, method)

        def record(self, *args, _method=method, _original=original):
            calls.append((_method, *args[:3]))
            return _original(self, *args)

        monkeypatch.setattr(RNNv2Layer, method, record)
    spec = RNNSpec.random(0, op="LSTM", direction="BIDIRECTION", num_layers=2, input_mode="SKIP")
    build_spec_network(plugin.build, spec, spec.random_input(1))
    weights = sorted(c[1:] for c in calls if c[0] == "set_weights_for_gate")
    biases = sorted(c[1:] for c in calls if c[0] == "set_bias_for_gate")
    assert weights == sorted(spec.weight_keys()) and biases == sorted(spec.bias_keys())

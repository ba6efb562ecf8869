"""The network `add_rnn` builds around the plugin, on TensorRT for RTX's real builder.

RTX has no plugin layers, so `add_plugin_v3` is stood in for: the stand-in checks that the tensors
the network hands the plugin are exactly those its logic declares (names, types, dims), and returns
outputs of the declared shapes made from ordinary layers. The real builder then serializes the
network and its outputs must have the contract's shapes. What the kernel computes is proven elsewhere
(test_pipeline.py on the CPU, `gpu-proof` on a GPU).
"""

from __future__ import annotations

import numpy as np
import pytest

from trtrnn import trt as flavor
from trtrnn.conformance.matrix import matrix_cases
from trtrnn.network import build_spec_network, serialize_network
from trtrnn_persistent import build, runtime
from trtrnn_persistent.errors import PersistentUnavailableError, UnsupportedSizeError
from trtrnn_persistent.plan import H200
from trtrnn_persistent.recurrence import Recurrence

pytestmark = pytest.mark.skipif(not flavor.available(), reason="no TensorRT")

STATIC = [c for c in matrix_cases() if not c.dynamic_batch][::6]  # every op, mode, depth, precision


class StandIn:
    """A network whose add_plugin_v3 checks the plugin's inputs and returns shaped stand-in outputs."""

    def __init__(self, network) -> None:
        self._network = network
        self.plugins: list[Recurrence] = []

    def __getattr__(self, name):
        return getattr(self._network, name)

    def add_plugin_v3(self, inputs, shape_inputs, plugin):
        logic: Recurrence = plugin.logic
        trt = flavor.load()
        names = {trt.float32: "FLOAT", trt.float16: "HALF", trt.int32: "INT32"}
        logic.check_types([names[t.dtype] for t in inputs])
        n, t = logic.check_dims([tuple(i.shape) for i in inputs])
        self.plugins.append(logic)
        k, h = logic.directions, logic.hidden
        xproj = inputs[0]

        def cut(shape):
            start = (0,) * len(shape)
            return self._network.add_slice(xproj, start, shape, (1, 1, 1)).get_output(0)

        state = self._network.add_shuffle(cut((n, 1, k * h)))
        state.reshape_dims = (n, k, h)
        outputs = [cut((n, t, k * h)), state.get_output(0), state.get_output(0)][: logic.num_outputs]

        class Layer:
            name = ""

            def get_output(self, i):
                return outputs[i]

        return Layer()


def test_without_plugin_layers_the_build_names_why():
    if not build.plugin_layers_missing():
        pytest.skip("this TensorRT has plugin layers")
    case = STATIC[0]
    with pytest.raises(PersistentUnavailableError, match=r"add_plugin_v3 is absent"):
        build_spec_network(build.add_rnn, case.spec, case.x)


def as_if_on_h200(monkeypatch):
    """Plugin layers present and an H200's limits, for the build-time checks."""
    monkeypatch.setattr(build, "plugin_layers_missing", lambda: "")
    monkeypatch.setattr(runtime, "ensure_context", lambda: 0)
    monkeypatch.setattr(runtime, "device_limits", lambda device: H200)


def test_a_size_beyond_the_chip_is_refused_before_the_builder(monkeypatch):
    as_if_on_h200(monkeypatch)
    from trtrnn.spec import RNNSpec

    spec = RNNSpec.random(0, op="LSTM", hidden_size=1100, max_seq_length=2, data_length=4, batch_shape=(1,))
    with pytest.raises(UnsupportedSizeError, match="hidden_size: 1100 is above 1024"):
        build_spec_network(build.add_rnn, spec, spec.random_input(1))


@pytest.mark.parametrize("case", STATIC, ids=[c.id for c in STATIC])
def test_network_feeds_the_plugin_what_it_declares_and_builds(case, monkeypatch):
    as_if_on_h200(monkeypatch)
    stand_ins = []

    def add_rnn(network, spec, inputs):
        wrapped = StandIn(network)
        stand_ins.append(wrapped)
        return build.add_rnn(wrapped, spec, inputs)

    net = build_spec_network(add_rnn, case.spec, case.x, as_inputs=case.as_inputs, precision=case.precision)
    plugins = stand_ins[0].plugins
    assert len(plugins) == case.spec.num_layers
    assert all(p.weights_half == (case.precision == "fp16") for p in plugins)
    assert [tuple(t.shape) for t in net.outputs.tensors()] == [tuple(s) for s in case.spec.output_shapes]
    dtype = flavor.load().float16 if case.precision == "fp16" else flavor.load().float32
    assert all(t.dtype == dtype for t in net.outputs.tensors())
    assert len(serialize_network(net.builder, net.network, net.profile)) > 0
    np.testing.assert_equal(case.spec.max_seq_length, net.outputs.output.shape[-2])

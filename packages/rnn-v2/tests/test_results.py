"""Numbers: networks built through add_rnn_v2 (via the rnn-v2 backend), run by trtrnn's CPU evaluator,
against the numpy reference `trtrnn.reference.forward`; and the lifecycle once outputs exist.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from trtrnn import trt
from trtrnn.enums import RNNGateType, RNNOperation
from trtrnn.errors import ConfigurationError
from trtrnn.network import build_spec_network, serialize_network
from trtrnn.spec import RNNSpec

pytest.importorskip("trtrnn_loop", reason="rnn-loop (the ILoop lowering) is not installed")
evaluator = pytest.importorskip("trtrnn.evaluator", reason="core's CPU evaluator is not available")

from trtrnn_v2 import plugin  # noqa: E402  (after the skips: lowering needs rnn-loop)

#: float32 through a loop vs the float64-inside reference.
TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}

CASES = {
    "relu-2-stacked-ragged": dict(op="RELU", num_layers=2, seq_lengths="ragged", batch_shape=(3,)),
    "tanh-skip-states": dict(op="TANH", input_mode="SKIP", states=True, batch_shape=(2,)),
    "lstm-bi-ragged-states": dict(
        op="LSTM", direction="BIDIRECTION", seq_lengths="ragged", states=True, batch_shape=(3,)
    ),
    "gru-bi-2-stacked": dict(op="GRU", direction="BIDIRECTION", num_layers=2, batch_shape=(2, 2)),
    "lstm-no-leading-dims": dict(op="LSTM", batch_shape=(), hidden_size=8),
}


@pytest.mark.parametrize("name", list(CASES))
def test_backend_matches_the_reference(name):
    reference = pytest.importorskip("trtrnn.reference", reason="core's numpy reference is not available")
    if not trt.available():
        pytest.skip("no TensorRT installed")
    spec = RNNSpec.random(7, max_seq_length=4, **{"hidden_size": 4, **CASES[name]})
    x = spec.random_input(8)
    built = build_spec_network(plugin.build, spec, x)
    assert built.serialize()  # the "built" tier: TensorRT's real builder accepts the network
    got = evaluator.evaluate(built.network, built.feeds)
    want = reference.forward(spec, x).as_dict()
    assert set(got) == set(want)
    for key, value in want.items():
        np.testing.assert_allclose(got[key], value, **TOLERANCE, err_msg=f"{name}: {key}")


def test_outputs_feed_the_users_next_layer_and_the_builder_accepts_it(net, relu_layer):
    builder, network = net
    trt_mod = trt.load()
    out0 = relu_layer.get_output(0)
    assert tuple(out0.shape) == (1, 3, 4, 5) and tuple(relu_layer.get_output(1).shape) == (1, 3, 1, 5)
    assert relu_layer.get_output(0) is out0  # lowered once
    scaled = network.add_elementwise(out0, out0, trt_mod.ElementWiseOperation.SUM).get_output(0)
    scaled.name = "twice"
    network.mark_output(scaled)
    x = np.ones((1, 3, 4, 7), np.float32)
    got = evaluator.evaluate(network, {"inputT0": x})
    # The seed's initial example: 7, 42, 217, 1092 per step, doubled by the user's own layer.
    np.testing.assert_allclose(got["twice"][0, 0, :, 0], [14, 84, 434, 2184], rtol=1e-6)
    assert serialize_network(builder, network)


def test_configuration_after_the_outputs_were_used_is_refused(network, seed_input, relu_layer):
    relu_layer.get_output(1)
    h0 = network.add_input("h0", seed_input.dtype, (3, 1, 5))
    changes = {
        "op": lambda: setattr(relu_layer, "op", RNNOperation.TANH),
        "hidden_state": lambda: setattr(relu_layer, "hidden_state", h0),
        "set_weights_for_gate(0, INPUT, 0)": lambda: relu_layer.set_weights_for_gate(
            0, RNNGateType.INPUT, False, np.zeros((5, 5), np.float32)
        ),
        "set_bias_for_gate(0, INPUT, 1)": lambda: relu_layer.set_bias_for_gate(
            0, RNNGateType.INPUT, True, np.ones(5, np.float32)
        ),
    }
    for field, change in changes.items():
        with pytest.raises(ConfigurationError, match=re.escape(f"{field}: cannot change after get_output()")):
            change()
    relu_layer.name = "renamed"  # naming is not configuration
    assert relu_layer.op is RNNOperation.RELU


def test_dynamic_batch_through_the_api():
    """A -1 leading dim (with an optimization profile) goes through add_rnn_v2 and runs at full size."""
    reference = pytest.importorskip("trtrnn.reference", reason="core's numpy reference is not available")
    spec = RNNSpec.random(
        3, op="GRU", hidden_size=4, max_seq_length=4, batch_shape=(3,), seq_lengths="ragged", states=True
    )
    x = spec.random_input(4)
    built = build_spec_network(plugin.build, spec, x, dynamic_batch=True)
    assert tuple(built.inputs.input.shape) == (-1, 4, 5)
    assert built.serialize()
    got = evaluator.evaluate(built.network, built.feeds)
    for key, value in reference.forward(spec, x).as_dict().items():
        np.testing.assert_allclose(got[key], value, **TOLERANCE, err_msg=key)

"""The lowering is the fast one by construction: checked on the network itself, found by dataflow.

Per stack layer: one loop; inside it exactly one matmul, fed by the recurrent state (not by the
iterated input) and holding `[D, H, G*H]` weights; the input projection is a matmul outside every loop.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from trtrnn import trt
from trtrnn.network import build_spec_network
from trtrnn.spec import RNNSpec
from trtrnn_loop import add_rnn
from trtrnn_loop.structure import layers_outside_loops, loop_bodies

pytestmark = pytest.mark.skipif(not trt.available(), reason="no TensorRT installed")

#: Layers in one loop body, per op, without and with sequence lengths (masking adds 3, LSTM 6).
BODY_LAYERS = {"RELU": (3, 6), "TANH": (3, 6), "LSTM": (13, 19), "GRU": (14, 17)}


def _network(op, direction, mode="LINEAR", lengths="none", layers=2):
    spec = RNNSpec.random(
        3, op=op, direction=direction, input_mode=mode, num_layers=layers, seq_lengths=lengths,
        hidden_size=8, batch_shape=(2,),  # >= MIN_HIDDEN: the loops at the spec's own size
    )  # fmt: skip
    return spec, build_spec_network(add_rnn, spec, spec.random_input(0)).network


def _producer_type(network, tensor_name):
    for i in range(network.num_layers):
        layer = network.get_layer(i)
        if any(layer.get_output(j).name == tensor_name for j in range(layer.num_outputs)):
            return layer.type
    raise AssertionError(f"no layer produces {tensor_name}")


@pytest.mark.parametrize(
    "op, direction", list(itertools.product(BODY_LAYERS, ("UNIDIRECTION", "BIDIRECTION")))
)
def test_one_loop_per_stack_layer_with_one_recurrent_matmul(op, direction):
    trt_mod = trt.load()
    spec, network = _network(op, direction)
    bodies = loop_bodies(network)
    assert sorted(bodies) == [f"rnn.l{k}.loop" for k in range(spec.num_layers)]
    for body in bodies.values():
        mm = trt_mod.LayerType.MATRIX_MULTIPLY
        (matmul_index,) = [i for i in body.indices if network.get_layer(i).type == mm]
        matmul = network.get_layer(matmul_index)
        assert matmul.name.endswith(".recurrent_matmul")
        assert _producer_type(network, matmul.get_input(0).name) == trt_mod.LayerType.RECURRENCE
        weights = tuple(matmul.get_input(1).shape)
        h = spec.hidden_size
        assert weights == (spec.num_directions, h, len(spec.gates) * h)
        assert len(body.layers) == BODY_LAYERS[op][0]


@pytest.mark.parametrize("op", list(BODY_LAYERS))
def test_masking_adds_only_the_pointwise_hold(op):
    _, network = _network(op, "BIDIRECTION", lengths="ragged", layers=1)
    (body,) = loop_bodies(network).values()
    assert len(body.layers) == BODY_LAYERS[op][1]
    assert body.count("MATRIX_MULTIPLY") == 1


@pytest.mark.parametrize("mode, projections", [("LINEAR", 2), ("SKIP", 1)])
def test_input_projection_is_one_matmul_per_stack_layer_outside_the_loops(mode, projections):
    _, network = _network("LSTM", "BIDIRECTION", mode=mode)
    outside = layers_outside_loops(network, "MATRIX_MULTIPLY")
    assert outside == [f"rnn.l{k}.input_matmul" for k in range(2 - projections, 2)]


def test_loop_bodies_see_the_per_step_input_matmul_of_a_naive_lowering():
    """The analysis itself: a hand-made loop doing x.W inside the body is counted as such."""
    trt_mod = trt.load()
    _, network = trt.create_network()
    x = network.add_input("x", trt_mod.float32, (4, 2, 3))
    w = np.ones((3, 3), np.float32)
    loop = network.add_loop()
    loop.name = "naive"
    steps = network.add_constant((), np.array(4, np.int32)).get_output(0)
    loop.add_trip_limit(steps, trt_mod.TripLimit.COUNT)
    x_t = loop.add_iterator(x, 0).get_output(0)
    h = loop.add_recurrence(network.add_constant((2, 3), np.zeros((2, 3), np.float32)).get_output(0))
    none = trt_mod.MatrixOperation.NONE
    w_t = network.add_constant((3, 3), w).get_output(0)
    wx = network.add_matrix_multiply(x_t, none, w_t, none)
    rh = network.add_matrix_multiply(h.get_output(0), none, w_t, none)
    s = network.add_elementwise(wx.get_output(0), rh.get_output(0), trt_mod.ElementWiseOperation.SUM)
    h.set_input(1, s.get_output(0))
    out = loop.add_loop_output(h.get_output(0), trt_mod.LoopOutput.LAST_VALUE)
    network.mark_output(out.get_output(0))
    body = loop_bodies(network)["naive"]
    assert body.count("MATRIX_MULTIPLY") == 2
    assert body.count("ELEMENTWISE") == 1
    assert len(body.layers) == 3


def test_layers_are_named_and_several_rnns_share_a_network():
    spec = RNNSpec.random(1, op="GRU", hidden_size=4, batch_shape=(2,))
    net = build_spec_network(add_rnn, spec, spec.random_input(0))
    second = add_rnn(net.network, spec, net.inputs)
    net.network.mark_output(second.output)
    names = {net.network.get_layer(i).name for i in range(net.network.num_layers)}
    assert {"rnn.l0.recurrent_matmul", "rnn_1.l0.recurrent_matmul", "rnn.l0.input_matmul"} <= names
    assert not [n for n in names if n.startswith("(Unnamed")]
    assert len(net.serialize()) > 0

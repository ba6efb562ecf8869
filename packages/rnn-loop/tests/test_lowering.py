"""add_rnn end to end: a representative slice of the feature matrix, built, serialized by the real
builder, and (where core's evaluator and reference exist) evaluated against the numpy reference.

The exhaustive matrix is the conformance suite's; this file keeps every feature covered at least once
in a combination with others, fast enough to run while iterating.
"""

from __future__ import annotations

import importlib.util
import itertools

import numpy as np
import pytest

from trtrnn import trt
from trtrnn.network import build_spec_network
from trtrnn.spec import RNNSpec
from trtrnn_loop import add_rnn

pytestmark = pytest.mark.skipif(not trt.available(), reason="no TensorRT installed")

#: float32 through a loop vs the float64-inside reference.
TOLERANCE = {"rtol": 1e-4, "atol": 2e-5}

OPS = ("RELU", "TANH", "LSTM", "GRU")
DIRECTIONS = ("UNIDIRECTION", "BIDIRECTION")
LEADING = ((3,), (2, 2), ())
LENGTHS = ("ragged", "none", "full")


def _cases() -> dict[str, dict]:
    """Every op x direction, three variants each, cycling layers, lengths, states, mode and leading dims."""
    cases = {}
    cycle = itertools.count()
    for op, direction in itertools.product(OPS, DIRECTIONS):
        for variant in range(3):
            i = next(cycle)
            batch_shape = LEADING[i % 3]
            how = ("constants", "inputs", "dynamic")[(i // 3) % 3]
            if how == "dynamic" and not batch_shape:
                how = "inputs"
            kw = dict(
                op=op,
                direction=direction,
                num_layers=1 + (i % 3 + variant) % 3,
                seq_lengths=LENGTHS[(i + variant) % 3],
                states=bool((i + variant) % 2),
                input_mode="SKIP" if i % 4 == 1 else "LINEAR",
                batch_shape=batch_shape,
                hidden_size=8 if not batch_shape else 4,  # keep N*H >= 8 for the builder
                max_seq_length=4,
            )
            name = (
                f"{op.lower()}-{direction[:3].lower()}-L{kw['num_layers']}-len_{kw['seq_lengths']}"
                f"-{'states' if kw['states'] else 'zeros'}-{kw['input_mode'].lower()}"
                f"-B{'x'.join(map(str, batch_shape)) or 'none'}-{how}"
            )
            cases[name] = dict(spec=kw, how=how)
    # the E = H = 256 size of the issue, once per recurrence family
    cases["lstm-bi-L2-len_ragged-states-H256"] = dict(
        spec=dict(
            op="LSTM", direction="BIDIRECTION", num_layers=2, seq_lengths="ragged", states=True,
            hidden_size=256, data_length=256, batch_shape=(2,), max_seq_length=5,
        ),
        how="inputs",
    )  # fmt: skip
    cases["gru-uni-L1-len_none-zeros-H256"] = dict(
        spec=dict(op="GRU", hidden_size=256, data_length=256, batch_shape=(2,), max_seq_length=5),
        how="constants",
    )
    return cases


CASES = _cases()


def _build(name: str):
    case = CASES[name]
    spec = RNNSpec.random(sum(map(ord, name)), **case["spec"])
    x = spec.random_input(7)
    how = case["how"]
    net = build_spec_network(add_rnn, spec, x, as_inputs=how != "constants", dynamic_batch=how == "dynamic")
    return spec, x, net


@pytest.mark.parametrize("name", list(CASES))
def test_outputs_have_the_add_rnn_v2_shapes_and_serialize(name):
    spec, _, net = _build(name)
    expected = spec.output_shapes
    got = [tuple(t.shape) for t in net.outputs.tensors()]
    if CASES[name]["how"] == "dynamic":
        expected = [(-1, *shape[1:]) for shape in expected]
    assert got == list(expected)
    assert len(net.serialize()) > 0


_HAVE_ORACLE = all(importlib.util.find_spec(m) for m in ("trtrnn.evaluator", "trtrnn.reference"))


@pytest.mark.skipif(not _HAVE_ORACLE, reason="core's CPU evaluator / numpy reference not available yet")
@pytest.mark.parametrize("name", list(CASES))
def test_evaluated_network_matches_the_reference(name):
    import trtrnn
    from trtrnn import reference

    spec, x, net = _build(name)
    got = trtrnn.evaluate(net.network, net.feeds)
    want = reference.forward(spec, x).as_dict()
    assert set(got) == set(want)
    for key, value in want.items():
        np.testing.assert_allclose(got[key], value, err_msg=f"{name}: {key}", **TOLERANCE)


#: Where `reverse_iterators` changes the structure: every backward direction (bidirectional cases of
#: the matrix, a reverse one) and zero lengths, whose backward half starts from the initial state.
WALK_BACK = [n for n in CASES if CASES[n]["spec"].get("direction") == "BIDIRECTION"] + [
    "reverse-zeros",
    "bi-zeros",
]


@pytest.mark.skipif(not _HAVE_ORACLE, reason="core's CPU evaluator / numpy reference not available yet")
@pytest.mark.parametrize("name", WALK_BACK)
def test_walking_backward_through_the_loop_matches_the_reference(name):
    """`lower(..., reverse_iterators=True)` (what `rewrite` emits as ONNX): the backward direction reads
    the projection with a reverse iterator and writes a REVERSE loop output; its steps beyond a length
    come first and the masks keep its state at the initial one through them."""
    import trtrnn
    from trtrnn import reference
    from trtrnn_loop.lowering import lower
    from trtrnn_loop.trt_target import TrtGraph

    def build(network, spec, inputs):
        return lower(TrtGraph(network, "rnn", inputs.input.dtype), spec, inputs, reverse_iterators=True)

    if name in CASES:
        spec, how = RNNSpec.random(sum(map(ord, name)), **CASES[name]["spec"]), CASES[name]["how"]
    else:
        extra = {"reverse": True} if name.startswith("reverse") else {"direction": "BIDIRECTION"}
        spec = RNNSpec.random(3, op="LSTM", hidden_size=8, max_seq_length=5, batch_shape=(3,),
                              seq_lengths="zeros", states=True, num_layers=2, **extra)  # fmt: skip
        how = "inputs"
    x = spec.random_input(7)
    net = build_spec_network(build, spec, x, as_inputs=how != "constants", dynamic_batch=how == "dynamic")
    kinds = [str(net.network.get_layer(i).type).rsplit(".", 1)[-1] for i in range(net.network.num_layers)]
    assert "REVERSE_SEQUENCE" not in kinds
    got = trtrnn.evaluate(net.network, net.feeds)
    for key, value in reference.forward(spec, x).as_dict().items():
        np.testing.assert_allclose(got[key], value, err_msg=f"{name}: {key}", **TOLERANCE)


def test_the_matrix_covers_every_feature():
    """The slice above must still touch every feature (guards against editing the cycle into a hole)."""
    specs = [c["spec"] for c in CASES.values()]
    hows = {c["how"] for c in CASES.values()}
    assert {s["op"] for s in specs} == set(OPS)
    assert {s.get("direction", "UNIDIRECTION") for s in specs} == set(DIRECTIONS)
    assert {s.get("num_layers", 1) for s in specs} == {1, 2, 3}
    assert {s.get("seq_lengths", "none") for s in specs} == set(LENGTHS)
    assert {s.get("states", False) for s in specs} == {True, False}
    assert {s.get("input_mode", "LINEAR") for s in specs} == {"LINEAR", "SKIP"}
    assert {len(s["batch_shape"]) for s in specs} == {0, 1, 2}
    assert hows == {"constants", "inputs", "dynamic"}
    for op in OPS:  # each op meets ragged lengths in both directions, and stacking
        ops = [s for s in specs if s["op"] == op]
        assert {s.get("direction") for s in ops if s.get("seq_lengths") == "ragged"} >= set(DIRECTIONS)
        assert any(s.get("num_layers", 1) > 1 for s in ops)


def _hand_built(spec, dtype, leading):
    """A network whose contract tensors have the given leading dims (e.g. two -1s), made by hand."""
    from trtrnn.backend import RNNInputs
    from trtrnn.network import mark_outputs

    trt_mod = trt.load()
    builder, network = trt.create_network()
    tail = len(spec.batch_shape)
    x = network.add_input("input", dtype, (*leading, *spec.input_shape[tail:]))
    lengths = (
        network.add_input("seq_lengths", trt_mod.int32, leading) if spec.seq_lengths is not None else None
    )
    states = {}
    for name in ("hidden_state", "cell_state"):
        if getattr(spec, name) is not None:
            states[name] = network.add_input(name, dtype, (*leading, *spec.state_shape[tail:]))
    outputs = add_rnn(network, spec, RNNInputs(x, lengths, **states))
    mark_outputs(network, outputs)
    return builder, network, outputs


def test_two_dynamic_leading_dims_restore_through_shape_layers():
    from trtrnn.network import serialize_network

    spec = RNNSpec.random(
        4, op="LSTM", hidden_size=4, batch_shape=(2, 3), direction="BIDIRECTION", seq_lengths="ragged",
        states=True, num_layers=2,
    )  # fmt: skip
    builder, network, outputs = _hand_built(spec, trt.load().float32, (-1, -1))
    assert [tuple(t.shape) for t in outputs.tensors()] == [(-1, -1, *s[2:]) for s in spec.output_shapes]
    x = spec.random_input(1)
    feeds = {"input": x, "seq_lengths": spec.seq_lengths}
    feeds.update(hidden_state=spec.hidden_state, cell_state=spec.cell_state)
    profile = {k: ((1, 1, *v.shape[2:]), v.shape, v.shape) for k, v in feeds.items()}
    assert len(serialize_network(builder, network, profile)) > 0
    if _HAVE_ORACLE:
        import trtrnn
        from trtrnn import reference

        got = trtrnn.evaluate(network, feeds)
        for key, value in reference.forward(spec, x).as_dict().items():
            np.testing.assert_allclose(got[key], value, err_msg=key, **TOLERANCE)


def test_float16_input_gives_a_float16_network():
    from trtrnn.network import serialize_network

    trt_mod = trt.load()
    spec = RNNSpec.random(
        4, op="GRU", hidden_size=8, batch_shape=(2,), seq_lengths="ragged", direction="BIDIRECTION"
    )
    builder, network, outputs = _hand_built(spec, trt_mod.float16, spec.batch_shape)
    assert [t.dtype for t in outputs.tensors()] == [trt_mod.float16] * 2
    assert len(serialize_network(builder, network)) > 0  # strongly typed: no FP16 flag needed
    if _HAVE_ORACLE:
        import trtrnn
        from trtrnn import reference

        x = spec.random_input(1)
        got = trtrnn.evaluate(network, {"input": x.astype(np.float16), "seq_lengths": spec.seq_lengths})
        for key, value in reference.forward(spec, x).as_dict().items():
            np.testing.assert_allclose(got[key].astype(np.float32), value, atol=2e-3, err_msg=key)

"""`rewrite` on whole ONNX models: the committed models of tests/models (exported from PyTorch by
make_models.py, and hand-built for what PyTorch never exports).

The oracle is onnxruntime on the original model (or, where onnxruntime refuses the original, on an
equivalent model built independently here); the rewritten model is judged by onnxruntime (the same
numbers), by TensorRT's own ONNX parser + builder (built tier), and by trtrnn's CPU evaluator on the
parsed network (evaluated tier).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper  # noqa: E402

from trtrnn import trt  # noqa: E402
from trtrnn.errors import ShapeError, SpecError  # noqa: E402
from trtrnn_loop.rewrite import ModelError, plan, rewrite  # noqa: E402

MODELS = Path(__file__).resolve().parent / "models"
#: model -> (sizes of its dynamic dims, the RNN nodes rewrite lowers)
CASES = {
    "ocr_conv_bilstm": ({"batch": 2, "width": 12}, 1),
    "gru_stack_h0": ({"batch": 3, "steps": 5}, 2),
    "tagger_emb_bigru_rnn": ({"batch": 2, "steps": 7}, 2),
    "lstm_forecaster": ({"batch": 4, "steps": 6}, 2),
    "seqlens_bilstm": ({"B": 3, "T": 5}, 1),
    "layout1_gru": ({"B": 2, "T": 4}, 1),
}
#: float32 loops over a few steps: both sides accumulate differently (fused vs per-gate matmuls)
TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}
needs_trt = pytest.mark.skipif(not trt.available(), reason="no TensorRT installed")


def _load(name: str) -> onnx.ModelProto:
    return onnx.load(str(MODELS / f"{name}.onnx"))


def _feeds(model: onnx.ModelProto, sizes: dict[str, int], seed: int = 0) -> dict[str, np.ndarray]:
    """Random feeds for the graph inputs; int64 inputs are token ids, int32 ones sequence lengths."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for value in model.graph.input:
        tensor = value.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else sizes[d.dim_param] for d in tensor.shape.dim]
        if tensor.elem_type == TensorProto.INT64:
            feeds[value.name] = rng.integers(0, 30, shape)
        elif tensor.elem_type == TensorProto.INT32:
            steps = sizes.get("T", sizes.get("steps"))
            feeds[value.name] = rng.integers(1, steps + 1, shape).astype(np.int32)
        else:
            feeds[value.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def _ort(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds), strict=True))


def _layout0_twin(model: onnx.ModelProto) -> onnx.ModelProto:
    """layout1_gru as onnxruntime can run it: the same GRU node with layout 0, fed and read through
    Transposes (onnxruntime refuses layout=1; this oracle owes nothing to the rewrite)."""
    twin = onnx.ModelProto()
    twin.CopyFrom(model)
    (node,) = twin.graph.node
    for attr in list(node.attribute):
        if attr.name == "layout":
            node.attribute.remove(attr)
    x, h0, y, y_h = node.input[0], node.input[5], node.output[0], node.output[1]
    node.input[0], node.input[5], node.output[0], node.output[1] = "X_tbe", "h0_kbh", "Y_tkbh", "Y_h_kbh"
    glue = [
        helper.make_node("Transpose", [x], ["X_tbe"], perm=[1, 0, 2]),
        helper.make_node("Transpose", [h0], ["h0_kbh"], perm=[1, 0, 2]),
    ]
    after = [
        helper.make_node("Transpose", ["Y_tkbh"], [y], perm=[2, 0, 1, 3]),
        helper.make_node("Transpose", ["Y_h_kbh"], [y_h], perm=[1, 0, 2]),
    ]
    nodes = [*glue, node, *after]
    del twin.graph.node[:]
    twin.graph.node.extend(nodes)
    return twin


def _oracle(name: str, model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return _ort(_layout0_twin(model) if name == "layout1_gru" else model, feeds)


# ---- onnxruntime: the rewritten model computes what the original does --------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_rewritten_model_matches_the_original_on_onnxruntime(name):
    model = _load(name)
    sizes, lowered = CASES[name]
    result = rewrite(model)
    assert [n.action for n in result.nodes] == ["lower"] * lowered
    assert not [n for n in result.model.graph.node if n.op_type in ("RNN", "GRU", "LSTM")]
    for seed, scale in ((0, 1), (1, 2)):  # dynamic batch and length stay dynamic: two sizes
        feeds = _feeds(model, {k: v * scale if k != "width" else v for k, v in sizes.items()}, seed)
        want, got = _oracle(name, model, feeds), _ort(result.model, feeds)
        assert set(got) == set(want)
        for key in want:
            np.testing.assert_allclose(got[key], want[key], err_msg=f"{name}: {key}", **TOLERANCE)


@pytest.mark.parametrize("name", list(CASES))
def test_graph_inputs_outputs_and_opset_are_kept(name):
    model = _load(name)
    out = rewrite(model).model
    assert [i.SerializeToString() for i in out.graph.input] == [
        i.SerializeToString() for i in model.graph.input
    ]
    assert [o.SerializeToString() for o in out.graph.output] == [
        o.SerializeToString() for o in model.graph.output
    ]
    assert [(o.domain, o.version) for o in out.opset_import] == [
        (o.domain, o.version) for o in model.opset_import
    ]


@pytest.mark.parametrize("name", list(CASES))
def test_each_node_is_one_matmul_outside_and_one_loop_with_one_matmul(name):
    model = _load(name)
    out = rewrite(model).model
    loops = [n for n in out.graph.node if n.op_type == "Scan"]
    assert len(loops) == CASES[name][1]
    for loop in loops:
        (body,) = [a.g for a in loop.attribute if a.name == "body"]
        assert [n.name.rsplit(".", 1)[-1] for n in body.node if n.op_type == "MatMul"] == ["recurrent_matmul"]
    projections = [n for n in out.graph.node if n.name.endswith(".input_matmul")]
    assert len(projections) == CASES[name][1]


@pytest.mark.parametrize("name", ["ocr_conv_bilstm", "tagger_emb_bigru_rnn", "seqlens_bilstm"])
def test_a_backward_direction_walks_its_scan_backward(name):
    """The backward direction reads its projection through a reverse scan input and writes a reversed
    scan output: no time-reversed copies (with a dynamic T a Slice of step -1 became ~34 shape layers
    in the parser, and its builder unrolled the loop 8 times: 1.65-1.77x the parser's engine bytes)
    and no ReverseSequence (the masks keep the state at the initial one until step len-1)."""
    out = rewrite(_load(name)).model
    assert not [n.name for n in out.graph.node if n.op_type == "ReverseSequence" or "reverse" in n.name]
    bidirectional = [n for n in out.graph.node if n.op_type == "Scan" and ".l0.loop" in n.name]
    scans = [{a.name: helper.get_attribute_value(a) for a in n.attribute} for n in bidirectional]
    walking_back = [s for s in scans if 1 in s.get("scan_input_directions", [])]
    assert len(walking_back) == 1
    (attrs,) = walking_back
    assert sorted(attrs["scan_output_directions"]) == [0, 1]  # each direction's output, in its own order


# ---- TensorRT's parser on the rewritten model: built and evaluated tiers ------------------------
def _parse(model: onnx.ModelProto) -> tuple[object, object, object]:
    t = trt.load()
    builder, network = trt.create_network()
    parser = t.OnnxParser(network, trt.logger())
    ok = parser.parse(model.SerializeToString())
    assert ok, "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
    return builder, network, parser


def _profile(network: object, feeds: dict[str, np.ndarray]) -> dict:
    """min = opt = max = the feeds' shapes for every dynamic input."""
    profile = {}
    for i in range(network.num_inputs):
        tensor = network.get_input(i)
        if -1 in tuple(tensor.shape):
            shape = feeds[tensor.name].shape
            profile[tensor.name] = (shape, shape, shape)
    return profile


@needs_trt
@pytest.mark.parametrize("name", list(CASES))
def test_tensorrt_parses_and_builds_the_rewritten_model(name):
    from trtrnn.network import serialize_network
    from trtrnn_loop.structure import loop_bodies

    model = _load(name)
    feeds = _feeds(model, CASES[name][0])
    builder, network, _parser = _parse(rewrite(model).model)
    bodies = loop_bodies(network)
    assert len(bodies) == CASES[name][1]  # one ILoop per RNN node (per stack layer), both directions in it
    assert all(b.count("MATRIX_MULTIPLY") == 1 for b in bodies.values())
    assert len(serialize_network(builder, network, _profile(network, feeds))) > 0


@needs_trt
@pytest.mark.parametrize("name", list(CASES))
def test_evaluated_parsed_network_matches_onnxruntime_on_the_original(name):
    import trtrnn

    model = _load(name)
    feeds = _feeds(model, CASES[name][0], seed=3)
    _builder, network, _parser = _parse(rewrite(model).model)
    got = trtrnn.evaluate(network, feeds)
    want = _oracle(name, model, feeds)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], err_msg=f"{name}: {key}", **TOLERANCE)


@functools.cache
def _bench_rewrite():
    """benchmarks/bench_rewrite.py of this checkout, as a module."""
    import importlib.util

    path = Path(__file__).resolve().parents[3] / "benchmarks" / "bench_rewrite.py"
    if not path.exists():
        pytest.skip("not a checkout: no benchmarks/bench_rewrite.py")
    spec = importlib.util.spec_from_file_location("bench_rewrite", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_rewrite"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@needs_trt
@pytest.mark.parametrize(
    "name", ["ocr_conv_bilstm", "gru_stack_h0", "tagger_emb_bigru_rnn", "seqlens_bilstm"]
)
def test_loop_flops_are_the_bound_read_off_the_nodes(name):
    """Per step the parser's loops multiply x.W and h.R, ours only h.R (x.W hoisted): the ratio of the
    parsed networks' loop matmul FLOPs is sum(D*G*H*H) / sum(D*G*H*(E+H)) over the model's nodes,
    exactly (with H below 8 counted at 8, the padding). The bound comes from W's and R's dims alone."""
    bench = _bench_rewrite()
    original = _load(name)
    theirs, ours = bench.structure(original), bench.structure(rewrite(original).model)
    bound = bench.flop_bound(original)
    assert ours.body_mflop / theirs.body_mflop == pytest.approx(bound.padded, rel=1e-12)
    assert (bound.padded == bound.exact) == (name != "seqlens_bilstm")  # its H=6 is padded to 8


@needs_trt
def test_the_parsers_layout_1_network_contradicts_itself_and_the_rewrite_is_right():
    """TensorRT's parser does not honour layout=1 inside its loop: the hidden state it iterates has
    the shape of [T, B, E] read as batch-major (B x T rows), so the loop's Y_h comes out [3, 3, 6] where
    the network declares [B, 1, H]; the evaluator refuses to run such a network. The rewritten model,
    parsed by the same parser, matches onnxruntime on the layout-0 twin."""
    import trtrnn
    from trtrnn.errors import UnsupportedLayerError

    model = _load("layout1_gru")
    feeds = _feeds(model, {"B": 3, "T": 3}, seed=5)
    _b, theirs, _p = _parse(model)
    with pytest.raises(
        UnsupportedLayerError,
        match=r"computed shape \(3, 3, 6\) for 'Y_h' but TensorRT declares \(-1, 1, 6\)",
    ):
        trtrnn.evaluate(theirs, feeds)
    _b2, ours, _p2 = _parse(rewrite(model).model)
    got, want = trtrnn.evaluate(ours, feeds), _oracle("layout1_gru", model, feeds)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], err_msg=key, **TOLERANCE)


@needs_trt
def test_a_length_of_0_the_parser_answers_with_the_initial_state_the_rewrite_with_zeros():
    """onnxruntime (and docs/semantics.md §2.4) give all-zero results for a sequence of length 0;
    TensorRT's parser returns the initial state as its final state; the rewritten model, parsed by
    the same parser, gives the zeros."""
    import trtrnn

    model = _load("seqlens_bilstm")
    feeds = _feeds(model, {"B": 3, "T": 4}, seed=9)
    feeds["sequence_lens"] = np.array([4, 0, 2], np.int32)
    want = _ort(model, feeds)
    assert not want["Y_h"][:, 1].any() and feeds["initial_h"][:, 1].any()
    _b, theirs, _p = _parse(model)
    wrong = trtrnn.evaluate(theirs, feeds)
    np.testing.assert_allclose(wrong["Y_h"][:, 1], feeds["initial_h"][:, 1], rtol=1e-6)  # the parser's answer
    _b2, ours, _p2 = _parse(rewrite(model).model)
    got = trtrnn.evaluate(ours, feeds)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], err_msg=key, **TOLERANCE)


# ---- what rewrite refuses, keeps, and says ------------------------------------------------------
def test_plan_lists_every_rnn_node_with_what_rewrite_will_do():
    plans = plan(_load("tagger_emb_bigru_rnn"))
    assert [(p.op_type, p.action) for p in plans] == [("GRU", "lower"), ("RNN", "lower")]
    assert "GRU bidirection H=8" in plans[0].detail and "T=dynamic, B=dynamic" in plans[0].detail
    assert "RELU unidirection" in plans[1].detail


def _extended_model() -> onnx.ModelProto:
    """Hand-built (not by trtrnn): a bidirectional LSTM with peepholes, clip, input_forget and different
    activations per direction, then a reverse RNN with ScaledTanh, then a GRU lbr=0 with HardSigmoid;
    dynamic batch and length, sequence_lens with zeros allowed."""
    rng = np.random.default_rng(7)
    e, h = 3, 4

    def init(name, *shape):
        return onnx.numpy_helper.from_array((rng.standard_normal(shape) * 0.5).astype(np.float32), name)

    inits = [
        init("W1", 2, 4 * h, e), init("R1", 2, 4 * h, h), init("B1", 2, 8 * h), init("P1", 2, 3 * h),
        init("W2", 1, h, 2 * h), init("R2", 1, h, h), init("W3", 1, 3 * h, h), init("R3", 1, 3 * h, h),
        init("B3", 1, 6 * h), onnx.numpy_helper.from_array(np.array([0, 0, 2 * h], np.int64), "shape"),
        onnx.numpy_helper.from_array(np.array([1], np.int64), "one"),
    ]  # fmt: skip
    nodes = [
        helper.make_node(
            "LSTM", ["X", "W1", "R1", "B1", "lens", "", "", "P1"], ["Y1"], name="lstm", hidden_size=h,
            direction="bidirectional", clip=1.5, input_forget=1,
            activations=["Sigmoid", "Tanh", "Tanh", "HardSigmoid", "Softsign", "LeakyRelu"],
            activation_alpha=[0.3, 0.1], activation_beta=[0.45],
        ),
        helper.make_node("Transpose", ["Y1"], ["Y1t"], perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["Y1t", "shape"], ["X2"]),
        helper.make_node("RNN", ["X2", "W2", "R2", "", "lens"], ["Y2"], name="rnn", hidden_size=h,
                         direction="reverse", activations=["ScaledTanh"], activation_alpha=[0.8],
                         activation_beta=[1.2]),
        helper.make_node("Squeeze", ["Y2", "one"], ["X3"]),
        helper.make_node("GRU", ["X3", "W3", "R3", "B3"], ["Y3", "Y3_h"], name="gru", hidden_size=h,
                         activations=["HardSigmoid", "Tanh"], activation_alpha=[0.25], activation_beta=[0.5]),
    ]  # fmt: skip
    graph = helper.make_graph(
        nodes, "extended",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["T", "B", e]),
         helper.make_tensor_value_info("lens", TensorProto.INT32, ["B"])],
        [helper.make_tensor_value_info("Y3", TensorProto.FLOAT, ["T", 1, "B", h]),
         helper.make_tensor_value_info("Y3_h", TensorProto.FLOAT, [1, "B", h])],
        inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


@pytest.mark.parametrize("name", ["gru_lbr0", "extended"])
def test_nodes_with_onnx_extensions_are_lowered_and_match_onnxruntime(name):
    """docs/semantics.md §2.1-2.4: GRU linear_before_reset=0 (PyTorch never exports it; committed model)
    and a hand-built chain using peepholes, clip, input_forget, per-direction activations with
    alpha/beta, reverse and zero lengths: every node is lowered, onnxruntime agrees."""
    model = _load(name) if name == "gru_lbr0" else _extended_model()
    result = rewrite(model)
    assert {n.action for n in result.nodes} == {"lower"}
    assert not [n for n in result.model.graph.node if n.op_type in ("RNN", "GRU", "LSTM")]
    for seed, (b, t) in enumerate(((3, 5), (2, 3))):
        feeds = _feeds(model, {"B": b, "T": t}, seed)
        if "lens" in feeds:
            feeds["lens"][0] = 0  # an empty sequence
        want, got = _ort(model, feeds), _ort(result.model, feeds)
        for key in want:
            np.testing.assert_allclose(got[key], want[key], err_msg=f"{name}: {key}", **TOLERANCE)


@pytest.mark.parametrize("name", ["extended", "ocr_conv_bilstm"])
def test_the_onnx_target_also_builds_add_rnns_time_reversed_copies(monkeypatch, name):
    """One lowering, both structures on both targets: with `reverse_iterators=False` (add_rnn's) the
    backward input is reversed before the Scan (ReverseSequence with lengths, a Slice of step -1
    without) and its output after; onnxruntime still agrees, zero lengths and a reverse node included."""
    from trtrnn_loop import lowering
    from trtrnn_loop import rewrite as module

    def copies(*args, **kwargs):
        return lowering.lower(*args, **{**kwargs, "reverse_iterators": False})

    monkeypatch.setattr(module, "lower", copies)
    model = _load(name) if name != "extended" else _extended_model()
    out = rewrite(model).model
    reversing = {n.op_type for n in out.graph.node if n.name.endswith(("reverse_input", "reverse_output"))}
    assert reversing == ({"ReverseSequence"} if name == "extended" else {"Slice"})
    sizes = {"B": 3, "T": 5} if name == "extended" else CASES[name][0]
    feeds = _feeds(model, sizes, 1)
    if "lens" in feeds:
        feeds["lens"][0] = 0
    want, got = _ort(model, feeds), _ort(out, feeds)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], err_msg=f"{name}: {key}", **TOLERANCE)


def _backward_cases() -> dict[str, dict]:
    """Every op x (bidirectional, reverse) x lengths (none, ragged, with a 0), the rest rotating."""
    import itertools

    cases = {}
    for i, (op, way, lens) in enumerate(
        itertools.product(("LSTM", "GRU", "TANH", "RELU"), ("bi", "reverse"), ("none", "ragged", "zeros"))
    ):
        kw = {"direction": "BIDIRECTION"} if way == "bi" else {"reverse": True}
        kw.update(op=op, seq_lengths=lens, states=bool(i % 2), num_layers=1 + i % 3 % 2,
                  max_seq_length=(4, 1, 5)[i % 3], linear_before_reset=op != "GRU" or i % 4 != 1)  # fmt: skip
        cases[f"{op.lower()}-{way}-len_{lens}-{'dynamic' if i % 2 == 0 else 'static'}"] = kw
    return cases


BACKWARD = _backward_cases()


@needs_trt
@pytest.mark.parametrize("name", list(BACKWARD))
def test_backward_directions_match_onnxruntime_on_the_original_and_evaluated(name):
    """Random nodes with a backward direction through `to_onnx` (independent of the lowering): the
    rewritten model on onnxruntime, and the parser's network of it on trtrnn's evaluator, compute what
    onnxruntime computes on the original (a length 0 included: zeros, as onnxruntime)."""
    import trtrnn
    from trtrnn.onnx_io import onnx_feeds, to_onnx
    from trtrnn.spec import RNNSpec

    spec = RNNSpec.random(sum(map(ord, name)), hidden_size=8, batch_shape=(3,), **BACKWARD[name])
    model = to_onnx(spec)
    if name.endswith("dynamic"):
        for value in model.graph.input:
            dims = value.type.tensor_type.shape.dim
            dims[1 if value.name != "sequence_lens" else 0].dim_param = "B"
            if value.name == "X":
                dims[0].dim_param = "T"
    out = rewrite(model).model
    feeds = onnx_feeds(spec, spec.random_input(1))
    want = _ort(model, feeds)
    _builder, network, _parser = _parse(out)
    for got in (_ort(out, feeds), trtrnn.evaluate(network, feeds)):
        for key in want:
            np.testing.assert_allclose(got[key], want[key], err_msg=f"{name}: {key}", **TOLERANCE)


def test_keep_unsupported_leaves_the_node_as_it_was():
    model = _load("gru_lbr0")
    (node,) = model.graph.node
    weight = next(i for i in model.graph.initializer if i.name == node.input[1])
    model.graph.input.append(helper.make_tensor_value_info(weight.name, TensorProto.FLOAT, list(weight.dims)))
    model.graph.initializer.remove(weight)  # W fed at run time: the lowering cannot build it
    with pytest.raises(SpecError, match=r"GRU node .* run time.*--keep-unsupported"):
        rewrite(model)
    result = rewrite(model, keep_unsupported=True)
    assert [n.action for n in result.nodes] == ["keep"]
    assert [n.SerializeToString() for n in result.model.graph.node] == [
        n.SerializeToString() for n in model.graph.node
    ]


def test_a_model_without_rnn_nodes_is_refused_unless_allowed():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    model = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y]))
    with pytest.raises(ModelError, match="no RNN, GRU or LSTM node"):
        rewrite(model)
    result = rewrite(model, allow_none=True)
    assert result.nodes == [] and result.model.SerializeToString() == model.SerializeToString()


def test_a_corrupt_file_is_not_an_onnx_model(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07this is not protobuf\xff\xff\xff")
    with pytest.raises(ModelError, match=r"bad\.onnx: not an ONNX model"):
        rewrite(bad)
    with pytest.raises(ModelError, match=r"missing\.onnx: cannot be read"):
        rewrite(tmp_path / "missing.onnx")


def test_weights_fed_at_run_time_are_refused_naming_the_node():
    model = _load("gru_stack_h0")
    node = next(n for n in model.graph.node if n.op_type == "GRU")
    weight = next(i for i in model.graph.initializer if i.name == node.input[1])
    model.graph.input.append(helper.make_tensor_value_info(weight.name, TensorProto.FLOAT, list(weight.dims)))
    model.graph.initializer.remove(weight)
    with pytest.raises(SpecError, match=rf"GRU node '{node.name}': input W .* run time"):
        rewrite(model)


def test_weights_that_contradict_hidden_size_are_refused():
    model = _load("seqlens_bilstm")
    (node,) = model.graph.node
    for attr in node.attribute:
        if attr.name == "hidden_size":
            attr.i = 5  # W is [2, 24, 5]: 4 gates x 6
    with pytest.raises(ShapeError, match=r"onnx W of layer 0: shape \(2, 24, 5\); expected \(2, 20, 5\)"):
        rewrite(model)


def test_an_old_opset_is_raised_and_said():
    model = _load("seqlens_bilstm")
    model.opset_import[0].version = 9
    feeds = _feeds(model, {"B": 2, "T": 4})
    result = rewrite(model)
    assert result.notes == ["opset raised from 9 to 11 (the Scan, Range and Slice forms the rewrite emits)"]
    for key, value in _ort(model, feeds).items():
        np.testing.assert_allclose(_ort(result.model, feeds)[key], value, **TOLERANCE)


def test_a_whole_model_with_a_static_batch_and_length_keeps_them_static():
    from trtrnn.onnx_io import onnx_feeds, to_onnx
    from trtrnn.spec import RNNSpec

    spec = RNNSpec.random(
        2, op="LSTM", direction="BIDIRECTION", num_layers=2, hidden_size=5, batch_shape=(3,),
        max_seq_length=4, seq_lengths="ragged", states=True,
    )  # fmt: skip
    model = to_onnx(spec)
    out = rewrite(model).model
    assert not [n for n in out.graph.node if n.op_type == "Shape"]  # no run-time shape arithmetic
    feeds = onnx_feeds(spec, spec.random_input(1))
    for key, value in _ort(model, feeds).items():
        np.testing.assert_allclose(_ort(out, feeds)[key], value, err_msg=key, **TOLERANCE)


@pytest.mark.parametrize("opset", [11, 13, 18])
def test_the_forms_that_changed_with_the_opset_follow_the_model(opset):
    """Unsqueeze takes its axes as an input from opset 13; the rewrite follows the model's opset, and
    every form it emits checks and runs at 11, 13 and 18."""
    model = _load("seqlens_bilstm")
    model.opset_import[0].version = opset
    result = rewrite(model)
    assert result.notes == [] and result.model.opset_import[0].version == opset
    onnx.checker.check_model(result.model)
    feeds = _feeds(model, {"B": 3, "T": 4})
    for key, value in _ort(model, feeds).items():
        np.testing.assert_allclose(_ort(result.model, feeds)[key], value, err_msg=key, **TOLERANCE)


def test_rewrite_is_found_through_the_registry():
    from trtrnn import registry
    from trtrnn_loop import rewrite as module

    assert registry.onnx_rewriter() is module

"""`trtrnn.reference` against onnxruntime (an independent oracle, SEMANTICS §10), and the ONNX bridge.

Random weights of scale 1/sqrt(H); every op (RNN Tanh and Relu, GRU linear_before_reset=1, LSTM), uni
and bi, ragged lengths including 1, initial h/c, 1-3 stacked layers as chained nodes, 0/1/2 leading
dims, SKIP input. Run with -s to see the number of cases and the largest difference.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from trtrnn import reference
from trtrnn.activations import ONNX_ACTIVATIONS, Activation
from trtrnn.conformance.extended import extended_specs
from trtrnn.enums import RNNGateType, RNNOperation
from trtrnn.errors import ShapeError, SpecError
from trtrnn.seed import SEED_CASES
from trtrnn.spec import EXTENDED_FEATURES, Feature, RNNSpec

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
from onnx import helper  # noqa: E402

from trtrnn import onnx_io  # noqa: E402

TOLERANCE = 1e-5


def _matrix(op: RNNOperation) -> list[RNNSpec]:
    specs = []
    grid = itertools.product(
        ("UNIDIRECTION", "BIDIRECTION"), (1, 2, 3), ((), (3,), (2, 2)), ("none", "ragged"), (False, True)
    )
    for n, (direction, layers, batch, lengths, states) in enumerate(grid):
        kw = {"op": op, "direction": direction, "num_layers": layers, "batch_shape": batch, "states": states}
        specs.append(RNNSpec.random(n, seq_lengths=lengths, hidden_size=4, max_seq_length=4, **kw))
    # T = 1, SKIP input, a wider problem
    specs.append(RNNSpec.random(101, op=op, max_seq_length=1, seq_lengths="full", states=True))
    specs.append(RNNSpec.random(102, op=op, input_mode="SKIP", direction="BIDIRECTION", num_layers=2))
    specs.append(RNNSpec.random(103, op=op, hidden_size=16, data_length=9, max_seq_length=7,
                                batch_shape=(5,), seq_lengths="ragged", states=True))  # fmt: skip
    return specs


def _max_error(a: reference.RNNResult, b: reference.RNNResult) -> float:
    assert (a.cell is None) == (b.cell is None)
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b, strict=True) if x is not None)


@pytest.mark.parametrize("op", list(RNNOperation))
def test_reference_agrees_with_onnxruntime(op: RNNOperation) -> None:
    worst, failures, specs = 0.0, [], _matrix(op)
    for n, spec in enumerate(specs):
        x = spec.random_input(n)
        want, got = onnx_io.onnxruntime_forward(spec, x), reference.forward(spec, x)
        assert [a.shape for a in got if a is not None] == [a.shape for a in want if a is not None]
        error = _max_error(got, want)
        worst = max(worst, error)
        if error > TOLERANCE:
            failures.append((n, sorted(f.value for f in spec.features()), error))
    print(f"\n{op.name}: {len(specs)} cases vs onnxruntime, max abs error {worst:.3g}")
    assert not failures, failures
    assert len(specs) == 75


@pytest.mark.parametrize("name", SEED_CASES)
def test_seed_tables_agree_with_onnxruntime(name: str) -> None:
    """The seed's numbers (and the §9.1 h0 = 1 values) from the independent oracle too."""
    case = SEED_CASES[name]
    got = onnx_io.onnxruntime_forward(case.spec, case.x).as_dict()
    for key, want in case.expected.items():
        np.testing.assert_allclose(got[key], want, rtol=case.rtol, err_msg=f"{name}: {key}")


# ---- round trip ------------------------------------------------------------------------------------
def _assert_same_spec(a: RNNSpec, b: RNNSpec) -> None:
    for field in ("op", "hidden_size", "max_seq_length", "data_length", "num_layers", "input_mode",
                  "direction", "batch_shape"):  # fmt: skip
        assert getattr(a, field) == getattr(b, field), field
    for field in ("weights", "biases"):
        x, y = getattr(a, field), getattr(b, field)
        assert x.keys() == y.keys(), field
        for key in x:
            assert x[key].dtype == y[key].dtype and np.array_equal(x[key], y[key]), (field, key)
    for field in ("seq_lengths", "hidden_state", "cell_state"):
        x, y = getattr(a, field), getattr(b, field)
        assert (x is None) == (y is None), field
        if x is not None:
            assert x.shape == y.shape and x.dtype == y.dtype and np.array_equal(x, y), field


@pytest.mark.parametrize("op", list(RNNOperation))
@pytest.mark.parametrize("input_mode", ["LINEAR", "SKIP"])
@pytest.mark.parametrize("batch_shape", [(), (3,), (2, 2)])
def test_from_onnx_round_trips_the_spec(op: RNNOperation, input_mode: str, batch_shape: tuple) -> None:
    spec = RNNSpec.random(5, op=op, input_mode=input_mode, batch_shape=batch_shape, num_layers=3,
                          direction="BIDIRECTION", seq_lengths="ragged", states=True)  # fmt: skip
    x = spec.random_input(0)
    model = onnx_io.to_onnx(spec)
    _assert_same_spec(onnx_io.from_onnx(model, onnx_io.onnx_feeds(spec, x)), spec)
    bare = onnx_io.from_onnx(model)  # lengths and states are run-time inputs: unset without values
    _assert_same_spec(bare, spec.replace(seq_lengths=None, hidden_state=None, cell_state=None))


def test_from_onnx_reads_a_file_and_constant_nodes(tmp_path) -> None:
    spec = RNNSpec.random(2, op="GRU", batch_shape=(2,))
    model = onnx_io.to_onnx(spec)
    weights = {i.name: i for i in model.graph.initializer}
    w = weights.pop("W_0")
    del model.graph.initializer[:]
    model.graph.initializer.extend(weights.values())
    model.graph.node.insert(0, helper.make_node("Constant", [], ["W_0"], value=w))
    path = tmp_path / "gru.onnx"
    onnx.save(model, path)
    _assert_same_spec(onnx_io.from_onnx(path), spec)
    _assert_same_spec(onnx_io.from_onnx(str(path)), spec)


def test_from_onnx_without_trtrnn_metadata_uses_onnx_batch_and_linear_identity() -> None:
    spec = RNNSpec.random(4, op="TANH", input_mode="SKIP", batch_shape=(2, 3))
    model = onnx_io.to_onnx(spec)
    del model.metadata_props[:]
    imported = onnx_io.from_onnx(model)
    assert imported.batch_shape == (6,) and imported.input_mode.name == "LINEAR"
    x = spec.random_input(1)
    np.testing.assert_allclose(
        reference.forward(imported, x.reshape(6, *x.shape[2:])).output.reshape(spec.output_shapes[0]),
        reference.forward(spec, x).output,
        rtol=1e-6,
    )


def test_from_onnx_overrides_for_dynamic_shapes() -> None:
    spec = RNNSpec.random(4, op="LSTM", batch_shape=(2,))
    model = onnx_io.to_onnx(spec)
    for dim in model.graph.input[0].type.tensor_type.shape.dim[:2]:
        dim.dim_param = "dynamic"
    with pytest.raises(SpecError, match=r"the sequence length T is dynamic; pass max_seq_length="):
        onnx_io.from_onnx(model)
    imported = onnx_io.from_onnx(model, max_seq_length=9, batch_shape=(4, 2))
    assert imported.max_seq_length == 9 and imported.batch_shape == (4, 2)
    assert onnx_io.from_onnx(model, max_seq_length=9).batch_shape == (1,)
    with pytest.raises(ShapeError, match=r"batch_shape: \(3,\) holds 3 sequences; X has B = 2"):
        onnx_io.from_onnx(onnx_io.to_onnx(spec), batch_shape=(3,))


# ---- refusals (SEMANTICS §8) ------------------------------------------------------------------------
def _model(op: str = "LSTM", **attrs: object) -> onnx.ModelProto:
    """A one-node model from a random spec, with the node's attributes changed."""
    spec = RNNSpec.random(0, op=op, batch_shape=(2,), direction="UNIDIRECTION")
    model = onnx_io.to_onnx(spec)
    node = next(n for n in model.graph.node if n.op_type in ("RNN", "GRU", "LSTM"))
    for name, value in attrs.items():
        for existing in [a for a in node.attribute if a.name == name]:
            node.attribute.remove(existing)
        if value is not None:
            node.attribute.append(helper.make_attribute(name, value))
    return model


@pytest.mark.parametrize(
    ("op", "attrs", "field", "value"),
    [  # refused until issue 12 (SEMANTICS §8 then): each now imports into its spec field
        ("GRU", {"direction": "reverse"}, "reverse", True),
        ("LSTM", {"clip": 3.0}, "clip", 3.0),
        ("LSTM", {"input_forget": 1}, "input_forget", True),
        ("GRU", {"linear_before_reset": 0}, "linear_before_reset", False),
        ("GRU", {"linear_before_reset": None}, "linear_before_reset", False),  # ONNX's default is 0
        ("RELU", {"activations": ["LeakyRelu"], "activation_alpha": [0.5]}, "activations", {0: (("LeakyRelu", 0.5),)}),  # noqa: E501
        ("TANH", {"activations": ["Sigmoid"]}, "activations", {0: ("Sigmoid",)}),
        ("LSTM", {"activations": ["Sigmoid", "Relu", "Tanh"]}, "activations", {0: ("Sigmoid", "Relu", "Tanh")}),  # noqa: E501
    ],
)  # fmt: skip
def test_formerly_inexpressible_attributes_import(op: str, attrs: dict, field: str, value: object) -> None:
    spec = onnx_io.from_onnx(_model(op, **attrs))
    if field == "activations":
        want = {i: tuple(Activation.of(a) for a in acts) for i, acts in value.items()}  # type: ignore[attr-defined]
        assert spec.activations == want
    else:
        assert getattr(spec, field) == value


def test_explicit_default_activations_are_accepted() -> None:
    spec = onnx_io.from_onnx(_model("LSTM", activations=["Sigmoid", "Tanh", "Tanh"]))
    assert spec.op == RNNOperation.LSTM
    assert onnx_io.from_onnx(_model("TANH", activations=["Tanh"])).op == RNNOperation.TANH


def _with_peepholes(p: np.ndarray) -> onnx.ModelProto:
    model = _model("LSTM")
    node = next(n for n in model.graph.node if n.op_type == "LSTM")
    while len(node.input) < 7:
        node.input.append("")
    node.input.append("P")
    model.graph.initializer.append(onnx.numpy_helper.from_array(p, "P"))
    return model


def test_peepholes_import_in_onnx_order_i_o_f() -> None:
    p = np.arange(12, dtype=np.float32).reshape(1, 12)
    spec = onnx_io.from_onnx(_with_peepholes(p))
    for i, gate in enumerate((RNNGateType.INPUT, RNNGateType.OUTPUT, RNNGateType.FORGET)):
        np.testing.assert_array_equal(spec.peepholes[(0, gate)], p[0, 4 * i : 4 * i + 4])


def test_chains_that_are_not_stacked_layers_are_refused() -> None:
    with pytest.raises(SpecError, match=r"no RNN, GRU or LSTM node"):
        onnx_io.from_onnx(helper.make_model(helper.make_graph([], "empty", [], [])))
    spec = RNNSpec.random(0, op="LSTM", num_layers=2, direction="BIDIRECTION", batch_shape=(2,))
    model = onnx_io.to_onnx(spec)
    transpose = next(n for n in model.graph.node if n.op_type == "Transpose")
    transpose.attribute[0].ints[:] = [0, 1, 2, 3]
    with pytest.raises(SpecError, match=r"perm \[0, 1, 2, 3\] between layers; expected \[0, 2, 1, 3\]"):
        onnx_io.from_onnx(model)
    model = onnx_io.to_onnx(spec)
    second = [n for n in model.graph.node if n.op_type == "LSTM"][1]
    second.input[0] = "X"  # both layers read the graph input: two RNNs side by side, not a stack
    with pytest.raises(SpecError, match=r"its X does not come from the previous RNN node's Y"):
        onnx_io.from_onnx(model)
    model = onnx_io.to_onnx(spec)
    second = [n for n in model.graph.node if n.op_type == "LSTM"][1]
    second.attribute.append(helper.make_attribute("clip", 1.0))
    with pytest.raises(SpecError, match=r"got \('LSTM', 4, 'bidirectional', 0, 1.0, False, True\) after"):
        onnx_io.from_onnx(model)
    model = onnx_io.to_onnx(spec)
    first = next(n for n in model.graph.node if n.op_type == "LSTM")
    next(a for a in first.attribute if a.name == "hidden_size").i = 3  # layer 0 only
    with pytest.raises(SpecError, match=r"same op, hidden_size, direction, layout, clip"):
        onnx_io.from_onnx(model)


def test_weights_must_have_values() -> None:
    model = _model("GRU", linear_before_reset=1)
    model.graph.input.append(helper.make_tensor_value_info("W_0", onnx.TensorProto.FLOAT, [1, 12, 5]))
    kept = [i for i in model.graph.initializer if i.name != "W_0"]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    with pytest.raises(
        SpecError, match=r"input W \('W_0'\) must be an initializer, a Constant or given in `inputs`"
    ):
        onnx_io.from_onnx(model)


def test_onnx_feeds_checks_x() -> None:
    spec = RNNSpec.random(0, op="RELU")
    with pytest.raises(SpecError, match=r"x: shape \(2, 3\); expected \(2, 3, 5\)"):
        onnx_io.onnx_feeds(spec, np.zeros((2, 3), np.float32))


def test_unidirectional_stack_joined_by_squeeze_imports() -> None:
    """PyTorch joins unidirectional layers with Squeeze(axis 1) instead of Transpose + Reshape."""
    spec = RNNSpec.random(6, op="GRU", num_layers=2, batch_shape=(3,))
    model = onnx_io.to_onnx(spec)
    glue = [n for n in model.graph.node if n.op_type in ("Transpose", "Reshape")]
    for node in glue:
        model.graph.node.remove(node)
    axes = onnx.numpy_helper.from_array(np.array([1], np.int64), "squeeze_axes")
    model.graph.initializer.append(axes)
    after_first = [n.name for n in model.graph.node].index("gru_0") + 1
    model.graph.node.insert(after_first, helper.make_node("Squeeze", ["Y_0", "squeeze_axes"], ["X_1"]))
    onnx.checker.check_model(model)
    _assert_same_spec(onnx_io.from_onnx(model), spec)


# ---- the extensions (docs/semantics.md §2.1-2.4) against onnxruntime ------------------------------
EXTENDED = extended_specs(96)


def test_the_extended_specs_cover_every_extension() -> None:
    seen = set().union(*(s.features() for s in EXTENDED))
    assert set(EXTENDED_FEATURES) - seen == {Feature.PROJECTION}  # no ONNX form: PyTorch judges it
    names = {a.name for s in EXTENDED for acts in s.activations.values() for a in acts}
    assert names == set(ONNX_ACTIVATIONS)


def test_reference_extensions_agree_with_onnxruntime() -> None:
    worst, failures = 0.0, []
    for n, spec in enumerate(EXTENDED):
        x = spec.random_input(n)
        with np.errstate(over="ignore"):  # exp overflow saturates Elu/Softplus/Sigmoid exactly
            got = reference.forward(spec, x)
        want = onnx_io.onnxruntime_forward(spec, x)
        error = max(
            float(np.max(np.abs(a - b) / (1 + np.abs(b))))
            for a, b in zip(got, want, strict=True)
            if a is not None
        )
        worst = max(worst, error)
        if error > 1e-5:
            failures.append((n, sorted(f.value for f in spec.features()), error))
    print(f"\nextensions: {len(EXTENDED)} cases vs onnxruntime, max scaled error {worst:.3g}")
    assert not failures, failures


def test_clip_applies_to_gate_inputs_not_to_the_cell() -> None:
    """A 20-step LSTM whose cell grows past the clip: onnxruntime (and so the reference) leaves c
    unclipped before h; clipping c too (TensorRT's parser) would differ."""
    spec = RNNSpec.random(
        5, op="LSTM", hidden_size=3, max_seq_length=20, batch_shape=(3,), clip=0.7, scale=2.0
    )
    for index, gate in ((0, RNNGateType.INPUT), (0, RNNGateType.FORGET), (0, RNNGateType.CELL)):
        spec.biases[(index, gate, True)] = np.full(3, 3.0, np.float32)
    x = spec.random_input(0, scale=2.0)
    got, want = reference.forward(spec, x), onnx_io.onnxruntime_forward(spec, x)
    assert float(np.max(np.abs(got.cell))) > 0.7  # the cell really exceeds the threshold
    np.testing.assert_allclose(got.output, want.output, atol=1e-5)
    np.testing.assert_allclose(got.cell, want.cell, atol=1e-5)


@pytest.mark.parametrize("op", list(RNNOperation))
def test_zero_length_gives_zero_outputs_and_states(op: RNNOperation) -> None:
    spec = RNNSpec.random(
        9, op=op, direction="BIDIRECTION", num_layers=2, batch_shape=(3,), seq_lengths="zeros", states=True
    )
    x = spec.random_input(1)
    got, want = reference.forward(spec, x), onnx_io.onnxruntime_forward(spec, x)
    for a, b in zip(got, want, strict=True):
        if a is not None:
            assert not np.any(a[0]) and not np.any(b[0])  # item 0 has length 0: everything is 0
            np.testing.assert_allclose(a, b, atol=1e-5)

"""Every validation rule of `RNNSpec` raises its own error class with a message naming field and rule."""

from __future__ import annotations

import numpy as np
import pytest

from trtrnn.enums import RNNDirection, RNNGateType, RNNInputMode, RNNOperation
from trtrnn.errors import GateError, MissingWeightsError, ShapeError, SpecError
from trtrnn.spec import RNNSpec

G = RNNGateType


def _spec(op: str = "LSTM", **kw: object) -> RNNSpec:
    return RNNSpec.random(0, op=op, hidden_size=4, max_seq_length=3, batch_shape=(2,), **kw)


def test_a_valid_spec_validates_and_chains() -> None:
    spec = _spec()
    assert spec.validate() is spec


# ---- sizes and modes ------------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["num_layers", "hidden_size", "max_seq_length", "data_length"])
@pytest.mark.parametrize("value", [0, -1, 2.0, True])
def test_sizes_must_be_positive_integers(field: str, value: object) -> None:
    with pytest.raises(SpecError, match=rf"{field}: must be a positive integer; got {value!r}"):
        _spec().replace(**{field: value}).validate()


def test_batch_dims_must_be_positive() -> None:
    with pytest.raises(ShapeError, match=r"batch_shape: every leading dim must be >= 1; got \(2, 0\)"):
        _spec().replace(batch_shape=(2, 0)).validate()


@pytest.mark.parametrize(
    ("field", "value"), [("op", "SIGMOID"), ("direction", 7), ("input_mode", "NONE"), ("op", None)]
)
def test_enum_fields_reject_unknown_values(field: str, value: object) -> None:
    with pytest.raises(SpecError, match=rf"{field}: expected a RNN\w+ \(.*\); got {value!r}"):
        _spec().replace(**{field: value})


def test_enum_fields_accept_names_ints_and_foreign_members() -> None:
    class Foreign:  # a TensorRT enum member stand-in: same name, other type
        name = "BIDIRECTION"

    spec = _spec().replace(op="gru", direction=Foreign(), input_mode=1, data_length=4, weights={}, biases={})
    assert (spec.op, spec.direction, spec.input_mode) == (
        RNNOperation.GRU,
        RNNDirection.BIDIRECTION,
        RNNInputMode.SKIP,
    )


def test_skip_needs_data_length_equal_to_hidden_size() -> None:
    spec = _spec(input_mode="SKIP")
    with pytest.raises(SpecError, match=r"input_mode: SKIP .* data_length=5, hidden_size=4"):
        spec.replace(data_length=5).validate()


# ---- weights and biases ----------------------------------------------------------------------------
@pytest.mark.parametrize("what", ["weights", "biases"])
def test_missing_parameter_is_named_like_tensorrt(what: str) -> None:
    spec = _spec()
    del getattr(spec, what)[(0, G.FORGET, False)]
    with pytest.raises(
        MissingWeightsError, match=rf"Missing {what} \(layer, gate, is_w\): \(0, FORGET, 0\);"
    ):
        spec.validate()


def test_skip_still_requires_the_input_bias_as_the_seed_shows() -> None:
    """The seed: without biasX in SKIP mode TensorRT says `Missing weights/bias: (0, INPUT, 1)`."""
    spec = _spec("RELU", input_mode="SKIP")
    del spec.biases[(0, G.INPUT, True)]
    with pytest.raises(MissingWeightsError, match=r"\(0, INPUT, 1\)"):
        spec.validate()


def test_many_missing_keys_are_summarised() -> None:
    spec = _spec(num_layers=2).replace(weights={})
    with pytest.raises(
        MissingWeightsError, match=r"and 10 more; LSTM with 2 layer indices needs W, R, Wb and Rb"
    ):
        spec.validate()


@pytest.mark.parametrize(
    ("op", "gate"), [("GRU", G.FORGET), ("LSTM", G.UPDATE), ("RELU", G.HIDDEN), ("TANH", G.OUTPUT)]
)
@pytest.mark.parametrize("what", ["weights", "biases"])
def test_gate_must_belong_to_the_op(op: str, gate: RNNGateType, what: str) -> None:
    spec = _spec(op)
    getattr(spec, what)[(0, gate, False)] = np.zeros((4, 4) if what == "weights" else 4, np.float32)
    with pytest.raises(
        GateError, match=rf"{what}\(0, {gate.name}, 0\): gate {gate.name} does not belong to {op}"
    ):
        spec.validate()


@pytest.mark.parametrize("layer", [-1, 2])
def test_layer_index_must_be_in_range(layer: int) -> None:
    spec = _spec(direction="BIDIRECTION")
    spec.weights[(layer, G.INPUT, False)] = np.zeros((4, 4), np.float32)
    with pytest.raises(SpecError, match=rf"layer index must be in \[0, 2\) .*; got {layer}"):
        spec.validate()


@pytest.mark.parametrize(
    ("spec_kw", "key", "shape", "rule"),
    [
        (
            {},
            (0, G.INPUT, True),
            (4, 4),
            r"expected \(4, 5\) \(\(hidden_size, data_length\) for stack layer 0\)",
        ),
        ({}, (0, G.CELL, False), (4, 5), r"expected \(4, 4\) \(\(hidden_size, hidden_size\) for a recurrent"),
        (
            {"num_layers": 2, "direction": "BIDIRECTION"},
            (2, G.FORGET, True),
            (4, 4),
            r"expected \(4, 8\) \(\(hidden_size, 2\*hidden_size\) for stack layer 1",
        ),
    ],
)
def test_weight_shapes(spec_kw: dict, key: tuple, shape: tuple, rule: str) -> None:
    spec = _spec(**spec_kw)
    spec.weights[key] = np.zeros(shape, np.float32)
    with pytest.raises(
        ShapeError, match=rf"weights\({key[0]}, {key[1].name}, {int(key[2])}\): shape .*; {rule}"
    ):
        spec.validate()


def test_bias_shape() -> None:
    spec = _spec()
    spec.biases[(0, G.OUTPUT, True)] = np.zeros((4, 1), np.float32)
    with pytest.raises(
        ShapeError, match=r"biases\(0, OUTPUT, 1\): shape \(4, 1\); expected \(4,\) \(\(hidden_size,\)\)"
    ):
        spec.validate()


def test_skip_has_no_input_weights_for_stack_layer_zero() -> None:
    spec = _spec("TANH", input_mode="SKIP")
    spec.weights[(0, G.INPUT, True)] = np.zeros((4, 4), np.float32)
    with pytest.raises(SpecError, match=r"weights\(0, INPUT, 1\): SKIP input mode has no input weights"):
        spec.validate()


def test_skip_keeps_input_weights_above_stack_layer_zero() -> None:
    spec = _spec("TANH", input_mode="SKIP", num_layers=2)
    assert (1, G.INPUT, True) in spec.weights and (0, G.INPUT, True) not in spec.weights
    assert spec.weight_shape(0, True) is None and spec.weight_shape(1, True) == (4, 4)


def test_weights_must_be_floating_and_finite() -> None:
    spec = _spec()
    spec.weights[(0, G.INPUT, False)] = np.zeros((4, 4), np.int32)
    with pytest.raises(ShapeError, match=r"weights\(0, INPUT, 0\): dtype int32; expected floating point"):
        spec.validate()
    spec.weights[(0, G.INPUT, False)] = np.full((4, 4), np.nan, np.float32)
    with pytest.raises(SpecError, match=r"weights\(0, INPUT, 0\): must be finite"):
        spec.validate()


def test_weight_keys_must_be_triples() -> None:
    with pytest.raises(SpecError, match=r"weights: keys are \(layer_index, gate, is_w\) tuples; got 'W0'"):
        RNNSpec(op="RELU", hidden_size=2, max_seq_length=2, data_length=2, weights={"W0": np.zeros(2)})


# ---- seq_lengths and states ----------------------------------------------------------------------
@pytest.mark.parametrize("bad", [-1, 4])
def test_seq_lengths_must_be_in_zero_to_t(bad: int) -> None:
    with pytest.raises(
        SpecError,
        match=rf"seq_lengths: every length must be in \[0, max_seq_length=3\] .*; "
        rf"got min {min(2, bad)}, max {max(2, bad)}",
    ):
        _spec().replace(seq_lengths=np.array([2, bad], np.int32)).validate()


def test_seq_lengths_must_be_integers_of_the_batch_shape() -> None:
    with pytest.raises(ShapeError, match=r"seq_lengths: dtype float32; expected int32"):
        _spec().replace(seq_lengths=np.array([2, 3], np.float32)).validate()
    with pytest.raises(
        ShapeError, match=r"seq_lengths: shape \(3,\); expected \(2,\) \(the leading dims B...\)"
    ):
        _spec().replace(seq_lengths=np.array([2, 3, 1], np.int32)).validate()
    with pytest.raises(ShapeError, match=r"seq_lengths: shape \(2,\); expected \(\)"):
        _spec().replace(batch_shape=(), seq_lengths=np.array([2, 3], np.int32)).validate()


@pytest.mark.parametrize("field", ["hidden_state", "cell_state"])
def test_state_shape_and_dtype(field: str) -> None:
    spec = _spec(direction="BIDIRECTION")
    with pytest.raises(
        ShapeError, match=rf"{field}: shape \(2, 1, 4\); expected \(2, 2, 4\) = \(\*batch_shape"
    ):
        spec.replace(**{field: np.zeros((2, 1, 4), np.float32)}).validate()
    with pytest.raises(ShapeError, match=rf"{field}: dtype int64; expected floating point"):
        spec.replace(**{field: np.zeros((2, 2, 4), np.int64)}).validate()


@pytest.mark.parametrize("op", ["RELU", "TANH", "GRU"])
def test_cell_state_is_lstm_only(op: str) -> None:
    spec = _spec(op)
    with pytest.raises(SpecError, match=rf"cell_state: only LSTM has a cell state; op is {op}"):
        spec.replace(cell_state=np.zeros(spec.state_shape, np.float32)).validate()


# ---- derived facts --------------------------------------------------------------------------------
def test_derived_shapes_follow_the_contract() -> None:
    spec = RNNSpec.random(1, op="GRU", hidden_size=3, max_seq_length=5, data_length=2, num_layers=2,
                          direction="BIDIRECTION", batch_shape=(2, 3))  # fmt: skip
    assert spec.num_layer_indices == 4
    assert spec.input_shape == (2, 3, 5, 2)
    assert spec.output_shapes == ((2, 3, 5, 6), (2, 3, 4, 3))
    assert [spec.layer_input_size(i) for i in range(4)] == [2, 2, 6, 6]
    assert len(list(spec.weight_keys())) == 4 * 3 * 2 and len(list(spec.bias_keys())) == 4 * 3 * 2
    assert RNNSpec.random(1, op="LSTM").output_shapes[2] == (2, 1, 4)


# ---- random() --------------------------------------------------------------------------------------
def _arrays(spec: RNNSpec) -> list[np.ndarray]:
    extra = [a for a in (spec.seq_lengths, spec.hidden_state, spec.cell_state) if a is not None]
    return [*spec.weights.values(), *spec.biases.values(), *extra]


def test_random_is_seeded() -> None:
    kw = {"op": "LSTM", "seq_lengths": "ragged", "states": True, "batch_shape": (3, 2)}
    a, b, c = RNNSpec.random(7, **kw), RNNSpec.random(7, **kw), RNNSpec.random(8, **kw)
    assert all(np.array_equal(x, y) for x, y in zip(_arrays(a), _arrays(b), strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(_arrays(a), _arrays(c), strict=True))
    assert np.array_equal(a.random_input(3), b.random_input(3))
    assert a.random_input(3).shape == a.input_shape and a.random_input(3).dtype == np.float32


@pytest.mark.parametrize("op", list(RNNOperation))
@pytest.mark.parametrize("direction", list(RNNDirection))
@pytest.mark.parametrize("input_mode", list(RNNInputMode))
def test_random_specs_are_valid(op: RNNOperation, direction: RNNDirection, input_mode: RNNInputMode) -> None:
    spec = RNNSpec.random(3, op=op, direction=direction, input_mode=input_mode, num_layers=2,
                          batch_shape=(4,), seq_lengths="ragged", states=True)  # fmt: skip
    assert spec.validate() is spec
    assert set(spec.weights) == set(spec.weight_keys()) and set(spec.biases) == set(spec.bias_keys())
    assert spec.seq_lengths.dtype == np.int32 and {1, 3} <= set(spec.seq_lengths.tolist())
    assert (spec.cell_state is not None) == (op == RNNOperation.LSTM)
    assert max(float(np.max(np.abs(w))) for w in spec.weights.values()) <= 0.5  # scale 1/sqrt(4)


def test_random_lengths_kinds() -> None:
    assert RNNSpec.random(0, seq_lengths="none").seq_lengths is None
    assert RNNSpec.random(0, seq_lengths="full", max_seq_length=5).seq_lengths.tolist() == [5, 5]
    assert RNNSpec.random(0, seq_lengths="zeros", max_seq_length=5, batch_shape=(3,)).seq_lengths[0] == 0
    with pytest.raises(
        SpecError, match=r"seq_lengths: expected 'none', 'full', 'ragged' or 'zeros'; got 'some'"
    ):
        RNNSpec.random(0, seq_lengths="some")

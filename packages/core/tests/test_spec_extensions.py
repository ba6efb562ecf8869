"""RNNSpec's ONNX / PyTorch extensions (docs/semantics.md §2.1-2.4): defaults, derived shapes, and every
bad input refused with the field, the rule and the value."""

from __future__ import annotations

import numpy as np
import pytest

from trtrnn import reference
from trtrnn.activations import ONNX_ACTIVATIONS, Activation, default_activations
from trtrnn.enums import RNNGateType, RNNOperation
from trtrnn.errors import GateError, MissingWeightsError, ShapeError, SpecError
from trtrnn.spec import EXTENDED_FEATURES, Feature, RNNSpec

G = RNNGateType


def _lstm(**kw: object) -> RNNSpec:
    return RNNSpec.random(0, op="LSTM", hidden_size=4, **kw)  # type: ignore[arg-type]


def test_defaults_need_no_extended_feature() -> None:
    for op in RNNOperation:
        spec = RNNSpec.random(1, op=op, direction="BIDIRECTION", seq_lengths="ragged", states=True)
        assert not spec.features() & set(EXTENDED_FEATURES)
        assert spec.output_size == spec.hidden_size and spec.cell_shape == spec.state_shape


def test_explicit_default_activations_are_not_a_feature() -> None:
    spec = RNNSpec.random(0, op="GRU", activations={0: ("sigmoid", "TANH")})
    assert spec.activations[0] == default_activations(RNNOperation.GRU)
    assert Feature.ACTIVATIONS not in spec.features()


@pytest.mark.parametrize(
    ("kw", "feature"),
    [
        ({"op": "GRU", "linear_before_reset": False}, Feature.GRU_LBR0),
        ({"op": "LSTM", "peepholes": True}, Feature.PEEPHOLES),
        ({"op": "LSTM", "input_forget": True}, Feature.INPUT_FORGET),
        ({"op": "TANH", "clip": 1.5}, Feature.CLIP),
        ({"op": "TANH", "activations": {0: ("Softsign",)}}, Feature.ACTIVATIONS),
        ({"op": "RELU", "reverse": True}, Feature.REVERSE),
        ({"op": "GRU", "seq_lengths": "zeros"}, Feature.ZERO_LENGTHS),
        ({"op": "LSTM", "proj_size": 2}, Feature.PROJECTION),
    ],
)
def test_each_extension_is_a_feature(kw: dict, feature: Feature) -> None:
    spec = RNNSpec.random(3, hidden_size=4, batch_shape=(3,), **kw)
    assert spec.features() & set(EXTENDED_FEATURES) == {feature}


def test_projection_shapes() -> None:
    spec = RNNSpec.random(
        0, op="LSTM", hidden_size=5, proj_size=2, num_layers=2, direction="BIDIRECTION", states=True
    )
    assert spec.output_size == 2
    assert spec.weight_shape(0, False) == (5, 2) and spec.weight_shape(2, True) == (5, 4)
    assert spec.output_shapes == ((2, 3, 4), (2, 4, 2), (2, 4, 5))
    assert spec.hidden_state.shape == (2, 4, 2) and spec.cell_state.shape == (2, 4, 5)
    got = reference.forward(spec, spec.random_input(0))
    assert [a.shape for a in got] == list(spec.output_shapes)


def test_activation_parameters_resolve_to_onnx_defaults() -> None:
    assert Activation.of("leakyrelu") == Activation("LeakyRelu", pytest.approx(0.01))  # float32, as ONNX
    assert Activation.of(("HardSigmoid", 0.3)) == Activation("HardSigmoid", pytest.approx(0.3), 0.5)
    assert Activation.of("ScaledTanh") == Activation("ScaledTanh", 1.0, 1.0)
    assert str(Activation.of(("Affine", 2.0, -1.0))) == "Affine(alpha=2, beta=-1)"
    assert len(ONNX_ACTIVATIONS) == 11


@pytest.mark.parametrize(
    ("name", "alpha", "beta", "x", "want"),
    [  # each formula of ONNX's operator text at a point where it matters
        ("Relu", None, None, -2.0, 0.0),
        ("Tanh", None, None, 0.5, np.tanh(0.5)),
        ("Sigmoid", None, None, 0.0, 0.5),
        ("Affine", 2.0, -1.0, 3.0, 5.0),
        ("LeakyRelu", 0.5, None, -2.0, -1.0),
        ("ThresholdedRelu", 1.0, None, 0.5, 0.0),
        ("ThresholdedRelu", 1.0, None, 1.5, 1.5),
        ("ScaledTanh", 2.0, 0.5, 1.0, 2.0 * np.tanh(0.5)),
        ("HardSigmoid", 0.2, 0.5, 10.0, 1.0),
        ("HardSigmoid", 0.2, 0.5, 1.0, 0.7),
        ("Elu", 2.0, None, -1.0, 2.0 * (np.exp(-1.0) - 1.0)),
        ("Softsign", None, None, -3.0, -0.75),
        ("Softplus", None, None, 0.0, np.log(2.0)),
    ],
)
def test_activation_formulas(
    name: str, alpha: float | None, beta: float | None, x: float, want: float
) -> None:
    got = Activation.of((name, alpha, beta))(np.array([x]))
    np.testing.assert_allclose(got, [want], rtol=1e-6)


# ---- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kw", "error", "message"),
    [
        ({"activations": {0: ("Sigmoid", "Gelu", "Tanh")}}, SpecError,
         r"activations\[0\]\[1\]: 'Gelu' is not one of ONNX's RNN activation functions \(Relu, Tanh"),
        ({"activations": {0: ("Sigmoid", "Tanh")}}, SpecError,
         r"activations\[0\]: LSTM takes 3 function\(s\) per layer index \(f, g, h\); got 2"),
        ({"activations": {0: (("Sigmoid", 0.5), "Tanh", "Tanh")}}, SpecError,
         r"activations\[0\]\[0\]: Sigmoid takes no alpha; got alpha=0.5"),
        ({"activations": {0: (("Tanh", None, 1.0), "Tanh", "Tanh")}}, SpecError,
         r"activations\[0\]\[0\]: Tanh takes no beta; got beta=1.0"),
        ({"activations": {0: (("LeakyRelu", float("nan")), "Tanh", "Tanh")}}, SpecError,
         r"activations\[0\]\[0\]: LeakyRelu's alpha must be finite; got nan"),
        ({"activations": {0: (("Elu", "big"), "Tanh", "Tanh")}}, SpecError,
         r"activations\[0\]\[0\]: Elu's alpha must be a number; got 'big'"),
        ({"activations": {0: "Tanh"}}, SpecError, r"activations\[0\]: expected a sequence of functions"),
        ({"activations": {1: ("Sigmoid", "Tanh", "Tanh")}}, SpecError,
         r"activations\[1\]: layer index must be in \[0, 1\) .*; got 1"),
        ({"clip": 0.0}, SpecError, r"clip: the threshold must be positive and finite; got 0.0"),
        ({"clip": float("inf")}, SpecError, r"clip: the threshold must be positive and finite; got inf"),
        ({"clip": "1"}, SpecError, r"clip: must be a positive number or None; got '1'"),
        ({"proj_size": 4}, SpecError, r"proj_size: must be smaller than hidden_size=4 .*; got 4"),
        ({"proj_size": -1}, SpecError, r"proj_size: must be a non-negative integer .*; got -1"),
        ({"reverse": True, "direction": "BIDIRECTION"}, SpecError,
         r"reverse: runs the single direction of a UNIDIRECTION spec backward; direction is BIDIRECTION"),
        ({"linear_before_reset": False}, SpecError, r"linear_before_reset: False is a GRU variant; op is"),
    ],
)  # fmt: skip
def test_bad_extensions_are_refused(kw: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        _lstm(**kw)


@pytest.mark.parametrize(
    ("op", "kw", "message"),
    [
        ("GRU", {"input_forget": True}, r"input_forget: couples LSTM's input and forget gates; op is GRU"),
        ("GRU", {"proj_size": 2}, r"proj_size: only LSTM has a projection \(PyTorch's LSTMP\); op is GRU"),
        (
            "TANH",
            {"peepholes": {(0, "INPUT"): np.zeros(4, np.float32)}},
            r"peepholes: only LSTM has peepholes",
        ),
    ],
)
def test_extensions_belong_to_their_op(op: str, kw: dict, message: str) -> None:
    spec = RNNSpec.random(0, op=op, hidden_size=4)
    with pytest.raises(SpecError, match=message):
        spec.replace(**kw).validate()


def test_peepholes_of_the_wrong_shape_gate_or_count() -> None:
    spec = _lstm(peepholes=True)
    bad = dict(spec.peepholes)
    bad[(0, G.OUTPUT)] = np.zeros(3, np.float32)
    with pytest.raises(ShapeError, match=r"peepholes\[\(0, OUTPUT\)\]: shape \(3,\); expected \(4,\)"):
        spec.replace(peepholes=bad).validate()
    with pytest.raises(GateError, match=r"peepholes\[\(0, CELL\)\]: LSTM peepholes exist for gates INPUT, "):
        spec.replace(peepholes={**spec.peepholes, (0, G.CELL): np.zeros(4, np.float32)}).validate()
    partial = {k: v for k, v in spec.peepholes.items() if k[1] != G.FORGET}
    with pytest.raises(
        MissingWeightsError, match=r"Missing peepholes \(layer, gate\): \(0, FORGET\); .*all or none"
    ):
        spec.replace(peepholes=partial).validate()
    nan = {**spec.peepholes, (0, G.INPUT): np.full(4, np.nan, np.float32)}
    with pytest.raises(SpecError, match=r"peepholes\[\(0, INPUT\)\]: must be finite"):
        spec.replace(peepholes=nan).validate()
    with pytest.raises(SpecError, match=r"peepholes: keys are \(layer_index, gate\) pairs; got 'P'"):
        spec.replace(peepholes={"P": np.zeros(4)})


def test_projection_weights_shape_and_presence() -> None:
    spec = _lstm(proj_size=2, states=True)
    with pytest.raises(
        ShapeError, match=r"projections\[0\]: shape \(4, 2\); expected \(2, 4\) \(\(proj_size, hidden_size\)"
    ):
        spec.replace(projections={0: np.zeros((4, 2), np.float32)}).validate()
    with pytest.raises(
        MissingWeightsError, match=r"Missing projections for layer indices \[0\]; proj_size=2"
    ):
        spec.replace(projections={}).validate()
    with pytest.raises(SpecError, match=r"projections: given for layer indices \[0\] but proj_size is 0"):
        spec.replace(proj_size=0).validate()
    wide = np.zeros((2, 1, 4), np.float32)  # the hidden state is P wide with a projection
    with pytest.raises(
        ShapeError, match=r"hidden_state: shape \(2, 1, 4\); expected \(2, 1, 2\) .*proj_size=2"
    ):
        spec.replace(hidden_state=wide).validate()
    with pytest.raises(
        ShapeError,
        match=r"weights\(0, INPUT, 0\): shape \(4, 4\); expected \(4, 2\) \(\(hidden_size, proj_size\)",
    ):
        spec.replace(weights={**spec.weights, (0, G.INPUT, False): np.zeros((4, 4), np.float32)}).validate()

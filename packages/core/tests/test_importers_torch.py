"""from_torch against PyTorch's own outputs (fixture made by tests/fixtures/make_torch_fixture.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from trtrnn.enums import RNNDirection, RNNGateType, RNNOperation
from trtrnn.errors import ShapeError, SpecError
from trtrnn.importers import from_torch, from_torch_layout, to_torch_layout
from trtrnn.spec import RNNSpec

FIXTURE = Path(__file__).parent / "fixtures" / "torch_rnn.npz"


def _cases() -> dict[str, dict[str, np.ndarray]]:
    cases: dict[str, dict[str, np.ndarray]] = {}
    with np.load(FIXTURE, allow_pickle=False) as data:
        for key in data.files:
            if "/" in key:
                name, rest = key.split("/", 1)
                cases.setdefault(name, {})[rest] = data[key]
    return cases


CASES = _cases()


def _state_dict(case: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k[3:]: v for k, v in case.items() if k.startswith("sd/")}


def _config(case: dict[str, np.ndarray]) -> dict:
    return json.loads(str(case["config"]))


def test_fixture_covers_every_supported_kind() -> None:
    modes = {_config(c)["mode"] for c in CASES.values()}
    assert modes == {"RNN_TANH", "RNN_RELU", "LSTM", "GRU"}
    assert any(_config(c)["num_layers"] > 1 and _config(c)["bidirectional"] for c in CASES.values())


def _imported(name: str) -> tuple:
    """(spec with PyTorch's h0/c0, x in trtrnn's layout, batch_first) for a fixture case."""
    case, config = CASES[name], _config(CASES[name])
    batch_first = config["batch_first"]
    x, h0, c0 = from_torch_layout(case["x"], case["h0"], case.get("c0"), batch_first=batch_first)
    spec = from_torch(
        _state_dict(case),
        max_seq_length=x.shape[1],
        batch_shape=(x.shape[0],),
        nonlinearity=config["nonlinearity"],
        batch_first=batch_first,
    )
    return spec.replace(hidden_state=h0, cell_state=c0), x, batch_first


def _assert_matches_pytorch(name: str, got: dict[str, np.ndarray]) -> None:
    case = CASES[name]
    names = ["output", "h_n"] + (["c_n"] if "c_n" in case else [])
    assert sorted(got) == sorted(names)
    for key in names:
        np.testing.assert_allclose(got[key], case[key], rtol=1e-5, atol=2e-6, err_msg=f"{name}: {key}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_reference_of_imported_state_dict_matches_pytorch(name: str) -> None:
    reference = pytest.importorskip("trtrnn.reference")
    spec, x, batch_first = _imported(name)
    _assert_matches_pytorch(
        name, to_torch_layout(reference.forward(spec, x).as_dict(), batch_first=batch_first)
    )


def test_projection_is_read_from_weight_hr() -> None:
    case = CASES["lstmp_2layer_bidirectional"]
    spec = from_torch(_state_dict(case), max_seq_length=5)
    assert (spec.proj_size, spec.hidden_size, spec.num_layers, spec.num_directions) == (3, 4, 2, 2)
    np.testing.assert_array_equal(spec.projections[3], _state_dict(case)["weight_hr_l1_reverse"])
    assert spec.weight_shape(2, True) == (4, 6)  # stack layer 1 consumes 2 * proj_size


def test_projection_refusals_name_the_field() -> None:
    sd = _state_dict(CASES["lstmp"])
    with pytest.raises(SpecError, match=r"proj_size: module attribute says 3 but the weights say 2"):
        from_torch(_FakeModule(sd, proj_size=3), max_seq_length=5)
    with pytest.raises(ShapeError, match=r"weight_hr_l0: shape \(2, 4\); expected \(2, 5\)"):
        from_torch({**sd, "weight_hr_l0": sd["weight_hr_l0"][:, :4]}, max_seq_length=5)
    two = _state_dict(CASES["lstmp_2layer_bidirectional"])
    with pytest.raises(SpecError, match=r"from_torch: weight_hr_l1_reverse is missing"):
        from_torch({k: v for k, v in two.items() if k != "weight_hr_l1_reverse"}, max_seq_length=5)
    gru = _state_dict(CASES["gru"])
    with pytest.raises(SpecError, match=r"weight_hr_l0 \(2, 5\) \(a projection\) belongs to an LSTM whose "):
        from_torch({**gru, "weight_hr_l0": np.zeros((2, 5), np.float32)}, max_seq_length=5)


def test_configuration_read_off_the_weights() -> None:
    case = CASES["lstm_2layer_bidirectional_batch_first"]
    spec = from_torch(_state_dict(case), max_seq_length=5)
    assert (spec.op, spec.hidden_size, spec.num_layers, spec.direction, spec.data_length) == (
        RNNOperation.LSTM,
        3,
        2,
        RNNDirection.BIDIRECTION,
        4,
    )
    assert spec.weight_shape(2, True) == (3, 6)


def test_gate_order_is_mapped_from_pytorch_chunks() -> None:
    """PyTorch stacks LSTM chunks i, f, g, o and GRU r, z, n."""
    sd = _state_dict(CASES["lstm"])
    spec = from_torch(sd, max_seq_length=5)
    h = spec.hidden_size
    for i, gate in enumerate((RNNGateType.INPUT, RNNGateType.FORGET, RNNGateType.CELL, RNNGateType.OUTPUT)):
        np.testing.assert_array_equal(spec.weights[(0, gate, True)], sd["weight_ih_l0"][i * h : (i + 1) * h])
        np.testing.assert_array_equal(spec.biases[(0, gate, False)], sd["bias_hh_l0"][i * h : (i + 1) * h])
    sd = _state_dict(CASES["gru"])
    spec = from_torch(sd, max_seq_length=5)
    for i, gate in enumerate((RNNGateType.RESET, RNNGateType.UPDATE, RNNGateType.HIDDEN)):
        np.testing.assert_array_equal(spec.weights[(0, gate, False)], sd["weight_hh_l0"][i * h : (i + 1) * h])


def test_bias_false_imports_zero_biases() -> None:
    spec = from_torch(
        _state_dict(CASES["rnn_relu_2layer_bidirectional_nobias"]), max_seq_length=5, mode="RNN_RELU"
    )
    assert spec.op == RNNOperation.RELU
    assert all(not b.any() for b in spec.biases.values())


class _FakeModule:
    """Duck-typed nn.LSTM: what from_torch reads from a module."""

    def __init__(self, sd: dict[str, np.ndarray], **attrs: object) -> None:
        self._sd = sd
        self.mode, self.hidden_size, self.num_layers = "LSTM", 5, 1
        self.bidirectional, self.batch_first, self.proj_size, self.bias = False, False, 0, True
        self.__dict__.update(attrs)

    def state_dict(self) -> dict[str, np.ndarray]:
        return self._sd


def test_module_is_duck_typed() -> None:
    sd = _state_dict(CASES["lstm"])
    assert from_torch(_FakeModule(sd), max_seq_length=5).op == RNNOperation.LSTM


@pytest.mark.parametrize(
    ("attrs", "kwargs", "message"),
    [
        ({"proj_size": 2}, {}, "proj_size"),
        ({"batch_first": True}, {"batch_first": False}, "batch_first"),
        ({"hidden_size": 7}, {}, "hidden_size: module attribute says 7 but the weights say 5"),
        ({}, {"num_layers": 2}, "num_layers: argument says 2"),
        ({}, {"mode": "GRU"}, "mode GRU has 3"),
    ],
)
def test_refusals_name_the_field(attrs: dict, kwargs: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        from_torch(_FakeModule(_state_dict(CASES["lstm"]), **attrs), max_seq_length=5, **kwargs)


def test_bad_state_dicts() -> None:
    sd = _state_dict(CASES["lstm"])
    with pytest.raises(SpecError, match="weight_hr_l"):
        from_torch({**sd, "weight_hr_l0": np.zeros((5, 3), np.float32)}, max_seq_length=5)
    with pytest.raises(SpecError, match="bias_hh_l0 is missing"):
        from_torch({k: v for k, v in sd.items() if k != "bias_hh_l0"}, max_seq_length=5)
    with pytest.raises(SpecError, match="not a PyTorch RNN parameter"):
        from_torch({**sd, "fc.weight": np.zeros(3, np.float32)}, max_seq_length=5)
    with pytest.raises(ShapeError, match=r"weight_hh_l0: 5 gate blocks"):
        from_torch({**sd, "weight_hh_l0": sd["weight_hh_l0"][:, :4]}, max_seq_length=5)
    with pytest.raises(SpecError, match=r"expected an nn\.RNN"):
        from_torch([1, 2], max_seq_length=5)
    with pytest.raises(SpecError, match="nonlinearity"):
        from_torch(_state_dict(CASES["rnn_tanh"]), max_seq_length=5, nonlinearity="gelu")


def test_layout_helpers_transpose_to_and_from_pytorch() -> None:
    x = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)  # [T, B, E]
    h = np.arange(1 * 3 * 5, dtype=np.float32).reshape(1, 3, 5)  # [L', B, H]
    ours, h_ours, c_ours = from_torch_layout(x, h)
    assert ours.shape == (3, 2, 4) and ours[1, 0, 2] == x[0, 1, 2]
    assert h_ours.shape == (3, 1, 5) and c_ours is None
    back = to_torch_layout({"output": ours, "hidden": h_ours})
    np.testing.assert_array_equal(back["output"], x)
    np.testing.assert_array_equal(back["h_n"], h)


@pytest.mark.parametrize("name", sorted(CASES))
def test_rnn_loop_network_of_imported_state_dict_matches_pytorch(name: str) -> None:
    """End to end: PyTorch weights → spec → rnn-loop's TensorRT network → CPU evaluator = PyTorch."""
    loop = pytest.importorskip("trtrnn_loop", reason="the rnn-loop backend package is not installed")
    from trtrnn import evaluate
    from trtrnn.network import build_spec_network

    spec, x, batch_first = _imported(name)
    built = build_spec_network(loop.add_rnn, spec, x)
    _assert_matches_pytorch(
        name, to_torch_layout(evaluate(built.network, built.feeds), batch_first=batch_first)
    )


def test_from_onnx_is_the_onnx_io_importer(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    from trtrnn.importers import from_onnx
    from trtrnn.onnx_io import to_onnx

    spec = RNNSpec.random(1, op="GRU", hidden_size=4, direction="BIDIRECTION")
    onnx.save(to_onnx(spec), tmp_path / "gru.onnx")
    got = from_onnx(str(tmp_path / "gru.onnx"))
    assert (got.op, got.direction, got.hidden_size) == (spec.op, spec.direction, spec.hidden_size)
    for key, value in spec.weights.items():
        np.testing.assert_array_equal(got.weights[key], value)

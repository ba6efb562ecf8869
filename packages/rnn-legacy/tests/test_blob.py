"""The legacy blobs: the documented order (SEMANTICS §6) spelled out by hand, sizes, errors, round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trtrnn.enums import RNNGateType as G
from trtrnn.errors import ShapeError
from trtrnn.spec import RNNSpec
from trtrnn_legacy import blob


def config(**kw) -> RNNSpec:
    """A spec without weights (what the blobs are cut against)."""
    base = dict(op="RELU", hidden_size=2, max_seq_length=3, data_length=3, batch_shape=(1,))
    return RNNSpec(**{**base, **kw})


def numbered(spec: RNNSpec) -> RNNSpec:
    """Every W, R, Wb, Rb filled with a distinct tag value so positions in a blob identify their key."""
    gate_no = {g: i for i, g in enumerate(G)}
    for params, keys in ((spec.weights, spec.weight_keys()), (spec.biases, spec.bias_keys())):
        for layer, gate, is_w in keys:
            shape = spec.weight_shape(layer, is_w) if params is spec.weights else (spec.hidden_size,)
            tag = 1000 * layer + 100 * gate_no[gate] + 10 * int(is_w) + (params is spec.biases)
            params[(layer, gate, is_w)] = np.full(shape, tag, np.float32)
    return spec.validate()


def tags(array: np.ndarray, size: int) -> list[int]:
    """The tag of each consecutive run of `size` values (checking each run is one tag)."""
    runs = array.reshape(-1, size)
    assert (runs == runs[:, :1]).all()
    return [int(v) for v in runs[:, 0]]


def tag(layer: int, gate: G, is_w: bool, bias: bool = False) -> int:
    return 1000 * layer + 100 * list(G).index(gate) + 10 * int(is_w) + int(bias)


def test_lstm_order_is_f_i_c_o_all_w_then_all_r():
    # H = E = 1: every matrix is one value, so the blob reads as the walk itself.
    spec = numbered(config(op="LSTM", hidden_size=1, data_length=1))
    weights, bias = blob.to_blobs(spec)
    gates = [G.FORGET, G.INPUT, G.CELL, G.OUTPUT]
    assert tags(weights, 1) == [tag(0, g, True) for g in gates] + [tag(0, g, False) for g in gates]
    assert tags(bias, 1) == [tag(0, g, True, True) for g in gates] + [tag(0, g, False, True) for g in gates]


def test_bidirectional_stacked_gru_walks_layer_indices_in_order_and_skip_keeps_wb():
    # GRU z, r, h; L=2 bi -> layer indices 0 (l0 fwd), 1 (l0 bwd), 2 (l1 fwd), 3 (l1 bwd); SKIP: no W
    # on stack layer 0 (indices 0, 1), but every Wb stays in the bias blob.
    h = 2
    spec = numbered(
        config(
            op="GRU", hidden_size=h, data_length=h, num_layers=2, direction="BIDIRECTION", input_mode="SKIP"
        )
    )
    weights, bias = blob.to_blobs(spec)
    gates = [G.UPDATE, G.RESET, G.HIDDEN]
    expected_w = []
    for layer in range(4):
        if layer >= 2:  # [H, 2H] input matrices: 2H*H values each, in runs of H
            expected_w += [tag(layer, g, True) for g in gates for _ in range(2 * h)]
        expected_w += [tag(layer, g, False) for g in gates for _ in range(h)]
    assert tags(weights, h) == expected_w
    expected_b = [tag(layer, g, w, True) for layer in range(4) for w in (True, False) for g in gates]
    assert tags(bias, h) == expected_b
    assert bias.size == 4 * 2 * 3 * h  # L' * 2 * gates * H (§6)


def test_matrices_are_row_major_h_by_in():
    spec = numbered(config(op="TANH", hidden_size=2, data_length=3))
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    spec.weights[(0, G.INPUT, True)] = w
    weights, _ = blob.to_blobs(spec)
    np.testing.assert_array_equal(weights[:6], [0, 1, 2, 3, 4, 5])


def test_the_seeds_blobs_have_the_seeds_sizes():
    # The seed: weight ones (lenH, wIn + lenH) = (5, 12), bias zeros (2 * lenH,).
    spec = config(hidden_size=5, data_length=7, max_seq_length=4)
    assert blob.blob_size(spec, blob.WEIGHTS) == 5 * 12
    assert blob.blob_size(spec, blob.BIAS) == 10
    cut = blob.from_blobs(spec, np.ones((5, 12), np.float32), np.zeros(10, np.float32)).validate()
    assert cut.weights[(0, G.INPUT, True)].shape == (5, 7)
    assert cut.weights[(0, G.INPUT, False)].shape == (5, 5)


@pytest.mark.parametrize(
    "kw, weights, biases",
    [
        # sum over layer indices of gates * H * (in + H); bias L' * 2 * gates * H
        (dict(op="LSTM", hidden_size=3, data_length=4), 4 * 3 * (4 + 3), 2 * 4 * 3),
        (dict(op="GRU", hidden_size=3, data_length=4, num_layers=2, direction="BIDIRECTION"),
         2 * 3 * 3 * (4 + 3) + 2 * 3 * 3 * (6 + 3), 4 * 2 * 3 * 3),
        (dict(op="RELU", hidden_size=3, data_length=3, num_layers=3, input_mode="SKIP"),
         1 * 3 * 3 + 2 * 3 * (3 + 3), 3 * 2 * 3),
    ],
)  # fmt: skip
def test_blob_sizes_follow_the_formula(kw, weights, biases):
    spec = config(**kw)
    assert (blob.blob_size(spec, blob.WEIGHTS), blob.blob_size(spec, blob.BIAS)) == (weights, biases)


def test_wrong_sizes_name_expected_actual_and_the_layout():
    spec = config(op="LSTM", hidden_size=2, data_length=3)
    with pytest.raises(ShapeError) as info:
        blob.from_blobs(spec, np.zeros(39, np.float32), np.zeros(16, np.float32))
    message = str(info.value)
    assert "weights: 39 elements; expected 40" in message
    assert "all W then all R, gates f,i,c,o" in message
    assert "W f,i,c,o 4 x (2, 3) + R f,i,c,o 4 x (2, 2)" in message
    layout = r"bias: 15 elements; expected 16\. Layout: bias blob .* all Wb then all Rb"
    with pytest.raises(ShapeError, match=layout):
        blob.from_blobs(spec, np.zeros(40, np.float32), np.zeros(15, np.float32))


def test_skip_layout_says_there_is_no_w():
    spec = config(op="GRU", hidden_size=2, data_length=2, input_mode="SKIP")
    assert "[0] no W (SKIP) + R z,r,h 3 x (2, 2) = 12" in blob.describe_layout(spec, blob.WEIGHTS)


def test_integer_blobs_are_refused():
    with pytest.raises(ShapeError, match="weights: dtype int64; expected a floating point blob"):
        blob.as_blob(np.ones(4, np.int64), blob.WEIGHTS)


configs = st.fixed_dictionaries(
    {
        "op": st.sampled_from(["RELU", "TANH", "LSTM", "GRU"]),
        "num_layers": st.integers(1, 3),
        "direction": st.sampled_from(["UNIDIRECTION", "BIDIRECTION"]),
        "input_mode": st.sampled_from(["LINEAR", "SKIP"]),
        "hidden_size": st.integers(1, 5),
        "data_length": st.integers(1, 5),
    }
)


@settings(max_examples=60, deadline=None)
@given(configs, st.integers(0, 2**32 - 1))
def test_per_gate_to_blobs_and_back_is_identity(kw, seed):
    if kw["input_mode"] == "SKIP":
        kw["data_length"] = kw["hidden_size"]
    spec = RNNSpec.random(seed, max_seq_length=2, **kw)
    weights, bias = blob.to_blobs(spec)
    back = blob.from_blobs(spec.replace(weights={}, biases={}), weights, bias).validate()
    assert back.weights.keys() == spec.weights.keys() and back.biases.keys() == spec.biases.keys()
    for key in spec.weights:
        np.testing.assert_array_equal(back.weights[key], spec.weights[key])
    for key in spec.biases:
        np.testing.assert_array_equal(back.biases[key], spec.biases[key])


@settings(max_examples=60, deadline=None)
@given(configs, st.integers(0, 2**32 - 1))
def test_blobs_to_per_gate_and_back_is_identity(kw, seed):
    if kw["input_mode"] == "SKIP":
        kw["data_length"] = kw["hidden_size"]
    spec = config(**{**kw, "max_seq_length": 2})
    rng = np.random.default_rng(seed)
    weights = rng.standard_normal(blob.blob_size(spec, blob.WEIGHTS)).astype(np.float32)
    bias = rng.standard_normal(blob.blob_size(spec, blob.BIAS)).astype(np.float32)
    w2, b2 = blob.to_blobs(blob.from_blobs(spec, weights, bias))
    np.testing.assert_array_equal(w2, weights)
    np.testing.assert_array_equal(b2, bias)

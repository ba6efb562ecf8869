"""add_rnn refuses tensors that break the add_rnn_v2 contract, and registers as the rnn-loop backend."""

from __future__ import annotations

import pytest

import trtrnn_loop
from trtrnn import registry, trt
from trtrnn.backend import RNNInputs
from trtrnn.errors import ShapeError, SpecError
from trtrnn.network import add_spec_inputs
from trtrnn.spec import RNNSpec
from trtrnn_loop import add_rnn, plugin

needs_trt = pytest.mark.skipif(not trt.available(), reason="no TensorRT installed")


def _fresh(spec, **kw):
    _, network = trt.create_network()
    inputs, _, _ = add_spec_inputs(network, spec, **kw)
    return network, inputs


@needs_trt
def test_input_rank_must_match_the_leading_dims():
    spec = RNNSpec.random(0, op="TANH", batch_shape=(2,))
    network, inputs = _fresh(spec)
    wrong = spec.replace(batch_shape=(2, 1), seq_lengths=None)
    with pytest.raises(ShapeError, match=r"input: rank 3 .*expected 4"):
        add_rnn(network, wrong, inputs)


@needs_trt
def test_input_tail_must_be_t_by_e():
    spec = RNNSpec.random(0, op="TANH", batch_shape=(2,), max_seq_length=3)
    network, inputs = _fresh(spec)
    with pytest.raises(ShapeError, match=r"trailing dims \(3, 5\); expected \(T, E\) = \(4, 5\)"):
        add_rnn(network, spec.replace(max_seq_length=4), inputs)


@needs_trt
def test_cell_state_tensor_for_a_gru_is_refused():
    lstm = RNNSpec.random(0, op="LSTM", batch_shape=(2,), states=True)
    network, inputs = _fresh(lstm)
    gru = RNNSpec.random(0, op="GRU", batch_shape=(2,))
    with pytest.raises(SpecError, match="cell_state: only LSTM"):
        add_rnn(network, gru, RNNInputs(inputs.input, cell_state=inputs.cell_state))


@needs_trt
def test_state_tensor_shape_is_checked():
    big = RNNSpec.random(0, op="TANH", batch_shape=(2,), states=True, num_layers=2)
    network, inputs = _fresh(big)
    small = RNNSpec.random(0, op="TANH", batch_shape=(2,))
    with pytest.raises(ShapeError, match=r"hidden_state: shape \(2, 2, 4\); expected \(2, 1, 4\)"):
        add_rnn(network, small, RNNInputs(inputs.input, hidden_state=inputs.hidden_state))


@needs_trt
@pytest.mark.parametrize(
    ("field", "shape", "dtype", "message"),
    [
        ("input", (2, 3, 5), "int32", r"input: dtype DataType.INT32; expected float32 or float16"),
        ("seq_lengths", (2,), "float32", r"seq_lengths: dtype DataType.FLOAT; expected DataType.INT32"),
        (
            "seq_lengths",
            (3,),
            "int32",
            r"seq_lengths: shape \(3,\); expected \(2,\) = \(\*the input's leading",
        ),
        ("hidden_state", (3, 1, 4), "float32", r"hidden_state: shape \(3, 1, 4\); expected \(2, 1, 4\)"),
        ("hidden_state", (2, 1, 4), "float16", r"hidden_state: dtype DataType.HALF; expected DataType.FLOAT"),
        ("cell_state", (2, 1, 4), "float16", r"cell_state: dtype DataType.HALF; expected DataType.FLOAT"),
    ],
)
def test_tensors_must_match_the_input_in_leading_dims_and_type(field, shape, dtype, message):
    """IRNNv2Layer's rules: int32 lengths `[B...]`, states `[B..., L', H]` in the input's type; no casts."""
    t = trt.load()
    spec = RNNSpec.random(0, op="LSTM", hidden_size=4, max_seq_length=3, batch_shape=(2,))
    _, network = trt.create_network()
    given = {"input": ((2, 3, 5), "float32"), field: (shape, dtype)}
    tensors = {name: network.add_input(name, getattr(t, kind), dims) for name, (dims, kind) in given.items()}
    with pytest.raises(ShapeError, match=message):
        add_rnn(network, spec, RNNInputs(**tensors))


@needs_trt
def test_dynamic_leading_dims_match_any_size():
    t = trt.load()
    spec = RNNSpec.random(0, op="GRU", hidden_size=4, max_seq_length=3, batch_shape=(2,))
    _, network = trt.create_network()
    x = network.add_input("input", t.float32, (-1, 3, 5))
    lengths = network.add_input("seq_lengths", t.int32, (-1,))
    h0 = network.add_input("hidden_state", t.float32, (-1, 1, 4))
    out = add_rnn(network, spec, RNNInputs(x, seq_lengths=lengths, hidden_state=h0))
    assert tuple(out.output.shape) == (-1, 3, 4)


@needs_trt
def test_an_explicit_name_used_twice_is_refused():
    spec = RNNSpec.random(0, op="TANH", batch_shape=(2,))
    network, inputs = _fresh(spec)
    add_rnn(network, spec, inputs, name="enc")
    with pytest.raises(SpecError, match="name: layer names must be unique"):
        add_rnn(network, spec, inputs, name="enc")


def test_registered_backend_builds_with_add_rnn():
    backend = registry.get("rnn-loop")
    assert backend is plugin.BACKEND
    assert backend.build is trtrnn_loop.add_rnn
    assert dict(backend.unsupported) == {}  # TensorRT's contract and every extension


@needs_trt
def test_available_where_tensorrt_imports():
    assert plugin.BACKEND.availability() == (True, "")


def test_unavailable_without_tensorrt(monkeypatch):
    monkeypatch.setattr(trt, "available", lambda: False)
    ok, why = plugin.BACKEND.availability()
    assert not ok
    assert "no TensorRT is importable" in why and "pip install" in why

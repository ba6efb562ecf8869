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
    assert dict(backend.unsupported) == {}


@needs_trt
def test_available_where_tensorrt_imports():
    assert plugin.BACKEND.availability() == (True, "")


def test_unavailable_without_tensorrt(monkeypatch):
    monkeypatch.setattr(trt, "available", lambda: False)
    ok, why = plugin.BACKEND.availability()
    assert not ok
    assert "no TensorRT is importable" in why and "pip install" in why

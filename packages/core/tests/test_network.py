"""`trtrnn.network`: the spec's inputs in each precision, and the builder's precision options."""

from __future__ import annotations

import numpy as np
import pytest

import trtrnn_loop
from trtrnn import RNNSpec, trt
from trtrnn.conformance.cases import rounded
from trtrnn.errors import ConfigurationError, SpecError
from trtrnn.network import build_spec_network, serialize_network


def _spec() -> RNNSpec:
    return RNNSpec.random(
        1, op="LSTM", hidden_size=8, max_seq_length=3, batch_shape=(2,), seq_lengths="ragged", states=True
    )


@pytest.mark.parametrize(("precision", "dtype"), [("fp32", np.float32), ("fp16", np.float16)])
def test_precision_sets_input_and_state_types_and_lengths_stay_int32(precision: str, dtype: type) -> None:
    t = trt.load()
    spec = _spec()
    built = build_spec_network(trtrnn_loop.add_rnn, spec, spec.random_input(2), precision=precision)
    want = t.float16 if dtype is np.float16 else t.float32
    types = {built.network.get_input(i).name: built.network.get_input(i).dtype for i in range(4)}
    assert types == {"input": want, "seq_lengths": t.int32, "hidden_state": want, "cell_state": want}
    assert {k: v.dtype for k, v in built.feeds.items()} == {
        "input": np.dtype(dtype),
        "seq_lengths": np.dtype(np.int32),
        "hidden_state": np.dtype(dtype),
        "cell_state": np.dtype(dtype),
    }
    assert all(t_.dtype == want for t_ in built.outputs.tensors())  # the backend computes in the input's type


def test_unknown_precision_is_refused_by_name() -> None:
    spec = _spec()
    with pytest.raises(SpecError, match=r"precision: must be one of \['fp16', 'fp32'\]; got 'bf16'"):
        build_spec_network(trtrnn_loop.add_rnn, spec, spec.random_input(2), precision="bf16")


def test_rounded_holds_exactly_what_an_fp16_network_holds() -> None:
    spec = _spec()
    x = spec.random_input(2)
    cut, cut_x = rounded(spec, x, "fp16")
    for before, after in [(x, cut_x), (spec.hidden_state, cut.hidden_state), *[
        (spec.weights[k], cut.weights[k]) for k in spec.weights
    ]]:  # fmt: skip
        assert after.dtype == np.float32 and after.shape == np.shape(before)
        assert np.array_equal(after, np.asarray(before).astype(np.float16).astype(np.float32))
    assert np.array_equal(cut.seq_lengths, spec.seq_lengths)
    assert rounded(spec, x, "fp32")[0].weights.keys() == spec.weights.keys()


def test_fp16_flag_without_builder_support_is_refused_not_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the flavor: a TensorRT without BuilderFlag.FP16 never builds fp32 for fp16=True."""
    import trtrnn.network as network_module

    spec = _spec()
    built = build_spec_network(trtrnn_loop.add_rnn, spec, spec.random_input(2))
    monkeypatch.setattr(network_module, "has_fp16_flag", lambda: False)
    with pytest.raises(ConfigurationError, match=r"fp16: .* has no BuilderFlag\.FP16 .*precision=\"fp16\""):
        serialize_network(built.builder, built.network, built.profile, fp16=True)
    assert len(serialize_network(built.builder, built.network, built.profile)) > 1000  # fp32 still builds

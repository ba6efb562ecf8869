"""Relaxed variants: a backend that cannot express a feature still gets every other factor checked."""

from __future__ import annotations

import dataclasses

import numpy as np

from trtrnn import Backend, Feature, RNNSpec
from trtrnn.conformance import Case
from trtrnn.conformance.matrix import covering_rows, matrix_cases, row_id
from trtrnn.conformance.relax import relax, relaxed_cases


def _backend(name: str, *unsupported: Feature) -> Backend:
    def build(network, spec, inputs):  # never called: relaxation only reads `unsupported`
        raise AssertionError("not built")

    return Backend(name, "test backend", build, unsupported={f: "not in this API" for f in unsupported})


def _case(**spec_options: object) -> Case:
    spec = RNNSpec.random(3, op="LSTM", hidden_size=4, batch_shape=(3,), **spec_options)
    return Case("c", spec, spec.random_input(4), source="matrix")


def test_relax_takes_out_only_the_unsupported_feature() -> None:
    case = _case(seq_lengths="ragged", states=True)
    variant = relax(case, {Feature.SEQ_LENGTHS})
    assert variant is not None and variant.id == "c-without_lengths"
    assert variant.spec.seq_lengths is None and Feature.SEQ_LENGTHS not in variant.needed()
    for name in ("op", "hidden_size", "direction", "num_layers", "input_mode", "batch_shape"):
        assert getattr(variant.spec, name) == getattr(case.spec, name), name
    assert variant.spec.hidden_state is case.spec.hidden_state and variant.as_inputs == case.as_inputs
    assert np.array_equal(variant.x, case.x) and variant.expected is None  # judged by the reference


def test_relax_feeds_states_as_constants_when_inputs_are_unsupported() -> None:
    variant = relax(_case(seq_lengths="full", states=True), {Feature.STATE_INPUTS})
    assert variant is not None and variant.id == "c-without_inputs" and variant.as_inputs is False
    assert variant.spec.seq_lengths is not None and Feature.STATE_INPUTS not in variant.needed()


def test_relax_refuses_what_would_change_the_case() -> None:
    case = _case(seq_lengths="ragged", states=True)
    assert relax(case, {Feature.LSTM}) is None  # the op is what the case is about
    assert relax(case, {Feature.CELL_STATE}) is not None
    dynamic = dataclasses.replace(case, dynamic_batch=True)
    assert relax(dynamic, {Feature.STATE_INPUTS}) is None  # a -1 batch needs its data as inputs
    printed = dataclasses.replace(case, expected={"output": np.zeros(1)}, oracle="the seed's printed table")
    assert relax(printed, {Feature.SEQ_LENGTHS}) is None  # printed numbers cannot be recomputed
    assert relax(_case(), {Feature.SEQ_LENGTHS}) is None  # nothing to take out


def test_every_inexpressible_matrix_row_gets_its_variant() -> None:
    """With the covering property (test_conformance_framework), this keeps strength 3 over the
    factors a seq_lengths-less backend can express."""
    cases = {c.id: c for c in matrix_cases()}
    variants = {c.id: c for c in relaxed_cases(cases.values(), {"old": _backend("old", Feature.SEQ_LENGTHS)})}
    for index, row in enumerate(covering_rows()):
        case = cases[row_id(index, row)]
        if row["seq_lengths"] == "none":
            assert Feature.SEQ_LENGTHS not in case.needed()
            continue
        variant = variants[f"{case.id}-without_lengths"]
        assert variant.backends == frozenset({"old"}) and variant.spec.seq_lengths is None
        assert (variant.spec.op, variant.spec.num_layers, variant.spec.batch_shape) == (
            case.spec.op,
            case.spec.num_layers,
            case.spec.batch_shape,
        )
    dynamic = [v for v in variants.values() if v.dynamic_batch]
    assert len(dynamic) == sum(c.dynamic_batch for c in cases.values())  # dynamic batch stays checked


def test_backends_needing_the_same_relaxation_share_one_variant() -> None:
    backends = {
        "a": _backend("a", Feature.SEQ_LENGTHS),
        "b": _backend("b", Feature.SEQ_LENGTHS),
        "full": _backend("full"),
    }
    variants = relaxed_cases(matrix_cases(), backends)
    assert variants and all(v.backends == frozenset({"a", "b"}) for v in variants)
    assert relaxed_cases(matrix_cases(), {"full": backends["full"]}) == []


def test_docs_count_rnn_legacy_variants() -> None:
    from pathlib import Path

    docs = (Path(__file__).parents[1] / "docs" / "conformance.md").read_text()
    from trtrnn.conformance.cases import onnx_cases

    legacy = {"rnn-legacy": _backend("rnn-legacy", Feature.SEQ_LENGTHS)}
    matrix, onnx = relaxed_cases(matrix_cases(), legacy), relaxed_cases(onnx_cases(), legacy)
    assert f"gets {len(matrix)} matrix variants" in docs and f"and {len(onnx)} onnxruntime variants" in docs


def test_an_onnxruntime_case_is_rejudged_by_onnxruntime_on_the_relaxed_model() -> None:
    from trtrnn.conformance.cases import onnx_cases
    from trtrnn.reference import forward

    case = next(c for c in onnx_cases() if c.spec.seq_lengths is not None and c.spec.op.name == "LSTM")
    variant = relax(case, {Feature.SEQ_LENGTHS})
    assert variant is not None and variant.oracle == "onnxruntime" and variant.spec.seq_lengths is None
    got = variant.expected_outputs()  # onnxruntime, run now on the relaxed spec's ONNX model
    want = forward(variant.spec, variant.x).as_dict()
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-5)
    assert not np.allclose(got["output"], case.expected_outputs()["output"], atol=1e-3)  # lengths did matter

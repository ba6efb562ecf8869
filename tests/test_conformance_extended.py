"""The conformance families of the ONNX / PyTorch extensions (docs/semantics.md §2.1-2.4): every
extension appears alone and combined, each family names an independent oracle where one exists, the
hypothesis properties reach the extended space only for backends that express it, and the TensorRT
7/8 API backends report the families N/A with their reasons."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from trtrnn.conformance.extended import extended_cases, torch_cases
from trtrnn.conformance.properties import problems
from trtrnn.conformance.sources import iter_sources
from trtrnn.conformance.tiers import CaseRun, Status
from trtrnn.enums import RNNOperation
from trtrnn.lazylayer import EXTENSIONS_UNSUPPORTED
from trtrnn.spec import EXTENDED_FEATURES, Feature

CASES = extended_cases()


def test_every_extension_has_a_family_alone_and_combined() -> None:
    for feature in EXTENDED_FEATURES:
        users = [c for c in CASES if feature in c.needed()]
        assert users, feature
        assert any(len(c.needed() & set(EXTENDED_FEATURES)) > 1 for c in users), f"{feature} never combined"
    alone = {f for c in CASES if len(fs := c.needed() & set(EXTENDED_FEATURES)) == 1 for f in fs}
    assert alone >= set(EXTENDED_FEATURES) - {Feature.PROJECTION}  # LSTMP alone: the PyTorch cases


def test_families_named_in_the_issue_exist() -> None:
    ids = {c.id for c in CASES}
    bidirectional_per_direction = [
        c
        for c in CASES
        if c.spec.num_directions == 2 and c.spec.activations.get(0) != c.spec.activations.get(1)
    ]
    assert bidirectional_per_direction
    assert any(Feature.ZERO_LENGTHS in c.needed() for c in CASES)
    stacked_lstmp = [
        c for c in CASES if c.spec.proj_size and c.spec.num_layers > 1 and c.spec.hidden_state is not None
    ]
    assert any(c.oracle.startswith("PyTorch") for c in stacked_lstmp)
    assert any(c.precision == "fp16" for c in CASES)
    assert "ext-LSTMP-dyn-zero_lengths" in ids


def test_oracles_are_independent_where_one_exists() -> None:
    """onnxruntime for everything ONNX expresses (its CPU provider implements every attribute; layout is
    not a spec feature), PyTorch for the projections; the reference only where neither can judge."""
    for case in CASES:
        if case.oracle == "trtrnn.reference":
            features = case.needed()
            assert Feature.PROJECTION in features or case.precision == "fp16", case.id
        elif case.spec.proj_size:
            assert case.oracle.startswith("PyTorch"), case.id
        else:
            assert case.oracle == "onnxruntime", case.id


def test_the_pytorch_fixture_cases_agree_with_the_reference() -> None:
    """The oracle and the reference are independent; they agree (so a backend failing them is wrong)."""
    from trtrnn import reference

    cases = torch_cases()
    assert len(cases) == 3 and any(c.spec.seq_lengths is not None for c in cases)
    for case in cases:
        got = reference.forward(case.spec, case.x).as_dict()
        for key, want in case.expected_outputs().items():
            np.testing.assert_allclose(got[key], want, rtol=1e-5, atol=2e-6, err_msg=f"{case.id}: {key}")


def test_the_suite_loads_the_extended_source() -> None:
    assert "extended" in dict(iter_sources())


def test_docs_count_the_extended_families() -> None:
    from collections import Counter
    from pathlib import Path

    docs = (Path(__file__).parents[1] / "docs" / "conformance.md").read_text()
    by_source = Counter(c.source for c in CASES)
    assert (
        f"| extended | {len(CASES)}: the families of docs/semantics.md §2.1-2.4 (below); "
        f"{by_source['onnx']} are reported under source onnx, {by_source['matrix']} under matrix, "
        f"{by_source['torch']} under torch |"
    ) in docs
    assert all("LSTM" in c.id for c in CASES if c.spec.op == RNNOperation.LSTM)  # ids name the op


@pytest.mark.parametrize("op", list(RNNOperation))
def test_properties_reach_the_extended_space_only_when_expressible(op: RNNOperation) -> None:
    seen: set[Feature] = set()

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(problems(op, {}))
    def everything(case: object) -> None:
        seen.update(case.needed())  # type: ignore[attr-defined]

    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(problems(op, EXTENSIONS_UNSUPPORTED))
    def nothing(case: object) -> None:
        assert not case.needed() & set(EXTENDED_FEATURES)  # type: ignore[attr-defined]

    everything()
    nothing()
    own = {Feature.CLIP, Feature.ACTIVATIONS, Feature.ZERO_LENGTHS}
    own |= {Feature.REVERSE}
    if op == RNNOperation.GRU:
        own.add(Feature.GRU_LBR0)
    if op == RNNOperation.LSTM:
        own |= {Feature.PEEPHOLES, Feature.INPUT_FORGET, Feature.PROJECTION}
    assert own <= seen, own - seen


@pytest.mark.parametrize("name", ["rnn-v2", "rnn-legacy"])
def test_tensorrt_api_backends_report_the_families_not_applicable(name: str) -> None:
    from trtrnn import registry

    backend = registry.get(name)
    for case in CASES:
        result = CaseRun(backend, case).gate()
        assert result is not None and result.status in (Status.NA, Status.NOT_RUN), case.id
        if result.status == Status.NA:
            assert "cannot express" in result.reason and "TensorRT" in result.reason

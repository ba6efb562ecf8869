"""The conformance suite's fp16 cases run for real: a float16 network built by the real builder and
evaluated, judged on the fp16-rounded data (the dynamic ones also with a batch of 1, fed float16)."""

from __future__ import annotations

import pytest

from trtrnn import registry, trt
from trtrnn.conformance.matrix import fp16_cases
from trtrnn.conformance.tiers import CaseRun, Status

pytestmark = pytest.mark.skipif(not trt.available(), reason="no TensorRT installed")


@pytest.mark.parametrize("case", fp16_cases(), ids=lambda c: c.id)
def test_fp16_case_is_built_and_evaluated_in_float16(case: object) -> None:
    backend = registry.get("rnn-loop")
    run = CaseRun(backend, case)
    built = run.run("built")
    assert built.status == Status.PASS, built.reason
    assert all(t.dtype == trt.load().float16 for t in run.network().outputs.tensors())
    evaluated = run.run("evaluated")
    assert evaluated.status == Status.PASS, evaluated.detail or evaluated.reason
    assert evaluated.max_abs is not None and evaluated.max_abs > 0  # compared, and not bit-equal to fp64

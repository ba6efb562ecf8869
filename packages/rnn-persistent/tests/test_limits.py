"""Sizes that do not fit on chip are N/A in the conformance suite, with the planner's reason."""

from __future__ import annotations

import dataclasses

from trtrnn.conformance.cases import Case
from trtrnn.conformance.tiers import CaseRun, Status
from trtrnn.spec import RNNSpec
from trtrnn_persistent import plugin, runtime
from trtrnn_persistent.plan import H200


def on_h200(monkeypatch):
    monkeypatch.setattr(runtime, "ensure_context", lambda: 0)
    monkeypatch.setattr(runtime, "device_limits", lambda device: H200)


def test_limits_name_the_exceeded_limit(monkeypatch):
    on_h200(monkeypatch)
    big = RNNSpec.random(0, op="GRU", hidden_size=1056, max_seq_length=2, data_length=3, batch_shape=(1,))
    assert "hidden_size: 1056 is above 1024" in plugin.limits(big, "fp32")
    assert plugin.limits(big, "fp16") == ""  # float16 weights: the 48-column variant holds it
    small = RNNSpec.random(0, op="GRU", hidden_size=8, max_seq_length=2, batch_shape=(3,))
    assert plugin.limits(small) == ""


def test_the_suite_reports_a_case_beyond_the_limits_as_na(monkeypatch):
    on_h200(monkeypatch)
    backend = dataclasses.replace(plugin.BACKEND, availability=lambda: (True, ""))  # as if on a GPU
    spec = RNNSpec.random(0, op="LSTM", hidden_size=1100, max_seq_length=2, data_length=3, batch_shape=(1,))
    run = CaseRun(backend, Case("too-big", spec, spec.random_input(1)))
    result = run.gate()
    assert result.status == Status.NA
    assert result.reason.startswith("rnn-persistent cannot fit this size: hidden_size: 1100 is above 1024")

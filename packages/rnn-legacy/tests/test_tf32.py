"""BuilderFlag.TF32 through the TensorRT 7 style API: ImplicitBatchNetwork builds its engines with its
`tf32` (None: TensorRT's default), and the conformance suite, which drives rnn-legacy through it,
clears the flag for every case but the TF32 family's (docs/conformance.md, TF32)."""

from __future__ import annotations

import numpy as np
import pytest

from trtrnn import registry, trt
from trtrnn.spec import RNNSpec

pytestmark = pytest.mark.skipif(not trt.available(), reason="no TensorRT installed")


def test_the_suite_builds_and_evaluates_the_implicit_network_with_the_case_s_tf32(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from trtrnn.conformance import apis
    from trtrnn.conformance.cases import Case
    from trtrnn.conformance.tiers import Status
    from trtrnn_legacy import implicit

    asked: list[object] = []
    real = implicit.serialize_network

    def spy(*args: object, **kwargs: object) -> bytes:
        asked.append(kwargs.get("tf32"))
        return real(*args, **kwargs)

    monkeypatch.setattr(implicit, "serialize_network", spy)
    spec = RNNSpec.random(3, op="LSTM", hidden_size=8, max_seq_length=3, data_length=5, batch_shape=(2,))
    x = spec.random_input(4)
    for tf32 in (False, True):
        run = apis.case_run(registry.get("rnn-legacy"), Case(f"c{tf32}", spec, x, "matrix", tf32=tf32))
        assert isinstance(run, apis.ImplicitBatchRun)
        assert run.run("built").status == Status.PASS
        assert run.run("evaluated").status == Status.PASS
        assert run.implicit_network().tf32 is tf32
    assert asked == [False, True]


def test_cpu_execution_rounds_matmul_operands_only_when_tf32_is_set() -> None:
    import trtrnn
    from trtrnn.conformance import apis
    from trtrnn.conformance.cases import Case

    spec = RNNSpec.random(5, op="GRU", hidden_size=16, max_seq_length=4, data_length=6, batch_shape=(2,))
    case = Case("c", spec, spec.random_input(6), "matrix")
    run = apis.case_run(registry.get("rnn-legacy"), case)
    net, feeds = run.implicit_network(), run.feeds(2)
    assert net.tf32 is False  # the suite cleared it
    exact = net.execute(2, feeds, executor="cpu")
    net.tf32 = True
    rounded = net.execute(2, feeds, executor="cpu")
    assert all(np.array_equal(exact[k], trtrnn.evaluate(net.network, feeds)[k]) for k in exact)
    assert all(np.array_equal(rounded[k], trtrnn.evaluate(net.network, feeds, tf32=True)[k]) for k in exact)
    assert max(float(np.max(np.abs(rounded[k] - exact[k]))) for k in exact) > 1e-6  # TF32 really rounded

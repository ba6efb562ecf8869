"""The conformance suite's machinery, checked with tiny in-memory backends (no plugin installed):
comparison messages, tolerances, the covering design, case features, tiers and their statuses,
the `conformance_cases` hook, and option errors.
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import numpy as np
import pytest

import trtrnn
from trtrnn import Backend, Feature, RNNInputs, RNNOperation, RNNOutputs, RNNSpec, registry, trt
from trtrnn.conformance import Case, Tolerance
from trtrnn.conformance.cases import plugin_cases
from trtrnn.conformance.compare import compare
from trtrnn.conformance.matrix import (
    FACTORS,
    covering_rows,
    dynamic_cases,
    edge_cases,
    fp16_cases,
    matrix_cases,
    tf32_cases,
)
from trtrnn.conformance.tiers import CaseRun, Status, TierResult
from trtrnn.conformance.tolerances import conditioned, tolerance
from trtrnn.errors import BackendError
from trtrnn.network import keep_alive

TIGHT = Tolerance(rtol=1e-4, atol=1e-5)


# ---- comparison ---------------------------------------------------------------------------------
def test_compare_names_first_mismatch_and_largest_errors() -> None:
    expected = np.zeros((2, 3), dtype=np.float32)
    got = expected.copy()
    got[0, 1], got[1, 2] = 0.25, -0.5
    result = compare({"output": expected}, {"output": got}, TIGHT)
    assert not result.ok
    (check,) = result.checks
    assert (check.bad, check.first_index, check.expected_first, check.got_first) == (2, (0, 1), 0.0, 0.25)
    assert (check.max_abs, check.max_abs_index) == (0.5, (1, 2))
    text = result.text()
    assert "output 'output' shape (2, 3): 2 of 6 elements outside tolerance" in text
    assert "first mismatch at index (0, 1): expected 0, got 0.25" in text
    assert "max abs error 0.5 at (1, 2)" in text


def test_compare_flags_nan_wrong_shape_and_missing_outputs() -> None:
    expected = {"output": np.ones((2, 2)), "hidden": np.ones((1, 2)), "cell": np.ones((1, 2))}
    got = {"output": np.array([[1.0, np.nan], [1.0, 1.0]]), "hidden": np.ones((2, 1))}
    result = compare(expected, got, TIGHT)
    output, hidden, cell = result.checks
    assert output.bad == 1 and output.first_index == (0, 1) and math.isnan(output.got_first)
    assert hidden.problem == "shape (2, 1); expected (1, 2)"
    assert cell.problem == "missing: the backend produced no 'cell' output"


def test_atol_scales_with_the_output_magnitude() -> None:
    expected = {"output": np.array([1000.0, 0.0])}
    # atol 1e-5 x max|expected| = 0.01 covers 0.005 next to large values, and no more
    assert compare(expected, {"output": np.array([1000.0, 0.005])}, TIGHT).ok
    assert not compare(expected, {"output": np.array([1000.0, 0.02])}, TIGHT).ok


def test_conditioned_tolerance_follows_preactivation_magnitude() -> None:
    base = tolerance(trtrnn.RNNOperation.TANH)
    calm = RNNSpec.random(0, op="TANH", hidden_size=8, max_seq_length=4)
    assert conditioned(base, calm, calm.random_input(1)) == base  # ordinary cases keep the table's atol
    loud = calm.replace(weights={k: v * 100 for k, v in calm.weights.items()})
    x = calm.random_input(1, scale=100.0)
    raised = conditioned(base, loud, x)
    # terms of size ~1e4 cancel: fp32 resolves them to ~1e4 * 2^-24 per step, over T = 4 steps
    assert raised.rtol == base.rtol and 1e-4 < raised.atol < 1e-1
    relu = loud.replace(op="RELU")
    assert conditioned(tolerance(relu.op), relu, x) == tolerance(relu.op)


# ---- cases --------------------------------------------------------------------------------------
def test_covering_rows_hold_every_combination_of_any_three_factors() -> None:
    rows = covering_rows()
    for names in itertools.combinations(FACTORS, 3):
        seen = {tuple(row[n] for n in names) for row in rows}
        assert seen == set(itertools.product(*(FACTORS[n] for n in names))), names
    assert len(rows) < math.prod(len(v) for v in FACTORS.values()) / 50
    assert rows == covering_rows()  # deterministic: case ids are stable across runs


def test_matrix_cases_are_valid_and_uniquely_named() -> None:
    cases = matrix_cases()
    assert len({c.id for c in cases}) == len(cases)
    for case in cases:
        case.spec.validate()
        assert case.x.shape == case.spec.input_shape
    ragged = [c for c in cases if "len_ragged" in c.id and c.spec.batch_shape]
    assert ragged and all(np.asarray(c.spec.seq_lengths).min() == 1 for c in ragged)


def test_needed_features_include_build_options() -> None:
    spec = RNNSpec.random(0, op="GRU", seq_lengths="ragged", states=True)
    assert Feature.STATE_INPUTS in Case("a", spec, spec.random_input(0)).needed()
    assert Feature.STATE_INPUTS not in Case("b", spec, spec.random_input(0), as_inputs=False).needed()
    dynamic = Case("c", spec, spec.random_input(0), as_inputs=False, dynamic_batch=True).needed()
    assert {Feature.STATE_INPUTS, Feature.DYNAMIC_BATCH} <= dynamic  # dynamic batch feeds them as inputs
    plain = RNNSpec.random(0, op="GRU")
    assert Feature.STATE_INPUTS not in Case("d", plain, plain.random_input(0)).needed()


# ---- tiers with in-memory backends ----------------------------------------------------------------
def unrolled_rnn(network, spec: RNNSpec, inputs: RNNInputs) -> RNNOutputs:
    """A tiny correct lowering for one-layer unidirectional RELU/TANH on `[B, T, E]`: T unrolled steps."""
    t = trt.load()
    batch, steps, width = spec.batch_shape[0], spec.max_seq_length, spec.data_length
    hidden = spec.hidden_size
    gate = spec.gates[0]

    def const(array: np.ndarray):
        array = np.ascontiguousarray(array, dtype=np.float32)
        keep_alive(network, array)
        return network.add_constant(array.shape, array).get_output(0)

    w, r = const(spec.weights[(0, gate, True)].T), const(spec.weights[(0, gate, False)].T)
    bias = const((spec.biases[(0, gate, True)] + spec.biases[(0, gate, False)])[None, :])
    kind = t.ActivationType.RELU if spec.op == trtrnn.RNNOperation.RELU else t.ActivationType.TANH
    h = const(np.zeros((batch, hidden)))
    outputs = []
    for step in range(steps):
        x_t = network.add_slice(inputs.input, (0, step, 0), (batch, 1, width), (1, 1, 1)).get_output(0)
        x_t = network.add_shuffle(x_t)
        x_t.reshape_dims = (batch, width)
        mm = t.MatrixOperation.NONE
        a = network.add_matrix_multiply(x_t.get_output(0), mm, w, mm).get_output(0)
        b = network.add_matrix_multiply(h, mm, r, mm).get_output(0)
        s = network.add_elementwise(a, b, t.ElementWiseOperation.SUM).get_output(0)
        s = network.add_elementwise(s, bias, t.ElementWiseOperation.SUM).get_output(0)
        h = network.add_activation(s, kind).get_output(0)
        outputs.append(h)
    stacked = network.add_concatenation(outputs)
    stacked.axis = 1
    out = network.add_shuffle(stacked.get_output(0))
    out.reshape_dims = (batch, steps, hidden)
    final = network.add_shuffle(h)
    final.reshape_dims = (batch, 1, hidden)
    return RNNOutputs(out.get_output(0), final.get_output(0))


LIMITS = {
    f: "the unrolled test backend does one uni layer of RELU/TANH on [B, T, E]"
    for f in (Feature.LSTM, Feature.GRU, Feature.STACKED, Feature.BIDIRECTIONAL, Feature.SKIP_INPUT,
              Feature.SEQ_LENGTHS, Feature.HIDDEN_STATE, Feature.NO_LEADING_DIMS,
              Feature.MULTI_LEADING_DIMS, Feature.DYNAMIC_BATCH)
}  # fmt: skip
UNROLLED = Backend("unrolled", "tiny in-memory test backend", unrolled_rnn, unsupported=LIMITS)


def relu_case(**changes) -> Case:
    spec = RNNSpec.random(3, op="RELU", hidden_size=4, max_seq_length=3, data_length=3, batch_shape=(2,))
    return Case("relu", spec, spec.random_input(4), **changes)


def test_correct_backend_passes_built_and_evaluated() -> None:
    run = CaseRun(UNROLLED, relu_case())
    built, evaluated, executed = (run.run(t) for t in ("built", "evaluated", "executed"))
    assert built.status == Status.PASS and built.engine_bytes > 0
    assert evaluated.status == Status.PASS and evaluated.max_abs < 1e-5
    execution = trt.engine_execution()
    if not execution:  # never passed where it cannot run
        assert executed.status == Status.NOT_RUN and execution.reason in executed.reason


def test_oracle_disagreement_fails_evaluated_with_the_diff() -> None:
    case = relu_case()
    wrong = {k: v + 1.0 for k, v in case.expected_outputs().items()}
    result = CaseRun(UNROLLED, relu_case(expected=wrong, oracle="a hand-made table")).run("evaluated")
    assert result.status == Status.FAIL
    assert result.reason == "'output', 'hidden' differ from a hand-made table"
    assert (
        "case relu: RELU, unidirectional" in result.detail
        and "first mismatch at index (0, 0, 0)" in result.detail
    )


def test_unsupported_feature_is_na_with_the_backends_reason() -> None:
    spec = RNNSpec.random(0, op="LSTM", batch_shape=(2,))
    for tier in ("built", "evaluated", "executed"):
        result = CaseRun(UNROLLED, Case("lstm", spec, spec.random_input(0))).run(tier)
        assert result.status == Status.NA
        assert "op LSTM: the unrolled test backend does one uni layer" in result.reason


def test_unavailable_backend_is_not_run_with_its_reason() -> None:
    gone = Backend("gone", "x", unrolled_rnn, availability=lambda: (False, "needs a TPU"))
    result = CaseRun(gone, relu_case()).run("built")
    assert result.status == Status.NOT_RUN and result.reason.endswith("needs a TPU")


def test_raising_or_misshaped_backends_fail_built() -> None:
    def raising(network, spec, inputs):
        raise ValueError("no weights for you")

    result = CaseRun(Backend("raising", "x", raising), relu_case()).run("built")
    assert result.status == Status.FAIL and "ValueError: no weights for you" in result.reason

    def transposed(network, spec, inputs):
        outputs = unrolled_rnn(network, spec, inputs)
        flip = network.add_shuffle(outputs.output)
        flip.first_transpose = (1, 0, 2)
        return RNNOutputs(flip.get_output(0), outputs.hidden)

    result = CaseRun(Backend("transposed", "x", transposed), relu_case()).run("built")
    assert result.status == Status.FAIL
    assert result.reason == "output shapes break the contract: output has shape (3, 2, 4); expected (2, 3, 4)"


# ---- the hook and the options ---------------------------------------------------------------------
def test_conformance_cases_hook_collects_plugin_cases() -> None:
    spec = RNNSpec.random(0, op="TANH")

    class Plugin:
        @trtrnn.hookimpl
        def conformance_cases(self, register) -> None:
            register(Case("extra", spec, spec.random_input(0), backends=frozenset({"unrolled"})))

    pm = registry.plugin_manager(load_entrypoints=False)
    pm.register(Plugin())
    (case,) = plugin_cases(pm)
    assert (case.id, case.source, case.backends) == ("extra", "plugin", frozenset({"unrolled"}))

    class Bad:
        @trtrnn.hookimpl
        def conformance_cases(self, register) -> None:
            register({"id": "not a case"})

    pm.register(Bad())
    with pytest.raises(BackendError, match=r"expected a trtrnn\.conformance\.Case; got dict"):
        plugin_cases(pm)


def test_unknown_backend_is_a_usage_error_naming_the_installed_ones(tmp_path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "trtrnn.conformance", "--trtrnn-backend", "nosuch",
         "-p", "no:cacheprovider", f"--trtrnn-report-dir={tmp_path}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 4  # pytest's usage error
    assert "--trtrnn-backend: backend 'nosuch' is not installed; installed backends:" in run.stderr


def test_missing_oracle_is_not_run_not_failed() -> None:
    def absent() -> dict:
        raise ImportError("No module named 'onnxruntime'")

    result = CaseRun(UNROLLED, relu_case(expected=absent, oracle="onnxruntime")).run("evaluated")
    assert result.status == Status.NOT_RUN
    assert result.reason == "the oracle (onnxruntime) is not importable: No module named 'onnxruntime'"


def test_executed_tier_wiring_with_a_stand_in_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plumbing only (no GPU here): where execution is available the tier runs the built engine's
    bytes through `trtrnn.executor.executor("gpu", serialized=...)` and judges what `infer` returns."""
    from trtrnn import executor as executor_module
    from trtrnn.conformance import tiers

    seen: list[bytes] = []

    class StandIn:
        def __init__(self, network) -> None:
            self.network = network

        def infer(self, feeds):
            return trtrnn.evaluate(self.network, feeds)

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            pass

    run = CaseRun(UNROLLED, relu_case())

    def fake_executor(name: str, *, serialized: bytes) -> StandIn:
        assert name == "gpu"
        seen.append(serialized)
        return StandIn(run.network().network)

    monkeypatch.setattr(tiers.trt, "engine_execution", lambda: trt.Capability("engine execution", True))
    monkeypatch.setattr(executor_module, "executor", fake_executor)
    result = run.run("executed")
    assert result.status == Status.PASS and len(seen) == 1 and len(seen[0]) == run.run("built").engine_bytes


def test_docs_tolerance_table_is_the_codes() -> None:
    from pathlib import Path

    from trtrnn.conformance.tolerances import TOLERANCES

    docs = (Path(__file__).parents[1] / "docs" / "conformance.md").read_text()
    for op in trtrnn.RNNOperation:
        fp32, fp16 = TOLERANCES[(op, "fp32")], TOLERANCES[(op, "fp16")]
        row = f"| {op.name} | {fp32.rtol:.0e} | {fp32.atol:.0e} | {fp16.rtol:.0e} | {fp16.atol:.0e} |"
        assert row.replace("e-0", "e-") in docs, row


def test_docs_case_counts_are_the_suites() -> None:
    from pathlib import Path

    from trtrnn.conformance.cases import onnx_cases, seed_cases

    docs = (Path(__file__).parents[1] / "docs" / "conformance.md").read_text()
    rows, matrix = len(covering_rows()), matrix_cases()
    extra = f"{len(edge_cases())} edge + {len(dynamic_cases())} dynamic batch + {len(fp16_cases())} fp16"
    extra += f" + {len(tf32_cases())} TF32"
    assert f"| matrix | {len(matrix)}: {rows} covering rows + {extra} |" in docs
    assert f"The {rows} rows" in docs
    assert f"| seed | {len(seed_cases())}: " in docs and f"| onnx | {len(onnx_cases())}: " in docs


def test_limited_to_narrows_plugin_cases_as_it_narrows_backends() -> None:
    """One plugin manager serves both hooks: the plugins of `registry.limited_to` are the only source
    of backends and of plugin cases."""
    spec = RNNSpec.random(0, op="GRU")

    class Plugin:
        @trtrnn.hookimpl
        def conformance_cases(self, register) -> None:
            register(Case("only-here", spec, spec.random_input(0)))

    with registry.limited_to(Plugin()) as found:
        assert found == {} and [c.id for c in plugin_cases()] == ["only-here"]
        assert registry.manager() is registry.current().pm
    with registry.limited_to():
        assert plugin_cases() == []
    assert "only-here" not in [c.id for c in plugin_cases()]


def test_a_lowering_backend_must_take_name() -> None:
    def plain(network, spec, inputs):
        raise AssertionError("not built")

    def named(network, spec, inputs, *, name=None):
        raise AssertionError("not built")

    with pytest.raises(BackendError, match=r"lowering=True requires build\(network, spec, inputs, \*, name="):
        Backend("no-name", "x", plain, lowering=True)
    assert Backend("named", "x", named, lowering=True).lowering
    assert not Backend("api", "x", plain).lowering  # only lowering backends promise name=


def test_running_and_judging_are_separate_steps() -> None:
    from trtrnn.conformance.tiers import judge, observe
    from trtrnn.reference import forward

    case = relu_case()
    want = forward(case.spec, case.x).as_dict()
    fed: list[dict] = []

    def run(feeds):
        fed.append(feeds)
        return {k: v.copy() for k, v in want.items()}

    (seen,) = observe(case, run, {"input": case.x})
    assert len(fed) == 1 and fed[0]["input"] is case.x and seen.case is case
    assert judge(case, [seen]).status == Status.PASS
    seen.outputs["hidden"] = seen.outputs["hidden"] + 1.0
    verdict = judge(case, [seen])
    assert verdict.status == Status.FAIL and verdict.reason == "'hidden' differ from trtrnn.reference"

    def broken(feeds):
        raise ValueError("no outputs")

    failed = observe(case, broken, {"input": case.x})
    assert (
        failed.status == Status.FAIL and failed.reason == "running the network raised ValueError: no outputs"
    )


def test_the_conformance_session_is_registered_only_when_the_suite_is_active(tmp_path) -> None:
    (tmp_path / "test_probe.py").write_text(
        "def test_probe(request):\n"
        "    session = request.config.pluginmanager.get_plugin('trtrnn-conformance-session')\n"
        "    print('SESSION', None if session is None else sorted(session.backends))\n"
    )
    name = next(iter(registry.backends()))
    for extra, shown in (((), "SESSION None"), (("--trtrnn-backend", name), f"SESSION ['{name}']")):
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", "test_probe.py", *extra,
             f"--trtrnn-report-dir={tmp_path}"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        assert shown in run.stdout


def test_one_expressibility_check_for_the_cli_and_the_suite() -> None:
    """`Backend.inexpressible` is the N/A reason of the suite and the refusal of the CLI alike."""
    from trtrnn.cli.common import build_network
    from trtrnn.errors import InexpressibleError

    no_lengths = Backend(
        "no-lengths", "x", UNROLLED.build, unsupported={Feature.SEQ_LENGTHS: "no lengths input"}
    )
    spec = RNNSpec.random(
        5, op="TANH", hidden_size=3, max_seq_length=3, batch_shape=(2,), seq_lengths="ragged"
    )
    case = Case("lengths", spec, spec.random_input(6))
    reason = "no-lengths cannot express seq_lengths: no lengths input"
    assert no_lengths.inexpressible(case.needed()) == reason
    assert CaseRun(no_lengths, case).gate() == TierResult(Status.NA, reason)
    with pytest.raises(InexpressibleError) as refused:
        build_network(no_lengths, spec, case.x)
    assert str(refused.value) == reason
    assert no_lengths.inexpressible(spec.replace(seq_lengths=None).features()) == ""
    # build options count too: a dynamic batch the backend cannot express is refused before building
    static = Backend("static", "x", UNROLLED.build, unsupported={Feature.DYNAMIC_BATCH: "static only"})
    with pytest.raises(InexpressibleError, match="static cannot express dynamic batch"):
        build_network(static, spec.replace(seq_lengths=None), None, dynamic_batch=True)
    # and sizes beyond a backend's limits, the same way
    small = Backend("small", "x", UNROLLED.build, limits=lambda s, p: "H > 2" if s.hidden_size > 2 else "")
    plain = spec.replace(seq_lengths=None)
    assert CaseRun(small, Case("big", plain, case.x)).gate() == TierResult(
        Status.NA, "small cannot fit this size: H > 2"
    )
    with pytest.raises(InexpressibleError, match=r"^small cannot fit this size: H > 2$"):
        build_network(small, plain, case.x)


def test_a_property_group_is_gated_by_its_op_and_each_example_in_full() -> None:
    from trtrnn.conformance.properties import PropertyGroup, run_property

    tiny = Backend("tiny", "x", UNROLLED.build, unsupported=LIMITS, limits=lambda s, p: "any size")
    group = PropertyGroup(RNNOperation.TANH, examples=2)
    assert CaseRun(tiny, group).gate() is None  # the op itself is expressible
    result = run_property(tiny, group, "built")  # every drawn example is beyond the limits
    assert result.status == Status.NA and result.reason == "tiny cannot fit this size: any size"


def test_an_evaluated_failure_names_the_first_tensor_gone_non_finite() -> None:
    """The diff uses the evaluator's every tensor (`evaluate(..., intermediate=True)`)."""

    def log_of_negative(network, spec, inputs):
        outputs = unrolled_rnn(network, spec, inputs)
        shift = np.full((1, 1, 1), 1e3, np.float32)
        keep_alive(network, shift)
        t = trt.load()
        lowered = network.add_elementwise(
            outputs.output, network.add_constant(shift.shape, shift).get_output(0), t.ElementWiseOperation.SUB
        ).get_output(0)
        log = network.add_unary(lowered, t.UnaryOperation.LOG).get_output(0)
        log.name = "log_of_negative"  # NaN from here on: the output that reads it is the second
        return RNNOutputs(network.add_unary(log, t.UnaryOperation.ABS).get_output(0), outputs.hidden)

    result = CaseRun(Backend("nan", "x", log_of_negative), relu_case()).run("evaluated")
    assert result.status == Status.FAIL
    assert result.detail.endswith(
        "first tensor with NaN/inf in the evaluation: 'log_of_negative' (2, 3, 4) (24 elements)"
    )

    def doubled(network, spec, inputs):
        outputs = unrolled_rnn(network, spec, inputs)
        twice = network.add_elementwise(outputs.output, outputs.output, trt.load().ElementWiseOperation.SUM)
        return RNNOutputs(twice.get_output(0), outputs.hidden)

    wrong = CaseRun(Backend("doubled", "x", doubled), relu_case()).run("evaluated")
    assert wrong.status == Status.FAIL and wrong.detail.endswith("named tensors is finite")

"""Running one case against one backend, tier by tier, and saying honestly what happened.

built: the backend put the spec into a fresh network with the contract's output shapes and the real
builder serialized it (engine size noted). evaluated: trtrnn's CPU evaluator ran that network and
its outputs matched the oracle. executed: a GPU engine ran and matched; where no runnable TensorRT
and GPU exist the tier is "not run" with the reason, never passed. A case needing a feature the
backend declares unsupported is "n/a" with the backend's reason.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from trtrnn import trt
from trtrnn.backend import Backend, BuildFunction
from trtrnn.conformance.cases import Case
from trtrnn.conformance.compare import Comparison, compare
from trtrnn.conformance.matrix import slice_batch
from trtrnn.errors import ExecutionUnavailableError, UnsupportedLayerError
from trtrnn.network import SpecNetwork, build_spec_network, has_fp16_flag, serialize_network

TIERS = ("built", "evaluated", "executed")


class Status(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    NA = "n/a"
    NOT_RUN = "not run"


@dataclass
class TierResult:
    """The outcome of one tier: `reason` is one line (why n/a, not run or failed), `detail` the diff."""

    status: Status
    reason: str = ""
    detail: str = ""
    engine_bytes: int | None = None
    max_abs: float | None = None
    max_rel: float | None = None
    seconds: float = 0.0


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class CaseRun:
    """One case against one backend; its tiers share one network and one engine, built at most once."""

    def __init__(self, backend: Backend, case: Case) -> None:
        self.backend = backend
        self.case = case
        self._network: SpecNetwork | BaseException | None = None
        self._engine: bytes | TierResult | None = None

    # ---- shared steps -------------------------------------------------------------------------
    def gate(self) -> TierResult | None:
        """NOT_RUN when the backend is unavailable here, N/A when it cannot express the case or its size."""
        available, why = self.backend.availability()
        if not available:
            return TierResult(Status.NOT_RUN, f"backend {self.backend.name!r} is not available here: {why}")
        why = self.case.refused_by(self.backend)
        if why:
            return TierResult(Status.NA, why)
        return None

    def build_function(self) -> BuildFunction:
        """What puts the case's RNN into the network: the backend's `build` (a run that drives a
        compatibility API instead overrides this, see trtrnn.conformance.apis)."""
        return self.backend.build

    def network(self) -> SpecNetwork:
        """The backend's network for this case (an exception from the backend is kept and re-raised)."""
        if self._network is None:
            c = self.case
            try:
                self._network = build_spec_network(
                    self.build_function(),
                    c.spec,
                    c.x,
                    as_inputs=c.as_inputs,
                    dynamic_batch=c.dynamic_batch,
                    precision=c.precision,
                )
            except Exception as exc:
                self._network = exc
        if isinstance(self._network, BaseException):
            raise self._network
        return self._network

    def run(self, tier: str) -> TierResult:
        """Run `tier` ("built", "evaluated" or "executed"), timing it."""
        start = time.perf_counter()
        result = (
            self.gate()
            or {"built": self._built, "evaluated": self._evaluated, "executed": self._executed}[tier]()
        )
        result.seconds = time.perf_counter() - start
        if result.status == Status.FAIL and not result.detail.startswith("case "):
            c = self.case
            result.detail = f"case {c.id}: {c.describe()}\n{result.detail or result.reason}"
        return result

    # ---- tiers --------------------------------------------------------------------------------
    def _built(self) -> TierResult:
        if self._engine is None:
            self._engine = self._build_engine()
        if isinstance(self._engine, TierResult):
            return self._engine
        return TierResult(Status.PASS, engine_bytes=len(self._engine))

    def _build_engine(self) -> bytes | TierResult:
        try:
            net = self.network()
        except Exception as exc:
            return TierResult(Status.FAIL, f"the backend's build raised {_error(exc)}", detail=_error(exc))
        problem = _shape_problem(self.case, net)
        if problem:
            return TierResult(Status.FAIL, problem, detail=problem)
        # an fp16 case is a float16 network; where TensorRT also has BuilderFlag.FP16 (TensorRT 10's
        # weakly typed networks) it is set too, so the builder may pick fp16 kernels for every layer.
        # BuilderFlag.TF32 (on by default) is cleared except for the TF32 family: the executed tier
        # checks the contract in exact float32 (docs/conformance.md, "TF32")
        fp16 = self.case.precision == "fp16" and has_fp16_flag()
        try:
            return serialize_network(net.builder, net.network, net.profile, fp16=fp16, tf32=self.case.tf32)
        except Exception as exc:
            return TierResult(
                Status.FAIL, f"the builder refused the network: {_error(exc)}", detail=_error(exc)
            )

    def _evaluated(self) -> TierResult:
        try:
            net = self.network()
        except Exception as exc:
            return TierResult(Status.FAIL, f"the backend's build raised {_error(exc)}", detail=_error(exc))
        from trtrnn import evaluate

        def run(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return evaluate(net.network, feeds, tf32=self.case.tf32)

        try:
            result = self._judge(run, net.feeds)
        except UnsupportedLayerError as exc:
            return TierResult(Status.NOT_RUN, f"the CPU evaluator cannot run this network: {exc}")
        if result.status == Status.FAIL:
            result.detail += first_non_finite(net.network, net.feeds)
        return result

    def _executed(self) -> TierResult:
        unavailable = execution_unavailable()
        if unavailable:
            return unavailable
        built = self._built()
        if built.status != Status.PASS:
            return TierResult(Status.NOT_RUN, f"no engine to execute (built tier: {built.status.value})")
        from trtrnn.executor import executor

        assert isinstance(self._engine, bytes)
        try:
            with executor("gpu", serialized=self._engine) as gpu:
                return self._judge(gpu.infer, self.network().feeds)
        except ExecutionUnavailableError as exc:
            return TierResult(Status.NOT_RUN, f"the engine cannot execute here: {exc}")

    # ---- running, then judging ---------------------------------------------------------------
    def _judge(self, run: Runner, feeds: dict[str, np.ndarray]) -> TierResult:
        """Run the network through `run` (`observe`), then compare what it produced with the oracle
        (`judge`). The oracle is asked first: without it there is nothing to run for."""
        c = self.case
        try:
            c.expected_outputs()
        except ImportError as exc:  # e.g. onnxruntime missing: the oracle, not the backend, is absent
            return TierResult(Status.NOT_RUN, f"the oracle ({c.oracle}) is not importable: {exc}")
        observed = observe(c, run, feeds)
        return observed if isinstance(observed, TierResult) else judge(c, observed)


#: Runs a network on feeds by tensor name and returns its outputs by name (the CPU evaluator, an engine).
Runner = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]


@dataclass
class Observed:
    """What one run produced: `case` is what its feeds hold (the case, or its batch-of-1 slice)."""

    label: str
    case: Case
    outputs: dict[str, np.ndarray]


def observe(case: Case, run: Runner, feeds: dict[str, np.ndarray]) -> list[Observed] | TierResult:
    """Run `feeds` (and, for a dynamic batch judged by the reference, a batch of 1) through `run`;
    a FAIL result when running raises (evaluator gaps and unavailable execution propagate)."""
    try:
        observed = [Observed("", case, run(dict(feeds)))]
    except (UnsupportedLayerError, ExecutionUnavailableError):
        raise
    except Exception as exc:
        return TierResult(Status.FAIL, f"running the network raised {_error(exc)}", detail=_error(exc))
    if case.dynamic_batch and case.oracle == "trtrnn.reference":
        small_spec, small_feeds = slice_batch(case)
        # fed in the network's types (float16 in an fp16 case) and judged on the same rounded data
        small_feeds = {k: np.asarray(v, dtype=feeds[k].dtype) for k, v in small_feeds.items()}
        small = Case(
            case.id + "-batch1", small_spec, small_feeds["input"], case.source, precision=case.precision
        )
        try:
            observed.append(Observed(" (batch of 1 in the dynamic profile)", small, run(small_feeds)))
        except Exception as exc:
            return TierResult(Status.FAIL, f"running with batch 1 raised {_error(exc)}", detail=_error(exc))
    return observed


def judge(case: Case, observed: list[Observed]) -> TierResult:
    """PASS, or FAIL with the readable diff: every observation against its oracle, at `case`'s tolerance."""
    tolerance = case.judged_by()
    comparisons = [(o.label, compare(o.case.expected_outputs(), o.outputs, tolerance)) for o in observed]
    return _verdict(case, comparisons)


def first_non_finite(network: object, feeds: dict[str, np.ndarray]) -> str:
    """A line for a failure's diff from the evaluator's every tensor (`intermediate=True`): the
    first, in the order computed, holding a NaN or an infinity (where a wrong number often starts)."""
    from trtrnn import evaluate

    try:
        values = evaluate(network, dict(feeds), intermediate=True)
    except Exception:  # the failure itself is the news; this line is only a hint
        return ""
    for name, value in values.items():
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            bad = int(value.size - np.isfinite(value).sum())
            return f"\nfirst tensor with NaN/inf in the evaluation: {name!r} {value.shape} ({bad} elements)"
    return f"\nevery one of the evaluation's {len(values)} named tensors is finite"


def execution_unavailable() -> TierResult | None:
    """NOT_RUN with the reason when no engine can execute here (no GPU, cuda-python, TensorRT)."""
    capability = trt.engine_execution()
    if capability:
        return None
    return TierResult(Status.NOT_RUN, f"engine execution unavailable here: {capability.reason}")


def _verdict(case: Case, comparisons: list[tuple[str, Comparison]]) -> TierResult:
    max_abs = max(cmp.max_abs for _, cmp in comparisons)
    max_rel = max(cmp.max_rel for _, cmp in comparisons)
    failed = [(label, cmp) for label, cmp in comparisons if not cmp.ok]
    if not failed:
        return TierResult(Status.PASS, max_abs=max_abs, max_rel=max_rel)
    label, cmp = failed[0]
    bad = [ch for ch in cmp.checks if not ch.ok]
    detail = f"case {case.id}{label}: {case.describe()}\noracle: {case.oracle}\n{cmp.text()}"
    reason = f"{', '.join(repr(ch.name) for ch in bad)} differ from {case.oracle}{label}"
    return TierResult(Status.FAIL, reason, detail=detail, max_abs=max_abs, max_rel=max_rel)


def _shape_problem(case: Case, net: SpecNetwork) -> str:
    """The contract's output shapes (first dim -1 with dynamic batch), or what differs."""
    expected = [tuple(s) for s in case.spec.output_shapes]
    if case.dynamic_batch:
        expected = [(-1, *s[1:]) for s in expected]
    got = [tuple(t.shape) for t in net.outputs.tensors()]
    names = ("output", "hidden", "cell")
    problems = [f"{n} has shape {g}; expected {e}" for n, e, g in zip(names, expected, got) if e != g]
    if len(got) != len(expected):
        problems.append(f"the backend returned {len(got)} outputs; expected {len(expected)}")
    return "output shapes break the contract: " + "; ".join(problems) if problems else ""

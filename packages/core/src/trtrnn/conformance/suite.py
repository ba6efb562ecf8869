"""The suite as pytest items: one item per backend x case x tier, collected from this file.

`pytest --pyargs trtrnn.conformance` walks this package; the plugin (plugin.py) turns this file into
the suite. Items of one case run back to back and share one network and engine (tiers.CaseRun).
A failing item prints the readable diff (case, output, first mismatching index, expected vs got,
max abs/rel error) instead of a traceback; n/a and not-run tiers are skips whose reason says why.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from trtrnn.backend import Backend
from trtrnn.conformance.cases import Case, iter_sources
from trtrnn.conformance.plugin import STATE
from trtrnn.conformance.relax import relaxed_cases
from trtrnn.conformance.report import Record, Report
from trtrnn.conformance.tiers import TIERS, CaseRun, Status, TierResult


class ConformanceFailure(AssertionError):
    """A tier failed; the message is the readable diff."""

    def __init__(self, result: TierResult) -> None:
        super().__init__(result.detail or result.reason)
        self.result = result


@dataclass
class SuiteState:
    """What one pytest session of the suite shares: options, cases, the report, the current case."""

    backends: dict[str, Backend]
    quick: bool
    examples: int
    report_dir: Path
    report: Report = field(default_factory=Report)
    _cases: list[Any] | None = None
    _current: tuple[str, str, CaseRun] | None = None

    def cases(self) -> list[Any]:
        """Every fixed case and property group (the quick subset with --trtrnn-quick)."""
        if self._cases is None:
            from trtrnn.conformance import properties

            found: list[Any] = []
            for _, load in iter_sources():
                found += load()
            found += relaxed_cases(found, self.backends)
            found += properties.property_groups(self.examples)
            self._cases = [c for c in found if c.quick or not self.quick]
            ids = [c.id for c in self._cases]
            duplicated = sorted({i for i in ids if ids.count(i) > 1})
            if duplicated:
                raise pytest.UsageError(f"conformance case ids must be unique; repeated: {duplicated}")
        return self._cases

    def case_run(self, backend: Backend, case: Case) -> CaseRun:
        """The CaseRun of this case, kept only while its tiers run (one case in memory at a time)."""
        key = (backend.name, case.id)
        if self._current is None or self._current[:2] != key:
            self._current = (*key, CaseRun(backend, case))
        return self._current[2]


class Suite(pytest.File):
    """This file, as the conformance suite: one child per backend under test."""

    def collect(self) -> Iterator[pytest.Collector]:
        state: SuiteState = self.config.stash[STATE]
        for name, backend in state.backends.items():
            yield BackendNode.from_parent(self, name=name, backend=backend)


class BackendNode(pytest.Collector):
    def __init__(self, *, backend: Backend, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.backend = backend

    def collect(self) -> Iterator[pytest.Item]:
        state: SuiteState = self.config.stash[STATE]
        for case in state.cases():
            if case.backends is not None and self.backend.name not in case.backends:
                continue
            for tier in TIERS:
                yield CaseItem.from_parent(self, name=f"{case.id}[{tier}]", case=case, tier=tier)


class CaseItem(pytest.Item):
    """One tier of one case against one backend."""

    def __init__(self, *, case: Any, tier: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.tier = tier
        self.backend: Backend = self.parent.backend  # type: ignore[union-attr]
        for word in (case.source, tier, "trtrnn_conformance"):
            self.keywords[word] = True
        self.add_marker(pytest.mark.trtrnn_conformance)

    def runtest(self) -> None:
        state: SuiteState = self.config.stash[STATE]
        start = time.perf_counter()
        try:
            result = self._run(state)
        except Exception as exc:  # a bug in the suite or a plugin's case: recorded, then raised
            result = TierResult(Status.FAIL, f"the suite raised {type(exc).__name__}: {exc}")
            self._record(state, result, start)
            raise
        self._record(state, result, start)
        if result.status == Status.FAIL:
            raise ConformanceFailure(result)
        if result.status == Status.NA:
            pytest.skip(f"N/A: {result.reason}")
        if result.status == Status.NOT_RUN:
            pytest.skip(f"not run: {result.reason}")

    def _run(self, state: SuiteState) -> TierResult:
        if isinstance(self.case, Case):
            return state.case_run(self.backend, self.case).run(self.tier)
        try:
            from trtrnn.conformance.properties import run_property
        except ImportError as exc:
            return TierResult(Status.NOT_RUN, f"property cases need hypothesis ({exc})")
        return run_property(self.backend, self.case, self.tier)

    def _record(self, state: SuiteState, result: TierResult, start: float) -> None:
        features = sorted(f.value for f in self.case.needed())
        record = Record(
            self.backend.name,
            self.case.id,
            self.case.source,
            features,
            self.case.describe(),
            getattr(self.case, "oracle", "trtrnn.reference"),
            self.tier,
            result,
        )
        state.report.add(record, time.perf_counter() - start)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ConformanceFailure):
            return f"backend {self.backend.name}, case {self.case.id}, tier {self.tier}\n{excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.backend.name} {self.case.id} [{self.tier}]"

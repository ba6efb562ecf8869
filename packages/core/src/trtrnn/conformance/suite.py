"""The suite as pytest items: one item per backend x case x tier, collected from this file.

`pytest --pyargs trtrnn.conformance` walks this package; the plugin (plugin.py) turns this file into
the suite and registers a `ConformanceSession` (options, cases, report; its methods are the suite's
pytest hooks) only then, as pytest's junitxml does: the nodes hold it, so nothing looks it up.
Items of one case run back to back and share one network and engine (tiers.CaseRun).
A failing item prints the readable diff (case, output, first mismatching index, expected vs got,
max abs/rel error) instead of a traceback; n/a and not-run tiers are skips whose reason says why.
"""

from __future__ import annotations

import datetime
import platform
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from trtrnn.backend import Backend
from trtrnn.conformance.apis import case_run
from trtrnn.conformance.cases import Case
from trtrnn.conformance.relax import relaxed_cases
from trtrnn.conformance.report import Record, Report, combined, load_reports, write_atomic
from trtrnn.conformance.sources import iter_sources
from trtrnn.conformance.tiers import TIERS, CaseRun, Status, TierResult


class ConformanceFailure(AssertionError):
    """A tier failed; the message is the readable diff."""

    def __init__(self, result: TierResult) -> None:
        super().__init__(result.detail or result.reason)
        self.result = result


@dataclass(eq=False)  # a plugin object: compared and hashed by identity
class ConformanceSession:
    """What one pytest session of the suite shares: options, cases, the report, the current case.

    Registered as a pytest plugin only while the suite runs (plugin.py); its `pytest_*` methods are
    the suite's hooks, so they need no check that the suite is active.
    """

    backends: dict[str, Backend]
    quick: bool
    examples: int
    report_dir: Path
    report: Report = field(default_factory=Report)
    _cases: list[Any] | None = None
    _current: tuple[str, str, CaseRun] | None = None

    @classmethod
    def from_config(cls, config: pytest.Config) -> ConformanceSession:
        """The session the command line asks for; pytest.UsageError for an unknown or absent backend."""
        from trtrnn import registry, trt
        from trtrnn.conformance import properties

        names = list(dict.fromkeys(config.getoption("trtrnn_backend"))) or list(registry.backends())
        if not names:
            raise pytest.UsageError(
                "trtrnn conformance: no backend is installed (backends are packages registering under the "
                "'trtrnn' entry-point group); install one, e.g. `pip install trtrnn-loop`"
            )
        try:
            backends = {name: registry.get(name) for name in names}
        except Exception as exc:
            raise pytest.UsageError(f"--trtrnn-backend: {exc}") from None
        quick = bool(config.getoption("trtrnn_quick"))
        examples = config.getoption("trtrnn_examples")
        if examples is None:
            examples = properties.QUICK_EXAMPLES if quick else properties.EXAMPLES
        report_dir = Path(config.getoption("trtrnn_report_dir"))
        if not report_dir.is_absolute():
            report_dir = config.invocation_params.dir / report_dir
        session = cls(backends, quick, examples, report_dir)
        execution = trt.engine_execution()
        session.report.meta.update(
            {
                "tensorrt": f"{trt.flavor()} {trt.version()}" if trt.available() else "not installed",
                "engine execution": "available" if execution else f"not available ({execution.reason})",
                "subset": _subset(config, quick, examples),
                "python": platform.python_version(),
                "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                "backends": {n: b.description for n, b in backends.items()},
            }
        )
        return session

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
            self._current = (*key, case_run(backend, case))
        return self._current[2]

    # ---- pytest hooks, called only while this session is registered ----------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        items = [i for i in session.items if isinstance(i, CaseItem)]
        if reporter is None or not items:
            return
        for name in dict.fromkeys(i.backend.name for i in items):
            mine = [i for i in items if i.backend.name == name]
            sources: dict[str, set[str]] = {}
            for item in mine:
                sources.setdefault(item.case.source, set()).add(item.case.id)
            counts = ", ".join(f"{s} {len(ids)}" for s, ids in sources.items())
            total = sum(map(len, sources.values()))
            reporter.write_line(f"trtrnn conformance: {name}: {total} cases ({counts}), {len(mine)} items")

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> Any:
        """Progress letters: `n` for a tier the backend cannot express, `s` for a tier not run. The word
        stays SKIPPED for both: pytest labels every folded skip line with the first skip's word."""
        if report.when != "call" or not report.skipped or "trtrnn_conformance" not in report.keywords:
            return None
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return "skipped", "n" if "N/A:" in reason else "s", "SKIPPED"

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        """The matrix per backend, and where its Markdown and JSON files went."""
        for backend in self.report.backends():
            terminalreporter.write_sep("=", f"trtrnn conformance matrix: {backend}")
            terminalreporter.write(self.report.text(backend))
            paths = self.report.write(self.report_dir, backend)
            terminalreporter.write_line("report written: " + ", ".join(str(p) for p in paths))
        reports = load_reports(self.report_dir) if self.report.records else []
        if len(reports) > 1:  # other backends' reports there too (e.g. earlier nox sessions): side by side
            text, markdown = combined(reports)
            terminalreporter.write_sep(
                "=", "trtrnn conformance: backends x features (from " + f"{self.report_dir})"
            )
            terminalreporter.write(text)
            path = self.report_dir / "conformance.md"
            write_atomic(path, markdown)
            terminalreporter.write_line(f"report written: {path}")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        config.pluginmanager.unregister(self)


def _subset(config: pytest.Config, quick: bool, examples: int) -> str:
    parts = ["quick" if quick else "full", f"{examples} hypothesis examples per op and tier"]
    if config.getoption("keyword"):
        parts.append(f"-k {config.getoption('keyword')!r}")
    return ", ".join(parts)


class Suite(pytest.File):
    """This file, as the conformance suite: one child per backend under test."""

    def __init__(self, *, conformance: ConformanceSession, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conformance = conformance

    def collect(self) -> Iterator[pytest.Collector]:
        for name, backend in self.conformance.backends.items():
            yield BackendNode.from_parent(self, name=name, backend=backend)


class BackendNode(pytest.Collector):
    def __init__(self, *, backend: Backend, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.backend = backend
        self.conformance: ConformanceSession = self.parent.conformance  # type: ignore[union-attr]

    def collect(self) -> Iterator[pytest.Item]:
        for case in self.conformance.cases():
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
        self.conformance: ConformanceSession = self.parent.conformance  # type: ignore[union-attr]
        for word in (case.source, tier, "trtrnn_conformance"):
            self.keywords[word] = True
        self.add_marker(pytest.mark.trtrnn_conformance)

    def runtest(self) -> None:
        state = self.conformance
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

    def _run(self, state: ConformanceSession) -> TierResult:
        if isinstance(self.case, Case):
            return state.case_run(self.backend, self.case).run(self.tier)
        try:
            from trtrnn.conformance.properties import run_property
        except ImportError as exc:
            return TierResult(Status.NOT_RUN, f"property cases need hypothesis ({exc})")
        return run_property(self.backend, self.case, self.tier)

    def _record(self, state: ConformanceSession, result: TierResult, start: float) -> None:
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

"""pytest plugin (entry point `pytest11`): options, collection and the closing matrix of the suite.

Loaded by every pytest run where trtrnn is installed, so it stays inert unless the suite itself is
collected (`pytest --pyargs trtrnn.conformance`): heavy imports happen inside the hooks that need them.
"""

from __future__ import annotations

import datetime
import platform
from pathlib import Path
from typing import Any

import pytest

SUITE_FILE = Path(__file__).with_name("suite.py")
#: The session's SuiteState (suite.py), present only when the suite was collected.
STATE: pytest.StashKey[Any] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("trtrnn", "trtrnn conformance suite")
    group.addoption(
        "--trtrnn-backend",
        action="append",
        default=[],
        metavar="NAME",
        help="run the conformance suite against this installed backend (repeatable; default: all installed)",
    )
    group.addoption(
        "--trtrnn-quick",
        action="store_true",
        default=False,
        help="run only the quick subset: seed tables, one matrix case per op x direction, a few examples",
    )
    group.addoption(
        "--trtrnn-report-dir",
        default="reports",
        metavar="DIR",
        help="where conformance-<backend>.md/.json are written (default: ./reports)",
    )
    group.addoption(
        "--trtrnn-examples",
        type=int,
        default=None,
        metavar="N",
        help="hypothesis examples per op and tier (default 25; 3 with --trtrnn-quick)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "trtrnn_conformance: an item of trtrnn's conformance suite")
    if config.getoption("trtrnn_backend"):  # named backends: check them before anything runs
        config.stash[STATE] = _state(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path != SUITE_FILE:
        return None
    from trtrnn.conformance.suite import Suite

    if STATE not in parent.config.stash:
        parent.config.stash[STATE] = _state(parent.config)
    return Suite.from_parent(parent, path=file_path)


def _state(config: pytest.Config) -> Any:
    from trtrnn import registry, trt
    from trtrnn.conformance import properties
    from trtrnn.conformance.suite import SuiteState

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
    state = SuiteState(backends, quick, examples, report_dir)
    execution = trt.engine_execution()
    state.report.meta.update(
        {
            "tensorrt": f"{trt.flavor()} {trt.version()}" if trt.available() else "not installed",
            "engine execution": "available" if execution else f"not available ({execution.reason})",
            "subset": _subset(config, quick, examples),
            "python": platform.python_version(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "backends": {n: b.description for n, b in backends.items()},
        }
    )
    return state


def _subset(config: pytest.Config, quick: bool, examples: int) -> str:
    parts = ["quick" if quick else "full", f"{examples} hypothesis examples per op and tier"]
    if config.getoption("keyword"):
        parts.append(f"-k {config.getoption('keyword')!r}")
    return ", ".join(parts)


def pytest_collection_finish(session: pytest.Session) -> None:
    if STATE not in session.config.stash:
        return
    from trtrnn.conformance.suite import CaseItem

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


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Any:
    """Progress letters: `n` for a tier the backend cannot express, `s` for a tier not run. The word
    stays SKIPPED for both: pytest labels every folded skip line with the first skip's word."""
    if report.when != "call" or not report.skipped or "trtrnn_conformance" not in report.keywords:
        return None
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return "skipped", "n" if "N/A:" in reason else "s", "SKIPPED"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """The matrix per backend, and where its Markdown and JSON files went."""
    if STATE not in config.stash:
        return
    from trtrnn.conformance.report import combined, load_reports, write_atomic

    state = config.stash[STATE]
    for backend in state.report.backends():
        terminalreporter.write_sep("=", f"trtrnn conformance matrix: {backend}")
        terminalreporter.write(state.report.text(backend))
        paths = state.report.write(state.report_dir, backend)
        terminalreporter.write_line("report written: " + ", ".join(str(p) for p in paths))
    reports = load_reports(state.report_dir) if state.report.records else []
    if len(reports) > 1:  # other backends' reports there too (e.g. earlier nox sessions): side by side
        text, markdown = combined(reports)
        terminalreporter.write_sep(
            "=", "trtrnn conformance: backends x features (from " + f"{state.report_dir})"
        )
        terminalreporter.write(text)
        path = state.report_dir / "conformance.md"
        write_atomic(path, markdown)
        terminalreporter.write_line(f"report written: {path}")

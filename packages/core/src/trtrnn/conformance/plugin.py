"""pytest plugin (entry point `pytest11`): the suite's options, and the suite when it is asked for.

Loaded by every pytest run where trtrnn is installed, so it stays inert unless the suite is active:
collected (`pytest --pyargs trtrnn.conformance`) or given backends (`--trtrnn-backend`). Then it
registers a `suite.ConformanceSession`, whose methods are the suite's other hooks (collection summary,
progress letters, the closing matrix), as pytest's junitxml registers its LogXML. Heavy imports
happen only then.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from trtrnn.conformance.suite import ConformanceSession

SUITE_FILE = Path(__file__).with_name("suite.py")
#: The name the active session is registered under in pytest's plugin manager.
SESSION_PLUGIN = "trtrnn-conformance-session"


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
        _session(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path != SUITE_FILE:
        return None
    from trtrnn.conformance.suite import Suite

    return Suite.from_parent(parent, path=file_path, conformance=_session(parent.config))


def _session(config: pytest.Config) -> ConformanceSession:
    """The registered session, registering it on first use (pytest.UsageError for bad options)."""
    session = config.pluginmanager.get_plugin(SESSION_PLUGIN)
    if session is None:
        from trtrnn.conformance.suite import ConformanceSession

        session = ConformanceSession.from_config(config)
        config.pluginmanager.register(session, SESSION_PLUGIN)
    return session

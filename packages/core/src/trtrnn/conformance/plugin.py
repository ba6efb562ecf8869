"""pytest plugin (entry point `pytest11`): the `--trtrnn-backend` option for the conformance suite."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("trtrnn")
    group.addoption(
        "--trtrnn-backend",
        action="append",
        default=[],
        metavar="NAME",
        help="run trtrnn's conformance suite against this installed backend (repeatable)",
    )

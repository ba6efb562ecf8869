"""Fixtures shared by core's tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def trtrnn() -> Callable[..., subprocess.CompletedProcess[str]]:
    """`trtrnn ARGS` as a user runs it: a child process (so TensorRT's own stderr, the umask and the
    exit code are the real ones); returns the completed process with text output."""

    def run(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "trtrnn.cli", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=600,
        )

    return run

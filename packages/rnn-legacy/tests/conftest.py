"""Shared fixture: the TensorRT module (tests skip where none is installed)."""

from __future__ import annotations

import pytest

from trtrnn import trt


@pytest.fixture
def trt_mod():
    if not trt.available():
        pytest.skip("no TensorRT installed")
    return trt.load()

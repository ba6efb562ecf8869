"""cuda-python's modules, imported on first use with one clear error where cuda-python is missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from trtrnn_persistent.errors import PersistentUnavailableError


def cuda(name: str) -> ModuleType:
    """`cuda.bindings.<name>` (driver, nvrtc); PersistentUnavailableError naming the extra to install."""
    try:
        return importlib.import_module(f"cuda.bindings.{name}")
    except ImportError as exc:
        raise PersistentUnavailableError(
            f"cuda-python is not importable ({exc}); `pip install trtrnn-persistent[cuda]`"
        ) from None

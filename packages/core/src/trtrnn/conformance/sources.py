"""Every source of fixed conformance cases, in one list (the property source is generated apart).

A new family of cases is a function returning `list[Case]` in the module it belongs to (matrix.py for
generated configurations, cases.py for oracle-judged ones) plus, for a new source, its line here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from trtrnn.conformance import matrix
from trtrnn.conformance.cases import Case, onnx_cases, plugin_cases, seed_cases
from trtrnn.conformance.extended import extended_cases


def iter_sources() -> Iterator[tuple[str, Callable[[], list[Case]]]]:
    """(source name, loader) for every fixed-case source, in report order."""
    yield "seed", seed_cases
    yield "matrix", lambda: matrix.matrix_cases()
    yield "onnx", onnx_cases
    yield "extended", extended_cases  # docs/semantics.md §2.1-2.4: cases of sources onnx, matrix, torch
    yield "plugin", plugin_cases

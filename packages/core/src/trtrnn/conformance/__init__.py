"""The shared conformance suite: `pytest --pyargs trtrnn.conformance --trtrnn-backend NAME`.

Every installed backend is checked against the same cases (seed tables, a covering matrix,
hypothesis properties, onnxruntime-judged models, and cases plugins add via the
`conformance_cases(register)` hook) at three tiers: built, evaluated, executed. See
docs/conformance.md. Plugins contributing cases import `Case` (and optionally `Tolerance`) from here.
"""

from __future__ import annotations

from trtrnn.conformance.cases import Case
from trtrnn.conformance.tolerances import Tolerance

__all__ = ["Case", "Tolerance"]

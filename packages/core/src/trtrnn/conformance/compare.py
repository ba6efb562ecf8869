"""Comparing a backend's outputs with the oracle's, and saying where they differ in plain words.

A failure names the output, its shape, how many elements are off, the first mismatching index with
expected vs got, and the largest absolute and relative errors, so a wrong gate order or a swapped
direction is visible from the message alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from trtrnn.conformance.tolerances import Tolerance


@dataclass(frozen=True)
class OutputCheck:
    """One output compared element-wise; `problem` is set when it could not be compared at all."""

    name: str
    shape: tuple[int, ...]
    problem: str = ""
    bad: int = 0
    first_index: tuple[int, ...] | None = None
    expected_first: float = 0.0
    got_first: float = 0.0
    max_abs: float = 0.0
    max_abs_index: tuple[int, ...] | None = None
    max_rel: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problem and self.bad == 0

    def text(self) -> str:
        if self.problem:
            return f"output {self.name!r}: {self.problem}"
        size = int(np.prod(self.shape))
        head = f"output {self.name!r} shape {self.shape}: "
        errors = f"max abs error {self.max_abs:.3g} at {self.max_abs_index}, max rel error {self.max_rel:.3g}"
        if self.ok:
            return head + f"all {size} elements within tolerance; {errors}"
        return (
            head
            + f"{self.bad} of {size} elements outside tolerance\n"
            + f"    first mismatch at index {self.first_index}: expected {self.expected_first:.7g}, "
            + f"got {self.got_first:.7g}\n    {errors}"
        )


@dataclass(frozen=True)
class Comparison:
    """Every expected output checked against what the backend produced."""

    tolerance: Tolerance
    checks: list[OutputCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def max_abs(self) -> float:
        return max((c.max_abs for c in self.checks), default=0.0)

    @property
    def max_rel(self) -> float:
        return max((c.max_rel for c in self.checks), default=0.0)

    def text(self) -> str:
        lines = [c.text() for c in self.checks if not c.ok] or [c.text() for c in self.checks]
        return f"tolerance: {self.tolerance.describe()}\n" + "\n".join(lines)


def compare(
    expected: Mapping[str, np.ndarray], got: Mapping[str, np.ndarray], tolerance: Tolerance
) -> Comparison:
    """Check each output in `expected` against `got[name]` (outputs only in `got` are not judged)."""
    return Comparison(
        tolerance, [_check(n, np.asarray(e), got.get(n), tolerance) for n, e in expected.items()]
    )


def _check(name: str, expected: np.ndarray, got: np.ndarray | None, tol: Tolerance) -> OutputCheck:
    shape = tuple(expected.shape)
    if got is None:
        return OutputCheck(name, shape, problem=f"missing: the backend produced no {name!r} output")
    got = np.asarray(got)
    if tuple(got.shape) != shape:
        return OutputCheck(name, shape, problem=f"shape {tuple(got.shape)}; expected {shape}")
    e = expected.astype(np.float64)
    g = got.astype(np.float64)
    diff = np.abs(g - e)
    diff = np.where(np.isnan(diff), np.inf, diff)  # a NaN is never within tolerance
    scale = max(1.0, float(np.max(np.abs(e), initial=0.0)))
    atol = tol.atol * scale
    bad = diff > atol + tol.rtol * np.abs(e)
    rel = np.divide(diff, np.abs(e), out=np.zeros_like(diff), where=np.abs(e) > atol)
    check = {"max_abs": 0.0, "max_abs_index": None, "max_rel": 0.0}
    if diff.size:
        worst = np.unravel_index(int(np.argmax(diff)), shape)
        check = {
            "max_abs": float(diff[worst]),
            "max_abs_index": tuple(int(i) for i in worst),
            "max_rel": float(np.max(rel)),
        }
    if not bad.any():
        return OutputCheck(name, shape, **check)
    first = np.unravel_index(int(np.argmax(bad)), shape)  # argmax of a bool array: first True, C order
    return OutputCheck(
        name,
        shape,
        bad=int(bad.sum()),
        first_index=tuple(int(i) for i in first),
        expected_first=float(e[first]),
        got_first=float(g[first]),
        **check,
    )

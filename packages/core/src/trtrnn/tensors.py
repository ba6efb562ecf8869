"""What a network's or an engine's tensor is declared as, and the one check of feeds against it.

The CPU evaluator, the GPU session and `Engine.infer` before any GPU work all check feeds here, so a
bad feed is refused with the same message whichever runs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from trtrnn.errors import ShapeError


@dataclass(frozen=True)
class TensorInfo:
    """A tensor's name, shape (-1 for a dynamic dim; None where TensorRT cannot infer it), numpy dtype
    (None where it has no numpy equivalent), whether it is an input, and for dynamic inputs of an
    engine the (min, opt, max) shapes of optimization profile 0."""

    name: str
    shape: tuple[int, ...] | None
    dtype: np.dtype | None
    is_input: bool = False
    profile: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "shape": None if self.shape is None else list(self.shape),
            "dtype": None if self.dtype is None else self.dtype.name,
            "is_input": self.is_input,
            "profile": None if self.profile is None else [list(s) for s in self.profile],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TensorInfo:
        profile, shape, dtype = data.get("profile"), data["shape"], data["dtype"]
        return cls(
            name=str(data["name"]),
            shape=None if shape is None else tuple(int(d) for d in shape),
            dtype=None if dtype is None else np.dtype(dtype),
            is_input=bool(data["is_input"]),
            profile=None if profile is None else tuple(tuple(int(d) for d in s) for s in profile),
        )

    def describe(self) -> str:
        """`name [2, -1, 5] float32` plus the profile range of dynamic dims."""
        shape = "[unknown shape]" if self.shape is None else str(list(self.shape))
        dtype = "(no numpy dtype)" if self.dtype is None else self.dtype.name
        text = f"{self.name} {shape} {dtype}"
        if self.profile is not None:
            lo, opt, hi = (list(s) for s in self.profile)
            text += f" (profile min {lo} opt {opt} max {hi})"
        return text


def check_feeds(declared: Iterable[TensorInfo], feeds: Mapping[str, Any], owner: str) -> None:
    """ShapeError naming the input and the rule when `feeds` do not match the inputs among `declared`
    of the `owner` ("network", "engine"): every input fed, nothing else, each a numpy array of the
    declared dtype and shape (-1: any length) within its optimization profile."""
    inputs = {t.name: t for t in declared if t.is_input}
    unknown = sorted(set(feeds) - set(inputs))
    if unknown:
        raise ShapeError(
            f"feeds: unknown input(s) {unknown}; {unknown} are not inputs of this {owner}, whose inputs "
            f"are {sorted(inputs)}"
        )
    missing = sorted(set(inputs) - set(feeds))
    if missing:
        raise ShapeError(
            f"feeds: missing input(s) {missing}; "
            + "; ".join(f"input {n!r}: missing, the {owner} declares {inputs[n].describe()}" for n in missing)
        )
    for name, info in inputs.items():
        value = feeds[name]
        if not isinstance(value, np.ndarray):
            raise ShapeError(f"input {name!r}: expected a numpy array; got {type(value).__name__}")
        if info.dtype is not None and value.dtype != info.dtype:
            raise ShapeError(
                f"input {name!r}: dtype {value.dtype}; expected {info.dtype} "
                f"(cast with .astype(np.{info.dtype.name}))"
            )
        if info.shape is not None and (
            value.ndim != len(info.shape) or any(d != -1 and d != g for d, g in zip(info.shape, value.shape))
        ):
            raise ShapeError(
                f"input {name!r}: shape {tuple(value.shape)}; expected {list(info.shape)} (-1 = any)"
            )
        if info.profile is not None:
            lo, _, hi = info.profile
            if any(not a <= g <= b for a, g, b in zip(lo, value.shape, hi)):
                raise ShapeError(
                    f"input {name!r}: shape {tuple(value.shape)} is outside optimization profile 0 "
                    f"(min {list(lo)}, max {list(hi)})"
                )

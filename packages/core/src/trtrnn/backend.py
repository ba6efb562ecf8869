"""What a backend is: a name, what it can express, whether it runs here, and how it builds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from trtrnn.spec import Feature, RNNSpec

#: TensorRT objects are untyped here: `tensorrt` and `tensorrt_rtx` expose the same API.
Network = Any
Tensor = Any


@dataclass
class RNNInputs:
    """The tensors a backend receives, in the add_rnn_v2 contract's layout (SEMANTICS.md §4).

    A `None` tensor means "unset": lengths are all T, states are zeros.
    """

    input: Tensor
    seq_lengths: Tensor | None = None
    hidden_state: Tensor | None = None
    cell_state: Tensor | None = None


@dataclass
class RNNOutputs:
    """Output 0 `[B..., T, K*H]`, final hidden `[B..., L', H]`, and final cell (LSTM only)."""

    output: Tensor
    hidden: Tensor
    cell: Tensor | None = None

    def tensors(self) -> list[Tensor]:
        return [t for t in (self.output, self.hidden, self.cell) if t is not None]


#: `build(network, spec, inputs)` adds the spec's RNN to `network` and returns its outputs.
BuildFunction = Callable[[Network, RNNSpec, RNNInputs], RNNOutputs]


@dataclass(frozen=True)
class Backend:
    """A registered backend.

    `unsupported` maps each feature the backend's API contract cannot express to the reason; the
    conformance suite reports cases needing them as N/A with that reason. `availability()` returns
    `(True, "")` or `(False, why)`.
    """

    name: str
    description: str
    build: BuildFunction
    unsupported: Mapping[Feature, str] = field(default_factory=dict)
    availability: Callable[[], tuple[bool, str]] = lambda: (True, "")

    def missing_features(self, needed: frozenset[Feature]) -> dict[Feature, str]:
        """The subset of `needed` this backend cannot express, with its reasons."""
        return {f: self.unsupported[f] for f in needed if f in self.unsupported}

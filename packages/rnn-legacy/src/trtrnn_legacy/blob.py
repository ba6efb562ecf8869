"""The legacy weight and bias blobs <-> per-gate weights (SEMANTICS.md §6); the one place their order lives.

IRNNLayer took ONE flat float array for every matrix and ONE for every bias: per layer index
`0..L'-1` (layer0-fwd, layer0-bwd, layer1-fwd, ...), all the W matrices of that index, then all its
R matrices, gates in `LEGACY_GATES` order, each matrix row-major `[H, in]` as in §3, back to back.
The bias blob walks the same way with Wb for W and Rb for R, and keeps Wb where SKIP has no W.
Shapes come from `RNNSpec` (the single source of shape rules); only the walk is defined here.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from trtrnn.enums import RNNGateType, RNNOperation
from trtrnn.errors import ShapeError
from trtrnn.spec import RNNSpec, WeightKey

G = RNNGateType

#: Gate order inside each layer index of the legacy blobs (TensorRT 7 IRNNLayer docs; not §2's order).
LEGACY_GATES: dict[RNNOperation, tuple[RNNGateType, ...]] = {
    RNNOperation.RELU: (G.INPUT,),
    RNNOperation.TANH: (G.INPUT,),
    RNNOperation.LSTM: (G.FORGET, G.INPUT, G.CELL, G.OUTPUT),
    RNNOperation.GRU: (G.UPDATE, G.RESET, G.HIDDEN),
}

#: One-letter gate names for layout descriptions, as TensorRT's docs spell them.
_LETTER = {
    G.INPUT: "i",
    G.FORGET: "f",
    G.CELL: "c",
    G.OUTPUT: "o",
    G.UPDATE: "z",
    G.RESET: "r",
    G.HIDDEN: "h",
}

WEIGHTS, BIAS = "weights", "bias"


class Segment(NamedTuple):
    """One matrix or vector inside a blob: its key, its shape and where it starts."""

    key: WeightKey
    shape: tuple[int, ...]
    offset: int

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def segments(spec: RNNSpec, kind: str) -> list[Segment]:
    """The walk of the `weights` or `bias` blob for `spec`'s configuration, with offsets."""
    if kind not in (WEIGHTS, BIAS):
        raise ValueError(f"kind: expected {WEIGHTS!r} or {BIAS!r}; got {kind!r}")
    out: list[Segment] = []
    offset = 0
    for key, shape in _walk(spec, kind):
        out.append(Segment(key, shape, offset))
        offset += math.prod(shape)
    return out


def _walk(spec: RNNSpec, kind: str) -> Iterator[tuple[WeightKey, tuple[int, ...]]]:
    gates = LEGACY_GATES[spec.op]
    for layer in range(spec.num_layer_indices):
        for is_w in (True, False):
            for gate in gates:
                if kind == BIAS:
                    yield (layer, gate, is_w), (spec.hidden_size,)
                else:
                    shape = spec.weight_shape(layer, is_w)
                    if shape is not None:  # SKIP: stack layer 0 has no W
                        yield (layer, gate, is_w), shape


def blob_size(spec: RNNSpec, kind: str) -> int:
    """Element count of the `weights` or `bias` blob for this configuration."""
    return sum(s.size for s in segments(spec, kind))


def describe_layout(spec: RNNSpec, kind: str) -> str:
    """The expected layout in words: the walk, each layer index's part, and the total."""
    gates = LEGACY_GATES[spec.op]
    letters = ",".join(_LETTER[g] for g in gates)
    w, r = ("Wb", "Rb") if kind == BIAS else ("W", "R")
    parts = []
    for layer in range(spec.num_layer_indices):
        mine = [s for s in segments(spec, kind) if s.key[0] == layer]
        pieces = []
        for is_w, name in ((True, w), (False, r)):
            shapes = [s.shape for s in mine if s.key[2] == is_w]
            if shapes:
                pieces.append(f"{name} {letters} {len(shapes)} x {shapes[0]}")
            else:
                pieces.append(f"no {name} (SKIP)")
        parts.append(f"[{layer}] {' + '.join(pieces)} = {sum(s.size for s in mine)}")
    return (
        f"{kind} blob for {spec.op.name} {spec.direction.name} {spec.input_mode.name}, L={spec.num_layers}, "
        f"H={spec.hidden_size}, E={spec.data_length}: float32, row-major, back to back, per layer index "
        f"0..{spec.num_layer_indices - 1} all {w} then all {r}, gates {letters}: "
        f"{'; '.join(parts)}; total {blob_size(spec, kind)}"
    )


def as_blob(value: object, kind: str) -> np.ndarray:
    """A flat float32 copy of a blob given as numpy (any shape, read row-major), a list or trt.Weights."""
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    array = np.asarray(value)
    if not np.issubdtype(array.dtype, np.floating):
        raise ShapeError(f"{kind}: dtype {array.dtype}; expected a floating point blob (float32)")
    flat = np.array(array, dtype=np.float32, copy=True).reshape(-1)
    flat.flags.writeable = False
    return flat


def check_size(spec: RNNSpec, kind: str, blob: np.ndarray) -> None:
    """ShapeError naming expected vs actual element counts and the expected layout."""
    expected = blob_size(spec, kind)
    if blob.size != expected:
        raise ShapeError(
            f"{kind}: {blob.size} elements; expected {expected}. Layout: {describe_layout(spec, kind)}"
        )


def from_blobs(spec: RNNSpec, weights: object, bias: object) -> RNNSpec:
    """A copy of `spec` whose weights/biases dicts are cut out of the two legacy blobs."""
    params = {}
    for kind, value in ((WEIGHTS, weights), (BIAS, bias)):
        blob = as_blob(value, kind)
        check_size(spec, kind, blob)
        params[kind] = {
            s.key: blob[s.offset : s.offset + s.size].reshape(s.shape) for s in segments(spec, kind)
        }
    return spec.replace(weights=params[WEIGHTS], biases=params[BIAS])


def to_blobs(spec: RNNSpec) -> tuple[np.ndarray, np.ndarray]:
    """The (weights, bias) legacy blobs of a validated spec, float32."""
    spec.validate()
    out = []
    for kind, params in ((WEIGHTS, spec.weights), (BIAS, spec.biases)):
        parts = [np.asarray(params[s.key], dtype=np.float32).reshape(-1) for s in segments(spec, kind)]
        out.append(np.concatenate(parts) if parts else np.zeros(0, np.float32))
    return out[0], out[1]

"""How close a backend's outputs must be to the oracle, per op and precision (the one table of them).

An element passes when `|got - expected| <= atol * scale + rtol * |expected|`, where `scale` is the
largest `|expected|` of that output (at least 1). Scaling atol by the output's magnitude keeps the
check relative for ReLU outputs that grow large and absolute (scale 1) for the bounded outputs of
tanh, sigmoid gates and LSTM cells. For the bounded ops atol is also at least the fp32 rounding a
case's own magnitudes imply (`conditioned`), so saturating cases with huge preactivations are judged
by what fp32 can resolve. The TF32 family's tolerance is derived per case (`tf32_tolerance`).
docs/conformance.md explains the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from trtrnn.enums import RNNOperation
from trtrnn.errors import SpecError
from trtrnn.network import PRECISIONS
from trtrnn.spec import RNNSpec


@dataclass(frozen=True)
class Tolerance:
    """`rtol` relative to each expected element, `atol` relative to the output's largest magnitude."""

    rtol: float
    atol: float

    def describe(self) -> str:
        return f"rtol {self.rtol:g}, atol {self.atol:g} x max(1, max|expected|)"


#: fp32: the oracle computes in float64 and rounds once; an fp32 engine rounds at every step, and
#: recurrences amplify that over T steps. fp16: unit roundoff u = 2^-11 (4.9e-4) per rounding, about
#: ten roundings per step, damped by the activations so it stays a few u (measured worst 2.1 u at
#: T = 25); 1e-2 is about 20 u. The oracle sees the same fp16-rounded data (cases.rounded).
TOLERANCES: dict[tuple[RNNOperation, str], Tolerance] = {
    (RNNOperation.RELU, "fp32"): Tolerance(rtol=1e-4, atol=1e-5),
    (RNNOperation.TANH, "fp32"): Tolerance(rtol=1e-4, atol=1e-5),
    (RNNOperation.LSTM, "fp32"): Tolerance(rtol=1e-4, atol=1e-5),
    (RNNOperation.GRU, "fp32"): Tolerance(rtol=1e-4, atol=1e-5),
    (RNNOperation.RELU, "fp16"): Tolerance(rtol=1e-2, atol=1e-2),
    (RNNOperation.TANH, "fp16"): Tolerance(rtol=1e-2, atol=1e-2),
    (RNNOperation.LSTM, "fp16"): Tolerance(rtol=1e-2, atol=1e-2),
    (RNNOperation.GRU, "fp16"): Tolerance(rtol=1e-2, atol=1e-2),
}


def tolerance(op: RNNOperation, precision: str = "fp32") -> Tolerance:
    """The tolerance for `op` at `precision` ("fp32" or "fp16")."""
    key = (RNNOperation(op), precision)
    if key not in TOLERANCES:
        raise SpecError(f"precision: expected one of {sorted(PRECISIONS)}; got {precision!r}")
    return TOLERANCES[key]


#: fp32 unit roundoff: the relative error of one rounding.
FP32_ROUNDOFF = 2.0**-24


def preactivation_magnitude(spec: RNNSpec, x: np.ndarray) -> float:
    """The largest sum of |terms| feeding any gate row: `sum|W||in| + sum|R||h| + |Wb| + |Rb|`.

    fp32 rounding of a dot product is proportional to this sum, not to its result: a gate whose
    terms of size 1000 cancel to 0.1 is only resolved to about 1000 * 2^-24 in fp32. Inputs above
    stack layer 0 are outputs of tanh/sigmoid mixes, bounded by max(1, |initial state|).
    """
    states = [
        float(np.max(np.abs(a), initial=0.0)) for a in (spec.hidden_state, spec.cell_state) if a is not None
    ]
    state_max = max([1.0, *states])
    x_max = float(np.max(np.abs(x), initial=0.0))
    biggest = 0.0
    for layer in range(spec.num_layer_indices):
        below = x_max if layer // spec.num_directions == 0 else state_max
        for gate in spec.gates:
            w = spec.weights.get((layer, gate, True))
            # SKIP's stack layer 0 has no W: x is added as is
            terms = np.full(spec.hidden_size, x_max) if w is None else np.abs(w).sum(axis=1) * below
            terms = terms + np.abs(spec.weights[(layer, gate, False)]).sum(axis=1) * state_max
            terms = (
                terms + np.abs(spec.biases[(layer, gate, True)]) + np.abs(spec.biases[(layer, gate, False)])
            )
            biggest = max(biggest, float(terms.max()))
    return biggest


def conditioned(base: Tolerance, spec: RNNSpec, x: np.ndarray) -> Tolerance:
    """`base`, with atol raised to 2 * 2^-24 * magnitude * T for the bounded ops (RELU unchanged:
    its atol already scales with its outputs, which are as large as its preactivations)."""
    if spec.op == RNNOperation.RELU:
        return base
    floor = 2 * FP32_ROUNDOFF * preactivation_magnitude(spec, x) * spec.max_seq_length
    return base if floor <= base.atol else replace(base, atol=floor)


#: TF32's unit roundoff (10 stored mantissa bits, round to nearest): the relative error of one
#: matrix-multiply operand under BuilderFlag.TF32.
TF32_ROUNDOFF = 2.0**-11


def contraction_length(spec: RNNSpec) -> int:
    """The shortest dot product feeding a gate: stack layer 0's E + H (H alone for SKIP, whose x is
    added, not multiplied) and, stacked, D*H + H. The shortest, because the envelope divides by it."""
    first = spec.hidden_size + (spec.data_length if spec.input_mode.name == "LINEAR" else 0)
    upper = spec.hidden_size * (spec.num_directions + 1)
    return min(first, upper) if spec.num_layers > 1 else first


def tf32_envelope(spec: RNNSpec, x: np.ndarray) -> float:
    """The error TF32 operand rounding should reach: `u * M / sqrt(K) * sqrt(T)`.

    One gate preactivation sums K terms `a_k b_k` (M = their largest |sum|, preactivation_magnitude);
    rounding both operands to TF32 moves each by at most 2u relative. Round-to-nearest errors are
    unbiased and independent, so the K of them add like a random walk: about u * M / sqrt(K) rather
    than the worst case 2u * M. The recurrence carries each step's error into the next; T steps add
    at most like another random walk (sqrt(T)) when nothing damps them, and the activations do damp
    them (sigmoid' <= 1/4, tanh' <= 1). docs/conformance.md has the measurement against it.
    """
    magnitude = preactivation_magnitude(spec, x)
    return TF32_ROUNDOFF * magnitude / np.sqrt(contraction_length(spec)) * np.sqrt(spec.max_seq_length)


def tf32_tolerance(spec: RNNSpec, x: np.ndarray) -> Tolerance:
    """The TF32 family's tolerance: rtol 20u, atol max(20u, 4 * tf32_envelope) with u = 2^-11.

    20u (about 1e-2) is the fp16 tolerance's headroom for the same unit roundoff; 4 envelopes keep
    long or wide cases (whose envelope grows with sqrt(T) and M / sqrt(K)) as far from failing as
    short ones. Measured worst errors stay under half an envelope (test_tf32.py keeps them under one).
    """
    floor = 20 * TF32_ROUNDOFF
    return Tolerance(rtol=floor, atol=max(floor, 4 * tf32_envelope(spec, x)))

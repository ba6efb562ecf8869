"""The numpy oracle: SEMANTICS.md §2-5 written as plainly as possible.

Every backend and the conformance suite are checked against `forward`, so it favours obviously
right over fast: one sequence at a time, one step at a time, float64 inside, float32 out.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from trtrnn.enums import RNNGateType, RNNOperation
from trtrnn.errors import ShapeError
from trtrnn.spec import RNNSpec

G = RNNGateType


class RNNResult(NamedTuple):
    """Outputs 0, 1 and (LSTM only) 2 of the add_rnn_v2 contract (§4), float32."""

    output: np.ndarray
    hidden: np.ndarray
    cell: np.ndarray | None = None

    def as_dict(self) -> dict[str, np.ndarray]:
        """{"output", "hidden"} plus "cell" when there is one (the network output names)."""
        out = {"output": self.output, "hidden": self.hidden}
        if self.cell is not None:
            out["cell"] = self.cell
        return out


def forward(spec: RNNSpec, x: np.ndarray) -> RNNResult:
    """Run `spec` on `x` of shape `spec.input_shape`, using its seq_lengths and initial states."""
    spec.validate()
    x = np.asarray(x)
    if x.shape != spec.input_shape:
        raise ShapeError(
            f"x: shape {x.shape}; expected {spec.input_shape} = (*batch_shape, max_seq_length, data_length)"
        )
    if not np.issubdtype(x.dtype, np.floating):
        raise ShapeError(f"x: dtype {x.dtype}; expected floating point")
    zeros = np.zeros((spec.num_layer_indices, spec.hidden_size))
    output, hidden, cell = (
        np.zeros(spec.output_shapes[0]),
        np.zeros(spec.state_shape),
        np.zeros(spec.state_shape),
    )
    for item in np.ndindex(*spec.batch_shape):  # no leading dims: one item, the index ()
        length = spec.max_seq_length if spec.seq_lengths is None else int(spec.seq_lengths[item])
        h0 = zeros if spec.hidden_state is None else spec.hidden_state[item]
        c0 = zeros if spec.cell_state is None else spec.cell_state[item]
        output[item], hidden[item], cell[item] = _sequence(spec, x[item], length, h0, c0)
    as32 = [a.astype(np.float32) for a in (output, hidden, cell)]
    return RNNResult(as32[0], as32[1], as32[2] if spec.op == RNNOperation.LSTM else None)


def _sequence(spec: RNNSpec, x: np.ndarray, length: int, h0: np.ndarray, c0: np.ndarray):
    """One sequence x [T, E]: (output [T, K*H], final hidden [L', H], final cell [L', H]) per §4-5.

    Steps t >= length stay 0 in both directions; the backward direction runs t = length-1 .. 0."""
    t_max, h_size, k = spec.max_seq_length, spec.hidden_size, spec.num_directions
    hidden, cell = np.zeros((spec.num_layer_indices, h_size)), np.zeros((spec.num_layer_indices, h_size))
    layer_input = x.astype(np.float64)
    for stack in range(spec.num_layers):
        layer_output = np.zeros((t_max, k * h_size))
        for direction in range(k):
            index = stack * k + direction
            h, c = np.asarray(h0[index], np.float64), np.asarray(c0[index], np.float64)
            for t in range(length) if direction == 0 else range(length - 1, -1, -1):
                h, c = _step(spec, index, layer_input[t], h, c)
                layer_output[t, direction * h_size : (direction + 1) * h_size] = h
            hidden[index], cell[index] = h, c
        layer_input = layer_output
    return layer_input, hidden, cell


def _step(spec: RNNSpec, index: int, x: np.ndarray, h: np.ndarray, c: np.ndarray):
    """One step of layer index `index`: (h', c') from x, h, c (§2)."""

    def w(gate: RNNGateType) -> np.ndarray:
        key = (index, gate, True)
        part = spec.weights[key].astype(np.float64) @ x if spec.has_input_weights(index) else x
        return part + spec.biases[key].astype(np.float64)

    def r(gate: RNNGateType) -> np.ndarray:
        key = (index, gate, False)
        return spec.weights[key].astype(np.float64) @ h + spec.biases[key].astype(np.float64)

    op = spec.op
    if op == RNNOperation.RELU:
        return np.maximum(w(G.INPUT) + r(G.INPUT), 0.0), c
    if op == RNNOperation.TANH:
        return np.tanh(w(G.INPUT) + r(G.INPUT)), c
    if op == RNNOperation.LSTM:
        i = _sigmoid(w(G.INPUT) + r(G.INPUT))
        f = _sigmoid(w(G.FORGET) + r(G.FORGET))
        o = _sigmoid(w(G.OUTPUT) + r(G.OUTPUT))
        g = np.tanh(w(G.CELL) + r(G.CELL))
        c_next = f * c + i * g
        return o * np.tanh(c_next), c_next
    z = _sigmoid(w(G.UPDATE) + r(G.UPDATE))
    reset = _sigmoid(w(G.RESET) + r(G.RESET))
    n = np.tanh(w(G.HIDDEN) + reset * r(G.HIDDEN))
    return (1.0 - z) * n + z * h, c


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))

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
    n_items = int(np.prod(spec.batch_shape, dtype=np.int64))
    t_max, h_size, k_dirs, n_idx = (
        spec.max_seq_length,
        spec.hidden_size,
        spec.num_directions,
        spec.num_layer_indices,
    )
    xs = x.astype(np.float64).reshape(n_items, t_max, spec.data_length)
    lengths = _flat(spec.seq_lengths, n_items, np.full(n_items, t_max))
    h0 = _flat(spec.hidden_state, n_items, np.zeros((n_items, n_idx, h_size)))
    c0 = _flat(spec.cell_state, n_items, np.zeros((n_items, n_idx, h_size)))

    output = np.zeros((n_items, t_max, k_dirs * h_size))
    hidden = np.zeros((n_items, n_idx, h_size))
    cell = np.zeros((n_items, n_idx, h_size))
    for item in range(n_items):
        length = int(lengths[item])
        layer_input = xs[item]
        for stack in range(spec.num_layers):
            layer_output = np.zeros((t_max, k_dirs * h_size))
            for direction in range(k_dirs):
                index = stack * k_dirs + direction
                steps = range(length) if direction == 0 else range(length - 1, -1, -1)
                h, c = h0[item, index].copy(), c0[item, index].copy()
                for t in steps:
                    h, c = _step(spec, index, layer_input[t], h, c)
                    layer_output[t, direction * h_size : (direction + 1) * h_size] = h
                hidden[item, index], cell[item, index] = h, c
            layer_input = layer_output
        output[item] = layer_input

    def shaped(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        return a.reshape(shape).astype(np.float32)

    out0, out1 = spec.output_shapes[:2]
    return RNNResult(
        shaped(output, out0),
        shaped(hidden, out1),
        shaped(cell, out1) if spec.op == RNNOperation.LSTM else None,
    )


def _flat(array: np.ndarray | None, n_items: int, default: np.ndarray) -> np.ndarray:
    if array is None:
        return default
    array = np.asarray(array)
    return array.astype(np.float64 if np.issubdtype(array.dtype, np.floating) else np.int64).reshape(
        n_items, *default.shape[1:]
    )


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

"""The numpy oracle: SEMANTICS.md §2-5 and docs/semantics.md §2.1-2.4 written as plainly as possible.

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
    output, hidden, cell = (
        np.zeros(spec.output_shapes[0]),
        np.zeros(spec.state_shape),
        np.zeros(spec.cell_shape),
    )
    for item in np.ndindex(*spec.batch_shape):  # no leading dims: one item, the index ()
        length = spec.max_seq_length if spec.seq_lengths is None else int(spec.seq_lengths[item])
        h0 = np.zeros(spec.state_shape[-2:]) if spec.hidden_state is None else spec.hidden_state[item]
        c0 = np.zeros(spec.cell_shape[-2:]) if spec.cell_state is None else spec.cell_state[item]
        output[item], hidden[item], cell[item] = _sequence(spec, x[item], length, h0, c0)
    as32 = [a.astype(np.float32) for a in (output, hidden, cell)]
    return RNNResult(as32[0], as32[1], as32[2] if spec.op == RNNOperation.LSTM else None)


def _sequence(spec: RNNSpec, x: np.ndarray, length: int, h0: np.ndarray, c0: np.ndarray):
    """One sequence x [T, E]: (output [T, K*H], final hidden [L', H], final cell [L', H]) per §4-5.

    Steps t >= length stay 0 in both directions; the backward direction (and a `reverse` spec's only
    one) runs t = length-1 .. 0. Length 0 gives zeros everywhere, final states included (§2.4)."""
    t_max, h_size, k = spec.max_seq_length, spec.output_size, spec.num_directions
    hidden = np.zeros((spec.num_layer_indices, h_size))
    cell = np.zeros((spec.num_layer_indices, spec.hidden_size))
    layer_input = x.astype(np.float64)
    for stack in range(spec.num_layers):
        layer_output = np.zeros((t_max, k * h_size))
        for direction in range(k):
            index = stack * k + direction
            h, c = np.asarray(h0[index], np.float64), np.asarray(c0[index], np.float64)
            backward = direction == 1 or spec.reverse
            for t in range(length - 1, -1, -1) if backward else range(length):
                h, c = _step(spec, index, layer_input[t], h, c)
                layer_output[t, direction * h_size : (direction + 1) * h_size] = h
            if length > 0:  # an empty sequence's final states are 0, not the initial ones (onnxruntime)
                hidden[index], cell[index] = h, c
        layer_input = layer_output
    return layer_input, hidden, cell


def _step(spec: RNNSpec, index: int, x: np.ndarray, h: np.ndarray, c: np.ndarray):
    """One step of layer index `index`: (h', c') from x, h, c (§2, with the extensions of §2.1-2.3).

    Without extensions this is exactly TensorRT's cell: clip is the identity, the activations are
    the op's own and the same float64 operations run in the same order."""

    def w(gate: RNNGateType) -> np.ndarray:
        key = (index, gate, True)
        part = spec.weights[key].astype(np.float64) @ x if spec.has_input_weights(index) else x
        return part + spec.biases[key].astype(np.float64)

    def r(gate: RNNGateType) -> np.ndarray:
        key = (index, gate, False)
        return spec.weights[key].astype(np.float64) @ h + spec.biases[key].astype(np.float64)

    def peephole(gate: RNNGateType, cell: np.ndarray) -> np.ndarray | float:
        key = (index, gate)
        return spec.peepholes[key].astype(np.float64) * cell if key in spec.peepholes else 0.0

    def clip(v: np.ndarray) -> np.ndarray:  # ONNX: on the input of every gate activation, nowhere else
        return v if spec.clip is None else np.clip(v, -spec.clip, spec.clip)

    acts = spec.activation_functions(index)
    f = acts[0]
    op = spec.op
    if op in (RNNOperation.RELU, RNNOperation.TANH):
        return f(clip(w(G.INPUT) + r(G.INPUT))), c
    if op == RNNOperation.LSTM:
        g, h_act = acts[1], acts[2]
        i = f(clip(w(G.INPUT) + r(G.INPUT) + peephole(G.INPUT, c)))
        forget = 1.0 - i if spec.input_forget else f(clip(w(G.FORGET) + r(G.FORGET) + peephole(G.FORGET, c)))
        cand = g(clip(w(G.CELL) + r(G.CELL)))
        c_next = forget * c + i * cand
        o = f(clip(w(G.OUTPUT) + r(G.OUTPUT) + peephole(G.OUTPUT, c_next)))  # the o-peephole sees C_t
        h_next = o * h_act(c_next)
        if spec.proj_size:
            h_next = spec.projections[index].astype(np.float64) @ h_next
        return h_next, c_next
    g = acts[1]
    z = f(clip(w(G.UPDATE) + r(G.UPDATE)))
    reset = f(clip(w(G.RESET) + r(G.RESET)))
    if spec.linear_before_reset:
        n = g(clip(w(G.HIDDEN) + reset * r(G.HIDDEN)))
    else:  # ONNX's default: the reset gate scales h before the recurrent matmul
        rec_h = spec.weights[(index, G.HIDDEN, False)].astype(np.float64) @ (reset * h)
        n = g(clip(w(G.HIDDEN) + (rec_h + spec.biases[(index, G.HIDDEN, False)].astype(np.float64))))
    return (1.0 - z) * n + z * h, c

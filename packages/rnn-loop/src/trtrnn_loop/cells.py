"""One time step of each op inside the loop body (SEMANTICS §2), given the hoisted input projection.

Both directions of a stack layer run side by side on a leading direction axis D.

`pre` is `W.x + biases` for every gate at this step (computed outside the loop for all T at once);
the only matmul here is the fused recurrent one, `h . Rcat` for all gates and both directions. Gate
columns are found by their position in `spec.gates`, the order the fused matrices are stacked in.
"""

from __future__ import annotations

from trtrnn.backend import Tensor
from trtrnn.enums import RNNGateType, RNNOperation
from trtrnn.spec import RNNSpec
from trtrnn_loop.graph import Graph


def step(
    g: Graph,
    spec: RNNSpec,
    pre: Tensor,
    h: Tensor,
    c: Tensor | None,
    recurrent: Tensor,
    reset_bias: Tensor | None,
    name: str,
) -> tuple[Tensor, Tensor | None]:
    """The new hidden state (and cell state for LSTM) from `pre` `[D, N, G*H]` and `h`, `c` `[D, N, H]`.

    D is the number of directions computed side by side (`recurrent` is `[D, H, G*H]`).
    """
    rec = g.matmul(h, recurrent, f"{name}.recurrent_matmul")
    gates = g.add(pre, rec, f"{name}.gates")
    if spec.op in (RNNOperation.RELU, RNNOperation.TANH):
        return g.activation(gates, spec.op.name, f"{name}.h"), None
    hidden = spec.hidden_size

    def gate(tensor: Tensor, which: RNNGateType, what: str) -> Tensor:
        start = spec.gates.index(which) * hidden
        return g.columns(tensor, start, hidden, f"{name}.{what}", lead=(spec.num_directions,))

    sig = g.activation(gates, "SIGMOID", f"{name}.sigmoid")
    if spec.op == RNNOperation.LSTM:
        i = gate(sig, RNNGateType.INPUT, "i")
        f = gate(sig, RNNGateType.FORGET, "f")
        o = gate(sig, RNNGateType.OUTPUT, "o")
        cand = g.activation(gate(gates, RNNGateType.CELL, "g.pre"), "TANH", f"{name}.g")
        c_new = g.add(g.mul(f, c, f"{name}.f_c"), g.mul(i, cand, f"{name}.i_g"), f"{name}.c")
        h_new = g.mul(o, g.activation(c_new, "TANH", f"{name}.tanh_c"), f"{name}.h")
        return h_new, c_new
    # GRU (linear_before_reset): n = tanh(W[h].x + Wb[h] + r*(R[h].h + Rb[h])); h' = n + z*(h - n)
    z = gate(sig, RNNGateType.UPDATE, "z")
    r = gate(sig, RNNGateType.RESET, "r")
    rec_h = g.add(gate(rec, RNNGateType.HIDDEN, "rec_h"), reset_bias, f"{name}.rec_h_bias")
    pre_h = gate(pre, RNNGateType.HIDDEN, "pre_h")
    n = g.activation(g.add(pre_h, g.mul(r, rec_h, f"{name}.r_rec_h"), f"{name}.n.pre"), "TANH", f"{name}.n")
    h_new = g.add(n, g.mul(z, g.sub(h, n, f"{name}.h_minus_n"), f"{name}.z_h_minus_n"), f"{name}.h")
    return h_new, None

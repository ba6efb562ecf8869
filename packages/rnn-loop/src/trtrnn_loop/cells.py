"""One time step of each op inside the loop body (SEMANTICS §2, docs/semantics.md §2.1-2.3), given the
hoisted input projection.

Both directions of a stack layer run side by side on a leading direction axis D.

`pre` is `W.x + biases` for every gate at this step (computed outside the loop for all T at once);
the only matmul of the gates is the fused recurrent one, `h . Rcat` for all gates and both directions.
The extensions add no matmul of the full gate width: peepholes are elementwise products with the cell,
clip is one CLIP activation, activations are activation layers (per direction where they differ),
input_forget is `1 - i`; a projection is one small matmul of width P (`[D, N, H] . [D, H, P]`), and
GRU with linear_before_reset=0 splits its recurrent matmul in two (z, r | h) because `R[h]` multiplies
`r*h` (same FLOPs). Gate columns are found by their position in `spec.gates`, the order the fused
matrices are stacked in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from trtrnn.activations import Activation
from trtrnn.backend import Tensor
from trtrnn.enums import RNNGateType, RNNOperation
from trtrnn.spec import RNNSpec
from trtrnn_loop.graph import Graph

G = RNNGateType
Clip = Callable[[Tensor, str], Tensor]
Gate = Callable[[Tensor, RNNGateType, str], Tensor]

#: ONNX activation -> (TensorRT ActivationType, passes alpha, passes beta). Affine has no
#: ActivationType: it is `alpha*x + beta` with two elementwise layers. Softplus is TensorRT's
#: alpha*log(exp(beta*x)+1) with alpha = beta = 1.
ACTIVATION_KINDS: dict[str, tuple[str, bool, bool]] = {
    "Relu": ("RELU", False, False),
    "Tanh": ("TANH", False, False),
    "Sigmoid": ("SIGMOID", False, False),
    "LeakyRelu": ("LEAKY_RELU", True, False),
    "ThresholdedRelu": ("THRESHOLDED_RELU", True, False),
    "ScaledTanh": ("SCALED_TANH", True, True),
    "HardSigmoid": ("HARD_SIGMOID", True, True),
    "Elu": ("ELU", True, False),
    "Softsign": ("SOFTSIGN", False, False),
    "Softplus": ("SOFTPLUS", False, False),
}


@dataclass
class StepWeights:
    """The constants one stack layer's step uses, each stacked over its D directions."""

    recurrent: Tensor  # [D, H or P, G*H] (GRU lbr=0: z, r only)
    activations: list[tuple[Activation, ...]]  # per direction: (f,) / (f, g) / (f, g, h)
    reset_bias: Tensor | None = None  # GRU lbr=1: [D, 1, H]
    hidden_recurrent: Tensor | None = None  # GRU lbr=0: [D, H, H]
    peepholes: dict[RNNGateType, Tensor] = field(default_factory=dict)  # LSTM: [D, 1, H]
    projection: Tensor | None = None  # LSTMP: [D, H, P]


def activation(g: Graph, x: Tensor, act: Activation, name: str) -> Tensor:
    """One ONNX activation function as graph layers."""
    if act.name == "Affine":
        alpha = g.mul(x, g.const(np.full((1,) * len(x.shape), act.alpha), f"{name}.alpha"), f"{name}.scale")
        return g.add(alpha, g.const(np.full((1,) * len(x.shape), act.beta), f"{name}.beta"), name)
    kind, with_alpha, with_beta = ACTIVATION_KINDS[act.name]
    if act.name == "Softplus":
        return g.activation(x, kind, name, alpha=1.0, beta=1.0)
    return g.activation(
        x, kind, name, alpha=act.alpha if with_alpha else None, beta=act.beta if with_beta else None
    )


def apply(g: Graph, x: Tensor, w: StepWeights, which: int, name: str) -> Tensor:
    """Activation `which` (0 f, 1 g, 2 h) on `x` `[D, N, C]`: one layer where every direction uses the
    same function, else one per direction on its slice of D, joined again."""
    acts = [per_direction[which] for per_direction in w.activations]
    if all(a == acts[0] for a in acts):
        return activation(g, x, acts[0], name)
    parts = [
        activation(g, g.gather(x, 0, [d], f"{name}.d{d}.in"), act, f"{name}.d{d}")
        for d, act in enumerate(acts)
    ]
    return g.concat(parts, 0, name)


def step(
    g: Graph,
    spec: RNNSpec,
    pre: Tensor,
    h: Tensor,
    c: Tensor | None,
    w: StepWeights,
    name: str,
) -> tuple[Tensor, Tensor | None]:
    """The new hidden state (and cell state for LSTM) from `pre` `[D, N, G*H]` and `h` `[D, N, H or P]`,
    `c` `[D, N, H]`. D is the number of directions computed side by side."""

    def clip(x: Tensor, what: str) -> Tensor:  # ONNX: on every gate activation's input, never the cell
        if spec.clip is None:
            return x
        return g.activation(x, "CLIP", f"{name}.{what}.clip", alpha=-spec.clip, beta=spec.clip)

    hidden = spec.hidden_size

    def gate(tensor: Tensor, which: RNNGateType, what: str) -> Tensor:
        start = spec.gates.index(which) * hidden
        return g.columns(tensor, start, hidden, f"{name}.{what}", lead=(spec.num_directions,))

    if spec.op == RNNOperation.GRU and w.hidden_recurrent is not None:
        return _gru_reset_before(g, spec, pre, h, w, name, clip, gate)
    rec = g.matmul(h, w.recurrent, f"{name}.recurrent_matmul")
    gates = g.add(pre, rec, f"{name}.gates")
    if spec.op in (RNNOperation.RELU, RNNOperation.TANH):
        return apply(g, clip(gates, "gates"), w, 0, f"{name}.h"), None
    if spec.op == RNNOperation.LSTM:
        return _lstm(g, spec, gates, c, w, name, clip, gate)
    # GRU (linear_before_reset): n = g(W[h].x + Wb[h] + r*(R[h].h + Rb[h])); h' = n + z*(h - n)
    sig = apply(g, clip(gates, "gates"), w, 0, f"{name}.sigmoid")
    z = gate(sig, G.UPDATE, "z")
    r = gate(sig, G.RESET, "r")
    rec_h = g.add(gate(rec, G.HIDDEN, "rec_h"), w.reset_bias, f"{name}.rec_h_bias")
    pre_h = gate(pre, G.HIDDEN, "pre_h")
    n_pre = clip(g.add(pre_h, g.mul(r, rec_h, f"{name}.r_rec_h"), f"{name}.n.pre"), "n")
    n = apply(g, n_pre, w, 1, f"{name}.n")
    h_new = g.add(n, g.mul(z, g.sub(h, n, f"{name}.h_minus_n"), f"{name}.z_h_minus_n"), f"{name}.h")
    return h_new, None


def _lstm(
    g: Graph, spec: RNNSpec, gates: Tensor, c: Tensor, w: StepWeights, name: str, clip: Clip, gate: Gate
) -> tuple[Tensor, Tensor]:
    """LSTM (docs/semantics.md §2.1): without peepholes f is applied to all gates at once, as before."""

    def peeped(which: RNNGateType, cell: Tensor, what: str) -> Tensor:
        product = g.mul(w.peepholes[which], cell, f"{name}.{what}.peephole")
        summed = g.add(gate(gates, which, f"{what}.pre"), product, f"{name}.{what}.peeped")
        return apply(g, clip(summed, what), w, 0, f"{name}.{what}")

    o: Tensor | None = None
    if w.peepholes:
        i = peeped(G.INPUT, c, "i")
        f = None if spec.input_forget else peeped(G.FORGET, c, "f")
        cand = apply(g, clip(gate(gates, G.CELL, "g.pre"), "g"), w, 1, f"{name}.g")
    else:
        clipped = clip(gates, "gates")
        sig = apply(g, clipped, w, 0, f"{name}.sigmoid")
        i = gate(sig, G.INPUT, "i")
        f = None if spec.input_forget else gate(sig, G.FORGET, "f")
        o = gate(sig, G.OUTPUT, "o")
        cand = apply(g, gate(clipped, G.CELL, "g.pre"), w, 1, f"{name}.g")
    if f is None:  # input_forget: the gates are coupled, f = 1 - i
        f = g.sub(g.const(np.ones((1, 1, 1)), f"{name}.one"), i, f"{name}.f_coupled")
    c_new = g.add(g.mul(f, c, f"{name}.f_c"), g.mul(i, cand, f"{name}.i_g"), f"{name}.c")
    if o is None:  # the o-peephole sees the new cell state
        o = peeped(G.OUTPUT, c_new, "o")
    h_new = g.mul(o, apply(g, c_new, w, 2, f"{name}.tanh_c"), f"{name}.h")
    if w.projection is not None:  # LSTMP: one small matmul of width P
        h_new = g.matmul(h_new, w.projection, f"{name}.projection_matmul")
    return h_new, c_new


def _gru_reset_before(
    g: Graph, spec: RNNSpec, pre: Tensor, h: Tensor, w: StepWeights, name: str, clip: Clip, gate: Gate
) -> tuple[Tensor, None]:
    """GRU linear_before_reset=0: n = g(W[h].x + Wb[h] + R[h].(r*h) + Rb[h]) (Rb[h] is in `pre`)."""
    zr = g.matmul(h, w.recurrent, f"{name}.recurrent_matmul")  # [D, N, 2H]: z and r
    pre_zr = g.columns(pre, 0, 2 * spec.hidden_size, f"{name}.pre_zr", lead=(spec.num_directions,))
    sig = apply(g, clip(g.add(pre_zr, zr, f"{name}.gates"), "gates"), w, 0, f"{name}.sigmoid")
    z = gate(sig, G.UPDATE, "z")
    r = gate(sig, G.RESET, "r")
    rec_h = g.matmul(g.mul(r, h, f"{name}.r_h"), w.hidden_recurrent, f"{name}.hidden_recurrent_matmul")
    n_pre = clip(g.add(gate(pre, G.HIDDEN, "pre_h"), rec_h, f"{name}.n.pre"), "n")
    n = apply(g, n_pre, w, 1, f"{name}.n")
    h_new = g.add(n, g.mul(z, g.sub(h, n, f"{name}.h_minus_n"), f"{name}.z_h_minus_n"), f"{name}.h")
    return h_new, None

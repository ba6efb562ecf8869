"""`add_rnn`: a whole RNNSpec as TensorRT layers around one ILoop per layer-direction.

Shape of the lowering (the way cuDNN computes it, not the way the ONNX parser does):
- the leading dims B... are flattened to one batch dim N (restored at the end, with shape layers
  when more than one of them is dynamic);
- per layer-direction, the input projection `x . Wcat + bias` of all T steps is ONE matmul outside
  the loop; the loop body holds ONE fused recurrent matmul for all gates plus the pointwise math;
- sequence lengths (SEMANTICS §5): a keep/drop mask per step, computed once outside the loops, zeroes
  output 0 and freezes the state beyond each length; the backward direction reverses the first `len`
  steps of its input and of its output with IReverseSequenceLayer, so it starts at step `len-1`.
  Without lengths the backward loop iterates in reverse and stacks its output in reverse instead.
"""

from __future__ import annotations

import math

import numpy as np

from trtrnn.backend import Network, RNNInputs, RNNOutputs, Tensor
from trtrnn.enums import RNNOperation
from trtrnn.errors import ShapeError, SpecError
from trtrnn.spec import RNNSpec
from trtrnn_loop import cells, params
from trtrnn_loop.graph import Graph

DIRECTION_TAGS = ("fwd", "bwd")


def add_rnn(network: Network, spec: RNNSpec, inputs: RNNInputs, *, name: str = "rnn") -> RNNOutputs:
    """Add `spec`'s RNN to `network`, fed by `inputs`; return output 0, final hidden (and cell).

    The public lowering the rnn-v2 and rnn-legacy backends call; its signature is stable.
    - `inputs.input` is `[B..., T, E]` with `len(spec.batch_shape)` leading dims, any of them -1
      (dynamic, with an optimization profile); float32 or float16 (weights follow its dtype).
    - `inputs.seq_lengths` `[B...]` int32, `inputs.hidden_state` / `inputs.cell_state` `[B..., L', H]`:
      network inputs or constants; None means all T / zeros. The spec's own arrays are not read:
      they are the data a caller feeds to these tensors.
    - Outputs have exactly the add_rnn_v2 shapes (SEMANTICS §4): `[B..., T, K*H]`, `[B..., L', H]`,
      and for LSTM `[B..., L', H]`.
    Every layer is named `<name>.l<stack layer>.<fwd|bwd>.<what>`, e.g. `rnn.l0.fwd.recurrent_matmul`.
    Raises SpecError / ShapeError when the spec or the tensors break the contract.
    """
    spec.validate()
    x = inputs.input
    if inputs.cell_state is not None and spec.op != RNNOperation.LSTM:
        raise SpecError(f"cell_state: only LSTM has a cell state; op is {spec.op.name}")
    g = Graph(network, name, x.dtype)
    lead = _leading_dims(spec, x)
    big_t, hidden = spec.max_seq_length, spec.hidden_size

    seq = g.reshape(x, (-1, big_t, spec.data_length), "input.flatten")
    g.set_rows(seq, None if -1 in lead else math.prod(lead))
    lengths = _flat_lengths(g, inputs.seq_lengths)
    masks = _step_masks(g, lengths, big_t) if lengths is not None else None
    h0 = _flat_state(g, spec, inputs.hidden_state, "hidden_state")
    c0 = _flat_state(g, spec, inputs.cell_state, "cell_state") if spec.op == RNNOperation.LSTM else None

    finals_h: list[Tensor] = []
    finals_c: list[Tensor] = []
    for stack in range(spec.num_layers):
        outs = []
        for direction in range(spec.num_directions):
            index = stack * spec.num_directions + direction
            out, h_last, c_last = _layer_direction(
                g, spec, index, seq, lengths, masks, _initial(g, h0, index, hidden, "h0"),
                _initial(g, c0, index, hidden, "c0") if spec.op == RNNOperation.LSTM else None,
            )  # fmt: skip
            outs.append(out)
            finals_h.append(h_last)
            if c_last is not None:
                finals_c.append(c_last)
        seq = g.concat(outs, 2, f"l{stack}.output")

    restore = _Restorer(g, x, lead)
    output = restore(seq, (big_t, spec.num_directions * hidden), "output")
    h_all = restore(_stack_states(g, finals_h, hidden, "hidden"), (spec.num_layer_indices, hidden), "hidden")
    c_all = None
    if finals_c:
        c_all = restore(_stack_states(g, finals_c, hidden, "cell"), (spec.num_layer_indices, hidden), "cell")
    return RNNOutputs(output, h_all, c_all)


def _layer_direction(
    g: Graph,
    spec: RNNSpec,
    index: int,
    seq: Tensor,
    lengths: Tensor | None,
    masks: tuple[Tensor, Tensor] | None,
    h0: Tensor,
    c0: Tensor | None,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """One layer index over `seq` `[N, T, In]`: its output `[N, T, H]` and final h, c `[N, H]`."""
    trt_mod = g.trt
    stack, direction = divmod(index, spec.num_directions)
    tag = f"l{stack}.{DIRECTION_TAGS[direction]}"
    backward = direction == 1
    if backward and lengths is not None:
        seq = g.reverse_sequence(seq, lengths, f"{tag}.reverse_input")
    pre = _project(g, spec, index, seq, tag)
    recurrent = g.const(params.recurrent_weights(spec, index), f"{tag}.recurrent_weights")
    bias = params.reset_bias(spec, index)
    reset_bias = g.const(bias[None, :], f"{tag}.reset_bias") if bias is not None else None
    steps = g.scalar_int(spec.max_seq_length, f"{tag}.steps")

    loop = g.network.add_loop()
    loop.name = f"{g.prefix}.{tag}.loop"
    g.name_layer(loop.add_trip_limit(steps, trt_mod.TripLimit.COUNT), f"{tag}.trip_limit")
    in_reverse = backward and lengths is None

    def iterate(tensor: Tensor, what: str) -> Tensor:
        return g.named(loop.add_iterator(tensor, 1, in_reverse), f"{tag}.{what}_t")

    pre_t = iterate(pre, "pre")
    h_rec = loop.add_recurrence(h0)
    h = g.named(h_rec, f"{tag}.h_prev")
    c_rec = loop.add_recurrence(c0) if c0 is not None else None
    c = g.named(c_rec, f"{tag}.c_prev") if c_rec is not None else None

    h_new, c_new = cells.step(g, spec, pre_t, h, c, recurrent, reset_bias, tag)
    out_t, h_next, c_next = h_new, h_new, c_new
    if masks is not None:  # steps beyond the length: output 0, state frozen
        keep_t, drop_t = iterate(masks[0], "keep"), iterate(masks[1], "drop")
        out_t = g.mul(h_new, keep_t, f"{tag}.out_masked")
        h_next = g.add(out_t, g.mul(h, drop_t, f"{tag}.h_held"), f"{tag}.h_next")
        if c_new is not None:
            c_kept = g.mul(c_new, keep_t, f"{tag}.c_masked")
            c_next = g.add(c_kept, g.mul(c, drop_t, f"{tag}.c_held"), f"{tag}.c_next")
    h_rec.set_input(1, h_next)
    if c_rec is not None:
        c_rec.set_input(1, c_next)

    kind = trt_mod.LoopOutput.REVERSE if in_reverse else trt_mod.LoopOutput.CONCATENATE
    out_layer = loop.add_loop_output(out_t, kind, 1)
    out_layer.set_input(1, steps)
    out = g.named(out_layer, f"{tag}.output")
    h_last = g.named(loop.add_loop_output(h, trt_mod.LoopOutput.LAST_VALUE), f"{tag}.h_last")
    c_last = None
    if c is not None:
        c_last = g.named(loop.add_loop_output(c, trt_mod.LoopOutput.LAST_VALUE), f"{tag}.c_last")
    if backward and lengths is not None:
        out = g.reverse_sequence(out, lengths, f"{tag}.reverse_output")
    return out, h_last, c_last


def _project(g: Graph, spec: RNNSpec, index: int, seq: Tensor, tag: str) -> Tensor:
    """`seq . Wcat + bias` for every step at once: `[N, T, In]` -> `[N, T, G*H]` (SKIP: x per gate)."""
    weights = params.input_weights(spec, index)
    if weights is None:  # SKIP: x is added as is to every gate
        pre = g.concat([seq] * len(spec.gates), 2, f"{tag}.skip_input")
    else:
        w = g.const(weights[None], f"{tag}.input_weights")
        pre = g.matmul(seq, w, f"{tag}.input_matmul")
    bias = g.const(params.input_bias(spec, index)[None, None, :], f"{tag}.input_bias")
    return g.add(pre, bias, f"{tag}.input_projection")


def _leading_dims(spec: RNNSpec, x: Tensor) -> tuple[int, ...]:
    """B... of the input tensor, after checking its rank and its `[T, E]` tail against the spec."""
    shape = tuple(x.shape)
    if len(shape) != len(spec.input_shape):
        raise ShapeError(
            f"input: rank {len(shape)} (shape {shape}); expected {len(spec.input_shape)} = "
            f"len(batch_shape) + 2 for [B..., T, E] with batch_shape {spec.batch_shape}"
        )
    tail = (spec.max_seq_length, spec.data_length)
    if shape[-2:] != tail:
        raise ShapeError(f"input: trailing dims {shape[-2:]}; expected (T, E) = {tail}")
    return shape[:-2]


def _flat_lengths(g: Graph, lengths: Tensor | None) -> Tensor | None:
    """seq_lengths `[B...]` as int32 `[N]`."""
    if lengths is None:
        return None
    if lengths.dtype != g.trt.int32:
        lengths = g.named(g.network.add_cast(lengths, g.trt.int32), "seq_lengths.int32")
    return g.to_rows(lengths, (), "seq_lengths.flatten")


def _step_masks(g: Graph, lengths: Tensor, steps: int) -> tuple[Tensor, Tensor]:
    """keep `[N, T, 1]` = 1.0 where t < len else 0.0, and drop = 1 - keep; computed once, outside loops."""
    times = g.const(np.arange(steps, dtype=np.int32)[None, :, None], "step_mask.times")
    lens = g.reshape(lengths, (0, 1, 1), "step_mask.lengths")
    valid = g.elementwise(times, lens, g.trt.ElementWiseOperation.LESS, "step_mask.valid")
    keep = g.named(g.network.add_cast(valid, g.float_dtype), "step_mask.keep")
    one = g.const(np.ones((1, 1, 1)), "step_mask.one")
    return keep, g.sub(one, keep, "step_mask.drop")


def _flat_state(g: Graph, spec: RNNSpec, state: Tensor | None, what: str) -> Tensor | None:
    """A state input `[B..., L', H]` as `[N, L', H]`."""
    if state is None:
        return None
    shape = tuple(state.shape)
    if len(shape) != len(spec.state_shape) or shape[-2:] != spec.state_shape[-2:]:
        raise ShapeError(
            f"{what}: shape {shape}; expected {spec.state_shape} = (*batch_shape, "
            f"num_layers*directions={spec.num_layer_indices}, hidden_size={spec.hidden_size})"
        )
    if state.dtype != g.float_dtype:
        state = g.named(g.network.add_cast(state, g.float_dtype), f"{what}.cast")
    return g.to_rows(state, (spec.num_layer_indices, spec.hidden_size), f"{what}.flatten")


def _initial(g: Graph, states: Tensor | None, index: int, hidden: int, what: str) -> Tensor:
    """Layer index `index`'s initial state `[N, H]`: a slice of the given states, else zeros."""
    if states is None:
        return g.zeros(hidden, f"{what}.l{index}.zeros")
    return g.gather(states, 1, index, f"{what}.l{index}")


def _stack_states(g: Graph, finals: list[Tensor], hidden: int, what: str) -> Tensor:
    """Final states `[N, H]` per layer index, stacked in layer-index order as `[N, L', H]`."""
    rows = [g.reshape(t, (0, 1, hidden), f"{what}.l{i}.row") for i, t in enumerate(finals)]
    return g.concat(rows, 1, f"{what}.stack") if len(rows) > 1 else rows[0]


class _Restorer:
    """Turns `[N, a, b]` back into `[B..., a, b]`; static dims unless two or more B dims are -1."""

    def __init__(self, g: Graph, x: Tensor, lead: tuple[int, ...]) -> None:
        self.g, self.x, self.lead = g, x, lead
        self._lead_shape: Tensor | None = None

    def __call__(self, t: Tensor, tail: tuple[int, int], what: str) -> Tensor:
        g = self.g
        if self.lead.count(-1) <= 1:
            return g.reshape(t, (*self.lead, *tail), f"{what}.unflatten")
        if self._lead_shape is None:
            shape = g.named(g.network.add_shape(self.x), "input.shape")
            nb = len(self.lead)
            self._lead_shape = g.named(g.network.add_slice(shape, (0,), (nb,), (1,)), "input.leading_dims")
        dims = g.concat(
            [self._lead_shape, g.const(np.array(tail, dtype=np.int64), f"{what}.tail")], 0, f"{what}.shape"
        )
        return g.reshape_to(t, dims, f"{what}.unflatten")

"""`lower`: a whole RNNSpec as one loop per stack layer, on any `Graph` target; `add_rnn`: on TensorRT.

The structure below is defined once, over `trtrnn_loop.graph`'s interface; `trt_target` makes it
TensorRT layers around ILoops (`add_rnn`), other targets (ONNX nodes) make the same structure.

Shape of the lowering (the way cuDNN computes it, not the way the ONNX parser does):
- the leading dims B... are flattened to one batch dim N (restored at the end, with shape layers
  when more than one of them is dynamic);
- both directions of a stack layer run in one loop, side by side on a leading direction axis D:
  tensors are `[D, N, ...]`, the backward direction's input reversed in time beforehand so one
  forward iteration serves both (add_rnn), or read backward by the loop itself (`reverse_iterators`:
  a reverse iterator in, a reversed loop output out; what `rewrite` emits, see `lower`);
- the input projection `x . Wcat + bias` of all T steps and both directions is ONE batched matmul
  outside the loop; the loop body holds ONE fused recurrent matmul (`[D, N, H] . [D, H, G*H]`, all
  gates, both directions) plus the pointwise math;
- sequence lengths (SEMANTICS §5): a keep/drop mask per step, computed once outside the loops, zeroes
  output 0 and freezes the state beyond each length; the backward direction reverses the first `len`
  steps of its input and of its output (IReverseSequenceLayer), so it starts at step `len-1` (walking
  backward, it meets the steps beyond `len` first, and the frozen state is the initial one); a
  `reverse` spec's one direction is lowered the same way; the final states are multiplied by
  `len > 0` (an empty sequence's are 0, docs/semantics.md §2.4);
- the extensions (peepholes, clip, activations, input_forget, GRU lbr=0, projection) live in the step
  (cells.py) and add no matmul of the full gate width.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from trtrnn.backend import Network, RNNInputs, RNNOutputs, Tensor
from trtrnn.enums import RNNGateType, RNNOperation
from trtrnn.errors import ShapeError, SpecError
from trtrnn.spec import Feature, RNNSpec
from trtrnn_loop import cells, padding, params
from trtrnn_loop.graph import STEPS, Graph
from trtrnn_loop.trt_target import TrtGraph

DIRECTION_TAGS = ("fwd", "bwd")
#: Spec features this lowering does not build (refused, never ignored): the backend's `unsupported`.
NOT_YET_LOWERED: dict[Feature, str] = {}
#: The first layer every add_rnn adds (`<name>.input.flatten`): how a used name is recognised.
INPUT_FLATTEN = "input.flatten"


def add_rnn(network: Network, spec: RNNSpec, inputs: RNNInputs, *, name: str | None = None) -> RNNOutputs:
    """Add `spec`'s RNN to `network`, fed by `inputs`; return output 0, final hidden (and cell).

    The public lowering the rnn-v2 and rnn-legacy backends call; its signature is stable.
    - `inputs.input` is `[B..., T, E]` with `len(spec.batch_shape)` leading dims, any of them -1
      (dynamic, with an optimization profile); float32 or float16 (weights follow its dtype).
    - `inputs.seq_lengths` `[B...]` int32, `inputs.hidden_state` / `inputs.cell_state` `[B..., L', H]`:
      network inputs or constants; None means all T / zeros. The spec's own arrays are not read:
      they are the data a caller feeds to these tensors.
    - Outputs have exactly the add_rnn_v2 shapes (SEMANTICS §4): `[B..., T, K*H]`, `[B..., L', H]`,
      and for LSTM `[B..., L', H]`.
    Layers are named `<name>.l<stack layer>.<what>` (e.g. `rnn.l0.recurrent_matmul`, `rnn.l1.loop`);
    `name` defaults to the first unused of `rnn`, `rnn_1`, `rnn_2`, ... so several RNNs share a network.
    Raises SpecError / ShapeError when the spec, the tensors or an explicit `name` break the contract.
    """
    return lower(TrtGraph(network, _prefix(network, name), inputs.input.dtype), spec, inputs)


def lower(
    g: Graph,
    spec: RNNSpec,
    inputs: RNNInputs,
    *,
    dynamic_steps: bool = False,
    min_hidden: int = padding.MIN_HIDDEN,
    reverse_iterators: bool = False,
) -> RNNOutputs:
    """`spec`'s RNN built by `g` (any target) from `inputs`, in the add_rnn_v2 contract (see add_rnn).

    With `dynamic_steps` T is read from the input at run time (its T dim may be -1) and
    `spec.max_seq_length` is not used; otherwise the input's T must be `spec.max_seq_length`.
    A hidden size below `min_hidden` is computed at `min_hidden` with exactly-neutral zero units and
    the real ones cut out at the end (`trtrnn_loop.padding`: TensorRT's builder hangs on tinier loop
    states); `min_hidden=1` builds the loops at the spec's own size.
    With `reverse_iterators` a backward direction walks the loop from the last step (a reverse
    iterator over the projection, a reversed loop output) instead of running forward over a
    time-reversed copy of the input; its steps beyond a length are then the first it sees, and the
    step masks leave its state at the initial one through them (no ReverseSequence at all). Measured
    on TensorRT-RTX 1.7: through the ONNX parser with a dynamic T this builds faster and smaller (the
    builder unrolled the loop over reversed copies 8 times: bench_rewrite.py); with add_rnn's static
    T it holds 3 more layers per loop body and 1.02-1.10x the engine bytes, no faster to build
    (bench_loop.py --reverse-iterators), so add_rnn keeps the reversed copies.
    """
    spec.validate()
    x = inputs.input
    if inputs.cell_state is not None and spec.op != RNNOperation.LSTM:
        raise SpecError(f"cell_state: only LSTM has a cell state; op is {spec.op.name}")
    if x.dtype not in (g.native_dtype("float32"), g.native_dtype("float16")):
        raise ShapeError(
            f"input: dtype {x.dtype}; expected float32 or float16 (the RNN computes in its type)"
        )
    lead = _leading_dims(spec, x, dynamic_steps)
    hidden = spec.hidden_size
    g.set_steps(x, len(lead), None if dynamic_steps else spec.max_seq_length)

    seq = g.reshape(x, (-1, STEPS, spec.data_length), INPUT_FLATTEN)
    g.set_rows(seq, None if -1 in lead else math.prod(lead))
    int32 = g.native_dtype("int32")
    lengths_in = _checked(inputs.seq_lengths, "seq_lengths", lead, (), int32, "(*the input's leading dims)")
    if lengths_in is not None and g.steps is not None:
        rule = f"docs/semantics.md §4, §2.4: 0..max_seq_length={g.steps}"
        g.declare_range(lengths_in, 0, g.steps, "seq_lengths", rule)
    lengths = _flat_lengths(g, lengths_in)
    masks = _step_masks(g, lengths) if lengths is not None else None
    states = {}
    for what, tail in (("hidden_state", spec.state_shape[-2:]), ("cell_state", spec.cell_shape[-2:])):
        size = "proj_size" if spec.proj_size and what == "hidden_state" else "hidden_size"
        meaning = f"(*the input's leading dims, num_layers*directions={tail[0]}, {size}={tail[1]})"
        checked = _checked(getattr(inputs, what), what, lead, tail, x.dtype, meaning)
        states[what] = _flat_state(g, spec, checked, tail[1], what)
    h0, c0 = states["hidden_state"], states["cell_state"]
    nonempty = _nonempty(g, lengths) if lengths is not None else None

    width = padding.padded_width(spec, min_hidden)
    real = spec
    if width != hidden:  # from here on the loops see `width` units, the real ones first
        spec = padding.pad_hidden(real, width)
        if spec.data_length != real.data_length:  # SKIP adds x to the gates: x gets zero columns too
            seq = _widened(g, seq, real.data_length, width, "input.padded")
    finals_h: list[Tensor] = []
    finals_c: list[Tensor] = []
    for stack in range(spec.num_layers):

        def initial(states: Tensor | None, what: str, cell: bool = False, stack: int = stack) -> Tensor:
            source = real if states is not None else spec  # padded units start at 0
            size = source.hidden_size if cell else source.output_size  # h: P wide with a projection
            value = _initial(g, source, states, stack, size, what)
            full = spec.hidden_size if cell else spec.output_size
            if states is None or size == full:
                return value
            return _widened(g, value, size, full, f"{what}.l{stack}.padded")

        seq, h_last, c_last = _stack_layer(
            g, spec, stack, seq, lengths, masks, initial(h0, "h0"),
            initial(c0, "c0", cell=True) if spec.op == RNNOperation.LSTM else None, nonempty,
            reverse_iterators,
        )  # fmt: skip
        finals_h.append(h_last)
        if c_last is not None:
            finals_c.append(c_last)

    def real_units(t: Tensor, columns: list[int], what: str) -> Tensor:
        return t if width == hidden else g.gather(t, 2, columns, f"{what}.real_units")

    units = list(range(hidden))
    restore = _Restorer(g, x, lead)
    out = real_units(seq, padding.real_columns(hidden, width, spec.num_directions), "output")
    output = restore(out, (STEPS, spec.num_directions * real.output_size), "output")
    h_all = real_units(_stack_states(g, finals_h, "hidden"), units, "hidden")
    h_all = restore(h_all, (spec.num_layer_indices, real.output_size), "hidden")
    c_all = None
    if finals_c:
        c_all = real_units(_stack_states(g, finals_c, "cell"), units, "cell")
        c_all = restore(c_all, (spec.num_layer_indices, hidden), "cell")
    return RNNOutputs(output, h_all, c_all)


def _widened(g: Graph, t: Tensor, size: int, width: int, name: str) -> Tensor:
    """`t` `[..., size]` as `[..., width]` with zeros after its `size` columns (exact, any shape):
    column 0 repeated into the new columns, then multiplied by a 1...1 0...0 mask."""
    spread = g.gather(t, len(t.shape) - 1, [*range(size), *[0] * (width - size)], f"{name}.spread")
    mask = np.zeros((1,) * (len(t.shape) - 1) + (width,))
    mask[..., :size] = 1.0
    return g.mul(spread, g.const(mask, f"{name}.mask"), name)


def _prefix(network: Network, name: str | None) -> str:
    """`name`, or the first free default; a name already used by another add_rnn is an error."""
    taken = {network.get_layer(i).name for i in range(network.num_layers)}
    if name is not None:
        if f"{name}.{INPUT_FLATTEN}" in taken:
            raise SpecError(
                f"name: layer names must be unique in a network; expected a prefix no other add_rnn "
                f"used, got {name!r} (layer '{name}.{INPUT_FLATTEN}' exists)"
            )
        return name
    candidates = (f"rnn_{i}" if i else "rnn" for i in itertools.count())
    return next(p for p in candidates if f"{p}.{INPUT_FLATTEN}" not in taken)


def _stack_layer(
    g: Graph,
    spec: RNNSpec,
    stack: int,
    seq: Tensor,
    lengths: Tensor | None,
    masks: tuple[Tensor, Tensor] | None,
    h0: Tensor,
    c0: Tensor | None,
    nonempty: Tensor | None = None,
    reverse_iterators: bool = False,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Stack layer `stack` over `seq` `[N, T, In]`: output `[N, T, D*H]`, final h and c `[N, D, H]`
    (H is P for h and output with a projection).

    A backward direction either runs forward over its input reversed in time (the first `len` steps
    of each row; its output reversed back) or, with `reverse_iterators`, walks the loop backward."""
    dirs = spec.num_directions
    backward = [d == 1 or spec.reverse for d in range(dirs)]
    walk_back = reverse_iterators and any(backward)
    indices = _indices(spec, stack)
    width = spec.layer_input_size(indices[0])
    tag = f"l{stack}"
    if walk_back:  # every direction projects the same input: [1, N, T, In] . [D, 1, In, G*H]
        inputs = g.to_rows(seq, (1,), (STEPS, width), f"{tag}.input")
    else:
        per_direction = []
        for d in range(dirs):
            x_d = _reverse_time(g, seq, lengths, f"{tag}.bwd.reverse_input") if backward[d] else seq
            per_direction.append(g.to_rows(x_d, (1,), (STEPS, width), f"{tag}.{DIRECTION_TAGS[d]}.input"))
        inputs = g.concat(per_direction, 0, f"{tag}.inputs")
    pre = _project(g, spec, stack, inputs, tag)  # [D, N, T, G*H]
    weights = _step_weights(g, spec, indices, tag)
    if walk_back and dirs > 1:
        pre_d = [g.gather(pre, 0, [d], f"{tag}.{DIRECTION_TAGS[d]}.pre") for d in range(dirs)]
    else:
        pre_d = [pre]

    with g.loop(tag) as loop:

        def at_step(parts: list[Tensor], what: str) -> Tensor:
            """`[D or 1, N, T, C]` parts (one per direction, or one for all) at this step: `[D, N, C]`."""
            if not walk_back:
                return loop.iterate(parts[0], 2, f"{tag}.{what}")
            if dirs == 1:
                return loop.iterate(parts[0], 2, f"{tag}.{what}", reverse=True)
            steps = [
                loop.iterate(
                    parts[min(d, len(parts) - 1)], 2, f"{tag}.{DIRECTION_TAGS[d]}.{what}", backward[d]
                )
                for d in range(dirs)
            ]
            return g.concat(steps, 0, f"{tag}.{what}")

        pre_t = at_step(pre_d, "pre_t")
        h = loop.recurrence(h0, f"{tag}.h_prev")
        c = loop.recurrence(c0, f"{tag}.c_prev") if c0 is not None else None

        h_new, c_new = cells.step(g, spec, pre_t, h, c, weights, tag)
        out_t, h_next, c_next = h_new, h_new, c_new
        if masks is not None:  # steps beyond the length: output 0, state frozen
            keep_t, drop_t = at_step([masks[0]], "keep_t"), at_step([masks[1]], "drop_t")
            out_t = g.mul(h_new, keep_t, f"{tag}.out_masked")
            h_next = g.add(out_t, g.mul(h, drop_t, f"{tag}.h_held"), f"{tag}.h_next")
            if c_new is not None:
                c_kept = g.mul(c_new, keep_t, f"{tag}.c_masked")
                c_next = g.add(c_kept, g.mul(c, drop_t, f"{tag}.c_held"), f"{tag}.c_next")
        loop.set_next(h, h_next)
        if c is not None:
            loop.set_next(c, c_next)

        if walk_back and dirs > 1:  # each direction's output, stacked in its own order: [N, T, H]
            outs = [
                loop.stacked(
                    g.gather(out_t, 0, d, f"{tag}.{DIRECTION_TAGS[d]}.out_t"), 1,
                    f"{tag}.{DIRECTION_TAGS[d]}.output", backward[d],
                )
                for d in range(dirs)
            ]  # fmt: skip
        else:
            out = loop.stacked(out_t, 2, f"{tag}.loop_output", walk_back)  # [D, N, T, H]
        h_last = loop.last(h, f"{tag}.h_last")
        c_last = loop.last(c, f"{tag}.c_last") if c is not None else None
    if not (walk_back and dirs > 1):
        outs = []
        for d in range(dirs):
            out_d = g.gather(out, 0, d, f"{tag}.{DIRECTION_TAGS[d]}.output")
            if backward[d] and not walk_back:
                out_d = _reverse_time(g, out_d, lengths, f"{tag}.bwd.reverse_output")
            outs.append(out_d)

    def by_row(value: Tensor, what: str) -> Tensor:
        if nonempty is not None:  # an empty sequence ends with zero states, not the initial ones
            value = g.mul(value, nonempty, f"{tag}.{what}_last.nonempty")
        return g.transpose(value, (1, 0, 2), f"{tag}.{what}_last.by_row")  # [N, D, H]

    c_final = by_row(c_last, "c") if c_last is not None else None
    return g.concat(outs, 2, f"{tag}.output"), by_row(h_last, "h"), c_final


def _step_weights(g: Graph, spec: RNNSpec, indices: range, tag: str) -> cells.StepWeights:
    """The constants of one stack layer's step, stacked over its directions."""

    def stacked(arrays: list[np.ndarray | None], what: str, vector: bool = False) -> Tensor | None:
        if arrays[0] is None:
            return None
        array = np.stack(arrays)
        return g.const(array[:, None, :] if vector else array, f"{tag}.{what}")

    weights = cells.StepWeights(
        recurrent=stacked([params.recurrent_weights(spec, i) for i in indices], "recurrent_weights"),
        activations=[spec.activation_functions(i) for i in indices],
        reset_bias=stacked([params.reset_bias(spec, i) for i in indices], "reset_bias", vector=True),
        hidden_recurrent=stacked(
            [params.hidden_recurrent_weights(spec, i) for i in indices], "hidden_recurrent_weights"
        ),
        projection=stacked([params.projection_weights(spec, i) for i in indices], "projection_weights"),
    )
    for gate, what in ((RNNGateType.INPUT, "i"), (RNNGateType.FORGET, "f"), (RNNGateType.OUTPUT, "o")):
        vectors = [params.peephole(spec, i, gate) for i in indices]
        if vectors[0] is not None:
            weights.peepholes[gate] = stacked(vectors, f"peephole_{what}", vector=True)
    return weights


def _nonempty(g: Graph, lengths: Tensor) -> Tensor:
    """`[1, N, 1]`: 1.0 where the length is > 0, else 0.0 (computed once, outside the loops)."""
    lens = g.to_rows(lengths, (1,), (1,), "nonempty.lengths")
    zero = g.const(np.zeros((1, 1, 1), np.int32), "nonempty.zero")
    return g.to_float(g.elementwise(zero, lens, "LESS", "nonempty.valid"), "nonempty")


def _indices(spec: RNNSpec, stack: int) -> range:
    """The layer indices of stack layer `stack`, in direction order (forward 2k, backward 2k+1)."""
    return range(stack * spec.num_directions, (stack + 1) * spec.num_directions)


def _reverse_time(g: Graph, x: Tensor, lengths: Tensor | None, name: str) -> Tensor:
    """`x` `[N, T, C]` with the first `len` steps of each row reversed (all T without lengths)."""
    if lengths is not None:
        return g.reverse_sequence(x, lengths, name)
    return g.reverse_steps(x, 1, name)


def _project(g: Graph, spec: RNNSpec, stack: int, inputs: Tensor, tag: str) -> Tensor:
    """`x . Wcat + bias` for every step and direction at once: `[D, N, T, In]` -> `[D, N, T, G*H]`.

    SKIP (stack layer 0): x itself for every gate, plus the bias.
    """
    indices = _indices(spec, stack)
    if spec.has_input_weights(indices[0]):
        weights = np.stack([params.input_weights(spec, i) for i in indices])[:, None]  # [D, 1, In, G*H]
        pre = g.matmul(inputs, g.const(weights, f"{tag}.input_weights"), f"{tag}.input_matmul")
    else:
        pre = g.concat([inputs] * len(spec.gates), 3, f"{tag}.skip_input")
    bias = np.stack([params.input_bias(spec, i) for i in indices])[:, None, None, :]
    return g.add(pre, g.const(bias, f"{tag}.input_bias"), f"{tag}.input_projection")


def _leading_dims(spec: RNNSpec, x: Tensor, dynamic_steps: bool = False) -> tuple[int, ...]:
    """B... of the input tensor, after checking its rank and its `[T, E]` tail against the spec
    (any T with `dynamic_steps`)."""
    shape = tuple(x.shape)
    if len(shape) != len(spec.input_shape):
        raise ShapeError(
            f"input: rank {len(shape)} (shape {shape}); expected {len(spec.input_shape)} = "
            f"len(batch_shape) + 2 for [B..., T, E] with batch_shape {spec.batch_shape}"
        )
    tail = (spec.max_seq_length, spec.data_length)
    if dynamic_steps and shape[-1] == spec.data_length:
        return shape[:-2]
    if shape[-2:] != tail:
        raise ShapeError(f"input: trailing dims {shape[-2:]}; expected (T, E) = {tail}")
    return shape[:-2]


def _checked(
    tensor: Tensor | None,
    what: str,
    lead: tuple[int, ...],
    tail: tuple[int, ...],
    dtype: object,
    meaning: str,
) -> Tensor | None:
    """`tensor` if it is `[B..., *tail]` of `dtype` with the input's leading dims B... (-1 matches any);
    else ShapeError. IRNNv2Layer took lengths as int32 and states in the input's type, so does this."""
    if tensor is None:
        return None
    shape = tuple(tensor.shape)
    fits = len(shape) == len(lead) + len(tail) and shape[len(lead) :] == tail
    if not (fits and all(a == b or -1 in (a, b) for a, b in zip(shape, lead))):
        raise ShapeError(
            f"{what}: shape {shape}; expected {(*lead, *tail)} = {meaning} (-1 matches any size)"
        )
    if tensor.dtype != dtype:
        raise ShapeError(
            f"{what}: dtype {tensor.dtype}; expected {dtype} (lengths: int32; states: the input's type)"
        )
    return tensor


def _flat_lengths(g: Graph, lengths: Tensor | None) -> Tensor | None:
    """seq_lengths `[B...]` as `[N]`."""
    if lengths is None:
        return None
    return g.to_rows(lengths, (), (), "seq_lengths.flatten")


def _step_masks(g: Graph, lengths: Tensor) -> tuple[Tensor, Tensor]:
    """keep `[1, N, T, 1]` = 1.0 where t < len else 0.0, and drop = 1 - keep; computed once, outside loops."""
    times = g.positions((1, 1, STEPS, 1), 2, "step_mask.times")
    lens = g.to_rows(lengths, (1,), (1, 1), "step_mask.lengths")
    valid = g.elementwise(times, lens, "LESS", "step_mask.valid")
    keep = g.to_float(valid, "step_mask.keep")
    one = g.const(np.ones((1, 1, 1, 1)), "step_mask.one")
    return keep, g.sub(one, keep, "step_mask.drop")


def _flat_state(g: Graph, spec: RNNSpec, state: Tensor | None, width: int, what: str) -> Tensor | None:
    """A checked state input `[B..., L', W]` as `[N, L', W]` (W: H, or P for h with a projection)."""
    if state is None:
        return None
    return g.to_rows(state, (), (spec.num_layer_indices, width), f"{what}.flatten")


def _initial(g: Graph, spec: RNNSpec, states: Tensor | None, stack: int, width: int, what: str) -> Tensor:
    """Stack layer `stack`'s initial states `[D, N, W]`: its rows of `states` `[N, L', W]`, else zeros."""
    if states is None:
        return g.zeros((spec.num_directions,), width, f"{what}.l{stack}.zeros")
    rows = g.gather(states, 1, list(_indices(spec, stack)), f"{what}.l{stack}")
    return g.transpose(rows, (1, 0, 2), f"{what}.l{stack}.by_direction")


def _stack_states(g: Graph, finals: list[Tensor], what: str) -> Tensor:
    """Final states `[N, D, H]` per stack layer, in layer-index order as `[N, L', H]`."""
    return g.concat(finals, 1, f"{what}.stack")


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
            self._lead_shape = g.shape_slice(self.x, 0, len(self.lead), "input.leading_dims")
        tail_dims = g.dims(tail)
        if STEPS in tail_dims:
            raise ShapeError("input: two or more dynamic leading dims need T at build time")
        dims = g.concat(
            [self._lead_shape, g.const(np.array(tail_dims, dtype=np.int64), f"{what}.tail")],
            0,
            f"{what}.shape",
        )
        return g.reshape_to(t, dims, f"{what}.unflatten")

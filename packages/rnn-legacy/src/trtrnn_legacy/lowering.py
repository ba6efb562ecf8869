"""The legacy layer on a TensorRT without IRNNLayer: sequence-major tensors around the registered lowering.

Legacy tensors are `[I?, T, N, E]` / `[I?, L', N, H]`, where `I` is the implicit batch (present in an
`ImplicitBatchNetwork`'s real network, absent in a plain explicit network). The add_rnn_v2 contract
that rnn-loop implements is batch-major, `[B..., T, E]` / `[B..., L', H]`: swapping the two axes
before `T`/`L'` and `N` maps one onto the other with B... = (I?, N), so every tensor goes through the
same transpose on the way in and on the way out. Items of `I` are independent problems (§6).
"""

from __future__ import annotations

import numpy as np

from trtrnn import registry
from trtrnn.backend import DYNAMIC, Network, RNNInputs, RNNOutputs, Tensor, dims_of
from trtrnn.errors import ShapeError
from trtrnn.network import keep_alive
from trtrnn.spec import RNNSpec

#: Legacy tensors are rank 3 plus at most one implicit batch dim.
BASE_RANK = 3


def batch_shape(x: Tensor) -> tuple[int, ...]:
    """The RNNSpec batch_shape (I?, N) of a legacy input `[I?, T, N, E]`; dynamic dims count as 1."""
    dims = dims_of(x)
    lead = (*dims[:-3], dims[-2])
    return tuple(1 if d == DYNAMIC else d for d in lead)


def _swap(network: Network, tensor: Tensor, name: str) -> Tensor:
    """Swap the axes -3 and -2 (T <-> N, L' <-> N)."""
    rank = len(tensor.shape)
    perm = list(range(rank))
    perm[-3], perm[-2] = perm[-2], perm[-3]
    layer = network.add_shuffle(tensor)
    layer.first_transpose = tuple(perm)
    layer.name = name
    return layer.get_output(0)


def _state(
    network: Network, spec: RNNSpec, x: Tensor, state: Tensor | None, field: str, name: str
) -> Tensor | None:
    """A legacy state `[I?, L', N, H]` as the contract's `[I?, N, L', H]`.

    A state without the implicit batch (a constant in an ImplicitBatchNetwork has a leading 1) is
    broadcast to the input's batch with a stride-0 slice, as implicit batch broadcast constants.
    """
    if state is None:
        return None
    x_dims, dims = dims_of(x), dims_of(state)
    lead = len(x_dims) - BASE_RANK
    want = (*x_dims[:lead], spec.num_layer_indices, x_dims[-2], spec.hidden_size)
    tail_ok = len(dims) == len(want) and all(
        DYNAMIC in (d, w) or d == w for d, w in zip(dims[lead:], want[lead:])
    )
    if not tail_ok or any(d not in (w, 1, DYNAMIC) for d, w in zip(dims[:lead], want[:lead])):
        raise ShapeError(
            f"{field}: shape {dims}; expected {want} = (*implicit batch, L'={spec.num_layer_indices}, "
            f"N, H={spec.hidden_size}) (-1 = any; a leading 1 is broadcast over the implicit batch)"
        )
    if state.dtype != x.dtype:
        raise ShapeError(f"{field}: dtype {state.dtype}; expected the input's {x.dtype}")
    if lead and dims[0] == 1 and x_dims[0] != 1:
        state = _broadcast_batch(network, state, x, f"{name}.{field}.broadcast")
    return _swap(network, state, f"{name}.{field}.to_batch_major")


def _broadcast_batch(network: Network, state: Tensor, x: Tensor, name: str) -> Tensor:
    """`state` `[1, ...]` repeated along axis 0 to `x`'s (possibly dynamic) batch."""
    rest = np.asarray(dims_of(state)[1:], dtype=np.int64)
    keep_alive(network, rest)
    x_shape = network.add_shape(x).get_output(0)
    batch = network.add_slice(x_shape, (0,), (1,), (1,))
    batch.name = f"{name}.batch"
    tail = network.add_constant((len(rest),), rest)
    tail.name = f"{name}.tail"
    size = network.add_concatenation([batch.get_output(0), tail.get_output(0)])
    size.axis = 0
    size.name = f"{name}.size"
    rank = len(rest) + 1
    layer = network.add_slice(state, (0,) * rank, (1,) * rank, (0,) + (1,) * (rank - 1))
    layer.set_input(2, size.get_output(0))
    layer.name = name
    return layer.get_output(0)


def add_rnn(
    network: Network, spec: RNNSpec, x: Tensor, hidden: Tensor | None, cell: Tensor | None, *, name: str
) -> RNNOutputs:
    """The validated `spec` on legacy tensors; outputs `[I?, T, N, K*H]`, `[I?, L', N, H]` (x2 for LSTM).

    The batch-major RNN itself comes from the registered lowering (rnn-loop's public `add_rnn` by
    default), found through core's registry.
    """
    inputs = RNNInputs(
        input=_swap(network, x, f"{name}.input.to_batch_major"),
        hidden_state=_state(network, spec, x, hidden, "hidden_state", name),
        cell_state=_state(network, spec, x, cell, "cell_state", name),
    )
    out = registry.lowering().build(network, spec, inputs, name=name)
    back = [
        None if t is None else _swap(network, t, f"{name}.{what}.to_sequence_major")
        for t, what in ((out.output, "output"), (out.hidden, "hidden"), (out.cell, "cell"))
    ]
    return RNNOutputs(*back)

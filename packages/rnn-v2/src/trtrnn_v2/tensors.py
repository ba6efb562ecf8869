"""Fitting the optional tensors (lengths, states) to the add_rnn_v2 layout `[B..., L', H]` / `[B...]`.

TensorRT 8 accepted the seed's `hidden_state` of shape `(3, 1, 5)` for an input `(1, 3, 4, 7)`: the
state lacked the input's leading 1. trtrnn accepts the same: a tensor whose shape right-aligns with the
expected one once leading 1s are prepended is reshaped to the full rank here, so the lowering only
ever sees the contract's shapes (SEMANTICS.md §4).
"""

from __future__ import annotations

from trtrnn.backend import Network, Tensor
from trtrnn.errors import ShapeError

DYNAMIC = -1


def dims_of(tensor: Tensor) -> tuple[int, ...]:
    """A tensor's dims as a tuple of ints (-1 where dynamic)."""
    return tuple(int(d) for d in tensor.shape)


def fit(network: Network, tensor: Tensor, expected: tuple[int, ...], field: str, name: str) -> Tensor:
    """`tensor`, reshaped to `expected`'s rank if it omits leading 1s; ShapeError if it cannot match.

    Dims match when equal or when either is -1 (checked again by TensorRT at run time). The omitted
    leading dims must be 1 in `expected`. `name` names the reshape layer, if one is needed.
    """
    dims = dims_of(tensor)
    missing = len(expected) - len(dims)
    tail = expected[missing:] if missing >= 0 else ()
    if (
        missing < 0
        or any(e != 1 for e in expected[:missing])
        or any(d != e and DYNAMIC not in (d, e) for d, e in zip(dims, tail))
    ):
        raise ShapeError(
            f"{field}: shape {dims}; expected {expected} (-1 = any), or the same without leading 1s "
            "(TensorRT 8 accepted those too)"
        )
    if missing == 0:
        return tensor
    if dims.count(DYNAMIC) > 1:
        raise ShapeError(
            f"{field}: shape {dims} omits leading dims and has several dynamic dims, so it cannot be "
            f"reshaped statically; pass a tensor of rank {len(expected)} shaped {expected}"
        )
    shuffle = network.add_shuffle(tensor)
    shuffle.reshape_dims = (1,) * missing + dims
    shuffle.name = f"{name}: {field} to rank {len(expected)}"
    return shuffle.get_output(0)

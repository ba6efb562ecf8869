"""Fitting the optional tensors (lengths, states) to the add_rnn_v2 layout `[B..., L', H]` / `[B...]`.

TensorRT 8 accepted the seed's `hidden_state` of shape `(3, 1, 5)` for an input `(1, 3, 4, 7)`: the
state lacked the input's leading 1. trtrnn accepts that, and its mirror image (a `(1,)` length tensor
for an input with no leading dims): shapes that agree once leading 1s are added or removed are
reshaped here, so the lowering only ever sees the contract's shapes (SEMANTICS.md §4).
"""

from __future__ import annotations

from trtrnn.backend import DYNAMIC, Network, Tensor, dims_of
from trtrnn.errors import ShapeError


def fit(network: Network, tensor: Tensor, expected: tuple[int, ...], field: str, name: str) -> Tensor:
    """`tensor` reshaped to `expected`'s rank if the two differ only by leading 1s; else ShapeError.

    Shapes are compared right-aligned; dims match when equal or when either is -1 (TensorRT checks
    again at run time); the dims only one side has must be 1. `name` names the reshape layer.
    """
    dims = dims_of(tensor)
    common = min(len(dims), len(expected))
    only_tensor, tail = dims[: len(dims) - common], dims[len(dims) - common :]
    only_expected, expected_tail = expected[: len(expected) - common], expected[len(expected) - common :]
    if any(d != 1 for d in only_tensor + only_expected) or any(
        d != e and DYNAMIC not in (d, e) for d, e in zip(tail, expected_tail)
    ):
        raise ShapeError(
            f"{field}: shape {dims}; expected {expected} (-1 = any), give or take leading 1s "
            "(TensorRT 8 accepted states without the input's leading 1s)"
        )
    if len(dims) == len(expected):
        return tensor
    target = only_expected + tail
    if target.count(DYNAMIC) > 1:
        raise ShapeError(
            f"{field}: shape {dims} differs from {expected} in rank and has several dynamic dims, so it "
            f"cannot be reshaped statically; pass a tensor of rank {len(expected)}"
        )
    shuffle = network.add_shuffle(tensor)
    shuffle.reshape_dims = target
    shuffle.name = f"{name}.{field}.to_rank_{len(expected)}"
    return shuffle.get_output(0)

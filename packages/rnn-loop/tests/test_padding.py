"""Padding tiny hidden sizes is exact: the numpy reference on the padded spec gives the same numbers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from trtrnn import RNNSpec
from trtrnn.reference import forward
from trtrnn_loop.padding import MIN_HIDDEN, pad_hidden, padded_width, real_columns

CASES = list(
    itertools.product(("RELU", "TANH", "LSTM", "GRU"), ("UNIDIRECTION", "BIDIRECTION"), ("LINEAR", "SKIP"))
)


@pytest.mark.parametrize(("op", "direction", "mode"), CASES)
def test_padded_spec_gives_the_same_outputs(op: str, direction: str, mode: str) -> None:
    spec = RNNSpec.random(
        3, op=op, hidden_size=3, max_seq_length=5, num_layers=2, direction=direction, input_mode=mode,
        batch_shape=(3,), seq_lengths="ragged", states=True, scale=1.5,
    )  # fmt: skip
    x = spec.random_input(4)
    width = padded_width(spec)
    assert width == MIN_HIDDEN
    padded = pad_hidden(spec, width).validate()
    x_padded = x if mode == "LINEAR" else np.pad(x, [(0, 0), (0, 0), (0, width - 3)])
    got, want = forward(padded, x_padded), forward(spec, x)
    np.testing.assert_array_equal(got.output[..., real_columns(3, width, spec.num_directions)], want.output)
    np.testing.assert_array_equal(got.hidden[..., :3], want.hidden)
    assert not got.hidden[..., 3:].any()  # the padded units stayed exactly zero
    if want.cell is not None:
        np.testing.assert_array_equal(got.cell[..., :3], want.cell)
        assert not got.cell[..., 3:].any()


def test_wide_enough_specs_are_left_alone() -> None:
    spec = RNNSpec.random(0, hidden_size=MIN_HIDDEN)
    assert padded_width(spec) == MIN_HIDDEN and pad_hidden(spec, MIN_HIDDEN) is spec
    with pytest.raises(ValueError, match="width"):
        pad_hidden(spec, MIN_HIDDEN - 1)

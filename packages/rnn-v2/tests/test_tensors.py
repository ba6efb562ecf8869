"""`fit`: optional tensors that omit leading 1s (as the seed's states do) get the contract's rank."""

from __future__ import annotations

import pytest

from trtrnn import trt
from trtrnn.errors import ShapeError
from trtrnn_v2.tensors import fit


def _input(network, shape):
    return network.add_input(f"t{network.num_inputs}", trt.load().float32, shape)


def test_seed_state_without_the_leading_one_is_reshaped(network):
    # The seed's hidden_state (cIn, 1, lenH) = (3, 1, 5) for an input (1, 3, 4, 7).
    state = _input(network, (3, 1, 5))
    fitted = fit(network, state, (1, 3, 1, 5), "hidden_state", "rnn")
    assert tuple(fitted.shape) == (1, 3, 1, 5)
    assert network.num_layers == 1  # one shuffle


def test_extra_leading_ones_are_dropped(network):
    # A (1,) length tensor for an input [T, E] with no leading dims, whose lengths are 0-D.
    lengths = network.add_input("lengths", trt.load().int32, (1,))
    assert tuple(fit(network, lengths, (), "seq_lengths", "rnn").shape) == ()
    state = _input(network, (1, 1, 2, 5))
    assert tuple(fit(network, state, (2, 5), "hidden_state", "rnn").shape) == (2, 5)


def test_full_rank_tensor_is_used_as_is(network):
    state = _input(network, (1, 3, 2, 5))
    assert fit(network, state, (1, 3, 2, 5), "hidden_state", "rnn") is state
    assert network.num_layers == 0


def test_dynamic_dims_match_anything(network):
    lengths = _input(network, (-1,))
    assert fit(network, lengths, (-1,), "seq_lengths", "rnn") is lengths
    state = _input(network, (-1, 2, 5))
    assert tuple(fit(network, state, (1, -1, 2, 5), "hidden_state", "rnn").shape) == (1, -1, 2, 5)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((3, 2, 5), (1, 3, 1, 5)),  # wrong L'
        ((2, 3, 1, 5), (1, 3, 1, 5)),  # wrong leading dim
        ((2, 3, 1, 5), (3, 1, 5)),  # an extra leading dim that is not 1
        ((1, 5), (2, 3, 1, 5)),  # omitted leading dims are not 1
    ],
)
def test_mismatches_name_field_expected_and_got(network, shape, expected):
    with pytest.raises(
        ShapeError,
        match=rf"hidden_state: shape {tuple(shape)}; expected {expected}".replace("(", r"\(").replace(
            ")", r"\)"
        ),
    ):
        fit(network, _input(network, shape), expected, "hidden_state", "rnn")


def test_several_dynamic_dims_cannot_be_reshaped_statically(network):
    with pytest.raises(ShapeError, match=r"several dynamic dims"):
        fit(network, _input(network, (-1, -1, 5)), (1, -1, -1, 5), "cell_state", "rnn")

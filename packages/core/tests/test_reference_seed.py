"""`trtrnn.reference` against the seed's printed tables (golden data) and SEMANTICS.md §9's errata.

The h0 = 1 variants are not printed by the seed; their values are recomputed here from the LSTM
equations in closed form (all weights are ones and the biases zero, so every unit of a step holds
the same scalar), never from trtrnn's own output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from trtrnn import reference
from trtrnn.errors import ShapeError
from trtrnn.seed import LEGACY_SEED_CASE, SEED_CASES, SeedCase

SEED_TABLES = (
    "initial",
    "seq_lengths",
    "op",
    "input_mode",
    "direction",
    "hidden_state",
    "cell_state",
    "bidirectional_lstm",
    "multi_layer",
)
ERRATA_VARIANTS = ("cell_state_h0_ones", "bidirectional_lstm_h0_ones")


def _check(case: SeedCase, got: dict[str, np.ndarray]) -> None:
    assert set(got) == set(case.expected), case.name
    for name, want in case.expected.items():
        assert got[name].shape == want.shape, (case.name, name)
        np.testing.assert_allclose(got[name], want, rtol=case.rtol, atol=0, err_msg=f"{case.name}: {name}")


def test_every_seed_example_is_a_case() -> None:
    assert set(SEED_CASES) == {*SEED_TABLES, *ERRATA_VARIANTS}
    for case in (*SEED_CASES.values(), LEGACY_SEED_CASE):
        assert case.spec.validate().batch_shape == (1, 3)
        assert case.x.shape == case.spec.input_shape and case.x.dtype == np.float32
        assert case.rtol == 1e-5


@pytest.mark.parametrize("name", SEED_CASES)
def test_reference_matches_seed_table(name: str) -> None:
    case = SEED_CASES[name]
    _check(case, reference.forward(case.spec, case.x).as_dict())


def test_reference_matches_legacy_add_rnn_table() -> None:
    """The legacy example's tables are sequence-major: [nIn, T, N, H] and [nIn, L', N, H]."""
    case = LEGACY_SEED_CASE
    got = reference.forward(case.spec, case.x)
    _check(case, {"output": got.output.transpose(0, 2, 1, 3), "hidden": got.hidden.transpose(0, 2, 1, 3)})


# ---- the errata, from the formula ---------------------------------------------------------------
def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def _lstm_all_ones(h0: float, steps: int = 4, e: int = 7, h_size: int = 5) -> tuple[list[float], float]:
    """The seed's LSTM (W, R ones, biases 0, x ones, c0 = 0): every gate's pre-activation is e + H*h."""
    h, c, outputs = h0, 0.0, []
    for _ in range(steps):
        pre = e * 1.0 + h_size * h
        gate, candidate = _sigmoid(pre), math.tanh(pre)  # i = f = o
        c = gate * c + gate * candidate
        h = gate * math.tanh(c)
        outputs.append(h)
    return outputs, c


@pytest.mark.parametrize("name", ["cell_state", "bidirectional_lstm"])
def test_printed_lstm_tables_are_what_zero_h0_gives(name: str) -> None:
    """§9.1: the printed numbers match h0 = 0, and are measurably not what h0 = 1 gives."""
    printed = SEED_CASES[name].expected
    zeros, c_zeros = _lstm_all_ones(0.0)
    ones, _ = _lstm_all_ones(1.0)
    forward = printed["output"][0, 0, :, 0]
    np.testing.assert_allclose(forward, zeros, rtol=1e-5)
    np.testing.assert_allclose(printed["cell"], c_zeros, rtol=1e-5)
    assert np.max(np.abs(forward - np.asarray(ones)) / np.asarray(ones)) > 1e-4


@pytest.mark.parametrize("name", ERRATA_VARIANTS)
def test_h0_ones_variant_follows_the_formula(name: str) -> None:
    """The §9.1 variants: SEMANTICS's numbers, the closed form and the reference all agree."""
    case = SEED_CASES[name]
    assert np.all(case.spec.hidden_state == 1.0) and np.all(case.spec.cell_state == 0.0)
    steps, cell = _lstm_all_ones(1.0)
    k = case.spec.num_directions
    forward = np.repeat(np.asarray(steps)[:, None], 5, axis=1)
    # the backward direction runs t = 3..0 from h0, so its step j lands at time index 3 - j
    row = np.concatenate([forward, forward[::-1]][:k], axis=1)
    formula = {
        "output": np.broadcast_to(row, case.expected["output"].shape),
        "hidden": np.full(case.expected["hidden"].shape, steps[-1]),
        "cell": np.full(case.expected["cell"].shape, cell),
    }
    got = reference.forward(case.spec, case.x).as_dict()
    for key, want in formula.items():
        np.testing.assert_allclose(case.expected[key], want, rtol=1e-5, err_msg=f"SEMANTICS numbers: {key}")
        np.testing.assert_allclose(got[key], want, rtol=1e-6, err_msg=f"reference: {key}")


def test_hidden_state_row_two_is_67_by_the_formula() -> None:
    """§9.2: with h0 = 1, h1 = relu(7 + 5*1) = 12 and h2 = relu(7 + 5*12) = 67 in every unit."""
    h, rows = 1.0, []
    for _ in range(4):
        h = max(7.0 + 5.0 * h, 0.0)
        rows.append(h)
    assert rows == [12.0, 67.0, 342.0, 1717.0]
    expected = SEED_CASES["hidden_state"].expected["output"]
    np.testing.assert_array_equal(expected, np.broadcast_to(np.asarray(rows)[:, None], expected.shape))


# ---- the reference's own input checks ------------------------------------------------------------
def test_reference_rejects_wrong_x_shape() -> None:
    case = SEED_CASES["initial"]
    with pytest.raises(ShapeError, match=r"x: shape \(1, 3, 4, 6\); expected \(1, 3, 4, 7\)"):
        reference.forward(case.spec, np.ones((1, 3, 4, 6), np.float32))
    with pytest.raises(ShapeError, match="x: dtype int64"):
        reference.forward(case.spec, np.ones((1, 3, 4, 7), np.int64))


def test_reference_returns_float32_and_no_cell_for_non_lstm() -> None:
    result = reference.forward(SEED_CASES["initial"].spec, SEED_CASES["initial"].x)
    assert result.cell is None and set(result.as_dict()) == {"output", "hidden"}
    assert result.output.dtype == result.hidden.dtype == np.float32

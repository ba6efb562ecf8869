"""Variants and launch plans: pure arithmetic, checked against the H200's limits and hand counts."""

from __future__ import annotations

import pytest

from trtrnn.enums import RNNOperation
from trtrnn_persistent import plan as planning
from trtrnn_persistent.errors import UnsupportedSizeError
from trtrnn_persistent.variants import COLS, SPLIT_BUCKETS, Variant, all_variants, cell_of, variant_for

OPS = list(RNNOperation)


def test_every_variant_is_distinct_and_valid():
    variants = all_variants()
    unit = 3 * (len(COLS["float32"]) + len(COLS["float16"]))
    assert len(variants) == len(set(variants)) == unit + 3 * len(SPLIT_BUCKETS)
    for v in variants:
        assert 32 <= v.max_threads <= 1024
        assert v.max_threads % 128 == 0 or v.split
        assert v.defines()["RNN_COLS"] == v.cols and v.defines()["RNN_SPLIT"] == int(v.split)
    names = [v.name for v in variants]
    assert len(set(names)) == len(names) and "LSTM-c32-w32-split" in names


def test_split_layout_geometry():
    # a warp per unit of the CTA, 2 units per row group of lanes, 128 columns a warp: the CTA's
    # warps cover the bucket's 32 * cols columns exactly
    for weights, cols in SPLIT_BUCKETS:
        v = Variant("LSTM", cols, weights, split=True)
        assert v.max_threads == 32 * v.split_units and v.split_units * 128 == 32 * cols
        assert 64 // v.split_units >= 8  # lanes per row group hold the 8 values the reduction transposes
    with pytest.raises(ValueError, match="split layout"):
        Variant("LSTM", 2, split=True)
    with pytest.raises(ValueError, match="split layout"):
        Variant("LSTM", 32, "float16", split=True)


def test_relu_and_tanh_share_a_cell():
    assert cell_of(RNNOperation.RELU) == cell_of(RNNOperation.TANH) == "RNN"
    assert cell_of(RNNOperation.LSTM) == "LSTM" and cell_of(RNNOperation.GRU) == "GRU"


@pytest.mark.parametrize(("hidden", "cols"), [(1, 2), (64, 2), (65, 8), (256, 8), (257, 16), (1024, 32)])
def test_variant_for_takes_the_smallest_bucket(hidden, cols):
    assert variant_for(RNNOperation.LSTM, hidden, "float32").cols == cols


def test_variant_for_refuses_beyond_the_registers():
    assert variant_for(RNNOperation.GRU, 1025, "float32") is None
    assert variant_for(RNNOperation.GRU, 1536, "float16").cols == 48


def test_variant_rejects_a_bad_bucket():
    with pytest.raises(ValueError, match="bucket"):
        Variant("LSTM", 3)
    with pytest.raises(ValueError, match="cell"):
        Variant("RELU", 8)


def test_h200_plans_for_the_benchmark_shapes():
    # batch 1, fp32: the split layout, cols / 4 units (warps) a CTA
    p = planning.plan(RNNOperation.LSTM, 256, 1, 1, "float32", planning.H200)
    assert (p.variant.name, p.units, p.grid, p.threads, p.shared_bytes) == (
        "LSTM-c8-w32-split",
        2,
        128,
        64,
        0,
    )
    p = planning.plan(RNNOperation.LSTM, 1024, 1, 1, "float32", planning.H200)
    assert (p.variant.name, p.units, p.grid, p.threads) == ("LSTM-c32-w32-split", 8, 128, 256)
    # batch 1 with the unit layout asked for: ~128 CTAs, at least 4 warps each
    p = planning.plan(RNNOperation.LSTM, 256, 1, 1, "float32", planning.H200, layout="unit")
    assert (p.variant.name, p.units, p.grid, p.threads) == ("LSTM-c8-w32", 2, 128, 128)
    p = planning.plan(RNNOperation.LSTM, 256, 1, 8, "float32", planning.H200)
    assert (p.variant.split, p.units, p.grid, p.threads) == (False, 8, 32, 256)
    p = planning.plan(RNNOperation.LSTM, 1024, 1, 1, "float32", planning.H200, layout="unit")
    assert p.units == 8 and p.grid == 128 and p.grid <= planning.H200.sm_count  # ceil(1024 / 132) = 8
    p = planning.plan(RNNOperation.LSTM, 256, 2, 8, "float32", planning.H200)
    assert p.grid == 2 * p.ctas_per_direction <= planning.H200.sm_count


def test_split_layout_only_where_its_grid_fits():
    # bidirectional H=256 at 2 units a CTA would need 256 CTAs: the unit layout takes it
    p = planning.plan(RNNOperation.GRU, 256, 2, 1, "float32", planning.H200)
    assert not p.variant.split and p.grid <= planning.H200.sm_count
    p = planning.plan(RNNOperation.GRU, 100, 2, 1, "float32", planning.H200)
    assert p.variant.split and p.grid == 2 * 50
    # fp16 weights, batch > 1, H <= 64 and explicit units per CTA keep the unit layout
    assert not planning.plan(RNNOperation.GRU, 512, 1, 1, "float16", planning.H200).variant.split
    assert not planning.plan(RNNOperation.GRU, 512, 1, 2, "float32", planning.H200).variant.split
    assert not planning.plan(RNNOperation.GRU, 64, 1, 1, "float32", planning.H200).variant.split
    assert not planning.plan(RNNOperation.GRU, 512, 1, 1, "float32", planning.H200, units=4).variant.split


def test_layout_environment_variable(monkeypatch):
    monkeypatch.setenv("TRTRNN_PERSISTENT_LAYOUT", "unit")
    assert not planning.plan(RNNOperation.LSTM, 256, 1, 1, "float32", planning.H200).variant.split
    monkeypatch.setenv("TRTRNN_PERSISTENT_LAYOUT", "columns")
    with pytest.raises(UnsupportedSizeError, match=r"TRTRNN_PERSISTENT_LAYOUT: expected one of .*'columns'"):
        planning.plan(RNNOperation.LSTM, 256, 1, 1, "float32", planning.H200)


def test_grid_never_exceeds_one_cta_per_sm():
    for op in OPS:
        for directions in (1, 2):
            for hidden in (1, 3, 100, 256, 700, 1024):
                try:
                    p = planning.plan(op, hidden, directions, 2, "float32", planning.H200)
                except UnsupportedSizeError:
                    continue
                assert p.grid <= planning.H200.sm_count
                assert p.units * p.ctas_per_direction >= hidden
                assert p.threads <= p.variant.max_threads


def test_bidirectional_h1024_fp32_does_not_fit_and_says_why():
    with pytest.raises(UnsupportedSizeError, match=r"hidden_size: 1024 with 2 direction\(s\) needs 16 units"):
        planning.plan(RNNOperation.LSTM, 1024, 2, 1, "float32", planning.H200)
    planning.plan(RNNOperation.RELU, 1024, 2, 1, "float16", planning.H200)  # half the registers: fits


def test_too_large_hidden_and_batch_are_named_errors():
    with pytest.raises(UnsupportedSizeError, match="hidden_size: 2048 is above 1024"):
        planning.plan(RNNOperation.GRU, 2048, 1, 1, "float32", planning.H200)
    with pytest.raises(UnsupportedSizeError, match="batch: 200 sequences of H=1024 need"):
        planning.plan(RNNOperation.GRU, 1024, 1, 200, "float32", planning.H200)


def test_shared_bytes_counts_the_double_buffer_states_and_lengths():
    v = Variant("LSTM", 8)
    # 2 x (N*H + 32*cols) floats of h, 2 x units*N of state, N lengths
    assert planning.shared_bytes(v, 256, 8, 3) == 4 * (2 * (3 * 256 + 256) + 2 * 8 * 3 + 3)


def test_largest_hidden_sizes_on_h200():
    # fp32: the last column bucket (32 x 32 = 1024); fp16 LSTM: its 48-column variant has registers for
    # 8 warps, so 8 units x 132 SMs = 1056; fp16 TANH: 16 warps fit, so the bucket's 1536 does
    assert planning.max_hidden(RNNOperation.LSTM, 1, "float32") == 1024
    assert planning.max_hidden(RNNOperation.LSTM, 1, "float16") == 8 * 132
    assert planning.max_hidden(RNNOperation.TANH, 1, "float16") == 1536
    # bidirectional: 66 SMs per direction; H = 512 needs 8 units (its bucket allows 12 warps), above 512
    # the 1024 bucket allows 8 warps, so 8 x 66 = 528 < 544, the next multiple of 32
    assert planning.max_hidden(RNNOperation.LSTM, 2, "float32") == 512

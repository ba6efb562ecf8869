"""The host side of the network (packing, projection, the plugin's tensor contract, stacking, output
assembly) run through the numpy emulation of the kernel, against each conformance case's own oracle."""

from __future__ import annotations

import numpy as np
import pytest

from trtrnn.conformance.compare import compare
from trtrnn.conformance.sources import iter_sources
from trtrnn.spec import RNNSpec
from trtrnn_persistent import emulate, pack, pipeline

CASES = [c for source, load in iter_sources() if source in ("seed", "matrix", "onnx") for c in load()]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_emulated_plugin_network_matches_the_oracle(case):
    got = pipeline.run(case.spec, case.x, precision=case.precision)
    cmp = compare(
        case.expected_outputs(), {k: v.astype(np.float32) for k, v in got.items()}, case.judged_by()
    )
    assert cmp.ok, cmp.text()


def test_packing_orders_direction_then_gate_then_unit():
    spec = RNNSpec.random(3, op="GRU", hidden_size=2, data_length=3, direction="BIDIRECTION")
    r = pack.recurrent_weights(spec, 0)
    assert r.shape == (2 * 3 * 2, 2)
    backward_reset = spec.weights[(1, spec.gates[1], False)]
    np.testing.assert_array_equal(r[(1 * 3 + 1) * 2 : (1 * 3 + 2) * 2], backward_reset)
    w = pack.input_weights(spec, 0)
    np.testing.assert_array_equal(w[:, 0:2], spec.weights[(0, spec.gates[0], True)].T)


def test_emulation_zeroes_steps_beyond_each_length_and_runs_backward_from_len_minus_1():
    hidden, t = 3, 4
    rng = np.random.default_rng(0)
    xproj = rng.standard_normal((2, t, 2 * hidden))
    weights = np.zeros((2 * hidden, hidden))
    y, hn, _ = emulate.recurrence(1, xproj, weights, np.zeros(2 * hidden), 2, lengths=np.array([2, 4]))
    assert np.all(y[0, 2:] == 0)
    # with R = 0 each step is tanh of its own projection: the backward half lands at its own time index
    np.testing.assert_allclose(y[0, :2, hidden:], np.tanh(xproj[0, :2, hidden:]))
    np.testing.assert_allclose(hn[0, 1], np.tanh(xproj[0, 0, hidden:]))  # backward ends at step 0
    np.testing.assert_allclose(hn[1, 0], np.tanh(xproj[1, 3, :hidden]))


def test_fp16_weights_on_an_fp32_network_round_only_the_recurrent_weights():
    spec = RNNSpec.random(4, op="LSTM", hidden_size=8, max_seq_length=5, batch_shape=(2,))
    x = spec.random_input(5)
    seen = {}

    def runner(layer, arrays):
        seen.update(arrays)
        return pipeline.emulated(layer, arrays)

    pipeline.run(spec, x, runner, weights_half=True)
    assert seen["weights"].dtype == np.float16 and seen["xproj"].dtype == np.float32


def test_extensions_are_declared_and_refused_never_ignored():
    from trtrnn.errors import SpecError
    from trtrnn.spec import EXTENDED_FEATURES
    from trtrnn_persistent.plugin import BACKEND

    assert set(BACKEND.unsupported) == set(EXTENDED_FEATURES)
    spec = RNNSpec.random(1, op="LSTM", hidden_size=4, max_seq_length=3, clip=0.5)
    with pytest.raises(SpecError, match="clip: the persistent kernel does not implement it"):
        pipeline.run(spec, spec.random_input(2))

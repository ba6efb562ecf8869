"""TF32: the error an engine built with BuilderFlag.TF32 makes, as the evaluator models it, against
the envelope the TF32 tolerance is derived from (trtrnn.conformance.tolerances.tf32_envelope)."""

from __future__ import annotations

import numpy as np
import pytest

from trtrnn import trt
from trtrnn.network import build_spec_network
from trtrnn.spec import RNNSpec
from trtrnn_loop import add_rnn

pytestmark = pytest.mark.skipif(not trt.available(), reason="no TensorRT installed")

U = 2.0**-11
#: (hidden H, data length E, steps T, stack layers, input mode): short and long contractions (K = 13
#: to 128) and recurrences (T = 5 to 40).
SHAPES = (
    (8, 5, 5, 1, "LINEAR"),
    (32, 20, 25, 2, "LINEAR"),
    (64, 64, 6, 1, "LINEAR"),
    (16, 16, 40, 2, "SKIP"),
)


@pytest.mark.parametrize("op", ["RELU", "TANH", "LSTM", "GRU"])
def test_tf32_error_stays_within_its_envelope(op: str) -> None:
    """Per random spec: the worst TF32 error, scaled as the suite scales it (by max(1, max|expected|)),
    stays within one envelope `u * M / sqrt(K) * sqrt(T)` (the tolerance allows four, and at least
    20u) and above u/20 (the evaluator really rounds: exact float32 is about 1e-7, u/5000); and the
    fp32 tolerance fails for some of them, which is why an fp32 suite on a GPU with TF32 on fails."""
    import trtrnn
    from trtrnn import reference
    from trtrnn.conformance.compare import compare
    from trtrnn.conformance.tolerances import conditioned, tf32_envelope, tolerance

    ratios, worsts, fp32_failures = [], [], 0
    for index, (hidden, data, steps, layers, mode) in enumerate(SHAPES):
        for seed in range(700 + 10 * index, 703 + 10 * index):
            spec = RNNSpec.random(
                seed, op=op, hidden_size=hidden, max_seq_length=steps, data_length=data, num_layers=layers,
                batch_shape=(3,), direction="BIDIRECTION", input_mode=mode, seq_lengths="ragged", states=True,
            )  # fmt: skip
            x = spec.random_input(seed + 100)
            built = build_spec_network(add_rnn, spec, x)
            got = trtrnn.evaluate(built.network, built.feeds, tf32=True)
            want = reference.forward(spec, x).as_dict()
            worst = max(
                float(np.max(np.abs(got[n].astype(np.float64) - w))) / max(1.0, float(np.max(np.abs(w))))
                for n, w in want.items()
            )
            worsts.append(worst)
            ratios.append(worst / tf32_envelope(spec, x))
            fp32_failures += not compare(want, got, conditioned(tolerance(spec.op), spec, x)).ok
    summary = (
        f"{op}: worst {max(worsts) / U:.2f} u, least {min(worsts) / U:.2f} u, max ratio {max(ratios):.2f}"
    )
    print(summary)
    assert max(ratios) <= 1.0, summary
    assert min(worsts) >= U / 20, summary
    assert fp32_failures > 0, summary

"""float16 networks: add_rnn computes in its input's type, the real builder serializes the strongly
typed network, and the evaluator's float16 run matches the reference on the same fp16-rounded data.

Every op in both directions, with ragged lengths and both states as network inputs.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from trtrnn import trt
from trtrnn.network import build_spec_network
from trtrnn.spec import RNNSpec
from trtrnn_loop import add_rnn

pytestmark = pytest.mark.skipif(not trt.available(), reason="no TensorRT installed")


@pytest.mark.parametrize(
    ("op", "direction"),
    list(itertools.product(("RELU", "TANH", "LSTM", "GRU"), ("UNIDIRECTION", "BIDIRECTION"))),
)
def test_float16_network_builds_and_matches_the_reference(op: str, direction: str) -> None:
    import trtrnn
    from trtrnn import reference
    from trtrnn.conformance.cases import rounded
    from trtrnn.conformance.compare import compare
    from trtrnn.conformance.tolerances import tolerance

    t = trt.load()
    spec = RNNSpec.random(
        11, op=op, hidden_size=8, max_seq_length=4, num_layers=2, direction=direction,
        batch_shape=(2,), seq_lengths="ragged", states=True,
    )  # fmt: skip
    x = spec.random_input(12)
    built = build_spec_network(add_rnn, spec, x, precision="fp16")
    net = built.network
    inputs = {net.get_input(i).name: net.get_input(i).dtype for i in range(net.num_inputs)}
    want = {"input": t.float16, "seq_lengths": t.int32, "hidden_state": t.float16}
    assert inputs == (want | {"cell_state": t.float16} if op == "LSTM" else want)
    outputs = built.outputs.tensors()
    assert [o.dtype for o in outputs] == [t.float16] * len(outputs)
    assert len(built.serialize()) > 1000  # the real builder, no BuilderFlag.FP16 needed

    got = trtrnn.evaluate(built.network, built.feeds)
    assert {name: v.dtype for name, v in got.items()} == {name: np.dtype(np.float16) for name in got}
    spec16, x16 = rounded(spec, x, "fp16")
    expected = reference.forward(spec16, x16).as_dict()
    result = compare(expected, got, tolerance(spec.op, "fp16"))
    assert result.ok, result.text()
    print(f"{op} {direction}: max abs error {result.max_abs:.2e}, max rel {result.max_rel:.2e}")


@pytest.mark.parametrize(
    ("op", "how", "batch_shape", "input_mode", "states"),
    [
        ("LSTM", "dynamic", (3,), "LINEAR", False),  # unset states: zeros filled at run time
        ("GRU", "dynamic", (2, 3), "SKIP", False),
        ("TANH", "dynamic", (3,), "LINEAR", True),
        ("RELU", "constants", (), "SKIP", True),
        ("LSTM", "constants", (2, 2), "LINEAR", True),
        ("GRU", "inputs", (), "LINEAR", False),
    ],
)
def test_float16_in_every_way_of_feeding_the_rnn(
    op: str, how: str, batch_shape: tuple, input_mode: str, states: bool
) -> None:
    """Dynamic batch, constants, SKIP, no or two leading dims: still float16 throughout, built, and
    within the fp16 tolerance of the reference on the fp16-rounded data."""
    import trtrnn
    from trtrnn import reference
    from trtrnn.conformance.cases import rounded
    from trtrnn.conformance.compare import compare
    from trtrnn.conformance.tolerances import tolerance

    spec = RNNSpec.random(
        21, op=op, hidden_size=8, max_seq_length=4, data_length=8 if input_mode == "SKIP" else 5,
        num_layers=2, direction="BIDIRECTION", input_mode=input_mode, batch_shape=batch_shape,
        seq_lengths="ragged", states=states,
    )  # fmt: skip
    x = spec.random_input(22)
    built = build_spec_network(
        add_rnn, spec, x, precision="fp16", as_inputs=how != "constants", dynamic_batch=how == "dynamic"
    )
    assert len(built.serialize()) > 1000
    got = trtrnn.evaluate(built.network, built.feeds)
    assert all(v.dtype == np.float16 for v in got.values())
    result = compare(reference.forward(*rounded(spec, x, "fp16")).as_dict(), got, tolerance(spec.op, "fp16"))
    assert result.ok, result.text()


@pytest.mark.parametrize("op", ["RELU", "TANH", "LSTM", "GRU"])
def test_float16_error_stays_a_few_unit_roundoffs(op: str) -> None:
    """30 random specs shaped like the conformance fp16 cases: the worst error, scaled as the suite
    scales it (by max(1, max|expected|)), stays under 4 u = 4 * 2^-11: the measurement behind the fp16
    tolerance in docs/conformance.md (1.8 u), kept true. The fp16 tolerance (1e-2, about 20 u) would
    not notice a lowering that lost a few bits; this does."""
    import trtrnn
    from trtrnn import reference
    from trtrnn.conformance.cases import rounded

    worst = 0.0
    for seed in range(600, 630):
        spec = RNNSpec.random(
            seed, op=op, hidden_size=16, max_seq_length=5, data_length=8, num_layers=2,
            batch_shape=(3,), direction="BIDIRECTION", seq_lengths="ragged", states=True,
        )  # fmt: skip
        x = spec.random_input(seed + 100)
        built = build_spec_network(add_rnn, spec, x, precision="fp16")
        got = trtrnn.evaluate(built.network, built.feeds)
        for name, want in reference.forward(*rounded(spec, x, "fp16")).as_dict().items():
            scale = max(1.0, float(np.max(np.abs(want))))
            worst = max(worst, float(np.max(np.abs(got[name].astype(np.float64) - want))) / scale)
    assert worst < 4 * 2.0**-11, f"{op}: worst scaled error {worst:.2e} = {worst / 2.0**-11:.1f} u"

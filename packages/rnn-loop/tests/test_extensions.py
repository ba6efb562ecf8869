"""The ONNX / PyTorch extensions (docs/semantics.md §2.1-2.4) built by rnn-loop: the CPU evaluator on
the real TensorRT network matches the reference (itself checked against onnxruntime and PyTorch), and
the loop body keeps its structure: one fused recurrent matmul, plus only a width-P projection matmul
(LSTMP) or the H-wide R[h] matmul of GRU linear_before_reset=0; peepholes are elementwise."""

from __future__ import annotations

import numpy as np
import pytest

from trtrnn import evaluate, reference, trt
from trtrnn.conformance.extended import extended_specs
from trtrnn.network import build_spec_network
from trtrnn.spec import RNNSpec
from trtrnn_loop import add_rnn
from trtrnn_loop.structure import loop_bodies

pytestmark = pytest.mark.skipif(not trt.available(), reason="no TensorRT installed")

SPECS = extended_specs(32, seed=3, batch_shape=(3,))
LSTMP = [
    RNNSpec.random(
        i,
        op="LSTM",
        hidden_size=6,
        proj_size=p,
        num_layers=2,
        direction=d,
        states=True,
        seq_lengths="zeros",
        batch_shape=(3,),
        peepholes=peep,
        clip=clip,
    )
    for i, (p, d, peep, clip) in enumerate(
        [(2, "BIDIRECTION", False, None), (3, "UNIDIRECTION", True, 0.9), (1, "BIDIRECTION", True, None)]
    )
]


def _check(spec: RNNSpec, seed: int, as_inputs: bool) -> None:
    x = spec.random_input(seed)
    built = build_spec_network(add_rnn, spec, x, as_inputs=as_inputs)
    got = evaluate(built.network, built.feeds)
    with np.errstate(over="ignore"):
        want = reference.forward(spec, x).as_dict()
    assert sorted(got) == sorted(want)
    for key, value in want.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-5, atol=1e-5, err_msg=key)


@pytest.mark.parametrize("n", range(len(SPECS)))
def test_extended_spec_evaluates_to_the_reference(n: int) -> None:
    _check(SPECS[n], n, as_inputs=bool(n % 2))


@pytest.mark.parametrize("n", range(len(LSTMP)))
def test_stacked_lstmp_with_states_and_zero_lengths(n: int) -> None:
    _check(LSTMP[n], n, as_inputs=True)


def test_the_extended_space_is_covered() -> None:
    features = set().union(*(s.features() for s in SPECS + LSTMP))
    from trtrnn.spec import EXTENDED_FEATURES

    assert set(EXTENDED_FEATURES) <= features


def _matmuls(spec: RNNSpec) -> list[tuple[str, tuple[int, ...]]]:
    network = build_spec_network(add_rnn, spec, spec.random_input(0)).network
    (body,) = loop_bodies(network).values()
    kind = trt.load().LayerType.MATRIX_MULTIPLY
    layers = [network.get_layer(i) for i in body.indices if network.get_layer(i).type == kind]
    return [(layer.name.rsplit(".", 1)[-1], tuple(layer.get_input(1).shape)) for layer in layers]


def test_peepholes_and_projection_add_only_a_width_p_matmul() -> None:
    spec = RNNSpec.random(
        0, op="LSTM", hidden_size=16, proj_size=4, direction="BIDIRECTION", peepholes=True, clip=2.0,
        activations={1: ("HardSigmoid", "Tanh", "Softsign")}, batch_shape=(2,),
    )  # fmt: skip
    assert sorted(_matmuls(spec)) == [("projection_matmul", (2, 16, 4)), ("recurrent_matmul", (2, 4, 64))]


def test_gru_reset_before_splits_its_recurrent_matmul_without_more_flops() -> None:
    spec = RNNSpec.random(0, op="GRU", hidden_size=8, linear_before_reset=False, batch_shape=(2,))
    found = sorted(_matmuls(spec))
    assert found == [("hidden_recurrent_matmul", (1, 8, 8)), ("recurrent_matmul", (1, 8, 16))]


@pytest.mark.parametrize("op", ["RELU", "TANH", "LSTM", "GRU"])
def test_defaults_build_the_same_layers_as_before_the_extensions(op: str) -> None:
    """Without extensions the loop body is the fast one, unchanged: one fused matmul."""
    spec = RNNSpec.random(0, op=op, hidden_size=8, direction="BIDIRECTION", batch_shape=(2,))
    h = spec.hidden_size
    assert _matmuls(spec) == [("recurrent_matmul", (2, h, len(spec.gates) * h))]

"""Numbers: legacy networks run by the CPU evaluator against the numpy reference `trtrnn.reference`.

Two paths: a TensorRT 7 style program (ImplicitBatchNetwork, seq-major tensors, blobs, states as
inputs) over ops x directions x layers x input modes x states; and the `rnn-legacy` backend's
mapping of the contract's leading dims (none, one, two, three, dynamic).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import trtrnn
from trtrnn import reference
from trtrnn.enums import RNNOperation
from trtrnn.errors import SpecError
from trtrnn.network import build_spec_network
from trtrnn.spec import EXTENDED_FEATURES, Feature, RNNSpec
from trtrnn_legacy import ImplicitBatchNetwork, blob, plugin

#: float32 through a loop vs the float64-inside reference.
TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}
ITEMS, N, T, H = 2, 3, 4, 4

MATRIX = list(
    itertools.product(
        ["RELU", "TANH", "LSTM", "GRU"],
        ["UNIDIRECTION", "BIDIRECTION"],
        [1, 2],
        ["LINEAR", "SKIP"],
        [False, True],
    )
)

IDS = ["-".join(map(str, case)) for case in MATRIX]


def seq_major(array: np.ndarray) -> np.ndarray:
    """Contract `[I, N, A, C]` -> legacy `[I, A, N, C]` (the §6 transpose)."""
    return np.ascontiguousarray(np.swapaxes(array, -3, -2))


@pytest.mark.parametrize("op, direction, layers, mode, states", MATRIX, ids=IDS)
def test_legacy_program_matches_the_reference(trt_mod, op, direction, layers, mode, states):
    spec = RNNSpec.random(
        11, op=op, hidden_size=H, max_seq_length=T, num_layers=layers, direction=direction, input_mode=mode,
        batch_shape=(ITEMS, N), states=states,
    )  # fmt: skip
    x = spec.random_input(12)
    network = ImplicitBatchNetwork(max_batch_size=ITEMS + 1)  # run below the maximum
    feeds = {"x": seq_major(x)}
    x_t = network.add_input("x", trt_mod.float32, (T, N, spec.data_length))
    weights, bias = blob.to_blobs(spec)
    layer = network.add_rnn(x_t, layers, H, T, op, mode, direction, weights, bias)
    for field in ("hidden_state", "cell_state"):
        value = getattr(spec, field)
        if value is not None:
            feeds[field] = seq_major(value)
            setattr(layer, field, network.add_input(field, trt_mod.float32, feeds[field].shape[1:]))
    for i in range(layer.num_outputs):
        network.mark_output(layer.get_output(i))
    got = list(network.execute(ITEMS, feeds, executor="cpu").values())
    want = reference.forward(spec, x)
    assert len(got) == (3 if spec.op == RNNOperation.LSTM else 2)
    for name, value, expected in zip(("output", "hidden", "cell"), got, want):
        np.testing.assert_allclose(value, seq_major(expected), **TOLERANCE, err_msg=name)


LEADING = {
    "none": dict(batch_shape=()),
    "one": dict(batch_shape=(3,)),
    "two": dict(batch_shape=(2, 3)),
    "three": dict(batch_shape=(2, 1, 3)),
    "dynamic-one": dict(batch_shape=(3,), dynamic=True),
    "dynamic-two": dict(batch_shape=(2, 3), dynamic=True),
}


@pytest.mark.parametrize("name", list(LEADING))
def test_backend_maps_leading_dims(trt_mod, name):
    kw = dict(LEADING[name])
    dynamic = kw.pop("dynamic", False)
    spec = RNNSpec.random(
        21, op="LSTM", hidden_size=H, max_seq_length=T, direction="BIDIRECTION", states=True, **kw
    )
    x = spec.random_input(22)
    built = build_spec_network(plugin.build, spec, x, dynamic_batch=dynamic)
    if dynamic:
        assert int(built.network.get_input(0).shape[0]) == -1
    got = trtrnn.evaluate(built.network, built.feeds)
    for key, value in reference.forward(spec, x).as_dict().items():
        np.testing.assert_allclose(got[key], value, **TOLERANCE, err_msg=f"{name}: {key}")


def test_backend_declares_only_seq_lengths_and_the_extensions_unsupported(trt_mod):
    assert set(plugin.BACKEND.unsupported) == {Feature.SEQ_LENGTHS, *EXTENDED_FEATURES}
    assert plugin.BACKEND.unsupported[Feature.CLIP] == "TensorRT 7's IRNNLayer: the API has no clip setting"
    spec = RNNSpec.random(30, op="GRU", hidden_size=H, max_seq_length=T, batch_shape=(2,), clip=1.0)
    with pytest.raises(SpecError, match=r"clip: TensorRT 7's IRNNLayer cannot express it"):
        build_spec_network(plugin.build, spec, spec.random_input(32))
    spec = RNNSpec.random(
        31, op="GRU", hidden_size=H, max_seq_length=T, batch_shape=(2,), seq_lengths="ragged"
    )
    with pytest.raises(SpecError, match="seq_lengths: TensorRT 7's add_rnn / IRNNLayer has no sequence"):
        build_spec_network(plugin.build, spec, spec.random_input(32))


def test_backend_is_registered():
    from trtrnn import registry

    assert registry.get("rnn-legacy") is plugin.BACKEND


def test_two_chained_layers_equal_one_two_layer_stack(trt_mod):
    # Two add_rnn calls in one network, the second fed by the first's output 0: the same numbers as a
    # 2-layer stack (SEMANTICS §1-2), whose layer 1 weights become the second layer's layer 0.
    spec = RNNSpec.random(41, op="GRU", hidden_size=H, max_seq_length=T, num_layers=2, batch_shape=(ITEMS, N))
    x = spec.random_input(42)
    network = ImplicitBatchNetwork(max_batch_size=ITEMS)
    current = network.add_input("x", trt_mod.float32, (T, N, spec.data_length))
    finals = []
    for stack in range(2):
        one = spec.replace(
            num_layers=1,
            data_length=spec.layer_input_size(stack),
            weights={(0, g, w): v for (layer, g, w), v in spec.weights.items() if layer == stack},
            biases={(0, g, w): v for (layer, g, w), v in spec.biases.items() if layer == stack},
        )
        layer = network.add_rnn(current, 1, H, T, "GRU", "LINEAR", "UNIDIRECTION", *blob.to_blobs(one))
        current = layer.get_output(0)
        finals.append(layer.get_output(1))
    for tensor in (current, *finals):
        network.mark_output(tensor)
    output, h_first, h_second = network.execute(ITEMS, [seq_major(x)], executor="cpu").values()
    want = reference.forward(spec, x)
    hidden = seq_major(want.hidden)  # [I, L', N, H]
    np.testing.assert_allclose(output, seq_major(want.output), **TOLERANCE)
    np.testing.assert_allclose(h_first, hidden[:, :1], **TOLERANCE)
    np.testing.assert_allclose(h_second, hidden[:, 1:], **TOLERANCE)

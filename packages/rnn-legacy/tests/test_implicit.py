"""ImplicitBatchNetwork: batch-less tensors, the 1..max_batch_size profile, execution and its limits."""

from __future__ import annotations

import numpy as np
import pytest

from trtrnn import reference, trt
from trtrnn.enums import RNNDirection, RNNInputMode, RNNOperation
from trtrnn.errors import ExecutionUnavailableError, ShapeError
from trtrnn.spec import RNNSpec
from trtrnn_legacy import BatchSizeError, ImplicitBatchNetwork, ImplicitBatchUnsupportedError, blob

T, N, E, H = 4, 3, 5, 4


def gru_network(top: int, trt_mod, *, state: str = "none") -> tuple[ImplicitBatchNetwork, RNNSpec]:
    """A 1-layer GRU on x (T, N, E); `state` "input" or "constant" sets hidden_state that way."""
    spec = RNNSpec.random(3, op="GRU", hidden_size=H, max_seq_length=T, data_length=E, batch_shape=(1, N))
    network = ImplicitBatchNetwork(top)
    x = network.add_input("x", trt_mod.float32, (T, N, E))
    layer = network.add_rnn(x, 1, H, T, "GRU", "LINEAR", "UNIDIRECTION", *blob.to_blobs(spec))
    if state == "input":
        layer.hidden_state = network.add_input("h0", trt_mod.float32, (1, N, H))
    elif state == "constant":
        layer.hidden_state = network.add_constant((1, N, H), np.full((1, N, H), 0.5, np.float32)).get_output(
            0
        )
    network.mark_output(layer.get_output(0))
    network.mark_output(layer.get_output(1))
    return network, spec


def expected(spec: RNNSpec, x: np.ndarray, h0: np.ndarray | None = None) -> list[np.ndarray]:
    """The reference for a legacy batch x (I, T, N, E), in the legacy layout."""
    items = x.shape[0]
    contract = spec.replace(
        batch_shape=(items, N), hidden_state=None if h0 is None else np.swapaxes(h0, -3, -2)
    )
    result = reference.forward(contract, np.swapaxes(x, 1, 2))
    return [np.swapaxes(result.output, 1, 2), np.swapaxes(result.hidden, 1, 2)]


def test_tensors_hide_the_batch_and_inputs_get_a_profile(trt_mod):
    network, _ = gru_network(4, trt_mod)
    assert network.get_input(0).shape == (T, N, E)
    assert tuple(network.network.get_input(0).shape) == (-1, T, N, E)
    assert network.profile == {"x": ((1, T, N, E), (4, T, N, E), (4, T, N, E))}
    assert network.get_output(0).shape == (T, N, H) and network.get_output(1).shape == (1, N, H)


@pytest.mark.parametrize("batch", [5, 0, -1])
def test_a_batch_outside_one_to_max_is_refused(trt_mod, batch):
    network, _ = gru_network(4, trt_mod)
    x = np.zeros((max(batch, 1), T, N, E), np.float32)
    with pytest.raises(BatchSizeError, match=rf"batch_size: {batch} is outside \[1, max_batch_size=4\]"):
        network.execute(batch, [x])
    assert issubclass(BatchSizeError, ShapeError)


def test_inputs_must_hold_batch_times_shape_values(trt_mod):
    network, _ = gru_network(4, trt_mod)
    message = r"input 'x': 60 values \(shape \(1, 4, 3, 5\)\); expected 120 = batch_size 2"
    with pytest.raises(ShapeError, match=message):
        network.execute(2, {"x": np.zeros((1, T, N, E), np.float32)})
    with pytest.raises(ShapeError, match=r"unknown \['y'\], missing \['x'\]"):
        network.execute(1, {"y": np.zeros((1, T, N, E), np.float32)})


def test_items_of_the_implicit_batch_are_independent_problems(trt_mod):
    network, spec = gru_network(4, trt_mod)
    x = np.random.default_rng(0).uniform(-1, 1, (3, T, N, E)).astype(np.float32)
    together = network.execute(3, [x], executor="cpu")
    outs = list(together.values())
    assert outs[0].shape == (3, T, N, H) and outs[1].shape == (3, 1, N, H)
    for item in range(3):
        alone = list(network.execute(1, [x[item]], executor="cpu").values())
        for got, one in zip(outs, alone):  # to float32 rounding: BLAS may sum another way for more rows
            np.testing.assert_allclose(got[item], one[0], rtol=1e-6, atol=1e-7)
    for got, want in zip(outs, expected(spec, x)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_a_constant_state_is_broadcast_over_the_batch(trt_mod):
    network, spec = gru_network(4, trt_mod, state="constant")
    x = np.random.default_rng(1).uniform(-1, 1, (2, T, N, E)).astype(np.float32)
    outs = network.execute(2, [x], executor="cpu").values()
    for got, want in zip(outs, expected(spec, x, np.full((2, 1, N, H), 0.5, np.float32))):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_a_state_input_carries_the_batch_too(trt_mod):
    network, spec = gru_network(4, trt_mod, state="input")
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (2, T, N, E)).astype(np.float32)
    h0 = rng.uniform(-0.5, 0.5, (2, 1, N, H)).astype(np.float32)
    outs = network.execute(2, {"x": x, "h0": h0}, executor="cpu").values()
    for got, want in zip(outs, expected(spec, x, h0)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_shuffle_dims_exclude_the_batch(trt_mod):
    network = ImplicitBatchNetwork(2)
    x = network.add_input("x", trt_mod.float32, (2, 3, 4))
    shuffle = network.add_shuffle(x)
    shuffle.first_transpose = (2, 0, 1)
    shuffle.reshape_dims = (4, 6)
    assert shuffle.first_transpose == (2, 0, 1) and shuffle.get_output(0).shape == (4, 6)
    network.mark_output(shuffle.get_output(0))
    data = np.arange(48, dtype=np.float32).reshape(2, 2, 3, 4)
    (got,) = network.execute(2, [data], executor="cpu").values()
    np.testing.assert_array_equal(got, data.transpose(0, 3, 1, 2).reshape(2, 4, 6))
    with pytest.raises(ImplicitBatchUnsupportedError, match="zero_is_placeholder: False is not supported"):
        shuffle.zero_is_placeholder = False


def test_constants_broadcast_over_the_batch(trt_mod):
    network = ImplicitBatchNetwork(3)
    x = network.add_input("x", trt_mod.float32, (2, 3))
    row = np.array([1, 2, 3], np.float32).reshape(1, 3)
    const = network.add_constant((1, 3), row).get_output(0)
    total = network.add_elementwise(x, const, trt_mod.ElementWiseOperation.SUM).get_output(0)
    doubled = network.add_elementwise(const, const, trt_mod.ElementWiseOperation.SUM).get_output(0)
    total.name, doubled.name = "total", "doubled"
    network.mark_output(total)
    network.mark_output(doubled)
    data = np.arange(18, dtype=np.float32).reshape(3, 2, 3)
    got = network.execute(3, [data], executor="cpu")
    np.testing.assert_array_equal(got["total"], data + row)
    np.testing.assert_array_equal(got["doubled"], np.broadcast_to(2 * row, (3, 1, 3)))  # every item gets it


def test_methods_it_does_not_translate_are_refused_by_name(trt_mod):
    network = ImplicitBatchNetwork(1)
    with pytest.raises(ImplicitBatchUnsupportedError, match="add_convolution_nd: not offered by Implicit"):
        network.add_convolution_nd(None, 1, (1, 1), None)
    with pytest.raises(ShapeError, match="implicit-batch inputs have static dims"):
        network.add_input("x", trt_mod.float32, (-1, 3))


def test_the_builder_accepts_the_network_with_its_profile(trt_mod):
    # batch * hidden >= 8 keeps the builder quick (BRIEF); the seed's ReLU layer, max batch 2.
    network = ImplicitBatchNetwork(2)
    x = network.add_input("x", trt_mod.float32, (4, 3, 7))
    layer = network.add_rnn(
        x, 1, 5, 4, RNNOperation.RELU, RNNInputMode.LINEAR, RNNDirection.UNIDIRECTION,
        np.ones(60, np.float32), np.zeros(10, np.float32),
    )  # fmt: skip
    network.mark_output(layer.get_output(0))
    assert len(network.serialize()) > 0


def test_gpu_execution_matches_the_reference(trt_mod):
    capability = trt.engine_execution()
    if not capability:
        network, _ = gru_network(2, trt_mod)
        with pytest.raises(ExecutionUnavailableError):
            network.execute(1, [np.zeros((1, T, N, E), np.float32)], executor="gpu")
        pytest.skip(f"engine execution unavailable here: {capability.reason}")
    network, spec = gru_network(4, trt_mod)
    with network:
        x = np.random.default_rng(4).uniform(-1, 1, (3, T, N, E)).astype(np.float32)
        for got, want in zip(network.execute(3, [x], executor="gpu").values(), expected(spec, x)):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)

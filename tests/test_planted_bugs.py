"""The conformance suite catches bugs planted in the backends, one at a time (a mutation test).

Each plant below is a bug that once went unseen (issue 15): it is patched into the installed backend,
then the suite's own quick cases run (the evaluated tier, through `trtrnn.conformance.apis.case_run`
as the suite runs them) until one fails. A plant no quick case catches fails this test. The blob bugs
are consistent (encoder and decoder changed alike), so only data the suite makes itself can see them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from trtrnn import registry, trt
from trtrnn.conformance.apis import case_run
from trtrnn.conformance.cases import Case
from trtrnn.conformance.relax import relaxed_cases
from trtrnn.conformance.sources import iter_sources
from trtrnn.conformance.tiers import Status
from trtrnn.enums import RNNDirection, RNNGateType, RNNOperation, coerce

pytestmark = pytest.mark.skipif(not trt.available(), reason="no TensorRT installed")

Plant = Callable[[pytest.MonkeyPatch], None]


def lstm_gates_i_f_c_o(mp: pytest.MonkeyPatch) -> None:
    from trtrnn_legacy import blob

    g = RNNGateType
    mp.setitem(blob.LEGACY_GATES, RNNOperation.LSTM, (g.INPUT, g.FORGET, g.CELL, g.OUTPUT))


def w_and_r_interleaved_per_gate(mp: pytest.MonkeyPatch) -> None:
    from trtrnn_legacy import blob

    def walk(spec: Any, kind: str) -> Iterator[tuple[Any, tuple[int, ...]]]:
        for layer in range(spec.num_layer_indices):
            for gate in blob.LEGACY_GATES[spec.op]:  # W then R for each gate, not all W then all R
                for is_w in (True, False):
                    shape = (spec.hidden_size,) if kind == blob.BIAS else spec.weight_shape(layer, is_w)
                    if shape is not None:
                        yield (layer, gate, is_w), shape

    mp.setattr(blob, "_walk", walk)


def execute_refuses_max_batch_size(mp: pytest.MonkeyPatch) -> None:
    from trtrnn_legacy.implicit import BatchSizeError, ImplicitBatchNetwork

    original = ImplicitBatchNetwork.execute

    def execute(self: Any, batch_size: int, inputs: Any, **options: Any) -> Any:
        if batch_size > 1 and batch_size == self.max_batch_size:  # off by one: [1, max) instead of [1, max]
            raise BatchSizeError(f"batch_size: {batch_size} is outside [1, {self.max_batch_size})")
        return original(self, batch_size, inputs, **options)

    mp.setattr(ImplicitBatchNetwork, "execute", execute)


def execute_feeds_every_item_the_first(mp: pytest.MonkeyPatch) -> None:
    from trtrnn_legacy.implicit import ImplicitBatchNetwork

    original = ImplicitBatchNetwork._feeds

    def feeds(self: Any, batch: int, inputs: Any) -> dict[str, np.ndarray]:
        return {k: np.broadcast_to(v[:1], v.shape).copy() for k, v in original(self, batch, inputs).items()}

    mp.setattr(ImplicitBatchNetwork, "_feeds", feeds)


def direction_setter_drops_weights(mp: pytest.MonkeyPatch) -> None:
    from trtrnn.lazylayer import Setting
    from trtrnn_v2.layer import RNNv2Layer

    def convert(layer: Any, value: object, field: str) -> object:
        layer._weights.clear()  # as if the weights were re-allocated for the new number of directions
        return coerce(RNNDirection, value, field)

    setting = Setting(convert, "RNNDirection (planted: drops the weights set so far)")
    setting.__set_name__(RNNv2Layer, "direction")
    mp.setattr(RNNv2Layer, "direction", setting)


def fp16_drops_the_input_bias(mp: pytest.MonkeyPatch) -> None:
    from trtrnn_loop.trt_target import TrtGraph

    original = TrtGraph.const

    def const(self: Any, array: np.ndarray, name: str, float_dtype: Any = None) -> Any:
        if self.half and name.endswith("input_bias"):
            array = np.zeros_like(array)
        return original(self, array, name, float_dtype)

    mp.setattr(TrtGraph, "const", const)


def lengths_ignored_for_one_sequence(mp: pytest.MonkeyPatch) -> None:
    from trtrnn_loop import lowering

    original = lowering._flat_lengths

    def flat_lengths(g: Any, lengths: Any) -> Any:
        return None if g.rows == 1 else original(g, lengths)

    mp.setattr(lowering, "_flat_lengths", flat_lengths)


def relu_is_relu6(mp: pytest.MonkeyPatch) -> None:
    from trtrnn_loop.trt_target import TrtGraph

    original = TrtGraph.activation

    def activation(self: Any, x: Any, kind: str, name: str, alpha: Any = None, beta: Any = None) -> Any:
        if kind == "RELU":
            kind, alpha, beta = "CLIP", 0.0, 6.0
        return original(self, x, kind, name, alpha, beta)

    mp.setattr(TrtGraph, "activation", activation)


#: plant -> the backend it lives in.
PLANTS: dict[str, tuple[str, Plant]] = {
    "legacy blob: LSTM gates i,f,c,o": ("rnn-legacy", lstm_gates_i_f_c_o),
    "legacy blob: W and R interleaved per gate": ("rnn-legacy", w_and_r_interleaved_per_gate),
    "ImplicitBatchNetwork: max_batch_size refused": ("rnn-legacy", execute_refuses_max_batch_size),
    "ImplicitBatchNetwork: every item gets item 0": ("rnn-legacy", execute_feeds_every_item_the_first),
    "rnn-v2: setting direction drops weights": ("rnn-v2", direction_setter_drops_weights),
    "rnn-loop: fp16 drops the input bias": ("rnn-loop", fp16_drops_the_input_bias),
    "rnn-loop: lengths ignored for one sequence": ("rnn-loop", lengths_ignored_for_one_sequence),
    "rnn-loop: ReLU is ReLU6": ("rnn-loop", relu_is_relu6),
}


def quick_cases(backend: Any) -> list[Case]:
    """The suite's quick fixed cases for `backend`, relaxed variants included, in the suite's order."""
    found = [case for _, load in iter_sources() for case in load()]
    found += relaxed_cases(found, {backend.name: backend})
    return [c for c in found if c.quick and (c.backends is None or backend.name in c.backends)]


@pytest.mark.parametrize("plant", list(PLANTS))
def test_the_quick_suite_fails_a_backend_with_a_planted_bug(
    plant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, apply = PLANTS[plant]
    if name not in registry.backends():
        pytest.skip(f"backend {name} is not installed")
    backend = registry.get(name)
    cases = quick_cases(backend)
    apply(monkeypatch)
    for case in cases:
        result = case_run(backend, case).run("evaluated")
        if result.status == Status.FAIL:
            print(f"{plant}: caught by {case.id}: {result.reason}")
            return
    pytest.fail(f"{plant}: none of the {len(cases)} quick cases failed on {name}")


def test_relu6_is_caught_by_a_matrix_case_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # the seed's tables catch it as well; a suite must not depend on one source for an op's range
    from trtrnn.conformance.matrix import relu_above_six_case

    backend = registry.get("rnn-loop")
    relu_is_relu6(monkeypatch)
    assert case_run(backend, relu_above_six_case()).run("evaluated").status == Status.FAIL

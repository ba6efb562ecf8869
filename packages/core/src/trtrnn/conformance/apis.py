"""Driving the compatibility APIs as their users do, with data the suite makes itself.

A backend that offers TensorRT 7/8's API to its users declares it (`Backend.api`); the suite then
runs every case through that API instead of the backend's own `build`, so nothing the backend encodes
for itself (a blob layout, a setter's side effect) can agree with its own decoder unseen:
- "add_rnn_v2": the layer is configured by its setters in an order drawn per case (TensorRT 8 took
  them in any order), weights and biases one `set_*_for_gate` call per key;
- "implicit_batch_network": the legacy blobs are written here from SEMANTICS §6 (`legacy_blobs`, not
  the backend's encoder), the input is sequence-major `[T, N, E]` in an implicit-batch network of
  `max_batch_size` = the case's first leading dim, and the case runs at every batch size 1..max
  (each item an independent problem, judged against the first items of the expected outputs).
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from trtrnn import trt
from trtrnn.backend import Backend, BuildFunction, Network, RNNInputs, RNNOutputs
from trtrnn.conformance.cases import Case
from trtrnn.conformance.compare import compare
from trtrnn.conformance.tiers import CaseRun, Status, TierResult, _verdict, execution_unavailable
from trtrnn.enums import RNNGateType, RNNOperation
from trtrnn.errors import ExecutionUnavailableError, UnsupportedLayerError
from trtrnn.network import float_dtype, has_fp16_flag
from trtrnn.spec import RNNSpec

ADD_RNN_V2 = "add_rnn_v2"
IMPLICIT_BATCH_NETWORK = "implicit_batch_network"

G = RNNGateType
#: SEMANTICS §6: the gate order inside a legacy blob (differs from §2's for LSTM).
LEGACY_GATE_ORDER = {
    RNNOperation.RELU: (G.INPUT,),
    RNNOperation.TANH: (G.INPUT,),
    RNNOperation.LSTM: (G.FORGET, G.INPUT, G.CELL, G.OUTPUT),
    RNNOperation.GRU: (G.UPDATE, G.RESET, G.HIDDEN),
}


def case_run(backend: Backend, case: Case) -> CaseRun:
    """How the suite runs `case` on `backend`: through the API it declares, else through `build`."""
    if IMPLICIT_BATCH_NETWORK in backend.api:
        return ImplicitBatchRun(backend, case)
    if ADD_RNN_V2 in backend.api:
        return AddRnnV2Run(backend, case)
    return CaseRun(backend, case)


def setter_order_seed(case: Case) -> int:
    """A per-case seed (stable across runs and processes) for the order of the layer's setters."""
    return zlib.crc32(case.id.encode())


# ---- add_rnn_v2 -----------------------------------------------------------------------------------
class AddRnnV2Run(CaseRun):
    """A case built by calling the backend's `add_rnn_v2` and the layer's setters, in a drawn order."""

    def build_function(self) -> BuildFunction:
        return v2_build(self.backend.api[ADD_RNN_V2], setter_order_seed(self.case))


def v2_build(add_rnn_v2: Callable[..., Any], seed: int) -> BuildFunction:
    """A BuildFunction that configures an IRNNv2Layer-like layer as a TensorRT 8 program would, its
    setters (mode, direction, lengths, states, every weight and bias) shuffled by `seed`."""

    def build(network: Network, spec: RNNSpec, inputs: RNNInputs) -> RNNOutputs:
        layer = add_rnn_v2(
            network, inputs.input, spec.num_layers, spec.hidden_size, spec.max_seq_length, spec.op
        )
        calls: list[Callable[[], None]] = [
            lambda: setattr(layer, "input_mode", spec.input_mode),
            lambda: setattr(layer, "direction", spec.direction),
        ]
        for field in ("seq_lengths", "hidden_state", "cell_state"):
            tensor = getattr(inputs, field)
            if tensor is not None:
                calls.append(lambda field=field, tensor=tensor: setattr(layer, field, tensor))
        for (index, gate, is_w), value in spec.weights.items():
            calls.append(lambda k=(index, gate, is_w), v=value: layer.set_weights_for_gate(*k, v))
        for (index, gate, is_w), value in spec.biases.items():
            calls.append(lambda k=(index, gate, is_w), v=value: layer.set_bias_for_gate(*k, v))
        random.Random(seed).shuffle(calls)
        for call in calls:
            call()
        return RNNOutputs.of_layer(layer, spec.op)

    return build


# ---- the implicit-batch add_rnn -------------------------------------------------------------------
def legacy_blobs(spec: RNNSpec) -> tuple[np.ndarray, np.ndarray]:
    """The weight and bias blobs of SEMANTICS §6, written from the contract alone.

    Per layer index 0..L'-1: every W of the legacy gate order, then every R (SKIP: no W on stack
    layer 0), row-major `[H, in]` / `[H, H]` back to back; biases the same walk with Wb and Rb.
    """
    weights: list[np.ndarray] = []
    biases: list[np.ndarray] = []
    gates = LEGACY_GATE_ORDER[spec.op]
    for layer in range(spec.num_layer_indices):
        for is_w in (True, False):
            for gate in gates:
                if (layer, gate, is_w) in spec.weights:
                    weights.append(np.asarray(spec.weights[(layer, gate, is_w)], np.float32).reshape(-1))
                biases.append(np.asarray(spec.biases[(layer, gate, is_w)], np.float32).reshape(-1))
    return np.concatenate(weights), np.concatenate(biases)


def implicit_dims(spec: RNNSpec) -> tuple[int, int]:
    """(implicit batch I, legacy N) for the contract's leading dims B...: I is the first (1 without
    any), N the product of the others (SEMANTICS §6: items of the implicit batch are independent)."""
    lead = spec.batch_shape
    return (lead[0] if lead else 1), math.prod(lead[1:])


class ImplicitBatchRun(CaseRun):
    """A case as a TensorRT 7 program: blobs, `[T, N, E]` input, `add_rnn`, batch sizes 1..max."""

    def __init__(self, backend: Backend, case: Case) -> None:
        super().__init__(backend, case)
        self._implicit: Any = None

    def implicit_network(self) -> Any:
        """The backend's implicit-batch network holding the case (an exception is kept and re-raised)."""
        if self._implicit is None:
            try:
                self._implicit = self._make()
            except Exception as exc:
                self._implicit = exc
        if isinstance(self._implicit, BaseException):
            raise self._implicit
        return self._implicit

    def _make(self) -> Any:
        spec, c = self.case.spec.validate(), self.case
        trt_mod = trt.load()
        batch, n = implicit_dims(spec)
        dtype = trt_mod.float16 if c.precision == "fp16" else trt_mod.float32
        net = self.backend.api[IMPLICIT_BATCH_NETWORK](batch)
        net.tf32 = c.tf32  # cleared but for the TF32 family, as every engine the suite builds (tiers)
        x = net.add_input("input", dtype, (spec.max_seq_length, n, spec.data_length))
        weights, bias = legacy_blobs(spec)
        layer = net.add_rnn(
            x, spec.num_layers, spec.hidden_size, spec.max_seq_length, spec.op, spec.input_mode,
            spec.direction, weights, bias,
        )  # fmt: skip
        state_dims = (spec.num_layer_indices, n, spec.hidden_size)
        for field in ("hidden_state", "cell_state"):
            value = getattr(spec, field)
            if value is None:
                continue
            if c.as_inputs or c.dynamic_batch or batch > 1:  # per-item states need an input
                setattr(layer, field, net.add_input(field, dtype, state_dims))
            else:  # one item: a constant, as the seed's programs set states
                array = _to_legacy(np.asarray(value), spec)[0].astype(float_dtype(c.precision))
                setattr(layer, field, net.add_constant(state_dims, array).get_output(0))
        for index, name in enumerate(
            ("output", "hidden", "cell")[: 3 if spec.op == RNNOperation.LSTM else 2]
        ):
            tensor = layer.get_output(index)
            tensor.name = name
            net.mark_output(tensor)
        return net

    def feeds(self, size: int) -> dict[str, np.ndarray]:
        """The first `size` items of the implicit batch, in the legacy layout and the network's type."""
        spec, c = self.case.spec, self.case
        dtype = float_dtype(c.precision)
        x = np.swapaxes(np.asarray(c.x).reshape(implicit_dims(spec)[0], -1, *c.x.shape[-2:]), 1, 2)
        feeds = {"input": x[:size].astype(dtype)}
        for field in ("hidden_state", "cell_state"):
            value = getattr(spec, field)
            if value is not None and field in self._input_names():
                feeds[field] = _to_legacy(np.asarray(value), spec)[:size].astype(dtype)
        return feeds

    def _input_names(self) -> set[str]:
        real = self.implicit_network().network
        return {real.get_input(i).name for i in range(real.num_inputs)}

    # ---- tiers ------------------------------------------------------------------------------------
    def _build_engine(self) -> bytes | TierResult:
        try:
            net = self.implicit_network()
        except Exception as exc:
            return TierResult(Status.FAIL, f"the backend's API raised {_error(exc)}", detail=_error(exc))
        try:
            return net.serialize(fp16=self.case.precision == "fp16" and has_fp16_flag())
        except Exception as exc:
            return TierResult(
                Status.FAIL, f"the builder refused the network: {_error(exc)}", detail=_error(exc)
            )

    def _evaluated(self) -> TierResult:
        return self._every_batch_size("cpu")

    def _executed(self) -> TierResult:
        unavailable = execution_unavailable()
        if unavailable:
            return unavailable
        return self._every_batch_size("gpu")

    def _every_batch_size(self, executor: str) -> TierResult:
        """Execute at batch sizes 1..max_batch_size; each against the first items of the oracle's outputs."""
        c = self.case
        try:
            net = self.implicit_network()
            expected = c.expected_outputs()
        except ImportError as exc:
            return TierResult(Status.NOT_RUN, f"the oracle ({c.oracle}) is not importable: {exc}")
        except Exception as exc:
            return TierResult(Status.FAIL, f"the backend's API raised {_error(exc)}", detail=_error(exc))
        comparisons = []
        for size in range(1, net.max_batch_size + 1):
            label = f" (execute with batch_size {size} of max_batch_size {net.max_batch_size})"
            try:
                got = net.execute(size, self.feeds(size), executor=executor)
            except UnsupportedLayerError as exc:
                return TierResult(Status.NOT_RUN, f"the CPU evaluator cannot run this network: {exc}")
            except ExecutionUnavailableError as exc:
                return TierResult(Status.NOT_RUN, f"the engine cannot execute here: {exc}")
            except Exception as exc:
                return TierResult(Status.FAIL, f"execute({size}) raised {_error(exc)}", detail=_error(exc))
            want = {k: v[:size] if c.spec.batch_shape else v for k, v in expected.items()}
            outputs = {k: _to_contract(v, c.spec, size) for k, v in got.items()}
            comparisons.append((label, compare(want, outputs, c.judged_by())))
        return _verdict(c, comparisons)


def _to_legacy(state: np.ndarray, spec: RNNSpec) -> np.ndarray:
    """Contract states `[B..., L', H]` -> legacy `[I, L', N, H]`."""
    batch, n = implicit_dims(spec)
    return np.swapaxes(state.reshape(batch, n, *state.shape[-2:]), 1, 2)


def _to_contract(value: np.ndarray, spec: RNNSpec, size: int) -> np.ndarray:
    """A legacy output `[size, A, N, C]` (A = T or L') -> the contract's `[B..., A, C]` for `size` items."""
    value = np.swapaxes(np.asarray(value), 1, 2)  # [size, N, A, C]
    lead = spec.batch_shape
    if not lead:
        return value.reshape(value.shape[2:])
    return value.reshape(size, *lead[1:], *value.shape[2:])


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"

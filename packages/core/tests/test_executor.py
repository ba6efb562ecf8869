"""Executors: the same `infer(feeds)` on the CPU evaluator and on a GPU engine, picked by name."""

from __future__ import annotations

import numpy as np
import pytest

from trtrnn import trt
from trtrnn.engine import Engine
from trtrnn.enums import RNNGateType
from trtrnn.errors import BackendError, ExecutionUnavailableError, TrtrnnError
from trtrnn.executor import NAMES, CpuExecutor, Executor, GpuExecutor, availability, executor
from trtrnn.network import build_spec_network
from trtrnn.spec import RNNSpec

EXECUTION = trt.engine_execution()


def _seed_relu_spec() -> tuple[RNNSpec, np.ndarray]:
    """The seed's first example: all-ones x (3 sequences, T=4, E=7), W=R=ones, zero biases, H=5."""
    spec = RNNSpec(op="RELU", hidden_size=5, max_seq_length=4, data_length=7, batch_shape=(3,))
    spec.weights[(0, RNNGateType.INPUT, True)] = np.ones((5, 7), np.float32)
    spec.weights[(0, RNNGateType.INPUT, False)] = np.ones((5, 5), np.float32)
    spec.biases[(0, RNNGateType.INPUT, True)] = np.zeros(5, np.float32)
    spec.biases[(0, RNNGateType.INPUT, False)] = np.zeros(5, np.float32)
    return spec.validate(), np.ones((3, 4, 7), np.float32)


#: The seed's printed output 0 rows for that example (7, 42, 217, 1092 in every column).
SEED_ROWS = np.array([7, 42, 217, 1092], np.float32)


@pytest.fixture(scope="module")
def built():
    loop = pytest.importorskip("trtrnn_loop", reason="the rnn-loop backend package is not installed")
    spec, x = _seed_relu_spec()
    return build_spec_network(loop.add_rnn, spec, x)


def test_both_executors_satisfy_the_protocol(built) -> None:
    assert isinstance(CpuExecutor(built.network), Executor)
    assert isinstance(GpuExecutor(b"engine bytes"), Executor)
    assert NAMES == ("cpu", "gpu")


def test_cpu_executor_reproduces_the_seed(built) -> None:
    with executor("cpu", network=built.network) as run:
        assert run.name == "cpu"
        out = run.infer(built.feeds)
    np.testing.assert_allclose(out["output"], np.broadcast_to(SEED_ROWS[None, :, None], (3, 4, 5)), rtol=1e-6)
    np.testing.assert_allclose(out["hidden"], np.full((3, 1, 5), 1092, np.float32), rtol=1e-6)


def test_gpu_executor_builds_a_spec_network_and_reports_availability(built) -> None:
    run = executor("gpu", network=built)  # a SpecNetwork brings its builder and profile
    assert run.name == "gpu" and isinstance(run.engine, Engine)
    assert [t.name for t in run.engine.outputs] == ["output", "hidden"]
    assert availability("gpu") == EXECUTION
    if not EXECUTION:
        with pytest.raises(ExecutionUnavailableError, match=EXECUTION.reason.split("(")[0].strip()):
            run.infer(built.feeds)


@pytest.mark.gpu
@pytest.mark.skipif(not EXECUTION, reason=f"executed tier: {EXECUTION.reason}")
def test_gpu_executor_reproduces_the_seed(built) -> None:
    with executor("gpu", serialized=built.serialize()) as run:
        out = run.infer(built.feeds)
    np.testing.assert_allclose(out["output"], np.broadcast_to(SEED_ROWS[None, :, None], (3, 4, 5)), rtol=1e-6)


def test_cpu_availability_follows_the_evaluator() -> None:
    cap = availability("cpu")
    try:
        import trtrnn.evaluator  # noqa: F401
    except ImportError:
        assert not cap and "trtrnn.evaluator" in cap.reason
    else:
        assert cap


def test_bad_names_and_missing_arguments() -> None:
    with pytest.raises(BackendError, match="unknown name 'tpu'; expected one of cpu, gpu"):
        executor("tpu")
    with pytest.raises(TrtrnnError, match="needs the INetworkDefinition"):
        executor("cpu")
    with pytest.raises(TrtrnnError, match="needs serialized engine bytes"):
        executor("gpu")


def test_engine_runs_its_network_on_the_cpu_evaluator(built) -> None:
    with Engine.build(built) as engine:
        out = engine.infer(built.feeds, executor="cpu")
        np.testing.assert_allclose(out["hidden"], np.full((3, 1, 5), 1092, np.float32), rtol=1e-6)
        if not EXECUTION:
            auto = engine.infer(built.feeds, executor="auto")
            np.testing.assert_array_equal(auto["output"], out["output"])
        with pytest.raises(TrtrnnError, match="expected 'gpu', 'cpu' or 'auto'"):
            engine.infer(built.feeds, executor="tpu")
        with pytest.raises(TrtrnnError, match="loaded from bytes"):
            Engine(engine.serialize()).infer(built.feeds, executor="cpu")


@pytest.mark.gpu
@pytest.mark.skipif(not EXECUTION, reason=f"executed tier: {EXECUTION.reason}")
def test_gpu_dynamic_batch_lstm_matches_the_reference() -> None:
    """A dynamic-batch engine built for batch <= 4 runs batch 4 and then batch 2 on one context."""
    loop = pytest.importorskip("trtrnn_loop", reason="the rnn-loop backend package is not installed")
    reference = pytest.importorskip("trtrnn.reference")
    spec = RNNSpec.random(
        5,
        op="LSTM",
        hidden_size=8,
        max_seq_length=6,
        num_layers=2,
        direction="BIDIRECTION",
        batch_shape=(4,),
        seq_lengths="ragged",
        states=True,
    )
    x = spec.random_input(6)
    built = build_spec_network(loop.add_rnn, spec, x, dynamic_batch=True)
    with executor("gpu", network=built) as run:
        for n in (4, 2):
            feeds = {k: v[:n] for k, v in built.feeds.items()}
            small = spec.replace(
                batch_shape=(n,),
                seq_lengths=spec.seq_lengths[:n],
                hidden_state=spec.hidden_state[:n],
                cell_state=spec.cell_state[:n],
            )
            want = reference.forward(small, x[:n]).as_dict()
            got = run.infer(feeds)
            for key in want:
                np.testing.assert_allclose(got[key], want[key], rtol=1e-4, atol=1e-5, err_msg=key)

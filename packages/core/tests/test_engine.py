"""Engine: build with the real builder, files, metadata, feed validation, the no-GPU path, and the
CUDA bookkeeping (statuses checked, every buffer freed) against a recording stand-in for cuda-python.

The executed tier (a real GPU) is at the end, skipped here with engine_execution()'s reason.
"""

from __future__ import annotations

import re
import types
from pathlib import Path

import numpy as np
import pytest

from trtrnn import trt
from trtrnn.engine import Engine, _Session, sidecar_path
from trtrnn.errors import ConfigurationError, CudaError, ExecutionUnavailableError, ShapeError, TrtrnnError
from trtrnn.network import has_fp16_flag

trt_mod = trt.load()
EXECUTION = trt.engine_execution()
no_gpu = pytest.mark.skipif(bool(EXECUTION), reason="checks the behaviour without a runnable GPU")
gpu = pytest.mark.skipif(not EXECUTION, reason=f"executed tier: {EXECUTION.reason}")


def _relu_network(dynamic: bool = False) -> tuple[object, object]:
    builder, network = trt.create_network()
    x = network.add_input("x", trt_mod.float32, (-1 if dynamic else 2, 4))
    layer = network.add_activation(x, trt_mod.ActivationType.RELU)
    layer.get_output(0).name = "y"
    network.mark_output(layer.get_output(0))
    return builder, network


PROFILE = {"x": ((1, 4), (2, 4), (3, 4))}


@pytest.fixture(scope="module")
def engine() -> Engine:
    builder, network = _relu_network(dynamic=True)
    return Engine.build(network, builder, profile=PROFILE)


def test_build_records_tensor_metadata(engine: Engine) -> None:
    assert len(engine.serialize()) > 1000
    (x,) = engine.inputs
    (y,) = engine.outputs
    assert (x.name, x.shape, x.dtype, x.profile) == ("x", (-1, 4), np.dtype(np.float32), PROFILE["x"])
    assert (y.name, y.shape, y.dtype, y.is_input) == ("y", (-1, 4), np.dtype(np.float32), False)


def test_build_without_a_builder() -> None:
    _, network = _relu_network()
    assert Engine.build(network).inputs[0].shape == (2, 4)


def test_build_options_reach_the_builder() -> None:
    _, network = _relu_network()
    assert len(Engine.build(network, workspace=1 << 24).serialize()) > 1000
    if has_fp16_flag():
        assert len(Engine.build(network, fp16=True).serialize()) > 1000
    else:  # never a silently fp32 engine: this flavor's precision follows the tensor types
        with pytest.raises(
            ConfigurationError, match=r"fp16: .* has no BuilderFlag.FP16 .*precision=\"fp16\""
        ):
            Engine.build(network, fp16=True)
    _, network = _relu_network(dynamic=True)
    with pytest.raises(TrtrnnError, match="refused the network"):
        Engine.build(network)  # a dynamic input without an optimization profile


def test_save_and_load_round_trip_atomically(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "model.engine"
    path.write_bytes(b"old contents")
    engine.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.engine", "model.engine.io.json"]
    loaded = Engine.load(path)
    assert loaded.serialize() == engine.serialize()
    assert loaded.inputs == engine.inputs and loaded.outputs == engine.outputs


def test_sidecar_belongs_to_its_engine(tmp_path: Path, engine: Engine) -> None:
    path = engine.save(tmp_path / "model.engine")
    path.write_bytes(engine.serialize() + b"x")  # replaced by other bytes
    with pytest.warns(UserWarning, match="describes another engine"):
        assert Engine.load(path)._io is None
    Engine(engine.serialize()).save(path)  # no metadata known: the old sidecar goes
    assert not sidecar_path(path).exists()


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(TrtrnnError, match="cannot be read"):
        Engine.load(tmp_path / "missing.engine")
    (tmp_path / "empty.engine").write_bytes(b"")
    with pytest.raises(TrtrnnError, match="is empty"):
        Engine.load(tmp_path / "empty.engine")
    (tmp_path / "garbage.engine").write_bytes(b"x" * 64)
    with pytest.raises(TrtrnnError, match="does not start like a serialized TensorRT engine"):
        Engine.load(tmp_path / "garbage.engine")
    (tmp_path / "m.engine").write_bytes(b"vtrt" + bytes(60))  # TensorRT for RTX's header, then anything
    sidecar_path(tmp_path / "m.engine").write_text("{")
    with pytest.raises(TrtrnnError, match=r"not a trtrnn \.io\.json"):
        Engine.load(tmp_path / "m.engine")
    with pytest.raises(TrtrnnError, match="non-empty bytes"):
        Engine(b"")
    with pytest.raises(TrtrnnError, match="got str"):
        Engine("model.engine")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("feeds", "message"),
    [
        ({}, r"missing input\(s\) \['x'\]"),
        ({"x": np.zeros((2, 4), np.float32), "z": np.zeros(1)}, r"unknown input\(s\) \['z'\]"),
        ({"x": np.zeros((2, 4), np.float64)}, "input 'x': dtype float64; expected float32"),
        ({"x": np.zeros((2, 5), np.float32)}, r"input 'x': shape \(2, 5\); expected \[-1, 4\]"),
        ({"x": np.zeros((4, 4), np.float32)}, "outside optimization profile 0"),
        ({"x": [[0.0] * 4]}, "expected a numpy array"),
    ],
)
def test_feeds_are_validated_before_any_gpu_work(engine: Engine, feeds: dict, message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        engine.infer(feeds)


@pytest.mark.parametrize(
    "feeds",
    [
        {},
        {"x": np.zeros((2, 4), np.float32), "z": np.zeros(1)},
        {"x": np.zeros((2, 4), np.float64)},
        {"x": np.zeros((2, 5), np.float32)},
        {"x": [[0.0] * 4]},
    ],
    ids=["missing", "unknown", "dtype", "shape", "not-an-array"],
)
def test_the_evaluator_and_the_engine_refuse_a_feed_alike(engine: Engine, feeds: dict) -> None:
    """One check of feeds (trtrnn.tensors.check_feeds): the same message but for what refuses it (and
    the engine's optimization profile, which a network's declaration does not carry)."""
    from trtrnn import evaluate

    with pytest.raises(ShapeError) as on_engine:
        engine.infer(feeds)
    with pytest.raises(ShapeError) as on_cpu:
        evaluate(engine.network, feeds)
    without_profile = re.sub(r" \(profile min [^)]*\)", "", str(on_engine.value))
    assert str(on_cpu.value) == without_profile.replace("engine", "network")


@no_gpu
def test_infer_without_gpu_says_why(engine: Engine) -> None:
    with pytest.raises(ExecutionUnavailableError) as info:
        engine.infer({"x": np.ones((2, 4), np.float32)})
    message = str(info.value)
    assert EXECUTION.reason in message and trt.flavor() in message
    assert "executor('cpu'" in message


@no_gpu
def test_metadata_of_bare_bytes_needs_a_gpu(engine: Engine) -> None:
    with pytest.raises(
        ExecutionUnavailableError, match="needs deserialize_cuda_engine, which needs a CUDA GPU"
    ):
        _ = Engine(engine.serialize()).inputs


def test_context_manager_closes(engine: Engine) -> None:
    with Engine(engine.serialize()) as e:
        assert repr(e).endswith("bytes)")
    with pytest.raises(TrtrnnError, match="the engine is closed"):
        e.infer({"x": np.ones((2, 4), np.float32)})
    e.close()  # twice is fine


# ---- CUDA bookkeeping against recording stand-ins -------------------------------------------
class FakeCudart:
    """Records every allocation and free; `fail` names a call that returns an error status."""

    class cudaMemcpyKind:  # mirrors cuda-python's name
        cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost = 1, 2

    def __init__(self, fail: str = "") -> None:
        self.fail, self.live, self.streams, self.memory = fail, set(), set(), {}
        self.next = 0x1000

    def _status(self, call: str) -> int:
        return 2 if call == self.fail else 0

    def cudaGetErrorName(self, status: int) -> tuple[int, bytes]:
        return 0, b"cudaErrorMemoryAllocation"

    def cudaStreamCreate(self) -> tuple[int, int]:
        self.streams.add(7)
        return self._status("cudaStreamCreate"), 7

    def cudaStreamDestroy(self, stream: int) -> tuple[int]:
        self.streams.discard(stream)
        return (0,)

    def cudaStreamSynchronize(self, stream: int) -> tuple[int]:
        return (self._status("cudaStreamSynchronize"),)

    def cudaMalloc(self, size: int) -> tuple[int, int]:
        if self.fail == "cudaMalloc" and self.live:
            return 2, 0
        self.next += 0x1000
        self.live.add(self.next)
        return 0, self.next

    def cudaFree(self, pointer: int) -> tuple[int]:
        self.live.remove(pointer)
        return (0,)

    def cudaMemcpyAsync(self, dst, src, count, kind, stream) -> tuple[int]:
        import ctypes

        if kind == 1:
            self.memory[dst] = ctypes.string_at(src, count)
        else:
            data = self.memory[src]
            ctypes.memmove(dst, data, count)
        return (self._status(f"cudaMemcpyAsync{kind}"),)


class FakeContext:
    def __init__(self, cudart: FakeCudart, ok: bool = True) -> None:
        self.cudart, self.ok, self.addresses, self.shapes = cudart, ok, {}, {}

    def set_input_shape(self, name: str, shape: tuple[int, ...]) -> bool:
        self.shapes[name] = tuple(shape)
        return True

    def get_tensor_shape(self, name: str) -> tuple[int, ...]:
        return self.shapes["x"]

    def set_tensor_address(self, name: str, pointer: int) -> bool:
        self.addresses[name] = pointer
        return True

    def execute_async_v3(self, stream: int) -> bool:
        """y = relu(x), computed on the fake device memory."""
        x = np.frombuffer(self.cudart.memory[self.addresses["x"]], np.float32)
        self.cudart.memory[self.addresses["y"]] = np.maximum(x, 0).tobytes()
        return self.ok


class FakeEngine:
    num_io_tensors = 2

    def __init__(self, context: FakeContext) -> None:
        self.context = context

    def get_tensor_name(self, i: int) -> str:
        return "xy"[i]

    def get_tensor_mode(self, name: str) -> str:
        return "in" if name == "x" else "out"

    def get_tensor_shape(self, name: str) -> tuple[int, ...]:
        return (-1, 4)

    def get_tensor_profile_shape(self, name: str, profile: int) -> tuple:
        return PROFILE["x"]

    def get_tensor_dtype(self, name: str) -> str:
        return "f32"

    def create_execution_context(self) -> FakeContext:
        return self.context


def _fake_trt(context: FakeContext) -> types.SimpleNamespace:
    runtime = types.SimpleNamespace(deserialize_cuda_engine=lambda blob: FakeEngine(context))
    return types.SimpleNamespace(
        Runtime=lambda logger: runtime,
        TensorIOMode=types.SimpleNamespace(INPUT="in"),
        nptype=lambda dtype: np.float32,
    )


def test_session_runs_and_frees_every_buffer() -> None:
    cudart = FakeCudart()
    session = _Session(b"blob", cudart, _fake_trt(FakeContext(cudart)))
    x = np.array([[-1, 2, -3, 4], [5, -6, 7, -8]], np.float32)
    for _ in range(2):  # reusable across calls
        out = session.infer({"x": x})
        np.testing.assert_array_equal(out["y"], np.maximum(x, 0))  # relu's definition
        assert cudart.live == set()
    session.close()
    assert cudart.streams == set()


@pytest.mark.parametrize(
    "fail", ["cudaMalloc", "cudaMemcpyAsync1", "cudaMemcpyAsync2", "cudaStreamSynchronize"]
)
def test_a_failing_cuda_call_raises_and_frees_everything(fail: str) -> None:
    cudart = FakeCudart(fail=fail)
    session = _Session(b"blob", cudart, _fake_trt(FakeContext(cudart)))
    with pytest.raises(CudaError, match=r"failed: cudaErrorMemoryAllocation \(2\)"):
        session.infer({"x": np.ones((2, 4), np.float32)})
    assert cudart.live == set()


def test_execute_failure_frees_everything() -> None:
    cudart = FakeCudart()
    session = _Session(b"blob", cudart, _fake_trt(FakeContext(cudart, ok=False)))
    with pytest.raises(CudaError, match="execute_async_v3 returned False"):
        session.infer({"x": np.ones((2, 4), np.float32)})
    assert cudart.live == set()


def test_failed_deserialization_is_explained() -> None:
    fake = _fake_trt(FakeContext(FakeCudart()))
    fake.Runtime = lambda logger: types.SimpleNamespace(deserialize_cuda_engine=lambda blob: None)
    with pytest.raises(ExecutionUnavailableError, match="another TensorRT version or flavor"):
        _Session(b"blob", FakeCudart(), fake)


# ---- executed tier ----------------------------------------------------------------------
@gpu
@pytest.mark.gpu
def test_executes_on_gpu(engine: Engine) -> None:
    x = np.array([[-1, 2, -3, 4]], np.float32)
    with Engine(engine.serialize()) as e:
        for _ in range(2):
            np.testing.assert_array_equal(e.infer({"x": x})["y"], np.maximum(x, 0))
        assert e.inputs[0].profile == PROFILE["x"]

"""`Engine`: build, serialize, save, load and run a TensorRT engine in one object.

It replaces the seed's boilerplate (builder config, runtime, context, stream, one cudaMalloc per
binding, copies, and frees that were partly forgotten) with `Engine.build(network).infer(feeds)`.
Execution uses the TensorRT 10 tensor API with cuda-python; every CUDA status is checked and every
device buffer is freed on every path. Where no runnable GPU exists, `infer` raises
ExecutionUnavailableError with the reason from `trtrnn.trt.engine_execution()`.

Deserializing an engine needs a CUDA device (TensorRT-RTX 1.7 fails in `deserialize_cuda_engine`
with "CUDA driver version is insufficient" on a machine without one), so the tensor metadata
(`inputs`, `outputs`) of an engine built here is recorded from the network at build time and kept
in a sidecar file `<engine>.io.json` by `save`; `load` reads it back when present.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from trtrnn import trt
from trtrnn.errors import CudaError, ExecutionUnavailableError, ShapeError, TrtrnnError
from trtrnn.files import atomic_write
from trtrnn.network import ProfileShapes, serialize_network, tf32_default
from trtrnn.tensors import TensorInfo, check_feeds

#: Suffix of the sidecar that keeps an engine's tensor metadata readable without a GPU.
SIDECAR_SUFFIX = ".io.json"


class Engine:
    """A serialized TensorRT engine; runs on a GPU through `infer` and frees everything on `close`.

    ```python
    with Engine.build(network, profile=profile) as engine:
        engine.save("model.engine")
        outputs = engine.infer({"input": x})   # GPU only; ExecutionUnavailableError elsewhere
    ```
    """

    def __init__(
        self,
        serialized: bytes,
        *,
        io: tuple[TensorInfo, ...] | None = None,
        network: Any = None,
        tf32: bool | None = None,
    ) -> None:
        if not isinstance(serialized, (bytes, bytearray, memoryview)) or len(serialized) == 0:
            raise TrtrnnError(
                "Engine: expected the non-empty bytes of a serialized engine; "
                f"got {type(serialized).__name__}"
                + (" of length 0" if isinstance(serialized, (bytes, bytearray, memoryview)) else "")
            )
        self._blob = bytes(serialized)
        self._io = io
        self.network = network  #: the INetworkDefinition it was built from (None when loaded from bytes)
        #: whether it was built with BuilderFlag.TF32 (None: unknown, e.g. bytes without a sidecar)
        self.tf32 = tf32
        self._session: _Session | None = None
        self._closed = False

    # ---- construction and files -----------------------------------------------------------
    @classmethod
    def build(
        cls,
        network: Any,
        builder: Any = None,
        *,
        profile: ProfileShapes | None = None,
        workspace: int | None = None,
        fp16: bool = False,
        tf32: bool | None = None,
    ) -> Engine:
        """Run TensorRT's builder on `network` (an INetworkDefinition or a `SpecNetwork`).

        `profile` maps input names to (min, opt, max) shapes for dynamic dims; a SpecNetwork brings
        its own builder and profile. `workspace` caps the builder's workspace in bytes. `fp16` sets
        BuilderFlag.FP16; where TensorRT has none (TensorRT for RTX) it raises ConfigurationError
        rather than build fp32 silently: there build a float16 network instead
        (`build_spec_network(..., precision="fp16")`). `tf32` sets or clears BuilderFlag.TF32; None
        keeps TensorRT's default (on: fp32 matrix multiplies read TF32 operands on Ampere and newer,
        docs/conformance.md says what that costs). `engine.tf32` and the sidecar record which it was.
        """
        if hasattr(network, "network") and hasattr(network, "builder"):  # a SpecNetwork
            builder = builder if builder is not None else network.builder
            profile = profile if profile is not None else network.profile
            network = network.network
        if builder is None:
            builder = trt.load().Builder(trt.logger())
        used = tf32_default(builder) if tf32 is None else tf32
        blob = serialize_network(builder, network, profile, fp16=fp16, workspace=workspace, tf32=used)
        return cls(blob, io=_network_io(network, profile or {}), network=network, tf32=used)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Engine:
        """Read an engine file (and its `.io.json` sidecar when present)."""
        path = Path(path)
        try:
            blob = path.read_bytes()
        except OSError as exc:
            raise TrtrnnError(f"engine file {str(path)!r}: cannot be read ({exc.strerror})") from None
        if not blob:
            raise TrtrnnError(f"engine file {str(path)!r}: is empty; expected a serialized TensorRT engine")
        if blob[:4] not in ENGINE_MAGICS:
            raise TrtrnnError(
                f"engine file {str(path)!r}: does not start like a serialized TensorRT engine (first bytes "
                f"{blob[:4]!r}; engines start with {' or '.join(repr(m) for m in ENGINE_MAGICS)})"
            )
        io, tf32 = _read_sidecar(path, blob)
        return cls(blob, io=io, tf32=tf32)

    def serialize(self) -> bytes:
        """The engine's bytes, as TensorRT's builder produced them."""
        return self._blob

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the engine (and its `.io.json` sidecar when metadata is known) atomically."""
        path = Path(path)
        atomic_write(path, self._blob)
        io = self._known_io()
        if io is not None:
            doc = {
                "engine_sha256": _digest(self._blob),
                "tf32": self.tf32,
                "tensors": [t.to_json() for t in io],
            }
            atomic_write(sidecar_path(path), json.dumps(doc, indent=1).encode())
        else:
            sidecar_path(path).unlink(missing_ok=True)  # a stale one would describe another engine
        return path

    # ---- metadata ---------------------------------------------------------------------------
    @property
    def inputs(self) -> tuple[TensorInfo, ...]:
        """The engine's input tensors (from the engine on a GPU, else from build-time metadata)."""
        return tuple(t for t in self._require_io() if t.is_input)

    @property
    def outputs(self) -> tuple[TensorInfo, ...]:
        """The engine's output tensors, in the engine's order."""
        return tuple(t for t in self._require_io() if not t.is_input)

    def _known_io(self) -> tuple[TensorInfo, ...] | None:
        if self._session is not None:
            return self._session.io
        return self._io

    def _require_io(self) -> tuple[TensorInfo, ...]:
        io = self._known_io()
        if io is not None:
            return io
        capability = trt.engine_execution()
        if capability:
            return self._open().io
        raise ExecutionUnavailableError(
            "engine inputs/outputs: this engine came as bytes without trtrnn's .io.json sidecar, and "
            "reading its tensors needs deserialize_cuda_engine, which needs a CUDA GPU "
            f"({_flavor_text()}); here: {capability.reason}"
        )

    # ---- execution --------------------------------------------------------------------------
    def infer(self, feeds: Mapping[str, np.ndarray], *, executor: str = "gpu") -> dict[str, np.ndarray]:
        """Run once: numpy arrays by input name in, numpy arrays by output name out.

        `executor="gpu"` runs the engine; "cpu" runs trtrnn's CPU evaluator on the network the engine
        was built from (same feeds, same outputs; TF32 matmul operands when built with the flag);
        "auto" picks "gpu" where engine_execution() holds.
        """
        if self._closed:
            raise TrtrnnError("Engine.infer: the engine is closed (used after close() or its `with` block)")
        if executor == "auto":
            executor = "gpu" if trt.engine_execution() else "cpu"
        if executor not in ("gpu", "cpu"):
            raise TrtrnnError(f"Engine.infer: executor {executor!r}; expected 'gpu', 'cpu' or 'auto'")
        if self._io is not None and self._session is None:
            check_feeds(self._io, feeds, "engine")  # fail fast with the real reason before needing a GPU
        if self.network is not None:  # value contracts the backend declared (seq_lengths in [1, T])
            from trtrnn.network import declared_ranges

            for name, contract in declared_ranges(self.network).items():
                if name in feeds:
                    contract.check(np.asarray(feeds[name]), name)
        if executor == "cpu":
            if self.network is None:
                raise TrtrnnError(
                    "Engine.infer(executor='cpu'): the CPU evaluator runs the network, and this engine was "
                    "loaded from bytes; build it with Engine.build(network) to evaluate on CPU"
                )
            from trtrnn import evaluate

            return evaluate(self.network, dict(feeds), tf32=bool(self.tf32))
        return self._open().infer(feeds)

    def _open(self) -> _Session:
        if self._session is None:
            capability = trt.engine_execution()
            if not capability:
                raise ExecutionUnavailableError(
                    f"cannot execute a TensorRT engine here ({_flavor_text()}): {capability.reason}. "
                    "Use the CPU evaluator instead: trtrnn.executor.executor('cpu', network=...)"
                )
            self._session = _Session(self._blob, _cudart(), trt.load())
        return self._session

    def close(self) -> None:
        """Free the stream, context and engine; safe to call twice."""
        session, self._session = self._session, None
        self._closed = True
        if session is not None:
            session.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Engine({len(self._blob)} bytes{', closed' if self._closed else ''})"


# ---- files ------------------------------------------------------------------------------
#: The first four bytes of a serialized engine: TensorRT's plan (b"ftrt", b"ptrt") and TensorRT for
#: RTX's (b"vtrt", read off engines its builder wrote).
ENGINE_MAGICS = (b"ftrt", b"ptrt", b"vtrt")


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """Where `save` keeps the tensor metadata of the engine at `path`."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _digest(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def _read_sidecar(path: Path, blob: bytes) -> tuple[tuple[TensorInfo, ...] | None, bool | None]:
    """(tensors, tf32) from the sidecar; (None, None) when there is none or it is another engine's."""
    side = sidecar_path(path)
    if not side.exists():
        return None, None
    try:
        data = json.loads(side.read_text())
        if data.get("engine_sha256") != _digest(blob):
            warnings.warn(
                f"{side.name} describes another engine than {path.name} (sha256 differs); ignoring it",
                stacklevel=3,
            )
            return None, None
        tf32 = data.get("tf32")  # absent in sidecars written before trtrnn recorded it
        return tuple(TensorInfo.from_json(t) for t in data["tensors"]), None if tf32 is None else bool(tf32)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise TrtrnnError(
            f"engine metadata {str(side)!r}: not a trtrnn .io.json file ({exc}); "
            "delete it or re-save the engine"
        ) from None


def _network_io(network: Any, profile: ProfileShapes) -> tuple[TensorInfo, ...]:
    trt_mod = trt.load()
    io = []
    for is_input, count, get in (
        (True, network.num_inputs, network.get_input),
        (False, network.num_outputs, network.get_output),
    ):
        for i in range(count):
            tensor = get(i)
            shape = tuple(int(d) for d in tensor.shape)
            io.append(
                TensorInfo(
                    tensor.name,
                    shape,
                    np.dtype(trt_mod.nptype(tensor.dtype)),
                    is_input,
                    profile.get(tensor.name) if is_input and -1 in shape else None,
                )
            )
    return tuple(io)


def _flavor_text() -> str:
    return f"{trt.flavor()} {trt.version()}" if trt.available() else "no TensorRT installed"


# ---- CUDA -------------------------------------------------------------------------------
def _cudart() -> ModuleType:
    try:
        from cuda.bindings import runtime as cudart  # cuda-python >= 12.6
    except ImportError:
        try:
            from cuda import cudart  # older cuda-python
        except ImportError:
            raise ExecutionUnavailableError(
                "cuda-python is not installed (`pip install cuda-python` or `pip install trtrnn[cuda]`)"
            ) from None
    return cudart


def check(cudart: Any, result: Any, call: str) -> Any:
    """Unpack a cuda-python `(status, *values)` result; CudaError naming the call unless success."""
    status, *values = result if isinstance(result, tuple) else (result,)
    if int(status) != 0:
        _, name = cudart.cudaGetErrorName(status)
        name = name.decode() if isinstance(name, bytes) else str(name)
        raise CudaError(f"{call} failed: {name} ({int(status)})")
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


class _Session:
    """The deserialized engine, its execution context and one stream, reused across `infer` calls."""

    def __init__(self, blob: bytes, cudart: Any, trt_mod: ModuleType) -> None:
        self.cudart = cudart
        self.runtime = trt_mod.Runtime(trt.logger())
        self.engine = self.runtime.deserialize_cuda_engine(blob)
        if self.engine is None:
            raise ExecutionUnavailableError(
                f"deserialize_cuda_engine returned None ({_flavor_text()}): the engine was built by another "
                "TensorRT version or flavor, for another GPU, or the bytes are not an engine"
            )
        self.context = self.engine.create_execution_context()
        if self.context is None:
            raise CudaError("create_execution_context returned None (out of device memory?)")
        self.io = self._read_io(trt_mod)
        self.stream = check(
            cudart, cudart.cudaStreamCreate(), "cudaStreamCreate"
        )  # last: nothing can leak it

    def _read_io(self, trt_mod: ModuleType) -> tuple[TensorInfo, ...]:
        io = []
        for i in range(self.engine.num_io_tensors):
            name = self.engine.get_tensor_name(i)
            is_input = self.engine.get_tensor_mode(name) == trt_mod.TensorIOMode.INPUT
            shape = tuple(int(d) for d in self.engine.get_tensor_shape(name))
            profile = None
            if is_input and -1 in shape:
                lo, opt, hi = self.engine.get_tensor_profile_shape(name, 0)
                profile = (tuple(lo), tuple(opt), tuple(hi))
            dtype = np.dtype(trt_mod.nptype(self.engine.get_tensor_dtype(name)))
            io.append(TensorInfo(name, shape, dtype, is_input, profile))
        return tuple(io)

    def infer(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        check_feeds(self.io, feeds, "engine")
        cudart = self.cudart
        for info in self.io:
            if info.is_input and not self.context.set_input_shape(info.name, feeds[info.name].shape):
                raise ShapeError(
                    f"input {info.name!r}: set_input_shape{tuple(feeds[info.name].shape)} refused"
                )
        host: dict[str, np.ndarray] = {}
        for info in self.io:
            if info.is_input:
                host[info.name] = np.ascontiguousarray(feeds[info.name])
                continue
            shape = tuple(int(d) for d in self.context.get_tensor_shape(info.name))
            if any(d < 0 for d in shape):
                raise TrtrnnError(
                    f"output {info.name!r}: shape {list(shape)} depends on the data; Engine.infer supports "
                    "outputs whose shapes follow from the input shapes"
                )
            host[info.name] = np.empty(shape, dtype=info.dtype)
        with self._device_buffers(host) as device:
            h2d = cudart.cudaMemcpyKind.cudaMemcpyHostToDevice
            d2h = cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost
            for info in self.io:
                if not self.context.set_tensor_address(info.name, int(device[info.name])):
                    raise CudaError(f"set_tensor_address({info.name!r}) refused the device pointer")
                if info.is_input and host[info.name].nbytes:
                    array = host[info.name]
                    check(
                        cudart,
                        cudart.cudaMemcpyAsync(
                            device[info.name], array.ctypes.data, array.nbytes, h2d, self.stream
                        ),
                        f"cudaMemcpyAsync(host->device, {info.name!r})",
                    )
            if not self.context.execute_async_v3(int(self.stream)):
                raise CudaError("execute_async_v3 returned False (see TensorRT's log above)")
            for info in self.io:
                array = host[info.name]
                if not info.is_input and array.nbytes:
                    check(
                        cudart,
                        cudart.cudaMemcpyAsync(
                            array.ctypes.data, device[info.name], array.nbytes, d2h, self.stream
                        ),
                        f"cudaMemcpyAsync(device->host, {info.name!r})",
                    )
            check(cudart, cudart.cudaStreamSynchronize(self.stream), "cudaStreamSynchronize")
        return {info.name: host[info.name] for info in self.io if not info.is_input}

    @contextmanager
    def _device_buffers(self, host: Mapping[str, np.ndarray]) -> Iterator[dict[str, Any]]:
        """One cudaMalloc per tensor, all freed on exit whatever happened (first error wins)."""
        device: dict[str, Any] = {}
        try:
            for name, array in host.items():
                device[name] = check(
                    self.cudart, self.cudart.cudaMalloc(max(array.nbytes, 1)), f"cudaMalloc({name!r})"
                )
            yield device
        finally:
            errors = []
            for name, pointer in device.items():
                try:
                    check(self.cudart, self.cudart.cudaFree(pointer), f"cudaFree({name!r})")
                except CudaError as exc:
                    errors.append(exc)
            if errors and not _in_exception():
                raise errors[0]

    def close(self) -> None:
        stream, self.stream = self.stream, None
        self.context = None
        self.engine = None
        self.runtime = None
        if stream is not None:
            check(self.cudart, self.cudart.cudaStreamDestroy(stream), "cudaStreamDestroy")


def _in_exception() -> bool:
    import sys

    return sys.exc_info()[0] is not None

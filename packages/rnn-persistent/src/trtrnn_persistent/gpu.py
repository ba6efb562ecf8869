"""The plugin's enqueue on a real GPU, without TensorRT: cuda-python buffers, a stream, descriptors.

`GpuRunner` is a `pipeline.RecurrenceRunner`: for each stack layer it copies the layer's inputs to
device buffers, poisons the outputs (NaN), and calls `Recurrence.enqueue_tensors` with tensor
descriptors, device pointers, a workspace and a CUDA stream — the call TensorRT makes — then copies
the outputs back and checks that every element was written. `python -m trtrnn_persistent gpu-proof`
runs the conformance cases through it (see `proof.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trtrnn_persistent import runtime as rt
from trtrnn_persistent.recurrence import FLOAT, HALF, INT32, Recurrence

NAN_BITS = 0x7FC00000
_TYPES = {np.dtype(np.float32): FLOAT, np.dtype(np.float16): HALF, np.dtype(np.int32): INT32}


@dataclass
class TensorDesc:
    """What TensorRT's PluginTensorDesc carries that the plugin reads: dims, type, format."""

    dims: tuple[int, ...]
    type: str
    format: str = "LINEAR"


class DeviceBuffer:
    """`cuMemAlloc`ed bytes, freed on close."""

    def __init__(self, nbytes: int) -> None:
        driver = rt._driver()
        (self.ptr,) = rt.check(driver.cuMemAlloc(max(nbytes, 4)), "cuMemAlloc")
        self.nbytes = nbytes
        self._keep: np.ndarray | None = None  # the host array of an asynchronous upload

    @property
    def address(self) -> int:
        return int(self.ptr)

    def upload(self, array: np.ndarray, stream: object) -> None:
        driver = rt._driver()
        data = np.ascontiguousarray(array)
        rt.check(
            driver.cuMemcpyHtoDAsync(self.ptr, data.ctypes.data, data.nbytes, stream), "cuMemcpyHtoDAsync"
        )
        self._keep = data  # alive until the copy has run

    def download(self, array: np.ndarray, stream: object) -> np.ndarray:
        driver = rt._driver()
        rt.check(
            driver.cuMemcpyDtoHAsync(array.ctypes.data, self.ptr, array.nbytes, stream), "cuMemcpyDtoHAsync"
        )
        return array

    def close(self) -> None:
        if self.ptr is not None:
            rt._driver().cuMemFree(self.ptr)
            self.ptr = None


class GpuRunner:
    """Runs plugin layers on the GPU through `enqueue_tensors`; one stream, synchronous per layer."""

    def __init__(self, *, stall_cta: int = -1) -> None:
        rt.ensure_context()
        driver = rt._driver()
        (self.stream,) = rt.check(driver.cuStreamCreate(0), "cuStreamCreate")
        self.stall_cta = stall_cta
        self.plans = []

    def __call__(self, layer: Recurrence, arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
        driver = rt._driver()
        n, t, _ = arrays["xproj"].shape
        k, h = layer.directions, layer.hidden
        names = layer.input_names()
        ins = [np.ascontiguousarray(arrays[name]) for name in names]
        shapes = [(n, t, k * h), (n, k, h), (n, k, h)][: layer.num_outputs]
        outs = [np.empty(s, np.float32) for s in shapes]
        buffers = [DeviceBuffer(a.nbytes) for a in ins] + [DeviceBuffer(o.nbytes) for o in outs]
        workspace = DeviceBuffer(layer.workspace_bytes(n))
        try:
            for buf, a in zip(buffers, ins):
                buf.upload(a, self.stream)
            for buf in buffers[len(ins) :]:
                rt.check(driver.cuMemsetD32Async(buf.ptr, NAN_BITS, buf.nbytes // 4, self.stream), "poison")
            rt.check(
                driver.cuMemsetD32Async(workspace.ptr, 0xFFFFFFFF, workspace.nbytes // 4, self.stream), "ws"
            )
            in_desc = [TensorDesc(a.shape, _TYPES[a.dtype]) for a in ins]
            out_desc = [TensorDesc(o.shape, FLOAT) for o in outs]
            plan = layer.enqueue_tensors(
                in_desc, out_desc, [b.address for b in buffers[: len(ins)]],
                [b.address for b in buffers[len(ins) :]], workspace.address, int(self.stream),
                stall_cta=self.stall_cta,
            )  # fmt: skip
            self.plans.append(plan)
            for buf, o in zip(buffers[len(ins) :], outs):
                buf.download(o, self.stream)
            rt.check(
                driver.cuStreamSynchronize(self.stream), "cuStreamSynchronize (the kernel's errors show here)"
            )
        finally:
            for buf in [*buffers, workspace]:
                buf.close()
        unwritten = [i for i, o in enumerate(outs) if np.isnan(o).any()]
        if unwritten:
            raise AssertionError(f"outputs {unwritten} of the plugin layer have unwritten (NaN) elements")
        if layer.num_outputs == 2:
            outs.append(np.zeros_like(outs[1]))
        return tuple(outs)

    def close(self) -> None:
        rt._driver().cuStreamDestroy(self.stream)

"""The GPU side: load a variant's CUBIN on the current device and launch it cooperatively on a stream.

Only the CUDA driver API through cuda-python: TensorRT's enqueue hands over raw device pointers and a
stream handle, and this module launches on exactly those. Kernels come from the on-disk cache
(`trtrnn_persistent.cache`), compiled with NVRTC for the device's architecture on first use.
"""

from __future__ import annotations

import ctypes
import functools
import os
from dataclasses import dataclass
from types import ModuleType

from trtrnn_persistent.bindings import cuda
from trtrnn_persistent.cache import KernelCache
from trtrnn_persistent.errors import LaunchError, PersistentUnavailableError
from trtrnn_persistent.plan import DeviceLimits, Plan
from trtrnn_persistent.variants import KERNEL_NAME, Variant

#: How long a CTA waits for a peer's h before trapping (the launch then fails instead of hanging).
DEFAULT_TIMEOUT_MS = 2000


def timeout_ns() -> int:
    """`TRTRNN_PERSISTENT_TIMEOUT_MS` (default 2000 ms) in nanoseconds."""
    return int(float(os.environ.get("TRTRNN_PERSISTENT_TIMEOUT_MS", DEFAULT_TIMEOUT_MS)) * 1e6)


def _driver() -> ModuleType:
    return cuda("driver")


def check(result: object, what: str) -> tuple:
    """Unpack a cuda-python result tuple; LaunchError naming the call and the CUresult."""
    if not isinstance(result, tuple):
        result = (result,)
    err = result[0]
    if int(err) != 0:
        driver = _driver()
        _, name = driver.cuGetErrorName(err)
        _, text = driver.cuGetErrorString(err)
        raise LaunchError(
            f"{what} failed: {name.decode() if name else err} ({text.decode() if text else ''})"
        )
    return result[1:]


def ensure_context() -> int:
    """Make sure a CUDA context is current (TensorRT's, or device 0's primary context); its device."""
    driver = _driver()
    try:
        check(driver.cuInit(0), "cuInit")
    except Exception as exc:  # no driver library at all raises from cuda-python's loader
        if isinstance(exc, LaunchError):
            raise PersistentUnavailableError(f"no usable CUDA driver/GPU here: {exc}") from None
        raise PersistentUnavailableError(f"no NVIDIA driver here (libcuda cannot be loaded: {exc})") from None
    (ctx,) = check(driver.cuCtxGetCurrent(), "cuCtxGetCurrent")
    if int(ctx) == 0:
        (dev,) = check(driver.cuDeviceGet(0), "cuDeviceGet")
        (ctx,) = check(driver.cuDevicePrimaryCtxRetain(dev), "cuDevicePrimaryCtxRetain")
        check(driver.cuCtxSetCurrent(ctx), "cuCtxSetCurrent")
    (dev,) = check(driver.cuCtxGetDevice(), "cuCtxGetDevice")
    return int(dev)


@functools.cache
def device_limits(device: int) -> DeviceLimits:
    driver = _driver()
    attr = driver.CUdevice_attribute

    def get(a: object) -> int:
        return int(check(driver.cuDeviceGetAttribute(a, device), f"cuDeviceGetAttribute({a})")[0])

    major = get(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
    minor = get(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)
    if not get(attr.CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH):
        raise PersistentUnavailableError(f"device {device} does not support cooperative launches")
    return DeviceLimits(
        sm_count=get(attr.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
        max_shared_per_block=get(attr.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN),
        arch=f"sm_{major}{minor}",
    )


def device_name(device: int) -> str:
    driver = _driver()
    (raw,) = check(driver.cuDeviceGetName(256, device), "cuDeviceGetName")
    return raw.split(b"\0")[0].decode()


@dataclass
class Kernel:
    """One variant loaded in the current context."""

    variant: Variant
    function: object
    registers: int
    shared_limit: int = 0

    def prepare(self, plan: Plan) -> None:
        """Raise the dynamic shared-memory limit and check that the grid can be co-resident."""
        driver = _driver()
        attr = driver.CUfunction_attribute
        if plan.shared_bytes > self.shared_limit:
            check(
                driver.cuFuncSetAttribute(
                    self.function, attr.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, plan.shared_bytes
                ),
                "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)",
            )
            self.shared_limit = plan.shared_bytes
        (per_sm,) = check(
            driver.cuOccupancyMaxActiveBlocksPerMultiprocessor(
                self.function, plan.threads, plan.shared_bytes
            ),
            "cuOccupancyMaxActiveBlocksPerMultiprocessor",
        )
        limits = device_limits(ensure_context())
        if per_sm * limits.sm_count < plan.grid:
            raise LaunchError(
                f"the grid of {plan.grid} CTAs x {plan.threads} threads ({self.registers} registers, "
                f"{plan.shared_bytes} B shared) cannot be co-resident: {per_sm} CTA(s) per SM x "
                f"{limits.sm_count} SMs; the kernel would deadlock, so it is not launched"
            )

    def launch(self, plan: Plan, stream: int, args: list[tuple[int, object]]) -> None:
        """One cooperative launch of `plan.grid` CTAs on `stream` (an int handle, 0 = default)."""
        driver = _driver()
        values = tuple(v for v, _ in args)
        types = tuple(t for _, t in args)
        check(
            driver.cuLaunchCooperativeKernel(
                self.function, plan.grid, 1, 1, plan.threads, 1, 1, plan.shared_bytes,
                driver.CUstream(stream), (values, types),
            ),
            f"cuLaunchCooperativeKernel({self.variant.name}, grid {plan.grid}, block {plan.threads})",
        )  # fmt: skip


_loaded: dict[tuple[int, int, Variant], Kernel] = {}


def load(variant: Variant, cache: KernelCache | None = None) -> Kernel:
    """`variant` loaded in the current context (compiled or read from the cache on first use)."""
    driver = _driver()
    device = ensure_context()
    (ctx,) = check(driver.cuCtxGetCurrent(), "cuCtxGetCurrent")
    key = (int(ctx), device, variant)
    if key not in _loaded:
        arch = device_limits(device).arch
        cubin = (cache or KernelCache()).get(variant, arch)
        (module,) = check(driver.cuModuleLoadData(cubin), f"cuModuleLoadData({variant.name}, {arch})")
        (function,) = check(driver.cuModuleGetFunction(module, KERNEL_NAME.encode()), "cuModuleGetFunction")
        (regs,) = check(
            driver.cuFuncGetAttribute(driver.CUfunction_attribute.CU_FUNC_ATTRIBUTE_NUM_REGS, function),
            "cuFuncGetAttribute(NUM_REGS)",
        )
        _loaded[key] = Kernel(variant, function, int(regs))
    return _loaded[key]


def memset_zero(pointer: int, nbytes: int, stream: int) -> None:
    """Zero `nbytes` (a multiple of 4) at `pointer`, asynchronously on `stream`."""
    driver = _driver()
    check(
        driver.cuMemsetD32Async(driver.CUdeviceptr(pointer), 0, nbytes // 4, driver.CUstream(stream)),
        "cuMemsetD32Async(exchange words)",
    )


POINTER = ctypes.c_void_p
INT = ctypes.c_int
U64 = ctypes.c_uint64

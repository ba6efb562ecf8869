"""NVRTC through cuda-python: kernel variants to CUBIN for one GPU architecture.

The NVRTC library comes from the `nvidia-cuda-nvrtc` wheel (`pip install trtrnn-persistent[cuda]`),
found by cuda-python's path finder; a CUDA toolkit install works too. The kernel includes no header,
so no CUDA include directory is needed.
"""

from __future__ import annotations

import functools
import re
from types import ModuleType

from trtrnn_persistent.bindings import cuda
from trtrnn_persistent.errors import KernelCompileError, PersistentUnavailableError
from trtrnn_persistent.variants import Variant, source

#: Architectures CI compiles every variant for (Ampere, Ada, Hopper).
CI_ARCHS = ("sm_80", "sm_86", "sm_89", "sm_90")


def _nvrtc() -> ModuleType:
    return cuda("nvrtc")


def _check(result: tuple, what: str) -> tuple:
    err = result[0]
    if int(err) != 0:
        raise KernelCompileError(f"NVRTC {what} failed: {err!r}")
    return result[1:]


@functools.cache
def version() -> str:
    """NVRTC's version, e.g. "13.0" (raises PersistentUnavailableError when the library is missing)."""
    nvrtc = _nvrtc()
    try:
        major, minor = _check(nvrtc.nvrtcVersion(), "nvrtcVersion")
    except RuntimeError as exc:  # cuda-python raises when libnvrtc cannot be loaded
        raise PersistentUnavailableError(
            f"the NVRTC library cannot be loaded ({exc}); `pip install trtrnn-persistent[cuda]` "
            "installs it from the nvidia-cuda-nvrtc wheel"
        ) from None
    return f"{major}.{minor}"


def check_arch(arch: str) -> str:
    """`arch` as NVRTC takes it (`sm_90`); a clear error for anything else."""
    if not re.fullmatch(r"sm_\d{2,3}[a-z]?", arch):
        raise KernelCompileError(f"arch: expected an NVRTC GPU architecture like 'sm_90'; got {arch!r}")
    return arch


def options(variant: Variant, arch: str) -> list[str]:
    """The NVRTC command line for `variant` on `arch` (part of the cache key)."""
    defines = [f"-D{k}={v}" for k, v in sorted(variant.defines().items())]
    return [f"--gpu-architecture={check_arch(arch)}", "-std=c++17", *defines]


def compile_cubin(variant: Variant, arch: str, text: str | None = None) -> bytes:
    """Compile `variant` for `arch` to CUBIN; KernelCompileError with NVRTC's log when it fails."""
    return compile_with_log(variant, arch, text)[0]


def compile_with_log(
    variant: Variant, arch: str, text: str | None = None, *, verbose: bool = False
) -> tuple[bytes, str]:
    """`compile_cubin` plus NVRTC's log (with `verbose`, ptxas's registers and spills)."""
    nvrtc = _nvrtc()
    version()
    text = source() if text is None else text
    (prog,) = _check(nvrtc.nvrtcCreateProgram(text.encode(), b"persistent_rnn.cu", 0, [], []), "create")
    try:
        opts = [o.encode() for o in options(variant, arch)] + ([b"--ptxas-options=-v"] if verbose else [])
        (result,) = nvrtc.nvrtcCompileProgram(prog, len(opts), opts)
        (size,) = _check(nvrtc.nvrtcGetProgramLogSize(prog), "log size")
        # NVRTC writes into the buffer: a mutable one. `b" " * size` would be written through, and
        # for an empty log (size 1) that is CPython's cached b" ", which then reads b"\0" in the
        # whole process (every print separator and numpy's .npy header padding became NULs).
        raw = bytearray(size)
        _check(nvrtc.nvrtcGetProgramLog(prog, raw), "log")
        log = bytes(raw).rstrip(b"\0 ").decode(errors="replace").strip()
        if int(result) != 0:
            raise KernelCompileError(
                f"NVRTC could not compile variant {variant.name} for {arch} ({result!r}):\n{log}"
            )
        (size,) = _check(nvrtc.nvrtcGetCUBINSize(prog), "CUBIN size")
        cubin = bytearray(size)
        _check(nvrtc.nvrtcGetCUBIN(prog, cubin), "CUBIN")
        return bytes(cubin), log
    finally:
        nvrtc.nvrtcDestroyProgram(prog)


def resources(log: str) -> dict[str, int]:
    """Registers, stack frame and spill bytes from a verbose log (empty where ptxas said nothing)."""
    found = {}
    for name, pattern in (
        ("registers", r"Used (\d+) registers"),
        ("stack_bytes", r"(\d+) bytes stack frame"),
        ("spill_stores", r"(\d+) bytes spill stores"),
        ("spill_loads", r"(\d+) bytes spill loads"),
    ):
        m = re.search(pattern, log)
        if m:
            found[name] = int(m.group(1))
    return found

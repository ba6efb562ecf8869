"""The on-disk kernel cache: a CUBIN per (source, variant, architecture, NVRTC version).

Compiling a variant takes about a second; a plugin is created many times (build, every engine load,
every context), so compiled kernels are kept in `$TRTRNN_PERSISTENT_CACHE` (default
`~/.cache/trtrnn-persistent`). The key hashes everything that changes the CUBIN: the source text,
the NVRTC options (variant defines and architecture) and NVRTC's version. Writes are atomic
(a temporary file in the same directory, then `os.replace`), so concurrent builds never read a
half-written kernel.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from trtrnn.files import atomic_write
from trtrnn_persistent import nvrtc
from trtrnn_persistent.variants import Variant, source

ENV = "TRTRNN_PERSISTENT_CACHE"


def default_dir() -> Path:
    """`$TRTRNN_PERSISTENT_CACHE`, else `$XDG_CACHE_HOME/trtrnn-persistent`, else `~/.cache/...`."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "trtrnn-persistent"


def key(variant: Variant, arch: str, text: str, nvrtc_version: str) -> str:
    """The cache key: sha256 over source, options and NVRTC version (hex, 32 chars)."""
    h = hashlib.sha256()
    for part in (text, "\0".join(nvrtc.options(variant, arch)), nvrtc_version):
        h.update(part.encode())
        h.update(b"\1")
    return h.hexdigest()[:32]


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` (creating its directory) so readers see the old file or the whole new
    one, never a part: core's `trtrnn.files.atomic_write`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)


class KernelCache:
    """CUBINs on disk; `get(variant, arch)` compiles on a miss. `hits`/`misses` count this object's use."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_dir()
        self.hits = 0
        self.misses = 0

    def path(self, variant: Variant, arch: str, text: str | None = None) -> Path:
        text = source() if text is None else text
        return self.directory / f"{variant.name}-{arch}-{key(variant, arch, text, nvrtc.version())}.cubin"

    def get(self, variant: Variant, arch: str, text: str | None = None) -> bytes:
        """The CUBIN of `variant` for `arch`, from disk or freshly compiled (then stored)."""
        text = source() if text is None else text
        path = self.path(variant, arch, text)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = b""
        if data:
            self.hits += 1
            return data
        self.misses += 1
        data = nvrtc.compile_cubin(variant, arch, text)
        write_atomic(path, data)
        return data

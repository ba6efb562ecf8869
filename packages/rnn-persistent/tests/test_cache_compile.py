"""NVRTC compiles the kernel without a GPU; the cache keys and writes CUBINs atomically."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from trtrnn_persistent import cache, nvrtc
from trtrnn_persistent.errors import KernelCompileError, PersistentUnavailableError
from trtrnn_persistent.variants import Variant, all_variants, source

try:
    nvrtc.version()
    HAVE_NVRTC = True
except PersistentUnavailableError:
    HAVE_NVRTC = False
needs_nvrtc = pytest.mark.skipif(
    not HAVE_NVRTC, reason="NVRTC not installed (pip install trtrnn-persistent[cuda])"
)


def test_key_changes_with_source_options_arch_and_nvrtc():
    v = Variant("GRU", 8)
    base = cache.key(v, "sm_90", "src", "13.0")
    assert base == cache.key(v, "sm_90", "src", "13.0")
    others = {
        cache.key(v, "sm_80", "src", "13.0"),
        cache.key(v, "sm_90", "src2", "13.0"),
        cache.key(v, "sm_90", "src", "13.1"),
        cache.key(Variant("GRU", 8, "float16"), "sm_90", "src", "13.0"),
    }
    assert base not in others and len(others) == 4


def test_write_atomic_leaves_no_partial_file(tmp_path):
    target = tmp_path / "a" / "k.cubin"
    cache.write_atomic(target, b"first")
    cache.write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["k.cubin"]  # no temporary left behind
    with pytest.raises(TypeError):  # a failed write keeps the old file and removes its temporary
        cache.write_atomic(target, object())  # type: ignore[arg-type]
    assert target.read_bytes() == b"second" and len(list(target.parent.iterdir())) == 1


def test_bad_arch_is_a_named_error():
    with pytest.raises(KernelCompileError, match="arch: expected an NVRTC GPU architecture"):
        nvrtc.options(Variant("RNN", 2), "hopper")


@needs_nvrtc
def test_cache_compiles_once_then_reads(tmp_path):
    kc = cache.KernelCache(tmp_path)
    first = kc.get(Variant("RNN", 2), "sm_80")
    assert first[:4] == b"\x7fELF" and (kc.misses, kc.hits) == (1, 0)
    again = cache.KernelCache(tmp_path).get(Variant("RNN", 2), "sm_80")
    assert again == first


@needs_nvrtc
def test_compile_error_carries_nvrtc_log():
    with pytest.raises(KernelCompileError, match=r"(?s)RNN-c2-w32 for sm_90.*error"):
        nvrtc.compile_cubin(Variant("RNN", 2), "sm_90", source() + "\nthis is not C++;\n")


@needs_nvrtc
def test_every_variant_compiles_for_every_ci_arch(tmp_path):
    """`python -m trtrnn_persistent compile` over sm_80/86/89/90: all variants, exit code 0."""
    args = [a for arch in nvrtc.CI_ARCHS for a in ("--arch", arch)]
    env = {**os.environ, "TRTRNN_PERSISTENT_CACHE": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "trtrnn_persistent", "compile", *args], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    total = len(all_variants()) * len(nvrtc.CI_ARCHS)
    assert f"{total}/{total} variants compiled" in done.stdout


def test_compile_cli_fails_on_a_bad_arch():
    done = subprocess.run(
        [sys.executable, "-m", "trtrnn_persistent", "compile", "--arch", "hopper"],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "arch" in (done.stdout + done.stderr)


def test_compiling_leaves_the_interpreters_cached_bytes_alone():
    # NVRTC writes its log into the buffer it is given; an empty log has size 1, and `b" " * 1` is
    # CPython's cached b" ": it once read b"\0" for the rest of the process (print separators and
    # numpy's .npy header padding came out as NULs). Indexing reads the object's content.
    cubin, log = nvrtc.compile_with_log(Variant("RNN", 2), "sm_90")
    assert cubin[:4] == b"\x7fELF" and log == ""  # the empty log is the case that wrote through
    space = " "
    assert bytes([32])[0] == 32 and space.encode()[0] == 32 and b" "[0] == 32

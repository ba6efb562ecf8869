"""`python -m trtrnn_persistent compile --arch sm_90`: compile every kernel variant with NVRTC.

Exits 1 when any variant fails (its NVRTC log is printed), so CI proves that the kernels compile for
every architecture it names without a GPU. `--verbose` prints ptxas's registers and spills per variant
and fails on a spill of the register-resident weights (`--allow-spills` to only report).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from trtrnn_persistent import nvrtc
from trtrnn_persistent.cache import KernelCache, write_atomic
from trtrnn_persistent.errors import KernelCompileError, PersistentUnavailableError
from trtrnn_persistent.variants import Variant, all_variants


def _compile(job: tuple[Variant, str, bool, str | None]) -> tuple[Variant, str, float, str, dict | None]:
    variant, arch, verbose, cache_dir = job
    start = time.perf_counter()
    try:
        if cache_dir is not None and not verbose:
            KernelCache(cache_dir).get(variant, arch)
            info = None
        else:
            cubin, log = nvrtc.compile_with_log(variant, arch, verbose=verbose)
            info = nvrtc.resources(log) if verbose else None
            if cache_dir is not None:
                cache = KernelCache(cache_dir)
                write_atomic(cache.path(variant, arch), cubin)
        return variant, arch, time.perf_counter() - start, "", info
    except KernelCompileError as exc:
        return variant, arch, time.perf_counter() - start, str(exc), None


def compile_all(args: argparse.Namespace) -> int:
    try:
        print(f"NVRTC {nvrtc.version()}")
    except PersistentUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        archs = [nvrtc.check_arch(a) for a in args.arch]
    except KernelCompileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    jobs = [(v, a, args.verbose, args.cache) for a in archs for v in all_variants()]
    start = time.perf_counter()
    failures = spills = 0
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for variant, arch, seconds, error, info in pool.map(_compile, jobs):
            if error:
                failures += 1
                print(f"FAIL {arch} {variant.name}: {error}")
                continue
            extra = ""
            if info is not None:
                # spills, or a stack frame (an array the compiler moved to local memory)
                spilled = (
                    info.get("spill_stores", 0) + info.get("spill_loads", 0) + info.get("stack_bytes", 0)
                )
                spills += bool(spilled)
                extra = (
                    f" registers {info.get('registers')} (launch bound {variant.max_threads} threads)"
                    f" stack {info.get('stack_bytes', 0)} B spills {info.get('spill_stores', 0)}/"
                    f"{info.get('spill_loads', 0)} B" + ("  <- SPILL" if spilled else "")
                )
            print(f"ok   {arch} {variant.name} {seconds:.2f} s{extra}")
    total = time.perf_counter() - start
    print(
        f"{len(jobs) - failures}/{len(jobs)} variants compiled for {', '.join(archs)} in {total:.1f} s "
        f"({args.jobs} processes)" + (f"; {spills} spill" if args.verbose else "")
    )
    if failures:
        return 1
    if spills and not args.allow_spills:
        print("error: some variants spill registers or keep arrays in local memory", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trtrnn_persistent")
    sub = parser.add_subparsers(dest="command", required=True)
    comp = sub.add_parser("compile", help="compile every kernel variant with NVRTC (no GPU needed)")
    comp.add_argument("--arch", action="append", required=True, help="sm_80, sm_90, ... (repeatable)")
    comp.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="compiler processes")
    comp.add_argument("--cache", default=None, help="also store the CUBINs in this kernel cache directory")
    comp.add_argument("--verbose", action="store_true", help="print registers and spills per variant")
    comp.add_argument("--allow-spills", action="store_true", help="with --verbose: report spills only")
    sub.add_parser(
        "gpu-proof", help="the plugin's enqueue on this GPU over the conformance cases", add_help=False
    )
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["gpu-proof"]:
        from trtrnn_persistent import proof

        return proof.main(argv[1:])
    args = parser.parse_args(argv)
    return compile_all(args)


if __name__ == "__main__":
    sys.exit(main())

"""`python -m trtrnn_persistent gpu-proof`: the plugin's enqueue on a GPU over the conformance cases.

Tier: **plugin enqueue on a GPU** — the kernel runs on a real GPU and the plugin's `enqueue` is called
as TensorRT calls it (descriptors, device pointers, workspace, stream), but the input projection and
output assembly around it are computed on the host (`pipeline.run`), not by a TensorRT engine. It is
not the conformance suite's "executed" tier. Every case is judged by its own oracle and tolerance
(`Case.expected_outputs`, `Case.judged_by`). fp32 cases run twice: with fp32 weights, and with fp16
weights against the reference on the same fp16-rounded weights (fp32 tolerance: the kernel widens
them and accumulates in fp32). Then: repeated launches must give bit-identical results, and a
launch whose peer never publishes must fail with a CUDA error within the timeout (a subprocess: the
trap leaves its CUDA context unusable).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from trtrnn.conformance.compare import compare
from trtrnn_persistent import nvrtc, pipeline
from trtrnn_persistent import runtime as rt
from trtrnn_persistent.cache import write_atomic
from trtrnn_persistent.errors import LaunchError, UnsupportedSizeError
from trtrnn_persistent.gpu import GpuRunner
from trtrnn_persistent.plugin import BACKEND as PLUGIN_BACKEND


def conformance_cases() -> list:
    """The suite's fixed cases (seed, matrix, onnxruntime) that a plugin layer can take."""
    from trtrnn.conformance.sources import iter_sources

    out = []
    for source, load in iter_sources():
        if source in ("seed", "matrix", "onnx"):
            out += load()
    return out


def with_batch_of_one(cases: list) -> list:
    """The cases, each dynamic-batch one followed by its first item alone (what the suite runs as the
    profile's minimum, judged by the reference of that item)."""
    from trtrnn.conformance.cases import Case
    from trtrnn.conformance.matrix import slice_batch

    out = []
    for case in cases:
        out.append(case)
        if case.dynamic_batch and case.oracle == "trtrnn.reference":
            spec, feeds = slice_batch(case)
            out.append(Case(case.id + "-batch1", spec, feeds["input"], case.source, precision=case.precision))
    return out


def weights_rounded(spec: object) -> object:
    """The spec with its recurrent matrices R rounded to float16 (what the kernel holds; W, biases
    and data untouched)."""
    rounded = {
        k: np.asarray(v).astype(np.float16).astype(np.float32) if not k[2] else v
        for k, v in spec.weights.items()
    }
    return spec.replace(weights=rounded)


def _check_case(case: object, runner: GpuRunner, *, weights_half: bool = False) -> dict:
    start = time.perf_counter()
    spec, x = case.spec, case.x
    entry = {"id": case.id + ("+fp16-weights" if weights_half else ""), "precision": case.precision}
    why = PLUGIN_BACKEND.inexpressible(spec.features())
    if why:  # an extension the kernel does not compute
        entry.update(status="n/a", reason=why, seconds=0.0)
        return entry
    try:
        if weights_half:
            from trtrnn import reference

            expected = reference.forward(weights_rounded(spec), x).as_dict()
        else:
            expected = case.expected_outputs()
        got = pipeline.run(spec, x, runner, precision=case.precision, weights_half=weights_half or None)
        got = {k: v.astype(np.float32) for k, v in got.items()}
        cmp = compare(expected, got, case.judged_by())
        entry.update(status="pass" if cmp.ok else "fail", max_abs=float(cmp.max_abs))
        if not cmp.ok:
            entry["detail"] = cmp.text()
    except UnsupportedSizeError as exc:
        entry.update(status="n/a", reason=str(exc))
    except Exception as exc:  # a launch or compile error is this case's failure, with its message
        entry.update(status="fail", detail=f"{type(exc).__name__}: {exc}")
    entry["seconds"] = round(time.perf_counter() - start, 4)
    return entry


def repeat_check(runner: GpuRunner, repeats: int) -> list[dict]:
    """Configurations run `repeats` times each: every result must be bit-identical to the first."""
    from trtrnn.spec import RNNSpec

    configs = [
        dict(op="LSTM", hidden_size=256, max_seq_length=32, batch_shape=(1,)),
        dict(op="LSTM", hidden_size=256, max_seq_length=32, batch_shape=(8,), direction="BIDIRECTION"),
        dict(op="GRU", hidden_size=1024, max_seq_length=16, batch_shape=(1,)),
        dict(op="TANH", hidden_size=64, max_seq_length=24, batch_shape=(5,), seq_lengths="ragged"),
        dict(op="RELU", hidden_size=512, max_seq_length=16, batch_shape=(3,), num_layers=2,
             direction="BIDIRECTION", seq_lengths="ragged", states=True),
        # more than 32 sequences: lanes finish sequences beyond the ones they prefetched
        dict(op="LSTM", hidden_size=64, max_seq_length=12, batch_shape=(40,), direction="BIDIRECTION",
             seq_lengths="ragged", states=True),
        dict(op="GRU", hidden_size=96, max_seq_length=10, batch_shape=(33,), seq_lengths="ragged"),
    ]  # fmt: skip
    results = []
    for i, options in enumerate(configs):
        spec = RNNSpec.random(900 + i, **options)
        x = spec.random_input(950 + i)
        first = pipeline.run(spec, x, runner)
        differing = 0
        for _ in range(repeats - 1):
            again = pipeline.run(spec, x, runner)
            differing += any(not np.array_equal(first[k], again[k]) for k in first)
        ref = pipeline.run(spec, x)  # the emulation, for the error
        err = max(float(np.abs(first[k] - ref[k]).max()) for k in first)
        results.append({
            "config": {k: str(v) for k, v in options.items()}, "launches": repeats * spec.num_layers,
            "differing_runs": differing, "max_abs_vs_emulation": err,
            "status": "pass" if differing == 0 and err < 1e-4 else "fail",
        })  # fmt: skip
        print(f"repeat {results[-1]}", flush=True)
    return results


def trap_child(batch: int) -> int:
    """Run a launch where CTA 0 never publishes step 1: must end with a CUDA error, not a hang.
    Batch 1 takes the split layout, batch 2 the unit layout: each has its own polling loop call."""
    from trtrnn.spec import RNNSpec

    os.environ["TRTRNN_PERSISTENT_TIMEOUT_MS"] = "200"
    spec = RNNSpec.random(5, op="LSTM", hidden_size=256, max_seq_length=8, batch_shape=(batch,))
    runner = GpuRunner(stall_cta=0)
    start = time.perf_counter()
    try:
        pipeline.run(spec, spec.random_input(6), runner)
    except LaunchError as exc:
        print(json.dumps({"error": str(exc), "seconds": time.perf_counter() - start}))
        return 0
    print(json.dumps({"error": None, "seconds": time.perf_counter() - start}))
    return 1


def trap_check(batch: int, limit_s: float = 60.0) -> dict:
    command = [sys.executable, "-m", "trtrnn_persistent", "gpu-proof", "--trap-child", str(batch)]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit_s)
    except subprocess.TimeoutExpired:
        return {"status": "fail", "detail": f"no error within {limit_s} s: the bounded wait did not fire"}
    seconds = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    got = json.loads(lines[-1]) if lines else {"error": None}
    ok = done.returncode == 0 and got.get("error")
    return {
        "status": "pass" if ok else "fail",
        "batch": batch,
        "timeout_ms": 200,
        "error": got.get("error"),
        "seconds_in_child": got.get("seconds"),
        "seconds_total": round(seconds, 2),
        "stderr_tail": done.stderr[-500:],
    }


def _driver_version() -> str:
    """The kernel driver's version (from /proc where Linux has it) and the CUDA version it supports."""
    (v,) = rt.check(rt._driver().cuDriverGetVersion(), "cuDriverGetVersion")
    cuda = f"CUDA {v // 1000}.{v % 1000 // 10}"
    try:
        text = Path("/proc/driver/nvidia/version").read_text()
    except OSError:
        return cuda
    found = re.search(r"Kernel Module\s+(?:for \S+\s+)?([\d.]+)", text)
    return f"{found.group(1)} ({cuda})" if found else cuda


#: Batch-1 shapes for `layout_check`: every cell, H around each split bucket's edges (and inside
#: none: H=1), both directions, full and ragged lengths, initial states.
LAYOUT_CONFIGS = [
    dict(op=op, hidden_size=h, direction=direction, seq_lengths=lengths, states=states)
    for op in ("LSTM", "GRU", "TANH", "RELU")
    for h, direction, lengths, states in (
        (1, "UNIDIRECTION", "full", False), (48, "BIDIRECTION", "ragged", True),
        (100, "BIDIRECTION", "ragged", True), (256, "BIDIRECTION", "full", True),
        (264, "BIDIRECTION", "ragged", True), (256, "UNIDIRECTION", "ragged", False),
        (257, "UNIDIRECTION", "ragged", False), (300, "BIDIRECTION", "ragged", False),
        (512, "UNIDIRECTION", "full", True), (700, "UNIDIRECTION", "ragged", True),
        (1000, "UNIDIRECTION", "full", False), (1024, "UNIDIRECTION", "ragged", True),
    )
]  # fmt: skip


def layout_check(runner: GpuRunner) -> list[dict]:
    """Each LAYOUT_CONFIGS shape (batch 1, T 9, two stacked layers where H <= 512) run in both
    layouts (`TRTRNN_PERSISTENT_LAYOUT` auto -> split where it fits, and unit), each judged against
    the reference: the split layout is what batch 1 gets, the unit layout what it replaced."""
    from trtrnn.conformance.cases import Case
    from trtrnn.spec import RNNSpec

    results = []
    for i, options in enumerate(LAYOUT_CONFIGS):
        layers = 2 if options["hidden_size"] <= 512 else 1
        spec = RNNSpec.random(700 + i, max_seq_length=9, batch_shape=(1,), num_layers=layers, **options)
        case = Case(f"layout-{i}", spec, spec.random_input(750 + i), "matrix")
        before = os.environ.get("TRTRNN_PERSISTENT_LAYOUT")
        for layout in ("auto", "unit"):
            os.environ["TRTRNN_PERSISTENT_LAYOUT"] = layout
            entry = {"config": {k: str(v) for k, v in options.items()}, "layers": layers, "layout": layout}
            try:
                limits = rt.device_limits(rt.ensure_context())
                entry["variant"] = pipeline.layer_for(spec, weights_half=False).plan(1, limits).variant.name
                got = pipeline.run(spec, case.x, runner)
                cmp = compare(case.expected_outputs(), got, case.judged_by())
                entry.update(status="pass" if cmp.ok else "fail", max_abs=float(cmp.max_abs))
                if not cmp.ok:
                    entry["detail"] = cmp.text()
            except UnsupportedSizeError as exc:
                entry.update(status="n/a", reason=str(exc))
            except Exception as exc:
                entry.update(status="fail", detail=f"{type(exc).__name__}: {exc}")
            finally:
                if before is None:
                    os.environ.pop("TRTRNN_PERSISTENT_LAYOUT", None)
                else:
                    os.environ["TRTRNN_PERSISTENT_LAYOUT"] = before
            results.append(entry)
            if entry["status"] != "pass":
                print(f"layout {entry}", flush=True)
    counts = {s: sum(e["status"] == s for e in results) for s in ("pass", "fail", "n/a")}
    print(f"layouts: {counts}", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trtrnn_persistent gpu-proof")
    parser.add_argument("--out", default="reports/persistent-gpu.json")
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--limit", type=int, default=0, help="only the first N cases (0 = all)")
    parser.add_argument("--trap-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.trap_child:
        return trap_child(args.trap_child)
    device = rt.ensure_context()
    runner = GpuRunner()
    cases = conformance_cases()
    if args.limit:
        cases = cases[: args.limit]
    entries = []
    start = time.perf_counter()
    for case in with_batch_of_one(cases):
        for half in (False, True) if case.precision == "fp32" else (False,):
            entry = _check_case(case, runner, weights_half=half)
            entries.append(entry)
            if entry["status"] != "pass":
                print(
                    f"{entry['status']:5} {entry['id']}: {entry.get('detail') or entry.get('reason')}",
                    flush=True,
                )
    counts = {s: sum(e["status"] == s for e in entries) for s in ("pass", "fail", "n/a")}
    print(f"cases: {counts} in {time.perf_counter() - start:.1f} s", flush=True)
    layouts = layout_check(runner)
    repeats = repeat_check(runner, args.repeats)
    traps = [trap_check(batch) for batch in (1, 2)]  # the split and the unit layout
    print(f"trap: {traps}", flush=True)
    report = {
        "tier": "plugin enqueue on a GPU (no TensorRT engine): not the suite's executed tier",
        "device": rt.device_name(device),
        "arch": rt.device_limits(device).arch,
        "sm_count": rt.device_limits(device).sm_count,
        "driver": _driver_version(),
        "nvrtc": nvrtc.version(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": "python -m trtrnn_persistent gpu-proof " + " ".join(argv or sys.argv[1:]),
        "summary": counts,
        "cases": entries,
        "batch1_layouts": layouts,
        "repeated_launches": repeats,
        "bounded_wait": traps,
    }
    write_atomic(Path(args.out), (json.dumps(report, indent=1) + "\n").encode())
    print(f"wrote {args.out}")
    failed = (
        counts["fail"]
        or any(r["status"] != "pass" for r in repeats)
        or any(r["status"] == "fail" for r in layouts)
        or any(t["status"] != "pass" for t in traps)
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

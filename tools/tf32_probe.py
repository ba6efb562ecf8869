"""Does trtrnn's TF32 model (trtrnn.tf32) compute what the GPU computes with TF32 on?

Runs on a CUDA machine with numpy and torch only (no TensorRT, no trtrnn install): it loads
packages/core/src/trtrnn/tf32.py by path (or --module) and compares torch float32 matmuls with
TF32 on (cuBLAS; torch.backends.cuda.matmul.allow_tf32) against that module's rounding applied to
the same operands.

1. Rounding, exactly: `A @ I` and `I @ B` with I the identity make every product exact and every sum
   exact, so the GPU returns the operand as the tensor core read it. Operands have random exponents
   and mantissas, a quarter of them exact ties (low 13 bits 0x1000) and some one bit either side, so
   round-to-nearest-ties-away (cvt.rna), ties-to-even (cvt.rn) and toward-zero (low bits ignored)
   all disagree somewhere. Per shape: mismatching elements for each mode (0 = that mode is what the
   hardware did).
2. Random shapes like the lowerings' matmuls (rnn-loop): the recurrent `[D, N, H] x [D, H, G*H]` and
   the hoisted projection `[D, N*T, E] x [D, E, G*H]`, D directions, G gates. For each mode the model
   is the float64 product of the TF32-rounded operands (exact products, no accumulation error); the
   GPU may only differ by its float32 accumulation, so the stated bound per element is Higham's
   gamma_K * sum_k |a_k||b_k| with gamma_K = K u / (1 - K u), u = 2^-24. Reported: the largest
   |gpu - model| / bound (must be <= 1 for the model to hold), per mode and for plain float32, and
   the rms of |gpu - model| / sum_k |a_k||b_k| in units of 2^-24: the right model sits near float32
   accumulation noise, a wrong one near TF32's 2^-11 (the bound alone is loose at large K).

    python tools/tf32_probe.py --out reports/tf32-gpu.json    # on the GPU machine
    python tools/tf32_probe.py --device cpu --out /tmp/x.json  # dry run: TF32 cannot apply on CPU

    python tools/tf32_probe.py --recheck reports/tf32-gpu.json  # judge a stored report again

Exit code 0 when the default mode (trtrnn.tf32.DEFAULT_MODE) matched the hardware exactly in part 1
and stayed within the bound in part 2 wherever cuBLAS used TF32 (a shape it ran without TF32 is
listed, not judged; on CPU: when plain float32 stayed within the bound), else 1.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib.util
import json
import os
import platform
import sys
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np

HERE = Path(__file__).resolve().parent
MODULE_CANDIDATES = (HERE / "tf32.py", HERE.parent / "packages" / "core" / "src" / "trtrnn" / "tf32.py")
U32 = 2.0**-24
#: The model without TF32: the operands as they are.
PLAIN = "fp32 (no rounding)"

#: (label, A shape, B shape): the recurrent matmul [D, N, H] x [D, H, G*H] and the hoisted input
#: projection [D, N*T, E] x [D, E, G*H] at the conformance matrix's sizes and larger ones.
SHAPES: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...] = (
    ("recurrent LSTM uni N=3 H=8", (1, 3, 8), (1, 8, 32)),
    ("recurrent GRU bi N=3 H=32", (2, 3, 32), (2, 32, 96)),
    ("recurrent RELU bi N=4 H=256", (2, 4, 256), (2, 256, 256)),
    ("recurrent LSTM bi N=64 H=256", (2, 64, 256), (2, 256, 1024)),
    ("recurrent GRU uni N=8 H=1024", (1, 8, 1024), (1, 1024, 3072)),
    ("projection LSTM bi N*T=18 E=20 H=32", (2, 18, 20), (2, 20, 128)),
    ("projection GRU uni N*T=12 E=256 H=256", (1, 12, 256), (1, 256, 768)),
    ("projection LSTM bi N*T=1600 E=512 H=512", (2, 1600, 512), (2, 512, 2048)),
    ("projection TANH uni N*T=75 E=5 H=8 (2-D)", (75, 5), (5, 8)),
)
#: (label, rows, K, batch) of the identity tests; A is [batch, rows, K], B is [batch, K, rows].
IDENTITY_SHAPES = (
    ("batched 2x64x128", 64, 128, 2),
    ("batched 2x1600x512", 1600, 512, 2),
    ("2-D 256x256", 256, 256, 0),
    ("2-D 4096x1024", 4096, 1024, 0),
    ("small 3x8", 3, 8, 1),
)


def load_module(path: str | None) -> ModuleType:
    """trtrnn/tf32.py by file path, so that neither trtrnn nor TensorRT need be installed."""
    candidates = [Path(path)] if path else [p for p in MODULE_CANDIDATES if p.exists()]
    if not candidates or not candidates[0].exists():
        raise SystemExit(f"tf32_probe: cannot find tf32.py (tried {path or MODULE_CANDIDATES})")
    spec = importlib.util.spec_from_file_location("trtrnn_tf32", candidates[0])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.__file__ = str(candidates[0])
    return module


def set_tf32(torch: ModuleType, on: bool) -> None:
    """TF32 for cuBLAS matmuls on or off (both the old flag and, where it exists, the newer one)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.backends.cuda.matmul.allow_tf32 = on
        if hasattr(torch.backends.cuda.matmul, "fp32_precision"):
            try:
                torch.backends.cuda.matmul.fp32_precision = "tf32" if on else "ieee"
            except Exception:  # older spellings; allow_tf32 above is then the one that counts
                pass


def blas_library(torch: ModuleType) -> str | None:
    try:
        return str(torch.backends.cuda.preferred_blas_library())
    except Exception:  # not in every torch
        return None


def gpu_matmul(torch: ModuleType, device: str, a: np.ndarray, b: np.ndarray, tf32: bool) -> np.ndarray:
    set_tf32(torch, tf32)
    out = torch.matmul(torch.from_numpy(a).to(device), torch.from_numpy(b).to(device))
    if device != "cpu":
        torch.cuda.synchronize()
    return out.cpu().numpy()


def tricky_operand(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """float32 values whose low 13 mantissa bits make the rounding modes disagree: a quarter exact ties
    (0x1000), some just below or above a tie, some odd kept bit with a tie (to-even vs away), the rest
    random; exponents 2^-20..2^20, both signs. Includes 1024.5 (pytorch/pytorch#53635)."""
    n = int(np.prod(shape))
    sign = rng.integers(0, 2, n, dtype=np.uint32) << np.uint32(31)
    exponent = rng.integers(127 - 20, 127 + 21, n, dtype=np.uint32) << np.uint32(23)
    mantissa = rng.integers(0, 1 << 23, n, dtype=np.uint32)
    kind = rng.integers(0, 8, n)
    low = np.select(
        [kind < 2, kind == 2, kind == 3, kind == 4],
        [np.uint32(0x1000), np.uint32(0x0FFF), np.uint32(0x1001), np.uint32(0)],
        mantissa & np.uint32(0x1FFF),
    ).astype(np.uint32)
    bits = sign | exponent | (mantissa & np.uint32(0x7FE000)) | low
    values = bits.view(np.float32).copy()
    values[0] = 1024.5
    return values.reshape(shape)


def identity_tests(torch: ModuleType, device: str, tf32: ModuleType, rng: np.random.Generator) -> list[dict]:
    results = []
    for label, rows, k, batch in IDENTITY_SHAPES:
        lead = (batch,) if batch else ()
        a = tricky_operand(rng, (*lead, rows, k))
        b = tricky_operand(rng, (*lead, k, rows))
        eye_k = np.broadcast_to(np.eye(k, dtype=np.float32), (*lead, k, k)).copy()
        for operand, got_on, got_off, value in (
            ("A (first operand)", *(gpu_matmul(torch, device, a, eye_k, t) for t in (True, False)), a),
            ("B (second operand)", *(gpu_matmul(torch, device, eye_k, b, t) for t in (True, False)), b),
        ):
            mismatches = {m: int(np.sum(got_on != tf32.round_tf32(value, m))) for m in tf32.MODES}
            mismatches[PLAIN] = int(np.sum(got_on != value))
            results.append(
                {
                    "shape": label,
                    "operand": operand,
                    "elements": int(value.size),
                    "tf32_applied": bool(np.any(got_on != value)),
                    "mismatches_with_tf32_on": mismatches,
                    "mismatches_tf32_off_vs_fp32": int(np.sum(got_off != value)),
                    "example_1024_5": float(got_on.reshape(-1)[0]) if operand.startswith("A") else None,
                }
            )
    return results


def random_operands(
    rng: np.random.Generator, a_shape: tuple, b_shape: tuple
) -> tuple[np.ndarray, np.ndarray]:
    """Activations in (-1, 1) (tanh/sigmoid outputs, the spec's inputs); weights U(-1/sqrt(K), 1/sqrt(K))."""
    k = a_shape[-1]
    a = rng.uniform(-1.0, 1.0, a_shape).astype(np.float32)
    b = (rng.uniform(-1.0, 1.0, b_shape) / np.sqrt(k)).astype(np.float32)
    return a, b


def f64_matmul(torch: ModuleType, device: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float64 product (on the device when there is one; exact for TF32 operands up to 2^-53 K)."""
    ta = torch.from_numpy(a.astype(np.float64)).to(device)
    tb = torch.from_numpy(b.astype(np.float64)).to(device)
    return torch.matmul(ta, tb).cpu().numpy()


def shape_tests(torch: ModuleType, device: str, tf32: ModuleType, rng: np.random.Generator) -> list[dict]:
    results = []
    for label, a_shape, b_shape in SHAPES:
        a, b = random_operands(rng, a_shape, b_shape)
        k = a_shape[-1]
        gamma = k * U32 / (1 - k * U32)
        on = gpu_matmul(torch, device, a, b, True).astype(np.float64)
        off = gpu_matmul(torch, device, a, b, False).astype(np.float64)
        models = {m: (tf32.round_tf32(a, m), tf32.round_tf32(b, m)) for m in tf32.MODES}
        models[PLAIN] = (a, b)
        ratios, rms = {}, {}
        for name, (ma, mb) in models.items():
            exact = f64_matmul(torch, device, ma, mb)
            terms = f64_matmul(torch, device, np.abs(ma), np.abs(mb))
            ratios[name] = float(np.max(np.abs(on - exact) / (gamma * terms)))
            rms[name] = float(np.sqrt(np.mean(((on - exact) / terms) ** 2)) / U32)
        plain_exact = f64_matmul(torch, device, a, b)
        plain_bound = gamma * f64_matmul(torch, device, np.abs(a), np.abs(b))
        default = tf32.DEFAULT_MODE
        da, db = models[default]
        entry = {
            "shape": label,
            "a": list(a_shape),
            "b": list(b_shape),
            "contraction_K": k,
            "gamma_K": gamma,
            "max_ratio_to_bound_tf32_on": ratios,
            "rms_error_over_terms_in_2^-24_tf32_on": rms,
            "closest_model": min(rms, key=rms.get),
            "max_ratio_to_bound_tf32_off_vs_fp32": float(np.max(np.abs(off - plain_exact) / plain_bound)),
            "max_abs_tf32_on_vs_exact_fp32": float(np.max(np.abs(on - plain_exact))),
            "max_abs_tf32_off_vs_exact_fp32": float(np.max(np.abs(off - plain_exact))),
        }
        if int(np.prod(a_shape)) * b_shape[-1] <= 1 << 26:  # the evaluator's own float32 arithmetic
            evaluated = tf32.tf32_matmul(a, b, default).astype(np.float64)
            entry["max_abs_evaluator_vs_gpu"] = float(np.max(np.abs(evaluated - on)))
            both = 2 * gamma * f64_matmul(torch, device, np.abs(da), np.abs(db))
            entry["max_ratio_evaluator_vs_gpu_to_2gamma"] = float(np.max(np.abs(evaluated - on) / both))
        results.append(entry)
    return results


def verdict(
    identity: list[dict], shapes: list[dict], modes: tuple[str, ...], default: str, gpu: bool
) -> dict:
    """Which rounding modes the hardware matched exactly (identity products where TF32 applied), and
    whether `default` stayed within the bound on every shape where cuBLAS used TF32 (a shape whose
    closest model is plain float32 ran a kernel without TF32: listed, not judged)."""
    applied = [r for r in identity if r["tf32_applied"]]
    exact = [m for m in modes if applied and all(r["mismatches_with_tf32_on"][m] == 0 for r in applied)]
    tf32_shapes = [r for r in shapes if r["closest_model"] != PLAIN]
    within = all(r["max_ratio_to_bound_tf32_on"][default] <= 1.0 for r in tf32_shapes)
    plain_within = all(r["max_ratio_to_bound_tf32_off_vs_fp32"] <= 1.0 for r in shapes)
    return {
        "default_mode": default,
        "tf32_applied_in_identity_tests": f"{len(applied)} of {len(identity)}",
        "modes_matching_the_hardware_exactly": exact,
        "shapes_where_cublas_used_tf32": f"{len(tf32_shapes)} of {len(shapes)}",
        "shapes_computed_without_tf32": [r["shape"] for r in shapes if r["closest_model"] == PLAIN],
        "default_mode_within_bound_where_tf32_was_used": within,
        "worst_ratio_default_mode": max(
            (r["max_ratio_to_bound_tf32_on"][default] for r in tf32_shapes), default=0
        ),
        "worst_rms_default_mode_in_2^-24": max(
            (r["rms_error_over_terms_in_2^-24_tf32_on"][default] for r in tf32_shapes), default=0
        ),
        "tf32_off_within_bound_of_fp32": plain_within,
        "ok": (default in exact and within) if gpu else plain_within,
    }


def recheck(path: Path, tf32: ModuleType) -> int:
    """Judge a stored report again with this script's rule and the module's current default mode (the
    measurements hold every mode's numbers); adds `verdict_rechecked`, keeps the original `verdict`."""
    report = json.loads(path.read_text())
    gpu = report.get("blas") is not None
    again = verdict(report["identity"], report["shapes"], tf32.MODES, tf32.DEFAULT_MODE, gpu)
    again["date_utc"] = _now()
    again["command"] = " ".join(["python", *sys.argv])
    report["verdict_rechecked"] = again
    _write(path, report)
    print(json.dumps(again, indent=1))
    return 0 if again["ok"] else 1


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(path: Path, report: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=1) + "\n")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--out", help="where to write the JSON report")
    parser.add_argument("--module", help="trtrnn's tf32.py (default: beside this script, else the repo's)")
    parser.add_argument("--device", default="cuda", help="torch device (default cuda; cpu for a dry run)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--recheck", metavar="REPORT", help="judge a stored report again (no GPU needed)")
    args = parser.parse_args(argv)
    tf32 = load_module(args.module)
    if args.recheck:
        return recheck(Path(args.recheck), tf32)
    if not args.out:
        parser.error("--out is required (unless --recheck)")

    import torch

    if args.device != "cpu" and not torch.cuda.is_available():
        raise SystemExit("tf32_probe: no CUDA device visible to torch; use --device cpu for a dry run")
    rng = np.random.default_rng(args.seed)
    identity = identity_tests(torch, args.device, tf32, rng)
    shapes = shape_tests(torch, args.device, tf32, rng)
    gpu = args.device != "cpu"
    report = {
        "what": "torch float32 matmuls with TF32 on (cuBLAS) vs trtrnn.tf32 rounding of the same operands",
        "device": torch.cuda.get_device_name(0) if gpu else platform.processor() or "cpu",
        "torch": torch.__version__,
        "cuda": getattr(torch.version, "cuda", None),
        "blas": blas_library(torch) if gpu else None,
        "date_utc": _now(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "module": {
            "path": os.path.relpath(tf32.__file__),
            "sha256": hashlib.sha256(Path(tf32.__file__).read_bytes()).hexdigest(),
            "default_mode": tf32.DEFAULT_MODE,
        },
        "bound": "per element gamma_K * sum_k |a_k||b_k| (rounded operands), "
        "gamma_K = K 2^-24 / (1 - K 2^-24)",
        "identity": identity,
        "shapes": shapes,
        "verdict": verdict(identity, shapes, tf32.MODES, tf32.DEFAULT_MODE, gpu),
    }
    out = Path(args.out)
    _write(out, report)
    print(json.dumps(report["verdict"], indent=1))
    for r in shapes:
        worst = ", ".join(f"{m} {v:.3g}" for m, v in r["max_ratio_to_bound_tf32_on"].items())
        close = ", ".join(f"{m} {v:.3g}" for m, v in r["rms_error_over_terms_in_2^-24_tf32_on"].items())
        print(f"{r['shape']}: max |gpu - model| / bound: {worst}; rms in 2^-24 of the terms: {close}")
    print(f"wrote {out}")
    return 0 if report["verdict"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""Build time and engine size of rnn-loop on tiny loop states, padded (today) vs unpadded (the baseline).

TensorRT's builder took minutes, or never finished, on loops whose state is one row of H = 2..6 units;
rnn-loop now builds hidden sizes below 8 at 8 with exactly-neutral zero units (trtrnn_loop.padding).
Both sides are built here, each shape in its own process (trtrnn_loop.buildcheck): padded with the
default limit, the unpadded baseline (`min_hidden=1`) with a short one, a timeout printed as `>LIMIT`.
Ratios are baseline / padded (a `>` ratio is a lower bound).

    python benchmarks/bench_tiny_builds.py                    # the 12-shape subset, baseline limit 20 s
    python benchmarks/bench_tiny_builds.py --full --no-baseline   # all 512 shapes, padded only
    python benchmarks/bench_tiny_builds.py --via-onnx             # through rewrite + TensorRT's parser
    python benchmarks/bench_tiny_builds.py --full --via-onnx --lengths ragged   # with a lengths input
"""

from __future__ import annotations

import argparse

from trtrnn_loop.buildcheck import BuildResult, build_in_subprocess, tiny_grid, tiny_subset


def _cell(result: BuildResult | None, limit: float) -> tuple[str, str]:
    if result is None:
        return "-", "-"
    if result.ok:
        return f"{result.seconds:.2f}", f"{result.engine_bytes / 1e6:.1f}"
    return (f">{limit:g}" if "killed" in result.error else "error"), "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="all 512 shapes of the grid (slow)")
    parser.add_argument("--limit", type=float, default=120, help="seconds per padded build")
    parser.add_argument("--baseline-limit", type=float, default=20, help="seconds per unpadded build")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unpadded builds")
    parser.add_argument("--via-onnx", action="store_true", help="to_onnx -> rewrite -> TensorRT's parser")
    parser.add_argument("--lengths", choices=("none", "ragged"), default="none", help="a lengths input")
    args = parser.parse_args()
    route = {"via_onnx": args.via_onnx, "lengths": args.lengths}
    shapes = tiny_grid() if args.full else tiny_subset()
    header = f"{'shape':42} {'padded s':>9} {'MB':>6} {'unpadded s':>11} {'MB':>6} {'ratio s':>8}"
    print(header)
    print("-" * len(header))
    slow = 0
    for shape in shapes:
        padded = build_in_subprocess(shape, args.limit, **route)
        base = None if args.no_baseline else build_in_subprocess(shape, args.baseline_limit, 1, **route)
        ps, pmb = _cell(padded, args.limit)
        bs, bmb = _cell(base, args.baseline_limit)
        ratio = "-"
        if padded.ok and base is not None:
            seconds = base.seconds if base.ok else args.baseline_limit
            ratio = f"{'>' if not base.ok else ''}{seconds / padded.seconds:.1f}"
        slow += not padded.ok
        print(f"{shape!s:42} {ps:>9} {pmb:>6} {bs:>11} {bmb:>6} {ratio:>8}", flush=True)
    print(f"{len(shapes) - slow}/{len(shapes)} padded builds finished within {args.limit:g} s")
    return 1 if slow else 0


if __name__ == "__main__":
    raise SystemExit(main())

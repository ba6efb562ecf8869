"""CPU evaluator time on a 2-layer bidirectional LSTM, T=64, B=8, E=H=256, on one core.

Two networks of the same spec (random weights, seed 0): rnn-loop's `add_rnn` lowering (what the
conformance suite evaluates) and TensorRT's own ONNX parser's lowering of the equivalent ONNX model.
Each is read once (`compile_network`, timed apart) and run `--repeat` times; the median run is
reported against the *target* of 2 s (issue 3).

    python benchmarks/bench_evaluator.py                 # the issue's configuration
    python benchmarks/bench_evaluator.py --seq 16        # a quicker look
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, before numpy loads its BLAS

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from trtrnn import reference, trt  # noqa: E402
from trtrnn.enums import RNNDirection  # noqa: E402
from trtrnn.evaluator import compile_network  # noqa: E402
from trtrnn.network import build_spec_network  # noqa: E402
from trtrnn.spec import RNNSpec  # noqa: E402

TARGET_SECONDS = 2.0


def time_network(label: str, network: object, feeds: dict, repeat: int) -> float:
    start = time.perf_counter()
    program = compile_network(network)
    compile_seconds = time.perf_counter() - start
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        program.run(feeds)
        runs.append(time.perf_counter() - start)
    median = statistics.median(runs)
    verdict = "meets" if median + compile_seconds <= TARGET_SECONDS else "MISSES"
    print(
        f"{label:<12} {network.num_layers:>6} layers  read {compile_seconds:6.3f} s  "
        f"run median {median:6.3f} s (min {min(runs):.3f}, {repeat} runs)  "
        f"total {median + compile_seconds:6.3f} s  {verdict} target {TARGET_SECONDS:.1f} s",
        flush=True,
    )
    return median + compile_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seq", type=int, default=64, help="T")
    parser.add_argument("--batch", type=int, default=8, help="B")
    parser.add_argument("--hidden", type=int, default=256, help="E = H")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    spec = RNNSpec.random(
        0, op="LSTM", hidden_size=args.hidden, data_length=args.hidden, max_seq_length=args.seq,
        num_layers=args.layers, direction=RNNDirection.BIDIRECTION, batch_shape=(args.batch,),
    )  # fmt: skip
    x = spec.random_input(1)
    print(
        f"{trt.flavor()} {trt.version()}; LSTM T={args.seq} B={args.batch} E=H={args.hidden} "
        f"layers={args.layers} BIDIRECTION; one BLAS thread"
    )
    runs = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        reference.forward(spec, x)
        runs.append(time.perf_counter() - start)
    baseline = statistics.median(runs)
    print(f"{'reference':<12} {'numpy':>13}  run median {baseline:6.3f} s: the baseline (float64 oracle)")
    totals: dict[str, float] = {}
    try:
        from trtrnn_loop import add_rnn
    except ImportError:
        print("rnn-loop       not installed (pip install -e packages/rnn-loop); skipped")
    else:
        net = build_spec_network(add_rnn, spec, x)
        totals["rnn-loop"] = time_network("rnn-loop", net.network, net.feeds, args.repeat)
    try:
        from bench_loop import onnx_model_bytes  # the sibling benchmark's ONNX export of a spec
    except ImportError as exc:
        print(f"onnx-parser    skipped ({exc})")
    else:
        trt_mod = trt.load()
        _builder, network = trt.create_network()
        onnx_parser = trt_mod.OnnxParser(network, trt.logger())
        if not onnx_parser.parse(onnx_model_bytes(spec)):
            errors = "; ".join(str(onnx_parser.get_error(i)) for i in range(onnx_parser.num_errors))
            raise SystemExit(f"TensorRT's ONNX parser refused the model: {errors}")
        feeds = {"X": x.transpose(1, 0, 2).copy()}
        totals["onnx-parser"] = time_network("onnx-parser", network, feeds, args.repeat)
    for label, total in totals.items():
        print(f"ratio {label} evaluation / numpy reference: {total / baseline:.2f}x")


if __name__ == "__main__":
    main()

"""LSTM with peepholes + projection (LSTMP) on rnn-loop vs TensorRT's ONNX parser: matmul work per step.

TensorRT's ONNX parser has no projection (ONNX's LSTM has none), so its side is the equivalent ONNX
model with peepholes only: the same H, E, T, layers and directions, without W_hr. Both networks are
made in the same run, their loop bodies found by dataflow (`trtrnn_loop.structure`) and their matmul
FLOPs inside the loops per step summed (2*m*k*n per matmul, batch dims included; bench_loop.py's
counter). rnn-loop's step holds one fused recurrent matmul `[N, P] . [P, 4H]` and the projection
`[N, H] . [H, P]`; peepholes are elementwise. The parser's step multiplies the input and the recurrent
state by the full 4H-wide gate matrices. rnn-loop's peephole-only network is printed too, so the part
the hoisted input projection contributes and the part the projection contributes can be told apart.

    python benchmarks/bench_lstmp.py                         # T=64 B=8 E=H=256 P=128 L=2 bi
    python benchmarks/bench_lstmp.py --proj 64 --seq 16      # a quicker look

Target (issue 12): in-loop matmul FLOPs per step, rnn-loop LSTMP / parser peephole LSTM <= 0.55.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # bench_loop's counters, run as a script or by nox

from bench_loop import add_shape_arguments, loop_network, measure, parser_network

from trtrnn import trt
from trtrnn.enums import RNNDirection
from trtrnn.spec import RNNSpec

TARGET = 0.55


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_shape_arguments(parser, repeat=1)
    parser.add_argument("--proj", type=int, default=128, help="proj_size P (< H)")
    args = parser.parse_args()
    direction = RNNDirection.UNIDIRECTION if args.uni else RNNDirection.BIDIRECTION
    shape = dict(
        op="LSTM", hidden_size=args.hidden, data_length=args.hidden, max_seq_length=args.seq,
        num_layers=args.layers, direction=direction, batch_shape=(args.batch,), peepholes=True,
    )  # fmt: skip
    lstmp = RNNSpec.random(0, proj_size=args.proj, **shape)
    peepholes = RNNSpec.random(0, **shape)
    print(
        f"{trt.flavor()} {trt.version()}; LSTM T={args.seq} B={args.batch} E=H={args.hidden} "
        f"layers={args.layers} {direction.name}, peepholes; rnn-loop with proj_size={args.proj}; "
        f"build time = median of {args.repeat} build(s)"
    )
    rows = {
        f"rnn-loop LSTMP (peepholes, P={args.proj})": measure(loop_network(lstmp), args.repeat),
        "rnn-loop (peepholes only)": measure(loop_network(peepholes), args.repeat),
        "onnx-parser (peepholes only)": measure(parser_network(peepholes), args.repeat),
    }
    header = (
        f"{'network':<36} {'loops':>5} {'body layers':>11} {'matmuls/step':>12} "
        f"{'loop MFLOP/step':>15} {'build s':>8}"
    )
    print(header + "\n" + "-" * len(header))
    for name, m in rows.items():
        print(
            f"{name:<36} {m.loops:>5} {m.body_layers:>11} {m.body_matmuls:>12} {m.body_mflop:>15.2f} "
            f"{m.build_seconds:>8.3f}"
        )
    ours, plain, theirs = rows.values()
    ratio = ours.body_mflop / theirs.body_mflop
    print(
        f"\nratio in-loop matmul FLOPs/step, rnn-loop LSTMP / onnx-parser peephole LSTM: {ratio:.3f} "
        f"({'meets' if ratio <= TARGET else 'MISSES'} target <= {TARGET}); "
        f"rnn-loop peephole-only / onnx-parser: {plain.body_mflop / theirs.body_mflop:.3f}"
    )
    if ratio > TARGET:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

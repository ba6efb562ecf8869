"""`trtrnn rewrite` vs TensorRT's own ONNX parser on whole models: the same parser and builder, fed the
original model (the baseline) and the rewritten one, in the same run.

Models: the committed ones of packages/rnn-loop/tests/models (exported from PyTorch, and a hand-built
one with sequence_lens as a graph input). Per model and side:
- loops: ILoops in the parsed network (target: rewritten <= original: one per stack layer, both
  directions in it);
- body layers: layers in all loop bodies, found by dataflow (`trtrnn_loop.structure`), what runs T times;
- loop MFLOP/step: matmul work inside the loop bodies per step (2*m*k*n, batch dims included), on a
  copy of the model with static dims (B=8, T=32; the OCR image 64 wide, so T=32) so the shapes are known
  (target: rewritten <= 0.5x; per layer it is H/(E+H) by construction, since the parser multiplies the
  input by W inside the loop every step and the rewrite hoists it: models with E >= H reach 0.5);
- net layers: layers of the whole parsed network;
- build s: `build_serialized_network` on the dynamic model with a profile (batch 1..8..16, steps
  1..32..64), median of --repeat fresh parses and builds (target: rewritten <= 1.2x);
- engine bytes: the serialized engine.

    python benchmarks/bench_rewrite.py               # every model, 3 builds each
    python benchmarks/bench_rewrite.py --repeat 1    # a quicker look
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import onnx

from trtrnn import trt
from trtrnn.network import serialize_network
from trtrnn_loop.rewrite import rewrite
from trtrnn_loop.structure import loop_bodies

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_loop import matmul_flop  # one definition of a layer's FLOPs

MODELS = Path(__file__).resolve().parents[1] / "packages" / "rnn-loop" / "tests" / "models"
NAMES = [
    "ocr_conv_bilstm",
    "gru_stack_h0",
    "tagger_emb_bigru_rnn",
    "lstm_forecaster",
    "seqlens_bilstm",
]
#: dim name -> (min, opt, max) of the profile; opt is also the static copy's size.
DIMS = {"batch": (1, 8, 16), "B": (1, 8, 16), "steps": (1, 32, 64), "T": (1, 32, 64), "width": (4, 64, 128)}


@dataclass
class Measure:
    loops: int
    body_layers: int
    body_mflop: float
    network_layers: int
    build_seconds: float
    engine_bytes: int


def parse(model: onnx.ModelProto) -> tuple[object, object, object]:
    """(builder, network, parser): the parser owns weights the network points to, keep it alive."""
    trt_mod = trt.load()
    builder, network = trt.create_network()
    parser = trt_mod.OnnxParser(network, trt.logger())
    if not parser.parse(model.SerializeToString()):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise SystemExit(f"TensorRT's ONNX parser refused the model: {errors}")
    return builder, network, parser


def static_copy(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model with every named input dim set to its opt size (for shapes the FLOP count can read)."""
    fixed = onnx.ModelProto()
    fixed.CopyFrom(model)
    for value in fixed.graph.input:
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param:
                dim.dim_value = DIMS[dim.dim_param][1]
    return fixed


def profile(model: onnx.ModelProto) -> dict:
    shapes = {}
    for value in model.graph.input:
        dims = value.type.tensor_type.shape.dim
        if any(d.dim_param for d in dims):
            shapes[value.name] = tuple(
                tuple(DIMS[d.dim_param][i] if d.dim_param else d.dim_value for d in dims) for i in range(3)
            )
    return shapes


def measure(model: onnx.ModelProto, repeat: int) -> Measure:
    _, static, _keep = parse(static_copy(model))
    flop = sum(matmul_flop(static.get_layer(i)) for b in loop_bodies(static).values() for i in b.indices)
    times, blob, network = [], b"", None
    for _ in range(repeat):
        builder, network, parser = parse(model)
        start = time.perf_counter()
        blob = serialize_network(builder, network, profile(model))
        times.append(time.perf_counter() - start)
        del parser
    bodies = loop_bodies(network).values()
    return Measure(
        loops=len(bodies),
        body_layers=sum(len(b.layers) for b in bodies),
        body_mflop=flop / 1e6,
        network_layers=network.num_layers,
        build_seconds=statistics.median(times),
        engine_bytes=len(blob),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=NAMES, choices=NAMES)
    parser.add_argument("--repeat", type=int, default=3, help="fresh parses+builds per model (median)")
    args = parser.parse_args()
    print(
        f"{trt.flavor()} {trt.version()}; onnx {onnx.__version__}; FLOPs at B=8 T=32; build profile "
        f"batch 1..8..16, steps 1..32..64; build time = median of {args.repeat}"
    )
    header = (
        f"{'model':<22} {'side':<9} {'loops':>5} {'body layers':>11} {'loop MFLOP/step':>15} "
        f"{'net layers':>10} {'build s':>8} {'engine bytes':>12}"
    )
    print(header)
    print("-" * len(header))
    ratios = []
    for name in args.models:
        original = onnx.load(str(MODELS / f"{name}.onnx"))
        rewritten = rewrite(original).model
        theirs = measure(original, args.repeat)
        ours = measure(rewritten, args.repeat)
        for side, m in (("parser", theirs), ("rewrite", ours)):
            print(
                f"{name:<22} {side:<9} {m.loops:>5} {m.body_layers:>11} {m.body_mflop:>15.3f} "
                f"{m.network_layers:>10} {m.build_seconds:>8.2f} {m.engine_bytes:>12}",
                flush=True,
            )
        ratios.append(
            f"{name:<22} loop MFLOP/step {ours.body_mflop / theirs.body_mflop:.2f}x, loops "
            f"{ours.loops}/{theirs.loops}, body layers {ours.body_layers / theirs.body_layers:.2f}x, "
            "build time "
            f"{ours.build_seconds / theirs.build_seconds:.2f}x, engine bytes "
            f"{ours.engine_bytes / theirs.engine_bytes:.2f}x"
        )
    print(
        "\nratios rewrite / parser (targets: loop MFLOP/step <= 0.5, loops <= parser's, build time <= 1.2):"
    )
    print("\n".join(ratios))


if __name__ == "__main__":
    main()

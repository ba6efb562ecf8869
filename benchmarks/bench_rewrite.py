"""`trtrnn rewrite` vs TensorRT's own ONNX parser on whole models: the same parser and builder, fed the
original model (the baseline) and the rewritten one, in the same run.

Models: the committed ones of packages/rnn-loop/tests/models (exported from PyTorch, and a hand-built
one with sequence_lens as a graph input). Per model and side:
- loops: ILoops in the parsed network (target: rewritten <= original: one per stack layer, both
  directions in it);
- body layers: layers in all loop bodies, found by dataflow (`trtrnn_loop.structure`), what runs T times;
- loop MFLOP/step: matmul work inside the loop bodies per step (2*m*k*n, batch dims included), on a
  copy of the model with static dims (B=8, T=32; the OCR image 64 wide, so T=32) so the shapes are known
  (target: rewritten <= 0.5x). The bound printed next to the ratio is read off the model's RNN nodes
  alone (W's and R's dims: directions D, gates G, hidden H, input E): the parser multiplies x.W and
  h.R inside the loop every step, 2*B*D*G*H*(E+H) per node, the rewrite hoists x.W and keeps the
  irreducible h.R, 2*B*D*G*H*H, so the best ratio is sum(D*G*H*H) / sum(D*G*H*(E+H)) (H/(E+H) for one
  node: 0.5 only where E <= H). A node with H below 8 is lowered at 8 units (trtrnn_loop.padding), so
  its h.R costs 8*8 instead of H*H: that bound is printed too;
- net layers: layers of the whole parsed network;
- build s: `build_serialized_network` on the dynamic model with a profile (batch 1..8..16, steps
  1..32..64), median of --repeat fresh parses and builds, the two sides' builds interleaved so a load
  change on the machine hits both (target: rewritten <= 1.2x);
- engine bytes: the serialized engine.

Then the padding check: tiny hidden sizes through the ONNX path (to_onnx -> rewrite -> parser ->
builder), each build in its own process, padded (as `rewrite` does) and unpadded (`min_hidden=1`,
killed after --padding-limit seconds): the two shapes issue 15 found hanging, and seqlens_bilstm.

    python benchmarks/bench_rewrite.py               # every model, 5 builds each, padding check
    python benchmarks/bench_rewrite.py --repeat 1 --padding-limit 0   # a quicker look
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
from trtrnn_loop.buildcheck import REPORTED, BuildResult, build_in_subprocess
from trtrnn_loop.padding import MIN_HIDDEN
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


def structure(model: onnx.ModelProto) -> Measure:
    """Everything but the build: loops, layers, and the loop FLOPs on the static copy."""
    _, static, _keep = parse(static_copy(model))
    flop = sum(matmul_flop(static.get_layer(i)) for b in loop_bodies(static).values() for i in b.indices)
    _, network, _keep = parse(model)
    bodies = loop_bodies(network).values()
    return Measure(
        loops=len(bodies),
        body_layers=sum(len(b.layers) for b in bodies),
        body_mflop=flop / 1e6,
        network_layers=network.num_layers,
        build_seconds=0.0,
        engine_bytes=0,
    )


def build_once(model: onnx.ModelProto) -> tuple[float, int]:
    """Seconds of one fresh parse's build_serialized_network, and the engine's bytes."""
    builder, network, parser = parse(model)
    start = time.perf_counter()
    blob = serialize_network(builder, network, profile(model))
    seconds = time.perf_counter() - start
    del parser
    return seconds, len(blob)


def measure_pair(
    original: onnx.ModelProto, rewritten: onnx.ModelProto, repeat: int
) -> tuple[Measure, Measure]:
    """Both sides' structure, and their builds interleaved (original, rewritten, original, ...)."""
    sides = (structure(original), structure(rewritten))
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for side, model, spent in zip(sides, (original, rewritten), times, strict=True):
            seconds, side.engine_bytes = build_once(model)
            spent.append(seconds)
    for side, spent in zip(sides, times, strict=True):
        side.build_seconds = statistics.median(spent)
    return sides


@dataclass
class FlopBound:
    """The loop FLOP ratio a hoisted input projection reaches, from the model's RNN nodes alone."""

    exact: float  # sum(D*G*H*H) / sum(D*G*H*(E+H))
    padded: float  # the same with each h.R at max(H, MIN_HIDDEN) units
    dims: str  # per node: "LSTM D=2 G=4 E=16 H=8"


def flop_bound(model: onnx.ModelProto) -> FlopBound:
    """Read D, G*H and E off each RNN node's W ([D, G*H, E]) and H off its R ([D, G*H, H])."""
    weights = {init.name: tuple(init.dims) for init in model.graph.initializer}
    ours = padded = theirs = 0
    dims = []
    for node in model.graph.node:
        if node.op_type not in ("RNN", "GRU", "LSTM"):
            continue
        d, gh, e = weights[node.input[1]]
        h = weights[node.input[2]][2]
        g = gh // h
        width = max(h, MIN_HIDDEN)
        ours, padded, theirs = (
            ours + d * g * h * h,
            padded + d * g * width * width,
            theirs + d * g * h * (e + h),
        )
        dims.append(f"{node.op_type} D={d} G={g} E={e} H={h}")
    return FlopBound(ours / theirs, padded / theirs, ", ".join(dims))


def padding_check(limit: float) -> list[str]:
    """Rows of padded / unpadded build seconds through the ONNX path (`>limit` where killed)."""

    def cell(result: BuildResult) -> str:
        if result.ok:
            return f"{result.seconds:.2f}"
        return f">{limit:g} (killed)" if "killed" in result.error else result.error

    rows = []
    for shape in REPORTED:
        padded = build_in_subprocess(shape, max(limit, 120), via_onnx=True)
        bare = build_in_subprocess(shape, limit, min_hidden=1, via_onnx=True)
        rows.append(f"{shape!s:42} {cell(padded):>9} {cell(bare):>18}")
    original = onnx.load(str(MODELS / "seqlens_bilstm.onnx"))  # H=6, its loop masked by the lengths
    padded, bare = (build_once(rewrite(original, min_hidden=m).model)[0] for m in (MIN_HIDDEN, 1))
    rows.append(f"{'seqlens_bilstm (in this process)':42} {padded:>9.2f} {bare:>18.2f}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=NAMES, choices=NAMES)
    parser.add_argument(
        "--repeat", type=int, default=5, help="fresh parses+builds per model and side (median)"
    )
    parser.add_argument(
        "--padding-limit", type=float, default=20, help="seconds per unpadded tiny build (0: skip the check)"
    )
    args = parser.parse_args()
    print(
        f"{trt.flavor()} {trt.version()}; onnx {onnx.__version__}; FLOPs at B=8 T=32; build profile "
        f"batch 1..8..16, steps 1..32..64; build time = median of {args.repeat}, sides interleaved"
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
        theirs, ours = measure_pair(original, rewritten, args.repeat)
        for side, m in (("parser", theirs), ("rewrite", ours)):
            print(
                f"{name:<22} {side:<9} {m.loops:>5} {m.body_layers:>11} {m.body_mflop:>15.3f} "
                f"{m.network_layers:>10} {m.build_seconds:>8.2f} {m.engine_bytes:>12}",
                flush=True,
            )
        bound = flop_bound(original)
        bound_text = f"bound {bound.exact:.2f}x"
        if bound.padded != bound.exact:
            bound_text += f", {bound.padded:.2f}x with H padded to {MIN_HIDDEN}"
        ratios.append(
            f"{name:<22} loop MFLOP/step {ours.body_mflop / theirs.body_mflop:.2f}x ({bound_text}; "
            f"{bound.dims}), loops {ours.loops}/{theirs.loops}, body layers "
            f"{ours.body_layers / theirs.body_layers:.2f}x, build time "
            f"{ours.build_seconds / theirs.build_seconds:.2f}x, engine bytes "
            f"{ours.engine_bytes / theirs.engine_bytes:.2f}x"
        )
    print(
        "\nratios rewrite / parser (targets: loop MFLOP/step <= 0.5, loops <= parser's, build time <= 1.2):"
    )
    print("\n".join(ratios))
    if args.padding_limit > 0:
        print(
            f"\npadding on the ONNX path: build s padded to {MIN_HIDDEN} units (as rewrite does) vs unpadded "
            "(min_hidden=1), each tiny shape in its own process"
        )
        print(f"{'shape':42} {'padded s':>9} {'unpadded s':>18}")
        print("\n".join(padding_check(args.padding_limit)))


if __name__ == "__main__":
    main()

"""rnn-loop vs TensorRT's own ONNX parser on the same RNN: loop-body size, matmuls per step, build time.

Both sides are measured in the same run, on the same spec (random weights, seed 0): rnn-loop's
`add_rnn` network, and the network TensorRT's OnnxParser makes from the equivalent ONNX model
(RNN/GRU(linear_before_reset=1)/LSTM nodes, stacked layers chained through Transpose+Reshape).
Loop bodies are found by dataflow (`trtrnn_loop.structure`), so both networks are counted alike.

Columns: loops; layers in all loop bodies (what runs T times) and per layer-direction; matmul layers
per step per layer-direction (a batched matmul serving both directions counts once); the matmul
work inside the loops per step in MFLOP (2*m*k*n per matmul, batch dims included), which tells a
hoisted input projection from one done at every step; layers in the whole network; build time
(`build_serialized_network`, median of --repeat fresh builds).

    python benchmarks/bench_loop.py                      # LSTM, GRU, TANH; T=64 B=8 E=H=256 L=2 bi
    python benchmarks/bench_loop.py --ops GRU --seq 16   # a quicker look
    python benchmarks/bench_loop.py --reverse-iterators  # rnn-loop side as rewrite lowers it

Targets (issue 4): one matmul per layer-direction per step; build-time ratio rnn-loop/parser <= 1.0.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from trtrnn import trt
from trtrnn.enums import RNNDirection, RNNGateType, RNNOperation
from trtrnn.network import build_spec_network, serialize_network
from trtrnn.spec import RNNSpec
from trtrnn_loop import add_rnn
from trtrnn_loop.lowering import lower
from trtrnn_loop.structure import loop_bodies
from trtrnn_loop.trt_target import TrtGraph

#: ONNX's gate order (SEMANTICS §8), used only when trtrnn.onnx_io is not installed.
ONNX_GATES = {
    RNNOperation.RELU: (RNNGateType.INPUT,),
    RNNOperation.TANH: (RNNGateType.INPUT,),
    RNNOperation.LSTM: (RNNGateType.INPUT, RNNGateType.OUTPUT, RNNGateType.FORGET, RNNGateType.CELL),
    RNNOperation.GRU: (RNNGateType.UPDATE, RNNGateType.RESET, RNNGateType.HIDDEN),
}


@dataclass
class Measure:
    loops: int
    body_layers: int
    body_matmuls: int
    body_mflop: float
    network_layers: int
    build_seconds: float
    engine_bytes: int


def measure(make: Callable[[], tuple[object, object]], repeat: int) -> Measure:
    """Structure of the network `make()` returns, and the median build time of `repeat` fresh copies."""
    builder, network = make()
    bodies = list(loop_bodies(network).values())
    flop = sum(matmul_flop(network.get_layer(i)) for b in bodies for i in b.indices)
    times, blob = [], b""
    for _ in range(repeat):
        builder, network = make()
        start = time.perf_counter()
        blob = serialize_network(builder, network)
        times.append(time.perf_counter() - start)
    return Measure(
        loops=len(bodies),
        body_layers=sum(len(b.layers) for b in bodies),
        body_matmuls=sum(b.count("MATRIX_MULTIPLY") for b in bodies),
        body_mflop=flop / 1e6,
        network_layers=network.num_layers,
        build_seconds=statistics.median(times),
        engine_bytes=len(blob),
    )


def matmul_flop(layer: object) -> int:
    """2*m*k*n times the broadcast batch of a MATRIX_MULTIPLY layer; 0 for any other layer."""
    trt_mod = trt.load()
    if layer.type != trt_mod.LayerType.MATRIX_MULTIPLY:
        return 0
    layer.__class__ = trt_mod.IMatrixMultiplyLayer
    shapes = []
    for j, op in ((0, layer.op0), (1, layer.op1)):
        shape = list(layer.get_input(j).shape)
        if op == trt_mod.MatrixOperation.VECTOR:
            shape = shape[:-1] + ([1, shape[-1]] if j == 0 else [shape[-1], 1])
        elif op == trt_mod.MatrixOperation.TRANSPOSE:
            shape[-2:] = shape[-1:-3:-1]
        shapes.append(shape)
    (a, b) = shapes
    batch = int(np.prod([max(x, y) for x, y in zip(a[:-2], b[:-2])])) if len(a) > 2 else 1
    return 2 * batch * a[-2] * a[-1] * b[-1]


def loop_network(spec: RNNSpec, reverse_iterators: bool = False) -> Callable[[], tuple[object, object]]:
    """add_rnn's network, or with `reverse_iterators` the lowering `rewrite` emits as ONNX (a backward
    direction read by a reverse iterator instead of a time-reversed copy)."""

    def build(network: object, spec: RNNSpec, inputs: object) -> object:
        if not reverse_iterators:
            return add_rnn(network, spec, inputs)
        return lower(TrtGraph(network, "rnn", inputs.input.dtype), spec, inputs, reverse_iterators=True)

    def make() -> tuple[object, object]:
        net = build_spec_network(build, spec, spec.random_input(1))
        return net.builder, net.network

    return make


def parser_network(spec: RNNSpec) -> Callable[[], tuple[object, object]]:
    model = onnx_model_bytes(spec)
    parsers = []  # a parser owns weights its network points to: keep each alive until built

    def make() -> tuple[object, object]:
        trt_mod = trt.load()
        builder, network = trt.create_network()
        parser = trt_mod.OnnxParser(network, trt.logger())
        if not parser.parse(model):
            errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
            raise SystemExit(f"TensorRT's ONNX parser refused the model: {errors}")
        parsers.append(parser)
        return builder, network

    return make


def onnx_source() -> str:
    """Which exporter makes the ONNX model: core's `trtrnn.onnx_io.to_onnx`, else the local one."""
    try:
        from trtrnn.onnx_io import to_onnx  # noqa: F401
    except ImportError:
        return "local onnx.helper model"
    return "trtrnn.onnx_io.to_onnx"


def onnx_model_bytes(spec: RNNSpec) -> bytes:
    """The spec as ONNX: trtrnn.onnx_io's exporter when installed, else a local equivalent."""
    if onnx_source() == "local onnx.helper model":
        return _local_onnx(spec).SerializeToString()
    from trtrnn.onnx_io import to_onnx

    model = to_onnx(spec)
    return model if isinstance(model, bytes) else model.SerializeToString()


def _local_onnx(spec: RNNSpec):
    """Time-major X `[T, B, E]` through one ONNX RNN node per stack layer (both directions in it)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    op_type = {"RELU": "RNN", "TANH": "RNN", "LSTM": "LSTM", "GRU": "GRU"}[spec.op.name]
    k, h, t = spec.num_directions, spec.hidden_size, spec.max_seq_length
    (batch,) = spec.batch_shape
    gates = ONNX_GATES[spec.op]
    nodes, inits = [], []
    x = "X"
    for stack in range(spec.num_layers):
        indices = range(stack * k, stack * k + k)

        def stacked(params, is_w, indices=indices):
            return np.stack([np.concatenate([params[(i, g, is_w)] for g in gates]) for i in indices])

        w, r = stacked(spec.weights, True), stacked(spec.weights, False)
        b = np.concatenate([stacked(spec.biases, True), stacked(spec.biases, False)], axis=1)
        names = [f"W{stack}", f"R{stack}", f"B{stack}"]
        inits += [numpy_helper.from_array(a.astype(np.float32), n) for a, n in zip((w, r, b), names)]
        attrs = dict(hidden_size=h, direction="bidirectional" if k == 2 else "forward")
        if spec.op == RNNOperation.GRU:
            attrs["linear_before_reset"] = 1
        if spec.op == RNNOperation.RELU:
            attrs["activations"] = ["Relu"] * k
        nodes.append(helper.make_node(op_type, [x, *names], [f"Y{stack}"], name=f"rnn{stack}", **attrs))
        nodes.append(helper.make_node("Transpose", [f"Y{stack}"], [f"Yt{stack}"], perm=[0, 2, 1, 3]))
        inits.append(numpy_helper.from_array(np.array([t, batch, k * h], dtype=np.int64), f"shape{stack}"))
        x = f"out{stack}" if stack == spec.num_layers - 1 else f"X{stack + 1}"
        nodes.append(helper.make_node("Reshape", [f"Yt{stack}", f"shape{stack}"], [x]))
    graph = helper.make_graph(
        nodes,
        "rnn",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [t, batch, spec.data_length])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [t, batch, k * h])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


def add_shape_arguments(parser: argparse.ArgumentParser, repeat: int) -> None:
    """The benchmarked network's shape and the builds per network (bench_lstmp takes the same)."""
    parser.add_argument("--seq", type=int, default=64, help="T")
    parser.add_argument("--batch", type=int, default=8, help="B")
    parser.add_argument("--hidden", type=int, default=256, help="E = H")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--uni", action="store_true", help="unidirectional (default bidirectional)")
    parser.add_argument("--repeat", type=int, default=repeat, help="fresh builds per network (median)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", nargs="+", default=["LSTM", "GRU", "TANH"])
    add_shape_arguments(parser, repeat=5)
    parser.add_argument(
        "--reverse-iterators", action="store_true", help="rnn-loop side: the structure rewrite emits"
    )
    args = parser.parse_args()
    direction = RNNDirection.UNIDIRECTION if args.uni else RNNDirection.BIDIRECTION
    print(
        f"{trt.flavor()} {trt.version()}; T={args.seq} B={args.batch} E=H={args.hidden} "
        f"layers={args.layers} {direction.name}; build time = median of {args.repeat} builds; "
        f"ONNX model from {onnx_source()}"
    )
    header = (
        f"{'op':<5} {'backend':<11} {'loops':>5} {'body layers':>11} {'/layer-dir':>10} "
        f"{'matmuls/step/layer-dir':>22} {'loop MFLOP/step':>15} {'net layers':>10} {'build s':>8} "
        f"{'engine bytes':>12}"
    )
    rows, ratios = [header, "-" * len(header)], []
    for op in args.ops:
        spec = RNNSpec.random(
            0, op=op, hidden_size=args.hidden, data_length=args.hidden, max_seq_length=args.seq,
            num_layers=args.layers, direction=direction, batch_shape=(args.batch,),
        )  # fmt: skip
        ours = measure(loop_network(spec, args.reverse_iterators), args.repeat)
        theirs = measure(parser_network(spec), args.repeat)
        per = spec.num_layer_indices
        for name, m in (("rnn-loop", ours), ("onnx-parser", theirs)):
            rows.append(
                f"{spec.op.name:<5} {name:<11} {m.loops:>5} {m.body_layers:>11} {m.body_layers / per:>10.1f} "
                f"{m.body_matmuls / per:>22.2f} {m.body_mflop:>15.1f} {m.network_layers:>10} "
                f"{m.build_seconds:>8.3f} {m.engine_bytes:>12}"
            )
        ratios.append(
            f"{spec.op.name:<5} body layers {ours.body_layers / theirs.body_layers:.2f}x, "
            f"matmuls/step {ours.body_matmuls / theirs.body_matmuls:.2f}x, "
            f"loop MFLOP/step {ours.body_mflop / theirs.body_mflop:.2f}x, "
            f"build time {ours.build_seconds / theirs.build_seconds:.2f}x, "
            f"engine bytes {ours.engine_bytes / theirs.engine_bytes:.2f}x  (rnn-loop / onnx-parser)"
        )
        print("\n".join(rows[-2:]) if len(rows) > 4 else "\n".join(rows), flush=True)
    print("\nratios (target: build time <= 1.0; one matmul per layer-direction per step):")
    print("\n".join(ratios))


if __name__ == "__main__":
    main()

"""rnn-loop vs TensorRT's own ONNX parser on the same RNN: loop-body size, matmuls per step, build time.

Both sides are measured in the same run, on the same spec (random weights, seed 0): rnn-loop's
`add_rnn` network, and the network TensorRT's OnnxParser makes from the equivalent ONNX model
(RNN/GRU(linear_before_reset=1)/LSTM nodes, stacked layers chained through Transpose+Reshape).
Loop bodies are found by dataflow (`trtrnn_loop.structure`), so both networks are counted alike.

    python benchmarks/bench_loop.py                      # LSTM, GRU, TANH; T=64 B=8 E=H=256 L=2 bi
    python benchmarks/bench_loop.py --ops GRU --seq 16   # a quicker look

Targets (issue 4): one matmul per layer-direction per step; build-time ratio rnn-loop/parser <= 1.0.
Build times are single measurements (builds are long on a small shared CPU); treat small ratio
differences as noise.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from trtrnn import trt
from trtrnn.enums import RNNDirection, RNNGateType, RNNOperation
from trtrnn.network import build_spec_network, serialize_network
from trtrnn.spec import RNNSpec
from trtrnn_loop import add_rnn
from trtrnn_loop.structure import loop_bodies

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
    network_layers: int
    build_seconds: float


def measure(builder: object, network: object, profile: dict | None = None) -> Measure:
    bodies = loop_bodies(network).values()
    start = time.perf_counter()
    serialize_network(builder, network, profile)
    seconds = time.perf_counter() - start
    return Measure(
        loops=len(bodies),
        body_layers=sum(len(b.layers) for b in bodies),
        body_matmuls=sum(b.count("MATRIX_MULTIPLY") for b in bodies),
        network_layers=network.num_layers,
        build_seconds=seconds,
    )


def measure_loop(spec: RNNSpec) -> Measure:
    net = build_spec_network(add_rnn, spec, spec.random_input(1))
    return measure(net.builder, net.network)


def measure_parser(spec: RNNSpec) -> Measure:
    trt_mod = trt.load()
    builder, network = trt.create_network()
    parser = trt_mod.OnnxParser(network, trt.logger())
    if not parser.parse(onnx_model_bytes(spec)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise SystemExit(f"TensorRT's ONNX parser refused the model: {errors}")
    return measure(builder, network)


def onnx_model_bytes(spec: RNNSpec) -> bytes:
    """The spec as ONNX: trtrnn.onnx_io's exporter when installed, else a local equivalent."""
    try:
        from trtrnn.onnx_io import to_onnx
    except ImportError:
        return _local_onnx(spec).SerializeToString()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", nargs="+", default=["LSTM", "GRU", "TANH"])
    parser.add_argument("--seq", type=int, default=64, help="T")
    parser.add_argument("--batch", type=int, default=8, help="B")
    parser.add_argument("--hidden", type=int, default=256, help="E = H")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--uni", action="store_true", help="unidirectional (default bidirectional)")
    args = parser.parse_args()
    direction = RNNDirection.UNIDIRECTION if args.uni else RNNDirection.BIDIRECTION
    print(
        f"{trt.flavor()} {trt.version()}; T={args.seq} B={args.batch} E=H={args.hidden} "
        f"layers={args.layers} {direction.name}; build times measured once each"
    )
    header = (
        f"{'op':<5} {'backend':<11} {'loops':>5} {'body layers':>11} {'/layer-dir':>10} "
        f"{'matmuls/step/layer-dir':>22} {'net layers':>10} {'build s':>8}"
    )
    rows, ratios = [header, "-" * len(header)], []
    for op in args.ops:
        spec = RNNSpec.random(
            0, op=op, hidden_size=args.hidden, data_length=args.hidden, max_seq_length=args.seq,
            num_layers=args.layers, direction=direction, batch_shape=(args.batch,),
        )  # fmt: skip
        ours, theirs = measure_loop(spec), measure_parser(spec)
        per = spec.num_layer_indices
        for name, m in (("rnn-loop", ours), ("onnx-parser", theirs)):
            rows.append(
                f"{spec.op.name:<5} {name:<11} {m.loops:>5} {m.body_layers:>11} {m.body_layers / per:>10.1f} "
                f"{m.body_matmuls / per:>22.2f} {m.network_layers:>10} {m.build_seconds:>8.2f}"
            )
        ratios.append(
            f"{spec.op.name:<5} body layers {ours.body_layers / theirs.body_layers:.2f}x, "
            f"matmuls/step {ours.body_matmuls / theirs.body_matmuls:.2f}x, "
            f"build time {ours.build_seconds / theirs.build_seconds:.2f}x  (rnn-loop / onnx-parser)"
        )
        print("\n".join(rows[-2:]) if len(rows) > 4 else "\n".join(rows), flush=True)
    print("\nratios (target: build time <= 1.0; one matmul per layer-direction per step):")
    print("\n".join(ratios))


if __name__ == "__main__":
    main()

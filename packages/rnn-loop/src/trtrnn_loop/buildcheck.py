"""Tiny shapes that sent TensorRT's builder into minutes-long or endless builds, and a safe way to build them.

Each shape is built in a child process under a time limit, so a hang is reported instead of hanging
the caller (`build_in_subprocess`). The grid: batch 1-2, H 1-8, E 1-4, every op, states as network
inputs or not, 2 stacked layers, T = 7 (T >= 4 was needed for the blow-up). `tiny_grid()` is all of it
(512 shapes); `tiny_subset()` a representative 12: every H at batch 1 (where the blow-up lives) with the
ops, E, directions and states rotating through it, two at batch 2, and the two shapes first reported.
Used by the rnn-loop test and by benchmarks/bench_tiny_builds.py. A shape is built as rnn-loop's
network (`add_rnn`'s lowering on the TensorRT target) or, with `via_onnx`, the way a whole ONNX model
is: `to_onnx(spec)`, `rewrite` (the ONNX target), TensorRT's OnnxParser, the builder.

    python -m trtrnn_loop.buildcheck OP L E H T B STATES DIRECTION [MIN_HIDDEN|-] [onnx] [lengths=ragged]
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

OPS = ("RELU", "TANH", "LSTM", "GRU")


@dataclass(frozen=True)
class Shape:
    op: str
    num_layers: int
    data_length: int
    hidden_size: int
    steps: int
    batch: int
    states: bool
    direction: str = "UNIDIRECTION"

    def __str__(self) -> str:
        d = "bi" if self.direction == "BIDIRECTION" else "uni"
        return (
            f"{self.op}-{d}-L{self.num_layers}-E{self.data_length}-H{self.hidden_size}-T{self.steps}"
            f"-B{self.batch}-{'states' if self.states else 'nostates'}"
        )

    def argv(self) -> list[str]:
        return [
            self.op, str(self.num_layers), str(self.data_length), str(self.hidden_size), str(self.steps),
            str(self.batch), str(int(self.states)), self.direction,
        ]  # fmt: skip


#: The two builds issue 15 reported running for over 10 minutes.
REPORTED = (Shape("GRU", 2, 3, 3, 7, 1, True), Shape("LSTM", 2, 2, 5, 6, 1, True))


def tiny_grid() -> list[Shape]:
    """Every combination: batch 1-2 x H 1-8 x E 1-4 x op x states (unidirectional, L=2, T=7)."""
    return [
        Shape(op, 2, e, h, 7, b, s)
        for b, h, e, op, s in itertools.product((1, 2), range(1, 9), range(1, 5), OPS, (False, True))
    ]


def tiny_subset() -> list[Shape]:
    """12 shapes of the grid's corners: each H at batch 1 (the op, E, states and direction rotating, so
    every op meets two hidden sizes), two at batch 2, plus the reported two."""
    shapes = []
    for h in range(1, 9):
        direction = "BIDIRECTION" if h % 3 == 0 else "UNIDIRECTION"
        shapes.append(Shape(OPS[(h + 1) % 4], 2, 1 + (h % 4), h, 7, 1, h % 2 == 0, direction))
    shapes += [Shape("GRU", 2, 4, 3, 7, 2, False), Shape("LSTM", 2, 1, 6, 7, 2, True)]
    return shapes + list(REPORTED)


@dataclass
class BuildResult:
    shape: Shape
    seconds: float | None  # None: did not finish within the limit
    engine_bytes: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.seconds is not None and self.engine_bytes is not None and not self.error


def build_in_subprocess(
    shape: Shape, limit: float, min_hidden: int | None = None, via_onnx: bool = False, lengths: str = "none"
) -> BuildResult:
    """Build `shape` with rnn-loop in a fresh Python process; killed after `limit` seconds. `lengths`
    is RNNSpec.random's `seq_lengths` ("none", "ragged", ...): a lengths input to the network."""
    argv = [sys.executable, "-m", "trtrnn_loop.buildcheck", *shape.argv()]
    argv += ["-" if min_hidden is None else str(min_hidden), *(["onnx"] if via_onnx else [])]
    argv += [f"lengths={lengths}"] if lengths != "none" else []
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return BuildResult(shape, None, None, f"no engine after {limit:g} s (killed)")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return BuildResult(shape, None, None, f"exit {done.returncode}: {tail}")
    out = json.loads(lines[-1])
    return BuildResult(shape, out["seconds"], out["engine_bytes"])


def build_here(
    shape: Shape, min_hidden: int | None = None, via_onnx: bool = False, lengths: str = "none"
) -> dict[str, float | int]:
    """Build `shape` in this process: build_serialized_network's seconds and the engine's bytes."""
    from trtrnn import trt
    from trtrnn.network import build_spec_network, serialize_network
    from trtrnn.spec import RNNSpec
    from trtrnn_loop.lowering import lower
    from trtrnn_loop.trt_target import TrtGraph

    spec = RNNSpec.random(
        0, op=shape.op, hidden_size=shape.hidden_size, data_length=shape.data_length,
        max_seq_length=shape.steps, num_layers=shape.num_layers, batch_shape=(shape.batch,),
        states=shape.states, direction=shape.direction, seq_lengths=lengths,
    )  # fmt: skip
    options = {} if min_hidden is None else {"min_hidden": min_hidden}
    if via_onnx:
        from trtrnn.onnx_io import to_onnx
        from trtrnn_loop.rewrite import rewrite

        model = rewrite(to_onnx(spec), **options).model
        builder, network = trt.create_network()
        parser = trt.load().OnnxParser(network, trt.logger())
        if not parser.parse(model.SerializeToString()):
            raise RuntimeError(f"{shape}: TensorRT's ONNX parser refused the rewritten model")
        start = time.perf_counter()
        blob = serialize_network(builder, network)
    else:

        def build(network: object, spec: RNNSpec, inputs: object) -> object:
            return lower(TrtGraph(network, "rnn", inputs.input.dtype), spec, inputs, **options)

        built = build_spec_network(build, spec, spec.random_input(1))
        start = time.perf_counter()
        blob = built.serialize()
    return {"seconds": time.perf_counter() - start, "engine_bytes": len(blob)}


def main(argv: list[str]) -> int:
    op, layers, e, h, t, b, states, direction, *rest = argv
    shape = Shape(op, int(layers), int(e), int(h), int(t), int(b), states == "1", direction)
    min_hidden = int(rest[0]) if rest and rest[0] != "-" else None
    flags = dict(flag.partition("=")[::2] for flag in rest[1:])
    result = build_here(shape, min_hidden, via_onnx="onnx" in flags, lengths=flags.get("lengths") or "none")
    print(json.dumps({"shape": asdict(shape), **result}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""`trtrnn build`: a spec, state dict or ONNX model through a backend and TensorRT's builder to a file.

Without `--backend`, an ONNX model is built whole: its RNN nodes rewritten by the registered ONNX
rewriter (`trtrnn rewrite`), then TensorRT's own OnnxParser and builder, with `--shapes` for the
profile of its dynamic inputs (trtexec's convention).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from trtrnn import trt
from trtrnn.cli.args import (
    MODEL_HELP,
    add_backend_argument,
    add_model_argument,
    add_model_options,
    available_backend,
    load_problem,
    non_negative_int,
    writable_output,
)
from trtrnn.cli.common import build_network, spec_summary, tf32_text, timed
from trtrnn.cli.exits import OK, UsageError
from trtrnn.cli.rewrite import add_rewrite_options, print_plans, rewrite_file
from trtrnn.network import PRECISIONS

NAME = "build"
HELP = "build an engine file from a spec (.npz/.json), a PyTorch state dict, or a whole ONNX model"


def configure(parser: argparse.ArgumentParser) -> None:
    add_model_argument(parser, "spec", "SPEC", MODEL_HELP)
    add_backend_argument(
        parser,
        "backend that adds the RNN (see `backends`); required for a spec or state dict; without it an "
        ".onnx model is built whole (RNN nodes rewritten, then TensorRT's parser)",
        required=False,
    )
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="engine file to write (atomically)"
    )
    parser.add_argument(
        "--dynamic-batch", action="store_true", help="first leading dim -1, profile 1..its size"
    )
    parser.add_argument(
        "--precision",
        choices=sorted(PRECISIONS),
        default="fp32",
        help="the RNN's precision: fp16 builds a float16 network (input, states, weights) and sets "
        "BuilderFlag.FP16 where this TensorRT has it",
    )
    parser.add_argument(
        "--fp16",
        action="store_const",
        const="fp16",
        dest="precision",
        help="same as --precision fp16 (a float16 network, never just a builder flag: TensorRT for RTX "
        "has none, and an fp32 network built with it would silently stay fp32)",
    )
    parser.add_argument(
        "--tf32",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="set or clear BuilderFlag.TF32: with it, float32 matrix multiplies read their operands "
        "with 10-bit mantissas on Ampere and newer GPUs (about 1e-4..5e-4 off exact float32 for an "
        "RNN; docs/conformance.md). Default: TensorRT's own (on); the build prints which it used",
    )
    parser.add_argument("--workspace", type=non_negative_int, metavar="BYTES", help="builder workspace limit")
    g = parser.add_argument_group("whole ONNX model (no --backend)")
    g.add_argument(
        "--shapes",
        action="append",
        default=[],
        metavar="NAME:MIN:OPT:MAX",
        help="profile of a dynamic input, dims joined by x (e.g. x:1x1x8:4x16x8:8x64x8); repeatable or "
        "comma-separated",
    )
    add_rewrite_options(g)
    add_model_options(parser)


def run(args: argparse.Namespace) -> int:
    """SPEC → network through a backend → TensorRT builder → engine file (+ .io.json sidecar)."""
    from trtrnn.engine import Engine
    from trtrnn.network import has_fp16_flag

    writable_output(args.output)  # before the slow stages, not after them
    if args.backend is None:
        if Path(args.spec).suffix.lower() != ".onnx":
            raise UsageError(f"{args.spec}: --backend NAME is required to build a spec or state dict")
        return build_whole_model(args)
    backend = available_backend(args.backend)
    spec, x = load_problem(Path(args.spec), args)
    print("\n".join(spec_summary(spec)))
    built = timed(
        f"adding the RNN with backend {backend.name}",
        lambda: build_network(backend, spec, x, dynamic_batch=args.dynamic_batch, precision=args.precision),
    )
    engine = timed(
        f"running the {trt.flavor()} {trt.version()} builder (loops can take a while)",
        lambda: Engine.build(
            built,
            fp16=args.precision == "fp16" and has_fp16_flag(),
            workspace=args.workspace,
            tf32=args.tf32,
        ),
    )
    return report_engine(engine, args)


def report_engine(engine: Any, args: argparse.Namespace) -> int:
    """Save the engine (and sidecar), then print the file, the TF32 flag it was built with, its tensors."""
    from trtrnn.engine import sidecar_path

    out = engine.save(args.output)
    print(f"wrote {out} ({len(engine.serialize())} bytes) and {sidecar_path(out).name}")
    how = "TensorRT's default" if args.tf32 is None else "as asked"
    print(f"BuilderFlag.TF32: {tf32_text(engine.tf32, how)}")
    for info in (*engine.inputs, *engine.outputs):
        print(f"  {'input ' if info.is_input else 'output'} {info.describe()}")
    return OK


# ---- a whole ONNX model ------------------------------------------------------------------
def build_whole_model(args: argparse.Namespace) -> int:
    """rewrite -> TensorRT's OnnxParser -> builder -> engine file, a progress line per stage."""
    from trtrnn.engine import Engine

    if args.precision != "fp32" or args.dynamic_batch:
        raise UsageError(
            "--precision/--fp16/--dynamic-batch apply to spec builds; a whole ONNX model builds in its own "
            "types, with --shapes for its dynamic inputs"
        )
    parse_shapes(args.shapes)  # a malformed --shapes fails before the slow stages
    path = Path(args.spec)
    result = timed(
        f"rewriting the RNN nodes of {path}",
        lambda: rewrite_file(path, args.keep_unsupported, args.allow_none),
    )
    print(f"{path}: {len(result.nodes)} RNN node(s)")
    print_plans(result.nodes)
    for note in result.notes:
        print(f"note: {note}")
    builder, network, parser = timed(
        f"parsing the rewritten model with {trt.flavor()} {trt.version()}'s OnnxParser",
        lambda: parse_onnx(result.model.SerializeToString(), path),
    )
    profile = profile_of(network, args.shapes)
    engine = timed(
        f"running the {trt.flavor()} {trt.version()} builder (loops can take a while)",
        lambda: Engine.build(network, builder, profile=profile, workspace=args.workspace, tf32=args.tf32),
    )
    del parser  # the parser owns weights the network points to: alive until the engine is built
    return report_engine(engine, args)


def parse_onnx(model: bytes, path: Path) -> tuple[Any, Any, Any]:
    """(builder, network, parser) from TensorRT's OnnxParser; its errors name the file."""
    from trtrnn.errors import BuildError

    trt_mod = trt.load()
    builder, network = trt.create_network()
    parser = trt_mod.OnnxParser(network, trt.logger())
    if not parser.parse(model):
        errors = "; ".join(str(parser.get_error(i)).strip() for i in range(parser.num_errors))
        raise BuildError(f"{path}: TensorRT's OnnxParser refused the rewritten model: {errors}")
    return builder, network, parser


def parse_shapes(values: list[str]) -> dict[str, tuple[tuple[int, ...], ...]]:
    """`name:MIN:OPT:MAX` (dims joined by x) -> {name: (min, opt, max)}."""
    found: dict[str, tuple[tuple[int, ...], ...]] = {}
    for value in (v for arg in values for v in arg.split(",") if v):
        parts = value.rsplit(":", 3)
        try:
            if len(parts) != 4:
                raise ValueError
            shapes = tuple(tuple(int(d) for d in part.split("x")) for part in parts[1:])
        except ValueError:
            raise UsageError(
                f"--shapes {value!r}: expected NAME:MIN:OPT:MAX with dims joined by x (e.g. x:1x8:4x8:8x8)"
            ) from None
        if len({len(s) for s in shapes}) != 1:
            raise UsageError(f"--shapes {value!r}: MIN, OPT and MAX must have the same rank")
        found[parts[0]] = shapes
    return found


def profile_of(network: Any, values: list[str]) -> dict[str, tuple[tuple[int, ...], ...]]:
    """The optimization profile for the network's dynamic inputs from `--shapes`; names what is missing."""
    shapes = parse_shapes(values)
    inputs = {network.get_input(i).name: tuple(network.get_input(i).shape) for i in range(network.num_inputs)}
    unknown = sorted(set(shapes) - set(inputs))
    if unknown:
        raise UsageError(
            f"--shapes {unknown[0]!r}: the model has no such input; its inputs: {', '.join(inputs)}"
        )
    profile = {}
    for name, dims in inputs.items():
        if -1 not in dims:
            continue
        if name not in shapes:
            raise UsageError(
                f"input {name!r} has dynamic dims {list(dims)}: give its profile with "
                f"--shapes {name}:MIN:OPT:MAX"
            )
        for label, shape in zip(("MIN", "OPT", "MAX"), shapes[name], strict=True):
            if len(shape) != len(dims) or any(d not in (-1, s) for d, s in zip(dims, shape, strict=True)):
                raise UsageError(
                    f"--shapes {name}: {label} {'x'.join(map(str, shape))} does not fit {list(dims)}"
                )
        profile[name] = shapes[name]
    return profile

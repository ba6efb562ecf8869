"""`trtrnn build`: a spec, state dict or ONNX model through a backend and TensorRT's builder to a file."""

from __future__ import annotations

import argparse
from pathlib import Path

from trtrnn import trt
from trtrnn.cli.args import (
    MODEL_HELP,
    add_backend_argument,
    add_model_argument,
    add_model_options,
    available_backend,
    load_problem,
)
from trtrnn.cli.common import build_network, spec_summary, timed
from trtrnn.cli.exits import OK
from trtrnn.network import PRECISIONS

NAME = "build"
HELP = "build an engine file from a spec (.npz/.json), a PyTorch state dict or ONNX"


def configure(parser: argparse.ArgumentParser) -> None:
    add_model_argument(parser, "spec", "SPEC", MODEL_HELP)
    add_backend_argument(parser, "backend that adds the RNN (see `backends`)")
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
    parser.add_argument("--workspace", type=int, metavar="BYTES", help="builder workspace limit")
    add_model_options(parser)


def run(args: argparse.Namespace) -> int:
    """SPEC → network through a backend → TensorRT builder → engine file (+ .io.json sidecar)."""
    from trtrnn.engine import Engine, sidecar_path
    from trtrnn.network import has_fp16_flag

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
            built, fp16=args.precision == "fp16" and has_fp16_flag(), workspace=args.workspace
        ),
    )
    out = engine.save(args.output)
    print(f"wrote {out} ({len(engine.serialize())} bytes) and {sidecar_path(out).name}")
    for info in (*engine.inputs, *engine.outputs):
        print(f"  {'input ' if info.is_input else 'output'} {info.describe()}")
    return OK

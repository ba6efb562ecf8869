"""`trtrnn inspect`: an engine file's tensors, or a spec and the network a backend builds for it."""

from __future__ import annotations

import argparse
from pathlib import Path

from trtrnn import trt
from trtrnn.cli.args import (
    ENGINE_SUFFIXES,
    add_backend_argument,
    add_model_argument,
    add_model_options,
    available_backend,
    load_problem,
)
from trtrnn.cli.common import build_network, spec_summary
from trtrnn.cli.exits import OK
from trtrnn.errors import ExecutionUnavailableError

NAME = "inspect"
HELP = "summarize an engine file, or a spec and the network a backend builds for it"


def configure(parser: argparse.ArgumentParser) -> None:
    add_model_argument(
        parser, "file", "FILE", f"an engine ({', '.join(ENGINE_SUFFIXES)}) or a SPEC as for build"
    )
    add_backend_argument(parser, "backend for the network (rnn-loop)", default="rnn-loop")
    add_model_options(parser)


def run(args: argparse.Namespace) -> int:
    """An engine file: size and tensors. A spec/ONNX/state dict: the spec, then the built network."""
    path = Path(args.file)
    if path.suffix.lower() in ENGINE_SUFFIXES:
        return _inspect_engine(path)
    spec, _ = load_problem(path, args)
    print("\n".join(spec_summary(spec)))
    backend = available_backend(args.backend)
    built = build_network(backend, spec, None)
    print(f"network built by backend {backend.name}:")
    from trtrnn.inspect import describe

    print(describe(built.network))
    return OK


def _inspect_engine(path: Path) -> int:
    from trtrnn.engine import Engine, sidecar_path

    engine = Engine.load(path)
    print(f"engine: {path} ({len(engine.serialize())} bytes)")
    try:
        inputs, outputs = engine.inputs, engine.outputs
    except ExecutionUnavailableError as exc:
        print(f"  tensors: unknown without {sidecar_path(path).name} — {exc}")
        return OK
    source = "sidecar" if sidecar_path(path).exists() and not trt.engine_execution() else "engine"
    print(f"  tensors (from the {source}):")
    for info in (*inputs, *outputs):
        print(f"    {'input ' if info.is_input else 'output'} {info.describe()}")
    return OK

"""`trtrnn inspect`: an engine file's tensors, an ONNX model's RNN nodes and what `rewrite` does with
each, or a spec and the network a backend builds for it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from trtrnn import trt
from trtrnn.cli.args import (
    ENGINE_SUFFIXES,
    add_backend_argument,
    add_model_argument,
    add_model_options,
    available_backend,
    load_problem,
)
from trtrnn.cli.common import build_network, spec_summary, tf32_text
from trtrnn.cli.exits import OK
from trtrnn.errors import ExecutionUnavailableError

NAME = "inspect"
HELP = (
    "summarize an engine file, an ONNX model's RNN nodes (what rewrite does with each), or a spec and "
    "the network a backend builds for it"
)


def configure(parser: argparse.ArgumentParser) -> None:
    add_model_argument(
        parser, "file", "FILE", f"an engine ({', '.join(ENGINE_SUFFIXES)}) or a SPEC as for build"
    )
    add_backend_argument(
        parser,
        "backend for the network (default rnn-loop; for an .onnx model, also list the network of its RNN "
        "chain imported as one spec)",
        required=False,
    )
    parser.add_argument(
        "--tensors",
        action="store_true",
        help="for a SPEC: also run the network on the CPU evaluator (the file's input, else zeros) and "
        "list every named tensor it computes with its range (loop bodies: stacked over iterations)",
    )
    add_model_options(parser)


def run(args: argparse.Namespace) -> int:
    """An engine file: size and tensors. A spec/ONNX/state dict: the spec, then the built network."""
    path = Path(args.file)
    if path.suffix.lower() in ENGINE_SUFFIXES:
        return _inspect_engine(path)
    if path.suffix.lower() == ".onnx":
        _inspect_onnx_nodes(path)
        if args.backend is None:
            return OK
        print()
    spec, x = load_problem(path, args)
    print("\n".join(spec_summary(spec)))
    backend = available_backend(args.backend or "rnn-loop")
    built = build_network(backend, spec, x if args.tensors else None)
    print(f"network built by backend {backend.name}:")
    from trtrnn.inspect import describe

    print(describe(built.network))
    if args.tensors:
        _print_tensors(built, "the file's input" if x is not None else "zeros as input")
    return OK


def _inspect_onnx_nodes(path: Path) -> None:
    """Every RNN/GRU/LSTM node and what the registered rewriter does with it (nothing is written)."""
    from trtrnn import registry
    from trtrnn.cli.rewrite import print_plans
    from trtrnn.errors import TrtrnnError

    if not path.exists():
        raise TrtrnnError(f"{path}: no such file")
    plans = registry.onnx_rewriter().plan(path)
    print(
        f"{path}: {len(plans)} RNN node(s)"
        + ("" if plans else " (rewrite would refuse it without --allow-none)")
    )
    print_plans(plans)
    if any(p.action == "refuse" for p in plans):
        print("  (refused nodes stop `trtrnn rewrite` unless --keep-unsupported keeps them as they are)")


def _print_tensors(built: Any, fed: str) -> None:
    """Every named tensor of a CPU evaluation (`evaluate(..., intermediate=True)`), in the order
    computed: where a wrong number first appears."""
    from trtrnn import evaluate

    values = evaluate(built.network, built.feeds, intermediate=True)
    print(f"tensors of a CPU evaluation ({fed}; a loop body's stacked over its iterations):")
    width = max(map(len, values))
    for name, value in values.items():
        line = f"  {name.ljust(width)}  {list(value.shape)} {value.dtype}"
        if value.size and value.dtype.kind in "fiub":
            finite = value[np.isfinite(value)] if value.dtype.kind == "f" else value
            if finite.size:
                line += f"  min {finite.min():.6g} max {finite.max():.6g}"
            if finite.size != value.size:
                line += f"  {value.size - finite.size} NaN/inf"
        print(line)


def _inspect_engine(path: Path) -> int:
    from trtrnn.engine import Engine, sidecar_path

    engine = Engine.load(path)
    print(f"engine: {path} ({len(engine.serialize())} bytes)")
    print(f"  BuilderFlag.TF32: {tf32_text(engine.tf32)}")
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

"""`trtrnn run`: feed a model and save what it computes.

An engine file runs on the GPU (it needs one). A SPEC (spec file, state dict or ONNX model) is built
by a backend and run on the GPU where engines can execute here, else by trtrnn's CPU evaluator.
Feeds come from `--inputs FILE.npz` (arrays named like the model's inputs: input, seq_lengths,
hidden_state, cell_state), else from the model file itself (a spec file's x, lengths and states).
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import Any

import numpy as np

from trtrnn import trt
from trtrnn.cli.args import (
    ENGINE_SUFFIXES,
    MODEL_HELP,
    add_backend_argument,
    add_model_argument,
    add_model_options,
    available_backend,
    load_problem,
    writable_output,
)
from trtrnn.cli.common import build_network, progress
from trtrnn.cli.exits import OK, Unavailable, UsageError
from trtrnn.errors import TrtrnnError

NAME = "run"
HELP = "run an engine (GPU) or a SPEC (GPU if usable, else the CPU evaluator) on feeds from an .npz"
EXECUTORS = ("auto", "cpu", "gpu")


def configure(parser: argparse.ArgumentParser) -> None:
    add_model_argument(
        parser, "model", "SPEC|ENGINE", f"an engine ({', '.join(ENGINE_SUFFIXES)}) or {MODEL_HELP}"
    )
    parser.add_argument(
        "--inputs", metavar="FILE.npz", help="arrays by input name (default: the ones the model file holds)"
    )
    parser.add_argument("-o", "--output", metavar="FILE.npz", help="write the outputs here (atomically)")
    parser.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="auto",
        help="gpu: an engine; cpu: trtrnn's CPU evaluator (SPEC only); auto: gpu where usable (default)",
    )
    add_backend_argument(parser, "backend that builds a SPEC (default rnn-loop)", required=False)
    add_model_options(parser)


def run(args: argparse.Namespace) -> int:
    """Load, feed, run, print a line per output, and write them to -o."""
    if args.output is not None:
        writable_output(args.output)
    path = Path(args.model)
    given = read_feeds(Path(args.inputs)) if args.inputs else None
    if path.suffix.lower() in ENGINE_SUFFIXES:
        outputs, how = _run_engine(path, given, args.executor)
    else:
        outputs, how = _run_spec(path, given, args)
    print(f"{path}: ran on {how}")
    for name, value in outputs.items():
        line = f"  output {name} {list(value.shape)} {value.dtype}"
        if value.size and value.dtype.kind == "f":
            line += f"  min {np.nanmin(value):.6g} max {np.nanmax(value):.6g}"
        print(line)
    if args.output is not None:
        from trtrnn.files import atomic_write

        buffer = io.BytesIO()
        np.savez(buffer, **outputs)
        atomic_write(args.output, buffer.getvalue())
        print(f"wrote {args.output}")
    return OK


def read_feeds(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an .npz; TrtrnnError naming the file when it is not one."""
    import zipfile

    if not path.exists():
        raise TrtrnnError(f"--inputs {path}: no such file")
    if not zipfile.is_zipfile(path):
        raise TrtrnnError(f"--inputs {path}: not an .npz file (a zip archive of .npy arrays)")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise TrtrnnError(
            f"--inputs {path}: not a readable .npz file ({type(exc).__name__}: {exc})"
        ) from None


def _run_engine(path: Path, given: dict[str, np.ndarray] | None, executor: str) -> tuple[dict[str, Any], str]:
    from trtrnn.engine import Engine

    if executor == "cpu":
        raise UsageError(
            f"--executor cpu: {path} is an engine, which only TensorRT runs; the CPU evaluator runs a SPEC "
            "(pass the spec, state dict or ONNX model the engine was built from)"
        )
    if given is None:
        raise UsageError(f"--inputs FILE.npz: required to run the engine {path} (an engine holds no data)")
    engine = Engine.load(path)
    capability = trt.engine_execution()
    if not capability:
        raise Unavailable(
            f"{path}: running an engine needs a GPU: {capability.reason}; to compute on CPU run the SPEC it "
            "was built from instead"
        )
    with engine:
        return engine.infer(given, executor="gpu"), f"the GPU ({trt.flavor()} {trt.version()})"


def _run_spec(
    path: Path, given: dict[str, np.ndarray] | None, args: argparse.Namespace
) -> tuple[dict[str, Any], str]:
    from trtrnn.engine import Engine

    spec, x = load_problem(path, args)
    backend = available_backend(args.backend or "rnn-loop")
    built = build_network(backend, spec, x)
    feeds = dict(built.feeds)
    if given is not None:
        feeds.update(given)
    elif x is None:
        raise UsageError(f"--inputs FILE.npz: required, {path} holds no input data")
    executor = args.executor
    if executor == "auto":
        executor = "gpu" if trt.engine_execution() else "cpu"
    if executor == "cpu":
        from trtrnn import evaluate

        return evaluate(built.network, feeds), "trtrnn's CPU evaluator"
    capability = trt.engine_execution()
    if not capability:
        raise Unavailable(f"--executor gpu: {capability.reason}")
    progress(f"building the engine with {trt.flavor()} {trt.version()} ...")
    with Engine.build(built) as engine:
        return engine.infer(feeds, executor="gpu"), f"the GPU ({trt.flavor()} {trt.version()})"

"""Argument groups shared by the commands: a backend, a model file parsed into a spec, pass-through.

Polygraphy-style: a command adds a group to its parser, then asks the same group for the parsed object
(`available_backend`, `load_problem`), so each kind of argument is defined and read in one place.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from trtrnn.backend import Backend
from trtrnn.cli.common import progress
from trtrnn.errors import TrtrnnError
from trtrnn.spec import RNNSpec

#: Suffixes of engine files (anything else given as a model is a spec, state dict or ONNX model).
ENGINE_SUFFIXES = (".engine", ".plan", ".trt")
MODEL_HELP = "a trtrnn spec (.npz/.json), a PyTorch state dict .npz, or .onnx"


# ---- backend ---------------------------------------------------------------------------
def add_backend_argument(
    parser: argparse.ArgumentParser, help_text: str, default: str | None = None, required: bool | None = None
) -> None:
    """`--backend NAME`: required unless `default` is given (or `required=False`)."""
    required = default is None if required is None else required
    parser.add_argument("--backend", required=required, default=default, metavar="NAME", help=help_text)


def available_backend(name: str) -> Backend:
    """The installed backend `name` if it can run here; else BackendNotInstalledError / Unavailable."""
    from trtrnn import registry
    from trtrnn.cli.exits import Unavailable

    backend = registry.get(name)
    ok, why = backend.availability()
    if not ok:
        raise Unavailable(f"backend {name!r} is installed but not usable here: {why}")
    return backend


# ---- model file ------------------------------------------------------------------------
def add_model_argument(parser: argparse.ArgumentParser, dest: str, metavar: str, help_text: str) -> None:
    """The model file positional `dest` (read with `load_problem`; add `add_model_options` too)."""
    parser.add_argument(dest, metavar=metavar, help=help_text)


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """The options a state dict (no T, no batch, no ReLU/tanh) or a dynamic ONNX model needs."""
    g = parser.add_argument_group("PyTorch state dict .npz (weight_ih_l0, ...)")
    g.add_argument("--seq-length", type=int, metavar="T", help="max sequence length (state dicts have none)")
    g.add_argument("--batch", type=int, metavar="N", help="leading batch dim (default: none)")
    g.add_argument(
        "--torch-mode", metavar="MODE", help="LSTM, GRU, RNN_TANH or RNN_RELU (default: from shapes)"
    )


def load_problem(path: Path, args: argparse.Namespace) -> tuple[RNNSpec, np.ndarray | None]:
    """(RNNSpec, x or None) from a trtrnn spec file, a PyTorch state dict .npz, or an ONNX model."""
    if not path.exists():
        raise TrtrnnError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return _load_onnx(path, args), None
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            names = set(data.files)
        if "weight_hh_l0" in names:
            return _load_torch(path, args), None
    from trtrnn.specfile import load_spec

    return load_spec(path)


def _load_onnx(path: Path, args: argparse.Namespace) -> RNNSpec:
    """The model's spec, keeping the inputs it takes at run time as inputs of the engine."""
    from trtrnn.onnx_io import from_onnx, runtime_input_placeholders

    batch = (args.batch,) if getattr(args, "batch", None) else None
    spec = from_onnx(str(path), max_seq_length=getattr(args, "seq_length", None), batch_shape=batch)
    placeholders = runtime_input_placeholders(spec, path)
    if not placeholders:
        return spec
    progress(
        f"{path.name}: the model takes {', '.join(sorted(placeholders))} at run time; so will the engine"
    )
    return spec.replace(**placeholders)


def _load_torch(path: Path, args: argparse.Namespace) -> RNNSpec:
    from trtrnn.importers import from_torch

    if not args.seq_length:
        raise TrtrnnError(
            f"{path}: is a PyTorch state dict, which has no sequence length; pass --seq-length T "
            "(and --batch N for a leading batch dim)"
        )
    with np.load(path, allow_pickle=False) as data:
        state = {k: data[k] for k in data.files}
    batch = (args.batch,) if args.batch else ()
    return from_torch(state, max_seq_length=args.seq_length, batch_shape=batch, mode=args.torch_mode)


# ---- pass-through arguments ------------------------------------------------------------
def add_passthrough(parser: argparse.ArgumentParser, dest: str, help_text: str) -> None:
    """Everything after `--`, for a program the command runs (pytest, a benchmark script)."""
    parser.add_argument(dest, nargs=argparse.REMAINDER, help=help_text)


def passthrough(values: list[str]) -> list[str]:
    """The pass-through arguments without the leading `--` separator."""
    return values[1:] if values and values[0] == "--" else values

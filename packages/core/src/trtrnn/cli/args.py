"""Argument groups shared by the commands: a backend, a model file parsed into a spec, pass-through.

Polygraphy-style: a command adds a group to its parser, then asks the same group for the parsed object
(`available_backend`, `load_problem`), so each kind of argument is defined and read in one place.
"""

from __future__ import annotations

import argparse
import zipfile
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
    g.add_argument(
        "--seq-length", type=positive_int, metavar="T", help="max sequence length (state dicts have none)"
    )
    g.add_argument("--batch", type=positive_int, metavar="N", help="leading batch dim (default: none)")
    g.add_argument(
        "--torch-mode", metavar="MODE", help="LSTM, GRU, RNN_TANH or RNN_RELU (default: from shapes)"
    )


def _int_at_least(text: str, minimum: int, wanted: str, rule: str) -> int:
    """`text` as an integer >= `minimum`, else a usage error (exit 2) worded by the caller."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {wanted}; got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {rule}; got {value}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (a 0 or a negative size is a usage error, exit 2)."""
    return _int_at_least(text, 1, "a positive integer", "a positive integer (>= 1)")


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0 (sizes in bytes)."""
    return _int_at_least(text, 0, "an integer >= 0", ">= 0")


def writable_output(path: str) -> Path:
    """`path` if a file can be written there; UsageError naming -o and the folder otherwise, so a build
    does not fail only after minutes of work."""
    from trtrnn.cli.exits import UsageError

    out = Path(path)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"-o {path}: folder {str(folder)!r} does not exist; create it first")
    if out.is_dir():
        raise UsageError(f"-o {path}: is a folder; give a file name")
    import os

    if not os.access(folder, os.W_OK):
        raise UsageError(f"-o {path}: folder {str(folder)!r} is not writable")
    return out


#: The options that only some kinds of model file take (flag, args attribute, the kinds it applies to).
_MODEL_OPTIONS = (
    ("--seq-length", "seq_length", ("state dict", "ONNX model")),
    ("--batch", "batch", ("state dict", "ONNX model")),
    ("--torch-mode", "torch_mode", ("state dict",)),
)


def _refuse_inapplicable(path: Path, kind: str, args: argparse.Namespace) -> None:
    """UsageError for an option given with a file it does not apply to (never silently ignored)."""
    from trtrnn.cli.exits import UsageError

    for flag, dest, kinds in _MODEL_OPTIONS:
        if getattr(args, dest, None) is not None and kind not in kinds:
            raise UsageError(
                f"{flag}: applies to a {' or '.join(kinds)}; {path} is {_article(kind)} {kind}, which "
                "sets it itself"
            )


def _article(word: str) -> str:
    return "an" if word[0].lower() in "aeiou" else "a"


def load_problem(path: Path, args: argparse.Namespace) -> tuple[RNNSpec, np.ndarray | None]:
    """(RNNSpec, x or None) from a trtrnn spec file, a PyTorch state dict .npz, or an ONNX model.

    A file that cannot be read as what its suffix says is a TrtrnnError naming the file (exit 1).
    """
    if not path.exists():
        raise TrtrnnError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        _refuse_inapplicable(path, "ONNX model", args)
        return _load_onnx(path, args), None
    if suffix == ".npz":
        if not zipfile.is_zipfile(path):
            raise TrtrnnError(
                f"{path}: not an .npz file (an .npz is a zip archive of .npy arrays; this is not)"
            )
        try:
            with np.load(path, allow_pickle=False) as data:
                names = set(data.files)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise TrtrnnError(f"{path}: not a readable .npz file ({type(exc).__name__}: {exc})") from None
        if "weight_hh_l0" in names:
            _refuse_inapplicable(path, "state dict", args)
            return _load_torch(path, args), None
    from trtrnn.specfile import load_spec

    _refuse_inapplicable(path, "trtrnn spec file", args)
    return load_spec(path)


def static_onnx_dims(path: Path) -> tuple[int | None, int | None]:
    """(T, B) where the first RNN node's X is a graph input with that dim static, else None."""
    import onnx

    model = _read_onnx(path)
    node = next((n for n in model.graph.node if n.op_type in ("RNN", "GRU", "LSTM")), None)
    declared = {i.name: i for i in model.graph.input}
    if node is None or node.input[0] not in declared:
        return None, None
    dims = [
        d.dim_value if d.HasField("dim_value") else None
        for d in declared[node.input[0]].type.tensor_type.shape.dim
    ]
    if len(dims) != 3:
        return None, None
    layout = next((onnx.helper.get_attribute_value(a) for a in node.attribute if a.name == "layout"), 0)
    t, b = (dims[1], dims[0]) if layout == 1 else (dims[0], dims[1])
    return t, b


def _read_onnx(path: Path) -> object:
    """The ONNX model at `path`; TrtrnnError naming the file when it is not one."""
    import onnx

    try:
        return onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf's DecodeError and friends have no common public base
        raise TrtrnnError(f"{path}: not a readable ONNX model ({type(exc).__name__}: {exc})") from None


def _load_onnx(path: Path, args: argparse.Namespace) -> RNNSpec:
    """The model's spec, keeping the inputs it takes at run time as inputs of the engine."""
    from trtrnn.cli.exits import UsageError
    from trtrnn.onnx_io import from_onnx, runtime_input_placeholders

    static_t, static_b = static_onnx_dims(path)
    for flag, given, static in (
        ("--seq-length", args.seq_length, static_t),
        ("--batch", args.batch, static_b),
    ):
        if given is not None and static is not None and given != static:
            what = "sequence length T" if flag == "--seq-length" else "batch size"
            raise UsageError(
                f"{flag} {given}: {path} declares a static {what} of {static} in its input X; drop {flag} "
                "(or export the model with that dim dynamic)"
            )
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
    try:
        return from_torch(state, max_seq_length=args.seq_length, batch_shape=batch, mode=args.torch_mode)
    except TrtrnnError as exc:  # the same class, now naming the file
        raise type(exc)(f"{path}: {exc}") from None


# ---- pass-through arguments ------------------------------------------------------------
def add_passthrough(parser: argparse.ArgumentParser, dest: str, help_text: str) -> None:
    """Everything after `--`, for a program the command runs (pytest, a benchmark script)."""
    parser.add_argument(dest, nargs=argparse.REMAINDER, help=help_text)


def passthrough(values: list[str]) -> list[str]:
    """The pass-through arguments without the leading `--` separator."""
    return values[1:] if values and values[0] == "--" else values

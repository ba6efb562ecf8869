"""`trtrnn rewrite`: every RNN/GRU/LSTM node of a whole ONNX model replaced by the installed lowering.

The rewriter comes from the registry (`trtrnn.registry.onnx_rewriter`: rnn-loop's when installed);
core itself knows no backend. The output is a plain ONNX model, written atomically.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from trtrnn.cli.exits import OK
from trtrnn.errors import TrtrnnError

NAME = "rewrite"
HELP = "replace every RNN/GRU/LSTM node of an ONNX model by trtrnn's lowering (a plain ONNX model out)"


def add_rewrite_options(parser: argparse.ArgumentParser) -> None:
    """The options `rewrite` and a whole-model `build` share."""
    parser.add_argument(
        "--keep-unsupported",
        action="store_true",
        help="leave a node whose attributes the lowering does not build as it was (default: refuse)",
    )
    parser.add_argument(
        "--allow-none",
        action="store_true",
        help="a model without RNN nodes passes unchanged (default: an error)",
    )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="IN.onnx", help="the ONNX model to rewrite")
    parser.add_argument(
        "-o", "--output", required=True, metavar="OUT.onnx", help="model to write (atomically)"
    )
    add_rewrite_options(parser)


def rewrite_file(path: Path, keep_unsupported: bool, allow_none: bool) -> Any:
    """The registered rewriter's result for the model at `path`; errors name the file."""
    from trtrnn import registry

    rewriter = registry.onnx_rewriter()
    if not path.exists():
        raise TrtrnnError(f"{path}: no such file")
    try:
        return rewriter.rewrite(path, keep_unsupported=keep_unsupported, allow_none=allow_none)
    except TrtrnnError as exc:
        if str(path) in str(exc):
            raise
        raise type(exc)(f"{path}: {exc}") from None


def print_plans(nodes: list[Any]) -> None:
    """One line per RNN node: what the rewrite does with it and why."""
    for node in nodes:
        print(f"  {node.action:<6} {node.op_type} {node.name!r}: {node.detail}")


def run(args: argparse.Namespace) -> int:
    from trtrnn.files import atomic_write

    path, out = Path(args.model), Path(args.output)
    result = rewrite_file(path, args.keep_unsupported, args.allow_none)
    print(f"{path}: {len(result.nodes)} RNN node(s)")
    print_plans(result.nodes)
    for note in result.notes:
        print(f"note: {note}")
    data = result.model.SerializeToString()
    atomic_write(out, data)
    lowered = sum(1 for n in result.nodes if n.action == "lower")
    print(f"wrote {out} ({len(data)} bytes): {lowered} node(s) lowered, {len(result.nodes) - lowered} kept")
    return OK

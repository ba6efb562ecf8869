"""`trtrnn bench`: the benchmark scripts (benchmarks/bench_*.py), each in this Python."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from trtrnn.cli.args import add_passthrough, passthrough
from trtrnn.cli.common import progress
from trtrnn.cli.exits import FAILURE, OK, Unavailable

NAME = "bench"
HELP = "run the benchmark scripts (benchmarks/bench_*.py)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir", metavar="DIR", help="benchmark directory (default ./benchmarks, else the checkout's)"
    )
    add_passthrough(parser, "bench_args", "after --: arguments for every script")


def _default_bench_dir() -> Path | None:
    """./benchmarks, else the benchmarks of the checkout this trtrnn is installed from (editable
    installs), else None: the scripts are not part of the installed package."""
    cwd = Path.cwd() / "benchmarks"
    if cwd.is_dir():
        return cwd
    root = Path(__file__).resolve().parents[5]  # packages/core/src/trtrnn/cli/bench.py in a checkout
    if (root / "packages" / "core" / "pyproject.toml").is_file() and (root / "benchmarks").is_dir():
        return root / "benchmarks"
    return None


def run(args: argparse.Namespace) -> int:
    """Run every benchmarks/bench_*.py with this Python; stop at the first failure."""
    directory = Path(args.dir) if args.dir else _default_bench_dir()
    if directory is None:
        raise Unavailable(
            "trtrnn bench runs the benchmark scripts of a trtrnn checkout (benchmarks/bench_*.py), which "
            "an installed trtrnn does not include: run it in a clone of the repository, or pass --dir DIR"
        )
    scripts = sorted(directory.glob("bench_*.py"))
    if not scripts:
        raise Unavailable(f"--dir {directory}: no benchmark scripts there (bench_*.py matches nothing)")
    for script in scripts:
        progress(f"running {script.name} ...")
        code = subprocess.call([sys.executable, str(script), *passthrough(args.bench_args)])
        if code != 0:
            print(f"trtrnn: error: {script.name} exited with {code}", file=sys.stderr)
            return FAILURE
    return OK

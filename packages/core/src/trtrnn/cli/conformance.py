"""`trtrnn conformance`: the shared conformance suite, run by pytest against installed backends."""

from __future__ import annotations

import argparse
import subprocess
import sys

from trtrnn.cli.args import add_passthrough, passthrough
from trtrnn.cli.common import progress
from trtrnn.cli.exits import FAILURE, OK, Unavailable

NAME = "conformance"
HELP = "run the shared conformance suite against installed backends"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend", action="append", metavar="NAME", help="backend to test (repeatable; default all)"
    )
    add_passthrough(parser, "pytest_args", "after --: extra pytest arguments")


def run(args: argparse.Namespace) -> int:
    """pytest --pyargs trtrnn.conformance --trtrnn-backend NAME ... (extra args after --)."""
    from trtrnn import registry

    names = args.backend or list(registry.backends())
    if not names:
        raise Unavailable("no backend is installed; install one, e.g. `pip install trtrnn-loop`")
    for name in names:
        registry.get(name)  # unknown names fail here, with the installed list
    command = [sys.executable, "-m", "pytest", "--pyargs", "trtrnn.conformance", "-p", "no:cacheprovider"]
    for name in names:
        command += ["--trtrnn-backend", name]
    command += passthrough(args.pytest_args)
    progress(f"running: {' '.join(command[2:])}")
    code = subprocess.call(command)
    if code == 5:
        print("trtrnn: the conformance suite collected no tests", file=sys.stderr)
    return OK if code == 0 else FAILURE

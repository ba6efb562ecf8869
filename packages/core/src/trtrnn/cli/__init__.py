"""The `trtrnn` command: what is installed, run the conformance suite, build, rewrite, inspect, demo,
bench.

Every subcommand has `--help`. Results go to stdout, progress to stderr, and errors are one line
(`trtrnn: error: ...`) unless `--debug` asks for the traceback; the error's class picks the exit code
(`trtrnn.cli.exits`).

A command is a module of this package with `NAME`, `HELP`, `configure(parser)` and `run(args) -> int`
(the `Command` protocol); adding one is the module plus its line in `COMMANDS`. Argument groups shared
by several commands (a backend, a model file parsed into a spec) are in `trtrnn.cli.args`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Protocol

from trtrnn.cli import backends, bench, build, conformance, demo, inspect, rewrite
from trtrnn.cli.args import load_problem
from trtrnn.cli.exits import EXIT_CODES, FAILURE, OK, UNAVAILABLE, USAGE, Unavailable, exit_for

__all__ = [
    "COMMANDS",
    "EXIT_CODES",
    "FAILURE",
    "OK",
    "UNAVAILABLE",
    "USAGE",
    "Unavailable",
    "load_problem",
    "main",
    "parser",
]


class Command(Protocol):
    """What a command module provides."""

    NAME: str
    HELP: str

    def configure(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


#: The subcommands, in `--help` order.
COMMANDS: tuple[Command, ...] = (backends, conformance, build, rewrite, inspect, demo, bench)


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests)."""
    main_parser = argparse.ArgumentParser(
        prog="trtrnn",
        description="One RNN semantics for TensorRT: backends, conformance, engines, demos.",
        epilog=EXIT_CODES,
        formatter_class=_formatter,
    )
    main_parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = main_parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        p = sub.add_parser(
            command.NAME,
            help=command.HELP,
            description=command.HELP,
            epilog=EXIT_CODES,
            formatter_class=_formatter,
        )
        p.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors"
        )
        command.configure(p)
        p.set_defaults(func=command.run)
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `trtrnn` script; returns the exit code documented in --help."""
    args = parser().parse_args(argv)
    debug = args.debug or bool(os.environ.get("TRTRNN_DEBUG"))
    try:
        return args.func(args)
    except BrokenPipeError:  # `trtrnn inspect ... | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except KeyboardInterrupt:
        print("trtrnn: interrupted", file=sys.stderr)
        return FAILURE
    except Exception as exc:
        if debug:
            raise
        expected = exit_for(exc)
        if expected is None:  # a bug (here or in a backend): still one line unless --debug
            print(
                f"trtrnn: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
                file=sys.stderr,
            )
            return FAILURE
        code, message = expected
        print(message, file=sys.stderr)
        return code

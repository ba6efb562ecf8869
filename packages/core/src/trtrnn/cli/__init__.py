"""The `trtrnn` command: what is installed, run the conformance suite, build, rewrite, inspect, run,
demo, bench.

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

from trtrnn.cli import backends, bench, build, conformance, demo, inspect, rewrite, run
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
COMMANDS: tuple[Command, ...] = (backends, conformance, build, rewrite, inspect, run, demo, bench)


class _Version(argparse.Action):
    """`--version`: trtrnn, the TensorRT it found and the installed backends' distributions (looked up
    only when asked, so every other command starts without importing TensorRT)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(version_text())
        parser.exit()


def version_text() -> str:
    """`trtrnn X`, the TensorRT found, and the packages plugging into the `trtrnn` entry-point group."""
    from importlib import metadata

    from trtrnn import __version__, trt

    found = f"{trt.flavor()} {trt.version()}" if trt.available() else "not installed"
    plugins = sorted(
        {f"{ep.dist.name} {ep.dist.version}" for ep in metadata.entry_points(group="trtrnn") if ep.dist}
    )
    return f"trtrnn {__version__}\nTensorRT: {found}\nbackend packages: {', '.join(plugins) or 'none'}"


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
    main_parser.add_argument(
        "--verbose", action="store_true", help="print TensorRT's own log (VERBOSE) on stderr"
    )
    main_parser.add_argument(
        "--version", action=_Version, help="print trtrnn's, TensorRT's and the backends' versions"
    )
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
        p.add_argument(
            "--verbose",
            action="store_true",
            default=argparse.SUPPRESS,
            help="print TensorRT's own log (VERBOSE) on stderr",
        )
        command.configure(p)
        p.set_defaults(func=command.run)
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `trtrnn` script; returns the exit code documented in --help."""
    args = parser().parse_args(argv)
    debug = args.debug or bool(os.environ.get("TRTRNN_DEBUG"))
    try:
        if args.verbose:
            from trtrnn import trt

            if trt.available():
                trt.set_log_level("VERBOSE")
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

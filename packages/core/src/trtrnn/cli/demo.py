"""`trtrnn demo`: one of the seed's examples through a backend, printed like the seed, with its values."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from trtrnn import trt
from trtrnn.cli.args import add_backend_argument, available_backend
from trtrnn.cli.common import build_network, progress, timed
from trtrnn.cli.exits import FAILURE, OK, Unavailable, UsageError

if TYPE_CHECKING:
    from trtrnn.conformance.tolerances import Tolerance

NAME = "demo"
HELP = "run one of the seed's examples through a backend, printed like the seed"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("example", nargs="?", metavar="EXAMPLE", help="seed example name (omit to list them)")
    add_backend_argument(parser, "backend to build with (rnn-loop)", default="rnn-loop")
    parser.add_argument(
        "--executor", choices=("auto", "cpu", "gpu"), default="auto", help="auto: gpu if usable"
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        help="rtol against the seed's values (default: the case's, as the conformance suite judges it)",
    )
    parser.add_argument("--list", action="store_true", help="list the examples")
    parser.add_argument(
        "--save", metavar="SPEC", help="write the example as a spec file (.npz/.json) instead of running it"
    )


def run(args: argparse.Namespace) -> int:
    """Build a seed example through a backend, run it, print it like the seed with the seed's values."""
    from trtrnn.conformance.cases import seed_case
    from trtrnn.seed import SEED_CASES as cases

    if args.list or not args.example:
        print("seed examples (trtrnn demo EXAMPLE --backend NAME):")
        width = max(map(len, cases))
        for name, case in cases.items():
            print(f"  {name.ljust(width)}" + (f"  {case.title}" if case.title else ""))
        return OK
    if args.example not in cases:
        raise UsageError(f"demo: no seed example {args.example!r}; choose from {', '.join(cases)}")
    case = seed_case(cases[args.example])  # judged as the conformance suite judges it
    spec, x = case.spec, case.x
    if args.save:
        from trtrnn.specfile import save_spec

        path = save_spec(args.save, spec, x)
        print(f"wrote {path} (build it with: trtrnn build {path} --backend NAME -o FILE)")
        return OK
    backend = available_backend(args.backend)
    built = timed(f"adding the RNN with backend {backend.name}", lambda: build_network(backend, spec, x))
    run_name = args.executor
    if run_name == "auto":
        run_name = "gpu" if trt.engine_execution() else "cpu"
    elif run_name == "gpu" and not trt.engine_execution():
        raise Unavailable(f"--executor gpu: {trt.engine_execution().reason}; use --executor cpu")
    from trtrnn.executor import executor

    progress(f"running on the {run_name} executor")
    serialized = None
    if run_name == "gpu":
        serialized = timed("running the builder", built.serialize)
    with executor(run_name, network=built.network, serialized=serialized) as runner:
        got = runner.infer(built.feeds)
    where = "a GPU engine" if run_name == "gpu" else "the CPU evaluator (no GPU execution)"
    print(f"# seed example {args.example!r}: {cases[args.example].title}")
    print(f"# built with backend {backend.name}, run on {where}")
    for line in case.note.splitlines():
        print(f"# note: {line}")
    tolerance = case.judged_by()
    if args.tolerance is not None:
        tolerance = dataclasses.replace(tolerance, rtol=args.tolerance)
    return _print_like_seed(built.feeds, got, case.expected_outputs(), tolerance)


def _print_like_seed(
    feeds: Mapping[str, np.ndarray],
    got: Mapping[str, np.ndarray],
    expected: Mapping[str, np.ndarray],
    tolerance: Tolerance,
) -> int:
    """The seed's printout (inputs, outputs, the seed's values), then the verdict of `compare`."""
    from trtrnn.conformance.compare import compare

    np.set_printoptions(precision=8, linewidth=200, suppress=True)
    for i, (key, value) in enumerate(feeds.items()):
        print(f"inputH{i} :", value.shape, f"({key})")
        print(value)
    for i, key in enumerate(k for k in ("output", "hidden", "cell") if k in got):
        print(f"outputH{i}:", got[key].shape, f"({key})")
        print(got[key])
        if key in expected:
            print(f"expected{i}:", expected[key].shape, "(the seed's values)")
            print(expected[key])
    comparison = compare(expected, got, tolerance)
    verdict = "matches the expected values" if comparison.ok else "DIFFERS from the expected values"
    print(
        f"{verdict}: max abs error {comparison.max_abs:.2e}, max rel error {comparison.max_rel:.2e} "
        f"(tolerance: {tolerance.describe()})"
    )
    if not comparison.ok:
        print(comparison.text())
    return OK if comparison.ok else FAILURE

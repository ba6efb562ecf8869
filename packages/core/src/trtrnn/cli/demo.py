"""`trtrnn demo`: one of the seed's examples through a backend, printed like the seed, with its values."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

import numpy as np

from trtrnn import trt
from trtrnn.cli.args import add_backend_argument, available_backend
from trtrnn.cli.common import build_network, progress, timed
from trtrnn.cli.exits import FAILURE, OK, Unavailable, UsageError

NAME = "demo"
HELP = "run one of the seed's examples through a backend, printed like the seed"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("example", nargs="?", metavar="EXAMPLE", help="seed example name (omit to list them)")
    add_backend_argument(parser, "backend to build with (rnn-loop)", default="rnn-loop")
    parser.add_argument(
        "--executor", choices=("auto", "cpu", "gpu"), default="auto", help="auto: gpu if usable"
    )
    parser.add_argument(
        "--tolerance", type=float, help="max relative difference to the seed (default: the case's)"
    )
    parser.add_argument("--list", action="store_true", help="list the examples")
    parser.add_argument(
        "--save", metavar="SPEC", help="write the example as a spec file (.npz/.json) instead of running it"
    )


def run(args: argparse.Namespace) -> int:
    """Build a seed example through a backend, run it, print it like the seed with the seed's values."""
    from trtrnn.seed import SEED_CASES as cases

    if args.list or not args.example:
        print("seed examples (trtrnn demo EXAMPLE --backend NAME):")
        width = max(map(len, cases))
        for name, case in cases.items():
            print(f"  {name.ljust(width)}" + (f"  {case.title}" if case.title else ""))
        return OK
    if args.example not in cases:
        raise UsageError(f"demo: no seed example {args.example!r}; choose from {', '.join(cases)}")
    case = cases[args.example]
    spec, x = case.spec, np.asarray(case.x, np.float32)
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
    print(f"# seed example {args.example!r}: {case.title}")
    print(f"# built with backend {backend.name}, run on {where}")
    for line in case.notes.splitlines():
        print(f"# note: {line}")
    tolerance = args.tolerance if args.tolerance is not None else float(case.rtol)
    expected = {k: np.asarray(v) for k, v in case.expected.items() if v is not None}
    return _print_like_seed(built.feeds, got, expected, tolerance)


def _print_like_seed(
    feeds: Mapping[str, np.ndarray],
    got: Mapping[str, np.ndarray],
    expected: Mapping[str, np.ndarray],
    tol: float,
) -> int:
    np.set_printoptions(precision=8, linewidth=200, suppress=True)
    for i, (key, value) in enumerate(feeds.items()):
        print(f"inputH{i} :", value.shape, f"({key})")
        print(value)
    worst = 0.0
    for i, key in enumerate(k for k in ("output", "hidden", "cell") if k in got):
        value = got[key]
        print(f"outputH{i}:", value.shape, f"({key})")
        print(value)
        if key in expected:
            want = expected[key]
            print(f"expected{i}:", want.shape, "(the seed's values)")
            print(want)
            if want.size != value.size:
                print(f"  size differs from the seed's ({want.size} vs {value.size})")
                return FAILURE
            error = float(
                np.max(np.abs(value.reshape(-1) - want.reshape(-1)) / (np.abs(want.reshape(-1)) + 1))
            )
            worst = max(worst, error)
    if not expected:
        print("(this example has no printed values in the seed)")
        return OK
    verdict = "matches the expected values" if worst <= tol else "DIFFERS from the expected values"
    print(f"{verdict}: max |got - expected| / (|expected| + 1) = {worst:.2e} (tolerance {tol:g})")
    return OK if worst <= tol else FAILURE

"""The `trtrnn` command: what is installed, run the conformance suite, build, inspect, demo, bench.

Every subcommand has `--help`. Results go to stdout, progress to stderr, and errors are one line
(`trtrnn: error: ...`) unless `--debug` asks for the traceback.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trtrnn import trt
from trtrnn.errors import (
    BackendError,
    ExecutionUnavailableError,
    TensorRTNotFoundError,
    TrtrnnError,
)
from trtrnn.network import PRECISIONS

OK, FAILURE, USAGE, UNAVAILABLE = 0, 1, 2, 3
EXIT_CODES = f"""exit codes:
  {OK}  success
  {FAILURE}  failure (a test failed, a result differs, a file is invalid, the builder refused)
  {USAGE}  usage error (bad arguments)
  {UNAVAILABLE}  unavailable here (no TensorRT, backend not installed or not runnable, no usable GPU)
"""
#: The project's backends and the distribution that provides each (for "not installed" rows).
KNOWN_BACKENDS = {"rnn-loop": "trtrnn-loop", "rnn-v2": "trtrnn-v2", "rnn-legacy": "trtrnn-legacy"}
ENGINE_SUFFIXES = (".engine", ".plan", ".trt")


class Unavailable(TrtrnnError):
    """Something this command needs does not exist here (exit code 3)."""


def progress(message: str) -> None:
    """Progress on stderr, so stdout stays the result."""
    print(message, file=sys.stderr, flush=True)


# ---- backends ---------------------------------------------------------------------------
def cmd_backends(args: argparse.Namespace) -> int:
    """Table: name, installed, available here (and why not), features it cannot express."""
    from trtrnn import registry

    if trt.available():
        print(f"TensorRT: {trt.flavor()} {trt.version()}")
        for cap in trt.capabilities().values():
            print(f"  {cap.name}: {'yes' if cap else 'no — ' + cap.reason}")
    else:
        print(f"TensorRT: not installed — {trt.INSTALL_HINT}")
    from trtrnn.executor import availability

    for name in ("cpu", "gpu"):
        cap = availability(name)
        print(f"  executor {name}: {'yes' if cap else 'no — ' + cap.reason}")
    print()
    installed = registry.backends()
    rows = [("NAME", "INSTALLED", "AVAILABLE HERE", "CANNOT EXPRESS")]
    notes: list[str] = []
    for name in sorted(set(installed) | set(KNOWN_BACKENDS)):
        backend = installed.get(name)
        if backend is None:
            rows.append((name, "no", f"no: pip install {KNOWN_BACKENDS[name]}", "-"))
            continue
        ok, why = backend.availability()
        if not ok:
            notes.append(f"{name} is not available here: {why}")
        notes += [f"{name} cannot express {f.value}: {reason}" for f, reason in backend.unsupported.items()]
        cannot = ", ".join(f.value for f in backend.unsupported) or "-"
        rows.append((name, "yes", "yes" if ok else "no (see below)", cannot))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3])
    if notes:
        print()
        print("\n".join(f"- {note}" for note in notes))
    return OK


# ---- conformance ------------------------------------------------------------------------
def cmd_conformance(args: argparse.Namespace) -> int:
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
    command += args.pytest_args
    progress(f"running: {' '.join(command[2:])}")
    code = subprocess.call(command)
    if code == 5:
        print("trtrnn: the conformance suite collected no tests", file=sys.stderr)
    return OK if code == 0 else FAILURE


# ---- loading specs ----------------------------------------------------------------------
def load_problem(path: Path, args: argparse.Namespace) -> tuple[Any, np.ndarray | None]:
    """(RNNSpec, x or None) from a trtrnn spec file, a PyTorch state dict .npz, or an ONNX model."""
    if not path.exists():
        raise TrtrnnError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        from trtrnn.importers import from_onnx

        batch = (args.batch,) if getattr(args, "batch", None) else None
        spec = from_onnx(str(path), max_seq_length=getattr(args, "seq_length", None), batch_shape=batch)
        return _onnx_runtime_inputs(path, spec), None
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            names = set(data.files)
        if "weight_hh_l0" in names:
            return _load_torch(path, args), None
    from trtrnn.specfile import load_spec

    return load_spec(path)


def _onnx_runtime_inputs(path: Path, spec: Any) -> Any:
    """Keep the model's run-time inputs: an RNN input slot fed by a graph input (not an initializer)
    has no value in the spec, yet the engine must take it, so give the spec a placeholder of the
    right shape (network inputs carry shapes only)."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    runtime = {i.name for i in graph.input} - {t.name for t in graph.initializer}
    slots = {4: "seq_lengths", 5: "hidden_state", 6: "cell_state"}
    producer = {out: node for node in graph.node for out in node.output}

    def from_runtime_input(name: str, seen: set[str]) -> bool:
        if name in runtime:
            return True
        node = producer.get(name)
        if node is None or name in seen:
            return False
        seen.add(name)
        return any(from_runtime_input(i, seen) for i in node.input if i)

    fed = {
        slots[i]
        for node in graph.node
        if node.op_type in ("RNN", "GRU", "LSTM")
        for i, name in enumerate(node.input)
        if i in slots and name and from_runtime_input(name, set())
    }
    changes: dict[str, np.ndarray] = {}
    if "seq_lengths" in fed and spec.seq_lengths is None:
        changes["seq_lengths"] = np.full(spec.batch_shape, spec.max_seq_length, np.int32)
    for name in ("hidden_state", "cell_state"):
        if name in fed and getattr(spec, name) is None:
            changes[name] = np.zeros(spec.state_shape, np.float32)
    if changes:
        progress(f"{path.name}: the model takes {', '.join(sorted(changes))} at run time; so will the engine")
    return spec.replace(**changes) if changes else spec


def _load_torch(path: Path, args: argparse.Namespace) -> Any:
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


def _backend(name: str) -> Any:
    from trtrnn import registry

    backend = registry.get(name)
    ok, why = backend.availability()
    if not ok:
        raise Unavailable(f"backend {name!r} is installed but not usable here: {why}")
    return backend


def _build_network(
    backend: Any, spec: Any, x: np.ndarray | None, dynamic_batch: bool = False, precision: str = "fp32"
) -> Any:
    from trtrnn.network import build_spec_network

    needed = spec.features()
    missing = backend.missing_features(needed)
    if missing:
        reasons = "; ".join(f"{f.value}: {why}" for f, why in missing.items())
        raise TrtrnnError(f"backend {backend.name!r} cannot express this spec ({reasons})")
    x = np.zeros(spec.input_shape, np.float32) if x is None else x
    return build_spec_network(backend.build, spec, x, dynamic_batch=dynamic_batch, precision=precision)


def _timed(what: str, fn: Callable[[], Any]) -> Any:
    progress(f"{what} ...")
    start = time.perf_counter()
    result = fn()
    progress(f"{what}: done in {time.perf_counter() - start:.1f} s")
    return result


def _spec_summary(spec: Any) -> list[str]:
    shapes = ", ".join(str(list(s)) for s in spec.output_shapes)
    return [
        f"spec: {spec.op.name}, hidden_size {spec.hidden_size}, {spec.num_layers} layer(s), "
        f"{spec.direction.name}, input mode {spec.input_mode.name}",
        f"  input {list(spec.input_shape)} (batch {list(spec.batch_shape)}, T {spec.max_seq_length}, "
        f"E {spec.data_length}); outputs {shapes}",
        f"  needs: {', '.join(sorted(f.value for f in spec.features()))}",
    ]


# ---- build ------------------------------------------------------------------------------
def cmd_build(args: argparse.Namespace) -> int:
    """SPEC → network through a backend → TensorRT builder → engine file (+ .io.json sidecar)."""
    from trtrnn.engine import Engine, sidecar_path
    from trtrnn.network import has_fp16_flag

    backend = _backend(args.backend)
    spec, x = load_problem(Path(args.spec), args)
    print("\n".join(_spec_summary(spec)))
    built = _timed(
        f"adding the RNN with backend {backend.name}",
        lambda: _build_network(backend, spec, x, dynamic_batch=args.dynamic_batch, precision=args.precision),
    )
    engine = _timed(
        f"running the {trt.flavor()} {trt.version()} builder (loops can take a while)",
        lambda: Engine.build(
            built, fp16=args.precision == "fp16" and has_fp16_flag(), workspace=args.workspace
        ),
    )
    out = engine.save(args.output)
    print(f"wrote {out} ({len(engine.serialize())} bytes) and {sidecar_path(out).name}")
    for info in (*engine.inputs, *engine.outputs):
        print(f"  {'input ' if info.is_input else 'output'} {info.describe()}")
    return OK


# ---- inspect ----------------------------------------------------------------------------
def cmd_inspect(args: argparse.Namespace) -> int:
    """An engine file: size and tensors. A spec/ONNX/state dict: the spec, then the built network."""
    path = Path(args.file)
    if path.suffix.lower() in ENGINE_SUFFIXES:
        return _inspect_engine(path)
    spec, _ = load_problem(path, args)
    print("\n".join(_spec_summary(spec)))
    backend = _backend(args.backend)
    built = _build_network(backend, spec, None)
    print(f"network built by backend {backend.name}:")
    try:
        from trtrnn.inspect import describe
    except ImportError:
        network = built.network
        print(f"  {network.num_layers} layers (install the evaluator for a per-layer listing)")
    else:
        print(describe(built.network))
    return OK


def _inspect_engine(path: Path) -> int:
    from trtrnn.engine import Engine, sidecar_path

    engine = Engine.load(path)
    print(f"engine: {path} ({len(engine.serialize())} bytes)")
    try:
        inputs, outputs = engine.inputs, engine.outputs
    except ExecutionUnavailableError as exc:
        print(f"  tensors: unknown without {sidecar_path(path).name} — {exc}")
        return OK
    source = "sidecar" if sidecar_path(path).exists() and not trt.engine_execution() else "engine"
    print(f"  tensors (from the {source}):")
    for info in (*inputs, *outputs):
        print(f"    {'input ' if info.is_input else 'output'} {info.describe()}")
    return OK


# ---- demo -------------------------------------------------------------------------------
def seed_cases() -> dict[str, Any]:
    """The seed's examples by name (`trtrnn.seed.SEED_CASES`, a mapping or a list of named cases)."""
    try:
        from trtrnn.seed import SEED_CASES
    except ImportError as exc:
        raise Unavailable(f"the seed examples (trtrnn.seed) are not available: {exc}") from None
    if isinstance(SEED_CASES, Mapping):
        return dict(SEED_CASES)
    return {case.name: case for case in SEED_CASES}


def _expected(case: Any) -> dict[str, np.ndarray]:
    expected = getattr(case, "expected", None)
    if expected is None:
        return {}
    if hasattr(expected, "as_dict"):
        expected = expected.as_dict()
    return {k: np.asarray(v) for k, v in dict(expected).items() if v is not None}


def cmd_demo(args: argparse.Namespace) -> int:
    """Build a seed example through a backend, run it, print it like the seed with the seed's values."""
    cases = seed_cases()
    if args.list or not args.example:
        print("seed examples (trtrnn demo EXAMPLE --backend NAME):")
        width = max(map(len, cases))
        for name, case in cases.items():
            title = getattr(case, "title", "") or getattr(case, "description", "")
            print(f"  {name.ljust(width)}" + (f"  {title}" if title else ""))
        return OK
    if args.example not in cases:
        raise BackendError(f"demo: no seed example {args.example!r}; choose from {', '.join(cases)}")
    case = cases[args.example]
    spec, x = case.spec, np.asarray(case.x, np.float32)
    if args.save:
        from trtrnn.specfile import save_spec

        path = save_spec(args.save, spec, x)
        print(f"wrote {path} (build it with: trtrnn build {path} --backend NAME -o FILE)")
        return OK
    backend = _backend(args.backend)
    built = _timed(f"adding the RNN with backend {backend.name}", lambda: _build_network(backend, spec, x))
    run_name = args.executor
    if run_name == "auto":
        run_name = "gpu" if trt.engine_execution() else "cpu"
    elif run_name == "gpu" and not trt.engine_execution():
        raise Unavailable(f"--executor gpu: {trt.engine_execution().reason}; use --executor cpu")
    from trtrnn.executor import executor

    progress(f"running on the {run_name} executor")
    serialized = None
    if run_name == "gpu":
        serialized = _timed("running the builder", built.serialize)
    with executor(run_name, network=built.network, serialized=serialized) as run:
        got = run.infer(built.feeds)
    where = "a GPU engine" if run_name == "gpu" else "the CPU evaluator (no GPU execution)"
    print(f"# seed example {args.example!r}: {getattr(case, 'title', '')}")
    print(f"# built with backend {backend.name}, run on {where}")
    for line in str(getattr(case, "notes", "") or "").splitlines():
        print(f"# note: {line}")
    tolerance = args.tolerance if args.tolerance is not None else float(getattr(case, "rtol", 1e-5))
    return _print_like_seed(built.feeds, got, _expected(case), tolerance)


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


# ---- bench ------------------------------------------------------------------------------
def _default_bench_dir() -> Path:
    cwd = Path.cwd() / "benchmarks"
    if cwd.is_dir():
        return cwd
    return Path(__file__).resolve().parents[4] / "benchmarks"  # the monorepo checkout


def cmd_bench(args: argparse.Namespace) -> int:
    """Run every benchmarks/bench_*.py with this Python; stop at the first failure."""
    directory = Path(args.dir) if args.dir else _default_bench_dir()
    scripts = sorted(directory.glob("bench_*.py"))
    if not scripts:
        raise Unavailable(f"no benchmarks found: {directory}/bench_*.py matches nothing")
    for script in scripts:
        progress(f"running {script.name} ...")
        code = subprocess.call([sys.executable, str(script), *args.bench_args])
        if code != 0:
            print(f"trtrnn: error: {script.name} exited with {code}", file=sys.stderr)
            return FAILURE
    return OK


# ---- parser and main --------------------------------------------------------------------
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

    def add(name: str, func: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name, help=help_text, description=help_text, epilog=EXIT_CODES, formatter_class=_formatter
        )
        p.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors"
        )
        p.set_defaults(func=func)
        return p

    add(
        "backends",
        cmd_backends,
        "list backends: installed, available here (or why not), what they cannot express",
    )

    p = add("conformance", cmd_conformance, "run the shared conformance suite against installed backends")
    p.add_argument(
        "--backend", action="append", metavar="NAME", help="backend to test (repeatable; default all)"
    )
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: extra pytest arguments")

    def spec_options(p: argparse.ArgumentParser) -> None:
        g = p.add_argument_group("PyTorch state dict .npz (weight_ih_l0, ...)")
        g.add_argument(
            "--seq-length", type=int, metavar="T", help="max sequence length (state dicts have none)"
        )
        g.add_argument("--batch", type=int, metavar="N", help="leading batch dim (default: none)")
        g.add_argument(
            "--torch-mode", metavar="MODE", help="LSTM, GRU, RNN_TANH or RNN_RELU (default: from shapes)"
        )

    p = add("build", cmd_build, "build an engine file from a spec (.npz/.json), a PyTorch state dict or ONNX")
    p.add_argument(
        "spec", metavar="SPEC", help="a trtrnn spec (.npz/.json), a PyTorch state dict .npz, or .onnx"
    )
    p.add_argument(
        "--backend", required=True, metavar="NAME", help="backend that adds the RNN (see `backends`)"
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="engine file to write (atomically)")
    p.add_argument("--dynamic-batch", action="store_true", help="first leading dim -1, profile 1..its size")
    p.add_argument(
        "--precision",
        choices=sorted(PRECISIONS),
        default="fp32",
        help="the RNN's precision: fp16 builds a float16 network (input, states, weights) and sets "
        "BuilderFlag.FP16 where this TensorRT has it",
    )
    p.add_argument(
        "--fp16",
        action="store_const",
        const="fp16",
        dest="precision",
        help="same as --precision fp16 (a float16 network, never just a builder flag: TensorRT for RTX "
        "has none, and an fp32 network built with it would silently stay fp32)",
    )
    p.add_argument("--workspace", type=int, metavar="BYTES", help="builder workspace limit")
    spec_options(p)

    p = add(
        "inspect", cmd_inspect, "summarize an engine file, or a spec and the network a backend builds for it"
    )
    p.add_argument(
        "file", metavar="FILE", help=f"an engine ({', '.join(ENGINE_SUFFIXES)}) or a SPEC as for build"
    )
    p.add_argument("--backend", default="rnn-loop", metavar="NAME", help="backend for the network (rnn-loop)")
    spec_options(p)

    p = add("demo", cmd_demo, "run one of the seed's examples through a backend, printed like the seed")
    p.add_argument("example", nargs="?", metavar="EXAMPLE", help="seed example name (omit to list them)")
    p.add_argument("--backend", default="rnn-loop", metavar="NAME", help="backend to build with (rnn-loop)")
    p.add_argument("--executor", choices=("auto", "cpu", "gpu"), default="auto", help="auto: gpu if usable")
    p.add_argument(
        "--tolerance", type=float, help="max relative difference to the seed (default: the case's)"
    )
    p.add_argument("--list", action="store_true", help="list the examples")
    p.add_argument(
        "--save", metavar="SPEC", help="write the example as a spec file (.npz/.json) instead of running it"
    )

    p = add("bench", cmd_bench, "run the benchmark scripts (benchmarks/bench_*.py)")
    p.add_argument(
        "--dir", metavar="DIR", help="benchmark directory (default ./benchmarks, else the checkout's)"
    )
    p.add_argument("bench_args", nargs=argparse.REMAINDER, help="after --: arguments for every script")
    return main_parser


def _strip_separator(args: argparse.Namespace) -> None:
    for name in ("pytest_args", "bench_args"):
        extra = getattr(args, name, None)
        if extra and extra[0] == "--":
            setattr(args, name, extra[1:])


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `trtrnn` script; returns the exit code documented in --help."""
    args = parser().parse_args(argv)
    _strip_separator(args)
    debug = args.debug or bool(os.environ.get("TRTRNN_DEBUG"))
    try:
        return args.func(args)
    except (Unavailable, TensorRTNotFoundError, ExecutionUnavailableError) as exc:
        if debug:
            raise
        print(f"trtrnn: unavailable here: {exc}", file=sys.stderr)
        return UNAVAILABLE
    except BackendError as exc:
        if debug:
            raise
        print(f"trtrnn: error: {exc}", file=sys.stderr)
        return UNAVAILABLE if "not installed" in str(exc) else USAGE
    except BrokenPipeError:  # `trtrnn inspect ... | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except (TrtrnnError, OSError, ValueError) as exc:
        if debug:
            raise
        print(f"trtrnn: error: {exc}", file=sys.stderr)
        return FAILURE
    except KeyboardInterrupt:
        print("trtrnn: interrupted", file=sys.stderr)
        return FAILURE
    except Exception as exc:  # a bug (here or in a backend): still one line unless --debug
        if debug:
            raise
        print(
            f"trtrnn: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return FAILURE


if __name__ == "__main__":
    sys.exit(main())

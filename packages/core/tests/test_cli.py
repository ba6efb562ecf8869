"""The `trtrnn` command, run as a user runs it (a subprocess), with its documented exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from trtrnn import registry, trt
from trtrnn.spec import RNNSpec
from trtrnn.specfile import save_spec

FIXTURE = Path(__file__).parent / "fixtures" / "torch_rnn.npz"
COMMANDS = ("backends", "conformance", "build", "rewrite", "inspect", "run", "demo", "bench")
needs_loop = pytest.mark.skipif(
    "rnn-loop" not in registry.backends(), reason="the rnn-loop backend package is not installed"
)


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer bidirectional LSTM with initial states (batch*hidden = 24 keeps the builder quick)."""
    spec = RNNSpec.random(
        0,
        op="LSTM",
        hidden_size=8,
        max_seq_length=5,
        num_layers=2,
        direction="BIDIRECTION",
        batch_shape=(3,),
        states=True,
    )
    return save_spec(tmp_path_factory.mktemp("spec") / "lstm.npz", spec, spec.random_input(1))


@pytest.mark.parametrize("command", ("", *COMMANDS))
def test_help_everywhere_documents_exit_codes(trtrnn, command: str) -> None:
    result = trtrnn(*([command] if command else []), "--help")
    assert result.returncode == 0, result.stderr
    assert "exit codes:" in result.stdout and "3  unavailable here" in result.stdout


def test_usage_errors_exit_2(trtrnn) -> None:
    assert trtrnn().returncode == 2
    result = trtrnn("build", "x.npz")
    assert result.returncode == 2 and "--backend" in result.stderr


def test_backends_table(trtrnn) -> None:
    result = trtrnn("backends")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("TensorRT: ")
    assert any(line.strip().startswith("engine execution:") for line in lines)
    header = next(line for line in lines if line.startswith("NAME"))
    assert header.split() == ["NAME", "INSTALLED", "AVAILABLE", "HERE", "CANNOT", "EXPRESS"]
    rows = {line.split()[0]: line for line in lines[lines.index(header) + 1 :] if line.strip()}
    assert set(rows) >= {"rnn-loop", "rnn-v2", "rnn-legacy"}
    for name in registry.backends():
        assert rows[name].split()[1] == "yes"


@needs_loop
def test_build_then_inspect_the_engine(trtrnn, tmp_path: Path, spec_file: Path) -> None:
    engine = tmp_path / "lstm.engine"
    result = trtrnn("build", spec_file, "--backend", "rnn-loop", "-o", engine, "--dynamic-batch")
    assert result.returncode == 0, result.stderr
    assert "running the" in result.stderr and "done in" in result.stderr  # progress on stderr
    assert f"wrote {engine}" in result.stdout
    assert (
        "input  input [-1, 5, 9] float32 (profile min [1, 5, 9] opt [3, 5, 9] max [3, 5, 9])" in result.stdout
    )
    assert engine.stat().st_size > 1000
    assert "BuilderFlag.TF32: on (TensorRT's default)" in result.stdout  # TensorRT 10 and for RTX
    sidecar = json.loads((tmp_path / "lstm.engine.io.json").read_text())
    assert sidecar["tf32"] is True
    assert [t["name"] for t in sidecar["tensors"]] == [
        "input",
        "hidden_state",
        "cell_state",
        "output",
        "hidden",
        "cell",
    ]

    result = trtrnn("inspect", engine)
    assert result.returncode == 0, result.stderr
    assert "output output [-1, 5, 16] float32" in result.stdout
    assert "BuilderFlag.TF32: on" in result.stdout

    (tmp_path / "lstm.engine.io.json").unlink()
    result = trtrnn("inspect", engine)
    assert result.returncode == 0, result.stderr
    if not trt.engine_execution():
        assert "tensors: unknown without lstm.engine.io.json" in result.stdout
        assert "needs a CUDA GPU" in result.stdout


@needs_loop
def test_build_no_tf32_clears_the_flag_and_inspect_says_so(trtrnn, tmp_path: Path, spec_file: Path) -> None:
    engine = tmp_path / "exact.engine"
    result = trtrnn("build", spec_file, "--backend", "rnn-loop", "-o", engine, "--no-tf32")
    assert result.returncode == 0, result.stderr
    assert "BuilderFlag.TF32: off (as asked): float32 matrix multiplies compute in float32" in result.stdout
    assert json.loads((tmp_path / "exact.engine.io.json").read_text())["tf32"] is False
    assert "BuilderFlag.TF32: off" in trtrnn("inspect", engine).stdout


@needs_loop
def test_inspect_a_spec_lists_the_loop(trtrnn, spec_file: Path) -> None:
    result = trtrnn("inspect", spec_file, "--backend", "rnn-loop")
    assert result.returncode == 0, result.stderr
    assert "spec: LSTM, hidden_size 8, 2 layer(s), BIDIRECTION" in result.stdout
    assert "loop " in result.stdout  # layers inside loops are shown


@needs_loop
@pytest.mark.parametrize("option", [("--precision", "fp16"), ("--fp16",)])
def test_build_in_fp16_makes_a_float16_network(
    trtrnn, tmp_path: Path, spec_file: Path, option: tuple
) -> None:
    engine = tmp_path / "half.engine"
    result = trtrnn("build", spec_file, "--backend", "rnn-loop", "-o", engine, *option)
    assert result.returncode == 0, result.stderr
    assert "input  input [3, 5, 9] float16" in result.stdout
    assert "output output [3, 5, 16] float16" in result.stdout
    result = trtrnn("build", spec_file, "--backend", "rnn-loop", "-o", engine, "--precision", "fp8")
    assert result.returncode == 2 and "invalid choice: 'fp8'" in result.stderr


def test_build_from_a_pytorch_state_dict(trtrnn, tmp_path: Path) -> None:
    with np.load(FIXTURE) as data:
        state = {k.split("/sd/")[1]: data[k] for k in data.files if k.startswith("gru/sd/")}
    np.savez(tmp_path / "gru_state_dict.npz", **state)
    result = trtrnn(
        "build", tmp_path / "gru_state_dict.npz", "--backend", "rnn-loop", "-o", tmp_path / "g.engine"
    )
    assert result.returncode == 1 and "--seq-length" in result.stderr
    result = trtrnn(
        "build",
        tmp_path / "gru_state_dict.npz",
        "--backend",
        "rnn-loop",
        "-o",
        tmp_path / "g.engine",
        "--seq-length",
        "5",
        "--batch",
        "2",
    )
    assert result.returncode == 0, result.stderr
    assert "spec: GRU, hidden_size 5" in result.stdout


def test_errors_are_one_line_without_debug(trtrnn, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = trtrnn("build", bad, "--backend", "rnn-loop", "-o", tmp_path / "x.engine")
    assert result.returncode == 1
    assert result.stderr.startswith("trtrnn: error: ") and "not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr
    result = trtrnn("--debug", "build", bad, "--backend", "rnn-loop", "-o", tmp_path / "x.engine")
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_unknown_backend_is_unavailable(trtrnn, spec_file: Path, tmp_path: Path) -> None:
    result = trtrnn("build", spec_file, "--backend", "no-such", "-o", tmp_path / "x.engine")
    assert result.returncode == 3
    assert "'no-such' is not installed; installed backends:" in result.stderr


def test_conformance_runs_pytest_on_the_suite(trtrnn) -> None:
    name = next(iter(registry.backends()), None)
    if name is None:
        result = trtrnn("conformance")
        assert result.returncode == 3 and "no backend is installed" in result.stderr
        return
    result = trtrnn("conformance", "--backend", name, "--", "--version")
    assert result.returncode == 0, result.stderr
    assert (
        f"pytest --pyargs trtrnn.conformance -p no:cacheprovider --trtrnn-backend {name} --version"
        in result.stderr
    )
    assert trtrnn("conformance", "--backend", "no-such").returncode == 3


def test_bench_runs_scripts_and_reports_failure(trtrnn, tmp_path: Path) -> None:
    assert trtrnn("bench", "--dir", tmp_path).returncode == 3
    (tmp_path / "bench_a.py").write_text("import sys; print('a ran with', sys.argv[1:])")
    result = trtrnn("bench", "--dir", tmp_path, "--", "--quick")
    assert result.returncode == 0 and "a ran with ['--quick']" in result.stdout
    (tmp_path / "bench_b.py").write_text("raise SystemExit(4)")
    result = trtrnn("bench", "--dir", tmp_path)
    assert result.returncode == 1 and "bench_b.py exited with 4" in result.stderr


def test_demo_prints_like_the_seed(trtrnn, tmp_path: Path) -> None:
    try:
        from trtrnn.seed import SEED_CASES
    except ImportError:
        result = trtrnn("demo", "--list")
        assert result.returncode == 3 and "trtrnn.seed" in result.stderr
        return
    listing = trtrnn("demo")
    assert listing.returncode == 0, listing.stderr
    names = SEED_CASES if isinstance(SEED_CASES, dict) else {c.name: c for c in SEED_CASES}
    assert all(name in listing.stdout for name in names)
    if "rnn-loop" not in registry.backends():
        pytest.skip("the rnn-loop backend package is not installed")
    name = next(iter(names))
    result = trtrnn("demo", name, "--backend", "rnn-loop", "--executor", "cpu")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "inputH0 :" in result.stdout and "outputH0:" in result.stdout and "expected0:" in result.stdout
    assert "matches the expected values" in result.stdout
    assert "run on the CPU evaluator" in result.stdout
    assert trtrnn("demo", "no-such-example").returncode == 2
    saved = tmp_path / "example.json"
    result = trtrnn("demo", name, "--save", saved)
    assert result.returncode == 0 and saved.exists(), result.stderr
    result = trtrnn("build", saved, "--backend", "rnn-loop", "-o", tmp_path / "example.engine")
    assert result.returncode == 0, result.stderr
    if not trt.engine_execution():
        result = trtrnn("demo", name, "--executor", "gpu")
        assert result.returncode == 3 and trt.engine_execution().reason in result.stderr


@needs_loop
def test_onnx_model_keeps_its_run_time_inputs_and_its_numbers(trtrnn, tmp_path: Path) -> None:
    """SPEC as ONNX: lengths and states fed at run time stay engine inputs, and the network that
    `build` compiles computes what onnxruntime computes for the model."""
    onnx = pytest.importorskip("onnx")
    from trtrnn import evaluate
    from trtrnn.cli import load_problem, parser
    from trtrnn.network import build_spec_network
    from trtrnn.onnx_io import onnxruntime_forward, to_onnx
    from trtrnn_loop import add_rnn

    source = RNNSpec.random(
        2,
        op="LSTM",
        hidden_size=6,
        max_seq_length=4,
        num_layers=2,
        direction="BIDIRECTION",
        batch_shape=(2,),
        seq_lengths="ragged",
        states=True,
    )
    x = source.random_input(3)
    onnx.save(to_onnx(source), tmp_path / "lstm.onnx")
    args = parser().parse_args(["inspect", str(tmp_path / "lstm.onnx")])
    spec, _ = load_problem(tmp_path / "lstm.onnx", args)
    built = build_spec_network(add_rnn, spec, x)
    assert sorted(built.feeds) == ["cell_state", "hidden_state", "input", "seq_lengths"]
    feeds = {
        "input": x,
        "seq_lengths": source.seq_lengths,
        "hidden_state": source.hidden_state,
        "cell_state": source.cell_state,
    }
    got = evaluate(built.network, feeds)
    want = onnxruntime_forward(source, x).as_dict()
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-6, err_msg=key)

    result = trtrnn("build", tmp_path / "lstm.onnx", "--backend", "rnn-loop", "-o", tmp_path / "m.engine")
    assert result.returncode == 0, result.stderr
    assert (
        "input  seq_lengths [2] int32" in result.stdout
        and "input  cell_state [2, 4, 6] float32" in result.stdout
    )


def test_exit_codes_follow_the_error_class_not_its_message() -> None:
    from trtrnn.cli.exits import FAILURE, UNAVAILABLE, USAGE, Unavailable, UsageError, exit_for
    from trtrnn.errors import BackendError, BackendNotInstalledError, SpecError

    assert exit_for(BackendNotInstalledError("x")) == (UNAVAILABLE, "trtrnn: error: x")
    assert exit_for(BackendError("backend 'a' is not installed")) == (
        USAGE,
        "trtrnn: error: backend 'a' is not installed",
    )
    assert exit_for(UsageError("y"))[0] == USAGE
    assert exit_for(Unavailable("z")) == (UNAVAILABLE, "trtrnn: unavailable here: z")
    assert exit_for(SpecError("bad")) == (FAILURE, "trtrnn: error: bad")
    assert exit_for(KeyError("bug")) is None
    with pytest.raises(BackendNotInstalledError):
        registry.get("no-such")


def test_every_command_is_a_module_with_its_parser() -> None:
    from trtrnn import cli

    assert tuple(c.NAME for c in cli.COMMANDS) == COMMANDS
    sub = next(a for a in cli.parser()._actions if a.dest == "command")
    assert tuple(sub.choices) == COMMANDS
    for command in cli.COMMANDS:
        assert command.__name__ == f"trtrnn.cli.{command.NAME}"
        assert sub.choices[command.NAME].get_default("func") is command.run


@needs_loop
def test_build_and_inspect_show_the_extensions(trtrnn, tmp_path: Path) -> None:
    """docs/semantics.md §2.1-2.4: an ONNX LSTM with peepholes, clip, input_forget and different
    activations per direction, and an LSTMP spec file: inspect and build name each extension; a
    TensorRT-API backend refuses them with its reason (exit 1), never builds something else."""
    onnx = pytest.importorskip("onnx")
    from trtrnn.onnx_io import to_onnx

    lstm = RNNSpec.random(
        4, op="LSTM", hidden_size=6, max_seq_length=4, direction="BIDIRECTION", batch_shape=(2,),
        peepholes=True, clip=1.5, input_forget=True, activations={1: ("Sigmoid", ("LeakyRelu", 0.2), "Tanh")},
    )  # fmt: skip
    onnx.save(to_onnx(lstm), tmp_path / "lstm.onnx")
    result = trtrnn("inspect", tmp_path / "lstm.onnx", "--backend", "rnn-loop")
    assert result.returncode == 0, result.stderr
    for line in (
        "peepholes (i, o, f) on 2 layer index(es)",
        "input_forget: f = 1 - i",
        "clip: gate inputs clipped to [-1.5, 1.5]",
        "activations of layer index 1: Sigmoid, LeakyRelu(alpha=0.2), Tanh",
        "needs: LSTM input_forget, LSTM peepholes, bidirectional, clip, non-default activations",
    ):
        assert line in result.stdout, line
    lstmp = RNNSpec.random(
        5, op="LSTM", hidden_size=8, proj_size=3, max_seq_length=4, batch_shape=(3,), states=True
    )
    save_spec(tmp_path / "lstmp.npz", lstmp)
    result = trtrnn("build", tmp_path / "lstmp.npz", "--backend", "rnn-loop", "-o", tmp_path / "p.engine")
    assert result.returncode == 0, result.stderr
    assert "projection: proj_size 3 (h is 3 wide, c 8)" in result.stdout
    assert "outputs [3, 4, 3], [3, 1, 3], [3, 1, 8]" in result.stdout
    refused = trtrnn("build", tmp_path / "lstm.onnx", "--backend", "rnn-v2", "-o", tmp_path / "v2.engine")
    assert refused.returncode == 1
    assert "TensorRT 8's IRNNv2Layer" in refused.stderr and not (tmp_path / "v2.engine").exists()


@needs_loop
def test_inspect_tensors_lists_every_tensor_of_an_evaluation(trtrnn, spec_file: Path) -> None:
    from trtrnn.reference import forward
    from trtrnn.specfile import load_spec

    result = trtrnn("inspect", spec_file, "--backend", "rnn-loop", "--tensors")
    assert result.returncode == 0, result.stderr
    listing = result.stdout.split("tensors of a CPU evaluation (the file's input;")[1].splitlines()[1:]
    rows = {line.split()[0]: line for line in listing}
    spec, x = load_spec(spec_file)
    want = forward(spec, x).as_dict()["output"]  # the oracle, not the evaluator, gives the range
    fields = rows["output"].split()
    assert fields[1:5] == ["[3,", "5,", "16]", "float32"] and fields[5] == "min" and fields[7] == "max"
    np.testing.assert_allclose([float(fields[6]), float(fields[8])], [want.min(), want.max()], rtol=1e-5)
    assert list(rows)[:3] == ["input", "hidden_state", "cell_state"] and len(rows) > 20

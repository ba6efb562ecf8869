"""A newcomer's rough edges of the `trtrnn` command (issue 15 §5), each seen once and kept fixed.

Bad input is one line on stderr naming the file or flag and the rule, exit 2 for usage and 1 for an
unreadable file, and nothing slow runs first. Most run `trtrnn.cli.main` in-process (fast); what
depends on the process (umask, --version, a fresh interpreter) runs `python -m trtrnn.cli`.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from trtrnn import registry, trt
from trtrnn.cli import main
from trtrnn.spec import RNNSpec
from trtrnn.specfile import save_spec

needs_loop = pytest.mark.skipif(
    "rnn-loop" not in registry.backends() or not trt.available(), reason="needs rnn-loop and TensorRT"
)


def run_main(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `trtrnn ARGS` in this process (argparse's exits included)."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a spec (with its input), a state dict, an ONNX model and broken files."""
    root = tmp_path_factory.mktemp("files")
    spec = RNNSpec.random(0, op="GRU", hidden_size=8, max_seq_length=5, batch_shape=(2,))
    save_spec(root / "spec.npz", spec, spec.random_input(1))
    h, e = 4, 3
    rng = np.random.default_rng(0)
    state = {
        "weight_ih_l0": rng.standard_normal((3 * h, e)),
        "weight_hh_l0": rng.standard_normal((3 * h, h)),
        "bias_ih_l0": rng.standard_normal(3 * h),
        "bias_hh_l0": rng.standard_normal(3 * h),
    }
    np.savez(root / "state.npz", **state)
    np.savez(root / "huge.npz", **{**state, "weight_ih_l0": state["weight_ih_l0"] * 1e39})
    try:
        import onnx

        from trtrnn.onnx_io import to_onnx

        onnx.save(to_onnx(spec), str(root / "gru.onnx"))
    except ImportError:
        pass
    (root / "broken.npz").write_text("not a zip")
    (root / "broken.onnx").write_bytes(b"\x08\x01garbage")
    (root / "garbage.engine").write_bytes(os.urandom(256))
    return root


@pytest.mark.parametrize(
    ("argv", "code", "names"),
    [
        (
            ["build", "{d}/broken.npz", "--backend", "rnn-loop", "-o", "{d}/x.engine"],
            1,
            ["broken.npz", ".npz"],
        ),
        (
            ["build", "{d}/broken.onnx", "--backend", "rnn-loop", "-o", "{d}/x.engine"],
            1,
            ["broken.onnx", "ONNX"],
        ),
        (["inspect", "{d}/garbage.engine"], 1, ["garbage.engine", "TensorRT engine"]),
        (
            ["build", "{d}/spec.npz", "--backend", "rnn-loop", "-o", "{d}/no/x.engine"],
            2,
            ["-o", "does not exist"],
        ),
        (
            [
                "build",
                "{d}/state.npz",
                "--backend",
                "rnn-loop",
                "-o",
                "{d}/x.engine",
                "--seq-length",
                "4",
                "--batch",
                "0",
            ],
            2,
            ["--batch", "positive integer"],
        ),
        (
            ["build", "{d}/state.npz", "--backend", "rnn-loop", "-o", "{d}/x.engine", "--seq-length", "0"],
            2,
            ["--seq-length", "positive integer"],
        ),
        (
            ["build", "{d}/spec.npz", "--backend", "rnn-loop", "-o", "{d}/x.engine", "--workspace", "-1"],
            2,
            ["--workspace", ">= 0"],
        ),
        (
            ["build", "{d}/gru.onnx", "--backend", "rnn-loop", "-o", "{d}/x.engine", "--seq-length", "9"],
            2,
            ["--seq-length", "static sequence length T of 5"],
        ),
        (
            ["build", "{d}/spec.npz", "--backend", "rnn-loop", "-o", "{d}/x.engine", "--seq-length", "5"],
            2,
            ["--seq-length", "spec.npz"],
        ),
        (
            ["build", "{d}/gru.onnx", "--backend", "rnn-loop", "-o", "{d}/x.engine", "--torch-mode", "GRU"],
            2,
            ["--torch-mode", "gru.onnx"],
        ),
        (
            ["build", "{d}/huge.npz", "--backend", "rnn-loop", "-o", "{d}/x.engine", "--seq-length", "4"],
            1,
            ["huge.npz", "weight_ih_l0", "overflow float32"],
        ),
        (["run", "{d}/spec.npz", "--inputs", "{d}/missing.npz"], 1, ["--inputs", "missing.npz"]),
        (["bench", "--dir", "{d}"], 3, ["--dir", "bench_"]),
    ],
    ids=lambda v: "-".join(map(str, v))[:60] if isinstance(v, list) else None,
)
def test_bad_input_is_one_line_naming_the_file_or_flag(capsys, files, argv, code, names):
    if any(a.endswith(".onnx") for a in argv) and not (files / "gru.onnx").exists():
        pytest.skip("onnx is not installed")
    if "rnn-loop" in argv and "rnn-loop" not in registry.backends():
        pytest.skip("rnn-loop is not installed")
    got, _, err = run_main(capsys, *(a.format(d=files) for a in argv))
    lines = [line for line in err.splitlines() if line.startswith("trtrnn")]
    assert got == code, err
    assert len(lines) == 1 and "internal error" not in err and "Traceback" not in err, err
    for name in names:
        assert name in lines[0], (name, lines[0])
    assert not (files / "x.engine").exists()  # refused before building anything


def test_misspelt_backend_gets_a_did_you_mean(capsys, files):
    code, _, err = run_main(
        capsys, "build", files / "spec.npz", "--backend", "rnn-lop", "-o", files / "x.engine"
    )
    assert code == 3 and "did you mean 'rnn-loop'?" in err


def test_version_names_trtrnn_tensorrt_and_the_backend_packages(trtrnn):
    result = trtrnn("--version")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("trtrnn 0.") and lines[1].startswith("TensorRT: ")
    assert "backend packages:" in lines[2]


@needs_loop
def test_verbose_shows_tensorrts_log(trtrnn, capsys, files, tmp_path):
    # TensorRT's logger writes to the process' stderr itself: run it as a user would
    quiet = trtrnn("build", files / "spec.npz", "--backend", "rnn-loop", "-o", tmp_path / "a.engine")
    loud = trtrnn(
        "--verbose", "build", files / "spec.npz", "--backend", "rnn-loop", "-o", tmp_path / "b.engine"
    )
    assert quiet.returncode == loud.returncode == 0, loud.stderr
    assert "[TRT] [V]" not in quiet.stderr and "[TRT] [V]" in loud.stderr


@needs_loop
@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_written_files_honour_the_umask(trtrnn, files, tmp_path, umask):
    old = os.umask(umask)  # inherited by the child process
    try:
        result = trtrnn("build", files / "spec.npz", "--backend", "rnn-loop", "-o", tmp_path / "x.engine")
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    for name in ("x.engine", "x.engine.io.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask


@needs_loop
def test_run_a_spec_on_the_cpu_and_save_the_outputs(capsys, files, tmp_path):
    from trtrnn.reference import forward
    from trtrnn.specfile import load_spec

    feeds = tmp_path / "feeds.npz"
    spec, x = load_spec(files / "spec.npz")
    np.savez(feeds, input=2 * x)
    out_file = tmp_path / "out.npz"
    code, out, err = run_main(
        capsys, "run", files / "spec.npz", "--inputs", feeds, "-o", out_file, "--executor", "cpu"
    )
    assert code == 0, err
    assert "ran on trtrnn's CPU evaluator" in out and "output hidden [2, 1, 8] float32" in out
    with np.load(out_file) as got:
        want = forward(spec, 2 * x)  # the independent oracle on the fed input, not the file's
        np.testing.assert_allclose(got["output"], want.output, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(got["hidden"], want.hidden, rtol=1e-4, atol=1e-5)


@needs_loop
def test_run_an_engine_needs_a_gpu_and_says_so(capsys, files, tmp_path):
    assert (
        run_main(capsys, "build", files / "spec.npz", "--backend", "rnn-loop", "-o", tmp_path / "x.engine")[0]
        == 0
    )
    np.savez(tmp_path / "feeds.npz", input=np.zeros((2, 5, 9), np.float32))
    code, _, err = run_main(capsys, "run", tmp_path / "x.engine", "--inputs", tmp_path / "feeds.npz")
    if trt.engine_execution():
        assert code == 0, err
    else:
        assert code == 3 and "needs a GPU" in err and "run the SPEC" in err


def test_bench_outside_a_checkout_says_what_it_runs(tmp_path):
    # an installed trtrnn has no benchmarks: simulate one by hiding this checkout's
    code = (
        "import trtrnn.cli.bench as b, sys; b._default_bench_dir = lambda: None; "
        "from trtrnn.cli import main; sys.exit(main(['bench']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=600
    )
    assert result.returncode == 3
    assert "clone of the repository" in result.stderr and "--dir" in result.stderr

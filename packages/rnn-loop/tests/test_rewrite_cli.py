"""`trtrnn rewrite`, `trtrnn build MODEL.onnx` (whole model) and `trtrnn inspect MODEL.onnx`, with their
documented exit codes and one-line errors: run as a user runs them (a subprocess) where a file is
made, through `trtrnn.cli.main` (same code, no interpreter start-up) for the refusals and listings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper  # noqa: E402

from trtrnn import trt  # noqa: E402

MODELS = Path(__file__).resolve().parent / "models"
TAGGER = MODELS / "tagger_emb_bigru_rnn.onnx"


def trtrnn(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trtrnn.cli", *map(str, args)], capture_output=True, text=True, timeout=600
    )


def main(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    from trtrnn.cli import main as cli_main

    code = cli_main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _ort(path: Path, feeds: dict) -> list[np.ndarray]:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)


def test_rewrite_writes_a_model_onnxruntime_runs_as_the_original(tmp_path):
    out = tmp_path / "tagger.rewritten.onnx"
    result = trtrnn("rewrite", TAGGER, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "lower  GRU '/gru/GRU': GRU bidirection H=8" in result.stdout
    assert "2 node(s) lowered, 0 kept" in result.stdout
    tokens = np.random.default_rng(0).integers(0, 30, (3, 9))
    (want,), (got,) = _ort(TAGGER, {"tokens": tokens}), _ort(out, {"tokens": tokens})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_refusals_are_one_line_and_leave_the_output_alone(tmp_path, capsys):
    out = tmp_path / "out.onnx"
    out.write_bytes(b"previous contents")
    bad = tmp_path / "notes.onnx"
    bad.write_text("these are not protobuf bytes\n")
    plain = tmp_path / "relu.onnx"
    x, y = (helper.make_tensor_value_info(n, TensorProto.FLOAT, [2]) for n in "xy")
    onnx.save(
        helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])), plain
    )
    for model, message in (
        (bad, f"trtrnn: error: {bad}: not an ONNX model"),
        (plain, f"trtrnn: error: {plain}: no RNN, GRU or LSTM node in the model's graph"),
        (_runtime_weights(tmp_path), "GRU node 'gru_0': input W ('W') is computed or fed at run time"),
    ):
        code, _, err = main(capsys, "rewrite", model, "-o", out)
        assert code == 1, err
        assert message in err and len(err.strip().splitlines()) == 1
        assert out.read_bytes() == b"previous contents"
    assert main(capsys, "rewrite", plain, "-o", out, "--allow-none")[0] == 0
    assert out.read_bytes() == plain.read_bytes()
    code, kept, _ = main(capsys, "rewrite", _runtime_weights(tmp_path), "-o", out, "--keep-unsupported")
    assert code == 0 and "keep   GRU 'gru_0'" in kept


def _runtime_weights(tmp_path):
    """gru_lbr0 with W fed at run time: a node the lowering cannot build (weights must be constants)."""
    model = onnx.load(str(MODELS / "gru_lbr0.onnx"))
    (node,) = model.graph.node
    weight = next(i for i in model.graph.initializer if i.name == node.input[1])
    model.graph.input.append(helper.make_tensor_value_info(weight.name, TensorProto.FLOAT, list(weight.dims)))
    model.graph.initializer.remove(weight)
    path = tmp_path / "runtime_w.onnx"
    onnx.save(model, path)
    return path


def test_inspect_lists_every_rnn_node_and_what_rewrite_does(capsys, tmp_path):
    code, out, err = main(capsys, "inspect", TAGGER)
    assert code == 0, err
    assert out.splitlines()[0] == f"{TAGGER}: 2 RNN node(s)"
    assert "lower  RNN '/rnn/RNN': RELU unidirection H=8 E=16 (T=dynamic, B=dynamic" in out
    code, refused, _ = main(capsys, "inspect", _runtime_weights(tmp_path))
    assert code == 0 and "refuse GRU 'gru_0'" in refused
    code, lowered, _ = main(capsys, "inspect", MODELS / "gru_lbr0.onnx")  # lbr=0: lowered since issue 12
    assert code == 0 and "2 recurrent MatMuls (z, r | h: linear_before_reset=0)" in lowered


@pytest.mark.skipif(not trt.available(), reason="no TensorRT installed")
def test_build_a_whole_model_through_the_parser_with_shapes(tmp_path, capsys):
    engine = tmp_path / "tagger.engine"
    code, _, err = main(capsys, "build", TAGGER, "-o", engine)
    assert code == 2
    assert (
        "input 'tokens' has dynamic dims [-1, -1]: give its profile with --shapes tokens:MIN:OPT:MAX" in err
    )
    result = trtrnn("build", TAGGER, "-o", engine, "--shapes", "tokens:1x1:2x8:4x16", "--no-tf32")
    assert result.returncode == 0, result.stderr
    assert "BuilderFlag.TF32: off (as asked)" in result.stdout
    for stage in ("rewriting the RNN nodes", "parsing the rewritten model", "running the"):
        assert f"{stage}" in result.stderr
    assert engine.stat().st_size > 0 and Path(f"{engine}.io.json").exists()
    assert "input  tokens [-1, -1] int64 (profile min [1, 1] opt [2, 8] max [4, 16])" in result.stdout
    code, _, err = main(capsys, "build", tmp_path / "x.json", "-o", engine)
    assert code == 2 and "--backend NAME is required" in err

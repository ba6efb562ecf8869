"""The seed's add_rnn program (examples/seed_add_rnn.py) prints the seed's table (trtrnn.seed)."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest

from trtrnn import trt
from trtrnn.seed import LEGACY_SEED_CASE

#: What the example may change: imports, network creation (builder, config) and execution (engine, CUDA).
CHANGED = ("import ", "cudart", "builder", "config", "engine", "context", "logger", "Logger", "inputH0 = ")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "seed_add_rnn.py"


def run_example(monkeypatch, capsys, execution: str) -> tuple[dict, str]:
    monkeypatch.setenv("TRTRNN_EXECUTION", execution)
    names = runpy.run_path(str(EXAMPLE), run_name="__main__")
    return names, capsys.readouterr().out


def check(names: dict, printed: str) -> None:
    case = LEGACY_SEED_CASE
    assert "outputH0: (1, 4, 3, 5)" in printed and "outputH1: (1, 1, 3, 5)" in printed
    np.testing.assert_allclose(names["outputH0"], case.expected["output"], rtol=case.rtol)
    np.testing.assert_allclose(names["outputH1"], case.expected["hidden"], rtol=case.rtol)


def test_seed_example_prints_the_seeds_table_on_the_cpu_evaluator(trt_mod, monkeypatch, capsys):
    check(*run_example(monkeypatch, capsys, "cpu"))


def test_seed_example_on_a_gpu_engine(trt_mod, monkeypatch, capsys):
    capability = trt.engine_execution()
    if not capability:
        pytest.skip(f"engine execution unavailable here: {capability.reason}")
    check(*run_example(monkeypatch, capsys, "auto"))


def test_the_example_differs_from_the_seed_only_in_imports_creation_and_execution():
    seed = Path("/work/shared/seed/000_b0ba62c7f7787c66.txt")
    if not seed.exists():
        pytest.skip("the seed chapter is not on this machine")
    text = seed.read_text(encoding="utf-8")
    start = text.index("```python", text.index("### add_rnn（已废弃）"))
    program = text[start + len("```python") : text.index("```", start + 9)]
    lines = [line.strip() for line in program.splitlines() if line.strip()]
    kept = [line for line in lines if not any(word in line for word in CHANGED)]
    assert len(kept) >= 20, kept  # the model, its weights, the network body and the prints
    example = {line.strip() for line in EXAMPLE.read_text(encoding="utf-8").splitlines()}
    missing = [line for line in kept if line not in example]
    assert not missing, f"seed lines changed in the example: {missing}"

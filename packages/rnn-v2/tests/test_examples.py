"""The seed's add_rnn_v2 programs (packages/rnn-v2/examples) print the seed's tables.

Expected numbers are `trtrnn.seed.SEED_CASES` (the seed's printed tables, errata per SEMANTICS.md §9).
The cell_state and bidirectional-LSTM programs run the seed's code as written (hidden_state = ones), so
they are compared with the h0 = 1 variants (the formula's values); the printed h0 = 0 tables are
checked by `test_seed_cases_through_the_api` with the same layer configuration and a zero h0.
"""

from __future__ import annotations

import runpy
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from trtrnn import trt
from trtrnn.network import build_spec_network
from trtrnn_v2 import WeightLayoutWarning

seed = pytest.importorskip("trtrnn.seed", reason="core's seed cases are not available")
pytest.importorskip("trtrnn.evaluator", reason="core's CPU evaluator is not available")
pytest.importorskip("trtrnn_loop", reason="rnn-loop (the ILoop lowering) is not installed")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

#: example file -> the SEED_CASES entry its printed tables must match.
EXAMPLE_CASES = {
    "01_initial.py": "initial",
    "02_seq_lengths.py": "seq_lengths",
    "03_properties_op.py": "op",
    "04_input_mode.py": "input_mode",
    "05_direction.py": "direction",
    "06_hidden_state.py": "hidden_state",
    "07_cell_state_lstm.py": "cell_state_h0_ones",
    "08_bidirectional_lstm.py": "bidirectional_lstm_h0_ones",
    "09_multi_layer.py": "multi_layer",
}
OUTPUT_VARIABLES = {"output": "outputH0", "hidden": "outputH1", "cell": "outputH2"}
ATOL = 1e-6  # for the zeros beyond each sequence length; rtol is the case's own


def test_every_example_is_mapped_to_a_seed_case():
    assert sorted(p.name for p in EXAMPLES.glob("[0-9]*.py")) == sorted(EXAMPLE_CASES)
    assert set(EXAMPLE_CASES.values()) <= set(seed.SEED_CASES)


@pytest.fixture
def compat(monkeypatch):
    """The examples' `from trtrnn_v2 import tensorrt as trt`, installed for one test and removed after."""
    if not trt.available():
        pytest.skip("no TensorRT installed")
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import trtrnn_v2.tensorrt as module

    module.install()
    yield module
    module.uninstall()


@pytest.mark.parametrize("example", list(EXAMPLE_CASES))
def test_example_prints_the_seeds_tables(example, compat, capsys):
    case = seed.SEED_CASES[EXAMPLE_CASES[example]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = runpy.run_path(str(EXAMPLES / example), run_name="__main__")
    layout_warnings = [w for w in caught if issubclass(w.category, WeightLayoutWarning)]
    # Only the direction example passes (wIn, lenH) input matrices (SEMANTICS.md §9.4).
    assert len(layout_warnings) == (2 if example == "05_direction.py" else 0)
    printed = capsys.readouterr().out
    for key, expected in case.expected.items():
        got = names[OUTPUT_VARIABLES[key]]
        np.testing.assert_allclose(got, expected, rtol=case.rtol, atol=ATOL, err_msg=f"{example}: {key}")
        assert f"{OUTPUT_VARIABLES[key]}: {expected.shape}" in printed
    assert len(names["rnnV2Layer"].get_output(0).shape) == 4


def test_example_runs_as_an_engine_on_a_gpu(compat, monkeypatch):
    """The "executed" tier: on a supported GPU the examples run a real engine, not the evaluator."""
    capability = trt.engine_execution()
    if not capability:
        pytest.skip(f"engine execution unavailable here: {capability.reason}")
    monkeypatch.delenv("TRTRNN_EXECUTION", raising=False)

    def no_evaluator(*args: object) -> None:
        raise AssertionError("the CPU evaluator ran although a GPU engine can run here")

    monkeypatch.setattr("trtrnn.evaluate", no_evaluator)
    names = runpy.run_path(str(EXAMPLES / "02_seq_lengths.py"), run_name="__main__")
    for key, expected in seed.SEED_CASES["seq_lengths"].expected.items():
        np.testing.assert_allclose(names[OUTPUT_VARIABLES[key]], expected, rtol=1e-5, atol=ATOL)


def test_properties_example_prints_the_seeds_values(compat, capsys):
    runpy.run_path(str(EXAMPLES / "03_properties_op.py"), run_name="__main__")
    # The seed's printout for this example.
    assert "num_layers=1\nhidden_size=5\nmax_seq_length=4\ndata_length=7\n" in capsys.readouterr().out


def test_an_example_runs_as_a_standalone_script():
    if not trt.available():
        pytest.skip("no TensorRT installed")
    done = subprocess.run(
        [sys.executable, "02_seq_lengths.py"], cwd=EXAMPLES, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    # The seed's final hidden states for lengths 4, 3, 2.
    tail = done.stdout.split("outputH1: (1, 3, 1, 5)")[1]
    assert [float(v) for v in tail.replace("[", " ").replace("]", " ").split()[::5]] == [1092.0, 217.0, 42.0]


@pytest.mark.parametrize("name", list(seed.SEED_CASES))
def test_seed_cases_through_the_api(name):
    """Every seed case (incl. the printed h0 = 0 LSTM tables) via the rnn-v2 backend's API calls."""
    from trtrnn import evaluate
    from trtrnn_v2 import plugin

    if not trt.available():
        pytest.skip("no TensorRT installed")
    case = seed.SEED_CASES[name]
    built = build_spec_network(plugin.build, case.spec, case.x)
    got = evaluate(built.network, built.feeds)
    assert set(got) == set(case.expected)
    for key, expected in case.expected.items():
        np.testing.assert_allclose(got[key], expected, rtol=case.rtol, atol=ATOL, err_msg=f"{name}: {key}")

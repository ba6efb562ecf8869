"""TF32: the rounding (against an oracle written from the definition), the evaluator's matmul, the
builder flag through serialize_network/Engine/conformance, and the derived tolerance's formula."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from trtrnn import evaluate, trt
from trtrnn.spec import RNNSpec
from trtrnn.tf32 import DEFAULT_MODE, MODES, round_tf32, tf32_matmul


def oracle(value: float, mode: str) -> float:
    """`value` rounded to 11 significant bits in float64 arithmetic: q = value / 2^(e-10) has the kept
    bits left of the point; round q per mode, scale back (no bit tricks, unlike trtrnn.tf32)."""
    if value == 0 or not math.isfinite(value):
        return value
    e = max(math.floor(math.log2(abs(value))), -126)  # float32 subnormals keep the spacing of 2^-126
    q = abs(value) / 2.0 ** (e - 10)
    if mode == "rz":
        r = math.floor(q)
    elif mode == "rna":
        r = math.floor(q + 0.5)
    else:
        r = round(q)  # Python rounds half to even
    return math.copysign(r * 2.0 ** (e - 10), value)


def random_float32(n: int, seed: int) -> np.ndarray:
    """Random exponents and mantissas, a quarter of them exact ties (low 13 bits 0x1000)."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    bits &= np.uint32(0x8FFFFFFF)  # exponents well inside the finite range
    bits |= np.uint32(0x30000000)
    ties = rng.random(n) < 0.25
    bits[ties] = (bits[ties] & np.uint32(0xFFFFE000)) | np.uint32(0x1000)
    return bits.view(np.float32)


@pytest.mark.parametrize("mode", MODES)
def test_round_tf32_matches_the_definition(mode: str) -> None:
    values = random_float32(20_000, 7)
    got = round_tf32(values, mode)
    want = np.array([oracle(float(v), mode) for v in values], dtype=np.float64)
    assert np.array_equal(got.astype(np.float64), want)
    assert np.all(got.view(np.uint32) & np.uint32(0x1FFF) == 0)


def test_round_tf32_ties_and_specials() -> None:
    x = np.array([1024.5, 1025.5, -1024.5, 1 + 2**-11, np.inf, -np.inf, np.nan, 0.0], dtype=np.float32)
    assert round_tf32(x, "rne")[:4].tolist() == [1024.0, 1026.0, -1024.0, 1.0]  # ties to even
    assert round_tf32(x, "rna")[:4].tolist() == [1025.0, 1026.0, -1025.0, 1 + 2**-10]  # ties away
    assert round_tf32(x, "rz")[:4].tolist() == [1024.0, 1025.0, -1024.0, 1.0]
    for mode in MODES:
        r = round_tf32(x, mode)
        assert r[4] == np.inf and r[5] == -np.inf and np.isnan(r[6]) and r[7] == 0.0
    # the largest float32 carries into the exponent: infinity, as cvt without .satfinite
    assert round_tf32(np.array([np.finfo(np.float32).max]), "rne")[0] == np.inf
    assert DEFAULT_MODE == "rne"  # what cuBLAS did on the H200 (reports/tf32-gpu.json)


def test_round_tf32_refuses_what_it_cannot_model() -> None:
    with pytest.raises(TypeError, match="float32"):
        round_tf32(np.ones(3))
    with pytest.raises(ValueError, match="rna"):
        round_tf32(np.ones(3, np.float32), "nearest")


def test_tf32_matmul_is_exact_products_of_rounded_operands() -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal((5, 64)).astype(np.float32)
    b = rng.standard_normal((64, 7)).astype(np.float32)
    exact = round_tf32(a).astype(np.float64) @ round_tf32(b).astype(np.float64)
    terms = np.abs(round_tf32(a)).astype(np.float64) @ np.abs(round_tf32(b)).astype(np.float64)
    assert np.all(np.abs(tf32_matmul(a, b) - exact) <= 64 * 2.0**-24 * terms)  # float32 sums only
    assert np.max(np.abs(a.astype(np.float64) @ b - exact)) > 1e-4  # and TF32 really rounded


needs_trt = pytest.mark.skipif(not trt.available(), reason="no TensorRT installed")


def _matmul_network(a: np.ndarray, b: np.ndarray) -> object:
    """`a` (an input) times the constant `b`, as output "out"; the builder and `b` are kept alive."""
    from trtrnn.network import keep_alive

    t = trt.load()
    builder, network = trt.create_network()
    dtype = t.float16 if a.dtype == np.float16 else t.float32
    x = network.add_input("a", dtype, a.shape)
    w = network.add_constant(b.shape, b).get_output(0)
    out = network.add_matrix_multiply(x, t.MatrixOperation.NONE, w, t.MatrixOperation.NONE).get_output(0)
    out.name = "out"
    network.mark_output(out)
    keep_alive(network, b)
    _BUILDERS.append(builder)
    return network


_BUILDERS: list[object] = []


@needs_trt
def test_evaluator_rounds_float32_matmul_operands_only_when_asked() -> None:
    a = random_float32(4 * 16, 11).reshape(4, 16) / np.float32(1e6)
    b = np.eye(16, dtype=np.float32)  # exact products and sums: the output is the operand as read
    network = _matmul_network(a, b)
    assert np.array_equal(evaluate(network, {"a": a})["out"], a)
    assert np.array_equal(evaluate(network, {"a": a}, tf32=True)["out"], round_tf32(a))
    half = np.arange(16, dtype=np.float16).reshape(1, 16) / np.float16(7)
    network16 = _matmul_network(half, np.eye(16, dtype=np.float16))
    # float16 operands have 11 significant bits already: TF32 changes nothing
    assert np.array_equal(evaluate(network16, {"a": half}, tf32=True)["out"], half)


@needs_trt
def test_builder_flag_is_set_cleared_and_recorded(tmp_path: Path) -> None:
    from trtrnn.engine import Engine, sidecar_path
    from trtrnn.network import set_tf32, tf32_default

    if not hasattr(trt.load().BuilderFlag, "TF32"):
        pytest.skip("this TensorRT has no BuilderFlag.TF32")
    builder = trt.load().Builder(trt.logger())
    config = builder.create_builder_config()
    assert set_tf32(config, False) is False and set_tf32(config, None) is False
    assert set_tf32(config, True) is True
    default = tf32_default(builder)
    assert default is True  # TensorRT 10 and TensorRT for RTX 1.7 turn it on

    a = np.ones((2, 4), np.float32)
    for asked, want in ((None, default), (False, False), (True, True)):
        engine = Engine.build(_matmul_network(a, np.eye(4, dtype=np.float32)), tf32=asked)
        assert engine.tf32 is want
        path = engine.save(tmp_path / f"m{asked}.engine")
        assert json.loads(sidecar_path(path).read_text())["tf32"] is want
        assert Engine.load(path).tf32 is want
    doc = json.loads(sidecar_path(path).read_text())
    del doc["tf32"]  # a sidecar from before trtrnn recorded it
    sidecar_path(path).write_text(json.dumps(doc))
    assert Engine.load(path).tf32 is None


@needs_trt
def test_engine_cpu_executor_models_the_flag_it_was_built_with() -> None:
    from trtrnn.engine import Engine

    a = random_float32(2 * 8, 5).reshape(2, 8) / np.float32(1e6)
    for tf32 in (False, True):
        engine = Engine.build(_matmul_network(a, np.eye(8, dtype=np.float32)), tf32=tf32)
        got = engine.infer({"a": a}, executor="cpu")["out"]
        assert np.array_equal(got, round_tf32(a) if tf32 else a)


@needs_trt
def test_conformance_clears_tf32_except_for_the_tf32_family(monkeypatch: pytest.MonkeyPatch) -> None:
    """The executed tier checks the contract in exact float32: every engine the suite builds has
    BuilderFlag.TF32 cleared, except the TF32 family's, which set it."""
    from trtrnn import registry
    from trtrnn.conformance import tiers
    from trtrnn.conformance.cases import Case

    if "rnn-loop" not in registry.backends():
        pytest.skip("needs the rnn-loop backend")
    asked = []
    real = tiers.serialize_network

    def spy(*args: object, **kwargs: object) -> bytes:
        asked.append(kwargs.get("tf32"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tiers, "serialize_network", spy)
    spec = RNNSpec.random(1, op="GRU", hidden_size=4, max_seq_length=2, data_length=3, batch_shape=(2,))
    x = spec.random_input(2)
    for tf32 in (False, True):
        run = tiers.CaseRun(registry.get("rnn-loop"), Case(f"c{tf32}", spec, x, "matrix", tf32=tf32))
        assert run.run("built").status == tiers.Status.PASS
        assert run.run("evaluated").status == tiers.Status.PASS
    assert asked == [False, True]


def test_tf32_tolerance_follows_its_formula() -> None:
    from trtrnn.conformance.tolerances import (
        contraction_length,
        preactivation_magnitude,
        tf32_envelope,
        tf32_tolerance,
    )

    u = 2.0**-11
    lin = RNNSpec.random(1, op="LSTM", hidden_size=8, max_seq_length=25, data_length=5, num_layers=2,
                         direction="BIDIRECTION")  # fmt: skip
    assert contraction_length(lin) == 8 + 5  # layer 0: E + H; above: 2H + H = 24
    skip = RNNSpec.random(1, op="LSTM", hidden_size=8, max_seq_length=25, data_length=8, num_layers=2,
                          direction="BIDIRECTION", input_mode="SKIP")  # fmt: skip
    assert contraction_length(skip) == 8  # SKIP adds x: the recurrent matmul alone
    x = lin.random_input(2)
    m = preactivation_magnitude(lin, x)
    assert tf32_envelope(lin, x) == pytest.approx(u * m / math.sqrt(13) * math.sqrt(25))
    tol = tf32_tolerance(lin, x)
    assert tol.rtol == 20 * u and tol.atol == max(20 * u, 4 * tf32_envelope(lin, x))

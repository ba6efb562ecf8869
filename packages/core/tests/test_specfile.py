"""specfile: RNNSpec (+ x) round-trips through .npz and .json; bad files give SpecErrors naming why."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from trtrnn.errors import ShapeError, SpecError
from trtrnn.spec import RNNSpec
from trtrnn.specfile import load_spec, save_spec


def _assert_same(a: RNNSpec, b: RNNSpec) -> None:
    for name in (
        "op",
        "hidden_size",
        "max_seq_length",
        "data_length",
        "num_layers",
        "input_mode",
        "direction",
    ):
        assert getattr(a, name) == getattr(b, name), name
    assert a.batch_shape == b.batch_shape
    assert a.weights.keys() == b.weights.keys() and a.biases.keys() == b.biases.keys()
    for key in a.weights:
        np.testing.assert_array_equal(a.weights[key], b.weights[key])
    for key in a.biases:
        np.testing.assert_array_equal(a.biases[key], b.biases[key])
    for name in ("seq_lengths", "hidden_state", "cell_state"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("suffix", [".npz", ".json"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {"op": "LSTM", "num_layers": 2, "direction": "BIDIRECTION", "seq_lengths": "ragged", "states": True},
        {"op": "GRU", "input_mode": "SKIP", "batch_shape": ()},
        {"op": "RELU", "batch_shape": (2, 3), "seq_lengths": "full"},
    ],
)
def test_round_trip(tmp_path: Path, suffix: str, kwargs: dict) -> None:
    spec = RNNSpec.random(3, **kwargs)
    x = spec.random_input(4)
    path = save_spec(tmp_path / f"spec{suffix}", spec, x)
    loaded, loaded_x = load_spec(path)
    _assert_same(spec, loaded)
    np.testing.assert_array_equal(loaded_x, x)
    assert loaded_x.dtype == np.float32
    if loaded.seq_lengths is not None:
        assert loaded.seq_lengths.dtype == np.int32


def test_npz_keys_name_layer_gate_and_part(tmp_path: Path) -> None:
    spec = RNNSpec.random(0, op="LSTM")
    save_spec(tmp_path / "s.npz", spec)
    with np.load(tmp_path / "s.npz") as data:
        names = set(data.files)
    assert {"W/0/FORGET/1", "W/0/FORGET/0", "B/0/OUTPUT/1", "__config__"} <= names
    assert "x" not in names


def test_json_is_readable_nested_lists(tmp_path: Path) -> None:
    spec = RNNSpec.random(0, op="TANH", hidden_size=2, data_length=3, batch_shape=(1,))
    save_spec(tmp_path / "s.json", spec)
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc["op"] == "TANH" and doc["hidden_size"] == 2
    assert np.asarray(doc["arrays"]["W/0/INPUT/1"]).shape == (2, 3)
    _, x = load_spec(tmp_path / "s.json")
    assert x is None


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    spec = RNNSpec.random(0)
    target = tmp_path / "s.npz"
    target.write_bytes(b"old")
    save_spec(target, spec)
    assert [p.name for p in tmp_path.iterdir()] == ["s.npz"]
    assert load_spec(target)[0].op == spec.op


def test_invalid_spec_is_not_written(tmp_path: Path) -> None:
    spec = RNNSpec.random(0, op="GRU")
    del spec.weights[next(iter(spec.weights))]
    with pytest.raises(SpecError, match="Missing weights"):
        save_spec(tmp_path / "s.npz", spec)
    assert not any(tmp_path.iterdir())
    with pytest.raises(ShapeError, match=r"x: shape \(1, 2\)"):
        save_spec(tmp_path / "s.npz", RNNSpec.random(0), np.zeros((1, 2), np.float32))


def _write_json(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc))
    return path


def test_bad_files(tmp_path: Path) -> None:
    spec = RNNSpec.random(0, op="TANH", hidden_size=2, data_length=2, batch_shape=(1,))
    good = tmp_path / "good.json"
    save_spec(good, spec)
    doc = json.loads(good.read_text())

    with pytest.raises(SpecError, match=r"suffix '\.txt'"):
        load_spec(tmp_path / "spec.txt")
    with pytest.raises(SpecError, match="no such file"):
        load_spec(tmp_path / "missing.npz")
    with pytest.raises(SpecError, match="not valid JSON"):
        (tmp_path / "a.json").write_text("{")
        load_spec(tmp_path / "a.json")
    with pytest.raises(SpecError, match="format None"):
        load_spec(_write_json(tmp_path / "b.json", {"arrays": {}}))
    with pytest.raises(SpecError, match=r"missing configuration field\(s\) \['hidden_size'\]"):
        load_spec(_write_json(tmp_path / "c.json", {k: v for k, v in doc.items() if k != "hidden_size"}))
    with pytest.raises(SpecError, match="'W/0/FORGOT/1': gate 'FORGOT' is not one of"):
        load_spec(_write_json(tmp_path / "d.json", {**doc, "arrays": {**doc["arrays"], "W/0/FORGOT/1": [1]}}))
    with pytest.raises(SpecError, match="gate FORGET does not belong to TANH"):
        arrays = {**doc["arrays"], "W/0/FORGET/1": doc["arrays"]["W/0/INPUT/1"]}
        load_spec(_write_json(tmp_path / "e.json", {**doc, "arrays": arrays}))
    with pytest.raises(ShapeError, match=r"e2.json: weights\(0, INPUT, 1\): shape \(2, 1\)"):
        arrays = {**doc["arrays"], "W/0/INPUT/1": [[1.0], [2.0]]}
        load_spec(_write_json(tmp_path / "e2.json", {**doc, "arrays": arrays}))
    with pytest.raises(SpecError, match="not a rectangular list"):
        load_spec(_write_json(tmp_path / "f.json", {**doc, "arrays": {"x": [[1], [1, 2]]}}))
    (tmp_path / "g.npz").write_bytes(b"not a zip")
    with pytest.raises(SpecError, match=r"not a readable \.npz"):
        load_spec(tmp_path / "g.npz")
    np.savez(tmp_path / "h.npz", weight_ih_l0=np.zeros(2))
    with pytest.raises(SpecError, match="has no __config__"):
        load_spec(tmp_path / "h.npz")


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_the_extensions_round_trip_exactly(tmp_path, suffix) -> None:
    """docs/semantics.md §2.1-2.4: every extension field and array survives save/load (a lost one would
    be a silently different RNN), and the loaded spec computes the same numbers bit for bit."""
    from trtrnn import reference
    from trtrnn.conformance.extended import extended_specs

    specs = extended_specs(12, seed=4)
    lstmp = {"proj_size": 2, "peepholes": True, "input_forget": True, "clip": 0.5, "states": True}
    specs.append(RNNSpec.random(1, op="LSTM", hidden_size=5, direction="BIDIRECTION", **lstmp))
    for n, spec in enumerate(specs):
        path = save_spec(tmp_path / f"s{n}{suffix}", spec)
        back, _ = load_spec(path)
        assert back.features() == spec.features()
        for name in ("linear_before_reset", "input_forget", "clip", "reverse", "proj_size", "activations"):
            assert getattr(back, name) == getattr(spec, name), name
        x = spec.random_input(n)
        for got, want in zip(reference.forward(back, x), reference.forward(spec, x), strict=True):
            assert (got is None and want is None) or np.array_equal(got, want)

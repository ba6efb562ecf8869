"""ONNX's own backend test vectors for RNN/GRU/LSTM against `trtrnn.reference` (SEMANTICS §10).

The onnx wheel ships the generators (`onnx/backend/test/case/node/{rnn,gru,lstm}.py`), not the data:
each `export_*` builds a node, computes the outputs with ONNX's numpy helpers and calls `expect`.
We call them with `expect` swapped for a collector, import each node with `from_onnx`, and compare.
Vectors our semantics cannot express must be refused, for the reason docs/onnx-vectors.md gives.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest

from trtrnn import reference
from trtrnn.errors import SpecError

onnx = pytest.importorskip("onnx")
from onnx import helper  # noqa: E402

from trtrnn.onnx_io import from_onnx  # noqa: E402

DOC = Path(__file__).resolve().parents[3] / "docs" / "onnx-vectors.md"


class Vector(NamedTuple):
    name: str
    node: Any
    inputs: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]


def _generate() -> dict[str, Vector]:
    from onnx.backend.test.case.base import Base
    from onnx.backend.test.case.node import gru, lstm, rnn

    vectors: dict[str, Vector] = {}

    def collect(node: Any, inputs: list, outputs: list, name: str, **_: Any) -> None:
        present_in = [n for n in node.input if n]
        present_out = [n for n in node.output if n]
        vectors[name] = Vector(
            name,
            node,
            dict(zip(present_in, map(np.asarray, inputs), strict=True)),
            dict(zip(present_out, map(np.asarray, outputs), strict=True)),
        )

    state = np.random.get_state()
    np.random.seed(0)  # some generators draw unseeded weights
    try:
        for module in (rnn, gru, lstm):
            original, module.expect = module.expect, collect
            try:
                for cls in vars(module).values():
                    if isinstance(cls, type) and issubclass(cls, Base) and cls is not Base:
                        for attr in sorted(vars(cls)):
                            if attr.startswith("export"):
                                getattr(cls, attr)()
            finally:
                module.expect = original
    finally:
        np.random.set_state(state)
    return vectors


VECTORS = _generate()


def _documented() -> dict[str, tuple[str, str]]:
    """{vector name: (status, reason)} from the table in docs/onnx-vectors.md."""
    rows = re.findall(r"^\| `(test_\w+)` \| (\w+) \| ([^|]*)\|", DOC.read_text(encoding="utf-8"), flags=re.M)
    return {name: (status, reason.strip()) for name, status, reason in rows}


DOCUMENTED = _documented()


def _model(vector: Vector) -> Any:
    node = vector.node
    ins = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
           for n, v in vector.inputs.items()]  # fmt: skip
    outs = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
            for n, v in vector.outputs.items()]  # fmt: skip
    return helper.make_model(helper.make_graph([node], vector.name, ins, outs))


def test_the_generators_give_the_eighteen_vectors() -> None:
    assert len(VECTORS) == 18
    assert {v.node.op_type for v in VECTORS.values()} == {"RNN", "GRU", "LSTM"}


def test_every_vector_is_documented() -> None:
    assert set(DOCUMENTED) == set(VECTORS)
    assert {status for status, _ in DOCUMENTED.values()} <= {"maps", "refused"}


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_vector(name: str) -> None:
    vector, (status, reason) = VECTORS[name], DOCUMENTED[name]
    model = _model(vector)
    if status == "refused":
        rule = reason.split(";")[0].strip("` ")
        with pytest.raises(SpecError, match=re.escape(rule)):
            from_onnx(model, vector.inputs)
        return
    spec = from_onnx(model, vector.inputs)
    layout = next((a.i for a in vector.node.attribute if a.name == "layout"), 0)
    x = vector.inputs[vector.node.input[0]]  # [T, B, E] (layout 1: [B, T, E]) -> the spec's [B, T, E]
    got = reference.forward(spec, x if layout else x.transpose(1, 0, 2))
    compared = 0
    for out_name, want in vector.outputs.items():
        position = list(vector.node.output).index(out_name)
        if position == 0:  # Y [T, K, B, H] (layout 1: [B, T, K, H]) <- output [B, T, K*H]
            b, t = got.output.shape[:2]
            mine = got.output.reshape(b, t, spec.num_directions, spec.hidden_size)
            mine = mine if layout else mine.transpose(1, 2, 0, 3)
        else:  # Y_h / Y_c [K, B, H] (layout 1: [B, K, H]) <- [B, K, H]
            mine = got.hidden if position == 1 else got.cell
            mine = mine if layout else mine.transpose(1, 0, 2)
        assert mine.shape == want.shape, out_name
        np.testing.assert_allclose(mine, want, rtol=1e-5, atol=1e-6, err_msg=f"{name}: {out_name}")
        compared += 1
    assert compared == len(vector.outputs) > 0

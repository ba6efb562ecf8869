"""One lowering, several targets: the loop structure and the cell math are written against
`trtrnn_loop.graph.Graph` only, so a target (TensorRT layers, ONNX nodes) cannot drift from another."""

from __future__ import annotations

import ast
import inspect

import pytest

from trtrnn_loop import cells, graph, lowering, params
from trtrnn_loop.trt_target import TrtGraph, TrtLoop


def _names(module: object) -> set[str]:
    tree = ast.parse(inspect.getsource(module))
    found = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    found |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    imported = {
        a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names
    }
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    return found | imported | {m for m in modules if m}


@pytest.mark.parametrize("module", [cells, params, graph])
def test_cell_math_params_and_interface_know_no_target(module):
    names = _names(module)
    assert not names & {"trt", "network", "TrtGraph", "trtrnn.trt", "onnx", "tensorrt"}, module.__name__


def test_the_lowering_touches_tensorrt_only_to_pick_its_target():
    """`lower` builds through the Graph interface; only `add_rnn` and `_prefix` know a network exists."""
    source = inspect.getsource(lowering.lower) + "".join(
        inspect.getsource(f)
        for f in (lowering._stack_layer, lowering._project, lowering._step_masks, lowering._initial)
    )
    for word in ("network", "trt.", "add_loop", "TrtGraph"):
        assert word not in source


def test_the_tensorrt_target_implements_the_whole_interface():
    assert not getattr(TrtGraph, "__abstractmethods__", None)
    assert not getattr(TrtLoop, "__abstractmethods__", None)

"""A readable listing of a TensorRT network: layers, output shapes/dtypes, and loop membership.

Loop membership is not an attribute of interior layers in TensorRT; it is derived from dataflow
exactly as the CPU evaluator derives it, so the listing shows what `evaluate` will run per iteration.
"""

from __future__ import annotations

from trtrnn.evaluator.graph import read_network
from trtrnn.evaluator.loops import group_loops


def describe(network: object) -> str:
    """One line per layer (index, type, name, outputs), then each loop with its layers."""
    graph = read_network(network)
    top, _ = group_loops(graph)
    loops = [inner for loop in top for inner in loop.walk()]
    where: dict[int, str] = {}
    for loop in loops:
        for node in loop.layers():
            where[node.index] = loop.name
    lines = [f"network: {len(graph.nodes)} layers, {len(graph.inputs)} inputs, {len(graph.outputs)} outputs"]
    for key in graph.inputs:
        info = graph.tensors[key]
        lines.append(f"  input  {info.name!r} {info.shape} {info.dtype}")
    for key in graph.outputs:
        info = graph.tensors[key]
        lines.append(f"  output {info.name!r} {info.shape} {info.dtype}")
    for node in graph.nodes:
        outs = ", ".join(
            f"{graph.tensors[k].name!r} {graph.tensors[k].shape} {graph.tensors[k].dtype}"
            for k in node.outputs
        )
        loop = f"  [loop {where[node.index]!r}]" if node.index in where else ""
        lines.append(f"{node.index:4d} {node.kind:<18} {node.name!r} -> {outs or '-'}{loop}")
    for loop in loops:
        own = [n for n in loop.body if n.kind != "LOOP"]
        body = ", ".join(str(n.index) for n in own)
        bounds = ", ".join(f"{n.index}:{n.kind}" for n in loop.boundaries())
        parent = f" (nested in {loop.parent.name!r})" if loop.parent is not None else ""
        lines.append(f"loop {loop.name!r}{parent}: boundary [{bounds}]; body ({len(own)} layers) [{body}]")
    return "\n".join(lines)

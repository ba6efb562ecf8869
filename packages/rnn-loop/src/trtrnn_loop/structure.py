"""What each ILoop of a network holds: the proof that the lowering is the fast one.

TensorRT's interior loop layers carry no loop attribute (SEMANTICS §10): a layer belongs to a loop
body when it is reachable from that loop's iterator or recurrence outputs without leaving through a
loop output. Works on any network (ours or the ONNX parser's), so the benchmark compares like with like.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from trtrnn import trt
from trtrnn.backend import Network


@dataclass
class LoopBody:
    """One loop: its name, the (name, LayerType name) of every layer in its body, and their indices."""

    name: str
    layers: list[tuple[str, str]] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)  # for network.get_layer

    def count(self, kind: str) -> int:
        """How many body layers have LayerType `kind` (e.g. "MATRIX_MULTIPLY")."""
        return sum(1 for _, k in self.layers if k == kind)

    def kinds(self) -> Counter:
        return Counter(k for _, k in self.layers)


def loop_bodies(network: Network) -> dict[str, LoopBody]:
    """Every loop of `network` by name, with the layers of its body (boundary layers excluded).

    Membership comes from core's evaluator (`trtrnn.evaluator.loops.group_loops`), the one place
    that decides what a loop body is, so this count and the evaluator's run agree.
    """
    from trtrnn.evaluator.graph import read_network
    from trtrnn.evaluator.loops import group_loops

    loops, _ = group_loops(read_network(network))
    return {
        loop.name: LoopBody(loop.name, [(n.name, n.kind) for n in loop.body], [n.index for n in loop.body])
        for loop in loops
    }


def layers_outside_loops(network: Network, kind: str) -> list[str]:
    """Names of the layers of LayerType `kind` that are in no loop body (e.g. hoisted matmuls)."""
    inside = {name for body in loop_bodies(network).values() for name, _ in body.layers}
    trt_mod = trt.load()
    wanted = getattr(trt_mod.LayerType, kind)
    names = []
    for i in range(network.num_layers):
        layer = network.get_layer(i)
        if layer.type == wanted and layer.name not in inside:
            names.append(layer.name)
    return names

"""What each ILoop of a network holds, found by dataflow: the proof that the lowering is the fast one.

TensorRT's interior loop layers carry no loop attribute (SEMANTICS §10), so a layer belongs to a loop
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
    """Every loop of `network` by name, with the layers of its body (boundary layers excluded)."""
    trt_mod = trt.load()
    boundary = {
        trt_mod.LayerType.ITERATOR: trt_mod.IIteratorLayer,
        trt_mod.LayerType.RECURRENCE: trt_mod.IRecurrenceLayer,
        trt_mod.LayerType.LOOP_OUTPUT: trt_mod.ILoopOutputLayer,
        trt_mod.LayerType.TRIP_LIMIT: trt_mod.ITripLimitLayer,
    }
    layers = [network.get_layer(i) for i in range(network.num_layers)]
    kinds = [layer.type for layer in layers]  # read before any cast changes what `type` means
    consumers: dict[str, list[int]] = {}
    for i, layer in enumerate(layers):
        for j in range(layer.num_inputs):
            tensor = layer.get_input(j)
            if tensor is not None:
                consumers.setdefault(tensor.name, []).append(i)

    bodies: dict[str, LoopBody] = {}
    starts: dict[str, list[int]] = {}
    for i, (layer, kind) in enumerate(zip(layers, kinds)):
        if kind in boundary:
            layer.__class__ = boundary[kind]
            loop_name = layer.loop.name
            bodies.setdefault(loop_name, LoopBody(loop_name))
            if kind in (trt_mod.LayerType.ITERATOR, trt_mod.LayerType.RECURRENCE):
                starts.setdefault(loop_name, []).append(i)

    for loop_name, seeds in starts.items():
        seen: set[int] = set()
        stack = list(seeds)
        while stack:
            i = stack.pop()
            for j in range(layers[i].num_outputs):
                for k in consumers.get(layers[i].get_output(j).name, []):
                    if k not in seen and kinds[k] not in boundary:
                        seen.add(k)
                        stack.append(k)
        bodies[loop_name].indices = sorted(seen)
        bodies[loop_name].layers = [(layers[i].name, kinds[i].name) for i in sorted(seen)]
    return bodies


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

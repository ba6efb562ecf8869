"""Read a TensorRT network once into plain nodes: kernels, tensor keys, declared shapes, loop groups.

Tensors are keyed by `id()` of their Python wrapper; the graph keeps every wrapper alive, and the
bindings hand back the same wrapper for the same tensor while it is alive, so keys are stable.
Layer attributes are read with the `layer.__class__ = trt.I<Kind>Layer` cast (SEMANTICS.md §10); the
original class is restored afterwards so wrappers the caller holds keep behaving as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from trtrnn import trt
from trtrnn.errors import UnsupportedLayerError
from trtrnn.evaluator.dtypes import to_numpy
from trtrnn.evaluator.kernels import KERNELS, LayerContext, needs_widening, widened
from trtrnn.tensors import TensorInfo

LOOP_BOUNDARY = {
    "TRIP_LIMIT": "ITripLimitLayer",
    "ITERATOR": "IIteratorLayer",
    "RECURRENCE": "IRecurrenceLayer",
    "LOOP_OUTPUT": "ILoopOutputLayer",
}
CONDITIONAL_BOUNDARY = {
    "CONDITION": "IConditionLayer",
    "CONDITIONAL_INPUT": "IIfConditionalInputLayer",
    "CONDITIONAL_OUTPUT": "IIfConditionalOutputLayer",
}


@dataclass(eq=False)
class Node:
    """One layer ready to run: `kernel(list of input arrays) -> list of output arrays`."""

    index: int
    kind: str
    name: str
    inputs: tuple[int | None, ...]
    outputs: tuple[int, ...]
    kernel: Callable[[list], list] | None = None
    attrs: dict = field(default_factory=dict)
    group: int | None = None  # id() of the ILoop / IIfConditional of a boundary layer

    def describe(self) -> str:
        return f"{self.kind} layer {self.name!r} (index {self.index})"


@dataclass
class Graph:
    """All layers of a network as nodes, plus what the evaluator needs to walk them."""

    nodes: list[Node]
    tensors: dict[int, TensorInfo]
    inputs: list[int]
    outputs: list[int]
    group_names: dict[int, str]
    keep: list = field(repr=False, default_factory=list)

    def tensor_name(self, key: int) -> str:
        return self.tensors[key].name


@contextmanager
def cast(layer: object, interface: str) -> Iterator[object]:
    """Temporarily view `layer` through TensorRT interface class `interface`."""
    original = layer.__class__
    layer.__class__ = getattr(trt.load(), interface)
    try:
        yield layer
    finally:
        layer.__class__ = original


def _unsupported_kernel(error: UnsupportedLayerError) -> Callable[[list], list]:
    def run(args: list) -> list:
        raise error

    return run


def read_network(network: object, *, tf32: bool = False) -> Graph:
    """Every layer of `network` as a Node (unsupported layers get a kernel that raises when run);
    `tf32` makes float32 matrix multiplies round their operands to TF32 (LayerContext.tf32)."""
    trt_mod = trt.load()
    keep: list = []
    tensors: dict[int, TensorInfo] = {}

    def key(tensor: object | None) -> int | None:
        if tensor is None:
            return None
        k = id(tensor)
        if k not in tensors:
            keep.append(tensor)
            try:
                shape = tuple(int(d) for d in tensor.shape)
            except RuntimeError:  # TensorRT cannot infer it (an invalid layer upstream)
                shape = None
            is_input = bool(tensor.is_network_input)
            tensors[k] = TensorInfo(str(tensor.name), shape, to_numpy(tensor.dtype), is_input)
        return k

    inputs = [key(network.get_input(i)) for i in range(network.num_inputs)]
    outputs = [key(network.get_output(i)) for i in range(network.num_outputs)]
    nodes: list[Node] = []
    group_names: dict[int, str] = {}
    for index in range(network.num_layers):
        layer = network.get_layer(index)
        kind = trt_mod.ILayer.type.fget(layer).name
        name = str(layer.name)
        ins = tuple(key(layer.get_input(j)) for j in range(layer.num_inputs))
        outs = tuple(key(layer.get_output(j)) for j in range(layer.num_outputs))
        node = Node(index, kind, name, ins, outs)
        if kind in LOOP_BOUNDARY or kind in CONDITIONAL_BOUNDARY:
            _read_boundary(node, layer, keep, group_names)
        if kind in KERNELS:
            interface, builder = KERNELS[kind]
            ctx_ranks = tuple(_rank(tensors, k) for k in ins)
            ctx_dtypes = tuple(tensors[k].dtype for k in outs)
            with cast(layer, interface) as view:
                try:
                    node.kernel = builder(LayerContext(view, kind, name, ctx_ranks, ctx_dtypes, tf32))
                    all_dtypes = ctx_dtypes + tuple(tensors[k].dtype for k in ins if k is not None)
                    if needs_widening(kind, all_dtypes):
                        node.kernel = widened(node.kernel, ctx_dtypes)
                except UnsupportedLayerError as exc:
                    node.kernel = _unsupported_kernel(exc)
        elif kind not in LOOP_BOUNDARY and kind not in CONDITIONAL_BOUNDARY:
            node.kernel = _unsupported_kernel(
                UnsupportedLayerError(f"{kind} layer {name!r}: the CPU evaluator has no kernel for {kind}")
            )
        nodes.append(node)
    _wire_conditionals(nodes)
    return Graph(nodes, tensors, inputs, outputs, group_names, keep)


def _select_branch(args: list) -> list:
    return [args[0] if bool(np.asarray(args[2]).reshape(())) else args[1]]


def _wire_conditionals(nodes: list[Node]) -> None:
    """CONDITIONAL_OUTPUT reads (true value, false value, condition): the outer walk asks only for the
    taken branch; inside a loop body both branches run and the kernel picks one."""
    conditions = {n.group: n.inputs[0] for n in nodes if n.kind == "CONDITION"}
    for node in nodes:
        if node.kind == "CONDITION":
            node.kernel = lambda args: []
        elif node.kind == "CONDITIONAL_OUTPUT":
            if node.group not in conditions:
                node.kernel = _unsupported_kernel(
                    UnsupportedLayerError(f"{node.describe()}: its conditional has no condition")
                )
                continue
            node.inputs = (*node.inputs[:2], conditions[node.group])
            node.kernel = _select_branch


def _read_boundary(node: Node, layer: object, keep: list, group_names: dict[int, str]) -> None:
    kind = node.kind
    interface = LOOP_BOUNDARY.get(kind) or CONDITIONAL_BOUNDARY[kind]
    with cast(layer, interface) as view:
        group = view.loop if kind in LOOP_BOUNDARY else view.conditional
        keep.append(group)
        node.group = id(group)
        group_names[id(group)] = str(group.name)
        if kind == "TRIP_LIMIT":
            node.attrs["kind"] = view.kind.name
        elif kind == "ITERATOR":
            node.attrs.update(axis=int(view.axis), reverse=bool(view.reverse))
        elif kind == "LOOP_OUTPUT":
            node.attrs.update(kind=view.kind.name, axis=int(view.axis))


def _rank(tensors: dict[int, TensorInfo], key: int | None) -> int | None:
    shape = None if key is None else tensors[key].shape
    return None if shape is None else len(shape)

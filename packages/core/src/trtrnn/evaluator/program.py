"""The evaluation walk: outer nodes run on demand from the marked outputs, inputs validated first.

`get_layer` order is not topological, so nothing is run in index order: an explicit stack asks each
node's producers first (no recursion, so deep networks cannot hit Python's recursion limit). A
conditional output asks for its condition, then only for the branch it takes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from trtrnn.errors import ShapeError, UnsupportedLayerError
from trtrnn.evaluator.graph import Graph, Node
from trtrnn.evaluator.loops import Loop, check_output, group_loops
from trtrnn.network import ValueRange


class Program:
    """A network read once: outer nodes (loops collapsed to one node each) and their producers."""

    def __init__(self, graph: Graph, ranges: Mapping[str, ValueRange] | None = None) -> None:
        self.graph = graph
        #: value contracts by tensor name (trtrnn.network.declare_range), checked when fed or computed
        self.ranges = dict(ranges or {})
        self.loops, owned = group_loops(graph)
        self.nodes: list[Node] = [n for n in graph.nodes if n.index not in owned]
        self.nodes += [loop.node for loop in self.loops]
        self.producer: dict[int, Node] = {k: n for n in self.nodes for k in n.outputs}
        self.inside: dict[int, Loop] = {
            k: inner
            for loop in self.loops
            for inner in loop.walk()
            for n in inner.layers()
            if n.kind != "LOOP_OUTPUT"
            for k in n.outputs
        }
        self.assertions = [n for n in self.nodes if n.kind == "ASSERTION"]

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Every marked output by name (fresh arrays), from input arrays keyed by input name."""
        env = self._feed(inputs)
        roots = [self._producer(k) for k in dict.fromkeys(self.graph.outputs) if k not in env]
        with np.errstate(all="ignore"):
            # TensorRT runs assertions whether or not an output needs them
            self._demand(roots + self.assertions, env)
        return {self.graph.tensor_name(k): np.array(env[k], copy=True) for k in self.graph.outputs}

    def _feed(self, inputs: dict[str, np.ndarray]) -> dict[int, np.ndarray]:
        names = {self.graph.tensor_name(k): k for k in self.graph.inputs}
        unknown = sorted(set(inputs) - set(names))
        if unknown:
            raise ShapeError(
                f"inputs: {unknown} are not inputs of this network; expected names from {sorted(names)}"
            )
        env: dict[int, np.ndarray] = {}
        for name, key in names.items():
            info = self.graph.tensors[key]
            if name not in inputs:
                raise ShapeError(f"input {name!r}: missing; the network declares it with shape {info.shape}")
            value = np.asarray(inputs[name])
            if info.dtype is not None and value.dtype != info.dtype:
                raise ShapeError(f"input {name!r}: dtype {value.dtype}; expected {info.dtype}")
            if info.shape is not None and (
                len(value.shape) != len(info.shape)
                or any(d >= 0 and d != g for d, g in zip(info.shape, value.shape))
            ):
                raise ShapeError(
                    f"input {name!r}: shape {value.shape}; expected {info.shape} (-1 = any length)"
                )
            self._check_range(key, value)
            env[key] = value
        return env

    def _check_range(self, key: int, value: np.ndarray) -> None:
        name = self.graph.tensor_name(key)
        contract = self.ranges.get(name)
        if contract is not None:
            contract.check(value, name)

    def _deps(self, node: Node, env: dict) -> list[int]:
        if node.kind == "CONDITIONAL_OUTPUT" and len(node.inputs) == 3:
            cond = node.inputs[2]
            if cond not in env:
                return [cond]
            return [cond, node.inputs[0] if bool(np.asarray(env[cond]).reshape(())) else node.inputs[1]]
        return [k for k in node.inputs if k is not None]

    def _demand(self, roots: list[Node], env: dict) -> None:
        """Run `roots` and, first, every node they need that has not run (an explicit stack, no recursion)."""
        done: set[int] = set()
        stack = list(reversed(roots))
        state: dict[int, int] = {}
        while stack:
            node = stack[-1]
            if id(node) in done:
                stack.pop()
                continue
            missing = [k for k in self._deps(node, env) if k not in env]
            if missing:
                # a node asks once for its inputs; a conditional output twice (condition, then branch)
                expansions = state[id(node)] = state.get(id(node), 0) + 1
                if expansions > (2 if node.kind == "CONDITIONAL_OUTPUT" else 1):
                    raise UnsupportedLayerError(
                        f"{node.describe()}: the network has a cycle outside any loop"
                    )
                stack.extend(self._producer(k) for k in missing)
                continue
            self._execute(node, env)
            done.add(id(node))
            stack.pop()

    def _producer(self, key: int) -> Node:
        node = self.producer.get(key)
        if node is not None:
            return node
        name = self.graph.tensor_name(key)
        loop = self.inside.get(key)
        if loop is not None:
            raise UnsupportedLayerError(
                f"tensor {name!r} is defined inside loop {loop.name!r} but used outside it"
            )
        raise UnsupportedLayerError(f"tensor {name!r} has no producing layer and is not a network input")

    def _execute(self, node: Node, env: dict) -> None:
        outs = node.kernel([env.get(k) for k in node.inputs])  # an untaken branch reads as None
        if len(outs) != len(node.outputs):
            raise UnsupportedLayerError(
                f"{node.describe()}: computed {len(outs)} outputs, expected {len(node.outputs)}"
            )
        for k, v in zip(node.outputs, outs):
            check_output(self.graph, node, k, v)
            self._check_range(k, v)
            env[k] = v

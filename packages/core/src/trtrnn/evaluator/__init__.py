"""CPU evaluator of TensorRT networks: `evaluate(network, inputs) -> {output name: array}`.

No GPU here can execute an engine, so backends are checked by running the *network definition*
with numpy, layer by layer, following TensorRT's documented semantics (NvInfer.h): one kernel per
LayerType (kernels.py), loops run as a sub-walk of their body (loops.py), tensors evaluated on
demand from the marked outputs (get_layer order is not topological). A layer or mode without a
faithful kernel raises UnsupportedLayerError naming it; a computed tensor whose shape or dtype
differs from what TensorRT declares raises too, so no result is returned that was not computed.

Precision: every tensor keeps TensorRT's declared dtype, so FLOAT layers compute in float32 like
TensorRT's fp32 kernels (numpy's float32 matmul, pairwise float32 sums); nothing is promoted to
float64, which would hide rounding the real engine has. Floating-point exceptions (overflow in
exp, division by zero) follow IEEE silently, as on the GPU.
"""

from __future__ import annotations

import numpy as np

from trtrnn.errors import ShapeError, UnsupportedLayerError
from trtrnn.evaluator.graph import Graph, Node, read_network
from trtrnn.evaluator.loops import Loop, check_output, group_loops

__all__ = ["Program", "compile_network", "evaluate"]


class Program:
    """A network read once: outer nodes (loops collapsed to one node each) and their producers."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
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
            env[key] = value
        return env

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
                if state.get(id(node)) == 1 and not self._progress(node, env):
                    raise UnsupportedLayerError(
                        f"{node.describe()}: the network has a cycle outside any loop"
                    )
                state[id(node)] = 1
                stack.extend(self._producer(k) for k in missing)
                continue
            self._execute(node, env)
            done.add(id(node))
            stack.pop()

    def _progress(self, node: Node, env: dict) -> bool:
        return node.kind == "CONDITIONAL_OUTPUT"  # it asks first for its condition, then a branch

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
            env[k] = v


def compile_network(network: object) -> Program:
    """Read `network` once (attributes, loop bodies) into a Program you can run many times."""
    return Program(read_network(network))


def evaluate(network: object, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every marked output of `network`, computed on CPU from `inputs` (arrays keyed by input name).

    ShapeError when an input is missing, unknown, or has the wrong dtype/shape for its declaration;
    UnsupportedLayerError naming the layer when a needed layer or mode has no faithful kernel.
    """
    return compile_network(network).run(inputs)

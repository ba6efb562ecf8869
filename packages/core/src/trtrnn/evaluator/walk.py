"""The one walk of a graph, used for the outer network and for every loop body alike.

A scope (the outer network, or one loop body for one iteration) is run on demand from the tensors it
must produce: each node after the nodes it needs, by an explicit stack (no recursion, so deep
networks cannot hit Python's recursion limit). A conditional output asks for its condition, then
only for the branch it takes: TensorRT executes the true subgraph when the condition is true and the
false one otherwise (IIfConditional, NvInfer.h), so a layer of the untaken branch never runs, at top
level or inside a loop. Assertions run whether or not an output needs them, as in TensorRT. A scope
without conditionals runs the same nodes every time: the order of its first walk is kept and
replayed (a loop body runs once per iteration).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from trtrnn.errors import UnsupportedLayerError
from trtrnn.evaluator.graph import Graph, Node

#: Tensors by key while a scope runs.
Env = dict[int, np.ndarray]
#: Every computed value by tensor key, in the order computed (`evaluate(..., intermediate=True)`).
Trace = dict[int, list[np.ndarray]]


class Scope:
    """Nodes that run together: the outer network (loops as one node each) or one loop body."""

    def __init__(
        self,
        graph: Graph,
        nodes: Sequence[Node],
        unknown: Callable[[int], Exception],
        check: Callable[[Graph, Node, int, np.ndarray], None] | None = None,
    ) -> None:
        self.graph = graph
        #: what every computed value must satisfy (TensorRT's declared shape and dtype, by default)
        self.check = check or check_output
        self.producer: dict[int, Node] = {k: n for n in nodes for k in n.outputs}
        self.assertions = [n for n in nodes if n.kind == "ASSERTION"]
        self.unknown = unknown  # the error for a tensor no node of this scope produces
        self._static = not any(n.kind == "CONDITIONAL_OUTPUT" for n in nodes)
        self._plans: dict[tuple[int, ...], list[Node]] = {}

    def run(
        self,
        wanted: Sequence[int],
        env: Env,
        *,
        assertions: bool = True,
        check: bool = True,
        trace: Trace | None = None,
    ) -> None:
        """Compute the tensors `wanted` (and the scope's assertions) into `env`, with what they need.

        `check` compares each computed value with TensorRT's declared shape and dtype; `trace`, when
        given, receives every value computed.
        """
        key = tuple(wanted) + ((-1,) if assertions else ())
        plan = self._plans.get(key)
        if plan is not None:
            for node in plan:
                self._execute(node, env, check, trace)
            return
        roots = [self._producer(k) for k in dict.fromkeys(wanted) if k not in env]
        ran = self._demand(roots + (self.assertions if assertions else []), env, check, trace)
        if self._static:
            self._plans[key] = ran

    def _execute(self, node: Node, env: Env, check: bool, trace: Trace | None) -> None:
        """Run one node on the values in `env` (an untaken branch reads as None); store its outputs."""
        args = [env.get(k) for k in node.inputs]
        loop = node.attrs.get("loop")
        outs = loop.run(args, trace) if loop is not None else node.kernel(args)  # type: ignore[misc]
        if len(outs) != len(node.outputs):
            raise UnsupportedLayerError(
                f"{node.describe()}: computed {len(outs)} outputs, expected {len(node.outputs)}"
            )
        for k, v in zip(node.outputs, outs):
            if check:
                self.check(self.graph, node, k, v)
            env[k] = v
            if trace is not None:
                trace.setdefault(k, []).append(v)

    def _producer(self, key: int) -> Node:
        node = self.producer.get(key)
        if node is None:
            raise self.unknown(key)
        return node

    def _deps(self, node: Node, env: Env) -> list[int]:
        if node.kind == "CONDITIONAL_OUTPUT" and len(node.inputs) == 3:
            cond = node.inputs[2]
            if cond not in env:
                return [cond]
            return [cond, node.inputs[0] if bool(np.asarray(env[cond]).reshape(())) else node.inputs[1]]
        return [k for k in node.inputs if k is not None]

    def _demand(self, roots: list[Node], env: Env, check: bool, trace: Trace | None) -> list[Node]:
        """Run `roots` and, first, every node they need that has not run; the nodes run, in order."""
        done: set[int] = set()
        ran: list[Node] = []
        stack = list(reversed(roots))
        expansions: dict[int, int] = {}
        while stack:
            node = stack[-1]
            if id(node) in done:
                stack.pop()
                continue
            missing = [k for k in self._deps(node, env) if k not in env]
            if missing:
                # a node asks once for its inputs; a conditional output twice (condition, then branch)
                count = expansions[id(node)] = expansions.get(id(node), 0) + 1
                if count > (2 if node.kind == "CONDITIONAL_OUTPUT" else 1):
                    raise UnsupportedLayerError(
                        f"{node.describe()}: the network has a cycle outside any loop"
                    )
                stack.extend(self._producer(k) for k in missing)
                continue
            self._execute(node, env, check, trace)
            ran.append(node)
            done.add(id(node))
            stack.pop()
        return ran


def check_output(graph: Graph, node: Node, key: int, value: np.ndarray) -> None:
    """The computed value must have TensorRT's declared shape (where static) and dtype."""
    info = graph.tensors[key]
    got = value.shape
    if (
        info.shape is not None
        and got != info.shape
        and (len(got) != len(info.shape) or any(e >= 0 and e != g for e, g in zip(info.shape, got)))
    ):
        raise UnsupportedLayerError(
            f"{node.describe()}: the evaluator computed shape {got} for {info.name!r} but TensorRT "
            f"declares {info.shape}; this case is not implemented faithfully"
        )
    if info.dtype is not None and value.dtype != info.dtype:
        raise UnsupportedLayerError(
            f"{node.describe()}: the evaluator computed dtype {value.dtype} for {info.name!r} but TensorRT "
            f"declares {info.dtype}; this case is not implemented faithfully"
        )

"""ILoop as one node of the outer graph, its body walked once per iteration (walk.py, as any graph).

Membership follows dataflow (interior layers carry no loop attribute): the body is every layer
reachable from the loop's iterator and recurrence outputs, stopping at its own loop outputs,
recurrence next-values and trip limit. Layers that depend only on outside tensors are loop
invariant and are computed once, outside, which gives the same values.

Iteration semantics (NvInfer.h, SEMANTICS.md §7): a COUNT trip limit runs `count` times; a WHILE
limit is evaluated at the start of each iteration from the recurrences; an iterator yields slice i
along its axis (reverse: count-1-i, count from the COUNT limit); recurrence outputs hold input 0
first and input 1 of the previous iteration after; LAST_VALUE gives a recurrence's value after the
last iteration; CONCATENATE / REVERSE stack each iteration's value on a new `axis`, forward or
reversed, and their length input must equal the number of iterations.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from trtrnn.errors import ShapeError, UnsupportedLayerError
from trtrnn.evaluator.graph import Graph, Node
from trtrnn.evaluator.walk import Env, Scope, Trace


@dataclass(eq=False)
class Loop:
    """One ILoop: boundary nodes, body plan, and the outside tensors it reads."""

    name: str
    graph: Graph
    trip_count: Node | None = None
    trip_while: Node | None = None
    iterators: list[Node] = field(default_factory=list)
    recurrences: list[Node] = field(default_factory=list)
    outputs: list[Node] = field(default_factory=list)
    body: list[Node] = field(default_factory=list)  # every interior layer, topological
    scope: Scope | None = None  # the body as a scope of the walk
    wanted: tuple[int, ...] = ()  # what every iteration must compute: next values, loop outputs' data
    external: tuple[int, ...] = ()
    parent: Loop | None = None  # the loop this one is nested in
    node: Node | None = None  # this loop as one node of its parent's body or the outer graph

    def as_node(self) -> Node:
        """The loop as one outer node: reads `external`, produces the loop outputs."""
        node = Node(
            index=min(n.index for n in self.boundaries()),
            kind="LOOP",
            name=self.name,
            inputs=self.external,
            outputs=tuple(o.outputs[0] for o in self.outputs),
        )
        node.kernel = self.run
        node.attrs["loop"] = self
        return node

    def walk(self) -> list[Loop]:
        """This loop and every loop nested in it, parents first."""
        found = [self]
        for node in self.body:
            if node.kind == "LOOP":
                found += node.attrs["loop"].walk()
        return found

    def layers(self) -> list[Node]:
        """This loop's own layers: boundaries and body, nested loops excluded."""
        return self.boundaries() + [n for n in self.body if n.kind != "LOOP"]

    def boundaries(self) -> list[Node]:
        limits = [n for n in (self.trip_count, self.trip_while) if n is not None]
        return limits + self.iterators + self.recurrences + self.outputs

    def unknown(self, key: int) -> Exception:
        """The error for a tensor an iteration needs that is neither computed in the body nor given."""
        return UnsupportedLayerError(
            f"loop {self.name!r}: tensor {self.graph.tensor_name(key)!r} is needed in an iteration but is "
            "neither computed in the loop body nor available from outside it at that point"
        )

    def run(self, args: list, trace: Trace | None = None) -> list:
        """The loop outputs from the values of `external`; `trace` receives every body value."""
        outer: Env = dict(zip(self.external, args))
        count = None
        if self.trip_count is not None:
            count = int(np.asarray(outer[self.trip_count.inputs[0]]).reshape(()))
        if count is None and any(it.attrs["reverse"] for it in self.iterators):
            raise UnsupportedLayerError(
                f"loop {self.name!r}: a reverse iterator reads M-1-I with M the COUNT trip limit; "
                "this loop has none"
            )
        assert self.scope is not None
        sources = []
        for it in self.iterators:
            src = np.moveaxis(outer[it.inputs[0]], it.attrs["axis"], 0)
            sources.append((it.outputs[0], src, it.attrs["reverse"]))
        state = {r.outputs[0]: outer[r.inputs[0]] for r in self.recurrences}
        nexts = [(r.outputs[0], r.inputs[1] if len(r.inputs) > 1 else None) for r in self.recurrences]
        stacked: dict[int, list] = {o.outputs[0]: [] for o in self.outputs if o.attrs["kind"] != "LAST_VALUE"}
        stack_inputs = [(o.outputs[0], o.inputs[0]) for o in self.outputs if o.outputs[0] in stacked]
        final = dict(outer)  # what the loop outputs read after the last iteration
        check = True
        i = 0
        while count is None or i < count:
            env = {**outer, **state}  # each iteration computes its body afresh
            if self.trip_while is not None:
                self.scope.run([self.trip_while.inputs[0]], env, assertions=False, check=check, trace=trace)
                if not bool(np.asarray(env[self.trip_while.inputs[0]]).reshape(())):
                    final.update(env)
                    break
            for out, src, reverse in sources:
                j = count - 1 - i if reverse else i
                if not 0 <= j < src.shape[0]:
                    raise ShapeError(
                        f"loop {self.name!r}: iteration {i} reads index {j} of an iterator over "
                        f"{src.shape[0]} items"
                    )
                env[out] = src[j]
                if trace is not None:
                    trace.setdefault(out, []).append(src[j])
            self.scope.run(self.wanted, env, check=check, trace=trace)
            check = False  # shapes cannot change between iterations
            for out, src_key in stack_inputs:
                stacked[out].append(env[src_key])
            state = {out: (env[nxt] if nxt is not None else env[out]) for out, nxt in nexts}
            final.update(env)
            i += 1
        env = final
        env.update(state)
        results = []
        for o in self.outputs:
            kind = o.attrs["kind"]
            if kind == "LAST_VALUE":
                if o.inputs[0] not in env:
                    raise UnsupportedLayerError(
                        f"LOOP_OUTPUT layer {o.name!r}: LAST_VALUE of a loop that ran no iteration is "
                        "undefined unless it reads a recurrence"
                    )
                results.append(env[o.inputs[0]])
                continue
            length = int(np.asarray(env[o.inputs[1]]).reshape(()))
            values = stacked[o.outputs[0]]
            if length != len(values):
                raise UnsupportedLayerError(
                    f"LOOP_OUTPUT layer {o.name!r}: {kind} length input is {length} but the loop ran "
                    f"{len(values)} iterations; TensorRT leaves the difference undefined"
                )
            if kind == "REVERSE":
                values = values[::-1]
            info = self.graph.tensors[o.outputs[0]]
            if not values:
                shape = list(info.shape)
                shape[o.attrs["axis"]] = 0
                results.append(np.zeros([max(d, 0) for d in shape], info.dtype))
            else:
                results.append(np.stack(values, axis=o.attrs["axis"]))
        return results


BOUNDARY_KINDS = ("TRIP_LIMIT", "ITERATOR", "RECURRENCE", "LOOP_OUTPUT")


def group_loops(graph: Graph) -> tuple[list[Loop], set[int]]:
    """The outermost ILoops of the graph, each with its body (nested loops appear in their parent's
    body as one LOOP node, `Loop.parent` set); also the indices of every node some loop owns."""
    loops: dict[int, Loop] = {}
    for node in graph.nodes:
        if node.kind not in BOUNDARY_KINDS:
            continue
        loop = loops.setdefault(node.group, Loop(graph.group_names[node.group], graph))
        if node.kind == "TRIP_LIMIT":
            if node.attrs["kind"] == "COUNT":
                loop.trip_count = node
            else:
                loop.trip_while = node
        elif node.kind == "ITERATOR":
            loop.iterators.append(node)
        elif node.kind == "RECURRENCE":
            loop.recurrences.append(node)
        else:
            loop.outputs.append(node)
    consumers: dict[int, list[Node]] = defaultdict(list)
    for node in graph.nodes:
        for k in node.inputs:
            if k is not None:
                consumers[k].append(node)
    reach = {g: _reach(loop, g, consumers) for g, loop in loops.items()}
    # loop h is nested in g when g's dataflow reaches one of h's boundary layers
    nested = {
        g: [h for h in loops if h != g and any(n.index in reach[g] for n in loops[h].boundaries())]
        for g in loops
    }
    owned: set[int] = set()
    for g in sorted(loops, key=lambda g: len(nested[g])):  # innermost first
        loop = loops[g]
        if loop.trip_count is None and loop.trip_while is None:
            raise UnsupportedLayerError(f"loop {loop.name!r} has no trip limit")
        hidden: set[int] = set()
        for h in nested[g]:
            if g in nested[h]:
                raise UnsupportedLayerError(f"loops {loop.name!r} and {loops[h].name!r} feed each other")
            hidden.update(n.index for n in loops[h].boundaries())
            hidden.update(reach[h])
        direct = [loops[h] for h in nested[g] if not any(h in nested[k] for k in nested[g])]
        for inner in direct:
            inner.parent = loop
        body = [n for i, n in reach[g].items() if i not in hidden] + [inner.node for inner in direct]
        _set_body(loop, body)
        loop.node = loop.as_node()
        owned.update(reach[g])
        owned.update(n.index for n in loop.boundaries())
    return [loop for loop in loops.values() if loop.parent is None], owned


def _reach(loop: Loop, group: int, consumers: dict[int, list[Node]]) -> dict[int, Node]:
    """Every layer reachable from the loop's iterators and recurrences, stopping at its own boundary
    layers (loop outputs, recurrence next values, WHILE limit); nested loops' layers included."""
    body: dict[int, Node] = {}
    frontier = [n.outputs[0] for n in loop.iterators + loop.recurrences]
    while frontier:
        key = frontier.pop()
        for node in consumers.get(key, ()):
            if node.group == group or node.index in body:
                continue
            body[node.index] = node
            frontier.extend(node.outputs)
    return body


def _set_body(loop: Loop, nodes: list[Node]) -> None:
    produced = {k for n in nodes for k in n.outputs}
    produced.update(n.outputs[0] for n in loop.iterators + loop.recurrences)
    loop.body = _topological(nodes)
    loop.scope = Scope(loop.graph, loop.body, loop.unknown)
    wanted = [r.inputs[1] for r in loop.recurrences if len(r.inputs) > 1]
    for o in loop.outputs:
        wanted.append(o.inputs[0])
        if o.attrs["kind"] != "LAST_VALUE" and len(o.inputs) > 1 and o.inputs[1] in produced:
            wanted.append(o.inputs[1])  # a length computed in the body
    loop.wanted = tuple(dict.fromkeys(k for k in wanted if k is not None))
    external: dict[int, None] = {}
    for node in loop.body + loop.boundaries():
        for k in node.inputs:
            if k is not None and k not in produced:
                external[k] = None
    loop.external = tuple(external)


def _topological(nodes: list[Node]) -> list[Node]:
    producer = {k: n for n in nodes for k in n.outputs}
    order: list[Node] = []
    state: dict[int, int] = {}
    for root in sorted(nodes, key=lambda n: n.index):
        stack = [root]
        while stack:
            node = stack[-1]
            if state.get(node.index) == 2:
                stack.pop()
                continue
            state[node.index] = 1
            pending = [
                producer[k] for k in node.inputs if k in producer and state.get(producer[k].index) != 2
            ]
            if pending:
                for dep in pending:
                    if state.get(dep.index) == 1:
                        raise UnsupportedLayerError(f"{dep.describe()}: the loop body has a cycle")
                    stack.append(dep)
                continue
            state[node.index] = 2
            order.append(node)
            stack.pop()
    return order

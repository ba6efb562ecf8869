"""A network read once, run many times: inputs checked, then the outer scope walked (walk.py) from
the marked outputs; loops are one node each of that scope, their bodies walked the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from trtrnn.errors import UnsupportedLayerError
from trtrnn.evaluator.graph import Graph, Node
from trtrnn.evaluator.loops import Loop, group_loops
from trtrnn.evaluator.walk import Env, Scope, Trace, check_output
from trtrnn.network import ValueRange
from trtrnn.tensors import check_feeds


class Program:
    """A network read once: outer nodes (loops collapsed to one node each) and their producers."""

    def __init__(self, graph: Graph, ranges: Mapping[str, ValueRange] | None = None) -> None:
        self.graph = graph
        #: value contracts by tensor name (trtrnn.network.declare_range), checked when fed or computed
        self.ranges = dict(ranges or {})
        self.loops, owned = group_loops(graph)
        self.nodes: list[Node] = [n for n in graph.nodes if n.index not in owned]
        self.nodes += [loop.node for loop in self.loops]
        self.inside: dict[int, Loop] = {
            k: inner
            for loop in self.loops
            for inner in loop.walk()
            for n in inner.layers()
            if n.kind != "LOOP_OUTPUT"
            for k in n.outputs
        }
        self.scope = Scope(graph, self.nodes, self._unknown, self._check if self.ranges else None)

    def run(self, inputs: dict[str, np.ndarray], *, intermediate: bool = False) -> dict[str, np.ndarray]:
        """Every marked output by name (fresh arrays), from input arrays keyed by input name.

        `intermediate=True` returns every named tensor the evaluation computed instead, inputs first,
        then in the order computed (outputs included): outer tensors as they are, a loop body's
        tensors stacked over the iterations that computed them on a new leading axis (omitted where
        their shapes differ).
        """
        env = self._feed(inputs)
        trace: Trace | None = {} if intermediate else None
        with np.errstate(all="ignore"):
            self.scope.run(list(self.graph.outputs), env, trace=trace)
        if trace is None:
            return {self.graph.tensor_name(k): np.array(env[k], copy=True) for k in self.graph.outputs}
        return self._intermediate(env, trace)

    def _intermediate(self, env: Env, trace: Trace) -> dict[str, np.ndarray]:
        """Inputs, then every computed tensor in the order first computed (outer ones as they are,
        loop bodies' stacked over their iterations)."""
        found = {self.graph.tensor_name(k): np.array(env[k], copy=True) for k in self.graph.inputs}
        for key, values in trace.items():
            if key in env:  # an outer tensor: its one value
                found[self.graph.tensor_name(key)] = np.array(env[key], copy=True)
            elif len({v.shape for v in values}) == 1:
                found[self.graph.tensor_name(key)] = np.stack(values)
        return found

    def _unknown(self, key: int) -> Exception:
        name = self.graph.tensor_name(key)
        loop = self.inside.get(key)
        if loop is not None:
            return UnsupportedLayerError(
                f"tensor {name!r} is defined inside loop {loop.name!r} but used outside it"
            )
        return UnsupportedLayerError(f"tensor {name!r} has no producing layer and is not a network input")

    def _feed(self, inputs: dict[str, np.ndarray]) -> Env:
        """The environment of a run: the checked inputs (trtrnn.tensors.check_feeds) by tensor key."""
        check_feeds((self.graph.tensors[k] for k in self.graph.inputs), inputs, "network")
        env = {k: inputs[self.graph.tensor_name(k)] for k in self.graph.inputs}
        for key, value in env.items():
            self._check_range(key, value)
        return env

    def _check(self, graph: Graph, node: Node, key: int, value: np.ndarray) -> None:
        """A computed value: TensorRT's declared shape and dtype, then any declared value range."""
        check_output(graph, node, key, value)
        self._check_range(key, value)

    def _check_range(self, key: int, value: np.ndarray) -> None:
        name = self.graph.tensor_name(key)
        contract = self.ranges.get(name)
        if contract is not None:
            contract.check(value, name)

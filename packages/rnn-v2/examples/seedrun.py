"""How the examples execute, replacing the seed's engine/cudart boilerplate (and its leaks).

`run(builder, network, *inputs)` feeds the network inputs in declaration order (each reshaped to its
input's shape, as the seed copied flat host buffers) and returns the marked outputs in order. On a GPU
the installed TensorRT supports it builds and runs an engine (`trtrnn.engine.Engine`); elsewhere it
runs the CPU evaluator (`trtrnn.evaluate`). `TRTRNN_EXECUTION=cpu` forces the evaluator.
"""

from __future__ import annotations

import os

import numpy as np

import trtrnn
from trtrnn import trt


def run(builder: object, network: object, *inputs: np.ndarray) -> tuple[np.ndarray, ...]:
    names = [network.get_input(i).name for i in range(network.num_inputs)]
    if len(inputs) != len(names):
        raise ValueError(f"run: the network has inputs {names}; got {len(inputs)} arrays")
    feeds = {
        name: np.ascontiguousarray(array).reshape(tuple(network.get_input(i).shape))
        for i, (name, array) in enumerate(zip(names, inputs))
    }
    if os.environ.get("TRTRNN_EXECUTION") != "cpu" and trt.engine_execution():
        from trtrnn.engine import Engine

        with Engine.build(network, builder) as engine:
            results = engine.infer(feeds)
    else:
        results = trtrnn.evaluate(network, feeds)
    return tuple(results[network.get_output(i).name] for i in range(network.num_outputs))

"""CPU evaluator of TensorRT networks: `evaluate(network, inputs) -> {output name: array}`.

No GPU here can execute an engine, so backends are checked by running the *network definition*
with numpy, layer by layer, following TensorRT's documented semantics (NvInfer.h): one kernel per
LayerType (kernels.py), one walk for every graph (walk.py): the network's tensors evaluated on demand
from the marked outputs (program.py; get_layer order is not topological), each loop body the same
way once per iteration (loops.py), and only the taken branch of a conditional. A layer or mode without a
faithful kernel raises UnsupportedLayerError naming it; a computed tensor whose shape or dtype
differs from what TensorRT declares raises too, so no result is returned that was not computed.

Precision: every tensor keeps TensorRT's declared dtype, so FLOAT layers compute in float32 like
TensorRT's fp32 kernels (numpy's float32 matmul, pairwise float32 sums); nothing is promoted to
float64, which would hide rounding the real engine has. HALF (float16) layers that compute compute
in float32 and round once to float16 on output, as TensorRT's fp16 kernels do (fp32 accumulation in
GEMMs, half->float->half pointwise); that is the most rounding a strongly typed network allows an
engine (kernels.widened says why). Floating-point exceptions (overflow in exp, division by zero)
follow IEEE silently, as on the GPU.
"""

from __future__ import annotations

import numpy as np

from trtrnn.evaluator.graph import read_network
from trtrnn.evaluator.program import Program

__all__ = ["Program", "compile_network", "evaluate"]


def compile_network(network: object) -> Program:
    """Read `network` once (attributes, loop bodies) into a Program you can run many times."""
    return Program(read_network(network))


def evaluate(
    network: object, inputs: dict[str, np.ndarray], *, intermediate: bool = False
) -> dict[str, np.ndarray]:
    """Every marked output of `network`, computed on CPU from `inputs` (arrays keyed by input name).

    `intermediate=True` returns every named tensor the evaluation computed instead, the view for
    debugging a mismatch (`Program.run` says how loop bodies' tensors are given).

    ShapeError when an input is missing, unknown, or has the wrong dtype/shape for its declaration;
    UnsupportedLayerError naming the layer when a needed layer or mode has no faithful kernel.
    """
    return compile_network(network).run(inputs, intermediate=intermediate)

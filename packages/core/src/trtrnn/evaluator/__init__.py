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
engine (kernels.widened says why). `tf32=True` models an engine built with BuilderFlag.TF32: FLOAT
matrix multiplies round their operands to TF32 as tensor cores do, multiply exactly and sum in
float32 (trtrnn.tf32); everything else stays float32. Floating-point exceptions (overflow in exp,
division by zero) follow IEEE silently, as on the GPU.
"""

from __future__ import annotations

import numpy as np

from trtrnn.evaluator.graph import read_network
from trtrnn.evaluator.program import Program

__all__ = ["Program", "compile_network", "evaluate"]


def compile_network(network: object, *, tf32: bool = False) -> Program:
    """Read `network` once (attributes, loop bodies) into a Program you can run many times; `tf32`
    rounds float32 matrix-multiply operands to TF32 (see `evaluate`)."""
    from trtrnn.network import declared_ranges

    return Program(read_network(network, tf32=tf32), declared_ranges(network))


def evaluate(
    network: object, inputs: dict[str, np.ndarray], *, tf32: bool = False, intermediate: bool = False
) -> dict[str, np.ndarray]:
    """Every marked output of `network`, computed on CPU from `inputs` (arrays keyed by input name).

    `tf32=True` computes what an engine built with BuilderFlag.TF32 computes on an Ampere or newer
    GPU: float32 matrix-multiply operands rounded to TF32, float32 accumulation (trtrnn.tf32).
    `intermediate=True` returns every named tensor the evaluation computed instead, the view for
    debugging a mismatch (`Program.run` says how loop bodies' tensors are given).

    ShapeError when an input is missing, unknown, or has the wrong dtype/shape for its declaration;
    UnsupportedLayerError naming the layer when a needed layer or mode has no faithful kernel.
    """
    return compile_network(network, tf32=tf32).run(inputs, intermediate=intermediate)

"""Random problems over the ONNX / PyTorch extensions (docs/semantics.md §2.1-2.4).

One generator that the reference's onnxruntime tests, the importer round trips and the conformance
families share, so "the extended space" means the same thing everywhere.
"""

from __future__ import annotations

import numpy as np

from trtrnn.activations import ONNX_ACTIVATIONS, Activation, default_activations
from trtrnn.enums import RNNOperation
from trtrnn.spec import RNNSpec


def random_activation(rng: np.random.Generator) -> Activation:
    """One of ONNX's eleven functions with random parameters (alpha in [0.1, 1.5], beta in [-0.5, 0.5])."""
    name = sorted(ONNX_ACTIVATIONS)[rng.integers(len(ONNX_ACTIVATIONS))]
    info = ONNX_ACTIVATIONS[name]
    alpha = float(rng.uniform(0.1, 1.5)) if info.takes_alpha else None
    beta = float(rng.uniform(-0.5, 0.5)) if info.takes_beta else None
    return Activation.of((name, alpha, beta))


def random_activations(rng: np.random.Generator, op: RNNOperation | str, layer_indices: int) -> dict:
    """Random functions for most layer indices (so usually a different set per direction)."""
    count = len(default_activations(RNNOperation[op] if isinstance(op, str) else op))
    return {
        i: tuple(random_activation(rng) for _ in range(count))
        for i in range(layer_indices)
        if rng.random() < 0.8
    }


def extended_specs(count: int, seed: int = 12, *, batch_shape: tuple[int, ...] = (4,)) -> list[RNNSpec]:
    """`count` specs cycling through op x direction x depth x length kind, each with random extensions:
    activations (n % 5 != 0), clip (half), GRU lbr 0/1, LSTM peepholes / input_forget, reverse (some
    unidirectional ones), zero lengths (a third). No projection: it has no ONNX form."""
    rng, specs = np.random.default_rng(seed), []
    for n in range(count):
        op = ("RELU", "TANH", "LSTM", "GRU")[n % 4]
        direction = ("UNIDIRECTION", "BIDIRECTION")[(n // 4) % 2]
        layers, k = 1 + (n // 8) % 2, 2 if direction == "BIDIRECTION" else 1
        kw: dict = {"op": op, "direction": direction, "num_layers": layers, "batch_shape": batch_shape}
        kw.update(seq_lengths=("none", "ragged", "zeros")[(n // 16) % 3], states=bool(n % 3))
        if n % 5:
            kw["activations"] = random_activations(rng, op, layers * k)
        if rng.random() < 0.5:
            kw["clip"] = float(rng.uniform(0.3, 2.0))
        if op == "GRU":
            kw["linear_before_reset"] = bool(rng.random() < 0.5)
        if op == "LSTM":
            kw.update(peepholes=bool(rng.random() < 0.6), input_forget=bool(rng.random() < 0.4))
        if k == 1 and rng.random() < 0.4:
            kw["reverse"] = True
        specs.append(RNNSpec.random(seed * 1000 + n, max_seq_length=5, **kw))
    return specs

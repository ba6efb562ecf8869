"""The spec's per-gate weights in the layouts the network and the kernel use (one definition for both).

For stack layer `s` with K directions and G gates (in `spec.gates` order):
- input projection `[In, K*G*H]` and its bias `[K*G*H]` (Wb only): `x . Wcat + bcat` gives every
  gate of every direction for all steps at once, in the column order (direction, gate, unit) that the
  kernel's xproj expects; SKIP (stack layer 0) has no matrix: x is tiled K*G times;
- recurrent weights `[K*G*H, H]` (row = (direction, gate, unit)) and the recurrent bias `[K*G*H]`
  (Rb; the kernel adds it, inside the reset product for GRU's HIDDEN gate).
Arrays come back float64; the caller rounds them to the network's type once.
"""

from __future__ import annotations

import numpy as np

from trtrnn.spec import RNNSpec


def _indices(spec: RNNSpec, stack: int) -> range:
    k = spec.num_directions
    return range(stack * k, stack * k + k)


def input_weights(spec: RNNSpec, stack: int) -> np.ndarray | None:
    """`[In, K*G*H]`, or None where SKIP adds x as is (stack layer 0)."""
    first = _indices(spec, stack)[0]
    if not spec.has_input_weights(first):
        return None
    mats = [spec.weights[(i, g, True)] for i in _indices(spec, stack) for g in spec.gates]
    return np.ascontiguousarray(np.concatenate([np.asarray(m, np.float64) for m in mats], axis=0).T)


def input_bias(spec: RNNSpec, stack: int) -> np.ndarray:
    """`[K*G*H]`: Wb of every direction and gate."""
    parts = [spec.biases[(i, g, True)] for i in _indices(spec, stack) for g in spec.gates]
    return np.concatenate([np.asarray(p, np.float64) for p in parts])


def recurrent_weights(spec: RNNSpec, stack: int) -> np.ndarray:
    """`[K*G*H, H]`: R of every direction and gate, rows stacked."""
    mats = [spec.weights[(i, g, False)] for i in _indices(spec, stack) for g in spec.gates]
    return np.concatenate([np.asarray(m, np.float64) for m in mats], axis=0)


def recurrent_bias(spec: RNNSpec, stack: int) -> np.ndarray:
    """`[K*G*H]`: Rb of every direction and gate."""
    parts = [spec.biases[(i, g, False)] for i in _indices(spec, stack) for g in spec.gates]
    return np.concatenate([np.asarray(p, np.float64) for p in parts])


def project(spec: RNNSpec, stack: int, layer_input: np.ndarray, dtype: type = np.float32) -> np.ndarray:
    """The input projection `[N, T, K*G*H]` of `layer_input` `[N, T, In]`, computed in `dtype` the way
    the network's matmul and bias add do (float16: inputs and weights rounded, fp32 accumulation,
    result rounded to float16), returned as float32 (what the plugin reads)."""
    weights = input_weights(spec, stack)
    bias = input_bias(spec, stack).astype(dtype)
    data = layer_input.astype(dtype)
    if weights is None:
        gates = spec.num_directions * len(spec.gates)
        out = np.tile(data.astype(np.float32), (1, 1, gates)).astype(dtype) + bias
    else:
        acc = data.astype(np.float32) @ weights.astype(dtype).astype(np.float32)
        out = acc.astype(dtype) + bias
    return np.ascontiguousarray(out.astype(dtype).astype(np.float32))

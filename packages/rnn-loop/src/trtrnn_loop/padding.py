"""Hidden sizes below `MIN_HIDDEN` are lowered at `MIN_HIDDEN` with exactly-neutral zero units.

Why: TensorRT's builder (Myelin, which takes the whole loop as one foreign node) does not finish, or
takes minutes and hundreds of MB, on ILoops whose state is a tiny vector: one row (batch 1, any
number of directions) with H = 3..6 hangs (H = 2: 0.8 s, H = 4: 18 s on the bare recurrence
`h' = sigmoid(pre + h.R) * h`; GRU H = 3 over 10 min), while H >= 7 or two rows build in well under a
second at any T (measured on TensorRT-RTX 1.7; `benchmarks/bench_tiny_builds.py`).

Padding is exact for every op: a padded unit has zero W, R and biases and a zero initial state, so
its pre-activation is 0 at every step and its state stays 0 (RELU/TANH: act(0) = 0; LSTM: g = tanh(0)
= 0, c' = c/2 + 0 = 0, h' = o*tanh(0) = 0; GRU: n = tanh(0) = 0, h' = z*h = 0); the real units read
padded ones only through zero columns of R and of the next stack layer's W, so no real value changes.
With an ONNX activation whose f(0) != 0 (docs/semantics.md §2.2: Affine, HardSigmoid, Softplus, ...)
a padded unit's state is no longer 0, but its pre-activation still is (its W and R rows are zero, and
0 times a finite state is 0), so its state stays finite and the real units still read it through
zero columns only: still exact.
"""

from __future__ import annotations

import numpy as np

from trtrnn.enums import RNNInputMode
from trtrnn.spec import RNNSpec

#: The smallest hidden size the lowering builds loops with (7 was the smallest measured fast).
MIN_HIDDEN = 8


def padded_width(spec: RNNSpec, min_hidden: int = MIN_HIDDEN) -> int:
    """The hidden size the loops are built with: `spec.hidden_size`, raised to `min_hidden` where
    `can_pad(spec)`."""
    return max(spec.hidden_size, min_hidden) if can_pad(spec) else spec.hidden_size


def can_pad(spec: RNNSpec) -> bool:
    """Whether `pad_hidden` knows every per-unit array of `spec`: weights, biases, states. A spec with
    peepholes or an LSTM projection (ONNX/PyTorch extensions) is left at its own size."""
    return not getattr(spec, "peepholes", None) and not getattr(spec, "proj_size", 0)


def pad_hidden(spec: RNNSpec, width: int) -> RNNSpec:
    """`spec` with hidden size `width` >= H: real units first, zero units after, per direction.

    Weights, biases and initial states are padded (states only where the spec holds them); SKIP's
    input then needs `width` columns too (the caller pads x with zeros, see `real_columns`).
    """
    hidden = spec.hidden_size
    if width == hidden:
        return spec
    if width < hidden:
        raise ValueError(f"width: must be >= hidden_size={hidden}; got {width}")
    dirs = spec.num_directions

    def matrix(key: tuple, value: np.ndarray) -> np.ndarray:
        layer, _, is_w = key
        value = np.asarray(value)
        if not is_w:  # R: [H, H]
            out = np.zeros((width, width), value.dtype)
            out[:hidden, :hidden] = value
            return out
        if layer // dirs == 0:  # W of stack layer 0: [H, E]
            out = np.zeros((width, value.shape[1]), value.dtype)
            out[:hidden] = value
            return out
        out = np.zeros((width, dirs * width), value.dtype)  # W above: [H, K*H], one block per direction
        for d in range(dirs):
            out[:hidden, d * width : d * width + hidden] = value[:, d * hidden : (d + 1) * hidden]
        return out

    def vector(value: np.ndarray) -> np.ndarray:
        out = np.zeros((width,), np.asarray(value).dtype)
        out[:hidden] = value
        return out

    def state(value: np.ndarray | None) -> np.ndarray | None:
        if value is None:
            return None
        value = np.asarray(value)
        pad = [(0, 0)] * (value.ndim - 1) + [(0, width - hidden)]
        return np.pad(value, pad)

    skip = spec.input_mode == RNNInputMode.SKIP
    return spec.replace(
        hidden_size=width,
        data_length=width if skip else spec.data_length,
        weights={k: matrix(k, v) for k, v in spec.weights.items()},
        biases={k: vector(v) for k, v in spec.biases.items()},
        hidden_state=state(spec.hidden_state),
        cell_state=state(spec.cell_state),
    )


def real_columns(hidden: int, width: int, directions: int) -> list[int]:
    """Where the real units sit in a padded `[..., directions*width]` axis: each direction's first H."""
    return [d * width + j for d in range(directions) for j in range(hidden)]

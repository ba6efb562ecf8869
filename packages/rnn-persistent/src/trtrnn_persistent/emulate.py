"""What the kernel computes, written in numpy from the same packed arrays (no GPU).

Tests run the whole host-side pipeline — packing, projection, the plugin's tensor contract, stacking
and output assembly — through this emulation and compare with `trtrnn.reference`, so a layout bug
is caught on the CPU before any device time is spent. It mirrors the kernel's rules: lengths clamped
to [0, T], steps t >= len give 0, the backward direction starts at len-1, final states are the
states after the last valid step.
"""

from __future__ import annotations

import numpy as np

from trtrnn.enums import RNNOperation


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


def recurrence(
    op: RNNOperation,
    xproj: np.ndarray,
    weights: np.ndarray,
    rbias: np.ndarray,
    directions: int,
    lengths: np.ndarray | None = None,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The plugin layer: (y [N, T, K*H], h_n [N, K, H], c_n [N, K, H]) in float64."""
    n, t_max, _ = xproj.shape
    hidden = weights.shape[1]
    k = directions
    g = weights.shape[0] // (k * hidden)
    r = weights.astype(np.float64).reshape(k, g, hidden, hidden)
    rb = rbias.astype(np.float64).reshape(k, g, hidden)
    xp = xproj.astype(np.float64).reshape(n, t_max, k, g, hidden)
    lens = np.full(n, t_max) if lengths is None else np.clip(lengths, 0, t_max)
    y = np.zeros((n, t_max, k * hidden))
    hn = np.zeros((n, k, hidden)) if h0 is None else h0.astype(np.float64).copy()
    cn = np.zeros((n, k, hidden)) if c0 is None else c0.astype(np.float64).copy()
    for b in range(n):
        for d in range(k):
            h, c = hn[b, d].copy(), cn[b, d].copy()
            steps = range(lens[b]) if d == 0 else range(lens[b] - 1, -1, -1)
            for t in steps:
                pre = [xp[b, t, d, j] + r[d, j] @ h + rb[d, j] for j in range(g)]
                if op == RNNOperation.RELU:
                    h = np.maximum(pre[0], 0.0)
                elif op == RNNOperation.TANH:
                    h = np.tanh(pre[0])
                elif op == RNNOperation.LSTM:
                    i, f, cc, o = _sigmoid(pre[0]), _sigmoid(pre[1]), np.tanh(pre[2]), _sigmoid(pre[3])
                    c = f * c + i * cc
                    h = o * np.tanh(c)
                else:
                    z, rr = _sigmoid(pre[0]), _sigmoid(pre[1])
                    hh = np.tanh(xp[b, t, d, 2] + rr * (r[d, 2] @ h + rb[d, 2]))
                    h = (1 - z) * hh + z * h
                y[b, t, d * hidden : (d + 1) * hidden] = h
            hn[b, d], cn[b, d] = h, c
    return y, hn, cn

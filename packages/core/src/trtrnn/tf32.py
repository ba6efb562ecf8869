"""TF32: how NVIDIA tensor cores read float32 matrix-multiply operands, modelled bit for bit.

With TF32 on (TensorRT's `BuilderFlag.TF32`, cuBLAS's `CUBLAS_COMPUTE_32F_FAST_TF32`, torch's
`allow_tf32`), Ampere and newer GPUs keep 10 of float32's 23 mantissa bits of each operand, multiply
exactly and accumulate in float32. Which 10 bits depends on the conversion the kernel uses: PTX's
`cvt.rna.tf32.f32` (sm_80+) rounds to nearest with ties away from zero, `cvt.rn` (sm_90+) ties to
even, and an operand fed to the tensor core unconverted has its low 13 bits ignored (toward zero).
Measured on an H200 (tools/tf32_probe.py, reports/tf32-gpu.json): cuBLAS rounds to nearest with
ties to even, bit for bit on every operand of 10 identity products (1024.5 x 1 = 1024), so "rne" is
the default. On an RTX 3090 cuBLAS gave 1025 for the same product (pytorch/pytorch#53635: ties away,
"rna"); the two differ only on exact ties, one value in 8192 of random data. This module needs numpy
only, so that probe can load it on a machine without TensorRT.
"""

from __future__ import annotations

import numpy as np

#: TF32's unit roundoff under round-to-nearest (10 stored mantissa bits): the relative error of one
#: operand's rounding. Round-toward-zero doubles it.
UNIT_ROUNDOFF = 2.0**-11

#: Bits of float32's mantissa that TF32 drops.
DROPPED_BITS = 13

#: Conversion modes: nearest with ties away from zero (cvt.rna), nearest with ties to even (cvt.rn),
#: toward zero (the low bits ignored).
MODES = ("rna", "rne", "rz")
DEFAULT_MODE = "rne"

_KEEP = np.uint32(0xFFFFFFFF << DROPPED_BITS & 0xFFFFFFFF)
_HALF = np.uint32(1 << (DROPPED_BITS - 1))
_EXPONENT = np.uint32(0x7F800000)


def round_tf32(values: np.ndarray, mode: str = DEFAULT_MODE) -> np.ndarray:
    """float32 `values` rounded to TF32 (returned as float32 with the low 13 mantissa bits zero).

    Rounding works on the bit pattern, as the hardware's conversion does: a carry out of the
    mantissa raises the exponent (and the largest floats overflow to infinity, as cvt.rna does
    without .satfinite); infinities and NaNs pass unchanged.
    """
    if mode not in MODES:
        raise ValueError(f"TF32 rounding mode: expected one of {MODES}; got {mode!r}")
    x = np.asarray(values)
    if x.dtype != np.float32:
        raise TypeError(f"round_tf32: expected a float32 array; got {x.dtype}")
    bits = np.ascontiguousarray(x).view(np.uint32)
    if mode == "rna":
        rounded = bits + _HALF
    elif mode == "rne":
        rounded = bits + (_HALF - np.uint32(1)) + ((bits >> np.uint32(DROPPED_BITS)) & np.uint32(1))
    else:
        rounded = bits
    special = (bits & _EXPONENT) == _EXPONENT
    out = np.where(special, bits, rounded & _KEEP).astype(np.uint32)
    return out.view(np.float32).reshape(x.shape)


def tf32_matmul(a: np.ndarray, b: np.ndarray, mode: str = DEFAULT_MODE) -> np.ndarray:
    """`a @ b` as a TF32 tensor core computes it: operands rounded to TF32, products exact (11 x 11
    significant bits fit float32's 24), sums in float32."""
    return np.matmul(round_tf32(a, mode), round_tf32(b, mode))

"""TensorRT DataType <-> numpy dtype, in one place."""

from __future__ import annotations

import numpy as np

#: TensorRT DataType name -> numpy dtype; types numpy cannot hold (BF16, FP8, INT4, FP4, E8M0) are absent.
NUMPY = {
    "FLOAT": np.dtype(np.float32),
    "HALF": np.dtype(np.float16),
    "INT8": np.dtype(np.int8),
    "UINT8": np.dtype(np.uint8),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "BOOL": np.dtype(np.bool_),
}


def to_numpy(trt_dtype: object) -> np.dtype | None:
    """The numpy dtype of a TensorRT DataType member, or None when numpy cannot represent it."""
    return NUMPY.get(getattr(trt_dtype, "name", str(trt_dtype)))

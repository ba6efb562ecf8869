"""`from trtrnn_legacy import tensorrt as trt`: TensorRT plus the RNN enums a TensorRT 7 program names.

Attributes fall through to the installed TensorRT (full or RTX, chosen by `trtrnn.trt.load()`);
`RNNOperation`, `RNNInputMode`, `RNNDirection`, `RNNGateType` come from `trtrnn.enums` where that
TensorRT has none. Nothing is patched: `add_rnn` is a method of `ImplicitBatchNetwork`.
"""

from __future__ import annotations

from trtrnn import enums
from trtrnn import trt as _flavor

RNN_ENUMS = ("RNNOperation", "RNNDirection", "RNNInputMode", "RNNGateType")


def __getattr__(name: str) -> object:
    trt_mod = _flavor.load()
    if name in RNN_ENUMS and not hasattr(trt_mod, name):
        return getattr(enums, name)
    return getattr(trt_mod, name)

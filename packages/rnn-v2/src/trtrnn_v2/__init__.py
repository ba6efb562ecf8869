"""trtrnn-v2: TensorRT 7/8's `add_rnn_v2` (IRNNv2Layer) for TensorRT 10+ and TensorRT for RTX.

`add_rnn_v2(network, input, layer_count, hidden_size, max_seq_length, op)` returns a layer with
IRNNv2Layer's attributes and methods. Where the installed TensorRT still has add_rnn_v2 the layer
delegates to it; elsewhere it lowers onto ILoop through the registered lowering backend
(`trtrnn.registry.lowering()`: rnn-loop's public `add_rnn` by default). To keep the
`network.add_rnn_v2(...)` call syntax, use `from trtrnn_v2 import tensorrt as trt` (see that module).
"""

from __future__ import annotations

from trtrnn.enums import RNNDirection, RNNGateType, RNNInputMode, RNNOperation
from trtrnn_v2.layer import RNNv2Layer, WeightLayoutWarning, add_rnn_v2

__version__ = "0.1.0"

__all__ = [
    "RNNDirection",
    "RNNGateType",
    "RNNInputMode",
    "RNNOperation",
    "RNNv2Layer",
    "WeightLayoutWarning",
    "add_rnn_v2",
]

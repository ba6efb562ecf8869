"""trtrnn-legacy: TensorRT 7's implicit-batch `add_rnn` (IRNNLayer) for TensorRT 10+ and TensorRT for RTX.

```python
from trtrnn_legacy import ImplicitBatchNetwork, RNNDirection, RNNInputMode, RNNOperation

network = ImplicitBatchNetwork(max_batch_size=4)           # inputs without the batch dim
x = network.add_input("x", trt.float32, (T, N, E))         # sequence-major
rnn = network.add_rnn(x, layers, H, T, RNNOperation.LSTM, RNNInputMode.LINEAR,
                      RNNDirection.UNIDIRECTION, weights, bias)   # the legacy blobs
network.mark_output(rnn.get_output(0))                     # [T, N, K*H]; lowered here
outputs = network.execute(batch_size, {"x": data})         # CPU evaluator, or an engine on a GPU
```
Modules: `blob` (legacy blobs <-> per-gate weights), `layer` (`add_rnn`, `RNNLayer`), `implicit`
(`ImplicitBatchNetwork`), `lowering` (onto the registered lowering backend), `native` (TensorRT <= 7),
`tensorrt` (the import shim for TensorRT 7 programs), `plugin` (the `rnn-legacy` conformance backend).
"""

from __future__ import annotations

from trtrnn.enums import RNNDirection, RNNGateType, RNNInputMode, RNNOperation
from trtrnn_legacy.blob import LEGACY_GATES, from_blobs, to_blobs
from trtrnn_legacy.implicit import (
    BatchSizeError,
    ImplicitBatchNetwork,
    ImplicitBatchUnsupportedError,
    ImplicitTensor,
)
from trtrnn_legacy.layer import RNNLayer, add_rnn

__version__ = "0.1.0"

__all__ = [
    "LEGACY_GATES",
    "BatchSizeError",
    "ImplicitBatchNetwork",
    "ImplicitBatchUnsupportedError",
    "ImplicitTensor",
    "RNNDirection",
    "RNNGateType",
    "RNNInputMode",
    "RNNLayer",
    "RNNOperation",
    "add_rnn",
    "from_blobs",
    "to_blobs",
]

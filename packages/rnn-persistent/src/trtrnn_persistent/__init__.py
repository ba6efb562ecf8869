"""trtrnn-persistent: each RNN stack layer as one persistent CUDA kernel inside a TensorRT plugin.

`add_rnn(network, spec, inputs)` is the backend's build (needs a TensorRT with plugin layers);
`python -m trtrnn_persistent compile --arch sm_90` compiles every kernel variant with NVRTC (no GPU);
`python -m trtrnn_persistent gpu-proof` runs the plugin's enqueue over the conformance cases on a GPU.
"""

from __future__ import annotations

__version__ = "0.1.0"

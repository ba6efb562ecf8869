"""trtrnn-loop: the full RNN semantics lowered onto TensorRT's ILoop, the fast way.

`add_rnn(network, spec, inputs) -> RNNOutputs` is the public lowering: the `rnn-loop` backend's build
function and what the rnn-v2 and rnn-legacy backends call where TensorRT has no native RNN layer.
"""

from __future__ import annotations

from trtrnn_loop.lowering import add_rnn

__all__ = ["add_rnn"]
__version__ = "0.1.0"
